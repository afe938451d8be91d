"""Files written whole or not at all.

A checkpoint, a results file or a grading report that a crash, a full disk or a
Ctrl-C cut in half is worse than none: the next run would read it. Every file
coursekit writes for later goes through :func:`atomic_write`: the bytes go to a
temporary file in the same folder, are flushed to disk, and the temporary file is
renamed over the target (``os.replace``, atomic on POSIX and Windows). A new file gets the
permissions ``open`` would give it (0666 less the umask); a replaced file keeps its own. A reader
sees the old file or the new one, never a mixture; a failed write leaves the old
file as it was and no temporary file behind. A symbolic link is written through: the file it
points to is replaced and the link stays (a results file linked to Google Drive stays on Drive).
"""
from __future__ import annotations

import os
import re
import secrets
import stat
from pathlib import Path
from typing import BinaryIO, Callable

__all__ = ["atomic_write", "atomic_write_text", "check_writable", "temporaries_of"]


def _temporary_name(path: Path, token: str) -> str:
    """The name of a temporary file of ``path``: ``.<name>.<token>.tmp``, hidden, beside it."""
    return f".{path.name}.{token}.tmp"


def temporaries_of(path: str | os.PathLike) -> list[Path]:
    """The temporary files of :func:`atomic_write` beside ``path`` (``.<name>.<8 hex>.tmp``):
    a write still running, or one a killed process left behind."""
    path = Path(path)
    if not path.parent.is_dir():
        return []
    own = re.compile(re.escape(_temporary_name(path, "TOKEN")).replace("TOKEN", "[0-9a-f]{8}"))
    return sorted(p for p in path.parent.iterdir() if own.fullmatch(p.name))


def _new_temporary(path: Path) -> Path:
    """A new empty file beside ``path``, made as ``open(..., "w")`` makes files: mode 0666
    less the umask (``tempfile.mkstemp`` would make it private, 0600, whatever the umask)."""
    for _ in range(100):
        tmp = path.parent / _temporary_name(path, secrets.token_hex(4))
        try:
            os.close(os.open(tmp, os.O_CREAT | os.O_EXCL | os.O_WRONLY, 0o666))
            return tmp
        except FileExistsError:
            continue
    raise FileExistsError(f"could not create a temporary file beside {path}")


def atomic_write(path: str | os.PathLike, write: Callable[[BinaryIO], object], durable: bool = True,
                 check: Callable[[Path], object] | None = None) -> Path:
    """Create or replace ``path`` with what ``write(f)`` writes to the binary file ``f``
    (e.g. ``lambda f: torch.save(state, f)``; ``f.name`` is the temporary file's path);
    the folder is created if needed.
    ``durable=False`` skips the flush to disk: the rename alone keeps readers from
    seeing half a file, which is all a scratch file read by another process needs;
    a checkpoint or a result must also survive a power cut.
    ``check(tmp)``, when given, runs on the finished temporary file before the rename
    (e.g. a download's checksum): an exception there, as in ``write``, leaves ``path`` as it was.
    A symbolic link is written through: the file it points to is replaced, the link is kept.
    Returns ``path`` as a :class:`~pathlib.Path`."""
    given = Path(path)
    path = Path(os.path.realpath(given))    # the rename must replace the link's target, not the link
    path.parent.mkdir(parents=True, exist_ok=True)
    tmp = _new_temporary(path)
    try:
        with open(tmp, "wb") as f:
            write(f)
            if durable:
                f.flush()
                os.fsync(f.fileno())
        if check is not None:
            check(Path(tmp))
        if path.exists():           # a replaced file keeps its permissions (a chmod 600 stays private)
            os.chmod(tmp, stat.S_IMODE(path.stat().st_mode))
        os.replace(tmp, path)
    except BaseException:
        Path(tmp).unlink(missing_ok=True)
        raise
    return given


def atomic_write_text(path: str | os.PathLike, text: str, durable: bool = True) -> Path:
    """:func:`atomic_write` of ``text``, UTF-8 encoded."""
    data = text.encode("utf-8")
    return atomic_write(path, lambda f: f.write(data), durable)


def check_writable(path: str | os.PathLike) -> None:
    """Check, before a long job that writes ``path`` at its end, that it can: create the folder if
    needed, and a file in it (removed again), as :func:`atomic_write` will. Raises an OSError
    (a PermissionError for a folder one may not write) that names ``path``."""
    target = Path(os.path.realpath(path))
    try:
        target.parent.mkdir(parents=True, exist_ok=True)
    except OSError as err:
        raise OSError(err.errno, f"cannot write {path}: its folder {err.filename} cannot be created "
                                 f"({err.strerror}). Choose a path in a folder you can write.") from err
    try:
        _new_temporary(target).unlink()
    except OSError as err:
        raise OSError(err.errno, f"cannot write {path}: no file can be created in {target.parent} "
                                 f"({err.strerror or err}). Choose a path in a folder you can write.") from err

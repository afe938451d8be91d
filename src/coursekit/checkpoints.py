"""Which checkpoints in a folder this coursekit can still resume, and removing the others.

:func:`coursekit.train.checkpoint_for` names a checkpoint by a fingerprint of its run's
hparams and of coursekit's own code: ``checkpoints/05b_dcgan.pt`` becomes
``checkpoints/05b_dcgan-ea158cbb.pt``. After an update of coursekit every training cell
therefore starts a new file, and the old one is never opened again: it only takes space.
:func:`survey` tells the two apart without guessing from dates: a checkpoint keeps its
hparams, so the name that *this* coursekit would give that run can be computed again.

- ``"current"``: this coursekit names the run so; ``fit`` resumes it or, if finished,
  reloads it instead of training again. A run of your own earlier code (another
  :func:`~coursekit.train.source_digest` in its hparams) is current too: edit the code
  back and it is reused.
- ``"other code"``: written by another version of coursekit; no cell will open it again.
- ``"unreadable"``: damaged, of an older checkpoint format, or not a coursekit
  checkpoint. :func:`prune` never touches these; the reason says what to do.

Files whose names do not end in ``-<8 hex digits>`` (not named by ``checkpoint_for``),
checkpoints whose run has no hparams (passed to ``fit`` by a path of their own) and links
are not coursekit's to judge: :func:`survey` leaves them out and :func:`prune` leaves them be.
"""
from __future__ import annotations

import os
from dataclasses import dataclass
from pathlib import Path

from . import train

__all__ = ["Checkpoint", "survey", "other_code", "prune", "find_folders", "describe", "megabytes"]

@dataclass(frozen=True)
class Checkpoint:
    """One checkpoint file: ``size`` in bytes; ``epoch`` of ``epochs`` trained (None if
    unreadable); ``status`` one of ``"current"``, ``"other code"``, ``"unreadable"``;
    ``reason`` why it is unreadable (else "")."""
    path: Path
    size: int
    status: str
    epoch: int | None = None
    epochs: int | None = None
    reason: str = ""

    @property
    def stem(self) -> str:
        """The name before the fingerprint: ``05b_dcgan`` for ``05b_dcgan-ea158cbb.pt``."""
        return train.checkpoint_base(self.path).stem


def _judge(path: Path) -> Checkpoint | None:
    """``path`` as a :class:`Checkpoint`, or None if it is not coursekit's to judge."""
    base = train.checkpoint_base(path)
    if base is None or not path.is_file() or path.is_symlink():
        return None
    size = path.stat().st_size
    try:
        state = train.load_checkpoint(path)
    except (ValueError, OSError) as err:    # damaged, older format, not data only; no permission to read
        return Checkpoint(path, size, "unreadable", reason=str(err))
    hparams = state.get("hparams")
    if not hparams or not isinstance(hparams, dict):
        return None
    ours = train.checkpoint_for(base, hparams).name == path.name
    return Checkpoint(path, size, "current" if ours else "other code", state.get("epoch"), state.get("epochs"))


def survey(folder: str | os.PathLike) -> list[Checkpoint]:
    """The checkpoints in ``folder`` (not its subfolders) named by
    :func:`coursekit.train.checkpoint_for`, sorted by name, each judged as the module
    docstring says. Reads every such file (as data only). Raises FileNotFoundError
    (NotADirectoryError) if ``folder`` is missing (not a folder)."""
    folder = Path(folder)
    if not folder.exists():
        raise FileNotFoundError(f"no folder {folder}: give a folder of checkpoints, e.g. notebooks/checkpoints")
    if not folder.is_dir():
        raise NotADirectoryError(f"{folder} is a file; give the folder that holds checkpoints, "
                                 "e.g. notebooks/checkpoints")
    found = (_judge(p) for p in sorted(folder.iterdir()))
    return [c for c in found if c is not None]


def other_code(found: list[Checkpoint]) -> list[Checkpoint]:
    """The checkpoints among ``found`` written by other coursekit code: what :func:`prune` deletes."""
    return [c for c in found if c.status == "other code"]


def prune(found: list[Checkpoint]) -> list[Checkpoint]:
    """Delete the checkpoints among ``found`` (what :func:`survey` returned) written by other
    coursekit code, and return them: ``prune(survey("notebooks/checkpoints"))``. Current and
    unreadable checkpoints stay, as does every file :func:`survey` leaves out. Run it while no
    notebook trains: a kernel started before an update still runs the old code, and would lose
    the checkpoint it is writing. A file that cannot be deleted raises an OSError that names
    it and says how many were deleted before it."""
    gone = other_code(found)
    for i, c in enumerate(gone):
        try:
            c.path.unlink(missing_ok=True)      # gone already: another prune got there first
        except OSError as err:
            raise OSError(err.errno, f"could not delete {c.path} ({err.strerror}); deleted before it: {i} of "
                                     f"the {len(gone)} written by other coursekit code") from err
    return gone


def find_folders(root: str | os.PathLike = ".") -> list[Path]:
    """The folders named ``checkpoints`` in ``root`` and one level below (``checkpoints``,
    ``notebooks/checkpoints``, ``solutions/checkpoints``...), hidden folders left out."""
    root = Path(root)
    found = [root / "checkpoints"] + sorted(root.glob("*/checkpoints"))
    return [f for f in found if f.is_dir() and not any(part.startswith(".") for part in f.relative_to(root).parts)]


def megabytes(n_bytes: int) -> str:
    """``n_bytes`` for a person: ``"1.9 MB"``."""
    return f"{n_bytes / 1e6:.1f} MB"


def describe(folder: str | os.PathLike, found: list[Checkpoint]) -> str:
    """What :func:`survey` found in ``folder``, as lines for a person: each current
    checkpoint, the other code's grouped by name, each unreadable one with its reason."""
    lines = [f"{folder}: {len(found)} checkpoint{'s' * (len(found) != 1)}, {megabytes(sum(c.size for c in found))}"]
    current = [c for c in found if c.status == "current"]
    other = other_code(found)
    unreadable = [c for c in found if c.status == "unreadable"]
    if current:
        lines.append(f"  this coursekit resumes or reuses {len(current)} ({megabytes(sum(c.size for c in current))}):")
        lines += [f"    {c.path.name}  {megabytes(c.size)}, {c.epoch} of {c.epochs} epochs" for c in current]
    if other:
        lines.append(f"  written by other coursekit code, never opened again: {len(other)} "
                     f"({megabytes(sum(c.size for c in other))}):")
        for stem in sorted({c.stem for c in other}):
            group = [c for c in other if c.stem == stem]
            lines.append(f"    {stem}-*: {len(group)} file{'s' * (len(group) != 1)}, {megabytes(sum(c.size for c in group))}")
    for c in unreadable:
        lines.append(f"  unreadable, left alone: {c.path.name}: {c.reason}")
    return "\n".join(lines)

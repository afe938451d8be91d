"""coursekit.files: a file is replaced whole or left as it was."""
import os
import stat

import pytest
import torch

from coursekit.files import atomic_write, atomic_write_text, check_writable


def test_atomic_write_text_creates_the_file_and_its_folder(tmp_path):
    path = atomic_write_text(tmp_path / "a" / "b" / "report.txt", "Grüße, 28 × 28\n")
    assert path == tmp_path / "a" / "b" / "report.txt"
    assert path.read_text(encoding="utf-8") == "Grüße, 28 × 28\n"


def test_atomic_write_replaces_an_existing_file(tmp_path):
    path = tmp_path / "state.pt"
    atomic_write(path, lambda f: torch.save({"epoch": 1}, f))
    atomic_write(path, lambda f: torch.save({"epoch": 2}, f))
    assert torch.load(path) == {"epoch": 2}


@pytest.mark.parametrize("error", [RuntimeError("disk full"), KeyboardInterrupt()])
def test_a_write_that_fails_leaves_the_old_file_and_no_temporary_file(tmp_path, error):
    path = atomic_write_text(tmp_path / "results.json", '{"old": 1}\n')

    def half_then_fail(f):
        f.write(b'{"new": ')
        raise error

    with pytest.raises(type(error)):
        atomic_write(path, half_then_fail)
    assert path.read_text() == '{"old": 1}\n'
    assert sorted(p.name for p in tmp_path.iterdir()) == ["results.json"]


@pytest.fixture
def umask():
    """Set the process's umask for one test: ``umask(0o077)``; the old one comes back after."""
    old = os.umask(0o022)
    yield os.umask
    os.umask(old)


@pytest.mark.skipif(os.name != "posix", reason="POSIX permissions")
@pytest.mark.parametrize("durable", [True, False])
@pytest.mark.parametrize("mask, mode", [(0o022, 0o644), (0o077, 0o600)], ids=["umask 022", "umask 077"])
def test_a_new_file_gets_the_permissions_open_would_give_it(tmp_path, umask, durable, mask, mode):
    # the temporary file must not stay private (mkstemp's 0600) nor ignore a private umask
    umask(mask)
    path = atomic_write_text(tmp_path / "grades.csv", "x\n", durable=durable)
    umask(0o022)
    assert stat.S_IMODE(path.stat().st_mode) == mode
    assert path.read_text() == "x\n"


@pytest.mark.skipif(os.name != "posix", reason="POSIX permissions")
def test_a_replaced_file_keeps_its_permissions(tmp_path):
    path = tmp_path / "grades.csv"
    path.write_text("old\n")
    path.chmod(0o600)                               # an instructor kept the grades private
    atomic_write_text(path, "new\n")
    assert stat.S_IMODE(path.stat().st_mode) == 0o600
    assert path.read_text() == "new\n"


def test_a_check_that_fails_keeps_the_written_bytes_from_the_final_name(tmp_path):
    path = atomic_write_text(tmp_path / "organamnist.npz", "verified\n")
    seen = []

    def wrong_checksum(tmp):
        seen.append(tmp.read_bytes())
        raise ValueError("MD5 mismatch")

    with pytest.raises(ValueError, match="MD5"):
        atomic_write(path, lambda f: f.write(b"<html>"), check=wrong_checksum)
    assert seen == [b"<html>"]                       # the check saw the finished temporary file
    assert path.read_text() == "verified\n"
    assert sorted(p.name for p in tmp_path.iterdir()) == ["organamnist.npz"]


@pytest.mark.parametrize("write, durable, flushes", [
    (lambda p, d: atomic_write(p, lambda f: f.write(b"x"), durable=d), True, 1),
    (lambda p, d: atomic_write(p, lambda f: f.write(b"x"), durable=d), False, 0),
    (lambda p, d: atomic_write_text(p, "x", durable=d), True, 1),
    (lambda p, d: atomic_write_text(p, "x", durable=d), False, 0)])
def test_a_durable_write_is_flushed_to_disk_and_a_scratch_write_is_not(tmp_path, monkeypatch, write, durable, flushes):
    calls = []
    real_fsync = os.fsync
    monkeypatch.setattr(os, "fsync", lambda fd: (calls.append(fd), real_fsync(fd))[1])
    write(tmp_path / "f.bin", durable)
    assert len(calls) == flushes


@pytest.mark.skipif(os.name != "posix", reason="symbolic links")
def test_a_symbolic_link_is_written_through_and_stays_a_link(tmp_path):
    # results.json links to a file on Google Drive: the new results must go there, not replace the link
    (tmp_path / "drive").mkdir()
    target = atomic_write_text(tmp_path / "drive" / "results.json", "old\n")
    link = tmp_path / "results.json"
    link.symlink_to(target)
    assert atomic_write_text(link, "new\n") == link
    assert link.is_symlink() and target.read_text() == "new\n"
    assert sorted(p.name for p in (tmp_path / "drive").iterdir()) == ["results.json"]


def test_check_writable_creates_the_folder_and_leaves_no_file_in_it(tmp_path):
    check_writable(tmp_path / "checkpoints" / "run.pt")
    assert (tmp_path / "checkpoints").is_dir() and list((tmp_path / "checkpoints").iterdir()) == []


def test_temporaries_of_finds_the_temporary_files_atomic_write_makes_and_no_other(tmp_path):
    from coursekit.files import _new_temporary, temporaries_of

    target = tmp_path / "data.npz"
    made = _new_temporary(target)
    for other in (".data.npz.tmp", ".data.npz.zzzzzzzz.tmp", ".other.npz.0123abcd.tmp", "data.npz"):
        (tmp_path / other).write_text("")
    assert temporaries_of(target) == [made]
    assert temporaries_of(tmp_path / "missing" / "data.npz") == []

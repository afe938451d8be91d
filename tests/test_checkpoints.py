"""coursekit.checkpoints and `coursekit checkpoints`: which checkpoints this coursekit can
resume, and deleting only those written by other coursekit code."""
from contextlib import contextmanager
from pathlib import Path

import pytest
import torch
from torch import nn

from coursekit import checkpoints, train
from coursekit.cli import main
from coursekit.data import DeviceBatches


def train_once(folder, name="run.pt", lr=0.01, epochs=1):
    """A one-epoch run of a tiny model, checkpointed as the chapters do (checkpoint_for, then
    fit with the same hparams); returns the checkpoint's path."""
    torch.manual_seed(0)
    model = nn.Sequential(nn.Flatten(), nn.Linear(4, 2))
    x, y = torch.rand(16, 1, 2, 2), torch.randint(0, 2, (16,))
    hparams = {"lr": lr, "epochs": epochs}
    ckpt = train.checkpoint_for(folder / name, hparams)
    train.fit(model, DeviceBatches(x, y, batch_size=8, seed=0, device="cpu"),
              loss_fn=lambda m, b: nn.functional.cross_entropy(m(b[0]), b[1]),
              optimizer=torch.optim.SGD(model.parameters(), lr=lr), epochs=epochs, checkpoint=ckpt,
              resume=True, hparams=hparams, device="cpu", progress=False, verbose=False)
    return ckpt


@contextmanager
def other_coursekit_code(monkeypatch):
    """Inside it, checkpoint_for names runs as another version of coursekit would."""
    with monkeypatch.context() as m:
        m.setattr(train, "_coursekit_digest", lambda: "0123456789ab")
        yield


def status_of(folder):
    return {c.path.name: c.status for c in checkpoints.survey(folder)}


def test_a_checkpoint_this_coursekit_named_is_current(tmp_path):
    ckpt = train_once(tmp_path)
    [found] = checkpoints.survey(tmp_path)
    assert (found.path, found.status, found.epoch, found.epochs) == (ckpt, "current", 1, 1)
    assert found.size == ckpt.stat().st_size


def test_a_checkpoint_of_other_coursekit_code_is_told_apart(tmp_path, monkeypatch):
    with other_coursekit_code(monkeypatch):
        old = train_once(tmp_path)
    assert status_of(tmp_path) == {old.name: "other code"}


def test_every_configuration_of_this_code_is_current(tmp_path):
    """Runs with other hparams (a student's earlier code, another seed) can be reused: kept."""
    a, b = train_once(tmp_path, lr=0.01), train_once(tmp_path, lr=0.1)
    assert a != b
    assert status_of(tmp_path) == {a.name: "current", b.name: "current"}


def test_an_interrupted_run_shows_how_far_it_got(tmp_path):
    ckpt = train_once(tmp_path, epochs=1)
    state = train.load_checkpoint(ckpt)
    train.save_checkpoint(ckpt, {**state, "epochs": 3})
    [found] = checkpoints.survey(tmp_path)
    assert (found.epoch, found.epochs) == (1, 3)


def test_a_damaged_checkpoint_is_unreadable_with_the_reason(tmp_path):
    bad = tmp_path / "run-0123abcd.pt"
    bad.write_bytes(b"<html>not found</html>")
    [found] = checkpoints.survey(tmp_path)
    assert found.status == "unreadable"
    assert "damaged or not a checkpoint" in found.reason


def test_files_not_named_by_checkpoint_for_are_left_out(tmp_path):
    (tmp_path / "notes.txt").write_text("mine")
    (tmp_path / "mine.pt").write_bytes(b"x")
    (tmp_path / "run-0123ABCD.pt").write_bytes(b"x")      # checkpoint_for writes lower-case hex
    (tmp_path / "sub-0123abcd.pt").mkdir()
    assert checkpoints.survey(tmp_path) == []


def test_a_link_to_a_checkpoint_is_left_out(tmp_path, monkeypatch):
    """A link someone made on purpose (to a run kept elsewhere) is not coursekit's to delete."""
    with other_coursekit_code(monkeypatch):
        kept = train_once(tmp_path / "elsewhere")
    (tmp_path / "here").mkdir()
    (tmp_path / "here" / kept.name).symlink_to(kept)
    assert checkpoints.survey(tmp_path / "here") == []


@pytest.mark.parametrize("hparams", [{}, None, ["lr", 0.01]], ids=["empty", "none", "not a dict"])
def test_a_checkpoint_without_hparams_is_left_out(tmp_path, hparams):
    """fit with a path of one's own and no hparams: nothing says which code wrote it."""
    ckpt = train_once(tmp_path)
    own = tmp_path / "mine-0123abcd.pt"
    train.save_checkpoint(own, {**train.load_checkpoint(ckpt), "hparams": hparams})
    assert [c.path for c in checkpoints.survey(tmp_path)] == [ckpt]


def test_the_stem_is_the_name_before_the_fingerprint(tmp_path):
    train_once(tmp_path, name="05b_dcgan-v2.pt")
    [found] = checkpoints.survey(tmp_path)
    assert found.stem == "05b_dcgan-v2"


def test_survey_refuses_a_missing_folder_or_a_file(tmp_path):
    with pytest.raises(FileNotFoundError, match="no folder .*notebooks/checkpoints"):
        checkpoints.survey(tmp_path / "nowhere")
    (tmp_path / "file").write_text("")
    with pytest.raises(NotADirectoryError, match="is a file"):
        checkpoints.survey(tmp_path / "file")


def test_prune_deletes_only_the_other_codes_checkpoints(tmp_path, monkeypatch):
    (tmp_path / "notes.txt").write_text("mine")
    (tmp_path / "run-0123abcd.pt").write_bytes(b"damaged")
    current = train_once(tmp_path, name="a.pt")
    with other_coursekit_code(monkeypatch):
        old = train_once(tmp_path, name="a.pt")
    gone = checkpoints.prune(checkpoints.survey(tmp_path))
    assert [c.path for c in gone] == [old]
    assert sorted(p.name for p in tmp_path.iterdir()) == sorted([current.name, "notes.txt", "run-0123abcd.pt"])


def test_prune_passes_over_a_checkpoint_deleted_meanwhile(tmp_path, monkeypatch):
    with other_coursekit_code(monkeypatch):
        old = train_once(tmp_path)
    found = checkpoints.survey(tmp_path)
    old.unlink()                                # another prune got there first
    assert [c.path for c in checkpoints.prune(found)] == [old]


def test_prune_names_a_file_it_cannot_delete_and_what_it_deleted(tmp_path, monkeypatch):
    with other_coursekit_code(monkeypatch):
        first, second = train_once(tmp_path, lr=0.01), train_once(tmp_path, lr=0.1)
    found = checkpoints.survey(tmp_path)
    locked = found[1].path
    unlink = Path.unlink

    def refuse(self, missing_ok=False):
        if self == locked:
            raise PermissionError(13, "Permission denied")
        return unlink(self, missing_ok=missing_ok)
    monkeypatch.setattr(Path, "unlink", refuse)
    with pytest.raises(PermissionError, match=f"could not delete {locked} .Permission denied.; deleted before it: "
                                              "1 of the 2 written by other coursekit code"):
        checkpoints.prune(found)
    assert sorted(p.exists() for p in (first, second)) == [False, True]


def test_a_pruned_folder_still_resumes_its_current_run(tmp_path):
    ckpt = train_once(tmp_path)
    checkpoints.prune(checkpoints.survey(tmp_path))
    before = ckpt.stat().st_mtime_ns
    train_once(tmp_path)                        # finished: reloaded, not trained again
    assert ckpt.stat().st_mtime_ns == before


def test_find_folders_looks_here_and_one_level_down(tmp_path):
    for f in ("checkpoints", "notebooks/checkpoints", "solutions/checkpoints", ".venv/checkpoints",
              "a/b/checkpoints"):
        (tmp_path / f).mkdir(parents=True)
    (tmp_path / "exercises").mkdir()
    (tmp_path / "exercises" / "checkpoints").write_text("a file")
    assert checkpoints.find_folders(tmp_path) == [tmp_path / "checkpoints", tmp_path / "notebooks/checkpoints",
                                                   tmp_path / "solutions/checkpoints"]


def test_describe_names_each_current_checkpoint_and_groups_the_rest(tmp_path, monkeypatch):
    current = train_once(tmp_path, name="cnn.pt")
    with other_coursekit_code(monkeypatch):
        train_once(tmp_path, name="cnn.pt")
        train_once(tmp_path, name="cnn.pt", lr=0.1)
    (tmp_path / "gan-0123abcd.pt").write_bytes(b"damaged")
    text = checkpoints.describe("ck", checkpoints.survey(tmp_path))
    lines = text.splitlines()
    assert lines[0].startswith("ck: 4 checkpoints, ")
    assert "this coursekit resumes or reuses 1 " in lines[1]
    assert lines[2].strip().startswith(f"{current.name}  ") and lines[2].endswith("1 of 1 epochs")
    assert "written by other coursekit code, never opened again: 2 " in lines[3]
    assert lines[4].strip().startswith("cnn-*: 2 files, ")
    assert lines[5].startswith("  unreadable, left alone: gan-0123abcd.pt: checkpoint ")


def test_cli_lists_without_deleting(tmp_path, monkeypatch, capsys):
    with other_coursekit_code(monkeypatch):
        old = train_once(tmp_path)
    assert main(["checkpoints", str(tmp_path)]) == 0
    out = capsys.readouterr().out
    assert "written by other coursekit code" in out
    assert out.splitlines()[-1].startswith("coursekit checkpoints --prune deletes the 1 written by other coursekit code")
    assert old.exists()


def test_cli_offers_no_prune_when_there_is_nothing_to_delete(tmp_path, capsys):
    train_once(tmp_path)
    assert main(["checkpoints", str(tmp_path)]) == 0
    assert "--prune" not in capsys.readouterr().out


def test_cli_reads_a_folder_named_twice_once(tmp_path, monkeypatch, capsys):
    with other_coursekit_code(monkeypatch):
        old = train_once(tmp_path)
    assert main(["checkpoints", str(tmp_path), f"{tmp_path}/", "--prune"]) == 0
    out = capsys.readouterr().out
    assert out.count("deleted ") == 1 and out.count(": 1 checkpoint, ") == 1
    assert not old.exists()


@pytest.mark.parametrize("errno, why", [(13, "Permission denied"), (30, "Read-only file system")])
def test_cli_says_which_file_it_could_not_delete(tmp_path, monkeypatch, capsys, errno, why):
    with other_coursekit_code(monkeypatch):
        old = train_once(tmp_path)

    def refuse(self, missing_ok=False):
        raise OSError(errno, why)
    monkeypatch.setattr(Path, "unlink", refuse)
    assert main(["checkpoints", str(tmp_path), "--prune"]) == 2
    assert f"coursekit checkpoints: [Errno {errno}] could not delete {old} ({why})" in capsys.readouterr().err


def test_cli_prune_deletes_and_says_what(tmp_path, monkeypatch, capsys):
    with other_coursekit_code(monkeypatch):
        old = train_once(tmp_path)
    current = train_once(tmp_path)
    assert main(["checkpoints", str(tmp_path), "--prune"]) == 0
    out = capsys.readouterr().out
    assert f"deleted {old} (" in out and "freed " in out
    assert not old.exists() and current.exists()


def test_cli_checks_every_folder_before_deleting_anything(tmp_path, monkeypatch, capsys):
    with other_coursekit_code(monkeypatch):
        old = train_once(tmp_path)
    assert main(["checkpoints", str(tmp_path), str(tmp_path / "typo"), "--prune"]) == 2
    assert "no folder" in capsys.readouterr().err
    assert old.exists()


def test_cli_finds_the_checkpoint_folders_by_itself(tmp_path, monkeypatch, capsys):
    train_once(tmp_path / "notebooks" / "checkpoints")
    monkeypatch.chdir(tmp_path)
    assert main(["checkpoints"]) == 0
    assert capsys.readouterr().out.startswith(f"{Path('notebooks', 'checkpoints')}: 1 checkpoint, ")


def test_cli_says_when_there_is_no_checkpoint_folder(tmp_path, monkeypatch, capsys):
    monkeypatch.chdir(tmp_path)
    assert main(["checkpoints"]) == 0
    assert "no 'checkpoints' folder here" in capsys.readouterr().out

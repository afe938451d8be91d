"""coursekit.train.fit: the one training loop (history, checkpoints, resume)."""
import os
import random
import re
import shutil

import numpy as np
import pytest
import torch
from torch import nn

from coursekit import train
from coursekit.data import DeviceBatches


def make_problem(seed=0, n=96):
    g = torch.Generator().manual_seed(seed)
    x = torch.rand(n, 1, 8, 8, generator=g)
    y = (x[:, 0, :4].mean((1, 2)) > x[:, 0, 4:].mean((1, 2))).long()   # learnable rule
    return x, y


def make_model(seed=0):
    torch.manual_seed(seed)
    return nn.Sequential(nn.Conv2d(1, 4, 3, padding=1), nn.ReLU(), nn.Dropout(0.2),
                         nn.Flatten(), nn.Linear(4 * 64, 2))


def ce_loss(model, batch):
    x, y = batch
    return nn.functional.cross_entropy(model(x), y)


def step_with(opt, **extra):
    """A step_fn for fit: one step of opt on ce_loss; returns {"loss": ...} and ``extra``."""
    def step(m, batch):
        opt.zero_grad()
        loss = ce_loss(m, batch)
        loss.backward()
        opt.step()
        return {"loss": loss.detach(), **extra}
    return step


def run(epochs, ckpt=None, resume=False, seed=0, init_seed=0):
    x, y = make_problem()
    model = make_model(init_seed)
    opt = torch.optim.Adam(model.parameters(), lr=1e-2)
    sched = torch.optim.lr_scheduler.StepLR(opt, step_size=1, gamma=0.9)
    batches = DeviceBatches(x, y, batch_size=16, seed=seed, device="cpu")
    hist = train.fit(model, batches, loss_fn=ce_loss, optimizer=opt, epochs=epochs, device="cpu",
                     scheduler=sched, checkpoint=ckpt, resume=resume, progress=False, verbose=False,
                     val_fn=lambda m: {"val_acc": float((m(x).argmax(1) == y).float().mean())})
    return model, hist


def test_fit_records_one_row_per_epoch_and_loss_decreases():
    _, hist = run(epochs=5)
    assert hist["epoch"] == [1, 2, 3, 4, 5]
    assert len(hist["train_loss"]) == len(hist["val_acc"]) == 5
    assert hist["train_loss"][-1] < hist["train_loss"][0]


def test_resume_after_interruption_equals_uninterrupted_run(tmp_path):
    full_model, full_hist = run(epochs=4)
    ckpt = tmp_path / "run.pt"
    run(epochs=2, ckpt=ckpt)                       # "the Colab session died after epoch 2"
    resumed_model, resumed_hist = run(epochs=4, ckpt=ckpt, resume=True, init_seed=123)  # a fresh process: other init
    for (k, a), b in zip(full_model.state_dict().items(), resumed_model.state_dict().values()):
        assert torch.equal(a, b), k
    for key in ("train_loss", "val_acc"):
        assert resumed_hist[key] == full_hist[key]


def run_two_optimizers(epochs, ckpt=None, resume=False):
    """Two halves of one model, each with its own optimizer and scheduler (as a GAN's G and D)."""
    x, y = make_problem()
    model = make_model()
    opts = {"conv": torch.optim.SGD(model[0].parameters(), lr=0.1),
            "head": torch.optim.SGD(model[4].parameters(), lr=0.2)}
    scheds = {"conv": torch.optim.lr_scheduler.StepLR(opts["conv"], step_size=1, gamma=0.5),
              "head": torch.optim.lr_scheduler.StepLR(opts["head"], step_size=1, gamma=0.9)}

    def step_fn(m, batch):
        for o in opts.values():
            o.zero_grad()
        loss = ce_loss(m, batch)
        loss.backward()
        for o in opts.values():
            o.step()
        return {"loss": loss.detach()}

    hist = train.fit(model, DeviceBatches(x, y, batch_size=16, seed=0, device="cpu"), step_fn=step_fn,
                     optimizer=opts, scheduler=scheds, epochs=epochs, device="cpu", checkpoint=ckpt,
                     resume=resume, progress=False, verbose=False)
    return model, hist, {k: o.param_groups[0]["lr"] for k, o in opts.items()}


def test_a_dict_of_schedulers_steps_each_once_per_epoch():
    _, _, lrs = run_two_optimizers(epochs=3)
    assert lrs == {"conv": pytest.approx(0.1 * 0.5**3), "head": pytest.approx(0.2 * 0.9**3)}


def test_a_dict_of_schedulers_resumes_where_it_stopped(tmp_path):
    full_model, _, full_lrs = run_two_optimizers(epochs=4)
    run_two_optimizers(epochs=2, ckpt=tmp_path / "run.pt")
    resumed_model, _, resumed_lrs = run_two_optimizers(epochs=4, ckpt=tmp_path / "run.pt", resume=True)
    assert resumed_lrs == full_lrs
    for (k, a), b in zip(full_model.state_dict().items(), resumed_model.state_dict().values()):
        assert torch.equal(a, b), k


def test_a_scheduler_without_step_is_refused_with_what_was_expected():
    x, y = make_problem()
    model = make_model()
    with pytest.raises(TypeError, match="torch.optim.lr_scheduler"):
        train.fit(model, DeviceBatches(x, y, batch_size=16, device="cpu"), loss_fn=ce_loss,
                  optimizer=torch.optim.SGD(model.parameters(), lr=0.1), scheduler=0.95, epochs=1,
                  device="cpu", progress=False, verbose=False)


def test_a_plateau_scheduler_is_refused_before_any_epoch_is_trained(tmp_path):
    x, y = make_problem()
    model = make_model()
    opt = torch.optim.SGD(model.parameters(), lr=0.1)
    with pytest.raises(TypeError, match="ReduceLROnPlateau.*CosineAnnealingLR"):
        train.fit(model, DeviceBatches(x, y, batch_size=16, device="cpu"), loss_fn=ce_loss, optimizer=opt,
                  scheduler=torch.optim.lr_scheduler.ReduceLROnPlateau(opt), epochs=1,
                  checkpoint=tmp_path / "run.pt", device="cpu", progress=False, verbose=False)
    assert not (tmp_path / "run.pt").exists()


def test_a_checkpoint_from_a_machine_with_more_gpus_restores_the_gpus_there_are(monkeypatch):
    restored = []
    monkeypatch.setattr(torch.cuda, "is_available", lambda: True)
    monkeypatch.setattr(torch.cuda, "device_count", lambda: 1)
    monkeypatch.setattr(torch.cuda, "set_rng_state", lambda state, index: restored.append(index))
    state = {**train._rng_state([]), "cuda": [torch.zeros(8, dtype=torch.uint8)] * 2}
    train._set_rng_state(state, [])
    assert restored == [0]


def test_history_seconds_count_the_epochs_trained_before_a_resume(tmp_path):
    ckpt = tmp_path / "run.pt"
    _, first = run(epochs=2, ckpt=ckpt)
    _, resumed = run(epochs=3, ckpt=ckpt, resume=True)
    assert len(resumed["time_s"]) == 3 and resumed["time_s"][:2] == first["time_s"]
    assert resumed.seconds() == pytest.approx(sum(first["time_s"]) + resumed["time_s"][2])


def test_existing_checkpoint_is_not_overwritten_without_resume(tmp_path):
    ckpt = tmp_path / "run.pt"
    run(epochs=1, ckpt=ckpt)
    before = ckpt.read_bytes()
    with pytest.raises(FileExistsError, match="resume=True"):
        run(epochs=2, ckpt=ckpt, resume=False)
    assert ckpt.read_bytes() == before


def test_a_checkpoint_that_cannot_be_written_is_refused_before_training(tmp_path):
    # it failed after the first epoch (which can take an hour), naming a hidden temporary file
    (tmp_path / "drive").write_text("a file where the checkpoint's folder should be")
    ckpt = tmp_path / "drive" / "run.pt"
    x, y = make_problem()
    model = make_model()
    opt = torch.optim.SGD(model.parameters(), lr=0.1)
    trained = []
    with pytest.raises(OSError, match="cannot write " + re.escape(str(ckpt))):
        train.fit(model, DeviceBatches(x, y, batch_size=32, device="cpu"), optimizer=opt, epochs=1,
                  loss_fn=lambda m, b: (trained.append(1), ce_loss(m, b))[1], checkpoint=ckpt,
                  progress=False, verbose=False, device="cpu")
    assert trained == []


def fit_meanwhile(ckpt, during_epoch, meanwhile):
    """Two epochs of a run to ``ckpt``; ``meanwhile(ckpt)`` runs in epoch ``during_epoch``, before its save."""
    x, y = make_problem()
    model = make_model()
    epoch = iter([1, 2])

    def val_fn(m):
        if next(epoch) == during_epoch:
            meanwhile(ckpt)
        return {}
    train.fit(model, DeviceBatches(x, y, batch_size=32, device="cpu"), loss_fn=ce_loss, val_fn=val_fn,
              optimizer=torch.optim.SGD(model.parameters(), lr=0.1), epochs=2, checkpoint=ckpt,
              progress=False, verbose=False, device="cpu")


@pytest.mark.parametrize("during_epoch", [1, 2], ids=["before this run's first save", "after it"])
def test_a_checkpoint_another_run_wrote_meanwhile_is_not_overwritten(tmp_path, during_epoch):
    # two notebooks training to the same file overwrote each other's epochs without a word
    other = tmp_path / "other.pt"
    run(epochs=1, ckpt=other)
    with pytest.raises(RuntimeError, match=re.escape(str(tmp_path / "run.pt")) + ".*written by another run"):
        fit_meanwhile(tmp_path / "run.pt", during_epoch, lambda ckpt: shutil.copyfile(other, ckpt))
    assert (tmp_path / "run.pt").read_bytes() == other.read_bytes()


def test_a_checkpoint_whose_times_changed_but_not_its_contents_is_still_this_runs(tmp_path):
    # a synchronised folder (Google Drive) may change a file's times after it is written
    fit_meanwhile(tmp_path / "run.pt", 2, lambda ckpt: os.utime(ckpt, (0, 0)))
    assert train.load_checkpoint(tmp_path / "run.pt")["epoch"] == 2


def test_resume_without_checkpoint_file_starts_fresh(tmp_path, capsys):
    x, y = make_problem()
    model = make_model()
    opt = torch.optim.SGD(model.parameters(), lr=0.1)
    hist = train.fit(model, DeviceBatches(x, y, batch_size=32, device="cpu"), loss_fn=ce_loss, optimizer=opt,
                     epochs=1, checkpoint=tmp_path / "new.pt", resume=True, progress=False, device="cpu")
    assert hist["epoch"] == [1] and (tmp_path / "new.pt").is_file()
    assert "starting from epoch 1" in capsys.readouterr().out


@pytest.mark.parametrize("damage", [lambda b: b[:len(b) // 2], lambda b: b"", lambda b: b"<html>quota exceeded</html>"],
                         ids=["cut in half", "empty", "an HTML page"])
def test_a_damaged_checkpoint_is_refused_with_its_path_and_how_to_start_over(tmp_path, damage):
    ckpt = tmp_path / "run.pt"
    run(epochs=1, ckpt=ckpt)
    ckpt.write_bytes(damage(ckpt.read_bytes()))
    before = ckpt.read_bytes()
    with pytest.raises(ValueError, match=re.escape(str(ckpt)) + ".*damaged.*delete it"):
        run(epochs=2, ckpt=ckpt, resume=True)
    assert ckpt.read_bytes() == before


def test_a_checkpoint_holds_only_data_that_loads_without_unpickling_code(tmp_path):
    # NumPy's random state was pickled as an array: code to run, and NumPy 2's module names
    ckpt = tmp_path / "run.pt"
    run(epochs=1, ckpt=ckpt)
    assert torch.load(ckpt, weights_only=True)["format"] == train.CHECKPOINT_FORMAT


def test_resume_restores_the_numpy_random_state(tmp_path):
    ckpt = tmp_path / "run.pt"
    run(epochs=1, ckpt=ckpt)
    expected = np.random.random()          # the state fit saved after epoch 1, used once
    np.random.seed(123)
    run(epochs=1, ckpt=ckpt, resume=True)  # nothing to train: fit only restores the saved states
    assert np.random.random() == expected


class RunsCode:
    """Unpickled, it runs ``os.mkdir(folder)``: a file can make ``pickle`` call any function."""

    def __init__(self, folder):
        self.folder = str(folder)

    def __reduce__(self):
        return os.mkdir, (self.folder,)


def test_load_checkpoint_never_runs_code_from_the_file(tmp_path):
    ckpt = tmp_path / "shared.pt"             # downloaded from a forum, or a classmate's
    torch.save({"format": train.CHECKPOINT_FORMAT, "model": RunsCode(tmp_path / "code ran")}, ckpt)
    with pytest.raises(ValueError, match=re.escape(str(ckpt)) + ".*could run code"):
        train.load_checkpoint(ckpt)
    assert not (tmp_path / "code ran").exists()


def older_checkpoint(path):
    """A checkpoint as coursekit wrote it before format 2: NumPy's random state as an array."""
    torch.save({"format": 1, "model": make_model().state_dict(), "rng": {"numpy": np.random.get_state()}}, path)
    return path


def test_a_checkpoint_of_an_older_coursekit_is_refused_with_how_to_start_over(tmp_path):
    ckpt = older_checkpoint(tmp_path / "run.pt")
    with pytest.raises(ValueError, match=re.escape(str(ckpt)) + ".*older coursekit.*delete it to start over"):
        run(epochs=2, ckpt=ckpt, resume=True)


def test_load_checkpoint_reads_a_trusted_older_checkpoint_in_full(tmp_path):
    ckpt = older_checkpoint(tmp_path / "run.pt")
    state = train.load_checkpoint(ckpt, trusted=True)
    assert state["model"].keys() == make_model().state_dict().keys()


def test_a_checkpoint_of_an_older_format_that_loads_as_data_is_refused_too(tmp_path):
    ckpt = tmp_path / "run.pt"
    torch.save({"format": 1, "epoch": 1}, ckpt)
    with pytest.raises(ValueError, match=re.escape(str(ckpt)) + ".*older coursekit.*format 1.*delete it"):
        train.load_checkpoint(ckpt)


class HalvingLR:
    """A scheduler whose state holds a ``fractions.Fraction``, which a data-only load refuses (as
    torch 2.3 refuses the ``collections.Counter`` of a MultiStepLR)."""

    def __init__(self, optimizer):
        from fractions import Fraction
        self.optimizer, self.factor = optimizer, Fraction(1, 2)

    def step(self):
        for group in self.optimizer.param_groups:
            group["lr"] *= float(self.factor)

    def state_dict(self):
        return {"factor": self.factor}

    def load_state_dict(self, state):
        self.factor = state["factor"]


def test_a_scheduler_whose_state_a_checkpoint_cannot_keep_is_refused_before_training(tmp_path):
    x, y = make_problem()
    model = make_model()
    opt = torch.optim.SGD(model.parameters(), lr=0.1)
    trained = []
    with pytest.raises(TypeError, match="scheduler's state.*weights_only"):
        train.fit(model, DeviceBatches(x, y, batch_size=32, device="cpu"), optimizer=opt, scheduler=HalvingLR(opt),
                  loss_fn=lambda m, b: (trained.append(1), ce_loss(m, b))[1], epochs=1,
                  checkpoint=tmp_path / "run.pt", progress=False, verbose=False, device="cpu")
    assert trained == [] and not (tmp_path / "run.pt").exists()


def test_resume_refuses_a_checkpoint_with_other_hparams(tmp_path):
    x, y = make_problem()
    ckpt = tmp_path / "run.pt"
    for lr, expect_error in ((0.1, False), (0.5, True)):
        model = make_model()
        opt = torch.optim.SGD(model.parameters(), lr=lr)
        call = lambda: train.fit(model, DeviceBatches(x, y, batch_size=32, device="cpu"), loss_fn=ce_loss,
                                 optimizer=opt, epochs=1, checkpoint=ckpt, resume=True, hparams={"lr": lr},
                                 progress=False, verbose=False, device="cpu")
        if expect_error:
            with pytest.raises(ValueError, match="hparams"):
                call()
        else:
            call()


@pytest.mark.parametrize("value", [torch.tensor([1.0, 2.0]), np.array([1.0, 2.0])], ids=["tensor", "numpy array"])
def test_hparams_that_are_not_plain_python_values_are_refused_before_training(tmp_path, value):
    # a tensor made the comparison on resume fail with "Boolean value of Tensor is ambiguous"
    x, y = make_problem()
    model = make_model()
    with pytest.raises(TypeError, match=r"hparams\['class_weight'\]\[1\] is a .*plain Python values"):
        train.fit(model, DeviceBatches(x, y, batch_size=32, device="cpu"), loss_fn=ce_loss,
                  optimizer=torch.optim.SGD(model.parameters(), lr=0.1), epochs=1, checkpoint=tmp_path / "run.pt",
                  hparams={"lr": 0.1, "class_weight": [1.0, value]}, progress=False, verbose=False, device="cpu")
    assert not (tmp_path / "run.pt").exists()


def test_a_numpy_number_in_hparams_is_kept_as_the_python_number_it_equals(tmp_path):
    """np.float64(0.1) == 0.1: a rate computed with NumPy is the same setting as one typed in."""
    x, y = make_problem()

    def run(lr, epochs):
        model = make_model()
        train.fit(model, DeviceBatches(x, y, batch_size=32, device="cpu"), loss_fn=ce_loss,
                  optimizer=torch.optim.SGD(model.parameters(), lr=float(lr)), epochs=epochs, resume=True,
                  checkpoint=tmp_path / "run.pt", hparams={"lr": lr, "sizes": (np.int64(3), 4)},
                  progress=False, verbose=False, device="cpu")

    run(np.float64(0.1), epochs=1)
    saved = train.load_checkpoint(tmp_path / "run.pt")["hparams"]
    assert saved == {"lr": 0.1, "sizes": (3, 4)} and type(saved["lr"]) is float and type(saved["sizes"][0]) is int
    run(0.1, epochs=2)                                           # the same setting: it resumes
    assert train.load_checkpoint(tmp_path / "run.pt")["epoch"] == 2


@pytest.mark.parametrize("first, then", [(dict(), dict(clip_grad_norm=1.0)), (dict(clip_grad_norm=1.0), dict()),
                                         (dict(clip_grad_norm=1.0), dict(clip_grad_norm=5.0))])
def test_resume_refuses_a_run_with_other_gradient_clipping(tmp_path, first, then):
    # switching clipping on and resuming continued the unclipped run silently
    x, y = make_problem()

    def run(epochs, **settings):
        model = make_model()
        return train.fit(model, DeviceBatches(x, y, batch_size=32, device="cpu"), loss_fn=ce_loss,
                         optimizer=torch.optim.SGD(model.parameters(), lr=0.1), epochs=epochs, resume=True,
                         checkpoint=tmp_path / "run.pt", progress=False, verbose=False, device="cpu", **settings)

    run(1, **first)
    with pytest.raises(ValueError, match="hparams"):
        run(2, **then)
    assert run(2, **first)["epoch"] == [1, 2]                 # the same settings still resume


def test_gradient_clipping_with_a_step_fn_is_refused_rather_than_ignored():
    # fit clips only the steps it takes itself: train_gan(..., clip_grad_norm=1.0) trained unclipped
    x, y = make_problem()
    model = make_model()
    with pytest.raises(ValueError, match="clip_grad_norm.*step_fn"):
        train.fit(model, DeviceBatches(x, y, batch_size=32, device="cpu"), step_fn=lambda m, b: {}, epochs=1,
                  optimizer=torch.optim.SGD(model.parameters(), lr=0.1), clip_grad_norm=1.0, progress=False,
                  verbose=False, device="cpu")


@pytest.mark.parametrize("clip", [0, -1.0, float("nan"), float("inf"), True, "1"])
def test_a_clipping_norm_that_is_not_a_positive_number_is_refused(clip):
    x, y = make_problem()
    model = make_model()
    with pytest.raises(ValueError, match="clip_grad_norm"):
        train.fit(model, DeviceBatches(x, y, batch_size=32, device="cpu"), loss_fn=ce_loss, epochs=1,
                  optimizer=torch.optim.SGD(model.parameters(), lr=0.1), clip_grad_norm=clip, progress=False,
                  verbose=False, device="cpu")


def test_a_resumed_run_with_nothing_left_to_train_leaves_the_model_in_training_mode_too(tmp_path):
    # as the docstring says of every run: a model put in eval mode before a finished run stayed in it
    run(epochs=1, ckpt=tmp_path / "run.pt")
    x, y = make_problem()
    model = make_model().eval()
    opt = torch.optim.Adam(model.parameters(), lr=1e-2)
    train.fit(model, DeviceBatches(x, y, batch_size=16, device="cpu"), loss_fn=ce_loss, optimizer=opt, epochs=1,
              scheduler=torch.optim.lr_scheduler.StepLR(opt, step_size=1, gamma=0.9), device="cpu",
              checkpoint=tmp_path / "run.pt", resume=True, progress=False, verbose=False,
              val_fn=lambda m: {"val_acc": float((m(x).argmax(1) == y).float().mean())})
    assert model.training


def test_a_resumed_run_with_nothing_left_to_train_does_not_need_to_write_its_checkpoint(tmp_path, monkeypatch):
    """A finished run's checkpoint (on a read-only share, say) is only read: no write check."""
    run(epochs=1, ckpt=tmp_path / "run.pt")
    def unwritable(path):
        raise PermissionError(13, f"cannot write {path}")
    monkeypatch.setattr(train, "check_writable", unwritable)
    _, hist = run(epochs=1, ckpt=tmp_path / "run.pt", resume=True)
    assert hist["epoch"] == [1]


def test_a_resumed_run_with_exactly_the_epochs_asked_says_nothing_is_left_to_do(tmp_path, capsys):
    run(epochs=2, ckpt=tmp_path / "run.pt")
    x, y = make_problem()
    model = make_model()
    opt = torch.optim.Adam(model.parameters(), lr=1e-2)
    train.fit(model, DeviceBatches(x, y, batch_size=16, device="cpu"), loss_fn=ce_loss, optimizer=opt, epochs=2,
              scheduler=torch.optim.lr_scheduler.StepLR(opt, step_size=1, gamma=0.9), device="cpu",
              checkpoint=tmp_path / "run.pt", resume=True, progress=False, verbose=True,
              val_fn=lambda m: {"val_acc": float((m(x).argmax(1) == y).float().mean())})
    assert "after epoch 2 (nothing left to do: 2 epochs asked)" in capsys.readouterr().out


def test_resume_refuses_optimizers_under_other_names(tmp_path):
    x, y = make_problem()
    model = nn.Sequential(nn.Flatten(), nn.Linear(64, 2))

    def fit_named(name):
        opt = torch.optim.SGD(model.parameters(), lr=0.1)
        train.fit(model, DeviceBatches(x, y, batch_size=48, device="cpu"), step_fn=step_with(opt),
                  optimizer={name: opt}, epochs=2 if name == "b" else 1, checkpoint=tmp_path / "run.pt", resume=True, progress=False,
                  verbose=False, device="cpu")
    fit_named("a")
    with pytest.raises(ValueError, match=r"optimizers \['a'\] in the checkpoint, \['b'\] now"):
        fit_named("b")


def fit_with(optimizer_fn, epochs, ckpt):
    x, y = make_problem()
    model = make_model()
    train.fit(model, DeviceBatches(x, y, batch_size=32, device="cpu"), loss_fn=ce_loss,
              optimizer=optimizer_fn(model.parameters()), epochs=epochs, checkpoint=ckpt, resume=True,
              progress=False, verbose=False, device="cpu")


def test_resume_refuses_an_optimizer_with_other_settings(tmp_path):
    # the checkpoint's rate silently replaced the new one: asked 0.001, trained at 0.5
    fit_with(lambda p: torch.optim.SGD(p, lr=0.5), epochs=1, ckpt=tmp_path / "run.pt")
    with pytest.raises(ValueError, match=r"\(lr: 0\.5 in the checkpoint, 0\.001 now.*another checkpoint path"):
        fit_with(lambda p: torch.optim.SGD(p, lr=0.001), epochs=2, ckpt=tmp_path / "run.pt")


def test_resume_refuses_another_optimizer(tmp_path):
    # Adam loading SGD's state failed with KeyError: 'betas'
    fit_with(lambda p: torch.optim.SGD(p, lr=0.1), epochs=1, ckpt=tmp_path / "run.pt")
    with pytest.raises(ValueError, match="optimizer SGD in the checkpoint, Adam now"):
        fit_with(lambda p: torch.optim.Adam(p, lr=0.1), epochs=2, ckpt=tmp_path / "run.pt")


def test_resume_accepts_the_optimizer_a_finished_fit_left_behind(tmp_path):
    # re-running only the cell that calls fit: its scheduler has moved the rate away from the run's first
    x, y = make_problem()
    model = make_model()
    opt = torch.optim.SGD(model.parameters(), lr=0.4)
    sched = torch.optim.lr_scheduler.StepLR(opt, step_size=1, gamma=0.5)
    for epochs in (2, 3):
        train.fit(model, DeviceBatches(x, y, batch_size=32, device="cpu"), loss_fn=ce_loss, optimizer=opt,
                  scheduler=sched, epochs=epochs, checkpoint=tmp_path / "run.pt", resume=True, progress=False,
                  verbose=False, device="cpu")
    assert opt.param_groups[0]["lr"] == pytest.approx(0.4 * 0.5**3)


def test_checkpoint_write_is_atomic_and_leaves_no_temp_files(tmp_path, monkeypatch):
    ckpt = tmp_path / "run.pt"
    train.save_checkpoint(ckpt, {"format": train.CHECKPOINT_FORMAT, "value": 1})
    def broken_save(obj, f):
        f.write(b"partial")
        raise OSError("disk full")
    monkeypatch.setattr(torch, "save", broken_save)
    with pytest.raises(OSError):
        train.save_checkpoint(ckpt, {"format": train.CHECKPOINT_FORMAT, "value": 2})
    monkeypatch.undo()
    assert train.load_checkpoint(ckpt)["value"] == 1
    assert [p.name for p in tmp_path.iterdir()] == ["run.pt"]


def fit_with_scores(scores, **kwargs):
    """fit for len(scores) epochs, val_fn giving the scores in turn; (model, history, weights after each epoch)."""
    x, y = make_problem()
    model = make_model()
    values, snapshots = iter(scores), []
    def val_fn(m):
        snapshots.append({k: v.clone() for k, v in m.state_dict().items()})
        return {"val_auc": next(values)}
    hist = train.fit(model, DeviceBatches(x, y, batch_size=32, device="cpu"), loss_fn=ce_loss,
                     optimizer=torch.optim.SGD(model.parameters(), lr=0.05), epochs=len(scores), val_fn=val_fn,
                     progress=False, verbose=False, device="cpu", **kwargs)
    return model, hist, snapshots


def test_monitor_restores_the_best_epoch_weights():
    model, hist, snapshots = fit_with_scores([0.5, 0.9, 0.7], monitor="val_auc")
    assert hist.best_epoch == 2
    for k, v in model.state_dict().items():
        assert torch.equal(v, snapshots[1][k])


@pytest.mark.parametrize("kwargs, error, says", [
    (dict(epochs=0), ValueError, "epochs must be a positive int; got 0"),
    (dict(epochs=2.5), ValueError, "epochs must be a positive int; got 2.5"),
    (dict(loss_fn=None), ValueError, "pass exactly one of loss_fn"),
    (dict(resume=True), ValueError, "resume=True needs a checkpoint path"),
    (dict(optimizer="adam"), TypeError, "optimizer must be a torch.optim.Optimizer"),
    (dict(mode="maximum"), ValueError, "mode must be 'max' or 'min'"),
    (dict(step_fn=lambda m, b: {}), ValueError, "pass exactly one of loss_fn"),
], ids=["no epochs", "fractional epochs", "neither loss_fn nor step_fn", "resume without a checkpoint",
        "an optimizer's name", "an unknown mode", "both loss_fn and step_fn"])
def test_fit_rejects_bad_arguments(kwargs, error, says):
    x, y = make_problem()
    model = make_model()
    args = dict(loss_fn=ce_loss, optimizer=torch.optim.SGD(model.parameters(), lr=0.1), epochs=1,
                progress=False, device="cpu")
    args.update(kwargs)
    with pytest.raises(error, match=re.escape(says)):
        train.fit(model, DeviceBatches(x, y, batch_size=32, device="cpu"), **args)


def test_fit_refuses_a_dict_of_optimizers_holding_something_else_and_says_what_it_takes():
    x, y = make_problem()
    model = make_model()
    with pytest.raises(TypeError, match="optimizer must be a torch.optim.Optimizer or a dict of them; got dict"):
        train.fit(model, DeviceBatches(x, y, batch_size=32, device="cpu"), step_fn=lambda m, b: {"loss": 0.0},
                  optimizer={"G": "adam"}, epochs=1, progress=False, device="cpu")


def test_a_step_fn_value_already_named_train_keeps_its_name_in_the_history():
    """step_fn's {"loss": ...} is recorded as train_loss; a "train_acc" must not become train_train_acc."""
    x, y = make_problem()
    model = make_model()
    opt = torch.optim.SGD(model.parameters(), lr=0.1)
    hist = train.fit(model, DeviceBatches(x, y, batch_size=32, device="cpu"), step_fn=step_with(opt, train_acc=0.5),
                     optimizer=opt, epochs=1, progress=False, verbose=False, device="cpu")
    assert {"train_loss", "train_acc"} <= set(hist.keys()) and "train_train_acc" not in hist.keys()


def test_fit_refuses_a_model_that_is_not_a_module():
    model = make_model()
    with pytest.raises(TypeError, match="model must be a torch.nn.Module; got str"):
        train.fit("cnn", [], loss_fn=ce_loss, optimizer=torch.optim.SGD(model.parameters(), lr=0.1), epochs=1,
                  progress=False, verbose=False, device="cpu")


def test_fit_stops_on_a_non_finite_loss():
    x, y = make_problem()
    model = make_model()
    opt = torch.optim.SGD(model.parameters(), lr=0.1)
    with pytest.raises(FloatingPointError, match="learning rate"):
        train.fit(model, DeviceBatches(x, y, batch_size=32, device="cpu"), optimizer=opt, epochs=1,
                  loss_fn=lambda m, b: ce_loss(m, b) * float("nan"), progress=False, device="cpu")


def test_step_fn_runs_a_custom_update_with_several_optimizers():
    x, y = make_problem()
    model = nn.ModuleDict({"a": nn.Linear(64, 2), "b": nn.Linear(64, 2)})
    opts = {n: torch.optim.SGD(model[n].parameters(), lr=0.1) for n in ("a", "b")}
    def step(m, batch):
        xb, yb = batch
        logs = {}
        for n in ("a", "b"):
            opts[n].zero_grad()
            loss = nn.functional.cross_entropy(m[n](xb.flatten(1)), yb)
            loss.backward()
            opts[n].step()
            logs[f"loss_{n}"] = loss.detach()
        return logs
    hist = train.fit(model, DeviceBatches(x, y, batch_size=32, device="cpu"), step_fn=step, optimizer=opts,
                     epochs=2, progress=False, verbose=False, device="cpu")
    assert set(hist) >= {"train_loss_a", "train_loss_b"}


def test_predict_returns_probabilities_and_restores_train_mode():
    x, y = make_problem()
    model = make_model()
    model.train()
    scores, labels = train.predict(model, DeviceBatches(x, y, batch_size=40, shuffle=False, device="cpu"))
    assert scores.shape == (96, 2) and labels.shape == (96,)
    np.testing.assert_allclose(scores.sum(1), 1.0, atol=1e-6)
    assert np.array_equal(labels, y.numpy())
    assert model.training


def test_predict_on_no_batches_says_what_it_expected():
    with pytest.raises(ValueError, match="batches gave no batch"):
        train.predict(make_model(), [])


def test_evaluate_gives_auc_and_accuracy_of_a_perfect_model():
    x, y = make_problem()
    class Oracle(nn.Module):
        def __init__(self):
            super().__init__()
            self.dummy = nn.Parameter(torch.zeros(1))
        def forward(self, xb):
            s = xb[:, 0, :4].mean((1, 2)) - xb[:, 0, 4:].mean((1, 2))
            return torch.stack([-s, s], 1) * 100
    res = train.evaluate(Oracle(), DeviceBatches(x, y, batch_size=32, shuffle=False, device="cpu"), "binary-class")
    assert res == {"auc": 1.0, "acc": 1.0}


def test_checkpoint_for_gives_each_configuration_its_own_file(tmp_path):
    a = train.checkpoint_for(tmp_path / "cnn.pt", {"lr": 0.1, "epochs": 5})
    assert a == train.checkpoint_for(tmp_path / "cnn.pt", {"epochs": 5, "lr": 0.1})
    assert a != train.checkpoint_for(tmp_path / "cnn.pt", {"lr": 0.1, "epochs": 8})
    assert a.parent == tmp_path and a.name.startswith("cnn-") and a.suffix == ".pt"


@pytest.mark.parametrize("given", ["cnn.pt", "05b_dcgan-v2.pt", "run-0123abcd.ckpt"])
def test_checkpoint_base_undoes_checkpoint_for(tmp_path, given):
    assert train.checkpoint_base(train.checkpoint_for(tmp_path / given, {"lr": 0.1})) == tmp_path / given


@pytest.mark.parametrize("name", ["cnn.pt", "cnn-0123abc.pt", "cnn-0123ABCD.pt", "cnn-0123abcd", "-0123abcd.pt"])
def test_checkpoint_base_is_none_for_a_name_checkpoint_for_does_not_make(name):
    assert train.checkpoint_base(name) is None


def test_the_epoch_log_gives_every_value_the_same_number_of_decimals():
    line = train.epoch_line({"epoch": 3, "train_loss": 0.5, "val_auc": 0.91234567, "lr": 0.003, "time_s": 12.345})
    assert line == "epoch   3  train_loss 0.5000  val_auc 0.9123  lr 3.00e-03  time_s 12.3"


# ------------------------------------------------ source_digest: a checkpoint named by the code that trains

def define_in_cell(source: str, cell: str) -> dict:
    """Run ``source`` as IPython runs a notebook cell: compiled under a file name of its own
    (``cell``), with its lines in linecache, so that inspect finds the functions' source."""
    import linecache

    filename = f"/tmp/ipykernel_{cell}/cell.py"
    linecache.cache[filename] = (len(source), None, source.splitlines(True), filename)
    namespace = {"nn": nn}
    exec(compile(source, filename, "exec"), namespace)
    return namespace


LOSS_CELL = "def generator_loss(fake_logits):\n    return -torch.nn.functional.logsigmoid(fake_logits).mean()\n"
NET_CELL = """class Discriminator(nn.Module):
    def __init__(self):
        super().__init__()
        self.net = nn.Sequential(nn.Linear(2, 1){tail})

    def forward(self, x):
        return self.net(x).squeeze(1)
"""


def test_source_digest_is_the_same_for_the_same_source_in_another_session():
    a = define_in_cell(LOSS_CELL, "1")["generator_loss"]
    b = define_in_cell(LOSS_CELL, "2")["generator_loss"]
    assert train.source_digest(a) == train.source_digest(b)


def test_source_digest_changes_when_a_function_changes():
    fixed = define_in_cell(LOSS_CELL, "1")["generator_loss"]
    saturating = define_in_cell(LOSS_CELL.replace("-torch.nn.functional.logsigmoid(fake_logits)",
                                                  "-torch.nn.functional.softplus(fake_logits)"), "2")["generator_loss"]
    assert train.source_digest(fixed) != train.source_digest(saturating)


def test_source_digest_changes_when_a_method_of_a_class_defined_in_a_cell_changes():
    logits = define_in_cell(NET_CELL.format(tail=""), "1")["Discriminator"]
    sigmoid = define_in_cell(NET_CELL.format(tail=", nn.Sigmoid()"), "2")["Discriminator"]
    assert list(logits().state_dict()) == list(sigmoid().state_dict())   # the weights cannot tell them apart
    assert train.source_digest(logits) != train.source_digest(sigmoid)


def test_source_digest_reads_the_bytecode_of_a_function_without_source():
    namespaces = [{}, {}]
    exec("def f(x):\n    return x + 1\n", namespaces[0])
    exec("def f(x):\n    return x + 2\n", namespaces[1])
    assert train.source_digest(namespaces[0]["f"]) != train.source_digest(namespaces[1]["f"])


def test_source_digest_rejects_what_is_not_code():
    with pytest.raises(TypeError, match="functions and classes"):
        train.source_digest(3)
    with pytest.raises(ValueError, match="at least one"):
        train.source_digest()


def test_checkpoint_names_change_when_coursekit_code_changes(monkeypatch):
    # a notebook re-run after a change to coursekit (a loss, a training step) must train again,
    # not resume the finished run of the old code
    before = train.checkpoint_for("checkpoints/cnn.pt", {"epochs": 3})
    monkeypatch.setattr(train, "_coursekit_digest", lambda: "other code")
    assert train.checkpoint_for("checkpoints/cnn.pt", {"epochs": 3}) != before


def test_model_fingerprint_tells_apart_notebook_models_that_differ_only_in_forward():
    logits = define_in_cell(NET_CELL.format(tail=""), "1")["Discriminator"]()
    sigmoid = define_in_cell(NET_CELL.format(tail="").replace("return self.net(x).squeeze(1)",
                                                             "return self.net(x).squeeze(1).sigmoid()"), "2")[
        "Discriminator"]()
    assert repr(logits) == repr(sigmoid)                    # same layers: the repr cannot tell them apart
    assert train.model_fingerprint(logits) != train.model_fingerprint(sigmoid)
    again = define_in_cell(NET_CELL.format(tail=""), "3")["Discriminator"]()
    assert train.model_fingerprint(again) == train.model_fingerprint(logits)   # same code, same name


# ---------------------------------------------------------------- what the mutation review found unpinned

def test_train_loss_is_the_mean_over_the_epochs_batches():
    """With a learning rate of 0 the model never changes, so the epoch's training loss is the
    loss on all the data: the mean over batches of equal size, not their sum."""
    x, y = make_problem()
    model = make_model().eval()        # no dropout, so every batch sees the same network
    opt = torch.optim.SGD(model.parameters(), lr=0.0)
    hist = train.fit(model, DeviceBatches(x, y, batch_size=16, device="cpu"), loss_fn=lambda m, b: ce_loss(m.eval(), b),
                     optimizer=opt, epochs=1, progress=False, verbose=False, device="cpu")
    with torch.no_grad():
        whole = float(ce_loss(model.eval(), (x, y)))   # fit leaves the model in training mode
    assert hist["train_loss"][0] == pytest.approx(whole, rel=1e-5)


def run_with(scheduler_fn, epochs, ckpt=None, resume=False, init_seed=0):
    x, y = make_problem()
    model = make_model(init_seed)
    opt = torch.optim.SGD(model.parameters(), lr=0.5)
    hist = train.fit(model, DeviceBatches(x, y, batch_size=16, seed=0, device="cpu"), loss_fn=ce_loss,
                     optimizer=opt, scheduler=scheduler_fn(opt), epochs=epochs, device="cpu", checkpoint=ckpt,
                     resume=resume, progress=False, verbose=False)
    return model, hist, opt.param_groups[0]["lr"]


@pytest.mark.parametrize("scheduler_fn", [lambda o: torch.optim.lr_scheduler.CosineAnnealingLR(o, T_max=4),
                                          lambda o: torch.optim.lr_scheduler.StepLR(o, step_size=2, gamma=0.5)],
                         ids=["cosine", "step every 2"])
def test_resume_restores_a_scheduler_whose_rate_depends_on_its_own_step_count(tmp_path, scheduler_fn):
    """StepLR(step_size=1) carries its state in the optimizer's rate, so a resume that forgets the
    scheduler still passes with it; a cosine or a two-epoch step does not."""
    _, _, full_lr = run_with(scheduler_fn, epochs=3)
    run_with(scheduler_fn, epochs=2, ckpt=tmp_path / "run.pt")
    _, _, resumed_lr = run_with(scheduler_fn, epochs=3, ckpt=tmp_path / "run.pt", resume=True, init_seed=7)
    assert resumed_lr == pytest.approx(full_lr)


def test_resume_keeps_the_best_epoch_from_before_the_interruption(tmp_path):
    x, y = make_problem()
    scores = {1: 0.9, 2: 0.5, 3: 0.6, 4: 0.7}

    def go(epochs):
        model = make_model()
        opt = torch.optim.SGD(model.parameters(), lr=0.05)
        epoch = iter(range(len(train_seen) + 1, 10))
        def val_fn(m):
            e = next(epoch)
            train_seen.append(e)
            return {"val_auc": scores[e]}
        return train.fit(model, DeviceBatches(x, y, batch_size=32, device="cpu"), loss_fn=ce_loss, optimizer=opt,
                         epochs=epochs, val_fn=val_fn, monitor="val_auc", checkpoint=tmp_path / "run.pt",
                         resume=True, progress=False, verbose=False, device="cpu")
    train_seen = []
    go(2)                               # epochs 1 and 2; the session dies
    hist = go(4)                        # epochs 3 and 4 in a fresh process
    assert hist.best_epoch == 1


def test_val_fn_sees_the_model_in_eval_mode_and_training_goes_on_in_train_mode():
    x, y = make_problem()
    model = make_model()
    modes = []
    def val_fn(m):
        modes.append(m.training)
        return {"val_acc": 0.5}
    def loss(m, b):
        modes.append(m.training)
        return ce_loss(m, b)
    train.fit(model, DeviceBatches(x, y, batch_size=48, device="cpu"), loss_fn=loss,
              optimizer=torch.optim.SGD(model.parameters(), lr=0.1), epochs=2, val_fn=val_fn,
              progress=False, verbose=False, device="cpu")
    assert modes == [True, True, False, True, True, False]


def test_clip_grad_norm_bounds_each_step():
    """One SGD step with lr 1 moves the weights by the gradient itself: clipped to norm 1, by at most 1."""
    x, y = make_problem()
    model = nn.Sequential(nn.Flatten(), nn.Linear(64, 2))
    before = torch.cat([p.detach().flatten().clone() for p in model.parameters()])
    train.fit(model, [(x, y)], loss_fn=lambda m, b: 200 * ce_loss(m, b),
              optimizer=torch.optim.SGD(model.parameters(), lr=1.0), epochs=1, clip_grad_norm=1.0,
              progress=False, verbose=False, device="cpu")
    after = torch.cat([p.detach().flatten() for p in model.parameters()])
    assert (after - before).norm() == pytest.approx(1.0, rel=1e-4)


def test_with_a_loss_fn_fit_refuses_several_optimizers():
    x, y = make_problem()
    model = make_model()
    opts = {n: torch.optim.SGD(model.parameters(), lr=0.1) for n in ("a", "b")}
    with pytest.raises(ValueError, match="with loss_fn, pass exactly one optimizer"):
        train.fit(model, DeviceBatches(x, y, batch_size=32, device="cpu"), loss_fn=ce_loss, optimizer=opts,
                  epochs=1, progress=False, verbose=False, device="cpu")


def test_fit_says_when_the_training_batches_are_empty():
    model = make_model()
    with pytest.raises(ValueError, match="yielded no batches"):
        train.fit(model, [], loss_fn=ce_loss, optimizer=torch.optim.SGD(model.parameters(), lr=0.1), epochs=1,
                  progress=False, verbose=False, device="cpu")


def test_a_loss_fn_that_returns_one_loss_per_sample_is_refused():
    x, y = make_problem()
    model = make_model()
    per_sample = lambda m, b: nn.functional.cross_entropy(m(b[0]), b[1], reduction="none")
    with pytest.raises(TypeError, match=r"loss_fn must return a scalar tensor.*\(32,\)"):
        train.fit(model, DeviceBatches(x, y, batch_size=32, device="cpu"), loss_fn=per_sample,
                  optimizer=torch.optim.SGD(model.parameters(), lr=0.1), epochs=1, progress=False,
                  verbose=False, device="cpu")


@pytest.mark.parametrize("mode", ["max", "min"])
def test_monitor_keeps_the_first_of_equally_good_epochs(mode):
    _, hist, _ = fit_with_scores([0.5, 0.5, 0.5], monitor="val_auc", mode=mode)
    assert hist.best_epoch == 1


def test_monitor_with_mode_min_restores_the_epoch_of_the_lowest_value():
    model, hist, snapshots = fit_with_scores([0.5, 0.2, 0.7], monitor="val_auc", mode="min")
    assert hist.best_epoch == 2
    for k, v in model.state_dict().items():
        assert torch.equal(v, snapshots[1][k])


def test_restore_best_false_keeps_the_last_epoch_weights():
    model, hist, snapshots = fit_with_scores([0.5, 0.9, 0.7], monitor="val_auc", restore_best=False)
    assert hist.best_epoch == 2
    for k, v in model.state_dict().items():
        assert torch.equal(v, snapshots[2][k])


def test_a_monitor_that_val_fn_does_not_record_is_a_clear_error():
    with pytest.raises(KeyError, match="monitor='val_acc' is not among the recorded values"):
        fit_with_scores([0.5], monitor="val_acc")


def test_predict_refuses_an_unknown_activation():
    x, y = make_problem()
    with pytest.raises(ValueError, match="activation must be 'softmax' or 'sigmoid'; got 'relu'"):
        train.predict(make_model(), [(x, y)], activation="relu")


def test_predict_refuses_a_model_whose_outputs_are_not_n_by_classes():
    x, y = make_problem()
    model = nn.Sequential(make_model(), nn.Flatten(0))          # (N, 2) logits flattened to (2N,)
    with pytest.raises(ValueError, match=r"logits of shape \(N, n_classes\); got \(192,\)"):
        train.predict(model, [(x, y)])


def test_predict_leaves_a_model_in_eval_mode_in_eval_mode():
    x, y = make_problem()
    model = make_model().eval()
    train.predict(model, DeviceBatches(x, y, batch_size=40, shuffle=False, device="cpu"))
    assert not model.training


def test_evaluate_scores_a_multi_label_task_with_sigmoids_not_a_softmax():
    from coursekit import metrics
    g = torch.Generator().manual_seed(0)
    x, y = torch.rand(64, 1, 8, 8, generator=g), torch.randint(0, 2, (64, 3), generator=g)
    torch.manual_seed(0)
    model = nn.Sequential(nn.Flatten(), nn.Linear(64, 3))
    res = train.evaluate(model, DeviceBatches(x, y, batch_size=64, shuffle=False, device="cpu"), "multi-label, binary-class")
    with torch.no_grad():
        p = model(x).sigmoid().double().numpy()
    assert res["auc"] == pytest.approx(metrics.auc(y.numpy(), p, "multi-label, binary-class"))
    assert res["acc"] == pytest.approx(metrics.accuracy(y.numpy(), p, "multi-label, binary-class"))


@pytest.mark.parametrize("start_in_train_mode", [True, False])
def test_evaluating_runs_the_block_in_eval_mode_and_gives_the_model_back_in_its_mode(start_in_train_mode):
    model = make_model().train(start_in_train_mode)
    with pytest.raises(RuntimeError):
        with train.evaluating(model):
            assert not model.training and not model[2].training     # dropout off inside
            raise RuntimeError("a failing forward pass")
    assert model.training == start_in_train_mode


def test_predict_refuses_a_softmax_over_a_single_output():
    # a softmax over one logit is 1 for every image: AUC 0.5 and no error, whatever the model learned
    x, y = make_problem()
    one_logit = nn.Sequential(nn.Flatten(), nn.Linear(x[0].numel(), 1))
    with pytest.raises(ValueError, match="one output per image.*activation='sigmoid'"):
        train.evaluate(one_logit, DeviceBatches(x, y, batch_size=32, shuffle=False, device="cpu"), "binary-class")


def test_predict_of_a_single_logit_with_a_sigmoid_scores_the_positive_class():
    x, y = make_problem()
    one_logit = nn.Sequential(nn.Flatten(), nn.Linear(x[0].numel(), 1))
    scores, _ = train.predict(one_logit, DeviceBatches(x, y, batch_size=32, shuffle=False, device="cpu"),
                              activation="sigmoid")
    assert scores.shape == (len(x), 1) and 0 < scores.min() and scores.max() < 1


def test_predict_of_batches_without_labels_says_it_expects_pairs():
    x, _ = make_problem()
    with pytest.raises(TypeError, match=r"\(images, labels\) pairs"):
        train.predict(make_model(), DeviceBatches(x, batch_size=32, shuffle=False, device="cpu"))


def test_predict_of_batches_with_a_third_item_says_it_expects_pairs():
    x, y = make_problem()
    with pytest.raises(TypeError, match=r"\(images, labels\) pairs; got a batch of"):
        train.predict(make_model(), [(x[:8], y[:8], x[:8])])


def test_predict_keeps_confident_scores_apart_instead_of_rounding_them_to_one():
    """A float32 softmax is exactly 1.0 once the logit margin passes about 17: the AUC of a
    confident model then depends on rounding, not only on how its logits are ordered."""
    margins = torch.tensor([[20.0], [25.0], [30.0]])
    logits = torch.cat([torch.zeros(3, 1), margins], dim=1)                 # class 1 ever more certain
    model = nn.Sequential(nn.Flatten(), nn.Linear(2, 2, bias=False))
    with torch.no_grad():
        model[1].weight.copy_(torch.eye(2))
    scores, _ = train.predict(model, [(logits, torch.zeros(3, dtype=torch.int64))], device="cpu")
    assert len(np.unique(scores[:, 1])) == 3
    assert np.all(np.diff(scores[:, 1]) > 0)


@pytest.mark.parametrize("value, shown", [("0", False), ("false", False), ("No", False), ("", True), ("1", True)])
def test_coursekit_progress_takes_the_usual_spellings_of_yes_and_no(monkeypatch, capsys, value, shown):
    monkeypatch.setenv("COURSEKIT_PROGRESS", value)
    x, y = make_problem()
    model = make_model()
    train.fit(model, DeviceBatches(x, y, batch_size=32, device="cpu"), loss_fn=ce_loss,
              optimizer=torch.optim.SGD(model.parameters(), lr=0.1), epochs=1, verbose=False, device="cpu")
    assert ("epoch 1/1" in capsys.readouterr().err) == shown


def test_coursekit_progress_that_is_neither_yes_nor_no_is_a_clear_error(monkeypatch):
    monkeypatch.setenv("COURSEKIT_PROGRESS", "quiet")
    model = make_model()
    with pytest.raises(ValueError, match="COURSEKIT_PROGRESS='quiet' is not a yes/no setting"):
        train.fit(model, [], loss_fn=ce_loss, optimizer=torch.optim.SGD(model.parameters(), lr=0.1), epochs=1,
                  verbose=False, device="cpu")


def test_checkpoint_for_names_a_numpy_number_as_the_python_number_it_equals(tmp_path):
    # np.int64(64) was hashed as the string "64": the run started over instead of resuming
    typed = train.checkpoint_for(tmp_path / "run.pt", {"lr": 0.1, "batch_size": 64})
    computed = train.checkpoint_for(tmp_path / "run.pt", {"lr": np.float64(0.1), "batch_size": np.int64(64)})
    assert computed == typed


def test_a_numpy_key_in_hparams_is_kept_as_the_python_string_and_resumes(tmp_path):
    x, y = make_problem()
    hparams = dict(zip(np.array(["lr", "width"]), [0.1, 8]))

    def run(epochs):
        model = make_model()
        train.fit(model, DeviceBatches(x, y, batch_size=32, device="cpu"), loss_fn=ce_loss,
                  optimizer=torch.optim.SGD(model.parameters(), lr=0.1), epochs=epochs, resume=True,
                  checkpoint=tmp_path / "run.pt", hparams=hparams, progress=False, verbose=False, device="cpu")

    run(1)
    run(2)
    assert train.load_checkpoint(tmp_path / "run.pt")["epoch"] == 2

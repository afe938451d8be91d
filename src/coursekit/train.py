"""One training loop for every chapter: :func:`fit`.

What it does, and nothing more:

* moves each batch to the device, runs ``loss_fn`` under mixed precision on
  CUDA (see :mod:`coursekit.device`), steps the optimizer, records the mean
  training loss and whatever ``val_fn`` returns after each epoch;
* writes a checkpoint after every epoch *atomically* (temporary file, then
  rename), with model, optimizer(s), scheduler, scaler, history and random
  states. A checkpoint holds data only (tensors and plain Python values) and is
  read as data only (``torch.load(weights_only=True)``): a checkpoint file can never run
  code, even one downloaded or shared;
* ``resume=True`` continues an interrupted run from that checkpoint and ends
  with the same weights and history as an uninterrupted run (on the CPU
  exactly; on a GPU up to non-deterministic kernels). Colab disconnects: write
  ``resume=True`` in every notebook, so re-running the cell picks up where the
  session died;
* optional model selection: ``monitor="val_auc"`` keeps the best epoch's
  weights and restores them at the end.

An existing checkpoint is never overwritten silently: with ``resume=False``
:func:`fit` refuses to start and says how to continue or start over, and a run stops
before it overwrites a checkpoint that another run wrote while it trained.

Batches are ``(x, y)`` tuples (or anything :func:`to_device` can move);
``loss_fn(model, batch) -> loss`` or ``(loss, {name: float})``. GAN-style
training with several optimizers passes ``step_fn(model, batch) -> {name:
float}`` instead, which does its own backward passes and steps.
"""
from __future__ import annotations

import functools
import io
import math
import os
import pickle
import random
import re
import secrets
import time
import zipfile
from contextlib import contextmanager
from pathlib import Path
from typing import Callable, Iterable, Mapping

import numpy as np
import torch
from torch import nn

from . import device as _device
from . import metrics as _metrics
from .checks import _describe, check_positive_int, env_flag, is_real
from .files import atomic_write, check_writable

__all__ = ["History", "fit", "to_device", "evaluating", "predict", "evaluate", "save_checkpoint", "load_checkpoint",
           "checkpoint_for", "checkpoint_base", "digest_tensors", "model_fingerprint", "source_digest",
           "epoch_line"]

CHECKPOINT_FORMAT = 2   # 2: data only, read with weights_only=True; 1 pickled NumPy's random state as an array


class History(dict):
    """Per-epoch records: ``{"epoch": [1, 2, ...], "train_loss": [...], ...}``."""

    def append(self, row: Mapping[str, float]) -> None:
        for key, value in row.items():
            self.setdefault(key, []).append(float(value))

    def last(self, key: str) -> float:
        return self[key][-1]

    def seconds(self) -> float:
        """The training time: the sum of the per-epoch ``time_s`` (validation included).
        Epochs trained before a resume count too, since the history comes from the checkpoint."""
        return float(sum(self["time_s"]))

    def __repr__(self) -> str:
        n = len(self.get("epoch", []))
        keys = ", ".join(k for k in self if k != "epoch")
        return f"History({n} epochs: {keys})"


def to_device(batch, device: torch.device):
    """Move a tensor, or a tuple/list/dict of tensors, to ``device``."""
    if isinstance(batch, torch.Tensor):
        return batch.to(device, non_blocking=True)
    if isinstance(batch, (tuple, list)):
        return type(batch)(to_device(b, device) for b in batch)
    if isinstance(batch, dict):
        return {k: to_device(v, device) for k, v in batch.items()}
    return batch


def _optimizers(optimizer) -> dict[str, torch.optim.Optimizer]:
    if optimizer is None:
        return {}
    if isinstance(optimizer, torch.optim.Optimizer):
        return {"optimizer": optimizer}
    if isinstance(optimizer, Mapping) and all(isinstance(o, torch.optim.Optimizer) for o in optimizer.values()):
        return dict(optimizer)
    raise TypeError("optimizer must be a torch.optim.Optimizer or a dict of them; "
                    f"got {type(optimizer).__name__}")


# how torch computes a step, not what the step is: may differ between torch versions
_IMPLEMENTATION = {"params", "foreach", "fused", "capturable", "differentiable"}


def _optimizer_settings(opts: Mapping) -> dict:
    """What decides each optimizer's updates: ``{name: {"class": "SGD", "param_groups": [{"lr":
    0.5, "momentum": 0.9, ...}, ...]}}`` (a tensor setting as a number, to compare with ``==``)."""
    return {name: {"class": type(opt).__name__,
                   "param_groups": [{k: v.tolist() if isinstance(v, torch.Tensor) else v
                                     for k, v in group.items() if k not in _IMPLEMENTATION}
                                    for group in opt.param_groups]}
            for name, opt in opts.items()}


def _settings_differences(saved: Mapping, now: Mapping) -> list[str]:
    """How the optimizer settings ``now`` differ from those ``saved`` in a checkpoint, e.g.
    ``["lr: 0.5 in the checkpoint, 0.001 now"]``; ``[]`` if they do not. A setting that only
    one side has (another torch version) is not compared."""
    if saved.keys() != now.keys():
        return [f"optimizers {sorted(saved)} in the checkpoint, {sorted(now)} now"]
    found = []
    for name, new in now.items():
        old, who = saved[name], "" if len(now) == 1 else f"{name}: "
        if old["class"] != new["class"]:
            found.append(f"{who}optimizer {old['class']} in the checkpoint, {new['class']} now")
        elif len(old["param_groups"]) != len(new["param_groups"]):
            found.append(f"{who}{len(old['param_groups'])} parameter groups in the checkpoint, "
                         f"{len(new['param_groups'])} now")
        else:
            for i, (a, b) in enumerate(zip(old["param_groups"], new["param_groups"])):
                group = "" if len(new["param_groups"]) == 1 else f"group {i} "
                found += [f"{who}{group}{k}: {a[k]!r} in the checkpoint, {b[k]!r} now"
                          for k in sorted(a.keys() & b.keys()) if a[k] != b[k]]
    return found


def _check_same_optimizers(ckpt: Path, saved: Mapping, now: Mapping) -> None:
    """Refuse to resume ``ckpt`` with optimizers other than its own: loading its state would
    replace their settings silently (or fail: Adam needs the ``betas`` SGD lacks). ``saved``
    holds the settings as the run began (``"start"``) and at its last save (``"last"``): the
    optimizer a finished :func:`fit` left behind, its rate moved by a scheduler, may go on."""
    differences = _settings_differences(saved["start"], now)
    if differences and _settings_differences(saved["last"], now):
        raise ValueError(f"checkpoint {ckpt} was written with other optimizer settings ("
                         + "; ".join(differences) + "): resuming would train on with the checkpoint's. "
                         "To continue that run, create the optimizer as it was; for the new settings, "
                         f"use another checkpoint path (or move {ckpt} away to start over).")


def _schedulers(scheduler) -> dict:
    """``{name: scheduler}``: one scheduler as ``{"scheduler": it}``, a dict (one per optimizer) as it is."""
    if scheduler is None:
        return {}
    scheds = dict(scheduler) if isinstance(scheduler, Mapping) else {"scheduler": scheduler}
    for name, sched in scheds.items():
        if not all(hasattr(sched, a) for a in ("step", "state_dict", "load_state_dict")):
            raise TypeError(f"scheduler {name!r} must be a torch.optim.lr_scheduler (step, state_dict, "
                            f"load_state_dict); got {type(sched).__name__}")
        if isinstance(sched, torch.optim.lr_scheduler.ReduceLROnPlateau):
            # fit steps schedulers with no argument; this one needs the metric it watches
            raise TypeError(f"scheduler {name!r} is a ReduceLROnPlateau, whose step() needs a validation "
                            "metric; fit steps its schedulers once per epoch without one. Use a schedule "
                            "that depends on the epoch only (e.g. CosineAnnealingLR, StepLR).")
    return scheds


def _scheduler_state(scheduler, scheds: dict):
    """What a checkpoint keeps: ``None``, one state dict, or ``{name: state dict}`` for a dict of schedulers."""
    if not scheds:
        return None
    if isinstance(scheduler, Mapping):
        return {name: sched.state_dict() for name, sched in scheds.items()}
    return scheds["scheduler"].state_dict()


def _numpy_state() -> list:
    """NumPy's global random state as plain values: ``[name, 624 keys, pos, has_gauss, cached]``.
    (As an array it needs NumPy's classes to load, and the NumPy that wrote it: one written with
    NumPy 2 does not load under NumPy 1.)"""
    name, keys, pos, has_gauss, cached = np.random.get_state()
    return [str(name), keys.tolist(), int(pos), int(has_gauss), float(cached)]


def _rng_state(train) -> dict:
    state = {"python": random.getstate(), "numpy": _numpy_state(), "torch": torch.get_rng_state()}
    if torch.cuda.is_available():
        state["cuda"] = torch.cuda.get_rng_state_all()
    gen = getattr(train, "generator", None)
    if isinstance(gen, torch.Generator):
        state["loader"] = gen.get_state()
    transform = getattr(train, "transform", None)
    if callable(getattr(transform, "get_state", None)):
        state["transform"] = transform.get_state()
    return state


def _set_rng_state(state: dict, train) -> None:
    random.setstate(state["python"])
    name, keys, *rest = state["numpy"]
    np.random.set_state((name, np.array(keys, dtype=np.uint32), *rest))
    torch.set_rng_state(state["torch"])
    if "cuda" in state and torch.cuda.is_available():   # as many GPUs as both machines have
        for index, cuda_state in enumerate(state["cuda"][:torch.cuda.device_count()]):
            torch.cuda.set_rng_state(cuda_state, index)
    gen = getattr(train, "generator", None)
    if "loader" in state and isinstance(gen, torch.Generator):
        gen.set_state(state["loader"])
    transform = getattr(train, "transform", None)
    if "transform" in state and callable(getattr(transform, "set_state", None)):
        transform.set_state(state["transform"])


def digest_tensors(*tensors) -> str:
    """A short fingerprint (12 hex digits) of tensors' contents; ``None`` entries are skipped.
    Names checkpoints by their training data (:func:`checkpoint_for`)."""
    import hashlib

    h = hashlib.sha256()
    for t in tensors:
        if t is not None:
            h.update(t.detach().cpu().contiguous().numpy().tobytes())
    return h.hexdigest()[:12]


def model_fingerprint(model: nn.Module) -> dict:
    """What identifies an architecture in a checkpoint's name: the class, the number of
    parameters and a digest of ``repr(model)`` (layer sizes, dropout rates, ...), and for a
    class defined outside torch and coursekit (in a notebook, say) a digest of its source
    (:func:`source_digest`), so that a model changed in its layers *or* its ``forward`` never
    resumes another model's run. (coursekit's own models are covered by the digest of
    coursekit's code that :func:`checkpoint_for` adds.)"""
    import hashlib

    out = {"model": type(model).__name__, "parameters": sum(p.numel() for p in model.parameters()),
           "architecture": hashlib.sha256(repr(model).encode()).hexdigest()[:8]}
    if not type(model).__module__.split(".")[0] in ("torch", "coursekit"):
        out["code"] = source_digest(type(model))
    return out


_CLASS_NOISE = {"__module__", "__qualname__", "__doc__", "__dict__", "__weakref__", "__firstlineno__",
                "__static_attributes__", "__annotations__"}


def _code_text(code) -> str:
    """A code object's bytecode, names and constants (nested code objects recursed), without
    its file name or line numbers: what identifies a function whose source is not available."""
    consts = [_code_text(c) if hasattr(c, "co_code") else repr(c) for c in code.co_consts]
    return f"{code.co_code.hex()}|{code.co_names}|{code.co_varnames}|{consts}"


def _source_text(obj) -> str:
    import inspect

    if isinstance(obj, (staticmethod, classmethod)):
        obj = obj.__func__
    if isinstance(obj, property):
        return "".join(_source_text(f) for f in (obj.fget, obj.fset, obj.fdel) if f is not None)
    if isinstance(obj, type):
        # inspect.getsource(cls) fails for a class defined in a notebook cell (Python < 3.13);
        # the source of each method it defines works everywhere.
        parts = [f"class {obj.__qualname__}({', '.join(b.__qualname__ for b in obj.__bases__)}):"]
        for name, member in vars(obj).items():
            if name in _CLASS_NOISE:
                continue
            if callable(member) or isinstance(member, (staticmethod, classmethod, property)):
                parts.append(_source_text(member))
            else:
                parts.append(f"{name} = {member!r}")
        return "\n".join(parts)
    func = inspect.unwrap(obj)
    try:
        return inspect.getsource(func)
    except (OSError, TypeError):
        code = getattr(func, "__code__", None)
        if code is None:
            raise TypeError(f"source_digest takes functions and classes; got {obj!r}") from None
        return _code_text(code)


def source_digest(*objects) -> str:
    """A short digest (8 hex characters) of the source code of ``objects``: functions
    and classes, as a student defined them in a notebook.

    Put it in the ``hparams`` of :func:`checkpoint_for`: once the student
    edits a loss, a training step or a network and runs the training cell again, the
    checkpoint gets another name and training starts afresh, instead of
    reloading the finished run of the old code. Unchanged code gives the same digest in a
    new session, so an interrupted run still resumes. A class contributes the source of
    each method it defines (and the ``repr`` of its other attributes); a function whose
    source cannot be read (defined with ``exec``) contributes its bytecode and constants.
    Any edit counts, a comment too.
    """
    import hashlib

    if not objects:
        raise ValueError("source_digest needs at least one function or class")
    text = "\n\n".join(_source_text(obj) for obj in objects)
    return hashlib.sha256(text.encode()).hexdigest()[:8]


@functools.lru_cache(maxsize=None)
def _coursekit_digest() -> str:
    """The digest of coursekit's code, read once per process: the code that process runs."""
    from .bench import code_digest

    return code_digest([Path(__file__).parent])


def checkpoint_for(path: str | os.PathLike, hparams: Mapping) -> Path:
    """``path`` with a short fingerprint of ``hparams`` added to its name:
    ``checkpoints/cnn.pt`` -> ``checkpoints/cnn-3f2a9c1e.pt``.

    Changing a parameter then starts a new run in a new file, and the old
    run's checkpoint stays where it was (nothing is overwritten). The fingerprint also
    covers coursekit's own code (:func:`coursekit.bench.code_digest` of the package), so that
    a run trained by other code (another loss, training step or model in coursekit) is not
    resumed as if it were this code's: after an update of coursekit, training starts afresh.
    Code outside coursekit belongs in ``hparams`` (:func:`model_fingerprint`, :func:`source_digest`)."""
    import hashlib
    import json

    path = Path(path)
    named = {**_plain(dict(hparams), "hparams"), "coursekit code": _coursekit_digest()}   # np.int64(64) as 64
    digest = hashlib.sha256(json.dumps(named, sort_keys=True, default=str).encode()).hexdigest()[:8]
    return path.with_name(f"{path.stem}-{digest}{path.suffix or '.pt'}")


_FINGERPRINTED = re.compile(r"(?P<stem>.+)-[0-9a-f]{8}(?P<suffix>\.[^.]+)")   # the names checkpoint_for makes


def checkpoint_base(path: str | os.PathLike) -> Path | None:
    """The path that :func:`checkpoint_for` turned into ``path``: ``checkpoints/cnn-3f2a9c1e.pt``
    -> ``checkpoints/cnn.pt``; None for a name that checkpoint_for does not make."""
    path = Path(path)
    named = _FINGERPRINTED.fullmatch(path.name)
    return None if named is None else path.with_name(named["stem"] + named["suffix"])


def run_settings(fit_kwargs: Mapping) -> dict:
    """The arguments among ``fit_kwargs`` (keyword arguments for :func:`fit`) that change what
    a run trains, as entries of its hparams: ``{"clip_grad_norm": 1.0}``, or ``{}`` with fit's
    defaults. :func:`fit` adds them to the hparams it keeps and compares on resume; a trainer
    that names its checkpoint with :func:`checkpoint_for` adds them first, so that a run with
    clipping switched on starts a new file instead of resuming the unclipped run."""
    clip = fit_kwargs.get("clip_grad_norm")
    return {} if clip is None else {"clip_grad_norm": clip}


def save_checkpoint(path: str | os.PathLike, state: dict) -> Path:
    """Write ``state`` with ``torch.save`` atomically (:func:`coursekit.files.atomic_write`):
    a crash mid-write leaves the previous checkpoint intact."""
    return atomic_write(path, lambda f: torch.save(state, f))


def _check_storable(parts: Mapping) -> None:
    """Refuse, before the first epoch, what a checkpoint could not load back as data only:
    ``parts`` maps a description (``"the scheduler's state"``) to what the checkpoint will keep.
    Which objects ``torch.load(weights_only=True)`` accepts depends on torch's version (torch
    2.3 refuses the ``collections.Counter`` in a MultiStepLR's state), so torch itself is asked."""
    for what, value in parts.items():
        buffer = io.BytesIO()
        torch.save(value, buffer)
        buffer.seek(0)
        try:
            torch.load(buffer, weights_only=True)
        except pickle.UnpicklingError as err:
            raise TypeError(f"{what} holds an object that a checkpoint cannot keep: checkpoints are read as data "
                            "only (tensors and plain Python values, torch.load(weights_only=True)), and this torch "
                            "refuses it (see the error above). Keep plain values there, use another scheduler or "
                            "a newer torch, or pass checkpoint=None to train without one.") from err


def _damaged(path: Path) -> ValueError:
    return ValueError(f"checkpoint {path} is damaged or not a checkpoint ({path.stat().st_size} bytes that torch.load "
                      "cannot read: cut short by a crash or a full disk, or a download that gave an error page). "
                      "Move it away or delete it to start over.")


def load_checkpoint(path: str | os.PathLike, trusted: bool = False) -> dict:
    """Load a checkpoint written by :func:`fit`, as data only (``torch.load(weights_only=True)``,
    tensors on the CPU): unpickling anything else could run code, so a file holding anything else
    raises a ValueError, as does a checkpoint of an older coursekit (which :func:`fit` cannot
    resume: move it away or delete it to start over) and a file that is not a whole checkpoint
    (cut short, empty, an HTML page). ``trusted=True`` unpickles the file in full and accepts the
    older formats: only for a file you made yourself, e.g. to take the ``"model"`` weights out
    of an older checkpoint."""
    path = Path(path)
    if not path.is_file():
        raise FileNotFoundError(f"no checkpoint at {path}")
    with open(path, "rb") as f:
        if not zipfile.is_zipfile(f):      # torch.save writes a zip archive; a cut one lacks its directory
            raise _damaged(path)
    start_over = "Move it away or delete it to start over"
    try:
        state = torch.load(path, map_location="cpu", weights_only=not trusted)
    except pickle.UnpicklingError as err:
        if trusted:
            raise _damaged(path) from err
        raise ValueError(f"checkpoint {path} holds objects other than tensors and plain Python values, and "
                         "unpickling them could run code, so coursekit reads checkpoints as data only. Such a "
                         f"file is a checkpoint of an older coursekit (before format {CHECKPOINT_FORMAT}), which "
                         f"fit cannot resume, or not a coursekit checkpoint. {start_over}. If you made the file "
                         "yourself and trust it, load_checkpoint(path, trusted=True) reads it in full.") from err
    except (RuntimeError, EOFError) as err:   # a whole archive with garbled contents
        raise _damaged(path) from err
    fmt = state.get("format") if isinstance(state, dict) else None
    older = isinstance(fmt, int) and 1 <= fmt < CHECKPOINT_FORMAT
    if fmt == CHECKPOINT_FORMAT or (older and trusted):
        return state
    if older:
        raise ValueError(f"checkpoint {path} was written by an older coursekit (format {fmt}; this one writes "
                         f"format {CHECKPOINT_FORMAT}), which fit cannot resume. {start_over} "
                         "(load_checkpoint(path, trusted=True) still reads it).")
    raise ValueError(f"{path} is not a coursekit checkpoint (format {CHECKPOINT_FORMAT}); "
                     "was it written by coursekit.train.fit?")


_PLAIN = (type(None), bool, int, float, str)


def _plain(value, where: str):
    """``value`` as plain Python values (``None``, bool, int, float, str, and lists, tuples and
    dicts of them; a NumPy number as the Python number it equals, ``np.float64(0.1)`` as 0.1),
    which a checkpoint stores as data and compares exactly with ``==``. Anything else is refused
    (a tensor compared so is neither true nor false)."""
    if type(value) in (list, tuple):
        return type(value)(_plain(item, f"{where}[{i}]") for i, item in enumerate(value))
    if type(value) is dict:
        return {_plain(key, f"a key of {where}"): _plain(item, f"{where}[{key!r}]") for key, item in value.items()}
    if isinstance(value, np.generic) and value.ndim == 0 and type(value.item()) in _PLAIN:
        return value.item()
    if type(value) not in _PLAIN:
        raise TypeError(f"{where} is a {type(value).__module__}.{type(value).__qualname__}; hparams hold plain "
                        "Python values (None, bool, int, float, str, and lists, tuples and dicts of them), which "
                        "a checkpoint keeps and compares exactly: convert it (float(x), int(x), x.tolist())")
    return value


def _stat(path: Path) -> tuple:
    """What ``stat`` says of ``path`` that changes when it is replaced or rewritten."""
    st = path.stat()
    return st.st_ino, st.st_size, st.st_mtime_ns


def _check_still_ours(ckpt: Path, seen: tuple | None) -> None:
    """Refuse to overwrite ``ckpt`` if another run (another notebook or process training to the
    same file) wrote it since this run read or last wrote it: each would overwrite the other's
    epochs. ``seen`` is ``(save_id, stat)`` of the file then, or None if there was none. Where
    :func:`_stat` differs (a synchronised folder may change a file's times) the ``save_id``
    inside decides. A file moved away or deleted meanwhile is nobody's run: writing it loses
    nothing. No lock file, so a crashed run leaves nothing behind that blocks the next."""
    if not ckpt.exists():
        return
    if seen is not None:
        if _stat(ckpt) == seen[1]:
            return
        try:
            if load_checkpoint(ckpt).get("save_id") == seen[0]:
                return
        except ValueError:
            pass
    raise RuntimeError(f"checkpoint {ckpt} was written by another run since this one "
                       f"{'began' if seen is None else 'last saved it'}: two runs are training to the same file "
                       "(two notebooks, or a cell run twice at once?), and each would overwrite the other's "
                       "epochs. This run stops without writing; give each run its own checkpoint path.")


def _check_fit_args(model, epochs, loss_fn, step_fn, checkpoint, resume, mode, clip_grad_norm):
    if not isinstance(model, nn.Module):
        raise TypeError(f"model must be a torch.nn.Module; got {type(model).__name__}")
    check_positive_int(epochs, "epochs")
    if (loss_fn is None) == (step_fn is None):
        raise ValueError("pass exactly one of loss_fn (fit does backward and step) "
                         "or step_fn (your function does them, e.g. for GANs)")
    if clip_grad_norm is not None:
        if not (is_real(clip_grad_norm) and 0 < clip_grad_norm < math.inf):
            raise ValueError(f"clip_grad_norm must be a number > 0 (the largest gradient norm), or None "
                             f"for no clipping; got {clip_grad_norm!r}")
        if step_fn is not None:
            raise ValueError("clip_grad_norm applies to the steps fit takes with loss_fn; a step_fn takes its "
                             "own steps and must clip its gradients itself (torch.nn.utils.clip_grad_norm_)")
    if resume and checkpoint is None:
        raise ValueError("resume=True needs a checkpoint path to resume from")
    if mode not in ("max", "min"):
        raise ValueError(f"mode must be 'max' or 'min'; got {mode!r}")


def fit(model: nn.Module, train: Iterable, *, loss_fn: Callable | None = None,
        optimizer=None, epochs: int, val_fn: Callable[[nn.Module], Mapping[str, float]] | None = None,
        device: torch.device | str | None = None, amp: bool = True, scheduler=None,
        checkpoint: str | os.PathLike | None = None, resume: bool = False,
        monitor: str | None = None, mode: str = "max", restore_best: bool = True,
        hparams: Mapping | None = None, clip_grad_norm: float | None = None,
        step_fn: Callable | None = None, progress: bool | None = None, verbose: bool = True) -> History:
    """Train ``model`` for ``epochs`` epochs over ``train`` and return the :class:`History`.

    Arguments
    ---------
    train: iterable of batches, re-iterated every epoch (a
        :class:`coursekit.data.DeviceBatches` or a ``DataLoader``). If it has
        ``set_epoch(e)`` it is called before epoch ``e`` (0-based). The
        random state a checkpoint keeps includes a ``DataLoader``'s
        ``generator`` and the ``transform`` of ``train`` where that has
        ``get_state()`` / ``set_state()`` (e.g. :class:`coursekit.classify.RandomShift`).
    loss_fn: ``loss_fn(model, batch) -> loss`` (a scalar tensor) or
        ``(loss, {name: float})``; the extra values are averaged over the epoch.
    optimizer: a ``torch.optim.Optimizer`` (or a dict of them with ``step_fn``).
    val_fn: ``val_fn(model) -> {name: float}``, run after every epoch with
        the model in eval mode and gradients off.
    scheduler: stepped once per epoch, after validation; a dict of them
        (one per optimizer of a dict, e.g. ``{"G": ..., "D": ...}``) is stepped
        together.
    checkpoint: file written atomically after every epoch. Before the first, fit checks
        that it can be written and that what it keeps beyond tensors (the scheduler's state,
        the optimizers' settings, ``train``'s random state) loads back as data only
        (``torch.load(weights_only=True)``).
    resume: continue from ``checkpoint`` if it exists (start fresh if not); it is read with
        :func:`load_checkpoint`, which refuses damaged files and those of an older coursekit.
    monitor / mode: a key of ``val_fn``'s result to select the best epoch by;
        with ``restore_best`` the best weights are loaded at the end.
    hparams: a dict saved in the checkpoint and compared on resume, so a
        checkpoint of another configuration is not continued by mistake (fit adds
        ``clip_grad_norm`` to it when set: :func:`run_settings`). Its values are
        plain Python values (None, bool, int, float, str, and lists, tuples and dicts of
        them; a NumPy number is kept as the Python number it equals); anything else (a
        tensor, an array) is refused before training. The
        optimizers' class and settings (``lr``, ``momentum``, ...) are compared too: a resume
        with other ones is refused instead of training on with the checkpoint's.
    device: where to train (default :func:`coursekit.device.get_device`); the
        model is moved there.
    amp: mixed precision for ``loss_fn`` steps, on CUDA only (bfloat16, or
        float16 with a gradient scaler, as :mod:`coursekit.device` chooses);
        ignored on the CPU. A ``step_fn`` manages its own precision.
    clip_grad_norm: with ``loss_fn``, the norm of all the gradients together is clipped to it
        before every optimizer step (``None``, the default: no clipping). A ``step_fn`` clips, if
        it wants to, itself: fit refuses ``clip_grad_norm`` with one.
    step_fn: ``step_fn(model, batch) -> {name: float}`` does a whole training
        step itself (e.g. a GAN's two updates) instead of ``loss_fn``.
    progress: tqdm bars (default: on unless ``COURSEKIT_PROGRESS`` is ``0``, ``false``, ``no``
        or ``off``).
    verbose: print one line per epoch (and where a run resumes).

    The model trains in training mode and is left in it (with the best epoch's weights when
    ``monitor`` and ``restore_best``): call ``model.eval()`` before using it for predictions of
    your own (:func:`predict` and :func:`evaluate` switch to eval mode themselves).
    """
    _check_fit_args(model, epochs, loss_fn, step_fn, checkpoint, resume, mode, clip_grad_norm)
    opts = _optimizers(optimizer)
    scheds = _schedulers(scheduler)
    if loss_fn is not None and len(opts) != 1:
        raise ValueError("with loss_fn, pass exactly one optimizer")
    dev = _device.get_device(device)
    model.to(dev)
    use_amp = amp and dev.type == "cuda"
    scaler = _device.grad_scaler(dev, enabled=use_amp)
    if progress is None:
        progress = env_flag("COURSEKIT_PROGRESS") if os.environ.get("COURSEKIT_PROGRESS", "").strip() else True
    hparams = _plain({**(hparams or {}), **run_settings({"clip_grad_norm": clip_grad_norm})}, "hparams")

    history, start, best = History(), 0, {"value": None, "epoch": None, "state": None}
    settings = _optimizer_settings(opts)     # as this run begins; a resumed run keeps its first's
    seen = None                              # the checkpoint file as this run last read or wrote it
    ckpt = Path(checkpoint) if checkpoint is not None else None
    if ckpt is not None:
        _check_storable({"the scheduler's state": _scheduler_state(scheduler, scheds),
                         "the optimizer's settings": [o.state_dict()["param_groups"] for o in opts.values()],
                         "the random state of train": _rng_state(train)})
    if ckpt is not None and ckpt.exists():
        if not resume:
            raise FileExistsError(
                f"checkpoint {ckpt} already exists. Pass resume=True to continue that run, "
                "or pass another checkpoint path (or delete the file) to start over.")
        stat = _stat(ckpt)
        state = load_checkpoint(ckpt)
        seen = (state.get("save_id"), stat)
        if state.get("hparams", {}) != hparams:
            raise ValueError(f"checkpoint {ckpt} was written with hparams {state.get('hparams')}, "
                             f"but this run has {hparams}. Use another checkpoint path for a new configuration.")
        _check_same_optimizers(ckpt, state["optimizer_settings"], settings)
        try:
            model.load_state_dict(state["model"])
        except RuntimeError as err:
            raise ValueError(f"checkpoint {ckpt} does not fit this model (did the architecture change? "
                             "then use another checkpoint path): " + str(err).splitlines()[0]) from err
        for name, opt in opts.items():
            opt.load_state_dict(state["optimizers"][name])
        saved = state.get("scheduler")
        if saved is not None and scheds:
            for name, sched in scheds.items():
                sched.load_state_dict(saved[name] if isinstance(scheduler, Mapping) else saved)
        if state.get("scaler"):
            scaler.load_state_dict(state["scaler"])
        settings = state["optimizer_settings"]["start"]
        history = History(state["history"])
        best = state["best"]
        start = state["epoch"]
        _set_rng_state(state["rng"], train)
        if verbose:
            print(f"resumed from {ckpt} after epoch {start}" +
                  (f" (nothing left to do: {epochs} epochs asked)" if start >= epochs else ""))
    elif resume and verbose:
        print(f"no checkpoint at {ckpt} yet: starting from epoch 1")
    if ckpt is not None and start < epochs:
        check_writable(ckpt)     # now, not after the first epoch (a finished run's file may be read-only)

    bar_cls = None
    if progress:
        from tqdm.auto import tqdm as bar_cls

    for epoch in range(start, epochs):
        if hasattr(train, "set_epoch"):
            train.set_epoch(epoch)
        model.train()
        t0 = time.perf_counter()
        sums: dict[str, float] = {}
        n_batches = 0
        batches = bar_cls(train, desc=f"epoch {epoch + 1}/{epochs}", leave=False) if bar_cls else train
        for batch in batches:
            batch = to_device(batch, dev)
            if step_fn is not None:
                logs = dict(step_fn(model, batch))
            else:
                logs = _loss_step(model, batch, loss_fn, opts["optimizer"], dev, use_amp, scaler, clip_grad_norm)
            for k, v in logs.items():  # tensors stay on the device: no sync per batch
                sums[k] = sums.get(k, 0.0) + (v.detach().float() if isinstance(v, torch.Tensor) else float(v))
            n_batches += 1
        if n_batches == 0:
            raise ValueError("the training iterable yielded no batches (is the dataset smaller than "
                             "the batch size with drop_last=True?)")
        row = {"epoch": epoch + 1}
        row.update({(k if k.startswith("train_") else f"train_{k}"): float(v) / n_batches for k, v in sums.items()})
        if val_fn is not None:
            model.eval()
            with torch.no_grad():
                row.update({k: float(v) for k, v in val_fn(model).items()})
            model.train()
        if any(not math.isfinite(v) for v in row.values()):
            raise FloatingPointError(f"non-finite value after epoch {epoch + 1}: {row}. "
                                     "Lower the learning rate or check the inputs.")
        for sched in scheds.values():
            sched.step()
        row["time_s"] = time.perf_counter() - t0
        history.append(row)
        if monitor is not None:
            if monitor not in row:
                raise KeyError(f"monitor={monitor!r} is not among the recorded values {sorted(row)}")
            value = row[monitor]
            better = best["value"] is None or (value > best["value"] if mode == "max" else value < best["value"])
            if better:
                best = {"value": value, "epoch": epoch + 1,
                        "state": {k: v.detach().cpu().clone() for k, v in model.state_dict().items()}}
        if verbose:
            print(epoch_line(row))
        if ckpt is not None:
            _check_still_ours(ckpt, seen)
            save_id = secrets.token_hex(8)
            save_checkpoint(ckpt, {
                "format": CHECKPOINT_FORMAT, "save_id": save_id, "epoch": epoch + 1, "epochs": epochs,
                "hparams": hparams,
                "model": model.state_dict(),
                "optimizers": {n: o.state_dict() for n, o in opts.items()},
                "optimizer_settings": {"start": settings, "last": _optimizer_settings(opts)},
                "scheduler": _scheduler_state(scheduler, scheds),
                "scaler": scaler.state_dict() if scaler.is_enabled() else None,
                "history": dict(history), "best": best, "rng": _rng_state(train),
            })
            seen = (save_id, _stat(ckpt))

    if monitor is not None and restore_best and best["state"] is not None:
        model.load_state_dict(best["state"])
        if verbose:
            print(f"restored the best epoch by {monitor}: epoch {best['epoch']} ({best['value']:.4g})")
    history.best_epoch = best["epoch"]
    model.train()     # as after an epoch, also where a resumed run had nothing left to train
    return history


def epoch_line(row: Mapping[str, float]) -> str:
    """One epoch of the log, in fixed columns: ``epoch   3  train_loss 0.4213  val_auc 0.9120
    lr 3.00e-03  time_s 12.4`` (values to 4 decimals, the rate in scientific notation)."""
    def fmt(k, v):
        if k == "epoch":
            return f"epoch {int(v):>3d}"
        if k == "lr":
            return f"lr {v:.2e}"
        if k == "time_s":
            return f"time_s {v:.1f}"
        return f"{k} {v:.4f}"
    return "  ".join(fmt(k, v) for k, v in row.items())


def _loss_step(model, batch, loss_fn, optimizer, dev, use_amp, scaler, clip_grad_norm) -> dict:
    optimizer.zero_grad(set_to_none=True)
    with _device.autocast(dev, enabled=use_amp):
        out = loss_fn(model, batch)
    loss, extra = (out if isinstance(out, tuple) else (out, {}))
    if not isinstance(loss, torch.Tensor) or loss.ndim != 0:
        raise TypeError("loss_fn must return a scalar tensor (or (scalar tensor, dict)); "
                        f"got {type(loss).__name__}{'' if not isinstance(loss, torch.Tensor) else tuple(loss.shape)}")
    scaler.scale(loss).backward()
    if clip_grad_norm is not None:
        scaler.unscale_(optimizer)
        nn.utils.clip_grad_norm_(model.parameters(), clip_grad_norm)
    scaler.step(optimizer)
    scaler.update()
    logs = {"loss": loss.detach()}
    logs.update(extra)
    return logs


@contextmanager
def evaluating(model: nn.Module):
    """``with evaluating(model):`` runs the block with ``model`` in eval mode (dropout off,
    batch norm on its running statistics) and gives it back in the mode it had, even when the
    block raises."""
    was_training = model.training
    model.eval()
    try:
        yield model
    finally:
        model.train(was_training)


@torch.no_grad()
def predict(model: nn.Module, batches: Iterable, device: torch.device | str | None = None,
            activation: str = "softmax") -> tuple[np.ndarray, np.ndarray]:
    """Class probabilities for every batch.

    ``batches`` yields ``(images, labels)`` pairs, and the model gives logits (N, n_classes).
    Returns ``(scores, labels)``: ``scores`` (N, n_classes) float64 numpy array
    of softmax (or ``activation="sigmoid"`` for multi-label, or for a binary model with a
    single logit) probabilities and the labels as given by the batches. The model's
    train/eval mode is restored.
    """
    if activation not in ("softmax", "sigmoid"):
        raise ValueError(f"activation must be 'softmax' or 'sigmoid'; got {activation!r}")
    dev = _device.model_device(model, device)
    scores, labels = [], []
    with evaluating(model):
        for batch in batches:
            if not (isinstance(batch, (tuple, list)) and len(batch) == 2):
                raise TypeError(f"predict: expected batches of (images, labels) pairs; got a batch of "
                                f"{_describe(batch)} (DeviceBatches(images, labels), not DeviceBatches(images))")
            x, y = batch
            logits = model(x.to(dev))
            if logits.ndim != 2:
                raise ValueError(f"predict: expected the model to give logits of shape (N, n_classes); "
                                 f"got {tuple(logits.shape)}")
            if activation == "softmax" and logits.shape[1] == 1:
                raise ValueError("predict: the model gives one output per image, and a softmax over one output "
                                 "is 1 for every image. Give the model one output per class, or score a single "
                                 "logit with activation='sigmoid'")
            # float64, on the CPU (MPS has no float64): a float32 softmax is exactly 1 past a margin of ~17,
            # and such ties would make the AUC depend on rounding
            logits = logits.cpu().double()
            p = logits.softmax(1) if activation == "softmax" else logits.sigmoid()
            scores.append(p.numpy())
            labels.append(y.cpu().numpy())
    if not scores:
        raise ValueError("predict: batches gave no batch; expected an iterable of (images, labels) pairs "
                         "(an empty data set, or a DataLoader with drop_last=True and fewer images than a batch?)")
    return np.concatenate(scores), np.concatenate(labels)


def evaluate(model: nn.Module, batches: Iterable, task: str, device=None) -> dict[str, float]:
    """Test AUC and accuracy, computed as ``medmnist.Evaluator`` does
    (see :func:`coursekit.metrics.auc`)."""
    activation = "sigmoid" if task.startswith("multi-label") else "softmax"
    scores, labels = predict(model, batches, device=device, activation=activation)
    return {"auc": float(_metrics.auc(labels, scores, task)),
            "acc": float(_metrics.accuracy(labels, scores, task))}

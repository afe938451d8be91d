"""Input checks shared by every coursekit module.

Each check raises a ``TypeError`` or ``ValueError`` whose message says what was
expected and what arrived, so a learner can fix the call without reading our
source. Nothing here converts silently.
"""
from __future__ import annotations

import math
import numbers
import os
from pathlib import Path

import numpy as np
import torch

__all__ = ["check_images", "check_same_shape", "check_unit_range", "check_seed", "check_positive_int", "check_number",
           "check_nonnegative",
           "check_class_labels", "check_candidates", "is_int", "is_real", "check_model_dtype", "check_model_input",
           "env_path", "env_flag"]


def _describe(x) -> str:
    if isinstance(x, torch.Tensor):
        return f"tensor of shape {tuple(x.shape)} and dtype {x.dtype}"
    shape = getattr(x, "shape", None)
    dtype = getattr(x, "dtype", None)
    if shape is not None:
        return f"{type(x).__name__} of shape {tuple(shape)} and dtype {dtype}"
    return type(x).__name__


def check_images(x, name: str = "images", ndim: int | tuple[int, ...] = 4, min_count: int = 0) -> torch.Tensor:
    """Check that ``x`` is a floating-point image tensor of the expected rank.

    Expected: a ``torch.Tensor`` of floats, by default ``(N, C, H, W)``
    (``ndim=5`` for volumes ``(N, C, D, H, W)``), with no NaN or Inf, and at
    least ``min_count`` images along the first axis.
    Returns ``x`` unchanged so that calls can be chained.
    """
    ndims = (ndim,) if isinstance(ndim, int) else tuple(ndim)
    layout = {3: "(C, H, W)", 4: "(N, C, H, W)", 5: "(N, C, D, H, W)"}
    want = " or ".join(layout.get(d, f"{d}-D") for d in ndims)
    if not isinstance(x, torch.Tensor):
        raise TypeError(f"{name}: expected a torch.Tensor {want} of floats; "
                        f"got {_describe(x)}. Convert with torch.as_tensor(...).float().")
    if not x.is_floating_point():
        hint = " Divide uint8 images by 255." if x.dtype == torch.uint8 else ""
        raise TypeError(f"{name}: expected a floating-point tensor (images: float32 in [0, 1]); "
                        f"got dtype {x.dtype}.{hint}")
    if x.ndim not in ndims:
        raise ValueError(f"{name}: expected a {want} tensor; got shape {tuple(x.shape)}. "
                         "Add a batch or channel axis with x[None] or x.unsqueeze(1).")
    if len(x) < min_count:
        need = "1 image is" if min_count == 1 else f"{min_count} images are"
        raise ValueError(f"{name}: got {len(x)} images; at least {need} needed.")
    if not torch.isfinite(x).all():
        n_bad = int((~torch.isfinite(x)).sum())
        raise ValueError(f"{name}: contains {n_bad} NaN or Inf values; expected finite numbers.")
    return x


def check_unit_range(x: torch.Tensor, name: str = "images", tol: float = 1e-6) -> torch.Tensor:
    """Check that every value of ``x`` lies in [0, 1] (up to ``tol``); an empty ``x`` passes
    (whether an empty batch is allowed is the caller's to say, with ``check_images``)."""
    if not isinstance(x, torch.Tensor):
        raise TypeError(f"{name}: expected a torch.Tensor; got {_describe(x)}"
                        + (" (torch.from_numpy(x) makes one)" if isinstance(x, np.ndarray) else ""))
    if x.numel() == 0:
        return x
    lo, hi = float(x.min()), float(x.max())
    if lo < -tol or hi > 1 + tol:
        if lo >= -tol and hi > 1.5:
            fix = "0-255 images? Divide by 255."
        elif lo >= -1 - tol and hi <= 1 + tol:
            fix = "A tanh output in [-1, 1]? Map it with (x + 1) / 2."
        else:
            fix = "Rescale, e.g. (x - x.min()) / (x.max() - x.min())."
        raise ValueError(f"{name}: expected values in [0, 1]; got min {lo:.4g}, max {hi:.4g}. {fix}")
    return x


def is_int(v) -> bool:
    """Is ``v`` an integer: a Python ``int`` or a NumPy integer (``np.int64`` from an array),
    but not a ``bool``?"""
    return isinstance(v, (int, np.integer)) and not isinstance(v, (bool, np.bool_))


def is_real(v) -> bool:
    """Is ``v`` a real number: a Python ``int`` or ``float`` or a NumPy integer or float (not
    complex), but not a ``bool``?"""
    return isinstance(v, numbers.Real) and not isinstance(v, (bool, np.bool_))


def check_model_dtype(x: torch.Tensor, model: torch.nn.Module, name: str = "images") -> torch.Tensor:
    """Check that the floating-point ``x`` has the dtype of ``model``'s weights (float32 for the
    course's models): a float64 batch would fail inside the first layer."""
    param = next((p for p in model.parameters() if p.is_floating_point()), None)
    if param is not None and x.dtype != param.dtype:
        want = str(param.dtype).replace("torch.", "")
        fix = "x.float()" if param.dtype == torch.float32 else f"x.to(torch.{want})"
        raise TypeError(f"{name}: expected {want}, the dtype of the model's weights; "
                        f"got {str(x.dtype).replace('torch.', '')}. Convert with {fix}.")
    return x


def check_model_input(x, model: torch.nn.Module, name: str, ndim: int | tuple[int, ...] = 4) -> None:
    """Refuse, with a TypeError that says how to convert, an ``x`` that ``model`` cannot take:
    not a tensor, not floating point (uint8 images: divide by 255), or not the dtype of the
    model's weights (float64 images: ``x.float()``). Cheap enough for every batch: it reads
    the dtype only, never the values (the range and NaN checks of :func:`check_images` scan them)."""
    if not isinstance(x, torch.Tensor) or not x.is_floating_point():
        check_images(x, name, ndim)   # raises its TypeError before it would look at a value
    check_model_dtype(x, model, name)


def check_seed(seed, name: str = "seed") -> int:
    """``seed`` as an int; refused unless it is an int >= 0 (``None`` would draw a fresh,
    unrepeatable seed, which is exactly what a seed argument is there to prevent)."""
    if isinstance(seed, bool) or not isinstance(seed, (int, np.integer)) or seed < 0:
        raise ValueError(f"{name} must be an int >= 0, so that the result can be repeated; got {seed!r}")
    return int(seed)


def check_positive_int(n, name: str = "n") -> int:
    """``n`` as an int; refused unless it is an int >= 1 (a bool is not a count)."""
    if isinstance(n, bool) or not isinstance(n, (int, np.integer)) or n < 1:
        raise ValueError(f"{name} must be a positive int; got {n!r}")
    return int(n)


def check_number(value, name: str, what: str, low: float = 0.0, low_included: bool = True) -> float:
    """``value`` as a float; refused unless it is a finite real number >= ``low`` (> ``low`` when
    not ``low_included``), with a message that says it is ``what``."""
    ok = is_real(value) and math.isfinite(value) and (value >= low if low_included else value > low)
    if not ok:
        sign = ">=" if low_included else ">"
        raise ValueError(f"{name} ({what}) must be a finite number {sign} {low:g}; got {value!r}")
    return float(value)


def check_nonnegative(x: torch.Tensor, name: str, why: str, hint: str = "") -> None:
    """Refuse a tensor with a negative value: ``"{name}: {why}; got values down to {min}{hint}"``,
    with ``why`` saying why it must be >= 0 and ``hint`` (e.g. ``" (clip them)"``) what to do."""
    if x.numel() and float(x.min()) < 0:
        raise ValueError(f"{name}: {why}; got values down to {float(x.min()):.4g}{hint}")


def check_class_labels(labels, n: int, n_classes: int | None) -> torch.Tensor:
    """``labels`` as ``(n,)`` int64 on the CPU, refused unless they are integer class
    indices in ``[0, n_classes)`` (``None``: any non-negative index)."""
    labels = torch.as_tensor(labels)
    if labels.is_floating_point() or labels.is_complex() or labels.dtype == torch.bool:
        raise TypeError(f"labels: expected integer class indices (int64); got {labels.dtype}")
    labels = labels.long().cpu()
    if labels.shape != (n,):
        raise ValueError(f"labels: expected shape ({n},); got {tuple(labels.shape)}")
    top = "" if n_classes is None else f", {n_classes}"
    if n and (int(labels.min()) < 0 or (n_classes is not None and int(labels.max()) >= n_classes)):
        raise ValueError(f"labels: expected class indices in [0{top}); "
                         f"got min {int(labels.min())}, max {int(labels.max())}")
    return labels


def check_same_shape(x: torch.Tensor, y: torch.Tensor, names=("x", "y")) -> None:
    """Check that two tensors have the same shape (metrics compare pixel by pixel)."""
    if x.shape != y.shape:
        raise ValueError(f"{names[0]} and {names[1]} must have the same shape; "
                         f"got {tuple(x.shape)} and {tuple(y.shape)}.")


def check_candidates(values, name: str, what: str, example, integer: bool = False) -> list:
    """The settings a selection on validation images tries (a list, tuple, range or array of
    positive numbers, ints when ``integer``), as a sorted list without repeats. Anything else is
    refused with a message that says ``what`` they are and gives ``example``."""
    values = list(values) if isinstance(values, (list, tuple, range, np.ndarray)) else values
    kinds = (int, np.integer) if integer else (int, float, np.number)
    if not isinstance(values, list) or not values or any(
            isinstance(v, bool) or not isinstance(v, kinds) or not math.isfinite(v) or v <= 0 for v in values):
        raise ValueError(f"{name} must be a non-empty list of positive {'ints' if integer else 'numbers'} "
                         f"({what}) such as {list(example)}; got {values!r}")
    return sorted(set(values))


def env_path(name: str) -> Path | None:
    """The folder named by the environment variable ``name``, as an absolute path: surrounding
    spaces stripped, ``~`` expanded, a relative name taken from the current folder (and shown
    in full wherever it is reported). ``None`` when the variable is unset or blank."""
    value = os.environ.get(name, "").strip()
    if not value:
        return None
    return Path(os.path.abspath(Path(value).expanduser()))


def env_flag(name: str) -> bool:
    """The yes/no setting in the environment variable ``name``: ``1``, ``true``, ``yes`` or ``on``
    is True; ``0``, ``false``, ``no``, ``off``, blank or unset is False (any case, spaces
    stripped). Anything else is refused, rather than read as one or the other."""
    value = os.environ.get(name, "").strip()
    if value.lower() in ("1", "true", "yes", "on"):
        return True
    if value.lower() in ("", "0", "false", "no", "off"):
        return False
    raise ValueError(f"{name}={value!r} is not a yes/no setting: expected 1, true, yes or on "
                     f"(or 0, false, no, off, or unset it)")

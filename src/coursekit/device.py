"""Where tensors live and how fast they are computed.

* :func:`get_device` picks CUDA, then Apple MPS, then the CPU
  (override with ``COURSEKIT_DEVICE=cpu|cuda|cuda:1|mps``).
* :func:`autocast` is mixed precision on CUDA (bfloat16 where the GPU computes
  it natively, else float16) and does nothing on other devices.
* :func:`grad_scaler` is the loss scaler that float16 needs (disabled otherwise).
* :func:`seed_everything` fixes Python, NumPy and PyTorch seeds.
* :func:`print_config` prints what a reader needs to reproduce a run.
"""
from __future__ import annotations

import contextlib
import itertools
import os
import platform
import random
import sys

import numpy as np
import torch

from .checks import check_seed

ENV_VAR = "COURSEKIT_DEVICE"

__all__ = ["get_device", "device_present", "model_device", "amp_dtype", "autocast", "grad_scaler", "seed_everything", "print_config"]


def get_device(prefer: str | torch.device | None = None) -> torch.device:
    """Return the device to compute on: ``prefer``, else ``$COURSEKIT_DEVICE``,
    else CUDA if available, else MPS if available, else CPU. A device that is asked
    for (``prefer`` or the variable) but absent here is refused with a message that
    says so, instead of failing later inside a tensor operation. The variable, typed by hand,
    may be in any case (``CUDA``), as ``COURSEKIT_PROFILE`` may; its errors name it."""
    if prefer:
        name, shown, asked = prefer, repr(prefer), f"device {prefer!r} was asked for"
    else:
        value = os.environ.get(ENV_VAR, "").strip()
        name, shown = value.lower(), f"{ENV_VAR}={value!r}"
        asked = f"{shown} is set"
    if name:
        try:
            dev = torch.device(name)
        except RuntimeError as err:
            raise ValueError(f"{shown} is not a device; expected 'cpu', 'cuda', 'cuda:N' or 'mps'.") from err
        if dev.type in ("cuda", "mps") and not device_present(dev):
            raise ValueError(f"{asked}, but {_why_absent(dev)}")
        return dev
    if torch.cuda.is_available():
        return torch.device("cuda")
    if _mps_available():
        return torch.device("mps")
    return torch.device("cpu")


def device_present(device: str | torch.device) -> bool:
    """Whether ``device`` exists on this machine: the CPU always; ``cuda:N`` when there are
    more than N CUDA GPUs (``cuda`` when there is one); ``mps`` when Apple MPS is available."""
    device = torch.device(device)
    if device.type == "cuda":
        return torch.cuda.is_available() and (device.index or 0) < torch.cuda.device_count()
    if device.type == "mps":
        return _mps_available()
    return device.type == "cpu"


def _why_absent(device: torch.device) -> str:
    """What this machine lacks, for a CUDA or MPS ``device`` that :func:`device_present` denies."""
    if device.type == "mps":
        return "Apple MPS is not available here."
    if not torch.cuda.is_available():
        return "no CUDA GPU is available here."
    n = torch.cuda.device_count()
    return f"this machine has {n} CUDA GPU{'s' if n != 1 else ''}: use 'cuda' or 'cuda:0' to 'cuda:{n - 1}'."


def model_device(model: torch.nn.Module, device: str | torch.device | None = None) -> torch.device:
    """The device to run ``model`` on: ``device``, checked by :func:`get_device`, when it is
    given; else the device that holds the model's parameters (where it was trained or moved),
    or its buffers; a model with neither has no device of its own, so it gets :func:`get_device`'s."""
    if device is not None:
        return get_device(device)
    for tensor in itertools.chain(model.parameters(), model.buffers()):
        return tensor.device
    return get_device()


def _mps_available() -> bool:
    mps = getattr(torch.backends, "mps", None)
    return bool(mps and mps.is_available())


def amp_dtype(device: torch.device | str) -> torch.dtype | None:
    """The autocast dtype used on ``device``: on CUDA, bfloat16 where the GPU computes it
    natively (compute capability 8.0 and later: A100, L4, H100...), else float16 (with a loss
    scaler, :func:`grad_scaler`: Colab's T4, V100); None elsewhere.
    (``torch.cuda.is_bf16_supported()`` also says yes where bfloat16 is only emulated, slowly.)"""
    device = torch.device(device)
    if device.type != "cuda":
        return None
    return torch.bfloat16 if torch.cuda.get_device_capability(device)[0] >= 8 else torch.float16


def autocast(device: torch.device | str, enabled: bool = True):
    """Mixed-precision context for the forward pass; a no-op off CUDA or when disabled."""
    dtype = amp_dtype(device)
    if not enabled or dtype is None:
        return contextlib.nullcontext()
    return torch.autocast(device_type="cuda", dtype=dtype)


def grad_scaler(device: torch.device | str, enabled: bool = True) -> torch.amp.GradScaler:
    """A ``GradScaler`` that is active only for float16 autocast on CUDA."""
    active = enabled and amp_dtype(device) == torch.float16
    return torch.amp.GradScaler("cuda", enabled=active)


def seed_everything(seed: int = 0, deterministic: bool = False) -> None:
    """Seed Python, NumPy and PyTorch (all devices). With ``deterministic=True``
    also ask PyTorch for deterministic kernels (slower on a GPU); that setting is
    process-wide and stays on: a later call with ``deterministic=False`` leaves it as it is.

    ``seed``: an int >= 0 (a NumPy integer too), the rule of every seed argument in
    coursekit (:func:`coursekit.checks.check_seed`)."""
    seed = check_seed(seed)   # an int: a NumPy integer (from np.arange, say) is refused by random.seed
    random.seed(seed)
    np.random.seed(seed % 2**32)
    torch.manual_seed(seed)
    if deterministic:
        os.environ.setdefault("CUBLAS_WORKSPACE_CONFIG", ":4096:8")
        torch.use_deterministic_algorithms(True, warn_only=True)
        torch.backends.cudnn.benchmark = False


def config() -> dict:
    """The facts :func:`print_config` prints, as a dict."""
    from . import __version__, data, profile

    dev = get_device()
    info = {
        "python": platform.python_version(),
        "torch": torch.__version__,
        "coursekit": __version__,
        "device": str(dev),
        "device_name": platform.processor() or platform.machine(),
        "device_memory_gb": None,
        "amp": str(amp_dtype(dev)).replace("torch.", "") if amp_dtype(dev) else "off",
        "profile": profile.active(),
        "data_dir": str(data.data_dir()),
    }
    if dev.type == "cuda":
        props = torch.cuda.get_device_properties(dev)
        info["device_name"] = props.name
        info["device_memory_gb"] = round(props.total_memory / 2**30, 1)
    elif dev.type == "cpu":
        info["device_name"] = f"{platform.machine()} CPU, {os.cpu_count()} cores"
        try:   # physical memory, where the OS reports it (Linux, macOS)
            info["device_memory_gb"] = round(os.sysconf("SC_PAGE_SIZE") * os.sysconf("SC_PHYS_PAGES") / 2**30, 1)
        except (AttributeError, ValueError, OSError):
            pass
    return info


def print_config() -> None:
    """Print Python/torch/coursekit versions, the device, the profile and the data folder."""
    from . import profile

    c = config()
    mem = f", {c['device_memory_gb']} GiB" if c["device_memory_gb"] else ""
    lines = [
        f"coursekit {c['coursekit']} | Python {c['python']} | torch {c['torch']}",
        f"device: {c['device']} ({c['device_name']}{mem}); mixed precision: {c['amp']}",
        profile.describe(),
        f"data folder: {c['data_dir']} (set COURSEKIT_DATA to change it)",
    ]
    print("\n".join(lines), file=sys.stdout)

"""The one switch between a quick CPU run and a full GPU run.

``quick``: small subsets and few steps, so that the whole book executes on a
laptop CPU (and in CI) in minutes. ``full``: the sizes whose results the text
reports, meant for a GPU. Set ``COURSEKIT_PROFILE=quick`` or ``full``; without
it, the profile is ``full`` when a CUDA GPU is present and ``quick`` otherwise.

Notebooks read all their sizes from one parameters cell::

    P = coursekit.profile.params(quick=dict(epochs=2, n_train=512),
                                 full=dict(epochs=30, n_train=None))
    P.epochs   # attribute access; P.profile says which one is active
"""
from __future__ import annotations

import os
from types import SimpleNamespace

import torch

PROFILES = ("quick", "full")
ENV_VAR = "COURSEKIT_PROFILE"

__all__ = ["PROFILES", "ENV_VAR", "active", "check_profile", "chosen", "params", "describe"]


def active() -> str:
    """Return the active profile name, ``"quick"`` or ``"full"``."""
    value = os.environ.get(ENV_VAR, "").strip().lower()
    if not value:
        return "full" if torch.cuda.is_available() else "quick"
    if value not in PROFILES:
        raise ValueError(f"{ENV_VAR}={value!r} is not a profile; expected one of {PROFILES}.")
    return value


def check_profile(profile) -> str:
    """``profile`` if it is ``"quick"`` or ``"full"``, spelled so; else a ValueError. An argument
    names files and folders (``demo.quick.json``), so ``"Full"`` is refused rather than written
    where a reader asking for ``"full"`` would never look. (The environment variable, typed by
    hand, may be in any case: :func:`active` lower-cases it.)"""
    if profile not in PROFILES:
        wanted = profile.strip().lower() if isinstance(profile, str) else None
        hint = f" (in lower case: {wanted!r})" if wanted in PROFILES else ""
        raise ValueError(f"profile must be one of {PROFILES}; got {profile!r}{hint}")
    return profile


def chosen(profile=None) -> str:
    """The profile a function with a ``profile=None`` argument uses: ``profile`` as
    :func:`check_profile` checks it, or the :func:`active` one for ``None``."""
    return active() if profile is None else check_profile(profile)


def params(quick: dict, full: dict, profile: str | None = None) -> SimpleNamespace:
    """Pick the parameter set of the active profile.

    Both dicts must have the same keys, so that a notebook cannot depend on a
    parameter that exists in one profile only. The result has attribute access
    and a ``profile`` attribute naming the active profile.
    """
    if set(quick) != set(full):
        diff = sorted(set(quick) ^ set(full))
        raise ValueError(f"quick and full must define the same parameters; differing keys: {diff}")
    if "profile" in quick:
        raise ValueError("'profile' is reserved: P.profile names the active profile; rename that parameter")
    name = chosen(profile or None)
    return SimpleNamespace(profile=name, **(quick if name == "quick" else full))


def describe() -> str:
    """One line that says which profile is active, why, and how to change it."""
    name = active()
    if os.environ.get(ENV_VAR, "").strip():   # a blank variable is no choice: active() uses the default
        why = f"set by {ENV_VAR}"
    else:
        why = "default: " + ("a CUDA GPU is present" if name == "full" else "no CUDA GPU")
    other = "full" if name == "quick" else "quick"
    return (f"profile: {name} ({why}); to change it, set {ENV_VAR}={other} "
            f"(os.environ['{ENV_VAR}'] = '{other}') and re-run the parameters cell.")

"""What a student's code may not do in a task, enforced while its cases run.

Two rules, the same in ``coursekit.check`` and in ``coursekit grade``:

* **Your own object.** The graded object must be written in the notebook. One
  imported from ``coursekit`` itself (which ships the model answers, for
  example ``coursekit.grading.tasks.cnn.conv2d_reference``), or a class that
  inherits from one of coursekit's, fails every case without running.
* **No forbidden shortcuts.** A task may name library callables that its text
  asks students not to use (``Task.forbidden``, e.g.
  ``"torch.nn.functional.conv2d"`` for "convolution by hand"). While a case
  runs, each of them raises :class:`ForbiddenCall`, and so does any name in the
  student's module bound to one of them (``from torch.nn.functional import
  conv2d``). Everything is restored after the case.

These rules catch the shortcuts a student may take in good faith or on a
whim; they are not a defence against code written to get around them.
"""
from __future__ import annotations

import importlib
import sys
from contextlib import contextmanager

from .cases import execute

__all__ = ["ForbiddenCall", "origin_error", "namespace_of", "forbidding", "execute_as_student"]

_MISSING = object()


class ForbiddenCall(RuntimeError):
    """A task's forbidden callable was called."""


def _from_coursekit(obj) -> str | None:
    """The coursekit module that defines ``obj``, else None."""
    try:
        module = getattr(obj, "__module__", None)
    except Exception:  # noqa: BLE001 - a student's object may answer attribute lookups as it likes
        return None
    if isinstance(module, str) and (module == "coursekit" or module.startswith("coursekit.")):
        return module
    return None


def origin_error(obj, name: str) -> str | None:
    """A message when ``obj`` comes from coursekit instead of the student's notebook (or is a
    class that inherits from one of coursekit's, such as a task's reference model), else None."""
    module = _from_coursekit(obj)
    if module:
        return (f"{name} is imported from {module}, not written in your notebook; "
                f"write your own {name} (the exercise grades your code, not the course's)")
    for base in (obj.__mro__[1:] if issubclass(type(obj), type) else ()):   # type(): no attribute lookups
        if _from_coursekit(base):
            return (f"{name} inherits from {base.__module__}.{base.__qualname__}, which coursekit ships; "
                    f"write your own {name} on torch.nn.Module (the exercise grades your code, not the course's)")
    return None


def _resolve(dotted: str):
    """``(parent, attribute)`` of a dotted name such as ``"torch.Tensor.backward"``; None if absent."""
    parts = dotted.split(".")
    for i in range(len(parts) - 1, 0, -1):
        try:
            parent = importlib.import_module(".".join(parts[:i]))
        except ImportError:
            continue
        for attr in parts[i:-1]:
            parent = getattr(parent, attr, None)
            if parent is None:
                return None
        return (parent, parts[-1]) if hasattr(parent, parts[-1]) else None
    return None


def _tripwire(dotted: str):
    def forbidden(*args, **kwargs):
        raise ForbiddenCall(f"this task asks you not to use {dotted}: write the computation yourself")
    forbidden.__qualname__ = forbidden.__name__ = f"forbidden {dotted}"
    return forbidden


def namespace_of(obj) -> dict | None:
    """The globals of the module where ``obj`` was defined (the student's notebook or module)."""
    try:
        if isinstance(getattr(obj, "__globals__", None), dict):
            return obj.__globals__
        module = sys.modules.get(getattr(obj, "__module__", None) or "")
        return vars(module) if module is not None else None
    except Exception:  # noqa: BLE001 - a student's object may answer attribute lookups as it likes
        return None


def _coursekit_namespaces() -> list[dict]:
    """The globals of every loaded coursekit module outside the grading package."""
    return [vars(m) for name, m in list(sys.modules.items())
            if m is not None and (name == "coursekit" or name.startswith("coursekit."))
            and not name.startswith("coursekit.grading")]


@contextmanager
def forbidding(names, namespace: dict | None = None):
    """While active, every callable named in ``names`` raises :class:`ForbiddenCall`,
    where it lives, wherever ``namespace`` binds it under any name, and wherever a coursekit
    module outside the grading package binds it. Yields a dict
    ``{id(original): tripwire}``, so that a caller holding an original can swap it too."""
    patched, wires = [], {}   # patched: (owner, attribute, value to restore, or _MISSING if inherited)
    try:
        for dotted in names:
            found = _resolve(dotted)
            if found is None:      # not in this version of the library: nothing to forbid
                continue
            parent, attr = found
            original = getattr(parent, attr)
            wire = _tripwire(dotted)
            own = vars(parent).get(attr, _MISSING) if hasattr(parent, "__dict__") else _MISSING
            try:
                setattr(parent, attr, wire)
            except (AttributeError, TypeError):   # a read-only owner: the namespace is still covered
                pass
            else:
                patched.append((parent, attr, own))
            wires[id(original)] = wire
            # and every other name bound to it: the student's, and coursekit's re-exports
            # (coursekit.models.SmallCNN is coursekit.models.cnn.SmallCNN), but not the grader's own
            for space in [namespace or {}] + _coursekit_namespaces():
                for key, value in list(space.items()):
                    if value is original:
                        patched.append((space, key, value))
                        space[key] = wire
        yield wires
    finally:
        for owner, attr, value in reversed(patched):
            if isinstance(owner, dict):
                owner[attr] = value
            elif value is _MISSING:
                delattr(owner, attr)
            else:
                setattr(owner, attr, value)


def execute_as_student(run, obj, inputs: dict, name: str, forbidden=()) -> dict:
    """:func:`~coursekit.grading.cases.execute` for a student's ``obj`` under the two rules."""
    error = origin_error(obj, name)
    if error:
        return {"ok": False, "error": error, "not_implemented": False}
    with forbidding(forbidden, namespace_of(obj)) as wires:
        return execute(run, wires.get(id(obj), obj), inputs)

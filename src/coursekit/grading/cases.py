"""What a graded task is made of: :class:`Task`, :class:`Case`, and the comparison
that turns an (expected, got) pair into a pass or a message a student can act on.

A task names the object a student writes (``conv2d``, ``PneumoniaCNN``...), its
points and a reference implementation. Each case

* builds its inputs from a seeded ``torch.Generator`` (``case.inputs(gen) -> dict``),
* exercises an object on them (``case.run(obj, inputs) -> output``): the grader
  runs this on the student's object in a separate process and on the reference
  in its own process,
* compares the two outputs (``case.compare(expected, got, inputs) -> None`` when
  they agree, else a message).

Outputs cross the process boundary as *data* only (see :func:`to_data`):
tensors, numbers, strings, and tuples/lists/dicts of those.
"""
from __future__ import annotations

import errno
import inspect
import math
import re
import sysconfig
import traceback
from dataclasses import dataclass, field, replace
from pathlib import Path
from typing import Any, Callable

import numpy as np
import torch

__all__ = ["Case", "Task", "call", "call_expecting_value_error", "execute", "judge", "compare_values", "to_data", "describe", "TOLERANCES"]

# (rtol, atol) per dtype: float64 cases are held to near machine precision, so a
# wrong formula cannot hide inside the tolerance.
TOLERANCES = {
    torch.float64: (1e-7, 1e-9),
    torch.float32: (1e-4, 1e-5),
    torch.float16: (1e-2, 1e-3),
    torch.bfloat16: (2e-2, 1e-2),
}
PYTHON_FLOAT_TOL = (1e-7, 1e-9)
MAX_FILE_BYTES = 16 * 2**20   # the grader's limit per file written, printed output included


def call(obj, inputs: dict):
    """The default way to exercise a student's function: ``obj(**inputs)``."""
    return obj(**inputs)


def call_expecting_value_error(obj, inputs: dict):
    """For a case that passes only when ``obj(**inputs)`` refuses its inputs: ``"ValueError"``
    if it raises one, else ``"returned <what>"`` for the task's ``compare`` to explain (any other
    exception propagates, and is reported as raised)."""
    try:
        out = obj(**inputs)
    except ValueError:
        return "ValueError"
    return f"returned {describe(out)}"


def run_inputs_kept(obj, inputs: dict, run=None):
    """For a case that checks that a student's function leaves its tensor arguments as they were:
    ``{"output": out, "after": {name: tensor}}``, the output of ``run(obj, inputs)`` (default:
    ``obj(**inputs)``) and the tensor arguments as they are after the call. The compare that
    :func:`inputs_kept` makes compares them with the inputs in the checker's process (where nothing
    the student's code patched can change the comparison), and wants the right output too, so that
    an answer which changes nothing because it computes nothing (a constant, its input) earns
    nothing there."""
    out = (run or call)(obj, inputs)
    return {"output": out, "after": {k: v for k, v in inputs.items() if isinstance(v, torch.Tensor)}}


def changed_arguments(inputs: dict, after: dict) -> list[str]:
    """The names of the tensor arguments in ``inputs`` that differ (in shape, dtype or values) from
    what ``after`` holds for them, or that ``after`` lacks."""
    def same(a, b):
        return isinstance(b, torch.Tensor) and a.shape == b.shape and a.dtype == b.dtype and torch.equal(a, b)
    return [k for k, v in inputs.items() if isinstance(v, torch.Tensor) and not same(v, after.get(k))]


def inputs_kept(compare=None, why: str = ""):
    """The compare of the cases run by :func:`run_inputs_kept`: a message naming the tensor arguments
    changed in place (saying ``why`` that matters to the notebook, when given), else the outputs
    compared by ``compare(expected, got, inputs)`` (default: :func:`compare_values`)."""
    def compare_inputs_kept(expected, got, inputs):
        if not isinstance(got, dict) or not isinstance(got.get("after"), dict):
            return f"expected the output and the arguments after the call, got {describe(got)}"
        changed = changed_arguments(inputs, got["after"])
        if changed:
            names = ", ".join(changed)
            because = f" ({why})" if why else ""
            return (f"your function changed its argument(s) {names} in place: the caller's tensor no longer holds "
                    f"what it passed{because}. Compute a new tensor (x - c makes one); x -= c, x.sub_(c), "
                    "x.clamp_(0, 1) or y[mask] = ... on an argument change the caller's tensor")
        if compare is None:
            return compare_values(expected["output"], got.get("output"))
        return compare(expected["output"], got.get("output"), inputs)
    return compare_inputs_kept


compare_inputs_kept = inputs_kept()   # for the tasks whose other cases compare with compare_values


@dataclass(frozen=True)
class Case:
    """One graded case of a task.

    name:       what the case tests, shown to the student ("stride 2, padding 1").
    inputs:     ``inputs(gen) -> dict`` of keyword arguments, built from a seeded
                ``torch.Generator`` (in the checker's process).
    run:        ``run(obj, inputs) -> output``; must be a module-level function of
                a ``coursekit.grading.tasks`` module, because the student's
                process imports it by name. Default: :func:`call`.
    compare:    ``compare(expected, got, inputs) -> None | str``; default
                :func:`compare_values` with the per-dtype :data:`TOLERANCES`.
    hint:       shown when the case fails.
    seed:       seed of the generator passed to ``inputs``.
    visibility: ``"visible"`` for public cases, ``"hidden"`` for instructor cases.
    """

    name: str
    inputs: Callable[[torch.Generator], dict]
    run: Callable[[Any, dict], Any] = call
    compare: Callable[[Any, Any, dict], str | None] | None = None
    hint: str = ""
    seed: int = 0
    visibility: str = "visible"

    def make_inputs(self) -> dict:
        """The case's inputs, identical on every call (seeded generator)."""
        return self.inputs(torch.Generator().manual_seed(self.seed))

    def check(self, expected, got, inputs: dict) -> str | None:
        """None when ``got`` agrees with ``expected``, else a message."""
        if self.compare is not None:
            return self.compare(expected, got, inputs)
        return compare_values(expected, got)

    def hidden(self) -> "Case":
        """This case with visibility "hidden"."""
        return replace(self, visibility="hidden")


@dataclass(frozen=True)
class Task:
    """A graded task: the student writes ``name``; ``reference`` is the model answer.

    id:        ``"<exercise>.<task>"``, e.g. ``"cnn.conv2d"``.
    title:     one line for reports.
    name:      the name the student's notebook defines (function or class).
    points:    shared equally among all cases, public and hidden.
    reference: the instructors' implementation (expected values come from it).
    cases:     the public cases.
    timeout:   default wall-clock limit in seconds for this task's cases.
    forbidden: dotted names of library callables that the task's text asks students not
               to use (``"torch.nn.functional.conv2d"``); they raise while the student's
               object runs (:mod:`coursekit.grading.rules`).
    """

    id: str
    title: str
    name: str
    points: float
    reference: Any
    cases: tuple[Case, ...] = field(default_factory=tuple)
    timeout: float = 60.0
    forbidden: tuple[str, ...] = ()


# ---------------------------------------------------------------------------
# Running a case on an object, and judging the outcome
# ---------------------------------------------------------------------------

def execute(run, obj, inputs: dict) -> dict:
    """Run one case on ``obj``; never raises.

    Returns a record ``{"ok": True, "value": data}`` or ``{"ok": False,
    "error": "ValueError: ...", "not_implemented": bool}``. The record holds
    only data (:func:`to_data`), so it can cross a process boundary safely.
    """
    try:
        return {"ok": True, "value": to_data(run(obj, inputs))}
    except BaseException as err:  # noqa: BLE001 - a student's code may raise anything, sys.exit included
        return {"ok": False, "error": format_error(err, obj), "not_implemented": isinstance(err, NotImplementedError)}


# Set by the sandbox (:func:`coursekit.grading.sandbox.load_submission`) for the student's
# extracted file: its path, and line -> "cell 7, line 3" of the notebook the student wrote.
STUDENT_FILE: dict = {}


# The file name NumPy before 1.25 gives the frame of its function dispatcher (np.linalg.inv's too):
# not a path under site-packages, but part of the library all the same.
NUMPY_DISPATCH = "<__array_function__ internals>"
_SIGNATURE_ERROR = re.compile(r"\(\) (got an unexpected keyword argument|missing \d+ required|takes \d+ positional"
                              r"|got multiple values for argument)")


def format_error(err: BaseException, obj=None) -> str:
    """``"TypeError: message (cell 7, line 3 in conv2d: out = x @ w)"``, pointing at the
    innermost frame of the student's code: in the grader, of the extracted file
    (:data:`STUDENT_FILE`, named by its notebook cell); elsewhere, outside torch,
    coursekit.grading, Python's standard library and installed packages (so ``exit()``,
    ``json.loads`` or ``np.linalg.inv`` that raise point at the student's call, not into the
    library, whether site-packages lies inside the standard library's folder or in a venv).
    A TypeError raised in calling the student's ``obj`` itself (no line of theirs ran) says that
    its signature differs from the task's, and shows it."""
    try:
        text = f"{type(err).__name__}: {err}".strip()
    except Exception:  # noqa: BLE001 - an exception whose __str__ fails
        text = type(err).__name__
    if isinstance(err, NotImplementedError):
        return text[:2000]
    if isinstance(err, SystemExit):
        text = f"SystemExit({err.code!r}): the code called sys.exit() or exit()"
    if isinstance(err, OSError) and err.errno == errno.EFBIG:   # the grader's RLIMIT_FSIZE
        text = ("OutputLimit: the code printed more than the grader allows, "
                f"{MAX_FILE_BYTES // 2**20} MiB for all the cases of one task together "
                "(or wrote a file that large); print less, e.g. not inside a loop")
    paths = sysconfig.get_paths()
    library = (str(Path(torch.__file__).parent), str(Path(__file__).parent),
               *(paths[k] for k in ("stdlib", "purelib", "platlib")))
    frames = [f for f in traceback.extract_tb(err.__traceback__)
              if not f.filename.startswith(library) and f.filename != NUMPY_DISPATCH]
    student = [f for f in frames if f.filename == STUDENT_FILE.get("path")]
    if student:
        f = student[-1]
        text += f" ({STUDENT_FILE['place'](f.lineno)} in {f.name}: {(f.line or '').strip()})"
    elif frames:
        f = frames[-1]
        text += f" (line {f.lineno} in {f.name}: {(f.line or '').strip()})"
    elif isinstance(err, TypeError) and _SIGNATURE_ERROR.search(text) and callable(obj):
        try:
            yours = f"{obj.__name__}{inspect.signature(obj)}"
        except (TypeError, ValueError, AttributeError):
            yours = getattr(obj, "__name__", "it")
        text += (f"; keep the signature the task gives: the checks call your code with the task's arguments, "
                 f"by the task's names, and yours is {yours}")
    return text[:2000]


def judge(case: Case, expected, record: dict, inputs: dict) -> str | None:
    """None when the case passed, else the message for the student (hint included)."""
    if record.get("not_implemented") is True:
        return f"not implemented yet ({record.get('error')})"
    if record.get("ok") is not True:
        msg = f"raised {record.get('error', 'an error')}"
    else:
        try:
            msg = case.check(expected, record.get("value"), inputs)
        except Exception as err:  # noqa: BLE001 - a malformed output must not stop grading
            msg = f"could not compare the output: {type(err).__name__}: {err}"
    # the hint is about the maths, which a forbidden call or the output limit has nothing to do with
    forbidden = str(record.get("error", "")).startswith(("ForbiddenCall", "OutputLimit"))
    if msg and case.hint and not forbidden:
        msg += f"\n      hint: {case.hint}"
    return msg


# ---------------------------------------------------------------------------
# Data that may cross the process boundary
# ---------------------------------------------------------------------------

def to_data(obj, depth: int = 0):
    """Convert a returned value to plain data: tensors (detached, CPU, copied),
    Python scalars, strings, None, and tuples/lists/dicts of those.

    NumPy arrays become tensors and NumPy scalars Python numbers. Anything else
    becomes ``{"unsupported type": "<type name>"}``, so a comparison can say what
    arrived without the checker ever unpickling a student's object.
    """
    if depth > 8:
        return {"unsupported type": "nesting deeper than 8 levels"}
    if isinstance(obj, torch.Tensor):
        return obj.detach().cpu().clone()
    if isinstance(obj, np.ndarray):
        try:
            return torch.from_numpy(np.array(obj))
        except TypeError:
            return {"unsupported type": f"numpy array of dtype {obj.dtype}"}
    if isinstance(obj, np.generic):
        return obj.item()
    if obj is None or isinstance(obj, (bool, int, float, str)):
        return obj
    if isinstance(obj, (tuple, list)):
        items = [to_data(v, depth + 1) for v in obj]
        return tuple(items) if isinstance(obj, tuple) else items
    if isinstance(obj, dict) and all(isinstance(k, str) for k in obj):
        return {k: to_data(v, depth + 1) for k, v in obj.items()}
    return {"unsupported type": type(obj).__name__}


def describe(value) -> str:
    """Short description of a value: type, shape and dtype for tensors."""
    if isinstance(value, torch.Tensor):
        return f"tensor of shape {tuple(value.shape)}, dtype {value.dtype}"
    if isinstance(value, dict) and "unsupported type" in value:
        return f"an object of type {value['unsupported type']}"
    if isinstance(value, (tuple, list)):
        return f"{type(value).__name__} of length {len(value)}"
    if isinstance(value, dict):
        return f"dict with keys {sorted(value)}"
    return f"{type(value).__name__} {value!r}"


# ---------------------------------------------------------------------------
# Comparison with messages
# ---------------------------------------------------------------------------

def compare_values(expected, got, where: str = "output") -> str | None:
    """Compare a returned value with the expected one, recursively.

    Tensors must agree in shape and dtype, then elementwise within the dtype's
    tolerance; ints exactly (and must be ints); floats within a tolerance;
    tuples/lists/dicts item by item. Returns None when they agree, else a
    message with shapes, dtypes, the largest error and the first mismatching
    element.
    """
    if isinstance(expected, torch.Tensor):
        return _compare_tensors(expected, got, where)
    if isinstance(expected, bool) or expected is None or isinstance(expected, str):
        if got is expected or (type(got) is type(expected) and got == expected):
            return None
        return f"{where}: expected {expected!r}, got {describe(got)}"
    if isinstance(expected, int):
        if type(got) is int and got == expected:
            return None
        if isinstance(got, float) and got == expected:
            return (f"{where}: expected the int {expected}, got the float {got!r}; "
                    "use // (floor division) or int(...) so the result is an int")
        return f"{where}: expected {expected}, got {describe(got)}"
    if isinstance(expected, float):
        if isinstance(got, torch.Tensor) and got.numel() == 1:
            return f"{where}: expected a Python float {expected:.6g}, got a {describe(got)}; use .item()"
        if not isinstance(got, (int, float)) or isinstance(got, bool):
            return f"{where}: expected the float {expected:.6g}, got {describe(got)}"
        rtol, atol = PYTHON_FLOAT_TOL
        if math.isfinite(got) and abs(got - expected) <= atol + rtol * abs(expected):
            return None
        return f"{where}: expected {_apart(expected, got, 10)}"
    if isinstance(expected, (tuple, list)):
        if not isinstance(got, (tuple, list)):
            return f"{where}: expected a {type(expected).__name__} of {len(expected)} items, got {describe(got)}"
        if len(got) != len(expected):
            return f"{where}: expected {len(expected)} items, got {len(got)}"
        for i, (e, g) in enumerate(zip(expected, got)):
            msg = compare_values(e, g, f"{where}[{i}]")
            if msg:
                return msg
        return None
    if isinstance(expected, dict):
        if not isinstance(got, dict) or set(got) != set(expected):
            return f"{where}: expected a dict with keys {sorted(expected)}, got {describe(got)}"
        for key in expected:
            msg = compare_values(expected[key], got[key], f"{where}[{key!r}]")
            if msg:
                return msg
        return None
    raise TypeError(f"compare_values cannot compare an expected value of type {type(expected).__name__}")


def _apart(expected, got, digits: int = 6) -> str:
    """``"E, got G"`` with ``digits`` significant digits, or as many more as it takes for the two
    numbers to read differently (0.179468 and 0.179468 look equal; 0.179468001 and 0.179468023 do not)."""
    for d in range(digits, 18):
        e, g = f"{expected:.{d}g}", f"{got:.{d}g}"
        if e != g:
            break
    return f"{e}, got {g}"


def _compare_tensors(expected: torch.Tensor, got, where: str) -> str | None:
    if not isinstance(got, torch.Tensor):
        return f"{where}: expected a {describe(expected)}; got {describe(got)}"
    if got.shape != expected.shape:
        return f"{where}: expected shape {tuple(expected.shape)}, got shape {tuple(got.shape)}"
    if got.dtype != expected.dtype:
        return (f"{where}: expected dtype {expected.dtype}, got {got.dtype} (shape {tuple(got.shape)} is right); "
                "keep the inputs' precision: give new tensors dtype=x.dtype, and cast back after any .double() "
                "or .float()")
    if not expected.is_floating_point():
        bad = got != expected
        tol_text = "exact match"
    else:
        rtol, atol = TOLERANCES.get(expected.dtype, TOLERANCES[torch.float32])
        e, g = expected.double(), got.double()
        bad = ~torch.isclose(g, e, rtol=rtol, atol=atol, equal_nan=False)
        tol_text = f"rtol {rtol:g}, atol {atol:g}"
    n_bad = int(bad.sum())
    if n_bad == 0:
        return None
    first = tuple(int(i) for i in torch.nonzero(bad)[0]) if expected.ndim else ()
    e_val, g_val = expected[first].item(), got[first].item()
    msg = f"{where}: {n_bad} of {expected.numel()} elements differ"
    if expected.is_floating_point():
        err = (got.double() - expected.double()).abs()
        err = torch.where(torch.isnan(err), torch.full_like(err, math.inf), err)
        msg += f" (max abs error {float(err.max()):.3g})"
    msg += (f"; first at index {first}: expected {_apart(e_val, g_val)} "
            f"[shape {tuple(expected.shape)}, dtype {expected.dtype}, {tol_text}]")
    return msg

"""``coursekit.check(task_id, obj)``: feedback while working in the notebook.

It runs the task's public cases on ``obj`` in the notebook's own process (this
is feedback, not a grade), prints one PASS/FAIL line per case with a message
and a hint, and ends with the line "k/n public checks passed". It never raises: a
student's exception, ``sys.exit()`` or even Ctrl-C/interrupt ends in a message.
Instructors may grade with further hidden cases, so passing the public checks
is a good sign, not a guarantee. Before the cases it notes every global that the
object reads and that only running a cell makes (a model, an optimizer, data):
it exists in the notebook, but not in the grader, which runs no such cell.
"""
from __future__ import annotations

import ast
import copy
import dis
import inspect
import textwrap
import types
from dataclasses import dataclass

import numpy as np
import torch

from .cases import execute, judge
from .extract import LOSS_MODULES, UNKEPT_ADVICE, extract
from .rules import execute_as_student, namespace_of, origin_error

__all__ = ["CheckResult", "check", "unkept_globals"]


@dataclass
class CheckResult:
    """What :func:`check` found: ``passed`` of ``total`` public cases."""

    task_id: str
    passed: int
    total: int

    @property
    def all_passed(self) -> bool:
        return self.total > 0 and self.passed == self.total

    def __repr__(self) -> str:
        return f"CheckResult({self.task_id!r}: {self.passed}/{self.total} public checks passed)"

    def _ipython_display_(self):
        """Show nothing in a notebook: check() has already printed its report."""


def check(task_id: str, obj=None) -> CheckResult:
    """Run the public cases of ``task_id`` (e.g. ``"cnn.conv2d"``) on ``obj``
    (your function or class) and print what passed and what did not."""
    try:
        return _check(task_id, obj)
    except BaseException as err:  # noqa: BLE001 - a check must never take the notebook down
        print(f"coursekit.check stopped: {type(err).__name__}: {err}")
        return _summary(str(task_id), 0, 0)


def _check(task_id: str, obj) -> CheckResult:
    from .tasks import get_task

    try:
        task = get_task(task_id)
    except ValueError as err:
        print(f"coursekit.check: {err}")
        return _summary(str(task_id), 0, 0)
    cases = task.cases
    points = f"{task.points} point{'' if task.points == 1 else 's'}"
    print(f"{task.id}: {task.title} ({points}). {len(cases)} public checks; "
          "the grade may also use hidden ones.")
    if obj is None:
        print(f"  pass your {task.name} as the second argument: coursekit.check({task.id!r}, {task.name})")
        return _summary(task.id, 0, len(cases))
    if isinstance(task.reference, type) and not isinstance(obj, type) and isinstance(obj, torch.nn.Module):
        print(f"  FAIL  {task.name} is graded as a class, which the checks build themselves: pass the class, "
              f"coursekit.check({task.id!r}, {task.name}), not an instance such as {task.name}()")
        return _summary(task.id, 0, len(cases))
    not_yours = origin_error(obj, task.name)
    if not_yours:
        print(f"  FAIL  {not_yours}")
        return _summary(task.id, 0, len(cases))
    noted = set()
    for name, value in unkept_globals(obj):
        noted.add(name)
        print(f"  note: {task.name} uses the global `{name}` (a {type(value).__name__} object), which only running "
              f"a cell makes. The grader does not run such cells (it keeps imports, functions, classes and "
              f"constants), so there `{name}` will not exist: pass it as an argument, or make it inside "
              f"{task.name}.")
    skipped, rebound = _graders_view(obj, task.name)
    for name, (cell, line, why) in skipped.items():
        if name not in noted:
            print(f"  note: in grading, `{name}` will not exist: it is set in the cell run as In [{cell}], line "
                  f"{line}, and {why}. {UNKEPT_ADVICE}")
    for name, (cell, line, constant) in rebound.items():
        print(f"  note: in grading, `{name}` will have the value of `{constant}`: it is last set in the cell run "
              f"as In [{cell}], line {line}, by code the grader does not run (it keeps imports, functions, classes "
              f"and constants). Give `{name}` the value you want as a constant, or compute it inside {task.name}.")
    passed = 0
    for case in cases:
        inputs = case.make_inputs()
        expected = execute(case.run, task.reference, copy.deepcopy(inputs))
        record = execute_as_student(case.run, obj, copy.deepcopy(inputs), task.name, task.forbidden)
        if record.get("not_implemented"):
            print(f"  not implemented yet: {record['error']}")
            break
        if str(record.get("error", "")).startswith("KeyboardInterrupt"):
            print("  interrupted.")
            break
        msg = judge(case, expected["value"], record, inputs)
        passed += msg is None
        print(f"  PASS  {case.name}" if msg is None else f"  FAIL  {case.name}: {msg}")
    return _summary(task.id, passed, len(cases))


def _summary(task_id: str, passed: int, total: int) -> CheckResult:
    """The last line: how many public checks passed (never a verdict on the code)."""
    print(f"{passed}/{total} public checks passed")
    return CheckResult(task_id, passed, total)


# What the grader's extraction can rebuild (coursekit.grading.extract): imports, definitions (any
# callable but a model), and constants made of literals and cheap constructors (its SAFE_CALLS).
_KEPT_TYPES = (types.ModuleType, bool, int, float, complex, str, bytes, tuple, list, dict, set, frozenset,
               range, slice, type(None), torch.Tensor, torch.device, torch.dtype, np.ndarray, np.generic)


def _code_objects(obj) -> list[types.CodeType]:
    """The code of a function, or of every method of a class, nested functions included."""
    funcs = [obj] if isinstance(obj, types.FunctionType) else []
    if isinstance(obj, type):
        for member in vars(obj).values():
            member = getattr(member, "__func__", member)          # staticmethod, classmethod
            funcs += [f for f in (member, getattr(member, "fget", None)) if isinstance(f, types.FunctionType)]
    todo, codes = [f.__code__ for f in funcs], []
    while todo:
        code = todo.pop()
        codes.append(code)
        todo += [c for c in code.co_consts if isinstance(c, types.CodeType)]
    return codes


def _read_where_defined(obj) -> set[str]:
    """Names that ``obj``'s definition reads once, as it is defined: a function's default
    arguments and decorators; a class's bases, decorators and class-body statements other than
    its methods. From the source (a notebook cell's, which IPython keeps); empty without it."""
    tree = ast.parse(textwrap.dedent(inspect.getsource(obj)))
    node = tree.body[0]
    if isinstance(node, (ast.FunctionDef, ast.AsyncFunctionDef)):
        parts = node.decorator_list + node.args.defaults + [d for d in node.args.kw_defaults if d is not None]
    elif isinstance(node, ast.ClassDef):
        parts = node.decorator_list + node.bases + [n for n in node.body if not isinstance(
            n, (ast.FunctionDef, ast.AsyncFunctionDef, ast.ClassDef))]
    else:
        return set()
    return {n.id for part in parts for n in ast.walk(part) if isinstance(n, ast.Name) and isinstance(n.ctx, ast.Load)}


def skipped_by_the_grader(obj, name: str) -> dict[str, tuple[int, int, str]]:
    """In IPython, the names among ``name`` and the globals ``obj`` reads that the cells run so
    far bind only in statements the grader's extraction drops (a def under ``if``, a constant
    computed by a call it does not run...), with ``(execution count, line, why)``; ``{}``
    elsewhere. The grader reads the saved notebook, so cells run out of order can differ."""
    return _graders_view(obj, name)[0]


def _graders_view(obj, name: str) -> tuple[dict, dict]:
    """From one extraction of the cells run so far in IPython: :func:`skipped_by_the_grader`'s
    names, and the globals ``obj`` reads that the grader keeps as a constant but that a statement
    it drops sets again later (``size = 28``, then a loop that shrinks it), so that the grader's
    value differs from the notebook's, as ``{name: (execution count, line, the kept
    assignment)}``. ``({}, {})`` elsewhere."""
    try:
        from IPython import get_ipython

        shell = get_ipython()
        history = shell.history_manager.input_hist_raw if shell is not None else []
        cells = [{"cell_type": "code", "source": src if isinstance(src, str) else ""} for src in history[1:]]
        extraction = extract({"cells": cells, "metadata": {}})
        names = sorted({name} | _globals_read(obj))
    except Exception:  # noqa: BLE001 - a note must never stop a check
        return {}, {}
    return ({n: extraction.unkept[n] for n in names if n in extraction.unkept and n not in extraction.names},
            {n: extraction.rebound[n] for n in names if n in extraction.rebound})


def _globals_read(obj) -> set[str]:
    """The global names ``obj``'s code reads when it runs (its bytecode), and those its
    definition reads once (:func:`_read_where_defined`, where its source is at hand)."""
    names = {ins.argval for code in _code_objects(obj) for ins in dis.get_instructions(code)
             if ins.opname == "LOAD_GLOBAL" and isinstance(ins.argval, str)}
    try:
        names |= _read_where_defined(obj)   # read once, when the grader loads the code: it fails there
    except Exception:  # noqa: BLE001 - no source (a function made by exec), or one that does not parse alone
        pass
    return names


def unkept_globals(obj) -> list[tuple[str, object]]:
    """``(name, value)`` of each global that ``obj``'s code reads, or its definition reads
    (default arguments, class attributes), and that only running code can make (a model, an
    optimizer, a data set): the grader will not have it. Judged by type, so a tensor or a
    number computed from data is not caught."""
    try:
        namespace = namespace_of(obj) or {}
        names = _globals_read(obj)
    except Exception:  # noqa: BLE001 - a note must never stop a check
        return []
    found = []
    for name in sorted(names):
        if name not in namespace:            # a builtin
            continue
        value = namespace[name]
        if isinstance(value, _KEPT_TYPES) or type(value).__name__ in LOSS_MODULES:
            continue
        if callable(value) and not isinstance(value, torch.nn.Module):   # a def, a class, a decorated def
            continue
        found.append((name, value))
    return found

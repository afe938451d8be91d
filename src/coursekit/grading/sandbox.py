"""The student's side of grading: ``python -I -m coursekit.grading.sandbox JOBDIR FIRST``.

The grader (:mod:`coursekit.grading.runner`) starts this in a fresh process in
a temporary folder ``JOBDIR`` that holds

* ``job.json``: for every task, the name the student's code must define, the
  callables it may not use (:mod:`coursekit.grading.rules`) and the ``run``
  function of each case (``"module:function"`` in ``coursekit.grading``); and
  the memory limit;
* ``inputs.pt``: the cases' inputs (tensors and numbers), a list per task;
* ``submission.py``: the definitions extracted from the notebook.

This process loads the inputs, *then* runs the student's code (statement by
statement: one failing definition does not take the others with it), and runs
the tasks from number ``FIRST`` on. Before task ``k`` it writes ``k`` to
``status`` (the grader's clock for the time limit starts) and sends printed
output to ``output-k.txt``; after every case it writes ``outputs-k.pt``: plain
data that the grader loads with ``torch.load(weights_only=True)``.

Expected values never exist in this process, so nothing the student's code
changes here (``torch.allclose``, ``coursekit.check``...) can touch the comparison.
"""
from __future__ import annotations

import ast
import importlib
import importlib.machinery
import importlib.util
import json
import os
import sys
import time
import types
from pathlib import Path

import torch

from ..files import atomic_write, atomic_write_text
from . import cases
from .cases import MAX_FILE_BYTES, format_error
from .extract import bound_names, notebook_place
from .rules import execute_as_student

NAME_ERROR_NOTE = ("; the grader keeps only the notebook's imports, functions, classes and constants, so a "
                   "name that a cell makes by running code (a model, data, an optimizer) does not exist here: "
                   "pass it as an argument, or make it inside the function")


def limit_resources(memory_mb: float) -> None:
    """Allow ``MAX_FILE_BYTES`` per file (printed output included) on POSIX, and
    ``memory_mb`` MiB of address space beyond what is mapped now (torch maps a lot at
    import) on Linux, where /proc says how much that is. On Windows, a no-op."""
    try:
        import resource
    except ImportError:
        return
    resource.setrlimit(resource.RLIMIT_FSIZE, (MAX_FILE_BYTES, MAX_FILE_BYTES))
    try:
        vm_kb = int(Path("/proc/self/status").read_text().split("VmSize:")[1].split()[0])
    except (OSError, IndexError, ValueError):
        return
    limit = vm_kb * 1024 + int(memory_mb * 2**20)
    resource.setrlimit(resource.RLIMIT_AS, (limit, limit))


def print_to(path: Path) -> None:
    """Send everything printed from now on (stdout and stderr) to ``path``."""
    for stream in (sys.stdout, sys.stderr):
        try:
            stream.flush()
        except (OSError, ValueError):   # a full output file, or a closed stream
            pass
    fd = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_TRUNC, 0o600)
    os.dup2(fd, 1)
    os.dup2(fd, 2)
    os.close(fd)


def load_submission(path: Path, skip: dict[str, str] | None = None,
                    on_statement=None) -> tuple[types.ModuleType, list[str], dict[str, str]]:
    """Execute ``path`` as module ``submission``, one top-level statement at a time.
    Returns the module, a message per statement that raised, and ``{name: why it is
    missing}`` for each name that such a statement would have defined.

    ``skip``: ``{"line:column": why}`` of statements not to run (an earlier load hung or died
    in them); ``on_statement("line:column")`` is called before each statement runs (two
    statements can share a line)."""
    # A module with a spec and a loader, as an import makes (linecache warns about a bare one)
    spec = importlib.util.spec_from_file_location(
        "submission", path, loader=importlib.machinery.SourceFileLoader("submission", str(path)))
    module = importlib.util.module_from_spec(spec)
    sys.modules["submission"] = module
    errors, missing = [], {}
    source = path.read_text(encoding="utf-8")
    tree = ast.parse(source, filename=str(path))
    # Students never see the extracted file: messages name the notebook's cell and line.
    cases.STUDENT_FILE.update(path=str(path), place=lambda lineno: notebook_place(source, lineno))
    for node in tree.body:
        place, where = notebook_place(source, node.lineno), f"{node.lineno}:{node.col_offset}"
        if where in (skip or {}):
            why = f"({place}) was skipped: as the grader loaded your code, it {skip[where]}"
            errors.append(f"loading your code: the statement {why}")
            missing.update({name: f"NameError: {name!r} is not defined, because its definition {why}"
                            for name in bound_names(node)})
            continue
        if on_statement is not None:
            on_statement(where)
        try:
            exec(compile(ast.Module([node], type_ignores=[]), str(path), "exec"), module.__dict__)
        except BaseException as err:  # noqa: BLE001 - sys.exit() at import is caught too
            errors.append(f"loading your code: {place} raised {format_error(err)}")
            why = (f" is not defined, because its definition ({place}) raised {format_error(err)}"
                   + (NAME_ERROR_NOTE if isinstance(err, NameError) else ""))
            missing.update({name: f"NameError: {name!r}{why}" for name in bound_names(node)})
    return module, errors, missing


def resolve(ref: str):
    """``"coursekit.grading.tasks.cnn:run_forward"`` -> the function."""
    module, _, name = ref.partition(":")
    if not module.startswith("coursekit.grading"):
        raise ValueError(f"run functions must live in coursekit.grading; got {ref}")
    return getattr(importlib.import_module(module), name)


def write(path: Path, text: str | None = None, data=None) -> None:
    """Write atomically, so that the grader never reads half a file (not flushed to
    disk: the grader reads it moments later, and a crash ends the job anyway)."""
    if text is not None:
        atomic_write_text(path, text, durable=False)
    else:
        atomic_write(path, lambda f: torch.save(data, f), durable=False)


def main(jobdir: str, first: int) -> None:
    job = Path(jobdir)
    spec = json.loads((job / "job.json").read_text())
    torch.set_num_threads(1)
    torch.use_deterministic_algorithms(True)
    inputs = torch.load(job / "inputs.pt", weights_only=True)
    runs = [[resolve(ref) for ref in task["runs"]] for task in spec["tasks"]]
    limit_resources(spec["memory_mb"])

    write(job / "status", "load")
    print_to(job / "output-load.txt")
    skip = json.loads((job / "skip.json").read_text())
    module, errors, missing = load_submission(job / "submission.py", skip,
                                              on_statement=lambda where: write(job / "loading", where))
    write(job / "load.pt", data={"errors": errors})
    for k in range(first, len(spec["tasks"])):
        write(job / "status", str(k))
        print_to(job / f"output-{k}.txt")
        name, forbidden = spec["tasks"][k]["name"], spec["tasks"][k]["forbidden"]
        obj = getattr(module, name, None)
        records, start = [], time.monotonic()
        for run, case_inputs in zip(runs[k], inputs[k]):
            if obj is None:
                records.append({"ok": False, "not_implemented": False,
                                "error": missing.get(name, f"NameError: the notebook does not define {name!r}")})
            else:
                record = execute_as_student(run, obj, case_inputs, name, forbidden)
                if str(record.get("error", "")).startswith("NameError"):
                    record["error"] += NAME_ERROR_NOTE
                records.append(record)
            write(job / f"outputs-{k}.pt", data={"cases": records, "seconds": time.monotonic() - start})
    write(job / "status", "done")


if __name__ == "__main__":
    main(sys.argv[1], int(sys.argv[2]))

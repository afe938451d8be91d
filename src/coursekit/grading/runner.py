"""The checker's side of grading: run a submission's tasks in a child process.

The checker (this process) builds every case's inputs from a seeded generator
and computes the expected output with the reference implementation. The child
(:mod:`coursekit.grading.sandbox`) gets only the inputs and the student's
extracted code, runs the tasks one after the other, and writes back plain data,
which is compared here.

Limits per task: a wall-clock ``timeout`` (then the child's whole process group
is killed and a fresh child goes on with the next task), a memory limit
(``RLIMIT_AS`` on Linux) and at most 16 MiB of printed output, of which the
first ``MAX_OUTPUT`` characters are reported. A task that hangs, crashes or
calls ``os._exit`` loses its own points only; so does a top-level statement that
hangs or ends the process while the code loads (a fresh child loads the code again
without it, and what it defines is reported missing, saying why).
"""
from __future__ import annotations

import copy
import json
import os
import shutil
import signal
import subprocess
import sys
import tempfile
import threading
import time
from dataclasses import dataclass, field
from pathlib import Path

import torch

from .cases import Case, Task, execute, judge

__all__ = ["CaseResult", "TaskResult", "Plan", "Stopped", "GraderFailed", "expected_outputs", "run_submission",
           "MAX_OUTPUT"]

MAX_OUTPUT = 4000              # characters of printed output reported per task
MAX_RESULT_BYTES = 16 * 2**20  # a results file larger than this is ignored
POLL = 0.05                    # seconds between looks at the child
STARTUP = 120.0                # seconds the child may take to import torch and read the inputs
MAX_SKIPPED = 5                # top-level statements skipped after a load that hung or died in them


@dataclass
class CaseResult:
    """One case: passed or not, and why not."""

    case: Case
    passed: bool
    message: str = ""


@dataclass
class TaskResult:
    """All cases of one task for one submission, with what the student's code printed."""

    task: Task
    cases: list[CaseResult]
    output: str = ""
    notes: list[str] = field(default_factory=list)
    seconds: float = 0.0

    def score(self, visibility: str | None = None) -> float:
        """Points earned (of the cases with this visibility, or all); the task's
        points are shared equally among all its cases."""
        share = self.task.points / len(self.cases) if self.cases else 0.0
        return sum(share for c in self.cases if c.passed and visibility in (None, c.case.visibility))

    def max_score(self, visibility: str | None = None) -> float:
        share = self.task.points / len(self.cases) if self.cases else 0.0
        return sum(share for c in self.cases if visibility in (None, c.case.visibility))


@dataclass
class Plan:
    """A task ready to grade: its cases (public and hidden), their inputs and expected outputs."""

    task: Task
    cases: list[Case]
    inputs: list[dict]
    expected: list


def expected_outputs(task: Task, cases: list[Case]) -> Plan:
    """Build each case's inputs and compute its expected output here, with the reference."""
    inputs, expected = [], []
    for case in cases:
        inp = case.make_inputs()
        record = execute(case.run, task.reference, copy.deepcopy(inp))
        if not record["ok"]:
            raise RuntimeError(f"{task.id}: the reference fails case {case.name!r}: {record['error']}")
        inputs.append(inp)
        expected.append(record["value"])
    return Plan(task, list(cases), inputs, expected)


class Stopped(Exception):
    """Grading was stopped from outside (Ctrl-C); the submission has no grade."""


class GraderFailed(RuntimeError):
    """The grading process did not start, before any of the student's code ran: the
    grader's installation or machine is at fault, not the submission, which gets no grade."""


def run_submission(plans: list[Plan], source: str, *, timeout: float | None = None,
                   memory_mb: float = 2048, stop: threading.Event | None = None
                   ) -> tuple[list[TaskResult], list[str], str]:
    """Grade the student's module ``source`` on every task of ``plans``.

    Returns ``(task results, notes about loading the code, what loading printed)``.
    ``timeout`` (seconds per task) overrides each task's own. When ``stop`` is set, the child
    is killed within ``POLL`` seconds and :class:`Stopped` is raised; when the child cannot
    start, :class:`GraderFailed` is raised, with what it printed.
    """
    limits = [timeout or p.task.timeout for p in plans]
    job = Path(tempfile.mkdtemp(prefix="coursekit-grade-"))
    try:
        (job / "submission.py").write_text(source, encoding="utf-8")
        (job / "job.json").write_text(json.dumps({"memory_mb": memory_mb, "tasks": [
            {"name": p.task.name, "forbidden": list(p.task.forbidden),
             "runs": [f"{c.run.__module__}:{c.run.__qualname__}" for c in p.cases]}
            for p in plans]}))
        torch.save([p.inputs for p in plans], job / "inputs.pt")
        notes: dict[int, list[str]] = {k: [] for k in range(len(plans))}
        first, load_notes, skip = 0, [], {}
        while first < len(plans):
            (job / "skip.json").write_text(json.dumps(skip))
            (job / "loading").unlink(missing_ok=True)
            stopped, phase = _run_child(job, first, limits, stop)
            if phase is None:
                why = f"it did not start within {STARTUP:g} s" if stopped else "it ended"
                raise GraderFailed(f"the grading process failed to start ({why}), before the submission's code "
                                   f"ran, so every submission would score 0. It printed: "
                                   f"{_read_output(job / 'output-start.txt').strip() or 'nothing'}")
            if phase == "load":   # the code never got as far as the first task
                why = (f"took longer than {limits[first]:g} s (an infinite loop?)" if stopped
                       else "ended the process (os._exit, a crash, or too much memory?)")
                where = _loading_statement(job)
                if where is not None and where not in skip and len(skip) < MAX_SKIPPED:
                    skip[where] = why         # load again without it: one statement costs only what it defines
                    continue
                load_notes.append(f"loading your code {why}; the remaining tasks could not be graded")
                break
            if phase == "done" or not phase.isdigit() or not first <= int(phase) < len(plans):
                break
            k = int(phase)
            done = len(_load(job / f"outputs-{k}.pt", []).get("cases", []))
            if stopped:
                notes[k].append(f"stopped after {limits[k]:g} s (the time limit) in case {done + 1}; "
                                "unfinished cases score 0. Look for an infinite loop or a long loop over data.")
            elif done < len(plans[k].cases):
                notes[k].append(f"the process ended during case {done + 1}; unfinished cases score 0. "
                                "Did the code call os._exit(), crash, or run out of memory?")
            first = k + 1
        load = _load(job / "load.pt", load_notes)
        load_notes = [e for e in load.get("errors", []) if isinstance(e, str)] + load_notes
        results = []
        for k, plan in enumerate(plans):
            out = _load(job / f"outputs-{k}.pt", notes[k])
            seconds = out.get("seconds") if isinstance(out.get("seconds"), float) else 0.0
            results.append(TaskResult(plan.task, score_cases(plan, out.get("cases", [])),
                                      _read_output(job / f"output-{k}.txt"), notes[k], seconds))
        return results, load_notes, _read_output(job / "output-load.txt")
    finally:
        shutil.rmtree(job, ignore_errors=True)


def _run_child(job: Path, first: int, limits: list[float],
               stop: threading.Event | None = None) -> tuple[bool, str | None]:
    """Run the sandbox from task ``first`` until it finishes, dies, or a task
    exceeds its time limit. Returns ``(stopped by the time limit, last status)``:
    None (never started), "load", a task number, or "done". Raises :class:`Stopped`, having
    killed the child, when ``stop`` is set."""
    with open(job / "output-start.txt", "wb") as log:
        proc = subprocess.Popen(_child_command(job, first), cwd=job, env=_child_env(), stdin=subprocess.DEVNULL,
                                stdout=log, stderr=subprocess.STDOUT, start_new_session=True)
    start = time.monotonic()
    # The status file lives where the student's code can write; so a deadline for the
    # whole child bounds the run even if that code rewrites it to reset the clock.
    deadline = start + STARTUP + limits[first] + sum(limits[first:])
    phase, since, stopped = None, start, False
    while proc.poll() is None:
        time.sleep(POLL)
        if stop is not None and stop.is_set():
            _kill_group(proc)
            raise Stopped("grading was stopped")
        status = _status(job)
        if status != phase:                   # a new phase: its clock starts now
            phase, since = status, time.monotonic()
        limit = {None: STARTUP, "load": limits[first], "done": STARTUP}.get(phase)
        if limit is None:
            limit = limits[int(phase)] if phase.isdigit() and int(phase) < len(limits) else 0
        now = time.monotonic()
        if now - since > limit or now > deadline:
            stopped = True
            break
    _kill_group(proc)      # also ends anything the student's code started
    return stopped, _status(job)


def _loading_statement(job: Path) -> str | None:
    """Where the top-level statement the child was loading when it stopped starts,
    ``"line:column"`` (two statements can share a line: ``a = 1; b = 2``), if it said."""
    try:
        text = (job / "loading").read_text().strip()
    except OSError:
        return None
    line, _, column = text.partition(":")
    return text if line.isdigit() and column.isdigit() else None


def _status(job: Path) -> str | None:
    try:
        return (job / "status").read_text().strip() or None
    except OSError:
        return None


def _child_command(job: Path, first: int) -> list[str]:
    """The sandbox, run by this interpreter in isolated mode (``-I``: no PYTHON* variables, no
    user site-packages, not the working folder) but importing from this process's ``sys.path``,
    so it finds the coursekit and torch this process uses however they were installed
    (``pip install --user``, ``PYTHONPATH``). Its printed output is UTF-8 (``-X utf8``) whatever
    the locale, so a student's ``print("×")`` costs nothing on Windows either."""
    cwd = os.getcwd()
    paths = [os.path.abspath(p) for p in sys.path if p and os.path.abspath(p) != cwd]
    boot = (f"import sys, runpy; sys.path[:] = {paths!r}; "
            "runpy.run_module('coursekit.grading.sandbox', run_name='__main__', alter_sys=True)")
    return [sys.executable, "-I", "-X", "utf8", "-u", "-c", boot, str(job), str(first)]


def _child_env() -> dict:
    """A small environment: no tokens or secrets of the grader's shell reach the student's code."""
    env = {k: v for k, v in os.environ.items() if k in ("PATH", "HOME", "LANG", "LC_ALL", "TMPDIR", "SYSTEMROOT")}
    env.update(OMP_NUM_THREADS="1", MKL_NUM_THREADS="1", CUDA_VISIBLE_DEVICES="", COURSEKIT_DEVICE="cpu",
               MPLBACKEND="Agg", COURSEKIT_PROGRESS="0", COURSEKIT_PROFILE="quick")
    return env


def _kill_group(proc: subprocess.Popen) -> None:
    """Kill the child and everything it started (its whole session, on POSIX)."""
    try:
        if hasattr(os, "killpg"):
            os.killpg(proc.pid, signal.SIGKILL)
        else:
            proc.kill()
    except (ProcessLookupError, PermissionError):
        pass
    proc.wait()


def _read_output(path: Path) -> str:
    """The first MAX_OUTPUT characters of a printed-output file, and how much was cut."""
    if not path.exists():
        return ""
    with open(path, "rb") as f:
        head = f.read(MAX_OUTPUT)
    size = path.stat().st_size
    text = head.decode("utf-8", errors="replace")
    if size > MAX_OUTPUT:
        text += f"\n[... {size - MAX_OUTPUT:,} more bytes of output cut ...]"
    return text


def _load(path: Path, notes: list[str]) -> dict:
    """A file the child wrote, loaded as data only (``weights_only=True``); {} if absent or bad."""
    if not path.exists():
        return {}
    if path.stat().st_size > MAX_RESULT_BYTES:
        notes.append(f"{path.name} was larger than {MAX_RESULT_BYTES // 2**20} MiB and was ignored")
        return {}
    try:
        data = torch.load(path, weights_only=True)
    except Exception as err:  # noqa: BLE001 - the student's process wrote this file
        notes.append(f"{path.name} could not be read ({type(err).__name__}) and was ignored")
        return {}
    return data if isinstance(data, dict) else {}


def score_cases(plan: Plan, records: list) -> list[CaseResult]:
    """Compare each record with the expected output, here in the checker's process."""
    results = []
    for i, case in enumerate(plan.cases):
        record = records[i] if i < len(records) and isinstance(records[i], dict) else None
        if record is None:
            results.append(CaseResult(case, False, "did not finish (see the notes)"))
            continue
        msg = judge(case, plan.expected[i], record, plan.inputs[i])
        results.append(CaseResult(case, msg is None, msg or ""))
    return results

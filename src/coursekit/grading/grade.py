"""``coursekit grade``: grade a folder of submitted notebooks.

For each submission: read the notebook, find its exercise, extract the
student's definitions (:mod:`.extract`), run its tasks in a child process
(:mod:`.runner`; a fresh one after a task that hangs or crashes), and write ``OUT/<name>/results.json`` (Gradescope),
``OUT/<name>/summary.txt`` and the extracted ``OUT/<name>/submission.py``.
``OUT/grades.csv`` (one row per submission) is written on every run.

Existing reports are never replaced silently: the run stops before grading
anything unless ``force=True``.
"""
from __future__ import annotations

import os
import time
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path

from ..files import atomic_write_text
from . import tasks as _tasks
from .extract import Extraction, exercise_of, extract, read_notebook
from .report import Report, fmt, grades_csv, write_report
from .runner import Plan, expected_outputs, run_submission

__all__ = ["grade", "planned_outputs"]


def planned_outputs(submissions: list[Path], out: Path) -> list[Path]:
    """Every file a run would write; refuses two submissions with the same name."""
    stems = [p.stem for p in submissions]
    duplicates = sorted({s for s in stems if stems.count(s) > 1})
    if duplicates:
        raise ValueError(f"several submissions are named {duplicates}; reports are stored by file name, "
                         "so rename them or grade them into different --out folders")
    paths = [out / "grades.csv"]
    for stem in stems:
        paths += [out / stem / name for name in ("results.json", "summary.txt", "submission.py")]
    return paths


def grade(submissions, out, *, timeout: float | None = None, hidden=None, memory_mb: float = 2048,
          jobs: int | None = None, force: bool = False, exercise: str | None = None, log=None) -> list[Report]:
    """Grade ``submissions`` (.ipynb paths) into folder ``out``; returns the reports.

    timeout:   wall-clock seconds per task (default: each task's own, 60 s for the CNN tasks).
    hidden:    folder of instructor cases (``<exercise>.py``, see :mod:`.tasks`).
    memory_mb: address space a task's process may add beyond what torch maps at import.
    jobs:      submissions graded at once, each in its own child process (default: CPU cores).
    force:     replace existing reports.
    exercise:  use this exercise for every submission instead of reading it from the notebook.
    log:       called with one line per graded submission, as it finishes, and a last line
               (default: print, flushed, so a piped log shows progress while it runs).
    """
    log = log or (lambda line: print(line, flush=True))
    submissions, out = [Path(p) for p in submissions], Path(out)
    if not submissions:
        raise ValueError("no submissions to grade")
    missing = [str(p) for p in submissions if not p.is_file()]
    if missing:
        raise FileNotFoundError(f"no such submission file(s): {', '.join(missing)}")
    if exercise is not None and exercise not in _tasks.exercises():
        raise ValueError(f"unknown exercise {exercise!r}; known: {_tasks.exercises()}")
    planned = planned_outputs(submissions, out)
    existing = [p for p in planned if p.exists()]
    if existing and not force:
        raise FileExistsError(f"{len(existing)} report file(s) already exist, e.g. {existing[0]}. "
                              "Pass --force to replace them, or choose another --out folder.")
    clash = {p.resolve() for p in submissions} & {p.resolve() for p in planned}
    if clash:
        raise ValueError(f"a submission would be overwritten by a report: {sorted(clash)}")

    with_hidden = _tasks.check_hidden_folder(hidden) if hidden else []
    prepared = [_prepare(p, exercise) for p in submissions]
    graded = {ex for _, ex, _ in prepared if ex}
    for ex in sorted(graded - set(with_hidden) if hidden else ()):
        log(f"note: --hidden {hidden} has no {ex}.py: {ex} is graded on its public cases only")
    plans = _plans(graded, hidden)

    def grade_one(item) -> Report:
        path, ex, extraction = item
        if not ex:   # unreadable, or of no known exercise: graded 0, with the reason
            note = ("could not tell which exercise this notebook is (no metadata.coursekit.exercise and "
                    "no coursekit.check(...) call); graded as 0. Use --exercise NAME.")
            report = Report(path, None, notes=extraction.notes or [note])
        else:
            started = time.monotonic()
            results, load_notes, output = run_submission(plans[ex], extraction.source, timeout=timeout,
                                                         memory_mb=memory_mb)
            report = Report(path, ex, results, extraction.notes + load_notes, time.monotonic() - started, output)
        # Each report is written as soon as its submission is graded, so an interrupted run keeps
        # what it finished and its log says how far it got.
        write_report(report, out / report.name, extraction.source)
        log(f"{report.path}: {fmt(report.score)} / {fmt(report.max_score)} -> {out / report.name / 'results.json'}")
        return report

    started = time.monotonic()
    with ThreadPoolExecutor(max_workers=jobs or os.cpu_count() or 1) as pool:
        reports = list(pool.map(grade_one, prepared))   # one child process per submission at a time
    atomic_write_text(out / "grades.csv", grades_csv(reports))
    log(f"{len(reports)} submission(s) graded in {time.monotonic() - started:.1f} s; gradebook: {out / 'grades.csv'}")
    return reports


def _prepare(path: Path, exercise: str | None):
    """``(path, exercise or None, Extraction)``; an unreadable notebook grades as 0."""
    try:
        nb = read_notebook(path)
    except ValueError as err:
        return path, None, Extraction(source="", notes=[str(err)])
    ex = exercise or exercise_of(nb)
    if ex is not None and ex not in _tasks.exercises():
        extraction = extract(nb)
        extraction.notes.insert(0, f"unknown exercise {ex!r}; known: {_tasks.exercises()}")
        return path, None, extraction
    return path, ex, extract(nb)


def _plans(exercises: set[str], hidden) -> dict[str, list[Plan]]:
    """Per exercise, every task with its public and hidden cases, their inputs and
    expected outputs, computed once, here, for all submissions."""
    plans = {}
    for ex in sorted(exercises):
        extra = _tasks.load_hidden(hidden, ex) if hidden else {}
        plans[ex] = [expected_outputs(task, list(task.cases) + extra.get(task.id, []))
                     for task in _tasks.exercise_tasks(ex)]
    return plans

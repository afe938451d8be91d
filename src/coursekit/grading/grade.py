"""``coursekit grade``: grade a folder of submitted notebooks.

For each submission: read the notebook, find its exercise, extract the
student's definitions (:mod:`.extract`), run its tasks in a child process
(:mod:`.runner`; a fresh one after a task that hangs or crashes), and write ``OUT/<name>/results.json`` (Gradescope),
``OUT/<name>/summary.txt`` and the extracted ``OUT/<name>/submission.py``, and update
``OUT/grades.csv``, the gradebook (one row per submission; the rows of earlier runs into the
same folder are kept), as soon as it is graded.

Existing reports are never replaced silently: the run stops before grading
anything unless ``force=True``. Ctrl-C stops the submissions being graded at once (their
processes are killed and they get no report); what finished is kept, in the gradebook too.
"""
from __future__ import annotations

import os
import re
import threading
import time
import unicodedata
from concurrent.futures import FIRST_EXCEPTION, ThreadPoolExecutor
from concurrent.futures import wait as futures_wait
from pathlib import Path

from ..files import atomic_write_text
from . import tasks as _tasks
from .extract import Extraction, exercise_of, extract, read_notebook, unkept_notes
from .report import Report, fmt, gradebook_cells, grades_csv, read_grades, write_report
from .runner import Plan, expected_outputs, run_submission

__all__ = ["grade", "planned_outputs"]

WAKE_EVERY = 0.5   # seconds between the main thread's looks for Ctrl-C while submissions are graded


def planned_outputs(submissions: list[Path], out: Path) -> list[Path]:
    """Every report file a run would write (the gradebook aside, which it updates); refuses
    two submissions with the same name, or names that differ only in case or Unicode form
    (``Alice``, ``alice``), which share a folder on macOS's and Windows' file systems."""
    stems = [p.stem for p in submissions]
    folder = [unicodedata.normalize("NFC", s).casefold() for s in stems]
    duplicates = sorted({s for s, f in zip(stems, folder) if folder.count(f) > 1})
    if duplicates:
        raise ValueError(f"several submissions are named {duplicates}; reports are stored by file name, "
                         "so rename them or grade them into different --out folders")
    return [out / stem / name for stem in stems for name in ("results.json", "summary.txt", "submission.py")]


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
    if out.exists() and not out.is_dir():   # was "[Errno 20] Not a directory: 'OUT/NAME'"
        raise NotADirectoryError(f"--out {out} is a file, not a folder: name a folder for the reports")
    folders = [str(p) for p in submissions if p.is_dir()]
    if folders:
        raise ValueError(f"{folders[0]} is a folder: pass the notebooks in it, e.g. {Path(folders[0]) / '*.ipynb'}")
    missing = [str(p) for p in submissions if not p.is_file()]
    if missing:
        patterns = " (a pattern the shell matched to no file is passed on as it is)" if any(
            c in m for m in missing for c in "*?[") else ""
        raise FileNotFoundError(f"no such submission file(s): {', '.join(missing)}{patterns}")
    seen: dict[Path, Path] = {}
    for p in submissions:    # was "several submissions are named [...]", as for two students' files
        if p.resolve() in seen:
            raise ValueError(f"{p} is given twice (also as {seen[p.resolve()]}): name each submission once")
        seen[p.resolve()] = p
    if exercise is not None:
        exercise = _tasks.exercise_named(exercise)   # "nn", or its notebook "01_neural_networks"
    planned = planned_outputs(submissions, out)
    existing = [p for p in planned if p.exists()]
    if existing and not force:
        raise FileExistsError(f"{len(existing)} report file(s) already exist, e.g. {existing[0]}. "
                              "Pass --force to replace them, or choose another --out folder.")
    gradebook = out / "grades.csv"
    clash = {p.resolve() for p in submissions} & {p.resolve() for p in planned + [gradebook]}
    if clash:
        raise ValueError(f"a submission would be overwritten by a report: {sorted(clash)}")
    earlier = read_grades(gradebook)    # kept: a late or re-graded notebook updates its own row only

    with_hidden = _tasks.check_hidden_folder(hidden) if hidden else []
    prepared = [_prepare(p, exercise) for p in submissions]
    for path, _, extraction in prepared:
        for note in extraction.notes:
            if note.startswith(OTHER_EXERCISE):
                log(f"note: {path}: {note}")
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
                                                         memory_mb=memory_mb, stop=stop)
            for result in results:    # a NameError for a name the notebook binds in a dropped statement
                result.notes += unkept_notes(extraction, [c.message for c in result.cases if not c.passed])
            report = Report(path, ex, results, extraction.notes + load_notes, time.monotonic() - started, output)
        # Each report, and its row of the gradebook, is written as soon as its submission is
        # graded, so an interrupted run keeps what it finished and its log says how far it got.
        write_report(report, out / report.name, extraction.source)
        with lock:
            finished.append(report)
            atomic_write_text(gradebook, grades_csv(finished, earlier))
        graded_as = f"(exercise {ex})" if ex else "NOT GRADED: see its summary.txt"
        log(f"{report.path}: {fmt(report.score)} / {fmt(report.max_score)} {graded_as} -> "
            f"{out / report.name / 'results.json'}")
        return report

    started, lock, finished, stop = time.monotonic(), threading.Lock(), [], threading.Event()
    pool = ThreadPoolExecutor(max_workers=jobs or os.cpu_count() or 1)
    try:
        futures = [pool.submit(grade_one, item) for item in prepared]   # one child process per submission
        # Wait in short slices: the kernel may hand Ctrl-C's SIGINT to a pool thread, and Python then
        # raises KeyboardInterrupt in the main thread only once that thread wakes up by itself.
        pending = futures
        while pending:
            done, pending = futures_wait(futures, timeout=WAKE_EVERY, return_when=FIRST_EXCEPTION)
            for f in done:
                if f.exception() is not None:      # a grader that cannot start: stop now, as after Ctrl-C
                    f.result()
        reports = [f.result() for f in futures]
    except BaseException:      # Ctrl-C: stop the children now rather than after their submissions
        stop.set()
        pool.shutdown(wait=True, cancel_futures=True)
        raise
    pool.shutdown()
    atomic_write_text(gradebook, grades_csv(reports, earlier))     # in the order of the submissions
    kept = [row for row in earlier if row["submission"] not in {r.name for r in reports}]
    log(f"{len(reports)} submission(s) graded in {time.monotonic() - started:.1f} s; gradebook: {gradebook}"
        + _replaced_rows(earlier, reports) + _kept_rows(kept) + _mixed_exercises(kept, reports)
        + _copies(earlier, reports))
    return reports


def _replaced_rows(earlier: list[dict], reports: list[Report]) -> str:
    """A note naming the earlier rows that this run re-graded (with ``--force``) and whose cells
    it changed, such as a total corrected by hand in the gradebook, with the old and new totals."""
    new_rows = {r.name: gradebook_cells(r) for r in reports}
    changed = []
    for row in earlier:
        cells = new_rows.get(row["submission"])
        if cells is not None and any((row.get(k) or "") != v for k, v in cells.items()):
            changed.append(f"{row['submission']} (total was {row.get('total') or 'empty'}, "
                           f"now {cells['total'] or 'empty'})")
    if not changed:
        return ""
    listed = ", ".join(changed[:5]) + (f" and {len(changed) - 5} more" if len(changed) > 5 else "")
    return (f"\nnote: re-grading replaced the gradebook rows of {len(changed)} submission(s) whose cells "
            f"differed (a hand edit, or other cases): {listed}")


def _copies(earlier: list[dict], reports: list[Report]) -> str:
    """A note naming the gradebook's rows whose names differ only by a copy suffix such as
    `` (1)``, which a browser or a learning platform adds to a second download or upload of
    one file: most likely one student's notebook, graded twice."""
    names = [row["submission"] for row in earlier] + [r.name for r in reports if r.name not in
                                                      {row["submission"] for row in earlier}]
    groups: dict[str, list[str]] = {}
    for name in names:
        groups.setdefault(re.sub(r"\s*\(\d+\)$", "", name), []).append(name)
    twice = [" and ".join(group) for group in groups.values() if len(group) > 1]
    if not twice:
        return ""
    return ("\nnote: these rows look like one notebook submitted more than once (names that differ only by "
            f"a ' (1)'-style suffix): {'; '.join(twice)}. Each has its own row; keep the one that counts.")


def _kept_rows(kept: list[dict]) -> str:
    """A note naming the earlier runs' rows (``kept``) that this run did not re-grade."""
    if not kept:
        return ""
    names = [row["submission"] for row in kept]
    listed = ", ".join(names[:5]) + (f" and {len(names) - 5} more" if len(names) > 5 else "")
    return f"\nnote: the gradebook also keeps the rows of {len(names)} submission(s) graded by earlier runs: {listed}"


def _mixed_exercises(kept: list[dict], reports: list[Report]) -> str:
    """A note when the gradebook (this run's ``reports`` and the earlier rows it ``kept``) holds
    notebooks of several exercises (e.g. one uploaded to the wrong assignment): each total is
    then out of a different number of points. A kept row's exercise is the prefix of its
    graded tasks (``cnn.``)."""
    by_exercise: dict[str, list[str]] = {}
    for r in reports:
        if r.exercise:
            by_exercise.setdefault(r.exercise, []).append(r.name)
    for row in kept:
        graded = [k for k, v in row.items() if k not in ("submission", "total") and v]
        if graded:
            by_exercise.setdefault(graded[0].split(".")[0], []).append(row["submission"])
    if len(by_exercise) < 2:
        return ""
    parts = [f"{ex} ({len(names)}: {', '.join(names[:3])}{', ...' if len(names) > 3 else ''})"
             for ex, names in sorted(by_exercise.items(), key=lambda item: (len(item[1]), item[0]))]
    return ("\nnote: the gradebook holds notebooks of several exercises: " + "; ".join(parts)
            + ". Each total is out of its own exercise's points; check that every notebook was submitted "
            "to the right assignment.")


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
    extraction = extract(nb)
    own = exercise_of(nb) if exercise else None
    if own is not None and own != exercise:    # most likely uploaded to the wrong assignment
        extraction.notes.insert(0, f"{OTHER_EXERCISE} {own!r}, but it was graded as exercise {exercise!r} "
                                   "(--exercise): was it submitted to the wrong assignment?")
    return path, ex, extraction


OTHER_EXERCISE = "this notebook says it is exercise"


def _plans(exercises: set[str], hidden) -> dict[str, list[Plan]]:
    """Per exercise, every task with its public and hidden cases, their inputs and
    expected outputs, computed once, here, for all submissions."""
    plans = {}
    for ex in sorted(exercises):
        extra = _tasks.load_hidden(hidden, ex) if hidden else {}
        plans[ex] = [expected_outputs(task, list(task.cases) + extra.get(task.id, []))
                     for task in _tasks.exercise_tasks(ex)]
    return plans

"""Grade reports: Gradescope's ``results.json``, a readable ``summary.txt`` and
the class gradebook ``grades.csv``.

``results.json`` follows the Gradescope autograder format: a total ``score`` and
one entry in ``tests`` per task and visibility, each with ``name``, ``score``,
``max_score``, ``output`` and ``visibility`` (``"visible"`` for the public
cases, ``"hidden"`` for instructor cases).
"""
from __future__ import annotations

import csv
import io
import json
from dataclasses import dataclass, field
from pathlib import Path

from ..files import atomic_write_text
from .runner import TaskResult

__all__ = ["Report", "results_json", "summary_text", "grades_csv", "gradebook_cells", "read_grades"]


@dataclass
class Report:
    """The grade of one submission."""

    path: Path
    exercise: str | None
    tasks: list[TaskResult] = field(default_factory=list)
    notes: list[str] = field(default_factory=list)
    seconds: float = 0.0
    output: str = ""      # what the student's code printed while it was loaded

    @property
    def name(self) -> str:
        return self.path.stem

    @property
    def score(self) -> float:
        return sum(t.score() for t in self.tasks)

    @property
    def max_score(self) -> float:
        return sum(t.max_score() for t in self.tasks)


def fmt(x: float) -> str:
    """Points for people: 3, 2.5, 1.67."""
    return f"{round(x, 2):g}"


def case_lines(result: TaskResult, visibility: str) -> list[str]:
    """One PASS/FAIL line (with the message and hint) per case of this visibility."""
    return [f"PASS  {c.case.name}" if c.passed else f"FAIL  {c.case.name}: {c.message}"
            for c in result.cases if c.case.visibility == visibility]


def task_output(result: TaskResult, visibility: str) -> str:
    """The cases of one visibility, then notes, then (for students) what their code printed."""
    lines = case_lines(result, visibility)
    if result.notes:
        lines += ["", "Notes:"] + [f"- {n}" for n in result.notes]
    if visibility == "visible" and result.output.strip():
        lines += ["", "Your code printed:", result.output.rstrip()]
    return "\n".join(lines)


def results_json(report: Report) -> str:
    """The Gradescope ``results.json`` text of one submission."""
    tests = []
    for r in report.tasks:
        for visibility, suffix in (("visible", ""), ("hidden", " (hidden cases)")):
            if any(c.case.visibility == visibility for c in r.cases):
                tests.append({"name": f"{r.task.id}: {r.task.title}{suffix}",
                              "score": round(r.score(visibility), 4),
                              "max_score": round(r.max_score(visibility), 4),
                              "output": task_output(r, visibility),
                              "visibility": visibility})
    header = f"{report.path.name}: exercise {report.exercise or 'unknown'}"
    output = "\n".join([header] + [f"- {n}" for n in report.notes])
    if report.output.strip():
        output += "\n\nYour code printed while it was loaded:\n" + report.output.rstrip()
    data = {"score": round(report.score, 4), "execution_time": round(report.seconds, 1),
            "output": output, "tests": tests}
    return json.dumps(data, indent=2) + "\n"


def summary_text(report: Report) -> str:
    """A report for people: the total, one line per task, then every case."""
    lines = ["coursekit grade report",
             f"submission: {report.path}",
             f"exercise:   {report.exercise or 'unknown'}",
             f"score:      {fmt(report.score)} / {fmt(report.max_score)}", ""]
    width = max([len(r.task.id) for r in report.tasks] + [4])
    lines.append(f"{'task':<{width}}  {'score':>9}  cases passed")
    for r in report.tasks:
        passed = sum(c.passed for c in r.cases)
        lines.append(f"{r.task.id:<{width}}  {fmt(r.score()) + ' / ' + fmt(r.max_score()):>9}  {passed}/{len(r.cases)}")
    if report.notes:
        lines += ["", "notes:"] + [f"  - {n}" for n in report.notes]
    if report.output.strip():
        lines += ["", "printed while loading the code:", report.output.rstrip()]
    for r in report.tasks:
        lines += ["", f"----- {r.task.id}: {r.task.title} -----"]
        hidden = case_lines(r, "hidden")
        lines += case_lines(r, "visible") + (["hidden cases:"] + hidden if hidden else [])
        if r.notes:
            lines += ["notes:"] + [f"- {n}" for n in r.notes]
        if r.output.strip():
            lines += ["printed output:", r.output.rstrip()]
    return "\n".join(lines) + "\n"


def read_grades(path: Path) -> list[dict[str, str]]:
    """The rows of the gradebook ``path`` that an earlier run wrote (``[]`` when there is none),
    as ``{column: text}``; refuses a file that is not a coursekit gradebook rather than
    overwriting it."""
    path = Path(path)
    if not path.exists():
        return []
    try:
        with open(path, newline="", encoding="utf-8-sig") as f:     # -sig: as Excel saves "CSV UTF-8"
            reader = csv.DictReader(f)
            rows = list(reader)
            columns = reader.fieldnames or []
    except (OSError, UnicodeDecodeError, csv.Error) as err:
        raise ValueError(f"{path} cannot be read as a gradebook ({err}); move it away or choose another --out") from None
    if columns[:1] != ["submission"] or "total" not in columns:
        raise ValueError(f"{path} is not a coursekit gradebook (its columns are {columns[:4]}..., not "
                         "'submission', the tasks, 'total'); move it away or choose another --out folder")
    from .tasks import exercise_tasks, exercises    # here: the task modules import the grading package
    ours = {"total"} | {t.id for e in exercises() for t in exercise_tasks(e)}
    foreign = [c for c in columns[1:] if c not in ours]
    if foreign:     # an instructor's own column ("comment", "late"): a rewrite would drop or blank it
        raise ValueError(f"{path} has column(s) that coursekit grade did not write: {foreign}. Every run "
                         "rewrites the gradebook, which would lose them; keep your own columns in a copy "
                         "of the file, or choose another --out folder")
    for number, row in enumerate(rows, start=2):
        if None in row:        # more cells than columns: its rewrite would have a column with no name
            raise ValueError(f"{path}, line {number}: {len(columns) + len(row[None])} cells under {len(columns)} "
                             "columns; mend or move the file, or choose another --out folder")
    return rows


def grades_csv(reports: list[Report], earlier: list[dict[str, str]] = ()) -> str:
    """The gradebook: one row per submission, one column per task, and the total.

    ``earlier`` (:func:`read_grades` of the gradebook already in the folder) keeps, in its
    place, the row of each submission that is not among ``reports``; a re-graded submission's
    row is replaced where it stood, and new ones follow. So grading a late notebook or
    re-grading one into the same folder updates the gradebook instead of shrinking it to one row.

    The text starts with a byte order mark, as Excel's own "CSV UTF-8" does: without it, Excel
    reads the file in the computer's code page and shows José as JosÃ©.
    """
    task_ids = []
    for row in earlier:
        task_ids += [k for k in row if k not in ("submission", "total") and k not in task_ids]
    for rep in reports:
        task_ids += [r.task.id for r in rep.tasks if r.task.id not in task_ids]
    cells = {rep.name: gradebook_cells(rep) for rep in reports}
    new = {name: [name, *(c.get(t, "") for t in task_ids), c["total"]] for name, c in cells.items()}
    rows = [new.pop(row["submission"], None) or [row["submission"], *(row.get(t) or "" for t in task_ids),
                                                 row["total"]] for row in earlier]
    buf = io.StringIO()
    buf.write("\ufeff")
    writer = csv.writer(buf, lineterminator="\n")
    writer.writerow(["submission", *task_ids, "total"])
    writer.writerows(rows + list(new.values()))
    return buf.getvalue()


def gradebook_cells(report: Report) -> dict[str, str]:
    """A submission's cells in the gradebook: each task's score by task id, and ``"total"``, which
    is empty for a notebook that was not graded (unreadable, or of no known exercise), where a 0
    would enter a gradebook import as a grade like any other."""
    return {**{r.task.id: fmt(r.score()) for r in report.tasks},
            "total": fmt(report.score) if report.exercise else ""}


def write_report(report: Report, folder: Path, module_source: str) -> None:
    """``results.json``, ``summary.txt`` and the extracted ``submission.py`` in ``folder``,
    each written whole (:func:`coursekit.files.atomic_write_text`): a run stopped mid-write
    leaves the previous report, not half of one."""
    atomic_write_text(folder / "results.json", results_json(report))
    atomic_write_text(folder / "summary.txt", summary_text(report))
    atomic_write_text(folder / "submission.py", module_source)

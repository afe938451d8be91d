"""`coursekit grade` end to end: real child processes, real reports.

Each scenario is graded once (module-scoped fixtures) and several tests read
its reports: the solutions, the untouched exercises, and a class of hostile
submissions (an infinite loop, sys.exit/os._exit, monkeypatching the checker,
output flooding, a memory hog, answers taken from torch or from coursekit, a
global that only running a cell makes).
"""
import codecs
import csv
import json
import math
import signal
import sys
import time
from pathlib import Path

import pytest

from coursekit import book
from coursekit.cli import main
from coursekit.grading.runner import MAX_OUTPUT
from coursekit.grading.tasks import exercise_tasks
from subprocess_helpers import run_or_say_where_it_stopped

ROOT = book.ROOT
SOLUTIONS = sorted((ROOT / "solutions").glob("*.ipynb"))
EXERCISES = sorted((ROOT / "exercises").glob("*.ipynb"))
CNN_SOLUTION = ROOT / "solutions" / "02_cnn.ipynb"
TASK_IDS = [t.id for t in exercise_tasks("cnn")]


def exercise_of(notebook: Path) -> str:
    return json.loads(notebook.read_text())["metadata"]["coursekit"]["exercise"]

HIDDEN_CASES = '''
from coursekit.grading.tasks.cnn import conv_case, size_case
CASES = {
    "cnn.conv2d": [conv_case("5x5 kernel, stride 3, padding 2", c_in=2, c_out=2, size=(11, 10),
                             kernel=(5, 5), stride=3, padding=2, bias=True, seed=11)],
    "cnn.output_size": [size_case("100 pixels, 7x7 kernel, stride 3, padding 3", 100, 7, stride=3, padding=3)],
}
'''


def results(out: Path, name: str) -> dict:
    return json.loads((out / name / "results.json").read_text())


def task_scores(data: dict) -> dict[str, float]:
    scores = {}
    for test in data["tests"]:
        task_id = test["name"].split(":")[0]
        scores[task_id] = scores.get(task_id, 0) + test["score"]
    return scores


def submission(path: Path, **cells: str) -> Path:
    """The CNN solution notebook with the cell defining each named function/class replaced."""
    nb = json.loads(CNN_SOLUTION.read_text())
    for cell in nb["cells"]:
        src = "".join(cell["source"])
        for name, new in cells.items():
            if cell["cell_type"] == "code" and (f"def {name}(" in src or f"class {name}(" in src):
                cell["source"] = new
    path.write_text(json.dumps(nb))
    return path


# --------------------------------------------------------------- scenarios

@pytest.fixture(scope="module")
def solutions_run(tmp_path_factory):
    """`coursekit grade solutions/*.ipynb --hidden DIR`."""
    tmp = tmp_path_factory.mktemp("solutions")
    (tmp / "hidden").mkdir()
    (tmp / "hidden" / "cnn.py").write_text(HIDDEN_CASES)
    out = tmp / "grades"
    rc = main(["grade", *map(str, SOLUTIONS), "--out", str(out), "--hidden", str(tmp / "hidden")])
    return rc, out


@pytest.fixture(scope="module")
def exercises_run(tmp_path_factory):
    """`coursekit grade exercises/*.ipynb`, through the installed console script."""
    out = tmp_path_factory.mktemp("exercises") / "grades"
    script = Path(sys.executable).with_name("coursekit")
    proc = run_or_say_where_it_stopped([str(script), "grade", *map(str, EXERCISES), "--out", str(out)],
                                       timeout=300)
    return proc, out


@pytest.fixture(scope="module")
def hostile_run(tmp_path_factory):
    tmp = tmp_path_factory.mktemp("hostile")
    subs = [
        submission(tmp / "loop.ipynb", conv_output_size=(
            "def conv_output_size(size, kernel_size, stride=1, padding=0, dilation=1):\n"
            "    while True:\n        pass\n")),
        submission(tmp / "exits.ipynb", conv_output_size=(
            "import os, sys\n"
            "sys.exit('top-level exit: never run, calls are not extracted')\n"
            "def at_import(_=sys.exit(2)):\n    pass\n"
            "def conv_output_size(size, kernel_size, stride=1, padding=0, dilation=1):\n"
            "    sys.exit(3)\n"), channel_stats="import os\ndef channel_stats(images):\n    os._exit(0)\n"),
        submission(tmp / "tamper.ipynb", conv2d=(
            "import torch, coursekit\n"
            "torch.allclose = lambda *a, **k: True\n"
            "coursekit.check = lambda *a, **k: print('all good')\n"
            "class Tamper:\n"
            "    torch.allclose = staticmethod(lambda *a, **k: True)\n"
            "    torch.isclose = lambda a, b, **k: torch.ones_like(a, dtype=torch.bool)\n"
            "    coursekit.check = staticmethod(lambda *a, **k: None)\n"
            "def conv2d(x, weight, bias=None, stride=1, padding=0,\n"
            "           _=setattr(torch, 'equal', lambda *a: True)):\n"
            "    n, h, w = x.shape[0], x.shape[2] + 2 * padding - weight.shape[2], x.shape[3] + 2 * padding - weight.shape[3]\n"
            "    return torch.zeros(n, weight.shape[0], h // stride + 1, w // stride + 1, dtype=x.dtype)\n"),
            channel_stats=(   # right statistics, then the images changed in place, with torch.equal patched
            "import torch\n"
            "def channel_stats(images, _=setattr(torch, 'equal', lambda *a: True)):\n"
            "    mean, std = images.mean(dim=(0, 2, 3)), images.std(dim=(0, 2, 3), unbiased=False)\n"
            "    images.mul_(2)\n"
            "    return mean, std\n")),
        submission(tmp / "flood.ipynb", channel_stats=(
            "def channel_stats(images):\n    while True:\n        print('spam ' * 1000)\n"),
            train_step=(
            "import torch, torch.nn.functional as F\n"
            "def train_step(model, x, y, optimizer):\n"
            "    hog = torch.empty(2**33, dtype=torch.uint8)   # 8 GiB: over the memory limit\n"
            "    optimizer.zero_grad()\n    loss = F.cross_entropy(model(x), y)\n"
            "    loss.backward()\n    optimizer.step()\n    return loss.item()\n")),
        submission(tmp / "shortcut.ipynb",   # the answer taken from torch, and from coursekit itself
                   conv2d="from torch.nn.functional import conv2d\n",
                   conv_output_size="from coursekit.grading.tasks.cnn import conv_output_size_reference as "
                                    "conv_output_size\n"),
        submission(tmp / "loadhang.ipynb", channel_stats=(   # a default argument that never returns
            "def spin():\n    while True:\n        pass\n"
            "def channel_stats(images, _=spin()):\n"
            "    return images.mean(dim=(0, 2, 3)), images.std(dim=(0, 2, 3), unbiased=False)\n")),
        submission(tmp / "globals.ipynb", channel_stats=(   # reads data that a cell makes by running code
            "import torch\n"
            "data = torch.rand(10, 3, 8, 8)\n"
            "def channel_stats(images):\n"
            "    return data.mean(dim=(0, 2, 3)), images.std(dim=(0, 2, 3), unbiased=False)\n"),
            conv_output_size=(   # a default argument, evaluated as the grader loads the code, reads it too
            "import torch\n"
            "side = torch.rand(28).shape[0]\n"
            "def conv_output_size(size, kernel_size, stride=1, padding=0, dilation=1, _side=side):\n"
            "    return (size + 2 * padding - dilation * (kernel_size - 1) - 1) // stride + 1\n")),
    ]
    out = tmp / "grades"
    start = time.monotonic()
    # 15 s a task: the loops must be cut off, while the healthy tasks must fit even on a loaded
    # 2-core machine (at 5 s they once overran there while a benchmark and a site build ran)
    rc = main(["grade", *map(str, subs), "--out", str(out), "--timeout", "15"])
    return rc, out, time.monotonic() - start


# ------------------------------------------------------------ solutions

def test_solutions_get_full_marks_on_every_task(solutions_run):
    rc, out = solutions_run
    assert rc == 0
    for sol in SOLUTIONS:
        data = results(out, sol.stem)
        points = sum(t.points for t in exercise_tasks(exercise_of(sol)))
        max_total = sum(t["max_score"] for t in data["tests"])
        assert data["score"] == pytest.approx(max_total) == pytest.approx(points)
        assert all(t["score"] == pytest.approx(t["max_score"]) for t in data["tests"]), data


def test_results_json_has_the_gradescope_fields(solutions_run):
    data = results(solutions_run[1], "02_cnn")
    assert isinstance(data["score"], (int, float)) and isinstance(data["tests"], list)
    for test in data["tests"]:
        assert set(test) >= {"name", "score", "max_score", "output", "visibility"}
        assert test["visibility"] in ("visible", "hidden")
    assert {t["name"].split(":")[0] for t in data["tests"]} == set(TASK_IDS)


def test_hidden_cases_are_graded_with_visibility_hidden(solutions_run):
    data = results(solutions_run[1], "02_cnn")
    hidden = {t["name"].split(":")[0]: t for t in data["tests"] if t["visibility"] == "hidden"}
    assert set(hidden) == {"cnn.conv2d", "cnn.output_size"}
    assert all(t["max_score"] > 0 and t["score"] == t["max_score"] for t in hidden.values())
    assert "100 pixels, 7x7 kernel" in hidden["cnn.output_size"]["output"]
    visible = next(t for t in data["tests"] if t["name"].startswith("cnn.output_size") and t["visibility"] == "visible")
    assert "100 pixels" not in visible["output"]
    assert task_scores(data)["cnn.output_size"] == pytest.approx(2)   # points are shared, not added


def test_summary_is_written_for_people(solutions_run):
    text = (solutions_run[1] / "02_cnn" / "summary.txt").read_text()
    assert "score:      12 / 12" in text
    for task_id in TASK_IDS:
        assert task_id in text


def test_existing_reports_are_never_overwritten_silently(solutions_run, capsys):
    out = solutions_run[1]
    before = (out / "02_cnn" / "results.json").read_text()
    assert main(["grade", str(CNN_SOLUTION), "--out", str(out)]) == 2
    assert "--force" in capsys.readouterr().err
    assert (out / "02_cnn" / "results.json").read_text() == before


def test_force_replaces_reports(tmp_path):
    notes = tmp_path / "notes.ipynb"     # no exercise: graded 0 without starting a process
    notes.write_text(json.dumps({"cells": [], "metadata": {}, "nbformat": 4, "nbformat_minor": 5}))
    out = tmp_path / "grades"
    assert main(["grade", str(notes), "--out", str(out)]) == 0
    (out / "notes" / "results.json").write_text("stale")
    assert main(["grade", str(notes), "--out", str(out)]) == 2
    assert main(["grade", str(notes), "--out", str(out), "--force"]) == 0
    assert "could not tell which exercise" in results(out, "notes")["output"]   # "stale" would not parse


def ctrl_c_during_the_second_submission(monkeypatch) -> None:
    """Grade the first submission (no tasks run) and stop with a Ctrl-C at the second."""
    from coursekit.grading import grade as grading
    graded = []

    def grade_then_stop(plans, source, **limits):
        if graded:
            raise KeyboardInterrupt
        graded.append(source)
        return [], [], ""
    monkeypatch.setattr(grading, "run_submission", grade_then_stop)


def test_a_run_stopped_partway_keeps_the_reports_it_finished(tmp_path, monkeypatch, capsys):
    first, second = submission(tmp_path / "first.ipynb"), submission(tmp_path / "second.ipynb")
    ctrl_c_during_the_second_submission(monkeypatch)
    out = tmp_path / "grades"
    assert main(["grade", str(first), str(second), "--out", str(out), "--jobs", "1"]) == 130
    assert json.loads((out / "first" / "results.json").read_text())["score"] == 0
    assert not (out / "second").exists()
    assert [row[0] for row in read_gradebook(out)] == ["submission", "first"]
    said = capsys.readouterr()
    assert f"{first}: 0 / " in said.out     # its line was printed when it finished
    assert "interrupted" in said.err and "each with its row in grades.csv" in said.err


def no_exercise(path: Path) -> Path:
    """A notebook of no known exercise: graded 0 at once, without starting a process."""
    path.write_text(json.dumps({"cells": [], "metadata": {}, "nbformat": 4, "nbformat_minor": 5}))
    return path


def grade_beside(tmp_path: Path, sheet: str, *options: str) -> tuple[int, Path]:
    """Grade bob.ipynb (of no exercise: no process starts) into a folder whose grades.csv
    already holds ``sheet``; returns the exit status and the folder."""
    out = tmp_path / "grades"
    out.mkdir()
    (out / "grades.csv").write_text(sheet, encoding="utf-8")
    return main(["grade", str(no_exercise(tmp_path / "bob.ipynb")), "--out", str(out), *options]), out


def read_gradebook(out: Path) -> list[list[str]]:
    with open(out / "grades.csv", newline="", encoding="utf-8-sig") as f:
        return list(csv.reader(f))


def gradebook_rows(out: Path) -> list[str]:
    return [row[0] for row in read_gradebook(out)][1:]


def test_regrading_one_submission_with_force_keeps_the_other_rows_of_the_gradebook(tmp_path, capsys):
    a, b = no_exercise(tmp_path / "a.ipynb"), no_exercise(tmp_path / "b.ipynb")
    out = tmp_path / "grades"
    assert main(["grade", str(a), str(b), "--out", str(out)]) == 0
    assert main(["grade", str(b), "--out", str(out), "--force"]) == 0
    assert gradebook_rows(out) == ["a", "b"]
    assert "also keeps the rows of 1 submission(s) graded by earlier runs: a" in capsys.readouterr().out


def test_a_hand_edited_row_replaced_by_regrading_is_named_with_its_old_total(tmp_path, capsys):
    # bob's notebook did not open, so the instructor graded it by hand and typed 5 into the
    # gradebook; re-grading the class with --force put back the 0 without a word
    status, out = grade_beside(tmp_path, "\ufeffsubmission,total\nbob,5\n", "--force")
    assert status == 0 and read_gradebook(out)[1] == ["bob", ""]
    assert ("re-grading replaced the gradebook rows of 1 submission(s) whose cells differed (a hand edit, "
            "or other cases): bob (total was 5, now empty)") in capsys.readouterr().out
    assert main(["grade", str(tmp_path / "bob.ipynb"), "--out", str(out), "--force"]) == 0
    assert "re-grading replaced" not in capsys.readouterr().out     # the same row again: nothing to say


def test_an_out_that_is_a_file_is_named(tmp_path, capsys):
    (tmp_path / "grades").write_text("the instructor's notes")
    assert main(["grade", str(no_exercise(tmp_path / "a.ipynb")), "--out", str(tmp_path / "grades")]) == 2
    assert f"--out {tmp_path / 'grades'} is a file, not a folder" in capsys.readouterr().err
    assert (tmp_path / "grades").read_text() == "the instructor's notes"


def test_one_notebook_given_twice_is_named_as_such(tmp_path, capsys):
    # `coursekit grade submissions/*.ipynb submissions/ann.ipynb`: the message spoke of several
    # submissions sharing a name, as for two students' files
    ann = no_exercise(tmp_path / "ann.ipynb")
    assert main(["grade", str(ann), str(tmp_path / "." / "ann.ipynb"), "--out", str(tmp_path / "g")]) == 2
    assert f"is given twice (also as {ann})" in capsys.readouterr().err and not (tmp_path / "g").exists()


def test_a_notebook_of_another_exercise_graded_with_exercise_is_pointed_out(tmp_path, capsys):
    # a chapter 6 notebook uploaded to chapter 1's assignment and graded with --exercise nn
    # scored 0 with nothing in the log or the report to say why
    notebook = tmp_path / "gina.ipynb"
    notebook.write_text(json.dumps({"cells": [], "metadata": {"coursekit": {"exercise": "basics"}},
                                    "nbformat": 4, "nbformat_minor": 5}))
    out = tmp_path / "grades"
    assert main(["grade", str(notebook), "--out", str(out), "--exercise", "nn"]) == 0
    said = "this notebook says it is exercise 'basics', but it was graded as exercise 'nn'"
    assert f"note: {notebook}: {said}" in capsys.readouterr().out
    assert said in results(out, "gina")["output"]


def test_a_notebook_that_was_not_graded_has_no_total_in_the_gradebook(tmp_path):
    # its total was 0, which a gradebook import takes for a grade; its results.json keeps score 0
    broken, other = tmp_path / "broken.ipynb", no_exercise(tmp_path / "other.ipynb")
    broken.write_text("{")
    out = tmp_path / "grades"
    assert main(["grade", str(broken), str(other), "--out", str(out)]) == 0
    assert read_gradebook(out)[1:] == [["broken", ""], ["other", ""]]
    assert results(out, "broken")["score"] == 0


def test_a_late_submission_joins_the_gradebook_without_force(tmp_path):
    a, late = no_exercise(tmp_path / "a.ipynb"), no_exercise(tmp_path / "late.ipynb")
    out = tmp_path / "grades"
    assert main(["grade", str(a), "--out", str(out)]) == 0
    assert main(["grade", str(late), "--out", str(out)]) == 0
    assert gradebook_rows(out) == ["a", "late"]


def test_a_run_stopped_partway_keeps_the_rows_of_earlier_runs(tmp_path, monkeypatch):
    out = tmp_path / "grades"
    assert main(["grade", str(no_exercise(tmp_path / "ann.ipynb")), "--out", str(out)]) == 0
    bob, cyd = submission(tmp_path / "bob.ipynb"), submission(tmp_path / "cyd.ipynb")
    ctrl_c_during_the_second_submission(monkeypatch)
    assert main(["grade", str(bob), str(cyd), "--out", str(out), "--jobs", "1"]) == 130
    assert gradebook_rows(out) == ["ann", "bob"]


def test_a_report_file_left_alone_still_stops_a_run_without_force(tmp_path, capsys):
    out = tmp_path / "grades"
    (out / "ann").mkdir(parents=True)
    (out / "ann" / "submission.py").write_text("# the instructor's copy\n")
    assert main(["grade", str(no_exercise(tmp_path / "ann.ipynb")), "--out", str(out)]) == 2
    assert (out / "ann" / "submission.py").read_text() == "# the instructor's copy\n"


def test_the_gradebook_given_as_a_submission_is_refused(tmp_path, capsys):
    out = tmp_path / "grades"
    assert main(["grade", str(no_exercise(tmp_path / "ann.ipynb")), "--out", str(out)]) == 0
    before = (out / "grades.csv").read_text()
    assert main(["grade", str(out / "grades.csv"), "--out", str(out)]) == 2
    assert "would be overwritten by a report" in capsys.readouterr().err
    assert (out / "grades.csv").read_text() == before


@pytest.mark.parametrize("sheet", ["submission,grade\nann,3\n", "student,grade,total\nann,3,3\n"])
def test_a_sheet_without_both_gradebook_columns_is_refused_before_grading(tmp_path, capsys, sheet):
    status, out = grade_beside(tmp_path, sheet)
    assert status == 2
    assert "is not a coursekit gradebook" in capsys.readouterr().err and not (out / "bob").exists()


@pytest.mark.parametrize("sheet", ["submission,nn.adam_step,late,total\nbob,3,2 days,3\n",
                                   "submission,nn.adam_step,total,late\nbob,3,3,2 days\n"])
def test_an_instructor_s_own_column_in_the_gradebook_is_named_and_kept_not_dropped(tmp_path, capsys, sheet):
    # re-grading bob rewrote his row without the 'late' cell (a column before 'total'), or stopped
    # with a message that listed the gradebook's first columns, not the one that was not its own
    status, out = grade_beside(tmp_path, sheet, "--force")
    assert status == 2
    assert "column(s) that coursekit grade did not write: ['late']" in capsys.readouterr().err
    assert (out / "grades.csv").read_text() == sheet and not (out / "bob").exists()


@pytest.mark.parametrize("option", ["--timeout", "--memory"])
def test_a_limit_of_zero_is_refused(tmp_path, capsys, option):
    with pytest.raises(SystemExit) as stop:
        main(["grade", str(no_exercise(tmp_path / "a.ipynb")), "--out", str(tmp_path / "g"), option, "0"])
    assert stop.value.code == 2 and "expected a positive number; got 0" in capsys.readouterr().err


def test_two_copies_of_one_notebook_are_pointed_out(tmp_path, capsys):
    first, copy = no_exercise(tmp_path / "jdoe_01.ipynb"), no_exercise(tmp_path / "jdoe_01 (1).ipynb")
    other = no_exercise(tmp_path / "ann_01.ipynb")
    assert main(["grade", str(first), str(copy), str(other), "--out", str(tmp_path / "grades")]) == 0
    said = capsys.readouterr().out
    assert "look like one notebook submitted more than once" in said and "suffix): jdoe_01 and jdoe_01 (1)." in said


def test_a_copy_suffix_of_two_digits_is_pointed_out_too(tmp_path, capsys):
    first, copy = no_exercise(tmp_path / "jdoe.ipynb"), no_exercise(tmp_path / "jdoe (12).ipynb")
    assert main(["grade", str(first), str(copy), "--out", str(tmp_path / "grades")]) == 0
    assert "jdoe and jdoe (12)" in capsys.readouterr().out


def test_a_grades_csv_that_is_not_a_gradebook_is_refused_before_grading_and_kept(tmp_path, capsys):
    status, out = grade_beside(tmp_path, "student,grade\nann,A\n", "--force")
    assert status == 2
    assert "is not a coursekit gradebook" in capsys.readouterr().err
    assert (out / "grades.csv").read_text() == "student,grade\nann,A\n" and not (out / "bob").exists()


def test_the_gradebook_opens_in_excel_with_accented_names_intact(tmp_path):
    # Excel reads a CSV without a byte order mark in the locale's code page: José showed as JosÃ©
    out = tmp_path / "grades"
    assert main(["grade", str(no_exercise(tmp_path / "José.ipynb")), "--out", str(out)]) == 0
    data = (out / "grades.csv").read_bytes()
    assert data.startswith(codecs.BOM_UTF8) and "\nJosé,".encode() in data


def test_a_gradebook_saved_by_excel_with_a_byte_order_mark_is_read(tmp_path):
    status, out = grade_beside(tmp_path, "\ufeffsubmission,nn.adam_step,total\nann,3,3\n")
    assert status == 0 and gradebook_rows(out) == ["ann", "bob"]


def test_a_gradebook_row_with_more_cells_than_columns_is_refused_not_rewritten(tmp_path, capsys):
    status, out = grade_beside(tmp_path, "submission,nn.adam_step,total\nann,3,3,late\n")
    assert status == 2
    assert "line 2: 4 cells under 3 columns" in capsys.readouterr().err
    assert (out / "grades.csv").read_text() == "submission,nn.adam_step,total\nann,3,3,late\n"


def test_the_log_names_each_notebook_s_exercise_and_the_notebooks_it_could_not_grade(tmp_path, capsys):
    out = tmp_path / "grades"
    broken = tmp_path / "broken.ipynb"
    broken.write_text("{")
    assert main(["grade", str(broken), "--out", str(out)]) == 0
    assert f"{broken}: 0 / 0 NOT GRADED: see its summary.txt" in capsys.readouterr().out


def without_expected_outputs(monkeypatch):
    """Plans of every task with no cases: the reference outputs take a minute to compute, and
    these tests are about the log, not the scores."""
    from coursekit.grading import grade as grading
    from coursekit.grading.runner import Plan
    monkeypatch.setattr(grading, "_plans", lambda exercises, hidden: {
        ex: [Plan(task, [], [], []) for task in exercise_tasks(ex)] for ex in exercises})


def test_a_run_that_grades_several_exercises_says_which_notebook_is_which(tmp_path, monkeypatch, capsys):
    from coursekit.grading import grade as grading
    without_expected_outputs(monkeypatch)
    monkeypatch.setattr(grading, "run_submission", lambda plans, source, **limits: ([], [], ""))
    ae = tmp_path / "ivan_02_cnn.ipynb"
    ae.write_text((ROOT / "solutions" / "04_autoencoders.ipynb").read_text())
    cnn = submission(tmp_path / "ann_02_cnn.ipynb")
    assert main(["grade", str(cnn), str(ae), "--out", str(tmp_path / "grades")]) == 0
    said = capsys.readouterr().out
    assert f"{cnn}: 0 / 0 (exercise cnn)" in said and f"{ae}: 0 / 0 (exercise ae)" in said
    assert "several exercises: ae (1: ivan_02_cnn); cnn (1: ann_02_cnn)" in said


def test_a_late_notebook_of_another_exercise_is_pointed_out_too(tmp_path, monkeypatch, capsys):
    from coursekit.grading import grade as grading
    from coursekit.grading.runner import TaskResult
    from coursekit.grading.tasks import get_task

    def one_task(plans, source, **limits):     # a graded task, so the row has a score in its column
        return [TaskResult(get_task(plans[0].task.id), [])], [], ""

    without_expected_outputs(monkeypatch)
    monkeypatch.setattr(grading, "run_submission", one_task)
    out = tmp_path / "grades"
    assert main(["grade", str(submission(tmp_path / "ann_02_cnn.ipynb")), "--out", str(out)]) == 0
    late = tmp_path / "ivan_02_cnn.ipynb"
    late.write_text((ROOT / "solutions" / "04_autoencoders.ipynb").read_text())
    assert main(["grade", str(late), "--out", str(out)]) == 0
    assert "several exercises: ae (1: ivan_02_cnn); cnn (1: ann_02_cnn)" in capsys.readouterr().out


def test_kept_rows_are_counted_under_the_exercise_of_the_cells_they_have_a_score_in(tmp_path, capsys):
    assert grade_beside(tmp_path, "submission,ae.reparameterize,cnn.conv2d,total\nivan,2,,2\nann,,3,3\n")[0] == 0
    assert "several exercises: ae (1: ivan); cnn (1: ann)" in capsys.readouterr().out


@pytest.mark.parametrize("name", ["cnn", "02_cnn"], ids=["exercise name", "its notebook's name"])
def test_the_exercise_option_overrides_the_notebook_s_metadata(tmp_path, monkeypatch, capsys, name):
    from coursekit.grading import grade as grading
    without_expected_outputs(monkeypatch)
    monkeypatch.setattr(grading, "run_submission", lambda plans, source, **limits: ([], [], ""))
    ae = tmp_path / "ivan.ipynb"
    ae.write_text((ROOT / "solutions" / "04_autoencoders.ipynb").read_text())
    assert main(["grade", str(ae), "--out", str(tmp_path / "grades"), "--exercise", name]) == 0
    assert f"{ae}: 0 / 0 (exercise cnn)" in capsys.readouterr().out


def test_the_exercise_option_s_help_says_it_holds_for_every_notebook(capsys):
    with pytest.raises(SystemExit):
        main(["grade", "--help"])
    said = " ".join(capsys.readouterr().out.split())
    assert "--exercise EXERCISE exercise of every submission, whatever its notebook says:" in said


def test_a_notebook_naming_an_unknown_exercise_is_told_the_name_it_gave(tmp_path):
    typo = tmp_path / "ann.ipynb"
    typo.write_text(json.dumps({"cells": [], "metadata": {"coursekit": {"exercise": "cnnn"}},
                                "nbformat": 4, "nbformat_minor": 5}))
    out = tmp_path / "grades"
    assert main(["grade", str(typo), "--out", str(out)]) == 0
    assert "unknown exercise 'cnnn'" in results(out, "ann")["output"]


def test_a_task_may_use_2048_mib_by_default(tmp_path, monkeypatch):
    from coursekit.grading import grade as grading
    limits = {}

    def spy(plans, source, **kw):
        limits.update(kw)
        return [], [], ""
    without_expected_outputs(monkeypatch)
    monkeypatch.setattr(grading, "run_submission", spy)
    assert main(["grade", str(submission(tmp_path / "ann.ipynb")), "--out", str(tmp_path / "grades")]) == 0
    assert limits["memory_mb"] == 2048


def graded_two_of_three_cases(tmp_path, monkeypatch) -> Path:
    """The reports of ann.ipynb, a CNN notebook whose only task passes 2 of its 3 cases: 4/3 points."""
    from coursekit.grading import grade as grading
    from coursekit.grading.runner import CaseResult, TaskResult
    from coursekit.grading.tasks import get_task

    def two_of_three(plans, source, **limits):
        task = get_task("cnn.output_size")           # 2 points
        return [TaskResult(task, [CaseResult(c, passed) for c, passed in zip(task.cases, (True, True, False))])], [], ""
    without_expected_outputs(monkeypatch)
    monkeypatch.setattr(grading, "run_submission", two_of_three)
    out = tmp_path / "grades"
    assert main(["grade", str(submission(tmp_path / "ann.ipynb")), "--out", str(out)]) == 0
    return out


def test_gradebook_cells_keep_two_decimals(tmp_path, monkeypatch):
    rows = read_gradebook(graded_two_of_three_cases(tmp_path, monkeypatch))
    assert rows == [["submission", "cnn.output_size", "total"], ["ann", "1.33", "1.33"]]


def test_the_score_in_results_json_is_the_sum_of_its_tests_for_fractional_points(tmp_path, monkeypatch):
    data = results(graded_two_of_three_cases(tmp_path, monkeypatch), "ann")
    assert data["score"] == pytest.approx(sum(t["score"] for t in data["tests"]))     # 1.3333, not 1.3


@pytest.mark.parametrize("names", [("Alice.ipynb", "Alice.ipynb"), ("Alice.ipynb", "alice.ipynb"),
                                   ("Alic\u00e9.ipynb", "Alice\u0301.ipynb")],    # é as one code point, and as e + accent
                         ids=["same", "case", "unicode-form"])
def test_two_submissions_whose_reports_would_share_a_folder_are_refused(tmp_path, capsys, names):
    # macOS and Windows file systems ignore case, and macOS the Unicode form: out/Alice is out/alice there
    (tmp_path / "a").mkdir()
    (tmp_path / "b").mkdir()
    subs = [submission(tmp_path / folder / name) for folder, name in zip("ab", names)]
    assert main(["grade", *map(str, subs), "--out", str(tmp_path / "grades")]) == 2
    assert "several submissions are named" in capsys.readouterr().err
    assert not (tmp_path / "grades").exists()


def test_a_folder_given_as_a_submission_is_refused_with_the_pattern_to_pass(tmp_path, capsys):
    (tmp_path / "subs").mkdir()
    assert main(["grade", str(tmp_path / "subs"), "--out", str(tmp_path / "grades")]) == 2
    assert f"is a folder: pass the notebooks in it, e.g. {tmp_path / 'subs' / '*.ipynb'}" in capsys.readouterr().err


def test_a_pattern_that_matched_nothing_is_named_as_such(tmp_path, capsys):
    assert main(["grade", str(tmp_path / "*.ipynb"), "--out", str(tmp_path / "grades")]) == 2
    assert "a pattern the shell matched to no file" in capsys.readouterr().err


def processes_mentioning(text: str) -> list[int]:
    """The processes whose command line contains ``text`` (from /proc: Linux, where CI runs)."""
    found = []
    for cmdline in Path("/proc").glob("[0-9]*/cmdline"):
        try:
            if text in cmdline.read_bytes().replace(b"\0", b" ").decode(errors="replace"):
                found.append(int(cmdline.parent.name))
        except OSError:     # ended while we looked
            pass
    return found


def grading_a_sleeper(tmp_path, command: list[str]):
    """Start ``command + ["grade", <a notebook whose second task sleeps 10 min>, ...]`` with its
    temporary files in ``tmp_path / "tmp"``; return the process and that folder once the child
    is running a task."""
    import os
    import subprocess

    sleeper = submission(tmp_path / "sleeper.ipynb", conv_output_size=(
        "def conv_output_size(size, kernel_size, stride=1, padding=0, dilation=1):\n"
        "    import time\n    time.sleep(600)\n"))
    tmp = tmp_path / "tmp"
    tmp.mkdir()
    # the default actions of SIGINT, SIGTERM and SIGHUP, as in a terminal: a background job of a shell
    # without job control (`make test &` in a script) inherits SIGINT ignored, and a run under nohup SIGHUP
    # ignored, and the grader then leaves them ignored, as it should
    def default_signals():
        for name in ("SIGINT", "SIGTERM", "SIGHUP"):
            if hasattr(signal, name):
                signal.signal(getattr(signal, name), signal.SIG_DFL)

    proc = subprocess.Popen([*command, "grade", str(sleeper), "--out", str(tmp_path / "grades"), "--timeout", "300"],
                            env={**os.environ, "TMPDIR": str(tmp), "PYTHONFAULTHANDLER": "1"},
                            stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True, preexec_fn=default_signals)
    deadline = time.monotonic() + 240
    while not any(f.read_text().strip().isdigit() for f in tmp.glob("coursekit-grade-*/status")):
        if proc.poll() is not None or time.monotonic() > deadline:
            proc.kill()
            pytest.fail("the grader never reached a task: " + proc.communicate()[1][-2000:])
        time.sleep(0.2)
    return proc, tmp


@pytest.mark.skipif(not Path("/proc/self/cmdline").exists(), reason="lists processes through /proc")
def test_ctrl_c_kills_the_student_process_at_once_and_leaves_no_report_for_it(tmp_path):
    import os
    import subprocess

    proc, tmp = grading_a_sleeper(tmp_path, [str(Path(sys.executable).with_name("coursekit"))])
    try:
        job = next(tmp.glob("coursekit-grade-*"))
        proc.send_signal(signal.SIGINT)
        stopped = time.monotonic()
        try:
            out, err = proc.communicate(timeout=60)
        except subprocess.TimeoutExpired:     # say where the grader hangs: faulthandler prints every thread
            proc.send_signal(signal.SIGABRT)
            pytest.fail("the grader did not stop within 60 s of Ctrl-C; its threads:\n" + proc.communicate()[1][-6000:])
        assert proc.returncode == 130 and time.monotonic() - stopped < 20, err
        assert "interrupted" in err
        assert not job.exists()       # removed once its process was killed
        assert processes_mentioning(str(job)) == [], "a student process outlived the grader"
        assert not (tmp_path / "grades" / "sleeper").exists()
    finally:                          # a failure leaves no process behind either
        proc.kill()
        for pid in processes_mentioning(str(tmp)):
            os.kill(pid, signal.SIGKILL)


@pytest.mark.skipif(not Path("/proc/self/cmdline").exists(), reason="lists processes through /proc")
@pytest.mark.parametrize("signum", [signal.SIGTERM, getattr(signal, "SIGHUP", signal.SIGTERM)])
def test_a_kill_or_a_closed_terminal_stops_the_grader_as_ctrl_c_does(tmp_path, signum):
    # SIGTERM (kill, timeout, a scheduler's limit) ended the grader and left the student's process
    # running, its infinite loop included, with its temporary folder
    import os
    import subprocess

    proc, tmp = grading_a_sleeper(tmp_path, [str(Path(sys.executable).with_name("coursekit"))])
    try:
        job = next(tmp.glob("coursekit-grade-*"))
        proc.send_signal(signum)
        try:
            out, err = proc.communicate(timeout=60)
        except subprocess.TimeoutExpired:
            proc.send_signal(signal.SIGABRT)
            pytest.fail(f"the grader did not stop within 60 s of {signum!r}:\n" + proc.communicate()[1][-6000:])
        assert proc.returncode == 128 + signum, err
        assert f"stopped by {signal.Signals(signum).name}" in err and "the reports printed above are kept" in err
        assert processes_mentioning(str(job)) == [], "a student process outlived the grader"
        assert not job.exists() and not (tmp_path / "grades" / "sleeper").exists()
    finally:
        proc.kill()
        for pid in processes_mentioning(str(tmp)):
            os.kill(pid, signal.SIGKILL)


# ------------------------------------------------------------ the grader's own process

SIZE_TASK = "cnn.output_size"
PRINTING_SIZE = ("def conv_output_size(size, kernel_size, stride=1, padding=0, dilation=1):\n"
                 "    print('size − kernel ≤ 3 × 3')\n"
                 "    return (size + 2 * padding - dilation * (kernel_size - 1) - 1) // stride + 1\n")


def grade_size_task(source: str):
    """One task of one submission, through the real child process."""
    from coursekit.grading.runner import expected_outputs, run_submission
    from coursekit.grading.tasks import get_task
    task = get_task(SIZE_TASK)
    results, load_notes, _ = run_submission([expected_outputs(task, list(task.cases))], source)
    return results[0], load_notes


def test_the_grading_process_imports_what_the_grader_imports(tmp_path, monkeypatch):
    # e.g. coursekit installed with `pip install --user` or found through PYTHONPATH, which the
    # child's isolated mode would not see on its own
    (tmp_path / "probe_beside_the_grader.py").write_text("OFFSET = 0\n")
    monkeypatch.syspath_prepend(str(tmp_path))
    result, notes = grade_size_task("import probe_beside_the_grader\n" + PRINTING_SIZE.replace(
        "return (", "return probe_beside_the_grader.OFFSET + ("))
    assert result.score() == pytest.approx(result.task.points) and notes == [], [c.message for c in result.cases]


def test_what_the_code_prints_to_stderr_is_in_the_task_s_output():
    result, _ = grade_size_task("import sys\n" + PRINTING_SIZE.replace(
        "print('size − kernel ≤ 3 × 3')", "print('debug: size', size, file=sys.stderr)"))
    assert "debug: size" in result.output, result.output


def test_printing_other_than_ascii_costs_nothing_where_the_locale_is_not_utf8(tmp_path, monkeypatch):
    # Windows' locale encoding (cp1252) cannot write "−" or "≤". Simulated with an ASCII locale and
    # UTF-8 mode off by default: the interpreter's own options, if the grader gives any, come first
    python = tmp_path / "python-ascii-locale"
    python.write_text(f"#!{sys.executable}\nimport os, sys\nargs = sys.argv[1:]\n"
                      "at = next(i for i, a in enumerate(args) if a in ('-c', '-m'))\n"
                      f"os.execv({sys.executable!r}, [{sys.executable!r}, *args[:at], '-X', 'utf8=0', *args[at:]])\n")
    python.chmod(0o755)
    monkeypatch.setattr(sys, "executable", str(python))
    monkeypatch.setenv("LC_ALL", "C")
    result, _ = grade_size_task(PRINTING_SIZE)
    assert result.score() == pytest.approx(result.task.points), [c.message for c in result.cases]
    assert "size − kernel ≤ 3 × 3" in result.output


def test_a_grading_process_that_cannot_start_stops_the_run_and_scores_no_one(tmp_path, monkeypatch, capsys):
    broken = tmp_path / "python-without-coursekit"
    broken.write_text("#!/bin/sh\necho \"ModuleNotFoundError: No module named 'coursekit'\"\nexit 1\n")
    broken.chmod(0o755)
    sub = submission(tmp_path / "alice.ipynb")
    monkeypatch.setattr(sys, "executable", str(broken))
    rc = main(["grade", str(sub), "--out", str(tmp_path / "grades")])
    err = capsys.readouterr().err
    assert rc == 2
    assert "failed to start" in err and "No module named 'coursekit'" in err
    assert not (tmp_path / "grades" / "alice").exists()      # no report of 0 for a fault not alice's


CTRL_C_ON_ANOTHER_THREAD = """
import signal, sys, threading, time
from coursekit.cli import main
# The kernel hands a process's SIGINT to any thread that does not block it. Leave one idle thread
# able to take it, and block it in the main thread (whose pool threads inherit that): the grader
# must still notice Ctrl-C, though no wait of its main thread is ever interrupted.
threading.Thread(target=time.sleep, args=(600,), daemon=True).start()
signal.pthread_sigmask(signal.SIG_BLOCK, {signal.SIGINT})
sys.exit(main(sys.argv[1:]))
"""


@pytest.mark.skipif(not hasattr(signal, "pthread_sigmask"), reason="POSIX threads only")
def test_ctrl_c_stops_the_grader_when_another_thread_receives_the_signal(tmp_path):
    proc, _ = grading_a_sleeper(tmp_path, [sys.executable, "-c", CTRL_C_ON_ANOTHER_THREAD])
    try:
        proc.send_signal(signal.SIGINT)
        _, err = proc.communicate(timeout=30)
        assert proc.returncode == 130 and "interrupted" in err, err
    finally:
        proc.kill()
        proc.communicate()


# ------------------------------------------------------------ exercises

def test_untouched_exercises_grade_zero_at_their_first_case_without_crashing(exercises_run):
    # each stub stops its task at the first case: none waits for the time limit (this test timed the
    # whole run against 60 s, which a loaded 2-core machine came within 7 s of)
    proc, out = exercises_run
    assert proc.returncode == 0, proc.stderr
    for ex in EXERCISES:
        data = results(out, ex.stem)
        assert {t["name"].split(":")[0] for t in data["tests"]} == {t.id for t in exercise_tasks(exercise_of(ex))}
        assert data["score"] == 0
        assert all(t["score"] == 0 and "not implemented yet" in t["output"] for t in data["tests"])
        assert not any("time limit" in t["output"] for t in data["tests"])


def test_gradebook_has_one_row_per_submission_and_a_column_per_task(exercises_run, hostile_run):
    every_task = [t.id for ex in EXERCISES for t in exercise_tasks(exercise_of(ex))]
    for out, n, columns in ((exercises_run[1], len(EXERCISES), every_task), (hostile_run[1], len(list(hostile_run[1].parent.glob("*.ipynb"))), TASK_IDS)):
        rows = read_gradebook(out)
        assert rows[0] == ["submission", *columns, "total"]
        assert len(rows) == 1 + n
        for row in rows[1:]:   # a task of another exercise is an empty cell, not a zero
            assert float(row[-1]) == pytest.approx(sum(float(v) for v in row[1:-1] if v != ""))


# ------------------------------------------------------ hostile submissions

def test_hostile_submissions_get_finite_reports_in_bounded_time(hostile_run):
    rc, out, seconds = hostile_run
    assert rc == 0
    for name in ("loop", "exits", "tamper", "flood", "shortcut", "globals"):
        data = results(out, name)
        assert math.isfinite(data["score"]) and 0 <= data["score"] <= 12
        assert data["score"] == pytest.approx(sum(t["score"] for t in data["tests"]))
    assert seconds < 120


def test_infinite_loop_costs_only_that_task(hostile_run):
    data = results(hostile_run[1], "loop")
    scores = task_scores(data)
    assert scores.pop("cnn.output_size") == 0
    assert data["score"] == pytest.approx(10) and all(s > 0 for s in scores.values())
    test = next(t for t in data["tests"] if t["name"].startswith("cnn.output_size"))
    assert "time limit" in test["output"]


def test_the_time_limit_note_names_the_case_that_hung(hostile_run):
    output = next(t["output"] for t in results(hostile_run[1], "loop")["tests"]
                  if t["name"].startswith("cnn.output_size"))
    assert "(the time limit) in case 1;" in output       # its first case loops for ever


def test_a_statement_that_hangs_while_the_code_loads_costs_only_what_it_defines(hostile_run):
    data = results(hostile_run[1], "loadhang")
    scores = task_scores(data)
    output = next(t["output"] for t in data["tests"] if t["name"].startswith("cnn.normalize"))
    assert scores.pop("cnn.normalize") == 0 and all(s > 0 for s in scores.values())
    assert "'channel_stats' is not defined" in output and "took longer than 15 s" in output


def test_sys_exit_and_os_exit_cost_only_their_tasks(hostile_run):
    data = results(hostile_run[1], "exits")
    scores = task_scores(data)
    assert scores["cnn.output_size"] == 0 and scores["cnn.normalize"] == 0
    assert data["score"] == pytest.approx(8)
    outputs = {t["name"].split(":")[0]: t["output"] for t in data["tests"]}
    assert "sys.exit()" in outputs["cnn.output_size"]
    assert "process ended" in outputs["cnn.normalize"]
    assert "SystemExit(2)" in data["output"]      # the exit at import time is reported, and survived


def test_monkeypatching_the_checker_changes_nothing(hostile_run):
    data = results(hostile_run[1], "tamper")
    scores = task_scores(data)
    assert scores.pop("cnn.conv2d") == 0           # zeros of the right shape, despite the patches
    # the images changed in place are seen, although torch.equal is patched where the student's code runs
    assert scores.pop("cnn.normalize") == pytest.approx(2 * 3 / 4)
    normalize = " ".join(t["output"] for t in data["tests"] if t["name"].startswith("cnn.normalize"))
    assert "changed its argument(s) images in place" in normalize
    assert all(s > 0 for s in scores.values())
    assert data["score"] == pytest.approx(8.5)


def test_output_flooding_is_truncated_and_costs_only_that_task(hostile_run):
    data = results(hostile_run[1], "flood")
    scores = task_scores(data)
    assert scores["cnn.normalize"] == 0
    test = next(t for t in data["tests"] if t["name"].startswith("cnn.normalize"))
    assert len(test["output"]) < 2 * MAX_OUTPUT + 5000
    assert "more bytes of output cut" in test["output"]
    assert "printed more than the grader allows, 16 MiB for all the cases of one task together" in test["output"]
    assert "hint:" not in test["output"]                  # the maths hint would send the student elsewhere
    assert scores["cnn.conv2d"] == 3 and scores["cnn.output_size"] == 2


def test_printed_output_of_exactly_the_reported_length_is_not_marked_cut(tmp_path):
    from coursekit.grading.runner import _read_output
    (tmp_path / "output-0.txt").write_text("x" * MAX_OUTPUT)
    assert _read_output(tmp_path / "output-0.txt") == "x" * MAX_OUTPUT


def test_shortcuts_the_exercise_forbids_score_zero_and_say_why(hostile_run):
    data = results(hostile_run[1], "shortcut")
    scores = task_scores(data)
    outputs = {t["name"].split(":")[0]: t["output"] for t in data["tests"]}
    assert scores.pop("cnn.conv2d") == 0 and "not to use torch.nn.functional.conv2d" in outputs["cnn.conv2d"]
    assert scores.pop("cnn.output_size") == 0 and "imported from coursekit" in outputs["cnn.output_size"]
    # cnn.model builds nn.Conv2d in the same process after cnn.conv2d forbade it: restored
    assert all(s > 0 for s in scores.values()) and data["score"] == pytest.approx(7)


def test_a_global_made_by_running_a_cell_is_missing_and_the_report_says_why(hostile_run):
    data = results(hostile_run[1], "globals")
    scores = task_scores(data)
    output = next(t["output"] for t in data["tests"] if t["name"].startswith("cnn.normalize"))
    assert scores.pop("cnn.normalize") == 0 and scores.pop("cnn.output_size") == 0
    assert all(s > 0 for s in scores.values())
    assert "NameError" in output and "'data'" in output and "pass it as an argument" in output
    # ... naming the cell and line that set it in the notebook, and why the grader skipped it
    cell = 1 + next(i for i, c in enumerate(json.loads(CNN_SOLUTION.read_text())["cells"])
                    if "def channel_stats(" in "".join(c["source"]))
    assert f"`data` is set at cell {cell}, line 2: it calls `torch.rand`, which the grader does not run" in output


def test_a_definition_that_fails_to_load_is_reported_as_such_not_as_missing(hostile_run):
    output = next(t["output"] for t in results(hostile_run[1], "globals")["tests"]
                  if t["name"].startswith("cnn.output_size"))
    assert "'conv_output_size' is not defined, because its definition (cell " in output
    assert "name 'side' is not defined" in output and "pass it as an argument" in output
    assert "the notebook does not define" not in output


@pytest.mark.skipif(not sys.platform.startswith("linux"), reason="the memory limit uses RLIMIT_AS (Linux)")
def test_memory_limit_stops_a_memory_hog(hostile_run):
    data = results(hostile_run[1], "flood")
    assert task_scores(data)["cnn.train_step"] == 0
    test = next(t for t in data["tests"] if t["name"].startswith("cnn.train_step"))
    assert "memory" in test["output"].lower() or "allocate" in test["output"].lower()


@pytest.mark.parametrize("jobs", ["0", "-1", "two", "1.5"])
def test_a_jobs_count_that_is_not_a_whole_number_of_at_least_one_is_refused_before_any_grading(jobs, tmp_path,
                                                                                            capsys):
    with pytest.raises(SystemExit) as stop:
        main(["grade", str(SOLUTIONS[0]), "--out", str(tmp_path / "grades"), "--jobs", jobs])
    assert stop.value.code == 2
    assert "--jobs" in capsys.readouterr().err and not (tmp_path / "grades").exists()


def test_a_hidden_file_named_after_no_exercise_is_refused_before_any_grading(tmp_path, capsys):
    hidden = tmp_path / "hidden"
    hidden.mkdir()
    (hidden / "02_cnn.py").write_text(HIDDEN_CASES)          # the notebook's name, not the exercise's
    rc = main(["grade", str(CNN_SOLUTION), "--out", str(tmp_path / "grades"), "--hidden", str(hidden)])
    err = capsys.readouterr().err
    assert rc != 0 and "02_cnn.py" in err and "cnn.py" in err and "never be graded" in err
    assert not (tmp_path / "grades").exists()


def test_an_exercise_without_hidden_cases_in_the_hidden_folder_is_named_in_the_log(tmp_path, capsys):
    hidden = tmp_path / "hidden"
    hidden.mkdir()
    (hidden / "nn.py").write_text("CASES = {}\n")
    main(["grade", str(ROOT / "exercises" / "02_cnn.ipynb"), "--out", str(tmp_path / "grades"),
          "--hidden", str(hidden)])
    assert f"note: --hidden {hidden} has no cnn.py: cnn is graded on its public cases only" in capsys.readouterr().out

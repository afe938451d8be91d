"""Helpers for the exercise-task tests (tests/test_grading_<exercise>.py).

Implementations are scored in the test process with the grader's own
comparison (`expected_outputs`, `execute`, `score_cases`); the process
boundary itself is tested end to end in test_grading_cli.py.
"""
import copy

import pytest

from coursekit.grading.cases import execute
from coursekit.grading.rules import execute_as_student
from coursekit.grading.runner import TaskResult, expected_outputs, score_cases
from coursekit.grading.tasks import get_task


def grade_in_process(task_id, obj, as_student: bool = False) -> TaskResult:
    """Score ``obj`` on every public case of ``task_id``; with ``as_student``, under the rules
    a student's code runs by (its own object, none of the task's forbidden callables)."""
    task = get_task(task_id)
    plan = expected_outputs(task, list(task.cases))
    if as_student:
        records = [execute_as_student(c.run, obj, copy.deepcopy(inp), task.name, task.forbidden)
                   for c, inp in zip(plan.cases, plan.inputs)]
    else:
        records = [execute(c.run, obj, copy.deepcopy(inp)) for c, inp in zip(plan.cases, plan.inputs)]
    return TaskResult(task, score_cases(plan, records))


def assert_loses_points(task_id, wrong) -> None:
    """``wrong`` fails at least one case (so scores below full marks), and every failed case says
    why. (Counted in cases: a full score summed from six shares of 2 points is 1.9999999999999998,
    which passed a comparison of the score with the points for an implementation failing nothing.)"""
    result = grade_in_process(task_id, wrong)
    failed = [c for c in result.cases if not c.passed]
    assert failed, f"{task_id}: the wrong implementation passed every case"
    assert result.score() < result.task.points
    assert all(c.message for c in failed)


def assert_fails_only_the_inputs_case(task_id, wrong, argument) -> None:
    """``wrong`` (right outputs, an argument changed in place) fails one case, the task's one case
    run by ``cases.run_inputs_kept`` (directly or through the task's own run), whose message names
    ``argument``."""
    result = grade_in_process(task_id, wrong)
    failed = {c.case.name: c.message for c in result.cases if not c.passed}
    (case,) = [c.name for c in result.task.cases if c.run.__name__.endswith("inputs_kept")]
    assert list(failed) == [case]
    assert failed[case].startswith(f"your function changed its argument(s) {argument} in place")


def failed_cases(task_id, obj) -> list[str]:
    """The names of the public cases of ``task_id`` that ``obj`` fails, in order."""
    return [c.case.name for c in grade_in_process(task_id, obj).cases if not c.passed]


def assert_every_task_has_wrong_implementations(tasks, wrong_list) -> None:
    assert {t.id for t in tasks} <= {task_id for task_id, _ in wrong_list}


def assert_full_marks(task_id, obj) -> None:
    """``obj`` earns every point of ``task_id``; a failure lists the cases' messages."""
    result = grade_in_process(task_id, obj)
    assert result.score() == pytest.approx(result.task.points), [c.message for c in result.cases]


def assert_every_task_has_an_independent_implementation(tasks, independent) -> None:
    """The reference computes the expected outputs, so only an implementation that takes
    another road can show that it is right: every task needs one."""
    assert {t.id for t in tasks} == {task_id for task_id, _ in independent}


"""`coursekit.check` in the notebook: public cases, clear messages, and it
never raises, whatever the student's code does."""
import sys

import pytest
import torch

import coursekit
from coursekit.grading import CheckResult, check
from coursekit.grading.tasks import cnn, get_task

from test_grading_tasks import INDEPENDENT, conv2d_by_unfold


pytestmark = pytest.mark.usefixtures("one_thread")


def test_check_is_available_as_coursekit_check():
    assert coursekit.check is check


@pytest.mark.parametrize("task_id, impl", INDEPENDENT, ids=[t for t, _ in INDEPENDENT])
def test_a_right_answer_passes_and_says_public_checks_passed_never_correct(task_id, impl, capsys):
    # a student's own right answer (the reference is coursekit's, so check refuses it)
    task = get_task(task_id)
    result = check(task.id, impl)
    out = capsys.readouterr().out
    assert isinstance(result, CheckResult) and result.all_passed
    assert result.passed == result.total == len(task.cases)
    assert out.count("PASS") == len(task.cases)
    assert out.splitlines()[-1] == f"{result.total}/{result.total} public checks passed"
    assert "correct" not in out.lower()


def test_failing_case_shows_expected_got_and_hint(capsys):
    def conv2d(x, weight, bias=None, stride=1, padding=0):   # flips the kernel
        return conv2d_by_unfold(x, weight.flip(-2, -1), bias, stride=stride, padding=padding)

    result = check("cnn.conv2d", conv2d)
    out = capsys.readouterr().out
    assert result.passed < result.total
    assert "FAIL" in out and "expected" in out and "got" in out and "hint:" in out
    assert out.splitlines()[-1] == f"{result.passed}/{result.total} public checks passed"
    assert "correct" not in out.lower()


def test_stub_says_not_implemented_yet(capsys):
    def conv_output_size(size, kernel_size, stride=1, padding=0, dilation=1):
        raise NotImplementedError("use //")

    result = check("cnn.output_size", conv_output_size)
    out = capsys.readouterr().out
    assert "not implemented yet" in out and "use //" in out
    assert result.passed == 0 and out.splitlines()[-1] == "0/6 public checks passed"


@pytest.mark.parametrize("bad", [
    lambda **kw: sys.exit(1),
    lambda **kw: 1 / 0,
    lambda **kw: (_ for _ in ()).throw(KeyboardInterrupt()),
    "not a function",
    None,
], ids=["sys.exit", "ZeroDivisionError", "KeyboardInterrupt", "a string", "None"])
def test_check_never_raises(bad, capsys):
    result = check("cnn.output_size", bad)
    out = capsys.readouterr().out
    assert result.passed == 0
    assert out.splitlines()[-1] == "0/6 public checks passed"


def test_unknown_task_is_reported_not_raised(capsys):
    result = check("cnn.does_not_exist", len)
    assert result.total == 0
    assert "unknown task" in capsys.readouterr().out


def test_check_does_not_change_the_global_random_state():
    torch.manual_seed(123)
    expected = torch.rand(3)
    torch.manual_seed(123)
    check("cnn.model", cnn.PneumoniaCNNReference)
    assert torch.equal(torch.rand(3), expected)

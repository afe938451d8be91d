"""`coursekit.check` in the notebook: public cases, clear messages, and it
never raises, whatever the student's code does."""
import functools
import sys

import pytest
import torch

import coursekit
from coursekit.grading import CheckResult, check
from coursekit.grading.feedback import unkept_globals
from coursekit.grading.tasks import cnn, get_task

from test_grading_tasks import INDEPENDENT, conv2d_by_unfold

N_SIZE_CASES = len(cnn.OUTPUT_SIZE_CASES)   # the public cases of cnn.output_size


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
    assert result.passed == 0 and out.splitlines()[-1] == f"0/{N_SIZE_CASES} public checks passed"
    assert out.count("not implemented yet") == 1               # said once, not once per case


def test_a_check_with_no_cases_run_is_not_all_passed():
    assert not CheckResult("cnn.output_size", 0, 0).all_passed


def test_a_global_tensor_constant_gets_no_note_the_grader_keeps_it():
    assert unkept_globals(_reads_a_tensor_constant) == []


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
    assert out.splitlines()[-1] == f"0/{N_SIZE_CASES} public checks passed"


def test_an_instance_where_the_task_grades_a_class_says_to_pass_the_class(capsys):
    from test_grading_tasks import MLPInsteadOfCNN

    result = check("cnn.model", MLPInsteadOfCNN())
    out = capsys.readouterr().out
    assert result.passed == 0 and out.count("FAIL") == 1
    assert "pass the class, coursekit.check('cnn.model', PneumoniaCNN), not an instance" in out


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


_MODEL = torch.nn.Linear(2, 2)          # made by running code: the grader will not have it
_CRITERION = torch.nn.MSELoss()         # a loss module: extracted as a constant
_K = 1


@functools.lru_cache
def _one():                             # a decorated def: extracted like any def
    return 1


def _size_reading_a_model(size, kernel_size, stride=1, padding=0, dilation=1):
    assert _MODEL is not None
    return (size + 2 * padding - dilation * (kernel_size - 1) - 1) // stride + 1


def _size_reading_only_what_the_grader_keeps(size, kernel_size, stride=1, padding=0, dilation=1):
    assert _CRITERION is not None and torch.is_tensor(torch.zeros(_K)) and callable(check)
    return (size + 2 * padding - dilation * (kernel_size - 1) - 1) // stride + _K * _one()


def _size_with_a_default_read_from_a_model(size, kernel_size, stride=1, padding=0, dilation=1,
                                           _n=sum(p.numel() for p in _MODEL.parameters())):
    return (size + 2 * padding - dilation * (kernel_size - 1) - 1) // stride + 1


class _ClassReadingAModel(torch.nn.Module):
    WIDTH = _MODEL.out_features

    def forward(self, x):
        return x


def test_check_notes_a_default_argument_or_class_attribute_that_reads_such_a_global():
    # read once, when the definition runs: in grading the definition itself fails
    assert [name for name, _ in unkept_globals(_size_with_a_default_read_from_a_model)] == ["_MODEL"]
    assert [name for name, _ in unkept_globals(_ClassReadingAModel)] == ["_MODEL"]


def _predict_with_a_keyword_only_model(x, *, net=_MODEL):
    return x


def test_check_notes_a_keyword_only_default_that_reads_such_a_global():
    assert [name for name, _ in unkept_globals(_predict_with_a_keyword_only_model)] == ["_MODEL"]


def test_check_notes_a_global_that_the_grader_will_not_have(capsys):
    result = check("cnn.output_size", _size_reading_a_model)
    out = capsys.readouterr().out
    assert result.all_passed                      # a note, not a failure: the code is right here
    assert "note:" in out and "`_MODEL`" in out and "pass it as an argument" in out
    assert out.splitlines()[-1] == f"{N_SIZE_CASES}/{N_SIZE_CASES} public checks passed"


def test_check_is_silent_about_imports_functions_constants_and_loss_modules(capsys):
    result = check("cnn.output_size", _size_reading_only_what_the_grader_keeps)
    assert result.all_passed and "note:" not in capsys.readouterr().out


def test_globals_read_by_methods_and_nested_functions_are_found():
    class Net(torch.nn.Module):
        def forward(self, x):
            def inner():
                return _MODEL(x)
            return inner()

    assert [name for name, _ in unkept_globals(Net)] == ["_MODEL"]


@pytest.fixture
def shell():
    """An IPython shell with its history in memory, as a notebook's kernel has one."""
    from IPython.core.interactiveshell import InteractiveShell
    from traitlets.config import Config

    config = Config()
    config.HistoryManager.hist_file = ":memory:"
    ip = InteractiveShell.instance(config=config)
    yield ip
    InteractiveShell.clear_instance()


def check_after(shell, capsys, cells, call: str) -> str:
    """What ``call`` (a coursekit.check) prints in a notebook whose cells ``cells`` ran first, In [1], [2]..."""
    for cell in cells:
        assert shell.run_cell(cell, store_history=True).success
    capsys.readouterr()
    shell.run_cell("import coursekit\n" + call, store_history=True)
    return capsys.readouterr().out


def test_check_in_a_notebook_warns_of_a_name_the_grader_will_skip(shell, capsys):
    said = check_after(shell, capsys, (
        "import numpy as np\nimport torch",
        "SCALE = np.linspace(0.0, 1.0, 3).sum() / 1.5",
        "if __name__ == '__main__':\n    def inverse_time_decay(lr0, decay, step):\n"
        "        return SCALE * lr0 / (1 + decay * step)"), "coursekit.check('nn.lr_schedule', inverse_time_decay)")
    assert ("note: in grading, `SCALE` will not exist: it is set in the cell run as In [2], line 1, and it calls "
            "`np.linspace(0.0, 1.0, 3).sum`") in said
    assert "note: in grading, `inverse_time_decay` will not exist: it is set in the cell run as In [3], line 1, and it " \
           "is inside a top-level `if` block" in said


def test_check_in_a_notebook_warns_of_a_constant_that_skipped_code_changes(shell, capsys):
    # the grader keeps `size = 28` and drops the loop, so the model it builds has the wrong size
    said = check_after(shell, capsys, (
        "import torch\nfrom torch import nn",
        "size = 28\nfor _ in range(2):\n    size = size // 2",
        "class Net(nn.Module):\n    def __init__(self):\n        super().__init__()\n"
        "        self.fc = nn.Linear(size * size, 2)\n    def forward(self, x):\n"
        "        return self.fc(x.flatten(1))"), "coursekit.check('cnn.model', Net)")
    assert ("note: in grading, `size` will have the value of `size = 28`: it is last set in the cell run as "
            "In [2], line 2, by code the grader does not run") in said


def test_check_outside_ipython_adds_no_note_about_skipped_statements(capsys):
    from coursekit.grading.feedback import skipped_by_the_grader
    assert skipped_by_the_grader(lambda x: x, "f") == {}


def test_check_s_header_says_1_point_not_1_points(capsys):
    check("gan.real_batch", None)
    assert "(1 point)." in capsys.readouterr().out


SOBEL = torch.tensor([[1.0, 0.0, -1.0]])     # a constant the grader keeps (module level, for unkept_globals)


def _reads_a_tensor_constant(x):
    return x * SOBEL

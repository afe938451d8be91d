"""The CNN exercise's tasks: the reference earns full marks, and every
wrong-but-plausible implementation loses points (scored in this process; see
grading_helpers.py)."""
import copy
import math
import re

import pytest
import torch
import torch.nn.functional as F
from torch import nn

from coursekit.grading.cases import compare_inputs_kept, compare_values, inputs_kept, run_inputs_kept
from coursekit.grading.tasks import cnn, exercise_tasks, exercises, load_hidden
from grading_helpers import (assert_every_task_has_an_independent_implementation,
                             assert_every_task_has_wrong_implementations, assert_full_marks, assert_loses_points,
                             failed_cases, grade_in_process)

pytestmark = pytest.mark.usefixtures("one_thread")


# --------------------------------------------------------------- the tasks


def test_cnn_exercise_has_at_least_three_tasks_with_points():
    tasks = exercise_tasks("cnn")
    assert "cnn" in exercises()
    assert len(tasks) >= 3
    assert all(t.id.startswith("cnn.") and t.points > 0 and t.cases for t in tasks)
    assert sum(t.points for t in tasks) == 12


@pytest.mark.parametrize("task", cnn.TASKS, ids=lambda t: t.id)
def test_reference_implementation_earns_full_marks(task):
    result = grade_in_process(task.id, task.reference)
    assert result.score() == pytest.approx(task.points), [c.message for c in result.cases]


# The reference also computes the expected outputs, so grading it against itself cannot tell
# whether it is right. These implementations take another road to the same answer.

def conv2d_by_unfold(x, weight, bias=None, stride=1, padding=0):
    """Convolution as one matrix product over the unfolded patches."""
    n, _, h, w = x.shape
    c_out, _, kh, kw = weight.shape
    cols = F.unfold(x, (kh, kw), padding=padding, stride=stride)
    out = (weight.reshape(c_out, -1) @ cols).reshape(n, c_out, (h + 2 * padding - kh) // stride + 1,
                                                    (w + 2 * padding - kw) // stride + 1)
    return out if bias is None else out + bias.view(1, -1, 1, 1)


def output_size_by_torch(size, kernel_size, stride=1, padding=0, dilation=1):
    """The size of what nn.Conv2d returns on a (1, 1, size, 1) input."""
    conv = nn.Conv2d(1, 1, (kernel_size, 1), (stride, 1), (padding, 0), (dilation, 1))
    with torch.no_grad():
        return conv(torch.zeros(1, 1, size, 1)).shape[2]


def stats_by_channel_rows(images):
    """One row per channel: mean and sqrt of the population variance."""
    rows = images.transpose(0, 1).flatten(1)
    return rows.mean(1), rows.var(1, correction=0).sqrt()


def step_with_loss_module(model, x, y, optimizer):
    optimizer.zero_grad(set_to_none=True)
    loss = nn.CrossEntropyLoss()(model(x), y)
    loss.backward()
    optimizer.step()
    return float(loss.detach())


class MLPInsteadOfCNN(nn.Module):
    """Another design that meets the task's spec (shape, size, able to learn)."""

    def __init__(self):
        super().__init__()
        self.net = nn.Sequential(nn.Flatten(), nn.Linear(28 * 28, 64), nn.ReLU(), nn.Linear(64, 2))

    def forward(self, x):
        return self.net(x)


class LazyHead(nn.Module):
    """The suggested design with the first linear layer's input size left to nn.LazyLinear."""

    def __init__(self):
        super().__init__()
        self.features = nn.Sequential(nn.Conv2d(1, 16, 3, padding=1), nn.ReLU(), nn.MaxPool2d(2),
                                      nn.Conv2d(16, 32, 3, padding=1), nn.ReLU(), nn.MaxPool2d(2))
        self.head = nn.Sequential(nn.Flatten(), nn.LazyLinear(64), nn.ReLU(), nn.Linear(64, 2))

    def forward(self, x):
        return self.head(self.features(x))


class LazyHeadNoPooling(LazyHead):
    """The same without pooling: 32 * 28 * 28 * 64 weights in the lazy layer, over the limit."""

    def __init__(self):
        super().__init__()
        self.features = nn.Sequential(nn.Conv2d(1, 16, 3, padding=1), nn.ReLU(),
                                      nn.Conv2d(16, 32, 3, padding=1), nn.ReLU())


def test_a_lazy_linear_layer_is_counted_once_it_has_seen_a_batch():
    assert_full_marks("cnn.model", LazyHead)
    assert failed_cases("cnn.model", LazyHeadNoPooling) == [f"at most {cnn.MAX_PARAMETERS:,} parameters"]


INDEPENDENT = [("cnn.conv2d", conv2d_by_unfold), ("cnn.output_size", output_size_by_torch),
               ("cnn.normalize", stats_by_channel_rows), ("cnn.train_step", step_with_loss_module),
               ("cnn.model", MLPInsteadOfCNN)]


@pytest.mark.parametrize("task_id, impl", INDEPENDENT, ids=[t for t, _ in INDEPENDENT])
def test_an_independent_implementation_earns_full_marks(task_id, impl):
    assert_full_marks(task_id, impl)


def test_every_task_has_an_independent_implementation():
    assert_every_task_has_an_independent_implementation(cnn.TASKS, INDEPENDENT)


@pytest.mark.parametrize("task", cnn.TASKS, ids=lambda t: t.id)
def test_case_inputs_are_reproducible(task):
    for case in task.cases:
        a, b = case.make_inputs(), case.make_inputs()
        assert compare_values(a, b) is None


@pytest.mark.parametrize("task", [t for t in cnn.TASKS if t.id in ("cnn.conv2d", "cnn.normalize", "cnn.train_step")],
                         ids=lambda t: t.id)
def test_numeric_tasks_use_float64_inputs_where_the_task_allows(task):
    dtypes = set()
    for case in task.cases:
        dtypes |= {v.dtype for v in _tensors(case.make_inputs())}
    assert torch.float64 in dtypes


def _tensors(obj):
    if isinstance(obj, torch.Tensor):
        yield obj
    elif isinstance(obj, dict):
        for v in obj.values():
            yield from _tensors(v)
    elif isinstance(obj, (list, tuple)):
        for v in obj:
            yield from _tensors(v)


# ------------------------------------------ wrong-but-plausible implementations

def conv_flipped_kernel(x, weight, bias=None, stride=1, padding=0):
    """A true (flipped-kernel) convolution."""
    return F.conv2d(x, weight.flip(-2, -1), bias, stride=stride, padding=padding)


def conv_transposed_kernel(x, weight, bias=None, stride=1, padding=0):
    """kH and kW swapped."""
    return F.conv2d(x, weight.transpose(-2, -1), bias, stride=stride, padding=padding)


def conv_off_by_one_padding(x, weight, bias=None, stride=1, padding=0):
    """Pads only the top and left."""
    x = F.pad(x, (padding, 0, padding, 0))
    return F.conv2d(x, weight, bias, stride=stride)


def conv_padding_plus_one(x, weight, bias=None, stride=1, padding=0):
    return F.conv2d(x, weight, bias, stride=stride, padding=padding + 1 if padding else 0)


def conv_ignores_stride(x, weight, bias=None, stride=1, padding=0):
    return F.conv2d(x, weight, bias, padding=padding)


def conv_missing_bias(x, weight, bias=None, stride=1, padding=0):
    return F.conv2d(x, weight, None, stride=stride, padding=padding)


def conv_always_float32(x, weight, bias=None, stride=1, padding=0):
    """Builds the output with torch.zeros(...) and the default dtype."""
    return F.conv2d(x, weight, bias, stride=stride, padding=padding).float()


def size_missing_plus_one(size, kernel_size, stride=1, padding=0, dilation=1):
    return (size + 2 * padding - dilation * (kernel_size - 1) - 1) // stride


def size_missing_floor(size, kernel_size, stride=1, padding=0, dilation=1):
    return (size + 2 * padding - dilation * (kernel_size - 1) - 1) / stride + 1


def size_ceil(size, kernel_size, stride=1, padding=0, dilation=1):
    return math.ceil((size + 2 * padding - dilation * (kernel_size - 1) - 1) / stride) + 1


def size_ignores_dilation(size, kernel_size, stride=1, padding=0, dilation=1):
    return (size + 2 * padding - kernel_size) // stride + 1


def size_padding_once(size, kernel_size, stride=1, padding=0, dilation=1):
    return (size + padding - dilation * (kernel_size - 1) - 1) // stride + 1


def size_positions_floor(size, kernel_size, stride=1, padding=0, dilation=1):
    """Counts the window positions L, then floors L / stride (right only when s divides L)."""
    return (size + 2 * padding - dilation * (kernel_size - 1)) // stride


def size_span_from_the_3x3_example(size, kernel_size, stride=1, padding=0, dilation=1):
    """Takes the span of a dilated kernel as k + 2(d - 1), which holds only for k = 3."""
    return (size + 2 * padding - (kernel_size + 2 * (dilation - 1))) // stride + 1


def stats_per_image(images):
    return images.mean(dim=(2, 3)), images.std(dim=(2, 3), correction=0)


def stats_unbiased_std(images):
    return images.mean(dim=(0, 2, 3)), images.std(dim=(0, 2, 3))


def stats_over_all_channels(images):
    return images.mean(), images.std(correction=0)


def stats_mean_of_per_image_std(images):
    return images.mean(dim=(0, 2, 3)), images.std(dim=(2, 3), correction=0).mean(dim=0)


def stats_wrong_axis(images):
    return images.mean(dim=(0, 1, 2)), images.std(dim=(0, 1, 2), correction=0)


def step_sum_not_mean(model, x, y, optimizer):
    optimizer.zero_grad()
    loss = F.cross_entropy(model(x), y, reduction="sum")
    loss.backward()
    optimizer.step()
    return loss.item()


def step_missing_zero_grad(model, x, y, optimizer):
    loss = F.cross_entropy(model(x), y)
    loss.backward()
    optimizer.step()
    return loss.item()


def step_softmax_before_cross_entropy(model, x, y, optimizer):
    optimizer.zero_grad()
    loss = nn.CrossEntropyLoss()(model(x).softmax(dim=1), y)
    loss.backward()
    optimizer.step()
    return loss.item()


def step_returns_tensor(model, x, y, optimizer):
    optimizer.zero_grad()
    loss = F.cross_entropy(model(x), y)
    loss.backward()
    optimizer.step()
    return loss


def step_returns_loss_after_update(model, x, y, optimizer):
    optimizer.zero_grad()
    F.cross_entropy(model(x), y).backward()
    optimizer.step()
    with torch.no_grad():
        return F.cross_entropy(model(x), y).item()


def step_manual_sgd(model, x, y, optimizer):
    """Ignores the optimizer (and its momentum)."""
    model.zero_grad()
    loss = F.cross_entropy(model(x), y)
    loss.backward()
    with torch.no_grad():
        for p in model.parameters():
            p -= 0.1 * p.grad
    return loss.item()


class SingleLogit(cnn.PneumoniaCNNReference):
    """One output for a two-class problem."""

    def __init__(self):
        super().__init__()
        self.classifier[-1] = nn.Linear(64, 1)


class NoPooling(nn.Module):
    """Flattens full-resolution feature maps: far too many parameters."""

    def __init__(self):
        super().__init__()
        self.net = nn.Sequential(nn.Conv2d(1, 16, 3, padding=1), nn.ReLU(), nn.Conv2d(16, 32, 3, padding=1),
                                 nn.ReLU(), nn.Flatten(), nn.Linear(32 * 28 * 28, 64), nn.ReLU(), nn.Linear(64, 2))

    def forward(self, x):
        return self.net(x)


class WrongFlattenSize(cnn.PneumoniaCNNReference):
    """Forgot the second pooling when computing the flattened size."""

    def __init__(self):
        super().__init__()
        self.classifier[1] = nn.Linear(32 * 14 * 14, 64)


class ReluOnLogits(cnn.PneumoniaCNNReference):
    """A ReLU after the last layer clamps the logits and stops learning."""

    def forward(self, x):
        return torch.relu(super().forward(x))


class SoftmaxOutput(cnn.PneumoniaCNNReference):
    """Returns probabilities: cross-entropy then applies a second softmax, yet it still learns."""

    def forward(self, x):
        return super().forward(x).softmax(1)


class SigmoidOutput(cnn.PneumoniaCNNReference):
    """Ends in a sigmoid: outputs in (0, 1) that do not sum to 1, so they pass for logits, and the
    argmax still learns the batch, but the loss can never fall below 0.313."""

    def forward(self, x):
        return torch.sigmoid(super().forward(x))


class TanhOutput(cnn.PneumoniaCNNReference):
    """Ends in a tanh: two logits in [-1, 1] differ by at most 2, so the model is never more than
    88% sure and its loss never falls below log(1 + e^-2) = 0.127, under the 0.15 of the loss case."""

    def forward(self, x):
        return torch.tanh(super().forward(x))


class HardtanhOutput(cnn.PneumoniaCNNReference):
    def forward(self, x):
        return F.hardtanh(super().forward(x))


def step_zero_grad_after_the_step(model, x, y, optimizer):
    """Zeroes after step(): gradients already in .grad (a check's backward()) leak into the first update."""
    loss = F.cross_entropy(model(x), y)
    loss.backward()
    optimizer.step()
    optimizer.zero_grad()
    return loss.item()


def step_in_eval_mode(model, x, y, optimizer):
    """Right otherwise, but trains in eval mode: batch norm would use running statistics, dropout nothing."""
    model.eval()
    return cnn.train_step_reference(model, x, y, optimizer)


class ExpectsRGB(nn.Module):
    def __init__(self):
        super().__init__()
        self.inner = cnn.PneumoniaCNNReference()
        self.inner.features[0] = nn.Conv2d(3, 16, 3, padding=1)

    def forward(self, x):
        return self.inner(x)


WRONG = [
    ("cnn.conv2d", conv_flipped_kernel), ("cnn.conv2d", conv_transposed_kernel),
    ("cnn.conv2d", conv_off_by_one_padding), ("cnn.conv2d", conv_padding_plus_one),
    ("cnn.conv2d", conv_ignores_stride), ("cnn.conv2d", conv_missing_bias), ("cnn.conv2d", conv_always_float32),
    ("cnn.output_size", size_missing_plus_one), ("cnn.output_size", size_missing_floor),
    ("cnn.output_size", size_ceil), ("cnn.output_size", size_ignores_dilation),
    ("cnn.output_size", size_padding_once), ("cnn.output_size", size_positions_floor),
    ("cnn.output_size", size_span_from_the_3x3_example),
    ("cnn.normalize", stats_per_image), ("cnn.normalize", stats_unbiased_std),
    ("cnn.normalize", stats_over_all_channels), ("cnn.normalize", stats_mean_of_per_image_std),
    ("cnn.normalize", stats_wrong_axis),
    ("cnn.train_step", step_sum_not_mean), ("cnn.train_step", step_missing_zero_grad),
    ("cnn.train_step", step_softmax_before_cross_entropy), ("cnn.train_step", step_returns_tensor),
    ("cnn.train_step", step_returns_loss_after_update), ("cnn.train_step", step_manual_sgd),
    ("cnn.model", SingleLogit), ("cnn.model", NoPooling), ("cnn.model", WrongFlattenSize),
    ("cnn.model", ReluOnLogits), ("cnn.model", SoftmaxOutput), ("cnn.model", SigmoidOutput),
    ("cnn.model", ExpectsRGB), ("cnn.model", TanhOutput), ("cnn.model", HardtanhOutput),
    ("cnn.train_step", step_zero_grad_after_the_step), ("cnn.train_step", step_in_eval_mode),
]


@pytest.mark.parametrize("task_id, wrong", WRONG, ids=lambda v: getattr(v, "__name__", v))
def test_wrong_but_plausible_implementation_loses_points(task_id, wrong):
    assert_loses_points(task_id, wrong)


def test_every_task_has_wrong_implementations_in_the_tests():
    assert_every_task_has_wrong_implementations(cnn.TASKS, WRONG)


def test_missing_zero_grad_passes_one_step_but_fails_two():
    result = grade_in_process("cnn.train_step", step_missing_zero_grad)
    passed = {c.case.name: c.passed for c in result.cases}
    assert passed["one SGD step on a batch of 8"] and not passed["two SGD steps in a row"]


def test_flooring_the_count_of_positions_fails_only_where_the_stride_does_not_divide_it():
    assert failed_cases("cnn.output_size", size_positions_floor) == ["7 pixels, 3x3 kernel, stride 2, padding 1 (odd count of positions)"]


def test_a_dilated_span_of_k_plus_2_d_minus_1_fails_only_the_5x5_dilation_case():
    assert failed_cases("cnn.output_size", size_span_from_the_3x3_example) == ["32 pixels, 5x5 kernel, dilation 3"]


CONFIDENT = f"becomes confident: cross-entropy below {cnn.CONFIDENT_LOSS} within {cnn.CONFIDENT_STEPS} Adam steps"


def test_softmax_output_passes_the_shape_and_learning_checks_but_not_the_logits_checks():
    assert failed_cases("cnn.model", SoftmaxOutput) == ["outputs are logits, not probabilities", CONFIDENT]


def test_sigmoid_output_fails_only_the_confidence_check_and_is_told_why():
    assert failed_cases("cnn.model", SigmoidOutput) == [CONFIDENT]
    result = grade_in_process("cnn.model", SigmoidOutput)
    message = next(c.message for c in result.cases if c.case.name == CONFIDENT)
    assert "0.313" in message and "sigmoid" in message


def test_mismatch_message_gives_shapes_dtypes_first_mismatch_and_hint():
    result = grade_in_process("cnn.conv2d", conv_missing_bias)
    msg = next(c.message for c in result.cases if not c.passed)
    for part in ("first at index", "expected", "got", "max abs error", "torch.float64", "hint:"):
        assert part in msg


@pytest.mark.parametrize("expected, got", [(torch.tensor(0.179468001, dtype=torch.float64),
                                            torch.tensor(0.179468023, dtype=torch.float64)),
                                           (0.182486001, 0.182486086)])
def test_a_mismatch_shows_the_values_with_enough_digits_to_tell_them_apart(expected, got):
    msg = compare_values(expected, got)
    assert msg is not None
    shown = re.search(r"expected ([-\d.e+]+), got ([-\d.e+]+)", msg).groups()
    assert shown[0] != shown[1], msg        # not "expected 0.179468, got 0.179468"


def test_float32_results_agree_only_to_the_float32_tolerance():
    expected = torch.linspace(1, 2, 5)                                    # float32: rtol 1e-4
    assert compare_values(expected, expected * (1 + 5e-5)) is None
    assert compare_values(expected, expected * (1 + 5e-4)) is not None


@pytest.mark.parametrize("expected, got", [(1, True), (True, 1), (1.0, True), (None, 0), ("relu", ["relu"])])
def test_a_value_of_another_type_does_not_pass_for_an_equal_one(expected, got):
    assert compare_values(expected, got) is not None          # True == 1 in Python, but not a size nor a flag


def test_a_dict_with_an_extra_key_does_not_pass():
    assert compare_values({"relu": 1.0}, {"relu": 1.0, "softplus": 0.5}) is not None


def test_a_wrong_float_where_an_int_is_expected_gets_no_floor_division_advice():
    msg = compare_values(3, 2.5)        # // would not make 2.5 into 3: the advice is for 3.0
    assert msg is not None and "use //" not in msg


def test_a_mismatch_names_the_first_element_that_differs():
    msg = compare_values(torch.zeros(2, 3, dtype=torch.float64), torch.tensor([[0, 0, 1], [1, 0, 1.0]]).double())
    assert "3 of 6 elements differ" in msg and "first at index (0, 2)" in msg


def test_shape_mismatch_message_names_both_shapes():
    result = grade_in_process("cnn.normalize", stats_per_image)
    assert "expected shape (3,), got shape (6, 3)" in result.cases[0].message


def test_float_instead_of_int_is_explained():
    result = grade_in_process("cnn.output_size", size_missing_floor)
    assert "use // (floor division)" in result.cases[0].message



def scale_first_in_place(x, y, factor):
    x.mul_(factor)          # changes the caller's x
    return y * factor       # a new tensor: y is left as it was


def scale_both(x, y, factor):
    return x * factor, y * factor


def kept_case_outcome(obj, compare=compare_inputs_kept):
    """Run an inputs-kept case as the grader does (the student's run on a copy of the inputs, the
    compare on the originals) for ``obj(x, y, factor)``; the compare's message, or None."""
    inputs = dict(x=torch.ones(3), y=torch.ones(3), factor=2.0)
    expected = run_inputs_kept(scale_both, copy.deepcopy(inputs))
    got = run_inputs_kept(obj, copy.deepcopy(inputs))
    return compare(expected, got, inputs)


def test_the_inputs_kept_check_names_each_tensor_argument_changed_in_place():
    assert kept_case_outcome(scale_first_in_place).startswith("your function changed its argument(s) x in place")


def test_the_inputs_kept_check_passes_a_function_that_makes_new_tensors():
    assert kept_case_outcome(lambda x, y, factor: (factor * x, factor * y)) is None


def test_the_inputs_kept_check_wants_the_right_output_too():
    # an answer that changes nothing because it computes nothing must not earn the case
    assert kept_case_outcome(lambda x, y, factor: (x, y)) is not None


def test_the_inputs_kept_check_sees_an_argument_whose_shape_changed_in_place():
    def unsqueezes_y(x, y, factor):
        y.unsqueeze_(0)
        return x * factor, y[0] * factor
    assert kept_case_outcome(unsqueezes_y).startswith("your function changed its argument(s) y in place")


def test_the_inputs_kept_check_compares_in_the_checker_not_with_the_student_s_torch_equal(monkeypatch):
    # the student's process may patch torch.equal; the arguments come back, and the checker compares them
    inputs = dict(x=torch.ones(3), y=torch.ones(3), factor=2.0)
    with monkeypatch.context() as m:
        m.setattr(torch, "equal", lambda *a: True)
        got = run_inputs_kept(scale_first_in_place, copy.deepcopy(inputs))
    expected = run_inputs_kept(scale_both, copy.deepcopy(inputs))
    assert compare_inputs_kept(expected, got, inputs).startswith("your function changed its argument(s) x in place")


def test_the_inputs_kept_check_compares_the_output_with_the_compare_it_is_given():
    assert kept_case_outcome(scale_both, inputs_kept(lambda e, g, i: "the task's own message")) == (
        "the task's own message")


def test_the_inputs_kept_check_says_why_the_notebook_needs_the_arguments_when_told():
    message = kept_case_outcome(scale_first_in_place, inputs_kept(why="the notebook calls it twice"))
    assert "(the notebook calls it twice)" in message


INPUTS_KEPT_CASES = [(t.id, c.name) for e in exercises() for t in exercise_tasks(e) for c in t.cases
                     if c.run.__name__.endswith("inputs_kept")]


def test_the_cases_that_check_the_arguments_are_all_judged_by_the_shared_compare():
    assert len({task_id for task_id, _ in INPUTS_KEPT_CASES}) >= 20      # 23 tasks in 8 exercises
    compares = {c.compare.__qualname__ for e in exercises() for t in exercise_tasks(e) for c in t.cases
                if c.run.__name__.endswith("inputs_kept")}
    assert compares == {"inputs_kept.<locals>.compare_inputs_kept"}


@pytest.mark.parametrize("task_id, case", INPUTS_KEPT_CASES, ids=lambda v: v if "." in v else None)
def test_an_answer_that_computes_nothing_earns_nothing_on_the_case_that_checks_the_arguments(task_id, case):
    # it changes no argument, but it does not compute what the task asks either
    result = grade_in_process(task_id, lambda *args, **kwargs: None)
    assert not next(c for c in result.cases if c.case.name == case).passed


# ----------------------------------------------------------- hidden cases

def test_hidden_cases_load_with_hidden_visibility(tmp_path):
    (tmp_path / "cnn.py").write_text(
        "from coursekit.grading.tasks.cnn import size_case\n"
        "CASES = {'cnn.output_size': [size_case('100 pixels, stride 3', 100, 7, stride=3, padding=3)]}\n")
    hidden = load_hidden(tmp_path, "cnn")
    assert [c.visibility for c in hidden["cnn.output_size"]] == ["hidden"]
    assert load_hidden(tmp_path, "other") == {}


def test_hidden_cases_for_an_unknown_task_are_refused(tmp_path):
    (tmp_path / "cnn.py").write_text("CASES = {'cnn.nope': []}\n")
    with pytest.raises(ValueError, match="unknown task"):
        load_hidden(tmp_path, "cnn")


def test_hidden_case_run_must_live_in_the_package(tmp_path):
    (tmp_path / "cnn.py").write_text(
        "from coursekit.grading import Case\n"
        "def run(obj, inputs):\n    return obj(**inputs)\n"
        "CASES = {'cnn.output_size': [Case('x', lambda g: {}, run=run)]}\n")
    with pytest.raises(ValueError, match="run must be a function of coursekit.grading"):
        load_hidden(tmp_path, "cnn")


def test_a_hidden_file_named_after_a_notebook_is_told_the_exercise_s_file_name(tmp_path):
    from coursekit.grading.tasks import check_hidden_folder
    (tmp_path / "02_cnn.py").write_text("CASES = {}\n")
    (tmp_path / "extra.py").write_text("CASES = {}\n")
    with pytest.raises(ValueError) as refused:
        check_hidden_folder(tmp_path)
    assert "02_cnn.py, extra.py name(s) no exercise" in str(refused.value)
    assert str(refused.value).endswith("(a file is named after the exercise, not its notebook: "
                                       "rename 02_cnn.py to cnn.py)")


def test_a_hidden_file_named_after_nothing_known_gets_no_rename_advice(tmp_path):
    from coursekit.grading.tasks import check_hidden_folder
    (tmp_path / "extra.py").write_text("CASES = {}\n")
    with pytest.raises(ValueError, match="name each file after its exercise") as refused:
        check_hidden_folder(tmp_path)
    assert "rename" not in str(refused.value)


def test_an_exercise_can_be_named_by_its_notebook():
    from coursekit.grading.tasks import exercise_named

    assert exercise_named("nn") == "nn"
    assert exercise_named("01_neural_networks") == "nn"
    assert exercise_named("exercises/02_cnn.ipynb") == "cnn"


def test_an_unknown_exercise_is_refused_with_every_name_and_notebook():
    from coursekit.grading.tasks import exercise_named

    with pytest.raises(ValueError, match=r"unknown exercise '06_gan'; known: .*nn \(01_neural_networks\)"):
        exercise_named("06_gan")


def test_each_exercise_notebook_says_the_exercise_its_tasks_module_names_it_for():
    import json
    from pathlib import Path

    from coursekit.grading.tasks import notebooks

    folder = Path(__file__).parents[1] / "exercises"
    for exercise, stem in notebooks().items():
        meta = json.loads((folder / f"{stem}.ipynb").read_text(encoding="utf-8"))["metadata"]
        assert meta["coursekit"]["exercise"] == exercise
    assert sorted(notebooks().values()) == sorted(p.stem for p in folder.glob("*.ipynb"))

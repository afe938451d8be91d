"""The CNN exercise's tasks (most of their tests are in test_grading_tasks.py): arguments
changed in place, and a model given back in eval mode."""
import pytest
import torch
import torch.nn.functional as F

from coursekit.grading.cases import run_inputs_kept
from coursekit.grading.tasks import cnn
from grading_helpers import assert_fails_only_the_inputs_case, assert_full_marks, failed_cases, grade_in_process

pytestmark = pytest.mark.usefixtures("one_thread")

CONV_INPUT_CASE = next((c.name for c in cnn.CONV2D_CASES if c.run is run_inputs_kept), None)
MODE_CASE = next(c.name for c in cnn.TRAIN_STEP_CASES if c.run is cnn.run_mode_check)


def conv2d_bias_unsqueezed_in_place(x, weight, bias=None, stride=1, padding=0):
    """bias.unsqueeze_(-1).unsqueeze_(-1) to broadcast it: the caller's bias becomes (C_out, 1, 1)."""
    out = F.conv2d(x, weight, None, stride=stride, padding=padding)
    if bias is not None:
        out = out + bias.unsqueeze_(-1).unsqueeze_(-1)
    return out


def test_conv2d_that_changes_its_bias_in_place_fails_only_the_inputs_case_and_is_told_so():
    assert_fails_only_the_inputs_case("cnn.conv2d", conv2d_bias_unsqueezed_in_place, "bias")


def test_conv2d_that_returns_zeros_earns_nothing_even_from_the_inputs_case():
    """Zeros of the right shape change nothing, but the inputs case wants the right output too."""
    def conv2d(x, weight, bias=None, stride=1, padding=0):
        return torch.zeros_like(F.conv2d(x, weight, bias, stride=stride, padding=padding))
    result = grade_in_process("cnn.conv2d", conv2d)
    assert CONV_INPUT_CASE in failed_cases("cnn.conv2d", conv2d) and result.score() == 0


def test_conv2d_has_one_inputs_case_that_the_reference_passes():
    assert sum(c.run is run_inputs_kept for c in cnn.CONV2D_CASES) == 1
    assert_full_marks("cnn.conv2d", cnn.conv2d_reference)


def stats_centred_in_place(images):
    """images -= mean to compute the std: right statistics, and the caller's images centred."""
    mean = images.mean(dim=(0, 2, 3))
    images -= mean.view(1, -1, 1, 1)
    return mean, images.pow(2).mean(dim=(0, 2, 3)).sqrt()


def test_channel_stats_that_centres_the_images_in_place_fails_only_the_inputs_case_and_is_told_so():
    assert_fails_only_the_inputs_case("cnn.normalize", stats_centred_in_place, "images")


def test_channel_stats_has_one_inputs_case_that_the_reference_passes():
    assert sum(c.run is run_inputs_kept for c in cnn.NORMALIZE_CASES) == 1
    assert_full_marks("cnn.normalize", cnn.channel_stats_reference)


def step_ends_in_eval_mode(model, x, y, optimizer):
    """A right step that then switches to eval mode (to look at the batch's accuracy, say) and stays there."""
    optimizer.zero_grad()
    loss = F.cross_entropy(model(x), y)
    loss.backward()
    optimizer.step()
    model.eval()
    return loss.item()


def test_a_train_step_that_gives_the_model_back_in_eval_mode_fails_the_mode_case():
    assert failed_cases("cnn.train_step", step_ends_in_eval_mode) == [MODE_CASE]
    message = next(c.message for c in grade_in_process("cnn.train_step", step_ends_in_eval_mode).cases
                   if not c.passed)
    assert "'still in training mode after the step']: expected True, got bool False" in message


"""The RNN exercise's tasks: the reference earns full marks, the from-scratch
cells of coursekit.models.recurrent do too, and every wrong-but-plausible
implementation loses points."""
import itertools

import pytest
import torch

from coursekit.grading.cases import compare_values, run_inputs_kept
from coursekit.grading.tasks import exercise_tasks, exercises, rnn
from coursekit.models import recurrent as R
from grading_helpers import (assert_every_task_has_wrong_implementations, assert_fails_only_the_inputs_case,
                             assert_full_marks, assert_loses_points, grade_in_process)

pytestmark = pytest.mark.usefixtures("one_thread")


def test_rnn_exercise_has_at_least_three_tasks_with_points():
    tasks = exercise_tasks("rnn")
    assert "rnn" in exercises()
    assert len(tasks) >= 3
    assert all(t.id.startswith("rnn.") and t.points > 0 and t.cases for t in tasks)
    assert sum(t.points for t in tasks) == 12


@pytest.mark.parametrize("task", rnn.TASKS, ids=lambda t: t.id)
def test_reference_implementation_earns_full_marks(task):
    result = grade_in_process(task.id, task.reference)
    assert result.score() == pytest.approx(task.points), [c.message for c in result.cases]


@pytest.mark.parametrize("task_id, impl", [
    ("rnn.rnn_cell", R.rnn_cell), ("rnn.gru_cell", R.gru_cell), ("rnn.slices", R.volume_to_sequence)],
    ids=lambda v: getattr(v, "__name__", v))
def test_coursekit_scratch_implementations_earn_full_marks(task_id, impl):
    result = grade_in_process(task_id, impl)
    assert result.score() == pytest.approx(result.task.points), [c.message for c in result.cases]


def test_coursekit_lstm_cell_earns_full_marks():
    result = grade_in_process("rnn.lstm_cell", R.lstm_cell)
    assert result.score() == pytest.approx(3), [c.message for c in result.cases]


def unroll_by_accumulate(cell, x, h0):
    states = itertools.accumulate(x.unbind(1), lambda h, x_t: cell(x_t, h), initial=h0)
    return torch.stack(list(states)[1:], dim=1)


def slices_by_stacking(volumes):
    return torch.stack([volumes[:, :, t] for t in range(volumes.shape[2])], dim=1)


@pytest.mark.parametrize("task_id, impl", [("rnn.unroll", unroll_by_accumulate), ("rnn.slices", slices_by_stacking)],
                         ids=lambda v: getattr(v, "__name__", v))
def test_an_independent_implementation_earns_full_marks(task_id, impl):
    """The cells are checked against coursekit's scratch versions above; unroll has none, and
    the scratch slices is one transpose, like the reference."""
    assert_full_marks(task_id, impl)


@pytest.mark.parametrize("task", rnn.TASKS, ids=lambda t: t.id)
def test_case_inputs_are_reproducible_and_float64(task):
    for case in task.cases:
        a, b = case.make_inputs(), case.make_inputs()
        assert compare_values(a, b) is None
    dtypes = {v.dtype for case in task.cases for v in case.make_inputs().values() if isinstance(v, torch.Tensor)}
    assert torch.float64 in dtypes


# ------------------------------------------ wrong-but-plausible implementations

def _aff(x, w, b):
    return x @ w.T + (0 if b is None else b)


def rnn_relu(x, h, weight_ih, weight_hh, bias_ih=None, bias_hh=None):
    return torch.relu(_aff(x, weight_ih, bias_ih) + _aff(h, weight_hh, bias_hh))


def rnn_one_bias(x, h, weight_ih, weight_hh, bias_ih=None, bias_hh=None):
    return torch.tanh(_aff(x, weight_ih, bias_ih) + _aff(h, weight_hh, None))


def rnn_no_transpose(x, h, weight_ih, weight_hh, bias_ih=None, bias_hh=None):
    """h @ W_hh instead of h @ W_hh.T (runs when H is square; wrong values)."""
    return torch.tanh(_aff(x, weight_ih, bias_ih) + h @ weight_hh + (0 if bias_hh is None else bias_hh))


def rnn_ignores_none_bias(x, h, weight_ih, weight_hh, bias_ih=None, bias_hh=None):
    return torch.tanh(x @ weight_ih.T + bias_ih + h @ weight_hh.T + bias_hh)


def rnn_float32(x, h, weight_ih, weight_hh, bias_ih=None, bias_hh=None):
    return R.rnn_cell(x, h, weight_ih, weight_hh, bias_ih, bias_hh).float()


def _lstm_pre(x, h, weight_ih, weight_hh, bias_ih, bias_hh):
    return (_aff(x, weight_ih, bias_ih) + _aff(h, weight_hh, bias_hh)).chunk(4, dim=1)


def lstm_i_f_swapped(x, h, c, weight_ih, weight_hh, bias_ih=None, bias_hh=None):
    f, i, g, o = _lstm_pre(x, h, weight_ih, weight_hh, bias_ih, bias_hh)
    i, f, g, o = i.sigmoid(), f.sigmoid(), g.tanh(), o.sigmoid()
    c = f * c + i * g
    return o * c.tanh(), c


def lstm_order_ifog_as_igfo(x, h, c, weight_ih, weight_hh, bias_ih=None, bias_hh=None):
    """The gate order of some textbooks (i, g, f, o) instead of torch's."""
    i, g, f, o = _lstm_pre(x, h, weight_ih, weight_hh, bias_ih, bias_hh)
    i, f, g, o = i.sigmoid(), f.sigmoid(), g.tanh(), o.sigmoid()
    c = f * c + i * g
    return o * c.tanh(), c


def lstm_tanh_output_gate(x, h, c, weight_ih, weight_hh, bias_ih=None, bias_hh=None):
    i, f, g, o = _lstm_pre(x, h, weight_ih, weight_hh, bias_ih, bias_hh)
    i, f, g, o = i.sigmoid(), f.sigmoid(), g.tanh(), o.tanh()
    c = f * c + i * g
    return o * c.tanh(), c


def lstm_forgets_cell_state(x, h, c, weight_ih, weight_hh, bias_ih=None, bias_hh=None):
    i, f, g, o = _lstm_pre(x, h, weight_ih, weight_hh, bias_ih, bias_hh)
    i, f, g, o = i.sigmoid(), f.sigmoid(), g.tanh(), o.sigmoid()
    c = i * g
    return o * c.tanh(), c


def lstm_no_tanh_on_cell(x, h, c, weight_ih, weight_hh, bias_ih=None, bias_hh=None):
    i, f, g, o = _lstm_pre(x, h, weight_ih, weight_hh, bias_ih, bias_hh)
    i, f, g, o = i.sigmoid(), f.sigmoid(), g.tanh(), o.sigmoid()
    c = f * c + i * g
    return o * c, c


def lstm_sigmoid_candidate(x, h, c, weight_ih, weight_hh, bias_ih=None, bias_hh=None):
    i, f, g, o = _lstm_pre(x, h, weight_ih, weight_hh, bias_ih, bias_hh)
    i, f, g, o = i.sigmoid(), f.sigmoid(), g.sigmoid(), o.sigmoid()
    c = f * c + i * g
    return o * c.tanh(), c


def lstm_returns_c_then_h(x, h, c, weight_ih, weight_hh, bias_ih=None, bias_hh=None):
    h_new, c_new = R.lstm_cell(x, h, c, weight_ih, weight_hh, bias_ih, bias_hh)
    return c_new, h_new


def _gru_parts(x, h, weight_ih, weight_hh, bias_ih, bias_hh):
    return _aff(x, weight_ih, bias_ih).chunk(3, dim=1), _aff(h, weight_hh, bias_hh).chunk(3, dim=1)


def gru_missing_reset_gate(x, h, weight_ih, weight_hh, bias_ih=None, bias_hh=None):
    (i_r, i_z, i_n), (h_r, h_z, h_n) = _gru_parts(x, h, weight_ih, weight_hh, bias_ih, bias_hh)
    z = (i_z + h_z).sigmoid()
    n = (i_n + h_n).tanh()
    return (1 - z) * n + z * h


def gru_z_and_one_minus_z_swapped(x, h, weight_ih, weight_hh, bias_ih=None, bias_hh=None):
    (i_r, i_z, i_n), (h_r, h_z, h_n) = _gru_parts(x, h, weight_ih, weight_hh, bias_ih, bias_hh)
    r, z = (i_r + h_r).sigmoid(), (i_z + h_z).sigmoid()
    n = (i_n + r * h_n).tanh()
    return z * n + (1 - z) * h


def gru_r_and_z_swapped(x, h, weight_ih, weight_hh, bias_ih=None, bias_hh=None):
    (i_z, i_r, i_n), (h_z, h_r, h_n) = _gru_parts(x, h, weight_ih, weight_hh, bias_ih, bias_hh)
    r, z = (i_r + h_r).sigmoid(), (i_z + h_z).sigmoid()
    n = (i_n + r * h_n).tanh()
    return (1 - z) * n + z * h


def gru_reset_outside_bias(x, h, weight_ih, weight_hh, bias_ih=None, bias_hh=None):
    """r * (W_hn h) + b_hn: the reset gate skips the hidden bias."""
    w_n, b_n = weight_hh[-h.shape[1]:], (None if bias_hh is None else bias_hh[-h.shape[1]:])
    (i_r, i_z, i_n), (h_r, h_z, _) = _gru_parts(x, h, weight_ih, weight_hh, bias_ih, bias_hh)
    r, z = (i_r + h_r).sigmoid(), (i_z + h_z).sigmoid()
    n = (i_n + r * (h @ w_n.T) + (0 if b_n is None else b_n)).tanh()
    return (1 - z) * n + z * h


def gru_source_article(x, h, weight_ih, weight_hh, bias_ih=None, bias_hh=None):
    """The seed article's equation: (1 - z) where r belongs, and h' = (1 - z) h + z n."""
    (i_r, i_z, i_n), (h_r, h_z, h_n) = _gru_parts(x, h, weight_ih, weight_hh, bias_ih, bias_hh)
    z = (i_z + h_z).sigmoid()
    n = (i_n + (1 - z) * h_n).tanh()
    return (1 - z) * h + z * n


def unroll_not_carrying_state(cell, x, h0):
    return torch.stack([cell(x[:, t], h0) for t in range(x.shape[1])], dim=1)


def unroll_last_only(cell, x, h0):
    h = h0
    for t in range(x.shape[1]):
        h = cell(x[:, t], h)
    return h


def unroll_time_major(cell, x, h0):
    h, out = h0, []
    for t in range(x.shape[1]):
        h = cell(x[:, t], h)
        out.append(h)
    return torch.stack(out, dim=0)


def unroll_over_batch_axis(cell, x, h0):
    """Loops over x.shape[0] as if x were time-major (T, N, D)."""
    h, out = h0, []
    for t in range(x.shape[0]):
        h = cell(x[t], h)
        out.append(h)
    return torch.stack(out, dim=1)


def slices_view_instead_of_transpose(volumes):
    n, c, d, h, w = volumes.shape
    return volumes.reshape(n, d, c, h, w)


def slices_along_height(volumes):
    return volumes.permute(0, 3, 1, 2, 4)


def slices_squeezed(volumes):
    return volumes.transpose(1, 2).squeeze()


def slices_channel_last(volumes):
    return volumes.permute(0, 2, 3, 4, 1)


WRONG = [
    ("rnn.rnn_cell", rnn_relu), ("rnn.rnn_cell", rnn_one_bias), ("rnn.rnn_cell", rnn_no_transpose),
    ("rnn.rnn_cell", rnn_ignores_none_bias), ("rnn.rnn_cell", rnn_float32),
    ("rnn.lstm_cell", lstm_i_f_swapped), ("rnn.lstm_cell", lstm_order_ifog_as_igfo),
    ("rnn.lstm_cell", lstm_tanh_output_gate), ("rnn.lstm_cell", lstm_forgets_cell_state),
    ("rnn.lstm_cell", lstm_no_tanh_on_cell), ("rnn.lstm_cell", lstm_sigmoid_candidate),
    ("rnn.lstm_cell", lstm_returns_c_then_h),
    ("rnn.gru_cell", gru_missing_reset_gate), ("rnn.gru_cell", gru_z_and_one_minus_z_swapped),
    ("rnn.gru_cell", gru_r_and_z_swapped), ("rnn.gru_cell", R.gru_cell_cho),
    ("rnn.gru_cell", gru_reset_outside_bias), ("rnn.gru_cell", gru_source_article),
    ("rnn.unroll", unroll_not_carrying_state), ("rnn.unroll", unroll_last_only),
    ("rnn.unroll", unroll_time_major), ("rnn.unroll", unroll_over_batch_axis),
    ("rnn.slices", slices_view_instead_of_transpose), ("rnn.slices", slices_along_height),
    ("rnn.slices", slices_squeezed), ("rnn.slices", slices_channel_last),
]


@pytest.mark.parametrize("task_id, wrong", WRONG, ids=lambda v: getattr(v, "__name__", v))
def test_wrong_but_plausible_implementation_loses_points(task_id, wrong):
    assert_loses_points(task_id, wrong)


@pytest.mark.parametrize("task_id, wrong", [
    ("rnn.lstm_cell", lstm_i_f_swapped), ("rnn.gru_cell", gru_missing_reset_gate),
    ("rnn.gru_cell", gru_z_and_one_minus_z_swapped), ("rnn.gru_cell", R.gru_cell_cho),
    ("rnn.slices", slices_view_instead_of_transpose)], ids=lambda v: getattr(v, "__name__", v))
def test_the_named_mistakes_fail_at_least_two_cases(task_id, wrong):
    """Not a lucky single case: the mistakes the chapter warns about fail more than one case
    (a view instead of a transpose is right whenever C = 1, as in two of the four cases)."""
    result = grade_in_process(task_id, wrong)
    assert sum(not c.passed for c in result.cases) >= 2


def test_every_task_has_wrong_implementations_in_the_tests():
    assert_every_task_has_wrong_implementations(rnn.TASKS, WRONG)


def test_gru_mismatch_message_carries_the_reset_gate_hint():
    result = grade_in_process("rnn.gru_cell", R.gru_cell_cho)
    msg = next(c.message for c in result.cases if c.case.name == "D=3 inputs, H=6 hidden units")
    assert "max abs error" in msg
    assert "hint: n = tanh(W_in x + b_in + r * (W_hn h + b_hn)): the reset gate multiplies" in msg


def test_a_renamed_argument_is_named_as_the_cause_not_left_to_the_hints():
    def volume_to_sequence(vols):                      # right, but the checks pass volumes=...
        return vols.transpose(1, 2)
    message = grade_in_process("rnn.slices", volume_to_sequence).cases[0].message
    assert "unexpected keyword argument 'volumes'" in message
    assert "keep the signature the task gives" in message and "yours is volume_to_sequence(vols)" in message


def test_a_type_error_inside_the_student_s_function_gets_no_signature_note():
    def volume_to_sequence(volumes):
        return volumes.transpose(1)                    # a wrong call inside: not the signature
    message = grade_in_process("rnn.slices", volume_to_sequence).cases[0].message
    assert "TypeError" in message and "keep the signature" not in message


# ------------------------------------------ arguments changed in place

def rnn_bias_summed_into_bias_ih(x, h, weight_ih, weight_hh, bias_ih=None, bias_hh=None):
    """bias_ih += bias_hh: the right state, and the caller's bias_ih changed."""
    pre = x @ weight_ih.T + h @ weight_hh.T
    if bias_ih is not None:
        bias_ih += bias_hh
        pre = pre + bias_ih
    return torch.tanh(pre)


def lstm_cell_state_in_place(x, h, c, weight_ih, weight_hh, bias_ih=None, bias_hh=None):
    """c.mul_(f).add_(i * g): the caller's c becomes c'."""
    pre = x @ weight_ih.T + h @ weight_hh.T
    if bias_ih is not None:
        pre = pre + bias_ih + bias_hh
    i, f, g, o = pre.chunk(4, dim=1)
    c.mul_(torch.sigmoid(f)).add_(torch.sigmoid(i) * torch.tanh(g))
    return torch.sigmoid(o) * torch.tanh(c), c


def gru_state_in_place(x, h, weight_ih, weight_hh, bias_ih=None, bias_hh=None):
    """h.mul_(z).add_((1 - z) * n): the caller's h becomes h'."""
    ax, ah = x @ weight_ih.T, h @ weight_hh.T
    if bias_ih is not None:
        ax, ah = ax + bias_ih, ah + bias_hh
    (xr, xz, xn), (hr, hz, hn) = ax.chunk(3, dim=1), ah.chunk(3, dim=1)
    r, z = torch.sigmoid(xr + hr), torch.sigmoid(xz + hz)
    n = torch.tanh(xn + r * hn)
    return h.mul_(z).add_((1 - z) * n)


def unroll_state_in_h0(cell, x, h0):
    """h0.copy_(...) at each step: the caller's h0 ends as the last state."""
    states = []
    for t in range(x.shape[1]):
        h0.copy_(cell(x[:, t], h0))
        states.append(h0.clone())
    return torch.stack(states, dim=1)


def slices_transposed_in_place(volumes):
    """volumes.transpose_(1, 2): the caller's volumes become (N, D, C, H, W) themselves."""
    return volumes.transpose_(1, 2)


IN_PLACE = [("rnn.rnn_cell", rnn_bias_summed_into_bias_ih, "bias_ih"), ("rnn.lstm_cell", lstm_cell_state_in_place, "c"),
            ("rnn.gru_cell", gru_state_in_place, "h"), ("rnn.unroll", unroll_state_in_h0, "h0"),
            ("rnn.slices", slices_transposed_in_place, "volumes")]


@pytest.mark.parametrize("task_id, wrong, argument", IN_PLACE, ids=[t for t, _, _ in IN_PLACE])
def test_a_function_that_changes_an_argument_in_place_fails_only_the_inputs_case_and_is_told_so(
        task_id, wrong, argument):
    assert_fails_only_the_inputs_case(task_id, wrong, argument)


@pytest.mark.parametrize("task", rnn.TASKS, ids=lambda t: t.id)
def test_every_task_has_one_inputs_case_that_the_reference_passes(task):
    assert sum(c.run in (run_inputs_kept, rnn.run_unroll_inputs_kept) for c in task.cases) == 1
    assert_full_marks(task.id, task.reference)


def test_unroll_that_writes_into_the_sequence_is_told_it_changed_x():
    def unroll(cell, x, h0):
        h, states = h0, []
        for t in range(x.shape[1]):
            h = cell(x[:, t], h)
            states.append(h)
            x[:, t] = 0.0                      # "consumed"
        return torch.stack(states, dim=1)
    result = grade_in_process("rnn.unroll", unroll)
    assert [c.message.split(" in place")[0] for c in result.cases if not c.passed] == [
        "your function changed its argument(s) x"]

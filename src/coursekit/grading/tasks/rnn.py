"""Tasks of the RNN chapter's exercise (``exercises/03_rnn.ipynb``).

=======================  ======  ===============================================
task                     points  the student writes
=======================  ======  ===============================================
``rnn.rnn_cell``         2       ``rnn_cell(x, h, weight_ih, weight_hh, bias_ih, bias_hh) -> h``
``rnn.lstm_cell``        3       ``lstm_cell(x, h, c, weight_ih, weight_hh, bias_ih, bias_hh) -> (h, c)``
``rnn.gru_cell``         3       ``gru_cell(x, h, weight_ih, weight_hh, bias_ih, bias_hh) -> h``
``rnn.unroll``           2       ``unroll(cell, x, h0) -> (N, T, H)`` all hidden states
``rnn.slices``           2       ``volume_to_sequence(volumes) -> (N, D, C, H, W)``
=======================  ======  ===============================================

The cells follow PyTorch's conventions (gate order i, f, g, o for the LSTM and
r, z, n for the GRU, stacked along the rows of ``weight_ih`` and ``weight_hh``),
so the expected values are what ``torch.nn.RNNCell``, ``LSTMCell`` and
``GRUCell`` compute with the same weights. Inputs are seeded float64 tensors
with input size != hidden size and large enough weights that swapped gates,
a missing reset gate or ``z`` and ``1 - z`` exchanged change the output far
beyond the tolerance. The helpers ``cell_case``, ``unroll_case`` and
``slices_case`` also make hidden cases.

Each task also has a case that checks that the tensors passed in are left as they
were (:func:`coursekit.grading.cases.run_inputs_kept`): ``unroll`` feeds a cell the
state it returned, the notebook calls the cells again with the same weights, and an
``h.mul_(z)`` or a ``volumes.transpose_(1, 2)`` gives the right output while it
changes the caller's tensors.
"""
from __future__ import annotations

import torch
from torch import nn

from ..cases import Case, Task, call, compare_inputs_kept, run_inputs_kept

NOTEBOOK = "03_rnn"   # exercises/03_rnn.ipynb, the notebook these tasks grade

# ---------------------------------------------------------------------------
# References: torch's own cells
# ---------------------------------------------------------------------------

_CELLS = {"rnn": (nn.RNNCell, 1), "lstm": (nn.LSTMCell, 4), "gru": (nn.GRUCell, 3)}


def _torch_cell(kind, weight_ih, weight_hh, bias_ih, bias_hh):
    cls, _ = _CELLS[kind]
    hidden, inputs = weight_hh.shape[1], weight_ih.shape[1]
    cell = cls(inputs, hidden, bias=bias_ih is not None).to(weight_ih.dtype)
    with torch.no_grad():
        cell.weight_ih.copy_(weight_ih)
        cell.weight_hh.copy_(weight_hh)
        if bias_ih is not None:
            cell.bias_ih.copy_(bias_ih)
            cell.bias_hh.copy_(bias_hh)
    return cell


@torch.no_grad()
def rnn_cell_reference(x, h, weight_ih, weight_hh, bias_ih=None, bias_hh=None):
    """``torch.nn.RNNCell`` (tanh) with these weights."""
    return _torch_cell("rnn", weight_ih, weight_hh, bias_ih, bias_hh)(x, h)


@torch.no_grad()
def lstm_cell_reference(x, h, c, weight_ih, weight_hh, bias_ih=None, bias_hh=None):
    """``torch.nn.LSTMCell`` with these weights; returns ``(h', c')``."""
    return _torch_cell("lstm", weight_ih, weight_hh, bias_ih, bias_hh)(x, (h, c))


@torch.no_grad()
def gru_cell_reference(x, h, weight_ih, weight_hh, bias_ih=None, bias_hh=None):
    """``torch.nn.GRUCell`` with these weights."""
    return _torch_cell("gru", weight_ih, weight_hh, bias_ih, bias_hh)(x, h)


def cell_case(name, kind, *, n=3, input_size=5, hidden_size=4, bias=True, scale=1.0,
              dtype=torch.float64, hint="", seed=0, run=call, compare=None) -> Case:
    """A cell case: random ``x (n, D)``, states ``(n, H)`` and weights ~ N(0, scale^2).

    Weights of standard deviation ~1 keep every gate away from 0.5, so a gate
    that is swapped for another one, or left out, changes the output visibly.
    """
    _, n_gates = _CELLS[kind]

    def inputs(gen):
        def randn(*shape):
            return torch.randn(*shape, generator=gen, dtype=dtype)
        d = dict(x=randn(n, input_size), h=randn(n, hidden_size))
        if kind == "lstm":
            d["c"] = randn(n, hidden_size)
        d.update(weight_ih=scale * randn(n_gates * hidden_size, input_size),
                 weight_hh=scale * randn(n_gates * hidden_size, hidden_size),
                 bias_ih=scale * randn(n_gates * hidden_size) if bias else None,
                 bias_hh=scale * randn(n_gates * hidden_size) if bias else None)
        return d
    return Case(name, inputs, run=run, compare=compare, hint=hint, seed=seed)


_SHAPES = ("x is (N, D) and weight_ih is (H, D): the product is x @ weight_ih.T, of shape (N, H); "
           "likewise h @ weight_hh.T.")
RNN_CELL_CASES = (
    cell_case("3 sequences, D=5 inputs, H=4 hidden units", "rnn", hint=(
        "h' = tanh(x @ W_ih.T + b_ih + h @ W_hh.T + b_hh): both biases, then tanh (not ReLU, not sigmoid)."),
        seed=1),
    cell_case("D=3 inputs, H=6 hidden units (not square)", "rnn", input_size=3, hidden_size=6, hint=_SHAPES,
              seed=2),
    cell_case("without biases (bias_ih = bias_hh = None)", "rnn", bias=False, hint=(
        "when bias_ih is None there is no bias to add; test `if bias_ih is not None`."), seed=3),
    cell_case("float32 input gives float32 output", "rnn", dtype=torch.float32, hint=(
        "do not create new tensors with a fixed dtype; compute with the inputs' dtype."), seed=4),
    cell_case("the state, input and weights passed in are left as they were", "rnn", run=run_inputs_kept,
              compare=compare_inputs_kept, hint=(
        "x @ weight_ih.T + h @ weight_hh.T makes a new tensor; h += ..., h.copy_(...), bias_ih += bias_hh or "
        "torch.tanh_(h) change the caller's state or weights."), seed=5),
)

_LSTM_ORDER = ("the 4H rows of weight_ih/weight_hh are the gates in PyTorch's order i, f, g, o "
               "(input, forget, cell candidate, output): split the pre-activations with .chunk(4, dim=1).")
LSTM_CELL_CASES = (
    cell_case("3 sequences, D=5 inputs, H=4 hidden units", "lstm", hint=(
        _LSTM_ORDER + " i, f, o use sigmoid; g uses tanh."), seed=1),
    cell_case("D=3 inputs, H=6 hidden units, large cell state", "lstm", input_size=3, hidden_size=6,
              scale=1.5, hint=(
                  "c' = f * c + i * g keeps the old cell state (scaled by the forget gate); "
                  "h' = o * tanh(c'), with the tanh."), seed=2),
    cell_case("without biases", "lstm", bias=False, hint="when bias_ih is None there is no bias to add.", seed=3),
    cell_case("float32 input gives float32 output", "lstm", dtype=torch.float32,
              hint="keep the inputs' dtype; return the tuple (h_new, c_new) in this order.", seed=4),
    cell_case("the states, input and weights passed in are left as they were", "lstm", run=run_inputs_kept,
              compare=compare_inputs_kept, hint=(
        "c_new = f * c + i * g makes a new tensor; c *= f, c.mul_(f).add_(i * g) or h.copy_(...) change the "
        "caller's c or h: return new tensors."), seed=5),
)

_GRU_ORDER = ("the 3H rows are PyTorch's gates r, z, n (reset, update, new); "
              "split x @ W_ih.T + b_ih and h @ W_hh.T + b_hh separately with .chunk(3, dim=1).")
GRU_CELL_CASES = (
    cell_case("3 sequences, D=5 inputs, H=4 hidden units", "gru", hint=(
        _GRU_ORDER + " h' = (1 - z) * n + z * h: z keeps the OLD state in PyTorch's convention."), seed=1),
    cell_case("D=3 inputs, H=6 hidden units", "gru", input_size=3, hidden_size=6, scale=1.5, hint=(
        "n = tanh(W_in x + b_in + r * (W_hn h + b_hn)): the reset gate multiplies the whole "
        "hidden-to-hidden term, bias b_hn included (it is not W_hn (r * h) + b_hn)."), seed=2),
    cell_case("without biases", "gru", bias=False, hint=(
        "the reset gate r must appear in n; without biases its place still matters."), seed=3),
    cell_case("float32 input gives float32 output", "gru", dtype=torch.float32,
              hint="keep the inputs' dtype.", seed=4),
    cell_case("the state, input and weights passed in are left as they were", "gru", run=run_inputs_kept,
              compare=compare_inputs_kept, hint=(
        "(1 - z) * n + z * h makes a new tensor; h.mul_(z).add_(...), h *= z or h[:] = ... change the "
        "caller's state."), seed=5),
)

# ---------------------------------------------------------------------------
# rnn.unroll: a cell over a sequence
# ---------------------------------------------------------------------------


def unroll_reference(cell, x, h0):
    """All hidden states ``(N, T, H)`` of ``h_t = cell(x[:, t], h_{t-1})``, starting from h0."""
    h, out = h0, []
    for t in range(x.shape[1]):
        h = cell(x[:, t], h)
        out.append(h)
    return torch.stack(out, dim=1)


def _tanh_cell(inputs):
    """The case's cell: a tanh RNN step with its weights."""
    w_ih, w_hh, b = inputs["weight_ih"], inputs["weight_hh"], inputs["bias"]

    def cell(x_t, h):
        return torch.tanh(x_t @ w_ih.T + h @ w_hh.T + b)

    return cell


def run_unroll(unroll, inputs):
    """Call ``unroll(cell, x, h0)`` with a tanh RNN cell made from the case's weights."""
    return unroll(_tanh_cell(inputs), inputs["x"], inputs["h0"])


def run_unroll_inputs_kept(unroll, inputs):
    """:func:`coursekit.grading.cases.run_inputs_kept` for :func:`run_unroll`: its output, and the
    tensors passed in (``x``, ``h0``, the cell's weights) that it changed in place."""
    return run_inputs_kept(unroll, inputs, run_unroll)


def unroll_case(name, *, n=2, steps=5, input_size=3, hidden_size=4, hint="", seed=0, run=run_unroll,
                compare=None) -> Case:
    """An ``unroll`` case: x ``(n, steps, D)``, h0 ``(n, H)``, a fixed tanh cell."""
    def inputs(gen):
        def randn(*shape):
            return torch.randn(*shape, generator=gen, dtype=torch.float64)
        return dict(x=randn(n, steps, input_size), h0=randn(n, hidden_size),
                    weight_ih=randn(hidden_size, input_size), weight_hh=randn(hidden_size, hidden_size),
                    bias=randn(hidden_size))
    return Case(name, inputs, run=run, compare=compare, hint=hint, seed=seed)


UNROLL_CASES = (
    unroll_case("2 sequences of 5 steps", hint=(
        "x is batch-first (N, T, D): step t is x[:, t]. Return every hidden state, stacked to (N, T, H)."),
        seed=1),
    unroll_case("the state is carried from step to step", n=3, steps=7, hint=(
        "feed the state the cell returned at step t - 1 into step t; h0 is used only at the first step."),
        seed=2),
    unroll_case("a batch of 4 sequences of 3 steps (N != T)", n=4, steps=3, hint=(
        "loop over time (x.shape[1]), not over the batch (x.shape[0]); stack along dim 1."), seed=3),
    unroll_case("a single step", n=2, steps=1, hint="a sequence of length 1 gives (N, 1, H).", seed=4),
    unroll_case("the sequence and h0 passed in are left as they were", run=run_unroll_inputs_kept,
                compare=compare_inputs_kept, hint=(
        "h = cell(x[:, t], h) gives the state a new tensor at each step; h0.copy_(...), h0 += ... or "
        "x[:, t] = ... change the caller's h0 or sequence (the notebook unrolls the same x from the same h0 "
        "again for every length)."), seed=5),
)

# ---------------------------------------------------------------------------
# rnn.slices: a volume as a sequence of slices
# ---------------------------------------------------------------------------


def volume_to_sequence_reference(volumes):
    """``(N, C, D, H, W)`` -> ``(N, D, C, H, W)``: slice t of volume n is ``volumes[n, :, t]``."""
    return volumes.transpose(1, 2)


def slices_case(name, shape, hint="", seed=0, run=call, compare=None) -> Case:
    """A ``volume_to_sequence`` case on a random volume batch of ``shape`` (N, C, D, H, W)."""
    def inputs(gen):
        return dict(volumes=torch.rand(*shape, generator=gen, dtype=torch.float64))
    return Case(name, inputs, run=run, compare=compare, hint=hint, seed=seed)


SLICES_CASES = (
    slices_case("2 one-channel volumes of 4 x 5 x 6 voxels", (2, 1, 4, 5, 6), hint=(
        "the slices run along D, the first spatial axis (dim 2): slice t is volumes[:, :, t]; "
        "the result is (N, D, C, H, W)."), seed=1),
    slices_case("3 two-channel volumes (the channels must stay with their slice)", (3, 2, 4, 5, 6), hint=(
        "reshape/view reorders nothing: use transpose or permute to move D in front of C."), seed=2),
    slices_case("a batch of one volume", (1, 1, 7, 3, 3), hint=(
        "keep the batch axis even when N = 1 (no squeeze)."), seed=3),
    slices_case("2 three-channel cubes (D = H = W: the axis must be right, not just the shape)",
                (2, 3, 5, 5, 5), hint=(
                    "slice t is volumes[:, :, t] (D is dim 2); with equal sides a wrong axis or a "
                    "reshape still gives the right shape, but not the right values."), seed=4),
    slices_case("the volumes passed in are left as they were", (2, 2, 4, 5, 6), run=run_inputs_kept,
                compare=compare_inputs_kept, hint=(
        "volumes.transpose(1, 2) returns a new view and leaves volumes alone; volumes.transpose_(1, 2) turns "
        "the caller's volumes themselves into (N, D, C, H, W)."), seed=5),
)

# The exercise asks for each cell in tensor operations, not with PyTorch's own recurrent layers.
# Nor with coursekit's own cells (the chapter's answers).
_R = "coursekit.models.recurrent."
TORCH_CELLS = {
    "rnn": ("torch.nn.RNNCell", "torch.nn.RNN", "torch.rnn_tanh_cell", "torch.rnn_tanh", _R + "rnn_cell"),
    "lstm": ("torch.nn.LSTMCell", "torch.nn.LSTM", "torch.lstm_cell", "torch.lstm", _R + "lstm_cell",
             _R + "lstm_gates"),
    "gru": ("torch.nn.GRUCell", "torch.nn.GRU", "torch.gru_cell", "torch.gru", _R + "gru_cell", _R + "gru_gates",
            _R + "gru_cell_cho"),
}

TASKS = [
    Task("rnn.rnn_cell", "one step of an Elman RNN (tanh)", "rnn_cell", 2, rnn_cell_reference, RNN_CELL_CASES,
         forbidden=TORCH_CELLS["rnn"]),
    Task("rnn.lstm_cell", "one step of an LSTM, torch's gate order", "lstm_cell", 3, lstm_cell_reference,
         LSTM_CELL_CASES, forbidden=TORCH_CELLS["lstm"]),
    Task("rnn.gru_cell", "one step of a GRU, torch's convention", "gru_cell", 3, gru_cell_reference,
         GRU_CELL_CASES, forbidden=TORCH_CELLS["gru"]),
    Task("rnn.unroll", "run a cell over a sequence", "unroll", 2, unroll_reference, UNROLL_CASES),
    Task("rnn.slices", "a volume as a sequence of slices", "volume_to_sequence", 2,
         volume_to_sequence_reference, SLICES_CASES, forbidden=(_R + "volume_to_sequence",)),
]

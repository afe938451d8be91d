"""Recurrent networks (the RNN chapter): cells from scratch, and slice-sequence models.

From-scratch cells use **PyTorch's conventions exactly**, so that they load the
weights of ``torch.nn.RNN``, ``torch.nn.LSTM`` and ``torch.nn.GRU`` unchanged:

* ``weight_ih`` ``(G * H, D)``, ``weight_hh`` ``(G * H, H)``, ``bias_ih`` and
  ``bias_hh`` ``(G * H,)``, with ``G`` = 1 (RNN), 4 (LSTM: gates i, f, g, o in
  this order) or 3 (GRU: gates r, z, n in this order);
* inputs ``x`` ``(N, D)`` and states ``h``, ``c`` ``(N, H)``, any float dtype.

GRU (torch.nn.GRU)::

    r  = sigmoid(W_ir x + b_ir + W_hr h + b_hr)
    z  = sigmoid(W_iz x + b_iz + W_hz h + b_hz)
    n  = tanh(W_in x + b_in + r * (W_hn h + b_hn))      # r multiplies W_hn h + b_hn
    h' = (1 - z) * n + z * h

:func:`gru_cell_cho` is the variant of Cho et al. (2014), where the reset
gate multiplies ``h`` *before* the matrix product, ``W_hn (r * h) + b_hn``. Both
are in the literature; they give different numbers, and only :func:`gru_cell`
equals ``torch.nn.GRU``.

Sequence models for 3D volumes ``(N, 1, D, H, W)`` float32 in [0, 1] read the
volume as a sequence of ``D`` slices ``(H, W)`` (:func:`volume_to_sequence`):
:class:`SliceRNN` (a 2D CNN slice encoder, then a GRU or LSTM), with the
baselines :class:`MiddleSliceCNN` (a 2D CNN on the middle slice) and
:class:`SmallCNN3D`.
"""
from __future__ import annotations

import copy

import numpy as np
import torch
from torch import nn

from ..checks import check_images, check_model_input, check_seed
from ..train import evaluating
from .cnn import SmallCNN, conv_block

__all__ = [
    "rnn_cell", "lstm_cell", "gru_cell", "gru_cell_cho", "gru_gates", "lstm_gates",
    "cell_weights", "scratch_forward", "input_jacobian_norm", "input_jacobian_norms", "vanishing_gradients",
    "volume_to_sequence", "SliceEncoder", "SliceRNN", "MiddleSliceCNN", "SmallCNN3D",
    "VOLUME_MODELS", "volume_models", "gate_trace", "gate_frame", "plot_gate_trace",
    "NOT_READ_COLOUR",
]

KINDS = ("rnn", "lstm", "gru")


# ---------------------------------------------------------------------------
# Cells from scratch (one time step)
# ---------------------------------------------------------------------------

def _affine(x, weight, bias):
    """x @ weight.T (+ bias): (N, D) x (G*H, D) -> (N, G*H)."""
    out = x @ weight.T
    return out if bias is None else out + bias


def rnn_cell(x, h, weight_ih, weight_hh, bias_ih=None, bias_hh=None):
    """Elman RNN step (torch.nn.RNN, tanh): ``h' = tanh(W_ih x + b_ih + W_hh h + b_hh)``.

    x ``(N, D)``, h ``(N, H)``, weight_ih ``(H, D)``, weight_hh ``(H, H)``,
    biases ``(H,)`` or None. Returns h' ``(N, H)`` in the dtype of x.
    """
    return torch.tanh(_affine(x, weight_ih, bias_ih) + _affine(h, weight_hh, bias_hh))


def lstm_gates(x, h, c, weight_ih, weight_hh, bias_ih=None, bias_hh=None) -> dict:
    """All LSTM quantities of one step as a dict: gates ``i, f, g, o`` and the new ``c, h``.

    Gate order in the weights is torch's: i (input), f (forget), g (cell
    candidate, tanh), o (output). Shapes as :func:`lstm_cell`.
    """
    pre = _affine(x, weight_ih, bias_ih) + _affine(h, weight_hh, bias_hh)
    i, f, g, o = pre.chunk(4, dim=1)
    i, f, g, o = torch.sigmoid(i), torch.sigmoid(f), torch.tanh(g), torch.sigmoid(o)
    c_new = f * c + i * g
    h_new = o * torch.tanh(c_new)
    return {"i": i, "f": f, "g": g, "o": o, "c": c_new, "h": h_new}


def lstm_cell(x, h, c, weight_ih, weight_hh, bias_ih=None, bias_hh=None):
    """LSTM step (torch.nn.LSTM). Returns ``(h', c')``, each ``(N, H)``.

    ``c' = f * c + i * g`` and ``h' = o * tanh(c')`` with
    ``[i, f, g, o] = [sigmoid, sigmoid, tanh, sigmoid](W_ih x + b_ih + W_hh h + b_hh)``.
    x ``(N, D)``; h, c ``(N, H)``; weight_ih ``(4H, D)``; weight_hh ``(4H, H)``.
    """
    s = lstm_gates(x, h, c, weight_ih, weight_hh, bias_ih, bias_hh)
    return s["h"], s["c"]


def gru_gates(x, h, weight_ih, weight_hh, bias_ih=None, bias_hh=None) -> dict:
    """All GRU quantities of one step (torch's convention): ``r, z, n`` and the new ``h``.

    x ``(N, D)``, h ``(N, H)``, weight_ih ``(3H, D)``, weight_hh ``(3H, H)``
    with row blocks r, z, n. Values: r, z in (0, 1); n, h in (-1, 1).
    """
    ax_r, ax_z, ax_n = _affine(x, weight_ih, bias_ih).chunk(3, dim=1)   # the parts from the input x
    ah_r, ah_z, ah_n = _affine(h, weight_hh, bias_hh).chunk(3, dim=1)   # the parts from the state h
    r = torch.sigmoid(ax_r + ah_r)
    z = torch.sigmoid(ax_z + ah_z)
    n = torch.tanh(ax_n + r * ah_n)        # the reset gate scales W_hn h + b_hn
    return {"r": r, "z": z, "n": n, "h": (1 - z) * n + z * h}


def gru_cell(x, h, weight_ih, weight_hh, bias_ih=None, bias_hh=None):
    """GRU step exactly as torch.nn.GRU computes it. Returns h' ``(N, H)``.

    ``n = tanh(W_in x + b_in + r * (W_hn h + b_hn))``, ``h' = (1 - z) * n + z * h``.
    """
    return gru_gates(x, h, weight_ih, weight_hh, bias_ih, bias_hh)["h"]


def gru_cell_cho(x, h, weight_ih, weight_hh, bias_ih=None, bias_hh=None):
    """The GRU of Cho et al. (2014): the reset gate acts on ``h`` *before* ``W_hn``.

    ``n = tanh(W_in x + b_in + W_hn (r * h) + b_hn)``; everything else as
    :func:`gru_cell`. A legitimate model, but *not* what torch.nn.GRU computes:
    with the same weights the outputs differ.
    """
    w_hr, w_hz, w_hn = weight_hh.chunk(3, dim=0)
    b_hr, b_hz, b_hn = (None, None, None) if bias_hh is None else bias_hh.chunk(3)
    ax_r, ax_z, ax_n = _affine(x, weight_ih, bias_ih).chunk(3, dim=1)
    r = torch.sigmoid(ax_r + _affine(h, w_hr, b_hr))
    z = torch.sigmoid(ax_z + _affine(h, w_hz, b_hz))
    n = torch.tanh(ax_n + _affine(r * h, w_hn, b_hn))
    return (1 - z) * n + z * h


# ---------------------------------------------------------------------------
# Running a cell over a sequence with the weights of a torch module
# ---------------------------------------------------------------------------

def _kind(module: nn.Module) -> str:
    for kind, cls in (("lstm", nn.LSTM), ("gru", nn.GRU), ("rnn", nn.RNN)):
        if isinstance(module, cls):
            if kind == "rnn" and module.nonlinearity != "tanh":
                raise ValueError("scratch_forward handles nn.RNN with nonlinearity='tanh' only")
            return kind
    raise TypeError(f"expected a torch.nn.RNN, LSTM or GRU; got {type(module).__name__}")


def cell_weights(module: nn.Module, layer: int = 0) -> dict:
    """``{"weight_ih", "weight_hh", "bias_ih", "bias_hh"}`` of one layer of a torch
    RNN/LSTM/GRU (biases None when ``bias=False``); the tensors are the module's own."""
    get = lambda name: getattr(module, f"{name}_l{layer}", None)  # noqa: E731
    return {"weight_ih": get("weight_ih"), "weight_hh": get("weight_hh"),
            "bias_ih": get("bias_ih"), "bias_hh": get("bias_hh")}


def _check_state(state, kind: str, n: int, hidden: int):
    """``state`` as :func:`scratch_forward` takes it: h0 ``(N, H)``, or for an LSTM the pair
    ``(h0, c0)`` of two ``(N, H)``; refused with the fix otherwise (torch's ``(1, N, H)``)."""
    lstm = kind == "lstm"
    if lstm and not (isinstance(state, (tuple, list)) and len(state) == 2):
        raise ValueError(f"an LSTM's state is a pair (h0, c0) of (N, H) = ({n}, {hidden}) tensors; "
                         f"got {type(state).__name__}")
    for t in (state if lstm else (state,)):
        got = f"shape {tuple(t.shape)}" if isinstance(t, torch.Tensor) else type(t).__name__
        if not isinstance(t, torch.Tensor) or t.shape != (n, hidden):
            fix = "(h0[0], c0[0])" if lstm else "h0[0]"
            raise ValueError(f"the initial state must be (N, H) = ({n}, {hidden}), without torch's leading "
                             f"layer axis; got {got}. For torch's (1, N, H) states pass {fix}.")
    return state


def scratch_forward(module: nn.Module, x: torch.Tensor, state=None):
    """Run our from-scratch cell over a sequence with the weights of ``module``.

    module: a one-layer, one-direction ``nn.RNN`` (tanh), ``nn.LSTM`` or
    ``nn.GRU`` with ``batch_first=True``. x ``(N, T, D)``. ``state``: h0 ``(N, H)``
    (LSTM: the pair ``(h0, c0)``), zeros when None; torch's ``(1, N, H)`` states are
    refused: pass ``h0[0]``. Returns ``(outputs (N, T, H), final
    state)`` just like ``module(x)`` returns ``(outputs, h_n)`` but without the
    leading layer axis on the state.
    """
    kind = _kind(module)
    if module.num_layers != 1 or module.bidirectional or not module.batch_first:
        raise ValueError("scratch_forward expects num_layers=1, bidirectional=False, batch_first=True; got "
                         f"num_layers={module.num_layers}, bidirectional={module.bidirectional}, "
                         f"batch_first={module.batch_first}")
    if x.ndim != 3:
        raise ValueError(f"x must be (N, T, D); got shape {tuple(x.shape)}")
    w = cell_weights(module)
    n, hidden = x.shape[0], module.hidden_size
    zeros = x.new_zeros(n, hidden)
    if kind == "lstm":
        h, c = _check_state(state, kind, n, hidden) if state is not None else (zeros, zeros)
    else:
        h = _check_state(state, kind, n, hidden) if state is not None else zeros
    outputs = []
    for t in range(x.shape[1]):
        if kind == "rnn":
            h = rnn_cell(x[:, t], h, **w)
        elif kind == "gru":
            h = gru_cell(x[:, t], h, **w)
        else:
            h, c = lstm_cell(x[:, t], h, c, **w)
        outputs.append(h)
    return torch.stack(outputs, dim=1), ((h, c) if kind == "lstm" else h)


# ---------------------------------------------------------------------------
# Back-propagation through time: how much does h_T depend on x_1?
# ---------------------------------------------------------------------------

def _make(kind: str, input_size: int, hidden_size: int, carry_bias: float = 0.0) -> nn.Module:
    cls = {"rnn": nn.RNN, "lstm": nn.LSTM, "gru": nn.GRU}[kind]
    module = cls(input_size, hidden_size, batch_first=True)
    if carry_bias and kind != "rnn":
        with torch.no_grad():  # rows H:2H: the LSTM's forget gate f, the GRU's update gate z
            module.bias_ih_l0[hidden_size:2 * hidden_size] += carry_bias
    return module


def input_jacobian_norms(module: nn.Module, x: torch.Tensor, lengths) -> np.ndarray:
    """Frobenius norms of the Jacobians ``d h_T / d x_1`` for every ``T`` in ``lengths``.

    module: batch-first RNN/LSTM/GRU; x ``(T_max, D)``, one sequence with
    ``T_max >= max(lengths)``. ``h_T`` is the hidden state after the first T
    inputs (a recurrence is causal, so it is the same as for a sequence of
    length T). One forward and one backward pass give all the ``(H, D)``
    Jacobians: the sequence is copied ``H * len(lengths)`` times, and copy
    ``(l, k)`` back-propagates hidden unit k of ``h_{lengths[l]}``.
    Returns float64 ``(len(lengths),)``. A module with ``batch_first=False`` (torch's
    default) or ``bidirectional=True`` is refused: it would read the copies as time steps; so is
    an LSTM with ``proj_size > 0``, whose outputs are projections of the hidden state.
    """
    if not isinstance(module, nn.RNNBase):
        raise TypeError(f"module must be a torch.nn.RNN, LSTM or GRU; got {type(module).__name__}")
    if not module.batch_first or module.bidirectional:
        raise ValueError("input_jacobian_norms expects a module built with batch_first=True, bidirectional=False; "
                         f"got batch_first={module.batch_first}, bidirectional={module.bidirectional}. Build it "
                         f"with e.g. nn.{type(module).__name__}(..., batch_first=True).")
    if getattr(module, "proj_size", 0):
        raise ValueError(f"input_jacobian_norms expects an LSTM without a projection (proj_size=0); got "
                         f"proj_size={module.proj_size}, whose outputs are not the hidden state h_T")
    lengths = [int(t) for t in lengths]
    if x.ndim != 2:
        raise ValueError(f"x must be one sequence (T, D); got shape {tuple(x.shape)}")
    if not lengths or min(lengths) < 1 or max(lengths) > x.shape[0]:
        raise ValueError(f"lengths must lie in [1, {x.shape[0]}]; got {lengths}")
    hidden, n_len = module.hidden_size, len(lengths)
    xs = x[: max(lengths)].detach().unsqueeze(0).repeat(n_len * hidden, 1, 1).requires_grad_(True)
    out, _ = module(xs)                                                  # (L*H, T_max, H)
    out = out.view(n_len, hidden, out.shape[1], hidden)
    picked = torch.stack([out[l, :, t - 1].diagonal() for l, t in enumerate(lengths)])
    (grad,) = torch.autograd.grad(picked.sum(), xs)   # leaves no .grad on the module's weights
    grads = grad[:, 0].view(n_len, hidden, -1)                           # rows of each Jacobian
    return grads.flatten(1).norm(dim=1).double().numpy()


def input_jacobian_norm(module: nn.Module, x: torch.Tensor) -> float:
    """``||d h_T / d x_1||`` (Frobenius) for one sequence x ``(T, D)``, T = len(x);
    ``module`` a batch-first RNN/LSTM/GRU, as for :func:`input_jacobian_norms`."""
    return float(input_jacobian_norms(module, x, [x.shape[0]])[0])


def vanishing_gradients(lengths, kinds=KINDS, hidden_size: int = 32, input_size: int = 8,
                        seeds=range(5), carry_bias: float = 0.0, dtype=torch.float64) -> dict:
    """``||d h_T / d x_1||`` at initialisation for sequences of each length.

    For each kind ("rnn", "lstm", "gru") and seed: a fresh module with PyTorch's
    default initialisation, except that ``carry_bias`` is added to the bias of
    the gate that carries the state forward (the LSTM's forget gate f, the
    GRU's update gate z; both are rows H:2H of ``bias_ih``), a standard-normal
    input sequence, and the Frobenius norm of the Jacobian of the hidden state
    after T steps with respect to the first input, for every T in ``lengths``.
    ``dtype`` (default ``torch.float64``): the dtype of the module's weights and of the
    input sequence, which is drawn in that dtype (so another dtype also draws another
    sequence, and gives other norms). The norms fall far below 1e-6 for long sequences;
    float64 keeps its rounding error far below them.
    Returns ``{kind: array (len(lengths), len(seeds))}`` of float64.
    """
    lengths, seeds = [int(t) for t in lengths], list(seeds)
    result = {}
    for kind in kinds:
        if kind not in KINDS:
            raise ValueError(f"kind must be one of {KINDS}; got {kind!r}")
        norms = np.zeros((len(lengths), len(seeds)))
        for j, seed in enumerate(seeds):
            gen = torch.Generator().manual_seed(seed)
            with torch.random.fork_rng(devices=[]):
                torch.manual_seed(seed)
                module = _make(kind, input_size, hidden_size, carry_bias).to(dtype)
            x = torch.randn(max(lengths), input_size, generator=gen, dtype=dtype)
            norms[:, j] = input_jacobian_norms(module, x, lengths)
        result[kind] = norms
    return result


# ---------------------------------------------------------------------------
# Volumes as sequences of slices
# ---------------------------------------------------------------------------

def volume_to_sequence(volumes: torch.Tensor) -> torch.Tensor:
    """``(N, C, D, H, W)`` volumes -> ``(N, D, C, H, W)``: a sequence of D slices per volume.

    Slice t of volume n is ``volumes[n, :, t]`` (the first spatial axis is the
    time axis). A view when possible (no copy).
    """
    check_images(volumes, "volumes", ndim=5)
    return volumes.transpose(1, 2)


class SliceEncoder(nn.Module):
    """A small 2D CNN that turns one slice ``(M, C, H, W)`` into a feature vector ``(M, 4*width)``.

    Three conv blocks (width, 2 width, 4 width channels; the first two pool),
    then global average pooling.
    """

    def __init__(self, in_channels: int = 1, width: int = 16):
        super().__init__()
        self.features = nn.Sequential(conv_block(in_channels, width), conv_block(width, 2 * width),
                                      conv_block(2 * width, 4 * width, pool=False),
                                      nn.AdaptiveAvgPool2d(1), nn.Flatten())
        self.out_features = 4 * width

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        return self.features(x)


class SliceRNN(nn.Module):
    """CNN slice encoder followed by a GRU or LSTM over the slices, then a linear head.

    Input ``(N, C, D, H, W)`` float32 volumes; each of the D slices is encoded
    by the same :class:`SliceEncoder` (weights shared across slices, like a
    convolution shares them across positions); the recurrent layer reads the D
    feature vectors in order; the head classifies its last hidden state.
    Output ``(N, n_classes)`` logits.

    ``carry_bias`` is added at initialisation to the bias of the gate that
    carries the state (GRU: update gate z; LSTM: forget gate f), so that what
    the early slices wrote survives, and its gradient flows back, through the
    many slices that follow (see :func:`vanishing_gradients`).
    """

    def __init__(self, kind: str = "gru", in_channels: int = 1, n_classes: int = 2, width: int = 16,
                 hidden_size: int = 64, dropout: float = 0.2, carry_bias: float = 1.0):
        super().__init__()
        if kind not in ("gru", "lstm"):
            raise ValueError(f"kind must be 'gru' or 'lstm'; got {kind!r}")
        self.kind = kind
        self.encoder = SliceEncoder(in_channels, width)
        rnn_cls = nn.GRU if kind == "gru" else nn.LSTM
        self.rnn = rnn_cls(self.encoder.out_features, hidden_size, batch_first=True)
        with torch.no_grad():  # rows H:2H of the bias: GRU z, LSTM f
            self.rnn.bias_ih_l0[hidden_size:2 * hidden_size] += carry_bias
        self.head = nn.Sequential(nn.Dropout(dropout), nn.Linear(hidden_size, n_classes))
        self.in_channels = in_channels

    def features(self, volumes: torch.Tensor) -> torch.Tensor:
        """Slice features ``(N, D, F)`` of volumes ``(N, C, D, H, W)``."""
        if volumes.ndim != 5 or volumes.shape[1] != self.in_channels:
            raise ValueError(f"SliceRNN expects (N, {self.in_channels}, D, H, W) volumes; "
                             f"got shape {tuple(volumes.shape)}")
        seq = volume_to_sequence(volumes)                       # (N, D, C, H, W)
        n, d = seq.shape[:2]
        return self.encoder(seq.reshape(n * d, *seq.shape[2:])).view(n, d, -1)

    def forward(self, volumes: torch.Tensor) -> torch.Tensor:
        out, _ = self.rnn(self.features(volumes))
        return self.head(out[:, -1])


class MiddleSliceCNN(nn.Module):
    """The 2D baseline: :class:`~coursekit.models.SmallCNN` on the middle slice ``D // 2``.

    Input ``(N, C, D, H, W)``; output ``(N, n_classes)`` logits.
    """

    def __init__(self, in_channels: int = 1, n_classes: int = 2, width: int = 16):
        super().__init__()
        self.cnn = SmallCNN(in_channels, n_classes, width=width)

    def forward(self, volumes: torch.Tensor) -> torch.Tensor:
        check_model_input(volumes, self, "MiddleSliceCNN: volumes", ndim=5)
        if volumes.ndim != 5:
            raise ValueError(f"MiddleSliceCNN expects (N, C, D, H, W) volumes; got shape {tuple(volumes.shape)}")
        return self.cnn(volumes[:, :, volumes.shape[2] // 2])


def conv3d_block(c_in: int, c_out: int, pool: bool = True) -> nn.Sequential:
    """3x3x3 convolution (padding 1), batch norm, ReLU, optional 2x2x2 max pool."""
    layers = [nn.Conv3d(c_in, c_out, 3, padding=1, bias=False), nn.BatchNorm3d(c_out), nn.ReLU(inplace=True)]
    if pool:
        layers.append(nn.MaxPool3d(2))
    return nn.Sequential(*layers)


class SmallCNN3D(nn.Module):
    """The 3D baseline: three 3D conv blocks (28 -> 14 -> 7 voxels), global average
    pooling, dropout, a linear head. ``(N, C, D, H, W)`` -> ``(N, n_classes)`` logits."""

    def __init__(self, in_channels: int = 1, n_classes: int = 2, width: int = 16, dropout: float = 0.2):
        super().__init__()
        self.features = nn.Sequential(conv3d_block(in_channels, width), conv3d_block(width, 2 * width),
                                      conv3d_block(2 * width, 4 * width, pool=False))
        self.head = nn.Sequential(nn.AdaptiveAvgPool3d(1), nn.Flatten(), nn.Dropout(dropout),
                                  nn.Linear(4 * width, n_classes))

    def forward(self, volumes: torch.Tensor) -> torch.Tensor:
        check_model_input(volumes, self, "SmallCNN3D: volumes", ndim=5)
        if volumes.ndim != 5:
            raise ValueError(f"SmallCNN3D expects (N, C, D, H, W) volumes; got shape {tuple(volumes.shape)}")
        return self.head(self.features(volumes))


VOLUME_MODELS = {"seq": "slice GRU", "cnn2d": "2D CNN, middle slice", "cnn3d": "3D CNN"}


def volume_models(width: int = 16, hidden_size: int = 64, seed: int = 0) -> dict[str, nn.Module]:
    """The chapter's three volume classifiers, keyed as :data:`VOLUME_MODELS`: a GRU
    :class:`SliceRNN` (``carry_bias=1.0``), :class:`MiddleSliceCNN` and :class:`SmallCNN3D`.

    Each model's initial weights depend on ``seed`` alone: each is built right after seeding
    a forked torch generator, so neither what ran before nor which other models are built
    changes them, and the caller's random state is left as it was. A notebook and a benchmark
    that call this with the same seed start from the same weights.
    """
    seed = check_seed(seed)
    builders = {"seq": lambda: SliceRNN("gru", width=width, hidden_size=hidden_size),
                "cnn2d": lambda: MiddleSliceCNN(width=width),
                "cnn3d": lambda: SmallCNN3D(width=width)}
    models = {}
    for key, build in builders.items():
        with torch.random.fork_rng(devices=[]):
            torch.manual_seed(seed)
            models[key] = build()
    return models


# ---------------------------------------------------------------------------
# Gate activations, for the widget
# ---------------------------------------------------------------------------

@torch.no_grad()
def gate_trace(model: SliceRNN, volume: torch.Tensor) -> dict:
    """Gate activations of a trained :class:`SliceRNN` on one volume ``(C, D, H, W)``.

    Recomputes the recurrence with our from-scratch cells and the model's own
    weights (so it also checks them). The slice features come from the model where it
    is; the recurrence and its check run on a float32 CPU copy of ``model.rnn`` and
    ``model.head``, so that on a GPU neither side uses TF32 (cuDNN's RNNs do by default on
    Ampere and later, 1e-4 away from full float32). Returns numpy arrays of shape ``(D, H_rnn)``:
    GRU ``{"r", "z", "n", "h"}``, LSTM ``{"i", "f", "g", "o", "c", "h"}``; plus
    ``"p"`` ``(D,)``, the class-1 probability the head would give after slice t.
    """
    if volume.ndim != 4:
        raise ValueError(f"volume must be (C, D, H, W); got shape {tuple(volume.shape)}")
    with evaluating(model):
        p = next(model.parameters())
        feats = model.features(volume[None].to(p.device, p.dtype))[0].float().cpu()   # (D, F)
        rnn, head = copy.deepcopy(model.rnn).float().cpu(), copy.deepcopy(model.head).float().cpu()
        w = cell_weights(rnn)
        h = feats.new_zeros(1, rnn.hidden_size)
        c = torch.zeros_like(h)
        rows = []
        for t in range(feats.shape[0]):
            if model.kind == "gru":
                s = gru_gates(feats[t:t + 1], h, **w)
            else:
                s = lstm_gates(feats[t:t + 1], h, c, **w)
                c = s["c"]
            h = s["h"]
            s["p"] = head(h).softmax(1)[:, 1]
            rows.append(s)
        out, _ = rnn(feats[None])   # the check the docstring promises: same last state as the library
        if not torch.allclose(out[0, -1:], h, atol=1e-5, rtol=1e-4):
            raise RuntimeError("gate_trace: the from-scratch cells disagree with model.rnn "
                               f"(largest difference {float((out[0, -1:] - h).abs().max()):.3g})")
    return {k: torch.cat([r[k] for r in rows]).cpu().numpy() for k in rows[0]}


def _slices_and_gate(volume, trace: dict, gate: str, steps) -> tuple[torch.Tensor, np.ndarray]:
    """The volume as ``(D, H, W)`` float32 and ``trace[gate]`` as ``(D, H_rnn)``, checked: a
    sigmoid gate in [0, 1], one row per slice, and every step of ``steps`` a slice index."""
    vol = torch.as_tensor(np.asarray(volume), dtype=torch.float32)
    if vol.ndim == 4:
        vol = vol[0]
    if vol.ndim != 3:
        raise ValueError(f"volume must be (C, D, H, W) or (D, H, W); got shape {tuple(vol.shape)}")
    if gate not in trace:
        raise ValueError(f"gate {gate!r} is not in the trace; it has {sorted(trace)}")
    g = np.asarray(trace[gate], dtype=np.float32)                          # (D, H_rnn)
    depth = vol.shape[0]
    if g.ndim != 2 or g.shape[0] != depth:
        raise ValueError(f"trace[{gate!r}] must be (D={depth}, H_rnn); got shape {g.shape}")
    if g.min() < 0 or g.max() > 1:
        raise ValueError(f"gate {gate!r} has values outside [0, 1]; show a sigmoid gate (z, r, i, f, o)")
    for t in steps:
        if not (isinstance(t, (int, np.integer)) and 0 <= t < depth):
            raise ValueError(f"t must be an int in [0, {depth - 1}]; got {t!r}")
    return vol, g


NOT_READ_COLOUR = "white"   # the unread slices of a gate frame: no colour of the cividis scale


def gate_frame(volume, trace: dict, t: int, gate: str = "z", label: str | None = None):
    """One frame of the gate explorer: slice ``t`` beside the gates of the slices read so far.

    volume ``(C, D, H, W)`` or ``(D, H, W)`` in [0, 1]; ``trace`` from :func:`gate_trace`;
    ``gate`` one of its sigmoid gates, ``(D, H_rnn)`` in [0, 1] ("z", "r", "i", "f", "o");
    ``t`` an int in ``[0, D - 1]``.

    Left: slice ``t`` ``(H, W)`` in gray from 0 to 1. Right: a heat map with one row per
    hidden unit and one column per slice (x axis "slice", y axis "hidden unit"), the gate
    values of slices 0..t in cividis with a colour bar from 0 to 1 titled ``label``
    (default "gate z"). The slices after ``t``, which the recurrence has not read yet, have
    no gate value: they are NaN in the image, drawn in :data:`NOT_READ_COLOUR` with grey
    hatching and named "not read yet" in the legend, so that they cannot be read as a gate at 0.
    Returns the Figure (slice, heat map, colour bar).
    """
    import matplotlib.pyplot as plt
    from matplotlib.patches import Patch

    from .. import viz

    vol, g = _slices_and_gate(volume, trace, gate, [t])
    depth = vol.shape[0]
    heat = g.T.copy()                                                      # (H_rnn, D)
    heat[:, t + 1:] = np.nan
    fig, (ax_slice, ax_heat) = plt.subplots(1, 2, figsize=(7.0, 3.0), width_ratios=(1, 2.2),
                                            layout="constrained")
    ax_slice.imshow(vol[t].clamp(0, 1).numpy(), cmap=viz.CMAP_IMAGE, vmin=0, vmax=1)
    ax_slice.set_title(f"slice {t}", fontsize=viz.TITLE_FONTSIZE)
    ax_slice.axis("off")
    cmap = plt.get_cmap(viz.CMAP_HEAT).with_extremes(bad=NOT_READ_COLOUR)
    im = ax_heat.imshow(heat, cmap=cmap, vmin=0, vmax=1, aspect="auto", interpolation="nearest")
    hatch = dict(facecolor=NOT_READ_COLOUR, edgecolor="0.6", hatch="//", lw=0)
    if t + 1 < depth:
        ax_heat.axvspan(t + 0.5, depth - 0.5, **hatch)
    ax_heat.set(xlabel="slice", ylabel="hidden unit")
    ax_heat.set_title(f"slices 0 to {t} read", fontsize=viz.TITLE_FONTSIZE)
    fig.colorbar(im, ax=ax_heat, label=label or f"gate {gate}")
    fig.legend(handles=[Patch(label="not read yet", **hatch)], loc="outside lower right",
               fontsize=viz.TITLE_FONTSIZE, frameon=False)
    return fig


def plot_gate_trace(volume, trace: dict, gate: str = "z", slices=(0,), label: str | None = None):
    """The gate explorer's static page: a few slices, and one gate of every hidden unit at every slice.

    volume ``(C, D, H, W)`` or ``(D, H, W)`` in [0, 1]; ``trace`` from :func:`gate_trace`;
    ``gate`` one of its sigmoid gates, ``(D, H_rnn)`` in [0, 1]; ``slices``: the slice
    indices drawn in the top row, marked by dashed lines in the heat map below (hidden units
    as rows, slices as columns, a colour bar from 0 to 1, titled ``label``).
    Returns the Figure.
    """
    import matplotlib.pyplot as plt

    from .. import viz

    slices = list(slices)
    vol, g = _slices_and_gate(volume, trace, gate, slices)
    fig = plt.figure(figsize=(max(6.0, 1.3 * len(slices)), 4.6), layout="constrained")
    top, bottom = fig.subfigures(2, 1, height_ratios=(1, 1.6))
    for ax, t in zip(np.atleast_1d(top.subplots(1, len(slices))), slices):
        ax.imshow(vol[t].numpy(), cmap=viz.CMAP_IMAGE, vmin=0, vmax=1)
        ax.set_title(f"slice {t}", fontsize=viz.TITLE_FONTSIZE)
        ax.axis("off")
    ax = bottom.subplots()
    im = ax.imshow(g.T, cmap=viz.CMAP_HEAT, vmin=0, vmax=1, aspect="auto", interpolation="nearest")
    for t in slices:
        ax.axvline(t, color="white", lw=1, ls="--")
    ax.set(xlabel="slice t", ylabel="hidden unit")
    bottom.colorbar(im, ax=ax, label=label or f"gate {gate}")
    return fig

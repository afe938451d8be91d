"""A small multilayer perceptron, by hand and as a module (the neural-networks chapter).

By hand, for a network with one hidden layer and a softmax output::

    z1 = x W1^T + b1      (N, H)     h = act(z1)
    z2 = h W2^T + b2      (N, K)     logits; loss = mean cross-entropy

:func:`forward`, :func:`softmax_cross_entropy` and :func:`backward` compute
the loss and every gradient with explicit matrix products; the chapter checks
them against autograd and against :func:`numerical_gradient` (central
differences). Weights have PyTorch's layout: ``W`` is ``(out, in)``, as in
``nn.Linear``. :class:`MLP` is the same network as an ``nn.Module`` for
training on flattened MedMNIST images.
"""
from __future__ import annotations

from typing import Callable, Sequence

import torch
from torch import nn

from ..checks import check_class_labels, check_model_input

__all__ = ["ACTIVATIONS", "activation", "activation_grad", "MLP", "init_params", "params_of",
           "forward", "softmax_cross_entropy", "backward", "loss_and_grads", "numerical_gradient",
           "relative_error"]

ACTIVATIONS = ("sigmoid", "tanh", "relu")


def _check_activation(name: str) -> None:
    if name not in ACTIVATIONS:
        raise ValueError(f"unknown activation {name!r}; expected one of {ACTIVATIONS}")


def activation(name: str, z: torch.Tensor) -> torch.Tensor:
    """``sigmoid`` 1 / (1 + e^-z) in (0, 1); ``tanh`` in (-1, 1); ``relu`` max(0, z). Same shape and dtype."""
    _check_activation(name)
    return {"sigmoid": torch.sigmoid, "tanh": torch.tanh, "relu": torch.relu}[name](z)


def activation_grad(name: str, z: torch.Tensor) -> torch.Tensor:
    """The derivative of the activation at ``z``, elementwise, in ``z``'s dtype.

    sigmoid: s (1 - s), at most 1/4 (at 0); tanh: 1 - tanh^2, at most 1;
    relu: 1 where z > 0 and 0 elsewhere (0 at z = 0, as autograd does).
    Computed from ``sigmoid(z)`` and ``tanh(z)``, never from ``exp(-z)``, so
    large |z| gives 0 rather than inf / inf = NaN.
    """
    _check_activation(name)
    if name == "sigmoid":
        s = torch.sigmoid(z)
        return s * (1 - s)
    if name == "tanh":
        return 1 - torch.tanh(z) ** 2
    return (z > 0).to(z.dtype)


class MLP(nn.Module):
    """Flatten, then ``Linear -> activation`` per hidden layer, then a ``Linear`` head.

    Input ``(N, C, H, W)`` (or ``(N, D)``) float32 in [0, 1] with ``C*H*W == n_inputs``;
    output ``(N, n_classes)`` logits. ``hidden=(128,)`` is one hidden layer of 128 units.
    """

    def __init__(self, n_inputs: int = 784, hidden: Sequence[int] = (128,), n_classes: int = 2,
                 activation: str = "relu"):
        super().__init__()
        _check_activation(activation)
        sizes = [n_inputs, *hidden]
        if min(sizes) < 1 or n_classes < 1:
            raise ValueError(f"layer sizes must be positive; got n_inputs={n_inputs}, hidden={hidden}, "
                             f"n_classes={n_classes}")
        act = {"sigmoid": nn.Sigmoid, "tanh": nn.Tanh, "relu": nn.ReLU}[activation]
        layers: list[nn.Module] = [nn.Flatten()]
        for a, b in zip(sizes[:-1], sizes[1:]):
            layers += [nn.Linear(a, b), act()]
        layers.append(nn.Linear(sizes[-1], n_classes))
        self.net = nn.Sequential(*layers)
        self.n_inputs = n_inputs

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        check_model_input(x, self, "MLP: x", ndim=(2, 4))
        if x.ndim < 2 or x.shape[1:].numel() != self.n_inputs:
            raise ValueError(f"MLP expects {self.n_inputs} inputs per sample; got shape {tuple(x.shape)}")
        return self.net(x)


# ------------------------------------------------------------------- by hand

def init_params(n_inputs: int, n_hidden: int, n_classes: int, seed: int = 0,
                dtype: torch.dtype = torch.float64) -> dict[str, torch.Tensor]:
    """Weights of a one-hidden-layer MLP, drawn like ``nn.Linear`` does:
    uniform in ±1/sqrt(fan_in), from a generator seeded with ``seed``.

    Returns ``{"W1": (H, D), "b1": (H,), "W2": (K, H), "b2": (K,)}`` of ``dtype``:
    **float64** by default (gradient checks need it, see :func:`numerical_gradient`),
    so :func:`forward` then wants float64 inputs, ``x.double()``; pass
    ``dtype=torch.float32`` for weights that take the course's float32 images as they are.
    """
    gen = torch.Generator().manual_seed(seed)

    def uniform(shape, fan_in):
        bound = fan_in**-0.5
        return (2 * torch.rand(shape, generator=gen, dtype=dtype) - 1) * bound

    return {"W1": uniform((n_hidden, n_inputs), n_inputs), "b1": uniform((n_hidden,), n_inputs),
            "W2": uniform((n_classes, n_hidden), n_hidden), "b2": uniform((n_classes,), n_hidden)}


def params_of(model: MLP) -> dict[str, torch.Tensor]:
    """The weights of a one-hidden-layer :class:`MLP` as ``{"W1", "b1", "W2", "b2"}`` (detached copies)."""
    linears = [m for m in model.modules() if isinstance(m, nn.Linear)]
    if len(linears) != 2:
        raise ValueError(f"params_of needs an MLP with one hidden layer; this one has {len(linears)} Linear layers")
    (l1, l2) = linears
    return {"W1": l1.weight.detach().clone(), "b1": l1.bias.detach().clone(),
            "W2": l2.weight.detach().clone(), "b2": l2.bias.detach().clone()}


def _check_x(params: dict, x: torch.Tensor) -> None:
    """``x`` must be ``(N, D)`` with D the columns of ``W1``, in the dtype of the weights."""
    d = params["W1"].shape[1]
    if not isinstance(x, torch.Tensor):
        raise TypeError(f"forward: x must be a torch.Tensor (N, {d}); got {type(x).__name__}")
    if x.ndim != 2 or x.shape[1] != d:
        if x.ndim > 2:
            fix = "Flatten images with x.flatten(1)."
        elif x.ndim == 2:
            fix = f"For {x.shape[1]} inputs make the weights with init_params({x.shape[1]}, ...)."
        else:
            fix = "Add a batch axis with x[None]."
        raise ValueError(f"forward: x must be (N, {d}), one row of {d} inputs per sample (the columns of W1); "
                         f"got shape {tuple(x.shape)}. {fix}")
    if x.dtype != params["W1"].dtype:
        want, have = (str(t).replace("torch.", "") for t in (params["W1"].dtype, x.dtype))
        conv = {"float64": "x.double()", "float32": "x.float()"}.get(want, f"x.to(torch.{want})")
        raise TypeError(f"forward: x must have the dtype of the weights, {want}; got {have}. Convert with "
                        f"{conv}, or make the weights with init_params(..., dtype=torch.{have}).")


def forward(params: dict, x: torch.Tensor, act: str = "relu") -> tuple[torch.Tensor, dict]:
    """Logits ``(N, K)`` of ``x`` ``(N, D)`` and the cache the backward pass needs.

    ``x`` must be 2-D (flatten images with ``x.flatten(1)``) and have the weights' dtype
    (float64 from :func:`init_params` by default: ``x.double()``); anything else is refused.
    """
    _check_x(params, x)
    z1 = x @ params["W1"].T + params["b1"]
    h = activation(act, z1)
    logits = h @ params["W2"].T + params["b2"]
    return logits, {"x": x, "z1": z1, "h": h, "act": act}


def softmax_cross_entropy(logits: torch.Tensor, y: torch.Tensor) -> tuple[torch.Tensor, torch.Tensor]:
    """Mean cross-entropy of ``logits`` ``(N, K)`` against labels ``y`` ``(N,)`` int64,
    and its gradient with respect to the logits, ``(softmax(logits) - onehot(y)) / N``.

    Stable for any logits: it subtracts each row's maximum and uses
    log-sum-exp, so no ``exp`` overflows and no ``log(0)`` occurs.
    ``y`` must hold integer class indices in ``[0, K)`` and have shape ``(N,)``, as for
    ``F.cross_entropy``: medmnist's ``(N, 1)`` labels are refused (flatten them with
    ``y.squeeze(1)``), since they would broadcast into a wrong loss and gradient.
    """
    _check_labels(logits, y)
    n = logits.shape[0]
    shifted = logits - logits.max(dim=1, keepdim=True).values
    log_probs = shifted - shifted.exp().sum(dim=1, keepdim=True).log()
    loss = -log_probs[torch.arange(n), y].mean()
    dlogits = log_probs.exp()
    dlogits[torch.arange(n), y] -= 1
    return loss, dlogits / n


def _check_labels(logits: torch.Tensor, y: torch.Tensor) -> None:
    """``y``: ``(N,)`` integer class indices in ``[0, K)`` for ``logits`` ``(N, K)``."""
    if logits.ndim != 2:
        raise ValueError(f"logits must be (N, K); got shape {tuple(logits.shape)}")
    n, k = logits.shape
    shape = tuple(getattr(y, "shape", ()))
    if shape == (n, 1):
        raise ValueError(f"softmax_cross_entropy expects labels of shape (N,) = ({n},), one class index per "
                         f"sample; got {shape}, the layout of medmnist's loaders. Pass y.squeeze(1) (or "
                         "y.view(-1)).")
    check_class_labels(y, n, k)


def backward(params: dict, cache: dict, dlogits: torch.Tensor) -> dict[str, torch.Tensor]:
    """Gradients of the loss for every weight, given ``dlogits`` = dLoss/dlogits ``(N, K)``.

    The chain rule, layer by layer from the output::

        dW2 = dlogits^T h        db2 = sum_n dlogits
        dh  = dlogits W2
        dz1 = dh * act'(z1)      (for ReLU: the mask z1 > 0)
        dW1 = dz1^T x            db1 = sum_n dz1

    Each gradient has the shape of its weight.
    """
    dh = dlogits @ params["W2"]
    dz1 = dh * activation_grad(cache["act"], cache["z1"])
    return {"W1": dz1.T @ cache["x"], "b1": dz1.sum(0), "W2": dlogits.T @ cache["h"], "b2": dlogits.sum(0)}


def loss_and_grads(params: dict, x: torch.Tensor, y: torch.Tensor, act: str = "relu"):
    """Forward and backward in one call: ``(mean cross-entropy, {name: gradient})``."""
    logits, cache = forward(params, x, act)
    loss, dlogits = softmax_cross_entropy(logits, y)
    return loss, backward(params, cache, dlogits)


def _value(v) -> float:
    """A scalar (0-d or one-element tensor, or number) as a float; detached first, so that a loss
    computed from weights that require grad converts without autograd's warning."""
    return float(v.detach() if isinstance(v, torch.Tensor) else v)


def numerical_gradient(f: Callable[[dict], torch.Tensor], params: dict, eps: float = 1e-6) -> dict:
    """Central differences ``(f(w + eps) - f(w - eps)) / (2 eps)`` for every entry of every weight.

    ``f(params) -> scalar``; ``params`` a dict of weight tensors (they may require grad).
    Returns ``{name: gradient}``, each of its weight's shape and dtype, not requiring grad.
    Each entry of ``params`` is **perturbed in place** (through a detached view, so weights
    that require grad are fine) while ``f`` is evaluated, then restored to its exact value,
    also when ``f`` raises; so ``f`` must read the weights from the dict it is given.
    Costs two evaluations of ``f`` per entry, so keep
    the network small; use float64: the best error over ``eps`` scales as the rounding
    unit to the power 2/3, roughly a million times larger in float32 than in float64.
    A large ``eps`` also steps across ReLU's kink, in any precision.
    """
    for name, w in params.items():
        if not isinstance(w, torch.Tensor) or not w.is_floating_point():
            raise TypeError(f"numerical_gradient: params[{name!r}] must be a floating tensor; got {w!r:.80}")
        if not w.is_contiguous():
            raise ValueError(f"numerical_gradient: params[{name!r}] is not contiguous (a transpose or a slice, "
                             f"shape {tuple(w.shape)}), so its entries cannot be perturbed in place; put "
                             f"params[{name!r}].contiguous() in the dict, and let f read it from there")
    grads = {}
    for name, w in params.items():
        g = torch.zeros_like(w)
        flat, gflat = w.detach().view(-1), g.view(-1)   # shares w's memory; writes to it bypass autograd
        for i in range(flat.numel()):
            old = flat[i].item()
            try:
                flat[i] = old + eps
                up = _value(f(params))
                flat[i] = old - eps
                down = _value(f(params))
            finally:
                flat[i] = old
            gflat[i] = (up - down) / (2 * eps)
        grads[name] = g
    return grads


def relative_error(a: torch.Tensor, b: torch.Tensor) -> float:
    """``max |a - b| / max(max |a|, max |b|)``: scale-free, 0 for equal tensors.

    ``a`` and ``b`` must have one shape (a gradient and its check): tensors of different shapes
    are refused rather than broadcast, since ``(3,)`` against ``(3, 1)`` would compare every
    entry with every other and give a large error for equal values."""
    if not isinstance(a, torch.Tensor) or not isinstance(b, torch.Tensor):
        raise TypeError(f"relative_error compares two tensors; got {type(a).__name__} and {type(b).__name__}")
    if a.shape != b.shape:
        raise ValueError(f"relative_error compares two tensors of one shape; got {tuple(a.shape)} and "
                         f"{tuple(b.shape)}")
    scale = max(a.abs().max().item(), b.abs().max().item(), 1e-300)
    return (a - b).abs().max().item() / scale

"""Tasks of the neural-networks chapter's exercise (``exercises/01_neural_networks.ipynb``).

=====================  ======  =================================================
task                   points  the student writes
=====================  ======  =================================================
``nn.activations``     2       ``activation_grads(z) -> {"sigmoid", "tanh", "relu"}``
``nn.cross_entropy``   2       ``softmax_cross_entropy(logits, y) -> (loss, dlogits)``
``nn.mlp_backward``    3       ``mlp_backward(x, y, W1, b1, W2, b2) -> {"W1", "b1", "W2", "b2"}``
``nn.adam_step``       3       ``adam_step(param, grad, m, v, t, lr, beta1, beta2, eps) -> (param, m, v)``
``nn.lr_schedule``     2       ``inverse_time_decay(step, lr0, decay_rate, decay_steps=1) -> float``
=====================  ======  =================================================

The references use autograd or ``torch.optim`` where they can, so that the
hand-written code is checked against an independent computation. Inputs are
seeded, float64 unless a case tests float32. Every case targets one mistake
that looks right: a missing ReLU mask, a sum instead of a mean, ``log(softmax)``
that underflows, Adam without bias correction, a "decay" that grows.

``nn.activations``, ``nn.cross_entropy`` and ``nn.mlp_backward`` also have a case that checks
that the tensors passed in are left as they were (:func:`coursekit.grading.cases.run_inputs_kept`):
the notebook goes on using them (the weights after ``mlp_backward``, in training and in the
comparison with autograd). ``nn.adam_step`` has none: its text asks for the new
``(param, m, v)``, and the notebook replaces all three with what it returns, so an update in
place, as ``torch.optim`` makes it, is allowed (its cases pass copies).
"""
from __future__ import annotations

import math

import torch
import torch.nn.functional as F

from ..cases import (TOLERANCES, Case, Task, call, compare_inputs_kept, compare_values, inputs_kept,
                     run_inputs_kept)

NOTEBOOK = "01_neural_networks"   # exercises/01_neural_networks.ipynb, the notebook these tasks grade

# ---------------------------------------------------------------------------
# nn.activations
# ---------------------------------------------------------------------------


def activation_grads_reference(z):
    """Derivatives at ``z`` of sigmoid, tanh and ReLU (ReLU'(0) = 0), by autograd."""
    out = {}
    for name, f in (("sigmoid", torch.sigmoid), ("tanh", torch.tanh), ("relu", torch.relu)):
        zz = z.detach().clone().requires_grad_(True)
        (g,) = torch.autograd.grad(f(zz).sum(), zz)
        out[name] = g
    return out


def activation_case(name, values=None, n=12, scale=4.0, dtype=torch.float64, hint="", seed=0,
                    run=call, compare=None) -> Case:
    """``activation_grads`` on ``values`` (if given) followed by ``n`` random values in ±scale."""
    def inputs(gen):
        z = scale * (2 * torch.rand(n, generator=gen, dtype=dtype) - 1)
        if values is not None:
            z = torch.cat([torch.tensor(values, dtype=dtype), z])
        return dict(z=z)
    return Case(name, inputs, run=run, compare=compare, hint=hint, seed=seed)


ACTIVATION_CASES = (
    activation_case("12 values in [-4, 4]", hint=(
        "sigmoid' = s (1 - s) with s = sigmoid(z); tanh' = 1 - tanh(z)**2; relu' = 1 where z > 0, else 0. "
        "Return a dict with the keys 'sigmoid', 'tanh' and 'relu'."), seed=1),
    activation_case("large inputs, down to -1000 and up to 1000", values=[-1000.0, -100.0, 100.0, 1000.0],
                    scale=30.0, hint=(
        "compute sigmoid' from torch.sigmoid(z), not from exp(-z): exp(1000) overflows to inf and "
        "inf / inf is NaN. The true derivative out there is 0."), seed=2),
    activation_case("z exactly 0, and just either side of it", values=[0.0, 0.0, -0.0, 1e-12, -1e-12], n=5, hint=(
        "at z = 0 use relu'(0) = 0, as PyTorch's autograd does: (z > 0), not (z >= 0)."), seed=3),
    activation_case("float32 input gives float32 derivatives", dtype=torch.float32, hint=(
        "convert the ReLU mask with .to(z.dtype): a bool or float64 tensor is the wrong dtype."), seed=4),
    activation_case("z is left as it was", values=[0.0, -1000.0, 1000.0], run=run_inputs_kept,
                    compare=compare_inputs_kept, hint=(
        "torch.sigmoid(z) makes a new tensor; z.sigmoid_(), z.tanh_(), z.clamp_(...) or z[z < 0] = 0 change "
        "the caller's z, and with it every derivative computed after that."), seed=5),
)

# ---------------------------------------------------------------------------
# nn.cross_entropy
# ---------------------------------------------------------------------------


def softmax_cross_entropy_reference(logits, y):
    """Mean cross-entropy (F.cross_entropy) and its gradient by autograd."""
    z = logits.detach().clone().requires_grad_(True)
    loss = F.cross_entropy(z, y)
    (dz,) = torch.autograd.grad(loss, z)
    return loss.detach(), dz


def run_cross_entropy(fn, inputs):
    """``{"loss": float, "dlogits": tensor}`` from ``fn(logits, y) -> (loss, dlogits)``;
    a one-element tensor loss is read as a float."""
    out = fn(inputs["logits"], inputs["y"])
    if not isinstance(out, (tuple, list)) or len(out) != 2:
        raise TypeError(f"softmax_cross_entropy must return (loss, dlogits); got {type(out).__name__}")
    loss, dlogits = out
    if isinstance(loss, torch.Tensor) and loss.numel() == 1:
        loss = loss.item()
    return {"loss": loss, "dlogits": dlogits}


def run_cross_entropy_inputs_kept(fn, inputs):
    """:func:`coursekit.grading.cases.run_inputs_kept` for :func:`run_cross_entropy` (so the loss
    may be a float here too): its output, and the tensors passed in as they are after the call."""
    return run_inputs_kept(fn, inputs, run_cross_entropy)


def compare_cross_entropy(expected, got, inputs):
    """:func:`compare_values`, except that the loss is held to the tolerance of the logits'
    dtype (:data:`TOLERANCES`), not to a float64 one. The loss arrives as a Python float
    whatever precision it was computed in; a correct float32 loss summed in another order
    than ``F.cross_entropy`` differs from it by a float32 rounding or more (relative 1e-7
    to a few 1e-6), so a float64 tolerance would fail correct code."""
    loss_e = expected.get("loss") if isinstance(expected, dict) else None
    loss_g = got.get("loss") if isinstance(got, dict) else None
    is_number = isinstance(loss_g, (int, float)) and not isinstance(loss_g, bool)
    if not (isinstance(loss_e, float) and is_number and set(got) == set(expected)):
        return compare_values(expected, got)
    rtol, atol = TOLERANCES[inputs["logits"].dtype]
    if not (math.isfinite(loss_g) and abs(loss_g - loss_e) <= atol + rtol * abs(loss_e)):
        return (f"output['loss']: expected {loss_e:.10g}, got {loss_g:.10g} "
                f"[{inputs['logits'].dtype} logits, rtol {rtol:g}, atol {atol:g}]")
    return compare_values(expected["dlogits"], got["dlogits"], "output['dlogits']")


def cross_entropy_case(name, n=8, k=3, scale=2.0, shift=0.0, spread_row=False, dtype=torch.float64,
                       hint="", seed=0, run=run_cross_entropy, compare=compare_cross_entropy) -> Case:
    """Random ``(n, k)`` logits ``shift + scale * randn``; with ``spread_row`` the first
    row puts the true class 800 below another class (its softmax underflows to 0)."""
    def inputs(gen):
        logits = shift + scale * torch.randn(n, k, generator=gen, dtype=dtype)
        y = torch.randint(0, k, (n,), generator=gen)
        if spread_row:
            logits[0] = torch.tensor([0.0, 800.0] + [-5.0] * (k - 2), dtype=dtype)
            y[0] = 0
        return dict(logits=logits, y=y)
    return Case(name, inputs, run=run, compare=compare, hint=hint, seed=seed)


CROSS_ENTROPY_CASES = (
    cross_entropy_case("8 samples, 3 classes", hint=(
        "loss = mean over the batch of -log softmax(logits)[n, y[n]]; "
        "dlogits = (softmax(logits) - onehot(y)) / N, because the loss is a mean."), seed=1),
    cross_entropy_case("logits around 1000: subtract each row's maximum", n=6, k=4, scale=5.0, shift=1000.0,
                       hint="exp(1000) is inf in float64; softmax(z) = softmax(z - max(z)) for each row.", seed=2),
    cross_entropy_case("the true class 800 below another: use log-sum-exp", n=5, k=3, spread_row=True, hint=(
        "softmax of the true class underflows to 0, and log(0) = -inf. Compute the log-probabilities "
        "directly: log p = (z - max) - log(sum(exp(z - max)))."), seed=3),
    cross_entropy_case("one sample, 10 classes", n=1, k=10, hint=(
        "a batch of one sample is still (1, K) logits and a (1,) label tensor."), seed=4),
    cross_entropy_case("float32 logits give a float32 gradient", n=7, k=5, dtype=torch.float32, hint=(
        "dlogits must have the logits' dtype: create every new tensor (the one-hot matrix) with "
        "dtype=logits.dtype. The loss is compared at float32 precision (rtol 1e-4)."), seed=5),
    cross_entropy_case("the logits and labels passed in are left as they were", n=6, k=4, shift=50.0,
                       run=run_cross_entropy_inputs_kept, compare=inputs_kept(compare_cross_entropy), hint=(
        "logits - logits.max(dim=1, keepdim=True).values makes a new tensor; logits -= ... or logits.sub_(...) "
        "change the caller's logits (in the notebook, the network's output)."), seed=6),
)

# ---------------------------------------------------------------------------
# nn.mlp_backward
# ---------------------------------------------------------------------------


def mlp_backward_reference(x, y, W1, b1, W2, b2):
    """Gradients of mean cross-entropy of ``relu(x W1^T + b1) W2^T + b2``, by autograd."""
    params = [p.detach().clone().requires_grad_(True) for p in (W1, b1, W2, b2)]
    w1, c1, w2, c2 = params
    logits = torch.relu(x @ w1.T + c1) @ w2.T + c2
    grads = torch.autograd.grad(F.cross_entropy(logits, y), params)
    return dict(zip(("W1", "b1", "W2", "b2"), grads))


def mlp_case(name, n=6, d=5, h=4, k=3, bias_shift=0.0, zero_inputs=False, dtype=torch.float64, hint="",
             seed=0, run=call, compare=None) -> Case:
    """A one-hidden-layer MLP with ``d`` inputs, ``h`` hidden units and ``k`` classes on ``n`` samples;
    ``bias_shift`` is added to ``b1`` (negative: many units inactive); ``zero_inputs``: the first
    sample is all zeros and half the hidden biases are 0, so some units get an input of exactly 0."""
    def inputs(gen):
        x = torch.randn(n, d, generator=gen, dtype=dtype)
        y = torch.randint(0, k, (n,), generator=gen)
        W1 = torch.randn(h, d, generator=gen, dtype=dtype) / math.sqrt(d)
        b1 = 0.1 * torch.randn(h, generator=gen, dtype=dtype) + bias_shift
        W2 = torch.randn(k, h, generator=gen, dtype=dtype) / math.sqrt(h)
        b2 = 0.1 * torch.randn(k, generator=gen, dtype=dtype)
        if zero_inputs:
            x[0] = 0.0
            b1[: h // 2] = 0.0
        return dict(x=x, y=y, W1=W1, b1=b1, W2=W2, b2=b2)
    return Case(name, inputs, run=run, compare=compare, hint=hint, seed=seed)


MLP_CASES = (
    mlp_case("6 samples, 5 inputs, 4 hidden units, 3 classes", hint=(
        "dlogits = (softmax - onehot) / N; dW2 = dlogits^T h; db2 = dlogits summed over the batch; "
        "dz1 = (dlogits W2) * (z1 > 0); dW1 = dz1^T x; db1 = dz1 summed over the batch."), seed=1),
    mlp_case("more hidden units than inputs (shapes: W is (out, in))", n=4, d=3, h=7, k=2, hint=(
        "each gradient has the shape of its weight: dW1 is (H, D) = dz1^T x, not x^T dz1."), seed=2),
    mlp_case("many inactive units (negative hidden biases)", n=10, d=6, h=8, k=4, bias_shift=-0.6, hint=(
        "no gradient flows through a ReLU unit whose input z1 is negative: multiply by the mask (z1 > 0)."),
        seed=3),
    mlp_case("a batch of 32: the loss is a mean", n=32, d=4, h=5, k=3, hint=(
        "the loss is the mean over the batch, so every gradient carries a factor 1/N (from dlogits)."), seed=4),
    mlp_case("a sample of zeros and hidden biases of 0: units with input exactly 0", zero_inputs=True, hint=(
        "ReLU'(0) = 0, as in task 1 and in PyTorch: the mask is (z1 > 0), not (z1 >= 0)."), seed=5),
    mlp_case("the data and the weights passed in are left as they were", bias_shift=-0.3, run=run_inputs_kept,
             compare=compare_inputs_kept, hint=(
        "compute new tensors (z1 = x @ W1.T + b1); x -= ..., W1.mul_(...), b1.zero_() or torch.relu_(...) on an "
        "argument change the caller's data or weights: the notebook trains with the same weights afterwards."),
             seed=6),
)

# ---------------------------------------------------------------------------
# nn.adam_step
# ---------------------------------------------------------------------------


def adam_step_reference(param, grad, m, v, t, lr=1e-3, beta1=0.9, beta2=0.999, eps=1e-8):
    """One step of ``torch.optim.Adam`` with the given moments; returns (param, m, v)."""
    p = param.detach().clone().requires_grad_(True)
    opt = torch.optim.Adam([p], lr=lr, betas=(beta1, beta2), eps=eps)
    p.grad = grad.clone()
    opt.state[p] = {"step": torch.tensor(float(t - 1)), "exp_avg": m.clone(), "exp_avg_sq": v.clone()}
    opt.step()
    state = opt.state[p]
    return p.detach().clone(), state["exp_avg"].clone(), state["exp_avg_sq"].clone()


def run_adam_steps(fn, inputs):
    """Call ``fn`` once per gradient of ``inputs["grads"]`` with t = t0, t0 + 1, ...,
    feeding each returned (param, m, v) into the next call; return every step's triple, by name
    (``{"step 1": {"param", "m", "v"}, ...}``), so that a message says which one differs."""
    param, m, v = inputs["param"], inputs["m"], inputs["v"]
    out = {}
    for i, g in enumerate(inputs["grads"]):
        param, m, v = fn(param.clone(), g.clone(), m.clone(), v.clone(), inputs["t0"] + i, **inputs["hyper"])
        out[f"step {i + 1}"] = {"param": param, "m": m, "v": v}
    return out


def compare_adam_steps(expected, got, inputs):
    """:func:`compare_values`, and then m and v once more in units of the gradient's scale
    (m / s and v / s**2 for gradients of size s = ``inputs["grad_scale"]``). With gradients of
    1e-10, m is about 1e-11 and v about 1e-21, below the float64 ``atol`` of 1e-9: without the
    rescaling any m and v would pass."""
    msg = compare_values(expected, got)
    scale = inputs.get("grad_scale", 1.0)
    if msg or scale == 1.0:
        return msg
    for step in expected:
        e, g = expected[step], got[step]
        msg = (compare_values(e["m"] / scale, g["m"] / scale, f"output[{step!r}]['m'] / {scale:g}")
               or compare_values(e["v"] / scale**2, g["v"] / scale**2, f"output[{step!r}]['v'] / {scale:g}**2"))
        if msg:
            return msg
    return None


def adam_case(name, steps=1, t0=1, shape=(3, 4), grad_scale=1.0, warm=False, dtype=torch.float64,
              hint="", seed=0, **hyper) -> Case:
    """``steps`` Adam steps from step number ``t0``; zero moments unless ``warm``. Gradients are
    ``grad_scale`` times standard normal, and m and v are compared relative to that scale."""
    def inputs(gen):
        param = torch.randn(*shape, generator=gen, dtype=dtype)
        grads = [grad_scale * torch.randn(*shape, generator=gen, dtype=dtype) for _ in range(steps)]
        m = 0.1 * torch.randn(*shape, generator=gen, dtype=dtype) if warm else torch.zeros(*shape, dtype=dtype)
        v = 0.01 * torch.rand(*shape, generator=gen, dtype=dtype) if warm else torch.zeros(*shape, dtype=dtype)
        return dict(param=param, grads=grads, m=m, v=v, t0=t0, hyper=dict(hyper), grad_scale=grad_scale)
    return Case(name, inputs, run=run_adam_steps, compare=compare_adam_steps, hint=hint, seed=seed)


ADAM_CASES = (
    adam_case("the first step (t = 1), lr 0.01", lr=0.01, hint=(
        "on the first step m = (1 - beta1) g, 10 times smaller than g: the update divides m by (1 - beta1**t) "
        "and v by (1 - beta2**t) (bias correction), so that it is about lr in every coordinate; the m and v "
        "you return are the uncorrected ones."), seed=1),
    adam_case("step 7 with moments from earlier steps", t0=7, warm=True, hint=(
        "m <- beta1 m + (1 - beta1) g; v <- beta2 v + (1 - beta2) g**2; "
        "p <- p - lr m_hat / (sqrt(v_hat) + eps)."), seed=2),
    adam_case("tiny gradients (1e-10): eps goes after the square root", grad_scale=1e-10, lr=0.01, hint=(
        "the denominator is sqrt(v_hat) + eps, with v_hat the bias-corrected v: not sqrt(v_hat + eps), and "
        "not the Adam paper's 'efficient' form lr * sqrt(1 - beta2**t) / (1 - beta1**t) * m / (sqrt(v) + eps), "
        "which adds eps before the correction; return the uncorrected m and v as the new state (m_hat and "
        "v_hat are only used for the step)."), seed=3),
    adam_case("10 steps in a row, beta1 = 0.8, beta2 = 0.99", steps=10, beta1=0.8, beta2=0.99, lr=0.05, hint=(
        "use the beta1, beta2, lr and eps you are given, and the step number t you are given."), seed=4),
    adam_case("eps = 0.001 given, gradients about 0.01", steps=2, grad_scale=1e-2, lr=0.01, eps=1e-3, hint=(
        "use the eps you are given (here 1e-3, not the default 1e-8): it is added to sqrt(v_hat), which is "
        "about 0.01 here."), seed=6),
    adam_case("float32 tensors stay float32", steps=3, dtype=torch.float32, hint=(
        "do all arithmetic on the given tensors; do not convert to float64 or numpy."), seed=5),
)

# ---------------------------------------------------------------------------
# nn.lr_schedule
# ---------------------------------------------------------------------------


def inverse_time_decay_reference(step, lr0, decay_rate, decay_steps=1):
    """``lr0 / (1 + decay_rate * step / decay_steps)``: decays like 1/step, starts at lr0."""
    return lr0 / (1 + decay_rate * step / decay_steps)


def run_schedule(fn, inputs):
    """The schedule at every step of ``inputs["steps"]``, as a list."""
    return [fn(s, **inputs["kwargs"]) for s in inputs["steps"]]


def schedule_case(name, steps, hint="", **kwargs) -> Case:
    """``inverse_time_decay(step, **kwargs)`` for each step in ``steps``."""
    def inputs(gen):
        return dict(steps=list(steps), kwargs=dict(kwargs))
    return Case(name, inputs, run=run_schedule, hint=hint)


SCHEDULE_CASES = (
    schedule_case("step 0 gives lr0", [0], lr0=0.1, decay_rate=0.95, hint=(
        "at step 0 nothing has decayed yet: the rate is lr0 (lr0 / (1 + 0.95**0) would be lr0 / 2)."),),
    schedule_case("steps 0 to 20, decay_rate 0.5: falls like 1/step", range(21), lr0=0.01, decay_rate=0.5, hint=(
        "lr0 / (1 + decay_rate * step): the rate must fall as the steps go on. "
        "lr0 / (1 + decay_rate**step) rises from lr0 / 2 towards lr0."),),
    schedule_case("decay_steps 10: smooth, not a staircase", [0, 1, 5, 9, 10, 15, 30], lr0=1.0, decay_rate=1.0,
                  decay_steps=10, hint="divide step by decay_steps as a float (step / decay_steps, not //)."),
)

# The exercise: "Do not use autograd (.backward(), torch.autograd) or torch.optim inside the
# graded functions". The references do, outside the student's process.
NO_AUTOGRAD = ("torch.Tensor.backward", "torch.autograd.backward", "torch.autograd.grad",
               "torch.autograd.functional.jacobian", "torch.autograd.functional.vjp", "torch.func.grad",
               "torch.func.vjp", "torch.optim.SGD", "torch.optim.Adam", "torch.optim.AdamW")

# Nor coursekit's own answers (the chapter's code uses them).
_MLP, _OPTIM = "coursekit.models.mlp.", "coursekit.optim."
TASKS = [
    Task("nn.activations", "derivatives of sigmoid, tanh and ReLU", "activation_grads", 2,
         activation_grads_reference, ACTIVATION_CASES, forbidden=NO_AUTOGRAD + (_MLP + "activation_grad",)),
    Task("nn.cross_entropy", "stable softmax cross-entropy and its gradient", "softmax_cross_entropy", 2,
         softmax_cross_entropy_reference, CROSS_ENTROPY_CASES,
         forbidden=NO_AUTOGRAD + (_MLP + "softmax_cross_entropy",)),
    Task("nn.mlp_backward", "the backward pass of a one-hidden-layer MLP", "mlp_backward", 3,
         mlp_backward_reference, MLP_CASES,
         forbidden=NO_AUTOGRAD + (_MLP + "backward", _MLP + "loss_and_grads", _MLP + "softmax_cross_entropy")),
    Task("nn.adam_step", "one step of Adam", "adam_step", 3, adam_step_reference, ADAM_CASES,
         forbidden=NO_AUTOGRAD + (_OPTIM + "adam_step", _OPTIM + "Adam")),
    Task("nn.lr_schedule", "inverse-time learning-rate decay", "inverse_time_decay", 2,
         inverse_time_decay_reference, SCHEDULE_CASES, forbidden=NO_AUTOGRAD + (_OPTIM + "inverse_time",)),
]

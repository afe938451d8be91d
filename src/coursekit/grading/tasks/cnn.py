"""Tasks of the CNN chapter's exercise (``exercises/02_cnn.ipynb``).

=====================  ======  =================================================
task                   points  the student writes
=====================  ======  =================================================
``cnn.conv2d``         3       ``conv2d(x, weight, bias=None, stride=1, padding=0)``
``cnn.output_size``    2       ``conv_output_size(size, kernel_size, stride=1, padding=0, dilation=1)``
``cnn.normalize``      2       ``channel_stats(images) -> (mean, std)``
``cnn.train_step``     3       ``train_step(model, x, y, optimizer) -> float``
``cnn.model``          2       ``class PneumoniaCNN(nn.Module)``
=====================  ======  =================================================

Inputs are small seeded tensors, float64 where the task allows, so that a wrong
formula cannot hide inside the tolerance. The helpers ``conv_case``,
``size_case``, ``stats_case`` and ``train_step_case`` also make hidden cases.

``cnn.conv2d`` and ``cnn.normalize`` each have a case that checks that the tensors passed in
are left as they were, and the output (:func:`coursekit.grading.cases.run_inputs_kept`): the
notebook hands the same X-ray and kernels to ``F.conv2d`` next, and normalises the training
images with the statistics right after computing them.
"""
from __future__ import annotations

import contextlib

import torch
import torch.nn.functional as F
from torch import nn

from ..cases import Case, Task, call, compare_inputs_kept, describe, run_inputs_kept

NOTEBOOK = "02_cnn"   # exercises/02_cnn.ipynb, the notebook these tasks grade

# ---------------------------------------------------------------------------
# cnn.conv2d
# ---------------------------------------------------------------------------


def conv2d_reference(x, weight, bias=None, stride=1, padding=0):
    """What the student's ``conv2d`` must return: PyTorch's cross-correlation."""
    return F.conv2d(x, weight, bias, stride=stride, padding=padding)


def conv_case(name, *, n=1, c_in=1, c_out=1, size=(5, 5), kernel=(3, 3), stride=1, padding=0,
              bias=False, dtype=torch.float64, hint="", seed=0, run=call, compare=None) -> Case:
    """A ``conv2d`` case on random ``(n, c_in, *size)`` input and ``(c_out, c_in, *kernel)`` weights."""
    def inputs(gen):
        x = torch.randn(n, c_in, *size, generator=gen, dtype=dtype)
        w = torch.randn(c_out, c_in, *kernel, generator=gen, dtype=dtype)
        b = torch.randn(c_out, generator=gen, dtype=dtype) if bias else None
        return dict(x=x, weight=w, bias=b, stride=stride, padding=padding)
    return Case(name, inputs, run=run, compare=compare, hint=hint, seed=seed)


CONV2D_CASES = (
    conv_case("one channel, 3x3 kernel, no padding", hint=(
        "out[n, o, i, j] = sum over c, u, v of weight[o, c, u, v] * x[n, c, i + u, j + v]; "
        "PyTorch does not flip the kernel (cross-correlation)."), seed=1),
    conv_case("non-square 2x3 kernel", size=(6, 7), kernel=(2, 3), hint=(
        "weight has shape (C_out, C_in, kH, kW): kH = weight.shape[2] runs down the rows, "
        "kW = weight.shape[3] along the columns."), seed=2),
    conv_case("3 input and 4 output channels, with bias", n=2, c_in=3, c_out=4, size=(6, 6), bias=True, hint=(
        "sum over all input channels, then add bias[o] to every position of output channel o."), seed=3),
    conv_case("padding 1", size=(5, 6), padding=1, hint=(
        "pad `padding` zeros on every side (top, bottom, left, right); "
        "the output then has H + 2 * padding - kH + 1 rows."), seed=4),
    conv_case("stride 2 and padding 2 on an odd-sized input", n=2, c_in=2, c_out=3, size=(7, 9),
              kernel=(3, 2), stride=2, padding=2, bias=True, hint=(
        "with stride s the window of output (i, j) starts at (s * i, s * j) of the padded input; "
        "H_out = (H + 2 * padding - kH) // stride + 1."), seed=5),
    conv_case("float32 input gives float32 output", c_in=2, c_out=2, size=(6, 6), padding=1, bias=True,
              dtype=torch.float32, hint="create the output with dtype=x.dtype.", seed=6),
    conv_case("the input, weights and bias passed in are left as they were", n=2, c_in=2, c_out=3, size=(6, 5),
              padding=1, bias=True, run=run_inputs_kept, compare=compare_inputs_kept, hint=(
        "x_pad = F.pad(x, ...) and out = out + bias.view(1, -1, 1, 1) make new tensors; x.mul_(...), "
        "bias.unsqueeze_(-1), weight.zero_() or x[...] = ... change the caller's image or layer (in the "
        "notebook, the X-ray and the Sobel kernels that F.conv2d gets right after)."), seed=7),
)

# ---------------------------------------------------------------------------
# cnn.output_size
# ---------------------------------------------------------------------------


def conv_output_size_reference(size, kernel_size, stride=1, padding=0, dilation=1):
    """floor((size + 2 padding - dilation (kernel_size - 1) - 1) / stride) + 1."""
    return (size + 2 * padding - dilation * (kernel_size - 1) - 1) // stride + 1


def size_case(name, size, kernel_size, stride=1, padding=0, dilation=1, hint="") -> Case:
    """A ``conv_output_size`` case with fixed integer arguments."""
    def inputs(gen):
        return dict(size=size, kernel_size=kernel_size, stride=stride, padding=padding, dilation=dilation)
    return Case(name, inputs, hint=hint)


_FLOOR = "H_out = floor((H + 2p - d(k - 1) - 1) / s) + 1; use // for the floor, so the result is an int."
_STRIDE = ("the window fits at L = H + 2p - d(k - 1) positions and stride s keeps positions 0, s, 2s, ...: "
           "that is ceil(L / s) = (L - 1) // s + 1 outputs, not L // s. " + _FLOOR)
_DILATION = "a dilated kernel spans d * (k - 1) + 1 pixels (3 taps with d = 2 span 5; 5 taps with d = 3 span 13)."
OUTPUT_SIZE_CASES = (
    size_case("28 pixels, 3x3 kernel, no padding", 28, 3, hint="a 3x3 window fits 28 - 3 + 1 times."),
    size_case("28 pixels, 3x3 kernel, padding 1 ('same')", 28, 3, padding=1, hint=_FLOOR),
    size_case("28 pixels, 3x3 kernel, stride 2, padding 1", 28, 3, stride=2, padding=1, hint=_STRIDE),
    size_case("7 pixels, 3x3 kernel, stride 2, padding 1 (odd count of positions)", 7, 3, stride=2, padding=1,
              hint=_STRIDE),
    size_case("7 pixels, 2x2 kernel, stride 2 (the last pixel is left over)", 7, 2, stride=2, hint=_STRIDE),
    size_case("28 pixels, 3x3 kernel, dilation 2, padding 2", 28, 3, padding=2, dilation=2, hint=_DILATION),
    size_case("32 pixels, 5x5 kernel, dilation 3", 32, 5, dilation=3, hint=_DILATION),
    size_case("kernel as large as the input", 5, 5, hint="one window fits exactly once."),
)

# ---------------------------------------------------------------------------
# cnn.normalize
# ---------------------------------------------------------------------------


def channel_stats_reference(images):
    """Per-channel mean and (population) std over the whole set: dims (N, H, W)."""
    return images.mean(dim=(0, 2, 3)), images.std(dim=(0, 2, 3), correction=0)


def stats_case(name, n=6, channels=3, size=8, dtype=torch.float64, hint="", seed=0, run=call,
               compare=None) -> Case:
    """A ``channel_stats`` case: images whose brightness differs per channel *and* per image."""
    def inputs(gen):
        x = torch.rand(n, channels, size, size, generator=gen, dtype=dtype)
        channel_offset = torch.arange(channels, dtype=dtype).view(1, -1, 1, 1)
        image_gain = 0.5 + torch.rand(n, 1, 1, 1, generator=gen, dtype=dtype)
        return dict(images=(x + channel_offset) * image_gain)
    return Case(name, inputs, run=run, compare=compare, hint=hint, seed=seed)


_STATS_HINT = ("one mean and one std per channel, over all images and pixels (dims 0, 2, 3), "
               "with std(..., correction=0): the population std, not the per-image average.")
NORMALIZE_CASES = (
    stats_case("3 channels, images of different brightness", hint=_STATS_HINT, seed=1),
    stats_case("grey-scale (1 channel), 10 images", n=10, channels=1, size=7, hint=_STATS_HINT, seed=2),
    stats_case("float32 input gives float32 statistics", n=4, channels=2, size=5, dtype=torch.float32,
               hint=_STATS_HINT + " Keep the input's dtype.", seed=3),
    stats_case("the images passed in are left as they were", run=run_inputs_kept, compare=compare_inputs_kept, hint=(
        "images - mean makes a new tensor; images -= mean, images.sub_(...) or images.pow_(2) change the "
        "caller's training set, which the notebook normalises with these statistics next."), seed=4),
)

# ---------------------------------------------------------------------------
# cnn.train_step: graded by optimizer steps against the reference
# ---------------------------------------------------------------------------


class TinyNet(nn.Module):
    """The small model ``train_step`` cases train: (N, 1, 8, 8) -> (N, 3) logits."""

    def __init__(self):
        super().__init__()
        self.conv = nn.Conv2d(1, 4, 3)
        self.fc = nn.Linear(4 * 6 * 6, 3)

    def forward(self, x):
        return self.fc(torch.relu(self.conv(x)).flatten(1))


def train_step_reference(model, x, y, optimizer):
    """One step of mean cross-entropy on raw logits; returns the loss before the update."""
    optimizer.zero_grad()
    loss = F.cross_entropy(model(x), y)
    loss.backward()
    optimizer.step()
    return loss.item()


def fresh(model_class):
    """``model_class()`` initialised from seed 0, leaving the global random state alone."""
    with torch.random.fork_rng(devices=[]):
        torch.manual_seed(0)
        return model_class()


def run_train_steps(train_step, inputs):
    """Build TinyNet (float64) from ``inputs["state"]``, call ``train_step`` once per
    batch with one SGD optimizer, and record each returned loss and the parameters."""
    model = fresh(TinyNet).double()
    model.load_state_dict(inputs["state"])
    optimizer = torch.optim.SGD(model.parameters(), lr=inputs["lr"], momentum=inputs["momentum"])
    for name, p in model.named_parameters():   # gradients an earlier backward() left behind
        if name in inputs.get("stale_grads", {}):
            p.grad = inputs["stale_grads"][name].clone()
    out = {}
    for step, (x, y) in enumerate(inputs["batches"], start=1):
        out[f"step {step} loss"] = train_step(model, x, y, optimizer)
        out[f"step {step} parameters"] = {k: v.detach().clone() for k, v in model.state_dict().items()}
    return out


def run_mode_check(train_step, inputs):
    """Whether TinyNet, handed over in training mode, is still in it whenever it runs in the step,
    and whether the step gives it back in training mode (a step that ends with ``model.eval()``
    trains every later step in eval mode)."""
    model = fresh(TinyNet).double()
    model.load_state_dict(inputs["state"])
    optimizer = torch.optim.SGD(model.parameters(), lr=inputs["lr"], momentum=inputs["momentum"])
    modes = []
    model.register_forward_pre_hook(lambda module, args: modes.append(module.training))
    x, y = inputs["batches"][0]
    train_step(model, x, y, optimizer)
    return {"the model ran": bool(modes), "in training mode every time it ran": all(modes),
            "still in training mode after the step": model.training}


def train_step_case(name, batch_size=8, steps=1, lr=0.1, momentum=0.0, stale=False, hint="", seed=0,
                    run=run_train_steps) -> Case:
    """A ``train_step`` case: ``steps`` SGD steps of TinyNet on seeded float64 batches
    (``stale``: the parameters start with gradients already in ``.grad``)."""
    def inputs(gen):
        state = {k: 0.3 * torch.randn(v.shape, generator=gen, dtype=torch.float64)
                 for k, v in fresh(TinyNet).state_dict().items()}
        batches = [(torch.randn(batch_size, 1, 8, 8, generator=gen, dtype=torch.float64),
                    torch.randint(0, 3, (batch_size,), generator=gen)) for _ in range(steps)]
        extra = {"stale_grads": {k: torch.randn(v.shape, generator=gen, dtype=torch.float64)
                                 for k, v in state.items()}} if stale else {}
        return dict(state=state, batches=batches, lr=lr, momentum=momentum, **extra)
    return Case(name, inputs, run=run, hint=hint, seed=seed)


TRAIN_STEP_CASES = (
    train_step_case("one SGD step on a batch of 8", hint=(
        "in this order: optimizer.zero_grad(), the loss, loss.backward(), optimizer.step(). The loss is "
        "F.cross_entropy of the raw logits (no softmax first: cross_entropy applies log-softmax itself), "
        "averaged over the batch; return it as a float with .item()."),
        seed=1),
    train_step_case("two SGD steps in a row", steps=2, hint=(
        "call optimizer.zero_grad() before loss.backward(); otherwise the gradients of the previous "
        "step are added to this one."), seed=2),
    train_step_case("three steps with momentum 0.9, batch of 3", batch_size=3, steps=3, momentum=0.9, hint=(
        "use the optimizer you are given (optimizer.step()); do not update the parameters by hand."), seed=3),
    train_step_case("gradients left in .grad by an earlier backward() do not leak into the step", stale=True, hint=(
        "reset the gradients with optimizer.zero_grad() *before* loss.backward(), not after optimizer.step(): "
        "a backward() run before this step (to check a gradient, say) leaves gradients behind."), seed=4),
    train_step_case("the model trains in training mode, and is given back in it", run=run_mode_check, hint=(
        "leave the model in the training mode it arrives in: do not call model.eval() in a training step, "
        "not even after optimizer.step() (the next step would train in eval mode, where batch norm uses its "
        "running statistics instead of the batch's, and dropout is off)."),
        seed=5),
)

# ---------------------------------------------------------------------------
# cnn.model: shape, logits (not probabilities), size, and overfitting a tiny batch
# ---------------------------------------------------------------------------

MAX_PARAMETERS = 250_000
OVERFIT_STEPS = 200
# Logits squeezed into (0, 1) (a sigmoid or softmax at the end) differ by less than 1, so the
# cross-entropy of two classes stays above log(1 + e^-1) = 0.313 however long they train. A model
# that returns logits goes below CONFIDENT_LOSS on the overfitting batch within CONFIDENT_STEPS
# (the reference reaches about 1e-4, a plain MLP about 0.05, a global-average-pooling CNN 0.005).
# Logits squeezed into [-1, 1] (a tanh at the end) differ by at most 2: their floor, log(1 + e^-2)
# = 0.127, is under CONFIDENT_LOSS, so the case also fails outputs that all stay in [-1, 1]; a
# model that returns logits and gets that confident has left [-1, 1] long before.
CONFIDENT_STEPS, CONFIDENT_LOSS = 100, 0.15


class PneumoniaCNNReference(nn.Module):
    """Two conv blocks and a small classifier: (N, 1, 28, 28) -> (N, 2) logits, ~105k parameters."""

    def __init__(self):
        super().__init__()
        self.features = nn.Sequential(
            nn.Conv2d(1, 16, 3, padding=1), nn.ReLU(), nn.MaxPool2d(2),
            nn.Conv2d(16, 32, 3, padding=1), nn.ReLU(), nn.MaxPool2d(2))
        self.classifier = nn.Sequential(nn.Flatten(), nn.Linear(32 * 7 * 7, 64), nn.ReLU(), nn.Linear(64, 2))

    def forward(self, x):
        return self.classifier(self.features(x))


def run_forward(model_class, inputs):
    """Logits of a fresh ``model_class()`` (seeded init, eval mode) on ``inputs["x"]``."""
    model = fresh(model_class)
    model.eval()
    with torch.no_grad():
        return model(inputs["x"])


def run_count_parameters(model_class, inputs):
    """Number of parameters of a fresh ``model_class()``, counted after one forward pass on
    ``inputs["x"]`` when it has lazy layers (``nn.LazyLinear`` sizes its weight on its first
    batch, and its parameters cannot be counted before)."""
    model = fresh(model_class)
    if any(torch.nn.parameter.is_lazy(p) for p in model.parameters()):
        model.eval()
        with torch.no_grad():
            model(inputs["x"])
    return sum(p.numel() for p in model.parameters())


@contextlib.contextmanager
def flush_denormals():
    """Round denormal floats to zero while training: tiny gradients made of
    denormals make CPU arithmetic up to 100 times slower."""
    torch.set_flush_denormal(True)
    try:
        yield
    finally:
        torch.set_flush_denormal(False)


def _train_on_batch(model_class, x, y, max_steps: int, stop_when_right: bool):
    """Train a fresh ``model_class()`` with Adam (lr 1e-3) on the batch ``(x, y)``, in rounds
    of 10 steps, for ``max_steps`` steps or, with ``stop_when_right``, until it classifies every
    image of the batch. Returns the eval-mode logits after the last round and the steps taken."""
    with torch.random.fork_rng(devices=[]), flush_denormals():
        torch.manual_seed(0)
        model = model_class()
        optimizer = torch.optim.Adam(model.parameters(), lr=1e-3)
        steps = 0
        while steps < max_steps:
            model.train()
            for _ in range(10):
                optimizer.zero_grad()
                F.cross_entropy(model(x), y).backward()
                optimizer.step()
                steps += 1
            model.eval()
            with torch.no_grad():
                logits = model(x)
            if stop_when_right and (logits.argmax(1) == y).all():
                break
    return logits, steps


def run_overfit(model_class, inputs):
    """Train until the batch is classified right, at most ``inputs["max_steps"]`` steps.
    Returns the final logits (eval mode) and the number of steps taken."""
    logits, steps = _train_on_batch(model_class, inputs["x"], inputs["y"], inputs["max_steps"], stop_when_right=True)
    return {"logits": logits, "steps": steps}


def run_confident(model_class, inputs):
    """Train for all ``inputs["max_steps"]`` steps; returns the final cross-entropy (eval mode)
    and whether every output lies in [0, 1]."""
    logits, _ = _train_on_batch(model_class, inputs["x"], inputs["y"], inputs["max_steps"], stop_when_right=False)
    return {"loss": float(F.cross_entropy(logits, inputs["y"])),
            "outputs_in_0_1": bool(((logits >= 0) & (logits <= 1)).all()),
            "outputs_in_-1_1": bool(((logits >= -1) & (logits <= 1)).all())}


def _confident_batch(gen):
    """The overfitting batch, trained for a fixed number of steps."""
    return dict(_overfit_batch(gen), max_steps=CONFIDENT_STEPS)


def _images(gen):
    """Four random (1, 28, 28) images in [0, 1]."""
    return dict(x=torch.rand(4, 1, 28, 28, generator=gen))


def _overfit_batch(gen):
    """32 noisy 28x28 images in [0, 1]; the 16 of class 1 carry a bright blob (a
    "consolidation") at a random place. Any working CNN learns this in a few steps."""
    n, size = 32, 28
    y = torch.randperm(n, generator=gen) % 2
    x = 0.3 + 0.1 * torch.rand(n, 1, size, size, generator=gen)
    centre = 6 + 16 * torch.rand(n, 2, 1, 1, generator=gen)
    rows, cols = torch.arange(size).view(1, size, 1), torch.arange(size).view(1, 1, size)
    blob = torch.exp(-((rows - centre[:, 0]) ** 2 + (cols - centre[:, 1]) ** 2) / (2 * 3.0**2))
    x = x + 0.5 * y.view(n, 1, 1, 1) * blob.unsqueeze(1)
    return dict(x=x.clamp(0, 1), y=y, max_steps=OVERFIT_STEPS)


def compare_shape_dtype(expected, got, inputs):
    """Only shape and dtype: the student's architecture is their own."""
    if not isinstance(got, torch.Tensor):
        return f"output: expected a tensor of logits, got {describe(got)}"
    if got.shape != expected.shape or got.dtype != expected.dtype:
        return (f"output: expected logits of shape {tuple(expected.shape)} and dtype {expected.dtype}, "
                f"got shape {tuple(got.shape)} and dtype {got.dtype}")
    return None


def compare_not_probabilities(expected, got, inputs):
    """Fails outputs that look like softmax probabilities: every row in [0, 1] and summing
    to 1 (within 1e-5). Raw logits of random images essentially never do; after a softmax
    at the end of ``forward`` they always do, and the loss would apply a second softmax."""
    if not isinstance(got, torch.Tensor) or got.ndim != 2 or not got.is_floating_point():
        return f"output: expected (N, 2) float logits, got {describe(got)}"
    g = got.double()
    in_unit = bool(((g >= 0) & (g <= 1)).all())
    sums_to_one = bool(((g.sum(1) - 1).abs() <= 1e-5).all())
    if in_unit and sums_to_one:
        return ("output: every row lies in [0, 1] and sums to 1, so forward returns probabilities; "
                "return the raw logits (F.cross_entropy applies the softmax itself)")
    return None


def compare_parameter_count(expected, got, inputs):
    """At most MAX_PARAMETERS parameters (and at least one)."""
    if type(got) is not int:
        return f"expected a parameter count, got {describe(got)}"
    if not 0 < got <= MAX_PARAMETERS:
        return f"the model has {got:,} parameters; the limit is {MAX_PARAMETERS:,}"
    return None


def compare_overfit(expected, got, inputs):
    """All images of the batch classified right, by the checker's own labels."""
    logits = got.get("logits") if isinstance(got, dict) else None
    y = inputs["y"]
    if not isinstance(logits, torch.Tensor) or logits.shape != (len(y), 2):
        return f"training did not produce (N, 2) logits; got {got!r:.200}"
    acc = float((logits.argmax(1) == y).double().mean())
    if acc < 1.0:
        return (f"after {got.get('steps')} Adam steps the model classifies {acc:.0%} of the "
                f"{len(y)} training images right; expected 100%")
    return None


def compare_confident(expected, got, inputs):
    """Cross-entropy on the overfitting batch below CONFIDENT_LOSS after CONFIDENT_STEPS steps."""
    loss = got.get("loss") if isinstance(got, dict) else None
    if not isinstance(loss, float):
        return f"training did not produce a loss; got {got!r:.200}"
    if loss < CONFIDENT_LOSS and not got.get("outputs_in_-1_1"):
        return None
    if loss < CONFIDENT_LOSS:
        return (f"after {inputs['max_steps']} Adam steps on 32 images every output still lies in [-1, 1], as a "
                "tanh's (or hardtanh's, softsign's) do: two logits in [-1, 1] differ by at most 2, so the model can "
                "never be more than 88% sure of a class. Return the raw logits.")
    said = (f"after {inputs['max_steps']} Adam steps on 32 images the cross-entropy is {loss:.3f}; expected below "
            f"{CONFIDENT_LOSS}. ")
    if got.get("outputs_in_0_1"):
        return said + ("Every output lies in [0, 1], as a sigmoid's or a softmax's do: outputs squeezed into (0, 1) "
                       "differ by less than 1, so the loss can never fall below 0.313. Return the raw logits.")
    return said + "The model classifies, but it cannot become confident: is there a bottleneck before the last layer?"


MODEL_CASES = (
    Case("(N, 1, 28, 28) float32 in, (N, 2) float32 logits out", _images, run=run_forward,
         compare=compare_shape_dtype, hint="the last layer has 2 outputs; no softmax at the end.", seed=1),
    Case("outputs are logits, not probabilities", _images, run=run_forward, compare=compare_not_probabilities,
         hint="end forward with the last linear layer, with no softmax after it.", seed=4),
    Case(f"at most {MAX_PARAMETERS:,} parameters", _images, run=run_count_parameters,
         compare=compare_parameter_count, hint="pool (nn.MaxPool2d(2)) before the linear layer.", seed=2),
    Case(f"learns to classify 32 images within {OVERFIT_STEPS} Adam steps",
         _overfit_batch,
         run=run_overfit, compare=compare_overfit,
         hint="a model that cannot learn 32 images has a bug: does forward return the raw logits, "
              "with no ReLU after the last layer?",
         seed=3),
    Case(f"becomes confident: cross-entropy below {CONFIDENT_LOSS} within {CONFIDENT_STEPS} Adam steps",
         _confident_batch, run=run_confident, compare=compare_confident,
         hint="end forward with the last linear layer: no sigmoid, softmax, tanh or ReLU after it.", seed=3),
)

# The exercise asks for the convolution "not with F.conv2d or nn.Conv2d".
CONV2D_FORBIDDEN = ("torch.nn.functional.conv2d", "torch.conv2d", "torch.nn.Conv2d", "torch.convolution")

TASKS = [
    Task("cnn.conv2d", "2D convolution by hand", "conv2d", 3, conv2d_reference, CONV2D_CASES,
         forbidden=CONV2D_FORBIDDEN),
    Task("cnn.output_size", "output size of a convolution", "conv_output_size", 2,
         conv_output_size_reference, OUTPUT_SIZE_CASES),
    Task("cnn.normalize", "per-channel dataset statistics", "channel_stats", 2,
         channel_stats_reference, NORMALIZE_CASES),
    Task("cnn.train_step", "one training step", "train_step", 3, train_step_reference, TRAIN_STEP_CASES),
    Task("cnn.model", "a CNN for PneumoniaMNIST", "PneumoniaCNN", 2, PneumoniaCNNReference, MODEL_CASES,
         forbidden=("coursekit.models.cnn.SmallCNN",)),   # the course's own CNN, wrapped, is not your design
]

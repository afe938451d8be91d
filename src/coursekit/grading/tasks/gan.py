"""Tasks of the GAN chapter's exercise (``exercises/05_gan.ipynb``).

======================  ======  ================================================
task                    points  the student writes
======================  ======  ================================================
``gan.d_loss``          3       ``discriminator_loss(real_logits, fake_logits, smooth=0.0)``
``gan.g_loss``          2       ``generator_loss(fake_logits)`` (non-saturating)
``gan.optimal_d``       2       ``optimal_discriminator(p_data, p_g)``
``gan.conditioning``    2       ``add_labels(t, y, n_classes)``
``gan.train_step``      3       ``train_step(G, D, opt_g, opt_d, real, z) -> (d_loss, g_loss)``
``gan.real_batch``      1       ``real_batch(images, batch_size, generator)``
``gan.generator``       2       ``class Generator(nn.Module)``: (N, 64) -> (N, 1, 28, 28)
``gan.discriminator``   2       ``class Discriminator(nn.Module)``: (N, 1, 28, 28) -> (N,) logits
======================  ======  ================================================

The last four are the fixes of the debugging part (the article's GAN). Cases
catch the plausible mistakes: a flipped sign, the saturating loss passed off as
the non-saturating one, probabilities put through ``log`` without a guard, a
missing ``detach()`` in the discriminator update, noise used as "real" data,
and networks whose shapes do not fit together. ``gan.d_loss``, ``gan.optimal_d``
and ``gan.conditioning`` each have one case that checks that the tensors passed
in are left as they were, and that the output is right (:func:`run_inputs_kept`,
so that a constant earns nothing there); ``gan.g_loss`` needs none, because its
cases call it on logits that require grad, where an in-place change raises.
"""
from __future__ import annotations

import torch
import torch.nn.functional as F
from torch import nn

from ..cases import Case, Task, call, compare_inputs_kept, run_inputs_kept

NOTEBOOK = "05_gan"   # exercises/05_gan.ipynb, the notebook these tasks grade


# ---------------------------------------------------------------------------
# gan.d_loss and gan.g_loss
# ---------------------------------------------------------------------------


def discriminator_loss_reference(real_logits, fake_logits, smooth=0.0):
    """mean BCE(real, 1 - smooth) + mean BCE(fake, 0), from logits."""
    real = F.binary_cross_entropy_with_logits(real_logits, torch.full_like(real_logits, 1.0 - smooth))
    fake = F.binary_cross_entropy_with_logits(fake_logits, torch.zeros_like(fake_logits))
    return real + fake


def generator_loss_reference(fake_logits):
    """The non-saturating loss -mean log D(G(z)) = BCE with target 1, from logits."""
    return F.binary_cross_entropy_with_logits(fake_logits, torch.ones_like(fake_logits))


def logits_case(name, n_real=6, n_fake=6, scale=2.0, shift=0.0, smooth=None, dtype=torch.float64,
                hint="", seed=0, run=call, compare=None) -> Case:
    """A loss case on seeded logits ``scale * randn + shift`` (``smooth`` passed when not None)."""
    def inputs(gen):
        real = scale * torch.randn(n_real, generator=gen, dtype=dtype) + shift
        fake = scale * torch.randn(n_fake, generator=gen, dtype=dtype) - shift
        out = dict(real_logits=real, fake_logits=fake)
        if smooth is not None:
            out["smooth"] = smooth
        return out
    return Case(name, inputs, run=run, compare=compare, hint=hint, seed=seed)


def extreme_case(name, value, dtype=torch.float32, hint="") -> Case:
    """D is sure and wrong: real logits -value, fake logits +value."""
    def inputs(gen):
        return dict(real_logits=torch.tensor([-value, 1.0], dtype=dtype),
                    fake_logits=torch.tensor([value, -1.0], dtype=dtype))
    return Case(name, inputs, hint=hint)


def run_d_loss_and_grad(obj, inputs):
    """The loss and its gradients with respect to both batches of logits (D learns from them)."""
    real = inputs["real_logits"].clone().requires_grad_(True)
    fake = inputs["fake_logits"].clone().requires_grad_(True)
    loss = obj(**{**inputs, "real_logits": real, "fake_logits": fake})
    if not isinstance(loss, torch.Tensor) or not loss.requires_grad:
        return {"loss": loss, "gradients": "none: the loss does not depend on the logits through autograd "
                                             "(a .detach(), .data, .item() or torch.tensor(...) on the way cuts it)"}
    grad_real, grad_fake = torch.autograd.grad(loss, [real, fake], allow_unused=True)
    return {"loss": loss, "gradients": {"real_logits": "none" if grad_real is None else grad_real,
                                        "fake_logits": "none" if grad_fake is None else grad_fake}}


_LOGITS_HINT = ("D returns logits l; D(x) = sigmoid(l). Use F.binary_cross_entropy_with_logits, which computes "
                "-log sigmoid(l) and -log(1 - sigmoid(l)) without ever taking log(0).")
D_LOSS_CASES = (
    logits_case("logits of both signs, 6 real and 6 fake", hint=(
        "the loss is minimised: -[mean log D(x) + mean log(1 - D(G(z)))]; real target 1, fake target 0, "
        "and the two means are added, not averaged."), seed=1),
    logits_case("5 real and 3 fake logits", n_real=5, n_fake=3, hint=(
        "one mean over the real logits plus one mean over the fake logits (not one mean over all 8)."), seed=2),
    logits_case("one-sided label smoothing 0.1", smooth=0.1, hint=(
        "smoothing moves only the real target, to 1 - smooth = 0.9; the fake target stays 0."), seed=3),
    logits_case("D already good: real logits around +3, fake around -3", shift=3.0, scale=1.0, hint=(
        "a good discriminator has a small loss: check the sign of each term."), seed=4),
    extreme_case("a confident, wrong D in float32 (logits of +-120): finite loss", 120.0, hint=(
        "sigmoid(-120) rounds to 0 in float32 and log(0) = -inf; a clamp such as log(p + 1e-8) "
        "gives a wrong value instead. " + _LOGITS_HINT)),
    logits_case("5 real and 7 fake logits, smoothing 0.2: the loss and its gradients", n_real=5, n_fake=7, smooth=0.2,
                run=run_d_loss_and_grad, hint=(
        "the loss trains D, so it must stay differentiable with respect to the logits: no .detach(), .item() or "
        "torch.tensor(...) on the way. The gradient of each mean is 1/N (sigmoid(l) - target) per logit."),
                seed=6),
    logits_case("the logits passed in are left as they were", smooth=0.1, run=run_inputs_kept,
                compare=compare_inputs_kept, hint=(
        "-fake_logits makes a new tensor; fake_logits.neg_(), fake_logits *= -1 or real_logits.clamp_(...) change "
        "the caller's logits (a training loop that also reads D's accuracy from them would see other numbers)."),
                seed=5),
)


def run_loss_and_grad(obj, inputs):
    """The loss and its gradient with respect to the logits."""
    logits = inputs["fake_logits"].clone().requires_grad_(True)
    loss = obj(logits)
    (grad,) = torch.autograd.grad(loss, logits)
    return {"loss": loss, "gradient": grad}


def g_case(name, logits, dtype=torch.float64, hint="") -> Case:
    def inputs(gen):
        return dict(fake_logits=torch.tensor(logits, dtype=dtype))
    return Case(name, inputs, run=run_loss_and_grad, hint=hint)


_NS_HINT = ("non-saturating: minimise -mean log D(G(z)), i.e. BCE with target 1 on the fake logits. "
            "Not mean log(1 - D(G(z))) (saturating), not mean log D(G(z)) (wrong sign).")
G_LOSS_CASES = (
    g_case("logits of both signs", [-2.0, -0.5, 0.0, 1.0, 2.5], hint=_NS_HINT),
    g_case("D rejects the fakes (logits -6): the gradient must not vanish", [-6.0, -5.0, -7.0], hint=(
        "at D(G(z)) = 0.0025 the gradient of log(1 - D) with respect to the logit is -D, almost 0; "
        "that of -log D is -(1 - D), almost -1. " + _NS_HINT)),
    g_case("a confident D in float32 (logits -120): finite loss and gradient", [-120.0, 0.5], dtype=torch.float32,
           hint=_LOGITS_HINT),
)

# ---------------------------------------------------------------------------
# gan.optimal_d
# ---------------------------------------------------------------------------


def optimal_discriminator_reference(p_data, p_g):
    """D*(x) = p_data(x) / (p_data(x) + p_g(x)), elementwise."""
    return p_data / (p_data + p_g)


def density_case(name, make, hint="", seed=0, run=call, compare=None) -> Case:
    def inputs(gen):
        p, q = make(gen)
        return dict(p_data=p, p_g=q)
    return Case(name, inputs, run=run, compare=compare, hint=hint, seed=seed)


def run_on_arrays(obj, inputs):
    """``obj`` called on the inputs as NumPy arrays, as the notebook calls ``optimal_discriminator``
    (on the densities of a grid); an array that comes back crosses as a tensor."""
    return obj(**{k: v.numpy() if isinstance(v, torch.Tensor) else v for k, v in inputs.items()})


def _gaussians(gen):
    x = torch.linspace(-3, 3, 13, dtype=torch.float64)
    return torch.exp(-0.5 * (x + 1) ** 2), 0.5 * torch.exp(-0.5 * ((x - 1) / 1.5) ** 2)


_DSTAR_HINT = "D*(x) = p_data(x) / (p_data(x) + p_g(x)): the probability that a point at x came from the data."
OPTIMAL_D_CASES = (
    density_case("two Gaussian densities on a grid", _gaussians, hint=_DSTAR_HINT),
    density_case("random densities", lambda gen: (torch.rand(10, generator=gen, dtype=torch.float64) + 0.01,
                                                  torch.rand(10, generator=gen, dtype=torch.float64) + 0.01),
                 hint=_DSTAR_HINT, seed=1),
    density_case("p_g = p_data: D* = 1/2 everywhere", lambda gen: (torch.full((4,), 0.3, dtype=torch.float64),
                                                                   torch.full((4,), 0.3, dtype=torch.float64)),
                 hint="where the generator matches the data, the best D can do is a coin flip."),
    density_case("where one density is 0: D* is 1 or 0",
                 lambda gen: (torch.tensor([0.0, 0.2, 0.5], dtype=torch.float64),
                              torch.tensor([0.4, 0.0, 0.5], dtype=torch.float64)),
                 hint="no data at x (p_data = 0): D* = 0; no fakes at x (p_g = 0): D* = 1."),
    density_case("tiny densities, as in the tails: D* is still their ratio",
                 lambda gen: (torch.tensor([3e-10, 1e-9, 2e-6], dtype=torch.float64),
                              torch.tensor([1e-10, 1e-9, 1e-6], dtype=torch.float64)),
                 hint="D* depends only on the ratio of the densities: 3e-10 against 1e-10 gives 0.75. Do not add an "
                      "epsilon to the denominator; the two densities are never both 0 in these cases.", seed=2),
    density_case("NumPy arrays in (as in the notebook): two Gaussian densities on a grid", _gaussians,
                 run=run_on_arrays, hint=(
        "the arguments may be tensors or NumPy arrays, and the notebook passes arrays: plain arithmetic, "
        "p_data / (p_data + p_g), works on both; torch.div, torch.where or tensor methods such as .div() and "
        ".clamp() do not take arrays."), seed=4),
    density_case("the densities passed in are left as they were", _gaussians, run=run_inputs_kept,
                 compare=compare_inputs_kept, hint=(
        "p_data / (p_data + p_g) makes a new tensor; p_data /= ..., p_g += p_data or torch.div(..., out=p_data) "
        "change the caller's densities (in the notebook, the value function and the JSD are computed from them "
        "after your D*)."), seed=3),
)

# ---------------------------------------------------------------------------
# gan.conditioning
# ---------------------------------------------------------------------------


def add_labels_reference(t, y, n_classes):
    """Append the one-hot code of ``y`` to ``t``: (N, d) -> (N, d + K); (N, C, H, W) -> (N, C + K, H, W)."""
    code = F.one_hot(y, n_classes).to(t.dtype)
    if t.ndim == 4:
        code = code[:, :, None, None].expand(-1, -1, t.shape[2], t.shape[3])
    return torch.cat([t, code], dim=1)


def label_case(name, shape, labels, n_classes, dtype=torch.float64, hint="", seed=0, run=call,
               compare=None) -> Case:
    def inputs(gen):
        return dict(t=torch.randn(*shape, generator=gen, dtype=dtype), y=torch.tensor(labels, dtype=torch.int64),
                    n_classes=n_classes)
    return Case(name, inputs, run=run, compare=compare, hint=hint, seed=seed)


_ONE_HOT_HINT = ("y holds class indices; F.one_hot(y, n_classes) makes (N, n_classes) 0/1 codes "
                 "(pass n_classes: the batch may not contain the last class); convert with .to(t.dtype).")
CONDITIONING_CASES = (
    label_case("latent codes (4, 3), 5 classes", (4, 3), [0, 4, 2, 2], 5, hint=_ONE_HOT_HINT, seed=1),
    label_case("the batch does not contain every class", (3, 2), [1, 0, 1], 4, hint=_ONE_HOT_HINT, seed=2),
    label_case("images (2, 1, 3, 4): one constant label map per class", (2, 1, 3, 4), [2, 0], 3, hint=(
        "for images, code[:, :, None, None].expand(-1, -1, H, W) turns each one-hot entry into a constant "
        "H x W map; concatenate along the channel axis (dim 1)."), seed=3),
    label_case("images (2, 3, 3, 4) with 3 channels, 5 classes: 3 + 5 channels out", (2, 3, 3, 4), [4, 1], 5, hint=(
        "the label maps do not depend on the images' channels: expand the (N, K) code to (N, K, H, W) "
        "(code[:, :, None, None].expand(-1, -1, H, W)) and concatenate along dim 1."), seed=5),
    label_case("float32 input keeps float32", (2, 3), [1, 0], 2, dtype=torch.float32,
               hint="F.one_hot returns int64: convert the code with .to(t.dtype) before torch.cat.", seed=4),
    label_case("t and y are left as they were (shape and values)", (2, 1, 3, 4), [2, 0], 3,
               run=run_inputs_kept, compare=compare_inputs_kept, hint=(
        "y[:, None] or y.unsqueeze(1) makes a new view; y.unsqueeze_(1) reshapes the caller's labels to (N, 1), and "
        "writing into t changes the caller's batch."), seed=6),
)

# ---------------------------------------------------------------------------
# gan.train_step
# ---------------------------------------------------------------------------

Z_DIM_TINY = 4


class TinyG(nn.Module):
    """Generator of the train_step cases: z (N, 4) -> images (N, 1, 3, 3) in [0, 1]."""

    def __init__(self):
        super().__init__()
        self.fc = nn.Linear(Z_DIM_TINY, 9)

    def forward(self, z):
        return torch.sigmoid(self.fc(z)).view(-1, 1, 3, 3)


class TinyD(nn.Module):
    """Discriminator of the train_step cases: images (N, 1, 3, 3) -> logits (N,)."""

    def __init__(self):
        super().__init__()
        self.fc1 = nn.Linear(9, 5)
        self.fc2 = nn.Linear(5, 1)

    def forward(self, x):
        return self.fc2(torch.tanh(self.fc1(x.flatten(1)))).squeeze(1)


def train_step_reference(G, D, opt_g, opt_d, real, z):
    """One D update on real and detached fakes, then one non-saturating G update.

    Returns (d_loss, g_loss) as Python floats, each before its update."""
    fake = G(z)
    opt_d.zero_grad()
    d_loss = discriminator_loss_reference(D(real), D(fake.detach()))
    d_loss.backward()
    opt_d.step()
    opt_g.zero_grad()
    g_loss = generator_loss_reference(D(fake))
    g_loss.backward()
    opt_g.step()
    return d_loss.item(), g_loss.item()


def _fresh(model_class):
    with torch.random.fork_rng(devices=[]):
        torch.manual_seed(0)
        return model_class().double()


def _networks(inputs):
    G, D = _fresh(TinyG), _fresh(TinyD)
    G.load_state_dict(inputs["g_state"])
    D.load_state_dict(inputs["d_state"])
    opt_g = torch.optim.SGD(G.parameters(), lr=inputs["lr"])
    opt_d = torch.optim.SGD(D.parameters(), lr=inputs["lr"])
    return G, D, opt_g, opt_d


def run_gan_steps(train_step, inputs):
    """Call ``train_step`` once per batch; record the losses and both networks' parameters."""
    G, D, opt_g, opt_d = _networks(inputs)
    out = {}
    for step, (real, z) in enumerate(inputs["batches"], start=1):
        d_loss, g_loss = train_step(G, D, opt_g, opt_d, real, z)
        out[f"step {step} d_loss"] = d_loss
        out[f"step {step} g_loss"] = g_loss
    out["G parameters"] = {k: v.detach().clone() for k, v in G.state_dict().items()}
    out["D parameters"] = {k: v.detach().clone() for k, v in D.state_dict().items()}
    return out


def run_detach_check(train_step, inputs):
    """Whether G's parameters hold a gradient when the discriminator's optimizer steps."""
    G, D, opt_g, opt_d = _networks(inputs)
    seen = []
    step = opt_d.step

    def spy(*args, **kwargs):
        seen.append(any(p.grad is not None and bool(p.grad.abs().sum() > 0) for p in G.parameters()))
        return step(*args, **kwargs)

    opt_d.step = spy
    real, z = inputs["batches"][0]
    train_step(G, D, opt_g, opt_d, real, z)
    return {"opt_d.step() called once": len(seen) == 1,
            "G had a gradient when opt_d stepped": bool(seen and seen[0])}


def run_mode_check(train_step, inputs):
    """Whether G and D, handed over in training mode, are still in it whenever they run in the step."""
    G, D, opt_g, opt_d = _networks(inputs)
    modes = {"G": [], "D": []}
    for name, net in (("G", G), ("D", D)):
        net.register_forward_pre_hook(lambda module, args, seen=modes[name]: seen.append(module.training))
    real, z = inputs["batches"][0]
    train_step(G, D, opt_g, opt_d, real, z)
    return {f"{name} in training mode every time it ran": bool(seen) and all(seen) for name, seen in modes.items()}


def step_case(name, steps=1, batch_size=6, lr=0.2, run=run_gan_steps, hint="", seed=0) -> Case:
    def inputs(gen):
        g_state = {k: 0.5 * torch.randn(v.shape, generator=gen, dtype=torch.float64)
                   for k, v in _fresh(TinyG).state_dict().items()}
        d_state = {k: 0.5 * torch.randn(v.shape, generator=gen, dtype=torch.float64)
                   for k, v in _fresh(TinyD).state_dict().items()}
        batches = [(torch.rand(batch_size, 1, 3, 3, generator=gen, dtype=torch.float64),
                    torch.randn(batch_size, Z_DIM_TINY, generator=gen, dtype=torch.float64)) for _ in range(steps)]
        return dict(g_state=g_state, d_state=d_state, batches=batches, lr=lr)
    return Case(name, inputs, run=run, hint=hint, seed=seed)


TRAIN_STEP_CASES = (
    step_case("one step: losses, then both networks' parameters", hint=(
        "first D: opt_d.zero_grad(), discriminator_loss(D(real), D(fake.detach())), backward, opt_d.step(); then "
        "G: opt_g.zero_grad(), the non-saturating generator_loss(D(fake)) through the updated D, backward, "
        "opt_g.step(). Return both losses as floats (.item()), each computed before its update."), seed=1),
    step_case("the D update puts no gradient into G (detach the fakes)", run=run_detach_check, hint=(
        "D's loss must see G(z).detach(): otherwise D's backward() runs on through G, a wasted pass that fills "
        "G's .grad with D's gradient (it reaches G's update unless opt_g.zero_grad() clears it first), and G's "
        "own backward() then fails with 'Trying to backward through the graph a second time'."), seed=2),
    step_case("three steps in a row", steps=3, hint=(
        "reset both optimizers' gradients before each backward pass (G's step also fills D's .grad)."), seed=3),
    step_case("both networks train in training mode", run=run_mode_check, hint=(
        "leave G and D in the training mode they arrive in: do not call .eval() in a training step (in eval "
        "mode the generator's batch norm uses its running statistics instead of the batch's)."), seed=4),
)

# ---------------------------------------------------------------------------
# gan.real_batch (the article drew "real" images from uniform noise)
# ---------------------------------------------------------------------------


def real_batch_reference(images, batch_size, generator):
    """``batch_size`` images drawn at random (with replacement) from ``images``, using ``generator``."""
    idx = torch.randint(0, images.shape[0], (batch_size,), generator=generator)
    return images[idx]


FAIR_BATCHES = 1000


def run_real_batch(real_batch, inputs):
    """Properties of two batches (and a repeat with the same seed), not the exact draw."""
    images, n = inputs["images"], inputs["batch_size"]
    first = real_batch(images, n, torch.Generator().manual_seed(inputs["seed"]))
    gen = torch.Generator().manual_seed(inputs["seed"])
    again, second = real_batch(images, n, gen), real_batch(images, n, gen)
    flat = images.flatten(1)

    def matches(batch):   # (batch size, len(images)): which data-set image each batch image is
        return (batch.flatten(1)[:, None, :] == flat[None]).all(2)

    def from_data(batch):
        return bool(matches(batch).any(1).all())

    # Over FAIR_BATCHES batches: every image is drawn, unless the draw leaves some out (as
    # randint(0, len(images) - 1) does the last); each about equally often (rounding uniform
    # numbers draws the first and last half as often); and one draw does not follow from the
    # previous (a block of neighbours from one random start puts image i + 1 after image i, and one
    # image drawn once and repeated puts image i after image i: chance does that for 1 pair in N).
    # A uniform draw of 8 of 40 images (200 draws of each expected, standard deviation 14) misses
    # the +-40% bound with odds below 1e-6; the seed fixes the draws anyway.
    counts = torch.zeros(len(images))
    neighbours = repeats = pairs = 0
    gen = torch.Generator().manual_seed(inputs["seed"] + 1)
    for _ in range(FAIR_BATCHES):
        match = matches(real_batch(images, n, gen))
        idx = match.float().argmax(1)
        counts += match.sum(0)
        neighbours += int((idx[1:] == (idx[:-1] + 1) % len(images)).sum())
        repeats += int((idx[1:] == idx[:-1]).sum())
        pairs += len(idx) - 1
    share = counts / counts.sum().clamp(min=1)
    return {"shape": tuple(first.shape), "dtype": str(first.dtype),
            "every image is one of the data set's": from_data(first) and from_data(second),
            "same generator seed, same batch": bool(torch.equal(first, again)),
            "two batches in a row differ": not torch.equal(again, second),
            f"every image of the data set is drawn in {FAIR_BATCHES} batches": bool((counts > 0).all()),
            "each image is drawn about equally often": bool(((share * len(images) - 1).abs() < 0.4).all()),
            "each draw is independent of the one before": neighbours < 0.5 * pairs,
            "a batch is not one image repeated": repeats < 0.5 * pairs}


def batch_case(name, n_images=40, batch_size=8, hint="", seed=0) -> Case:
    def inputs(gen):
        return dict(images=torch.rand(n_images, 1, 28, 28, generator=gen), batch_size=batch_size, seed=seed)
    return Case(name, inputs, run=run_real_batch, hint=hint, seed=seed)


REAL_BATCH_CASES = (
    batch_case("8 of 40 images", hint=(
        "'real' images come from the data set: index it with torch.randint(0, len(images), (batch_size,), "
        "generator=generator), one index per image of the batch. Uniform noise is not data."), seed=1),
    batch_case("a batch larger than the data set", n_images=5, batch_size=12, hint=(
        "draw batch_size indices with replacement (torch.randint(0, len(images), (batch_size,), ...)), so any "
        "batch size works."), seed=2),
)

# ---------------------------------------------------------------------------
# gan.generator and gan.discriminator (the article's shapes did not fit)
# ---------------------------------------------------------------------------

Z_DIM = 64


class GeneratorReference(nn.Module):
    """z (N, 64) -> images (N, 1, 28, 28) float32 in [0, 1]: a linear layer to 7x7 maps, then two
    2x upsampling convolutions (7 -> 14 -> 28) and a sigmoid."""

    def __init__(self, z_dim: int = Z_DIM, width: int = 32):
        super().__init__()
        self.width = width
        self.fc = nn.Sequential(nn.Linear(z_dim, width * 7 * 7), nn.ReLU())
        self.net = nn.Sequential(
            nn.ConvTranspose2d(width, width, 4, stride=2, padding=1), nn.BatchNorm2d(width), nn.ReLU(),
            nn.ConvTranspose2d(width, 1, 4, stride=2, padding=1), nn.Sigmoid())

    def forward(self, z):
        return self.net(self.fc(z).view(-1, self.width, 7, 7))


class DiscriminatorReference(nn.Module):
    """Images (N, 1, 28, 28) in [0, 1] -> logits (N,): two strided convolutions, no sigmoid at the end."""

    def __init__(self, width: int = 32):
        super().__init__()
        self.net = nn.Sequential(
            nn.Conv2d(1, width, 4, stride=2, padding=1), nn.LeakyReLU(0.2),
            nn.Conv2d(width, 2 * width, 4, stride=2, padding=1), nn.LeakyReLU(0.2),
            nn.Flatten(), nn.Linear(2 * width * 7 * 7, 1))

    def forward(self, x):
        return self.net(x).squeeze(1)


def _fresh_float(model_class):
    with torch.random.fork_rng(devices=[]):
        torch.manual_seed(0)
        return model_class()


def run_generate(model_class, inputs):
    """Shape, dtype, range, and whether the output depends on z."""
    G = _fresh_float(model_class).eval()
    with torch.no_grad():
        a, b = G(inputs["z"]), G(inputs["z"] + 1.0)
    return {"shape": tuple(a.shape), "dtype": str(a.dtype),
            "values in [0, 1]": bool(a.min() >= 0 and a.max() <= 1),
            # a clamp (after a tanh, say) pins pixels at exactly 0 or 1, where no gradient flows
            "fewer than 1% of the pixels at exactly 0 or 1": bool(((a == 0) | (a == 1)).float().mean() < 0.01),
            "different z, different images": bool((a - b).abs().max() > 1e-4)}


def run_g_gradients(model_class, inputs):
    """Whether a loss on the images sends a gradient to every parameter."""
    G = _fresh_float(model_class)
    G(inputs["z"]).mean().backward()
    return {"every parameter gets a gradient": all(p.grad is not None for p in G.parameters())}


def _z(gen):
    return dict(z=torch.randn(5, Z_DIM, generator=gen))


GENERATOR_CASES = (
    Case("z (5, 64) -> images (5, 1, 28, 28) float32 in [0, 1], depending on z", _z, run=run_generate, hint=(
        "the discriminator and the data are 28 x 28: upsample 7 -> 14 -> 28 (or reshape a linear layer's output to "
        "(N, 1, 28, 28)), and end in a sigmoid (images of the course are in [0, 1]; a tanh mapped with a clamp "
        "leaves pixels at exactly 0 with no gradient: map it with (x + 1) / 2)."), seed=1),
    Case("a gradient reaches every parameter", _z, run=run_g_gradients, hint=(
        "every layer must be used in forward (no layer built in __init__ and left out)."), seed=2),
)

D_TRAIN_STEPS = 40


def run_d_forward(model_class, inputs):
    D = _fresh_float(model_class).eval()
    with torch.no_grad():
        out = D(inputs["x"])
    return {"shape": tuple(out.shape), "dtype": str(out.dtype)}


def _two_kinds(gen):
    """16 'real' images (a bright disc) and 16 'fake' ones (uniform noise), float32 (N, 1, 28, 28)."""
    yy, xx = torch.meshgrid(torch.arange(28.0), torch.arange(28.0), indexing="ij")
    disc = ((yy - 14) ** 2 + (xx - 14) ** 2 < 64).float()
    real = (0.8 * disc + 0.1 * torch.rand(16, 1, 28, 28, generator=gen)).clamp(0, 1)
    fake = torch.rand(16, 1, 28, 28, generator=gen)
    return dict(real=real, fake=fake)


def run_d_learns(model_class, inputs):
    """Train with BCE-with-logits (Adam) to tell the two kinds apart; the final loss per image."""
    D = _fresh_float(model_class)
    opt = torch.optim.Adam(D.parameters(), lr=1e-3)
    real, fake = inputs["real"], inputs["fake"]
    for _ in range(D_TRAIN_STEPS):
        opt.zero_grad()
        loss = discriminator_loss_reference(D(real), D(fake)) / 2
        loss.backward()
        opt.step()
    D.eval()
    with torch.no_grad():
        real_logits, fake_logits = D(real), D(fake)
        outputs = torch.cat([real_logits.flatten(), fake_logits.flatten()])
        return {"loss": (discriminator_loss_reference(real_logits, fake_logits) / 2).item(),
                "outputs_in_0_1": bool(((outputs >= 0) & (outputs <= 1)).all()),
                "outputs_min": outputs.min().item(), "outputs_max": outputs.max().item()}


def compare_d_learns(expected, got, inputs):
    loss = got.get("loss") if isinstance(got, dict) else None
    if not isinstance(loss, float):
        return f"training did not produce a loss; got {got!r:.200}"
    if not loss < 0.1:
        said = (f"after {D_TRAIN_STEPS} Adam steps the mean binary cross-entropy (on logits) is {loss:.3f}; expected "
                "below 0.1. ")
        low, high = got.get("outputs_min"), got.get("outputs_max")
        if got.get("outputs_in_0_1"):
            return said + ("All its outputs lie in [0, 1], as a sigmoid's do: a network that ends in a sigmoid "
                           "returns probabilities, and BCE-with-logits then treats them as logits in (0, 1), so it "
                           "can never be confident. (A ReLU at the end does the same harm: no output below 0.)")
        if isinstance(low, float) and isinstance(high, float):
            if low >= 0:
                return said + ("All its outputs are at least 0, as a ReLU's are: a logit below 0 is how D says "
                               "'fake', so on the fakes BCE-with-logits never falls below log 2 = 0.693. Return "
                               "the last linear layer's output as it is, with no activation after it.")
            if high <= 0:
                return said + ("All its outputs are at most 0, as a log-probability's are (F.logsigmoid, "
                               "log_softmax): a logit above 0 is how D says 'real', so on the real images "
                               "BCE-with-logits never falls below log 2 = 0.693. Return the last linear layer's "
                               "output as it is, with no activation after it.")
            if low >= -1 and high <= 1:
                return said + ("All its outputs lie in [-1, 1], as a tanh's do: BCE-with-logits on a logit in "
                               "[-1, 1] is at least log(1 + e^-1) = 0.313 for every image, so it can never be "
                               "confident. Return the last linear layer's output as it is, with no tanh.")
        return said + ("Its outputs are not confined to [0, 1] or [-1, 1], so it learns, but too slowly: compare it "
                       "with the design the task suggests (two strided 4x4 convolutions, a flatten, one linear "
                       "layer).")
    return None


DISCRIMINATOR_CASES = (
    Case("images (5, 1, 28, 28) -> logits (5,) float32",
         lambda gen: dict(x=torch.rand(5, 1, 28, 28, generator=gen)), run=run_d_forward, hint=(
             "take the images as they come, (N, 1, 28, 28) (the article's network expected flattened 784-vectors); "
             "return one logit per image: squeeze the last axis of a (N, 1) output."), seed=1),
    Case("one image (1, 1, 28, 28) -> logits (1,)",
         lambda gen: dict(x=torch.rand(1, 1, 28, 28, generator=gen)), run=run_d_forward, hint=(
             "squeeze only the last axis, .squeeze(1): a bare .squeeze() also removes the batch axis when N = 1 "
             "and returns a 0-d tensor."), seed=3),
    Case(f"learns to tell discs from noise within {D_TRAIN_STEPS} Adam steps", _two_kinds, run=run_d_learns,
         compare=compare_d_learns, hint=(
             "return raw logits, with no sigmoid (nor tanh, nor ReLU) after the last linear layer; the design the "
             "task suggests learns this case well within the steps allowed."), seed=2),
)

# coursekit's own answers (the chapter's GANs use them): a notebook function or class that only
# calls one of them earns no points, as one imported from coursekit does not.
_LOSSES = ("coursekit.gan.d_loss", "coursekit.gan.g_loss")
TASKS = [
    Task("gan.d_loss", "the discriminator's loss", "discriminator_loss", 3, discriminator_loss_reference,
         D_LOSS_CASES, forbidden=_LOSSES),
    Task("gan.g_loss", "the non-saturating generator loss", "generator_loss", 2, generator_loss_reference,
         G_LOSS_CASES, forbidden=_LOSSES),
    Task("gan.optimal_d", "the optimal discriminator", "optimal_discriminator", 2, optimal_discriminator_reference,
         OPTIMAL_D_CASES, forbidden=("coursekit.gan.optimal_discriminator",)),
    Task("gan.conditioning", "label conditioning", "add_labels", 2, add_labels_reference, CONDITIONING_CASES),
    Task("gan.train_step", "one GAN training step", "train_step", 3, train_step_reference, TRAIN_STEP_CASES,
         forbidden=_LOSSES),
    Task("gan.real_batch", "debugging: real data, not noise", "real_batch", 1, real_batch_reference,
         REAL_BATCH_CASES),
    Task("gan.generator", "debugging: a generator that makes 28 x 28 images", "Generator", 2, GeneratorReference,
         GENERATOR_CASES, forbidden=("coursekit.models.gan.Generator", "coursekit.models.gan.ConditionalGenerator")),
    Task("gan.discriminator", "debugging: a discriminator on images, returning logits", "Discriminator", 2,
         DiscriminatorReference, DISCRIMINATOR_CASES,
         forbidden=("coursekit.models.gan.Discriminator", "coursekit.models.gan.ConditionalDiscriminator")),
]

"""Generative adversarial networks: the losses, one training step, and the 1D theory.

Conventions (every GAN in the course follows them):

* images are ``(N, C, H, W)`` float32 in [0, 1], like every other chapter: a
  generator ends in a sigmoid, not a tanh;
* a discriminator returns **logits** ``(N,)`` (real numbers, not
  probabilities); ``D(x) = sigmoid(logit)`` is its probability that ``x`` is
  real. Losses take logits and use ``binary_cross_entropy_with_logits``, which
  never takes the log of a probability that rounded to 0;
* unconditional networks are called ``G(z)`` with ``z`` ``(N, z_dim)`` float32
  standard normal, and ``D(x)``; conditional ones ``G(z, y)`` and ``D(x, y)``
  with ``y`` ``(N,)`` int64 class labels.

Contents

* :func:`d_loss`, :func:`g_loss`: discriminator and generator losses
  (non-saturating by default, the saturating one for the demonstration);
  :func:`d_hinge_loss`, :func:`g_hinge_loss`: the hinge version used with
  spectral normalisation (the recipe of the chapter's medical GANs);
* :func:`gan_step`: a ``step_fn`` for :func:`coursekit.train.fit` doing one
  discriminator update, then one generator update;
* the theory on a grid: :func:`optimal_discriminator`, :func:`jsd`,
  :func:`value_function`; and on samples: :class:`Mixture1D`,
  :class:`Discriminator1D`, :func:`train_discriminator_1d`,
  :func:`value_estimate`;
* the dynamics of the game: :func:`bilinear_game` (gradient play on
  ``V(x, y) = x y``) and :func:`running_average` (why the chapter samples from
  an average of the generator's weights).
"""
from __future__ import annotations

import math
from dataclasses import dataclass
from typing import Callable, Sequence

import numpy as np
import torch
import torch.nn.functional as F
from torch import nn

from .checks import check_positive_int, check_unit_range

__all__ = ["d_loss", "g_loss", "d_hinge_loss", "g_hinge_loss", "LOSSES", "gan_step", "optimal_discriminator", "jsd", "value_function", "MINUS_LOG4",
           "Mixture1D", "Discriminator1D", "train_discriminator_1d", "discriminator_on_grid", "value_estimate",
           "kde_discriminator", "generator_gradient", "bilinear_game", "running_average"]

MINUS_LOG4 = -math.log(4.0)
"""The value of the game at its equilibrium p_g = p_data, D = 1/2: log(1/2) + log(1/2)."""


# ---------------------------------------------------------------------------
# Losses
# ---------------------------------------------------------------------------

def _check_logits(x, name: str) -> torch.Tensor:
    if not isinstance(x, torch.Tensor) or not x.is_floating_point():
        got = f"tensor of dtype {x.dtype}" if isinstance(x, torch.Tensor) else type(x).__name__
        raise TypeError(f"{name}: expected a float tensor of discriminator logits (N,); got {got}")
    if x.numel() == 0:
        raise ValueError(f"{name}: expected at least one logit; got an empty tensor of shape {tuple(x.shape)}")
    return x


def d_loss(real_logits: torch.Tensor, fake_logits: torch.Tensor, smooth: float = 0.0) -> torch.Tensor:
    """The discriminator's loss: binary cross-entropy on logits, to be **minimised**.

    ``real_logits``: D's logits on real images, ``(N,)`` float; target ``1 - smooth``.
    ``fake_logits``: D's logits on generated images, ``(M,)`` float; target 0.
    ``smooth``: one-sided label smoothing in [0, 1) (0.1 is common): only the
    real target moves, so D is not pushed to call fakes partly real.

    Returns the scalar ``mean_real BCE + mean_fake BCE`` (a **sum** of the two
    means, not their average). With ``smooth=0`` it equals
    ``-[mean log D(x) + mean log(1 - D(G(z)))]``, minus the value function.
    """
    _check_logits(real_logits, "real_logits")
    _check_logits(fake_logits, "fake_logits")
    if not isinstance(smooth, (int, float)) or isinstance(smooth, bool) or not 0.0 <= smooth < 1.0:
        raise ValueError(f"smooth must be a number in [0, 1) (e.g. 0.1); got {smooth!r}")
    real = F.binary_cross_entropy_with_logits(real_logits, torch.full_like(real_logits, 1.0 - smooth))
    fake = F.binary_cross_entropy_with_logits(fake_logits, torch.zeros_like(fake_logits))
    return real + fake


def g_loss(fake_logits: torch.Tensor, saturating: bool = False) -> torch.Tensor:
    """The generator's loss on D's logits for generated images ``(N,)``, to be **minimised**.

    * ``saturating=False`` (use this): the non-saturating loss
      ``-mean log D(G(z))`` = BCE with target 1. Its gradient with respect to a
      logit is ``-(1 - D(G(z)))``: close to -1 when D easily rejects the fakes.
    * ``saturating=True`` (for the demonstration only): the minimax loss
      ``mean log(1 - D(G(z)))`` (a negative number). Its gradient with respect
      to a logit is ``-D(G(z))``: close to 0 when D easily rejects the fakes,
      so the generator stalls at the start of training.

    Both are computed from logits (``log D = -softplus(-l)``,
    ``log(1 - D) = -softplus(l)``), never from rounded probabilities.
    """
    _check_logits(fake_logits, "fake_logits")
    if not isinstance(saturating, bool):
        raise TypeError(f"saturating must be True or False; got {saturating!r}")
    if saturating:
        return -F.softplus(fake_logits).mean()
    return F.binary_cross_entropy_with_logits(fake_logits, torch.ones_like(fake_logits))


def d_hinge_loss(real_logits: torch.Tensor, fake_logits: torch.Tensor) -> torch.Tensor:
    """The discriminator's hinge loss (Lim & Ye, 2017; Miyato et al., 2018), to be **minimised**:
    ``mean relu(1 - D(x)) + mean relu(1 + D(G(z)))`` on logits ``(N,)`` and ``(M,)``.

    A real logit above +1 or a fake one below -1 costs nothing and gets no
    gradient: the discriminator stops pushing on images it already separates
    with a margin, and spends its capacity on the others. A scalar >= 0.
    """
    _check_logits(real_logits, "real_logits")
    _check_logits(fake_logits, "fake_logits")
    return F.relu(1.0 - real_logits).mean() + F.relu(1.0 + fake_logits).mean()


def g_hinge_loss(fake_logits: torch.Tensor) -> torch.Tensor:
    """The generator's loss that goes with :func:`d_hinge_loss`: ``-mean D(G(z))`` on logits ``(N,)``.

    Its gradient with respect to every logit is ``-1/N``, however confidently
    the discriminator rejects the fakes, so it does not saturate either.
    """
    _check_logits(fake_logits, "fake_logits")
    return -fake_logits.mean()


LOSSES = ("bce", "hinge")
"""The loss pairs :func:`gan_step` knows: cross-entropy (:func:`d_loss`, :func:`g_loss`) and hinge."""


# ---------------------------------------------------------------------------
# One training step for coursekit.train.fit
# ---------------------------------------------------------------------------

def _split_batch(batch):
    if isinstance(batch, torch.Tensor):
        return batch, None
    if isinstance(batch, (tuple, list)) and len(batch) in (1, 2):
        return batch[0], (batch[1] if len(batch) == 2 else None)
    raise TypeError(f"a GAN batch is an image tensor or an (images, labels) pair; got {type(batch).__name__}"
                    + (f" of length {len(batch)}" if isinstance(batch, (tuple, list)) else ""))


def _check_d_steps(d_steps) -> None:
    if not isinstance(d_steps, int) or isinstance(d_steps, bool) or d_steps < 1:
        raise ValueError(f"d_steps (discriminator updates per generator update) must be a positive int; "
                         f"got {d_steps!r}")


def gan_step(G: nn.Module, D: nn.Module, opt_g: torch.optim.Optimizer, opt_d: torch.optim.Optimizer,
             z_dim: int, n_classes: int | None = None, smooth: float = 0.0, device=None,
             saturating: bool = False, loss: str = "bce", d_steps: int = 1) -> Callable:
    """A ``step_fn(model, batch) -> dict`` for :func:`coursekit.train.fit`.

    Use it as::

        step = gan_step(G, D, opt_g, opt_d, z_dim=64)
        fit(nn.ModuleDict({"G": G, "D": D}), batches, step_fn=step,
            optimizer={"G": opt_g, "D": opt_d}, epochs=...)

    Each call does, on a batch ``x`` ``(N, C, H, W)`` in [0, 1] (with labels
    ``y`` ``(N,)`` int64 when ``n_classes`` is set):

    1. draws ``z`` ``(N, z_dim)`` from a standard normal and makes
       ``fake = G(z)`` (conditional: ``G(z, y)`` with the batch's own labels);
    2. **D update**: ``d_loss(D(x), D(fake.detach()), smooth)``. The
       ``detach()`` cuts the graph, so this step puts no gradient into G;
    3. **G update**: ``g_loss(D(fake))`` (non-saturating unless
       ``saturating=True``), through the freshly updated D.

    ``loss="hinge"`` uses :func:`d_hinge_loss` and :func:`g_hinge_loss` in
    steps 2 and 3 instead (``smooth`` and ``saturating`` belong to the
    cross-entropy loss and must keep their defaults).

    ``d_steps`` > 1 gives the discriminator that many updates per generator
    update, each on its own real images (as SN-GAN and WGAN-GP train their
    critics): the batch, ``d_steps * B`` images, is split into ``d_steps``
    parts of ``B``; steps 1 and 2 run on each part in turn with fresh noise,
    and step 3 runs once, on the last part's fakes. Per pass over the data G
    is then updated ``d_steps`` times less often.

    ``device``: where each batch (images, and labels when given) is moved with ``.to(device)``
    before the step, and so where the noise ``z`` is drawn; ``None`` (the default) leaves the
    batch where it is (e.g. where :class:`~coursekit.data.DeviceBatches` put it). ``G`` and
    ``D`` are not moved: put them on that device first.

    Returns ``{"d_loss", "g_loss", "d_real", "d_fake"}`` as 0-dim tensors:
    the two losses and the mean probabilities ``D(x)`` and ``D(G(z))`` of the
    D update (``sigmoid`` of the logits; under the hinge loss a score in
    (0, 1) that grows with the logit, not a calibrated probability; with
    ``d_steps`` > 1, means over the D updates). ``fit`` averages them over the
    epoch (as ``train_d_loss``...).
    ``model`` (what ``fit`` passes) is not used: ``G`` and ``D`` are.
    """
    if not isinstance(G, nn.Module) or not isinstance(D, nn.Module):
        raise TypeError(f"G and D must be torch.nn.Modules; got {type(G).__name__} and {type(D).__name__}")
    for name, opt in (("opt_g", opt_g), ("opt_d", opt_d)):
        if not isinstance(opt, torch.optim.Optimizer):
            raise TypeError(f"{name} must be a torch.optim.Optimizer; got {type(opt).__name__}")
    check_positive_int(z_dim, "z_dim")
    if n_classes is not None and (not isinstance(n_classes, int) or isinstance(n_classes, bool) or n_classes < 2):
        raise ValueError(f"n_classes must be None (unconditional) or an int >= 2; got {n_classes!r}")
    if not 0.0 <= smooth < 1.0:
        raise ValueError(f"smooth must be in [0, 1); got {smooth!r}")
    if loss not in LOSSES:
        raise ValueError(f"loss must be one of {LOSSES}; got {loss!r}")
    if loss == "hinge" and (smooth or saturating):
        raise ValueError("smooth and saturating apply to the cross-entropy loss (loss='bce'), not to the hinge loss")
    _check_d_steps(d_steps)
    conditional = n_classes is not None
    if loss == "hinge":
        loss_of_d, loss_of_g = d_hinge_loss, g_hinge_loss
    else:
        def loss_of_d(real, fake):
            return d_loss(real, fake, smooth=smooth)

        def loss_of_g(fake):
            return g_loss(fake, saturating=saturating)

    first = [True]

    def step_fn(model, batch) -> dict:
        x, y = _split_batch(batch)
        if first[0]:   # the first batch stands for the data set; checking every batch would sync a GPU
            check_unit_range(x, "real images")   # the generators end in a sigmoid: fakes are in [0, 1]
            first[0] = False
        if device is not None:
            x = x.to(device)
            y = y.to(device) if y is not None else None
        if conditional:
            if y is None:
                raise ValueError("a conditional GAN (n_classes set) needs (images, labels) batches; got no labels")
            if y.dtype != torch.int64 or y.ndim != 1:
                raise TypeError(f"labels must be (N,) int64 class indices; got shape {tuple(y.shape)}, "
                                f"dtype {y.dtype}")
        if x.shape[0] % d_steps:
            raise ValueError(f"d_steps={d_steps} splits each batch into {d_steps} equal parts, one per "
                             f"discriminator update; got a batch of {x.shape[0]} images")
        part = x.shape[0] // d_steps
        d_logs = []
        for i in range(d_steps):
            xi = x[i * part:(i + 1) * part]
            yi = y[i * part:(i + 1) * part] if conditional else None
            last = i == d_steps - 1
            z = torch.randn(part, z_dim, device=x.device)
            with torch.set_grad_enabled(last):   # only the last part's fakes train G: no graph for the others
                fake = G(z, yi) if conditional else G(z)

            # 1) the discriminator: its loss pushes real logits up and fake ones down (BCE: targets
            #    1, or 1 - smooth, and 0; hinge: real above +1, fake below -1); G is frozen by detach()
            opt_d.zero_grad(set_to_none=True)
            real_logits = D(xi, yi) if conditional else D(xi)
            fake_logits = D(fake.detach(), yi) if conditional else D(fake.detach())
            loss_d = loss_of_d(real_logits, fake_logits)
            loss_d.backward()
            opt_d.step()
            d_logs.append(torch.stack([loss_d.detach(), torch.sigmoid(real_logits.detach()).mean(),
                                       torch.sigmoid(fake_logits.detach()).mean()]))

        # 2) the generator: make the updated D call the same fakes real
        opt_g.zero_grad(set_to_none=True)
        logits_g = D(fake, yi) if conditional else D(fake)
        loss_g = loss_of_g(logits_g)
        loss_g.backward()
        opt_g.step()

        d_loss_mean, d_real, d_fake = torch.stack(d_logs).mean(0)
        return {"d_loss": d_loss_mean, "g_loss": loss_g.detach(), "d_real": d_real, "d_fake": d_fake}

    return step_fn


# ---------------------------------------------------------------------------
# Theory on a grid: densities as NumPy arrays
# ---------------------------------------------------------------------------

def _densities(p, q, names=("p_data", "p_g")) -> tuple[np.ndarray, np.ndarray]:
    p, q = np.asarray(p, dtype=np.float64), np.asarray(q, dtype=np.float64)
    if p.shape != q.shape:
        raise ValueError(f"{names[0]} and {names[1]} must have the same shape; got {p.shape} and {q.shape}")
    if not (np.all(np.isfinite(p)) and np.all(np.isfinite(q))) or (p < 0).any() or (q < 0).any():
        raise ValueError(f"{names[0]} and {names[1]} must be finite, non-negative densities")
    return p, q


def optimal_discriminator(p_data, p_g) -> np.ndarray:
    """``D*(x) = p_data(x) / (p_data(x) + p_g(x))``, elementwise.

    ``p_data``, ``p_g``: array-likes of the same shape, densities (>= 0) at the
    same points. Returns float64 values in [0, 1]; NaN where both densities are
    0 (no sample ever lands there, so any D is optimal there).
    """
    p, q = _densities(p_data, p_g)
    total = p + q
    with np.errstate(invalid="ignore", divide="ignore"):
        return np.where(total > 0, p / np.where(total > 0, total, 1.0), np.nan)


def _integrate(values: np.ndarray, x) -> float:
    if x is None:
        return float(values.sum())
    x = np.asarray(x, dtype=np.float64)
    if x.shape != values.shape or x.ndim != 1 or np.any(np.diff(x) <= 0):
        raise ValueError(f"x must be an increasing 1D grid with one point per density value; got shape {x.shape} "
                         f"for values of shape {values.shape}")
    from scipy.integrate import trapezoid     # np.trapezoid is NumPy 2 only

    return float(trapezoid(values, x))


def _check_density(values: np.ndarray, x, name: str, tol: float = 0.02) -> None:
    """Refuse values that do not integrate to 1 over the grid ``x`` (within ``tol``): unnormalised
    values, histogram counts, or a grid that cuts off part of the mass give numbers outside the
    theory's ranges (a "JSD" above log 2)."""
    total = _integrate(values, x)
    if abs(total - 1.0) > tol:
        raise ValueError(f"{name} integrates to {total:.4g} over x, not 1: pass densities whose integral over x "
                         "is 1 (widen the grid if it cuts off part of the mass), or masses on bins with x=None")


def _xlogy(a: np.ndarray, b: np.ndarray) -> np.ndarray:
    """a * log(b) with 0 * log(0) = 0."""
    with np.errstate(divide="ignore", invalid="ignore"):
        return np.where(a > 0, a * np.log(np.where(b > 0, b, 1.0)) + np.where(b > 0, 0.0, -np.inf), 0.0)


def jsd(p, q, x=None) -> float:
    """Jensen-Shannon divergence in nats, in [0, log 2].

    ``JSD(p || q) = KL(p || m) / 2 + KL(q || m) / 2`` with ``m = (p + q) / 2``.

    ``x=None``: ``p`` and ``q`` are probability masses on the same bins (each
    is normalised to sum to 1). ``x`` given (an increasing 1D grid): ``p`` and
    ``q`` are densities at those points, integrated with the trapezoid rule;
    each must integrate to 1 over ``x`` within 0.02 (a grid wide enough to hold the mass).
    """
    p, q = _densities(p, q, ("p", "q"))
    if x is None:
        if p.sum() <= 0 or q.sum() <= 0:
            raise ValueError("p and q must each have positive total mass")
        p, q = p / p.sum(), q / q.sum()
    else:
        _check_density(p, x, "p")
        _check_density(q, x, "q")
    m = 0.5 * (p + q)
    integrand = 0.5 * (_xlogy(p, p) - _xlogy(p, m)) + 0.5 * (_xlogy(q, q) - _xlogy(q, m))
    return _integrate(integrand, x)


def value_function(d, p_data, p_g, x=None) -> float:
    """``V(D, G) = E_{p_data}[log D(x)] + E_{p_g}[log(1 - D(x))]`` on a grid.

    ``d``: discriminator probabilities in [0, 1] at the grid points (NaN only
    where both densities are 0). Densities and ``x`` as in :func:`jsd`
    (``x=None``: masses, normalised here to sum to 1). With
    ``d = optimal_discriminator(p_data, p_g)`` the result is
    ``-log 4 + 2 JSD(p_data || p_g)`` when the two carry equal total mass (true
    densities, or normalised masses); ``optimal_discriminator`` does not normalise.
    """
    p, q = _densities(p_data, p_g)
    d = np.asarray(d, dtype=np.float64)
    if d.shape != p.shape:
        raise ValueError(f"d must have one value per grid point, shape {p.shape}; got {d.shape}")
    d = np.where((p + q) > 0, d, 0.5)
    if np.any(np.isnan(d)) or (d < 0).any() or (d > 1).any():
        raise ValueError("d must hold probabilities in [0, 1]")
    if x is None:
        p, q = p / p.sum(), q / q.sum()
    else:
        _check_density(p, x, "p_data")
        _check_density(q, x, "p_g")
    return _integrate(_xlogy(p, d) + _xlogy(q, 1.0 - d), x)


# ---------------------------------------------------------------------------
# Theory on samples: 1D distributions and a small discriminator
# ---------------------------------------------------------------------------

@dataclass(frozen=True)
class Mixture1D:
    """A mixture of 1D Gaussians: ``means``, ``stds`` (> 0), ``weights`` (normalised)."""

    means: Sequence[float]
    stds: Sequence[float]
    weights: Sequence[float] | None = None

    def __post_init__(self):
        k = len(self.means)
        w = [1.0 / k] * k if self.weights is None else list(self.weights)
        if k == 0 or len(self.stds) != k or len(w) != k:
            raise ValueError(f"means, stds and weights need the same, non-zero length; got {len(self.means)}, "
                             f"{len(self.stds)}, {len(w)}")
        if any(s <= 0 for s in self.stds) or any(v < 0 for v in w) or sum(w) <= 0:
            raise ValueError("stds must be > 0 and weights >= 0 with a positive sum")
        object.__setattr__(self, "weights", tuple(v / sum(w) for v in w))

    def pdf(self, x) -> np.ndarray:
        """Density at the points ``x`` (array-like), float64, same shape."""
        x = np.asarray(x, dtype=np.float64)
        out = np.zeros_like(x)
        for m, s, w in zip(self.means, self.stds, self.weights):
            out += w * np.exp(-0.5 * ((x - m) / s) ** 2) / (s * math.sqrt(2 * math.pi))
        return out

    def toward(self, other: "Mixture1D", t: float) -> "Mixture1D":
        """The mixture whose means, stds and weights are ``(1 - t) * self + t * other``
        (both need the same number of components): ``t=0`` is ``self``, ``t=1`` is ``other``."""
        if len(self.means) != len(other.means):
            raise ValueError(f"both mixtures need the same number of components; got {len(self.means)} "
                             f"and {len(other.means)}")
        if not 0.0 <= t <= 1.0:
            raise ValueError(f"t must be in [0, 1]; got {t!r}")

        def lerp(a, b):
            return tuple((1 - t) * u + t * v for u, v in zip(a, b))

        return Mixture1D(lerp(self.means, other.means), lerp(self.stds, other.stds),
                         lerp(self.weights, other.weights))

    def sample(self, n: int, generator: torch.Generator | None = None) -> torch.Tensor:
        """``n`` samples as an ``(n, 1)`` float32 tensor."""
        comp = torch.multinomial(torch.tensor(self.weights), n, replacement=True, generator=generator)
        means = torch.tensor(self.means, dtype=torch.float32)[comp]
        stds = torch.tensor(self.stds, dtype=torch.float32)[comp]
        return (means + stds * torch.randn(n, generator=generator)).unsqueeze(1)


class Discriminator1D(nn.Module):
    """A small MLP on scalars: ``(N, 1)`` float32 -> logits ``(N,)``.

    ``center`` and ``scale`` standardise the input (set them to the range of
    the data), which makes the optimisation much easier.
    """

    def __init__(self, hidden: int = 64, center: float = 0.0, scale: float = 1.0):
        super().__init__()
        self.center, self.scale = float(center), float(scale)
        self.net = nn.Sequential(nn.Linear(1, hidden), nn.Tanh(), nn.Linear(hidden, hidden), nn.Tanh(),
                                 nn.Linear(hidden, 1))

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        return self.net((x - self.center) / self.scale).squeeze(1)


def train_discriminator_1d(p_data: Mixture1D, p_g: Mixture1D, steps: int = 2000, batch_size: int = 512,
                           hidden: int = 64, lr: float = 1e-2, seed: int = 0,
                           D: Discriminator1D | None = None) -> tuple[Discriminator1D, list[float]]:
    """Train a :class:`Discriminator1D` with :func:`d_loss` against a **fixed** generator.

    Every step draws fresh samples of ``p_data`` (real) and ``p_g`` (fake), so
    with enough steps and capacity D approaches ``D*`` of
    :func:`optimal_discriminator`. Adam, learning rate decayed (cosine) to 0
    over ``steps``. Pass ``D`` to continue training an existing one.
    Returns ``(D, losses)``, ``losses`` the d_loss of every step.

    Runs on the CPU with one thread: for a network this small, thread
    start-up costs more than the arithmetic (the previous setting is restored).
    """
    check_positive_int(steps, "steps")
    threads = torch.get_num_threads()
    torch.set_num_threads(1)
    try:
        return _train_discriminator_1d(p_data, p_g, steps, batch_size, hidden, lr, seed, D)
    finally:
        torch.set_num_threads(threads)


def _train_discriminator_1d(p_data, p_g, steps, batch_size, hidden, lr, seed, D):
    gen = torch.Generator().manual_seed(seed)
    if D is None:
        with torch.random.fork_rng(devices=[]):
            torch.manual_seed(seed)
            lo = min(min(p_data.means), min(p_g.means))
            hi = max(max(p_data.means), max(p_g.means))
            spread = max(max(p_data.stds), max(p_g.stds))
            D = Discriminator1D(hidden, center=(lo + hi) / 2, scale=(hi - lo) / 2 + 2 * spread)
    opt = torch.optim.Adam(D.parameters(), lr=lr)
    sched = torch.optim.lr_scheduler.CosineAnnealingLR(opt, T_max=steps)
    losses = []
    for _ in range(steps):
        real, fake = p_data.sample(batch_size, gen), p_g.sample(batch_size, gen)
        loss = d_loss(D(real), D(fake))
        opt.zero_grad(set_to_none=True)
        loss.backward()
        opt.step()
        sched.step()
        losses.append(loss.item())
    return D, losses


@torch.no_grad()
def discriminator_on_grid(D: nn.Module, x) -> np.ndarray:
    """``sigmoid(D(x))`` at the grid points ``x`` (1D array-like), as float64 NumPy."""
    xt = torch.as_tensor(np.asarray(x, dtype=np.float32)).unsqueeze(1)
    return torch.sigmoid(D(xt)).double().numpy()


@torch.no_grad()
def value_estimate(D: nn.Module, p_data: Mixture1D, p_g: Mixture1D, n: int = 100_000, seed: int = 1) -> float:
    """Monte Carlo ``V(D, G) = mean log D(x_real) + mean log(1 - D(x_fake))`` on ``n`` fresh samples each
    (``= -d_loss`` with no smoothing)."""
    gen = torch.Generator().manual_seed(seed)
    return -float(d_loss(D(p_data.sample(n, gen)), D(p_g.sample(n, gen))))


def kde_discriminator(real, fake, x) -> np.ndarray:
    """The classical plug-in estimate of ``D*``: Gaussian kernel density estimates
    (Scott's bandwidth, :class:`scipy.stats.gaussian_kde`) of the real and the fake
    samples, put into :func:`optimal_discriminator` at the points ``x``.

    ``real``, ``fake``: 1D samples (array-likes or ``(n, 1)`` tensors). Returns float64 in [0, 1].
    """
    from scipy.stats import gaussian_kde

    real = np.asarray(real, dtype=np.float64).ravel()
    fake = np.asarray(fake, dtype=np.float64).ravel()
    x = np.asarray(x, dtype=np.float64)
    return optimal_discriminator(gaussian_kde(real)(x), gaussian_kde(fake)(x))


def generator_gradient(D: nn.Module, x, saturating: bool = False) -> np.ndarray:
    """How hard the generator is pushed: ``d g_loss / d x`` for fake samples at the points ``x``.

    For each point separately (a batch of one), the derivative of
    :func:`g_loss` of ``D(x)`` with respect to the sample's position ``x``: what
    the generator receives through the chain rule. ``D``: (N, 1) -> logits (N,).
    Returns float64 NumPy, same length as ``x``.
    """
    xt = torch.as_tensor(np.asarray(x, dtype=np.float32)).reshape(-1, 1).requires_grad_(True)
    logits = D(xt)
    # per-sample losses: sum of the per-point losses, so each point gets its own derivative
    loss = g_loss(logits, saturating=saturating) * logits.numel()
    (grad,) = torch.autograd.grad(loss, xt)
    return grad.squeeze(1).double().numpy()


# ---------------------------------------------------------------------------
# The dynamics of the game: orbits, and their averages
# ---------------------------------------------------------------------------

def bilinear_game(steps: int, lr: float = 0.1, start=(1.0, 1.0), alternating: bool = True) -> np.ndarray:
    """Gradient play on the simplest zero-sum game, ``V(x, y) = x * y``.

    The generator's parameter ``x`` descends ``V``, the discriminator's ``y``
    ascends it; the only equilibrium is ``(0, 0)``. With ``alternating`` (the
    order of :func:`gan_step`) ``y`` steps first, ``y <- y + lr x``, then ``x``
    against the updated ``y``, ``x <- x - lr y``: the linear map
    ``[[1 - lr**2, -lr], [lr, 1]]`` on ``(x, y)``, of determinant 1 and trace ``2 - lr**2``,
    so for ``0 < lr < 2`` its eigenvalues are complex with modulus 1 and the point
    goes round the equilibrium on a closed orbit (an ellipse) and never reaches it. Without it both step from the same point, and the distance
    to ``(0, 0)`` grows by ``sqrt(1 + lr**2)`` every step.
    Returns ``(steps + 1, 2)`` float64: ``(x, y)`` at the start and after each step.
    """
    check_positive_int(steps, "steps")
    if not 0 < lr < 2:
        raise ValueError(f"lr must be in (0, 2) (at 2 and above even alternating steps diverge); got {lr!r}")
    start = np.asarray(start, dtype=np.float64)
    if start.shape != (2,):
        raise ValueError(f"start must be a point (x, y) of two numbers; got shape {start.shape}")
    out = np.empty((steps + 1, 2))
    x, y = out[0] = start
    for t in range(1, steps + 1):
        if alternating:
            y = y + lr * x
            x = x - lr * y
        else:
            x, y = x - lr * y, y + lr * x
        out[t] = x, y
    return out


def running_average(path, decay: float = 0.999) -> np.ndarray:
    """The exponential moving average of the points of ``path`` ``(T + 1, d)``, as
    ``train_gan(ema=...)`` keeps it of a generator's weights: it starts at ``path[0]`` and
    after step ``t`` moves ``1 - decay_t`` of the way to ``path[t]``, with ``decay_t`` from
    :func:`coursekit.optim.ema_decay_at`. Returns an array of ``path``'s shape."""
    from .optim import ema_decay_at

    path = np.asarray(path, dtype=np.float64)
    if path.ndim != 2 or len(path) < 1:
        raise ValueError(f"path must be (T + 1, d) points; got shape {path.shape}")
    out = np.empty_like(path)
    out[0] = path[0]
    for t in range(1, len(path)):
        d = ema_decay_at(t, decay)
        out[t] = d * out[t - 1] + (1 - d) * path[t]
    return out

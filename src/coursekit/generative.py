"""Evaluating generative models honestly: features, distances, samples, and what they are good for.

Nothing here trusts how samples *look*. Every measure compares generated
images with real ones in a stated space:

* :func:`features`: the penultimate-layer features of a classifier trained on
  the *real training split* (e.g. :class:`coursekit.models.SmallCNN`). FID
  uses an ImageNet Inception network; on 28 px medical images we use our own
  classifier instead, so we call the result **FD**, not FID, and always show
  the real-train versus real-test FD (the *floor*) beside it.
* :func:`frechet_distance`: the squared Fréchet (2-Wasserstein) distance
  between Gaussians fitted to two feature sets (what FID reports).
* :func:`precision_recall`: the k-nearest-neighbour manifold precision and
  recall of Kynkäänniemi et al. (2019): *are the samples realistic* and *do
  they cover the data*, measured separately.
* :func:`nearest_neighbour_distances` and :func:`fraction_closer`: the
  memorisation check (are generated images closer to training images than
  unseen real images are?).
* :func:`class_accuracy`, :func:`train_on_synthetic`: for conditional models,
  does a real-trained classifier recognise the intended class, and does a
  classifier trained on synthetic images work on real ones (TSTR)?
* :func:`generate`, :func:`interpolate`, :func:`class_samples`: sampling, and
  the pure functions behind the chapter's widgets (:func:`latent_explorer`,
  :func:`class_explorer`).
* :func:`train_gan`: the training recipe of the chapter (hinge loss, Adam with two
  time scales, :func:`coursekit.gan.gan_step`, :func:`coursekit.train.fit` with
  checkpoint and resume).
* :func:`gaussian_baseline`: a classical generative model (a Gaussian in PCA
  space) to compare a GAN with; :func:`choose_gaussian_components` sets its one
  parameter on validation images.
* :func:`truncation_sweep`: precision traded for recall by shrinking the noise;
  :func:`degradation_ladder` and :func:`equivalent_degradation`: a yardstick that
  reads a score as "as far from the data as real images blurred by sigma px".

The class-imbalance experiment built on these samples is :mod:`coursekit.imbalance`.

Arrays: feature sets are ``(N, d)`` float arrays or tensors; images are
``(N, C, H, W)`` float32 tensors in [0, 1].
"""
from __future__ import annotations

import inspect
import math
import warnings
from collections.abc import Mapping
from dataclasses import replace
from functools import partial

import numpy as np
import torch
from torch import nn

from . import classify, optim
from . import train as _train
from .checks import (check_candidates, check_class_labels, check_images, check_model_dtype, check_positive_int,
                     check_seed, check_unit_range, is_int)
from .data import DeviceBatches, MedMNIST
from .device import get_device, model_device

__all__ = ["GAN_RECIPES", "GAN_RECIPE", "train_gan", "features", "frechet_distance", "precision_recall",
           "nearest_neighbour_distances",
           "sample_quality", "fraction_closer", "closer_than_every", "memorisation_check", "class_accuracy",
           "as_dataset", "train_on_synthetic", "generate",
           "truncation_sweep", "DEGRADATIONS", "LADDER_METRICS", "degradation_ladder", "ladder_points",
           "ladder_to_keys", "ladder_from_keys", "equivalent_degradation", "interpolate", "class_samples", "montage",
           "latent_explorer", "class_explorer",
           "gaussian_baseline", "GAUSS_COMPONENTS", "choose_gaussian_components"]


# ------------------------------------------------------------------ training

GAN_RECIPES = {
    1: "the DCGAN recipe: BCE loss, Adam (0.5, 0.999) at 2e-4, transposed convolutions, no spectral normalisation",
    2: "hinge loss, Adam (0, 0.9) with D at 4e-4 and G at 1e-4, upsample-then-convolve generators, "
       "spectrally normalised discriminators",
}
"""The recipes that :func:`train_gan`'s defaults and the default networks of :mod:`coursekit.models.gan`
have made, by version (recipe 1 until commit 5549f21)."""
GAN_RECIPE = max(GAN_RECIPES)
"""The current recipe's version. Benchmarks that train GANs with the defaults record it (key
``gan_recipe``), so that a page can tell a result of an older recipe from one of the recipe it describes."""


def train_gan(G: nn.Module, D: nn.Module, images: torch.Tensor, labels: torch.Tensor | None = None, *,
              epochs: int, batch_size: int = 128, loss: str = "hinge", lr: float = 1e-4, lr_d: float | None = 4e-4,
              betas=(0.0, 0.9), smooth: float = 0.0, lr_decay_from: float | None = None,
              ema: nn.Module | None = None, ema_decay: float = 0.999, d_steps: int = 1, seed: int = 0,
              checkpoint=None, device=None, **fit_kwargs) -> _train.History:
    """Train a (conditional) GAN with :func:`coursekit.gan.gan_step` and :func:`coursekit.train.fit`.

    images: ``(N, C, 28, 28)`` float32 in [0, 1]; labels: ``(N,)`` int64, given
    exactly when ``G`` is conditional (has ``n_classes``). The defaults are the
    chapter's recipe, the combination SAGAN trains with (Zhang et al., 2019), for
    discriminators that are spectrally normalised (Miyato et al., 2018): the hinge
    loss, and Adam with ``betas=(0.0, 0.9)`` and two time scales (Heusel et al.,
    2017): ``lr`` for G, ``lr_d`` for D (``None``: the same ``lr``). The original
    DCGAN recipe is ``loss="bce", lr=2e-4, lr_d=None, betas=(0.5, 0.999)``
    (``smooth`` applies to it only). ``lr_decay_from``, a fraction of ``epochs`` in
    [0, 1) (default ``None``: constant rates), keeps both rates until that epoch and
    then lowers them linearly towards 0 (:func:`coursekit.optim.linear_tail`).
    ``ema``, a module with G's architecture (``copy.deepcopy(G)``), is set to G's
    weights and then kept their running average over about the last
    ``1 / (1 - ema_decay)`` steps (:func:`coursekit.optim.ema_update` after every
    step, with the decay ramped up over the first steps by
    :func:`coursekit.optim.ema_decay_at`; saved and resumed with the checkpoint;
    ``val_fn`` finds it as ``models["G_ema"]``). Sample from it; G and D train
    exactly as without it. ``d_steps`` > 1 updates D that many times, on as
    many batches, per update of G (``gan_step(d_steps=...)``): an epoch then
    updates G ``d_steps`` times less often, so give it ``d_steps`` times the
    epochs for the same number of generator updates.
    Shuffled batches of ``batch_size`` (the last incomplete one dropped: batch norm
    needs more than one sample). ``checkpoint`` gets a fingerprint of the
    hyperparameters, the data and both networks (:func:`coursekit.train.model_fingerprint`)
    added to its name and is resumed when it exists.
    Returns the :class:`~coursekit.train.History` (``train_d_loss``,
    ``train_g_loss``, ``train_d_real``, ``train_d_fake`` per epoch).
    """
    from . import gan

    check_images(images, "images")
    check_unit_range(images, "images")
    n_classes = getattr(G, "n_classes", None)
    if (n_classes is None) != (labels is None):
        raise ValueError("pass labels exactly when G is conditional: "
                         f"G has n_classes={n_classes}, labels is {'None' if labels is None else 'given'}")
    gan._check_d_steps(d_steps)
    if check_positive_int(batch_size, "batch_size") < 2:
        raise ValueError("batch_size must be at least 2: batch normalisation needs 2 images per batch; got 1")
    if len(images) < batch_size * d_steps:
        raise ValueError(f"need at least batch_size * d_steps = {batch_size * d_steps} images; got {len(images)}")
    dev = get_device(device)
    G.to(dev)
    D.to(dev)
    batches = DeviceBatches(images, labels, batch_size=batch_size * d_steps, seed=seed, device=dev,
                            drop_last=True)   # gan_step splits each into d_steps batches, one per D update
    lr_d = lr if lr_d is None else lr_d
    opt_g = torch.optim.Adam(G.parameters(), lr=lr, betas=tuple(betas))
    opt_d = torch.optim.Adam(D.parameters(), lr=lr_d, betas=tuple(betas))
    schedulers = None
    if lr_decay_from is not None:
        if isinstance(lr_decay_from, bool) or not 0 <= lr_decay_from < 1:
            raise ValueError(f"lr_decay_from must be a fraction of the epochs in [0, 1), or None for "
                             f"constant learning rates; got {lr_decay_from!r}")
        start = min(round(lr_decay_from * epochs), epochs - 1)
        schedulers = {name: optim.ScheduledLR(opt, partial(optim.linear_tail, lr0=rate, total=epochs, start=start))
                      for name, opt, rate in (("G", opt_g, lr), ("D", opt_d, lr_d))}
    models = {"G": G, "D": D}
    step = gan.gan_step(G, D, opt_g, opt_d, z_dim=G.z_dim, n_classes=n_classes, smooth=smooth, loss=loss,
                        d_steps=d_steps)
    if ema is not None:
        if ema is G or not isinstance(ema, nn.Module):
            raise TypeError("ema must be a separate copy of G (copy.deepcopy(G) before training); "
                            f"got {'G itself' if ema is G else type(ema).__name__}")
        ema.to(dev)
        try:
            ema.load_state_dict(G.state_dict())   # the average starts at G's weights (a checkpoint may replace them)
        except RuntimeError as err:
            raise ValueError("ema must have G's architecture (copy.deepcopy(G)): "
                             + str(err).splitlines()[0]) from err
        optim._check_decay(ema_decay, "ema_decay")
        models["G_ema"] = ema
        step = partial(_step_then_average, step, ema, G, opt_g, ema_decay)
    hparams = dict(**{f"G_{k}": v for k, v in _train.model_fingerprint(G).items()},   # so that a changed G or D
                   **{f"D_{k}": v for k, v in _train.model_fingerprint(D).items()},   # never resumes another run
                   n=len(images), data=_train.digest_tensors(images, labels), epochs=epochs, batch_size=batch_size,
                   loss=loss, lr=lr, lr_d=lr_d, betas=list(betas), smooth=smooth, seed=seed)
    if lr_decay_from is not None:   # only then, so that the fingerprint of a constant-rate run is unchanged
        hparams["lr_decay_from"] = lr_decay_from
    if ema is not None:
        hparams["ema_decay"] = ema_decay
    if d_steps != 1:
        hparams["d_steps"] = d_steps
    if checkpoint is not None:
        checkpoint = _train.checkpoint_for(checkpoint, hparams)
    return _train.fit(nn.ModuleDict(models), batches, step_fn=step, optimizer={"G": opt_g, "D": opt_d},
                      epochs=epochs, scheduler=schedulers, checkpoint=checkpoint, resume=checkpoint is not None,
                      hparams=hparams, device=dev, **fit_kwargs)


# ------------------------------------------------------------------ features

def _step_then_average(step, ema: nn.Module, G: nn.Module, opt_g, decay: float, model, batch) -> dict:
    logs = step(model, batch)
    n_updates = int(opt_g.state[next(iter(G.parameters()))]["step"])   # Adam's count: checkpointed with it
    optim.ema_update(ema, G, optim.ema_decay_at(n_updates, decay))
    return logs


def _as_features(x, name: str) -> np.ndarray:
    """A float64 ``(N, d)`` numpy array from an array or tensor, with a clear error otherwise."""
    if isinstance(x, torch.Tensor):
        x = x.detach().cpu().double().numpy()     # bfloat16 (an autocast output) has no NumPy dtype
    if not isinstance(x, np.ndarray):
        raise TypeError(f"{name}: expected a (N, d) numpy array or torch tensor; got {type(x).__name__}")
    if not np.issubdtype(x.dtype, np.floating):
        raise TypeError(f"{name}: expected float features; got dtype {x.dtype}. Integer values are usually "
                        "pixels: compare float images in [0, 1] (divide uint8 by 255), or their "
                        "features(classifier, images).")
    if x.ndim != 2:
        raise ValueError(f"{name}: expected a (N, d) feature array; got shape {x.shape}. "
                         "Flatten images with x.reshape(len(x), -1) or use coursekit.generative.features.")
    if not np.isfinite(x).all():
        raise ValueError(f"{name}: contains NaN or Inf")
    return x.astype(np.float64, copy=False)


def _last_linear(model: nn.Module) -> nn.Linear:
    linears = [m for m in model.modules() if isinstance(m, nn.Linear)]
    if not linears:
        raise ValueError(f"{type(model).__name__} has no nn.Linear layer; features() takes the input "
                         "of a classifier's last linear layer (its penultimate features)")
    return linears[-1]


@torch.no_grad()
def features(classifier: nn.Module, images: torch.Tensor, batch_size: int = 512, device=None) -> np.ndarray:
    """Penultimate-layer features of ``classifier`` for ``images``.

    The features are the *input of the classifier's last* ``nn.Linear`` *layer*
    (for :class:`~coursekit.models.SmallCNN`: the ``4 * width`` globally pooled
    activations), captured with a forward hook in eval mode (dropout off).

    images: ``(N, C, H, W)`` float32 in [0, 1]. Returns ``(N, d)`` float64 numpy.
    """
    check_images(images, "features: images", min_count=1)
    check_unit_range(images, "features: images")   # the classifier learned [0, 1] images
    check_model_dtype(images, classifier, "features: images")
    check_positive_int(batch_size, "features: batch_size")
    dev = model_device(classifier, device)
    captured = []
    hook = _last_linear(classifier).register_forward_pre_hook(
        lambda module, inputs: captured.append(inputs[0].flatten(1).float().cpu()))
    try:
        with _train.evaluating(classifier):
            for i in range(0, len(images), batch_size):
                classifier(images[i:i + batch_size].to(dev))
    finally:
        hook.remove()
    return torch.cat(captured).double().numpy()


# ------------------------------------------------------------ Fréchet distance

def frechet_distance(feats_a, feats_b) -> float:
    """Squared Fréchet (2-Wasserstein) distance between Gaussians fitted to two feature sets.

    $$ \\mathrm{FD} = \\lVert \\mu_a - \\mu_b \\rVert^2 + \\operatorname{tr}\\big(\\Sigma_a + \\Sigma_b
    - 2 (\\Sigma_a \\Sigma_b)^{1/2}\\big) $$

    feats_a, feats_b: ``(N_a, d)`` and ``(N_b, d)`` (N >= 2 each). Means and
    (unbiased) covariances are estimated from the samples, the matrix square
    root is :func:`scipy.linalg.sqrtm` (its real part: tiny imaginary parts
    are numerical noise). The estimate is biased upwards for small N, so only
    compare FDs computed with the same numbers of samples.
    """
    from scipy import linalg

    a, b = _as_features(feats_a, "feats_a"), _as_features(feats_b, "feats_b")
    if a.shape[1] != b.shape[1]:
        raise ValueError(f"feature sets must have the same dimension; got {a.shape[1]} and {b.shape[1]}")
    if len(a) < 2 or len(b) < 2:
        raise ValueError(f"need at least 2 samples per set to estimate a covariance; got {len(a)} and {len(b)}")
    mu_a, mu_b = a.mean(0), b.mean(0)
    cov_a = np.atleast_2d(np.cov(a, rowvar=False))
    cov_b = np.atleast_2d(np.cov(b, rowvar=False))
    with warnings.catch_warnings():      # a singular product warns; checked just below
        warnings.simplefilter("ignore", linalg.LinAlgWarning)
        covmean = linalg.sqrtm(cov_a @ cov_b)
        if not np.isfinite(covmean).all():   # regularise as pytorch-fid does
            eps = 1e-6 * np.eye(len(cov_a))
            covmean = linalg.sqrtm((cov_a + eps) @ (cov_b + eps))
    covmean = np.real(covmean)
    diff = mu_a - mu_b
    return float(diff @ diff + np.trace(cov_a) + np.trace(cov_b) - 2.0 * np.trace(covmean))


# ------------------------------------------------------- precision and recall

def _pairwise(x: torch.Tensor, y: torch.Tensor, chunk: int = 2048) -> torch.Tensor:
    """Euclidean distances ``(len(x), len(y))`` in float64, computed in row chunks."""
    return torch.cat([torch.cdist(x[i:i + chunk], y) for i in range(0, len(x), chunk)])


def _kth_radius(x: torch.Tensor, k: int) -> torch.Tensor:
    """Distance of every row of ``x`` to its k-th nearest other row."""
    d = _pairwise(x, x)
    return d.kthvalue(k + 1, dim=1).values   # the 1st smallest is the point itself (0)


def precision_recall(real_feats, fake_feats, k: int = 3) -> dict[str, float]:
    """Improved precision and recall (Kynkäänniemi et al., 2019).

    Each real sample gets a ball whose radius is the distance to its ``k``-th
    nearest real neighbour; the union of the balls estimates the real
    manifold. **Precision** is the fraction of generated samples inside it
    (are they realistic?). **Recall** swaps the roles: the fraction of real
    samples inside the generated manifold (is the data covered?).

    real_feats, fake_feats: ``(N_r, d)``, ``(N_f, d)`` with ``k < N``.
    Returns ``{"precision": float in [0, 1], "recall": float in [0, 1]}``.
    """
    r, f = _as_features(real_feats, "real_feats"), _as_features(fake_feats, "fake_feats")
    if r.shape[1] != f.shape[1]:
        raise ValueError(f"feature sets must have the same dimension; got {r.shape[1]} and {f.shape[1]}")
    if not is_int(k) or k < 1 or k >= min(len(r), len(f)):
        raise ValueError(f"k must be an int with 1 <= k < number of samples ({min(len(r), len(f))}); got {k!r}")
    k = int(k)
    r, f = torch.from_numpy(r), torch.from_numpy(f)
    r_radius, f_radius = _kth_radius(r, k), _kth_radius(f, k)
    d = _pairwise(f, r)                                            # (N_f, N_r)
    precision = (d <= r_radius[None, :]).any(dim=1).double().mean()
    recall = (d.T <= f_radius[None, :]).any(dim=1).double().mean()
    return {"precision": float(precision), "recall": float(recall)}


def sample_quality(reference_features, sample_features, k: int = 3) -> dict[str, float]:
    """FD and precision/recall of a sample's features against the real reference's:
    ``{"fd": frechet_distance(sample, reference), "precision": ..., "recall": ...}``, the three
    numbers by which the chapter scores a generator (and the real-vs-real floor)."""
    return {"fd": frechet_distance(sample_features, reference_features),
            **precision_recall(reference_features, sample_features, k=k)}


# ----------------------------------------------------------- memorisation

def _flat(x, name: str) -> torch.Tensor:
    if isinstance(x, np.ndarray):
        x = torch.from_numpy(x)
    if not isinstance(x, torch.Tensor):
        raise TypeError(f"{name}: expected images (N, C, H, W) or features (N, d) as a tensor or array; "
                        f"got {type(x).__name__}")
    if x.ndim < 2:
        raise ValueError(f"{name}: expected (N, ...) with N samples; got shape {tuple(x.shape)}")
    if len(x) == 0:
        raise ValueError(f"{name}: got 0 samples; at least 1 is needed")
    x = x.detach().cpu().flatten(1).double()
    if not torch.isfinite(x).all():
        raise ValueError(f"{name}: contains NaN or Inf values; expected finite numbers")
    return x


def _unit_images(x, name: str):
    """``x`` unchanged; images (3 or more axes) must be floats in [0, 1], so that raw 0-255
    pixels are never compared with [0, 1] ones."""
    if isinstance(x, (torch.Tensor, np.ndarray)) and x.ndim >= 3:
        t = torch.as_tensor(x)
        if not t.is_floating_point():
            check_images(t, name, ndim=t.ndim)    # raises its TypeError: uint8 images, divide by 255
        check_unit_range(t, name)
    return x


def nearest_neighbour_distances(queries, reference, return_index: bool = False):
    """Euclidean distance from each query to its nearest reference sample.

    queries, reference: images ``(N, C, H, W)`` float in [0, 1] (compared pixel by pixel) or
    features ``(N, d)`` of any range; tensors or arrays with the same size per sample.
    Returns ``(N_q,)`` float64 numpy distances, and with ``return_index`` also
    the ``(N_q,)`` int64 index of the nearest reference sample.
    """
    q = _flat(_unit_images(queries, "queries"), "queries")
    r = _flat(_unit_images(reference, "reference"), "reference")
    if q.shape[1] != r.shape[1]:
        raise ValueError(f"queries and reference differ in size per sample: {q.shape[1]} vs {r.shape[1]}")
    best_d, best_i = [], []
    for i in range(0, len(q), 1024):
        idx = _pairwise(q[i:i + 1024], r).argmin(dim=1)
        # the distance to the nearest sample again, directly: cdist's matrix-product shortcut
        # (over 25 samples) puts an exact copy about 1e-6 away instead of at 0
        best_d.append((q[i:i + 1024] - r[idx]).norm(dim=1))   # both float64 (_flat)
        best_i.append(idx)
    dist, index = torch.cat(best_d).numpy(), torch.cat(best_i).numpy()
    return (dist, index) if return_index else dist


def _distance_pair(gen_to_train, heldout_to_train) -> tuple[np.ndarray, np.ndarray]:
    """The two arrays of nearest-neighbour distances as flat float64 arrays, checked: not the
    (distances, indices) tuple, non-empty, finite."""
    for name, d in (("gen_to_train", gen_to_train), ("heldout_to_train", heldout_to_train)):
        if isinstance(d, tuple):
            raise TypeError(f"{name}: expected an array of distances; got a tuple. "
                            "nearest_neighbour_distances(..., return_index=True) returns (distances, indices): "
                            "pass the distances only.")
    g = np.asarray(gen_to_train, dtype=np.float64).ravel()
    h = np.asarray(heldout_to_train, dtype=np.float64).ravel()
    if len(g) == 0 or len(h) == 0:
        raise ValueError("both distance arrays must be non-empty")
    if not (np.isfinite(g).all() and np.isfinite(h).all()):
        raise ValueError("the distances contain NaN or Inf; check the images they were computed from")
    return g, h


def fraction_closer(gen_to_train, heldout_to_train, q: float = 0.5) -> float:
    """Fraction of generated samples closer to the training set than the
    ``q``-quantile of held-out real images' distances to it.

    A generator that draws *new* samples from the data distribution puts about
    a fraction ``q`` of its samples below that quantile, like unseen real
    images do; a generator that copies (or nearly copies) training images puts
    many more. ``q=0.5`` compares with the typical held-out image, a small
    ``q`` (e.g. 0.05) looks for near-copies.
    """
    g, h = _distance_pair(gen_to_train, heldout_to_train)
    if not 0 < q < 1:
        raise ValueError(f"q must lie strictly between 0 and 1; got {q!r}")
    return float((g < np.quantile(h, q)).mean())


def closer_than_every(gen_to_train, heldout_to_train) -> int:
    """How many generated samples are closer to the training set than *every* held-out real image.

    This is the per-sample test for copies that :func:`fraction_closer` lacks: a few copies
    among thousands of new samples barely move a fraction, but each copy (distance about 0)
    lands here. For samples drawn like the ``m`` held-out images, each falls below all of
    them with probability ``1 / (m + 1)``, so about ``n / (m + 1)`` of ``n`` do by chance;
    inspect the ones that do (the smallest ``gen_to_train``) by eye.
    """
    g, h = _distance_pair(gen_to_train, heldout_to_train)
    return int((g < h.min()).sum())


def memorisation_check(samples, train_images: torch.Tensor, heldout_images: torch.Tensor,
                       classifier: nn.Module | None = None) -> dict[str, dict[str, float]]:
    """Are generated images closer to the training images than unseen real images are?

    ``samples``: ``{name: images}``, the sets to check (a generator's samples, a baseline's, a
    control). Images are ``(N, C, H, W)`` float32 in [0, 1]; ``heldout_images`` must come from
    other patients than ``train_images`` (the test split), since slices of one patient are
    near-duplicates. Distances are Euclidean, in pixels, or in the penultimate features of
    ``classifier`` when it is given; the training set's features and the held-out images'
    distances are computed once for all the sets. Returns, for each name: ``frac_median`` and
    ``frac_p05`` (the fraction of its images closer to the training set than the median and the
    5th percentile of the held-out images' distances: about 0.5 and 0.05 for new images, near 1
    for copies; far below 0.5 means samples that lie off the data, not extra privacy),
    ``n_closer_than_all`` (:func:`closer_than_every`), ``expected_by_chance``
    (``n / (m + 1)``, its value for new images) and ``n_distinct_nearest_p05``: how many
    different training images are the nearest ones of the samples below the 5th percentile.
    Copies of different images have as many; flat or blurry samples, which in pixels sit close
    to the same few dark, smooth slices, share a handful, so a high ``frac_p05`` with few
    distinct neighbours is not memorisation.
    """
    if not isinstance(samples, Mapping) or not samples:
        raise TypeError(f"samples: expected {{name: images}}, e.g. {{'gan': fake}}, with at least one set; "
                        f"got {type(samples).__name__}")
    if classifier is None:      # pixel distances: every set must be on the training images' scale
        for name, x in {"train_images": train_images, "heldout_images": heldout_images,
                        **{f"samples[{k!r}]": v for k, v in samples.items()}}.items():
            check_unit_range(check_images(x, name, min_count=1), name)
    f = (lambda x: features(classifier, x)) if classifier is not None else (lambda x: x)
    reference = f(train_images)
    held = nearest_neighbour_distances(f(heldout_images), reference)
    out = {}
    for name, images in samples.items():
        mine, nearest = nearest_neighbour_distances(f(images), reference, return_index=True)
        below = mine < np.quantile(held, 0.05)
        out[name] = {"frac_median": fraction_closer(mine, held, 0.5), "frac_p05": fraction_closer(mine, held, 0.05),
                     "n_closer_than_all": closer_than_every(mine, held),
                     "expected_by_chance": len(mine) / (len(held) + 1),
                     "n_distinct_nearest_p05": int(len(np.unique(nearest[below])))}
    return out


# ---------------------------------------------------- conditional models

def class_accuracy(classifier: nn.Module, images: torch.Tensor, labels, n_classes: int | None = None,
                   batch_size: int = 512, device=None) -> dict:
    """How often ``classifier`` predicts ``labels`` for ``images``, overall and per class.

    images ``(N, C, H, W)`` float32 in [0, 1]; labels ``(N,)`` int. Returns
    ``{"accuracy": float, "per_class": (n_classes,) float64 numpy}`` (NaN for
    a class with no images). For generated images, ``labels`` are the classes
    the generator was asked for. Built on :func:`coursekit.classify.correct`.
    """
    hits = classify.correct(classifier, images, labels, n_classes, batch_size=batch_size, device=device).double()
    labels = torch.as_tensor(labels).reshape(-1).long()
    n_classes = int(n_classes if n_classes is not None else int(labels.max()) + 1)
    per_class = np.array([hits[labels == c].mean().item() if (labels == c).any() else np.nan
                          for c in range(n_classes)])
    return {"accuracy": float(hits.mean()), "per_class": per_class}


def as_dataset(template: MedMNIST, images: torch.Tensor, labels: torch.Tensor, source: str = "generated") -> MedMNIST:
    """Wrap images and labels as a :class:`~coursekit.data.MedMNIST` with the
    flag, task and label names of ``template`` (so that the classification
    recipe of :mod:`coursekit.classify` applies to synthetic data)."""
    check_images(images, "images")
    check_unit_range(images, "images")
    if tuple(images.shape[1:]) != tuple(template.images.shape[1:]):
        raise ValueError(f"images: expected the template's shape per image, {tuple(template.images.shape[1:])}; "
                         f"got {tuple(images.shape[1:])}")
    labels = check_class_labels(labels, len(images), template.n_classes or None)
    return replace(template, images=images.detach().float().cpu(), labels=labels, split="train",
                   source=source, path=None)


def train_on_synthetic(model: nn.Module, synthetic: MedMNIST, val: MedMNIST, test: MedMNIST, *,
                       epochs: int, seed: int = 0, device=None, **kwargs) -> dict[str, float]:
    """TSTR: train ``model`` on ``synthetic`` images only, test it on real ``test`` images.

    Uses :func:`coursekit.classify.train_classifier` (the same recipe as the
    real-data classifier; model selection on the *real* validation split) and
    :func:`coursekit.train.evaluate`. Returns ``{"auc", "acc"}`` on ``test``.
    """
    from . import classify

    dev = get_device(device)
    classify.train_classifier(model, synthetic, val, epochs=epochs, seed=seed, device=dev, **kwargs)
    batches = DeviceBatches(test.images, test.labels, batch_size=512, shuffle=False, device=dev)
    return _train.evaluate(model, batches, test.task, device=dev)


# ------------------------------------------------------------------ sampling

def _latent(n: int, z_dim: int, seed: int) -> torch.Tensor:
    """``(n, z_dim)`` standard normal noise from a seeded CPU generator (the same on every device)."""
    return torch.randn(n, z_dim, generator=torch.Generator().manual_seed(check_seed(seed)))


@torch.no_grad()
def _run_generator(G: nn.Module, z: torch.Tensor, y: torch.Tensor | None, batch_size: int = 1024) -> torch.Tensor:
    dev = model_device(G)
    with _train.evaluating(G):
        out = [G(z[i:i + batch_size].to(dev)) if y is None else
               G(z[i:i + batch_size].to(dev), y[i:i + batch_size].to(dev))
               for i in range(0, len(z), batch_size)]
    return torch.cat(out).float().cpu()


def generate(G: nn.Module, n: int, labels=None, seed: int = 0, batch_size: int = 1024,
             truncation: float = 1.0) -> torch.Tensor:
    """``n`` samples of generator ``G`` (in eval mode) from seeded noise.

    ``G.z_dim`` gives the noise size. For a conditional generator pass
    ``labels`` ``(n,)`` int64 (e.g. ``torch.arange(n) % n_classes``).
    ``truncation`` psi > 0 scales the noise, ``G(psi * z)`` with ``z ~ N(0, I)``
    (the same ``z`` for every psi at one seed): psi < 1 pulls the codes towards
    the mean, the simplest form of the *truncation trick*, which trades diversity
    (recall) for typical-looking samples (precision). 1: the model as trained.
    Returns ``(n, C, H, W)`` float32 on the CPU, in [0, 1].
    """
    check_positive_int(n, "n")
    if isinstance(truncation, bool) or not isinstance(truncation, (int, float)) or not 0 < truncation < float("inf"):
        raise ValueError(f"truncation must be a positive number (1: no truncation); got {truncation!r}")
    labels = _labels_for(G, labels, n)
    return _run_generator(G, float(truncation) * _latent(n, G.z_dim, seed), labels, batch_size)


def _labels_for(G: nn.Module, labels, n: int) -> torch.Tensor | None:
    """``labels`` checked against ``G``: ``(n,)`` int64 class indices for a conditional
    generator (one with ``n_classes``), None for an unconditional one."""
    n_classes = getattr(G, "n_classes", None)
    name = type(G).__name__
    if labels is None:
        if n_classes is not None:
            raise ValueError(f"{name} is conditional ({n_classes} classes): pass labels of shape ({n},), "
                             f"integers in [0, {n_classes}), e.g. torch.arange({n}) % {n_classes}")
        return None
    if n_classes is None and len(inspect.signature(G.forward).parameters) < 2:
        raise ValueError(f"{name} is unconditional (its forward takes z only): drop the labels")
    return check_class_labels(labels, n, n_classes)


def truncation_sweep(G: nn.Module, classifier: nn.Module, reference_features, psis, n: int, seed: int = 0,
                     k: int = 3) -> dict[float, dict[str, float]]:
    """FD, precision and recall of ``n`` samples of ``G`` at each truncation ``psi``.

    For every psi in ``psis``: ``generate(G, n, seed=seed, truncation=psi)`` (the same
    noise at every psi, only its scale changes), :func:`features` of ``classifier``,
    then :func:`frechet_distance` and :func:`precision_recall` (``k``) against
    ``reference_features`` ``(M, F)`` of real held-out images.
    Returns ``{psi: {"fd": ..., "precision": ..., "recall": ...}}`` in the order of ``psis``.
    """
    return {float(psi): sample_quality(reference_features,
                                       features(classifier, generate(G, n, seed=seed, truncation=psi)), k=k)
            for psi in psis}


# The degradation_ladder's default sigmas: blur in pixels; noise in the units of images in [0, 1].
DEGRADATIONS = {"blur": (0.3, 0.4, 0.45, 0.5, 0.6, 0.7, 1.0), "noise": (0.02, 0.05, 0.1, 0.2)}
LADDER_METRICS = ("fd", "precision", "recall")   # what each rung of a ladder scores (sample_quality)


def degradation_ladder(classifier: nn.Module, reference_features, images: torch.Tensor, degradations=None,
                       seed: int = 0, k: int = 3) -> dict[tuple[str, float], dict[str, float]]:
    """FD, precision and recall of *real* images made slightly worse in known ways: a scale on
    which a generator's scores can be read ("as far from the data as real images blurred by
    half a pixel").

    ``images`` ``(N, C, H, W)`` float in [0, 1], real images that are not in the reference
    (the floor's training images); ``reference_features`` ``(M, F)`` the :func:`features` of
    the held-out reference. ``degradations`` maps ``"blur"`` (Gaussian filter of that sigma in
    pixels, :func:`coursekit.degrade.gaussian_blur`) and ``"noise"`` (Gaussian
    noise of that standard deviation, seeded with ``seed``, clipped to [0, 1]) to the sigmas
    to try; default :data:`DEGRADATIONS`. Returns ``{(kind, sigma): {"fd", "precision",
    "recall"}}``, starting with ``("none", 0.0)`` (the images as they are: the floor).
    """
    from .degrade import gaussian_blur, gaussian_noise

    check_images(images, "images")
    check_unit_range(images, "images")
    degradations = DEGRADATIONS if degradations is None else degradations
    unknown = set(degradations) - {"blur", "noise"}
    if unknown:
        raise ValueError(f"degradations: expected the kinds 'blur' and/or 'noise'; got {sorted(unknown)}")
    made = {"blur": lambda s: gaussian_blur(images, s),
            "noise": lambda s: gaussian_noise(images, s, seed=seed).clamp(0, 1)}
    out = {("none", 0.0): sample_quality(reference_features, features(classifier, images), k=k)}
    for kind, sigmas in degradations.items():
        for sigma in sigmas:
            if not (isinstance(sigma, (int, float)) and not isinstance(sigma, bool) and 0 < sigma < float("inf")):
                raise ValueError(f"degradations[{kind!r}]: expected positive sigmas; got {sigma!r}")
            out[(kind, float(sigma))] = sample_quality(reference_features, features(classifier, made[kind](sigma)),
                                                       k=k)
    return out


def ladder_points(ladder, kind: str) -> list[tuple[float, dict[str, float]]]:
    """The rungs of one degradation ``kind`` of a :func:`degradation_ladder`, with the
    undegraded images (``("none", 0.0)``) where present, as ``[(sigma, quality), ...]`` sorted by
    sigma. Raises ``ValueError`` when the ladder has no ``kind``."""
    if not isinstance(ladder, dict) or not all(isinstance(k, tuple) and len(k) == 2 for k in ladder):
        raise TypeError("a ladder is the dict {(kind, sigma): {'fd', 'precision', 'recall'}} that "
                        f"degradation_ladder (or ladder_from_keys) returns; got {type(ladder).__name__}")
    if not any(k == kind for k, _ in ladder):
        raise ValueError(f"the ladder has no {kind!r} degradation; it has {sorted({k for k, _ in ladder} - {'none'})}")
    return sorted(((sigma, q) for (k, sigma), q in ladder.items() if k in (kind, "none")), key=lambda p: p[0])


def _floor_key(metric: str) -> str:
    """The key of the undegraded images' score in a benchmark file (gan.json's names)."""
    return "fd_real_floor" if metric == "fd" else f"{metric}_floor"


def ladder_to_keys(ladder) -> dict[str, float]:
    """A :func:`degradation_ladder` as flat benchmark keys: ``blur_s050_fd``, ``blur_s050_precision``,
    ... (the sigma times 100, in three digits); the undegraded images give ``fd_real_floor``,
    ``precision_floor`` and ``recall_floor``, the names gan.json uses for the same numbers."""
    out = {}
    for (kind, sigma), quality in ladder.items():
        for metric, value in quality.items():
            if kind == "none":
                out[_floor_key(metric)] = value
            else:
                out[f"{kind}_s{round(100 * sigma):03d}_{metric}"] = value
    return out


def ladder_from_keys(result) -> dict[tuple[str, float], dict[str, float]]:
    """The ladder back from a benchmark file written with :func:`ladder_to_keys` (other keys are
    ignored), in the order of :func:`degradation_ladder`: the floor, then each kind by sigma."""
    from .bench import series

    ladder = {("none", 0.0): {m: result[_floor_key(m)] for m in LADDER_METRICS}}
    for kind in DEGRADATIONS:
        per_metric = {m: series(result, f"{kind}_s", f"_{m}") for m in LADDER_METRICS}
        for s in per_metric["fd"]:
            ladder[(kind, s / 100)] = {m: per_metric[m][s] for m in LADDER_METRICS}
    return ladder


def equivalent_degradation(ladder, kind: str, metric: str, value: float) -> float:
    """The smallest sigma of degradation ``kind`` at which real images score ``value`` on
    ``metric`` (``"fd"``, ``"precision"`` or ``"recall"``), by linear interpolation between the
    points of a :func:`degradation_ladder` (the undegraded images at sigma 0). ``nan`` when no
    sigma in the ladder's range reaches ``value`` (better than the floor, or worse than the
    largest degradation tried). E.g. ``equivalent_degradation(ladder, "blur", "fd", fd_gan)``:
    the generator is as far from the data, in FD, as real images blurred by that many pixels.
    """
    if metric not in LADDER_METRICS:
        raise ValueError(f"metric must be 'fd', 'precision' or 'recall'; got {metric!r}")
    points = [(sigma, q[metric]) for sigma, q in ladder_points(ladder, kind)]
    if points[0][0] != 0.0:
        raise ValueError("the ladder has no undegraded images (('none', 0.0)), where sigma 0 starts")
    value = float(value)
    for (s0, v0), (s1, v1) in zip(points, points[1:]):
        if min(v0, v1) <= value <= max(v0, v1):
            return s0 if v1 == v0 else s0 + (s1 - s0) * (value - v0) / (v1 - v0)
    return float("nan")


def interpolate(G: nn.Module, z0: torch.Tensor, z1: torch.Tensor, steps: int = 8, y: int | None = None) -> torch.Tensor:
    """Images along the straight line from ``z0`` to ``z1`` in latent space.

    z0, z1: ``(z_dim,)`` noise vectors; ``steps`` >= 2 points, both ends
    included; ``y``: a class index for a conditional generator.
    Returns ``(steps, C, H, W)`` float32 in [0, 1]; row 0 is ``G(z0)``.
    """
    if not is_int(steps) or steps < 2:
        raise ValueError(f"steps must be an int >= 2; got {steps!r}")
    steps = int(steps)
    z0, z1 = torch.as_tensor(z0, dtype=torch.float32), torch.as_tensor(z1, dtype=torch.float32)
    if z0.shape != (G.z_dim,) or z1.shape != (G.z_dim,):
        raise ValueError(f"z0 and z1 must have shape ({G.z_dim},); got {tuple(z0.shape)} and {tuple(z1.shape)}")
    t = torch.linspace(0, 1, steps)[:, None]
    z = (1 - t) * z0 + t * z1
    labels = _labels_for(G, None if y is None else torch.full((steps,), int(y), dtype=torch.int64), steps)
    return _run_generator(G, z, labels)


def class_samples(G: nn.Module, y: int, n: int = 8, seed: int = 0) -> torch.Tensor:
    """``n`` samples of class ``y`` from a conditional generator (seeded).
    Returns ``(n, C, H, W)`` float32 in [0, 1]."""
    n_classes = getattr(G, "n_classes", None)
    if n_classes is None:
        raise TypeError(f"class_samples needs a conditional generator (with n_classes); got {type(G).__name__}")
    if not is_int(y) or not 0 <= y < n_classes:
        raise ValueError(f"y must be a class index, an int in [0, {n_classes}); got {y!r}")
    return generate(G, n, labels=torch.full((n,), int(y), dtype=torch.int64), seed=seed)


def montage(images: torch.Tensor, ncols: int = 8, pad: int = 1) -> np.ndarray:
    """Tile grayscale images ``(N, 1, H, W)`` into one ``(rows * (H + pad) - pad, ...)`` float32
    array in [0, 1] (the form :func:`coursekit.widgets.explore` draws)."""
    check_images(images, "montage: images", min_count=1)
    if images.shape[1] != 1:
        raise ValueError(f"montage draws grayscale images (N, 1, H, W); got {tuple(images.shape)}. "
                         "Use coursekit.viz.show_images for RGB images.")
    check_positive_int(ncols, "ncols")
    check_unit_range(images, "montage: images")   # the padding is white, 1
    n, _, h, w = images.shape
    ncols = min(ncols, n)
    nrows = math.ceil(n / ncols)
    out = np.ones((nrows * (h + pad) - pad, ncols * (w + pad) - pad), dtype=np.float32)
    for i, img in enumerate(images[:, 0].detach().cpu().numpy()):
        r, c = divmod(i, ncols)
        out[r * (h + pad): r * (h + pad) + h, c * (w + pad): c * (w + pad) + w] = img
    return out


def latent_explorer(G: nn.Module, steps: int = 8, max_seed: int = 50, settings=((0, 1), (2, 3), (4, 5))):
    """Widget: walk the straight line between the noise vectors of two seeds.

    Static panel: one interpolation per ``(seed_a, seed_b)`` in ``settings``;
    live controls: both seeds and the number of steps."""
    from . import widgets

    def render(seed_a: int, seed_b: int, steps: int = steps):
        z = _latent(1, G.z_dim, seed_a)[0], _latent(1, G.z_dim, seed_b)[0]
        return montage(interpolate(G, *z, steps=steps), ncols=steps)

    max_seed = max([max_seed, *(s for pair in settings for s in pair)])   # the sliders reach every setting
    return widgets.explore(render, {"seed_a": (0, max_seed), "seed_b": (0, max_seed), "steps": (2, max(12, steps))},
                           settings=[{"seed_a": a, "seed_b": b} for a, b in settings],
                           titles=[f"seed {a} -> seed {b}" for a, b in settings],
                           suptitle="Straight lines in latent space", ncols=1)   # one strip per row


def class_explorer(G: nn.Module, label_names, n: int = 16, shown=None):
    """Widget: pick a class and a seed, see ``n`` samples of the conditional generator.

    Static panel: the classes in ``shown`` (default: the first four), seed 0."""
    from . import widgets

    names = list(label_names)
    n_classes = getattr(G, "n_classes", None)
    if n_classes is None:
        raise TypeError(f"class_explorer needs a conditional generator (with n_classes); got {type(G).__name__}")
    if len(names) != n_classes:
        raise ValueError(f"label_names: one name per class: {n_classes} classes, {len(names)} names")
    repeated = sorted({str(x) for x in names if names.count(x) > 1})
    if repeated:
        raise ValueError(f"label_names: every class needs its own name; repeated: {repeated}")
    shown = names[:4] if shown is None else list(shown)
    for s in shown:
        if s not in names:
            raise ValueError(f"shown: {s!r} is not one of label_names {names}")

    def render(name: str, seed: int = 0):
        return montage(class_samples(G, names.index(name), n=n, seed=seed), ncols=int(math.sqrt(n)) or 1)

    return widgets.explore(render, {"name": names, "seed": (0, 50)},
                           settings=[{"name": s} for s in shown], titles=shown,
                           suptitle="Conditional samples, one class per panel")


# ------------------------------------------------------- classical baseline

def gaussian_baseline(images: torch.Tensor, n: int, n_components: int = 32, seed: int = 0) -> torch.Tensor:
    """A classical generative model: a Gaussian in PCA space.

    Fits PCA with ``n_components`` on the flattened ``images`` ``(N, C, H, W)``,
    draws ``n`` codes from a Gaussian with the codes' variances, decodes them
    and clips to [0, 1]. Returns ``(n, C, H, W)`` float32 (blurry, and a fair
    yardstick: a GAN should beat it).
    """
    from sklearn.decomposition import PCA

    check_images(images, "gaussian_baseline: images, to fit PCA", min_count=2)
    check_unit_range(images, "gaussian_baseline: images")   # its samples are clipped to [0, 1]
    check_positive_int(n, "n")
    seed = check_seed(seed)
    check_positive_int(n_components, "n_components")
    x = images.detach().cpu().flatten(1).numpy().astype(np.float64)
    n_components = min(n_components, len(x) - 1, x.shape[1])
    pca = PCA(n_components=n_components, random_state=seed).fit(x)
    rng = np.random.default_rng(seed)
    codes = rng.standard_normal((n, n_components)) * np.sqrt(pca.explained_variance_)
    out = np.clip(pca.inverse_transform(codes), 0.0, 1.0)
    return torch.from_numpy(out).float().view(n, *images.shape[1:])


# The numbers of principal components choose_gaussian_components tries.
GAUSS_COMPONENTS = (8, 16, 32, 64, 128)


def choose_gaussian_components(classifier: nn.Module, images: torch.Tensor, f_val, n: int,
                               ks=GAUSS_COMPONENTS, seed: int = 0) -> tuple[int, dict[int, float]]:
    """The number of components of :func:`gaussian_baseline`, chosen on validation images.

    A baseline deserves the same care as the model it is compared with: each ``k`` in ``ks``
    gives ``n`` samples of ``gaussian_baseline(images, n, k, seed)``, scored by their FD to
    ``f_val``, the :func:`features` of *validation* images (never the test reference). Few
    components give blurry averages; many give noisy ones.

    Returns ``(best_k, {k: FD to validation})``; on a tie the smaller ``k`` wins.
    """
    ks = check_candidates(ks, "ks", "numbers of components", GAUSS_COMPONENTS, integer=True)
    fd = {int(k): frechet_distance(features(classifier, gaussian_baseline(images, n, int(k), seed=seed)), f_val)
          for k in ks}
    return min(fd, key=lambda k: (fd[k], k)), fd

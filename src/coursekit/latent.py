"""Latent codes: training autoencoders, and what their codes are measured against.

The recipes of the autoencoder chapter, shared by its notebook and its
benchmark (so that both compute the same numbers):

* :func:`train_autoencoder` trains a :class:`~coursekit.models.autoencoders.ConvAutoencoder`
  (``kind="ae"``), a denoising one (``"dae"``: Gaussian noise of ``noise_sigma``
  on the input, the clean image as the target) or a
  :class:`~coursekit.models.autoencoders.ConvVAE` (``"vae"``) with
  :func:`coursekit.train.fit`.
* :func:`encode`, :func:`reconstruct`, :func:`decode`, :func:`vae_outputs`: codes
  ``(N, k)``, reconstructions, images decoded from given codes, and a VAE's
  ``(x_hat, mu, logvar)``, for a whole set, batch by batch, in eval mode (a VAE
  gives its mean code ``mu``), on the model's device, returned on the CPU.
* :func:`fit_pca`, :func:`pca_codes`, :func:`pca_reconstruct`: the linear
  baseline at the same latent size, fitted on the same training images;
  :func:`pca_error_curve`, :func:`components_to_reach` and
  :func:`components_bracket`: how many PCA components a code of k numbers is worth.
* :func:`linear_probe`: logistic regression on codes (train codes -> test accuracy);
  :func:`random_codes`: a code of k numbers that learned nothing, the probe's floor.
* :func:`reconstruction_errors`: per-image MSE, the anomaly score.
* :func:`classical_denoise`, :func:`tune_classical`: the classical denoisers a
  denoising autoencoder must beat (on :func:`coursekit.degrade.gaussian_noise`), with
  the strengths the chapter tries (:data:`GAUSS_SIGMAS`, :data:`TV_WEIGHTS`).
* :func:`latent_grid`, :func:`latent_explorer`: decode a grid over two latent
  dimensions (the chapter's widget).

Images are ``(N, C, H, W)`` float32 tensors in [0, 1] throughout.
"""
from __future__ import annotations

import math
from typing import Callable, Sequence

import numpy as np
import torch
from torch import nn

from . import degrade, metrics, restore, train
from .checks import check_images, check_unit_range, is_int, is_real
from .data import DeviceBatches
from .device import get_device, model_device
from .models.autoencoders import ConvVAE, vae_loss

__all__ = ["KINDS", "train_autoencoder", "encode", "reconstruct", "decode", "vae_outputs", "fit_pca", "pca_codes",
           "pca_reconstruct", "pca_error_curve", "components_to_reach", "components_bracket", "linear_probe",
           "versus_pca", "reconstruction_errors", "classical_denoise", "tune_classical", "GAUSS_SIGMAS",
           "TV_WEIGHTS", "latent_grid", "latent_explorer"]

KINDS = ("ae", "dae", "vae")
DENOISERS = ("gaussian", "tv")
# The strengths the chapter's notebook and benchmark try on validation images (sigma 0.1 noise on
# images in [0, 1]): steps of 1.14x to 1.33x, so the strength chosen is within about 15% of the best
# in the range, and a best value at either end of the range is reported (tune_classical warns).
GAUSS_SIGMAS = (0.3, 0.4, 0.5, 0.6, 0.7, 0.8, 1.0, 1.25, 1.5)      # the filter's sigma, pixels
TV_WEIGHTS = (0.02, 0.025, 0.03, 0.04, 0.05, 0.06, 0.08, 0.1, 0.12)  # denoise_tv_chambolle's weight


# ----------------------------------------------------------------- training

def _mse_loss(model, x):
    return metrics.mse(model(x), x)


def _dae_loss(sigma):
    def loss(model, x):
        return metrics.mse(model(x + sigma * torch.randn_like(x)), x)
    return loss


def _vae_loss(beta):
    def loss(model, x):
        x_hat, mu, logvar = model(x)
        total = vae_loss(x_hat, x, mu, logvar, beta=beta)
        return total, {"mse": metrics.mse(x_hat.detach(), x)}
    return loss


def train_autoencoder(model: nn.Module, images: torch.Tensor, *, kind: str = "ae", epochs: int,
                      val_images: torch.Tensor | None = None, batch_size: int = 128, lr: float = 2e-3,
                      noise_sigma: float = 0.1, beta: float = 1.0, seed: int = 0, checkpoint=None,
                      resume: bool = True, device=None, **fit_kwargs) -> train.History:
    """Train an autoencoder on ``images`` ``(N, C, H, W)`` in [0, 1].

    kind: ``"ae"`` (loss: MSE between ``model(x)`` and ``x``), ``"dae"`` (MSE
        between ``model(x + noise_sigma * eps)`` and the clean ``x``; fresh noise
        every batch) or ``"vae"`` (:func:`~coursekit.models.autoencoders.vae_loss`
        with ``beta``; the model must be a ``ConvVAE``).
    val_images: if given, the validation MSE of the reconstructions (of the
        noisy images for ``"dae"``, with a fixed noise seed) after each epoch, as
        ``val_mse``; the best epoch by it is restored at the end. For ``"vae"``
        too it is the MSE of the reconstructions (decoding ``mu``), not the VAE's
        loss: the KL term plays no part in choosing the epoch.

    Seeds torch's global generator with ``seed`` before training (the noise of ``"dae"`` and the
    samples of ``"vae"`` come from it), so the same call trains the same model; the caller's
    random state is not kept. Adam with a cosine learning-rate schedule; ``checkpoint`` gets a fingerprint
    of the hyperparameters, the images and the model (:func:`coursekit.train.checkpoint_for`)
    and the run resumes from it. Returns the :class:`~coursekit.train.History`.
    """
    if kind not in KINDS:
        raise ValueError(f"kind must be one of {KINDS}; got {kind!r}")
    if (kind == "vae") != isinstance(model, ConvVAE):
        raise TypeError(f"kind={kind!r} needs {'a ConvVAE' if kind == 'vae' else 'a model that returns images'}; "
                        f"got {type(model).__name__}")
    if kind == "dae" and not (is_real(noise_sigma) and 0 < noise_sigma < math.inf):
        raise ValueError(f"noise_sigma (the denoiser's training noise) must be a number > 0; got {noise_sigma!r}")
    if kind == "vae" and not (is_real(beta) and 0 <= beta < math.inf):
        raise ValueError(f"beta (2 s^2, the decoder's pixel variance) must be a number >= 0; got {beta!r}")
    check_images(images, "images")
    check_unit_range(images, "images")   # the decoder ends in a sigmoid
    dev = get_device(device)
    model.to(dev)
    batches = DeviceBatches(images, batch_size=batch_size, seed=seed, device=dev)
    loss_fn = {"ae": _mse_loss, "dae": _dae_loss(noise_sigma), "vae": _vae_loss(beta)}[kind]
    val_fn = None
    if val_images is not None:
        check_images(val_images, "val_images")
        check_unit_range(val_images, "val_images")
        val_in = degrade.gaussian_noise(val_images, noise_sigma, seed=seed + 1) if kind == "dae" else val_images

        def val_fn(m):
            return {"val_mse": float(metrics.mse(reconstruct(m, val_in, device=dev), val_images))}

    opt = torch.optim.Adam(model.parameters(), lr=lr)
    sched = torch.optim.lr_scheduler.CosineAnnealingLR(opt, T_max=epochs)
    # The images' contents are part of a run's identity: a run on fallback phantoms (or on
    # another subset of the same size) must never be resumed by this one.
    hparams = dict(kind=kind, epochs=epochs, n=len(images), data=train.digest_tensors(images),
                   batch_size=batch_size, lr=lr, seed=seed, latent_dim=getattr(model, "latent_dim", None),
                   **train.model_fingerprint(model),
                   noise_sigma=noise_sigma if kind == "dae" else None, beta=beta if kind == "vae" else None,
                   **train.run_settings(fit_kwargs))
    if checkpoint is not None:
        checkpoint = train.checkpoint_for(checkpoint, hparams)
    torch.manual_seed(seed)
    return train.fit(model, batches, loss_fn=loss_fn, optimizer=opt, epochs=epochs, val_fn=val_fn,
                     scheduler=sched, checkpoint=checkpoint, resume=resume and checkpoint is not None,
                     monitor="val_mse" if val_fn else None, mode="min", hparams=hparams, device=dev,
                     **fit_kwargs)


# ------------------------------------------------------- codes and outputs

@torch.no_grad()
def _batched(fn: Callable, model: nn.Module, images: torch.Tensor, batch_size: int, device,
             are_images: bool = True) -> list:
    """``fn`` on each batch of ``images`` (rows of any tensor when not ``are_images``), moved to
    the model's device, with the model in eval mode (its mode is restored afterwards)."""
    if are_images:
        check_images(images, "images")
    dev = model_device(model, device)
    with train.evaluating(model):
        return [fn(images[i:i + batch_size].to(dev)) for i in range(0, len(images), batch_size)]


def encode(model: nn.Module, images: torch.Tensor, batch_size: int = 512, device=None) -> np.ndarray:
    """Codes of ``images`` ``(N, C, H, W)``: ``(N, latent_dim)`` float64 numpy (a VAE's mean ``mu``)."""
    def code(x):
        z = model.encode(x)
        return (z[0] if isinstance(z, tuple) else z).float().cpu()
    return torch.cat(_batched(code, model, images, batch_size, device)).double().numpy()


def reconstruct(model: nn.Module, images: torch.Tensor, batch_size: int = 512, device=None) -> torch.Tensor:
    """``model``'s reconstructions of ``images`` (eval mode; a VAE decodes its mean code):
    ``(N, C, H, W)`` float32 on the CPU."""
    def rec(x):
        out = model(x)
        return (out[0] if isinstance(out, tuple) else out).float().cpu()
    return torch.cat(_batched(rec, model, images, batch_size, device))


@torch.no_grad()
def decode(model: nn.Module, codes, batch_size: int = 512, device=None) -> torch.Tensor:
    """Images that ``model.decode`` makes of ``codes`` ``(N, latent_dim)`` (tensor or array, on any
    device), batch by batch on the model's device: ``(N, C, H, W)`` float32 in [0, 1] on the CPU."""
    z = torch.as_tensor(codes).detach().float().cpu()
    if z.ndim != 2:
        raise ValueError(f"codes must be (N, latent_dim); got shape {tuple(z.shape)}")
    return torch.cat(_batched(lambda c: model.decode(c).float().cpu(), model, z, batch_size, device,
                              are_images=False))


def vae_outputs(model: ConvVAE, images: torch.Tensor, batch_size: int = 512,
                device=None) -> tuple[torch.Tensor, torch.Tensor, torch.Tensor]:
    """A VAE's ``(x_hat, mu, logvar)`` for ``images`` ``(N, C, H, W)``, in eval mode (``x_hat``
    decodes ``mu``), batch by batch on the model's device; all three float32 on the CPU:
    ``x_hat`` ``(N, C, H, W)`` in [0, 1], ``mu`` and ``logvar`` ``(N, latent_dim)``."""
    if not isinstance(model, ConvVAE):
        raise TypeError(f"vae_outputs needs a ConvVAE; got {type(model).__name__} (use reconstruct)")
    parts = _batched(lambda x: tuple(t.float().cpu() for t in model(x)), model, images, batch_size, device)
    return tuple(torch.cat(ts) for ts in zip(*parts))


# --------------------------------------------------------------- PCA baseline

def fit_pca(images: torch.Tensor, n_components: int, seed: int = 0):
    """A ``sklearn.decomposition.PCA`` with ``n_components`` components fitted on the
    flattened ``images`` ``(N, C, H, W)`` (centred on their mean image)."""
    from sklearn.decomposition import PCA

    check_images(images, "images")
    if not is_int(n_components) or not 1 <= n_components <= min(images.shape[0], images[0].numel()):
        raise ValueError(f"n_components must be an int between 1 and min(N, C*H*W); got {n_components!r}")
    return PCA(n_components=int(n_components), random_state=seed).fit(images.flatten(1).double().numpy())


def pca_codes(pca, images: torch.Tensor) -> np.ndarray:
    """PCA codes (projections on the components) of ``images``: ``(N, k)`` float64."""
    check_images(images, "images")
    return pca.transform(images.flatten(1).double().numpy())


def pca_reconstruct(pca, images: torch.Tensor, clip: bool = True) -> torch.Tensor:
    """Project ``images`` on the PCA subspace and back: ``(N, C, H, W)`` float32.

    ``clip=True`` clips to [0, 1], the range of every image; this can only lower
    the baseline's error (the autoencoder's sigmoid output is in [0, 1] too)."""
    flat = pca.inverse_transform(pca_codes(pca, images))
    out = torch.from_numpy(flat).float().view_as(images)
    return out.clamp(0, 1) if clip else out


CURVE_KS = (1, 2, 4, 8, 12, 16, 24, 32, 48, 64, 96, 128, 192, 256)
"""The numbers of components of :func:`pca_error_curve` by default (up to a third of 28 x 28 pixels)."""


def pca_error_curve(train_images: torch.Tensor, test_images: torch.Tensor, ks: Sequence[int] | None = None,
                    seed: int = 0) -> dict[int, float]:
    """PCA's test MSE as a function of the number of components: ``{k: mse}``.

    One PCA with ``max(ks)`` components is fitted on ``train_images``; the
    reconstruction with k components keeps its k leading components (the
    k-component PCA), clipped to [0, 1] as in :func:`pca_reconstruct`. Both
    image sets ``(N, C, H, W)`` in [0, 1]; ``ks`` positive ints, at most
    ``min(N_train, C * H * W)``; by default the :data:`CURVE_KS` that the
    training set allows. Use it to ask how many linear components a nonlinear
    code of k numbers is worth (:func:`components_to_reach`).
    """
    check_unit_range(check_images(train_images, "train_images"), "train_images")
    if ks is None:
        ks = [k for k in CURVE_KS if k <= min(train_images.shape[0], train_images[0].numel())]
    ks = sorted({int(k) for k in ks})
    if not ks or ks[0] < 1:
        raise ValueError(f"ks must be positive ints; got {ks!r}")
    most = min(train_images.shape[0], train_images[0].numel())
    if ks[-1] > most:
        raise ValueError(f"ks: at most {most} components (min of {train_images.shape[0]} training images and "
                         f"{train_images[0].numel()} pixels per image); got {ks[-1]}")
    check_unit_range(check_images(test_images, "test_images"), "test_images")
    if tuple(train_images.shape[1:]) != tuple(test_images.shape[1:]):
        raise ValueError(f"train and test images must have the same shape per image; got "
                         f"{tuple(train_images.shape[1:])} and {tuple(test_images.shape[1:])}")
    pca = fit_pca(train_images, ks[-1], seed=seed)
    x = test_images.flatten(1).double().numpy()
    codes = pca.transform(x)                                       # (N, max k), leading components first
    curve = {}
    for k in ks:
        flat = codes[:, :k] @ pca.components_[:k] + pca.mean_
        rec = torch.from_numpy(flat).float().view_as(test_images).clamp(0, 1)
        curve[k] = float(metrics.mse(rec, test_images))
    return curve


def components_to_reach(curve: dict[int, float], mse: float) -> int | None:
    """The smallest k of a :func:`pca_error_curve` whose PCA error is at most ``mse``
    (``None`` when no k on the curve gets there: the curve is too short to tell).

    Only the curve's ks are searched: on a grid such as :data:`CURVE_KS` this is an
    upper bound on the fewest components that get there (:func:`components_bracket`)."""
    reached = [k for k, e in curve.items() if e <= mse]
    return min(reached) if reached else None


def components_bracket(curve: dict[int, float], mse: float) -> tuple[int, int] | None:
    """Where the fewest PCA components with an error at most ``mse`` lie, read off a
    :func:`pca_error_curve` computed at a grid of k: ``(lo, hi)``, both ints, ``lo <= hi``.

    ``hi`` is :func:`components_to_reach` (the smallest k of the curve that gets there);
    ``lo`` is one more than the curve's k before it (1 when ``hi`` is the curve's first k).
    PCA's error does not rise as k grows (clipping aside), so the answer is in
    ``lo .. hi``, and is ``hi`` exactly when ``lo == hi``. ``None`` when no k on the
    curve gets there."""
    hi = components_to_reach(curve, mse)
    if hi is None:
        return None
    below = [k for k in curve if k < hi]
    return (max(below) + 1 if below else 1), hi


# ---------------------------------------------------------------- the probe

def linear_probe(train_codes, train_labels, test_codes, test_labels, C: float = 1.0,
                 max_iter: int = 2000) -> dict:
    """Multinomial logistic regression on codes, fitted on the training codes.

    Codes ``(N, k)`` are standardised with the training mean and std; labels
    ``(N,)`` class indices (array or tensor). Returns ``{"acc", "scores"}``:
    the test accuracy (argmax of the probabilities, as MedMNIST computes it) and
    the ``(N_test, n_classes)`` probabilities, column c for class c (n_classes: the
    largest label + 1; 0 in the column of a class the training labels lack).
    """
    from sklearn.linear_model import LogisticRegression
    from sklearn.preprocessing import StandardScaler

    x_tr, x_te = np.asarray(train_codes, dtype=np.float64), np.asarray(test_codes, dtype=np.float64)
    y_tr, y_te = np.asarray(train_labels).reshape(-1), np.asarray(test_labels).reshape(-1)
    if x_tr.ndim != 2 or x_te.ndim != 2 or x_tr.shape[1] != x_te.shape[1]:
        raise ValueError(f"codes must be (N, k) with the same k; got {x_tr.shape} and {x_te.shape}")
    if len(x_tr) != len(y_tr) or len(x_te) != len(y_te):
        raise ValueError("each set of codes needs one label per row")
    for name, y in (("train_labels", y_tr), ("test_labels", y_te)):
        if not (np.issubdtype(y.dtype, np.integer) or (np.issubdtype(y.dtype, np.floating) and
                                                        np.array_equal(y, np.round(y)))) or (y.size and y.min() < 0):
            raise ValueError(f"{name}: expected class indices (integers >= 0); got values such as {y[:3].tolist()}")
    scaler = StandardScaler().fit(x_tr)
    clf = LogisticRegression(C=C, max_iter=max_iter).fit(scaler.transform(x_tr), y_tr)
    proba = clf.predict_proba(scaler.transform(x_te))              # one column per class seen in training
    scores = np.zeros((len(x_te), int(max(y_tr.max(), y_te.max())) + 1))
    scores[:, clf.classes_.astype(int)] = proba
    acc = float((scores.argmax(1) == y_te).mean())
    return {"acc": acc, "scores": scores}


def random_codes(images: torch.Tensor, k: int, seed: int = 0) -> np.ndarray:
    """k random mixtures of the pixels: a code of k numbers that learned nothing, the floor of a
    :func:`linear_probe` (what any k linear numbers of the pixels already tell).

    ``images`` ``(N, C, H, W)`` flattened, times a fixed ``(C*H*W, k)`` matrix of standard
    normal entries drawn from ``seed`` alone, without looking at any image: the same matrix for
    every call with the same image size, ``k`` and ``seed``, so training and test codes share it.
    Returns ``(N, k)`` float64 numpy."""
    check_images(images, "images")
    if not is_int(k) or k < 1:
        raise ValueError(f"k (the number of mixtures) must be a positive int; got {k!r}")
    mixing = torch.randn(images[0].numel(), int(k), dtype=torch.float64,
                         generator=torch.Generator().manual_seed(int(seed)))
    return (images.flatten(1).double().cpu() @ mixing).numpy()


def versus_pca(model: nn.Module, pca, train, test) -> dict[str, float]:
    """An autoencoder and a fitted PCA scored the same way on the same images: test MSE of
    each reconstruction and test accuracy of a :func:`linear_probe` fitted on each method's
    training codes. ``train``/``test`` are MedMNIST splits (``.images`` ``(N, 1, 28, 28)`` in
    [0, 1], ``.labels``). Returns ``{"ae_test_mse", "pca_test_mse", "ae_probe_acc", "pca_probe_acc"}``."""
    return {
        "ae_test_mse": float(metrics.mse(reconstruct(model, test.images), test.images)),
        "pca_test_mse": float(metrics.mse(pca_reconstruct(pca, test.images), test.images)),
        "ae_probe_acc": linear_probe(encode(model, train.images), train.labels,
                                     encode(model, test.images), test.labels)["acc"],
        "pca_probe_acc": linear_probe(pca_codes(pca, train.images), train.labels,
                                      pca_codes(pca, test.images), test.labels)["acc"],
    }


# ------------------------------------------------------- errors and noise

def reconstruction_errors(reconstructions: torch.Tensor, images: torch.Tensor) -> np.ndarray:
    """Per-image MSE ``(N,)`` float64: the anomaly score of reconstruction-based detection.
    Tensors or arrays ``(N, C, H, W)``. (Detached: a model's output may still carry gradients.)"""
    reconstructions, images = (torch.as_tensor(t).detach() for t in (reconstructions, images))
    return metrics.mse(reconstructions, images, reduction="none").cpu().double().numpy()   # MPS has no float64


def classical_denoise(noisy: torch.Tensor, method: str, strength: float, clip: bool = True) -> torch.Tensor:
    """A classical denoiser from :mod:`coursekit.restore`, image by image and channel by channel.

    method: ``"gaussian"`` (:func:`coursekit.restore.gaussian`: ``strength`` = the filter's
    sigma in pixels) or ``"tv"`` (total variation, :func:`coursekit.restore.tv`: ``strength`` =
    its weight). ``noisy`` ``(N, C, H, W)`` float: images in [0, 1] plus noise (refused above 10
    when clipping: 0-255 images); returns the same shape, float32, clipped to [0, 1] unless
    ``clip=False``: the clean images lie in [0, 1], and a denoising autoencoder's sigmoid
    output cannot leave that range, so a fair comparison lets the classical denoisers use it
    too (unclipped, a filtered black background keeps the negative half of its noise).
    """
    check_images(noisy, "noisy")
    if method not in DENOISERS:
        raise ValueError(f"method must be one of {DENOISERS}; got {method!r}")
    # sigma 0 leaves the image as it is; TV divides by its weight
    if not is_real(strength) or not (strength >= 0 if method == "gaussian" else strength > 0):
        what = "the filter's sigma in pixels, >= 0" if method == "gaussian" else "the TV weight, > 0"
        raise ValueError(f"strength ({what}) must be a number; got {strength!r}")
    return restore.DENOISERS[method](noisy, strength, clip=clip).cpu()


def tune_classical(noisy: torch.Tensor, clean: torch.Tensor, method: str,
                   strengths: Sequence[float]) -> tuple[float, dict[float, float]]:
    """The strength with the best mean PSNR on (``noisy``, ``clean``) -- pass
    *validation* images -- and the PSNR of every strength tried (outputs clipped to
    [0, 1], as :func:`classical_denoise` returns them): :func:`coursekit.restore.tune`.

    Warns when the best is the smallest or the largest of several strengths: the
    optimum may lie outside the range tried, so widen it on that side.
    """
    strengths = [float(s) for s in strengths]
    if not strengths:
        raise ValueError("tune_classical: strengths is empty; give the strengths to try, e.g. [0.5, 1.0, 1.5]")

    def denoise(x: torch.Tensor, strength: float) -> torch.Tensor:
        return classical_denoise(x, method, strength)

    denoise.__name__ = f"classical_denoise({method!r})"
    return restore.tune(denoise, noisy, clean, strengths)


# ------------------------------------------------------------------- widget

@torch.no_grad()
def latent_grid(decode: Callable[[torch.Tensor], torch.Tensor], z_base, dims: tuple[int, int] = (0, 1),
                values: Sequence[float] = (-2.0, -1.0, 0.0, 1.0, 2.0)) -> np.ndarray:
    """Decode a grid of codes that differ in two latent dimensions only.

    decode: ``(M, k)`` codes -> ``(M, C, H, W)`` images (e.g. ``model.decode``).
    z_base: ``(k,)`` code whose other dimensions stay fixed (e.g. zeros, the prior mean).
    dims: the two dimensions ``(i, j)`` that vary; row r, column c of the grid has
        ``z[i] = z_base[i] + values[r]`` and ``z[j] = z_base[j] + values[c]``.
    Returns one ``(len(values) * H, len(values) * W)`` float32 mosaic (channel mean).
    """
    z0 = torch.as_tensor(np.asarray(z_base), dtype=torch.float32).reshape(-1)
    i, j = int(dims[0]), int(dims[1])
    k = z0.numel()
    if not (0 <= i < k and 0 <= j < k) or i == j:
        raise ValueError(f"dims must be two different latent dimensions in [0, {k}); got {dims}")
    vals = torch.as_tensor(list(values), dtype=torch.float32)
    n = len(vals)
    z = z0.repeat(n * n, 1)
    z[:, i] += vals.repeat_interleave(n)
    z[:, j] += vals.repeat(n)
    images = decode(z).float().cpu().mean(dim=1)                     # (n*n, H, W)
    h, w = images.shape[1:]
    return images.view(n, n, h, w).permute(0, 2, 1, 3).reshape(n * h, n * w).numpy()


def latent_explorer(model: nn.Module, z_base=None, span: float = 2.5, steps: int = 7,
                    settings: Sequence[tuple[int, int]] = ((0, 1), (2, 3))):
    """The chapter's widget: a pre-rendered panel of :func:`latent_grid` for each
    pair of dimensions in ``settings``, then live controls (two dimensions and
    the span) when a kernel runs. ``z_base`` defaults to the zero code."""
    from . import widgets

    device = model_device(model)
    k = model.latent_dim
    if k < 2:
        raise ValueError(f"latent_explorer varies two code dimensions, so it needs a code of at least 2 "
                         f"dimensions; this model's latent_dim is {k}")
    for n, pair in enumerate(settings):
        if len(pair) != 2 or not all(is_int(d) and 0 <= d < k for d in pair) or pair[0] == pair[1]:
            raise ValueError(f"settings[{n}] = {tuple(pair)}: each setting is two different code dimensions "
                             f"(columns, rows), ints in [0, {k}) for this model's latent_dim of {k}")
    z0 = np.zeros(k, dtype=np.float32) if z_base is None else np.asarray(z_base, dtype=np.float32)
    # the title says where the other dimensions sit: "z[others] fixed" left a reader guessing at what
    others = "the other dimensions at 0" if z_base is None else "the other dimensions at z_base"

    def render(dim_x: int = 0, dim_y: int = 1, span: float = span):
        if dim_x == dim_y:
            raise ValueError(f"dim_x and dim_y both pick z[{dim_x}]: choose two different dimensions")
        with train.evaluating(model):      # decoded in eval mode; the model keeps the mode it had
            return latent_grid(lambda z: model.decode(z.to(device)), z0, (dim_y, dim_x),
                               np.linspace(-span, span, steps))

    top = max(4.0, math.ceil(2 * span) / 2)   # the span slider reaches the span given
    return widgets.explore(render, {"dim_x": (0, k - 1), "dim_y": (0, k - 1), "span": (0.5, top, 0.5)},
                           settings=[{"dim_x": a, "dim_y": b} for a, b in settings],
                           titles=[f"rows: z[{b}], columns: z[{a}]" for a, b in settings],
                           suptitle=f"Decoded codes, {others}, {steps} steps from -{span} to {span}",
                           size=4.0,   # a grid of steps x steps images per panel
                           title=lambda dim_x, dim_y, span: f"rows: z[{dim_y}], columns: z[{dim_x}], "
                                                            f"from -{span} to {span}")

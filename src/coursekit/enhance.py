"""Enhancement recipes: training a restoration network on (degraded, clean) pairs, and scoring
it next to its classical baseline on the same test images (the enhancement chapter's notebook
uses them, so that its numbers come from one implementation).

* :func:`tune_each` tunes several classical restorers of :mod:`coursekit.restore` on validation
  pairs and applies each, at its best strength, to the test images; :data:`DENOISERS` and
  :data:`DEBLURRERS` are the chapter's, each with the strengths it tries; :func:`denoisers` adds
  two for Poisson noise of a known dose (TV and non-local means after the Anscombe transform).
* :func:`train_restorer` trains any image-to-image model (e.g. those of
  :mod:`coursekit.models.restoration`) with the MSE between ``model(degraded)`` and ``clean``,
  choosing the epoch by the validation PSNR.
* :func:`apply` runs a model over a whole set in eval mode, batch by batch, and clips its output
  to [0, 1] as the classical restorers of :mod:`coursekit.restore` are clipped.
* :func:`scores` gives the mean PSNR and SSIM of several outputs against the same clean images.
* :func:`method_noise`: what a restorer removed, ``degraded - restored``; for a denoiser it should
  look like noise, and anatomy in it is anatomy the restorer erased.

Images are ``(N, C, H, W)`` float32 tensors; clean images in [0, 1].
"""
from __future__ import annotations

import functools
from typing import Callable, Mapping, Sequence

import torch
from torch import nn

from . import metrics, restore, train
from .checks import check_images, check_number, check_positive_int, check_same_shape, check_unit_range
from .data import DeviceBatches
from .device import get_device, model_device

__all__ = ["tune_each", "restorer_for", "train_restorer", "apply", "scores", "method_noise", "denoisers", "DENOISERS",
           "DEBLURRERS", "ANSCOMBE_STRENGTHS"]

# The chapter's classical restorers, {name: (restorer, strengths)} for tune_each, as its notebook and
# benchmark try them: strengths wide enough that the best lies inside the range at 28 and at 64 pixels
# (restore.tune warns when it lies at an end). The median filter is left out: it is made for impulse
# noise, not for the Poisson noise the chapter draws. Non-local means (with sigma 0) turns from no
# averaging to too much within 20% of h, so its h steps by about 10% where the doses of chapters 7 and 9
# put the best (0.08 to 0.15): steps of 1.5x cost it up to 0.5 dB (30 photons: 20.46 dB at 0.09 against
# 20.93 at 0.11, on 200 OrganAMNIST validation slices); these are within 0.03 dB of steps of 5%. The
# Gaussian filter's kernel grows by a pixel at sigma 0.375 and 0.625 (cut at 4 sigma), so the PSNR jumps
# there, and at 60 photons the best (0.4) fell between 0.35 and 0.5, 0.2 dB short: a finer grid (it is cheap).
DENOISERS = {"gaussian": (restore.gaussian, (0.25, 0.3, 0.35, 0.4, 0.45, 0.5, 0.6, 0.7, 0.85, 1.0,  # sigma,
                                              1.2, 1.4, 1.7, 2.0, 2.8)),                         # pixels
             "tv": (restore.tv, (0.01, 0.02, 0.04, 0.07, 0.1, 0.15, 0.25, 0.4)),                # weight
             "nl_means": (restore.nl_means, (0.03, 0.05, 0.07, 0.08, 0.09, 0.1, 0.11, 0.12, 0.13,    # h
                                             0.15, 0.17, 0.2, 0.3, 0.45))}
DEBLURRERS = {"wiener": (restore.wiener, (1e-4, 3e-4, 1e-3, 3e-3, 1e-2, 3e-2, 0.1, 0.3)),       # balance
              "richardson_lucy": (restore.richardson_lucy, (2, 4, 8, 16, 32, 64, 128, 256))}     # iterations


# The strengths of TV and non-local means after the Anscombe transform: the transformed noise,
# about 1 / (2 sqrt(photons)), is below the untransformed one's sqrt(x / photons) wherever x > 1/4, so
# the best strengths are smaller, and DENOISERS' coarse steps at the small end were 0.1 dB short at 60
# photons (TV: 0.02 and 0.04 tried, the best between; non-local means: 0.03 and 0.05 around its 0.05).
ANSCOMBE_STRENGTHS = {"tv": (0.005, 0.01, 0.015, 0.02, 0.025, 0.03, 0.04, 0.05, 0.07, 0.1, 0.15, 0.25),     # weight
                      "nl_means": (0.025, 0.03, 0.035, 0.04, 0.045, 0.05, 0.055, 0.06, 0.07, 0.08, 0.09,  # h
                                   0.1, 0.11, 0.12, 0.15, 0.2)}


def denoisers(photons: float) -> dict[str, tuple[Callable, Sequence]]:
    """The denoisers for Poisson noise drawn at ``photons`` (:func:`coursekit.degrade.poisson_noise`):
    :data:`DENOISERS`, and TV and non-local means after the Anscombe transform
    (:func:`coursekit.restore.stabilised`), as ``tv_anscombe`` and ``nl_means_anscombe``, with
    ``photons`` bound and the strengths of :data:`ANSCOMBE_STRENGTHS`. For :func:`tune_each` and
    :func:`restorer_for`; a new dict each call."""
    photons = check_number(photons, "photons", "the expected count at intensity 1", low_included=False)
    out = dict(DENOISERS)
    for name, strengths in ANSCOMBE_STRENGTHS.items():
        out[f"{name}_anscombe"] = (functools.partial(restore.stabilised(DENOISERS[name][0]), photons=photons),
                                   strengths)
    return out


def tune_each(restorers: Mapping[str, tuple[Callable, Sequence]], val_degraded: torch.Tensor,
              val_clean: torch.Tensor, test_degraded: torch.Tensor,
              **kwargs) -> tuple[dict[str, torch.Tensor], dict[str, float]]:
    """Each restorer at its best strength on the validation pairs, applied to the test images.

    restorers: ``{name: (restorer, strengths)}``, e.g. ``{"tv": (restore.tv, [0.05, 0.1])}``;
    ``kwargs`` go to every call (``psf_sigma=`` for the deconvolutions). Returns
    ``({"name (best)": test output}, {"name (best)": validation PSNR at best})``: the second says
    which restorer to prefer without looking at the test images.
    """
    outputs, val_psnr = {}, {}
    for name, (restorer, strengths) in restorers.items():
        best, psnrs = restore.tune(restorer, val_degraded, val_clean, strengths, **kwargs)
        key = f"{name} ({best:g})"
        outputs[key], val_psnr[key] = restorer(test_degraded, best, **kwargs), psnrs[best]
    return outputs, val_psnr


def restorer_for(key: str, restorers: Mapping[str, tuple[Callable, Sequence]], **kwargs) -> Callable:
    """The restorer that a :func:`tune_each` key names, at the strength in its name, as a function of
    the degraded images alone: ``restorer_for("tv (0.1)", DENOISERS)(noisy)`` is
    ``restore.tv(noisy, 0.1)``. To apply a tuned baseline to other images (another dose, a new
    scan) without tuning it again. ``kwargs`` go to every call, as in :func:`tune_each`."""
    name, sep, rest = key.partition(" (")
    if not sep or not rest.endswith(")") or name not in restorers:
        raise ValueError(f"key: expected a key of tune_each's results, 'name (strength)' with a name among "
                         f"{sorted(restorers)}; got {key!r}")
    restorer, strengths = restorers[name]
    # The strength tried whose printed form (tune_each's {:g}) is the key's: exactly the value tuned,
    # an int for iterations; a strength that was not tried is read from the key as a number.
    tried = [s for s in strengths if f"{s:g}" == rest[:-1]]
    try:
        strength = tried[0] if tried else float(rest[:-1])
    except ValueError:
        raise ValueError(f"key: the strength in {key!r} is not a number") from None
    return lambda degraded: restorer(degraded, strength, **kwargs)


def _mse_loss(model, batch):
    degraded, clean = batch
    return metrics.mse(model(degraded), clean)


def _check_pairs(degraded, clean, name: str) -> None:
    check_images(degraded, f"{name} degraded")
    check_unit_range(check_images(clean, f"{name} clean"), f"{name} clean")
    if len(degraded) != len(clean):
        raise ValueError(f"{name}: {len(degraded)} degraded images but {len(clean)} clean ones; each degraded "
                         "image needs the clean image it came from")


@torch.no_grad()
def apply(model: nn.Module, degraded: torch.Tensor, batch_size: int = 256, device=None,
          clip: bool = True) -> torch.Tensor:
    """``model``'s output for every image of ``degraded`` ``(N, C, H, W)``, in eval mode (the model
    keeps the mode it had), batch by batch on the model's device: float32 on the CPU, clipped to
    [0, 1] unless ``clip=False``."""
    check_images(degraded, "degraded")
    batch_size = check_positive_int(batch_size, "batch_size")
    dev = model_device(model, device)
    with train.evaluating(model):
        out = torch.cat([model(degraded[i:i + batch_size].to(dev)).float().cpu()
                         for i in range(0, len(degraded), batch_size)]) if len(degraded) else degraded.float().cpu()
    return out.clamp(0, 1) if clip else out


def train_restorer(model: nn.Module, degraded: torch.Tensor, clean: torch.Tensor, *, epochs: int,
                   val: tuple[torch.Tensor, torch.Tensor] | None = None, batch_size: int = 64, lr: float = 1e-3,
                   seed: int = 0, checkpoint=None, resume: bool = True, device=None,
                   **fit_kwargs) -> train.History:
    """Train ``model`` to map ``degraded`` to ``clean`` (the MSE loss), with Adam and a cosine
    learning-rate schedule over ``epochs``.

    degraded: ``(N, C, H, W)`` model inputs; clean: ``(N, C, H', W')`` targets in [0, 1] (``H'``
        differs from ``H`` for super-resolution). The pairs are fixed: degrade the training images
        once, with a seed, so that a run can be repeated and resumed.
    val: ``(degraded, clean)`` validation pairs: their mean PSNR (outputs clipped to [0, 1]) after
        every epoch, as ``val_psnr``; the best epoch by it is restored at the end.
    checkpoint: a path; a fingerprint of the hyperparameters, the data and the model is added to its
        name (:func:`coursekit.train.checkpoint_for`), and the run resumes from it.

    Seeds torch's global generator with ``seed`` before training, so the same call trains the same
    model. Returns the :class:`~coursekit.train.History`.
    """
    _check_pairs(degraded, clean, "training")
    epochs = check_positive_int(epochs, "epochs")
    dev = get_device(device)
    model.to(dev)
    batches = DeviceBatches(degraded, clean, batch_size=batch_size, seed=seed, device=dev)
    val_fn = None
    if val is not None:
        val_degraded, val_clean = val
        _check_pairs(val_degraded, val_clean, "val")

        def val_fn(m):
            return {"val_psnr": float(metrics.psnr(apply(m, val_degraded, device=dev), val_clean))}

    opt = torch.optim.Adam(model.parameters(), lr=lr)
    sched = torch.optim.lr_scheduler.CosineAnnealingLR(opt, T_max=epochs)
    # The images are part of a run's identity: a run on other pairs (another noise level, fallback
    # phantoms) must never resume this one.
    hparams = dict(epochs=epochs, n=len(degraded), data=train.digest_tensors(degraded, clean),
                   batch_size=batch_size, lr=lr, seed=seed, **train.model_fingerprint(model),
                   **train.run_settings(fit_kwargs))
    if checkpoint is not None:
        checkpoint = train.checkpoint_for(checkpoint, hparams)
    torch.manual_seed(seed)
    return train.fit(model, batches, loss_fn=_mse_loss, optimizer=opt, epochs=epochs, val_fn=val_fn,
                     scheduler=sched, checkpoint=checkpoint, resume=resume and checkpoint is not None,
                     monitor="val_psnr" if val_fn else None, mode="max", hparams=hparams, device=dev,
                     **fit_kwargs)


def scores(outputs: Mapping[str, torch.Tensor], clean: torch.Tensor) -> dict[str, dict[str, float]]:
    """``{name: {"PSNR (dB)": ..., "SSIM": ...}}``: the mean over the images of each output's PSNR and
    SSIM against ``clean`` (:mod:`coursekit.metrics`, data range 1), in the order given. Outputs are
    scored as they are: clip them first (the restorers and :func:`apply` do)."""
    check_unit_range(check_images(clean, "clean"), "clean")
    table = {}
    for name, out in outputs.items():
        check_same_shape(out, clean, (f"outputs[{name!r}]", "clean"))
        out = out.detach().cpu().float()
        table[name] = {"PSNR (dB)": float(metrics.psnr(out, clean)), "SSIM": float(metrics.ssim(out, clean))}
    return table


def method_noise(degraded: torch.Tensor, restored: torch.Tensor) -> torch.Tensor:
    """What a restorer took away: ``degraded - restored`` (same shape). For a denoiser it should be
    noise alone; edges or organs in it are detail the restorer removed along with the noise
    (Buades et al. call it the method noise)."""
    check_same_shape(degraded, restored, ("degraded", "restored"))
    return degraded.detach().cpu().float() - restored.detach().cpu().float()

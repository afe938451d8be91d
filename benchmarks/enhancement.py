"""Benchmark of the image enhancement chapter, with the code and parameters of
notebooks/07_enhancement.ipynb (a test keeps PARAMS equal to its parameters cell).

OrganAMNIST at ``size`` pixels (28 in both profiles: the verified file that a GPU machine without
internet can be given; 64 works where it can be downloaded); the same seeds as the notebook, so the
same degraded images. Every classical strength, and the choice among classical methods, is made on
the validation pairs (:func:`coursekit.enhance.tune_each`); every number is on the test pairs.

* Low-dose CT (Poisson noise of ``photons``): ``denoise_noisy_*``, ``denoise_<method>_*`` for the
  Gaussian filter, total variation and non-local means, and the last two after the Anscombe transform
  (``tv_anscombe``, ``nl_means_anscombe``: :func:`coursekit.enhance.denoisers`) (``psnr``, ``ssim``, and
  ``strength``, the value chosen), ``denoise_best_classical_*`` (the one best on validation), ``denoise_dncnn_*``.
* The same DnCNN at half and at twice its training dose, against the classical denoiser best on
  validation kept at the strength tuned at the training dose (:func:`coursekit.enhance.restorer_for`;
  like for like: neither method has clean images at a new dose), and against the classical denoisers
  re-tuned at each dose with clean validation images at that dose (a bound, not a practice):
  ``dose_{half,train,double}_{noisy,classical_kept,classical_retuned,dncnn}_psnr``.
* Deblurring (a Gaussian PSF of ``blur`` pixels, noise ``blur_noise``): ``deblur_blurred_*``,
  ``deblur_{wiener,richardson_lucy}_*``, ``deblur_best_classical_*``, ``deblur_unet_*``.
* Super-resolution by ``scale``: ``sr_{nearest,bilinear,bicubic,espcn}_{psnr,ssim,consistency}``
  (consistency: the MSE between the output's block means and the low-resolution input).
* ``<net>_train_seconds``, ``<net>_best_epoch`` and ``<net>_parameters`` for dncnn, unet, espcn.

Writes ``benchmarks/results/enhancement.json`` (full profile) or ``enhancement.quick.json``
(quick). Refuses to write results of fallback data. Checkpoints are kept in
:func:`coursekit.bench.checkpoint_dir`, so a stopped run resumes.
Run: ``COURSEKIT_PROFILE=full python benchmarks/enhancement.py`` (a GPU: the full DnCNN is 17
layers of 64 channels, trained on every training slice).
"""
from __future__ import annotations

import sys

import torch

import coursekit as ck
from coursekit import degrade, enhance
from coursekit.models.restoration import DnCNN, ESPCN, UNet

NOTEBOOK = "notebooks/07_enhancement.ipynb"   # the notebook whose parameters cell PARAMS repeats
PARAMS = dict(
    quick=dict(size=28, n_train=2000, n_val=200, n_test=500, photons=30, blur=1.0, blur_noise=0.01, scale=2,
               depth=6, width=32, unet_width=16, epochs=4, batch_size=32, lr=1e-3),
    full=dict(size=28, n_train=None, n_val=1000, n_test=2000, photons=30, blur=1.0, blur_noise=0.01, scale=2,
              depth=17, width=64, unet_width=32, epochs=30, batch_size=64, lr=1e-3),
)
SEED = 0


def record(r: dict, prefix: str, outputs: dict, clean: torch.Tensor) -> None:
    """``<prefix>_<name>_psnr`` and ``_ssim`` for each output; ``name`` is the key up to " (" and
    its strength, when the key carries one ("tv (0.07)"), goes to ``<prefix>_<name>_strength``."""
    for key, scores in enhance.scores(outputs, clean).items():
        name = key.split(" (")[0].lower().replace("-", "_")
        r[f"{prefix}_{name}_psnr"], r[f"{prefix}_{name}_ssim"] = scores["PSNR (dB)"], scores["SSIM"]
        if " (" in key:
            r[f"{prefix}_{name}_strength"] = float(key.split(" (")[1].rstrip(")"))


def best_of(r: dict, prefix: str, val_psnr: dict) -> None:
    """``<prefix>_best_classical_{psnr,ssim}``: the test scores of the method best on validation."""
    name = max(val_psnr, key=val_psnr.get).split(" (")[0]
    for metric in ("psnr", "ssim"):
        r[f"{prefix}_best_classical_{metric}"] = r[f"{prefix}_{name}_{metric}"]


def trained(r: dict, name: str, model, inputs, targets, val, P, device, cache) -> torch.nn.Module:
    h = enhance.train_restorer(model, inputs, targets, epochs=P.epochs, val=val, batch_size=P.batch_size, lr=P.lr,
                               seed=SEED, checkpoint=cache / f"{name}.pt", device=device, progress=False)
    r[f"{name}_train_seconds"], r[f"{name}_best_epoch"] = h.seconds(), h.best_epoch
    r[f"{name}_parameters"] = ck.models.count_parameters(model)
    return model


def main() -> int:
    P = ck.profile.params(**PARAMS)
    ck.device.print_config()
    ck.seed_everything(SEED)
    device = ck.device.get_device()
    data = {split: ck.data.load_medmnist("organamnist", split, size=P.size).subset(n, seed=SEED)
            for split, n in (("train", P.n_train), ("val", P.n_val), ("test", P.n_test))}
    ck.bench.require_real_data()
    clean = {split: d.images for split, d in data.items()}
    seeds = {"train": SEED, "val": SEED + 1, "test": SEED + 2}      # as in the notebook
    r: dict[str, float] = {"n_train": len(clean["train"]), "n_test": len(clean["test"]), "size": P.size,
                           "photons": P.photons, "blur": P.blur, "blur_noise": P.blur_noise, "scale": P.scale}
    cache = ck.bench.checkpoint_dir("enhancement")
    print(f"checkpoints in {cache} (a stopped run resumes from them; delete the folder to start over)")

    # low-dose CT
    noisy = {s: degrade.poisson_noise(clean[s], P.photons, seed=seeds[s]) for s in clean}
    chosen_from = enhance.denoisers(P.photons)
    classical, val_psnr = enhance.tune_each(chosen_from, noisy["val"], clean["val"], noisy["test"])
    ck.seed_everything(SEED)   # each network's first weights depend on SEED alone, as in the notebook
    dncnn = trained(r, "dncnn", DnCNN(depth=P.depth, width=P.width), noisy["train"], clean["train"],
                    (noisy["val"], clean["val"]), P, device, cache)
    record(r, "denoise", {"noisy": noisy["test"].clamp(0, 1), **classical,
                          "dncnn": enhance.apply(dncnn, noisy["test"], device=device)}, clean["test"])
    best_of(r, "denoise", val_psnr)

    # another dose; at the training dose the numbers are those above (the same images and tuning)
    for label, key in (("noisy", "noisy"), ("classical_kept", "best_classical"),
                       ("classical_retuned", "best_classical"), ("dncnn", "dncnn")):
        r[f"dose_train_{label}_psnr"] = r[f"denoise_{key}_psnr"]
    kept = enhance.restorer_for(max(val_psnr, key=val_psnr.get), chosen_from)   # the training dose's strength
    for label, photons in (("half", P.photons / 2), ("double", 2 * P.photons)):
        val_noisy = degrade.poisson_noise(clean["val"], photons, seed=seeds["val"])
        test_noisy = degrade.poisson_noise(clean["test"], photons, seed=seeds["test"])
        outputs, psnrs = enhance.tune_each(enhance.denoisers(photons), val_noisy, clean["val"], test_noisy)
        best = max(psnrs, key=psnrs.get)
        r[f"dose_{label}_noisy_psnr"] = float(ck.metrics.psnr(test_noisy.clamp(0, 1), clean["test"]))
        r[f"dose_{label}_classical_kept_psnr"] = float(ck.metrics.psnr(kept(test_noisy), clean["test"]))
        r[f"dose_{label}_classical_retuned_psnr"] = float(ck.metrics.psnr(outputs[best], clean["test"]))
        r[f"dose_{label}_dncnn_psnr"] = float(ck.metrics.psnr(enhance.apply(dncnn, test_noisy, device=device),
                                                              clean["test"]))

    # deblurring
    blurred = {s: degrade.blurred(clean[s], P.blur, P.blur_noise, seed=seeds[s]) for s in clean}
    deconvolved, val_psnr = enhance.tune_each(enhance.DEBLURRERS, blurred["val"], clean["val"], blurred["test"],
                                              psf_sigma=P.blur)
    ck.seed_everything(SEED)
    unet = trained(r, "unet", UNet(width=P.unet_width, depth=2), blurred["train"], clean["train"],
                   (blurred["val"], clean["val"]), P, device, cache)
    record(r, "deblur", {"blurred": blurred["test"].clamp(0, 1), **deconvolved,
                         "unet": enhance.apply(unet, blurred["test"], device=device)}, clean["test"])
    best_of(r, "deblur", val_psnr)

    # super-resolution
    low = {s: degrade.downsample(clean[s], P.scale) for s in clean}
    ck.seed_everything(SEED)
    espcn = trained(r, "espcn", ESPCN(P.scale, width=P.width), low["train"], clean["train"],
                    (low["val"], clean["val"]), P, device, cache)
    upsampled = {mode: degrade.upsample(low["test"], P.scale, mode) for mode in degrade.UPSAMPLE_MODES}
    upsampled["espcn"] = enhance.apply(espcn, low["test"], device=device)
    record(r, "sr", upsampled, clean["test"])
    for name, y in upsampled.items():
        r[f"sr_{name}_consistency"] = float(ck.metrics.mse(degrade.downsample(y, P.scale), low["test"]))

    path = ck.bench.write_result("enhancement", r)
    print(f"wrote {path}")
    print(path.read_text())
    return 0


if __name__ == "__main__":
    sys.exit(main())

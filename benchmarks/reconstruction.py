"""Benchmark of the image reconstruction chapter, with the code and parameters of
notebooks/08_reconstruction.ipynb (a test keeps PARAMS equal to its parameters cell).

The same data, splits, seeds and recipes as the notebook, so the same numbers in the same profile.
Every classical strength is chosen on the validation images (:func:`coursekit.restore.tune`);
every number is on the test images.

* Undersampled MRI (MNI152 template slices of ``mri_size`` pixels; trained on sagittal, chosen on
  coronal, scored on axial slices; ``acceleration``): ``mri_{zero_filled,zero_filled_real,cs_tv,cs_tv_nonneg,``
  ``unet,unet_dc,cascade}_{psnr,ssim,kspace_error}`` (``zero_filled_real``: zero-filling that uses that the
  image is real; ``cs_tv_nonneg``: CS-TV for a real, non-negative image) and ``mri_cs_tv_strength``,
  ``mri_cs_tv_nonneg_strength`` (the TV weights chosen).
* Sparse-view CT (OrganAMNIST, ``n_views`` projections): ``ct_{fbp_dense,fbp,fbp_tuned,sart,unet}_``
  ``{psnr,ssim,sinogram_error}`` (``fbp_dense``: FBP from pi n / 2 views, for reference; ``fbp``: the
  ramp filter, the U-Net's input; ``fbp_tuned``: the filter chosen on validation slices, whose index in
  ``degrade.FBP_FILTERS`` is ``ct_fbp_filter_index``) and ``ct_sart_strength`` (the iterations chosen).
* Inpainting (OrganAMNIST, ``n_boxes`` holes of ``box`` pixels): ``inpaint_{zero,biharmonic,unet}_``
  ``{hole_psnr,ssim}``, the PSNR pooled over the missing pixels.
* Slices to volumes (template, every ``slice_factor``-th row of coronal slices kept; trained only on the
  axial slices that such an axial acquisition keeps, :func:`coursekit.reconstruct.thick_axial_slices`, every
  third held out to choose the epoch; scored on the coronal rows not kept): ``slices_{linear,unet}_``
  ``{missing_psnr,ssim}`` and ``slices_n_kept`` (the axial slices kept).
* ``<net>_train_seconds``, ``<net>_best_epoch`` and ``<net>_parameters`` for unet_mri, cascade,
  unet_ct, unet_inpaint, unet_slices.

Writes ``benchmarks/results/reconstruction.json`` (full profile) or ``reconstruction.quick.json``
(quick). Refuses to write results of fallback data. Checkpoints are kept in
:func:`coursekit.bench.checkpoint_dir`, so a stopped run resumes.
Run: ``COURSEKIT_PROFILE=full python benchmarks/reconstruction.py`` (a GPU).
"""
from __future__ import annotations

import sys

import numpy as np
import torch

import coursekit as ck
from coursekit import degrade, enhance, reconstruct, restore, scans
from coursekit.models.reconstruction import MRICascade
from coursekit.models.restoration import UNet

NOTEBOOK = "notebooks/08_reconstruction.ipynb"   # the notebook whose parameters cell PARAMS repeats
PARAMS = dict(
    quick=dict(mri_size=64, acceleration=4, center_fraction=0.08, ct_size=28, n_train=2000, n_val=200, n_test=500,
               n_views=8, box=8, n_boxes=2, slice_factor=4, unet_width=16, cascades=3, cascade_width=16,
               epochs=4, mri_epochs=6, slice_epochs=40, batch_size=32, lr=1e-3, cs_iterations=100, cs_tune_every=4),
    full=dict(mri_size=128, acceleration=4, center_fraction=0.08, ct_size=28, n_train=None, n_val=1000, n_test=2000,
              n_views=8, box=8, n_boxes=2, slice_factor=4, unet_width=32, cascades=5, cascade_width=32,
              epochs=30, mri_epochs=100, slice_epochs=400, batch_size=32, lr=1e-3, cs_iterations=100, cs_tune_every=1),
)
SEED = 0


def record(r: dict, prefix: str, outputs: dict, clean: torch.Tensor) -> None:
    """``<prefix>_<name>_psnr`` and ``_ssim`` for each output."""
    for name, scores in enhance.scores(outputs, clean).items():
        r[f"{prefix}_{name}_psnr"], r[f"{prefix}_{name}_ssim"] = scores["PSNR (dB)"], scores["SSIM"]


def trained(r: dict, name: str, model, inputs, targets, val, epochs, P, device, cache) -> torch.nn.Module:
    ck.seed_everything(SEED)      # as in the notebook, the first weights depend on SEED alone
    model = model()
    h = enhance.train_restorer(model, inputs, targets, epochs=epochs, val=val, batch_size=P.batch_size, lr=P.lr,
                               seed=SEED, checkpoint=cache / f"{name}.pt", device=device, progress=False)
    r[f"{name}_train_seconds"], r[f"{name}_best_epoch"] = h.seconds(), h.best_epoch
    r[f"{name}_parameters"] = ck.models.count_parameters(model)
    return model


def mri(r: dict, P, device, cache) -> None:
    brain = scans.mri_template(1)
    planes = {role: scans.slices(brain, plane, size=P.mri_size)
              for role, plane in (("train", "sagittal"), ("val", "coronal"), ("test", "axial"))}
    planes["train"] = reconstruct.flips(planes["train"])
    mask = degrade.kspace_mask(P.mri_size, P.acceleration, P.center_fraction, seed=SEED)
    k = {role: degrade.undersample(x, mask) for role, x in planes.items()}
    zero_filled = {role: degrade.zero_filled(kk) for role, kk in k.items()}
    complex_zf = {role: reconstruct.to_channels(degrade.image_from_kspace(kk)) for role, kk in k.items()}

    def cs(kk, weight, **prior):
        return reconstruct.cs_tv(kk, mask, weight, iterations=P.cs_iterations, **prior)

    def cs_nonneg(kk, weight):
        return cs(kk, weight, real=True, nonnegative=True)

    tune_k, tune_x = k["val"][::P.cs_tune_every], planes["val"][::P.cs_tune_every]
    weight, _ = restore.tune(cs, tune_k, tune_x, reconstruct.CS_WEIGHTS)
    nonneg_weight, _ = restore.tune(cs_nonneg, tune_k, tune_x, reconstruct.CS_WEIGHTS)
    r["mri_cs_tv_strength"], r["mri_cs_tv_nonneg_strength"] = weight, nonneg_weight
    unet = trained(r, "unet_mri", lambda: UNet(width=P.unet_width, depth=2), zero_filled["train"], planes["train"],
                   (zero_filled["val"], planes["val"]), P.mri_epochs, P, device, cache)
    cascade = trained(r, "cascade", lambda: MRICascade(mask, cascades=P.cascades, width=P.cascade_width),
                      complex_zf["train"], planes["train"], (complex_zf["val"], planes["val"]), P.mri_epochs, P, device,
                      cache)
    out = {"zero_filled": zero_filled["test"], "zero_filled_real": reconstruct.zero_filled_real(k["test"], mask),
           "cs_tv": cs(k["test"], weight), "cs_tv_nonneg": cs_nonneg(k["test"], nonneg_weight),
           "unet": enhance.apply(unet, zero_filled["test"], device=device)}
    out["unet_dc"] = reconstruct.data_consistency(out["unet"], k["test"], mask).abs().clamp(0, 1)
    out["cascade"] = enhance.apply(cascade, complex_zf["test"], device=device)
    record(r, "mri", out, planes["test"])
    for name, y in out.items():
        r[f"mri_{name}_kspace_error"] = reconstruct.kspace_error(y, k["test"], mask)


def ct_and_inpainting(r: dict, P, device, cache) -> None:
    ct = {split: ck.data.load_medmnist("organamnist", split, size=P.ct_size).subset(n, seed=SEED).images
          for split, n in (("train", P.n_train), ("val", P.n_val), ("test", P.n_test))}
    ck.bench.require_real_data()
    r["ct_n_train"] = len(ct["train"])

    sino = {split: degrade.sinogram(x, P.n_views) for split, x in ct.items()}
    fbp = {split: degrade.fbp(s, P.ct_size) for split, s in sino.items()}
    n_dense = round(np.pi * P.ct_size / 2)
    fbp_filter, _ = restore.tune(lambda s, f: degrade.fbp(s, P.ct_size, filter_name=f), sino["val"], ct["val"],
                                 degrade.FBP_FILTERS)
    r["ct_fbp_filter_index"] = degrade.FBP_FILTERS.index(fbp_filter)
    iterations, _ = restore.tune(lambda s, n: reconstruct.sart(s, P.ct_size, n), sino["val"], ct["val"],
                                 reconstruct.SART_ITERATIONS)
    r["ct_sart_strength"] = iterations
    unet = trained(r, "unet_ct", lambda: UNet(width=P.unet_width, depth=2), fbp["train"], ct["train"],
                   (fbp["val"], ct["val"]), P.epochs, P, device, cache)
    out = {"fbp_dense": degrade.fbp(degrade.sinogram(ct["test"], n_dense), P.ct_size), "fbp": fbp["test"],
           "fbp_tuned": degrade.fbp(sino["test"], P.ct_size, filter_name=fbp_filter),
           "sart": reconstruct.sart(sino["test"], P.ct_size, iterations),
           "unet": enhance.apply(unet, fbp["test"], device=device)}
    record(r, "ct", out, ct["test"])
    for name, y in out.items():
        r[f"ct_{name}_sinogram_error"] = reconstruct.sinogram_error(y, sino["test"])

    holes = {split: degrade.box_mask(len(x), (P.ct_size, P.ct_size), (P.box, P.box), P.n_boxes, seed=SEED + i)
             for i, (split, x) in enumerate(ct.items())}
    biharmonic = {split: degrade.inpaint(x, holes[split]) for split, x in ct.items()}
    unet = trained(r, "unet_inpaint", lambda: UNet(width=P.unet_width, depth=2), biharmonic["train"], ct["train"],
                   (biharmonic["val"], ct["val"]), P.epochs, P, device, cache)
    out = {"zero": degrade.mask_out(ct["test"], holes["test"]), "biharmonic": biharmonic["test"],
           "unet": reconstruct.keep_known(enhance.apply(unet, biharmonic["test"], device=device), ct["test"],
                                          holes["test"])}
    for name, y in out.items():
        r[f"inpaint_{name}_hole_psnr"] = reconstruct.masked_psnr(y, ct["test"], holes["test"])
        r[f"inpaint_{name}_ssim"] = float(ck.metrics.ssim(y, ct["test"]))


def slices(r: dict, P, device, cache) -> None:
    brain = scans.mri_template(1)
    kept = reconstruct.thick_axial_slices(brain, P.slice_factor, size=P.mri_size)   # all that the axial scan has
    held_out = torch.arange(len(kept)) % 3 == 1               # every third kept slice chooses the epoch
    r["slices_n_kept"] = len(kept)
    vol = {"train": reconstruct.flips(kept[~held_out], transposed=True), "val": reconstruct.flips(kept[held_out], transposed=True),
           "test": scans.slices(brain, "coronal", size=P.mri_size)}

    pairs = {role: reconstruct.interpolated_thick_slices(x, P.slice_factor) for role, x in vol.items()}
    linear = {role: interpolated for role, (interpolated, _) in pairs.items()}
    missing = pairs["test"][1]
    unet = trained(r, "unet_slices", lambda: UNet(width=P.unet_width, depth=2), linear["train"], vol["train"],
                   (linear["val"], vol["val"]), P.slice_epochs, P, device, cache)
    out = {"linear": linear["test"],
           "unet": reconstruct.keep_known(enhance.apply(unet, linear["test"], device=device), vol["test"], missing)}
    for name, y in out.items():
        r[f"slices_{name}_missing_psnr"] = reconstruct.masked_psnr(y, vol["test"], missing)
        r[f"slices_{name}_ssim"] = float(ck.metrics.ssim(y, vol["test"]))


def main() -> int:
    P = ck.profile.params(**PARAMS)
    ck.device.print_config()
    ck.seed_everything(SEED)
    device = ck.device.get_device()
    r: dict[str, float] = {"mri_size": P.mri_size, "acceleration": P.acceleration, "ct_size": P.ct_size,
                           "n_views": P.n_views, "slice_factor": P.slice_factor}
    cache = ck.bench.checkpoint_dir("reconstruction")
    print(f"checkpoints in {cache} (a stopped run resumes from them; delete the folder to start over)")
    mri(r, P, device, cache)
    ct_and_inpainting(r, P, device, cache)
    slices(r, P, device, cache)
    path = ck.bench.write_result("reconstruction", r)
    print(f"wrote {path}")
    print(path.read_text())
    return 0


if __name__ == "__main__":
    sys.exit(main())

"""Benchmark of the capstone's worked example, with the code and parameters of
notebooks/09_capstone.ipynb (a test keeps PARAMS equal to its parameters cell).

Low-dose chest X-rays (PneumoniaMNIST, Poisson noise at ``photons``): the best classical denoiser,
tuned on validation images, against a residual U-Net trained with each seed of ``seeds``; a SmallCNN
trained on clean training X-rays reads the test images. Validation copies of training images are
dropped first, as in the notebook. Keys:

* ``val_copies``, ``test_copies``: images of those splits that copy a training image.
* ``noisy_psnr``, ``baseline_psnr``, ``baseline_ssim``, ``unet_psnr``, ``unet_ssim`` (seed 0, the
  primary model), ``unet_psnr_seed_mean``, ``unet_psnr_seed_sd`` (over the seeds).
* ``psnr_gain`` (U-Net minus baseline, mean over test images), ``psnr_gain_low``, ``psnr_gain_high``
  (its 95% paired bootstrap interval), ``fraction_better`` (share of test images the U-Net wins).
* ``acc_{clean,noisy,baseline,unet}``, ``auc_{clean,noisy,baseline,unet}``: the reader on each;
  ``acc_gain``, ``acc_gain_low``, ``acc_gain_high``: U-Net minus baseline accuracy, paired;
  ``auc_gain``, ``auc_gain_low``, ``auc_gain_high``: the same in AUC (``study.paired_auc``).
* ``half_dose_psnr_gain`` (``_low``, ``_high``): the same comparison at half the dose, both methods
  as trained or tuned at ``photons``.
* ``unet_train_seconds``, ``unet_best_epoch``, ``unet_parameters`` (seed 0).

Writes ``benchmarks/results/capstone.json`` (full profile) or ``capstone.quick.json`` (quick).
Refuses to write results of fallback data. Checkpoints are kept in
:func:`coursekit.bench.checkpoint_dir`, so a stopped run resumes.
Run: ``COURSEKIT_PROFILE=full python benchmarks/capstone.py`` (a GPU).
"""
from __future__ import annotations

import sys

import numpy as np

import coursekit as ck
from coursekit import classify, degrade, enhance, study
from coursekit.models.restoration import UNet

NOTEBOOK = "notebooks/09_capstone.ipynb"   # the notebook whose parameters cell PARAMS repeats
PARAMS = dict(
    quick=dict(n_train=2000, n_val=200, n_test=None, photons=20, unet_width=16, epochs=4, seeds=(0, 1),
               clf_epochs=3, batch_size=32, lr=1e-3, n_resamples=10_000),
    full=dict(n_train=None, n_val=None, n_test=None, photons=20, unet_width=32, epochs=30, seeds=(0, 1, 2),
              clf_epochs=20, batch_size=64, lr=1e-3, n_resamples=10_000),
)
SEED = 0
CONFIDENCE = 0.95          # the notebook's PLAN


def bootstrap(r: dict, key: str, a, b, P) -> None:
    """``key`` (the mean difference), ``key_low`` and ``key_high``, as in the notebook."""
    res = study.paired_bootstrap(a, b, n_resamples=P.n_resamples, confidence=CONFIDENCE, seed=SEED)
    r[key], r[f"{key}_low"], r[f"{key}_high"] = res["mean"], res["low"], res["high"]


def main() -> int:
    P = ck.profile.params(**PARAMS)
    ck.device.print_config()
    device = ck.device.get_device()
    cache = ck.bench.checkpoint_dir("capstone")
    print(f"checkpoints in {cache} (a stopped run resumes from them; delete the folder to start over)")
    train = ck.data.load_medmnist("pneumoniamnist", "train").subset(P.n_train, seed=SEED)
    val = ck.data.load_medmnist("pneumoniamnist", "val").subset(P.n_val, seed=SEED)
    test = ck.data.load_medmnist("pneumoniamnist", "test").subset(P.n_test, seed=SEED)
    ck.bench.require_real_data()      # before anything trains: phantoms say nothing about X-rays
    copies = {name: study.near_duplicates(d.images, train.images) for name, d in (("val", val), ("test", test))}
    val = val.drop(copies["val"]["query"])
    r: dict[str, float] = {"photons": P.photons, "n_test": len(test), "n_seeds": len(P.seeds),
                           "val_copies": len(copies["val"]["query"]), "test_copies": len(copies["test"]["query"])}

    noise_seed = {"train": SEED, "val": SEED + 1, "test": SEED + 2}
    noisy = {name: degrade.poisson_noise(d.images, P.photons, seed=noise_seed[name])
             for name, d in (("train", train), ("val", val), ("test", test))}
    classical, classical_val = enhance.tune_each(enhance.DENOISERS, noisy["val"], val.images, noisy["test"])
    baseline_key = max(classical_val, key=classical_val.get)
    baseline = enhance.restorer_for(baseline_key, enhance.DENOISERS)
    print(f"baseline: {baseline_key}")

    nets = {}
    for seed in P.seeds:
        ck.seed_everything(seed)          # as in the notebook, the first weights depend on the seed alone
        nets[seed] = UNet(width=P.unet_width, depth=2)
        h = enhance.train_restorer(nets[seed], noisy["train"], train.images, epochs=P.epochs,
                                   val=(noisy["val"], val.images), batch_size=P.batch_size, lr=P.lr, seed=seed,
                                   checkpoint=cache / f"unet_seed{seed}.pt", device=device, progress=False)
        if seed == SEED:
            r["unet_train_seconds"], r["unet_best_epoch"] = h.seconds(), h.best_epoch
    r["unet_parameters"] = ck.models.count_parameters(nets[SEED])

    denoised = {seed: enhance.apply(net, noisy["test"], device=device) for seed, net in nets.items()}
    out = {"noisy": noisy["test"].clamp(0, 1), "baseline": classical[baseline_key], "unet": denoised[SEED]}
    for name, scores in enhance.scores(out, test.images).items():
        r[f"{name}_psnr"] = scores["PSNR (dB)"]
        if name != "noisy":
            r[f"{name}_ssim"] = scores["SSIM"]
    seed_psnr = [float(ck.metrics.psnr(x, test.images)) for x in denoised.values()]
    r["unet_psnr_seed_mean"], r["unet_psnr_seed_sd"] = float(np.mean(seed_psnr)), float(np.std(seed_psnr, ddof=1))
    psnr = {name: ck.metrics.psnr(x, test.images, reduction="none") for name, x in out.items()}
    bootstrap(r, "psnr_gain", psnr["unet"], psnr["baseline"], P)
    r["fraction_better"] = float((psnr["unet"] > psnr["baseline"]).double().mean())

    ck.seed_everything(SEED)          # the classifier's first weights depend on SEED alone
    reader = ck.models.SmallCNN(in_channels=1, n_classes=2)
    classify.train_classifier(reader, train, val, epochs=P.clf_epochs, batch_size=64, seed=SEED,
                              checkpoint=cache / "reader.pt", device=device, progress=False)
    right, p_pneumonia = {}, {}
    for name, x in {"clean": test.images, **out}.items():
        right[name] = classify.correct(reader, x, test.labels, device=device)
        scores, _ = ck.train.predict(reader, ck.data.DeviceBatches(x, test.labels, batch_size=512, shuffle=False,
                                                                   device=device))
        p_pneumonia[name] = scores[:, 1]
        r[f"acc_{name}"] = float(right[name].double().mean())
        r[f"auc_{name}"] = ck.metrics.roc_auc(test.labels, p_pneumonia[name])
    bootstrap(r, "acc_gain", right["unet"], right["baseline"], P)
    auc = study.paired_auc(test.labels, p_pneumonia["unet"], p_pneumonia["baseline"], n_resamples=P.n_resamples,
                           confidence=CONFIDENCE, seed=SEED)
    r["auc_gain"], r["auc_gain_low"], r["auc_gain_high"] = auc["mean"], auc["low"], auc["high"]

    low_dose = degrade.poisson_noise(test.images, P.photons / 2, seed=noise_seed["test"])
    bootstrap(r, "half_dose_psnr_gain",
              ck.metrics.psnr(enhance.apply(nets[SEED], low_dose, device=device), test.images, reduction="none"),
              ck.metrics.psnr(baseline(low_dose), test.images, reduction="none"), P)

    path = ck.bench.write_result("capstone", r)
    print(f"wrote {path}")
    print(path.read_text())
    return 0


if __name__ == "__main__":
    sys.exit(main())

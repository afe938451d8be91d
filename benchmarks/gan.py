"""Benchmark of the GAN chapter (practice): a DCGAN and a conditional GAN on OrganAMNIST (28 px),
evaluated as in notebooks/05b_gan_medical.ipynb.

Writes ``benchmarks/results/gan.json`` in the ``full`` profile (``gan.quick.json`` in the
``quick`` one) with the keys ``fd_gan``, ``fd_real_floor``, ``fd_gaussian``, ``precision``,
``recall``, ``precision_floor``, ``recall_floor``, ``precision_gaussian``, ``recall_gaussian``,
``memo_frac_median_pixels``, ``memo_frac_p05_pixels``, ``memo_frac_median_features``,
``memo_frac_p05_features``, ``memo_n_closer_than_all_pixels``/``_features`` (samples closer to the
training set than every test image: about ``n_eval / (n_eval + 1)``, i.e. 1, by chance; the same
three for the Gaussian baseline as ``memo_gaussian_*``), ``gauss_components`` (the Gaussian-PCA baseline's number of
components, chosen by FD to validation images, ``dev_fd_gaussian_k008``, ...), ``cgan_class_acc``, ``real_test_class_acc``,
``cgan_class_acc_ratio``, ``tstr_acc``, ``trtr_acc``, the DCGAN's FD after every epoch
``fd_gan_epoch_001``, ``fd_gan_epoch_002``, ... (is it still falling when training stops?),
the DCGAN's FD, precision and recall with truncated noise ``trunc_psi090_fd``,
``trunc_psi090_precision``, ``trunc_psi090_recall``, ... down to ``trunc_psi050_*`` (what
precision costs), the same against validation images ``dev_fd_gan``, ``dev_precision``,
``dev_recall`` and ``trunc_psi090_dev_fd``, ... (to choose on, leaving the test scores to report), ``gan_train_seconds`` (the sum of the per-epoch times in the DCGAN's history,
so epochs trained before a resume count too) (and a few more).

FD is the Fréchet distance in the penultimate features of a SmallCNN trained on the real
training split (not FID); ``fd_real_floor`` is real train vs real test with the same number of
images. It also saves 40 DCGAN samples (``gan_samples.png``) and 8 conditional samples per organ,
one row each (``gan_cgan_samples.png``), beside the JSON, for the notebook to show. Run:
``COURSEKIT_PROFILE=full python benchmarks/gan.py``. On a 2-core CPU one GAN
epoch over the 34,561 training images takes minutes, so the checkpoints of the feature
classifier and of both GANs are kept in :func:`coursekit.bench.checkpoint_dir`
(``benchmarks/.cache/`` unless ``COURSEKIT_BENCH_CACHE`` says otherwise): a stopped run
continues from its last finished epoch when started again with the same code.
"""
from __future__ import annotations

import copy
import sys
from types import SimpleNamespace

import numpy as np
import torch

import coursekit as ck
from coursekit import generative
from coursekit.models.gan import ConditionalDiscriminator, ConditionalGenerator, Discriminator, Generator

NOTEBOOK = "notebooks/05b_gan_medical.ipynb"   # the notebook whose parameters cell PARAMS repeats
PARAMS = dict(
    quick=dict(n_train=1500, n_val=500, n_test=1500, n_eval=500, clf_width=8, clf_epochs=5,
               z_dim=32, gan_width=16, gan_epochs=4, batch_size=64, n_tstr_per_class=30, tstr_epochs=2),
    full=dict(n_train=None, n_val=None, n_test=None, n_eval=5000, clf_width=32, clf_epochs=20,
              z_dim=64, gan_width=64, gan_epochs=30, batch_size=128, n_tstr_per_class=1000, tstr_epochs=20),
)
SEED = 0
FLAG = "organamnist"
TRUNCATIONS = (0.9, 0.8, 0.7, 0.6, 0.5)   # psi of generative.generate(truncation=psi), as in the notebook


def setup(P):
    """The data, the feature classifier and the reference features that every GAN here is scored
    against (shared with benchmarks/gan_recipes.py, whose runs reuse this folder's checkpoints)."""
    ck.seed_everything(SEED)
    train = ck.data.load_medmnist(FLAG, "train").subset(P.n_train, seed=SEED)
    val = ck.data.load_medmnist(FLAG, "val").subset(P.n_val, seed=SEED)
    test = ck.data.load_medmnist(FLAG, "test").subset(P.n_test, seed=SEED)
    ck.bench.require_real_data()
    cache = ck.bench.checkpoint_dir("gan")
    print(f"checkpoints in {cache} (a stopped run resumes from them; delete the folder to start over)")
    ck.seed_everything(SEED)
    clf = ck.models.SmallCNN(1, train.n_classes, width=P.clf_width)
    ck.classify.train_classifier(clf, train, val, epochs=P.clf_epochs, batch_size=P.batch_size, seed=SEED,
                                 checkpoint=cache / "clf.pt", progress=False)
    ref = test.subset(P.n_eval, seed=SEED)
    # Choices between generators (a recipe, a truncation psi) are made on validation images, the
    # development reference; the test reference scores the chosen one. (The per-epoch FD curve
    # stays on the test reference: it is a diagnostic, and changing it would mix references in
    # runs resumed from earlier checkpoints.)
    dev = val.subset(P.n_eval, seed=SEED)
    return SimpleNamespace(train=train, val=val, test=test, cache=cache, clf=clf, ref=ref,
                           f_ref=generative.features(clf, ref.images), f_dev=generative.features(clf, dev.images))


def floor(S, P) -> dict:
    """FD, precision and recall of real training images against the reference (the same number)."""
    f_train = generative.features(S.clf, S.train.subset(P.n_eval, seed=SEED + 1).images)
    q = generative.sample_quality(S.f_ref, f_train, k=3)
    return {"fd_real_floor": q["fd"], "precision_floor": q["precision"], "recall_floor": q["recall"]}


def train_dcgan(S, P, width: int, epochs: int, ema_decay: float | None = None, **recipe):
    """Seeded DCGAN on the training split; resumes. Returns the generator to sample from and the
    history with its FD after every epoch. With ``ema_decay`` that generator is the running
    average of G's weights (``train_gan(ema=...)``), and the history also has ``fd_raw``, the FD
    of G itself, which trains exactly as without the average: both curves from one run."""
    def fd_of(generator):   # FD of n_eval samples from fixed noise: the trajectory's and the final one
        fake = generative.generate(generator, P.n_eval, seed=SEED)
        return generative.frechet_distance(generative.features(S.clf, fake), S.f_ref)

    ck.seed_everything(SEED)
    G = Generator(z_dim=P.z_dim, channels=1, width=width)
    D = Discriminator(channels=1, width=width)
    sampled = G if ema_decay is None else copy.deepcopy(G)
    if ema_decay is not None:
        recipe.update(ema=sampled, ema_decay=ema_decay)

    def val_fn(models):
        if ema_decay is None:
            return {"fd": fd_of(models["G"])}
        return {"fd": fd_of(models["G_ema"]), "fd_raw": fd_of(models["G"])}

    hist = generative.train_gan(G, D, S.train.images, epochs=epochs, batch_size=P.batch_size, seed=SEED,
                                checkpoint=S.cache / "dcgan.pt", progress=False, val_fn=val_fn, **recipe)
    return sampled, hist


def main() -> int:
    P = ck.profile.params(**PARAMS)
    ck.device.print_config()
    S = setup(P)
    train, val, test, clf, ref, f_ref = S.train, S.val, S.test, S.clf, S.ref, S.f_ref
    K = train.n_classes
    out = {"n_train": len(train), "n_eval": P.n_eval, "gan_epochs": P.gan_epochs, **floor(S, P)}
    real_test = generative.class_accuracy(clf, test.images, test.labels, n_classes=K)

    # the classical baseline's one setting, chosen by FD to validation images
    gauss_k, gauss_dev = generative.choose_gaussian_components(clf, train.images, S.f_dev, P.n_eval, seed=SEED)
    out["gauss_components"] = gauss_k
    out.update({f"dev_fd_gaussian_k{k:03d}": fd for k, fd in gauss_dev.items()})
    gauss = generative.gaussian_baseline(train.images, P.n_eval, n_components=gauss_k, seed=SEED)
    q = generative.sample_quality(f_ref, generative.features(clf, gauss), k=3)
    out["fd_gaussian"], out["precision_gaussian"], out["recall_gaussian"] = q["fd"], q["precision"], q["recall"]

    G, hist = train_dcgan(S, P, width=P.gan_width, epochs=P.gan_epochs)
    out["gan_train_seconds"] = hist.seconds()   # every epoch, resumed ones included, with the FD after each
    for epoch, fd in enumerate(hist["fd"], start=1):   # was FD still falling when training stopped?
        out[f"fd_gan_epoch_{epoch:03d}"] = fd
    fake = generative.generate(G, P.n_eval, seed=SEED)
    f_fake = generative.features(clf, fake)
    q = generative.sample_quality(f_ref, f_fake, k=3)   # fd = the history's last
    out["fd_gan"], out["precision"], out["recall"] = q["fd"], q["precision"], q["recall"]
    q = generative.sample_quality(S.f_dev, f_fake, k=3)   # the same samples against validation images
    out["dev_fd_gan"], out["dev_precision"], out["dev_recall"] = q["fd"], q["precision"], q["recall"]
    ck.bench.write_image("gan_samples", generative.montage(fake[:40], ncols=10))   # what the numbers measured
    # the same noise scaled by psi: what does precision cost in recall and FD?
    for psi, m in generative.truncation_sweep(G, clf, f_ref, TRUNCATIONS, P.n_eval, seed=SEED).items():
        out.update({f"trunc_psi{round(100 * psi):03d}_{name}": v for name, v in m.items()})
    for psi, m in generative.truncation_sweep(G, clf, S.f_dev, TRUNCATIONS, P.n_eval, seed=SEED).items():
        out.update({f"trunc_psi{round(100 * psi):03d}_dev_{name}": v for name, v in m.items()})   # to choose psi
    for space, judge in (("pixels", None), ("features", clf)):
        checks = generative.memorisation_check({"": fake, "gaussian_": gauss}, train.images, ref.images,
                                               classifier=judge)
        for who, m in checks.items():
            out[f"memo_{who}frac_median_{space}"], out[f"memo_{who}frac_p05_{space}"] = m["frac_median"], m["frac_p05"]
            out[f"memo_{who}n_closer_than_all_{space}"] = m["n_closer_than_all"]

    ck.seed_everything(SEED)
    cG = ConditionalGenerator(z_dim=P.z_dim, n_classes=K, channels=1, width=P.gan_width)
    cD = ConditionalDiscriminator(channels=1, n_classes=K, width=P.gan_width)
    generative.train_gan(cG, cD, train.images, train.labels, epochs=P.gan_epochs, batch_size=P.batch_size,
                         seed=SEED, checkpoint=S.cache / "cgan.pt", progress=False)
    n_per_class = max(P.n_eval // K, 10)
    y_gen = torch.arange(K).repeat_interleave(n_per_class)
    gen_acc = generative.class_accuracy(clf, generative.generate(cG, len(y_gen), labels=y_gen, seed=SEED + 1),
                                        y_gen, n_classes=K)
    y_show = torch.arange(K).repeat_interleave(8)                                  # one row of 8 per organ
    ck.bench.write_image("gan_cgan_samples", generative.montage(
        generative.generate(cG, len(y_show), labels=y_show, seed=SEED + 4), ncols=8))
    out["cgan_class_acc"] = float(np.nanmean(gen_acc["per_class"]))
    out["real_test_class_acc"] = float(np.nanmean(real_test["per_class"]))
    out["cgan_class_acc_ratio"] = out["cgan_class_acc"] / out["real_test_class_acc"]
    out["trtr_acc"] = real_test["accuracy"]
    f_cgan = generative.features(clf, generative.generate(cG, len(ref), labels=ref.labels, seed=SEED + 3))
    out["fd_cgan"] = generative.frechet_distance(f_cgan, f_ref)

    y_syn = torch.arange(K).repeat_interleave(P.n_tstr_per_class)
    synthetic = generative.as_dataset(train, generative.generate(cG, len(y_syn), labels=y_syn, seed=SEED + 2),
                                      y_syn)
    ck.seed_everything(SEED)
    tstr = generative.train_on_synthetic(ck.models.SmallCNN(1, K, width=P.clf_width), synthetic, val, test,
                                         epochs=P.tstr_epochs, batch_size=P.batch_size, seed=SEED,
                                         progress=False, verbose=False)
    out["tstr_acc"] = tstr["acc"]

    path = ck.bench.write_result("gan", out)
    print(f"wrote {path}")
    print(open(path).read())
    return 0


if __name__ == "__main__":
    sys.exit(main())

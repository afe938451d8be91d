"""Benchmark of the autoencoder chapter over the size of the code: where does a nonlinear
autoencoder beat PCA, and by how much?

benchmarks/autoencoders.py compares the convolutional autoencoder with PCA at one latent size
(16). This script repeats that comparison at several sizes, with the same data, recipe
(``PARAMS`` of notebooks/04_autoencoders.ipynb, seed, epochs, the best validation epoch
restored) and test images: for each size ``d`` it fits PCA with ``d`` components and trains a
``ConvAutoencoder(d)``, then scores both on the test split.

Writes ``benchmarks/results/ae_latent.json`` (``ae_latent.quick.json`` in the quick profile) with,
for each size that ran (``d`` in three digits: ``d002``, ``d004``, ...), ``ae_test_mse_d002``,
``pca_test_mse_d002``, ``ae_over_pca_mse_d002``, ``ae_probe_acc_d002``, ``pca_probe_acc_d002``,
``ae_best_epoch_d002`` and ``ae_train_seconds_d002``.

Run: ``COURSEKIT_PROFILE=full python benchmarks/ae_latent.py [size ...]`` (default: all of
``LATENTS``). Sizes already in the results file from the same commit and device are kept, so
the sizes can be run one command at a time; a file from another commit or device is set aside
as ``ae_latent@<commit>-<device>.json``. Each size's checkpoint is kept in
:func:`coursekit.bench.checkpoint_dir`, so a stopped run resumes. How long each size's training
took on the device that wrote the file is in its ``ae_train_seconds_d*``.
"""
from __future__ import annotations

import sys

import coursekit as ck
from coursekit import latent
from coursekit.models import autoencoders as aem

chapter = ck.bench.load_benchmark("autoencoders")   # its parameters and seed

NOTEBOOK = chapter.NOTEBOOK
PARAMS = chapter.PARAMS
SEED = chapter.SEED
NAME = "ae_latent"
LATENTS = (2, 4, 8, 16, 32)


def chosen(argv) -> list[int]:
    """The sizes named on the command line (all of LATENTS when none), smallest first."""
    try:
        sizes = sorted({int(a) for a in argv})
    except ValueError:
        raise SystemExit(f"sizes must be whole numbers of latent dimensions such as {list(LATENTS)}; got {argv}")
    if any(d < 1 for d in sizes):
        raise SystemExit(f"sizes must be at least 1; got {sizes}")
    return sizes or list(LATENTS)


def compare(d: int, train, val, test, P, checkpoint, device, label: str) -> tuple[dict, aem.ConvAutoencoder, object]:
    """PCA with ``d`` components and a ConvAutoencoder(d) (notebook 04's recipe ``P``, as many input
    channels as the images have) on the same images: test MSE and a linear probe on each method's
    codes, the ratio, the AE's best epoch and training time; prints one line headed ``label``.
    Returns ``(scores, autoencoder, pca)``. benchmarks/ae_datasets.py calls it too."""
    pca = latent.fit_pca(train.images, d, seed=SEED)
    ck.seed_everything(SEED)
    ae = aem.ConvAutoencoder(d, in_channels=train.images.shape[1], width=P.width)
    h = latent.train_autoencoder(ae, train.images, kind="ae", checkpoint=checkpoint, epochs=P.epochs,
                                 val_images=val.images, batch_size=P.batch_size, lr=P.lr, seed=SEED, device=device,
                                 progress=False)
    scores = {**latent.versus_pca(ae, pca, train, test), "ae_best_epoch": h.best_epoch, "ae_train_seconds": h.seconds()}
    scores["ae_over_pca_mse"] = scores["ae_test_mse"] / scores["pca_test_mse"]
    print(f"{label}: AE {scores['ae_test_mse']:.5f}, PCA {scores['pca_test_mse']:.5f} "
          f"(AE / PCA {scores['ae_over_pca_mse']:.3f}); probe AE {scores['ae_probe_acc']:.3f}, "
          f"PCA {scores['pca_probe_acc']:.3f}", flush=True)
    return scores, ae, pca


def one_size(d: int, train, val, test, P, cache, device) -> dict:
    """:func:`compare` at latent size ``d``, its keys suffixed ``_d002``, ``_d004``, ..."""
    scores, _, _ = compare(d, train, val, test, P, cache / f"ae-d{d:03d}.pt", device, f"latent {d}")
    return {f"{name}_d{d:03d}": v for name, v in scores.items()}


def main(argv=None) -> int:
    sizes = chosen(sys.argv[1:] if argv is None else argv)
    P = ck.profile.params(**PARAMS)
    ck.device.print_config()
    out = ck.bench.kept_results(ck.bench.result_path(NAME, ck.profile.active()))
    train = ck.data.load_medmnist("organamnist", "train").subset(P.n_train, seed=SEED)
    val = ck.data.load_medmnist("organamnist", "val").subset(P.n_val, seed=SEED)
    test = ck.data.load_medmnist("organamnist", "test").subset(P.n_test, seed=SEED)
    ck.bench.require_real_data()
    cache = ck.bench.checkpoint_dir(NAME)
    print(f"checkpoints in {cache} (a stopped run resumes from them; delete the folder to start over)")
    for d in sizes:
        out.update(one_size(d, train, val, test, P, cache, ck.device.get_device()))
        path = ck.bench.write_result(NAME, out)   # after every size, so that a stopped run keeps the finished ones
        print(f"wrote {path}")
    return 0


if __name__ == "__main__":
    sys.exit(main())

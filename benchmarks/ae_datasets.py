"""Benchmark of the autoencoder chapter across data sets: is the small gap between the
autoencoder and PCA a property of OrganAMNIST, or of a 16-number code on 28-pixel images?

benchmarks/autoencoders.py compares the convolutional autoencoder with PCA on OrganAMNIST,
whose training slices come from only 115 CT scans. This script repeats that comparison, with
the same recipe (``PARAMS`` of notebooks/04_autoencoders.ipynb: latent size, width, epochs,
seed, the best validation epoch restored), on other MedMNIST sets of 28-pixel images: chest
X-rays (PneumoniaMNIST) and blood-cell photographs (BloodMNIST, colour).
For each set it fits PCA with ``latent_dim`` components on the training split and trains a
``ConvAutoencoder(latent_dim, in_channels=C)`` on the same images, then scores both on the same
test images: MSE, a linear probe on each method's codes (the set's own labels), and MSE on
training images (a subset of the test split's size) to show how much each fits its training data.

Writes ``benchmarks/results/ae_datasets.json`` (``ae_datasets.quick.json`` in the quick profile)
with, for each set that ran (named by its MedMNIST flag), ``ae_test_mse_<flag>``,
``pca_test_mse_<flag>``, ``ae_over_pca_mse_<flag>``, ``ae_probe_acc_<flag>``,
``pca_probe_acc_<flag>``, ``ae_train_mse_<flag>``, ``pca_train_mse_<flag>``,
``ae_best_epoch_<flag>``, ``ae_train_seconds_<flag>`` and ``n_train_<flag>``.

Run: ``COURSEKIT_PROFILE=full python benchmarks/ae_datasets.py [flag ...]`` (default: all of
``DATASETS``). Sets already in the results file from the same commit and device are kept, so
the sets can be run one command at a time; a file from another commit or device is set aside
as ``ae_datasets@<commit>-<device>.json``. Each set's checkpoint is kept in
:func:`coursekit.bench.checkpoint_dir`, so a stopped run resumes. How long each set's training
took on the device that wrote the file is in its ``ae_train_seconds_<flag>``.
"""
from __future__ import annotations

import sys

import coursekit as ck
from coursekit import latent

sweep = ck.bench.load_benchmark("ae_latent")   # the chapter's comparison at one size, with its parameters and seed

NOTEBOOK = sweep.NOTEBOOK
PARAMS = sweep.PARAMS
SEED = sweep.SEED
NAME = "ae_datasets"
DATASETS = ("organamnist", "pneumoniamnist", "bloodmnist")   # the chapter's set first


def chosen(argv) -> list[str]:
    """The sets named on the command line (all of DATASETS when none), in the order of DATASETS."""
    unknown = sorted(set(argv) - set(DATASETS))
    if unknown:
        raise SystemExit(f"unknown data set(s) {unknown}; choose among {list(DATASETS)} (none: all of them)")
    return [flag for flag in DATASETS if flag in argv or not argv]


def one_set(flag: str, P, cache, device) -> dict:
    """PCA and a ConvAutoencoder with ``P.latent_dim`` numbers, on the same images of one set."""
    train = ck.data.load_medmnist(flag, "train").subset(P.n_train, seed=SEED)
    val = ck.data.load_medmnist(flag, "val").subset(P.n_val, seed=SEED)
    test = ck.data.load_medmnist(flag, "test").subset(P.n_test, seed=SEED)
    ck.bench.require_real_data()
    scores, ae, pca = sweep.compare(P.latent_dim, train, val, test, P, cache / f"ae-{flag}.pt", device, flag)
    seen = train.subset(len(test), seed=SEED).images
    scores["ae_train_mse"] = float(ck.metrics.mse(latent.reconstruct(ae, seen, device=device), seen))
    scores["pca_train_mse"] = float(ck.metrics.mse(latent.pca_reconstruct(pca, seen), seen))
    scores["n_train"] = len(train)
    return {f"{name}_{flag}": v for name, v in scores.items()}


def main(argv=None) -> int:
    flags = chosen(sys.argv[1:] if argv is None else argv)
    P = ck.profile.params(**PARAMS)
    ck.device.print_config()
    out = ck.bench.kept_results(ck.bench.result_path(NAME, ck.profile.active()))
    cache = ck.bench.checkpoint_dir(NAME)
    print(f"checkpoints in {cache} (a stopped run resumes from them; delete the folder to start over)")
    for flag in flags:
        out.update(one_set(flag, P, cache, ck.device.get_device()))
        path = ck.bench.write_result(NAME, out)   # after every set, so that a stopped run keeps the finished ones
        print(f"wrote {path}")
    return 0


if __name__ == "__main__":
    sys.exit(main())

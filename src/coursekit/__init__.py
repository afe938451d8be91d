"""coursekit: the shared library of the course
*Deep Learning for Medical Image Generation and Restoration*.

One module per idea:

- ``profile``: the quick (CPU/CI) and full (GPU) switch, and notebook parameters
- ``device``: device choice, mixed precision, seeding, ``print_config()``
- ``data``: MedMNIST loading with checksums and an offline fallback; batching
- ``degrade``: noise, blur, downsampling, undersampled k-space, sparse views, missing pixels and slices; classical inverses
- ``restore``: classical restorers, the baselines: denoisers, deconvolution, contrast; tuning on validation images
- ``enhance``: training restoration networks on (degraded, clean) pairs; scoring them with their baselines
- ``reconstruct``: data consistency, compressed sensing (ISTA with TV), SART; scores of what was not measured
- ``study``: judging a result: paired bootstrap intervals (over images or over patients), what a report may say, failure cases
- ``scans``: scans that ship with packages (nilearn's MRI template, pydicom's DICOM files); HU, windows, slices
- ``metrics``: MSE, PSNR, SSIM (usable as losses); accuracy and AUC as MedMNIST
- ``models``: the small networks the chapters train (one submodule per family)
- ``train``: one ``fit`` loop: progress, AMP, history, atomic checkpoints, resume
- ``checkpoints``: which checkpoints this coursekit can resume; removing the others
- ``optim``: optimizers and learning-rate schedules written by hand, checked against torch
- ``classify``: the classification recipe and the pixel logistic-regression baseline
- ``latent``: codes of autoencoders: PCA baseline, linear probe, anomaly scores
- ``ae_report``: the autoencoder chapter's results against its target
- ``gan``: GAN losses, the training step, and the 1D theory
- ``generative``: training generators and evaluating them: FD, precision/recall, memorisation
- ``imbalance``: the class-imbalance experiment: does a cGAN's minority class help a classifier?
- ``gan_report``: the GAN chapter's results against its targets; recipes chosen on validation
- ``viz``: image grids, before/after comparisons, training curves
- ``widgets``: pure demo functions with ipywidgets wrappers and static panels
- ``files``: files written whole or not at all (checkpoints, results, reports)
- ``bench``: read and write ``benchmarks/results/<name>.json``
- ``grading``: ``check`` in the notebook; ``coursekit grade`` for instructors

Modules are imported on first use, so ``import coursekit`` stays fast.
"""
from __future__ import annotations

import importlib

__version__ = "0.1.0"

_MODULES = ("profile", "device", "data", "metrics", "models", "train", "viz",
            "widgets", "bench", "grading", "checks", "phantoms", "book", "classify",
            "optim", "degrade", "restore", "enhance", "reconstruct", "study", "scans", "latent", "gan", "generative", "imbalance", "gan_report", "ae_report", "files",
            "checkpoints")

__all__ = list(_MODULES) + ["check", "print_config", "seed_everything", "__version__"]


def __getattr__(name: str):
    if name in _MODULES:
        return importlib.import_module(f".{name}", __name__)
    if name == "check":
        return importlib.import_module(".grading", __name__).check
    if name in ("print_config", "seed_everything"):
        return getattr(importlib.import_module(".device", __name__), name)
    raise AttributeError(f"module 'coursekit' has no attribute {name!r}")


def __dir__():
    return sorted(__all__)

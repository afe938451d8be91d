"""The autoencoder chapter's full-profile results, read against the target set before the runs.

Notebook 04 reads three benchmark files: ``autoencoders.json`` (the chapter's models at one
latent size), ``ae_latent.json`` (the autoencoder against PCA at several latent sizes) and
``ae_datasets.json`` (the same comparison on several MedMNIST sets). This module turns those
flat dicts into tables and generated sentences, so that the notebook's cells stay short and the
reading of the target is tested: the autoencoder's test MSE at most :data:`MAX_AE_OVER_PCA`
times PCA's at the same latent size (a ratio under 1 means the autoencoder wins).
"""
from __future__ import annotations

from typing import Mapping

import pandas as pd

from .bench import agreement, series

MAX_AE_OVER_PCA = 0.5   # the target: the autoencoder's test MSE at most half of PCA's

SWEEP_COLUMNS = {"ae_test_mse": "AE test MSE", "pca_test_mse": "PCA test MSE", "ae_over_pca_mse": "AE / PCA",
                 "ae_probe_acc": "probe on AE codes", "pca_probe_acc": "probe on PCA codes",
                 "ae_best_epoch": "AE best epoch"}
DATASET_COLUMNS = {"n_train": "training images", "ae_test_mse": "AE test MSE", "pca_test_mse": "PCA test MSE",
                   "ae_over_pca_mse": "AE / PCA", "ae_train_mse": "AE MSE, training images",
                   "pca_train_mse": "PCA MSE, training images", "ae_probe_acc": "probe on AE codes",
                   "pca_probe_acc": "probe on PCA codes", "ae_best_epoch": "AE best epoch"}
CHAPTER_SET = "organamnist"   # the set of notebook 04 and autoencoders.json


def _listed(names) -> str:
    """``"a"``, ``"a and b"``, ``"a, b and c"``."""
    names = list(names)
    return names[0] if len(names) == 1 else ", ".join(names[:-1]) + " and " + names[-1]


def target_findings(result: Mapping[str, float]) -> list[str]:
    """Lines reading ``autoencoders.json``: the ratio against the target and the probe; what
    the autoencoder's code is worth in PCA components (where the file has PCA's error curve);
    each method's error on training against test images; and what each anomaly AUC means."""
    r = result
    ratio, k = r["ae_test_mse"] / r["pca_test_mse"], int(r["latent_dim"])
    lines = [f"full profile, k = {k}: the autoencoder's test MSE is {ratio:.2f} x PCA's "
             f"({'meets' if ratio <= MAX_AE_OVER_PCA else 'misses'} the target of at most {MAX_AE_OVER_PCA:g}); "
             f"its codes' probe accuracy is {r['ae_probe_acc']:.3f} against PCA's {r['pca_probe_acc']:.3f}"]
    curve = series(r, "pca_test_mse_k")   # {k: PCA's test MSE with k components}
    if curve:
        more = f"more than {max(curve)}"
        lines.append(f"the autoencoder's code does as well as {int(r.get('pca_k_matching_ae', 0)) or more} PCA "
                     f"components on the test images; halving PCA's error at k = {k} takes "
                     f"{int(r.get('pca_k_for_half', 0)) or more}")
    else:
        lines.append("This benchmark file predates the PCA error curve (keys pca_test_mse_k*): "
                     "re-run benchmarks/autoencoders.py to see it.")
    for name, key in (("the autoencoder", "ae"), ("PCA", "pca")):   # does each carry over to new patients?
        seen, new = r[f"{key}_train_mse"], r[f"{key}_test_mse"]
        lines.append(f"{name}: MSE {seen:.4f} on training images, {new:.4f} on test images ({new / seen - 1:+.0%})")
    for name, key in (("the autoencoder", "anomaly_ae_auc"), ("PCA", "anomaly_pca_auc")):
        lines.append(f"anomaly AUC of {name}'s error: {r[key]:.3f}, so it reconstructs pneumonia X-rays "
                     f"{'worse' if r[key] > 0.5 else 'better'} than normal ones more often than not")
    return lines


def sweep_table(sweep: Mapping[str, float]) -> pd.DataFrame:
    """``ae_latent.json`` as a table indexed by latent size, one column per :data:`SWEEP_COLUMNS`."""
    table = pd.DataFrame({label: series(sweep, f"{key}_d") for key, label in SWEEP_COLUMNS.items()})
    return table.rename_axis("latent size")


def sweep_findings(table: pd.DataFrame, result: Mapping[str, float] | None = None) -> str:
    """A paragraph (Markdown) on :func:`sweep_table`: the range of the ratio and where it is
    lowest, the sizes (if any) where the autoencoder meets the target, at how many sizes its
    codes are the better input for the probe and, with ``autoencoders.json``'s ``result``, whether
    the sweep reproduces the chapter's model at its latent size."""
    ratio = table["AE / PCA"]
    halved = table.index[ratio <= MAX_AE_OVER_PCA].tolist()
    text = (f"Over latent sizes {table.index.min()} to {table.index.max()} the autoencoder's test MSE is "
            f"{ratio.min():.2f} to {ratio.max():.2f} times PCA's, lowest at k = {ratio.idxmin()}. "
            + (f"It halves PCA's error at k = {halved}." if halved else "At no size does it halve PCA's error.")
            + f" Its codes are the better input for the linear probe at "
            f"{int((table['probe on AE codes'] > table['probe on PCA codes']).sum())} of {len(table)} sizes.")
    if result is not None and result["latent_dim"] in table.index:
        k = result["latent_dim"]
        text += " " + agreement(f"At k = {k:.0f} the sweep's autoencoder", table.loc[k, "AE test MSE"],
                                result["ae_test_mse"], "autoencoders.json")
    return text


def datasets_table(result: Mapping[str, float]) -> pd.DataFrame:
    """``ae_datasets.json`` as a table, one row per data set (the chapter's first, then by name),
    one column per :data:`DATASET_COLUMNS`."""
    flags = [k.removeprefix("ae_over_pca_mse_") for k in result if k.startswith("ae_over_pca_mse_")]
    flags.sort(key=lambda f: (f != CHAPTER_SET, f))
    table = pd.DataFrame({label: {f: result[f"{key}_{f}"] for f in flags} for key, label in DATASET_COLUMNS.items()},
                         index=flags)
    return table.rename_axis("data set")


def datasets_findings(table: pd.DataFrame, result: Mapping[str, float] | None = None) -> str:
    """A paragraph (Markdown) on :func:`datasets_table`: the range of the ratio, the sets (if any)
    where the autoencoder meets the target, how each method's error grows from training to test
    images; and, with ``autoencoders.json``'s ``result`` (same recipe), the sets whose best
    validation epoch was the last of the recipe's epochs (still improving) and whether the
    chapter's set reproduces it."""
    ratio = table["AE / PCA"]
    halved = table.index[ratio <= MAX_AE_OVER_PCA].tolist()
    growth = lambda method: [table.loc[f, f"{method} test MSE"] / table.loc[f, f"{method} MSE, training images"] - 1
                             for f in table.index]
    text = (f"The autoencoder's test MSE is {ratio.min():.2f} to {ratio.max():.2f} times PCA's on these "
            f"{len(table)} sets (lowest on {ratio.idxmin()}, highest on {ratio.idxmax()}). "
            + (f"It halves PCA's error on {_listed(halved)}." if halved else "On none of them does it halve PCA's error.")
            + " On new images its error grows over its error on training images by "
            + ", ".join(f"{g:+.0%} on {f}" for g, f in zip(growth("AE"), table.index))
            + "; PCA's by " + ", ".join(f"{g:+.0%}" for g in growth("PCA")) + ", in the same order.")
    epochs = len(series(result, "ae_train_loss_epoch_")) if result is not None else 0   # the recipe's epochs
    still = table.index[table["AE best epoch"] == epochs].tolist() if epochs else []
    if still:
        text += (f" On {_listed(still)} the best validation epoch is the last of {epochs}: "
                 + ("that autoencoder was" if len(still) == 1 else "those autoencoders were")
                 + " still improving when training stopped, so more epochs may lower the ratio there.")
    if result is not None and CHAPTER_SET in table.index:
        text += " " + agreement("Its OrganAMNIST autoencoder", table.loc[CHAPTER_SET, "AE test MSE"],
                                result["ae_test_mse"], "autoencoders.json")
    return text

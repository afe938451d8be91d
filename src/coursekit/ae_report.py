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
from .latent import components_bracket
from .metrics import auc_standard_error

MAX_AE_OVER_PCA = 0.5   # the target: the autoencoder's test MSE at most half of PCA's

SWEEP_COLUMNS = {"ae_test_mse": "AE test MSE", "pca_test_mse": "PCA test MSE", "ae_over_pca_mse": "AE / PCA",
                 "ae_probe_acc": "probe on AE codes", "pca_probe_acc": "probe on PCA codes",
                 "ae_best_epoch": "AE best epoch"}
DATASET_COLUMNS = {"n_train": "training images", "ae_test_mse": "AE test MSE", "pca_test_mse": "PCA test MSE",
                   "ae_over_pca_mse": "AE / PCA", "ae_train_mse": "AE MSE, training images",
                   "pca_train_mse": "PCA MSE, training images", "ae_probe_acc": "probe on AE codes",
                   "pca_probe_acc": "probe on PCA codes", "ae_best_epoch": "AE best epoch"}
CHAPTER_SET = "organamnist"   # the set of notebook 04 and autoencoders.json
CLIPPED = "noisy input clipped to [0, 1]"   # the denoising table's row of the input clipped, and nothing else
NOT_CLASSICAL = ("noisy input", CLIPPED, "denoising autoencoder")   # the denoising table's other rows


def _listed(names) -> str:
    """``"a"``, ``"a and b"``, ``"a, b and c"``."""
    names = list(names)
    return names[0] if len(names) == 1 else ", ".join(names[:-1]) + " and " + names[-1]


def _count(bracket: tuple[int, int] | None, beyond: int) -> str:
    """``"24"``, ``"between 17 and 24"``, or ``"more than 256"`` (no k of the curve got there)."""
    if bracket is None:
        return f"more than {beyond}"
    lo, hi = bracket
    return str(hi) if lo == hi else f"between {lo} and {hi}"


def pca_worth(curve: Mapping[int, float], ae_mse: float, pca_mse: float, k: int) -> str:
    """A sentence on what the autoencoder's code of ``k`` numbers is worth in PCA components,
    and how many components halve PCA's error at ``k``.

    ``curve``: PCA's test MSE by number of components ``{k: mse}``
    (:func:`coursekit.latent.pca_error_curve`), ``ae_mse`` and ``pca_mse`` the two methods' test
    MSE at ``k``. The curve is computed at a grid of k (``latent.CURVE_KS``), so each answer is
    the interval :func:`coursekit.latent.components_bracket` reads off it: from one more than
    the grid point that falls short to the first grid point that gets there (one number when
    they meet), and "more than" the curve's last k when none gets there."""
    beyond = max(curve)
    worth = components_bracket(curve, ae_mse)
    text = f"PCA needs {_count(worth, beyond)} components to match the test MSE of the autoencoder's {k} numbers"
    if worth is not None and worth[0] < worth[1]:
        short = [c for c in curve if c < worth[1]]
        text += (f" (with {max(short)} components PCA's error is above the autoencoder's, with {worth[1]} at or "
                 f"below it; the curve has no point in between)" if short else
                 f" (the curve starts at {worth[1]} components)")
    return (text + f"; halving PCA's error at k = {k} takes {_count(components_bracket(curve, 0.5 * pca_mse), beyond)}"
            " components")


def target_findings(result: Mapping[str, float]) -> list[str]:
    """Lines reading ``autoencoders.json``: the ratio against the target and the probe (beside
    the probe's floor, random codes and the majority class, where the file has them); what
    the autoencoder's code is worth in PCA components (where the file has PCA's error curve);
    each method's error on training against test images; the denoising result
    (:func:`denoising_finding`); and what each anomaly AUC means.
    The worth in PCA components is an interval between two points of the file's curve
    (:func:`pca_worth`)."""
    r = result
    ratio, k = r["ae_test_mse"] / r["pca_test_mse"], int(r["latent_dim"])
    lines = [f"full profile, k = {k}: the autoencoder's test MSE is {ratio:.2f} x PCA's "
             f"({'meets' if ratio <= MAX_AE_OVER_PCA else 'misses'} the target of at most {MAX_AE_OVER_PCA:g}); "
             f"its codes' probe accuracy is {r['ae_probe_acc']:.3f} against PCA's {r['pca_probe_acc']:.3f}"]
    if "random_probe_acc" in r:   # the probe's floor: a code of k numbers that learned nothing
        lines[0] += f" and {r['random_probe_acc']:.3f} for {k} random mixtures of the pixels"
        if "majority_test_acc" in r:
            lines[0] += f" (always the most common organ: {r['majority_test_acc']:.3f})"
    curve = series(r, "pca_test_mse_k")   # {k: PCA's test MSE with k components}
    if curve:   # pca_k_matching_ae and pca_k_for_half are the upper ends of these intervals
        lines.append(pca_worth(curve, r["ae_test_mse"], r["pca_test_mse"], k))
    else:
        lines.append("This benchmark file predates the PCA error curve (keys pca_test_mse_k*): "
                     "re-run benchmarks/autoencoders.py to see it.")
    for name, key in (("the autoencoder", "ae"), ("PCA", "pca")):   # does each carry over to new patients?
        seen, new = r[f"{key}_train_mse"], r[f"{key}_test_mse"]
        lines.append(f"{name}: MSE {seen:.4f} on training images, {new:.4f} on test images ({new / seen - 1:+.0%})")
    if "dae_test_psnr" in r:
        lines.append(denoising_finding(r))
    counts = r.get("anomaly_n_test_pneumonia"), r.get("anomaly_n_test_normal")
    for name, key in (("the autoencoder", "anomaly_ae_auc"), ("PCA", "anomaly_pca_auc")):
        line = f"anomaly AUC of {name}'s error: {r[key]:.3f}"
        if None not in counts:   # how far from chance, in units of the test sample's noise
            se = auc_standard_error(r[key], int(counts[0]), int(counts[1]))
            line += (f" ± {se:.3f} (Hanley-McNeil standard error over {int(counts[0])} pneumonia and "
                     f"{int(counts[1])} normal test X-rays), {abs(r[key] - 0.5) / se:.1f} standard errors from chance")
        if f"{r[key]:.3f}" == "0.500":   # as printed: 0.5004 is no direction either
            lines.append(line + ", chance level: a pneumonia X-ray is as likely to be reconstructed worse than a "
                                "normal one as better")
        else:
            lines.append(line + f", so it reconstructs pneumonia X-rays {'worse' if r[key] > 0.5 else 'better'} "
                                "than normal ones more often than not")
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


def denoiser_note(psnr: Mapping[str, float], epochs: int, n_train: int) -> str:
    """A sentence on the denoising table: ``psnr`` maps each method to its test PSNR (dB), with
    the keys ``"noisy input"`` and ``"denoising autoencoder"``, optionally :data:`CLIPPED` (the
    noisy input clipped to [0, 1]); the others are the classical denoisers. An autoencoder worse
    than its own input has not learned yet (a quick run of ``epochs`` epochs on ``n_train``
    images), which the sentence says rather than leave the reader to blame the architecture;
    otherwise it gives the gain, the distance to the best classical denoiser and, with
    :data:`CLIPPED`, how much of the gain clipping alone gives (the autoencoder's sigmoid output
    cannot leave [0, 1], so part of its gain over the unclipped input is only that)."""
    noisy, dae = psnr["noisy input"], psnr["denoising autoencoder"]
    if dae < noisy:
        return (f"In this run the denoising autoencoder is {noisy - dae:.1f} dB worse than the noisy input it was "
                f"given: after {epochs} epochs on {n_train} images it has not yet learned to rebuild the slices, "
                "so the table says nothing yet about its architecture. Compare the full-profile run at the end of "
                "the notebook.")
    classical = {k: v for k, v in psnr.items() if k not in NOT_CLASSICAL}
    text = f"The denoising autoencoder gains {dae - noisy:.1f} dB over the noisy input"
    if classical:
        best = max(classical, key=classical.get)
        gap = dae - classical[best]
        text += (f", {gap:.1f} dB above {best}, the best classical denoiser here" if gap >= 0 else
                 f", but stays {-gap:.1f} dB below {best}, the best classical denoiser here")
    text += "."
    if CLIPPED in psnr:
        clip_gain = psnr[CLIPPED] - noisy
        text += (f" Of its gain, {clip_gain:.1f} dB is what clipping the noisy input to [0, 1] alone gives."
                 if psnr[CLIPPED] <= dae else
                 f" Clipping the noisy input to [0, 1] alone gives {clip_gain:.1f} dB, more than the autoencoder gains.")
    return text


def denoising_finding(result: Mapping[str, float]) -> str:
    """:func:`denoiser_note` of ``autoencoders.json``'s denoising keys: the test PSNR of the noisy
    input, of the Gaussian filter and total variation at their validation-chosen strengths, of the
    denoising autoencoder and, where the file has it, of the noisy input clipped to [0, 1]."""
    r = result
    psnr = {"noisy input": r["noisy_test_psnr"],
            f"the Gaussian filter (sigma {r['gauss_sigma']:g})": r["gauss_test_psnr"],
            f"total variation (weight {r['tv_weight']:g})": r["tv_test_psnr"],
            "denoising autoencoder": r["dae_test_psnr"]}
    if "clipped_test_psnr" in r:
        psnr[CLIPPED] = r["clipped_test_psnr"]
    note = denoiser_note(psnr, len(series(r, "ae_train_loss_epoch_")), int(r["n_train"]))
    return "denoising, full profile: " + note[0].lower() + note[1:]

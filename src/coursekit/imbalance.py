"""The class-imbalance experiment of ``notebooks/05c_gan_imbalance.ipynb``: does adding a
conditional GAN's samples of a rare class help a classifier more than the classical remedies?

* :func:`imbalanced_subset`: a training set in which one class is kept at a small fraction;
  :func:`extra_needed`: how many images of it would balance the set.
* The remedies: :func:`class_weights` (re-weighting the loss), :func:`classical_augment`
  (rotated, shifted and rescaled copies), and conditional-GAN samples
  (:func:`coursekit.generative.generate`).
* :func:`trial`: one seed of the experiment, one row per arm of :data:`ARMS`, scored on the
  real test split (shared by the notebook and ``benchmarks/gan_imbalance.py``).
* :func:`summarise`, :func:`table`, :func:`findings`: the rows of several seeds as the keys of
  ``benchmarks/results/gan_imbalance.json``, as a table, and in words. An arm is called
  better or worse than plain only when its paired difference exceeds two standard errors,
  over at least three seeds.

Images are ``(N, C, H, W)`` float32 in [0, 1]; labels ``(N,)`` int64 class indices.
"""
from __future__ import annotations

import math
import os
from dataclasses import replace

import numpy as np
import torch
from scipy import stats
from torch import nn

from .checks import check_class_labels, check_images, check_positive_int, check_seed, check_unit_range
from .data import MedMNIST
from .device import get_device, seed_everything
from .generative import GAN_RECIPE, GAN_RECIPES, class_accuracy, generate, train_gan

__all__ = ["imbalanced_subset", "extra_needed", "classical_augment", "AUGMENT_RECIPE", "AUGMENT_RECIPES",
           "class_weights", "ARMS", "conditional_gan", "trial",
           "summarise", "table", "findings"]


def _check_minority(data: MedMNIST, minority: int, who: str) -> None:
    if data.labels.ndim != 1:
        raise ValueError(f"{who} needs single-label data")
    if not 0 <= minority < data.n_classes:
        raise ValueError(f"minority must be a class index in [0, {data.n_classes}); got {minority!r}")


def imbalanced_subset(data: MedMNIST, minority: int, fraction: float, n: int | None = None,
                      seed: int = 0) -> MedMNIST:
    """A training set in which class ``minority`` makes up ``fraction`` of the images.

    The other classes: a stratified subset of ``n`` images of them (all if
    None); the minority class: a seeded random choice of
    ``round(fraction / (1 - fraction) * n_others)`` of its images.
    """
    _check_minority(data, minority, "imbalanced_subset")
    if not 0 < fraction < 1:
        raise ValueError(f"fraction must lie strictly between 0 and 1; got {fraction!r}")
    is_min = data.labels == minority
    others = replace(data, images=data.images[~is_min], labels=data.labels[~is_min]).subset(n, seed=seed)
    k = max(1, round(fraction / (1 - fraction) * len(others)))
    pool = torch.nonzero(is_min).flatten().numpy()
    if k > len(pool):
        raise ValueError(f"class {minority} has {len(pool)} images; {k} are needed for fraction {fraction}")
    pick = np.sort(np.random.default_rng(seed).permutation(pool)[:k])
    return replace(data, images=torch.cat([others.images, data.images[pick]]),
                   labels=torch.cat([others.labels, data.labels[pick]]))


def extra_needed(data: MedMNIST, minority: int) -> tuple[int, int]:
    """How many images of class ``minority`` the augmenting arms add to ``data``.

    Returns ``(n_target, n_extra)``: ``n_target`` is the mean count of the other
    classes (what a balanced set would hold of each), ``n_extra = n_target -``
    the minority's count. Refused unless ``n_extra >= 1``.
    """
    _check_minority(data, minority, "extra_needed")
    is_min = data.labels == minority
    n_target = int((~is_min).sum()) // (data.n_classes - 1)
    n_extra = n_target - int(is_min.sum())
    if n_extra < 1:
        raise ValueError(f"class {minority} is not a minority here: {int(is_min.sum())} of {len(data)} images, "
                         f"the other classes {n_target} each on average")
    return n_target, n_extra


AUGMENT_RECIPES = {1: "the uncovered margin filled with black (zeros)",
                   2: "the uncovered margin filled with the nearest border pixel"}
"""The versions of :func:`classical_augment` that full-profile results were run with, by number."""
AUGMENT_RECIPE = max(AUGMENT_RECIPES)
"""The version :func:`classical_augment` runs by default (recorded by :func:`summarise` as
``augment_recipe``, so that a page can tell a result of the black fill from one of this fill)."""
_PADDING = {1: "zeros", 2: "border"}   # grid_sample's padding_mode of each recipe


def classical_augment(images: torch.Tensor, n: int, seed: int = 0, max_shift: int = 2,
                      max_degrees: float = 10.0, max_gain: float = 0.1, padding: str = _PADDING[AUGMENT_RECIPE]) -> torch.Tensor:
    """``n`` augmented copies of randomly chosen ``images`` ``(N, C, H, W)`` in [0, 1].

    Each copy: a random rotation (up to ``max_degrees``), a random shift (up
    to ``max_shift`` px) and a random intensity gain ``1 +- max_gain``; no
    flips (a left-right flip turns a left kidney into a right one). ``padding``: what fills the
    margin that the rotation and the shift uncover, ``"border"`` (the nearest border pixel: the
    default, :data:`AUGMENT_RECIPE` 2) or ``"zeros"`` (black, recipe 1: straight-edged black
    wedges at the borders, which real slices do not have).
    Returns ``(n, C, H, W)`` float32 in [0, 1].
    """
    check_images(images, "classical_augment: images", min_count=1)
    check_unit_range(images, "classical_augment: images")   # the copies are clipped to [0, 1]
    check_positive_int(n, "n")
    if padding not in _PADDING.values():
        raise ValueError(f"padding must be one of {tuple(_PADDING.values())}; got {padding!r}")
    g = torch.Generator().manual_seed(check_seed(seed))
    src = images[torch.randint(0, len(images), (n,), generator=g)].float().cpu()
    h, w = src.shape[-2:]
    angle = (torch.rand(n, generator=g) * 2 - 1) * math.radians(max_degrees)
    shift = (torch.rand(n, 2, generator=g) * 2 - 1) * max_shift
    gain = 1 + (torch.rand(n, 1, 1, 1, generator=g) * 2 - 1) * max_gain
    cos, sin = torch.cos(angle), torch.sin(angle)
    theta = torch.stack([torch.stack([cos, -sin, shift[:, 0] * 2 / w], 1),
                         torch.stack([sin, cos, shift[:, 1] * 2 / h], 1)], 1)
    grid = nn.functional.affine_grid(theta, list(src.shape), align_corners=False)
    out = nn.functional.grid_sample(src, grid, padding_mode=padding, align_corners=False)
    return (out * gain).clamp(0, 1)


def class_weights(labels, n_classes: int) -> torch.Tensor:
    """Inverse-frequency class weights ``N / (n_classes * count_c)``, float32 ``(n_classes,)``
    (1 for every class when the classes are balanced)."""
    check_positive_int(n_classes, "n_classes")
    labels = torch.as_tensor(labels)
    counts = torch.bincount(check_class_labels(labels, labels.numel(), n_classes), minlength=n_classes).float()
    if (counts == 0).any():
        raise ValueError(f"every class needs at least one image; counts {counts.int().tolist()}")
    return counts.sum() / (n_classes * counts)


ARMS = ("plain", "re-weighting", "classical augmentation", "cGAN samples", "more real images (reference)")


def _with_extra(data: MedMNIST, images: torch.Tensor, label: int) -> MedMNIST:
    labels = torch.full((len(images),), label, dtype=torch.int64)
    return replace(data, images=torch.cat([data.images, images.detach().float().cpu()]),
                   labels=torch.cat([data.labels, labels]))


def conditional_gan(data: MedMNIST, seed: int, *, z_dim: int, gan_width: int, gan_epochs: int, batch_size: int,
                    checkpoint_dir=None, device=None):
    """The conditional GAN of one seed of :func:`trial`, trained on ``data`` (that seed's
    imbalanced set) from ``seed``; returns ``(generator, history)``. With the ``checkpoint_dir``
    that :func:`trial` wrote to, it resumes that finished run instead of training again, so a
    notebook can look at the samples of the GAN behind the ``cGAN samples`` arm."""
    from .models.gan import ConditionalDiscriminator, ConditionalGenerator

    K = data.n_classes
    seed_everything(seed)
    cG = ConditionalGenerator(z_dim=z_dim, n_classes=K, channels=1, width=gan_width)
    cD = ConditionalDiscriminator(channels=1, n_classes=K, width=gan_width)
    ckpt = None if checkpoint_dir is None else os.path.join(checkpoint_dir, "05c_cgan.pt")
    hist = train_gan(cG, cD, data.images, data.labels, epochs=gan_epochs, batch_size=batch_size, seed=seed,
                     checkpoint=ckpt, device=get_device(device), progress=False, verbose=False)
    return cG, hist


def trial(full_train: MedMNIST, val: MedMNIST, test: MedMNIST, minority: int, seed: int, *,
          n_others: int, fraction: float, clf_width: int, clf_epochs: int, batch_size: int,
          z_dim: int, gan_width: int, gan_epochs: int, checkpoint_dir=None, device=None) -> list[dict]:
    """One seed of the class-imbalance experiment (``notebooks/05c_gan_imbalance.ipynb``).

    Draws the imbalanced training set (:func:`imbalanced_subset`: ``n_others``
    images of the other classes, class ``minority`` at ``fraction``), trains a
    conditional GAN on that set only, then trains the same
    :class:`~coursekit.models.SmallCNN` recipe (:func:`coursekit.classify.train_classifier`,
    no random shifts) once per arm of :data:`ARMS`:

    * ``plain``: the imbalanced set as is;
    * ``re-weighting``: cross-entropy weighted by :func:`class_weights`;
    * ``classical augmentation`` / ``cGAN samples``: the set plus ``n_extra``
      minority images from :func:`classical_augment` / the conditional GAN,
      where ``n_extra`` brings the minority class up to the mean count of the others;
    * ``more real images (reference)``: the same seed's subset with that many
      *real* minority images (what collecting data would buy).

    Every arm starts from the same seed. Returns one row per arm:
    ``{"seed", "arm", "minority recall", "balanced accuracy", "accuracy",
    "train seconds"}``, measured on the real ``test`` split (balanced accuracy:
    the mean of the per-class recalls); ``train seconds`` sums the per-epoch
    times of the arm's classifier history (and, for ``cGAN samples``, of the
    conditional GAN's), so epochs trained before a resume count too.
    Checkpoints go to ``checkpoint_dir`` (none if None).
    """
    from . import classify
    from .models import SmallCNN

    K = full_train.n_classes
    dev = get_device(device)
    data = imbalanced_subset(full_train, minority, fraction, n=n_others, seed=seed)
    n_target, n_extra = extra_needed(data, minority)
    ckpt = (lambda name: None) if checkpoint_dir is None else (lambda name: os.path.join(checkpoint_dir, name))

    cG, gan_hist = conditional_gan(data, seed, z_dim=z_dim, gan_width=gan_width, gan_epochs=gan_epochs,
                                   batch_size=batch_size, checkpoint_dir=checkpoint_dir, device=dev)

    def score(train_data: MedMNIST, class_weight=None, extra_seconds: float = 0.0) -> dict:
        seed_everything(seed)
        model = SmallCNN(1, K, width=clf_width)
        hist = classify.train_classifier(model, train_data, val, epochs=clf_epochs, class_weight=class_weight,
                                         max_shift=0, batch_size=batch_size, seed=seed,
                                         checkpoint=ckpt("05c_classifier.pt"), device=dev, progress=False,
                                         verbose=False)
        res = class_accuracy(model, test.images, test.labels, n_classes=K)
        return {"minority recall": float(res["per_class"][minority]),
                "balanced accuracy": float(np.nanmean(res["per_class"])), "accuracy": res["accuracy"],
                "train seconds": hist.seconds() + extra_seconds}

    minority_images = data.images[data.labels == minority]
    arms = {
        "plain": lambda: score(data),
        "re-weighting": lambda: score(data, class_weights(data.labels, K)),
        "classical augmentation": lambda: score(_with_extra(data, classical_augment(minority_images, n_extra,
                                                                                    seed=seed), minority)),
        "cGAN samples": lambda: score(_with_extra(data, generate(cG, n_extra, labels=torch.full((n_extra,), minority),
                                                                 seed=seed), minority),
                                      extra_seconds=gan_hist.seconds()),
        # the same seed's subset of the other classes, with more of the real minority images
        "more real images (reference)": lambda: score(imbalanced_subset(
            full_train, minority, n_target / (len(data) - len(minority_images) + n_target), n=n_others, seed=seed)),
    }
    return [{"seed": seed, "arm": arm, **arms[arm]()} for arm in ARMS]


_ARM_KEYS = {"plain": "plain", "re-weighting": "reweight", "classical augmentation": "augment",
             "cGAN samples": "cgan", "more real images (reference)": "real"}
_METRIC_KEYS = {"minority recall": "minority_recall", "balanced accuracy": "balanced_acc", "accuracy": "acc"}
_COMPARED = ("minority recall", "balanced accuracy")   # the metrics each arm is compared with plain on
_CHEAP = ("re-weighting", "classical augmentation")     # the remedies a GAN has to beat to be worth its training


def summarise(rows) -> dict[str, float]:
    """Flatten the rows of :func:`trial` over seeds into ``{key: number}``.

    For every arm (``plain``, ``reweight``, ``augment``, ``cgan``, ``real``) and
    metric (``minority_recall``, ``balanced_acc``, ``acc``): each seed's value
    ``{metric}_{arm}_seed{seed}``, and ``{metric}_{arm}_mean`` and ``_std`` over
    seeds; for every arm but plain, the *paired* difference from plain on the same
    seed, ``{metric}_{arm}_diff_mean`` and its standard error ``_diff_se``; for the
    cGAN, its paired differences from the two cheap remedies it has to beat,
    ``{metric}_cgan_vs_reweight_diff_mean``/``_se`` and ``..._cgan_vs_augment_...``;
    plus ``n_seeds``, ``gan_recipe`` (:data:`coursekit.generative.GAN_RECIPE`, the
    recipe :func:`trial` trains its cGAN with) and ``augment_recipe`` (:data:`AUGMENT_RECIPE`, the
    fill of its classical augmentation). (The keys of
    ``benchmarks/results/gan_imbalance.json``.)
    """
    table = {(r["seed"], r["arm"]): r for r in rows}
    seeds = sorted({seed for seed, _ in table})
    missing = [(s, a) for s in seeds for a in ARMS if (s, a) not in table]
    if not seeds or missing:
        raise ValueError(f"every seed needs a row for every arm; missing (seed, arm): {missing or 'all'}")
    out: dict[str, float] = {"n_seeds": len(seeds), "gan_recipe": GAN_RECIPE, "augment_recipe": AUGMENT_RECIPE}
    ddof = 1 if len(seeds) > 1 else 0

    def paired(key: str, v: np.ndarray, base: np.ndarray) -> None:
        d = v - base
        out[f"{key}_diff_mean"], out[f"{key}_diff_se"] = float(d.mean()), float(d.std(ddof=ddof) / np.sqrt(len(d)))

    for metric, mkey in _METRIC_KEYS.items():
        values = {akey: np.array([table[s, arm][metric] for s in seeds], dtype=float)
                  for arm, akey in _ARM_KEYS.items()}
        for akey, v in values.items():
            out.update({f"{mkey}_{akey}_seed{s}": float(x) for s, x in zip(seeds, v)})
            out[f"{mkey}_{akey}_mean"], out[f"{mkey}_{akey}_std"] = float(v.mean()), float(v.std(ddof=ddof))
            if akey != "plain":
                paired(f"{mkey}_{akey}", v, values["plain"])
        for cheap in _CHEAP:
            paired(f"{mkey}_cgan_vs_{_ARM_KEYS[cheap]}", values["cgan"], values[_ARM_KEYS[cheap]])
    return out


def _verdict(d: float, se: float, n: int) -> str:
    if n < 3:
        return "too few seeds"
    return "better" if d > 2 * se else "worse" if d < -2 * se else "not distinguishable"


def _paired(summary, metric: str, arm: str) -> tuple[float, float]:
    m, a = _METRIC_KEYS[metric], _ARM_KEYS[arm]
    return summary[f"{m}_{a}_diff_mean"], summary[f"{m}_{a}_diff_se"]


def table(summary, metric: str | None = None):
    """The summary of :func:`summarise` (or the benchmark's JSON) as a table, one row per arm.

    Columns: mean and standard deviation over seeds of the minority recall and
    the balanced accuracy, the mean accuracy, and for each of the first two the
    paired difference from plain, its standard error and a verdict: *better* or
    *worse* than plain only if the mean difference exceeds two standard errors,
    and only with at least three seeds. With ``metric`` (``"minority recall"`` or
    ``"balanced accuracy"``) only that metric's five columns, named ``mean``,
    ``std``, ``Δ vs plain``, ``se`` and ``verdict`` (narrow enough for a page), and
    the metric named above the arms.
    Returns a ``pandas.DataFrame``.
    """
    import pandas as pd

    if metric is not None and metric not in _COMPARED:
        raise ValueError(f"metric must be 'minority recall', 'balanced accuracy' or None (all); got {metric!r}")
    n = int(summary["n_seeds"])
    rows = {}
    for arm, a in _ARM_KEYS.items():
        row = {}
        for name in _COMPARED:
            m = _METRIC_KEYS[name]
            row[name], row[f"{name} std"] = summary[f"{m}_{a}_mean"], summary[f"{m}_{a}_std"]
        row["accuracy"] = summary[f"acc_{a}_mean"]
        for name in _COMPARED:
            paired = arm != "plain"
            d, se = _paired(summary, name, arm) if paired else (np.nan, np.nan)
            row[f"Δ {name} vs plain"], row[f"Δ {name} se"] = d, se
            row[f"{name}: verdict"] = _verdict(d, se, n) if paired else "-"
        rows[arm] = row
    out = pd.DataFrame.from_dict(rows, orient="index")
    if metric is not None:
        out = out[[metric, f"{metric} std", f"Δ {metric} vs plain", f"Δ {metric} se", f"{metric}: verdict"]]
        out.columns = ["mean", "std", "Δ vs plain", "se", "verdict"]
    out.index.name = f"arm ({n} seeds)" if metric is None else f"{metric}, by arm ({n} seeds)"
    return out.round(3)


def _recipe_note(summary) -> str:
    """A warning when the cGAN arm of ``summary`` was not trained with the current GAN recipe, or
    its augmentation arm not run with the current :data:`AUGMENT_RECIPE`.
    A summary without ``gan_recipe`` predates that record; the only such file, the
    gan_imbalance.json of commit 4ba56c3, was trained with recipe 1, so that is what it is read as.
    A summary without ``augment_recipe`` predates the border fill: recipe 1 (black)."""
    note = ""
    recipe = int(summary.get("gan_recipe", 1))
    if recipe != GAN_RECIPE:
        told = "records" if "gan_recipe" in summary else "predates the record of the recipe; it used"
        note += (f"**These results come from an older GAN.** The file {told} GAN recipe {recipe} "
                 f"({GAN_RECIPES.get(recipe, 'unknown')}); this chapter's GANs use recipe {GAN_RECIPE} "
                 f"({GAN_RECIPES[GAN_RECIPE]}). So its cGAN row shows a GAN this page no longer describes; the "
                 "other four arms do not involve a GAN. Running `benchmarks/gan_imbalance.py` again updates the file. ")
    augment = int(summary.get("augment_recipe", 1))
    if augment != AUGMENT_RECIPE:
        note += (f"**Its classical augmentation is an older one:** {AUGMENT_RECIPES.get(augment, 'unknown')}, where "
                 f"this page's has {AUGMENT_RECIPES[AUGMENT_RECIPE]}. So read its *classical augmentation* row as "
                 "that augmentation, possibly a weaker baseline than this page's. ")
    return note


def findings(summary, minority: str = "the rare class") -> str:
    """The experiment's answer in words, generated from the summary with the verdict rule of
    :func:`table`: for the minority recall and the balanced accuracy, each arm's
    verdict against plain with its paired difference and standard error, then the cGAN's
    against the two cheap remedies (when the summary has those comparisons; files written
    before they were recorded do not). Starts with a warning when the summary's cGAN was
    trained with an older GAN recipe than :data:`coursekit.generative.GAN_RECIPE`, or its
    augmentation arm run with an older :data:`AUGMENT_RECIPE`."""
    n = int(summary["n_seeds"])
    note = _recipe_note(summary)
    if n < 3:
        return note + (f"With {n} seed{'s' if n != 1 else ''}, no arm can be told apart from the plain classifier "
                       "(the rule needs at least three): this run shows that the pipeline works, not which arm wins.")
    parts = []
    whats = (f"the recall of {minority}", "balanced accuracy")
    for metric, what in zip(_COMPARED, whats):
        said = []
        for arm in ARMS[1:]:
            d, se = _paired(summary, metric, arm)
            said.append(f"{arm}: {_verdict(d, se, n)} ({d:+.3f} ± {se:.3f})")
        parts.append(f"On {what}, compared with the plain classifier: " + "; ".join(said) + ".")
    against = []
    for metric, what in zip(_COMPARED, whats):
        keys = [f"{_METRIC_KEYS[metric]}_cgan_vs_{_ARM_KEYS[cheap]}_diff_{x}" for cheap in _CHEAP for x in ("mean", "se")]
        if all(k in summary for k in keys):
            said = [f"against {cheap}: {_verdict(summary[k], summary[k_se], n)} "
                    f"({summary[k]:+.3f} ± {summary[k_se]:.3f})" for cheap, k, k_se in zip(_CHEAP, keys[::2], keys[1::2])]
            against.append(f"on {what}, " + "; ".join(said))
    if against:
        parts.append("The cGAN samples against the cheap remedies a GAN has to beat (cGAN minus remedy, paired): "
                     + "; ".join(against) + ".")
    else:
        parts.append("This file does not compare the cGAN with the cheap remedies directly (it predates that "
                     "comparison); compare their rows in the tables.")
    alpha = 2 * stats.t.sf(2, df=n - 1)   # the rule's level: how often it calls a difference that is not there
    return note + (f"Over {n} seeds (paired difference ± its standard error; 'better' or 'worse' only beyond two "
                   f"standard errors, which with {n} seeds is a two-sided t test at about the {alpha:.0%} "
                   f"level ({1 - alpha:.0%} confidence): a screening rule, not a test at the 5% level). "
                   + " ".join(parts))

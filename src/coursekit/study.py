"""Judging a result: is a difference between two methods real, how large is it, and where does
it fail? The capstone's tools.

A restoration study scores every method on the *same* test images, so its evidence comes in
pairs: one score per image per method (``metrics.psnr(..., reduction="none")``, or
:func:`coursekit.classify.correct` for a task). These functions read such pairs:

* :func:`paired_bootstrap`: the mean difference ``a - b`` over the test images with a percentile
  bootstrap confidence interval (the images are resampled, so the interval says how much the
  mean would move on another test set of the same size), and the fraction of images on which
  ``a`` beats ``b``. ``paired=False`` resamples the two methods independently, as if they had
  been scored on different images: the wider interval shows what pairing buys.
* ``groups=``: when several images come from one patient (slices of a volume), they are not
  independent draws, and resampling images gives an interval too narrow by the square root of
  the *design effect* :math:`1 + (m - 1) r`. With ``groups`` (one label per image) the bootstrap
  resamples whole groups instead, each drawn group bringing all of its images (a *cluster
  bootstrap*); :func:`design_effect` measures :math:`r` and the factor, and :func:`mean_interval`
  gives one method's mean score with the same kind of interval.
* :func:`paired_auc`: the same for a difference in AUC, which is not a mean over images: the
  positive and the negative images are resampled separately and both AUCs recomputed on every
  resample.
* :func:`verdict`: the sentence a report may write about such an interval, decided by rules set
  before the test images are scored (is zero inside it? is the smallest difference that matters?).
* :func:`worst`: the images on which ``a`` does worst against ``b``: the failure cases to look at.
* :func:`near_duplicates`: images of one split that (nearly) copy an image of another: leakage,
  which inflates every score measured on them. Check the splits before anything else.

What the bootstrap does **not** see: how the result changes with the training seed (train
several seeds and show their spread), with another hospital or dose (test them), or with
leakage between the splits (:func:`near_duplicates`, before any of this).
"""
from __future__ import annotations

import warnings

import numpy as np

from .checks import check_number, check_positive_int, check_seed
from .generative import nearest_neighbour_distances

__all__ = ["paired_bootstrap", "mean_interval", "design_effect", "paired_auc", "verdict", "worst", "near_duplicates",
           "FewDiscordantWarning"]


def _as_array(x) -> np.ndarray:
    """A torch tensor (on any device) or anything array-like, as a NumPy array."""
    return np.asarray(x.detach().cpu().numpy() if hasattr(x, "detach") else x)


def _score_array(s, name: str) -> np.ndarray:
    """Per-image scores as float64 ``(N,)``, checked: 1D, numbers (bool for right/wrong), finite."""
    s = _as_array(s)
    if s.dtype == bool:
        s = s.astype(np.float64)
    if s.ndim != 1 or not np.issubdtype(s.dtype, np.number):
        raise ValueError(f"{name}: expected one number per test image, shape (N,); got shape {s.shape} "
                         f"of {s.dtype}. Per-image scores come from e.g. metrics.psnr(x, y, reduction='none').")
    s = s.astype(np.float64)
    if not np.isfinite(s).all():
        bad = int((~np.isfinite(s)).sum())
        raise ValueError(f"{name}: {bad} of {len(s)} scores are not finite (inf or NaN). An image restored exactly "
                         "has an infinite PSNR: compare per-image MSE instead, or compute each image's PSNR from "
                         "its MSE with a floor (e.g. max(MSE, 1e-10)).")
    if len(s) < 2:
        raise ValueError(f"{name}: a bootstrap needs at least 2 test images; got {len(s)}")
    return s


def _scores(a, b) -> tuple[np.ndarray, np.ndarray]:
    """Two per-image score arrays as float64 ``(N,)``, checked: 1D, same length, N >= 2, finite."""
    a, b = _score_array(a, "a"), _score_array(b, "b")
    if len(a) != len(b):
        raise ValueError(f"a and b: expected one score per image for the same images; got {len(a)} and "
                         f"{len(b)} scores")
    return a, b


FEW_DISCORDANT = 25
"""Right/wrong scores with fewer discordant images than this get a warning: the difference in
accuracy rests on them alone, and the percentile interval is then too narrow."""


class FewDiscordantWarning(UserWarning):
    """:func:`paired_bootstrap` on right/wrong scores with fewer than :data:`FEW_DISCORDANT`
    discordant images: its interval is too narrow, and its result's ``"mcnemar_p"`` (which
    :func:`verdict` reports) is the test to decide with. A page that reports the verdict can
    ignore this category alone."""


def _right_or_wrong(s: np.ndarray) -> bool:
    """Whether per-image scores are right/wrong answers (0 and 1 only)."""
    return bool(np.isin(s, (0.0, 1.0)).all())


def _few_discordant(discordant: int, a_only: int, b_only: int) -> str:
    return (f"only {discordant} images are right for one method and wrong for the other ({a_only} for a, {b_only} for "
            f"b); the difference in accuracy rests on them alone, and with fewer than {FEW_DISCORDANT} the bootstrap "
            f"interval is too narrow. Use an exact test: McNemar's, scipy.stats.binomtest({a_only}, {discordant}) (the "
            f"result's 'mcnemar_p').")


def _group_index(groups, n: int) -> tuple[np.ndarray, int]:
    """Each image's group as an int64 index ``0 .. G-1`` ``(N,)``, and ``G``; checked: one label
    per image (ints or strings, e.g. a patient or volume id), at least 2 groups."""
    g = _as_array(groups)
    if g.ndim != 1 or len(g) != n:
        raise ValueError(f"groups: expected one label per test image, shape ({n},) (e.g. the patient or volume each "
                         f"image comes from); got shape {g.shape}")
    if g.dtype.kind == "f" and not np.isfinite(g).all():
        raise ValueError("groups: some labels are NaN or inf; expected a patient or volume id for every image")
    _, index = np.unique(g, return_inverse=True)
    n_groups = int(index.max()) + 1
    if n_groups < 2:
        raise ValueError(f"groups: a bootstrap over groups needs at least 2 of them; every image is in the one group "
                         f"{g[0]!r}")
    return index.reshape(-1).astype(np.int64), n_groups


def _check_confidence(confidence) -> float:
    if not (check_number(confidence, "confidence", "a probability, e.g. 0.95", low_included=False) < 1):
        raise ValueError(f"confidence (a probability, e.g. 0.95) must be below 1; got {confidence!r}")
    return float(confidence)


def _percentile_interval(values: np.ndarray, confidence: float) -> tuple[float, float]:
    """The central ``confidence`` part of the resampled statistics ``values`` ``(n_resamples,)``."""
    tail = (1 - confidence) / 2
    low, high = np.quantile(values, [tail, 1 - tail])
    return float(low), float(high)


def _groups_or_images(groups, n: int) -> tuple[np.ndarray, int, np.ndarray]:
    """What a bootstrap resamples: each image's group index ``(N,)``, the number of groups ``G``
    and each group's number of images ``(G,)`` float64. ``groups=None``: every image is a group
    of its own."""
    index, n_groups = (np.arange(n), n) if groups is None else _group_index(groups, n)
    return index, n_groups, np.bincount(index, minlength=n_groups).astype(np.float64)


def _resampled_means(sums: np.ndarray, counts: np.ndarray, draws: np.ndarray) -> np.ndarray:
    """The mean over the images of the groups drawn, one per row of ``draws`` ``(m, G)`` (group
    indices, with repeats): ``sums`` ``(G,)`` each group's total score, ``counts`` ``(G,)`` its
    number of images. Returns ``(m,)``; with groups of one image, the mean of the images drawn."""
    return sums[draws].sum(axis=1) / counts[draws].sum(axis=1)


def paired_bootstrap(a, b, n_resamples: int = 10_000, confidence: float = 0.95, seed: int = 0,
                     paired: bool = True, groups=None) -> dict[str, float]:
    """The mean of ``a - b`` over the test images, with a percentile bootstrap interval.

    a, b: per-image scores of two methods on the same ``N`` images, in the same order: ``(N,)``
    arrays or tensors (bool for right/wrong: the difference is then one in accuracy). Each of
    ``n_resamples`` resamples draws ``N`` images with replacement; the interval is the central
    ``confidence`` part of the resampled mean differences. ``paired=True`` draws the same images
    for both methods (their difference per image is resampled); ``paired=False`` draws them
    independently, which ignores that some images are hard for every method.

    groups: ``None`` (the images are independent draws), or one label per image ``(N,)``, the
    patient or volume it comes from: each resample then draws ``G`` groups with replacement,
    each bringing all of its images (a cluster bootstrap; the mean is over the images drawn).

    Returns ``{"kind": "mean difference", "mean": a.mean() - b.mean(), "low", "high": the
    interval, "fraction_better": share of images with a > b, "fraction_worse": a < b, "n": N,
    "confidence"}``, and ``"n_groups": G`` when ``groups`` is given (``fraction_*`` compare the
    images one by one, also when ``paired=False``). For right/wrong scores (0 and 1 only) also
    ``"n_discordant"``, the images right for one method and wrong for the other (``"a_only"`` of
    them right for ``a`` alone, ``"b_only"`` for ``b`` alone), and ``"mcnemar_p"``, the two-sided
    p-value of the exact McNemar test (``scipy.stats.binomtest(a_only, n_discordant)``; 1 without
    discordant images): the difference rests on those images alone, and with fewer than
    :data:`FEW_DISCORDANT` the percentile interval is too narrow (a :class:`FewDiscordantWarning`
    says so, and the exact test decides).
    """
    a, b = _scores(a, b)
    check_positive_int(n_resamples, "n_resamples")
    confidence = _check_confidence(confidence)
    rng = np.random.default_rng(check_seed(seed))
    n, means = len(a), []
    index, n_groups, counts = _groups_or_images(groups, n)
    sum_a, sum_b = (np.bincount(index, weights=s, minlength=n_groups) for s in (a, b))
    for start in range(0, n_resamples, 1000):          # (1000, G) indices at a time: bounded memory
        m = min(1000, n_resamples - start)
        i = rng.integers(0, n_groups, size=(m, n_groups))
        j = i if paired else rng.integers(0, n_groups, size=(m, n_groups))
        means.append(_resampled_means(sum_a, counts, i) - _resampled_means(sum_b, counts, j))
    means = np.concatenate(means)
    low, high = _percentile_interval(means, confidence)
    result = {"kind": "mean difference", "mean": float(a.mean() - b.mean()), "low": float(low), "high": float(high),
              "fraction_better": float((a > b).mean()), "fraction_worse": float((a < b).mean()),
              "n": n, "confidence": confidence}
    if groups is not None:
        result["n_groups"] = n_groups
    if _right_or_wrong(a) and _right_or_wrong(b):
        from scipy.stats import binomtest

        a_only, b_only = int((a > b).sum()), int((a < b).sum())
        discordant = a_only + b_only
        result.update(n_discordant=discordant, a_only=a_only, b_only=b_only,
                      mcnemar_p=float(binomtest(a_only, discordant).pvalue) if discordant else 1.0)
        if discordant < FEW_DISCORDANT:
            warnings.warn(_few_discordant(discordant, a_only, b_only), FewDiscordantWarning, stacklevel=2)
    return result


def mean_interval(scores, groups=None, n_resamples: int = 10_000, confidence: float = 0.95,
                  seed: int = 0) -> dict[str, float]:
    """One method's mean score over the test images, with a percentile bootstrap interval: how
    far the mean would move on another test set of the same size.

    scores: ``(N,)`` per-image scores (array or tensor; bool for right/wrong). groups: ``None``
    or one label per image ``(N,)``, the patient or volume it comes from; each resample then draws
    whole groups, as in :func:`paired_bootstrap`. Returns ``{"kind": "mean", "mean", "low",
    "high", "n", "confidence"}``, and ``"n_groups"`` when ``groups`` is given. To compare two methods on the
    same images, use :func:`paired_bootstrap`: two overlapping intervals from this function do
    not show that the methods are alike."""
    x = _score_array(scores, "scores")
    check_positive_int(n_resamples, "n_resamples")
    confidence = _check_confidence(confidence)
    rng = np.random.default_rng(check_seed(seed))
    n = len(x)
    index, n_groups, counts = _groups_or_images(groups, n)
    sums, means = np.bincount(index, weights=x, minlength=n_groups), []
    for start in range(0, n_resamples, 1000):          # (1000, G) indices at a time: bounded memory
        m = min(1000, n_resamples - start)
        means.append(_resampled_means(sums, counts, rng.integers(0, n_groups, size=(m, n_groups))))
    means = np.concatenate(means)
    low, high = _percentile_interval(means, confidence)
    result = {"kind": "mean", "mean": float(x.mean()), "low": float(low), "high": float(high), "n": n,
              "confidence": confidence}
    if groups is not None:
        result["n_groups"] = n_groups
    return result


def design_effect(scores, groups) -> dict[str, float]:
    """How much correlated images narrow a bootstrap over images that should have been over groups.

    scores: ``(N,)`` per-image scores (or per-image differences ``a - b``); groups: one label per
    image ``(N,)``, the patient or volume it comes from. Returns ``{"icc": r, "mean_group_size":
    N / G, "weighted_group_size": m, "design_effect": 1 + (m - 1) r, "n", "n_groups"}``: ``r`` is
    the intraclass correlation (the one-way analysis-of-variance estimate, which allows groups of
    different sizes; it can come out slightly below 0 when the images of a group are no more alike
    than any two); ``m = sum_g m_g**2 / N`` is the group size weighted by the images (Kish's design
    effect: it equals ``N / G`` when the groups are equally large, and exceeds it when a few
    patients bring many images). The variance of the mean over all images is ``design_effect``
    times what it would be for ``N`` independent images, so an interval that resamples images is
    about ``sqrt(design_effect)`` times too narrow.
    Estimated, not known: with few groups, ``r`` is uncertain too; resample the groups anyway."""
    x = _score_array(scores, "scores")
    n = len(x)
    index, k = _group_index(groups, n)
    counts = np.bincount(index, minlength=k).astype(np.float64)
    if k == n:
        raise ValueError("groups: every image is in a group of its own, so there is no correlation within groups "
                         "to measure; expected several images per patient or volume")
    group_means = np.bincount(index, weights=x, minlength=k) / counts
    between = (counts * (group_means - x.mean()) ** 2).sum() / (k - 1)
    within = ((x - group_means[index]) ** 2).sum() / (n - k)
    n0 = (n - (counts ** 2).sum() / n) / (k - 1)         # the "average" group size of unbalanced ANOVA
    total = between + (n0 - 1) * within
    icc = float((between - within) / total) if total > 0 else 0.0
    m = float((counts ** 2).sum() / n)                   # Kish's size-weighted group size; n / k if sizes are equal
    return {"icc": icc, "mean_group_size": n / k, "weighted_group_size": m, "design_effect": float(1 + (m - 1) * icc),
            "n": n, "n_groups": k}


def _binary_labels(labels, n: int) -> np.ndarray:
    """Labels as a bool ``(N,)`` array (True: positive); checked: 0 and 1 only, both present."""
    y = _as_array(labels)
    if y.ndim == 2 and y.shape[1] == 1:
        y = y[:, 0]
    if y.ndim != 1 or len(y) != n:
        raise ValueError(f"labels: expected one label per test image, shape ({n},) or ({n}, 1); got shape {y.shape}")
    if y.dtype != bool and not (np.issubdtype(y.dtype, np.number) and np.isin(y, (0, 1)).all()):
        raise ValueError(f"labels: expected 0 (negative) and 1 (positive); got the values {np.unique(y)[:5].tolist()}")
    y = y.astype(bool)
    if y.all() or not y.any():
        raise ValueError(f"labels: an AUC needs positive and negative images; all {n} are "
                         f"{'positive' if y.all() else 'negative'}")
    return y


def _counts(draws: np.ndarray, size: int) -> np.ndarray:
    """How often each of ``size`` items was drawn in each row of ``draws`` ``(m, k)``: ``(m, size)`` float64."""
    m = len(draws)
    flat = (draws + size * np.arange(m)[:, None]).ravel()
    return np.bincount(flat, minlength=m * size).reshape(m, size).astype(np.float64)


def _resampled_aucs(pos: np.ndarray, neg: np.ndarray, w_pos: np.ndarray, w_neg: np.ndarray) -> np.ndarray:
    """The AUC (ties count one half) of positive scores ``pos`` ``(P,)`` against negative scores
    ``neg`` ``(Q,)``, on ``m`` resamples given as how often each score was drawn: ``w_pos``
    ``(m, P)``, ``w_neg`` ``(m, Q)``. Returns ``(m,)``."""
    order = np.argsort(neg, kind="stable")
    sorted_neg = neg[order]
    below = np.concatenate([np.zeros((len(w_neg), 1)), np.cumsum(w_neg[:, order], axis=1)], axis=1)
    lower = np.searchsorted(sorted_neg, pos, side="left")     # negatives strictly below each positive
    upper = np.searchsorted(sorted_neg, pos, side="right")    # ... below or tied
    wins = below[:, lower] + 0.5 * (below[:, upper] - below[:, lower])
    return (w_pos * wins).sum(axis=1) / (w_pos.sum(axis=1) * w_neg.sum(axis=1))


def paired_auc(labels, a, b, n_resamples: int = 10_000, confidence: float = 0.95,
               seed: int = 0) -> dict[str, float]:
    """The difference of two AUCs on the same test images, with a percentile bootstrap interval.

    labels: ``(N,)`` or ``(N, 1)``, 0 (negative) and 1 (positive), both present. a, b: ``(N,)``
    scores of two methods for the same images in the same order (or of one classifier on two
    versions of the images), higher meaning "more likely positive": a probability, a logit, a
    reconstruction error. The AUC is not a mean over images, so :func:`paired_bootstrap` does not
    apply; instead each resample draws the positive images and the negative images with
    replacement, separately (a *stratified* bootstrap: every resample keeps the numbers of each
    class, so its AUC is defined), the same images for ``a`` and ``b``, and recomputes both AUCs.

    Returns ``{"kind": "AUC difference", "mean": AUC(a) - AUC(b), "low", "high": the interval,
    "auc_a", "auc_b", "n": N, "n_positive", "confidence"}``; :func:`verdict` reads it.
    """
    a, b = _scores(a, b)
    y = _binary_labels(labels, len(a))
    check_positive_int(n_resamples, "n_resamples")
    confidence = _check_confidence(confidence)
    rng = np.random.default_rng(check_seed(seed))
    pos, neg = np.flatnonzero(y), np.flatnonzero(~y)
    ones = (np.ones((1, len(pos))), np.ones((1, len(neg))))
    auc_a = float(_resampled_aucs(a[pos], a[neg], *ones)[0])
    auc_b = float(_resampled_aucs(b[pos], b[neg], *ones)[0])
    diffs = []
    for start in range(0, n_resamples, 1000):          # (1000, N) counts at a time: bounded memory
        m = min(1000, n_resamples - start)
        w_pos = _counts(rng.integers(0, len(pos), size=(m, len(pos))), len(pos))
        w_neg = _counts(rng.integers(0, len(neg), size=(m, len(neg))), len(neg))
        diffs.append(_resampled_aucs(a[pos], a[neg], w_pos, w_neg) - _resampled_aucs(b[pos], b[neg], w_pos, w_neg))
    diffs = np.concatenate(diffs)
    low, high = _percentile_interval(diffs, confidence)
    return {"kind": "AUC difference", "mean": auc_a - auc_b, "low": float(low), "high": float(high),
            "auc_a": auc_a, "auc_b": auc_b,
            "n": len(a), "n_positive": int(len(pos)), "confidence": confidence}


def verdict(result: dict, names: tuple[str, str] = ("a", "b"), unit: str = "", margin: float = 0.0,
            digits: int = 2) -> str:
    """What a report may say about a :func:`paired_bootstrap` result, in one sentence.

    names: what ``a`` and ``b`` were, as the subjects of a sentence (each sentence starts with a capital
    letter); unit: of the scores (``"dB"``; ``""`` for none);
    margin: the smallest difference that matters, fixed before the test images are scored
    (``0``: any difference). The rules, for the interval ``[L, U]`` of ``a - b``: ``L > margin``
    -- ``a`` is better by more than the margin; ``0 < L`` and ``U < margin`` -- better, but by
    less than the margin (every difference the interval allows is too small to matter);
    ``0 < L <= margin <= U`` -- better, perhaps by less than the margin; ``L <= 0 <= U`` -- no
    difference shown (not "no difference": the interval says how large one could be); below 0 --
    the same, the other way round. A result over groups (``"n_groups"``)
    says that whole groups were resampled. A :func:`paired_auc` result (no per-image shares) is
    read the same way.
    """
    for key in ("mean", "low", "high", "n", "confidence"):
        if key not in result:
            raise ValueError(f"result: expected what paired_bootstrap returns; the key {key!r} is missing")
    if result.get("kind") == "mean":
        raise ValueError("result: this is one method's mean (mean_interval), not a comparison of two; a verdict "
                         "compares two methods on the same images: pass paired_bootstrap(a, b) or paired_auc's result")
    check_number(margin, "margin", "the smallest difference that matters, >= 0", low=0.0)
    a, b = names
    u = f" {unit}" if unit else ""

    def f(x):
        return f"{x:+.{digits}f}"

    def share(x):            # a share that rounds to 0% but is not 0 reads "under 1%"
        return "under 1%" if 0 < x < 0.005 else f"{x:.0%}"

    groups = f" from {result['n_groups']} groups, resampled whole" if "n_groups" in result else ""
    interval = (f"{result['confidence']:.0%} interval [{f(result['low'])}, {f(result['high'])}]{u} "
                f"over {result['n']} test images{groups}")
    if "fraction_better" in result and "fraction_worse" in result:     # a mean over images, compared image by image
        diff = (f"{a} minus {b}: {f(result['mean'])}{u} on average ({interval}; {a} is better on "
                f"{share(result['fraction_better'])} of the images and worse on {share(result['fraction_worse'])})")
    else:                                                               # e.g. an AUC: no score per image
        diff = f"{a} minus {b}: {f(result['mean'])}{u} ({interval})"
    low, high = result["low"], result["high"]
    if low > 0 or high < 0:                  # the sign is shown: say by how much, relative to the margin
        winner, loser, near, far = (a, b, low, high) if low > 0 else (b, a, -high, -low)
        if near > margin:
            what = f"{winner} is better than {loser}" + (
                f" by more than {margin:g}{u}, the smallest difference that matters" if margin > 0 else "")
        elif far < margin:
            what = (f"{winner} is better than {loser}, but by less than {margin:g}{u}, "
                    "the smallest difference that matters")
        else:
            what = (f"{winner} is better than {loser}, but perhaps by less than {margin:g}{u}, "
                    "the smallest difference that matters")
    else:
        what = (f"no difference between {a} and {b} is shown: the interval includes 0, so these test images "
                f"cannot tell which is better (a difference could still be as large as the interval's ends)")
    text = f"{what[0].upper()}{what[1:]}. {diff[0].upper()}{diff[1:]}."
    if result.get("n_discordant", FEW_DISCORDANT) < FEW_DISCORDANT:
        text += (f" Only {result['n_discordant']} images are right for one and wrong for the other, too few for this "
                 "interval: an exact McNemar test decides")
        if "mcnemar_p" in result:
            p_value = result["mcnemar_p"]
            text += (f", and it gives p = {p_value:.2g} ({result['a_only']} right for {a} alone, {result['b_only']} for "
                     f"{b} alone): " + ("below 0.05, so the difference is shown." if p_value < 0.05 else
                                        "not below 0.05, so no difference is shown."))
        else:
            text += "."
    return text


def worst(a, b, k: int = 8) -> np.ndarray:
    """The indices of the ``k`` images on which ``a`` does worst against ``b`` (smallest ``a - b``
    first): where to look for what a method gets wrong. a, b: per-image scores ``(N,)``, higher
    is better. Returns ``(min(k, N),)`` int64 indices; ties keep the images' order."""
    a, b = _scores(a, b)
    check_positive_int(k, "k")
    return np.argsort(a - b, kind="stable")[:k].astype(np.int64)


def near_duplicates(queries, reference, max_rmse: float = 0.01) -> dict[str, np.ndarray]:
    """The images of ``queries`` (e.g. a test split) that copy an image of ``reference`` (the
    training split) up to a root-mean-square pixel difference of ``max_rmse``.

    queries, reference: ``(N, C, H, W)`` float in [0, 1], the same size per image. ``max_rmse``:
    0 finds exact copies only; the default, 0.01 (2.6 grey levels of 255), also finds copies that
    were re-quantised or lightly re-compressed (not copies resized or cropped: the images are compared
    pixel by pixel). Returns ``{"query": (k,) int64 indices of the duplicates in queries,
    "reference": (k,) the index of the copy in reference, "rmse": (N,) float64 the RMS
    difference of *every* query to its nearest reference image, "nearest": (N,) int64 the index
    of that image}`` (the last two say how close the nearest non-duplicates come, and which they are).
    """
    check_number(max_rmse, "max_rmse", "a root-mean-square pixel difference, >= 0")
    dist, nearest = nearest_neighbour_distances(queries, reference, return_index=True)
    pixels = int(np.prod(np.shape(queries)[1:]))
    rmse = dist / np.sqrt(pixels)
    hit = np.flatnonzero(rmse <= max_rmse)
    nearest = nearest.astype(np.int64)
    return {"query": hit.astype(np.int64), "reference": nearest[hit], "rmse": rmse, "nearest": nearest}

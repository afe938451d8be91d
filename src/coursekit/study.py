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

import numpy as np

from .checks import check_number, check_positive_int, check_seed
from .generative import nearest_neighbour_distances

__all__ = ["paired_bootstrap", "verdict", "worst", "near_duplicates"]


def _scores(a, b) -> tuple[np.ndarray, np.ndarray]:
    """Two per-image score arrays as float64 ``(N,)``, checked: 1D, same length, N >= 2, finite."""
    out = []
    for name, s in (("a", a), ("b", b)):
        if hasattr(s, "detach"):
            s = s.detach().cpu().numpy()
        s = np.asarray(s)
        if s.dtype == bool:
            s = s.astype(np.float64)
        if s.ndim != 1 or not np.issubdtype(s.dtype, np.number):
            raise ValueError(f"{name}: expected one number per test image, shape (N,); got shape {s.shape} "
                             f"of {s.dtype}. Per-image scores come from e.g. metrics.psnr(x, y, reduction='none').")
        s = s.astype(np.float64)
        if not np.isfinite(s).all():
            bad = int((~np.isfinite(s)).sum())
            raise ValueError(f"{name}: {bad} of {len(s)} scores are not finite (inf or NaN). An image restored exactly "
                             "has an infinite PSNR: compare MSE, or PSNR over a region (reconstruct.masked_psnr).")
        out.append(s)
    if len(out[0]) != len(out[1]):
        raise ValueError(f"a and b: expected one score per image for the same images; got {len(out[0])} and "
                         f"{len(out[1])} scores")
    if len(out[0]) < 2:
        raise ValueError(f"a and b: a bootstrap needs at least 2 test images; got {len(out[0])}")
    return out[0], out[1]


def paired_bootstrap(a, b, n_resamples: int = 10_000, confidence: float = 0.95, seed: int = 0,
                     paired: bool = True) -> dict[str, float]:
    """The mean of ``a - b`` over the test images, with a percentile bootstrap interval.

    a, b: per-image scores of two methods on the same ``N`` images, in the same order: ``(N,)``
    arrays or tensors (bool for right/wrong: the difference is then one in accuracy). Each of
    ``n_resamples`` resamples draws ``N`` images with replacement; the interval is the central
    ``confidence`` part of the resampled mean differences. ``paired=True`` draws the same images
    for both methods (their difference per image is resampled); ``paired=False`` draws them
    independently, which ignores that some images are hard for every method.

    Returns ``{"mean": a.mean() - b.mean(), "low", "high": the interval, "fraction_better":
    share of images with a > b, "fraction_worse": a < b, "n": N, "confidence"}``
    (``fraction_*`` compare the images one by one, also when ``paired=False``).
    """
    a, b = _scores(a, b)
    check_positive_int(n_resamples, "n_resamples")
    if not (check_number(confidence, "confidence", "a probability, e.g. 0.95", low_included=False) < 1):
        raise ValueError(f"confidence (a probability, e.g. 0.95) must be below 1; got {confidence!r}")
    rng = np.random.default_rng(check_seed(seed))
    n, means = len(a), []
    for start in range(0, n_resamples, 1000):          # (1000, N) indices at a time: bounded memory
        m = min(1000, n_resamples - start)
        i = rng.integers(0, n, size=(m, n))
        j = i if paired else rng.integers(0, n, size=(m, n))
        means.append(a[i].mean(axis=1) - b[j].mean(axis=1))
    means = np.concatenate(means)
    tail = (1 - confidence) / 2
    low, high = np.quantile(means, [tail, 1 - tail])
    return {"mean": float(a.mean() - b.mean()), "low": float(low), "high": float(high),
            "fraction_better": float((a > b).mean()), "fraction_worse": float((a < b).mean()),
            "n": n, "confidence": float(confidence)}


def verdict(result: dict, names: tuple[str, str] = ("a", "b"), unit: str = "", margin: float = 0.0,
            digits: int = 2) -> str:
    """What a report may say about a :func:`paired_bootstrap` result, in one sentence.

    names: what ``a`` and ``b`` were, as the subjects of a sentence (each sentence starts with a capital
    letter); unit: of the scores (``"dB"``; ``""`` for none);
    margin: the smallest difference that matters, fixed before the test images are scored
    (``0``: any difference). The rules: the interval above ``margin`` -- ``a`` is better by more
    than the margin; above 0 but not above the margin -- better, possibly by less than matters;
    containing 0 -- no difference shown (not "no difference": the interval says how large one
    could be); below 0 -- the same, the other way round.
    """
    for key in ("mean", "low", "high", "n", "confidence", "fraction_better", "fraction_worse"):
        if key not in result:
            raise ValueError(f"result: expected what paired_bootstrap returns; the key {key!r} is missing")
    check_number(margin, "margin", "the smallest difference that matters, >= 0", low=0.0)
    a, b = names
    u = f" {unit}" if unit else ""

    def f(x):
        return f"{x:+.{digits}f}"

    def share(x):            # a share that rounds to 0% but is not 0 reads "under 1%"
        return "under 1%" if 0 < x < 0.005 else f"{x:.0%}"

    interval = (f"{result['confidence']:.0%} interval [{f(result['low'])}, {f(result['high'])}]{u} "
                f"over {result['n']} test images")
    diff = (f"{a} minus {b}: {f(result['mean'])}{u} on average ({interval}; {a} is better on "
            f"{share(result['fraction_better'])} of the images and worse on {share(result['fraction_worse'])})")
    if result["low"] > 0:
        if result["low"] > margin:
            what = f"{a} is better than {b}" + (f" by more than {margin:g}{u}, the smallest difference that matters"
                                                 if margin > 0 else "")
        else:
            what = (f"{a} is better than {b}, but perhaps by less than {margin:g}{u}, "
                    "the smallest difference that matters")
    elif result["high"] < 0:
        if result["high"] < -margin:
            what = f"{b} is better than {a}" + (f" by more than {margin:g}{u}, the smallest difference that matters"
                                                 if margin > 0 else "")
        else:
            what = (f"{b} is better than {a}, but perhaps by less than {margin:g}{u}, "
                    "the smallest difference that matters")
    else:
        what = (f"no difference between {a} and {b} is shown: the interval includes 0, so these test images "
                f"cannot tell which is better (a difference could still be as large as the interval's ends)")
    return f"{what[0].upper()}{what[1:]}. {diff[0].upper()}{diff[1:]}."


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
    were re-saved or rescaled. Returns ``{"query": (k,) int64 indices of the duplicates in
    queries, "reference": (k,) the index of the copy in reference, "rmse": (N,) float64 the RMS
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

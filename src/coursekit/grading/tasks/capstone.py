"""Tasks of the capstone exercise (``exercises/09_capstone.ipynb``).

============================  ======  =============================================================
task                          points  the student writes
============================  ======  =============================================================
``capstone.paired_bootstrap``  4      ``paired_bootstrap(a, b, n_resamples, confidence, seed)``: the mean
                                      difference and its percentile bootstrap interval, images paired
``capstone.near_duplicates``   3      ``near_duplicates(queries, reference, max_rmse)``: the images of one
                                      split that copy an image of another
``capstone.verdict``           3      ``verdict(low, high, margin)``: what a report may say about an interval
============================  ======  =============================================================

The three building blocks of the capstone's protocol (``book/09_capstone.md``), as
:mod:`coursekit.study` has them, on plain tensors. Conventions:

* ``paired_bootstrap``: ``a``, ``b`` float64 ``(N,)``, the per-image scores of two methods on the
  same ``N`` images. Returns a tuple ``(mean, low, high)`` of Python floats: ``mean`` is
  ``a.mean() - b.mean()`` (within the float64 tolerance), ``[low, high]`` the percentile interval
  of the mean difference over ``n_resamples`` resamples of the ``N`` images drawn with
  replacement, the *same* indices for ``a`` and ``b`` (the differences ``a - b`` resampled), at
  the quantiles ``(1 - confidence) / 2`` and ``1 - (1 - confidence) / 2`` of the resampled means.
  The draws come from a generator seeded with ``seed``: the same seed gives the same interval,
  another seed another one. :func:`coursekit.study.paired_bootstrap` is the same (with a dict for
  a result); it raises an error while the student's code runs.
* ``near_duplicates``: ``queries`` ``(Nq, C, H, W)`` and ``reference`` ``(Nr, C, H, W)`` float64 in
  [0, 1]. The RMSE of two images is ``sqrt(mean((q - r) ** 2))`` over all ``C * H * W`` values.
  Returns ``(query_idx, reference_idx)``, two int64 ``(k,)`` tensors: the queries whose nearest
  reference image (the smallest RMSE) lies within ``max_rmse`` (``<=``), in increasing order, and
  the index of that nearest image for each. ``torch.cdist`` may be used (divided by
  ``sqrt(C * H * W)``); :func:`coursekit.study.near_duplicates` and
  :func:`coursekit.generative.nearest_neighbour_distances` raise an error while the student's
  code runs.
* ``verdict``: ``low <= high`` the interval of ``a - b`` (higher is better) and ``margin >= 0`` the
  smallest difference that matters; returns one of :data:`VERDICTS`: ``low > margin``
  ``"better"``; ``0 < low`` and ``high < margin`` ``"better, by less than the margin"``;
  ``0 < low <= margin <= high`` ``"better, perhaps by less than the margin"``; ``low <= 0 <=
  high`` ``"no difference shown"``; the same below 0 (``high < -margin`` ``"worse"``; ``-margin <
  low`` and ``high < 0`` ``"worse, by less than the margin"``; ``low <= -margin <= high < 0``
  ``"worse, perhaps by less than the margin"``): :func:`coursekit.study.verdict`'s rules. A
  negative margin, or ``low > high``, raises ``ValueError``.

The bootstrap's checks. A student's random draws differ from the reference's, so the interval
is checked by its properties, within tolerances that a correct bootstrap meets with *any* seed
and any generator (measured when they were set over 200 seeds, 100 on the 1,000 images, and
three ways of drawing; ``tests/test_grading_capstone.py`` checks 8 seeds of each, and the
margins): each end within :data:`END_TOLERANCE` (10%) of the reference interval's width of the
reference's end (a correct one lands within 3% at 95% and 5% at 50%, with 10,000 resamples); on
1,000 normal differences, where the normal theory is accurate, a width within
:data:`WIDTH_TOLERANCE` (8%) of ``2 z sd / sqrt(N)`` (``z = 1.96`` at 95%; a correct one within
3.5%, and a 90% interval, at ``alpha`` and ``1 - alpha``, is 16% narrower); on 20 lognormal
differences, an interval whose upper arm ``high - mean`` is at least :data:`MIN_ASYMMETRY` (1.4)
times its lower arm ``mean - low`` (the reference's is 1.82, a correct one's above 1.77, a
normal interval's 1); a constant difference gives ``low == high`` (within 1e-9); two calls with
one seed return the same interval, with the same mean (``a`` and ``b`` left as they were), and a
call with another seed another one; on 20 images whose scores differ only on the first and the
last, every correct bootstrap gives exactly ``[0, 0.25]`` and one that never draws the last image
``[0, 0.15]``; with ``n_resamples=1``, ``low == high``, one resampled mean. The usual mistakes
(``a`` and ``b`` resampled with separate indices, a 90% interval, resampling without
replacement, the quantiles of the per-image differences, the normal interval ``mean +- 1.96 sd /
sqrt(N)``, ``b - a``, the seed, the confidence or ``n_resamples`` ignored, indices drawn from
``[0, N - 1)``, ``a -= b``) fail at least one case, and the comparison names the mistake where it
can tell.

``near_duplicates`` and ``verdict`` are checked exactly. Every pixel value of the
``near_duplicates`` cases is a multiple of 1/256, so that every way of computing the RMSE
(``cdist``'s matrix products included) is exact in float64, and an RMSE can equal ``max_rmse``
exactly. The usual mistakes (the Euclidean distance, the RMSE over one channel's pixels, the
mean squared or absolute difference, ``<`` for ``<=``, the first reference image within
``max_rmse`` for the nearest, ``max_rmse`` ignored, the images scaled in place; the margin ignored, "no difference shown"
for an interval above 0 and below the margin, "perhaps" for an interval wholly inside the margin,
a boundary on the wrong side, no error) fail at
least one case. The helpers ``bootstrap_case``, ``bootstrap_seed_case``, ``duplicates_case``,
``verdict_case`` and ``verdict_error_case`` also make hidden cases.
"""
from __future__ import annotations

import functools
import math

import torch

from ..cases import Case, Task, call_expecting_value_error, compare_values, describe, inputs_kept, run_inputs_kept

NOTEBOOK = "09_capstone"   # exercises/09_capstone.ipynb, the notebook these tasks grade

__all__ = ["TASKS", "VERDICTS", "END_TOLERANCE", "WIDTH_TOLERANCE", "MIN_ASYMMETRY", "paired_bootstrap_reference",
           "near_duplicates_reference", "verdict_reference", "rmse_matrix", "normal_quantile", "call_with_two_seeds",
           "bootstrap_case", "bootstrap_seed_case", "duplicates_case", "verdict_case", "verdict_error_case"]

END_TOLERANCE = 0.10     # each end within this share of the reference interval's width of the reference's end
WIDTH_TOLERANCE = 0.08   # the width within this share of 2 z sd / sqrt(N), on the large normal case
MIN_ASYMMETRY = 1.4      # (high - mean) / (mean - low) at least this, on the skewed case

# ---------------------------------------------------------------------------
# capstone.paired_bootstrap
# ---------------------------------------------------------------------------


def paired_bootstrap_reference(a, b, n_resamples=10_000, confidence=0.95, seed=0):
    """``(a.mean() - b.mean(), low, high)``, Python floats: the percentile interval of the mean of
    ``a - b`` over ``n_resamples`` resamples of the images with replacement (one set of indices for
    both methods), at the quantiles ``(1 - confidence) / 2`` and ``1 - (1 - confidence) / 2``;
    draws from ``torch.Generator().manual_seed(seed)``, 1,000 resamples at a time."""
    differences = (a - b).double()
    n = differences.shape[0]
    gen = torch.Generator().manual_seed(seed)
    means = torch.cat([differences[torch.randint(0, n, (min(1000, n_resamples - start), n), generator=gen)].mean(1)
                       for start in range(0, n_resamples, 1000)])
    tail = (1 - confidence) / 2
    low, high = torch.quantile(means, torch.tensor([tail, 1 - tail], dtype=torch.float64))
    return float(a.mean() - b.mean()), float(low), float(high)


def normal_quantile(p: float) -> float:
    """The standard normal distribution's quantile at ``p`` (1.959964 at 0.975)."""
    return math.sqrt(2) * float(torch.special.erfinv(torch.tensor(2 * p - 1, dtype=torch.float64)))


def _scores(gen, kind, n):
    """``(a, b)``, float64 ``(n,)`` per-image scores of two methods on the same images:

    * ``"correlated"``: PSNR-like scores (26 dB, sd 3 between images), ``a`` 0.25 dB better, each
      method with its own noise of sd 0.15 dB per image: the two rise and fall together.
    * ``"normal"``: the same with independent noise of sd 0.5: normal differences, sd 0.71.
    * ``"skewed"``: ``a - b`` lognormal, ``0.1 exp(2 z)``: most images gain little, a few a lot.
    * ``"constant"``: ``a = b + 0.75`` exactly (every score a multiple of 1/8).
    * ``"ends"``: ``a = b`` exactly but on the first and the last image, where ``a = b + 1``: with
      ``n = 20``, every correct bootstrap gives ``[0, 0.25]``, and one that never draws the first or the
      last image (an index range one short) ``[0, 0.15]``.
    """
    def randn():
        return torch.randn(n, generator=gen, dtype=torch.float64)

    if kind in ("constant", "ends"):
        b = 20 + torch.randint(0, 80, (n,), generator=gen).double() / 8
        if kind == "constant":
            return b + 0.75, b
        gain = torch.zeros(n, dtype=torch.float64)
        gain[[0, -1]] = 1.0
        return b + gain, b
    base = 26 + 3 * randn()
    if kind == "skewed":
        return base + 0.1 * torch.exp(2 * randn()), base
    spread = 0.15 if kind == "correlated" else 0.5
    return base + 0.25 + spread * randn(), base + spread * randn()


def _interval(got, where="output"):
    """``got`` as three Python floats ``(mean, low, high)``, or a message saying what is wrong with it."""
    if not isinstance(got, (tuple, list)) or len(got) != 3:
        return f"{where}: expected a tuple of three floats (mean, low, high), got {describe(got)}"
    for name, value in zip(("mean", "low", "high"), got):
        if isinstance(value, torch.Tensor):
            return (f"{where}: {name} is a {describe(value)}; return Python floats: float(...) or .item() of a "
                    "one-element tensor")
        if isinstance(value, bool) or not isinstance(value, (int, float)):
            return f"{where}: {name}: expected a float, got {describe(value)}"
        if not math.isfinite(value):
            return f"{where}: {name} is {value!r}, not a finite number"
    return tuple(float(v) for v in got)


def _bootstrap_mistake(inputs, got, expected) -> str | None:
    """The usual mistake that an interval ``got`` matches on ``inputs``, where one can tell."""
    a, b = inputs["a"], inputs["b"]
    confidence = inputs.get("confidence", 0.95)
    _, low, high = got
    _, e_low, e_high = expected
    width, e_width = high - low, e_high - e_low
    tol = END_TOLERANCE * e_width + 1e-9
    d = a - b
    tail = (1 - confidence) / 2
    q_low, q_high = (float(v) for v in torch.quantile(d, torch.tensor([tail, 1 - tail], dtype=torch.float64)))
    if e_width > 1e-9 and width <= 1e-9 * max(1.0, abs(high)):
        return ("the interval has no width: every resample gave the same mean, as when the N images are drawn "
                "without replacement (each resample then holds every image once), or both ends were read at one "
                "quantile; draw N indices with replacement, and read the quantiles (1 - confidence) / 2 and "
                "1 - (1 - confidence) / 2")
    if abs(low - q_low) <= tol + 0.05 * (q_high - q_low) and abs(high - q_high) <= tol + 0.05 * (q_high - q_low):
        return ("the quantiles of the per-image differences themselves: the interval is of the resampled *means*, "
                "one per resample, whose spread is about sqrt(N) times smaller")
    unpaired = math.sqrt((float(a.var(correction=0)) + float(b.var(correction=0))) / len(a))
    paired = float(d.std(correction=0)) / math.sqrt(len(a))
    if e_width > 0 and unpaired > 2 * paired and abs(width / e_width - unpaired / paired) < 0.25 * unpaired / paired:
        return ("a and b resampled with separate indices, as if the two methods had been scored on different "
                "images: one set of indices must serve both (or resample the differences a - b)")
    for other in (2 * confidence - 1, 0.95):     # quantiles alpha and 1 - alpha, and the confidence ignored
        if other > 0 and other != confidence and e_width > 0:
            expected_ratio = normal_quantile(0.5 + other / 2) / normal_quantile(0.5 + confidence / 2)
            if abs(width / e_width / expected_ratio - 1) < 0.04 and abs(expected_ratio - 1) > 0.1:
                if other == 0.95:
                    return (f"the width of a 95% interval: the confidence ({confidence:g}) ignored; the quantiles are "
                            "(1 - confidence) / 2 and 1 - (1 - confidence) / 2")
                return (f"the width of a {other:.0%} interval: the quantiles alpha and 1 - alpha, alpha = "
                        f"1 - confidence = {1 - confidence:.2g}; the central {confidence:.0%} leaves alpha / 2 in "
                        "each tail")
    return None


def compare_bootstrap(expected, got, inputs, *, width_check=False, asymmetry_check=False, where="output"):
    """The interval ``got`` against the reference's ``expected`` on ``inputs``: three floats; the
    mean within the float64 tolerance; ``low <= high``; with ``width_check``, the width within
    :data:`WIDTH_TOLERANCE` of the normal theory's ``2 z sd / sqrt(N)``; with ``asymmetry_check``,
    ``high - mean >= MIN_ASYMMETRY (mean - low)``; each end within :data:`END_TOLERANCE` of the
    reference interval's width of the reference's end. Names the mistake that ``got`` matches."""
    parsed = _interval(got, where)
    if isinstance(parsed, str):
        return parsed
    mean, low, high = parsed
    e_mean, e_low, e_high = expected
    n_resamples, confidence = inputs.get("n_resamples", 10_000), inputs.get("confidence", 0.95)
    if abs(mean - e_mean) > 1e-9 + 1e-7 * abs(e_mean):
        if abs(mean + e_mean) <= 1e-9 + 1e-7 * abs(e_mean):
            return f"{where}: mean {mean:.6g} is b.mean() - a.mean(): the difference is a minus b, {e_mean:.6g}"
        return (f"{where}: mean: expected a.mean() - b.mean() = {e_mean:.10g}, got {mean:.10g} (the mean of the "
                "images' differences itself, not the mean of the resampled means, which differs from it by chance)")
    if low > high:
        return f"{where}: low {low:.6g} is above high {high:.6g}: low is the lower quantile"
    if n_resamples == 1:
        # one resampled mean, the student's own draw: both quantiles are that mean, one of the images' means
        d = inputs["a"] - inputs["b"]
        if high - low > 1e-9 * max(1.0, abs(high)):
            return (f"{where}: n_resamples=1 gives one resampled mean, so both quantiles are that value and low == "
                    f"high; got [{low:.6g}, {high:.6g}]: n_resamples ignored (or a fixed number of resamples drawn)? "
                    "draw an (n_resamples, N) tensor of indices")
        if not float(d.min()) - 1e-9 <= low <= float(d.max()) + 1e-9:
            return (f"{where}: n_resamples=1: low = high = {low:.6g}, but a resampled mean lies between the smallest "
                    f"and the largest difference, [{float(d.min()):.6g}, {float(d.max()):.6g}]")
        return None
    detail = None
    if width_check:
        z = normal_quantile(0.5 + confidence / 2)
        se = float((inputs["a"] - inputs["b"]).std(correction=0)) / math.sqrt(len(inputs["a"]))
        ratio = (high - low) / (2 * z * se)
        if abs(ratio - 1) > WIDTH_TOLERANCE:
            detail = (f"the interval [{low:.6g}, {high:.6g}] is {high - low:.4g} wide; with {len(inputs['a'])} normal "
                      f"differences a {confidence:.0%} bootstrap interval is 2 z sd / sqrt(N) = {2 * z * se:.4g} wide "
                      f"(z = {z:.4g}), and a correct one with any seed comes within {WIDTH_TOLERANCE:.0%} of it; "
                      f"yours is {ratio:.3f} times that")
    if detail is None and asymmetry_check and (not mean - low > 0 or high - mean < MIN_ASYMMETRY * (mean - low)):
        ratio = f"{(high - mean) / (mean - low):.3g}" if mean - low > 0 else "not a positive multiple of"
        detail = (f"the interval [{low:.6g}, {high:.6g}] around the mean {mean:.6g}: high - mean is {ratio} times "
                  f"mean - low, where the bootstrap's is {(e_high - e_mean) / (e_mean - e_low):.3g} (and a correct "
                  f"bootstrap with any seed gives more than {MIN_ASYMMETRY:g}): with {len(inputs['a'])} skewed "
                  "differences the resampled means are skewed too, and the percentile interval follows them; a "
                  "normal interval mean +- z sd / sqrt(N) is symmetric")
    tol = END_TOLERANCE * (e_high - e_low) + 1e-9
    for name, value, want in (("low", low, e_low), ("high", high, e_high)):
        if detail is None and abs(value - want) > tol:
            detail = (f"{name}: expected {want:.6g} +- {tol:.2g}, got {value:.6g} (the reference's percentile interval "
                      f"is [{e_low:.6g}, {e_high:.6g}] at {n_resamples:,} resamples; a correct bootstrap with any seed "
                      f"gives ends within {END_TOLERANCE:.0%} of its width)")
    if detail is None:
        return None
    mistake = _bootstrap_mistake(inputs, parsed, expected)
    return f"{where}: {mistake}; {detail}" if mistake else f"{where}: {detail}"


def bootstrap_case(name, kind="correlated", n=50, n_resamples=10_000, confidence=0.95, seed_arg=0, width_check=False,
                   asymmetry_check=False, hint="", seed=0) -> Case:
    """A ``paired_bootstrap`` case on ``n`` images of scores of ``kind`` (:func:`_scores`), called
    with ``n_resamples``, ``confidence`` and ``seed=seed_arg``; ``width_check`` and
    ``asymmetry_check`` add those checks of :func:`compare_bootstrap`."""
    def inputs(gen):
        a, b = _scores(gen, kind, n)
        return dict(a=a, b=b, n_resamples=n_resamples, confidence=confidence, seed=seed_arg)
    compare = functools.partial(compare_bootstrap, width_check=width_check, asymmetry_check=asymmetry_check)
    return Case(name, inputs, compare=compare, hint=hint, seed=seed)


def call_with_two_seeds(obj, inputs):
    """``obj(**inputs)`` twice, then once more with ``seed + 1``: the three results."""
    first, again = obj(**inputs), obj(**inputs)
    return first, again, obj(**{**inputs, "seed": inputs["seed"] + 1})


def compare_seeds(expected, got, inputs):
    """The first of :func:`call_with_two_seeds`'s results checked as an interval; the second must
    equal it, and the third (another seed) must not."""
    if not isinstance(got, (tuple, list)) or len(got) != 3:
        return f"output: expected three results, got {describe(got)}"
    seed = inputs["seed"]
    msg = compare_bootstrap(expected[0], got[0], inputs, where=f"the call with seed={seed}")
    if msg:
        return msg
    again, other = _interval(got[1]), _interval(got[2])
    for result in (again, other):
        if isinstance(result, str):
            return result
    first = _interval(got[0])
    if again[0] != first[0]:
        return (f"two calls with the same a and b returned the means {first[0]:.6g} and {again[0]:.6g}: the first "
                "call changed a or b in place (a -= b, or d = a; d -= b, makes a the differences); compute d = a - b, "
                "a new tensor, and leave the arguments as they are")
    if again != first:
        return (f"two calls with seed={seed} returned different intervals, {first[1:]} and {again[1:]}: draw from a "
                "generator seeded with seed (np.random.default_rng(seed), or torch.Generator().manual_seed(seed) "
                "passed to torch.randint), not from an unseeded one")
    if other == first:
        return (f"seed={seed} and seed={seed + 1} returned the same interval {first[1:]}: the draws must depend on "
                "seed (a generator seeded with a fixed number ignores it)")
    return None


def bootstrap_seed_case(name, kind="correlated", n=30, seed_arg=7, hint="", seed=0) -> Case:
    """A ``paired_bootstrap`` case called three times (:func:`call_with_two_seeds`): twice with
    ``seed=seed_arg`` and once with ``seed_arg + 1``."""
    def inputs(gen):
        a, b = _scores(gen, kind, n)
        return dict(a=a, b=b, n_resamples=10_000, confidence=0.95, seed=seed_arg)
    return Case(name, inputs, run=call_with_two_seeds, compare=compare_seeds, hint=hint, seed=seed)


_BOOTSTRAP_HINT = ("d = a - b; draw an (n_resamples, N) tensor of indices in [0, N) with replacement from a generator "
                   "seeded with seed (torch.randint with generator=torch.Generator().manual_seed(seed), or "
                   "np.random.default_rng(seed).integers); the resampled means d[idx].mean(1); their quantiles at "
                   "(1 - confidence) / 2 and 1 - (1 - confidence) / 2 (torch.quantile or np.quantile); return "
                   "float(d.mean()), float(low), float(high).")
BOOTSTRAP_CASES = (
    bootstrap_case("50 images, PSNR-like scores that rise and fall together (correlation 0.997)", hint=(
        "the images differ from each other far more than the methods do, so resampling a and b with separate "
        "indices gives an interval 20 times too wide. " + _BOOTSTRAP_HINT), seed=1),
    bootstrap_case("1,000 images, normal differences: the width is 2 * 1.96 * sd / sqrt(N)", kind="normal", n=1000,
                   width_check=True, hint=(
        "a 95% interval leaves 2.5% in each tail: the quantiles 0.025 and 0.975, not 0.05 and 0.95. "
        + _BOOTSTRAP_HINT), seed=2),
    bootstrap_case("20 images, lognormal differences: the interval is not symmetric about the mean", kind="skewed",
                   n=20, asymmetry_check=True, hint=(
        "read the ends off the resampled means (their quantiles), not mean +- 1.96 sd / sqrt(N): with a few large "
        "differences the resampled means are skewed. " + _BOOTSTRAP_HINT), seed=16),
    bootstrap_case("confidence = 0.5: the central half of the resampled means", n=40, confidence=0.5, hint=(
        "the quantiles are (1 - confidence) / 2 = 0.25 and 0.75 here. " + _BOOTSTRAP_HINT), seed=4),
    bootstrap_case("a constant difference, a = b + 0.75: low = high = 0.75", kind="constant", n=25,
                   n_resamples=2_000, seed_arg=3, hint=(
        "every resample has the same mean difference, 0.75, so the interval has no width. " + _BOOTSTRAP_HINT),
                   seed=5),
    bootstrap_seed_case("the same seed twice gives the same interval; another seed another one", hint=(
        "make the generator inside the function from its seed argument, on every call. " + _BOOTSTRAP_HINT), seed=6),
    bootstrap_case("20 images, the same scores but on the first and the last, 1 dB better: [0, 0.25]", kind="ends",
                   n=20, hint=(
        "only the first and the last image differ, so an interval that ends below 0.25 seldom or never draws one "
        "of them: torch.randint(0, N) and rng.integers(0, N) draw from 0 to N - 1 already (the high end is "
        "excluded), and randint(0, N - 1) never draws the last image. " + _BOOTSTRAP_HINT), seed=7),
    bootstrap_case("n_resamples = 1: a single resampled mean, so low == high", n=30, n_resamples=1, hint=(
        "draw n_resamples resamples, as many as the argument says: with one, both quantiles are its mean. "
        + _BOOTSTRAP_HINT), seed=8),
)

# ---------------------------------------------------------------------------
# capstone.near_duplicates
# ---------------------------------------------------------------------------


def rmse_matrix(queries, reference):
    """``(Nq, Nr)`` float64: the root-mean-square difference of every query to every reference
    image, over all ``C * H * W`` values, computed directly (no matrix-product shortcut)."""
    q, r = queries.flatten(1).double(), reference.flatten(1).double()
    if not len(q):
        return torch.zeros(0, len(r), dtype=torch.float64)
    return torch.stack([((r - row) ** 2).mean(1) for row in q]).sqrt()


def near_duplicates_reference(queries, reference, max_rmse):
    """``(query_idx, reference_idx)``, int64: the queries whose nearest reference image (by RMSE over
    ``C * H * W`` values) lies within ``max_rmse``, in increasing order, and that image's index."""
    best, nearest = rmse_matrix(queries, reference).min(dim=1)
    hit = torch.nonzero(best <= max_rmse).flatten()
    return hit, nearest[hit]


def _found(distances, max_rmse, strict=False, first=False):
    """The ``near_duplicates`` result that the ``(Nq, Nr)`` ``distances`` give: within ``max_rmse``
    (``<`` with ``strict``), and the first reference image within it (``first``) or the nearest."""
    best, nearest = distances.min(dim=1)
    hit = torch.nonzero(best < max_rmse if strict else best <= max_rmse).flatten()
    if first:
        nearest = (distances <= max_rmse).double().argmax(dim=1)      # argmax: the first True
    return hit, nearest[hit]


def _duplicate_mistakes(inputs) -> dict[str, tuple]:
    """What the usual mistakes return on ``inputs``, each under the message that names it."""
    q, r, m = inputs["queries"], inputs["reference"], inputs["max_rmse"]
    squared = torch.stack([((r.flatten(1) - row) ** 2).sum(1) for row in q.flatten(1)])
    per_channel = q.shape[2] * q.shape[3]
    rmse = (squared / q[0].numel()).sqrt()
    absolute = torch.stack([(r.flatten(1) - row).abs().mean(1) for row in q.flatten(1)])
    return {
        "the Euclidean distance compared with max_rmse: divide it by sqrt(C * H * W) to get the RMSE": _found(
            squared.sqrt(), m),
        f"the RMSE over the H * W = {per_channel} pixels of one channel: the mean runs over all C * H * W = "
        f"{q[0].numel()} values": _found((squared / per_channel).sqrt(), m),
        "the mean squared difference compared with max_rmse: take its square root": _found(squared / q[0].numel(), m),
        "the mean absolute difference: the RMSE squares the differences, so a few large ones weigh more":
            _found(absolute, m),
        "< where <= belongs: a query exactly max_rmse away counts": _found(rmse, m, strict=True),
        "the first reference image within max_rmse, not the nearest one": _found(rmse, m, first=True),
        "every query with its nearest reference image: max_rmse ignored": (
            torch.arange(len(q)), rmse.min(dim=1).indices),
    }


def compare_duplicates(expected, got, inputs):
    """:func:`compare_values` on the two index tensors; where they differ, says which query is
    missing or extra (with its RMSE to its nearest reference image) or has the wrong reference
    image, and names the usual mistake that ``got`` matches."""
    if isinstance(got, (tuple, list)) and len(got) == 2 and all(isinstance(t, torch.Tensor) for t in got):
        if any(t.dtype != torch.int64 or t.ndim != 1 for t in got):
            return (f"output: expected two 1-D int64 tensors (query_idx, reference_idx), got {describe(got[0])} and "
                    f"{describe(got[1])}; index tensors from torch.nonzero and argmin are int64 already")
    msg = compare_values(expected, got)
    if msg is None or not (isinstance(got, (tuple, list)) and len(got) == 2
                           and all(isinstance(t, torch.Tensor) for t in got)):
        return msg
    matches = [mistake for mistake, result in _duplicate_mistakes(inputs).items()
               if compare_values(result, tuple(got)) is None and compare_values(result, tuple(expected)) is not None]
    if matches:     # several where they give the same result on these images
        msg = f"output: {'; or '.join(matches)}; {msg}"
    if len(got[0]) != len(got[1]):
        return f"{msg} (query_idx has {len(got[0])} indices, reference_idx {len(got[1])}: one per duplicate)"
    rmse = rmse_matrix(inputs["queries"], inputs["reference"])
    best, nearest = rmse.min(dim=1)
    m = inputs["max_rmse"]
    want = dict(zip(expected[0].tolist(), expected[1].tolist()))
    have = dict(zip(got[0].tolist(), got[1].tolist()))
    for i in sorted(set(want) | set(have)):
        if not 0 <= i < len(best):
            return f"{msg} (query index {i} does not exist: there are {len(best)} queries)"
        if i not in have:
            edge = " (exactly max_rmse: within means <=)" if float(best[i]) == m else ""
            return (f"{msg} (query {i} is missing: its nearest reference image, {int(nearest[i])}, is at RMSE "
                    f"{float(best[i]):.6g} <= max_rmse = {m:g}{edge})")
        if i not in want:
            return (f"{msg} (query {i} is not a duplicate: its nearest reference image, {int(nearest[i])}, is at RMSE "
                    f"{float(best[i]):.6g} > max_rmse = {m:g})")
        if have[i] != want[i]:
            j = have[i]
            where = f"at RMSE {float(rmse[i, j]):.6g}" if 0 <= j < rmse.shape[1] else "which does not exist"
            return (f"{msg} (query {i}: reference image {j}, {where}, but image {want[i]} is nearer, at "
                    f"{float(best[i]):.6g})")
    if got[0].tolist() != sorted(have):
        return f"{msg} (the queries must come in increasing order)"
    return msg


def _images(gen, n, shape, high=192):
    """``(n, *shape)`` float64 images of values k / 256, k in [0, high]: every sum of squares exact."""
    return torch.randint(0, high + 1, (n, *shape), generator=gen).double() / 256


def duplicates_case(name, plants, n_queries=8, n_reference=10, shape=(2, 8, 9), max_rmse=0.02, hint="",
                    seed=0, leave_inputs=False) -> Case:
    """A ``near_duplicates`` case: ``n_queries`` and ``n_reference`` random images of ``shape`` (values
    k / 256 in [0, 0.75], about 0.3 apart in RMSE), then for each ``(i, j, change)`` of ``plants``
    query ``i`` made from reference image ``j``: ``("copy",)``; ``("offset", k)``, every value
    ``k / 256`` brighter (an RMSE of exactly ``k / 256``); ``("pixels", m, k)``, the first ``m`` values
    ``k / 256`` brighter; ``("near", j2, k2, k)``, reference image ``j2`` replaced by image ``j``
    ``k2 / 256`` brighter and the query image ``j`` ``k / 256`` brighter (with ``0 < k < k2 / 2``
    the query is nearer to ``j``, and with ``j2 < j`` image ``j2`` comes first). With ``leave_inputs``
    the case is run by :func:`~coursekit.grading.cases.run_inputs_kept`, so it also fails where the
    function changes ``queries`` or ``reference`` in place."""
    def inputs(gen):
        reference = _images(gen, n_reference, shape)
        queries = _images(gen, n_queries, shape)
        for i, j, change in plants:
            kind = change[0]
            if kind == "copy":
                queries[i] = reference[j]
            elif kind == "offset":
                queries[i] = reference[j] + change[1] / 256
            elif kind == "pixels":
                flat = reference[j].flatten().clone()
                flat[:change[1]] += change[2] / 256
                queries[i] = flat.view(shape)
            elif kind == "near":
                reference[change[1]] = reference[j] + change[2] / 256
                queries[i] = reference[j] + change[3] / 256
            else:
                raise ValueError(f"unknown change {change!r}")
        return dict(queries=queries, reference=reference, max_rmse=max_rmse)
    if leave_inputs:
        why = "the notebook goes on to use the splits that it searched"
        return Case(name, inputs, run=run_inputs_kept, compare=inputs_kept(compare_duplicates, why=why), hint=hint,
                    seed=seed)
    return Case(name, inputs, compare=compare_duplicates, hint=hint, seed=seed)


_DUPLICATES_HINT = ("Flatten each image to C * H * W values; the RMSE of every query to every reference image is "
                    "torch.cdist(q, r) / sqrt(C * H * W) (or the square root of the mean squared difference); its "
                    "minimum over the reference images (.min(dim=1): the values and the indices); the queries where it "
                    "is <= max_rmse (torch.nonzero(...).flatten()), and the nearest image's index for each.")
DUPLICATES_CASES = (
    duplicates_case("exact copies, max_rmse = 0: queries 2 and 6 copy reference images 5 and 0",
                    [(2, 5, ("copy",)), (6, 0, ("copy",))], max_rmse=0.0, hint=(
        "an exact copy is at RMSE 0, and 0 <= max_rmse = 0: it counts. " + _DUPLICATES_HINT), seed=1),
    duplicates_case("copies 1/256 to 5/256 brighter on every pixel (RMSE 0.0039 to 0.0195), max_rmse = 0.02; "
                    "6/256 (0.0234) is not one", [(0, 3, ("offset", 1)), (3, 7, ("offset", 3)), (4, 1, ("offset", 5)),
                                                  (7, 2, ("offset", 6))], hint=(
        "the RMSE is the root of the mean squared difference over all C * H * W values, not the Euclidean distance "
        "(which is sqrt(C * H * W) = 12 times larger here). " + _DUPLICATES_HINT), seed=2),
    duplicates_case("a few pixels changed a lot: 4 of 144 values 0.25 brighter is RMSE 0.042, within 0.05; 9 of them "
                    "is 0.0625, not within", [(1, 4, ("pixels", 4, 64)), (5, 6, ("pixels", 9, 64))], max_rmse=0.05,
                    hint=(
        "square the differences before averaging: 9 pixels 0.25 brighter have a mean absolute difference of "
        "0.016, but an RMSE of 0.0625. " + _DUPLICATES_HINT), seed=3),
    duplicates_case("two reference images within max_rmse = 0.05: the nearer one, not the first",
                    [(2, 8, ("near", 3, 12, 4)), (5, 1, ("offset", 2))], max_rmse=0.05, hint=(
        "query 2 is 0.0156 from reference image 8 and 0.0313 from image 3, both within max_rmse: return 8, the "
        "nearest (argmin), not 3, the first within. " + _DUPLICATES_HINT), seed=4),
    duplicates_case("an RMSE of exactly max_rmse = 0.125 counts (<=); 0.125 + 1/256 does not",
                    [(0, 2, ("offset", 32)), (4, 9, ("offset", 33)), (6, 6, ("copy",))], max_rmse=0.125, hint=(
        "a query exactly max_rmse from its nearest image is within it: compare with <=, not <. " + _DUPLICATES_HINT),
                    seed=5),
    duplicates_case("3 channels of 5x7: the mean over all 105 values, not over the 35 pixels of a channel",
                    [(3, 0, ("offset", 3)), (6, 4, ("pixels", 40, 8))], shape=(3, 5, 7), max_rmse=0.015, hint=(
        "average over the channels too: C * H * W = 105 values, so the RMSE is sqrt(3) times smaller than over "
        "35. " + _DUPLICATES_HINT), seed=6),
    duplicates_case("no duplicates: two empty int64 tensors", [], n_queries=5, n_reference=6, max_rmse=0.1, hint=(
        "when no query is within max_rmse, return two empty int64 tensors (torch.nonzero finds none). "
        + _DUPLICATES_HINT), seed=7),
    duplicates_case("queries and reference are left as they were: query 1 copies reference image 2",
                    [(1, 2, ("copy",))], leave_inputs=True, hint=(
        "work on new tensors: queries.flatten(1) is a view of the caller's images, so q *= 256 or q.sub_(...) on it "
        "changes them. " + _DUPLICATES_HINT), seed=8),
)

# ---------------------------------------------------------------------------
# capstone.verdict
# ---------------------------------------------------------------------------

VERDICTS = ("better", "better, by less than the margin", "better, perhaps by less than the margin",
            "no difference shown", "worse, perhaps by less than the margin", "worse, by less than the margin",
            "worse")


def verdict_reference(low, high, margin):
    """One of :data:`VERDICTS` for the interval ``[low, high]`` of ``a - b`` and the ``margin``:
    ``low > margin``, better; ``0 < low`` and ``high < margin``, better, by less than the margin;
    ``0 < low <= margin <= high``, better, perhaps by less than the margin; ``low <= 0 <= high``,
    no difference shown; the same below 0. ``ValueError`` for ``margin < 0`` or ``low > high``."""
    if margin < 0:
        raise ValueError(f"verdict: the margin is the smallest difference that matters, >= 0; got {margin!r}")
    if low > high:
        raise ValueError(f"verdict: an interval has low <= high; got low={low!r} > high={high!r}")
    if low > margin:
        return VERDICTS[0]
    if low > 0:
        return VERDICTS[1] if high < margin else VERDICTS[2]
    if high >= 0:
        return VERDICTS[3]
    if high < -margin:
        return VERDICTS[6]
    return VERDICTS[5] if low > -margin else VERDICTS[4]


def _rule(low, high, margin) -> str:
    """The rule of :func:`verdict_reference` that applies, in words."""
    if low > margin:
        return f"low = {low:g} > margin = {margin:g}"
    if low > 0:
        if high < margin:
            return f"0 < low = {low:g} and high = {high:g} < margin = {margin:g}"
        return f"0 < low = {low:g} <= margin = {margin:g} <= high = {high:g}"
    if high >= 0:
        return f"low = {low:g} <= 0 <= high = {high:g}"
    if high < -margin:
        return f"high = {high:g} < -margin = {-margin:g}"
    if low > -margin:
        return f"-margin = {-margin:g} < low = {low:g} and high = {high:g} < 0"
    return f"low = {low:g} <= -margin = {-margin:g} <= high = {high:g} < 0"


def compare_verdict(expected, got, inputs):
    """The exact string, saying which rule applies and, for a string that is none of the seven, which they are."""
    if got == expected and isinstance(got, str):
        return None
    low, high, margin = inputs["low"], inputs["high"], inputs["margin"]
    msg = (f"verdict(low={low:g}, high={high:g}, margin={margin:g}): expected {expected!r} "
           f"({_rule(low, high, margin)}), got {describe(got) if not isinstance(got, str) else repr(got)}")
    if isinstance(got, str) and got not in VERDICTS:
        msg += "; return one of exactly these strings: " + ", ".join(repr(v) for v in VERDICTS)
    return msg


def verdict_case(name, low, high, margin, hint="") -> Case:
    """A ``verdict`` case on the interval ``[low, high]`` and the ``margin`` (Python floats)."""
    def inputs(gen):
        return dict(low=float(low), high=float(high), margin=float(margin))
    return Case(name, inputs, compare=compare_verdict, hint=hint)


def compare_verdict_error(expected, got, inputs):
    if got == expected:
        return None
    low, high, margin = inputs["low"], inputs["high"], inputs["margin"]
    why = ("a margin is >= 0, the smallest difference that matters" if margin < 0
           else f"an interval has low <= high, and {low:g} > {high:g}")
    return f"verdict(low={low:g}, high={high:g}, margin={margin:g}): expected a ValueError ({why}), but it {got}"


def verdict_error_case(name, low, high, margin, hint="") -> Case:
    """A case that ``verdict`` must refuse with ``ValueError``."""
    def inputs(gen):
        return dict(low=float(low), high=float(high), margin=float(margin))
    return Case(name, inputs, run=call_expecting_value_error, compare=compare_verdict_error, hint=hint)


_VERDICT_HINT = ("Check the margin (>= 0) and the interval (low <= high) first, raising ValueError; then, in order: "
                 "low > margin, better; low > 0, better by less than the margin if high < margin, else perhaps by "
                 "less; high >= 0, no difference shown; high < -margin, worse; else worse by less than the margin if "
                 "low > -margin, else perhaps by less.")
VERDICT_CASES = (
    verdict_case("[0.8, 1.4], margin 0.5: above the margin", 0.8, 1.4, 0.5, hint=_VERDICT_HINT),
    verdict_case("[0.2, 0.9], margin 0.5: above 0, not above the margin", 0.2, 0.9, 0.5, hint=(
        "the interval lies above 0, so a difference is shown, but it may be smaller than the margin. "
        + _VERDICT_HINT)),
    verdict_case("[0.5, 1.0], margin 0.5: low == margin", 0.5, 1.0, 0.5, hint=(
        "better by more than the margin needs low > margin: at low == margin the difference may be exactly the "
        "margin, not more. " + _VERDICT_HINT)),
    verdict_case("[0.0, 0.6], margin 0.5: low == 0", 0.0, 0.6, 0.5, hint=(
        "an interval that reaches 0 includes it: a difference of 0 is still possible. " + _VERDICT_HINT)),
    verdict_case("[-0.3, 0.4], margin 0.5: 0 inside", -0.3, 0.4, 0.5, hint=_VERDICT_HINT),
    verdict_case("[-0.6, 0.0], margin 0.5: high == 0", -0.6, 0.0, 0.5, hint=(
        "an interval that reaches 0 includes it. " + _VERDICT_HINT)),
    verdict_case("[-0.9, -0.5], margin 0.5: high == -margin", -0.9, -0.5, 0.5, hint=(
        "worse by more than the margin needs high < -margin. " + _VERDICT_HINT)),
    verdict_case("[-0.9, -0.2], margin 0.5: below 0, not below -margin", -0.9, -0.2, 0.5, hint=_VERDICT_HINT),
    verdict_case("[-1.5, -0.7], margin 0.5: below -margin", -1.5, -0.7, 0.5, hint=_VERDICT_HINT),
    verdict_case("[0.1, 0.3], margin 0: any difference matters", 0.1, 0.3, 0.0, hint=(
        "with a margin of 0, an interval above 0 is above the margin. " + _VERDICT_HINT)),
    verdict_case("[0.75, 0.75], margin 0.5: an interval of no width (a constant difference)", 0.75, 0.75, 0.5,
                 hint=_VERDICT_HINT),
    verdict_case("[0.1, 0.4], margin 0.5: between 0 and the margin", 0.1, 0.4, 0.5, hint=(
        "every difference the interval allows is above 0 and below the margin: better, but by too little to matter. "
        + _VERDICT_HINT)),
    verdict_case("[0.1, 0.5], margin 0.5: high == margin", 0.1, 0.5, 0.5, hint=(
        "at high == margin the difference may be exactly the margin, which matters: perhaps by less. "
        + _VERDICT_HINT)),
    verdict_case("[-0.4, -0.1], margin 0.5: between -margin and 0", -0.4, -0.1, 0.5, hint=(
        "every difference the interval allows is below 0 and above -margin: worse, but by too little to matter. "
        + _VERDICT_HINT)),
    verdict_case("[-0.5, -0.1], margin 0.5: low == -margin", -0.5, -0.1, 0.5, hint=(
        "at low == -margin the difference may be exactly the margin: perhaps by less. " + _VERDICT_HINT)),
    verdict_error_case("margin -0.1: ValueError", 0.2, 0.4, -0.1, hint=(
        "a margin is the smallest difference that matters, never negative: raise ValueError. " + _VERDICT_HINT)),
    verdict_error_case("low 0.5 > high 0.2: ValueError", 0.5, 0.2, 0.1, hint=(
        "an interval has low <= high; refuse one that does not, it is a mistake upstream. " + _VERDICT_HINT)),
)

# coursekit's own answers (the chapter uses them): a notebook function that only calls one of them
# earns no points, as one imported from coursekit does not.
TASKS = [
    Task("capstone.paired_bootstrap", "the paired percentile bootstrap of a mean difference", "paired_bootstrap", 4,
         paired_bootstrap_reference, BOOTSTRAP_CASES, forbidden=("coursekit.study.paired_bootstrap",)),
    Task("capstone.near_duplicates", "the images of one split that copy an image of another", "near_duplicates", 3,
         near_duplicates_reference, DUPLICATES_CASES,
         forbidden=("coursekit.study.near_duplicates", "coursekit.generative.nearest_neighbour_distances")),
    Task("capstone.verdict", "what a report may say about an interval", "verdict", 3, verdict_reference,
         VERDICT_CASES, forbidden=("coursekit.study.verdict",)),
]

"""The capstone exercise's tasks: the reference earns full marks and agrees with the library
(coursekit.study), a correct bootstrap passes with any seed and any way of drawing, and every
wrong-but-plausible implementation loses points (scored in this process; see grading_helpers.py)."""
import math

import numpy as np
import pytest
import torch

from coursekit import study
from coursekit.grading.cases import compare_values
from coursekit.grading.tasks import capstone, exercise_tasks, exercises, load_hidden, notebooks
from grading_helpers import (assert_every_task_has_an_independent_implementation,
                             assert_every_task_has_wrong_implementations, assert_full_marks, assert_loses_points,
                             failed_cases, grade_in_process)

pytestmark = pytest.mark.usefixtures("one_thread")


def test_capstone_exercise_has_three_tasks_with_points():
    tasks = exercise_tasks("capstone")
    assert "capstone" in exercises() and notebooks()["capstone"] == "09_capstone"
    assert [t.id for t in tasks] == ["capstone.paired_bootstrap", "capstone.near_duplicates", "capstone.verdict"]
    assert [t.points for t in tasks] == [4, 3, 3]
    assert all(t.cases for t in tasks)


@pytest.mark.parametrize("task", capstone.TASKS, ids=lambda t: t.id)
def test_reference_implementation_earns_full_marks(task):
    result = grade_in_process(task.id, task.reference)
    assert result.score() == pytest.approx(task.points), [c.message for c in result.cases]


@pytest.mark.parametrize("task", capstone.TASKS, ids=lambda t: t.id)
def test_case_inputs_are_reproducible(task):
    for case in task.cases:
        assert compare_values(case.make_inputs(), case.make_inputs()) is None


@pytest.mark.parametrize("task", capstone.TASKS, ids=lambda t: t.id)
def test_a_stub_scores_zero(task):
    def stub(*args, **kwargs):
        raise NotImplementedError("replace this line with your solution")
    result = grade_in_process(task.id, stub)
    assert result.score() == 0
    assert all(c.message.startswith("not implemented yet") for c in result.cases)


def test_the_bootstrap_cases_are_float64_scores_of_one_image_each():
    for case in capstone.BOOTSTRAP_CASES:
        inputs = case.make_inputs()
        assert inputs["a"].dtype == inputs["b"].dtype == torch.float64
        assert inputs["a"].shape == inputs["b"].shape and inputs["a"].ndim == 1


def test_the_correlated_case_makes_pairing_matter_and_the_skewed_case_is_asymmetric():
    inputs = capstone.BOOTSTRAP_CASES[0].make_inputs()
    a, b = inputs["a"], inputs["b"]
    assert float(torch.corrcoef(torch.stack([a, b]))[0, 1]) > 0.99
    unpaired = math.sqrt(float(a.var() + b.var()))
    assert unpaired > 15 * float((a - b).std())           # resampled unpaired, the interval is 15+ times wider
    skewed = capstone.BOOTSTRAP_CASES[2].make_inputs()
    mean, low, high = capstone.paired_bootstrap_reference(**skewed)
    assert (high - mean) / (mean - low) > 1.7 > capstone.MIN_ASYMMETRY
    constant = capstone.BOOTSTRAP_CASES[4].make_inputs()
    assert torch.equal(constant["a"] - constant["b"], torch.full_like(constant["a"], 0.75))


def test_the_duplicate_cases_are_exact_and_have_no_ties():
    for case in capstone.DUPLICATES_CASES:
        inputs = case.make_inputs()
        q, r = inputs["queries"], inputs["reference"]
        assert q.dtype == r.dtype == torch.float64 and q.ndim == r.ndim == 4 and q.shape[1] > 1
        assert q.shape[2] != q.shape[3]                                    # non-square, several channels
        assert torch.equal(q * 256, (q * 256).round()) and torch.equal(r * 256, (r * 256).round())
        assert float(q.min()) >= 0 and float(q.max()) <= 1 and float(r.max()) <= 1
        ordered = capstone.rmse_matrix(q, r).sort(dim=1).values
        assert bool((ordered[:, 1] > ordered[:, 0]).all())                 # one nearest image per query
        # cdist's matrix products give exactly the same RMSE: every value is a multiple of 1/256
        direct = capstone.rmse_matrix(q, r)
        via_cdist = torch.cdist(q.flatten(1), r.flatten(1)) / math.sqrt(q[0].numel())
        torch.testing.assert_close(via_cdist, direct, rtol=1e-15, atol=1e-15)
        assert torch.equal(via_cdist.min(dim=1).indices, direct.min(dim=1).indices)
    boundary = capstone.DUPLICATES_CASES[4].make_inputs()
    rmse = capstone.rmse_matrix(boundary["queries"], boundary["reference"]).min(dim=1).values
    assert float(rmse[0]) == boundary["max_rmse"] == 0.125                # exactly, not within rounding
    q, r = boundary["queries"].flatten(1), boundary["reference"].flatten(1)
    assert float(torch.cdist(q, r).min(dim=1).values[0] / math.sqrt(q.shape[1])) == 0.125


# ------------------------------------------------ the references agree with the library

def test_the_bootstrap_reference_agrees_with_coursekit_study_within_the_tolerance():
    for case in capstone.BOOTSTRAP_CASES[:5]:
        inputs = case.make_inputs()
        ours = capstone.paired_bootstrap_reference(**inputs)
        theirs = study.paired_bootstrap(inputs["a"], inputs["b"], n_resamples=inputs["n_resamples"],
                                        confidence=inputs["confidence"], seed=inputs["seed"])
        assert case.check(ours, (theirs["mean"], theirs["low"], theirs["high"]), inputs) is None


def test_the_bootstrap_reference_on_normal_differences_is_the_normal_interval():
    inputs = capstone.BOOTSTRAP_CASES[1].make_inputs()
    mean, low, high = capstone.paired_bootstrap_reference(**inputs)
    d = inputs["a"] - inputs["b"]
    half = 1.959964 * float(d.std(correction=0)) / math.sqrt(len(d))
    assert capstone.normal_quantile(0.975) == pytest.approx(1.959964, abs=1e-6)
    assert low == pytest.approx(mean - half, abs=0.03 * half) and high == pytest.approx(mean + half, abs=0.03 * half)


def test_near_duplicates_reference_agrees_with_coursekit_study():
    for case in capstone.DUPLICATES_CASES:
        inputs = case.make_inputs()
        query, reference = capstone.near_duplicates_reference(**inputs)
        found = study.near_duplicates(inputs["queries"], inputs["reference"], inputs["max_rmse"])
        assert query.tolist() == found["query"].tolist() and reference.tolist() == found["reference"].tolist()


def study_verdict(low, high, margin):
    """coursekit.study.verdict's sentence on the interval [low, high] (of "ours" minus "theirs"), read
    back as one of the task's seven verdicts."""
    result = {**study.paired_bootstrap([0.0, 2.0], [0.0, 0.5], n_resamples=10), "mean": (low + high) / 2,
              "low": low, "high": high}
    sentence = study.verdict(result, ("ours", "theirs"), margin=margin).lower()
    if sentence.startswith("no difference between ours and theirs"):
        return "no difference shown"
    better = sentence.startswith("ours is better than theirs")
    assert better or sentence.startswith("theirs is better than ours"), sentence
    first = sentence.split(".")[0]
    qualifier = (", perhaps by less than the margin" if "perhaps by less than" in first
                 else ", by less than the margin" if "but by less than" in first else "")
    return ("better" if better else "worse") + qualifier


def test_verdict_reference_follows_coursekit_study_s_rules():
    for case in capstone.VERDICT_CASES:
        inputs = case.make_inputs()
        if case.run is not capstone.call_expecting_value_error:
            assert study_verdict(**inputs) == capstone.verdict_reference(**inputs), inputs
    with pytest.raises(ValueError, match="margin"):
        capstone.verdict_reference(0.1, 0.2, -0.1)
    with pytest.raises(ValueError, match="low <= high"):
        capstone.verdict_reference(0.3, 0.2, 0.1)


def test_the_verdict_cases_cover_every_verdict_and_every_boundary():
    inputs = [c.make_inputs() for c in capstone.VERDICT_CASES if c.run is not capstone.call_expecting_value_error]
    assert {capstone.verdict_reference(**i) for i in inputs} == set(capstone.VERDICTS)
    assert any(i["low"] == i["margin"] > 0 for i in inputs) and any(i["low"] == 0 for i in inputs)
    assert any(i["high"] == 0 for i in inputs) and any(i["high"] == -i["margin"] < 0 for i in inputs)
    assert any(i["high"] == i["margin"] > i["low"] > 0 for i in inputs)
    assert any(i["low"] == -i["margin"] < i["high"] < 0 for i in inputs)


# ------------------------ a correct bootstrap passes with any seed and any way of drawing

def bootstrap_numpy(a, b, n_resamples=10_000, confidence=0.95, seed=0):
    """NumPy's generator, one index array for both methods, np.quantile."""
    rng = np.random.default_rng(seed)
    a, b = a.numpy(), b.numpy()
    idx = rng.integers(0, len(a), size=(n_resamples, len(a)))
    means = a[idx].mean(axis=1) - b[idx].mean(axis=1)
    tail = (1 - confidence) / 2
    low, high = np.quantile(means, [tail, 1 - tail])
    return float(a.mean() - b.mean()), float(low), float(high)


def bootstrap_torch(a, b, n_resamples=10_000, confidence=0.95, seed=0):
    """torch.randint from a seeded torch.Generator, torch.quantile."""
    gen = torch.Generator().manual_seed(seed)
    idx = torch.randint(len(a), (n_resamples, len(a)), generator=gen)
    means = a[idx].mean(1) - b[idx].mean(1)
    tail = (1 - confidence) / 2
    low, high = torch.quantile(means, torch.tensor([tail, 1 - tail], dtype=means.dtype))
    return (a.mean() - b.mean()).item(), low.item(), high.item()


def bootstrap_differences_sorted(a, b, n_resamples=10_000, confidence=0.95, seed=0):
    """The differences resampled with rng.choice, the ends read off the sorted means (no interpolation)."""
    rng = np.random.default_rng(seed)
    d = (a - b).numpy()
    means = np.sort(rng.choice(d, size=(n_resamples, len(d)), replace=True).mean(axis=1))
    tail = (1 - confidence) / 2
    return (float(d.mean()), float(means[math.floor(tail * (n_resamples - 1))]),
            float(means[math.ceil((1 - tail) * (n_resamples - 1))]))


def bootstrap_by_loop(a, b, n_resamples=10_000, confidence=0.95, seed=0):
    """One resample at a time with torch.multinomial, sorted in Python."""
    gen = torch.Generator().manual_seed(seed)
    d, weights = a - b, torch.ones(len(a), dtype=torch.float64)
    means = sorted(float(d[torch.multinomial(weights, len(d), replacement=True, generator=gen)].mean())
                   for _ in range(n_resamples))
    tail = (1 - confidence) / 2
    return float(d.mean()), means[int(tail * n_resamples)], means[int((1 - tail) * n_resamples) - 1]


STYLES = [bootstrap_numpy, bootstrap_torch, bootstrap_differences_sorted]


@pytest.mark.parametrize("style", STYLES, ids=lambda f: f.__name__)
def test_a_correct_bootstrap_passes_with_any_seed(style):
    # the tolerances as measured when they were set (200 seeds, 100 on the 1,000 images, these three
    # styles): the ends within 4.8% of the width of the reference's (the tolerance is 10%), the width on the
    # normal case within 3.2% of 2 z sd / sqrt(N) (tolerance 8%), the skewed case's asymmetry above 1.77
    # (threshold 1.4); the mistakes miss them by far (test_the_mistakes_miss_the_tolerances_by_far)
    worst_end, worst_width, least_asymmetry = 0.0, 0.0, math.inf
    for case in capstone.BOOTSTRAP_CASES:
        inputs = case.make_inputs()
        expected = case.run(capstone.paired_bootstrap_reference, inputs)
        for seed in range(1, 9):
            got = case.run(style, {**inputs, "seed": seed})
            assert case.check(expected, got, inputs) is None, (case.name, seed)
            if case.run is capstone.call_with_two_seeds:
                continue
            mean, low, high = got
            e_mean, e_low, e_high = expected
            if e_high > e_low:
                worst_end = max(worst_end, abs(low - e_low) / (e_high - e_low), abs(high - e_high) / (e_high - e_low))
            d = inputs["a"] - inputs["b"]
            if case is capstone.BOOTSTRAP_CASES[1]:          # 1,000 normal differences
                z = capstone.normal_quantile(0.5 + inputs["confidence"] / 2)
                worst_width = max(worst_width, abs((high - low) / (2 * z * float(d.std(correction=0)) / math.sqrt(
                    len(d))) - 1))
            if case is capstone.BOOTSTRAP_CASES[2]:          # 20 lognormal differences
                least_asymmetry = min(least_asymmetry, (high - mean) / (mean - low))
    # the margins: a correct bootstrap is far inside every tolerance
    assert worst_end < capstone.END_TOLERANCE / 2
    assert worst_width < capstone.WIDTH_TOLERANCE / 2
    assert least_asymmetry > capstone.MIN_ASYMMETRY + 0.3


@pytest.mark.parametrize("seed", [1, 2, 3])
def test_the_mistakes_miss_the_tolerances_by_far(seed):
    def interval(wrong, k):
        return wrong(**{**capstone.BOOTSTRAP_CASES[k].make_inputs(), "seed": seed})

    # a 90% interval: 16% narrower than the normal theory's width, against a tolerance of 8%
    inputs = capstone.BOOTSTRAP_CASES[1].make_inputs()
    d = inputs["a"] - inputs["b"]
    normal_width = 2 * 1.959964 * float(d.std(correction=0)) / math.sqrt(len(d))
    _, low, high = interval(bootstrap_alpha_not_halved, 1)
    assert (high - low) / normal_width < 1 - 1.8 * capstone.WIDTH_TOLERANCE
    # the normal interval is symmetric (1), the threshold 1.4, the bootstrap's 1.8
    mean, low, high = interval(bootstrap_normal_interval, 2)
    assert (high - mean) / (mean - low) == pytest.approx(1) and capstone.MIN_ASYMMETRY - 1 > 0.35
    # unpaired resampling and the quantiles of the differences: ends off by more than the whole width
    _, e_low, e_high = capstone.paired_bootstrap_reference(**capstone.BOOTSTRAP_CASES[0].make_inputs())
    for wrong in (bootstrap_unpaired, bootstrap_quantiles_of_the_differences):
        _, low, high = interval(wrong, 0)
        assert min(e_low - low, high - e_high) > 10 * capstone.END_TOLERANCE * (e_high - e_low)
    # the confidence ignored, at 0.5: the ends of a 95% interval, nearly the whole width away
    _, e_low, e_high = capstone.paired_bootstrap_reference(**capstone.BOOTSTRAP_CASES[3].make_inputs())
    _, low, high = interval(bootstrap_confidence_ignored, 3)
    assert min(e_low - low, high - e_high) > 8 * capstone.END_TOLERANCE * (e_high - e_low)


def test_a_bootstrap_drawn_one_resample_at_a_time_passes():
    assert_full_marks("capstone.paired_bootstrap", bootstrap_by_loop)


# ------------------------------------------ independent implementations of the exact tasks

def duplicates_by_loops(queries, reference, max_rmse):
    found_q, found_r = [], []
    for i, q in enumerate(queries):
        distances = [math.sqrt(float(((q - r) ** 2).sum()) / q.numel()) for r in reference]
        j = min(range(len(distances)), key=distances.__getitem__)
        if distances[j] <= max_rmse:
            found_q.append(i)
            found_r.append(j)
    return torch.tensor(found_q, dtype=torch.int64), torch.tensor(found_r, dtype=torch.int64)


def duplicates_by_cdist(queries, reference, max_rmse):
    q, r = queries.flatten(1), reference.flatten(1)
    best, nearest = (torch.cdist(q, r) / math.sqrt(q.shape[1])).min(dim=1)
    hit = torch.nonzero(best <= max_rmse).flatten()
    return hit, nearest[hit]


def duplicates_by_squared_distance(queries, reference, max_rmse):
    """Compares the mean squared difference with max_rmse ** 2 (no square root)."""
    q, r = queries.flatten(1).numpy(), reference.flatten(1).numpy()
    mse = ((q[:, None, :] - r[None, :, :]) ** 2).mean(axis=2)
    nearest = mse.argmin(axis=1)
    hit = np.flatnonzero(mse[np.arange(len(q)), nearest] <= max_rmse ** 2)
    return torch.from_numpy(hit).long(), torch.from_numpy(nearest[hit]).long()


def verdict_by_table(low, high, margin):
    """The rules read the other way round: no difference first, then the side, then the margin."""
    if margin < 0 or low > high:
        raise ValueError("margin >= 0 and low <= high")
    if low <= 0 <= high:
        return "no difference shown"
    side, near, far = ("better", low, high) if low > 0 else ("worse", -high, -low)
    if near > margin:
        return side
    return side + (", by less than the margin" if far < margin else ", perhaps by less than the margin")


INDEPENDENT = [("capstone.paired_bootstrap", bootstrap_numpy), ("capstone.paired_bootstrap", bootstrap_torch),
               ("capstone.paired_bootstrap", bootstrap_differences_sorted),
               ("capstone.near_duplicates", duplicates_by_loops), ("capstone.near_duplicates", duplicates_by_cdist),
               ("capstone.near_duplicates", duplicates_by_squared_distance), ("capstone.verdict", verdict_by_table)]


@pytest.mark.parametrize("task_id, impl", INDEPENDENT, ids=lambda v: getattr(v, "__name__", v))
def test_an_independent_implementation_earns_full_marks(task_id, impl):
    assert_full_marks(task_id, impl)


def test_every_task_has_an_independent_implementation():
    assert_every_task_has_an_independent_implementation(capstone.TASKS, INDEPENDENT)


# ------------------------------------------ wrong-but-plausible implementations

def _quantiles(means, confidence, tail=None):
    tail = (1 - confidence) / 2 if tail is None else tail
    return np.quantile(means, [tail, 1 - tail])


def bootstrap_unpaired(a, b, n_resamples=10_000, confidence=0.95, seed=0):
    rng = np.random.default_rng(seed)
    a, b = a.numpy(), b.numpy()
    i, j = rng.integers(0, len(a), (2, n_resamples, len(a)))
    low, high = _quantiles(a[i].mean(1) - b[j].mean(1), confidence)
    return float(a.mean() - b.mean()), float(low), float(high)


def bootstrap_alpha_not_halved(a, b, n_resamples=10_000, confidence=0.95, seed=0):
    rng = np.random.default_rng(seed)
    d = (a - b).numpy()
    low, high = _quantiles(d[rng.integers(0, len(d), (n_resamples, len(d)))].mean(1), confidence, tail=1 - confidence)
    return float(d.mean()), float(low), float(high)


def bootstrap_without_replacement(a, b, n_resamples=10_000, confidence=0.95, seed=0):
    gen = torch.Generator().manual_seed(seed)
    d = a - b
    means = torch.stack([d[torch.randperm(len(d), generator=gen)].mean() for _ in range(n_resamples)])
    low, high = _quantiles(means.numpy(), confidence)
    return float(d.mean()), float(low), float(high)


def bootstrap_quantiles_of_the_differences(a, b, n_resamples=10_000, confidence=0.95, seed=0):
    d = (a - b).numpy()
    low, high = _quantiles(d, confidence)
    return float(d.mean()), float(low), float(high)


def bootstrap_normal_interval(a, b, n_resamples=10_000, confidence=0.95, seed=0):
    d = a - b
    half = capstone.normal_quantile(0.5 + confidence / 2) * float(d.std()) / math.sqrt(len(d))
    return float(d.mean()), float(d.mean()) - half, float(d.mean()) + half


def bootstrap_b_minus_a(a, b, n_resamples=10_000, confidence=0.95, seed=0):
    return bootstrap_numpy(b, a, n_resamples, confidence, seed)


def bootstrap_unseeded(a, b, n_resamples=10_000, confidence=0.95, seed=0):
    rng = np.random.default_rng()
    return bootstrap_numpy(a, b, n_resamples, confidence, seed=int(rng.integers(2**31)))


def bootstrap_fixed_seed(a, b, n_resamples=10_000, confidence=0.95, seed=0):
    return bootstrap_numpy(a, b, n_resamples, confidence, seed=0)


def bootstrap_confidence_ignored(a, b, n_resamples=10_000, confidence=0.95, seed=0):
    return bootstrap_numpy(a, b, n_resamples, 0.95, seed)


def bootstrap_mean_of_the_resampled_means(a, b, n_resamples=10_000, confidence=0.95, seed=0):
    rng = np.random.default_rng(seed)
    d = (a - b).numpy()
    means = d[rng.integers(0, len(d), (n_resamples, len(d)))].mean(1)
    low, high = _quantiles(means, confidence)
    return float(means.mean()), float(low), float(high)


def bootstrap_returns_tensors(a, b, n_resamples=10_000, confidence=0.95, seed=0):
    return tuple(torch.tensor(v, dtype=torch.float64) for v in bootstrap_numpy(a, b, n_resamples, confidence, seed))


def bootstrap_index_range_one_short(a, b, n_resamples=10_000, confidence=0.95, seed=0):
    """randint's high end taken as inclusive: integers(0, N - 1) never draws the last image."""
    rng = np.random.default_rng(seed)
    d = (a - b).numpy()
    low, high = _quantiles(d[rng.integers(0, len(d) - 1, (n_resamples, len(d)))].mean(1), confidence)
    return float(d.mean()), float(low), float(high)


def bootstrap_n_resamples_ignored(a, b, n_resamples=10_000, confidence=0.95, seed=0):
    return bootstrap_numpy(a, b, 10_000, confidence, seed)


def bootstrap_subtracts_in_place(a, b, n_resamples=10_000, confidence=0.95, seed=0):
    """a -= b: the right interval, but a is left holding the differences."""
    a -= b
    return bootstrap_numpy(a, torch.zeros_like(a), n_resamples, confidence, seed)


def duplicates_euclidean(queries, reference, max_rmse):
    q, r = queries.flatten(1), reference.flatten(1)
    best, nearest = torch.cdist(q, r).min(dim=1)
    hit = torch.nonzero(best <= max_rmse).flatten()
    return hit, nearest[hit]


def duplicates_pixels_of_one_channel(queries, reference, max_rmse):
    q, r = queries.flatten(1), reference.flatten(1)
    best, nearest = (torch.cdist(q, r) / math.sqrt(queries.shape[-2] * queries.shape[-1])).min(dim=1)
    hit = torch.nonzero(best <= max_rmse).flatten()
    return hit, nearest[hit]


def duplicates_strict(queries, reference, max_rmse):
    q, r = queries.flatten(1), reference.flatten(1)
    best, nearest = (torch.cdist(q, r) / math.sqrt(q.shape[1])).min(dim=1)
    hit = torch.nonzero(best < max_rmse).flatten()
    return hit, nearest[hit]


def duplicates_first_within(queries, reference, max_rmse):
    found_q, found_r = [], []
    for i, q in enumerate(queries):
        for j, r in enumerate(reference):
            if float(((q - r) ** 2).mean().sqrt()) <= max_rmse:
                found_q.append(i)
                found_r.append(j)
                break
    return torch.tensor(found_q, dtype=torch.int64), torch.tensor(found_r, dtype=torch.int64)


def duplicates_mean_absolute(queries, reference, max_rmse):
    q, r = queries.flatten(1), reference.flatten(1)
    best, nearest = (q[:, None] - r[None]).abs().mean(-1).min(dim=1)
    hit = torch.nonzero(best <= max_rmse).flatten()
    return hit, nearest[hit]


def duplicates_mean_squared(queries, reference, max_rmse):
    q, r = queries.flatten(1), reference.flatten(1)
    best, nearest = ((q[:, None] - r[None]) ** 2).mean(-1).min(dim=1)
    hit = torch.nonzero(best <= max_rmse).flatten()
    return hit, nearest[hit]


def duplicates_threshold_ignored(queries, reference, max_rmse):
    q, r = queries.flatten(1), reference.flatten(1)
    return torch.arange(len(q)), torch.cdist(q, r).min(dim=1).indices


def duplicates_int32(queries, reference, max_rmse):
    return tuple(t.int() for t in duplicates_by_cdist(queries, reference, max_rmse))


def duplicates_scaled_in_place(queries, reference, max_rmse):
    """Right answer, but the queries turned into grey levels 0..255 in the caller's tensor (a view)."""
    q = queries.flatten(1)
    q *= 256
    rmse = torch.cdist(q, reference.flatten(1) * 256) / 256 / q.shape[1] ** 0.5
    best, nearest = rmse.min(dim=1)
    hit = torch.nonzero(best <= max_rmse).flatten()
    return hit, nearest[hit]


def verdict_margin_ignored(low, high, margin):
    if margin < 0 or low > high:
        raise ValueError("bad")
    return "better" if low > 0 else "worse" if high < 0 else "no difference shown"


def verdict_no_difference_below_the_margin(low, high, margin):
    if margin < 0 or low > high:
        raise ValueError("bad")
    return "better" if low > margin else "worse" if high < -margin else "no difference shown"


def verdict_low_at_the_margin_is_better(low, high, margin):
    if margin < 0 or low > high:
        raise ValueError("bad")
    if low >= margin and low > 0:
        return "better"
    return capstone.verdict_reference(low, high, margin)


def verdict_zero_counts_as_above(low, high, margin):
    """low == 0 taken as above 0, high == 0 as below it."""
    if margin < 0 or low > high:
        raise ValueError("bad")
    if low == 0 < high:
        return capstone.verdict_reference(1e-12, high, margin)
    if low < 0 == high:
        return capstone.verdict_reference(low, -1e-12, margin)
    return capstone.verdict_reference(low, high, margin)


def verdict_high_at_minus_the_margin_is_worse(low, high, margin):
    if margin < 0 or low > high:
        raise ValueError("bad")
    if high <= -margin and high < 0:
        return "worse"
    return capstone.verdict_reference(low, high, margin)


def verdict_no_errors(low, high, margin):
    return capstone.verdict_reference(min(low, high), max(low, high), abs(margin))


def verdict_perhaps_inside_the_margin(low, high, margin):
    """The five-verdict rule: an interval wholly between 0 and the margin called "perhaps by less"."""
    answer = capstone.verdict_reference(low, high, margin)
    return answer.replace(", by less than", ", perhaps by less than")


def verdict_capitalised(low, high, margin):
    return capstone.verdict_reference(low, high, margin).capitalize()


WRONG = [
    ("capstone.paired_bootstrap", bootstrap_unpaired), ("capstone.paired_bootstrap", bootstrap_alpha_not_halved),
    ("capstone.paired_bootstrap", bootstrap_without_replacement),
    ("capstone.paired_bootstrap", bootstrap_quantiles_of_the_differences),
    ("capstone.paired_bootstrap", bootstrap_normal_interval), ("capstone.paired_bootstrap", bootstrap_b_minus_a),
    ("capstone.paired_bootstrap", bootstrap_unseeded), ("capstone.paired_bootstrap", bootstrap_fixed_seed),
    ("capstone.paired_bootstrap", bootstrap_confidence_ignored),
    ("capstone.paired_bootstrap", bootstrap_mean_of_the_resampled_means),
    ("capstone.paired_bootstrap", bootstrap_returns_tensors),
    ("capstone.paired_bootstrap", bootstrap_index_range_one_short),
    ("capstone.paired_bootstrap", bootstrap_n_resamples_ignored),
    ("capstone.paired_bootstrap", bootstrap_subtracts_in_place),
    ("capstone.near_duplicates", duplicates_euclidean), ("capstone.near_duplicates", duplicates_pixels_of_one_channel),
    ("capstone.near_duplicates", duplicates_strict), ("capstone.near_duplicates", duplicates_first_within),
    ("capstone.near_duplicates", duplicates_mean_absolute), ("capstone.near_duplicates", duplicates_mean_squared),
    ("capstone.near_duplicates", duplicates_threshold_ignored), ("capstone.near_duplicates", duplicates_int32),
    ("capstone.near_duplicates", duplicates_scaled_in_place),
    ("capstone.verdict", verdict_margin_ignored), ("capstone.verdict", verdict_no_difference_below_the_margin),
    ("capstone.verdict", verdict_low_at_the_margin_is_better), ("capstone.verdict", verdict_zero_counts_as_above),
    ("capstone.verdict", verdict_high_at_minus_the_margin_is_worse), ("capstone.verdict", verdict_no_errors),
    ("capstone.verdict", verdict_perhaps_inside_the_margin), ("capstone.verdict", verdict_capitalised),
]


@pytest.mark.parametrize("task_id, wrong", WRONG, ids=lambda v: getattr(v, "__name__", v))
def test_wrong_but_plausible_implementation_loses_points(task_id, wrong):
    assert_loses_points(task_id, wrong)


def test_every_task_has_wrong_implementations_in_the_tests():
    assert_every_task_has_wrong_implementations(capstone.TASKS, WRONG)


# ---------------------------------------- which case catches what, and what it says

BOOTSTRAP = [c.name for c in capstone.BOOTSTRAP_CASES]
DUPLICATES = [c.name for c in capstone.DUPLICATES_CASES]
VERDICT = [c.name for c in capstone.VERDICT_CASES]


def messages(task_id, obj) -> dict[str, str]:
    """{case name: message} for the public cases of ``task_id`` that ``obj`` fails, in order."""
    return {c.case.name: c.message for c in grade_in_process(task_id, obj).cases if not c.passed}


def test_unpaired_resampling_is_caught_where_the_scores_are_correlated_and_named():
    failed = messages("capstone.paired_bootstrap", bootstrap_unpaired)
    assert BOOTSTRAP[0] in failed and BOOTSTRAP[5] in failed
    assert "a and b resampled with separate indices" in failed[BOOTSTRAP[0]]


def test_a_90_percent_interval_is_caught_by_the_width_on_normal_differences():
    failed = messages("capstone.paired_bootstrap", bootstrap_alpha_not_halved)
    assert BOOTSTRAP[1] in failed
    assert "2 z sd / sqrt(N)" in failed[BOOTSTRAP[1]] and "a 90% interval" in failed[BOOTSTRAP[1]]


def test_resampling_without_replacement_gives_no_width_and_is_named():
    failed = messages("capstone.paired_bootstrap", bootstrap_without_replacement)
    # the constant difference has no width anyway, nor a single resample
    assert set(failed) == set(BOOTSTRAP) - {BOOTSTRAP[4], BOOTSTRAP[7]}
    assert all("no width" in m and "without replacement" in m for m in failed.values())


def test_the_quantiles_of_the_differences_are_named():
    failed = messages("capstone.paired_bootstrap", bootstrap_quantiles_of_the_differences)
    assert BOOTSTRAP[0] in failed and "the quantiles of the per-image differences" in failed[BOOTSTRAP[0]]


def test_the_normal_interval_fails_the_skewed_case_and_ignores_the_seed():
    failed = messages("capstone.paired_bootstrap", bootstrap_normal_interval)
    # (it fails the case of two images apart and the single resample too: it draws nothing)
    assert set(failed) - {BOOTSTRAP[6], BOOTSTRAP[7]} == {BOOTSTRAP[2], BOOTSTRAP[5]} and BOOTSTRAP[7] in failed
    assert "high - mean is 1 times mean - low" in failed[BOOTSTRAP[2]]
    assert "a normal interval mean +- z sd / sqrt(N) is symmetric" in failed[BOOTSTRAP[2]]


def test_b_minus_a_fails_every_case_on_the_sign():
    failed = messages("capstone.paired_bootstrap", bootstrap_b_minus_a)
    assert list(failed) == BOOTSTRAP
    assert all("is b.mean() - a.mean(): the difference is a minus b" in m for m in failed.values())


def test_the_seed_must_be_used_and_must_be_the_only_source_of_randomness():
    assert failed_cases("capstone.paired_bootstrap", bootstrap_unseeded) == [BOOTSTRAP[5]]
    assert "two calls with seed=7 returned different intervals" in messages(
        "capstone.paired_bootstrap", bootstrap_unseeded)[BOOTSTRAP[5]]
    assert failed_cases("capstone.paired_bootstrap", bootstrap_fixed_seed) == [BOOTSTRAP[5]]
    assert "seed=7 and seed=8 returned the same interval" in messages(
        "capstone.paired_bootstrap", bootstrap_fixed_seed)[BOOTSTRAP[5]]


def test_an_index_range_one_short_fails_where_only_the_first_and_last_images_differ():
    # integers(0, N - 1) never draws the last image: [0, 0.15] for [0, 0.25]; the other cases cannot tell
    assert capstone.paired_bootstrap_reference(**capstone.BOOTSTRAP_CASES[6].make_inputs())[1:] == (0.0, 0.25)
    failed = messages("capstone.paired_bootstrap", bootstrap_index_range_one_short)
    assert list(failed) == [BOOTSTRAP[6]]
    assert failed[BOOTSTRAP[6]].startswith("output: high: expected 0.25 +- 0.025, got 0.15")
    assert "randint(0, N - 1) never draws the last image" in failed[BOOTSTRAP[6]]


def test_ignoring_n_resamples_fails_the_single_resample_case_and_is_named():
    failed = messages("capstone.paired_bootstrap", bootstrap_n_resamples_ignored)
    assert list(failed) == [BOOTSTRAP[7]]
    assert "n_resamples=1 gives one resampled mean, so both quantiles are that value and low == high" in (
        failed[BOOTSTRAP[7]])


def test_a_single_resample_is_checked_as_one_resampled_mean_whatever_the_draw():
    case = capstone.BOOTSTRAP_CASES[7]
    inputs = case.make_inputs()
    expected = case.run(capstone.paired_bootstrap_reference, inputs)
    d = inputs["a"] - inputs["b"]
    mean = float(d.mean())
    assert case.check(expected, (mean, float(d[:3].mean()), float(d[:3].mean())), inputs) is None
    assert "between the smallest and the largest difference" in case.check(
        expected, (mean, float(d.max()) + 1, float(d.max()) + 1), inputs)


def test_subtracting_in_place_is_told_so_not_told_to_seed():
    failed = messages("capstone.paired_bootstrap", bootstrap_subtracts_in_place)
    assert list(failed) == [BOOTSTRAP[5]]          # the only case that calls the function twice on the same a
    assert "the first call changed a or b in place" in failed[BOOTSTRAP[5]]
    assert "generator" not in failed[BOOTSTRAP[5]].split("hint:")[0]


def test_ignoring_the_confidence_fails_the_confidence_case_and_is_named():
    failed = messages("capstone.paired_bootstrap", bootstrap_confidence_ignored)
    assert list(failed) == [BOOTSTRAP[3]]
    assert "the confidence (0.5) ignored" in failed[BOOTSTRAP[3]]


def test_the_mean_is_that_of_the_images_not_of_the_resamples():
    failed = messages("capstone.paired_bootstrap", bootstrap_mean_of_the_resampled_means)
    assert set(failed) == set(BOOTSTRAP) - {BOOTSTRAP[4]}
    assert all("expected a.mean() - b.mean()" in m for m in failed.values())


def test_tensors_for_floats_are_told_to_use_item():
    failed = messages("capstone.paired_bootstrap", bootstrap_returns_tensors)
    assert list(failed) == BOOTSTRAP and all("return Python floats" in m for m in failed.values())


def test_the_mistakes_of_near_duplicates_are_caught_where_they_matter_and_named():
    said = {duplicates_euclidean: ([1, 2, 3, 4, 5], "the Euclidean distance"),
            duplicates_pixels_of_one_channel: ([1, 2, 4, 5], "the RMSE over the H * W"),
            duplicates_strict: ([0, 4], "< where <= belongs"),
            duplicates_first_within: ([3], "the first reference image within max_rmse"),
            duplicates_mean_absolute: ([2, 5], "the mean absolute difference"),
            duplicates_mean_squared: ([1, 2, 4, 5, 6], "the mean squared difference"),
            duplicates_threshold_ignored: ([0, 1, 2, 3, 4, 5, 6, 7], "max_rmse ignored")}
    for wrong, (cases, text) in said.items():
        failed = messages("capstone.near_duplicates", wrong)
        assert list(failed) == [DUPLICATES[i] for i in cases], (wrong.__name__, list(failed))
        assert all(m.startswith("output: ") for m in failed.values())
        assert any(text in m.split("; output[")[0] for m in failed.values()), (wrong.__name__, failed)


def test_a_missing_or_extra_duplicate_is_explained_with_its_rmse():
    failed = messages("capstone.near_duplicates", duplicates_strict)
    assert "(query 0 is missing: its nearest reference image, 2, is at RMSE 0.125 <= max_rmse = 0.125 (exactly " \
           "max_rmse: within means <=))" in failed[DUPLICATES[4]]
    failed = messages("capstone.near_duplicates", duplicates_mean_absolute)
    assert "(query 5 is not a duplicate: its nearest reference image, 6, is at RMSE 0.0625 > max_rmse = 0.05)" in \
        failed[DUPLICATES[2]]
    failed = messages("capstone.near_duplicates", duplicates_first_within)
    assert "(query 2: reference image 3, at RMSE 0.03125, but image 8 is nearer, at 0.015625)" in failed[DUPLICATES[3]]
    failed = messages("capstone.near_duplicates", duplicates_int32)
    assert list(failed) == DUPLICATES and all("int64" in m for m in failed.values())


def test_images_changed_in_place_fail_only_the_inputs_case_and_are_named():
    failed = messages("capstone.near_duplicates", duplicates_scaled_in_place)
    assert list(failed) == [DUPLICATES[7]]
    assert "changed its argument(s) queries in place" in failed[DUPLICATES[7]]


def test_the_mistakes_of_verdict_fail_the_cases_at_their_boundaries():
    def failed(wrong):
        return [VERDICT.index(name) for name in failed_cases("capstone.verdict", wrong)]
    assert failed(verdict_margin_ignored) == [1, 2, 6, 7, 11, 12, 13, 14]
    assert failed(verdict_no_difference_below_the_margin) == [1, 2, 6, 7, 11, 12, 13, 14]
    assert failed(verdict_low_at_the_margin_is_better) == [2]
    assert failed(verdict_zero_counts_as_above) == [3, 5]
    assert failed(verdict_high_at_minus_the_margin_is_worse) == [6]
    assert failed(verdict_perhaps_inside_the_margin) == [11, 13]
    assert failed(verdict_no_errors) == [15, 16]
    assert failed(verdict_capitalised) == list(range(15))


def test_verdict_messages_give_the_rule_and_the_seven_strings():
    failed = messages("capstone.verdict", verdict_low_at_the_margin_is_better)
    assert failed[VERDICT[2]].startswith("verdict(low=0.5, high=1, margin=0.5): expected 'better, perhaps by less "
                                         "than the margin' (0 < low = 0.5 <= margin = 0.5 <= high = 1), got 'better'")
    failed = messages("capstone.verdict", verdict_capitalised)
    assert "return one of exactly these strings: 'better', " in failed[VERDICT[0]]
    failed = messages("capstone.verdict", verdict_no_errors)
    assert failed[VERDICT[15]].startswith("verdict(low=0.2, high=0.4, margin=-0.1): expected a ValueError (a margin "
                                          "is >= 0")


# ------------------------------------------------- the library's answers are not the student's

def bootstrap_from_coursekit(a, b, n_resamples=10_000, confidence=0.95, seed=0):
    result = study.paired_bootstrap(a, b, n_resamples=n_resamples, confidence=confidence, seed=seed)
    return result["mean"], result["low"], result["high"]


def duplicates_from_coursekit(queries, reference, max_rmse):
    found = study.near_duplicates(queries, reference, max_rmse)
    return torch.from_numpy(found["query"]), torch.from_numpy(found["reference"])


def duplicates_from_coursekit_s_distances(queries, reference, max_rmse):
    from coursekit.generative import nearest_neighbour_distances
    distances, nearest = nearest_neighbour_distances(queries, reference, return_index=True)
    rmse = torch.as_tensor(distances) / math.sqrt(queries[0].numel())
    hit = torch.nonzero(rmse <= max_rmse).flatten()
    return hit, torch.as_tensor(nearest)[hit].long()


def verdict_from_coursekit(low, high, margin):
    answer = study_verdict(low, high, margin)
    if low > high:                    # study.verdict takes what paired_bootstrap returns, which never has it
        raise ValueError("low > high")
    return answer


SHORTCUTS = [("capstone.paired_bootstrap", bootstrap_from_coursekit),
             ("capstone.near_duplicates", duplicates_from_coursekit),
             ("capstone.near_duplicates", duplicates_from_coursekit_s_distances),
             ("capstone.verdict", verdict_from_coursekit)]


@pytest.mark.parametrize("task_id, shortcut", SHORTCUTS, ids=[s.__name__ for _, s in SHORTCUTS])
def test_the_shortcuts_earn_full_marks_outside_the_rules(task_id, shortcut):
    # so that the test below shows the rules at work, not shortcuts that fail anyway
    assert_full_marks(task_id, shortcut)


@pytest.mark.parametrize("task_id, shortcut", SHORTCUTS, ids=[s.__name__ for _, s in SHORTCUTS])
def test_calling_coursekit_s_own_answer_scores_zero_and_says_why(task_id, shortcut):
    result = grade_in_process(task_id, shortcut, as_student=True)
    assert result.score() == 0
    assert all("ForbiddenCall" in c.message for c in result.cases)


def test_torch_s_cdist_is_allowed_under_the_rules():
    result = grade_in_process("capstone.near_duplicates", duplicates_by_cdist, as_student=True)
    assert result.score() == pytest.approx(3)


# ----------------------------------------------------------- hidden cases

def test_the_helpers_make_hidden_cases(tmp_path):
    (tmp_path / "capstone.py").write_text(
        "from coursekit.grading.tasks.capstone import (bootstrap_case, bootstrap_seed_case, duplicates_case,\n"
        "                                              verdict_case, verdict_error_case)\n"
        "CASES = {\n"
        "    'capstone.paired_bootstrap': [bootstrap_case('80 images, 99%', n=80, confidence=0.99, seed=11),\n"
        "                                  bootstrap_seed_case('seeds 3 and 4', kind='normal', seed_arg=3, seed=12)],\n"
        "    'capstone.near_duplicates': [duplicates_case('3 copies', [(0, 1, ('copy',)), (2, 3, ('offset', 2)),\n"
        "                                                              (4, 5, ('pixels', 3, 40))], seed=13)],\n"
        "    'capstone.verdict': [verdict_case('[1, 2], margin 1', 1.0, 2.0, 1.0),\n"
        "                         verdict_error_case('margin -1', 0.0, 1.0, -1.0)],\n"
        "}\n")
    hidden = load_hidden(tmp_path, "capstone")
    assert sorted(hidden) == sorted(t.id for t in capstone.TASKS)
    for task in capstone.TASKS:
        for case in hidden[task.id]:
            assert case.visibility == "hidden"
            inputs = case.make_inputs()
            expected = case.run(task.reference, inputs)
            assert case.check(expected, case.run(task.reference, case.make_inputs()), inputs) is None

"""coursekit.study: the paired bootstrap gives the interval the textbook gives where the textbook
applies, covers the true difference as often as it says, and is narrower than an unpaired one
when the images differ in difficulty; the verdict says only what its interval allows; and
classify.correct scores a classifier image by image."""
import math
import warnings

import numpy as np
import pytest
import torch
from scipy import stats

from coursekit import classify, generative, metrics, study


def correlated_scores(n, difference=0.1, seed=0):
    """Scores of two methods on n images whose difficulty varies a lot (sd 2) while the methods
    differ little (mean difference ``difference``, sd 0.3 per image): PSNRs look like this."""
    rng = np.random.default_rng(seed)
    difficulty = rng.normal(25, 2, n)
    return difficulty + difference + rng.normal(0, 0.3, n), difficulty


# ---------------------------------------------------------------- paired_bootstrap

def test_the_mean_is_the_difference_of_the_two_means():
    a, b = correlated_scores(100)
    assert study.paired_bootstrap(a, b)["mean"] == pytest.approx(a.mean() - b.mean(), abs=1e-12)


def test_a_constant_difference_has_an_interval_of_width_zero_at_that_difference():
    b = np.random.default_rng(1).normal(size=50)
    r = study.paired_bootstrap(b + 0.5, b)
    assert r["low"] == pytest.approx(0.5) and r["high"] == pytest.approx(0.5)


def test_on_many_images_the_interval_is_the_normal_one():
    a, b = correlated_scores(4000, seed=2)
    d = a - b
    half = stats.norm.ppf(0.975) * d.std(ddof=1) / np.sqrt(len(d))
    r = study.paired_bootstrap(a, b, n_resamples=20_000)
    assert r["low"] == pytest.approx(d.mean() - half, abs=0.1 * half)
    assert r["high"] == pytest.approx(d.mean() + half, abs=0.1 * half)


def test_it_agrees_with_scipy_s_paired_percentile_bootstrap():
    a, b = correlated_scores(60, seed=3)
    ref = stats.bootstrap((a, b), lambda x, y: x.mean() - y.mean(), paired=True, vectorized=False,
                          method="percentile", n_resamples=20_000, random_state=0).confidence_interval
    r = study.paired_bootstrap(a, b, n_resamples=20_000)
    width = ref.high - ref.low
    assert r["low"] == pytest.approx(ref.low, abs=0.05 * width)
    assert r["high"] == pytest.approx(ref.high, abs=0.05 * width)


def test_the_95_percent_interval_covers_the_true_difference_about_95_percent_of_the_time():
    covered = []
    for trial in range(300):
        a, b = correlated_scores(40, difference=0.1, seed=100 + trial)
        r = study.paired_bootstrap(a, b, n_resamples=2000, seed=trial)
        covered.append(r["low"] <= 0.1 <= r["high"])
    assert 0.90 <= np.mean(covered) <= 0.99


def test_four_times_the_images_halve_the_interval():
    a, b = correlated_scores(4000, seed=4)
    small = study.paired_bootstrap(a[:1000], b[:1000])
    large = study.paired_bootstrap(a, b)
    ratio = (large["high"] - large["low"]) / (small["high"] - small["low"])
    assert ratio == pytest.approx(0.5, abs=0.08)


def test_pairing_narrows_the_interval_when_images_differ_in_difficulty():
    a, b = correlated_scores(200, seed=5)
    paired = study.paired_bootstrap(a, b)
    unpaired = study.paired_bootstrap(a, b, paired=False)
    assert paired["low"] > 0 > unpaired["low"]          # the same data: shown only when paired
    assert (unpaired["high"] - unpaired["low"]) > 4 * (paired["high"] - paired["low"])


def test_the_same_seed_gives_the_same_interval_and_another_seed_another():
    a, b = correlated_scores(30, seed=6)
    first, again = study.paired_bootstrap(a, b, seed=1), study.paired_bootstrap(a, b, seed=1)
    other = study.paired_bootstrap(a, b, seed=2)
    assert first == again and first["low"] != other["low"]


def test_the_fractions_count_images_won_and_lost_one_by_one():
    r = study.paired_bootstrap([3.0, 1.0, 2.0, 5.0], [1.0, 1.0, 3.0, 4.0])
    assert (r["fraction_better"], r["fraction_worse"], r["n"]) == (0.5, 0.25, 4)


def test_right_or_wrong_answers_give_a_difference_in_accuracy():
    a = torch.tensor([True, True, True, False])
    b = torch.tensor([True, False, False, False])
    with pytest.warns(UserWarning, match="only 2 images"):
        assert study.paired_bootstrap(a, b)["mean"] == pytest.approx(0.5)


def right_or_wrong(n, a_only, b_only, seed=0):
    """Answers of two readers on n images: the same except on ``a_only`` images (only a is right)
    and ``b_only`` (only b is right)."""
    both = np.random.default_rng(seed).random(n) < 0.7
    a, b = both.copy(), both.copy()
    a[:a_only], b[:a_only] = True, False
    a[a_only:a_only + b_only], b[a_only:a_only + b_only] = False, True
    return a, b


def test_few_discordant_answers_warn_that_the_interval_is_too_narrow_and_the_verdict_says_so():
    a, b = right_or_wrong(624, a_only=4, b_only=0)   # exact McNemar: p = 2 * 0.5**4 = 0.125
    with pytest.warns(study.FewDiscordantWarning, match=r"only 4 images .*binomtest\(4, 4\)"):
        r = study.paired_bootstrap(a, b)
    assert r["n_discordant"] == 4 and r["low"] > 0        # the percentile interval alone would claim a difference
    assert r["mcnemar_p"] == pytest.approx(0.125)
    assert study.verdict(r, ("A", "B")).endswith(
        "an exact McNemar test decides, and it gives p = 0.12 (4 right for A alone, 0 for B alone): not below 0.05, "
        "so no difference is shown.")


def test_right_or_wrong_scores_carry_the_exact_mcnemar_p_value():
    from scipy.stats import binomtest
    a, b = right_or_wrong(300, a_only=17, b_only=3)
    with pytest.warns(study.FewDiscordantWarning):
        r = study.paired_bootstrap(a, b)
    assert (r["a_only"], r["b_only"]) == (17, 3)
    assert r["mcnemar_p"] == pytest.approx(binomtest(17, 20).pvalue)
    assert r["mcnemar_p"] == pytest.approx(2 * sum(math.comb(20, k) for k in range(4)) / 2 ** 20)   # by hand
    said = study.verdict(r, ("A", "B"))
    assert "p = 0.0026" in said and said.endswith("below 0.05, so the difference is shown.")
    with pytest.warns(study.FewDiscordantWarning):
        assert study.paired_bootstrap(a, a)["mcnemar_p"] == 1.0     # no discordant image: nothing to test


def test_many_discordant_answers_neither_warn_nor_qualify_the_verdict():
    a, b = right_or_wrong(624, a_only=40, b_only=10)
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        r = study.paired_bootstrap(a, b)
    assert r["n_discordant"] == 50 and "McNemar" not in study.verdict(r, ("A", "B"))


def test_scores_that_are_not_right_or_wrong_have_no_discordant_count():
    a, b = correlated_scores(30)
    assert "n_discordant" not in study.paired_bootstrap(a, b)


@pytest.mark.parametrize("a, b, says", [
    ([1.0, 2.0, 3.0], [1.0, 2.0], "got 3 and 2 scores"),
    (np.ones((3, 2)), np.ones((3, 2)), r"shape \(N,\)"),
    ([1.0, np.inf], [1.0, 2.0], "not finite.*per-image MSE"),
    ([1.0, np.nan], [1.0, 2.0], "not finite"),
    ([1.0], [2.0], "at least 2 test images"),
    (["a", "b"], ["c", "d"], "one number per test image")])
def test_paired_bootstrap_refuses_scores_that_are_not_one_finite_number_per_image(a, b, says):
    with pytest.raises(ValueError, match=says):
        study.paired_bootstrap(a, b)


@pytest.mark.parametrize("kwargs, says", [({"confidence": 1.0}, "below 1"), ({"confidence": 0}, "confidence"),
                                          ({"confidence": 95}, "below 1"), ({"n_resamples": 0}, "n_resamples")])
def test_paired_bootstrap_refuses_a_confidence_outside_0_1_and_no_resamples(kwargs, says):
    with pytest.raises(ValueError, match=says):
        study.paired_bootstrap([1.0, 2.0], [0.0, 1.0], **kwargs)


# ---------------------------------------------------------------- groups: the cluster bootstrap

def clustered_scores(n_groups, per_group, r, difference=0.1, seed=0):
    """Two methods' scores on ``n_groups`` patients of ``per_group`` images each. Their difference
    per image has mean ``difference``, variance 0.09 and correlation ``r`` between two images of
    one patient (a patient effect shared by its images), none between patients. Returns
    ``(a, b, groups)``."""
    rng = np.random.default_rng(seed)
    groups = np.repeat(np.arange(n_groups), per_group)
    patient = rng.normal(0, 0.3 * np.sqrt(r), n_groups)[groups]
    d = difference + patient + rng.normal(0, 0.3 * np.sqrt(1 - r), len(groups))
    b = rng.normal(25, 2, len(groups))
    return b + d, b, groups


def width(r):
    return r["high"] - r["low"]


def test_with_one_image_per_group_resampling_groups_is_resampling_images():
    a, b = correlated_scores(50, seed=7)
    by_image = study.paired_bootstrap(a, b, n_resamples=3000)
    by_group = study.paired_bootstrap(a, b, n_resamples=3000, groups=np.arange(50))
    assert by_group["low"] == pytest.approx(by_image["low"], abs=1e-9)
    assert by_group["high"] == pytest.approx(by_image["high"], abs=1e-9)


def test_group_labels_may_be_strings():
    a, b, groups = clustered_scores(20, 5, r=0.5)
    named = np.array([f"patient-{g:03d}" for g in groups])
    assert study.paired_bootstrap(a, b, groups=named) == study.paired_bootstrap(a, b, groups=groups)


def test_resampling_groups_widens_the_interval_by_the_square_root_of_the_design_effect():
    a, b, groups = clustered_scores(200, 10, r=0.5, seed=8)
    by_image = study.paired_bootstrap(a, b)
    by_group = study.paired_bootstrap(a, b, groups=groups)
    assert width(by_group) / width(by_image) == pytest.approx(np.sqrt(1 + 9 * 0.5), rel=0.15)


def test_the_cluster_interval_covers_the_true_difference_where_the_image_interval_does_not():
    by_image, by_group = [], []
    for trial in range(200):
        a, b, groups = clustered_scores(30, 10, r=0.5, seed=200 + trial)
        by_image.append(study.paired_bootstrap(a, b, n_resamples=1000, seed=trial))
        by_group.append(study.paired_bootstrap(a, b, n_resamples=1000, seed=trial, groups=groups))
    def coverage(results):
        return np.mean([r["low"] <= 0.1 <= r["high"] for r in results])
    assert 0.88 <= coverage(by_group) <= 0.99
    assert coverage(by_image) < 0.75


def test_the_cluster_interval_is_about_the_mean_over_images_not_the_mean_of_group_means():
    # 50 patients with one image and no gain, 50 with nine images and a gain of 1: the mean over
    # the 500 images is 0.9, the mean of the 100 patient means 0.5
    sizes = np.repeat([1, 9], 50)
    groups = np.repeat(np.arange(100), sizes)
    gain = np.repeat(np.repeat([0.0, 1.0], 50), sizes)
    r = study.paired_bootstrap(gain, np.zeros_like(gain), groups=groups)
    assert r["mean"] == pytest.approx(0.9) and 0.8 < r["low"] < 0.9 < r["high"] < 0.95


def test_pairing_draws_the_same_groups_for_both_methods():
    b = np.random.default_rng(9).normal(size=40)
    groups = np.repeat(np.arange(8), 5)
    paired = study.paired_bootstrap(b + 0.5, b, groups=groups)
    assert paired["low"] == pytest.approx(0.5) and paired["high"] == pytest.approx(0.5)
    assert width(study.paired_bootstrap(b + 0.5, b, groups=groups, paired=False)) > 0.1


def test_the_number_of_groups_is_reported_only_when_groups_are_given():
    a, b, groups = clustered_scores(12, 3, r=0.2)
    assert study.paired_bootstrap(a, b, groups=groups)["n_groups"] == 12
    assert "n_groups" not in study.paired_bootstrap(a, b)


@pytest.mark.parametrize("groups, says", [
    (np.arange(5), r"one label per test image, shape \(6,\)"),
    (np.zeros(6), "at least 2 of them"),
    (np.array([0, 0, 1, 1, np.nan, 2]), "NaN")])
def test_paired_bootstrap_refuses_groups_that_are_not_one_label_per_image_in_two_or_more_groups(groups, says):
    with pytest.raises(ValueError, match=says):
        study.paired_bootstrap(np.arange(6.0), np.zeros(6), groups=groups)


# ---------------------------------------------------------------- mean_interval

def test_mean_interval_is_the_paired_bootstrap_against_a_method_that_scores_zero():
    a, _ = correlated_scores(80, seed=10)
    one = study.mean_interval(a, n_resamples=2000)
    two = study.paired_bootstrap(a, np.zeros_like(a), n_resamples=2000)
    assert one["mean"] == pytest.approx(a.mean())
    assert (one["low"], one["high"]) == pytest.approx((two["low"], two["high"]), abs=1e-9)


def test_mean_interval_over_groups_is_wider_when_a_patient_s_images_are_alike():
    a, b, groups = clustered_scores(200, 10, r=0.5, seed=11)
    gain = a - b                                 # one number per image, correlated within a patient
    ratio = width(study.mean_interval(gain, groups=groups)) / width(study.mean_interval(gain))
    assert ratio == pytest.approx(np.sqrt(1 + 9 * 0.5), rel=0.15)
    assert study.mean_interval(gain, groups=groups)["n_groups"] == 200


def test_a_verdict_is_refused_for_one_method_s_mean():
    with pytest.raises(ValueError, match="one method's mean"):
        study.verdict(study.mean_interval(np.arange(10.0)))


def test_each_result_says_what_kind_of_interval_it_is():
    y, a, b = binormal(20, 20)
    assert study.paired_bootstrap(a, b)["kind"] == "mean difference"
    assert study.mean_interval(a)["kind"] == "mean"
    assert study.paired_auc(y, a, b)["kind"] == "AUC difference"


def test_mean_interval_refuses_scores_that_are_not_one_number_per_image():
    with pytest.raises(ValueError, match=r"scores: expected one number per test image"):
        study.mean_interval(np.ones((4, 2)))


# ---------------------------------------------------------------- design_effect

def test_design_effect_recovers_the_correlation_within_groups():
    a, b, groups = clustered_scores(400, 5, r=0.3, seed=12)
    effect = study.design_effect(a - b, groups)
    assert effect["icc"] == pytest.approx(0.3, abs=0.06)
    assert effect["design_effect"] == pytest.approx(1 + 4 * effect["icc"])
    assert (effect["mean_group_size"], effect["n"], effect["n_groups"]) == (5.0, 2000, 400)


def test_design_effect_of_independent_images_is_about_one():
    a, b, groups = clustered_scores(400, 5, r=0.0, seed=13)
    assert study.design_effect(a - b, groups)["design_effect"] == pytest.approx(1.0, abs=0.2)


def unequal_groups(n_groups, largest, r, seed):
    """Scores of ``n_groups`` patients with 2 to ``largest - 1`` images each, unit variance and
    correlation ``r`` within a patient. Returns ``(scores, groups, sizes)``."""
    rng = np.random.default_rng(seed)
    sizes = rng.integers(2, largest, n_groups)
    groups = np.repeat(np.arange(n_groups), sizes)
    x = rng.normal(0, np.sqrt(r), n_groups)[groups] + rng.normal(0, np.sqrt(1 - r), len(groups))
    return x, groups, sizes


def test_design_effect_handles_groups_of_different_sizes():
    x, groups, sizes = unequal_groups(300, 20, r=0.4, seed=14)
    effect = study.design_effect(x, groups)
    assert effect["icc"] == pytest.approx(0.4, abs=0.06)
    assert effect["mean_group_size"] == pytest.approx(sizes.mean())


def test_with_groups_of_different_sizes_the_design_effect_weights_each_group_by_its_images():
    sizes = np.array([2, 2, 2, 10])
    effect = study.design_effect(np.arange(16.0), np.repeat(np.arange(4), sizes))
    assert effect["mean_group_size"] == 4.0
    assert effect["weighted_group_size"] == pytest.approx((3 * 4 + 100) / 16)      # sum m_g^2 / N = 7
    assert effect["design_effect"] == pytest.approx(1 + 6 * effect["icc"])


def test_the_design_effect_predicts_the_widening_also_for_groups_of_different_sizes():
    x, groups, _ = unequal_groups(150, 60, r=0.5, seed=15)
    effect = study.design_effect(x, groups)
    ratio = width(study.mean_interval(x, groups=groups)) / width(study.mean_interval(x))
    assert ratio == pytest.approx(np.sqrt(effect["design_effect"]), rel=0.15)
    assert effect["weighted_group_size"] > 1.25 * effect["mean_group_size"]   # the unweighted size would mislead


def test_images_identical_within_their_group_have_a_correlation_of_one():
    groups = np.repeat(np.arange(6), 3)
    assert study.design_effect(groups * 1.5, groups)["icc"] == pytest.approx(1.0)


def test_design_effect_refuses_groups_of_one_image_each():
    with pytest.raises(ValueError, match="group of its own"):
        study.design_effect(np.arange(5.0), np.arange(5))


# ---------------------------------------------------------------- paired_auc

def binormal(n_pos, n_neg, shift_a=1.5, shift_b=1.0, r=0.7, seed=0):
    """Scores of two readers of the same images: unit-variance normals, positives shifted up by
    ``shift_a`` (``shift_b``), correlated ``r`` between the readers. True AUCs: Phi(shift / sqrt 2)."""
    rng = np.random.default_rng(seed)
    y = np.r_[np.ones(n_pos, int), np.zeros(n_neg, int)]
    z1, z2 = rng.normal(size=(2, len(y)))
    return y, y * shift_a + z1, y * shift_b + r * z1 + np.sqrt(1 - r * r) * z2


def delong_sd(y, a, b):
    """DeLong et al. (1988): the standard deviation of AUC(a) - AUC(b) on the same images."""
    def components(s):
        pos, neg = s[y == 1], s[y == 0]
        psi = (pos[:, None] > neg[None, :]) + 0.5 * (pos[:, None] == neg[None, :])
        return psi.mean(axis=1), psi.mean(axis=0)
    (pa, na), (pb, nb) = components(a), components(b)
    return np.sqrt(np.var(pa - pb, ddof=1) / len(pa) + np.var(na - nb, ddof=1) / len(na))


def test_paired_auc_gives_both_aucs_and_their_difference_ties_counting_one_half():
    y, a, b = binormal(60, 90, seed=20)
    a = np.round(a)                                   # many ties
    r = study.paired_auc(y, a, b)
    assert r["auc_a"] == pytest.approx(metrics.roc_auc(y, a)) and r["auc_b"] == pytest.approx(metrics.roc_auc(y, b))
    assert r["mean"] == pytest.approx(r["auc_a"] - r["auc_b"])
    assert (r["n"], r["n_positive"]) == (150, 60)


def test_paired_auc_interval_has_the_width_delong_s_variance_gives():
    y, a, b = binormal(600, 900, seed=21)
    r = study.paired_auc(y, a, b)
    assert width(r) == pytest.approx(2 * stats.norm.ppf(0.975) * delong_sd(y, a, b), rel=0.1)


def test_paired_auc_covers_the_true_difference_about_95_percent_of_the_time():
    true = stats.norm.cdf(1.5 / np.sqrt(2)) - stats.norm.cdf(1.0 / np.sqrt(2))
    covered = []
    for trial in range(200):
        y, a, b = binormal(50, 50, seed=300 + trial)
        r = study.paired_auc(y, a, b, n_resamples=1000, seed=trial)
        covered.append(r["low"] <= true <= r["high"])
    assert 0.88 <= np.mean(covered) <= 0.99


def test_pairing_makes_the_auc_interval_narrower_than_two_independent_errors():
    y, a, _ = binormal(100, 100, seed=22)
    b = a + np.random.default_rng(23).normal(0, 0.3, len(a))     # nearly the same reader
    r = study.paired_auc(y, a, b)
    independent = np.hypot(metrics.auc_standard_error(r["auc_a"], 100, 100),
                           metrics.auc_standard_error(r["auc_b"], 100, 100))
    assert width(r) < 0.5 * 2 * stats.norm.ppf(0.975) * independent


def test_the_same_scores_differ_by_zero_on_every_resample():
    y, a, _ = binormal(30, 40, seed=24)
    r = study.paired_auc(y, a, a.copy())
    assert (r["mean"], r["low"], r["high"]) == (0.0, 0.0, 0.0)


def test_every_resample_keeps_both_classes_even_when_positives_are_rare():
    y, a, b = binormal(2, 28, seed=25)
    r = study.paired_auc(torch.tensor(y).unsqueeze(1), a, b)      # labels (N, 1), as MedMNIST gives them
    assert np.isfinite([r["low"], r["high"]]).all() and r["n_positive"] == 2


@pytest.mark.parametrize("labels, says", [
    (np.array([0, 1, 2, 1]), "0 \\(negative\\) and 1 \\(positive\\)"),
    (np.ones(4, int), "all 4 are positive"),
    (np.array([0, 1, 1]), r"shape \(4,\) or \(4, 1\)")])
def test_paired_auc_refuses_labels_that_are_not_0_and_1_for_each_image(labels, says):
    with pytest.raises(ValueError, match=says):
        study.paired_auc(labels, np.arange(4.0), np.arange(4.0))


def test_the_verdict_reads_a_difference_in_auc_without_shares_of_images():
    y, a, b = binormal(200, 200, seed=26)
    text = study.verdict(study.paired_auc(y, a, b), ("reader A", "reader B"))
    assert text.startswith("Reader A is better than reader B.")
    assert "over 400 test images)" in text and "of the images" not in text


# ---------------------------------------------------------------- verdict

def result(low, high, mean=None):
    return {"mean": (low + high) / 2 if mean is None else mean, "low": low, "high": high, "n": 100,
            "confidence": 0.95, "fraction_better": 0.6, "fraction_worse": 0.4}


def test_an_interval_above_zero_says_a_is_better():
    assert study.verdict(result(0.2, 0.4), ("U-Net", "NLM"), "dB").startswith("U-Net is better than NLM.")


def test_an_interval_below_zero_says_b_is_better():
    assert study.verdict(result(-0.4, -0.2), ("U-Net", "NLM")).startswith("NLM is better than U-Net.")


def test_an_interval_containing_zero_says_no_difference_is_shown_not_that_there_is_none():
    text = study.verdict(result(-0.1, 0.3), ("U-Net", "NLM"))
    assert text.startswith("No difference between U-Net and NLM is shown")
    assert "no difference." not in text


def test_an_interval_above_zero_that_reaches_the_margin_says_perhaps_less_than_matters():
    text = study.verdict(result(0.1, 0.4), ("U-Net", "NLM"), "dB", margin=0.2)
    assert text.startswith("U-Net is better than NLM, but perhaps by less than 0.2 dB")
    assert study.verdict(result(0.1, 0.2), margin=0.2).startswith("A is better than b, but perhaps")   # U = margin


def test_an_interval_between_zero_and_the_margin_says_better_by_less_than_matters():
    text = study.verdict(result(0.05, 0.15), ("U-Net", "NLM"), "dB", margin=0.2)
    assert text.startswith("U-Net is better than NLM, but by less than 0.2 dB, the smallest difference that matters")


def test_an_interval_between_minus_the_margin_and_zero_says_b_is_better_by_less_than_matters():
    text = study.verdict(result(-0.15, -0.05), ("U-Net", "NLM"), "dB", margin=0.2)
    assert text.startswith("NLM is better than U-Net, but by less than 0.2 dB")
    assert study.verdict(result(-0.2, -0.05), margin=0.2).startswith("B is better than a, but perhaps")   # L = -margin


def test_an_interval_above_the_margin_says_better_by_more_than_it():
    text = study.verdict(result(0.3, 0.5), ("U-Net", "NLM"), "dB", margin=0.2)
    assert text.startswith("U-Net is better than NLM by more than 0.2 dB")


def test_the_verdict_quotes_the_interval_the_images_and_the_share_won():
    text = study.verdict(result(0.2, 0.4), ("U-Net", "NLM"), "dB")
    assert "+0.30 dB on average" in text and "[+0.20, +0.40] dB" in text and "100 test images" in text
    assert "better on 60% of the images and worse on 40%" in text


def test_the_verdict_says_when_whole_groups_were_resampled():
    text = study.verdict({**result(0.2, 0.4), "n_groups": 12}, ("U-Net", "NLM"), "dB")
    assert "over 100 test images from 12 groups, resampled whole" in text
    assert "groups" not in study.verdict(result(0.2, 0.4), ("U-Net", "NLM"), "dB")


def test_each_sentence_of_the_verdict_starts_with_a_capital_letter():
    text = study.verdict(result(0.2, 0.4), ("the U-Net", "the baseline"), "dB")
    assert text.startswith("The U-Net is better than the baseline. The U-Net minus the baseline: +0.30 dB")


def test_verdict_refuses_a_dict_that_is_not_a_bootstrap_result_and_a_negative_margin():
    with pytest.raises(ValueError, match="'low' is missing"):
        study.verdict({"mean": 1.0})
    with pytest.raises(ValueError, match="margin"):
        study.verdict(result(0.1, 0.2), margin=-1)


# ---------------------------------------------------------------- worst

def test_worst_lists_the_images_a_loses_most_on_first():
    a = np.array([5.0, 1.0, 4.0, 2.0])
    b = np.array([4.0, 3.0, 4.0, 2.0])
    assert worst_list(a, b, 3) == [1, 2, 3]    # -2, then the ties 0 and 0 in their order


def worst_list(a, b, k):
    return study.worst(a, b, k).tolist()


def test_worst_gives_every_image_when_k_exceeds_their_number():
    assert sorted(worst_list([1.0, 2.0], [0.0, 0.0], 10)) == [0, 1]


# ---------------------------------------------------------------- classify.correct

class Linear(torch.nn.Module):
    def __init__(self):
        super().__init__()
        self.fc = torch.nn.Linear(4, 3)

    def forward(self, x):
        return self.fc(x.flatten(1))


def test_correct_marks_each_image_whose_arg_max_class_is_its_label():
    torch.manual_seed(0)
    model, images = Linear(), torch.rand(20, 1, 2, 2)
    labels = torch.randint(0, 3, (20,))
    hits = classify.correct(model, images, labels, batch_size=7)
    with torch.no_grad():
        expected = model(images).argmax(1) == labels
    assert hits.dtype == torch.bool and torch.equal(hits, expected)


def test_class_accuracy_is_the_mean_of_correct():
    torch.manual_seed(1)
    model, images, labels = Linear(), torch.rand(30, 1, 2, 2), torch.randint(0, 3, (30,))
    assert generative.class_accuracy(model, images, labels)["accuracy"] == \
        pytest.approx(classify.correct(model, images, labels).double().mean().item())


# ---------------------------------------------------------------- near_duplicates

def test_near_duplicates_finds_an_exact_copy_and_a_slightly_changed_one_and_where_they_came_from():
    g = torch.Generator().manual_seed(0)
    train = torch.rand(50, 1, 8, 8, generator=g)
    test = torch.rand(10, 1, 8, 8, generator=g)
    test[3] = train[17]                                       # an exact copy
    test[7] = (train[4] + 0.005).clamp(0, 1)                  # re-saved: RMS difference <= 0.005
    found = study.near_duplicates(test, train)
    assert found["query"].tolist() == [3, 7] and found["reference"].tolist() == [17, 4]
    assert found["rmse"][3] == 0 and 0 < found["rmse"][7] <= 0.005 and found["rmse"].shape == (10,)
    assert found["nearest"][[3, 7]].tolist() == [17, 4] and found["nearest"].shape == (10,)


def test_near_duplicates_with_max_rmse_0_finds_exact_copies_only():
    g = torch.Generator().manual_seed(1)
    train, test = torch.rand(20, 1, 4, 4, generator=g), torch.rand(3, 1, 4, 4, generator=g)
    test[0], test[1] = train[5], (train[6] + 0.001).clamp(0, 1)
    assert study.near_duplicates(test, train, max_rmse=0)["query"].tolist() == [0]


def test_independent_random_images_are_not_duplicates():
    g = torch.Generator().manual_seed(2)
    found = study.near_duplicates(torch.rand(30, 1, 8, 8, generator=g), torch.rand(30, 1, 8, 8, generator=g))
    assert len(found["query"]) == 0 and found["rmse"].min() > 0.2


def test_near_duplicates_refuses_a_negative_threshold():
    with pytest.raises(ValueError, match="max_rmse"):
        study.near_duplicates(torch.rand(2, 1, 4, 4), torch.rand(2, 1, 4, 4), max_rmse=-0.1)


def test_a_share_of_images_that_rounds_to_0_percent_but_is_not_0_reads_under_1_percent():
    r = dict(result(0.01, 0.03), fraction_better=0.003, fraction_worse=0.0)
    assert "better on under 1% of the images and worse on 0%" in study.verdict(r)

"""coursekit.generative: evaluation of generative models (FD, precision/recall, memorisation, ...)."""
import os
from pathlib import Path

import numpy as np
import pytest
import torch

from coursekit import data, generative, models
from coursekit.models.gan import ConditionalDiscriminator, ConditionalGenerator, Discriminator, Generator


def exact_gaussian_sample(n, mean, cov, seed=0):
    """n points whose sample mean and (unbiased) sample covariance are exactly mean and cov."""
    rng = np.random.default_rng(seed)
    x = rng.standard_normal((n, len(mean)))
    x -= x.mean(0)
    x = x @ np.linalg.inv(np.linalg.cholesky(np.cov(x, rowvar=False))).T
    return x @ np.linalg.cholesky(cov).T + mean


# ------------------------------------------------------------------ Fréchet distance

def test_frechet_distance_matches_the_closed_form_for_two_gaussians():
    """Diagonal covariances: FD = |mu_a - mu_b|^2 + sum_i (sqrt(a_i) - sqrt(b_i))^2."""
    mu_a, mu_b = np.array([0.0, 1.0, -2.0]), np.array([1.0, 1.0, 0.5])
    var_a, var_b = np.array([1.0, 4.0, 0.25]), np.array([9.0, 1.0, 0.25])
    a = exact_gaussian_sample(200, mu_a, np.diag(var_a), seed=1)
    b = exact_gaussian_sample(300, mu_b, np.diag(var_b), seed=2)
    expected = np.sum((mu_a - mu_b) ** 2) + np.sum((np.sqrt(var_a) - np.sqrt(var_b)) ** 2)
    assert generative.frechet_distance(a, b) == pytest.approx(expected, rel=1e-8)


def test_frechet_distance_uses_the_matrix_square_root_for_correlated_features():
    """Non-commuting covariances: FD = tr(A + B - 2 (A^1/2 B A^1/2)^1/2) (the symmetric form)."""
    from scipy.linalg import sqrtm

    A = np.array([[2.0, 0.9], [0.9, 1.0]])
    B = np.array([[1.0, -0.5], [-0.5, 3.0]])
    a = exact_gaussian_sample(100, np.zeros(2), A, seed=3)
    b = exact_gaussian_sample(100, np.zeros(2), B, seed=4)
    ra = np.real(sqrtm(A))
    expected = np.trace(A + B - 2 * np.real(sqrtm(ra @ B @ ra)))
    assert generative.frechet_distance(a, b) == pytest.approx(expected, rel=1e-8)


def test_frechet_distance_of_a_set_with_itself_is_zero_and_accepts_tensors():
    x = torch.randn(50, 4, dtype=torch.float64)
    assert abs(generative.frechet_distance(x, x)) < 1e-8


def test_frechet_distance_rejects_mismatched_dimensions():
    with pytest.raises(ValueError, match="same dimension"):
        generative.frechet_distance(np.zeros((5, 3)), np.zeros((5, 4)))


def test_frechet_distance_refuses_nan_features():
    with pytest.raises(ValueError, match="feats_a: contains NaN or Inf"):
        generative.frechet_distance(np.full((5, 3), np.nan), np.zeros((5, 3)))


def test_frechet_distance_refuses_features_that_are_not_n_by_d():
    with pytest.raises(ValueError, match=r"expected a \(N, d\) feature array; got shape \(5,\)"):
        generative.frechet_distance(np.arange(5.0), np.arange(5.0))


def test_frechet_distance_needs_two_samples_per_set():
    with pytest.raises(ValueError, match="at least 2 samples per set.*got 1 and 5"):
        generative.frechet_distance(np.zeros((1, 3)), np.random.default_rng(0).random((5, 3)))


def test_frechet_distance_of_one_dimensional_features_is_the_closed_form():
    """d = 1: (mu_a - mu_b)^2 + (s_a - s_b)^2 with the standard deviations s."""
    rng = np.random.default_rng(1)
    standard = lambda x: ((x - x.mean()) / x.std(ddof=1))[:, None]   # sample mean 0, sample std 1
    a, b = 2 * standard(rng.standard_normal(50)), 1 + standard(rng.standard_normal(50))
    assert generative.frechet_distance(a, b) == pytest.approx(1.0 + (2.0 - 1.0) ** 2, rel=1e-8)


# ---------------------------------------------------------- precision and recall

def test_precision_and_recall_are_one_for_identical_sets():
    x = np.random.default_rng(0).standard_normal((60, 5))
    assert generative.precision_recall(x, x, k=3) == {"precision": 1.0, "recall": 1.0}


def test_precision_and_recall_are_zero_for_disjoint_sets():
    rng = np.random.default_rng(0)
    real, fake = rng.standard_normal((60, 5)), rng.standard_normal((60, 5)) + 100.0
    assert generative.precision_recall(real, fake, k=3) == {"precision": 0.0, "recall": 0.0}


def test_mode_collapse_keeps_precision_but_loses_recall():
    """Fakes that cover one of two real clusters: realistic (precision ~1), half the data missed (recall ~0.5)."""
    rng = np.random.default_rng(0)
    real = np.concatenate([rng.standard_normal((100, 2)), rng.standard_normal((100, 2)) + 20])
    fake = rng.standard_normal((200, 2))
    res = generative.precision_recall(real, fake, k=3)
    assert res["precision"] > 0.9 and 0.4 < res["recall"] < 0.55


def test_sample_quality_scores_the_sample_against_the_reference_not_the_other_way_round():
    rng = np.random.default_rng(0)
    reference = rng.normal(size=(400, 4))
    collapsed = reference[reference[:, 0] > 1.0]                      # real images of one tail only
    q = generative.sample_quality(reference, collapsed, k=3)
    assert q["fd"] == generative.frechet_distance(collapsed, reference)
    assert q["precision"] > 0.9 and q["recall"] < 0.5
    assert {k: q[k] for k in ("precision", "recall")} == generative.precision_recall(reference, collapsed, k=3)


def test_precision_recall_rejects_k_not_smaller_than_the_sets():
    with pytest.raises(ValueError, match="k must"):
        generative.precision_recall(np.zeros((3, 2)), np.zeros((3, 2)), k=3)


def test_precision_recall_refuses_k_of_0():
    with pytest.raises(ValueError, match="k must be an int with 1 <= k"):
        generative.precision_recall(np.random.default_rng(0).random((5, 2)), np.random.default_rng(1).random((5, 2)), k=0)


def test_a_sample_exactly_at_a_ball_s_radius_is_inside_the_ball():
    """Real points 0, 1, 2, 3 have k=1 balls of radius 1; the fake point 4 lies on the ball of 3."""
    real, fake = np.array([[0.0], [1.0], [2.0], [3.0]]), np.array([[4.0], [10.0], [20.0]])
    assert generative.precision_recall(real, fake, k=1) == {"precision": pytest.approx(1 / 3), "recall": 1.0}
    assert generative.precision_recall(fake, real, k=1) == {"precision": 1.0, "recall": pytest.approx(1 / 3)}


# ------------------------------------------------------------- memorisation

@pytest.mark.parametrize("raw", ["uint8", "0-255 floats", "0-255 numpy floats"])
def test_nearest_neighbour_distances_refuse_images_outside_the_unit_range(raw):
    # raw .npz pixels next to [0, 1] images: an exact copy was 2970 away, and fraction_closer read 0
    train = torch.rand(8, 1, 6, 6)
    copies = {"uint8": lambda: (train * 255).round().to(torch.uint8), "0-255 floats": lambda: train * 255,
              "0-255 numpy floats": lambda: (train * 255).numpy()}[raw]()
    with pytest.raises((TypeError, ValueError), match="255"):
        generative.nearest_neighbour_distances(copies, train)


def test_nearest_neighbour_distances_take_features_of_any_range():
    feats = torch.randn(5, 3) * 100
    assert generative.nearest_neighbour_distances(feats, feats).max() == 0


def test_an_exact_copy_of_a_reference_image_is_at_distance_exactly_0():
    # with more than 25 samples torch.cdist takes a matrix-product shortcut that put copies ~1e-6 away
    ref = torch.rand(200, 1, 28, 28, generator=torch.Generator().manual_seed(0))
    dist, idx = generative.nearest_neighbour_distances(ref[:50], ref, return_index=True)
    assert idx.tolist() == list(range(50))
    assert (dist == 0).all()


def test_nearest_neighbour_distances_find_the_nearest_reference_image():
    ref = torch.zeros(3, 1, 2, 2)
    ref[1] += 0.5
    ref[2] += 1.0
    queries = torch.full((2, 1, 2, 2), 0.9)
    dist, idx = generative.nearest_neighbour_distances(queries, ref, return_index=True)
    assert idx.tolist() == [2, 2]
    assert dist == pytest.approx([0.2, 0.2])        # sqrt(4 * 0.1^2)


def test_fraction_closer_flags_copies_of_training_images_but_not_new_samples():
    rng = np.random.default_rng(0)
    train, heldout, fresh = (torch.from_numpy(rng.random((n, 1, 6, 6))).float() for n in (300, 200, 200))
    copies = (train[:200] + 0.01 * torch.from_numpy(rng.standard_normal((200, 1, 6, 6))).float()).clamp(0, 1)
    held = generative.nearest_neighbour_distances(heldout, train)
    f_copies = generative.fraction_closer(generative.nearest_neighbour_distances(copies, train), held)
    f_fresh = generative.fraction_closer(generative.nearest_neighbour_distances(fresh, train), held)
    assert f_copies == 1.0
    assert 0.35 < f_fresh < 0.65


def test_a_few_copies_escape_the_fractions_but_not_the_count_below_every_heldout_image():
    rng = np.random.default_rng(0)
    train, heldout, fresh = (torch.from_numpy(rng.random((n, 1, 6, 6))).float() for n in (300, 400, 400))
    leaky = torch.cat([fresh[:392], train[:8]])             # 2% exact copies among new samples
    checks = generative.memorisation_check({"leaky": leaky, "clean": fresh}, train, heldout)
    m = checks["leaky"]
    assert m["frac_p05"] < 0.1                              # the 5% test reads this as "no near-copies"
    assert m["n_closer_than_all"] >= 8                      # every copy is closer than every unseen image
    assert m["expected_by_chance"] == pytest.approx(400 / 401)
    clean = checks["clean"]
    assert clean["n_closer_than_all"] <= 5 and 0.35 < clean["frac_median"] < 0.65


def test_memorisation_check_in_feature_space_uses_the_classifiers_features():
    rng = np.random.default_rng(1)
    train, heldout = (torch.from_numpy(rng.random((n, 1, 28, 28))).float() for n in (50, 40))
    clf = models.SmallCNN(1, 3, width=4).eval()
    m = generative.memorisation_check({"copies": train[:10]}, train, heldout, classifier=clf)["copies"]
    assert m["n_closer_than_all"] == 10 and m["frac_median"] == 1.0   # copies: distance 0 in any space


# ----------------------------------------------------- features and classifiers

class TwoLayer(torch.nn.Module):
    def __init__(self):
        super().__init__()
        self.body = torch.nn.Sequential(torch.nn.Flatten(), torch.nn.Linear(4, 3), torch.nn.ReLU())
        self.head = torch.nn.Linear(3, 2)

    def forward(self, x):
        return self.head(self.body(x))


def test_features_are_the_input_of_the_last_linear_layer():
    torch.manual_seed(0)
    net = TwoLayer().train()
    x = torch.rand(5, 1, 2, 2)
    f = generative.features(net, x, batch_size=2)
    assert f.shape == (5, 3) and f.dtype == np.float64
    assert np.allclose(f, net.body(x).detach().numpy(), atol=1e-6)
    assert net.training                                   # the mode is restored


def test_features_of_smallcnn_have_4_width_dimensions_and_ignore_dropout():
    net = models.SmallCNN(1, 3, width=4, dropout=0.9)
    x = torch.rand(6, 1, 28, 28)
    f1, f2 = generative.features(net, x), generative.features(net, x)
    assert f1.shape == (6, 16) and np.array_equal(f1, f2)


@pytest.mark.parametrize("scale, fix", [(lambda x: 255 * x, "Divide by 255"),
                                        (lambda x: 2 * x - 1, r"\(x \+ 1\) / 2")])
def test_features_refuse_images_outside_0_1_and_say_how_to_map_them(scale, fix):
    with pytest.raises(ValueError, match=fix):
        generative.features(TwoLayer(), scale(torch.rand(4, 1, 2, 2)))


def test_features_refuse_an_empty_batch_and_a_zero_batch_size():
    with pytest.raises(ValueError, match="got 0 images"):
        generative.features(TwoLayer(), torch.rand(0, 1, 2, 2))
    with pytest.raises(ValueError, match="batch_size must be a positive int"):
        generative.features(TwoLayer(), torch.rand(4, 1, 2, 2), batch_size=0)


@pytest.mark.parametrize("labels, says", [([0, 1, 7, 1], r"in \[0, 2\); got min 0, max 7"),
                                          ([0, -1, 1, 1], r"got min -1"), ([0.0, 1.0, 1.0, 0.0], "integer")])
def test_class_accuracy_refuses_labels_that_are_not_class_indices(labels, says):
    with pytest.raises((ValueError, TypeError), match=says):
        generative.class_accuracy(TwoLayer(), torch.rand(4, 1, 2, 2), labels, n_classes=2)


def test_gaussian_baseline_refuses_a_count_that_is_not_positive():
    with pytest.raises(ValueError, match="n must be a positive int"):
        generative.gaussian_baseline(torch.rand(5, 1, 8, 8), 0)


def test_gaussian_baseline_says_when_it_has_too_few_images():
    with pytest.raises(ValueError, match="at least 2 images"):
        generative.gaussian_baseline(torch.rand(1, 1, 8, 8), 2)


def test_fraction_closer_refuses_the_distances_and_indices_tuple():
    d = np.array([1.0, 2.0, 3.0])
    with pytest.raises(TypeError, match="pass the distances only"):
        generative.fraction_closer((d, np.array([0, 1, 2])), d)


def test_fraction_closer_refuses_nan_distances():
    with pytest.raises(ValueError, match="NaN"):
        generative.fraction_closer(np.array([np.nan, 1.0]), np.array([1.0, 2.0]))


@pytest.mark.parametrize("q", [0, 1])
def test_fraction_closer_refuses_a_quantile_at_0_or_1(q):
    with pytest.raises(ValueError, match="q must lie strictly between 0 and 1"):
        generative.fraction_closer(np.array([1.0, 2.0]), np.array([1.0, 2.0]), q)


def test_fraction_closer_refuses_an_empty_set_of_held_out_distances():
    with pytest.raises(ValueError, match="both distance arrays must be non-empty"):
        generative.fraction_closer(np.array([1.0, 2.0]), np.array([]))


def test_a_sample_exactly_at_the_quantile_is_not_counted_as_closer():
    assert generative.fraction_closer(np.array([2.0, 1.0]), np.array([1.0, 2.0, 3.0]), 0.5) == 0.5


def test_a_sample_as_close_as_the_closest_held_out_image_is_not_counted_as_closer_than_every():
    assert generative.closer_than_every(np.array([1.0, 0.5]), np.array([1.0, 2.0])) == 1


def test_memorisation_check_refuses_an_empty_dict_of_sets():
    train = torch.rand(10, 1, 4, 4)
    with pytest.raises(TypeError, match="with at least one set"):
        generative.memorisation_check({}, train, train)


def test_class_accuracy_counts_per_class_and_marks_missing_classes():
    class Fixed(torch.nn.Module):          # predicts class 0 for dark images, class 1 for bright ones
        def __init__(self):
            super().__init__()
            self.w = torch.nn.Linear(1, 1)

        def forward(self, x):
            m = x.mean((1, 2, 3))[:, None]
            return torch.cat([0.5 - m, m - 0.5, -torch.ones_like(m)], 1)

    x = torch.cat([torch.zeros(3, 1, 4, 4), torch.ones(2, 1, 4, 4)])
    res = generative.class_accuracy(Fixed(), x, torch.tensor([0, 0, 1, 1, 1]), n_classes=3)
    assert res["accuracy"] == pytest.approx(4 / 5)
    assert res["per_class"][:2] == pytest.approx([1.0, 2 / 3]) and np.isnan(res["per_class"][2])


# ------------------------------------------------------------------- sampling

def test_generate_is_repeatable_with_the_seed_and_in_the_unit_range():
    G = Generator(z_dim=8, width=4)
    a, b, c = generative.generate(G, 5, seed=1), generative.generate(G, 5, seed=1), generative.generate(G, 5, seed=2)
    assert a.shape == (5, 1, 28, 28) and torch.equal(a, b) and not torch.equal(a, c)
    assert float(a.min()) >= 0 and float(a.max()) <= 1


def test_generate_with_truncation_feeds_the_same_noise_scaled_by_psi():
    torch.manual_seed(0)
    G = Generator(z_dim=8, width=4)
    z = torch.randn(6, 8, generator=torch.Generator().manual_seed(3))
    G.eval()
    with torch.no_grad():
        expected = G(0.5 * z)
    assert torch.allclose(generative.generate(G, 6, seed=3, truncation=0.5), expected, atol=1e-6)
    assert torch.equal(generative.generate(G, 6, seed=3, truncation=1.0), generative.generate(G, 6, seed=3))


def test_truncation_sweep_scores_the_same_noise_at_every_psi():
    torch.manual_seed(0)
    G, clf = Generator(z_dim=8, width=4), models.SmallCNN(1, 3, width=4)
    f_ref = generative.features(clf, torch.rand(40, 1, 28, 28, generator=torch.Generator().manual_seed(1)))
    sweep = generative.truncation_sweep(G, clf, f_ref, [1.0, 0.5], n=30, seed=2)
    assert list(sweep) == [1.0, 0.5] and all(set(m) == {"fd", "precision", "recall"} for m in sweep.values())
    for psi in (1.0, 0.5):
        f = generative.features(clf, generative.generate(G, 30, seed=2, truncation=psi))
        assert sweep[psi]["fd"] == pytest.approx(generative.frechet_distance(f, f_ref))
        assert sweep[psi]["precision"] == generative.precision_recall(f_ref, f)["precision"]
    assert sweep[1.0]["fd"] != sweep[0.5]["fd"]


def ladder_setup(n=30):
    torch.manual_seed(0)
    clf = models.SmallCNN(1, 3, width=4)
    f_ref = generative.features(clf, torch.rand(40, 1, 28, 28, generator=torch.Generator().manual_seed(1)))
    images = torch.rand(n, 1, 28, 28, generator=torch.Generator().manual_seed(2))
    return clf, f_ref, images


def test_degradation_ladder_starts_with_the_images_as_they_are_then_each_degradation_in_order():
    clf, f_ref, images = ladder_setup()
    ladder = generative.degradation_ladder(clf, f_ref, images, {"blur": [0.5, 1.0], "noise": [0.1]})
    assert list(ladder) == [("none", 0.0), ("blur", 0.5), ("blur", 1.0), ("noise", 0.1)]
    assert ladder[("none", 0.0)] == generative.sample_quality(f_ref, generative.features(clf, images))


def test_degradation_ladder_blurs_with_the_classical_gaussian_filter():
    from coursekit.degrade import gaussian_blur

    clf, f_ref, images = ladder_setup()
    ladder = generative.degradation_ladder(clf, f_ref, images, {"blur": [0.7]})
    blurred = generative.features(clf, gaussian_blur(images, 0.7))
    assert ladder[("blur", 0.7)] == generative.sample_quality(f_ref, blurred)
    assert ladder[("blur", 0.7)]["fd"] != ladder[("none", 0.0)]["fd"]


def test_degradation_ladder_adds_seeded_noise_clipped_to_the_unit_range():
    from coursekit.degrade import gaussian_noise

    clf, f_ref, images = ladder_setup()
    ladder = generative.degradation_ladder(clf, f_ref, images, {"noise": [0.3]}, seed=5)
    noisy = gaussian_noise(images, 0.3, seed=5).clamp(0, 1)
    assert ladder[("noise", 0.3)] == generative.sample_quality(f_ref, generative.features(clf, noisy))
    again = generative.degradation_ladder(clf, f_ref, images, {"noise": [0.3]}, seed=5)
    other = generative.degradation_ladder(clf, f_ref, images, {"noise": [0.3]}, seed=6)
    assert again == ladder and other[("noise", 0.3)] != ladder[("noise", 0.3)]


def test_degradation_ladder_defaults_to_the_chapter_s_blurs_and_noises():
    clf, f_ref, images = ladder_setup(n=12)
    ladder = generative.degradation_ladder(clf, f_ref, images)
    expected = [("none", 0.0)] + [(kind, s) for kind, sigmas in generative.DEGRADATIONS.items() for s in sigmas]
    assert list(ladder) == expected


@pytest.mark.parametrize("degradations, message", [
    ({"jpeg": [0.5]}, "expected the kinds 'blur' and/or 'noise'"),
    ({"blur": [0]}, "expected positive sigmas"),
    ({"blur": [-1.0]}, "expected positive sigmas"),
    ({"noise": [float("nan")]}, "expected positive sigmas"),
    ({"noise": ["0.1"]}, "expected positive sigmas"),
    ({"blur": [True]}, "expected positive sigmas"),
])
def test_degradation_ladder_rejects_unknown_kinds_and_sigmas_that_are_not_positive(degradations, message):
    clf, f_ref, images = ladder_setup(n=4)
    with pytest.raises(ValueError, match=message):
        generative.degradation_ladder(clf, f_ref, images, degradations)


def test_degradation_ladder_rejects_images_outside_the_unit_range():
    clf, f_ref, images = ladder_setup(n=4)
    with pytest.raises(ValueError, match=r"images: expected values in \[0, 1\]"):
        generative.degradation_ladder(clf, f_ref, images * 255)


def test_ladder_points_are_one_kind_from_the_undegraded_images_up_in_sigma_order(ladder):
    points = generative.ladder_points(dict(reversed(ladder.items())), "blur")
    assert [sigma for sigma, _ in points] == [0.0, 0.5, 1.0]
    assert points[0][1] == ladder[("none", 0.0)] and points[2][1] == ladder[("blur", 1.0)]
    with pytest.raises(ValueError, match="no 'jpeg' degradation"):
        generative.ladder_points(ladder, "jpeg")


def test_ladder_keys_name_the_floor_as_gan_json_does_and_each_degradation_by_its_sigma(ladder):
    keys = generative.ladder_to_keys(ladder)
    assert set(keys) == {"fd_real_floor", "precision_floor", "recall_floor",
                         *(f"{d}_{m}" for d in ("blur_s050", "blur_s100", "noise_s010") for m in ("fd", "precision", "recall"))}
    assert keys["blur_s050_precision"] == 0.5 and keys["fd_real_floor"] == 1.0


def test_ladder_from_keys_reads_back_the_ladder_that_was_written(ladder):
    keys = {**generative.ladder_to_keys(ladder), "n_eval": 500, "profile": "full"}
    back = generative.ladder_from_keys(keys)
    assert back == ladder and list(back) == list(ladder)


def test_ladder_from_the_committed_calibration_has_the_floor_of_gan_json():
    from coursekit import bench

    calibration, gan = bench.find_result("gan_calibration"), bench.find_result("gan")
    if calibration is None or gan is None:
        pytest.skip("benchmarks/results/gan_calibration.json or gan.json is not here")
    ladder = generative.ladder_from_keys(calibration)
    assert ladder[("none", 0.0)]["fd"] == pytest.approx(gan["fd_real_floor"], rel=1e-9)
    assert [k for k in ladder if k[0] == "blur"] == [("blur", s) for s in generative.DEGRADATIONS["blur"]]


def test_equivalent_degradation_interpolates_linearly_between_the_two_sigmas_around_the_value(ladder):
    assert generative.equivalent_degradation(ladder, "blur", "fd", 2.0) == pytest.approx(0.25)
    assert generative.equivalent_degradation(ladder, "blur", "fd", 7.0) == pytest.approx(0.75)
    assert generative.equivalent_degradation(ladder, "blur", "precision", 0.4) == pytest.approx(0.75)
    assert generative.equivalent_degradation(ladder, "noise", "fd", 1.5) == pytest.approx(0.05)
    assert generative.equivalent_degradation(ladder, "blur", "fd", 1.2) == pytest.approx(0.05)   # a tenth of the way


def test_equivalent_degradation_of_a_value_exactly_at_a_rung_is_that_rung_s_sigma(ladder):
    assert generative.equivalent_degradation(ladder, "blur", "fd", ladder[("blur", 0.5)]["fd"]) == 0.5


def test_equivalent_degradation_on_a_flat_stretch_is_its_smallest_sigma():
    flat = {("none", 0.0): {"fd": 1.0, "precision": 0.7, "recall": 0.7},
            ("blur", 0.5): {"fd": 1.0, "precision": 0.6, "recall": 0.6},
            ("blur", 1.0): {"fd": 3.0, "precision": 0.5, "recall": 0.5}}
    assert generative.equivalent_degradation(flat, "blur", "fd", 1.0) == 0.0


def test_equivalent_degradation_is_nan_outside_the_range_of_the_ladder(ladder):
    assert np.isnan(generative.equivalent_degradation(ladder, "blur", "fd", 0.5))    # better than the floor
    assert np.isnan(generative.equivalent_degradation(ladder, "blur", "fd", 20.0))   # worse than sigma 1


def test_equivalent_degradation_takes_the_smallest_sigma_when_the_metric_turns_back(ladder):
    ladder = {**ladder, ("blur", 1.5): {"fd": 2.0, "precision": 0.4, "recall": 0.1}}
    assert generative.equivalent_degradation(ladder, "blur", "fd", 2.0) == pytest.approx(0.25)


def test_equivalent_degradation_refuses_a_kind_or_metric_the_ladder_does_not_have(ladder):
    with pytest.raises(ValueError, match="no 'jpeg' degradation; it has \\['blur', 'noise'\\]"):
        generative.equivalent_degradation(ladder, "jpeg", "fd", 2.0)
    with pytest.raises(ValueError, match="metric must be"):
        generative.equivalent_degradation(ladder, "blur", "FD", 2.0)
    with pytest.raises(ValueError, match="no undegraded images"):
        generative.equivalent_degradation({k: v for k, v in ladder.items() if k[0] != "none"}, "blur", "fd", 2.0)


@pytest.mark.parametrize("bad", [0, -0.5, float("nan"), float("inf"), "0.7", True])
def test_generate_rejects_a_truncation_that_is_not_a_positive_number(bad):
    with pytest.raises(ValueError, match="truncation must be a positive number"):
        generative.generate(Generator(z_dim=8, width=4), 2, truncation=bad)


@pytest.mark.parametrize("seed", [None, "0"])
def test_generate_refuses_a_seed_that_would_not_repeat(seed):
    with pytest.raises(ValueError, match="seed must be an int >= 0"):
        generative.generate(Generator(z_dim=4, width=2), 2, seed=seed)


def test_generate_asks_a_conditional_generator_for_its_labels():
    cG = ConditionalGenerator(z_dim=4, n_classes=3, width=2)
    with pytest.raises(ValueError, match=r"conditional \(3 classes\): pass labels of shape \(4,\)"):
        generative.generate(cG, 4)
    with pytest.raises(ValueError, match="conditional"):
        generative.interpolate(cG, torch.zeros(4), torch.ones(4))


def test_generate_refuses_labels_for_an_unconditional_generator():
    with pytest.raises(ValueError, match="unconditional.*drop the labels"):
        generative.generate(Generator(z_dim=4, width=2), 4, labels=torch.zeros(4, dtype=torch.long))


@pytest.mark.parametrize("labels, error, says", [
    (torch.full((4,), 1.7), TypeError, "integer class indices"),
    (torch.tensor([0, 1, 2, 3]), ValueError, r"in \[0, 3\); got min 0, max 3"),
    (torch.tensor([0, -1, 2, 1]), ValueError, r"in \[0, 3\); got min -1"),
])
def test_generate_refuses_labels_that_are_not_class_indices(labels, error, says):
    with pytest.raises(error, match=says):
        generative.generate(ConditionalGenerator(z_dim=4, n_classes=3, width=2), 4, labels=labels)


def test_interpolate_starts_and_ends_at_the_two_codes():
    torch.manual_seed(0)
    G = Generator(z_dim=8, width=4)
    z0, z1 = torch.randn(8), torch.randn(8)
    path = generative.interpolate(G, z0, z1, steps=5)
    G.eval()
    with torch.no_grad():
        ends = G(torch.stack([z0, z1]))
    assert path.shape == (5, 1, 28, 28)
    assert torch.allclose(path[0], ends[0], atol=1e-6) and torch.allclose(path[-1], ends[1], atol=1e-6)


@pytest.mark.parametrize("steps", [1, 0])
def test_interpolate_needs_at_least_the_two_ends(steps):
    with pytest.raises(ValueError, match="steps must be an int >= 2"):
        generative.interpolate(Generator(z_dim=4, width=2), torch.zeros(4), torch.ones(4), steps=steps)


def test_interpolate_checks_the_shape_of_both_codes():
    with pytest.raises(ValueError, match=r"z0 and z1 must have shape \(4,\); got \(4,\) and \(5,\)"):
        generative.interpolate(Generator(z_dim=4, width=2), torch.zeros(4), torch.ones(5))


def test_class_samples_need_a_conditional_generator_and_a_valid_class():
    G = ConditionalGenerator(z_dim=8, n_classes=3, width=4)
    assert generative.class_samples(G, 2, n=4, seed=0).shape == (4, 1, 28, 28)
    with pytest.raises(ValueError, match=r"\[0, 3\)"):
        generative.class_samples(G, 3)
    with pytest.raises(TypeError, match="conditional"):
        generative.class_samples(Generator(z_dim=8, width=4), 0)


def test_montage_refuses_images_outside_0_1():
    with pytest.raises(ValueError, match="expected values in \\[0, 1\\]"):
        generative.montage(torch.rand(2, 1, 4, 4) * 3 - 1)


def test_montage_tiles_images_row_by_row_with_a_white_gap():
    x = torch.stack([torch.full((1, 2, 2), v) for v in (0.0, 0.25, 0.5)])
    m = generative.montage(x, ncols=2, pad=1)
    assert m.shape == (5, 5)
    assert m[0, 0] == 0.0 and m[0, 3] == 0.25 and m[3, 0] == 0.5 and m[0, 2] == 1.0 and m[3, 3] == 1.0


def test_montage_of_fewer_images_than_columns_is_as_wide_as_the_images():
    assert generative.montage(torch.rand(3, 1, 2, 2), ncols=8, pad=1).shape == (2, 8)


def test_montage_refuses_rgb_images():
    with pytest.raises(ValueError, match="montage draws grayscale images"):
        generative.montage(torch.rand(3, 3, 2, 2))


def test_montage_refuses_a_column_count_of_0():
    with pytest.raises(ValueError, match="ncols must be a positive int"):
        generative.montage(torch.rand(3, 1, 2, 2), ncols=0)


def test_gaussian_baseline_fits_fewer_images_than_components():
    """At most N - 1 components carry variance: 3 images are fitted with 2, whatever n_components asks,
    and sampled without an error."""
    out = generative.gaussian_baseline(torch.rand(3, 1, 4, 4, generator=torch.Generator().manual_seed(0)), 2,
                                       n_components=32)
    assert out.shape == (2, 1, 4, 4)


def test_gaussian_baseline_samples_have_the_data_shape_and_mean():
    rng = np.random.default_rng(0)
    x = torch.from_numpy(0.3 + 0.1 * rng.random((200, 1, 8, 8))).float()
    s = generative.gaussian_baseline(x, 500, n_components=5, seed=0)
    assert s.shape == (500, 1, 8, 8) and float(s.min()) >= 0 and float(s.max()) <= 1
    assert float((s.mean(0) - x.mean(0)).abs().max()) < 0.02


class PixelFeatures(torch.nn.Module):
    """A 'classifier' whose features (the input of its last linear layer) are the 8x8 pixels."""
    def __init__(self):
        super().__init__()
        self.body, self.head = torch.nn.Flatten(), torch.nn.Linear(64, 2)

    def forward(self, x):
        return self.head(self.body(x))


def test_choose_gaussian_components_takes_the_k_whose_samples_are_nearest_the_validation_features():
    rng = np.random.default_rng(0)
    basis = rng.normal(size=(6, 64))
    make = lambda n: torch.from_numpy(np.clip(0.5 + 0.05 * rng.normal(size=(n, 6)) @ basis
                                              + 0.01 * rng.normal(size=(n, 64)), 0, 1).reshape(n, 1, 8, 8)).float()
    train, val = make(400), make(300)
    f_val = val.flatten(1).double().numpy()
    best, fd = generative.choose_gaussian_components(PixelFeatures(), train, f_val, 300, ks=[2, 6, 32], seed=1)
    for k, v in fd.items():   # each score: that k's samples against the validation features, nothing else
        samples = generative.gaussian_baseline(train, 300, n_components=k, seed=1).flatten(1).double().numpy()
        assert v == pytest.approx(generative.frechet_distance(samples, f_val))
    assert sorted(fd) == [2, 6, 32] and fd[best] == min(fd.values())
    assert fd[2] > fd[6]   # two components miss four of the six directions the images vary in


def test_choose_gaussian_components_breaks_a_tie_towards_fewer_components(monkeypatch):
    monkeypatch.setattr(generative, "frechet_distance", lambda a, b: 1.0)
    best, _ = generative.choose_gaussian_components(PixelFeatures(), torch.rand(20, 1, 8, 8), np.zeros((5, 64)), 10,
                                                    ks=[16, 4, 8])
    assert best == 4


@pytest.mark.parametrize("ks", [[], [0, 8], [2.5], [True], 8, ["8"]])
def test_choose_gaussian_components_refuses_what_is_not_a_list_of_positive_ints(ks):
    with pytest.raises(ValueError, match="ks must be a non-empty list of positive ints"):
        generative.choose_gaussian_components(PixelFeatures(), torch.rand(20, 1, 8, 8), np.zeros((5, 64)), 10, ks=ks)


# ------------------------------------------------------------------ real data

def _real(flag):
    root = os.environ.get("COURSEKIT_DATA")
    if not root or not (Path(root) / f"{flag}.npz").is_file():
        pytest.skip(f"{flag}.npz not available (set COURSEKIT_DATA)")
    return data.load_medmnist(flag, "train", root=root), data.load_medmnist(flag, "test", root=root)


def test_training_slices_are_closer_to_the_training_set_than_test_slices_on_organamnist():
    """Why the memorisation check compares with the *test* split: OrganAMNIST's splits are
    patient-disjoint, and a training slice has neighbouring slices of the same patient in the
    training set, so other training images are closer to it than held-out patients' images are."""
    train, test = _real("organamnist")
    ref, others = train.images[:3000], train.images[3000:3400]
    held = generative.nearest_neighbour_distances(test.images[:400], ref)
    f = generative.fraction_closer(generative.nearest_neighbour_distances(others, ref), held)
    assert f > 0.6


def test_pixel_fd_of_real_organamnist_splits_is_far_below_that_of_a_blurry_baseline():
    train, test = _real("organamnist")
    flat = lambda x: x.flatten(1)[:, ::8].double().numpy()            # 98 pixel features
    floor = generative.frechet_distance(flat(train.images[:1000]), flat(test.images[:1000]))
    blurry = generative.gaussian_baseline(train.images[:2000], 1000, n_components=8, seed=0)
    assert generative.frechet_distance(flat(blurry), flat(test.images[:1000])) > 2 * floor


# ------------------------------------------------------------------- training

def test_train_gan_needs_labels_exactly_for_a_conditional_generator():
    x = torch.rand(8, 1, 28, 28)
    with pytest.raises(ValueError, match="exactly when G is conditional"):
        generative.train_gan(Generator(z_dim=4, width=2), Discriminator(width=2), x, torch.zeros(8, dtype=torch.long),
                             epochs=1, batch_size=4, device="cpu")
    with pytest.raises(ValueError, match="exactly when G is conditional"):
        generative.train_gan(ConditionalGenerator(z_dim=4, n_classes=2, width=2),
                             ConditionalDiscriminator(n_classes=2, width=2), x, epochs=1, batch_size=4, device="cpu")


def test_train_gan_names_its_checkpoint_by_data_and_settings_and_resumes(tmp_path):
    x = torch.rand(8, 1, 28, 28)
    kw = dict(epochs=1, batch_size=4, device="cpu", checkpoint=tmp_path / "g.pt", progress=False, verbose=False)
    first = generative.train_gan(Generator(z_dim=4, width=2), Discriminator(width=2), x, **kw)
    again = generative.train_gan(Generator(z_dim=4, width=2), Discriminator(width=2), x, **kw)  # resumes: no new file
    assert again["time_s"] == first["time_s"]   # nothing retrained
    generative.train_gan(Generator(z_dim=4, width=2), Discriminator(width=2), x.flip(0), **kw)  # other data
    assert len(list(tmp_path.glob("g-*.pt"))) == 2


def test_train_gan_gives_the_discriminator_its_own_learning_rate(tmp_path):
    x = torch.rand(8, 1, 28, 28)
    kw = dict(epochs=1, batch_size=4, device="cpu", progress=False, verbose=False)
    generative.train_gan(Generator(z_dim=4, width=2), Discriminator(width=2), x, lr=1e-4, lr_d=4e-4,
                         checkpoint=tmp_path / "ttur.pt", **kw)
    generative.train_gan(Generator(z_dim=4, width=2), Discriminator(width=2), x, lr=3e-4, lr_d=None,
                         checkpoint=tmp_path / "same.pt", **kw)
    lrs = {}
    for name in ("ttur", "same"):
        (path,) = tmp_path.glob(f"{name}-*.pt")
        opts = torch.load(path, weights_only=False)["optimizers"]
        lrs[name] = {k: o["param_groups"][0]["lr"] for k, o in opts.items()}
    assert lrs["ttur"] == {"G": 1e-4, "D": 4e-4}
    assert lrs["same"] == {"G": 3e-4, "D": 3e-4}


@pytest.fixture
def adam_rates(monkeypatch):
    """Records the learning rate of every Adam step: {id(optimizer): [rate of each step]}."""
    used = {}
    adam_step = torch.optim.Adam.step

    def recording_step(self, *args, **kwargs):
        used.setdefault(id(self), []).append(self.param_groups[0]["lr"])
        return adam_step(self, *args, **kwargs)

    monkeypatch.setattr(torch.optim.Adam, "step", recording_step)
    return used


def test_train_gan_lr_decay_lowers_both_rates_only_after_the_given_fraction(adam_rates):
    generative.train_gan(Generator(z_dim=4, width=2), Discriminator(width=2), torch.rand(8, 1, 28, 28),
                         epochs=4, batch_size=4, lr=1e-4, lr_d=4e-4, lr_decay_from=0.5, device="cpu",
                         progress=False, verbose=False)
    by_rate = {rates[0]: rates for rates in adam_rates.values()}   # two steps an epoch for each of G and D
    for lr0 in (1e-4, 4e-4):                                  # epochs 1-2 at lr0, then 3/4 and 1/4 of it
        assert by_rate[lr0] == pytest.approx([lr0] * 4 + [0.75 * lr0] * 2 + [0.25 * lr0] * 2)


def test_train_gan_lr_decay_changes_the_results(tmp_path):
    x = torch.rand(16, 1, 28, 28)
    out = {}
    for decay in (None, 0.0):
        G = Generator(z_dim=4, width=2)
        generative.train_gan(G, Discriminator(width=2), x, epochs=2, batch_size=4, device="cpu", seed=0,
                             lr=1e-2, lr_d=1e-2, lr_decay_from=decay, progress=False, verbose=False)
        out[decay] = generative.generate(G, 4, seed=0)
    assert not torch.allclose(out[None], out[0.0])


@pytest.mark.parametrize("bad", [1.0, -0.1, True, 2])
def test_train_gan_rejects_an_lr_decay_start_outside_the_run(bad):
    with pytest.raises(ValueError, match="lr_decay_from"):
        generative.train_gan(Generator(z_dim=4, width=2), Discriminator(width=2), torch.rand(8, 1, 28, 28),
                             epochs=2, batch_size=4, device="cpu", lr_decay_from=bad)


def test_train_gan_accepts_exactly_batch_size_times_d_steps_images():
    hist = generative.train_gan(Generator(z_dim=4, width=2), Discriminator(width=2), torch.rand(8, 1, 28, 28),
                                epochs=1, batch_size=4, d_steps=2, device="cpu", progress=False, verbose=False)
    assert hist["epoch"] == [1]


def test_train_gan_lr_decay_from_a_fraction_that_rounds_to_the_end_decays_over_the_last_epoch(adam_rates):
    """0.9 of 2 epochs rounds to epoch 2, past the last epoch to start from: the decay takes epoch 2 instead."""
    generative.train_gan(Generator(z_dim=4, width=2), Discriminator(width=2), torch.rand(8, 1, 28, 28),
                         epochs=2, batch_size=4, lr=1e-4, lr_d=4e-4, lr_decay_from=0.9, device="cpu",
                         progress=False, verbose=False)
    by_rate = {rates[0]: rates for rates in adam_rates.values()}   # two steps an epoch for each of G and D
    for lr0 in (1e-4, 4e-4):                                  # epoch 1 at lr0, epoch 2 at half of it
        assert by_rate[lr0] == pytest.approx([lr0] * 2 + [0.5 * lr0] * 2)


def ema_run(tmp_path=None, ema=True, decay=0.5, epochs=2, **kw):
    """A tiny seeded DCGAN run: (G, its average or None, the history)."""
    import copy
    torch.manual_seed(0)
    G = Generator(z_dim=4, width=2)
    G_ema = copy.deepcopy(G) if ema else None
    hist = generative.train_gan(G, Discriminator(width=2), torch.rand(16, 1, 28, 28, generator=torch.Generator()
                                                                         .manual_seed(1)),
                                epochs=epochs, batch_size=4, lr=1e-2, lr_d=1e-2, device="cpu", seed=0, ema=G_ema,
                                ema_decay=decay, progress=False, verbose=False,
                                checkpoint=None if tmp_path is None else tmp_path / "g.pt", **kw)
    return G, G_ema, hist


def test_train_gan_with_an_average_trains_g_exactly_as_without_it():
    G_with, G_ema, _ = ema_run(ema=True)
    G_without, _, _ = ema_run(ema=False)
    for a, b in zip(G_with.parameters(), G_without.parameters()):
        assert torch.equal(a, b)
    assert not all(torch.equal(a, b) for a, b in zip(G_ema.parameters(), G_with.parameters()))


def test_train_gan_keeps_the_average_of_g_after_every_step(monkeypatch):
    steps = []                                        # G's weights after each of its Adam steps
    adam_step = torch.optim.Adam.step

    def recording_step(self, *args, **kwargs):
        out = adam_step(self, *args, **kwargs)
        if self.param_groups[0]["params"][0].shape == G_params[0].shape:   # G's optimizer, not D's
            steps.append([p.detach().clone() for p in self.param_groups[0]["params"]])
        return out

    torch.manual_seed(0)
    G, D = Generator(z_dim=4, width=2), Discriminator(width=2)
    G_params = list(G.parameters())
    expected = [p.detach().clone() for p in G_params]   # the average starts at G's initial weights
    monkeypatch.setattr(torch.optim.Adam, "step", recording_step)
    import copy
    G_ema = copy.deepcopy(G)
    generative.train_gan(G, D, torch.rand(16, 1, 28, 28), epochs=2, batch_size=4, lr=1e-2, lr_d=1e-2,
                         device="cpu", ema=G_ema, ema_decay=0.5, progress=False, verbose=False)
    assert len(steps) == 8                            # 4 batches, 2 epochs
    for t, weights in enumerate(steps, start=1):      # the decay ramps up: 2/11, 3/12, ... then 0.5
        d = min(0.5, (1 + t) / (10 + t))
        expected = [d * e + (1 - d) * w for e, w in zip(expected, weights)]
    for e, a in zip(expected, G_ema.parameters()):
        assert torch.allclose(e, a, atol=1e-6)


def test_train_gan_with_decay_zero_leaves_the_average_equal_to_g():
    G, G_ema, _ = ema_run(decay=0.0)
    for k, v in G.state_dict().items():
        assert torch.equal(G_ema.state_dict()[k], v)


def test_train_gan_saves_the_average_in_the_checkpoint_and_resumes_it(tmp_path):
    def stop_after_one_epoch(models):
        if len(list(tmp_path.glob("a/g-*.pt"))):
            raise KeyboardInterrupt
        return {}

    (tmp_path / "a").mkdir()
    with pytest.raises(KeyboardInterrupt):
        ema_run(tmp_path / "a", val_fn=stop_after_one_epoch)            # epoch 1 saved, epoch 2 stopped
    saved = torch.load(next(tmp_path.glob("a/g-*.pt")), weights_only=False)
    _, resumed, hist = ema_run(tmp_path / "a")
    _, whole, _ = ema_run()
    assert len(hist["epoch"]) == 2
    assert hist["time_s"][:1] == saved["history"]["time_s"]   # epoch 1 came from the checkpoint
    for a, b in zip(resumed.parameters(), whole.parameters()):
        assert torch.allclose(a, b, atol=1e-6)


def test_train_gan_gives_runs_with_and_without_an_average_different_checkpoints(tmp_path):
    ema_run(tmp_path, ema=False, epochs=1)
    ema_run(tmp_path, ema=True, epochs=1)
    assert len(list(tmp_path.glob("g-*.pt"))) == 2


def test_train_gan_rejects_g_itself_another_architecture_or_a_decay_of_one_for_the_average():
    G, x = Generator(z_dim=4, width=2), torch.rand(8, 1, 28, 28)
    kw = dict(epochs=1, batch_size=4, device="cpu", progress=False, verbose=False)
    with pytest.raises(TypeError, match="separate copy of G"):
        generative.train_gan(G, Discriminator(width=2), x, ema=G, **kw)
    with pytest.raises(ValueError, match="G's architecture"):
        generative.train_gan(G, Discriminator(width=2), x, ema=Generator(z_dim=4, width=4), **kw)
    with pytest.raises(ValueError, match="ema_decay must be a number in"):
        generative.train_gan(G, Discriminator(width=2), x, ema=Generator(z_dim=4, width=2), ema_decay=1.0, **kw)


def test_train_gan_with_d_steps_updates_d_that_many_times_per_update_of_g(monkeypatch):
    counts = {}                                        # optimizer -> its number of steps
    adam_step = torch.optim.Adam.step

    def counting_step(self, *args, **kwargs):
        counts[self.param_groups[0]["lr"]] = counts.get(self.param_groups[0]["lr"], 0) + 1
        return adam_step(self, *args, **kwargs)

    monkeypatch.setattr(torch.optim.Adam, "step", counting_step)
    generative.train_gan(Generator(z_dim=4, width=2), Discriminator(width=2), torch.rand(16, 1, 28, 28),
                         epochs=2, batch_size=4, lr=1e-4, lr_d=4e-4, d_steps=2, device="cpu",
                         progress=False, verbose=False)
    assert counts == {1e-4: 4, 4e-4: 8}                # 16 images: 2 batches of 2 x 4 per epoch


def test_train_gan_gives_runs_with_other_d_steps_different_checkpoints(tmp_path):
    for d_steps in (1, 2):
        generative.train_gan(Generator(z_dim=4, width=2), Discriminator(width=2), torch.rand(16, 1, 28, 28),
                             epochs=1, batch_size=4, d_steps=d_steps, device="cpu", checkpoint=tmp_path / "g.pt",
                             progress=False, verbose=False)
    assert len(list(tmp_path.glob("g-*.pt"))) == 2


def test_a_generator_changed_only_in_its_activation_never_resumes_the_other_generators_run(tmp_path):

    def generator(activation):   # same class name, same parameters, another network
        G = Generator(z_dim=4, width=2)
        for name, module in G.named_modules():
            for child_name, child in module.named_children():
                if isinstance(child, torch.nn.ReLU):
                    setattr(module, child_name, activation())
        return G

    images, finals = torch.rand(16, 1, 28, 28, generator=torch.Generator().manual_seed(0)), []
    for activation in (torch.nn.ReLU, torch.nn.ELU):
        G = generator(activation)
        hist = generative.train_gan(G, Discriminator(width=2), images, epochs=1, batch_size=4,
                                    device="cpu", checkpoint=tmp_path / "g.pt", progress=False, verbose=False)
        finals.append(hist["train_g_loss"][-1])
    assert len(list(tmp_path.glob("g-*.pt"))) == 2
    assert finals[0] != finals[1]   # the second run trained; it did not return the first run's history


def test_train_gan_rejects_a_bad_d_steps_and_too_few_images_for_it():
    kw = dict(epochs=1, batch_size=4, device="cpu", progress=False, verbose=False)
    with pytest.raises(ValueError, match="d_steps .* must be a positive int"):
        generative.train_gan(Generator(z_dim=4, width=2), Discriminator(width=2), torch.rand(8, 1, 28, 28),
                             d_steps=0, **kw)
    with pytest.raises(ValueError, match="batch_size \\* d_steps = 12 images; got 8"):
        generative.train_gan(Generator(z_dim=4, width=2), Discriminator(width=2), torch.rand(8, 1, 28, 28),
                             d_steps=3, **kw)


def test_frechet_distance_and_precision_recall_take_bfloat16_features_as_autocast_gives_them():
    g = torch.Generator().manual_seed(0)
    a, b = torch.randn(50, 4, generator=g).bfloat16(), (torch.randn(50, 4, generator=g) + 0.5).bfloat16()
    assert generative.frechet_distance(a, b) == generative.frechet_distance(a.float(), b.float())
    assert generative.precision_recall(a, b) == generative.precision_recall(a.float(), b.float())


# ------------------------------------------------------- bad input says what was expected

def test_memorisation_check_in_pixels_refuses_samples_on_another_scale():
    """Copies of training images x 255 used to score frac_median 0, read as 'off the data'."""
    train, held = torch.rand(20, 1, 4, 4), torch.rand(20, 1, 4, 4)
    with pytest.raises(ValueError, match=r"samples\['g'\].*Divide by 255"):
        generative.memorisation_check({"g": train[:5] * 255}, train, held)


def test_memorisation_check_wants_a_dict_of_named_sets():
    train = torch.rand(10, 1, 4, 4)
    with pytest.raises(TypeError, match=r"samples: expected \{name: images\}"):
        generative.memorisation_check(train[:3], train, train)


@pytest.mark.parametrize("queries, reference, says", [
    (torch.full((2, 1, 4, 4), float("nan")), torch.rand(5, 1, 4, 4), "queries: contains NaN"),
    (torch.rand(2, 1, 4, 4), torch.rand(0, 1, 4, 4), "reference: got 0 samples"),
    (torch.rand(0, 1, 4, 4), torch.rand(5, 1, 4, 4), "queries: got 0 samples"),
    (torch.rand(5), torch.rand(5), r"queries: expected \(N, ...\) with N samples")])
def test_nearest_neighbour_distances_refuse_nan_and_empty_sets(queries, reference, says):
    with pytest.raises(ValueError, match=says):
        generative.nearest_neighbour_distances(queries, reference)


def test_class_accuracy_refuses_images_outside_0_1():
    with pytest.raises(ValueError, match="Divide by 255"):
        generative.class_accuracy(TwoLayer(), 255 * torch.rand(4, 1, 2, 2), [0, 1, 0, 1])


def test_class_accuracy_refuses_a_batch_size_of_0():
    with pytest.raises(ValueError, match="batch_size must be a positive int"):
        generative.class_accuracy(TwoLayer(), torch.rand(4, 1, 2, 2), [0, 1, 0, 1], batch_size=0)


@pytest.mark.parametrize("labels, n_classes", [([0, 1, 2, 1], None), ([0, 1, 1, 0], 3)])
def test_class_accuracy_refuses_classes_the_classifier_has_no_output_for(labels, n_classes):
    """TwoLayer has 2 outputs: class 2 can never be predicted, so its accuracy would read 0."""
    with pytest.raises(ValueError, match="classifier has 2 outputs"):
        generative.class_accuracy(TwoLayer(), torch.rand(4, 1, 2, 2), labels, n_classes=n_classes)


def test_class_accuracy_says_to_cast_float64_images_to_the_classifier_s_dtype():
    with pytest.raises(TypeError, match=r"float32.*\.float\(\)"):
        generative.class_accuracy(TwoLayer(), torch.rand(4, 1, 2, 2, dtype=torch.float64), [0, 1, 0, 1])


def test_features_say_to_cast_float64_images_to_the_classifier_s_dtype():
    with pytest.raises(TypeError, match=r"float32.*\.float\(\)"):
        generative.features(TwoLayer(), torch.rand(4, 1, 2, 2, dtype=torch.float64))


def _template(n_classes=3):
    return data.MedMNIST(images=torch.rand(4, 1, 28, 28), labels=torch.tensor([0, 1, 2, 0]), flag="organamnist",
                         split="train", size=28, task="multi-class", label_names=[str(i) for i in range(n_classes)],
                         n_classes=n_classes)


@pytest.mark.parametrize("labels, error, says", [
    ([0, 9, 1, 2], ValueError, r"in \[0, 3\); got min 0, max 9"),
    ([0, -5, 1, 2], ValueError, "got min -5"),
    ([0.7, 1.0, 1.0, 2.0], TypeError, "integer")])
def test_as_dataset_refuses_labels_that_are_not_the_template_s_classes(labels, error, says):
    with pytest.raises(error, match=says):
        generative.as_dataset(_template(), torch.rand(4, 1, 28, 28), labels)


def test_as_dataset_refuses_images_of_another_size_than_the_template_s():
    with pytest.raises(ValueError, match=r"\(1, 28, 28\).*\(3, 64, 64\)"):
        generative.as_dataset(_template(), torch.rand(4, 3, 64, 64), [0, 1, 2, 0])


def test_gaussian_baseline_refuses_images_outside_0_1():
    with pytest.raises(ValueError, match="Divide by 255"):
        generative.gaussian_baseline(255 * torch.rand(5, 1, 8, 8), 2)


@pytest.mark.parametrize("dtype", [np.uint8, np.int64, bool])
def test_frechet_distance_refuses_integer_features_that_are_likely_pixels(dtype):
    feats = (np.random.default_rng(0).random((10, 4)) * 2).astype(dtype)
    with pytest.raises(TypeError, match="float"):
        generative.frechet_distance(feats, np.random.default_rng(1).random((10, 4)))


def test_precision_recall_takes_a_numpy_integer_k():
    a = np.random.default_rng(0).random((20, 3))
    assert generative.precision_recall(a, a, k=np.int64(3)) == generative.precision_recall(a, a, k=3)


@pytest.mark.parametrize("batch_size", [1, 0, 2.5])
def test_train_gan_needs_a_batch_of_at_least_two_images_for_batch_norm(batch_size):
    G, D = Generator(z_dim=8, width=4), models.gan.Discriminator(width=4)
    with pytest.raises(ValueError, match="batch_size"):
        generative.train_gan(G, D, torch.rand(8, 1, 28, 28), epochs=1, batch_size=batch_size)


def test_memorisation_check_tells_copies_from_flat_samples_by_their_distinct_nearest_images():
    """Flat grey samples sit close, in pixels, to the same dark training image: they inflate the
    5th-percentile fraction like copies do, but copies of different images have different neighbours."""
    rng = np.random.default_rng(0)
    train = torch.from_numpy(rng.random((100, 1, 6, 6))).float()
    train[:3] = 0.05 + 0.01 * torch.from_numpy(rng.random((3, 1, 6, 6))).float()   # a few dark, flat slices
    heldout = torch.from_numpy(rng.random((100, 1, 6, 6))).float()
    flat = torch.full((20, 1, 6, 6), 0.05)
    checks = generative.memorisation_check({"flat": flat, "copies": train[10:30]}, train, heldout)
    assert checks["flat"]["frac_p05"] == 1.0 and checks["copies"]["frac_p05"] == 1.0
    assert checks["flat"]["n_distinct_nearest_p05"] <= 3
    assert checks["copies"]["n_distinct_nearest_p05"] == 20


def test_recall_covers_real_samples_inside_a_wider_generated_set():
    """Recall measures the real samples inside the *generated* manifold, whose balls have the
    generated samples' own radii: a set three times wider covers the reals (recall near 1), while
    many of its samples lie outside the real manifold (precision lower)."""
    rng = np.random.default_rng(0)
    real, wide = rng.standard_normal((400, 2)), 3 * rng.standard_normal((400, 2))
    pr = generative.precision_recall(real, wide, k=3)
    assert pr["recall"] > 0.95 and pr["precision"] < 0.6


def test_precision_and_recall_match_a_brute_force_k_nearest_neighbour_count():
    rng = np.random.default_rng(1)
    real, fake = rng.standard_normal((60, 3)), 0.5 + rng.standard_normal((50, 3))

    def inside(points, centres, k):
        d_cc = np.linalg.norm(centres[:, None] - centres[None], axis=2)
        radius = np.sort(d_cc, axis=1)[:, k]          # column 0 is the centre itself
        d_pc = np.linalg.norm(points[:, None] - centres[None], axis=2)
        return float((d_pc <= radius[None]).any(1).mean())

    pr = generative.precision_recall(real, fake, k=4)
    assert pr == {"precision": pytest.approx(inside(fake, real, 4)), "recall": pytest.approx(inside(real, fake, 4))}


def test_new_samples_fall_below_the_5th_percentile_of_held_out_distances_about_5_percent_of_the_time():
    rng = np.random.default_rng(2)
    train, heldout, fresh = (torch.from_numpy(rng.random((n, 1, 4, 4))).float() for n in (500, 1500, 1500))
    m = generative.memorisation_check({"fresh": fresh}, train, heldout)["fresh"]
    assert 0.03 < m["frac_p05"] < 0.075 and 0.44 < m["frac_median"] < 0.56


def test_train_gan_gives_another_seed_or_other_labels_another_checkpoint_and_other_weights(tmp_path):
    """A run with another seed (or the same images with other labels) must train anew, not resume
    the first run's checkpoint."""
    x, y = torch.rand(8, 1, 28, 28), torch.tensor([0, 1] * 4)
    kw = dict(epochs=1, batch_size=4, device="cpu", checkpoint=tmp_path / "g.pt", progress=False, verbose=False)
    Gs = []
    for seed, labels in ((0, y), (1, y), (0, y.flip(0))):
        torch.manual_seed(0)
        G = ConditionalGenerator(z_dim=4, n_classes=2, width=2)
        generative.train_gan(G, ConditionalDiscriminator(n_classes=2, width=2), x, labels, seed=seed, **kw)
        Gs.append(G)
    assert len(list(tmp_path.glob("g-*.pt"))) == 3
    first_weights = [next(iter(G.parameters())) for G in Gs]   # the same at the start (seeded init)
    assert not torch.equal(first_weights[0], first_weights[1])


def test_class_samples_refuse_a_class_that_is_not_a_whole_number():
    """1.7 used to be cut to class 1 without a word."""
    G = ConditionalGenerator(z_dim=4, n_classes=3, width=2)
    with pytest.raises(ValueError, match="y must be a class index"):
        generative.class_samples(G, 1.7)


# ------------------------------------------------------------------ widgets

@pytest.fixture
def no_display(monkeypatch):
    import matplotlib
    matplotlib.use("Agg")
    monkeypatch.setattr("IPython.display.display", lambda *objs, **kw: None)
    yield
    import matplotlib.pyplot as plt
    plt.close("all")


def test_latent_explorer_opens_on_the_line_between_its_first_two_seeds(no_display):
    """It opened on seed 25 to seed 25: seven identical frames."""
    box = generative.latent_explorer(Generator(z_dim=8, width=4), steps=8)
    assert [c.value for c in box.children[:3]] == [0, 1, 8]


def test_latent_explorer_takes_steps_and_seeds_beyond_its_sliders_default_ranges(no_display):
    box = generative.latent_explorer(Generator(z_dim=8, width=4), steps=16, settings=((60, 61),))
    assert [c.value for c in box.children[:3]] == [60, 61, 16]


def test_class_explorer_opens_on_its_first_class_at_seed_0(no_display):
    G = ConditionalGenerator(z_dim=8, n_classes=3, width=4)
    box = generative.class_explorer(G, ["a", "b", "c"], n=4, shown=["b", "c"])
    assert [c.value for c in box.children[:2]] == ["b", 0]


def test_class_explorer_refuses_names_that_do_not_name_each_class_once():
    G = ConditionalGenerator(z_dim=8, n_classes=3, width=4)
    with pytest.raises(ValueError, match="one name per class: 3 classes, 2 names"):
        generative.class_explorer(G, ["a", "b"])
    with pytest.raises(ValueError, match="one name per class: 3 classes, 4 names"):
        generative.class_explorer(G, ["a", "b", "c", "d"])
    with pytest.raises(ValueError, match=r"repeated: \['a'\]"):
        generative.class_explorer(G, ["a", "b", "a"])
    with pytest.raises(ValueError, match=r"shown: 'd' is not one of"):
        generative.class_explorer(G, ["a", "b", "c"], shown=["d"])

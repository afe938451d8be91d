"""The class-imbalance experiment (coursekit.imbalance, notebook 05c): subsets, remedies, summary, verdicts."""
import pytest
import torch

from coursekit import data, generative, imbalance


@pytest.mark.parametrize("n", [0, -1, True])
def test_classical_augment_refuses_a_count_that_is_not_positive(n):
    with pytest.raises(ValueError, match="n must be a positive int"):
        imbalance.classical_augment(torch.rand(5, 1, 8, 8), n)


def test_classical_augment_says_when_it_has_no_images():
    with pytest.raises(ValueError, match="got 0 images"):
        imbalance.classical_augment(torch.rand(0, 1, 8, 8), 2)


@pytest.mark.parametrize("seed", [None, "0"])
def test_classical_augment_refuses_a_seed_that_would_not_repeat(seed):
    with pytest.raises(ValueError, match="seed must be an int >= 0"):
        imbalance.classical_augment(torch.rand(4, 1, 8, 8), 2, seed=seed)


def test_class_weights_refuse_labels_beyond_n_classes():
    with pytest.raises(ValueError, match=r"in \[0, 2\); got min 0, max 3"):
        imbalance.class_weights(torch.tensor([0, 1, 2, 3]), 2)


@pytest.fixture(scope="module")
def organ_phantoms():
    with pytest.warns(data.FallbackDataWarning):
        return data.load_medmnist("organamnist", "val", root="/nonexistent-dir", download=False)


def test_imbalanced_subset_keeps_the_minority_class_at_the_requested_fraction(organ_phantoms):
    sub = imbalance.imbalanced_subset(organ_phantoms, minority=3, fraction=0.05, n=114, seed=0)
    counts = torch.bincount(sub.labels, minlength=sub.n_classes)
    assert counts.sum() - counts[3] == 114
    assert counts[3] == round(0.05 / 0.95 * 114) == 6
    assert sub.images.shape == (120, 1, 28, 28)


def test_extra_needed_brings_the_minority_class_up_to_the_mean_count_of_the_others(organ_phantoms):
    sub = imbalance.imbalanced_subset(organ_phantoms, minority=3, fraction=0.05, n=110, seed=0)
    n_target, n_extra = imbalance.extra_needed(sub, 3)
    assert n_target == 110 // (sub.n_classes - 1) == 11       # 110 images of the 10 other organs
    assert n_extra == n_target - int((sub.labels == 3).sum()) == 11 - 6


def test_extra_needed_refuses_a_class_that_is_not_a_minority(organ_phantoms):
    balanced = organ_phantoms.subset(110, seed=0)
    common = int(torch.bincount(balanced.labels, minlength=balanced.n_classes).argmax())
    with pytest.raises(ValueError, match=f"class {common} is not a minority here"):
        imbalance.extra_needed(balanced, common)


@pytest.mark.parametrize("minority", [-1, 11])
def test_extra_needed_refuses_a_minority_that_is_not_a_class(organ_phantoms, minority):
    with pytest.raises(ValueError, match=r"minority must be a class index in \[0, 11\)"):
        imbalance.extra_needed(organ_phantoms, minority)


def test_classical_augment_keeps_shape_and_range_and_never_flips():
    x = torch.zeros(1, 1, 28, 28)
    x[0, 0, 10:18, 2:8] = 1.0                        # a bright block on the left
    out = imbalance.classical_augment(x, 20, seed=0)
    assert out.shape == (20, 1, 28, 28) and float(out.min()) >= 0 and float(out.max()) <= 1
    left, right = out[..., :14].sum((1, 2, 3)), out[..., 14:].sum((1, 2, 3))
    assert (left > 5 * right).all()                 # still on the left: no left-right flip
    assert not torch.equal(out[0], out[1])


def test_class_weights_are_inverse_frequencies_with_mean_one_on_balanced_data():
    w = imbalance.class_weights(torch.tensor([0, 0, 0, 1]), 2)
    assert w.tolist() == pytest.approx([4 / 6, 2.0])
    assert imbalance.class_weights(torch.tensor([0, 1, 2]), 3).tolist() == [1.0, 1.0, 1.0]


TRIAL_KW = dict(n_others=100, fraction=0.02, clf_width=4, clf_epochs=1, batch_size=16, z_dim=8, gan_width=4,
                gan_epochs=1, device="cpu")


@pytest.fixture(scope="module")
def recorded_trial(organ_phantoms, tmp_path_factory):
    """One small trial: its rows, its checkpoint folder, and the training set of each arm."""
    from coursekit import classify
    folder, sets, real_train = tmp_path_factory.mktemp("trial"), [], classify.train_classifier

    def recording(model, train_data, *args, **kwargs):
        sets.append(train_data)
        return real_train(model, train_data, *args, **kwargs)
    with pytest.MonkeyPatch.context() as mp:
        mp.setattr(classify, "train_classifier", recording)
        rows = imbalance.trial(organ_phantoms, organ_phantoms, organ_phantoms, 3, 0, checkpoint_dir=str(folder),
                               **TRIAL_KW)
    return rows, folder, dict(zip(imbalance.ARMS, sets))


def test_trial_returns_one_scored_row_per_arm_with_the_time_of_its_histories(organ_phantoms, recorded_trial):
    rows, folder, _ = recorded_trial
    assert [r["arm"] for r in rows] == list(imbalance.ARMS)
    for r in rows:
        assert 0 <= r["minority recall"] <= 1 and 0 <= r["balanced accuracy"] <= 1 and 0 <= r["accuracy"] <= 1
        assert r["train seconds"] > 0
    seconds = {p.name: sum(torch.load(p, weights_only=False)["history"]["time_s"]) for p in folder.glob("*.pt")}
    assert len(seconds) == 1 + len(rows)                    # the cGAN and one classifier per arm
    # every history counted once: the cGAN's in its arm only, each classifier's in its own arm
    assert sum(r["train seconds"] for r in rows) == pytest.approx(sum(seconds.values()))
    again = imbalance.trial(organ_phantoms, organ_phantoms, organ_phantoms, 3, 0,
                            checkpoint_dir=str(folder), **TRIAL_KW)    # resumed: nothing trained
    assert [r["train seconds"] for r in again] == pytest.approx([r["train seconds"] for r in rows])


def test_conditional_gan_resumes_the_gan_whose_samples_the_cgan_arm_trained_on(recorded_trial):
    """05c shows the samples of the GAN behind the cGAN arm: conditional_gan, with the trial's
    folder, must give back that GAN (resumed, not trained again)."""
    from coursekit.generative import generate
    _, folder, sets = recorded_trial
    plain = sets["plain"]
    kw = {k: TRIAL_KW[k] for k in ("z_dim", "gan_width", "gan_epochs", "batch_size", "device")}
    cG, _ = imbalance.conditional_gan(plain, 0, checkpoint_dir=str(folder), **kw)
    _, n_extra = imbalance.extra_needed(plain, 3)
    added = sets["cGAN samples"].images[len(plain):]
    assert torch.equal(generate(cG, n_extra, labels=torch.full((n_extra,), 3), seed=0).float().cpu(), added)
    assert len(list(folder.glob("05c_cgan-*.pt"))) == 1


def test_trial_gives_each_arm_the_training_set_it_names(organ_phantoms, recorded_trial):
    sets = recorded_trial[2]
    plain = sets["plain"]
    n_target, _ = imbalance.extra_needed(plain, 3)
    assert len(sets) == len(imbalance.ARMS) and sets["re-weighting"] is plain
    for arm in ("classical augmentation", "cGAN samples", "more real images (reference)"):
        is_min = sets[arm].labels == 3
        assert int(is_min.sum()) == n_target, arm                          # up to the others' mean count
        assert torch.equal(sets[arm].images[~is_min], plain.images[plain.labels != 3]), arm   # others untouched
    # the reference arm's minority images are real ones, and include those the other arms have
    reference = sets["more real images (reference)"]
    extra = reference.images[reference.labels == 3].flatten(1)
    pool = organ_phantoms.images[organ_phantoms.labels == 3].flatten(1)
    assert all(bool((pool == x).all(1).any()) for x in extra)
    assert all(bool((extra == x.flatten()).all(1).any()) for x in plain.images[plain.labels == 3])


def imbalance_rows(recall_by_arm):
    """Rows as imbalance.trial returns them: {arm: [minority recall of seed 0, seed 1, ...]}."""
    return [{"seed": seed, "arm": arm, "minority recall": r, "balanced accuracy": 0.8, "accuracy": 0.9}
            for arm, recalls in recall_by_arm.items() for seed, r in enumerate(recalls)]


def test_summarise_pairs_each_arm_with_plain_on_the_same_seed():
    recalls = {arm: [0.2, 0.4, 0.6] for arm in imbalance.ARMS}
    recalls["cGAN samples"] = [0.3, 0.5, 0.7]              # +0.1 on every seed: no spread at all
    s = imbalance.summarise(imbalance_rows(recalls))
    assert s["n_seeds"] == 3
    assert s["minority_recall_plain_mean"] == pytest.approx(0.4)
    assert s["minority_recall_plain_std"] == pytest.approx(0.2)
    assert s["minority_recall_cgan_diff_mean"] == pytest.approx(0.1)
    assert s["minority_recall_cgan_diff_se"] == pytest.approx(0.0, abs=1e-12)
    assert s["balanced_acc_reweight_diff_mean"] == 0.0


def test_table_calls_an_arm_better_only_beyond_two_standard_errors_with_three_seeds():
    recalls = {arm: [0.2, 0.4, 0.6] for arm in imbalance.ARMS}
    recalls["cGAN samples"] = [0.3, 0.5, 0.7]              # consistently better
    recalls["re-weighting"] = [0.5, 0.2, 0.6]              # +0.3, -0.2, 0: noise
    recalls["classical augmentation"] = [0.1, 0.3, 0.5]     # consistently worse
    verdict = imbalance.table(imbalance.summarise(imbalance_rows(recalls)))[
        "minority recall: verdict"]
    assert verdict["cGAN samples"] == "better"
    assert verdict["re-weighting"] == "not distinguishable"
    assert verdict["classical augmentation"] == "worse"
    assert verdict["plain"] == "-"


def test_table_refuses_a_verdict_with_fewer_than_three_seeds():
    recalls = {arm: [0.2, 0.4] for arm in imbalance.ARMS}
    recalls["cGAN samples"] = [0.9, 0.9]
    table = imbalance.table(imbalance.summarise(imbalance_rows(recalls)))
    assert table.loc["cGAN samples", "minority recall: verdict"] == "too few seeds"


def test_summarise_needs_every_arm_for_every_seed():
    rows = imbalance_rows({arm: [0.2, 0.4] for arm in imbalance.ARMS})
    with pytest.raises(ValueError, match="missing"):
        imbalance.summarise(rows[1:])


def test_table_for_one_metric_has_its_five_columns_and_the_same_verdicts():
    recalls = {arm: [0.2, 0.4, 0.6] for arm in imbalance.ARMS}
    recalls["cGAN samples"] = [0.3, 0.5, 0.7]
    summary = imbalance.summarise(imbalance_rows(recalls))
    narrow = imbalance.table(summary, "minority recall")
    assert list(narrow.columns) == ["mean", "std", "Δ vs plain", "se", "verdict"]
    assert narrow.index.name == "minority recall, by arm (3 seeds)"
    wide = imbalance.table(summary)
    assert narrow["verdict"].equals(wide["minority recall: verdict"].rename("verdict"))
    assert narrow["mean"].equals(wide["minority recall"].rename("mean"))


def test_table_refuses_an_unknown_metric():
    summary = imbalance.summarise(imbalance_rows({arm: [0.2, 0.4, 0.6] for arm in imbalance.ARMS}))
    with pytest.raises(ValueError, match="minority recall"):
        imbalance.table(summary, "recall")


def test_findings_state_each_arms_verdict_with_its_paired_difference():
    recalls = {arm: [0.2, 0.4, 0.6] for arm in imbalance.ARMS}
    recalls["cGAN samples"] = [0.3, 0.5, 0.7]                  # +0.1 on every seed
    recalls["classical augmentation"] = [0.1, 0.3, 0.5]         # -0.1 on every seed
    text = imbalance.findings(imbalance.summarise(imbalance_rows(recalls)), "kidney-left")
    assert text.startswith("Over 3 seeds")
    assert "recall of kidney-left" in text
    assert "cGAN samples: better (+0.100 ± 0.000)" in text
    assert "classical augmentation: worse (-0.100 ± 0.000)" in text


def test_findings_name_no_winner_with_fewer_than_three_seeds():
    recalls = {arm: [0.2, 0.4] for arm in imbalance.ARMS}
    recalls["cGAN samples"] = [0.9, 0.9]
    text = imbalance.findings(imbalance.summarise(imbalance_rows(recalls)))
    assert "With 2 seeds" in text and "better" not in text


def test_summarise_keeps_every_seeds_value_so_any_two_arms_can_be_paired_later():
    recalls = {arm: [0.2, 0.4, 0.6] for arm in imbalance.ARMS}
    recalls["cGAN samples"] = [0.3, 0.5, 0.7]
    s = imbalance.summarise(imbalance_rows(recalls))
    assert [s[f"minority_recall_cgan_seed{seed}"] for seed in range(3)] == [0.3, 0.5, 0.7]
    assert s["balanced_acc_plain_seed2"] == 0.8


def test_findings_judge_the_cgan_against_the_cheap_remedies_not_only_against_plain():
    recalls = {arm: [0.2, 0.4, 0.6] for arm in imbalance.ARMS}
    recalls["cGAN samples"] = [0.3, 0.5, 0.7]                  # better than plain on every seed
    recalls["re-weighting"] = [0.4, 0.6, 0.8]                  # but re-weighting is better still
    s = imbalance.summarise(imbalance_rows(recalls))
    assert s["minority_recall_cgan_vs_reweight_diff_mean"] == pytest.approx(-0.1)
    text = imbalance.findings(s, "kidney-left")
    assert "cGAN samples: better (+0.100 ± 0.000)" in text
    assert "against re-weighting: worse (-0.100 ± 0.000)" in text
    assert "against classical augmentation: better (+0.100 ± 0.000)" in text


def test_findings_say_when_a_file_predates_the_comparison_with_the_cheap_remedies():
    s = imbalance.summarise(imbalance_rows({arm: [0.2, 0.4, 0.6] for arm in imbalance.ARMS}))
    old = {k: v for k, v in s.items() if "_vs_" not in k}
    assert "does not compare the cGAN with the cheap remedies" in imbalance.findings(old)
    assert "does not compare" not in imbalance.findings(s)


def test_findings_warn_when_the_cgan_was_trained_with_an_older_recipe():
    s = imbalance.summarise(imbalance_rows({arm: [0.2, 0.4, 0.6] for arm in imbalance.ARMS}))
    assert s["gan_recipe"] == generative.GAN_RECIPE
    assert "older GAN" not in imbalance.findings(s)
    for older in ({**s, "gan_recipe": generative.GAN_RECIPE - 1},
                  {k: v for k, v in s.items() if k != "gan_recipe"}):   # files from before the record: recipe 1
        text = imbalance.findings(older)
        assert text.startswith("**These results come from an older GAN.**")
        assert generative.GAN_RECIPES[1] in text and "Over 3 seeds" in text


def test_findings_give_the_confidence_level_of_the_two_standard_error_rule():
    s = imbalance.summarise(imbalance_rows({arm: [0.2, 0.4, 0.6, 0.5, 0.3] for arm in imbalance.ARMS}))
    # 88% is the confidence; the level of the test, its rate of false alarms, is 12%
    assert "with 5 seeds is a two-sided t test at about the 12% level (88% confidence)" in imbalance.findings(s)


def test_classical_augment_refuses_images_outside_0_1():
    """0-255 images used to come back with 95% of their pixels clipped to 1."""
    with pytest.raises(ValueError, match="Divide by 255"):
        imbalance.classical_augment(255 * torch.rand(4, 1, 8, 8), 3)


def test_imbalanced_subset_sets_the_minority_share_of_the_whole_subset_not_of_the_others(organ_phantoms):
    """fraction / (1 - fraction) * n others: 11 of 111 at 10%; fraction * n others would give 10 of 110."""
    sub = imbalance.imbalanced_subset(organ_phantoms, minority=3, fraction=0.1, n=100, seed=0)
    assert int((sub.labels == 3).sum()) == round(0.1 / 0.9 * 100) == 11


def test_imbalanced_subset_draws_other_minority_images_for_another_seed(organ_phantoms):
    a, b = (imbalance.imbalanced_subset(organ_phantoms, minority=3, fraction=0.05, n=114, seed=s) for s in (0, 1))
    assert not torch.equal(a.images[a.labels == 3], b.images[b.labels == 3])


def test_summarise_gives_the_paired_difference_its_standard_error_over_the_seeds():
    recalls = {arm: [0.2, 0.4, 0.6] for arm in imbalance.ARMS}
    recalls["cGAN samples"] = [0.3, 0.6, 0.9]              # differences 0.1, 0.2, 0.3
    s = imbalance.summarise(imbalance_rows(recalls))
    assert s["minority_recall_cgan_diff_se"] == pytest.approx(0.1 / 3 ** 0.5)   # std 0.1 over sqrt(3) seeds


def test_a_difference_between_one_and_two_standard_errors_is_not_distinguishable():
    recalls = {arm: [0.2, 0.4, 0.6] for arm in imbalance.ARMS}
    recalls["cGAN samples"] = [0.4, 0.4, 0.7]              # +0.2, 0, +0.1: mean 0.1, se 0.058 (1.7 se)
    verdict = imbalance.table(imbalance.summarise(imbalance_rows(recalls)))["minority recall: verdict"]
    assert verdict["cGAN samples"] == "not distinguishable"


def test_classical_augment_fills_the_uncovered_margin_with_the_border_not_with_black():
    """Black wedges at the corners mark every copy as a copy; real slices do not have them."""
    gray = torch.full((1, 1, 28, 28), 0.5)
    copies = imbalance.classical_augment(gray, 50, seed=0)
    assert float(copies.min()) >= 0.45 * 0.99           # the gain is 1 +- 0.1, nothing else moves a pixel
    black = imbalance.classical_augment(gray, 50, seed=0, padding="zeros")   # recipe 1, for comparison
    assert float(black[:, 0, [0, 0, -1, -1], [0, -1, 0, -1]].min()) == 0.0


def test_classical_augment_refuses_an_unknown_padding():
    with pytest.raises(ValueError, match="padding must be one of"):
        imbalance.classical_augment(torch.rand(4, 1, 8, 8), 2, padding="reflect")


def test_findings_warn_when_the_augmentation_arm_used_an_older_fill():
    s = imbalance.summarise(imbalance_rows({arm: [0.2, 0.4, 0.6] for arm in imbalance.ARMS}))
    assert s["augment_recipe"] == imbalance.AUGMENT_RECIPE
    assert "older one" not in imbalance.findings(s)
    for older in ({**s, "augment_recipe": 1},
                  {k: v for k, v in s.items() if k != "augment_recipe"}):   # files from before the record: black
        text = imbalance.findings(older)
        assert text.startswith("**Its classical augmentation is an older one:** the uncovered margin filled with black")
        assert "Over 3 seeds" in text

"""coursekit.gan_report: the GAN chapter's results read against its targets, and a training
recipe chosen on validation images, never on the test images."""
import math

import pytest

from coursekit import gan_report


def recipes_run(commit="aaaaaaa1", device="cuda: H200", floor=1.0, **recipes):
    """A gan_recipes results dict: recipes maps name -> (test fd, precision, recall, dev fd or None)."""
    run = {"git_commit": commit, "device": device, "profile": "full", "fd_real_floor": floor}
    for name, (fd, precision, recall, dev_fd) in recipes.items():
        run.update({f"{name}_fd": fd, f"{name}_precision": precision, f"{name}_recall": recall,
                    f"{name}_epochs": 30, f"{name}_parameters": 1000})
        if dev_fd is not None:
            run[f"{name}_dev_fd"] = dev_fd
    return run


def gan_result(fd=5.0, floor=1.0, precision=0.4, recall=0.6, ratio=0.9, tstr=0.5, trtr=0.9):
    return {"fd_gan": fd, "fd_real_floor": floor, "precision": precision, "recall": recall,
            "cgan_class_acc_ratio": ratio, "tstr_acc": tstr, "trtr_acc": trtr}


# ------------------------------------------------------------ targets

def test_meets_targets_at_exactly_twice_the_floor_and_one_half():
    assert gan_report.meets_targets(fd=2.0, floor=1.0, precision=0.5, recall=0.5)


@pytest.mark.parametrize("fd, precision, recall", [(2.01, 0.9, 0.9), (1.0, 0.49, 0.9), (1.0, 0.9, 0.49)])
def test_missing_any_one_target_misses_them(fd, precision, recall):
    assert not gan_report.meets_targets(fd, 1.0, precision, recall)


def test_targets_findings_say_which_target_is_missed():
    text = gan_report.targets_findings(gan_result(fd=5.0, precision=0.4, recall=0.6, ratio=0.9))
    assert "5.0 times the floor (at most 2: **missed**)" in text
    assert "(each at least 0.5: **missed**)" in text
    assert "(at least 0.8: met)" in text


def test_targets_findings_say_met_when_all_are():
    text = gan_report.targets_findings(gan_result(fd=1.5, precision=0.6, recall=0.7, ratio=0.95, tstr=0.85, trtr=0.9))
    assert "missed" not in text and text.count(": met") == 3
    assert "teach nearly what the real images teach" in text


def test_gaussian_note_reports_the_chosen_number_of_components():
    assert "16 components, chosen by FD to validation" in gan_report.gaussian_baseline_note({"gauss_components": 16.0})
    assert "32 components, fixed" in gan_report.gaussian_baseline_note({})


# ------------------------------------------------------------ recipes

def test_a_recipe_measured_again_in_an_earlier_run_is_labelled_by_its_commit():
    new = recipes_run("bbbbbbb2", base=(5.0, 0.4, 0.6, 5.1))
    old = recipes_run("aaaaaaa1", base=(6.0, 0.4, 0.6, None), ema=(5.5, 0.4, 0.6, None))
    assert list(gan_report.recipe_runs([new, old])) == ["base", "base (aaaaaaa)", "ema"]


def test_recipe_runs_ignores_the_validation_and_floor_keys():
    run = recipes_run(dsteps=(5.0, 0.4, 0.6, 5.2))
    assert list(gan_report.recipe_runs([run])) == ["dsteps"]


def test_recipe_table_has_one_row_per_recipe_with_its_scores():
    table = gan_report.recipe_table([recipes_run(floor=2.0, base=(5.0, 0.4, 0.6, 5.1), wide=(3.0, 0.5, 0.5, None))])
    assert table.loc["base", "FD / floor"] == pytest.approx(2.5)
    assert table.loc["base", "FD on validation"] == 5.1
    assert math.isnan(table.loc["wide", "FD on validation"])
    assert table.loc["wide", "meets the targets"] and not table.loc["base", "meets the targets"]
    assert table.loc["base", "run"] == "aaaaaaa on cuda"


def test_the_recipe_is_chosen_by_validation_fd_not_by_test_fd():
    # wide has the lowest test FD, base the lowest FD on validation: base is reported.
    run = recipes_run(base=(5.0, 0.4, 0.6, 4.0), wide=(3.0, 0.5, 0.5, 4.5))
    table = gan_report.recipe_table([run])
    assert gan_report.chosen_recipe(table) == "base"
    text = gan_report.recipe_findings(table, gan_report.recipe_runs([run]))
    assert text.startswith("Chosen on the validation images, where its FD is the lowest (4.00)")
    assert "`base` scores on the test images an FD of 5.00" in text and "misses the targets" in text


def test_the_chosen_recipe_that_meets_the_targets_is_said_to():
    run = recipes_run(base=(5.0, 0.4, 0.6, 6.0), wide=(1.8, 0.55, 0.6, 2.0))
    table = gan_report.recipe_table([run])
    assert gan_report.chosen_recipe(table) == "wide"
    assert gan_report.recipe_findings(table, gan_report.recipe_runs([run])).endswith("meets both targets.")


def test_no_recipe_is_chosen_when_no_run_has_validation_scores():
    table = gan_report.recipe_table([recipes_run(base=(5.0, 0.4, 0.6, None), wide=(1.8, 0.6, 0.6, None))])
    assert gan_report.chosen_recipe(table) is None
    text = gan_report.recipe_findings(table, {})
    assert "no recipe is chosen" in text
    assert "wide meets both targets" in text and "optimistic" in text


def test_without_validation_scores_the_closest_to_its_floor_is_only_described():
    table = gan_report.recipe_table([recipes_run(base=(5.0, 0.4, 0.6, None), ema=(4.0, 0.4, 0.6, None))])
    text = gan_report.recipe_findings(table, {})
    assert "No recipe run so far (base, ema) meets both targets" in text
    assert "not even the closest to its floor, ema: 4.0 times the floor" in text


def test_runs_on_other_classifiers_are_compared_by_fd_over_their_floor():
    # ema's FD is lower, but its classifier's floor is lower still: base is closer to its floor.
    table = gan_report.recipe_table([recipes_run("bbbbbbb2", floor=1.0, base=(3.0, 0.4, 0.6, None)),
                                     recipes_run("aaaaaaa1", floor=0.5, ema=(2.5, 0.4, 0.6, None))])
    assert "closest to its floor, base: 3.0 times the floor" in gan_report.recipe_findings(table, {})


def test_older_runs_without_validation_scores_are_left_out_of_the_choice():
    new = recipes_run("bbbbbbb2", wide=(4.0, 0.4, 0.6, 4.2))
    old = recipes_run("aaaaaaa1", base=(3.0, 0.5, 0.6, None))
    table = gan_report.recipe_table([new, old])
    assert gan_report.chosen_recipe(table) == "wide"
    assert "among the 1 of 2 rows scored on validation images" in gan_report.recipe_findings(table, {})


def test_a_run_scored_with_another_classifier_is_left_out_of_the_choice():
    # The earlier run's classifier came from another device: its floor, and so its FDs, differ.
    new = recipes_run("bbbbbbb2", device="cuda: H200", floor=1.0, base=(5.0, 0.4, 0.6, 5.0))
    old = recipes_run("aaaaaaa1", device="cpu: 2 cores", floor=1.3, ema=(2.0, 0.6, 0.6, 1.0))
    assert gan_report.chosen_recipe(gan_report.recipe_table([new, old])) == "base"


def test_no_recipe_is_chosen_from_an_empty_table():
    table = gan_report.recipe_table([])
    assert gan_report.chosen_recipe(table) is None
    assert gan_report.recipe_findings(table, {}) == "No recipe has been run yet."


def test_recipe_curves_count_generator_updates_and_keep_the_ema_raw_weights():
    run = recipes_run(dsteps=(5.0, 0.4, 0.6, None), ema=(5.0, 0.4, 0.6, None))
    run.update({"dsteps_fd_epoch_001": 9.0, "dsteps_fd_epoch_002": 8.0, "dsteps_d_loss_epoch_002": 1.5,
                "ema_fd_epoch_001": 7.0, "ema_raw_fd_epoch_001": 7.5})
    fd, d_loss = gan_report.recipe_curves(gan_report.recipe_runs([run]))
    assert fd["dsteps"] == {0.5: 9.0, 1.0: 8.0}       # two D updates per G update: half an epoch of base
    assert fd["ema"] == {1.0: 7.0} and fd["ema, G's own weights"] == {1.0: 7.5}
    assert d_loss == {"dsteps": {1.0: 1.5}}


def test_recipe_findings_compare_the_averaged_generator_with_its_own_weights():
    run = recipes_run(ema=(5.0, 0.4, 0.6, None))
    run.update({"ema_fd_epoch_001": 7.0, "ema_fd_epoch_002": 5.37, "ema_raw_fd_epoch_001": 7.5,
                "ema_raw_fd_epoch_002": 5.87})
    text = gan_report.recipe_findings(gan_report.recipe_table([run]), gan_report.recipe_runs([run]))
    assert "after epoch 2, the averaged generator's FD is 5.37 and that of G's own last weights 5.87" in text


# ------------------------------------------------------------ truncation

def test_truncation_table_starts_with_the_model_as_trained():
    r = {**gan_result(fd=5.0, precision=0.4, recall=0.6), "trunc_psi090_fd": 7.0, "trunc_psi090_precision": 0.45,
         "trunc_psi090_recall": 0.55, "trunc_psi050_fd": 40.0, "trunc_psi050_precision": 0.6,
         "trunc_psi050_recall": 0.2, "trunc_psi090_dev_fd": 99.0}
    sweep = gan_report.truncation_table(r)
    assert list(sweep.index) == [1.0, 0.9, 0.5]
    assert list(sweep.loc[1.0]) == [5.0, 0.4, 0.6] and sweep.loc[0.9, "fd"] == 7.0   # test scores, not dev


def test_truncation_table_is_none_for_a_file_without_the_sweep():
    assert gan_report.truncation_table(gan_result()) is None


def test_truncation_findings_name_the_psi_that_meet_all_targets():
    sweep = gan_report.truncation_table({**gan_result(fd=1.9, precision=0.5, recall=0.7), "trunc_psi090_fd": 3.0,
                                         "trunc_psi090_precision": 0.6, "trunc_psi090_recall": 0.6})
    text = gan_report.truncation_findings(sweep, floor=1.0)
    assert text.startswith("On the test images psi = 1 meets all three targets") and "validation" in text


def test_truncation_findings_give_the_lowest_fd_where_precision_and_recall_reach_one_half():
    sweep = gan_report.truncation_table({**gan_result(fd=5.0, precision=0.4, recall=0.6), "trunc_psi070_fd": 19.46,
                                         "trunc_psi070_precision": 0.51, "trunc_psi070_recall": 0.51})
    assert gan_report.truncation_findings(sweep, floor=1.27) == (
        "No psi tried meets all three targets. Where precision and recall both reach 0.5 (psi = 0.7), "
        "FD is at least 19.46, 15.3 times the floor.")


def test_truncation_findings_when_no_psi_balances_precision_and_recall():
    sweep = gan_report.truncation_table(gan_result(fd=5.0, precision=0.4, recall=0.6))
    assert sweep is None
    sweep = gan_report.truncation_table({**gan_result(precision=0.4), "trunc_psi050_fd": 40.0,
                                         "trunc_psi050_precision": 0.6, "trunc_psi050_recall": 0.2})
    assert gan_report.truncation_findings(sweep, floor=1.0) == "No psi tried gives precision and recall both at least 0.5."


# ------------------------------------------------------------ the yardstick

def ladder(floor=1.0):
    """A small blur ladder: FD rises and precision falls with the blur; recall falls more slowly."""
    return {("none", 0.0): {"fd": floor, "precision": 0.64, "recall": 0.72},
            ("blur", 0.4): {"fd": 2.0 * floor, "precision": 0.54, "recall": 0.52},
            ("blur", 0.8): {"fd": 6.0 * floor, "precision": 0.24, "recall": 0.32},
            ("noise", 0.05): {"fd": 0.8 * floor, "precision": 0.7, "recall": 0.7}}


def test_as_blur_names_the_blur_that_scores_the_same():
    assert gan_report.as_blur(ladder(), "fd", 4.0) == "a 0.60 px blur"

def test_as_blur_says_on_which_side_of_the_ladder_a_score_outside_it_lies():
    # worse than the largest blur: FD above its FD, precision and recall below theirs
    assert gan_report.as_blur(ladder(), "fd", 9.0) == "no blur on the ladder (worse than its largest, 0.8 px)"
    assert gan_report.as_blur(ladder(), "precision", 0.1) == "no blur on the ladder (worse than its largest, 0.8 px)"
    assert gan_report.as_blur(ladder(), "recall", 0.0) == "no blur on the ladder (worse than its largest, 0.8 px)"
    # better than the undegraded images: FD below the floor, precision above theirs
    assert gan_report.as_blur(ladder(), "fd", 0.5) == "no blur on the ladder (better than the undegraded images)"
    assert gan_report.as_blur(ladder(), "precision", 0.9) == "no blur on the ladder (better than the undegraded images)"


def test_only_generators_scored_with_the_ladders_classifier_are_read_on_it():
    table = gan_report.recipe_table([recipes_run("bbbbbbb2", floor=1.0, base=(4.0, 0.4, 0.7, 4.1)),
                                     recipes_run("aaaaaaa1", floor=1.3, ema=(3.0, 0.4, 0.7, None))])
    scored, left_out = gan_report.on_ladder(ladder(1.0), gan_result(fd=5.0, floor=1.0), table)
    assert list(scored) == ["DCGAN (gan.json)", "base"] and left_out == ["ema"]
    assert scored["base"] == {"fd": 4.0, "precision": 0.4, "recall": 0.7}


def test_the_chapters_dcgan_from_another_classifier_is_left_off_the_ladder():
    scored, _ = gan_report.on_ladder(ladder(1.0), gan_result(floor=1.27), gan_report.recipe_table([]))
    assert scored == {}


def test_ladder_table_puts_the_targets_first_with_their_blurs():
    table = gan_report.ladder_table(ladder(), {"base": {"fd": 4.0, "precision": 0.39, "recall": 0.6}})
    assert list(table.index) == ["target", "base"]
    assert table.loc["target", "fd"] == 2.0 and table.loc["target", "fd as blur (px)"] == pytest.approx(0.4)
    assert table.loc["base", "fd as blur (px)"] == pytest.approx(0.6)


def test_ladder_findings_read_the_chosen_recipe_not_the_lowest_test_fd():
    scored = {"base": {"fd": 4.0, "precision": 0.39, "recall": 0.6},
              "wide": {"fd": 3.0, "precision": 0.45, "recall": 0.6}}
    text = gan_report.ladder_findings(ladder(), scored, chosen="base")
    assert "The recipe chosen on validation images, base (4.00), matches a 0.60 px blur" in text
    assert "The lowest test FD so far (a test-set comparison, optimistic for the winner), wide (3.00)" in \
        gan_report.ladder_findings(ladder(), scored, chosen=None)


def test_ladder_findings_tell_a_precision_gap_from_missing_detail():
    # FD as a 0.6 px blur, but precision as a worse blur and recall as a milder one: off the data, not blurry.
    text = gan_report.ladder_findings(ladder(), {"base": {"fd": 4.0, "precision": 0.30, "recall": 0.6}}, None)
    assert "What keeps it from the target is not only the missing detail" in text
    text = gan_report.ladder_findings(ladder(), {"base": {"fd": 4.0, "precision": 0.45, "recall": 0.4}}, None)
    assert "missing detail" not in text


def test_ladder_findings_say_when_noise_scores_below_the_floor():
    text = gan_report.ladder_findings(ladder(), {"base": {"fd": 4.0, "precision": 0.4, "recall": 0.6}}, None)
    assert text.endswith("an FD of 0.80 against a floor of 1.00: below the floor, so the floor is no minimum.")


def test_ladder_findings_say_when_a_target_lies_beyond_the_ladder():
    steep = {**ladder(), ("blur", 0.4): {"fd": 2.0, "precision": 0.62, "recall": 0.52},
             ("blur", 0.8): {"fd": 6.0, "precision": 0.60, "recall": 0.32}}   # precision never reaches 0.5
    text = gan_report.ladder_findings(steep, {"base": {"fd": 4.0, "precision": 0.4, "recall": 0.6}}, None)
    assert "by an amount outside the ladder's blurs (precision at least 0.5)" in text and "nan" not in text


def test_ladder_findings_without_a_generator_on_the_ladder():
    assert "No generator here was scored" in gan_report.ladder_findings(ladder(), {}, None)


# ------------------------------------------------------------ the DCGAN's FD, epoch by epoch

def test_trajectory_findings_read_the_last_third_of_the_epochs():
    trajectory = {1: 50.0, 2: 30.0, 3: 20.0, 4: 9.0, 5: 6.1, 6: 5.9}
    assert gan_report.trajectory_findings(trajectory, floor=1.0) == (
        "Over the last 2 of its 6 epochs the DCGAN's FD stays between 5.90 and 6.10 and ends at 5.90: "
        "3.0 times the target of 2.00.")


def test_trajectory_findings_say_when_the_last_epoch_is_within_the_target():
    assert gan_report.trajectory_findings({2: 2.5, 1: 9.0, 3: 1.9}, floor=1.0).endswith("ends at 1.90: within the target of 2.00.")


def test_trajectory_findings_refuse_an_empty_curve():
    with pytest.raises(ValueError, match="predates the per-epoch FD"):
        gan_report.trajectory_findings({}, floor=1.0)


def test_recipe_table_wants_a_list_of_runs_not_one_run():
    """One dict used to give an empty table, with no error."""
    run = {"hinge_fd": 5.0, "fd_real_floor": 1.0, "git_commit": "abc", "device": "cpu"}
    with pytest.raises(TypeError, match=r"runs: expected a list of results"):
        gan_report.recipe_table(run)


# ------------------------------------------------------------ mutation-test additions

def test_targets_findings_say_an_fd_of_exactly_twice_the_floor_meets_its_target():
    assert "2.0 times the floor (at most 2: met)" in gan_report.targets_findings(gan_result(fd=2.0, floor=1.0))


def test_targets_findings_say_a_class_accuracy_ratio_of_exactly_the_minimum_meets_its_target():
    assert "recognised 0.80 times as often as real test images (at least 0.8: met)" in \
        gan_report.targets_findings(gan_result(ratio=0.8))


def test_targets_findings_give_precision_and_recall_each_in_its_place():
    assert "its precision is 0.40 and its recall 0.60 " in gan_report.targets_findings(gan_result(precision=0.4, recall=0.6))


def test_targets_findings_give_tstr_as_a_share_of_trtr_and_say_when_the_samples_teach_only_part():
    text = gan_report.targets_findings(gan_result(tstr=0.5, trtr=0.8))
    assert text.endswith("reaches 0.50 accuracy on real test images, 62% of the 0.80 it reaches when trained on real "
                         "ones: the samples teach only part of what the real images teach.")


def test_trajectory_findings_read_the_last_epoch_alone_when_there_are_fewer_than_three():
    assert gan_report.trajectory_findings({1: 9.0, 2: 5.0}, floor=1.0).startswith(
        "Over the last 1 of its 2 epochs the DCGAN's FD stays between 5.00 and 5.00 and ends at 5.00")


def test_trajectory_findings_end_at_the_last_epoch_whatever_the_order_of_the_dict():
    assert "ends at 1.90: within" in gan_report.trajectory_findings({3: 1.9, 1: 9.0, 2: 2.5}, floor=1.0)


def test_trajectory_findings_say_an_fd_ending_at_exactly_the_target_is_within_it():
    assert gan_report.trajectory_findings({1: 9.0, 2: 2.0}, floor=1.0).endswith("ends at 2.00: within the target of 2.00.")


def test_recipe_table_gives_each_recipe_its_own_epochs_and_generator_size():
    run = recipes_run(base=(5.0, 0.4, 0.6, None), wide=(3.0, 0.5, 0.5, None))
    run.update(base_epochs=30, base_parameters=3_500_000, wide_epochs=20, wide_parameters=14_000_000)
    table = gan_report.recipe_table([run])
    assert table.loc["base", ["epochs", "G parameters"]].tolist() == [30, 3_500_000]
    assert table.loc["wide", ["epochs", "G parameters"]].tolist() == [20, 14_000_000]


def test_recipe_table_refuses_a_list_of_something_other_than_results():
    with pytest.raises(TypeError, match=r"runs: expected a list of results \(dicts\).*got list$"):
        gan_report.recipe_table(["benchmarks/results/gan_recipes.json"])


def test_same_yardstick_takes_floors_equal_up_to_rounding_as_one_classifiers():
    assert gan_report.same_yardstick(1.2700000001, 1.27)


def test_same_yardstick_tells_apart_floors_that_differ_in_the_second_decimal():
    assert not gan_report.same_yardstick(1.28, 1.27)


def test_recipe_findings_give_the_chosen_recipes_test_scores_each_in_its_place():
    run = recipes_run(floor=2.0, base=(5.0, 0.4, 0.6, 4.0), wide=(3.0, 0.5, 0.5, 4.5))
    text = gan_report.recipe_findings(gan_report.recipe_table([run]), {})
    assert "`base` scores on the test images an FD of 5.00 (2.5 times the floor), precision 0.40 and recall 0.60: " \
           "it misses the targets." in text


def test_without_validation_scores_the_closest_recipe_is_described_by_its_fd_over_floor_and_its_own_scores():
    table = gan_report.recipe_table([recipes_run(floor=2.0, base=(5.0, 0.4, 0.6, None))])
    assert gan_report.recipe_findings(table, {}).endswith(
        "not even the closest to its floor, base: 2.5 times the floor, with precision 0.40 and recall 0.60.")


def test_without_validation_scores_several_recipes_meeting_the_targets_meet_them_among_all_looks():
    table = gan_report.recipe_table([recipes_run(base=(1.9, 0.6, 0.6, None), wide=(1.8, 0.6, 0.6, None),
                                                 ema=(5.0, 0.4, 0.6, None))])
    assert "On the test images base, wide meet both targets, the best of 3 looks at the test set" in \
        gan_report.recipe_findings(table, {})


def test_truncation_findings_count_a_recall_of_exactly_one_half_as_reaching_it():
    sweep = gan_report.truncation_table({**gan_result(fd=1.9, precision=0.7, recall=0.5), "trunc_psi090_fd": 3.0,
                                         "trunc_psi090_precision": 0.6, "trunc_psi090_recall": 0.4})
    assert gan_report.truncation_findings(sweep, floor=1.0).startswith("On the test images psi = 1 meets all three")


def test_truncation_findings_count_an_fd_of_exactly_twice_the_floor_as_meeting_it():
    sweep = gan_report.truncation_table({**gan_result(fd=2.0, precision=0.6, recall=0.6), "trunc_psi090_fd": 3.0,
                                         "trunc_psi090_precision": 0.6, "trunc_psi090_recall": 0.6})
    assert gan_report.truncation_findings(sweep, floor=1.0).startswith("On the test images psi = 1 meets all three")


def test_truncation_findings_list_the_psi_that_meet_the_targets_in_increasing_order():
    sweep = gan_report.truncation_table({**gan_result(fd=1.5, precision=0.6, recall=0.6), "trunc_psi090_fd": 1.8,
                                         "trunc_psi090_precision": 0.6, "trunc_psi090_recall": 0.6})
    assert gan_report.truncation_findings(sweep, floor=1.0).startswith("On the test images psi = 0.9, 1 meets")


def test_ladder_findings_read_precision_and_recall_each_on_its_own_blur():
    q = {"fd": 4.0, "precision": 0.30, "recall": 0.6}   # three different blurs
    text = gan_report.ladder_findings(ladder(), {"base": q}, None)
    assert (f"its precision (0.30) matches {gan_report.as_blur(ladder(), 'precision', 0.30)} and its recall (0.60) "
            f"{gan_report.as_blur(ladder(), 'recall', 0.6)}.") in text


def test_ladder_findings_blame_precision_only_when_recall_is_better_than_at_the_same_fd():
    # precision worse than the blur at the same FD, but recall worse too: no "covers the data better"
    text = gan_report.ladder_findings(ladder(), {"base": {"fd": 4.0, "precision": 0.30, "recall": 0.4}}, None)
    assert "missing detail" not in text


def test_ladder_findings_blame_precision_only_when_it_is_worse_than_at_the_same_fd():
    # recall better than the blur at the same FD, but precision better too
    text = gan_report.ladder_findings(ladder(), {"base": {"fd": 4.0, "precision": 0.6, "recall": 0.6}}, None)
    assert "missing detail" not in text


def test_ladder_findings_do_not_call_noise_at_the_floor_below_it():
    flat = {**ladder(), ("noise", 0.05): {"fd": 1.0, "precision": 0.7, "recall": 0.7}}
    text = gan_report.ladder_findings(flat, {"base": {"fd": 4.0, "precision": 0.4, "recall": 0.6}}, None)
    assert text.endswith("an FD of 1.00 against a floor of 1.00.")

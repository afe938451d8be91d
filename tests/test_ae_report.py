"""coursekit.ae_report: the autoencoder chapter's results read against its target (test MSE at
most half of PCA's at the same latent size)."""
import pytest

from coursekit import ae_report


def ae_result(ae=0.0276, pca=0.0287, k=16, **extra):
    """An autoencoders.json dict."""
    return {"ae_test_mse": ae, "pca_test_mse": pca, "latent_dim": float(k), "ae_probe_acc": 0.628,
            "pca_probe_acc": 0.616, "ae_train_mse": 0.025, "pca_train_mse": 0.0299,
            "anomaly_ae_auc": 0.549, "anomaly_pca_auc": 0.463, **extra}


def sweep_result(ratios, ae_at=None):
    """An ae_latent.json dict with the given AE / PCA ratio at each latent size."""
    r = {}
    for k, ratio in ratios.items():
        pca = 0.05 / k
        ae = ae_at if (ae_at is not None and k == 16) else ratio * pca
        r.update({f"ae_test_mse_d{k:03d}": ae, f"pca_test_mse_d{k:03d}": pca, f"ae_over_pca_mse_d{k:03d}": ratio,
                  f"ae_probe_acc_d{k:03d}": 0.6, f"pca_probe_acc_d{k:03d}": 0.5 if k < 16 else 0.7,
                  f"ae_best_epoch_d{k:03d}": 4})
    return r


def datasets_result(**sets):
    """An ae_datasets.json dict: sets maps flag -> (AE / PCA, best epoch)."""
    r = {}
    for f, (ratio, best) in sets.items():
        r.update({f"n_train_{f}": 1000, f"ae_test_mse_{f}": ratio * 0.01, f"pca_test_mse_{f}": 0.01,
                  f"ae_over_pca_mse_{f}": ratio, f"ae_train_mse_{f}": ratio * 0.01 / 1.1,
                  f"pca_train_mse_{f}": 0.01, f"ae_probe_acc_{f}": 0.7, f"pca_probe_acc_{f}": 0.6,
                  f"ae_best_epoch_{f}": best})
    return r


# ------------------------------------------------------------ autoencoders.json

def test_target_findings_say_a_ratio_above_one_half_misses():
    assert "0.96 x PCA's (misses the target of at most 0.5)" in ae_report.target_findings(ae_result())[0]


def test_target_findings_say_a_ratio_of_exactly_one_half_meets():
    assert "(meets the target" in ae_report.target_findings(ae_result(ae=0.01, pca=0.02))[0]


def curve_result(**extra):
    """ae_result with PCA's test-error curve at a grid of k, as autoencoders.json has it."""
    curve = {8: 0.035, 16: 0.0287, 24: 0.025, 96: 0.0145, 128: 0.0126, 256: 0.008}
    return ae_result(**{f"pca_test_mse_k{k:03d}": e for k, e in curve.items()}, **extra)


def test_target_findings_give_the_worth_of_the_code_as_the_interval_between_grid_points():
    # the file's keys are the upper ends (24, 128): PCA with 24 components beats the autoencoder
    lines = ae_report.target_findings(curve_result(pca_k_matching_ae=24, pca_k_for_half=128))
    assert any(line.startswith("PCA needs between 17 and 24 components to match the test MSE of the "
                               "autoencoder's 16 numbers (with 16 components PCA's error is above the autoencoder's, "
                               "with 24 at or below it") for line in lines)
    assert any(line.endswith("halving PCA's error at k = 16 takes between 97 and 128 components") for line in lines)


def test_pca_worth_gives_one_number_where_the_grid_points_are_neighbours():
    text = ae_report.pca_worth({15: 0.03, 16: 0.0287, 17: 0.0275, 18: 0.02}, 0.0276, 0.04, 16)
    assert text == ("PCA needs 17 components to match the test MSE of the autoencoder's 16 numbers; "
                    "halving PCA's error at k = 16 takes 18 components")


def test_pca_worth_says_more_than_the_last_k_where_the_curve_never_gets_there():
    text = ae_report.pca_worth({8: 0.035, 16: 0.0287, 32: 0.02}, 0.01, 0.0287, 16)
    assert text == ("PCA needs more than 32 components to match the test MSE of the autoencoder's 16 numbers; "
                    "halving PCA's error at k = 16 takes more than 32 components")


def test_target_findings_say_when_the_file_lacks_the_pca_curve():
    assert any("predates the PCA error curve" in line for line in ae_report.target_findings(ae_result()))


def test_target_findings_read_each_anomaly_auc_the_right_way_round():
    lines = ae_report.target_findings(ae_result())
    assert "anomaly AUC of the autoencoder's error: 0.549, so it reconstructs pneumonia X-rays worse" in lines[-2]
    assert "anomaly AUC of PCA's error: 0.463, so it reconstructs pneumonia X-rays better" in lines[-1]


def test_target_findings_give_each_anomaly_auc_its_standard_error_where_the_file_has_the_test_counts():
    from coursekit.metrics import auc_standard_error

    lines = ae_report.target_findings(ae_result(anomaly_n_test_pneumonia=390, anomaly_n_test_normal=234))
    se = auc_standard_error(0.549, 390, 234)
    assert f"0.549 ± {se:.3f} (Hanley-McNeil standard error over 390 pneumonia and 234 normal test X-rays), " \
           f"{0.049 / se:.1f} standard errors from chance, so it reconstructs pneumonia X-rays worse" in lines[-2]


# ------------------------------------------------------------ ae_latent.json

def test_sweep_table_is_indexed_by_latent_size_in_order():
    table = ae_report.sweep_table(sweep_result({16: 0.96, 2: 0.91, 32: 0.95}))
    assert list(table.index) == [2, 16, 32] and table.loc[2, "AE / PCA"] == 0.91


def test_sweep_findings_when_no_size_meets_the_target():
    text = ae_report.sweep_findings(ae_report.sweep_table(sweep_result({2: 0.91, 16: 0.96, 32: 0.95})))
    assert text.startswith("Over latent sizes 2 to 32 the autoencoder's test MSE is 0.91 to 0.96 times PCA's, "
                           "lowest at k = 2. At no size does it halve PCA's error.")
    assert "better input for the linear probe at 1 of 3 sizes" in text


def test_sweep_findings_name_the_sizes_that_meet_the_target():
    text = ae_report.sweep_findings(ae_report.sweep_table(sweep_result({2: 0.4, 16: 0.5, 32: 0.6})))
    assert "It halves PCA's error at k = [2, 16]." in text


def test_sweep_findings_check_the_sweep_against_autoencoders_json():
    table = ae_report.sweep_table(sweep_result({2: 0.91, 16: 0.96}, ae_at=0.0276))
    assert "the same recipe gives the same model" in ae_report.sweep_findings(table, ae_result(ae=0.0276))
    assert "the two runs differ" in ae_report.sweep_findings(table, ae_result(ae=0.03))
    assert "autoencoders.json" not in ae_report.sweep_findings(table, ae_result(k=64))


# ------------------------------------------------------------ ae_datasets.json

def test_datasets_table_puts_the_chapters_set_first():
    table = ae_report.datasets_table(datasets_result(bloodmnist=(0.87, 30), organamnist=(0.96, 4),
                                                     breastmnist=(0.9, 30)))
    assert list(table.index) == ["organamnist", "bloodmnist", "breastmnist"]   # then by name
    assert table.loc["bloodmnist", "AE / PCA"] == 0.87


def test_datasets_findings_range_and_growth():
    table = ae_report.datasets_table(datasets_result(organamnist=(0.96, 4), bloodmnist=(0.87, 30)))
    text = ae_report.datasets_findings(table)
    assert text.startswith("The autoencoder's test MSE is 0.87 to 0.96 times PCA's on these 2 sets "
                           "(lowest on bloodmnist, highest on organamnist). On none of them does it halve PCA's error.")
    assert "by +10% on organamnist, +10% on bloodmnist; PCA's by +0%, +0%, in the same order." in text


def test_datasets_findings_name_the_sets_that_meet_the_target():
    table = ae_report.datasets_table(datasets_result(organamnist=(0.96, 4), bloodmnist=(0.45, 4), pathmnist=(0.5, 4)))
    assert "It halves PCA's error on bloodmnist and pathmnist." in ae_report.datasets_findings(table)


def test_datasets_findings_name_the_sets_still_improving_at_the_last_epoch():
    table = ae_report.datasets_table(datasets_result(organamnist=(0.96, 4), bloodmnist=(0.87, 30)))
    trained_30_epochs = ae_result(**{f"ae_train_loss_epoch_{e:03d}": 0.03 for e in range(1, 31)})
    text = ae_report.datasets_findings(table, trained_30_epochs)
    assert "On bloodmnist the best validation epoch is the last of 30: that autoencoder was still improving" in text
    assert "still improving" not in ae_report.datasets_findings(table)   # without the recipe's epochs, no claim


def test_datasets_findings_check_the_chapters_set_against_autoencoders_json():
    table = ae_report.datasets_table(datasets_result(organamnist=(0.96, 4)))
    assert "Its OrganAMNIST autoencoder scores 0.00960" in ae_report.datasets_findings(table, ae_result(ae=0.0096))
    assert "autoencoders.json" not in ae_report.datasets_findings(
        ae_report.datasets_table(datasets_result(bloodmnist=(0.87, 30))), ae_result())


def test_listed_joins_names_in_english():
    assert ae_report._listed(["a"]) == "a"
    assert ae_report._listed(["a", "b", "c"]) == "a, b and c"


@pytest.mark.parametrize("name", ["sweep_table", "datasets_table"])
def test_tables_of_an_unrelated_file_are_empty(name):
    assert len(getattr(ae_report, name)({"profile": "full"})) == 0


def test_denoiser_note_says_when_the_autoencoder_is_worse_than_its_noisy_input():
    """The quick profile's three epochs leave the DAE below the noisy input: say so, and name the cause."""
    note = ae_report.denoiser_note({"noisy input": 20.0, "Gaussian filter": 21.5, "denoising autoencoder": 16.9},
                                   epochs=3, n_train=600)
    assert "3.1 dB worse than the noisy input" in note and "3 epochs on 600 images" in note


def test_denoiser_note_compares_a_working_autoencoder_with_the_best_classical_denoiser():
    note = ae_report.denoiser_note({"noisy input": 20.0, "Gaussian filter (sigma 0.5)": 22.2,
                                    "total variation (weight 0.04)": 23.1, "denoising autoencoder": 23.6},
                                   epochs=30, n_train=34561)
    assert note.startswith("The denoising autoencoder gains 3.6 dB over the noisy input")
    assert "0.5 dB above total variation (weight 0.04)" in note


def test_denoiser_note_says_when_a_classical_denoiser_beats_the_autoencoder():
    note = ae_report.denoiser_note({"noisy input": 20.0, "total variation": 23.1, "denoising autoencoder": 22.0},
                                   epochs=30, n_train=34561)
    assert "1.1 dB below total variation" in note


# ------------------------------------------------------------ mutation-test additions

def test_target_findings_give_the_autoencoders_probe_accuracy_before_pcas():
    assert ae_report.target_findings(ae_result())[0].endswith("its codes' probe accuracy is 0.628 against PCA's 0.616")


def test_target_findings_set_the_probe_beside_random_codes_and_the_majority_class_where_the_file_has_them():
    line = ae_report.target_findings(ae_result(random_probe_acc=0.4712, majority_test_acc=0.1851))[0]
    assert line.endswith("probe accuracy is 0.628 against PCA's 0.616 and 0.471 for 16 random mixtures of the pixels "
                         "(always the most common organ: 0.185)")
    assert "random" not in ae_report.target_findings(ae_result())[0]


def test_target_findings_give_each_methods_growth_in_error_from_training_to_test_images():
    lines = ae_report.target_findings(ae_result())   # AE 0.025 -> 0.0276, PCA 0.0299 -> 0.0287
    assert "the autoencoder: MSE 0.0250 on training images, 0.0276 on test images (+10%)" in lines
    assert "PCA: MSE 0.0299 on training images, 0.0287 on test images (-4%)" in lines


def test_target_findings_count_an_anomaly_auc_below_one_half_as_standard_errors_from_chance_too():
    from coursekit.metrics import auc_standard_error

    lines = ae_report.target_findings(ae_result(anomaly_n_test_pneumonia=390, anomaly_n_test_normal=234))
    se = auc_standard_error(0.463, 390, 234)   # PCA's AUC is below chance: the distance is still positive
    assert f"normal test X-rays), {0.037 / se:.1f} standard errors from chance, so it reconstructs pneumonia X-rays " \
           "better" in lines[-1]


def test_sweep_table_reads_each_column_from_its_own_key():
    sweep = sweep_result({2: 0.91})
    sweep["ae_best_epoch_d002"] = 7
    assert ae_report.sweep_table(sweep).loc[2].to_dict() == pytest.approx(
        {"AE test MSE": 0.91 * 0.025, "PCA test MSE": 0.025, "AE / PCA": 0.91, "probe on AE codes": 0.6,
         "probe on PCA codes": 0.5, "AE best epoch": 7})


def test_sweep_findings_do_not_count_a_tie_in_probe_accuracy_as_the_autoencoder_being_better():
    table = ae_report.sweep_table(sweep_result({2: 0.91, 16: 0.96, 32: 0.95}))
    table.loc[16, "probe on PCA codes"] = 0.6   # the same as the autoencoder's codes
    assert "better input for the linear probe at 1 of 3 sizes" in ae_report.sweep_findings(table)


def test_datasets_table_reads_each_column_from_its_own_key():
    result = datasets_result(bloodmnist=(0.87, 30))
    result.update(n_train_bloodmnist=11959, ae_probe_acc_bloodmnist=0.71, pca_probe_acc_bloodmnist=0.62)
    assert ae_report.datasets_table(result).loc["bloodmnist"].to_dict() == pytest.approx(
        {"training images": 11959, "AE test MSE": 0.0087, "PCA test MSE": 0.01, "AE / PCA": 0.87,
         "AE MSE, training images": 0.0087 / 1.1, "PCA MSE, training images": 0.01, "probe on AE codes": 0.71,
         "probe on PCA codes": 0.62, "AE best epoch": 30})


def test_datasets_findings_speak_of_several_sets_still_improving_in_the_plural():
    table = ae_report.datasets_table(datasets_result(organamnist=(0.96, 30), bloodmnist=(0.87, 30)))
    text = ae_report.datasets_findings(table, ae_result(**{f"ae_train_loss_epoch_{e:03d}": 0.03 for e in range(1, 31)}))
    assert "On organamnist and bloodmnist the best validation epoch is the last of 30: those autoencoders were " \
           "still improving" in text


def test_datasets_findings_do_not_call_a_set_whose_best_epoch_came_before_the_last_still_improving():
    table = ae_report.datasets_table(datasets_result(organamnist=(0.96, 4), bloodmnist=(0.87, 29)))
    text = ae_report.datasets_findings(table, ae_result(**{f"ae_train_loss_epoch_{e:03d}": 0.03 for e in range(1, 31)}))
    assert "still improving" not in text


def test_denoiser_note_without_classical_denoisers_gives_the_gain_alone():
    note = ae_report.denoiser_note({"noisy input": 20.0, "denoising autoencoder": 22.0}, epochs=30, n_train=34561)
    assert note == "The denoising autoencoder gains 2.0 dB over the noisy input."


def test_denoiser_note_never_takes_the_noisy_input_for_a_classical_denoiser():
    # the Gaussian filter here is worse than its input: the best classical denoiser is still the filter
    note = ae_report.denoiser_note({"noisy input": 20.0, "Gaussian filter": 19.5, "denoising autoencoder": 22.0},
                                   epochs=30, n_train=34561)
    assert note == ("The denoising autoencoder gains 2.0 dB over the noisy input, 2.5 dB above Gaussian filter, "
                    "the best classical denoiser here.")


@pytest.mark.parametrize("auc", [0.5, 0.5004])
def test_target_findings_claim_no_direction_for_an_anomaly_auc_printed_as_one_half(auc):
    """An AUC of 0.5 was read as 'reconstructs pneumonia X-rays better than normal ones more often than not';
    one printed as 0.500 says no direction either."""
    line = ae_report.target_findings(ae_result(anomaly_pca_auc=auc))[-1]
    assert line == ("anomaly AUC of PCA's error: 0.500, chance level: a pneumonia X-ray is as likely to be "
                    "reconstructed worse than a normal one as better")


def test_denoiser_note_says_how_much_of_the_gain_clipping_alone_gives():
    note = ae_report.denoiser_note({"noisy input": 20.0, ae_report.CLIPPED: 20.4, "total variation": 23.1,
                                    "denoising autoencoder": 23.6}, epochs=30, n_train=34561)
    assert note == ("The denoising autoencoder gains 3.6 dB over the noisy input, 0.5 dB above total variation, "
                    "the best classical denoiser here. Of its gain, 0.4 dB is what clipping the noisy input "
                    "to [0, 1] alone gives.")


def test_denoiser_note_says_when_clipping_alone_gains_more_than_the_autoencoder():
    note = ae_report.denoiser_note({"noisy input": 20.0, ae_report.CLIPPED: 20.6, "denoising autoencoder": 20.3},
                                   epochs=3, n_train=2000)
    assert note.endswith("Clipping the noisy input to [0, 1] alone gives 0.6 dB, more than the autoencoder gains.")


def test_denoiser_note_never_takes_the_clipped_input_for_a_classical_denoiser():
    note = ae_report.denoiser_note({"noisy input": 20.0, ae_report.CLIPPED: 20.4, "denoising autoencoder": 22.0},
                                   epochs=30, n_train=34561)
    assert "classical" not in note


def test_target_findings_read_the_denoising_keys_with_the_clipped_input_where_the_file_has_it():
    denoising = dict(noisy_test_psnr=20.0, gauss_test_psnr=22.2, tv_test_psnr=23.1, dae_test_psnr=23.6,
                     gauss_sigma=0.5, tv_weight=0.04, n_train=34561)
    line = ae_report.target_findings(ae_result(**denoising, clipped_test_psnr=20.6))[4]
    assert line == ("denoising, full profile: the denoising autoencoder gains 3.6 dB over the noisy input, 0.5 dB above total "
                    "variation (weight 0.04), the best classical denoiser here. Of its gain, 0.6 dB is what clipping "
                    "the noisy input to [0, 1] alone gives.")
    assert ae_report.target_findings(ae_result(**denoising))[4].endswith("the best classical denoiser here.")
    assert not any("denoising" in line for line in ae_report.target_findings(ae_result()))

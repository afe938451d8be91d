"""coursekit.viz: every figure renders headless, with the expected panels and titles."""
from __future__ import annotations

import os
from pathlib import Path

import matplotlib

matplotlib.use("Agg")

import matplotlib.colors as mcolors  # noqa: E402
import matplotlib.pyplot as plt  # noqa: E402
import numpy as np  # noqa: E402
import pytest  # noqa: E402
import torch  # noqa: E402
from matplotlib.figure import Figure  # noqa: E402

from coursekit import metrics, viz  # noqa: E402


pytestmark = pytest.mark.usefixtures("close_figures")


def rendered(fig) -> Figure:
    """Draw the figure with Agg (errors in layout or colours surface only at draw time)."""
    assert isinstance(fig, Figure)
    fig.canvas.draw()
    return fig


def titles(fig) -> list[str]:
    return [ax.get_title() for ax in fig.axes]


def pair(n: int = 1, channels: int = 1, seed: int = 0):
    """A smooth clean batch and a noisy copy, (n, C, 28, 28) float32."""
    g = torch.Generator().manual_seed(seed)
    clean = torch.nn.functional.avg_pool2d(torch.rand(n, channels, 32, 32, generator=g), 5, 1)
    noisy = clean + 0.1 * torch.randn(clean.shape, generator=g)
    return clean, noisy


# --------------------------------------------------------------------------
# Conventions
# --------------------------------------------------------------------------

def test_palette_is_the_eight_distinct_okabe_ito_colours():
    okabe_ito = {"#000000", "#E69F00", "#56B4E9", "#009E73", "#F0E442", "#0072B2", "#D55E00", "#CC79A7"}
    assert len(viz.PALETTE) == 8
    assert len({mcolors.to_hex(c) for c in viz.PALETTE}) == 8
    assert {c.upper() for c in viz.PALETTE} == okabe_ito


def test_colormap_constants_name_colour_blind_safe_maps():
    assert (viz.CMAP_IMAGE, viz.CMAP_HEAT, viz.CMAP_SIGNED) == ("gray", "cividis", "PuOr")
    for name in (viz.CMAP_IMAGE, viz.CMAP_HEAT, viz.CMAP_SIGNED):
        assert name in matplotlib.colormaps


# --------------------------------------------------------------------------
# show_images
# --------------------------------------------------------------------------

def test_show_images_has_one_titled_axes_per_image():
    fig = rendered(viz.show_images(torch.rand(10, 1, 28, 28), titles=[f"#{i}" for i in range(10)],
                                   ncols=4, suptitle="ten images"))
    assert titles(fig) == [f"#{i}" for i in range(10)]
    assert fig.axes[0].get_subplotspec().get_geometry()[:2] == (3, 4)
    assert [t.get_text() for t in fig.texts] == ["ten images"]     # the suptitle (get_suptitle needs matplotlib 3.8)


def test_show_images_draws_grayscale_in_cmap_image_on_a_fixed_range():
    fig = rendered(viz.show_images(0.5 * torch.rand(2, 1, 28, 28)))
    im = fig.axes[0].images[0]
    assert im.get_cmap().name == viz.CMAP_IMAGE
    assert im.get_clim() == (0.0, 1.0)


def test_show_images_draws_three_channels_as_rgb():
    x = torch.rand(2, 3, 28, 28)
    fig = rendered(viz.show_images(x))
    np.testing.assert_allclose(fig.axes[1].images[0].get_array(), x[1].permute(1, 2, 0).numpy(),
                               rtol=1e-6)


def test_show_images_shows_the_middle_slice_of_volumes():
    volume = torch.zeros(2, 1, 9, 16, 16)
    volume[:, :, 4] = 0.7                                    # D // 2 = 4
    fig = rendered(viz.show_images(volume))
    assert len(fig.axes) == 2
    np.testing.assert_allclose(fig.axes[0].images[0].get_array(), np.full((16, 16), 0.7), rtol=1e-6)


def test_show_images_accepts_numpy_arrays():
    fig = rendered(viz.show_images(np.random.default_rng(0).random((3, 1, 28, 28))))
    assert len(fig.axes) == 3


@pytest.mark.realdata
def test_show_images_renders_real_rgb_images():
    root = os.environ.get("COURSEKIT_DATA")
    if not root or not (Path(root) / "bloodmnist.npz").exists():
        pytest.skip("bloodmnist.npz not found (set COURSEKIT_DATA)")
    x = np.load(Path(root) / "bloodmnist.npz")["test_images"][:8].transpose(0, 3, 1, 2) / 255
    fig = rendered(viz.show_images(x.astype(np.float32)))
    assert len(fig.axes) == 8


def test_show_images_rejects_a_single_image_without_batch_axis():
    with pytest.raises(ValueError, match=r"\(N, C, H, W\)"):
        viz.show_images(torch.rand(1, 28, 28))


@pytest.mark.parametrize("channels", [2, 4])
def test_show_images_rejects_channel_counts_other_than_1_or_3(channels):
    with pytest.raises(ValueError, match="1 \\(grayscale\\) or 3 \\(RGB\\)"):
        viz.show_images(torch.rand(2, channels, 28, 28))


def test_show_images_rejects_channels_last_images_with_a_hint():
    with pytest.raises(ValueError, match="permute"):
        viz.show_images(torch.rand(2, 28, 28, 3))


def test_show_images_hint_for_a_channels_last_numpy_array_uses_numpy():
    with pytest.raises(ValueError, match=r"np\.transpose\(x, \(0, 3, 1, 2\)\)"):    # arrays have no .permute
        viz.show_images(np.random.rand(2, 28, 28, 3))


def test_show_images_refuses_0_255_images_that_would_be_drawn_white():
    with pytest.raises(ValueError, match="0-255 images\\? Divide by 255"):
        viz.show_images(255 * torch.rand(2, 1, 28, 28))


def test_show_images_still_draws_images_that_overshoot_a_little():
    assert isinstance(viz.show_images(1.3 * torch.rand(2, 1, 28, 28) - 0.1), Figure)


def test_compare_given_a_batch_of_grayscale_images_without_channel_axis_says_unsqueeze():
    clean = torch.rand(4, 16, 16)
    with pytest.raises(ValueError, match=r"unsqueeze\(1\)") as err:
        viz.compare({"noisy": clean + 0.1, "clean": clean}, reference="clean")
    assert "permute" not in str(err.value)


def test_show_images_rejects_the_wrong_number_of_titles():
    with pytest.raises(ValueError, match="2 titles for 3 images"):
        viz.show_images(torch.rand(3, 1, 28, 28), titles=["a", "b"])


def test_show_images_rejects_a_string_as_titles():
    with pytest.raises(TypeError, match="list of 3 strings"):
        viz.show_images(torch.rand(3, 1, 28, 28), titles="abc")


def test_show_images_rejects_uint8_and_lists():
    with pytest.raises(TypeError, match="255"):
        viz.show_images(torch.zeros(2, 1, 8, 8, dtype=torch.uint8))
    with pytest.raises(TypeError, match="torch.Tensor or numpy array"):
        viz.show_images([[0.0]])


# --------------------------------------------------------------------------
# compare
# --------------------------------------------------------------------------

def test_compare_titles_give_psnr_and_ssim_computed_by_coursekit_metrics():
    clean, noisy = pair()
    fig = rendered(viz.compare({"noisy": noisy[0], "clean": clean[0]}, reference="clean"))
    p = metrics.psnr(noisy, clean).item()
    s = metrics.ssim(noisy, clean).item()
    assert titles(fig) == [f"noisy\nPSNR {p:.2f} dB, SSIM {s:.3f}", "clean (reference)"]


def test_compare_has_one_row_per_image_with_that_images_metrics():
    clean, noisy = pair(n=3)
    noisy[2] = clean[2] + 0.3 * (noisy[2] - clean[2])     # image 2 is much less noisy
    fig = rendered(viz.compare({"noisy": noisy, "blurred": clean * 0.9, "clean": clean},
                               reference="clean"))
    assert len(fig.axes) == 9
    assert fig.axes[0].get_subplotspec().get_geometry()[:2] == (3, 3)
    p = metrics.psnr(noisy, clean, reduction="none")
    noisy_titles = titles(fig)[0::3]
    assert all("PSNR" in title and "SSIM" in title for title in noisy_titles)
    assert [f"PSNR {v:.2f} dB" in title for v, title in zip(p.tolist(), noisy_titles)] == [True] * 3
    assert noisy_titles[0] != noisy_titles[2]


def test_compare_error_maps_show_absolute_error_in_cmap_heat_with_colorbars():
    clean, noisy = pair(channels=3)
    fig = rendered(viz.compare({"noisy": noisy, "clean": clean}, reference="clean", errors=True))
    error_ax = [ax for ax in fig.axes if ax.get_title() == "|noisy - clean|"]
    assert len(error_ax) == 1
    im = error_ax[0].images[0]
    assert im.get_cmap().name == viz.CMAP_HEAT
    np.testing.assert_allclose(im.get_array(), (noisy - clean).abs().mean(1)[0].numpy(), rtol=1e-6)
    assert len(fig.axes) == 2 + 1 + 1                      # panels, error map, its colorbar


def test_compare_without_reference_titles_are_the_names():
    clean, noisy = pair()
    fig = rendered(viz.compare({"before": noisy, "after": clean}))
    assert titles(fig) == ["before", "after"]


def test_compare_ncols_wraps_the_panels_of_a_single_image():
    clean, noisy = pair()
    panels = {f"step {i}": clean + i * 0.01 for i in range(6)}
    fig = rendered(viz.compare(panels, ncols=3))
    assert len(fig.axes) == 6
    assert fig.axes[0].get_subplotspec().get_geometry()[:2] == (2, 3)


def test_compare_rejects_an_unknown_reference():
    clean, noisy = pair()
    with pytest.raises(ValueError, match="reference 'target' is not one of the panels"):
        viz.compare({"noisy": noisy, "clean": clean}, reference="target")


def test_compare_rejects_panels_of_different_shapes():
    clean, _ = pair()
    with pytest.raises(ValueError, match="same shape"):
        viz.compare({"small": clean[..., :20, :20], "clean": clean}, reference="clean")


def test_compare_error_maps_need_a_reference():
    clean, noisy = pair()
    with pytest.raises(ValueError, match="needs a reference"):
        viz.compare({"noisy": noisy, "clean": clean}, errors=True)


def test_compare_error_maps_need_a_panel_besides_the_reference():
    clean, _ = pair()
    with pytest.raises(ValueError, match="none besides the reference 'clean'"):
        viz.compare({"clean": clean}, reference="clean", errors=True)


def test_compare_rejects_ncols_with_several_images():
    clean, noisy = pair(n=2)
    with pytest.raises(ValueError, match="ncols applies to a single image"):
        viz.compare({"noisy": noisy, "clean": clean}, ncols=2)


def test_compare_rejects_a_list_of_panels():
    clean, noisy = pair()
    with pytest.raises(TypeError, match="non-empty dict"):
        viz.compare([noisy, clean])


# --------------------------------------------------------------------------
# plot_history
# --------------------------------------------------------------------------

HISTORY = {"epoch": [1, 2, 3, 4], "train_loss": [1.0, 0.6, 0.4, 0.3], "val_loss": [1.1, 0.8, 0.6, 0.6],
           "val_auc": [0.6, 0.7, 0.8, 0.82], "val_acc": [0.5, 0.6, 0.7, 0.71]}


def labels(ax) -> list[str]:
    return [line.get_label() for line in ax.get_lines()]


def test_plot_history_takes_losses_appended_as_tensors_that_track_gradients():
    w = torch.ones(1, requires_grad=True)
    fig = viz.plot_history({"train_loss": [(w * 2).sum(), (w * 1).sum()]})
    assert list(fig.axes[0].lines[0].get_ydata()) == [2.0, 1.0]


def test_plot_history_puts_losses_and_metrics_on_two_panels():
    fig = rendered(viz.plot_history(HISTORY))
    assert titles(fig) == ["loss", "metrics"]
    assert labels(fig.axes[0]) == ["train_loss", "val_loss"]
    assert labels(fig.axes[1]) == ["val_auc", "val_acc"]


def test_plot_history_labels_each_y_axis_by_its_curve_or_its_panel():
    fig = rendered(viz.plot_history(HISTORY))
    assert [ax.get_ylabel() for ax in fig.axes] == ["loss", "value"]
    fig = rendered(viz.plot_history(HISTORY, keys=["train_loss", "val_auc"]))
    assert [ax.get_ylabel() for ax in fig.axes] == ["train_loss", "val_auc"]


def test_plot_history_uses_the_epoch_column_as_x():
    history = dict(HISTORY, epoch=[5, 6, 7, 8])              # e.g. after resuming
    fig = rendered(viz.plot_history(history))
    np.testing.assert_array_equal(fig.axes[0].get_lines()[0].get_xdata(), [5, 6, 7, 8])


def test_plot_history_without_epoch_counts_from_one():
    fig = rendered(viz.plot_history({"train_loss": [3.0, 2.0, 1.0]}))
    assert len(fig.axes) == 1
    np.testing.assert_array_equal(fig.axes[0].get_lines()[0].get_xdata(), [1, 2, 3])


def test_plot_history_keys_select_curves_and_logy_applies_to_losses():
    fig = rendered(viz.plot_history(HISTORY, keys=["train_loss", "val_auc"], logy=True))
    assert [labels(ax) for ax in fig.axes] == [["train_loss"], ["val_auc"]]
    assert fig.axes[0].get_yscale() == "log" and fig.axes[1].get_yscale() == "linear"


def test_plot_history_logy_writes_loss_ticks_as_plain_numbers():
    fig = rendered(viz.plot_history({"train_loss": [0.09, 0.05, 0.03, 0.025]}, logy=True))
    ticks = {t.get_text() for t in fig.axes[0].yaxis.get_ticklabels(minor=True)} - {""}
    # not 3 x 10^-2; 2 and 5 alone would leave "0.05" as the only label of this range, so 3, 4, 6
    # and 8 join it, but not 7 and 9, which crowd the top of a decade
    assert ticks == {"0.03", "0.04", "0.05", "0.06", "0.08"}, ticks


def test_plain_log_labels_give_a_short_range_at_least_two_labels():
    # chapter 4's quick autoencoder: a loss from 0.072 to 0.041 was labelled "0.05" alone
    fig = rendered(viz.plot_history({"train_loss": [0.0719, 0.0474, 0.0417],
                                     "val_loss": [0.0529, 0.0426, 0.0406]}, logy=True))
    ticks = {t.get_text() for t in fig.axes[0].yaxis.get_ticklabels(minor=True)} - {""}
    assert ticks == {"0.04", "0.05", "0.06"}, ticks
    for (low, high), expected in {(0.052, 0.088): {"0.06", "0.08"},           # 3, 4, 6 and 8 suffice
                                  (0.064, 0.098): {"0.07", "0.08", "0.09"}}.items():   # only 8 of them: every tick
        fig, ax = plt.subplots()
        ax.plot([1, 2], [low, high])
        ax.set_yscale("log")
        ax.set_ylim(low, high)
        viz.plain_log_labels(ax.yaxis)
        fig.canvas.draw()
        assert {t.get_text() for t in ax.yaxis.get_minorticklabels()} - {""} == expected, (low, high)
        plt.close(fig)


def test_plot_history_colours_curves_from_the_palette():
    fig = rendered(viz.plot_history(HISTORY))
    colours = [line.get_color() for ax in fig.axes for line in ax.get_lines()]
    assert colours == list(viz.PALETTE[:4])


def test_plot_history_rejects_unknown_keys():
    with pytest.raises(ValueError, match="available"):
        viz.plot_history(HISTORY, keys=["val_psnr"])


def test_plot_history_rejects_curves_of_the_wrong_length():
    with pytest.raises(ValueError, match="one value per epoch"):
        viz.plot_history(dict(HISTORY, val_auc=[0.5, 0.6]))


# --------------------------------------------------------------------------
# plot_roc
# --------------------------------------------------------------------------

def roc_case(n: int = 300, seed: int = 0):
    rng = np.random.default_rng(seed)
    y = rng.integers(0, 2, n)
    good = np.clip(0.35 * y + 0.65 * rng.random(n), 0, 1)
    two_columns = np.stack([1 - good[::-1], good[::-1]], 1)     # a worse model, softmax layout
    return y, {"CNN": good, "baseline": two_columns}


def test_plot_roc_has_a_curve_per_model_with_the_course_auc_in_the_legend():
    y, scores = roc_case()
    fig = rendered(viz.plot_roc(y[:, None], scores, title="pneumonia"))
    assert len(fig.axes) == 1 and titles(fig) == ["pneumonia"]
    legend = [text.get_text() for text in fig.axes[0].get_legend().get_texts()]
    for name, s in scores.items():
        expected = f"{name} (AUC {metrics.auc(y, s, 'binary-class'):.3f})"
        assert expected in legend


def test_plot_roc_uses_palette_colours_in_order():
    y, scores = roc_case()
    fig = rendered(viz.plot_roc(torch.from_numpy(y), scores))
    model_lines = [line for line in fig.axes[0].get_lines() if "AUC 0.5)" not in line.get_label()]
    assert [line.get_color() for line in model_lines] == list(viz.PALETTE[:2])


def test_plot_roc_needs_both_classes():
    with pytest.raises(ValueError, match="both labels 0 and 1"):
        viz.plot_roc(np.ones(10), {"m": np.random.rand(10)})


def test_plot_roc_rejects_scores_of_the_wrong_length():
    y, scores = roc_case()
    with pytest.raises(ValueError, match="expected 300 scores"):
        viz.plot_roc(y, {"CNN": scores["CNN"][:-1]})


# --------------------------------------------------------------------------
# kernel_panel
# --------------------------------------------------------------------------

def test_kernel_panel_shows_signed_outputs_centred_at_zero():
    image = torch.rand(28, 28)
    gradient = image[:, 1:] - image[:, :-1]                 # signed, and one column narrower
    fig = rendered(viz.kernel_panel(image, {"blur": 0.9 * image, "d/dx": gradient}))
    assert titles(fig)[:3] == ["input", "blur", "d/dx"]
    signed = fig.axes[2].images[0]
    assert signed.get_cmap().name == viz.CMAP_SIGNED
    low, high = signed.get_clim()
    assert low == -high and high == pytest.approx(gradient.abs().max().item())
    assert fig.axes[1].images[0].get_cmap().name == viz.CMAP_IMAGE
    assert len(fig.axes) == 3 + 3                           # a signed output: every panel shows its scale


def test_kernel_panel_accepts_numpy_arrays():
    fig = rendered(viz.kernel_panel(np.zeros((8, 8)), {"x4": 4 * np.ones((8, 8))}))
    assert titles(fig)[:2] == ["input", "x4"]
    assert len(fig.axes) == 2 + 2                           # values beyond 1: every panel shows its scale


def test_kernel_panel_gives_every_panel_a_colorbar_when_one_output_needs_a_scale():
    """Cells with and without a colorbar differ in width, which left uneven gaps between panels."""
    image = torch.rand(28, 28)
    fig = rendered(viz.kernel_panel(image, {"blur": 0.9 * image, "d/dx": image - 0.5, "same": image}))
    panels = [ax for ax in fig.axes if ax.get_title()]
    colorbars = [ax for ax in fig.axes if not ax.get_title()]
    assert len(panels) == len(colorbars) == 4
    widths = {round(ax.get_position().width, 3) for ax in panels}
    assert len(widths) == 1


def test_kernel_panel_of_images_in_the_unit_range_has_no_colorbar_at_all():
    fig = rendered(viz.kernel_panel(torch.rand(8, 8), {"a": torch.rand(8, 8)}))
    assert len(fig.axes) == 2


def test_kernel_panel_without_an_input_shows_the_outputs_only():
    fig = rendered(viz.kernel_panel(None, {"a": torch.rand(8, 8), "b": torch.rand(8, 8)}))
    assert titles(fig) == ["a", "b"]


def test_kernel_panel_gives_a_wide_strip_a_wide_cell_within_the_page_width():
    square = viz.kernel_panel(None, {"a": np.zeros((28, 28))})
    strip = viz.kernel_panel(None, {"a": np.zeros((28, 231)), "b": np.zeros((28, 231))}, ncols=1)
    assert tuple(square.get_size_inches()) == pytest.approx((2.2, 2.5))     # square cells as before
    width, height = strip.get_size_inches()
    assert width == pytest.approx(10.0) and width > 3 * height             # as wide as the page allows
    plt.close("all")


def test_kernel_panel_rejects_images_that_are_not_2d():
    with pytest.raises(ValueError, match=r"\(H, W\).*squeeze"):
        viz.kernel_panel(torch.rand(1, 28, 28), {"same": torch.rand(28, 28)})
    with pytest.raises(ValueError, match=r"outputs\['bad'\]"):
        viz.kernel_panel(torch.rand(28, 28), {"bad": torch.rand(1, 1, 28, 28)})


def test_plot_history_leaves_out_timings_by_default():
    fig = viz.plot_history({"epoch": [1, 2], "train_loss": [1.0, 0.5], "val_auc": [0.6, 0.7], "time_s": [3.0, 3.1]})
    labels = [t.get_text() for ax in fig.axes if ax.get_legend() for t in ax.get_legend().get_texts()]
    assert "val_auc" in labels and "time_s" not in labels
    plt.close("all")


def test_plot_history_leaves_out_the_learning_rate_by_default_but_plots_it_on_request():
    history = {"epoch": [1, 2], "train_loss": [1.0, 0.5], "val_auc": [0.6, 0.7], "lr": [3e-3, 1e-3]}
    assert [labels(ax) for ax in rendered(viz.plot_history(history)).axes] == [["train_loss"], ["val_auc"]]
    assert [labels(ax) for ax in rendered(viz.plot_history(history, keys=["lr"])).axes] == [["lr"]]


def test_kernel_panel_refuses_an_output_named_like_the_input():
    with pytest.raises(ValueError, match="named 'input'.*replace the input"):
        viz.kernel_panel(torch.rand(8, 8), {"input": torch.rand(8, 8), "blur": torch.rand(8, 8)})
    fig = viz.kernel_panel(torch.rand(8, 8), {"input": torch.rand(8, 8)}, input_title="original")
    assert [ax.get_title() for ax in fig.axes if ax.get_title()] == ["original", "input"]
    plt.close("all")


def test_kernel_panel_wraps_into_rows_of_ncols():
    outputs = {f"k{i}": np.zeros((5, 5)) for i in range(5)}
    fig = viz.kernel_panel(None, outputs, ncols=3)
    rows = {round(ax.get_position().y0, 3) for ax in fig.axes if ax.get_title()}
    assert len(rows) == 2
    plt.close("all")


# ----------------------------------------------------------------- plot_ladder

def test_plot_ladder_draws_fd_precision_and_recall_over_sigma_from_the_undegraded_images(ladder):
    fig = viz.plot_ladder(dict(reversed(ladder.items())))                     # any order in, sigma order out
    fd, precision, recall = fig.axes
    x, y = fd.lines[0].get_data()
    assert list(x) == [0.0, 0.5, 1.0] and list(y) == [1.0, 3.0, 11.0]       # in sigma order, blur only
    assert list(recall.lines[0].get_ydata()) == [0.7, 0.3, 0.1]
    assert fd.get_yscale() == "log" and precision.get_ylim() == (0, 1)
    plt.close(fig)


def test_plot_ladder_draws_each_mark_and_target_as_a_horizontal_line_in_its_own_style(ladder):
    marks = {"DCGAN": {"fd": 5.0, "precision": 0.4, "recall": 0.65}, "EMA": {"fd": 4.0, "precision": 0.45, "recall": 0.6}}
    fig = viz.plot_ladder(ladder, marks=marks, targets={"fd": 2.0, "precision": 0.5})
    fd, precision, recall = fig.axes
    assert [line.get_ydata()[0] for line in fd.lines[1:]] == [5.0, 4.0, 2.0]
    assert [line.get_label() for line in fd.lines[1:]] == ["DCGAN", "EMA", "target"]
    assert mcolors.same_color(fd.lines[1].get_color(), precision.lines[1].get_color())
    assert len(recall.lines) == 3                                          # no recall target asked for
    plt.close(fig)


def test_plot_ladder_never_draws_a_mark_in_the_ladders_own_colour(ladder):
    marks = {f"run {i}": {"fd": 5.0 + i, "precision": 0.4, "recall": 0.6} for i in range(len(viz.PALETTE) - 1)}
    fd = viz.plot_ladder(ladder, marks=marks).axes[0]
    ladder_colour, mark_colours = fd.lines[0].get_color(), [line.get_color() for line in fd.lines[1:]]
    assert not any(mcolors.same_color(ladder_colour, c) for c in mark_colours)
    assert len({mcolors.to_hex(c) for c in mark_colours}) == len(marks)
    plt.close("all")


def test_plot_ladder_given_something_else_than_a_ladder_says_what_a_ladder_is():
    with pytest.raises(TypeError, match="a ladder is the dict"):
        viz.plot_ladder([1.0, 2.0])


def test_plot_ladder_refuses_a_missing_kind_and_marks_without_the_three_metrics(ladder):
    with pytest.raises(ValueError, match="no 'jpeg' degradation"):
        viz.plot_ladder(ladder, kind="jpeg")
    with pytest.raises(ValueError, match="'DCGAN' must give"):
        viz.plot_ladder(ladder, marks={"DCGAN": {"fd": 5.0}})
    with pytest.raises(ValueError, match="'targets' must give"):
        viz.plot_ladder(ladder, targets={"FD": 2.0})
    plt.close("all")


def test_kernel_panel_refuses_an_empty_image():
    with pytest.raises(ValueError, match="the image is empty"):
        viz.kernel_panel(torch.rand(0, 5), {"blur": torch.rand(3, 3)})


def test_show_images_refuses_an_empty_batch():
    with pytest.raises(ValueError, match="got 0 images"):
        viz.show_images(torch.rand(0, 1, 28, 28))


def test_plot_roc_puts_a_long_legend_below_the_axes_off_the_curves():
    """Five models and the chance line in the lower right covered the curves at low FPR."""
    y, scores = roc_case()
    many = {f"model {i}": scores["CNN"] ** (1 + i) for i in range(5)}
    fig = rendered(viz.plot_roc(y, many))
    ax = fig.axes[0]
    legend, box = ax.get_legend().get_window_extent(), ax.get_window_extent()
    assert legend.y1 <= box.y0 + 1                     # entirely below the plotting area
    few = rendered(viz.plot_roc(y, scores)).axes[0]
    assert few.get_legend().get_window_extent().overlaps(few.get_window_extent())   # two fit in the corner


def test_plot_roc_keeps_the_axes_size_when_the_legend_goes_below():
    """The legend below the axes took its height from the axes: with five models the square plot
    shrank to about half the width of the figure, and its curves were hard to read."""
    y, scores = roc_case()
    many = {f"model {i}": scores["CNN"] ** (1 + i) for i in range(5)}
    side = lambda fig: fig.axes[0].get_window_extent().height
    big, small = rendered(viz.plot_roc(y, many)), rendered(viz.plot_roc(y, scores))
    assert side(big) > 0.9 * side(small)


def test_plain_log_labels_write_plain_numbers_at_powers_of_ten_and_at_2_and_5_only():
    fig, ax = plt.subplots()
    ax.plot([1, 2], [3, 40])
    ax.set_yscale("log")
    viz.plain_log_labels(ax.yaxis)
    fig.canvas.draw()
    minor = {t.get_text() for t in ax.yaxis.get_minorticklabels()} - {""}
    major = {t.get_text() for t in ax.yaxis.get_majorticklabels()} - {""}
    assert "10" in major and minor <= {"2", "5", "20", "50"} and "5" in minor
    plt.close(fig)


def test_plain_log_labels_leave_minor_ticks_unlabelled_over_many_decades():
    fig, ax = plt.subplots()
    ax.plot([1, 2], [1e-6, 1.0])
    ax.set_yscale("log")
    viz.plain_log_labels(ax.yaxis)
    fig.canvas.draw()
    assert {t.get_text() for t in ax.yaxis.get_minorticklabels()} == {""}   # 2 and 5 in each of 6 decades would crowd
    assert "0.001" in {t.get_text() for t in ax.yaxis.get_majorticklabels()}
    plt.close(fig)


# --------------------------------------------------------------------------
# mutation-test additions
# --------------------------------------------------------------------------

def test_show_images_draws_grayscale_between_the_vmin_and_vmax_it_is_given():
    fig = viz.show_images(torch.rand(2, 1, 8, 8), vmin=-1.0, vmax=2.0)
    assert [ax.images[0].get_clim() for ax in fig.axes] == [(-1.0, 2.0)] * 2


def test_show_images_draws_grayscale_in_the_cmap_it_is_given():
    assert viz.show_images(torch.rand(2, 1, 8, 8), cmap="viridis").axes[0].images[0].get_cmap().name == "viridis"


def test_show_images_refuses_vmin_equal_to_vmax():
    with pytest.raises(ValueError, match="need vmin < vmax; got vmin=0.5, vmax=0.5"):
        viz.show_images(torch.rand(2, 1, 8, 8), vmin=0.5, vmax=0.5)


def test_show_images_uses_no_more_columns_than_images():
    fig = viz.show_images(torch.rand(3, 1, 8, 8))                     # ncols=8 by default
    assert fig.axes[0].get_subplotspec().get_geometry()[:2] == (1, 3)


def test_show_images_draws_rgb_with_vmin_black_and_vmax_white():
    x = 2 * torch.rand(1, 3, 8, 8) - 1                                 # in [-1, 1]
    fig = viz.show_images(x, vmin=-1.0, vmax=1.0)
    np.testing.assert_allclose(fig.axes[0].images[0].get_array(), ((x[0] + 1) / 2).permute(1, 2, 0).numpy(),
                               rtol=1e-6)


def test_show_images_clips_rgb_to_its_display_range_itself_without_matplotlibs_warning(caplog):
    x = torch.full((1, 3, 8, 8), 0.5)
    x[0, :, 0, 0] = 1.5                                                # overshoots vmax=1
    with caplog.at_level("WARNING", logger="matplotlib"):
        drawn = np.asarray(viz.show_images(x).axes[0].images[0].get_array())
    assert drawn.max() == 1.0 and drawn[1, 1, 0] == pytest.approx(0.5)
    assert not [r for r in caplog.records if "Clipping input data" in r.getMessage()]


def test_show_images_shows_slice_d_over_2_of_a_volume_of_even_depth():
    volume = torch.zeros(1, 1, 8, 16, 16)
    volume[:, :, 4] = 0.7                                              # D // 2 = 4, not 3
    np.testing.assert_allclose(viz.show_images(volume).axes[0].images[0].get_array(), np.full((16, 16), 0.7),
                               rtol=1e-6)


def test_compare_titles_measure_psnr_and_ssim_with_the_data_range_given():
    clean, noisy = pair()
    fig = viz.compare({"noisy": noisy, "clean": clean}, reference="clean", data_range=2.0)
    p = metrics.psnr(noisy, clean, data_range=2.0).item()
    s = metrics.ssim(noisy, clean, data_range=2.0).item()
    assert titles(fig)[0] == f"noisy\nPSNR {p:.2f} dB, SSIM {s:.3f}"


def test_compare_error_maps_share_one_colour_scale_set_by_the_largest_error():
    clean, noisy = pair()
    fig = viz.compare({"noisy": noisy, "mild": clean + 0.1 * (noisy - clean), "clean": clean}, reference="clean",
                      errors=True)
    error_images = [ax.images[0] for ax in fig.axes if ax.get_title().startswith("|")]
    largest = float((noisy - clean).abs().max())
    assert [im.get_clim() for im in error_images] == [(0.0, pytest.approx(largest))] * 2


def test_compare_draws_images_between_the_vmin_and_vmax_it_is_given():
    clean, noisy = pair()
    fig = viz.compare({"noisy": noisy, "clean": clean}, vmin=-0.5, vmax=1.5)
    assert [ax.images[0].get_clim() for ax in fig.axes] == [(-0.5, 1.5)] * 2


def test_kernel_panel_centres_a_signed_output_on_its_largest_magnitude_either_side():
    out = np.array([[-0.5, 0.0], [1.0, 2.0]])                         # more positive than negative
    assert viz.kernel_panel(None, {"d": out}).axes[0].images[0].get_clim() == (-2.0, 2.0)


def test_kernel_panel_draws_an_output_reaching_exactly_1_on_the_fixed_gray_scale():
    out = np.array([[0.2, 0.5], [0.7, 1.0]])
    im = viz.kernel_panel(None, {"blur": out}).axes[0].images[0]
    assert im.get_cmap().name == viz.CMAP_IMAGE and im.get_clim() == (0.0, 1.0)


def test_kernel_panel_draws_an_output_beyond_1_in_gray_on_its_own_range():
    out = np.array([[0.5, 1.0], [2.0, 4.0]])
    im = viz.kernel_panel(None, {"x4": out}).axes[0].images[0]
    assert im.get_cmap().name == viz.CMAP_IMAGE and im.get_clim() == (0.5, 4.0)


def test_kernel_panel_refuses_an_image_with_nan():
    with pytest.raises(ValueError, match=r"outputs\['bad'\]: contains NaN or Inf"):
        viz.kernel_panel(None, {"bad": np.array([[0.0, np.nan], [0.0, 0.0]])})


def test_plot_history_puts_a_capitalised_loss_on_the_loss_panel():
    fig = viz.plot_history({"KL_Loss": [1.0, 0.5], "val_auc": [0.6, 0.7]})
    assert [labels(ax) for ax in fig.axes] == [["KL_Loss"], ["val_auc"]]


def test_plot_history_takes_one_key_as_a_string():
    assert [labels(ax) for ax in viz.plot_history(HISTORY, keys="val_auc").axes] == [["val_auc"]]


def test_plot_history_marks_the_points_of_a_short_history_only():
    short = viz.plot_history({"train_loss": [1.0] * 30}).axes[0].lines[0]
    long = viz.plot_history({"train_loss": [1.0] * 31}).axes[0].lines[0]
    assert short.get_marker() == "o" and long.get_marker() == "None"


def test_plot_ladder_titles_and_labels_its_panels(ladder):
    fig = viz.plot_ladder(ladder)
    assert titles(fig) == ["FD to the reference", "precision", "recall"]
    assert [ax.get_xlabel() for ax in fig.axes] == ["blur sigma (px)"] * 3


def test_plot_ladder_keeps_precision_and_recall_on_the_unit_scale(ladder):
    _, precision, recall = viz.plot_ladder(ladder).axes
    assert precision.get_ylim() == recall.get_ylim() == (0, 1)


def test_plot_ladder_legend_names_an_fd_target_drawn_on_the_first_panel_only(ladder):
    fig = viz.plot_ladder(ladder, targets={"fd": 2.0})
    assert [t.get_text() for t in fig.legends[0].get_texts()] == ["real images, blur", "target"]


def test_plot_ladder_legend_names_a_target_given_without_an_fd_target(ladder):
    """The legend was read from the FD panel alone, so a precision target was drawn but not named."""
    fig = viz.plot_ladder(ladder, targets={"precision": 0.5})
    assert [t.get_text() for t in fig.legends[0].get_texts()] == ["real images, blur", "target"]


def test_plot_ladder_draws_a_recall_target_on_the_recall_panel(ladder):
    recall = viz.plot_ladder(ladder, targets={"recall": 0.5}).axes[2]
    assert [line.get_label() for line in recall.lines] == ["real images, blur", "target"]


def test_plot_ladder_refuses_more_marks_than_colours_besides_the_ladders(ladder):
    marks = {f"run {i}": {"fd": 5.0, "precision": 0.4, "recall": 0.6} for i in range(len(viz.PALETTE))}
    with pytest.raises(ValueError, match="at most 7 marks; got 8"):
        viz.plot_ladder(ladder, marks=marks)


def test_plot_roc_keeps_the_legend_of_three_models_inside_the_axes():
    y, scores = roc_case()
    three = {**scores, "third": scores["CNN"] ** 2}
    ax = rendered(viz.plot_roc(y, three)).axes[0]
    assert ax.get_legend().get_window_extent().overlaps(ax.get_window_extent())


def test_plot_roc_refuses_more_models_than_palette_colours():
    y, scores = roc_case()
    with pytest.raises(ValueError, match="at most 8 curves"):
        viz.plot_roc(y, {f"m{i}": scores["CNN"] for i in range(9)})


def test_plot_roc_refuses_scores_with_nan():
    y, scores = roc_case()
    bad = scores["CNN"].copy()
    bad[0] = np.nan
    with pytest.raises(ValueError, match=r"scores\['CNN'\]: contains NaN"):
        viz.plot_roc(y, {"CNN": bad})


def test_plot_roc_refuses_labels_other_than_0_and_1():
    y, scores = roc_case()
    with pytest.raises(ValueError, match=r"both labels 0 and 1.*got labels \[1, 2\]"):
        viz.plot_roc(y + 1, scores)


def test_plot_roc_refuses_labels_of_two_columns():
    y, scores = roc_case()
    with pytest.raises(ValueError, match=r"\(N,\) or \(N, 1\) binary labels"):
        viz.plot_roc(np.stack([1 - y, y], 1), scores)


def test_plot_roc_is_titled_roc_by_default_and_labels_its_axes():
    y, scores = roc_case()
    ax = viz.plot_roc(y, scores).axes[0]
    assert ax.get_title() == "ROC"
    assert (ax.get_xlabel(), ax.get_ylabel()) == ("false positive rate (1 - specificity)",
                                                  "true positive rate (sensitivity)")


def test_plain_log_labels_leave_minor_ticks_unlabelled_beyond_two_decades():
    fig, ax = plt.subplots()
    ax.plot([1, 2], [1.0, 300.0])                                      # about 2.5 decades
    ax.set_yscale("log")
    ax.set_ylim(1.0, 300.0)
    viz.plain_log_labels(ax.yaxis)
    fig.canvas.draw()
    assert {t.get_text() for t in ax.yaxis.get_minorticklabels()} == {""}


# --------------------------------------------------------------------------
# A saved montage (a benchmark's picture)
# --------------------------------------------------------------------------

def test_show_montage_draws_the_picture_at_its_own_size_in_gray_on_the_unit_range():
    picture = np.linspace(0, 1, 58 * 290, dtype=np.float32).reshape(58, 290)
    fig = rendered(viz.show_montage(picture, title="samples"))
    (ax,) = fig.axes
    assert tuple(fig.get_size_inches()) == pytest.approx((290 / 45, 58 / 45))
    (im,) = ax.get_images()
    assert im.get_cmap().name == viz.CMAP_IMAGE and im.get_clim() == (0.0, 1.0)
    np.testing.assert_array_equal(im.get_array(), picture)
    assert ax.get_title() == "samples" and list(ax.get_xticks()) == [] and list(ax.get_yticks()) == []


def test_show_montage_writes_a_label_at_the_middle_of_each_row():
    picture = np.zeros((3 * 29 - 1, 100), dtype=np.float32)   # three rows of 28 px, 1 px apart
    fig = rendered(viz.show_montage(picture, row_labels=["original", "PCA", "autoencoder"]))
    ax = fig.axes[0]
    assert [t.get_text() for t in ax.get_yticklabels()] == ["original", "PCA", "autoencoder"]
    np.testing.assert_allclose(ax.get_yticks(), [(k + 0.5) * 86 / 3 for k in range(3)])


def test_show_montage_reads_a_picture_saved_by_a_benchmark(tmp_path, monkeypatch):
    from coursekit import bench, data

    monkeypatch.setattr(data, "_FALLBACKS", set())   # other tests of this process may have used phantoms
    picture = np.tile(np.linspace(0, 1, 30, dtype=np.float32), (10, 1))
    path = bench.write_image("demo", picture, profile="full", results_dir=tmp_path)
    fig = rendered(viz.show_montage(plt.imread(path)))
    np.testing.assert_allclose(fig.axes[0].get_images()[0].get_array(), picture, atol=1 / 255)


@pytest.mark.parametrize("picture, expected", [
    (np.zeros((2, 10, 10)), r"one 2-D image \(H, W\)"),
    (np.full((10, 10), 255.0), r"\[0, 1\]"),
])
def test_show_montage_refuses_what_is_not_one_grayscale_picture_in_the_unit_range(picture, expected):
    with pytest.raises(ValueError, match=expected):
        viz.show_montage(picture)


@pytest.mark.parametrize("labels, expected", [
    ("original", "a list of strings"),
    ([], "at least one"),
    (["a"] * 11, "11 row labels for a picture 10 pixels high"),
])
def test_show_montage_refuses_row_labels_it_cannot_place(labels, expected):
    with pytest.raises((TypeError, ValueError), match=expected):
        viz.show_montage(np.zeros((10, 10)), row_labels=labels)


@pytest.mark.parametrize("scale", [0, -45, float("nan")])
def test_show_montage_refuses_a_scale_that_is_not_a_positive_number(scale):
    with pytest.raises(ValueError, match="pixels_per_inch must be a positive number"):
        viz.show_montage(np.zeros((10, 10)), pixels_per_inch=scale)


def test_compare_error_maps_for_the_panels_named_share_a_scale_set_by_them_alone():
    clean, noisy = pair()
    mild = clean + 0.1 * (noisy - clean)
    fig = viz.compare({"noisy": noisy, "mild": mild, "clean": clean}, reference="clean", errors=["mild"])
    error_axes = [ax for ax in fig.axes if ax.get_title().startswith("|")]
    assert [ax.get_title() for ax in error_axes] == ["|mild - clean|"]
    largest = float((mild - clean).abs().mean(1).max())
    assert error_axes[0].images[0].get_clim() == (0.0, pytest.approx(largest))
    assert len(fig.axes) == 3 + 1 + 1                      # panels, one error map, its colorbar


def test_compare_error_maps_named_must_be_panels_besides_the_reference():
    clean, noisy = pair()
    with pytest.raises(ValueError, match="not panels besides the reference"):
        viz.compare({"noisy": noisy, "clean": clean}, reference="clean", errors=["clean"])
    with pytest.raises(ValueError, match="not panels besides the reference"):
        viz.compare({"noisy": noisy, "clean": clean}, reference="clean", errors=["blurred"])
    with pytest.raises(TypeError, match="list of panel names"):
        viz.compare({"noisy": noisy, "clean": clean}, reference="clean", errors="noisy")


# --------------------------------------------------------------------------
# signed_maps
# --------------------------------------------------------------------------

def test_signed_maps_draws_one_row_per_image_and_one_column_per_name():
    clean, noisy = pair(n=3)
    fig = rendered(viz.signed_maps({"a": noisy - clean, "b": 0.5 * (noisy - clean)}, label="noisy minus output"))
    panels = [ax for ax in fig.axes if ax.images]
    assert [ax.get_title() for ax in panels] == ["a", "b"] * 3
    np.testing.assert_allclose(panels[3].images[0].get_array(), 0.5 * (noisy - clean)[1, 0].numpy(), rtol=1e-6)
    assert fig.axes[-1].get_ylabel() == "noisy minus output"          # the colour bar
    plt.close(fig)


def test_signed_maps_share_one_scale_symmetric_about_zero_set_by_the_largest_magnitude():
    small = torch.full((1, 1, 4, 4), 0.1)
    large = torch.full((1, 1, 4, 4), -0.3)
    fig = viz.signed_maps({"small": small, "large": large})
    for ax in fig.axes[:2]:
        assert ax.images[0].get_clim() == (pytest.approx(-0.3), pytest.approx(0.3))
        assert ax.images[0].get_cmap().name == viz.CMAP_SIGNED
    plt.close(fig)


def test_signed_maps_takes_one_map_without_a_batch_axis():
    fig = viz.signed_maps({"one": torch.zeros(1, 5, 6)})
    assert fig.axes[0].images[0].get_array().shape == (5, 6)
    plt.close(fig)


def test_signed_maps_rejects_maps_of_different_shapes_or_several_channels_or_none():
    with pytest.raises(ValueError, match="same shape"):
        viz.signed_maps({"a": torch.zeros(1, 1, 4, 4), "b": torch.zeros(2, 1, 4, 4)})
    with pytest.raises(ValueError, match="one channel"):
        viz.signed_maps({"rgb": torch.zeros(1, 3, 4, 4)})
    with pytest.raises(TypeError, match="non-empty dict"):
        viz.signed_maps({})

"""coursekit.metrics: image quality as skimage, classification as medmnist."""
from __future__ import annotations

import os
from pathlib import Path

import numpy as np
import pytest
import torch
from medmnist.evaluator import getACC, getAUC
from scipy.ndimage import gaussian_filter
from skimage.metrics import peak_signal_noise_ratio, structural_similarity

from coursekit import metrics
from coursekit.metrics import TASKS, accuracy, auc, mse, psnr, ssim


# --------------------------------------------------------------------------
# Data: real MedMNIST images when COURSEKIT_DATA has them, generated otherwise
# --------------------------------------------------------------------------

def real_npz(flag: str):
    root = os.environ.get("COURSEKIT_DATA")
    if not root or not (Path(root) / f"{flag}.npz").exists():
        pytest.skip(f"{flag}.npz not found (set COURSEKIT_DATA to the verified MedMNIST folder)")
    return np.load(Path(root) / f"{flag}.npz")


def real_images(flag: str, n: int = 16) -> np.ndarray:
    """(n, C, H, W) float64 in [0, 1] from the test split."""
    images = real_npz(flag)["test_images"][:n].astype(np.float64) / 255
    return images[:, None] if images.ndim == 3 else images.transpose(0, 3, 1, 2)


def generated_images(n: int = 6, channels: int = 1, size: int = 28, seed: int = 0) -> np.ndarray:
    """Smooth random images with structure at several scales, (n, C, size, size) in [0, 1]."""
    rng = np.random.default_rng(seed)
    x = gaussian_filter(rng.random((n, channels, size, size)), sigma=(0, 0, 2, 2))
    x = (x - x.min()) / (x.max() - x.min())
    return 0.7 * x + 0.3 * (rng.random(x.shape) > 0.97)   # plus a few bright spots


def degrade(clean: np.ndarray, noise: float = 0.1, blur: float = 1.0, seed: int = 0) -> np.ndarray:
    """Gaussian blur then seeded Gaussian noise; NOT clipped, so values overshoot [0, 1]."""
    rng = np.random.default_rng(seed)
    spatial_blur = (0,) * (clean.ndim - 2) + (blur, blur)
    return gaussian_filter(clean, sigma=spatial_blur) + rng.normal(0, noise, clean.shape)


def skimage_ssim(a: np.ndarray, b: np.ndarray, **kw) -> np.ndarray:
    return np.array([structural_similarity(x, y, channel_axis=0, **kw) for x, y in zip(a, b)])


def skimage_psnr(a: np.ndarray, b: np.ndarray, **kw) -> np.ndarray:
    return np.array([peak_signal_noise_ratio(y, x, **kw) for x, y in zip(a, b)])


def t(a: np.ndarray, dtype=torch.float32) -> torch.Tensor:
    return torch.tensor(a, dtype=dtype)


# --------------------------------------------------------------------------
# Agreement with skimage
# --------------------------------------------------------------------------

@pytest.mark.parametrize("channels", [1, 3])
def test_ssim_matches_skimage_on_generated_images(channels):
    clean = generated_images(channels=channels)
    noisy = degrade(clean)
    ours = ssim(t(noisy), t(clean), reduction="none")
    np.testing.assert_allclose(ours.double().numpy(), skimage_ssim(noisy, clean, data_range=1.0),
                               atol=1e-4)


def test_ssim_in_float64_matches_skimage_to_rounding():
    clean = generated_images(channels=3)
    noisy = degrade(clean)
    ours = ssim(t(noisy, torch.float64), t(clean, torch.float64), reduction="none")
    np.testing.assert_allclose(ours.numpy(), skimage_ssim(noisy, clean, data_range=1.0), atol=1e-10)


def test_ssim_matches_skimage_with_other_window_and_data_range():
    clean = 255 * generated_images(channels=1, size=20)
    noisy = degrade(clean, noise=20.0)
    ours = ssim(t(noisy), t(clean), data_range=255, win_size=5, reduction="none")
    ref = skimage_ssim(noisy, clean, data_range=255, win_size=5)
    np.testing.assert_allclose(ours.double().numpy(), ref, atol=1e-3)


def test_ssim_matches_skimage_on_volumes():
    clean = gaussian_filter(np.random.default_rng(1).random((2, 1, 12, 12, 12)), sigma=(0, 0, 1, 1, 1))
    noisy = degrade(clean, noise=0.05)
    ours = ssim(t(noisy), t(clean), reduction="none")
    ref = skimage_ssim(noisy, clean, data_range=1.0)
    np.testing.assert_allclose(ours.double().numpy(), ref, atol=1e-4)


@pytest.mark.parametrize("channels", [1, 3])
def test_psnr_matches_skimage_on_generated_images(channels):
    clean = generated_images(channels=channels)
    noisy = degrade(clean, noise=0.05)
    ours = psnr(t(noisy), t(clean), reduction="none")
    np.testing.assert_allclose(ours.double().numpy(), skimage_psnr(noisy, clean, data_range=1.0),
                               atol=1e-3)


@pytest.mark.realdata
@pytest.mark.parametrize("flag", ["pneumoniamnist", "bloodmnist"])
def test_ssim_matches_skimage_on_real_images(flag):
    clean = real_images(flag)
    noisy = degrade(clean, seed=1)
    ours = ssim(t(noisy), t(clean), reduction="none")
    np.testing.assert_allclose(ours.double().numpy(), skimage_ssim(noisy, clean, data_range=1.0),
                               atol=1e-4)


@pytest.mark.realdata
@pytest.mark.parametrize("flag", ["pneumoniamnist", "bloodmnist"])
def test_psnr_matches_skimage_on_real_images(flag):
    clean = real_images(flag)
    noisy = degrade(clean, seed=2)
    ours = psnr(t(noisy), t(clean), reduction="none")
    np.testing.assert_allclose(ours.double().numpy(), skimage_psnr(noisy, clean, data_range=1.0),
                               atol=1e-3)


@pytest.mark.realdata
def test_ssim_matches_skimage_on_real_volumes():
    clean = real_npz("adrenalmnist3d")["test_images"][:2, None].astype(np.float64) / 255
    noisy = degrade(clean, seed=3)
    ours = ssim(t(noisy), t(clean), reduction="none")
    np.testing.assert_allclose(ours.double().numpy(), skimage_ssim(noisy, clean, data_range=1.0),
                               atol=1e-4)


# --------------------------------------------------------------------------
# Values, reductions and special cases
# --------------------------------------------------------------------------

def test_mse_is_computed_per_image():
    x = torch.zeros(3, 2, 8, 8)
    y = torch.stack([torch.full((2, 8, 8), v) for v in (0.0, 0.1, 0.3)])
    torch.testing.assert_close(mse(x, y, reduction="none"), torch.tensor([0.0, 0.01, 0.09]))


def test_psnr_of_a_known_mse():
    x = torch.zeros(1, 1, 8, 8)
    y = torch.full((1, 1, 8, 8), 0.1)                      # MSE 0.01
    assert psnr(x, y).item() == pytest.approx(20.0, abs=1e-4)
    assert psnr(255 * x, 255 * y, data_range=255).item() == pytest.approx(20.0, abs=1e-4)


@pytest.mark.parametrize("metric", [mse, psnr, ssim])
def test_reductions_none_mean_and_sum_agree(metric):
    clean = t(generated_images(n=4))
    noisy = t(degrade(generated_images(n=4)))
    per_image = metric(noisy, clean, reduction="none")
    assert per_image.shape == (4,)
    torch.testing.assert_close(metric(noisy, clean), per_image.mean())
    torch.testing.assert_close(metric(noisy, clean, reduction="sum"), per_image.sum())


def test_metrics_accept_values_outside_unit_range():
    clean = t(generated_images(n=2))
    overshoot = clean.clone()
    overshoot[..., :4, :] = -0.2                            # a restoration may undershoot 0
    overshoot[..., -4:, :] = 1.2                            # ... and overshoot 1
    assert torch.isfinite(psnr(overshoot, clean)) and torch.isfinite(ssim(overshoot, clean))


def test_ssim_of_identical_images_is_one():
    x = t(generated_images(n=2, channels=3))
    torch.testing.assert_close(ssim(x, x.clone(), reduction="none"), torch.ones(2))


def test_ssim_of_different_images_is_below_one():
    clean = t(generated_images(n=2))
    assert (ssim(t(degrade(clean.numpy())), clean, reduction="none") < 0.9).all()


def test_psnr_of_identical_images_is_inf():
    x = t(generated_images(n=2))
    assert torch.isinf(psnr(x, x.clone(), reduction="none")).all()


def test_psnr_gradient_is_finite_when_an_image_is_identical():
    clean = t(generated_images(n=2))
    restored = clean.clone()
    restored[1] += 0.1                                     # image 0 identical, image 1 not
    restored.requires_grad_(True)
    (-psnr(restored, clean, reduction="sum")).backward()
    assert torch.isfinite(restored.grad).all()
    assert restored.grad[0].abs().sum() == 0 and restored.grad[1].abs().sum() > 0


def test_half_precision_inputs_are_computed_in_float32():
    clean = t(generated_images(n=2))
    noisy = t(degrade(clean.numpy()))
    value = ssim(noisy.bfloat16(), clean.bfloat16())
    assert value.dtype == torch.float32
    assert value.item() == pytest.approx(ssim(noisy.bfloat16().float(), clean.bfloat16().float()).item())


# --------------------------------------------------------------------------
# As losses
# --------------------------------------------------------------------------

def _descend(loss_fn, start: torch.Tensor, target: torch.Tensor, steps: int, lr: float):
    x = start.clone().requires_grad_(True)
    opt = torch.optim.SGD([x], lr=lr)
    for _ in range(steps):
        opt.zero_grad()
        loss_fn(x, target).backward()
        opt.step()
    return x.detach()


def test_gradient_steps_on_one_minus_ssim_increase_ssim():
    clean = t(generated_images(n=2))
    noisy = t(degrade(clean.numpy()))
    before = ssim(noisy, clean).item()
    after_x = _descend(lambda x, y: 1 - ssim(x, y), noisy, clean, steps=10, lr=20.0)
    assert ssim(after_x, clean).item() > before + 0.05


def test_gradient_steps_on_mse_decrease_mse():
    clean = t(generated_images(n=2))
    noisy = t(degrade(clean.numpy()))
    before = mse(noisy, clean).item()
    after_x = _descend(mse, noisy, clean, steps=10, lr=100.0)
    assert mse(after_x, clean).item() < 0.5 * before


# --------------------------------------------------------------------------
# Bad image input
# --------------------------------------------------------------------------

@pytest.mark.parametrize("metric", [mse, psnr, ssim])
def test_image_metrics_reject_mismatched_shapes(metric):
    with pytest.raises(ValueError, match="same shape"):
        metric(torch.rand(2, 1, 28, 28), torch.rand(2, 1, 27, 28))


@pytest.mark.parametrize("metric", [mse, psnr, ssim])
def test_image_metrics_reject_images_without_batch_axis(metric):
    with pytest.raises(ValueError, match=r"\(N, C, H, W\)"):
        metric(torch.rand(1, 28, 28), torch.rand(1, 28, 28))


@pytest.mark.parametrize("metric", [mse, psnr, ssim])
def test_image_metrics_reject_numpy_arrays(metric):
    with pytest.raises(TypeError, match="torch.Tensor"):
        metric(np.zeros((1, 1, 8, 8)), np.zeros((1, 1, 8, 8)))


@pytest.mark.parametrize("metric", [mse, psnr, ssim])
def test_image_metrics_reject_unknown_reduction(metric):
    with pytest.raises(ValueError, match="reduction"):
        metric(torch.rand(1, 1, 8, 8), torch.rand(1, 1, 8, 8), reduction="avg")


@pytest.mark.parametrize("metric", [psnr, ssim])
@pytest.mark.parametrize("data_range", [0, -1.0, float("inf")])
def test_data_range_must_be_positive(metric, data_range):
    with pytest.raises(ValueError, match="data_range must be a positive number"):
        metric(torch.rand(1, 1, 8, 8), torch.rand(1, 1, 8, 8), data_range=data_range)


@pytest.mark.parametrize("win_size", [4, 1])
def test_ssim_window_must_be_odd_and_at_least_three(win_size):
    with pytest.raises(ValueError, match="win_size must be odd"):
        ssim(torch.rand(1, 1, 8, 8), torch.rand(1, 1, 8, 8), win_size=win_size)


def test_ssim_window_larger_than_image_says_so():
    with pytest.raises(ValueError, match=r"win_size=7 exceeds the image size 5x6"):
        ssim(torch.rand(1, 1, 5, 6), torch.rand(1, 1, 5, 6))


@pytest.mark.parametrize("metric", [psnr, ssim])
def test_0_255_images_scored_with_the_default_data_range_are_refused(metric):
    x, y = 255 * torch.rand(2, 1, 16, 16), 255 * torch.rand(2, 1, 16, 16)
    with pytest.raises(ValueError, match="0-255 images.*data_range=255"):
        metric(x, y)


@pytest.mark.parametrize("metric", [psnr, ssim])
def test_unit_images_scored_with_data_range_255_are_refused(metric):
    x, y = torch.rand(2, 1, 16, 16), torch.rand(2, 1, 16, 16)
    with pytest.raises(ValueError, match=r"Images in \[0, 1\]\? Pass data_range=1.0"):
        metric(x, y, data_range=255)


@pytest.mark.parametrize("metric", [psnr, ssim])
def test_images_in_minus_1_1_scored_with_the_default_data_range_are_refused(metric):
    """skimage takes data_range 2 for float images with negative values; a span of 1 for tanh
    outputs would read 6 dB lower without a word."""
    x, y = 2 * torch.rand(2, 1, 16, 16) - 1, 2 * torch.rand(2, 1, 16, 16) - 1
    with pytest.raises(ValueError, match=r"\[-1, 1\]\? Pass data_range=2"):
        metric(x, y)
    assert torch.isfinite(metric(x, y, data_range=2.0))


def test_a_noisy_image_that_spans_more_than_the_range_is_scored_against_its_clean_image():
    clean = torch.rand(2, 1, 16, 16)
    noisy = clean + 0.5 * torch.randn(2, 1, 16, 16, generator=torch.Generator().manual_seed(0))
    assert torch.isfinite(psnr(noisy, clean)) and torch.isfinite(ssim(noisy, clean))


def test_two_noisy_images_of_one_scene_are_scored():
    """Noise between two acquisitions (a Noise2Noise target): neither image is clean."""
    clean = torch.rand(2, 1, 32, 32, generator=torch.Generator().manual_seed(1))
    gen = torch.Generator().manual_seed(2)
    a, b = (clean + 0.15 * torch.randn(2, 1, 32, 32, generator=gen) for _ in range(2))
    assert torch.isfinite(psnr(a, b)) and torch.isfinite(ssim(a, b))


def test_a_restored_image_that_overshoots_is_still_scored():
    clean = torch.rand(2, 1, 16, 16)
    overshoot = 1.6 * clean - 0.3   # values in [-0.3, 1.3]
    assert torch.isfinite(psnr(overshoot, clean)) and torch.isfinite(ssim(overshoot, clean))


def test_ssim_says_when_images_look_channels_last():
    x = torch.rand(2, 28, 28, 3)
    with pytest.raises(ValueError, match=r"channels-last.*permute\(0, 3, 1, 2\)"):
        ssim(x, x)


def test_ssim_on_images_under_3_pixels_does_not_suggest_an_impossible_window():
    x = torch.rand(1, 2, 8, 2)
    with pytest.raises(ValueError, match="at least 3 pixels") as err:
        ssim(x, x)
    assert "<= 2" not in str(err.value)


@pytest.mark.parametrize("metric, argument", [(psnr, "data_range"), (ssim, "data_range"), (ssim, "win_size")])
def test_a_bool_is_refused_as_a_number_argument(metric, argument):
    x = torch.rand(1, 1, 8, 8, generator=torch.Generator().manual_seed(0))
    with pytest.raises(TypeError, match=f"{argument} must be"):
        metric(x, x.clone(), **{argument: True})


def test_ssim_window_as_large_as_the_image_is_allowed_and_matches_skimage():
    """win_size may equal the image size: one window, the whole 7x7 image."""
    clean = generated_images(n=2, size=7)
    noisy = degrade(clean, noise=0.05)
    ours = ssim(t(noisy, torch.float64), t(clean, torch.float64), reduction="none")
    np.testing.assert_allclose(ours.numpy(), skimage_ssim(noisy, clean, data_range=1.0), atol=1e-10)


def test_ssim_window_larger_than_one_side_only_is_refused():
    with pytest.raises(ValueError, match=r"win_size=7 exceeds the image size 16x5; pass an odd win_size <= 5"):
        ssim(torch.rand(1, 1, 16, 5), torch.rand(1, 1, 16, 5))


def test_ssim_on_images_exactly_3_pixels_wide_suggests_a_window_of_3():
    x = torch.rand(1, 1, 3, 8)
    with pytest.raises(ValueError, match=r"pass an odd win_size <= 3"):
        ssim(x, x)


def test_a_one_channel_image_3_pixels_wide_is_not_taken_for_channels_last():
    x = torch.rand(1, 1, 8, 3, generator=torch.Generator().manual_seed(0))
    assert ssim(x, x.clone(), win_size=3).item() == pytest.approx(1.0)


@pytest.mark.parametrize("metric", [psnr, ssim])
def test_dark_0_255_images_scored_with_the_default_data_range_are_refused(metric):
    """A dark 0-255 image reaches only 40, not 255: still far beyond data_range=1."""
    x, y = 40 * torch.rand(2, 1, 16, 16), 40 * torch.rand(2, 1, 16, 16)
    with pytest.raises(ValueError, match="0-255 images"):
        metric(x, y)


@pytest.mark.parametrize("data_range, peak", [(10.0, 0.1), (100.0, 2.0)],
                         ids=["data_range exactly 10", "peak exactly a fiftieth"])
def test_the_unit_images_refusal_starts_at_a_data_range_of_10_and_a_fiftieth_of_it(data_range, peak):
    x = torch.full((1, 1, 8, 8), peak, dtype=torch.float64)
    y = torch.zeros(1, 1, 8, 8, dtype=torch.float64)
    with pytest.raises(ValueError, match=r"Images in \[0, 1\]\?"):
        psnr(x, y, data_range=data_range)


@pytest.mark.parametrize("metric", [psnr, ssim])
def test_nearly_black_images_are_scored_with_the_default_data_range(metric):
    """The data_range=255 check is about ranges of 10 or more: dark [0, 1] images are not refused."""
    gen = torch.Generator().manual_seed(0)
    x, y = 0.01 * torch.rand(2, 1, 16, 16, generator=gen), 0.01 * torch.rand(2, 1, 16, 16, generator=gen)
    assert torch.isfinite(metric(x, y))


@pytest.mark.parametrize("metric", [psnr, ssim])
def test_one_image_far_below_0_is_still_scored_against_a_clean_one(metric):
    """The [-1, 1] refusal needs *both* images below -data_range / 2."""
    clean = torch.rand(2, 1, 16, 16, generator=torch.Generator().manual_seed(0))
    undershoot = clean.clone()
    undershoot[..., :4, :] = -0.8
    assert torch.isfinite(metric(undershoot, clean))


@pytest.mark.parametrize("metric", [psnr, ssim])
def test_two_images_far_below_0_are_scored_when_one_reaches_above_the_range(metric):
    """Very noisy images both undershoot; one passing data_range says they are not [-1, 1] images."""
    gen = torch.Generator().manual_seed(0)
    a, b = 2 * torch.rand(2, 1, 16, 16, generator=gen) - 1, 2 * torch.rand(2, 1, 16, 16, generator=gen) - 1
    a[..., 0, 0] = 1.3
    assert torch.isfinite(metric(a, b))


def test_images_in_minus_1_1_are_refused_even_when_rounding_puts_them_just_above_1():
    gen = torch.Generator().manual_seed(0)
    x, y = 2 * torch.rand(2, 1, 16, 16, generator=gen) - 1, 2 * torch.rand(2, 1, 16, 16, generator=gen) - 1
    x[..., 0, 0] = 1.0000001                         # the float32 just above 1, as a rescale may give
    assert x.max().item() > 1
    with pytest.raises(ValueError, match=r"\[-1, 1\]\? Pass data_range=2"):
        psnr(x, y)


@pytest.mark.parametrize("metric", [mse, psnr, ssim])
def test_an_empty_batch_is_refused(metric):
    with pytest.raises(ValueError, match="got 0 images"):
        metric(torch.rand(0, 1, 16, 16), torch.rand(0, 1, 16, 16))


# --------------------------------------------------------------------------
# Classification: exactly medmnist.evaluator.getAUC / getACC
# --------------------------------------------------------------------------

def random_case(task: str, n: int = 200, k: int = 4, seed: int = 0):
    """(y_true, y_score) in the layout the MedMNIST files and models produce."""
    rng = np.random.default_rng(seed)
    if task == "multi-label, binary-class":
        return rng.integers(0, 2, (n, k)), rng.random((n, k))
    n_classes = 2 if task == "binary-class" else k
    y_true = rng.integers(0, n_classes, (n, 1)).astype(np.uint8)
    y_score = rng.dirichlet(np.ones(n_classes), n)
    return y_true, y_score


def structured_case(task: str, n: int = 60, k: int = 3):
    """Informative scores with ties: 0.6 on the true class, except every 5th row (a wrong class)."""
    idx = np.arange(n)
    if task == "multi-label, binary-class":
        y_true = np.stack([(idx // (j + 1)) % 2 for j in range(k)], axis=1)
        y_score = np.where(idx[:, None] % 3 == 0, 1 - y_true, y_true) * 0.5 + 0.25
        return y_true, y_score
    n_classes = 2 if task == "binary-class" else k
    y_true = (idx % n_classes)[:, None]
    guess = np.where(idx % 5 != 0, idx % n_classes, (idx + 1) % n_classes)
    y_score = np.full((n, n_classes), 0.4 / (n_classes - 1))
    y_score[idx, guess] = 0.6
    return y_true, y_score


@pytest.mark.parametrize("task", TASKS)
@pytest.mark.parametrize("seed", [0, 1])
def test_auc_and_accuracy_equal_medmnist_on_random_inputs(task, seed):
    y_true, y_score = random_case(task, seed=seed)
    assert abs(auc(y_true, y_score, task) - getAUC(y_true, y_score, task)) <= 1e-12
    assert abs(accuracy(y_true, y_score, task) - getACC(y_true, y_score, task)) <= 1e-12


@pytest.mark.parametrize("task", TASKS)
def test_auc_and_accuracy_equal_medmnist_on_structured_inputs(task):
    y_true, y_score = structured_case(task)
    ours_auc, ours_acc = auc(y_true, y_score, task), accuracy(y_true, y_score, task)
    assert abs(ours_auc - getAUC(y_true, y_score, task)) <= 1e-12
    assert abs(ours_acc - getACC(y_true, y_score, task)) <= 1e-12
    assert 0.5 < ours_auc < 1 and 0.3 < ours_acc < 1       # informative but imperfect


@pytest.mark.realdata
@pytest.mark.parametrize("flag, task", [("pneumoniamnist", "binary-class"),
                                        ("bloodmnist", "multi-class")])
def test_auc_and_accuracy_equal_medmnist_on_real_labels(flag, task):
    y_true = real_npz(flag)["test_labels"]                     # (N, 1) uint8, as medmnist stores it
    n_classes = int(y_true.max()) + 1
    rng = np.random.default_rng(0)
    logits = rng.normal(size=(len(y_true), n_classes))
    logits[np.arange(len(y_true)), y_true[:, 0]] += 1.0       # a weakly informative model
    y_score = np.exp(logits) / np.exp(logits).sum(1, keepdims=True)
    assert abs(auc(y_true, y_score, task) - getAUC(y_true, y_score, task)) <= 1e-12
    assert abs(accuracy(y_true, y_score, task) - getACC(y_true, y_score, task)) <= 1e-12


def test_perfect_scores_give_auc_and_accuracy_one():
    y_true = np.array([0, 1, 2, 1, 0, 2])
    y_score = np.eye(3)[y_true]
    assert auc(y_true, y_score, "multi-class") == 1.0
    assert accuracy(y_true, y_score, "multi-class") == 1.0


def test_accuracy_threshold_is_used_as_in_medmnist():
    y_true, y_score = random_case("multi-label, binary-class")
    for threshold in (0.3, 0.7):
        assert accuracy(y_true, y_score, "multi-label, binary-class", threshold=threshold) == \
            getACC(y_true, y_score, "multi-label, binary-class", threshold=threshold)
    assert accuracy(y_true, y_score, "multi-label, binary-class", threshold=0.3) != \
        accuracy(y_true, y_score, "multi-label, binary-class", threshold=0.7)


def test_torch_tensors_give_the_same_values_as_numpy():
    y_true, y_score = random_case("multi-class")
    as_torch = torch.from_numpy(y_true.astype(np.int64)), torch.from_numpy(y_score).float()
    assert auc(*as_torch, "multi-class") == pytest.approx(auc(y_true, y_score.astype(np.float32),
                                                              "multi-class"), abs=1e-12)
    assert accuracy(*as_torch, "multi-class") == accuracy(y_true, y_score, "multi-class")


def test_label_shapes_n_and_n_by_1_give_the_same_values():
    y_true, y_score = random_case("ordinal-regression")
    assert auc(y_true, y_score, "ordinal-regression") == auc(y_true[:, 0], y_score, "ordinal-regression")


def test_binary_scores_with_two_columns_use_the_positive_column():
    y_true, y_score = random_case("binary-class")
    positive = y_score[:, 1]
    assert auc(y_true, y_score, "binary-class") == auc(y_true, positive, "binary-class")
    assert auc(y_true, y_score, "binary-class") == auc(y_true, positive[:, None], "binary-class")
    assert accuracy(y_true, y_score, "binary-class") == accuracy(y_true, positive, "binary-class")


# --------------------------------------------------------------------------
# Bad classification input
# --------------------------------------------------------------------------

@pytest.mark.parametrize("metric", [auc, accuracy])
def test_mismatched_number_of_samples_is_rejected(metric):
    y_true, y_score = random_case("multi-class")
    with pytest.raises(ValueError, match="y_true has 200 samples but y_score has 199"):
        metric(y_true, y_score[:-1], "multi-class")


@pytest.mark.parametrize("metric", [auc, accuracy])
def test_logits_are_rejected_with_a_hint(metric):
    y_true, _ = random_case("multi-class")
    logits = np.random.default_rng(0).normal(0, 3, (200, 4))
    with pytest.raises(ValueError, match="pass probabilities: softmax/sigmoid"):
        metric(y_true, logits, "multi-class")


@pytest.mark.parametrize("metric", [auc, accuracy])
def test_unknown_task_is_rejected(metric):
    y_true, y_score = random_case("multi-class")
    with pytest.raises(ValueError, match="unknown task 'multiclass'"):
        metric(y_true, y_score, "multiclass")


def test_labels_beyond_the_score_columns_are_rejected():
    y_true, y_score = random_case("multi-class", k=4)
    with pytest.raises(ValueError, match="3 columns"):
        auc(y_true, y_score[:, :3] / y_score[:, :3].sum(1, keepdims=True), "multi-class")


def test_auc_with_a_missing_class_says_it_is_undefined():
    y_true = np.array([0, 0, 1, 1])
    y_score = np.full((4, 3), 1 / 3)
    with pytest.raises(ValueError, match="class 2 .*only one class"):
        auc(y_true, y_score, "multi-class")


def test_multi_label_needs_matching_label_and_score_shapes():
    y_true, y_score = random_case("multi-label, binary-class", k=4)
    with pytest.raises(ValueError, match=r"same shape \(N, L\)"):
        auc(y_true[:, :3], y_score, "multi-label, binary-class")


def test_module_lists_the_medmnist_tasks():
    from medmnist import INFO
    assert {info["task"] for info in INFO.values()} == set(metrics.TASKS)


def test_predicted_labels_passed_as_scores_are_recognised_as_such():
    y = np.array([0, 1, 2, 3, 1])
    with pytest.raises(ValueError, match=r"predicted labels\? .*not logits.argmax\(1\)"):
        accuracy(y, y, "multi-class")


@pytest.mark.parametrize("metric", [auc, accuracy])
def test_zero_samples_are_refused_as_such(metric):
    with pytest.raises(ValueError, match="got 0 samples"):
        metric(np.zeros(0, dtype=int), np.zeros((0, 3)), "multi-class")


def test_labels_that_are_not_whole_numbers_are_refused():
    y_true, y_score = random_case("multi-class")
    with pytest.raises(ValueError, match="integer class labels"):
        accuracy(y_true + 0.5, y_score, "multi-class")


@pytest.mark.parametrize("task, labels, says", [
    ("binary-class", [0, 1, 2, 1], "binary-class y_true must be 0 or 1"),
    ("multi-label, binary-class", [[0, 1], [1, 2], [1, 0], [0, 1]], "multi-label y_true must be 0/1"),
])
def test_labels_other_than_0_and_1_are_refused_for_binary_tasks(task, labels, says):
    y_true = np.array(labels)
    y_score = np.full(y_true.shape, 0.6) if y_true.ndim == 2 else np.array([0.2, 0.7, 0.9, 0.6])
    with pytest.raises(ValueError, match=says):
        accuracy(y_true, y_score, task)


def test_negative_labels_are_refused():
    y_true, y_score = random_case("multi-class", k=4)
    y_true = y_true.astype(np.int64)
    y_true[0] = -1
    with pytest.raises(ValueError, match=r"labels in \[-1, 3\] but y_score has 4 columns"):
        accuracy(y_true, y_score, "multi-class")


def test_a_single_label_task_refuses_several_labels_per_sample():
    y_true, y_score = random_case("multi-class")
    with pytest.raises(ValueError, match="one label per sample"):
        accuracy(np.hstack([y_true, y_true]), y_score, "multi-class")


def test_multi_class_scores_need_a_column_per_class():
    y_true = np.array([0, 1, 0, 1])
    with pytest.raises(ValueError, match="n_classes >= 2"):
        auc(y_true, np.full((4, 1), 0.5), "multi-class")


@pytest.mark.parametrize("threshold", [-0.1, 1.5, True])
def test_accuracy_refuses_a_threshold_that_is_not_a_probability(threshold):
    y_true, y_score = random_case("binary-class")
    with pytest.raises(ValueError, match="threshold must be a probability in \\[0, 1\\]"):
        accuracy(y_true, y_score, "binary-class", threshold=threshold)


def test_a_multi_label_score_exactly_at_the_threshold_counts_as_negative_as_in_medmnist():
    y_true = np.array([[0, 1], [1, 0], [0, 0]])
    y_score = np.array([[0.5, 0.9], [0.8, 0.5], [0.5, 0.5]])
    task = "multi-label, binary-class"
    assert accuracy(y_true, y_score, task) == getACC(y_true, y_score, task) == 1.0


# --------------------------------------------------------------------------
# roc_auc: any real-valued score for one binary label
# --------------------------------------------------------------------------

def pairwise_auc(y: np.ndarray, s: np.ndarray) -> float:
    """The AUC by its definition: P(positive scores higher than negative), ties one half."""
    pos, neg = s[y == 1][:, None], s[y == 0][None, :]
    return float(((pos > neg) + 0.5 * (pos == neg)).mean())


@pytest.mark.parametrize("seed", [0, 1, 2])
def test_roc_auc_is_the_chance_that_a_positive_outscores_a_negative(seed):
    rng = np.random.default_rng(seed)
    y = rng.integers(0, 2, 300)
    s = np.round(rng.normal(y * 0.7, 1.0) * 4) * 3.1   # unbounded, with ties
    assert metrics.roc_auc(y, s) == pytest.approx(pairwise_auc(y, s), abs=1e-12)


def test_roc_auc_depends_only_on_the_order_of_the_scores():
    rng = np.random.default_rng(0)
    y, s = rng.integers(0, 2, 200), rng.normal(size=200)
    assert metrics.roc_auc(y, np.exp(3 * s) + 50) == pytest.approx(metrics.roc_auc(y, s))
    assert metrics.roc_auc(y, -s) == pytest.approx(1 - metrics.roc_auc(y, s))


def test_roc_auc_equals_auc_on_binary_probabilities():
    rng = np.random.default_rng(0)
    y, p = rng.integers(0, 2, 200), rng.random(200)
    assert metrics.roc_auc(y, p) == pytest.approx(auc(y, p, "binary-class"))


def test_roc_auc_accepts_tensors_and_n_by_1_columns():
    y = torch.tensor([[0], [1], [0], [1]])
    s = torch.tensor([[0.5], [2.0], [-1.0], [0.1]])
    assert metrics.roc_auc(y, s) == pytest.approx(0.75)


@pytest.mark.parametrize("y, s, message", [
    ([0, 0, 0], [1.0, 2.0, 3.0], "only one class"),
    ([0, 1, 2], [1.0, 2.0, 3.0], "must be 0"),
    ([0, 1], [1.0, 2.0, 3.0], "same samples"),
    ([0, 1], [1.0, np.nan], "NaN"),
    ([0, 1], [[0.2, 0.8], [0.6, 0.4]], "auc\\(y_true, y_score, task\\)"),
])
def test_roc_auc_refuses_what_it_cannot_score(y, s, message):
    with pytest.raises(ValueError, match=message):
        metrics.roc_auc(np.array(y), np.array(s))


# --------------------------------------------------------------------------
# The standard error of an AUC (Hanley & McNeil)
# --------------------------------------------------------------------------

def aucs_of(pos: np.ndarray, neg: np.ndarray) -> np.ndarray:
    """AUC of each row: pos (R, n_pos) against neg (R, n_neg) scores, ties one half."""
    p, n = pos[:, :, None], neg[:, None, :]
    return ((p > n) + 0.5 * (p == n)).mean((1, 2))


@pytest.mark.parametrize("n_pos, n_neg", [(114, 42), (42, 114)])
def test_auc_standard_error_is_the_spread_over_fresh_test_sets_of_exponential_scores(n_pos, n_neg):
    """On scores of the kind the formula assumes (exponential, true AUC 0.8 = 1 / (1 + 1/4)),
    it is the standard deviation of the AUC over 2000 fresh test sets of the same sizes."""
    rng = np.random.default_rng(0)
    fresh = aucs_of(rng.exponential(4.0, (2000, n_pos)), rng.exponential(1.0, (2000, n_neg)))
    assert metrics.auc_standard_error(0.8, n_pos, n_neg) == pytest.approx(fresh.std(ddof=1), rel=0.03)


@pytest.mark.parametrize("n_pos, n_neg", [(114, 42), (42, 114)])
def test_auc_standard_error_agrees_with_a_bootstrap_of_one_test_set(n_pos, n_neg):
    """What a reader can do with the scores of one test set: resample each class 2000 times.
    That estimate is itself noisy (a tenth or so at these sizes), hence the tolerance."""
    rng = np.random.default_rng(0)
    pos, neg = rng.exponential(4.0, n_pos), rng.exponential(1.0, n_neg)
    boot = aucs_of(pos[rng.integers(0, n_pos, (2000, n_pos))], neg[rng.integers(0, n_neg, (2000, n_neg))])
    observed = aucs_of(pos[None], neg[None])[0]
    assert metrics.auc_standard_error(observed, n_pos, n_neg) == pytest.approx(boot.std(ddof=1), rel=0.15)


@pytest.mark.parametrize("n_pos, n_neg", [(114, 42), (42, 114)])
def test_auc_standard_error_is_within_15_percent_on_normal_scores(n_pos, n_neg):
    """Normal scores (true AUC 0.8) break the formula's assumption; against the spread of the AUC
    over 2000 fresh test sets it stays within 15%, too small or too large by the classes' sizes."""
    rng = np.random.default_rng(0)
    shift = 2 ** 0.5 * 0.8416   # Phi(shift / sqrt(2)) = 0.8
    fresh = aucs_of(rng.normal(shift, 1.0, (2000, n_pos)), rng.normal(0.0, 1.0, (2000, n_neg)))
    assert metrics.auc_standard_error(0.8, n_pos, n_neg) == pytest.approx(fresh.std(ddof=1), rel=0.15)


def test_auc_standard_error_shrinks_with_the_test_set_and_vanishes_at_a_perfect_auc():
    assert metrics.auc_standard_error(0.8, 400, 400) < metrics.auc_standard_error(0.8, 100, 100)
    assert metrics.auc_standard_error(1.0, 114, 42) == 0.0


def test_auc_standard_error_vanishes_at_an_auc_of_exactly_0():
    assert metrics.auc_standard_error(0.0, 114, 42) == 0.0


def test_auc_standard_error_is_0_not_an_error_where_rounding_makes_the_variance_negative():
    """Just below an AUC of 1 on a large test set the variance rounds to about -3e-21."""
    assert metrics.auc_standard_error(0.999999999999997, 543453, 18439) == pytest.approx(0.0, abs=1e-9)


@pytest.mark.parametrize("args, message", [
    ((1.2, 10, 10), "in \\[0, 1\\]"), ((0.8, 0, 10), "n_pos"), ((0.8, 10, 2.5), "n_neg"),
    ((0.8, True, 10), "n_pos"),
])
def test_auc_standard_error_refuses_what_is_not_an_auc_or_a_count(args, message):
    with pytest.raises(ValueError, match=message):
        metrics.auc_standard_error(*args)


def test_auc_and_accuracy_take_bfloat16_scores_as_autocast_gives_them():
    g = torch.Generator().manual_seed(0)
    scores = torch.rand(40, 2, generator=g).softmax(1).bfloat16()
    labels = torch.arange(40) % 2
    for fn in (auc, accuracy):
        assert fn(labels, scores, "binary-class") == fn(labels, scores.float(), "binary-class")


def test_a_score_exactly_at_the_threshold_counts_as_negative_as_in_medmnist():
    """sigmoid(0) = 0.5 exactly: medmnist's getACC compares with >, so such a case is predicted 0."""
    y_true, y_score = np.array([0, 1, 0, 0]), np.array([0.5, 0.9, 0.1, 0.5])
    assert accuracy(y_true, y_score, "binary-class") == getACC(y_true, y_score, "binary-class") == 1.0


@pytest.mark.parametrize("task", ["binary-class", "multi-class"])
def test_log_probabilities_are_refused_as_scores(task):
    """Every log-probability is <= 0: they would otherwise pass for scores in [0, 1] at the top."""
    y_true, y_score = random_case(task)
    with pytest.raises(ValueError, match="outside \\[0, 1\\]"):
        auc(y_true, np.log(np.clip(y_score, 1e-6, 1)), task)


@pytest.mark.parametrize("fn", [auc, accuracy])
def test_nan_scores_are_refused(fn):
    y_true, y_score = random_case("multi-class")
    y_score = y_score.copy()
    y_score[3] = np.nan
    with pytest.raises(ValueError, match="NaN"):
        fn(y_true, y_score, "multi-class")

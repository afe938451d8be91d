"""coursekit.restore: each classical restorer undoes what its degradation did (measured, on
generated images, and on real scans when COURSEKIT_DATA has them), equals the reference
implementation it wraps, and refuses input it would get wrong."""
import warnings

import numpy as np
import pytest
import torch

from coursekit import degrade, metrics, restore
from image_helpers import needs_data

needs_breastmnist_64 = needs_data("breastmnist_64.npz")

# A strength for each restorer that suits the test images below (sigma 0.1 noise; a blur of 1.5 px).
DENOISE = {"gaussian": 1.0, "median": 3, "tv": 0.1, "nl_means": 0.08}


def scenes(n=4, size=32, seed=0):
    """Piecewise-smooth images in [0, 1]: a bright disc and a darker square on a smooth
    background, with sharp edges (the structure restorers must keep)."""
    g = torch.Generator().manual_seed(seed)
    r = torch.arange(size, dtype=torch.float32)
    yy, xx = r.view(size, 1), r.view(1, size)
    out = torch.empty(n, 1, size, size)
    for i in range(n):
        cy, cx = (size * (0.3 + 0.4 * torch.rand(2, generator=g))).tolist()
        disc = ((yy - cy) ** 2 + (xx - cx) ** 2 < (size / 5) ** 2).float()
        square = ((yy - size / 6).abs() < size / 8).float() * ((xx - size / 6).abs() < size / 8).float()
        out[i, 0] = 0.2 + 0.1 * xx / size + 0.6 * disc - 0.15 * square
    return out.clamp(0, 1)


# ------------------------------------------------------------------ denoisers

@pytest.mark.parametrize("name", sorted(restore.DENOISERS))
def test_each_denoiser_raises_the_psnr_of_noisy_images_by_3_db(name):
    clean = scenes()
    noisy = degrade.gaussian_noise(clean, 0.1, seed=1)
    out = restore.DENOISERS[name](noisy, DENOISE[name])
    assert metrics.psnr(out, clean) > metrics.psnr(noisy.clamp(0, 1), clean) + 3


@pytest.mark.parametrize("name", sorted(restore.DENOISERS))
def test_each_denoiser_returns_float32_of_the_input_shape_in_the_unit_range(name):
    noisy = degrade.gaussian_noise(scenes(2, 16), 0.2, seed=1).double()
    out = restore.DENOISERS[name](noisy, DENOISE[name])
    assert out.shape == noisy.shape and out.dtype == torch.float32
    assert out.min() >= 0 and out.max() <= 1


@pytest.mark.parametrize("name", sorted(restore.DENOISERS))
def test_each_denoiser_restores_each_channel_on_its_own(name):
    noisy = degrade.gaussian_noise(scenes(3, 16).view(1, 3, 16, 16), 0.1, seed=2)
    together = restore.DENOISERS[name](noisy, DENOISE[name])
    apart = torch.cat([restore.DENOISERS[name](noisy[:, c:c + 1], DENOISE[name]) for c in range(3)], dim=1)
    assert torch.equal(together, apart)


@pytest.mark.parametrize("name", sorted(restore.DENOISERS))
def test_each_denoiser_clips_to_the_unit_range_unless_told_not_to(name):
    noisy = degrade.gaussian_noise(torch.zeros(2, 1, 16, 16), 0.3, seed=3)   # a black background, noisy
    clipped = restore.DENOISERS[name](noisy, DENOISE[name])
    raw = restore.DENOISERS[name](noisy, DENOISE[name], clip=False)
    assert raw.min() < 0
    assert torch.equal(clipped, raw.clamp(0, 1))


@pytest.mark.parametrize("name", sorted(restore.DENOISERS))
def test_each_denoiser_refuses_0_255_images_that_clipping_would_turn_white(name):
    with pytest.raises(ValueError, match="255"):
        restore.DENOISERS[name](torch.rand(1, 1, 16, 16) * 255, DENOISE[name])


def test_gaussian_denoiser_is_the_blur_of_degrade():
    noisy = degrade.gaussian_noise(scenes(), 0.1, seed=1)
    assert torch.equal(restore.gaussian(noisy, 1.2), degrade.gaussian_blur(noisy, 1.2).clamp(0, 1))


def test_median_removes_sparse_impulse_noise_from_a_flat_image_exactly():
    clean = torch.full((1, 1, 16, 16), 0.5)
    noisy = clean.clone()
    noisy[0, 0, 3, 4] = noisy[0, 0, 9, 12] = 1.0         # salt
    noisy[0, 0, 12, 2] = 0.0                             # pepper
    assert torch.equal(restore.median(noisy, 3), clean)


def test_median_of_size_1_leaves_the_images_as_they_are():
    x = torch.rand(2, 1, 8, 8)
    assert torch.equal(restore.median(x, 1), x)


def test_median_refuses_an_even_window_that_has_no_centre():
    with pytest.raises(ValueError, match="odd"):
        restore.median(torch.rand(1, 1, 8, 8), 4)


def test_tv_is_skimages_chambolle_image_by_image():
    from skimage.restoration import denoise_tv_chambolle

    noisy = degrade.gaussian_noise(scenes(2), 0.1, seed=1)
    out = restore.tv(noisy, 0.1, clip=False)
    for i in range(2):
        ref = denoise_tv_chambolle(noisy[i, 0].double().numpy(), weight=0.1)
        np.testing.assert_allclose(out[i, 0].numpy(), ref, atol=1e-6)


def test_nl_means_is_skimages_image_by_image():
    from skimage.restoration import denoise_nl_means

    noisy = degrade.gaussian_noise(scenes(2), 0.1, seed=1)
    out = restore.nl_means(noisy, 0.08, sigma=0.1, clip=False)
    for i in range(2):
        ref = denoise_nl_means(noisy[i, 0].double().numpy(), h=0.08, sigma=0.1, patch_size=5, patch_distance=6,
                               fast_mode=True)
        np.testing.assert_allclose(out[i, 0].numpy(), ref, atol=1e-6)


def test_nl_means_keeps_edges_sharper_than_a_gaussian_filter_of_the_same_psnr_gain():
    """Averaging similar patches instead of neighbouring pixels: at a strength where both remove
    noise, the non-local mean leaves the disc's edge steeper than the Gaussian filter does."""
    clean = scenes(4, 32)
    noisy = degrade.gaussian_noise(clean, 0.05, seed=1)
    nlm, gauss = restore.nl_means(noisy, 0.06, sigma=0.05), restore.gaussian(noisy, 1.0)

    def edge(x):                                    # the mean of the largest gradients
        gy, gx = torch.gradient(x[:, 0], dim=(1, 2))
        return torch.sqrt(gy ** 2 + gx ** 2).flatten(1).topk(20).values.mean()

    assert edge(nlm) > edge(gauss)


@pytest.mark.parametrize("call, match", [
    (lambda x: restore.gaussian(x, -1.0), "sigma"),
    (lambda x: restore.tv(x, 0.0), "weight"),
    (lambda x: restore.nl_means(x, 0.0), "h "),
    (lambda x: restore.median(x, 0), "size"),
    (lambda x: restore.nl_means(x, 0.1, sigma=-0.1), "sigma"),
])
def test_a_strength_a_restorer_cannot_use_is_refused_with_its_name(call, match):
    with pytest.raises(ValueError, match=match):
        call(torch.rand(1, 1, 8, 8))


def test_a_restorer_given_a_numpy_array_says_it_expects_a_tensor():
    with pytest.raises(TypeError, match="torch.Tensor"):
        restore.tv(np.zeros((1, 1, 8, 8)), 0.1)


def test_unbiased_rician_recovers_the_true_magnitude_where_the_gaussian_filter_keeps_the_bias():
    signal = torch.tensor([0.0, 0.05, 0.1, 0.3, 0.6]).view(5, 1, 1, 1).expand(5, 1, 64, 64).contiguous()
    noisy = degrade.rician_noise(signal, 0.1, seed=4)
    unbiased = restore.unbiased_rician(noisy, 3.0, sigma=0.1).mean(dim=(1, 2, 3))
    filtered = restore.gaussian(noisy, 3.0).mean(dim=(1, 2, 3))
    truth = signal[:, 0, 0, 0]
    assert torch.allclose(filtered.double(), degrade.rician_mean(truth, 0.1), atol=0.005)  # the bias stays
    assert (unbiased[1:] - truth[1:]).abs().max() < 0.01
    assert unbiased[0] < 0.25 * filtered[0]          # black stays nearly black (the square root of noise >= 0)


def test_unbiased_rician_with_sigma_0_is_the_gaussian_filter_of_a_magnitude():
    x = torch.rand(2, 1, 16, 16)
    assert torch.allclose(restore.unbiased_rician(x, 1.0, sigma=0.0), restore.gaussian(x ** 2, 1.0).sqrt(), atol=1e-6)


def test_unbiased_rician_refuses_negative_values_that_no_magnitude_has():
    with pytest.raises(ValueError, match="magnitude"):
        restore.unbiased_rician(torch.full((1, 1, 8, 8), -0.2), 1.0, sigma=0.1)


# ------------------------------------------------------- Anscombe transform

def poisson_expectation(fn, mean_count: float):
    """E[fn(counts)] for counts ~ Poisson(mean_count), summed over the probabilities."""
    from scipy.stats import poisson

    k = np.arange(0, int(mean_count + 20 * np.sqrt(mean_count) + 20))
    return float((poisson.pmf(k, mean_count) * fn(k)).sum())


@pytest.mark.parametrize("mean_count", [2.0, 5.0, 30.0])
def test_inverse_anscombe_maps_the_expected_transform_back_to_the_mean_intensity(mean_count):
    photons = 30.0
    expected = poisson_expectation(lambda k: np.sqrt(k / photons + 3 / (8 * photons)), mean_count)
    back = float(restore.inverse_anscombe(torch.full((1, 1, 1, 1), expected), photons))
    algebraic = expected ** 2 - 3 / (8 * photons)
    assert back == pytest.approx(mean_count / photons, rel=0.005)
    assert abs(algebraic - mean_count / photons) > 0.005 * mean_count / photons    # the bias it removes


def test_anscombe_makes_the_noise_as_strong_in_bright_tissue_as_in_dark():
    photons = 30
    clean = torch.cat([torch.full((1, 1, 64, 64), 0.1), torch.full((1, 1, 64, 64), 0.9)])  # 3 and 27 counts
    noisy = degrade.poisson_noise(clean, photons, seed=0)
    raw = noisy.std(dim=(1, 2, 3))
    flat = restore.anscombe(noisy, photons).std(dim=(1, 2, 3))
    assert raw[1] / raw[0] > 2.5                                          # sqrt(9) = 3 before
    assert flat[1] / flat[0] == pytest.approx(1.0, abs=0.1)
    assert flat.mean() == pytest.approx(1 / (2 * np.sqrt(photons)), rel=0.1)


def test_anscombe_refuses_negative_values_that_no_count_has():
    with pytest.raises(ValueError, match=">= 0"):
        restore.anscombe(torch.full((1, 1, 4, 4), -0.1), 30)


def test_inverse_anscombe_gives_zero_for_the_transform_of_a_zero_count():
    photons = 30
    zero = restore.anscombe(torch.zeros(1, 1, 2, 2), photons)
    assert float(restore.inverse_anscombe(zero, photons).abs().max()) < 1e-6
    assert float(restore.inverse_anscombe(zero * 0.5, photons).min()) == 0.0      # below it: held at 0


def test_stabilised_denoiser_needs_the_dose_and_returns_clipped_images():
    tv = restore.stabilised(restore.tv)
    noisy = degrade.poisson_noise(torch.rand(2, 1, 16, 16), 10, seed=0)
    with pytest.raises(TypeError, match="photons"):
        tv(noisy, 0.1)
    out = tv(noisy, 0.1, photons=10)
    assert out.shape == noisy.shape and out.dtype == torch.float32 and 0 <= out.min() and out.max() <= 1


def test_stabilised_denoiser_with_almost_no_smoothing_returns_about_the_mean_intensity():
    """With a strength too small to change anything, the unbiased inverse brings the transformed
    values back to the mean: no bias left by the square root."""
    photons = 30
    clean = torch.full((1, 1, 64, 64), 0.2)                               # 6 counts
    noisy = degrade.poisson_noise(clean, photons, seed=1)
    out = restore.stabilised(restore.gaussian)(noisy, 5.0, photons=photons)   # a wide blur: the local mean
    assert float(out[..., 16:-16, 16:-16].mean()) == pytest.approx(0.2, rel=0.03)


# ----------------------------------------------------------------- deblurring

def test_gaussian_psf_is_the_kernel_degrade_blurs_with():
    delta = torch.zeros(1, 1, 25, 25)
    delta[0, 0, 12, 12] = 1
    psf = restore.gaussian_psf(1.5)
    r = psf.shape[0] // 2
    response = degrade.gaussian_blur(delta, 1.5)[0, 0].double().numpy()
    np.testing.assert_allclose(response[12 - r:12 + r + 1, 12 - r:12 + r + 1], psf, atol=1e-7)
    assert psf.sum() == pytest.approx(1.0)


def test_gaussian_psf_refuses_a_width_of_0():
    with pytest.raises(ValueError, match="sigma"):
        restore.gaussian_psf(0.0)


@pytest.mark.parametrize("deblur, strength", [(restore.wiener, 1e-3), (restore.richardson_lucy, 20)])
def test_each_deblurrer_sharpens_a_noise_free_blur(deblur, strength):
    clean = scenes(4, 32)
    blurred = degrade.gaussian_blur(clean, 1.5)
    assert metrics.psnr(deblur(blurred, strength, psf_sigma=1.5), clean) > metrics.psnr(blurred, clean) + 1


@pytest.mark.parametrize("deblur, strength", [(restore.wiener, 1e-3), (restore.richardson_lucy, 20)])
def test_each_deblurrer_does_not_ring_at_the_borders(deblur, strength):
    """The blur reflected the image at its borders; deconvolving as if the image were periodic
    (the FFT) or black beyond them rings there: 6 times (Wiener) and 70 times (Richardson-Lucy)
    the blurred image's error in the 4-pixel frame, on these images. Mirrored, it stays below 2."""
    clean = scenes(4, 32)
    blurred = degrade.gaussian_blur(clean, 1.5)
    restored = deblur(blurred, strength, psf_sigma=1.5)
    frame = torch.ones(32, 32, dtype=torch.bool)
    frame[4:-4, 4:-4] = False

    def frame_mse(x):
        return float(((x - clean)[..., frame] ** 2).mean())

    assert frame_mse(restored) < 2 * frame_mse(blurred)



@pytest.mark.parametrize("sigma", [1.0, 1.5])
@pytest.mark.parametrize("deblur, strength", [(restore.wiener, 1e-4), (restore.richardson_lucy, 64)])
def test_a_weakly_regularised_deblurrer_is_as_good_at_the_frame_as_inside(deblur, strength, sigma):
    """The inverse reaches much farther than the blur: mirrored by the kernel's radius only, the
    4-pixel frame of these scenes kept 0.4 to 1.0 times the interior's error at a small balance or
    many iterations; mirrored by the image's own size, 0.04 to 0.06."""
    clean = scenes(4, 32)
    restored = deblur(degrade.gaussian_blur(clean, sigma), strength, psf_sigma=sigma)
    frame = torch.ones(32, 32, dtype=torch.bool)
    frame[4:-4, 4:-4] = False
    error = (restored - clean) ** 2
    assert float(error[..., frame].mean()) < 0.2 * float(error[..., ~frame].mean())

def test_wieners_balance_trades_sharpness_for_noise():
    """With noise, a balance near 0 divides by the blur's tiny high-frequency response and
    multiplies the noise there; a larger balance gives the better image."""
    clean = scenes(4, 32)
    observed = degrade.gaussian_noise(degrade.gaussian_blur(clean, 1.5), 0.02, seed=1)
    assert metrics.psnr(restore.wiener(observed, 3e-2, psf_sigma=1.5), clean) > \
        metrics.psnr(restore.wiener(observed, 1e-5, psf_sigma=1.5), clean) + 3


def test_richardson_lucy_refuses_negative_intensities():
    with pytest.raises(ValueError, match=">= 0"):
        restore.richardson_lucy(torch.full((1, 1, 8, 8), -0.1), 5, psf_sigma=1.0)


def test_richardson_lucy_refuses_a_fractional_number_of_iterations():
    with pytest.raises(ValueError, match="iterations"):
        restore.richardson_lucy(torch.rand(1, 1, 8, 8), 2.5, psf_sigma=1.0)


def test_unsharp_with_amount_0_leaves_the_images_as_they_are():
    x = scenes(2)
    assert torch.allclose(restore.unsharp(x, 0.0), x)


def test_unsharp_steepens_a_blurred_edge():
    step = torch.zeros(1, 1, 16, 16)
    step[..., 8:] = 0.8
    blurred = degrade.gaussian_blur(step, 1.5)
    sharpened = restore.unsharp(blurred, 1.5, sigma=1.5)
    assert sharpened.diff(dim=-1).max() > blurred.diff(dim=-1).max()


# -------------------------------------------------------------------- contrast

def test_equalize_spreads_a_narrow_range_of_grey_levels_over_the_unit_range():
    x = 0.4 + 0.2 * torch.rand(2, 1, 32, 32, generator=torch.Generator().manual_seed(0))
    out = restore.equalize(x)
    assert out.min() < 0.05 and out.max() == 1.0


def test_equalize_keeps_the_order_of_grey_levels():
    x = torch.rand(1, 1, 16, 16, generator=torch.Generator().manual_seed(1))
    out = restore.equalize(x, bins=4096)
    order = x.flatten().argsort()
    assert (out.flatten()[order].diff() >= 0).all()


def test_clahe_raises_the_contrast_of_a_low_contrast_image():
    x = 0.45 + 0.1 * scenes(2, 32)
    out = restore.clahe(x, clip_limit=0.05, tiles=4)          # 8 x 8 tiles cut at 3 counts
    assert out.shape == x.shape and out.min() >= 0 and out.max() <= 1
    assert out.std() > 2 * x.std()


def test_clahe_gives_one_image_for_every_clip_limit_that_rounds_to_one_count_and_warns():
    """scikit-image cuts a tile's bins at max(int(clip_limit * tile pixels), 1) counts: on 28 x 28
    images in 4 x 4 tiles (49 pixels), every clip_limit below 2 / 49 is a cut at 1 count."""
    x = scenes(1, 28)
    with pytest.warns(UserWarning, match="rounds to 1 count: every smaller clip_limit gives the same image"):
        low = restore.clahe(x, clip_limit=0.005, tiles=4)
    with pytest.warns(UserWarning, match="49 pixels"):
        higher = restore.clahe(x, clip_limit=0.04, tiles=4)
    assert torch.equal(low, higher)


def test_clahe_does_not_warn_where_the_clip_limit_is_two_counts_or_more():
    x = scenes(1, 28)
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        cut = restore.clahe(x, clip_limit=0.05, tiles=2, bins=64)     # 14 x 14 tiles: 9 counts
        restore.clahe(x, clip_limit=0.041, tiles=4)                    # 2.009: cut at 2 counts
    assert not torch.equal(cut, restore.clahe(x, clip_limit=1.0, tiles=2, bins=64))   # the cut acts


def test_contrast_refuses_images_outside_the_unit_range():
    with pytest.raises(ValueError, match="255"):
        restore.equalize(torch.rand(1, 1, 8, 8) * 255)


def test_clahe_refuses_more_tiles_than_pixels():
    with pytest.raises(ValueError, match="tiles"):
        restore.clahe(torch.rand(1, 1, 8, 8), tiles=16)


def test_clahe_refuses_a_clip_limit_above_1():
    with pytest.raises(ValueError, match=r"\(0, 1\]"):
        restore.clahe(torch.rand(1, 1, 8, 8), clip_limit=2.0, tiles=2)


# ---------------------------------------------------------------------- tuning

def test_tune_returns_the_value_with_the_best_psnr_and_every_psnr():
    clean = scenes()
    noisy = degrade.gaussian_noise(clean, 0.1, seed=1)
    best, psnrs = restore.tune(restore.tv, noisy, clean, [0.02, 0.1, 0.5])
    assert set(psnrs) == {0.02, 0.1, 0.5}
    assert best == max(psnrs, key=psnrs.get)
    assert psnrs[0.1] == pytest.approx(float(metrics.psnr(restore.tv(noisy, 0.1), clean)))


def test_tune_passes_the_fixed_arguments_to_every_call():
    clean = scenes(2)
    blurred = degrade.gaussian_blur(clean, 1.5)
    _, psnrs = restore.tune(restore.wiener, blurred, clean, [1e-2], psf_sigma=1.5)
    assert psnrs[1e-2] == pytest.approx(float(metrics.psnr(restore.wiener(blurred, 1e-2, psf_sigma=1.5), clean)))
    assert psnrs[1e-2] != pytest.approx(float(metrics.psnr(restore.wiener(blurred, 1e-2, psf_sigma=0.5), clean)))


def test_tune_keeps_integer_values_so_the_best_can_be_passed_back():
    clean = scenes(2)
    blurred = degrade.gaussian_blur(clean, 1.5)
    with pytest.warns(UserWarning):                       # 2 and 8 iterations: the best is at an end
        best, _ = restore.tune(restore.richardson_lucy, blurred, clean, [2, 8], psf_sigma=1.5)
    restore.richardson_lucy(blurred, best, psf_sigma=1.5)           # an int, as iterations must be


def test_tune_warns_when_the_best_is_the_largest_value_tried():
    clean = scenes()
    noisy = degrade.gaussian_noise(clean, 0.1, seed=1)
    with pytest.warns(UserWarning, match=r"tune\(gaussian\).*largest tried"):
        best, _ = restore.tune(restore.gaussian, noisy, clean, [0.1, 0.2])
    assert best == 0.2


def test_tune_takes_named_settings_and_warns_at_the_first_or_last_given():
    """Named settings (FBP's filters) have no size: their ends are those of the order given."""
    clean = scenes(2)
    gain = {"weak": 0.6, "middle": 0.8, "strong": 0.9}

    def scaled(x, name):
        return x * gain[name]

    with pytest.warns(UserWarning, match=r"strong, is the last tried \(weak to strong\)"):
        best, psnrs = restore.tune(scaled, clean, clean, list(gain))
    assert best == "strong" and list(psnrs) == list(gain)
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        best, _ = restore.tune(scaled, clean, clean, ["weak", "strong", "middle"])     # in the middle: no warning
    assert best == "strong"


def test_tune_takes_numpy_integers_as_numbers_not_as_names():
    """np.int64 is no Python int: the ends are still the smallest and the largest, not the first and last."""
    clean = scenes(2)
    with pytest.warns(UserWarning, match=r"the best strength, 1, is the smallest tried \(1 to 4\)"):
        best, _ = restore.tune(lambda x, s: x * (1 - 0.1 * s), clean, clean, list(np.array([4, 1, 2])))
    assert best == 1


def test_tune_chooses_fbp_s_filter_from_few_views_inside_the_filters():
    clean = scenes(3, 28)
    sino = degrade.sinogram(clean, 8)
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        best, psnrs = restore.tune(lambda s, f: degrade.fbp(s, 28, filter_name=f), sino, clean, degrade.FBP_FILTERS)
    assert best not in ("ramp", "hann") and psnrs[best] > psnrs["ramp"] + 2


def test_tune_refuses_no_values():
    x = scenes(1)
    with pytest.raises(ValueError, match="values is empty"):
        restore.tune(restore.tv, x, x, [])


def test_tune_refuses_a_different_number_of_degraded_and_clean_images():
    with pytest.raises(ValueError, match="2 degraded items but 3 clean images"):
        restore.tune(restore.tv, scenes(2), scenes(3), [0.1])


def test_tune_refuses_outputs_of_another_shape_than_the_clean_images():
    with pytest.raises(ValueError, match="same shape"):
        restore.tune(lambda x, s: x[..., :-1], scenes(2), scenes(2), [0.1])


def test_tune_accepts_measurements_of_another_shape_than_the_images():
    """A reconstruction tunes on measurements (here a sinogram) and scores its images."""
    clean = scenes(2)
    sino = degrade.sinogram(clean, 12)
    best, psnrs = restore.tune(lambda s, n: degrade.fbp(s, clean.shape[-1]) * n, sino, clean, [0.5, 1.0, 1.5])
    assert best == 1.0 and set(psnrs) == {0.5, 1.0, 1.5}


# ------------------------------------------------------------- on real scans

def _breast(split):
    from coursekit import data
    return data.load_medmnist("breastmnist", split, size=64).subset(16, seed=0).images


@needs_breastmnist_64
@pytest.mark.parametrize("name, values", [("gaussian", [0.5, 1.0, 2.0]), ("median", [1, 3, 5, 7]),
                                          ("tv", [0.03, 0.08, 0.2]), ("nl_means", [0.04, 0.08, 0.16])])
def test_each_tuned_denoiser_beats_the_noisy_input_on_breast_ultrasound(name, values):
    """Validation images pick the strength, inside the range tried (tune warns at an end of it,
    an error here); other images, the test split's, are scored."""
    val, test = _breast("val"), _breast("test")
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        best, _ = restore.tune(restore.DENOISERS[name], degrade.gaussian_noise(val, 0.1, seed=1), val, values)
    noisy = degrade.gaussian_noise(test, 0.1, seed=2)
    assert metrics.psnr(restore.DENOISERS[name](noisy, best), test) > metrics.psnr(noisy.clamp(0, 1), test) + 3


@needs_breastmnist_64
@pytest.mark.parametrize("deblur, values", [(restore.wiener, [1e-3, 1e-2, 1e-1]),
                                            (restore.richardson_lucy, [5, 20, 80])])
def test_each_tuned_deblurrer_beats_the_blurred_input_on_breast_ultrasound(deblur, values):
    """A blur of 1.5 pixels and a little noise (sigma 0.01; without noise the least
    regularisation would always win)."""
    val, test = _breast("val"), _breast("test")

    with warnings.catch_warnings():
        warnings.simplefilter("error")
        best, _ = restore.tune(deblur, degrade.blurred(val, 1.5, 0.01, seed=1), val, values, psf_sigma=1.5)
    observed = degrade.blurred(test, 1.5, 0.01, seed=2)
    assert metrics.psnr(deblur(observed, best, psf_sigma=1.5), test) > metrics.psnr(observed.clamp(0, 1), test) + 1

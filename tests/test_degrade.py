"""coursekit.degrade: each forward model does what its physics says, and its classical inverse
undoes what can be undone."""
import math

import numpy as np
import pytest
import torch

from coursekit import degrade, metrics


def blobs(n=8, size=28, seed=0):
    """Smooth images in [0, 1]: one Gaussian blob each, away from the borders."""
    g = torch.Generator().manual_seed(seed)
    centre = 9 + 10 * torch.rand(n, 2, 1, 1, generator=g)
    r = torch.arange(size, dtype=torch.float32)
    d2 = (r.view(1, size, 1) - centre[:, 0]) ** 2 + (r.view(1, 1, size) - centre[:, 1]) ** 2
    return torch.exp(-d2 / 18).unsqueeze(1)


# ----------------------------------------------------------- Gaussian noise

def test_gaussian_noise_without_a_sigma_says_it_expects_a_number():
    with pytest.raises(ValueError, match="sigma .* must be a finite number"):
        degrade.gaussian_noise(torch.rand(1, 1, 4, 4), None)


def test_gaussian_noise_is_reproducible_and_has_the_stated_sigma():
    x = torch.full((8, 1, 28, 28), 0.5)
    a, b = degrade.gaussian_noise(x, 0.1, seed=3), degrade.gaussian_noise(x, 0.1, seed=3)
    assert torch.equal(a, b)
    assert (a - x).std().item() == pytest.approx(0.1, rel=0.05)


def test_gaussian_noise_refuses_a_seed_that_would_not_repeat():
    with pytest.raises(ValueError, match="seed must be an int >= 0"):
        degrade.gaussian_noise(torch.rand(2, 1, 4, 4), 0.1, seed=None)


def test_gaussian_noise_draws_other_noise_for_another_seed():
    x = torch.rand(2, 1, 4, 4)
    assert not torch.equal(degrade.gaussian_noise(x, 0.1, seed=0), degrade.gaussian_noise(x, 0.1, seed=1))


@pytest.mark.parametrize("sigma", [float("inf"), float("nan"), -0.1])
def test_gaussian_noise_refuses_a_sigma_that_is_not_a_finite_number_at_least_0(sigma):
    with pytest.raises(ValueError, match="sigma"):
        degrade.gaussian_noise(torch.rand(2, 1, 4, 4), sigma)


# ------------------------------------------------------------ Poisson noise

def test_poisson_noise_keeps_the_mean_and_has_variance_x_over_photons():
    x = torch.full((64, 1, 28, 28), 0.5)
    y = degrade.poisson_noise(x, 100.0, seed=0)
    assert y.mean().item() == pytest.approx(0.5, abs=0.005)
    assert y.var().item() == pytest.approx(0.5 / 100, rel=0.05)


def test_poisson_noise_grows_with_the_brightness():
    dim, bright = torch.full((64, 1, 28, 28), 0.1), torch.full((64, 1, 28, 28), 0.9)
    assert degrade.poisson_noise(bright, 50, seed=0).std() > 2 * degrade.poisson_noise(dim, 50, seed=0).std()


def test_poisson_noise_is_stronger_with_fewer_photons():
    x = torch.full((16, 1, 28, 28), 0.5)
    assert degrade.poisson_noise(x, 10, seed=0).std() > 5 * degrade.poisson_noise(x, 1000, seed=0).std()


def test_poisson_noise_leaves_black_pixels_black():
    x = torch.zeros(4, 1, 8, 8)
    assert torch.equal(degrade.poisson_noise(x, 10, seed=0), x)


def test_poisson_noise_gives_counts_over_photons():
    y = degrade.poisson_noise(torch.rand(4, 1, 8, 8), 20, seed=1)
    assert torch.equal(y * 20, (y * 20).round())


def test_poisson_noise_is_reproducible_for_a_seed_and_differs_for_another():
    x = torch.rand(4, 1, 8, 8)
    assert torch.equal(degrade.poisson_noise(x, 30, seed=2), degrade.poisson_noise(x, 30, seed=2))
    assert not torch.equal(degrade.poisson_noise(x, 30, seed=2), degrade.poisson_noise(x, 30, seed=3))


def test_transmission_noise_keeps_the_mean_with_many_photons():
    x = torch.linspace(0, 1, 11).view(1, 1, 1, 11).expand(200, 1, 1, 11)
    y = degrade.transmission_noise(x, 1e6, seed=0)
    assert torch.allclose(y.mean(dim=0), x[0], atol=2e-3)


def test_transmission_noise_has_the_variance_of_the_counts_behind_the_body():
    for value in (0.2, 0.8):
        y = degrade.transmission_noise(torch.full((20000, 1, 1, 1), value), 1e4, attenuation=3.0, seed=1)
        expected = np.exp(3.0 * value) / (3.0 ** 2 * 1e4)          # the delta method
        assert y.double().var().item() == pytest.approx(expected, rel=0.1)


def test_transmission_noise_is_strongest_in_bright_pixels_unlike_poisson_noise_on_displayed_values():
    dim, bright = torch.full((1, 1, 64, 64), 0.2), torch.full((1, 1, 64, 64), 0.8)
    assert degrade.transmission_noise(bright, 200, seed=0).std() > 2 * degrade.transmission_noise(dim, 200, seed=0).std()
    assert degrade.poisson_noise(bright, 200, seed=0).std() / 0.8 < degrade.poisson_noise(dim, 200, seed=0).std() / 0.2


def test_transmission_noise_stays_finite_when_no_photon_gets_through():
    y = degrade.transmission_noise(torch.ones(1, 1, 16, 16), 2.0, attenuation=8.0, seed=0)
    assert torch.isfinite(y).all() and y.max() <= math.log(4.0) / 8.0 + 1e-6


def test_transmission_noise_is_reproducible_for_a_seed_and_differs_for_another():
    x = torch.rand(2, 1, 8, 8)
    a, b = degrade.transmission_noise(x, 50, seed=3), degrade.transmission_noise(x, 50, seed=3)
    assert torch.equal(a, b) and not torch.equal(a, degrade.transmission_noise(x, 50, seed=4))


@pytest.mark.parametrize("kwargs, says", [({"photons": 0}, "photons"), ({"photons": 10, "attenuation": 0}, "attenuation"),
                                          ({"photons": 10, "attenuation": float("nan")}, "attenuation")])
def test_transmission_noise_refuses_a_dose_or_attenuation_that_is_not_a_positive_number(kwargs, says):
    with pytest.raises(ValueError, match=says):
        degrade.transmission_noise(torch.rand(2, 1, 4, 4), **kwargs)


def test_poisson_noise_refuses_0_255_images():
    with pytest.raises(ValueError, match="Divide by 255"):
        degrade.poisson_noise(torch.rand(2, 1, 4, 4) * 255, 100)


@pytest.mark.parametrize("photons", [0, -5, float("inf"), float("nan"), None])
def test_poisson_noise_refuses_a_photon_count_that_is_not_a_positive_number(photons):
    with pytest.raises(ValueError, match="photons"):
        degrade.poisson_noise(torch.rand(2, 1, 4, 4), photons)


# ------------------------------------------------------------- Rician noise

def test_rician_noise_with_sigma_0_is_the_image():
    x = torch.rand(2, 1, 8, 8)
    assert torch.allclose(degrade.rician_noise(x, 0.0), x)


def test_rician_noise_lifts_a_black_background_to_sigma_root_pi_over_2():
    """On a zero signal the magnitude of complex Gaussian noise is Rayleigh-distributed."""
    y = degrade.rician_noise(torch.zeros(64, 1, 28, 28), 0.1, seed=0)
    assert y.mean().item() == pytest.approx(0.1 * math.sqrt(math.pi / 2), rel=0.02)


def test_rician_noise_on_a_bright_signal_is_close_to_gaussian_noise():
    y = degrade.rician_noise(torch.full((64, 1, 28, 28), 0.8), 0.02, seed=0)
    assert y.mean().item() == pytest.approx(0.8, abs=0.002)
    assert y.std().item() == pytest.approx(0.02, rel=0.05)


def test_rician_noise_is_never_negative():
    assert degrade.rician_noise(torch.rand(8, 1, 16, 16), 0.3, seed=1).min() >= 0


def test_rician_noise_is_reproducible_for_a_seed_and_differs_for_another():
    x = torch.rand(4, 1, 8, 8)
    assert torch.equal(degrade.rician_noise(x, 0.1, seed=4), degrade.rician_noise(x, 0.1, seed=4))
    assert not torch.equal(degrade.rician_noise(x, 0.1, seed=4), degrade.rician_noise(x, 0.1, seed=5))


def rician_mean_at(a, sigma):
    return degrade.rician_mean(torch.tensor([a], dtype=torch.float64), sigma).item()


def test_rician_mean_at_zero_signal_is_the_rayleigh_mean():
    assert rician_mean_at(0.0, 0.1) == pytest.approx(0.1 * math.sqrt(math.pi / 2), rel=1e-12)


def test_rician_mean_tends_to_root_a_squared_plus_sigma_squared_for_a_strong_signal():
    """Up to terms of order sigma^4 / A^3 (the two differ in the next term of the expansion)."""
    for a in (1.0, 10.0, 1e4):                               # 1e4 / 0.1: no overflow in the Bessel terms
        assert abs(rician_mean_at(a, 0.1) - math.sqrt(a ** 2 + 0.01)) <= 0.1 ** 4 / a ** 3


def test_rician_mean_agrees_with_the_mean_of_rician_noise():
    signal = torch.linspace(0, 0.5, 11).view(1, 1, 1, 11).expand(1, 1, 20000, 11).contiguous()
    measured = degrade.rician_noise(signal, 0.1, seed=0).double().mean(dim=2)[0, 0]
    assert torch.allclose(measured, degrade.rician_mean(signal[0, 0, 0], 0.1), atol=3e-3)


def test_rician_mean_with_sigma_0_is_the_signal():
    a = torch.rand(5, dtype=torch.float64)
    assert torch.equal(degrade.rician_mean(a, 0.0), a)


def test_rician_mean_refuses_a_negative_signal():
    with pytest.raises(ValueError, match="a magnitude A >= 0"):
        degrade.rician_mean(torch.tensor([-0.1, 0.2]), 0.1)


# --------------------------------------------------------------------- blur

def test_gaussian_blur_spreads_a_point_with_the_stated_sigma_and_keeps_its_mass():
    point = torch.zeros(1, 1, 41, 41, dtype=torch.float64)
    point[..., 20, 20] = 1.0
    psf = degrade.gaussian_blur(point, 2.0)[0, 0].double()
    offsets = torch.arange(41, dtype=torch.float64) - 20
    assert psf.sum().item() == pytest.approx(1.0, abs=1e-6)
    assert (psf.sum(dim=0) * offsets ** 2).sum().item() == pytest.approx(4.0, rel=0.01)   # variance along x
    assert (psf.sum(dim=1) * offsets ** 2).sum().item() == pytest.approx(4.0, rel=0.01)   # and along y


def test_gaussian_blur_leaves_a_constant_image_constant():
    x = torch.full((2, 3, 16, 16), 0.3)
    assert torch.allclose(degrade.gaussian_blur(x, 1.5), x, atol=1e-6)


def test_gaussian_blur_with_sigma_0_is_the_image():
    x = torch.rand(2, 1, 8, 8)
    assert torch.equal(degrade.gaussian_blur(x, 0.0), x)


def test_gaussian_blur_blurs_each_channel_on_its_own():
    x = torch.zeros(1, 2, 16, 16)
    x[0, 0, 8, 8] = 1.0
    assert torch.equal(degrade.gaussian_blur(x, 1.0)[0, 1], torch.zeros(16, 16))


def test_gaussian_blur_refuses_a_negative_sigma():
    with pytest.raises(ValueError, match="sigma .* must be a finite number >= 0"):
        degrade.gaussian_blur(torch.rand(1, 1, 8, 8), -1.0)




def test_blurred_is_the_blur_then_the_seeded_noise_clipped_below_at_0():
    x = torch.rand(3, 1, 16, 16, generator=torch.Generator().manual_seed(0))
    x[..., :6] = 0                                       # black on the left: the noise goes below 0 there
    expected = degrade.gaussian_noise(degrade.gaussian_blur(x, 1.0), 0.05, seed=4).clamp_min(0)
    observed = degrade.blurred(x, 1.0, 0.05, seed=4)
    assert torch.equal(observed, expected) and observed.min() == 0

# ----------------------------------------------------- down- and upsampling

def test_downsample_takes_the_mean_of_each_block():
    x = torch.rand(2, 3, 12, 8)
    expected = x.reshape(2, 3, 3, 4, 2, 4).mean(dim=(3, 5))
    assert torch.allclose(degrade.downsample(x, 4), expected, atol=1e-6)


def test_downsample_by_1_is_the_image():
    x = torch.rand(2, 1, 7, 7)
    assert torch.equal(degrade.downsample(x, 1), x)


def test_downsample_refuses_a_size_that_is_not_a_multiple_of_the_factor():
    with pytest.raises(ValueError, match="cannot be cut into 3x3 blocks.*crop"):
        degrade.downsample(torch.rand(1, 1, 28, 28), 3)


@pytest.mark.parametrize("factor", [0, 2.0, True, None])
def test_downsample_refuses_a_factor_that_is_not_a_positive_int(factor):
    with pytest.raises(ValueError, match="factor must be a positive int"):
        degrade.downsample(torch.rand(1, 1, 8, 8), factor)


@pytest.mark.parametrize("mode", degrade.UPSAMPLE_MODES)
def test_upsample_gives_factor_times_the_size_and_keeps_a_constant_image(mode):
    out = degrade.upsample(torch.full((2, 1, 7, 7), 0.4), 4, mode)
    assert out.shape == (2, 1, 28, 28)
    assert torch.allclose(out, torch.full_like(out, 0.4), atol=1e-6)


def test_downsampling_a_nearest_neighbour_upsampling_gives_the_image_back():
    x = torch.rand(2, 1, 7, 7)
    assert torch.allclose(degrade.downsample(degrade.upsample(x, 4, "nearest"), 4), x, atol=1e-6)


def test_bicubic_upsampling_restores_smooth_images_better_than_nearest():
    clean = blobs()
    small = degrade.downsample(clean, 4)
    assert metrics.psnr(degrade.upsample(small, 4, "bicubic"), clean) > \
        metrics.psnr(degrade.upsample(small, 4, "nearest"), clean) + 1


def test_bicubic_upsampling_overshoots_at_an_edge_unless_clipped():
    edge = torch.zeros(1, 1, 8, 8)
    edge[..., 4:] = 1.0
    assert degrade.upsample(edge, 4, clip=False).max() > 1
    clipped = degrade.upsample(edge, 4)
    assert clipped.min() >= 0 and clipped.max() <= 1


def test_block_means_keep_what_downsample_sees_and_the_detail_has_mean_0_per_block():
    x = torch.rand(2, 1, 8, 12, generator=torch.Generator().manual_seed(0))
    m = degrade.block_means(x, 2)
    assert m.shape == x.shape
    assert torch.equal(m, degrade.upsample(degrade.downsample(x, 2), 2, "nearest", clip=False))
    assert torch.allclose(degrade.downsample(m, 2), degrade.downsample(x, 2), atol=1e-7)
    assert torch.allclose(degrade.downsample(x - m, 2), torch.zeros(2, 1, 4, 6), atol=1e-7)
    assert torch.equal(m[..., 0, 0], m[..., 1, 1])          # one value per block


def test_upsample_refuses_an_unknown_mode():
    with pytest.raises(ValueError, match="mode must be one of"):
        degrade.upsample(torch.rand(1, 1, 4, 4), 2, "lanczos")


# ----------------------------------------------------------------- k-space

def test_kspace_keeps_the_energy_of_the_image():
    x = torch.rand(3, 1, 28, 28)
    energy = degrade.kspace(x).abs().pow(2).sum(dim=(-2, -1))
    assert torch.allclose(energy, x.pow(2).sum(dim=(-2, -1)), rtol=1e-5)


@pytest.mark.parametrize("size", [28, 27])
def test_kspace_puts_the_zero_frequency_at_the_centre(size):
    k = degrade.kspace(torch.full((1, 1, size, size), 0.5))
    centre = k[0, 0, size // 2, size // 2]
    assert centre.real.item() == pytest.approx(0.5 * size, rel=1e-5)     # the mean times sqrt(H * W)
    k[0, 0, size // 2, size // 2] = 0
    assert k.abs().max().item() < 1e-4


def test_image_from_kspace_inverts_kspace():
    x = torch.rand(2, 1, 28, 27)
    assert torch.allclose(degrade.image_from_kspace(degrade.kspace(x)).real, x, atol=1e-5)


@pytest.mark.parametrize("width, acceleration", [(28, 4), (28, 2), (27, 3), (128, 8)])
def test_kspace_mask_samples_exactly_width_over_acceleration_columns(width, acceleration):
    assert int(degrade.kspace_mask(width, acceleration).sum()) == round(width / acceleration)


@pytest.mark.parametrize("width", [28, 27])
def test_kspace_mask_samples_every_column_around_the_zero_frequency(width):
    mask = degrade.kspace_mask(width, 4, center_fraction=0.15, seed=0)
    n_center = round(width * 0.15)
    start = width // 2 - n_center // 2
    assert mask[start:start + n_center].all() and mask[width // 2]


def test_kspace_mask_at_acceleration_1_samples_everything():
    assert degrade.kspace_mask(28, 1).all()


def test_kspace_mask_is_reproducible_for_a_seed_and_differs_for_another():
    assert torch.equal(degrade.kspace_mask(64, 4, seed=1), degrade.kspace_mask(64, 4, seed=1))
    assert not torch.equal(degrade.kspace_mask(64, 4, seed=1), degrade.kspace_mask(64, 4, seed=2))


def test_kspace_mask_refuses_more_centre_columns_than_the_acceleration_keeps():
    with pytest.raises(ValueError, match="keeps 4 of 28 columns, fewer than the 14 centre columns"):
        degrade.kspace_mask(28, 7, center_fraction=0.5)


@pytest.mark.parametrize("acceleration", [0.5, 0, -2, float("inf"), None])
def test_kspace_mask_refuses_an_acceleration_below_1(acceleration):
    with pytest.raises(ValueError, match="acceleration"):
        degrade.kspace_mask(28, acceleration)


def test_undersample_zeroes_exactly_the_columns_not_sampled():
    x = torch.rand(2, 1, 28, 28)
    mask = degrade.kspace_mask(28, 4, seed=0)
    k, full = degrade.undersample(x, mask), degrade.kspace(x)
    assert torch.equal(k[..., ~mask], torch.zeros_like(k[..., ~mask]))
    assert torch.equal(k[..., mask], full[..., mask])


def test_undersample_refuses_a_mask_of_another_width():
    with pytest.raises(ValueError, match=r"mask: expected a \(28,\) bool tensor"):
        degrade.undersample(torch.rand(1, 1, 28, 28), torch.ones(27, dtype=torch.bool))


def test_zero_filled_with_every_column_sampled_is_the_image():
    x = torch.rand(2, 1, 28, 28)
    assert torch.allclose(degrade.zero_filled(degrade.undersample(x, torch.ones(28, dtype=torch.bool))), x,
                          atol=1e-5)


def test_skipping_every_other_column_folds_the_image_onto_itself_half_a_width_away():
    """Sampling k-space at twice the spacing halves the field of view: the image and its copy
    shifted by W / 2 overlap (aliasing), at half the amplitude each."""
    x = blobs(2)
    every_other = torch.arange(28) % 2 == 0
    folded = degrade.zero_filled(degrade.undersample(x, every_other), clip=False)
    shifted = torch.roll(x, 14, dims=-1)
    assert torch.allclose(folded, (x + shifted).abs() / 2, atol=1e-5) or \
        torch.allclose(folded, (x - shifted).abs() / 2, atol=1e-5)


def test_the_error_of_the_zero_filled_image_is_the_energy_of_the_skipped_kspace():
    """Parseval: the orthonormal FFT keeps energy, so what zero-filling loses is exactly the
    energy of the columns it never measured (before the magnitude is taken)."""
    x = blobs(4)
    mask = degrade.kspace_mask(28, 4, seed=0)
    error = (degrade.image_from_kspace(degrade.undersample(x, mask)) - x).abs().pow(2).sum()
    assert error.item() == pytest.approx(degrade.kspace(x)[..., ~mask].abs().pow(2).sum().item(), rel=1e-4)


def test_image_from_kspace_refuses_a_real_tensor():
    with pytest.raises(TypeError, match="expected complex"):
        degrade.image_from_kspace(torch.rand(1, 1, 8, 8))


# ---------------------------------------------------------- sparse-view CT

def test_sinogram_has_one_column_per_view_and_covers_the_diagonal():
    sino = degrade.sinogram(torch.rand(2, 1, 28, 28), 30)
    assert sino.shape[:2] == (2, 1) and sino.shape[-1] == 30
    assert sino.shape[-2] >= math.ceil(28 * math.sqrt(2))


def test_every_projection_sums_to_the_total_intensity_of_the_image():
    x = blobs(2)
    sino = degrade.sinogram(x, 12)
    totals = x.sum(dim=(-2, -1), keepdim=True).squeeze(-1)       # (N, C, 1)
    assert torch.allclose(sino.sum(dim=-2), totals.expand(-1, -1, 12), rtol=0.02)


def test_fbp_with_many_views_reconstructs_a_smooth_image():
    x = blobs(4)
    assert metrics.psnr(degrade.fbp(degrade.sinogram(x, 180), 28), x) > 30


def test_fbp_gets_worse_with_fewer_views():
    x = blobs(4)
    psnrs = [metrics.psnr(degrade.fbp(degrade.sinogram(x, n), 28), x) for n in (90, 8, 3)]
    assert psnrs[0] > psnrs[1] > psnrs[2]


def edged(n=4, size=28):
    """A bright disc and a darker square on a grey ramp: sharp edges, which streak from few views."""
    r = torch.arange(size, dtype=torch.float32)
    yy, xx = r.view(size, 1), r.view(1, size)
    out = torch.empty(n, 1, size, size)
    for i in range(n):
        cy, cx = size * (0.35 + 0.1 * i), size * (0.6 - 0.05 * i)
        disc = ((yy - cy) ** 2 + (xx - cx) ** 2 < (size / 5) ** 2).float()
        square = ((yy - size / 5).abs() < size / 8).float() * ((xx - size / 5).abs() < size / 8).float()
        out[i, 0] = 0.2 + 0.1 * xx / size + 0.6 * disc - 0.15 * square
    return out.clamp(0, 1)


def test_fbp_filter_is_a_choice_smoothing_wins_from_few_views_and_the_ramp_from_many():
    """The filter is FBP's regularisation: from 8 views a smoothing filter beats the ramp by dB, from
    180 views the ramp is best. The filter and the interpolation are scikit-image's."""
    from skimage.transform import iradon

    x = edged()
    few, many = degrade.sinogram(x, 8), degrade.sinogram(x, 180)
    psnr = {(n, f): float(metrics.psnr(degrade.fbp(s, 28, filter_name=f), x))
            for n, s in ((8, few), (180, many)) for f in degrade.FBP_FILTERS}
    assert psnr[8, "hamming"] > psnr[8, "ramp"] + 2
    assert max(degrade.FBP_FILTERS, key=lambda f: psnr[180, f]) == "ramp"
    theta = np.linspace(0.0, 180.0, 8, endpoint=False)
    expected = iradon(few[0, 0].double().numpy(), theta, output_size=28, filter_name="hann", circle=False,
                      interpolation="cubic")
    out = degrade.fbp(few[:1], 28, clip=False, filter_name="hann", interpolation="cubic")
    assert np.allclose(out[0, 0].numpy(), expected, atol=1e-6)


def test_fbp_refuses_an_unknown_filter_or_interpolation():
    sino = degrade.sinogram(torch.rand(1, 1, 28, 28), 8)
    with pytest.raises(ValueError, match="filter_name must be one of"):
        degrade.fbp(sino, 28, filter_name="gauss")
    with pytest.raises(ValueError, match="interpolation must be"):
        degrade.fbp(sino, 28, interpolation="quadratic")


def test_sinogram_refuses_images_that_are_not_square():
    with pytest.raises(ValueError, match="expected square images"):
        degrade.sinogram(torch.rand(1, 1, 28, 20), 10)


def test_fbp_refuses_a_size_the_sinogram_does_not_cover():
    with pytest.raises(ValueError, match="covers images of at most 28 pixels"):
        degrade.fbp(degrade.sinogram(torch.rand(1, 1, 28, 28), 10), 64)


def test_fbp_clips_to_the_unit_range_unless_told_not_to():
    x = torch.zeros(1, 1, 28, 28)
    x[..., 10:18, 10:18] = 1.0
    sino = degrade.sinogram(x, 6)
    raw, clipped = degrade.fbp(sino, 28, clip=False), degrade.fbp(sino, 28)
    assert raw.min() < 0 and clipped.min() >= 0 and clipped.max() <= 1


# ------------------------------------------------------------------ devices

def test_every_degradation_returns_float32_images_of_the_input_shape():
    x = torch.rand(2, 1, 28, 28)
    outs = [degrade.gaussian_noise(x, 0.1), degrade.poisson_noise(x, 50), degrade.rician_noise(x, 0.1),
            degrade.gaussian_blur(x, 1.0), degrade.zero_filled(degrade.undersample(x, degrade.kspace_mask(28, 4))),
            degrade.fbp(degrade.sinogram(x, 20), 28), degrade.upsample(degrade.downsample(x, 2), 2)]
    assert all(o.shape == x.shape and o.dtype == torch.float32 for o in outs)
    assert np.isfinite(torch.stack(outs).numpy()).all()


# --------------------------------------------------------------- inpainting

def test_box_mask_marks_n_boxes_of_the_given_size_inside_each_image():
    mask = degrade.box_mask(50, (28, 28), (6, 9), n_boxes=1, seed=0)
    assert mask.shape == (50, 1, 28, 28) and mask.dtype == torch.bool
    assert (mask.sum(dim=(1, 2, 3)) == 54).all()
    rows, cols = mask.any(dim=3).squeeze(1), mask.any(dim=2).squeeze(1)
    assert (rows.sum(dim=1) == 6).all() and (cols.sum(dim=1) == 9).all()     # one 6x9 rectangle each


def test_box_mask_places_boxes_anywhere_including_the_borders():
    mask = degrade.box_mask(400, (10, 10), (3, 3), seed=1)
    assert mask.any(dim=0).all()


def test_box_mask_is_reproducible_for_a_seed_and_differs_for_another():
    assert torch.equal(degrade.box_mask(4, (28, 28), (8, 8), seed=3), degrade.box_mask(4, (28, 28), (8, 8), seed=3))
    assert not torch.equal(degrade.box_mask(4, (28, 28), (8, 8), seed=3),
                           degrade.box_mask(4, (28, 28), (8, 8), seed=4))


def test_box_mask_refuses_a_box_larger_than_the_image():
    with pytest.raises(ValueError, match="box 30x8 does not fit in images of 28x28"):
        degrade.box_mask(1, (28, 28), (30, 8))


@pytest.mark.parametrize("size", [28, (28,), (28, 28, 28), (28, 0)])
def test_box_mask_refuses_a_size_that_is_not_a_pair_of_positive_ints(size):
    with pytest.raises(ValueError, match="size"):
        degrade.box_mask(1, size, (4, 4))


def test_mask_out_blanks_the_masked_pixels_in_every_channel_and_keeps_the_rest():
    x = torch.rand(2, 3, 8, 8)
    mask = degrade.box_mask(2, (8, 8), (3, 3), seed=0)
    out = degrade.mask_out(x, mask)
    full = mask.expand_as(x)
    assert (out[full] == 0).all() and torch.equal(out[~full], x[~full])


def test_mask_out_refuses_a_mask_with_a_channel_per_image_channel():
    with pytest.raises(ValueError, match=r"mask: expected a \(2, 1, 8, 8\) bool tensor"):
        degrade.mask_out(torch.rand(2, 3, 8, 8), torch.zeros(2, 3, 8, 8, dtype=torch.bool))


def test_inpaint_never_reads_the_missing_pixels():
    x = blobs(2)
    mask = degrade.box_mask(2, (28, 28), (6, 6), seed=0)
    scribbled = torch.where(mask, torch.rand_like(x), x)
    assert torch.equal(degrade.inpaint(x, mask), degrade.inpaint(scribbled, mask))


def test_inpaint_keeps_the_known_pixels_and_fills_a_smooth_image_closely():
    x = blobs(4)
    mask = degrade.box_mask(4, (28, 28), (6, 6), seed=0)
    out = degrade.inpaint(x, mask)
    assert torch.allclose(out[~mask.expand_as(x)], x[~mask.expand_as(x)], atol=1e-6)
    assert metrics.psnr(out, x) > metrics.psnr(degrade.mask_out(x, mask), x) + 10


def test_inpaint_without_a_missing_pixel_returns_the_image():
    x = torch.rand(2, 1, 8, 8)
    assert torch.allclose(degrade.inpaint(x, torch.zeros(2, 1, 8, 8, dtype=torch.bool)), x)


# -------------------------------------------------------- slices to volumes

def test_thin_slices_keeps_every_factor_th_slice_from_the_first():
    v = torch.arange(10, dtype=torch.float32).view(1, 1, 10, 1, 1).expand(2, 1, 10, 3, 3)
    assert degrade.thin_slices(v, 3)[0, 0, :, 0, 0].tolist() == [0, 3, 6, 9]


def test_interpolating_the_slices_of_a_linear_ramp_gives_it_back():
    v = torch.linspace(0, 1, 13).view(1, 1, 13, 1, 1).expand(2, 1, 13, 4, 4).contiguous()
    back = degrade.interpolate_slices(degrade.thin_slices(v, 4), 4, 13)
    assert torch.allclose(back, v, atol=1e-6)


def test_interpolate_slices_keeps_the_kept_slices_and_repeats_the_last_one_past_it():
    v = torch.rand(1, 1, 10, 5, 5)
    back = degrade.interpolate_slices(degrade.thin_slices(v, 4), 4, 10)      # keeps slices 0, 4 and 8
    assert back.shape == v.shape
    for z in (0, 4, 8):
        assert torch.allclose(back[:, :, z], v[:, :, z])
    assert torch.allclose(back[:, :, 9], v[:, :, 8])
    assert torch.allclose(back[:, :, 2], (v[:, :, 0] + v[:, :, 4]) / 2)


def test_interpolate_slices_refuses_a_depth_that_thin_slices_could_not_have_thinned():
    with pytest.raises(ValueError, match="thin has 4 slices, but thin_slices\\(volumes, 3\\) of a volume of 28"):
        degrade.interpolate_slices(torch.rand(1, 1, 4, 8, 8), 3, 28)


def test_thin_slices_refuses_2d_images():
    with pytest.raises(ValueError, match=r"\(N, C, D, H, W\)"):
        degrade.thin_slices(torch.rand(1, 1, 8, 8), 2)


def test_kspace_of_a_complex_image_is_linear_in_its_real_and_imaginary_parts():
    """A complex estimate (an image_from_kspace result, a network's complex output) has a k-space too."""
    g = torch.Generator().manual_seed(0)
    re, im = torch.rand(2, 1, 6, 8, generator=g), torch.rand(2, 1, 6, 8, generator=g)
    assert torch.allclose(degrade.kspace(torch.complex(re, im)), degrade.kspace(re) + 1j * degrade.kspace(im), atol=1e-6)


def test_kspace_refuses_a_complex_image_with_nan():
    z = torch.zeros(1, 1, 4, 4, dtype=torch.complex64)
    z[0, 0, 1, 1] = complex(float("nan"), 0)
    with pytest.raises(ValueError, match="finite complex"):
        degrade.kspace(z)

"""coursekit.reconstruct: data consistency is a projection onto the images that agree with the
measurements, the classical iterative reconstructions beat the direct ones, and the scores count
only what was not measured."""
import numpy as np
import pytest
import torch

from coursekit import degrade, metrics, reconstruct, scans
from image_helpers import blobs


@pytest.fixture(scope="module")
def brain():
    """Axial slices of the MNI152 template (shipped with nilearn: no download), 32 pixels."""
    return scans.slices(scans.mri_template(2), "axial", size=32)[::4]


def measured(images, acceleration=4, seed=0):
    mask = degrade.kspace_mask(images.shape[-1], acceleration, seed=seed)
    return degrade.undersample(images, mask), mask


# ------------------------------------------------------------ complex channels

def test_channels_round_trip_a_complex_image():
    z = torch.randn(2, 1, 5, 6, dtype=torch.complex64)
    x = reconstruct.to_channels(z)
    assert x.shape == (2, 2, 5, 6) and x.dtype == torch.float32
    assert torch.equal(reconstruct.from_channels(x), z)


def test_to_channels_refuses_a_real_image():
    with pytest.raises(TypeError, match=r"complex \(N, 1, H, W\)"):
        reconstruct.to_channels(torch.rand(2, 1, 4, 4))


def test_from_channels_refuses_one_channel():
    with pytest.raises(TypeError, match=r"\(N, 2, H, W\)"):
        reconstruct.from_channels(torch.rand(2, 1, 4, 4))


# ------------------------------------------------------------ data consistency

def test_data_consistency_puts_the_measurements_into_the_sampled_columns_and_keeps_the_rest():
    truth, estimate = blobs(3, 16, seed=0), blobs(3, 16, seed=1)
    k, mask = measured(truth)
    out_k = degrade.kspace(reconstruct.data_consistency(estimate, k, mask))
    assert torch.allclose(out_k[..., mask], k[..., mask], atol=1e-6)
    assert torch.allclose(out_k[..., ~mask], degrade.kspace(estimate)[..., ~mask], atol=1e-6)


def test_data_consistency_leaves_the_truth_and_the_zero_filled_image_unchanged():
    truth = blobs(2, 16)
    k, mask = measured(truth)
    assert torch.allclose(reconstruct.data_consistency(truth, k, mask).real, truth, atol=1e-6)
    zero_filled = degrade.image_from_kspace(k)
    assert torch.allclose(reconstruct.data_consistency(zero_filled, k, mask), zero_filled, atol=1e-6)


def test_data_consistency_is_a_projection_so_it_never_moves_an_estimate_away_from_the_truth():
    """The truth agrees with the measurements; projecting onto that set brings any estimate closer."""
    truth = blobs(4, 16)
    k, mask = measured(truth)
    for seed in range(3):
        estimate = truth + 0.2 * torch.randn(truth.shape, generator=torch.Generator().manual_seed(seed))
        projected = reconstruct.data_consistency(estimate, k, mask)
        assert (projected - truth).abs().pow(2).sum() < (estimate - truth).pow(2).sum()
        again = reconstruct.data_consistency(projected, k, mask)
        assert torch.allclose(again, projected, atol=1e-6)


def test_data_consistency_refuses_a_mask_of_another_width():
    truth = blobs(1, 16)
    k, _ = measured(truth)
    with pytest.raises(ValueError, match=r"\(16,\) bool tensor"):
        reconstruct.data_consistency(truth, k, torch.ones(12, dtype=torch.bool))


def test_data_consistency_refuses_real_measurements():
    truth = blobs(1, 16)
    _, mask = measured(truth)
    with pytest.raises(ValueError, match="measured complex k-space"):
        reconstruct.data_consistency(truth, truth, mask)


def test_kspace_error_is_zero_for_the_truth_and_grows_with_a_wrong_image():
    truth = blobs(2, 16)
    k, mask = measured(truth)
    assert reconstruct.kspace_error(truth, k, mask) < 1e-6
    small, large = (reconstruct.kspace_error(truth + e, k, mask) for e in (0.01, 0.1))
    assert 0 < small < large


# ------------------------------------------------------- zero-filling of a real image

def mirror_columns(mask):
    """The columns whose mirror (frequency -f for f) was measured, zero frequency at W // 2."""
    w = len(mask)
    return mask[(2 * (w // 2) - torch.arange(w)) % w]


@pytest.mark.parametrize("shape", [(8, 8), (7, 9)])
def test_zero_filled_real_recovers_every_column_whose_mirror_was_measured_and_no_other(shape):
    truth = torch.rand((2, 1) + shape, generator=torch.Generator().manual_seed(0))
    mask = degrade.kspace_mask(shape[1], 3, seed=1)
    known = mask | mirror_columns(mask)
    assert (known & ~mask).any()                         # some columns are known only through their mirror
    out = reconstruct.zero_filled_real(degrade.undersample(truth, mask), mask, clip=False)
    k_out, k_truth = degrade.kspace(out), degrade.kspace(truth)
    assert torch.allclose(k_out[..., known], k_truth[..., known], atol=1e-5)
    assert k_out[..., ~known].abs().max() < 1e-5


def test_zero_filled_real_agrees_with_the_measurements(brain):
    k, mask = measured(brain)
    assert reconstruct.kspace_error(reconstruct.zero_filled_real(k, mask, clip=False), k, mask) < 1e-5


def test_zero_filled_real_is_closer_to_a_real_truth_than_zero_filling(brain):
    k, mask = measured(brain)
    real = reconstruct.zero_filled_real(k, mask)
    assert real.shape == brain.shape and 0 <= real.min() and real.max() <= 1
    assert metrics.psnr(real, brain) > metrics.psnr(degrade.zero_filled(k), brain)


def test_zero_filled_real_refuses_a_real_image_for_k_space():
    with pytest.raises(ValueError, match="complex"):
        reconstruct.zero_filled_real(torch.rand(1, 1, 4, 4), torch.ones(4, dtype=torch.bool))


# -------------------------------------------------------------- TV and CS-TV

@pytest.mark.parametrize("iterations", [1, 2, 10, 60])
def test_tv_prox_gives_what_skimage_gives(iterations):
    from skimage.restoration import denoise_tv_chambolle

    x = torch.rand(2, 2, 9, 13, generator=torch.Generator().manual_seed(0))
    ours = reconstruct.tv_prox(x, 0.15, iterations)
    theirs = np.stack([np.stack([denoise_tv_chambolle(ch.double().numpy(), weight=0.15, eps=0, max_num_iter=iterations)
                                 for ch in img]) for img in x])
    assert np.abs(ours.numpy() - theirs).max() < 1e-5


def total_variation(x):
    return float((x.diff(dim=-1)[..., :-1, :].pow(2) + x.diff(dim=-2)[..., :, :-1].pow(2)).sqrt().sum())


def test_a_larger_tv_weight_gives_a_smoother_image():
    x = torch.rand(1, 1, 16, 16, generator=torch.Generator().manual_seed(0))
    tvs = [total_variation(reconstruct.tv_prox(x, w)) for w in (0.01, 0.05, 0.2)]
    assert tvs[0] > tvs[1] > tvs[2]


def test_tv_prox_refuses_a_weight_that_is_not_positive():
    with pytest.raises(ValueError, match="weight"):
        reconstruct.tv_prox(torch.rand(1, 1, 4, 4), 0.0)


def test_cs_tv_beats_zero_filling_on_brain_slices(brain):
    k, mask = measured(brain)
    zero_filled = degrade.zero_filled(k)
    cs = reconstruct.cs_tv(k, mask, 0.03, iterations=20)
    assert cs.shape == brain.shape and 0 <= cs.min() and cs.max() <= 1
    assert metrics.psnr(cs, brain) > metrics.psnr(zero_filled, brain) + 1.0


@pytest.mark.parametrize("prior", [{}, {"real": True, "nonnegative": True}], ids=["complex", "real-nonnegative"])
def test_cs_tv_has_converged_in_its_default_iterations(brain, prior):
    """The default 100 iterations (both profiles') score as three times as many do at a weight as
    small as the tuned ones: with 30 iterations FISTA was still several dB short at such weights,
    which handicapped the baseline, or pushed the tuning to larger weights."""
    k, mask = measured(brain)
    default = float(metrics.psnr(reconstruct.cs_tv(k, mask, 0.002, **prior), brain))
    longer = float(metrics.psnr(reconstruct.cs_tv(k, mask, 0.002, iterations=300, **prior), brain))
    assert abs(default - longer) < 0.2


def test_cs_tv_for_a_real_image_starts_from_real_zero_filling(brain):
    """One iteration with no prior to speak of returns its start: the minimum-norm real image that
    agrees with the measurements, already consistent and real."""
    k, mask = measured(brain)
    out = reconstruct.cs_tv(k, mask, 1e-6, iterations=1, real=True, clip=False)
    assert torch.allclose(out, reconstruct.zero_filled_real(k, mask, clip=False), atol=1e-4)


def test_cs_tv_for_a_real_image_keeps_its_negative_pixels_unless_told_not_to(brain):
    k, mask = measured(brain)
    real = reconstruct.cs_tv(k, mask, 0.002, iterations=5, real=True, clip=False)
    nonneg = reconstruct.cs_tv(k, mask, 0.002, iterations=5, real=True, nonnegative=True, clip=False)
    assert real.min() < -0.01 and nonneg.min() >= 0


def test_cs_tv_refuses_nonnegative_without_real(brain):
    k, mask = measured(brain)
    with pytest.raises(ValueError, match="real=True"):
        reconstruct.cs_tv(k, mask, 0.01, iterations=1, nonnegative=True)


def test_cs_tv_with_a_tiny_weight_stays_consistent_with_the_measurements(brain):
    """With no prior to speak of, ISTA only projects: the result agrees with what was measured."""
    k, mask = measured(brain)
    out = reconstruct.cs_tv(k, mask, 1e-6, iterations=3, clip=False)
    assert reconstruct.kspace_error(out, k, mask) < 0.2     # the magnitude discards the aliasing's phase
    assert abs(float(metrics.psnr(out.clamp(0, 1), brain)) - float(metrics.psnr(degrade.zero_filled(k), brain))) < 0.1


# ------------------------------------------------------------ sparse-view CT

def test_sart_improves_with_iterations_and_beats_fbp_from_few_views():
    x = blobs(3, 24)
    sino = degrade.sinogram(x, 8)
    fbp = float(metrics.psnr(degrade.fbp(sino, 24), x))
    one, eight = (float(metrics.psnr(reconstruct.sart(sino, 24, n), x)) for n in (1, 8))
    assert eight > one and eight > fbp + 1.0


def test_sart_keeps_every_iterate_in_the_images_range_and_gains_by_it():
    """The box [0, 1] is SART's prior as much as the final clip: unclipped, the output already lies in
    it, and from 8 views it beats SART that only clips its last iterate."""
    x = blobs(3, 24)
    sino = degrade.sinogram(x, 8)
    raw = reconstruct.sart(sino, 24, 8, clip=False)
    assert float(raw.min()) >= 0 and float(raw.max()) <= 1
    boxed, free = (float(metrics.psnr(reconstruct.sart(sino, 24, 16, box=box), x)) for box in (True, False))
    assert boxed > free + 1.0


def test_sart_refuses_a_relaxation_that_is_not_positive():
    with pytest.raises(ValueError, match="relaxation"):
        reconstruct.sart(degrade.sinogram(blobs(1, 16), 8), 16, 1, relaxation=0)


def test_sart_returns_the_image_where_the_sinogram_came_from_not_a_shifted_one():
    """radon(circle=False) pads the image to the detector's length; SART's output is cropped back to it."""
    x = blobs(2, 24)
    out = reconstruct.sart(degrade.sinogram(x, 30), 24, 10)
    aligned = float(metrics.psnr(out, x))
    for shift in ((0, 1), (1, 0), (0, -1), (-1, 0)):
        assert aligned > float(metrics.psnr(out, torch.roll(x, shift, dims=(-2, -1))))


def test_sart_refuses_an_image_larger_than_the_detector_covers():
    with pytest.raises(ValueError, match="at most"):
        reconstruct.sart(degrade.sinogram(blobs(1, 16), 8), 40, 1)


def test_sinogram_error_is_zero_for_the_truth_and_positive_for_a_blurred_image():
    x = blobs(2, 24)
    sino = degrade.sinogram(x, 8)
    assert reconstruct.sinogram_error(x, sino) < 1e-6
    assert reconstruct.sinogram_error(degrade.gaussian_blur(x, 2.0), sino) > 0.01


def test_centre_distance_is_zero_at_the_centre_of_an_odd_image_and_symmetric_in_an_even_one():
    odd, even = reconstruct.centre_distance(5, 5), reconstruct.centre_distance(4, 6)
    assert odd[2, 2] == 0 and odd[0, 0] == pytest.approx(8 ** 0.5)
    assert even.shape == (4, 6) and torch.equal(even, even.flip(0)) and torch.equal(even, even.flip(1))
    assert even[0, 0] == pytest.approx((1.5 ** 2 + 2.5 ** 2) ** 0.5)


def test_radial_error_is_the_mean_squared_error_of_each_ring():
    truth = blobs(3, 12)
    images = truth.clone()
    d = reconstruct.centre_distance(12, 12)
    images[..., d >= 5] += 0.1                       # an error in the outer ring only
    images[..., d < 2] -= 0.3                        # and a larger one in the middle
    mse = reconstruct.radial_error(images, truth, [0, 2, 5, 9])
    assert mse == pytest.approx([0.09, 0.0, 0.01])
    by_hand = ((images - truth) ** 2)[..., (d >= 2) & (d < 5)].mean()
    assert mse[1] == pytest.approx(float(by_hand), abs=1e-12)


def test_radial_error_gives_nan_for_a_ring_without_pixels():
    x = blobs(1, 8)
    assert np.isnan(reconstruct.radial_error(x + 0.1, x, [0, 3, 20, 30])[-1])


@pytest.mark.parametrize("edges", [[5], [0, 3, 3], [4, 2], [[0, 1], [2, 3]]], ids=str)
def test_radial_error_refuses_edges_that_are_not_increasing_distances(edges):
    x = blobs(1, 8)
    with pytest.raises(ValueError, match="at least two increasing distances"):
        reconstruct.radial_error(x, x, edges)


def test_error_share_is_the_region_s_part_of_the_squared_error():
    truth = blobs(2, 10)
    corners = reconstruct.centre_distance(10, 10) > 5
    images = truth + 0.2 * corners                   # an error in the corners only
    assert reconstruct.error_share(images, truth, corners) == pytest.approx(1.0)
    assert reconstruct.error_share(images, truth, ~corners) == 0.0
    images = truth + 0.1                              # the same error everywhere: the region's share of pixels
    assert reconstruct.error_share(images, truth, corners) == pytest.approx(float(corners.float().mean()))


def test_error_share_refuses_a_region_of_another_size_or_not_bool():
    x = blobs(1, 8)
    for region in (torch.ones(6, 6, dtype=torch.bool), torch.ones(8, 8)):
        with pytest.raises(ValueError, match="bool tensor of the images' height and width"):
            reconstruct.error_share(x + 0.1, x, region)


def test_radial_error_and_error_share_refuse_images_of_different_shapes():
    with pytest.raises(ValueError, match="same shape"):
        reconstruct.radial_error(blobs(1, 8), blobs(2, 8), [0, 4])
    with pytest.raises(ValueError, match="same shape"):
        reconstruct.error_share(blobs(1, 8), blobs(1, 10), torch.ones(8, 8, dtype=torch.bool))

# ---------------------------------------------- inpainting, slices to volumes

def test_keep_known_takes_the_output_only_where_pixels_are_missing():
    out, observed = torch.zeros(2, 1, 4, 4), torch.ones(2, 1, 4, 4)
    missing = degrade.box_mask(2, (4, 4), (2, 2), seed=0)
    kept = reconstruct.keep_known(out, observed, missing)
    assert torch.equal(kept, (~missing).float())


def test_keep_known_refuses_a_mask_that_is_not_bool():
    with pytest.raises(ValueError, match="bool tensor"):
        reconstruct.keep_known(torch.zeros(1, 1, 4, 4), torch.ones(1, 1, 4, 4), torch.zeros(1, 1, 4, 4))


def test_thick_slices_keeps_every_factor_th_row_and_marks_the_others_missing():
    x = torch.arange(70, dtype=torch.float32).view(1, 1, 7, 10) / 70
    kept, missing = reconstruct.thick_slices(x, 3)
    assert torch.equal(kept, x[:, :, [0, 3, 6]])
    assert missing.flatten().tolist() == [False, True, True, False, True, True, False]


def test_interpolate_rows_keeps_the_kept_rows_and_is_linear_between_them():
    x = torch.rand(2, 1, 9, 5, generator=torch.Generator().manual_seed(0))
    kept, missing = reconstruct.thick_slices(x, 4)
    out = reconstruct.interpolate_rows(kept, 4, 9)
    assert torch.equal(out[:, :, ::4], x[:, :, ::4])
    assert torch.allclose(out[:, :, 1], 0.75 * x[:, :, 0] + 0.25 * x[:, :, 4])
    assert out.shape == x.shape


def test_masked_psnr_scores_only_the_missing_pixels():
    clean = torch.full((2, 1, 4, 4), 0.5)
    missing = torch.zeros(2, 1, 4, 4, dtype=torch.bool)
    missing[:, :, :2] = True
    out = clean.clone()
    out[missing] += 0.1                              # error 0.1 in every missing pixel
    assert reconstruct.masked_psnr(out, clean, missing) == pytest.approx(20.0, abs=1e-4)
    out[~missing] = 0.0                              # errors where pixels were measured do not count
    assert reconstruct.masked_psnr(out, clean, missing) == pytest.approx(20.0, abs=1e-4)


def test_masked_psnr_stays_finite_when_a_hole_is_restored_exactly():
    clean = torch.zeros(2, 1, 4, 4)
    clean[1] = 0.5
    missing = torch.ones(2, 1, 4, 4, dtype=torch.bool)
    out = clean.clone()
    out[1] += 0.1                                    # image 0 exact, image 1 off by 0.1
    assert reconstruct.masked_psnr(out, clean, missing) == pytest.approx(10 * np.log10(1 / 0.005), abs=1e-3)


def test_masked_psnr_refuses_a_mask_with_nothing_missing():
    with pytest.raises(ValueError, match="nothing to score"):
        reconstruct.masked_psnr(torch.zeros(1, 1, 4, 4), torch.zeros(1, 1, 4, 4),
                                torch.zeros(1, 1, 4, 4, dtype=torch.bool))


def test_interpolated_thick_slices_is_thick_slices_then_interpolate_rows():
    x = torch.rand(2, 1, 10, 6, generator=torch.Generator().manual_seed(0))
    linear, missing = reconstruct.interpolated_thick_slices(x, 3)
    kept, expected_missing = reconstruct.thick_slices(x, 3)
    assert torch.equal(linear, reconstruct.interpolate_rows(kept, 3, 10))
    assert torch.equal(missing, expected_missing)


# --------------------------------------------- the axial planes a thick-slice scan keeps

def volume(shape, seed=0):
    """A volume of foreground everywhere (values in [0.5, 1]), 1 mm voxels."""
    data = 0.5 + 0.5 * torch.rand(shape, generator=torch.Generator().manual_seed(seed))
    return scans.Volume(data, np.eye(4))


def test_thick_axial_slices_with_factor_1_are_the_axial_slices():
    v = volume((5, 7, 6))
    assert torch.equal(reconstruct.thick_axial_slices(v, 1), scans.slices(v, "axial"))


def test_thick_axial_slices_are_the_heights_of_the_rows_kept_counted_from_the_top_of_the_padded_slice():
    # z is padded by 2 voxels on each side to 12 (the longest side) and flipped, so coronal row i is
    # height z = 8 - i: rows 0, 4 and 8 are the padding above the head, z = 4 and z = 0
    v = volume((5, 12, 7))
    axial = scans.slices(v, "axial")
    assert torch.equal(reconstruct.thick_axial_slices(v, 4), axial[[0, 4]])
    blank = reconstruct.thick_axial_slices(v, 4, min_foreground=0)[2]
    assert blank.shape == axial.shape[1:] and not blank.any()


def test_thick_axial_slices_hold_what_the_kept_rows_of_resized_coronal_slices_hold():
    # constant along y, the longest side: every coronal slice is the same image, and every row of an
    # axial slice is the row of the coronal slices at its height
    data = (0.5 + 0.5 * torch.rand(6, 1, 14, generator=torch.Generator().manual_seed(0))).expand(6, 20, 14)
    v = scans.Volume(data.contiguous(), np.eye(4))
    kept_rows = scans.slices(v, "coronal", size=8)[0, 0, ::3]              # rows 0, 3, 6, from the top
    planes = reconstruct.thick_axial_slices(v, 3, size=8, min_foreground=0)
    assert planes.shape == (3, 1, 8, 8)
    for plane, row in zip(planes.flip(0), kept_rows):                       # from the top, as the rows
        assert torch.allclose(plane[0], row.expand(8, 8), atol=1e-6)


def test_thick_axial_slices_refuses_a_factor_that_is_not_a_positive_whole_number():
    with pytest.raises(ValueError, match="factor"):
        reconstruct.thick_axial_slices(volume((4, 4, 4)), 0)


def test_thick_axial_slices_refuses_images_instead_of_a_volume():
    with pytest.raises(TypeError, match="Volume"):
        reconstruct.thick_axial_slices(torch.rand(4, 4, 4), 2)


def test_flips_gives_the_four_flips_then_their_transposes_in_order():
    x = torch.arange(2 * 3 * 4, dtype=torch.float32).reshape(2, 1, 3, 4)
    four = reconstruct.flips(x)
    assert torch.equal(four, torch.cat([x, x.flip(-1), x.flip(-2), x.flip(-1, -2)]))
    square = torch.arange(2 * 3 * 3, dtype=torch.float32).reshape(2, 1, 3, 3)
    eight = reconstruct.flips(square, transposed=True)
    assert eight.shape == (16, 1, 3, 3)
    assert torch.equal(eight[:8], reconstruct.flips(square)) and torch.equal(eight[8:], eight[:8].transpose(-1, -2))


def test_transposed_flips_refuse_images_that_are_not_square():
    with pytest.raises(ValueError, match="square images; got 3x4"):
        reconstruct.flips(torch.zeros(1, 1, 3, 4), transposed=True)

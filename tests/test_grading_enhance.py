"""The image enhancement exercise's tasks: the reference earns full marks, agrees with torch and
with the library (coursekit.restore), and every wrong-but-plausible implementation loses points
(scored in this process; see grading_helpers.py)."""
import math

import numpy as np
import pytest
import torch
import torch.nn.functional as F
from scipy import ndimage

from coursekit import degrade, restore
from coursekit.grading.cases import compare_values
from coursekit.grading.tasks import enhance, exercise_tasks, exercises, load_hidden, notebooks
from grading_helpers import (assert_every_task_has_an_independent_implementation,
                             assert_every_task_has_wrong_implementations, assert_full_marks, assert_loses_points,
                             failed_cases, grade_in_process)

pytestmark = pytest.mark.usefixtures("one_thread")

# the runs of the cases that check the caller's tensors were left alone (and the output)
INPUTS_KEPT_RUNS = (enhance.run_inputs_kept, enhance.run_unbiased_rician_inputs_kept)

RL_BLACK_CASE = next(c.name for c in enhance.RL_CASES if "without a photon" in c.name)


def test_enhance_exercise_has_four_tasks_with_points():
    tasks = exercise_tasks("enhance")
    assert "enhance" in exercises() and notebooks()["enhance"] == "07_enhancement"
    assert [t.id for t in tasks] == ["enhance.pixel_shuffle", "enhance.wiener", "enhance.richardson_lucy_step",
                                     "enhance.unbiased_rician"]
    assert [t.points for t in tasks] == [2, 3, 2, 3]
    assert all(t.cases for t in tasks)


@pytest.mark.parametrize("task", enhance.TASKS, ids=lambda t: t.id)
def test_reference_implementation_earns_full_marks(task):
    result = grade_in_process(task.id, task.reference)
    assert result.score() == pytest.approx(task.points), [c.message for c in result.cases]


@pytest.mark.parametrize("task", enhance.TASKS, ids=lambda t: t.id)
def test_case_inputs_are_reproducible(task):
    for case in task.cases:
        assert compare_values(case.make_inputs(), case.make_inputs()) is None


@pytest.mark.parametrize("task", enhance.TASKS, ids=lambda t: t.id)
def test_cases_use_float64_inputs(task):
    dtypes = {v.dtype for case in task.cases for v in case.make_inputs().values() if isinstance(v, torch.Tensor)}
    assert torch.float64 in dtypes and dtypes <= {torch.float64, torch.float32}


def test_the_non_symmetric_psfs_have_a_complex_transfer_function():
    # without them, H for conj(H) and an unflipped PSF would go unnoticed
    for cases in (enhance.WIENER_CASES, enhance.RL_CASES):
        asymmetric = [c for c in cases if not torch.equal(c.make_inputs()["psf"], c.make_inputs()["psf"].flip(0, 1))]
        assert len(asymmetric) >= 2
        for case in asymmetric:
            inputs = case.make_inputs()
            h = enhance.transfer_function_reference(inputs["psf"], inputs["y"].shape)
            assert h.imag.abs().max() > 0.3
            assert float(inputs["psf"].sum()) == pytest.approx(1.0) and float(inputs["psf"].min()) >= 0


def test_every_richardson_lucy_case_keeps_the_blurred_estimate_above_0_1_or_has_no_photon():
    # the docstring's promise: an epsilon up to 1e-9 in the denominator stays within the tolerance
    # (where y is 0 everywhere, the ratio is 0 whatever the epsilon)
    for case in enhance.RL_CASES:
        inputs = case.make_inputs()
        if case.name == RL_BLACK_CASE:
            assert not inputs["y"].any() and not inputs["x"].any()
            continue
        assert float(enhance.circular_convolve(inputs["x"], inputs["psf"]).min()) >= 0.1
        assert float(inputs["y"].min()) > 0


# ------------------------------------------------ the references agree with torch and the library

@pytest.mark.parametrize("r, c", [(1, 2), (2, 1), (2, 3), (3, 2), (4, 1)])
def test_pixel_shuffle_reference_is_torch_s(r, c):
    x = torch.randn(2, c * r * r, 3, 5, generator=torch.Generator().manual_seed(r * 10 + c))
    assert torch.equal(enhance.pixel_shuffle_reference(x, r), F.pixel_shuffle(x, r))


def test_pixel_shuffle_reference_refuses_a_channel_count_that_r_squared_does_not_divide():
    with pytest.raises(ValueError, match="not a multiple of r \\* r = 9"):
        enhance.pixel_shuffle_reference(torch.zeros(1, 12, 2, 2), 3)


def test_pixel_shuffle_undoes_pixel_unshuffle():
    x = torch.rand(2, 3, 8, 6, dtype=torch.float64)
    assert torch.equal(enhance.pixel_shuffle_reference(F.pixel_unshuffle(x, 2), 2), x)


def test_circular_convolution_is_scipy_s_convolution_with_wrapped_borders():
    gen = torch.Generator().manual_seed(0)
    image = torch.rand(11, 14, generator=gen, dtype=torch.float64)
    psf = torch.rand(5, 5, generator=gen, dtype=torch.float64)
    want = ndimage.convolve(image.numpy(), psf.numpy(), mode="wrap")
    np.testing.assert_allclose(enhance.circular_convolve(image, psf).numpy(), want, rtol=1e-12, atol=1e-12)
    # the flipped PSF gives the adjoint: <C u, v> = <u, C^T v>
    u, v = torch.rand(2, 11, 14, generator=gen, dtype=torch.float64)
    left = (enhance.circular_convolve(u, psf) * v).sum()
    right = (u * enhance.circular_convolve(v, psf.flip(0, 1))).sum()
    assert float(left) == pytest.approx(float(right), rel=1e-12)


def test_wiener_with_almost_no_regulariser_gives_a_blurred_image_back():
    gen = torch.Generator().manual_seed(3)
    sharp = torch.rand(16, 20, generator=gen, dtype=torch.float64)
    psf = torch.from_numpy(restore.gaussian_psf(0.8))
    back = enhance.wiener_deconvolve_reference(enhance.circular_convolve(sharp, psf), psf, 1e-12)
    torch.testing.assert_close(back, sharp, rtol=0, atol=1e-8)


def test_richardson_lucy_steps_are_skimage_s_on_a_periodic_image():
    # skimage convolves with zero padding, so compare on the middle of an image that is flat near its borders
    skimage_restoration = pytest.importorskip("skimage.restoration")
    psf = torch.from_numpy(restore.gaussian_psf(1.0))
    sharp = torch.full((48, 48), 0.3, dtype=torch.float64)
    sharp[16:32, 12:36] = 0.9
    y = enhance.circular_convolve(sharp, psf)
    x = torch.full_like(y, 0.5)                    # skimage starts from 0.5 everywhere
    for _ in range(3):
        x = enhance.richardson_lucy_step_reference(x, y, psf)
    theirs = skimage_restoration.richardson_lucy(y.numpy(), psf.numpy(), num_iter=3, clip=False)
    np.testing.assert_allclose(x.numpy()[12:36, 12:36], theirs[12:36, 12:36], rtol=0, atol=1e-6)


def test_unbiased_rician_reference_is_coursekit_restore_s_with_a_gaussian_local_mean():
    noisy = degrade.rician_noise(torch.rand(2, 1, 20, 20, generator=torch.Generator().manual_seed(1)) * 0.8, 0.1)
    ours = enhance.unbiased_rician_reference(noisy, 0.1, lambda t: degrade.gaussian_blur(t, 1.5).double())
    torch.testing.assert_close(ours.float(), restore.unbiased_rician(noisy, 1.5, sigma=0.1, clip=False),
                               rtol=1e-5, atol=1e-5)


def test_the_local_mean_filters_are_means_with_reflected_borders():
    image = torch.rand(1, 1, 9, 8, generator=torch.Generator().manual_seed(2), dtype=torch.float64)
    box = enhance.local_mean_filter(dict(kind="box", size=3))
    want = ndimage.uniform_filter(image[0, 0].numpy(), 3, mode="mirror")   # torch's "reflect" is scipy's "mirror"
    np.testing.assert_allclose(box(image)[0, 0].numpy(), want, rtol=1e-12, atol=1e-12)
    gauss = enhance.local_mean_filter(dict(kind="gaussian", width=1.0))
    np.testing.assert_allclose(gauss(image)[0, 0].numpy(),
                               ndimage.gaussian_filter(image[0, 0].numpy(), 1.0, mode="mirror"), atol=1e-12)
    assert torch.equal(box(torch.ones(2, 3, 5, 5)), torch.ones(2, 3, 5, 5))     # a mean keeps a constant
    assert isinstance(box(image.numpy()), np.ndarray) and box(image[0, 0]).shape == (9, 8)


def test_pure_rician_noise_comes_out_far_below_its_biased_mean():
    case = enhance.RICIAN_CASES[1]
    assert "pure Rician noise" in case.name
    inputs = case.make_inputs()
    sigma = inputs["sigma"]
    assert float(inputs["m"].mean()) == pytest.approx(sigma * math.sqrt(math.pi / 2), rel=0.1)   # the bias
    out = enhance.run_unbiased_rician(enhance.unbiased_rician_reference, inputs)
    assert float(out.mean()) < 0.3 * sigma * math.sqrt(math.pi / 2)
    assert float((out == 0).double().mean()) > 0.3        # clipped at 0: the no-clip mistake shows


# The references also compute the expected outputs, so grading them against themselves cannot tell
# whether they are right. These implementations take another road to the same answer.

def shuffle_by_strided_assignment(x, r):
    n, channels, h, w = x.shape
    if channels % (r * r) != 0:
        raise ValueError("channels must be a multiple of r * r")
    c = channels // (r * r)
    out = torch.empty(n, c, h * r, w * r, dtype=x.dtype)
    for k in range(c):
        for i in range(r):
            for j in range(r):
                out[:, k, i::r, j::r] = x[:, k * r * r + i * r + j]
    return out


def wiener_in_numpy_with_ifftshift(y, psf, balance):
    """The PSF placed with its centre at (H // 2, W // 2), then ifftshift-ed to (0, 0)."""
    y = y.numpy()
    k = psf.shape[0] // 2
    padded = np.zeros_like(y)
    cy, cx = y.shape[0] // 2, y.shape[1] // 2
    padded[cy - k:cy + k + 1, cx - k:cx + k + 1] = psf.numpy()
    h = np.fft.fft2(np.fft.ifftshift(padded))
    return np.real(np.fft.ifft2(np.conj(h) * np.fft.fft2(y) / (np.abs(h) ** 2 + balance)))


def rl_step_with_scipy_wrap(x, y, psf):
    """scipy.ndimage with wrapped borders: convolve, then correlate (the adjoint), with skimage's
    epsilon of 1e-12 in the denominator."""
    x, y, psf = x.numpy(), y.numpy(), psf.numpy()
    ratio = y / (ndimage.convolve(x, psf, mode="wrap") + 1e-12)
    return torch.from_numpy(x * ndimage.correlate(ratio, psf, mode="wrap"))


def rician_with_nan_to_num(m, sigma, local_mean):
    """sqrt of a negative is NaN, and NaN to 0 is the clipping: in NumPy, through local_mean."""
    m2 = m.double().numpy() ** 2
    with np.errstate(invalid="ignore"):
        return torch.from_numpy(np.nan_to_num(np.sqrt(local_mean(m2) - 2 * sigma ** 2), nan=0.0))


INDEPENDENT = [("enhance.pixel_shuffle", shuffle_by_strided_assignment),
               ("enhance.wiener", wiener_in_numpy_with_ifftshift),
               ("enhance.richardson_lucy_step", rl_step_with_scipy_wrap),
               ("enhance.unbiased_rician", rician_with_nan_to_num)]


@pytest.mark.parametrize("task_id, impl", INDEPENDENT, ids=[t for t, _ in INDEPENDENT])
def test_an_independent_implementation_earns_full_marks(task_id, impl):
    assert_full_marks(task_id, impl)


def test_every_task_has_an_independent_implementation():
    assert_every_task_has_an_independent_implementation(enhance.TASKS, INDEPENDENT)


def test_torch_s_pixel_shuffle_earns_full_marks_outside_the_rules():
    def torch_shuffle(x, r):
        if x.shape[1] % (r * r):
            raise ValueError("channels")
        return F.pixel_shuffle(x, r)
    assert_full_marks("enhance.pixel_shuffle", torch_shuffle)


@pytest.mark.parametrize("eps", [1e-12, 1e-9])
def test_an_epsilon_of_up_to_1e_9_in_the_richardson_lucy_ratio_passes(eps):
    def step(x, y, psf):
        ratio = y / (enhance.circular_convolve(x, psf) + eps)
        return x * enhance.circular_convolve(ratio, psf.flip(0, 1))
    assert_full_marks("enhance.richardson_lucy_step", step)


# ------------------------------------------ wrong-but-plausible implementations

def _checked(x, r):
    if x.shape[1] % (r * r):
        raise ValueError("channels must be a multiple of r * r")


def _blocks(x, r):
    """The channels as (N, C, r, r, H, W), after the task's check (the mistakes below are others)."""
    _checked(x, r)
    n, channels, h, w = x.shape
    return x.reshape(n, channels // (r * r), r, r, h, w)


def shuffle_transposed(x, r):
    """Channel c r^2 + i r + j put at (h r + j, w r + i)."""
    n, channels, h, w = x.shape
    return _blocks(x, r).permute(0, 1, 4, 3, 5, 2).reshape(n, -1, h * r, w * r)


def shuffle_channels_grouped_i_c(x, r):
    """Channels grouped as (i r + j) C + c: the sub-pixel position varies slowest."""
    _checked(x, r)
    n, channels, h, w = x.shape
    c = channels // (r * r)
    return x.reshape(n, r, r, c, h, w).permute(0, 3, 4, 1, 5, 2).reshape(n, c, h * r, w * r)


def shuffle_plain_reshape(x, r):
    _checked(x, r)
    n, channels, h, w = x.shape
    return x.reshape(n, channels // (r * r), h * r, w * r)


def shuffle_tiles(x, r):
    """Puts the r * r channels side by side as tiles (out[i H + h, j W + w]) instead of interleaving."""
    n, channels, h, w = x.shape
    return _blocks(x, r).permute(0, 1, 2, 4, 3, 5).reshape(n, -1, h * r, w * r)


def shuffle_without_check(x, r):
    """No ValueError: the reshape raises a RuntimeError instead."""
    n, channels, h, w = x.shape
    return x.reshape(n, channels // (r * r), r, r, h, w).permute(0, 1, 4, 2, 5, 3).reshape(n, -1, h * r, w * r)


def shuffle_checks_r_not_r_squared(x, r):
    if x.shape[1] % r:
        raise ValueError("channels must be a multiple of r")
    return shuffle_without_check(x, r)


def shuffle_always_float64(x, r):
    """Fills torch.zeros(..., dtype=torch.float64): float32 comes back as float64."""
    return enhance.pixel_shuffle_reference(x, r).double()


def _h(psf, shape):
    return enhance.transfer_function_reference(psf, shape)


def wiener_psf_not_centred(y, psf, balance):
    """torch.fft.fft2(psf, s=...) zero-pads without the roll: the result is shifted."""
    h = torch.fft.fft2(psf, s=y.shape)
    return torch.fft.ifft2(h.conj() * torch.fft.fft2(y) / (h.abs() ** 2 + balance)).real


def wiener_rolled_the_wrong_way(y, psf, balance):
    k = psf.shape[0] // 2
    padded = torch.zeros_like(y)
    padded[:psf.shape[0], :psf.shape[1]] = psf
    h = torch.fft.fft2(torch.roll(padded, (k, k), dims=(0, 1)))
    return torch.fft.ifft2(h.conj() * torch.fft.fft2(y) / (h.abs() ** 2 + balance)).real


def wiener_h_not_conj(y, psf, balance):
    h = _h(psf, y.shape)
    return torch.fft.ifft2(h * torch.fft.fft2(y) / (h.abs() ** 2 + balance)).real


def wiener_balance_ignored(y, psf, balance):
    """The plain inverse filter Y / H."""
    return torch.fft.ifft2(torch.fft.fft2(y) / _h(psf, y.shape)).real


def wiener_balance_on_abs_h(y, psf, balance):
    h = _h(psf, y.shape)
    return torch.fft.ifft2(h.conj() * torch.fft.fft2(y) / (h.abs() + balance)).real


def wiener_balance_squared(y, psf, balance):
    h = _h(psf, y.shape)
    return torch.fft.ifft2(h.conj() * torch.fft.fft2(y) / (h.abs() ** 2 + balance ** 2)).real


def wiener_returns_complex(y, psf, balance):
    h = _h(psf, y.shape)
    return torch.fft.ifft2(h.conj() * torch.fft.fft2(y) / (h.abs() ** 2 + balance))


def wiener_magnitude_not_real_part(y, psf, balance):
    return enhance.wiener_deconvolve_reference(y, psf, balance).abs()


def wiener_rfft_without_size(y, psf, balance):
    """rfft2 / irfft2 without s=y.shape: right for an even width only."""
    k = psf.shape[0] // 2
    h = torch.fft.rfft2(F.pad(psf, (0, y.shape[1] - psf.shape[1], 0, y.shape[0] - psf.shape[0])).roll((-k, -k), (0, 1)))
    return torch.fft.irfft2(h.conj() * torch.fft.rfft2(y) / (h.abs() ** 2 + balance))


def wiener_fftshift_for_ifftshift(y, psf, balance):
    """The PSF placed with its centre at (H // 2, W // 2), then fftshift-ed: (0, 0) for even sizes only."""
    k = psf.shape[0] // 2
    padded = torch.zeros(y.shape, dtype=psf.dtype)
    cy, cx = y.shape[0] // 2, y.shape[1] // 2
    padded[cy - k:cy + k + 1, cx - k:cx + k + 1] = psf
    h = torch.fft.fft2(torch.fft.fftshift(padded))
    return torch.fft.ifft2(h.conj() * torch.fft.fft2(y) / (h.abs() ** 2 + balance)).real


def wiener_float32(y, psf, balance):
    return enhance.wiener_deconvolve_reference(y.float(), psf.float(), balance)


def wiener_into_y(y, psf, balance):
    """The right image, written over the caller's y (y.copy_), which the notebook deconvolves again."""
    return y.copy_(enhance.wiener_deconvolve_reference(y, psf, balance))


def _conv(u, psf):
    return enhance.circular_convolve(u, psf)


def rl_unflipped(x, y, psf):
    return x * _conv(y / (_conv(x, psf) + 1e-12), psf)


def rl_ratio_inverted(x, y, psf):
    return x * _conv(_conv(x, psf) / y, psf.flip(0, 1))


def rl_without_epsilon(x, y, psf):
    """The formula as written, y / C(x) with nothing added: 0 / 0 where no photon arrived."""
    return x * _conv(y / _conv(x, psf), psf.flip(0, 1))


def rl_divides_y_in_place(x, y, psf):
    """The right numbers, but the caller's y now holds the ratio."""
    y /= _conv(x, psf) + 1e-12
    return x * _conv(y, psf.flip(0, 1))


def rl_updates_x_in_place(x, y, psf):
    """The right numbers, written over the caller's estimate."""
    x *= _conv(y / (_conv(x, psf) + 1e-12), psf.flip(0, 1))
    return x


def _conv_rfft(u, psf):
    """The circular convolution by rfft2, but irfft2 without s=: W - 1 columns for an odd W."""
    k = psf.shape[0] // 2
    padded = F.pad(psf, (0, u.shape[1] - psf.shape[1], 0, u.shape[0] - psf.shape[0])).roll((-k, -k), (0, 1))
    return torch.fft.irfft2(torch.fft.rfft2(u) * torch.fft.rfft2(padded))


def rl_rfft_without_size(x, y, psf):
    return x * _conv_rfft(y / (_conv_rfft(x, psf) + 1e-12), psf.flip(0, 1))


def rl_update_added(x, y, psf):
    return x + _conv(y / _conv(x, psf), psf.flip(0, 1))


def rl_landweber(x, y, psf):
    """A gradient step on the squared error: additive, and a difference for the ratio."""
    return x + _conv(y - _conv(x, psf), psf.flip(0, 1))


def rl_psf_not_centred(x, y, psf):
    def conv(u, k):
        return torch.fft.ifft2(torch.fft.fft2(u) * torch.fft.fft2(k, s=u.shape)).real
    return x * conv(y / conv(x, psf), psf.flip(0, 1))


def rl_correction_only(x, y, psf):
    """Returns the correction factor, not x times it."""
    return _conv(y / _conv(x, psf), psf.flip(0, 1))


def rician_filters_then_squares(m, sigma, local_mean):
    return torch.sqrt((local_mean(m.double()) ** 2 - 2 * sigma ** 2).clamp_min(0))


def rician_sigma_squared_once(m, sigma, local_mean):
    return torch.sqrt((local_mean(m.double() ** 2) - sigma ** 2).clamp_min(0))


def rician_not_clipped(m, sigma, local_mean):
    return torch.sqrt(local_mean(m.double() ** 2) - 2 * sigma ** 2)


def rician_clipped_after_the_root(m, sigma, local_mean):
    return torch.sqrt(local_mean(m.double() ** 2) - 2 * sigma ** 2).clamp_min(0)


def rician_no_square_root(m, sigma, local_mean):
    return (local_mean(m.double() ** 2) - 2 * sigma ** 2).clamp_min(0)


def rician_abs_instead_of_clip(m, sigma, local_mean):
    return torch.sqrt((local_mean(m.double() ** 2) - 2 * sigma ** 2).abs())


def rician_mean_minus_background_bias(m, sigma, local_mean):
    """Subtracts sigma sqrt(pi / 2), the bias of the mean where there is no signal, from the local mean of m."""
    return (local_mean(m.double()) - sigma * math.sqrt(math.pi / 2)).clamp_min(0)


def rician_keeps_float32(m, sigma, local_mean):
    return torch.sqrt((local_mean(m ** 2) - 2 * sigma ** 2).clamp_min(0))


def rician_squares_in_place(m, sigma, local_mean):
    """m.double() is m itself for float64 input, so m **= 2 squares the caller's magnitudes."""
    m = m.double()
    m **= 2
    return torch.sqrt((local_mean(m) - 2 * sigma ** 2).clamp_min(0))


def rician_own_gaussian_filter(m, sigma, local_mean):
    """Ignores the local_mean it is given."""
    return torch.sqrt((degrade.gaussian_blur(m.double() ** 2, 1.0).double() - 2 * sigma ** 2).clamp_min(0))


WRONG = [
    ("enhance.pixel_shuffle", shuffle_transposed), ("enhance.pixel_shuffle", shuffle_channels_grouped_i_c),
    ("enhance.pixel_shuffle", shuffle_plain_reshape), ("enhance.pixel_shuffle", shuffle_tiles),
    ("enhance.pixel_shuffle", shuffle_without_check), ("enhance.pixel_shuffle", shuffle_checks_r_not_r_squared),
    ("enhance.pixel_shuffle", shuffle_always_float64),
    ("enhance.wiener", wiener_psf_not_centred), ("enhance.wiener", wiener_rolled_the_wrong_way),
    ("enhance.wiener", wiener_h_not_conj), ("enhance.wiener", wiener_balance_ignored),
    ("enhance.wiener", wiener_balance_on_abs_h), ("enhance.wiener", wiener_balance_squared),
    ("enhance.wiener", wiener_returns_complex), ("enhance.wiener", wiener_magnitude_not_real_part),
    ("enhance.wiener", wiener_float32), ("enhance.wiener", wiener_into_y),
    ("enhance.richardson_lucy_step", rl_unflipped), ("enhance.richardson_lucy_step", rl_ratio_inverted),
    ("enhance.richardson_lucy_step", rl_update_added), ("enhance.richardson_lucy_step", rl_landweber),
    ("enhance.richardson_lucy_step", rl_psf_not_centred), ("enhance.richardson_lucy_step", rl_correction_only),
    ("enhance.richardson_lucy_step", rl_without_epsilon), ("enhance.richardson_lucy_step", rl_divides_y_in_place),
    ("enhance.richardson_lucy_step", rl_updates_x_in_place), ("enhance.richardson_lucy_step", rl_rfft_without_size),
    ("enhance.wiener", wiener_rfft_without_size), ("enhance.wiener", wiener_fftshift_for_ifftshift),
    ("enhance.unbiased_rician", rician_squares_in_place),
    ("enhance.unbiased_rician", rician_filters_then_squares), ("enhance.unbiased_rician", rician_sigma_squared_once),
    ("enhance.unbiased_rician", rician_not_clipped), ("enhance.unbiased_rician", rician_clipped_after_the_root),
    ("enhance.unbiased_rician", rician_no_square_root), ("enhance.unbiased_rician", rician_abs_instead_of_clip),
    ("enhance.unbiased_rician", rician_mean_minus_background_bias),
    ("enhance.unbiased_rician", rician_keeps_float32), ("enhance.unbiased_rician", rician_own_gaussian_filter),
]


@pytest.mark.parametrize("task_id, wrong", WRONG, ids=lambda v: getattr(v, "__name__", v))
def test_wrong_but_plausible_implementation_loses_points(task_id, wrong):
    assert_loses_points(task_id, wrong)


def test_every_task_has_wrong_implementations_in_the_tests():
    assert_every_task_has_wrong_implementations(enhance.TASKS, WRONG)


def _max_relative_error(task, wrong, case):
    """The largest error of ``wrong`` relative to the reference on ``case`` (0 where it returns
    no tensor: a case about an exception)."""
    want = case.run(task.reference, case.make_inputs())
    try:
        got = case.run(wrong, case.make_inputs())
    except Exception:  # noqa: BLE001 - a shape error: caught, but not a formula that misses
        return 0.0
    if not (isinstance(want, torch.Tensor) and isinstance(got, torch.Tensor)) or got.shape != want.shape:
        return math.inf if isinstance(got, torch.Tensor) else 0.0
    return float(((got.double() - want.double()).abs() / (want.double().abs() + 1e-3)).nan_to_num(math.inf).max())


@pytest.mark.parametrize("task_id, wrong", [w for w in WRONG if w[1] not in (
    shuffle_without_check, shuffle_checks_r_not_r_squared, shuffle_always_float64, wiener_returns_complex,
    wiener_float32, rician_keeps_float32, rl_divides_y_in_place, rl_updates_x_in_place, rician_squares_in_place,
    wiener_rfft_without_size, rl_rfft_without_size, wiener_into_y)], ids=lambda v: getattr(v, "__name__", v))
def test_a_wrong_formula_misses_by_far_more_than_the_tolerance(task_id, wrong):
    task = next(t for t in enhance.TASKS if t.id == task_id)
    failed = set(failed_cases(task_id, wrong))
    worst = max(_max_relative_error(task, wrong, c) for c in task.cases if c.name in failed)
    assert worst > 1e-3          # the float64 tolerance is 1e-7 relative: four orders of magnitude apart


# ---------------------------------------- which case catches what, and what it says

SHUFFLE_NAMES = [c.name for c in enhance.SHUFFLE_CASES]
WIENER_NAMES = [c.name for c in enhance.WIENER_CASES]
RL_NAMES = [c.name for c in enhance.RL_CASES]
RICIAN_NAMES = [c.name for c in enhance.RICIAN_CASES]
# the case that checks the caller's tensors (from a random estimate with a non-symmetric PSF) wants the output too
RL_INPUT_CASE = next(c.name for c in enhance.RL_CASES if c.run in INPUTS_KEPT_RUNS)


def messages(task_id, obj) -> dict[str, str]:
    """{case name: message} for the public cases of ``task_id`` that ``obj`` fails, in order."""
    return {c.case.name: c.message for c in grade_in_process(task_id, obj).cases if not c.passed}


def test_channels_grouped_the_other_way_pass_only_with_one_output_channel():
    assert failed_cases("enhance.pixel_shuffle", shuffle_channels_grouped_i_c) == SHUFFLE_NAMES[1:4]


def test_a_misplaced_element_is_named_with_the_input_element_that_landed_there():
    failed = messages("enhance.pixel_shuffle", shuffle_transposed)
    assert list(failed) == SHUFFLE_NAMES[:4]
    assert failed[SHUFFLE_NAMES[0]].startswith("output[0, 0, 0, 1] holds the input's x[0, 2, 0, 0], expected "
                                               "x[0, 1, 0, 0] (with r = 2, input shape (1, 4, 3, 3))")


def test_a_channel_count_that_r_squared_does_not_divide_must_raise_value_error():
    for wrong in (shuffle_without_check, shuffle_checks_r_not_r_squared):
        failed = messages("enhance.pixel_shuffle", wrong)
        assert list(failed) == SHUFFLE_NAMES[4:]
        assert "raised RuntimeError" in failed[SHUFFLE_NAMES[4]] and "r * r" in failed[SHUFFLE_NAMES[4]]

    def returns_something(x, r):
        return x
    message = messages("enhance.pixel_shuffle", returns_something)[SHUFFLE_NAMES[4]]
    assert message.startswith("pixel_shuffle(x, 3) on 12 channels: expected a ValueError (12 is not a multiple of "
                              "r * r = 9), but it returned tensor of shape (1, 12, 3, 3)")


def test_conj_h_and_h_differ_only_for_the_non_symmetric_psfs():
    assert failed_cases("enhance.wiener", wiener_h_not_conj) == [n for n in WIENER_NAMES if "non-symmetric" in n]


def test_a_psf_that_is_not_centred_is_told_that_the_result_is_shifted():
    failed = messages("enhance.wiener", wiener_psf_not_centred)
    assert list(failed) == WIENER_NAMES
    assert "the expected image shifted circularly by (-3, -3) pixels: the PSF is not centred" in failed[WIENER_NAMES[0]]
    assert "shifted circularly by (-2, -2) pixels" in failed[WIENER_NAMES[1]]
    assert "shifted circularly by (-6, -6) pixels" in messages("enhance.wiener", wiener_rolled_the_wrong_way)[
        WIENER_NAMES[0]]


def test_a_complex_result_is_told_to_take_the_real_part():
    failed = messages("enhance.wiener", wiener_returns_complex)
    assert list(failed) == WIENER_NAMES
    assert all("complex tensor (torch.complex128)" in m and "real part" in m for m in failed.values())


def test_a_regulariser_squared_passes_only_where_balance_is_1():
    assert failed_cases("enhance.wiener", wiener_balance_squared) == [n for n in WIENER_NAMES if "balance 1," not in n]


def test_the_magnitude_for_the_real_part_fails_where_the_deconvolved_image_goes_negative():
    assert failed_cases("enhance.wiener", wiener_magnitude_not_real_part) == WIENER_NAMES


def test_richardson_lucy_with_the_psf_unflipped_fails_only_the_non_symmetric_psfs():
    assert failed_cases("enhance.richardson_lucy_step", rl_unflipped) == [
        n for n in RL_NAMES if "non-symmetric" in n or n == RL_INPUT_CASE]


def test_richardson_lucy_mistakes_fail_every_case():
    for wrong in (rl_ratio_inverted, rl_update_added, rl_correction_only, rl_psf_not_centred):
        assert failed_cases("enhance.richardson_lucy_step", wrong) == RL_NAMES


def test_a_landweber_step_passes_only_from_a_constant_estimate_where_it_coincides():
    # from x = 0.5 with a PSF summing to 1: 0.5 + C^T(y - 0.5) = C^T(y) = 0.5 * C^T(y / 0.5); and from 0 on y = 0
    assert failed_cases("enhance.richardson_lucy_step", rl_landweber) == [
        n for n in RL_NAMES if "constant" not in n and n != RL_BLACK_CASE]


def test_richardson_lucy_without_an_epsilon_fails_only_the_frame_without_a_photon_and_is_told_why():
    failed = messages("enhance.richardson_lucy_step", rl_without_epsilon)
    assert list(failed) == [RL_BLACK_CASE]
    assert failed[RL_BLACK_CASE].startswith("output: NaN or inf at 256 of 256 pixels")
    assert "add a tiny epsilon (1e-12) to the denominator" in failed[RL_BLACK_CASE]


@pytest.mark.parametrize("task_id, wrong", [("enhance.wiener", wiener_rfft_without_size),
                                            ("enhance.wiener", wiener_fftshift_for_ifftshift),
                                            ("enhance.richardson_lucy_step", rl_rfft_without_size)],
                         ids=lambda v: getattr(v, "__name__", v))
def test_a_shortcut_right_only_for_even_sizes_fails_only_the_odd_sized_case(task_id, wrong):
    odd = [c.name for c in next(t for t in enhance.TASKS if t.id == task_id).cases if "odd" in c.name]
    assert len(odd) == 1 and failed_cases(task_id, wrong) == odd


@pytest.mark.parametrize("task_id, wrong, argument", [
    ("enhance.wiener", wiener_into_y, "y"),
    ("enhance.richardson_lucy_step", rl_divides_y_in_place, "y"),
    ("enhance.richardson_lucy_step", rl_updates_x_in_place, "x"),
    ("enhance.unbiased_rician", rician_squares_in_place, "m")], ids=lambda v: getattr(v, "__name__", v))
def test_a_function_that_changes_its_input_in_place_fails_only_the_input_case_and_is_told_so(task_id, wrong, argument):
    failed = messages(task_id, wrong)
    kept = [c.name for c in next(t for t in enhance.TASKS if t.id == task_id).cases
            if c.run in INPUTS_KEPT_RUNS]
    assert list(failed) == kept and len(kept) == 1
    assert failed[kept[0]].startswith(f"your function changed its argument(s) {argument} in place")


def test_an_unclipped_root_is_told_about_the_nan():
    for wrong in (rician_not_clipped, rician_clipped_after_the_root):
        failed = messages("enhance.unbiased_rician", wrong)
        assert RICIAN_NAMES[1] in failed
        assert failed[RICIAN_NAMES[1]].startswith("output: NaN at ")
        assert "the square root of a negative number is NaN" in failed[RICIAN_NAMES[1]]


def test_sigma_squared_once_and_the_local_mean_of_m_squared_fail_every_case():
    for wrong in (rician_sigma_squared_once, rician_filters_then_squares, rician_no_square_root):
        assert failed_cases("enhance.unbiased_rician", wrong) == RICIAN_NAMES


def test_float32_magnitudes_must_come_back_in_float64():
    failed = messages("enhance.unbiased_rician", rician_keeps_float32)
    assert list(failed) == [RICIAN_NAMES[3]]
    assert "expected dtype torch.float64, got torch.float32" in failed[RICIAN_NAMES[3]]
    assert "m.double()" in failed[RICIAN_NAMES[3]]


# ------------------------------------------------- the library's answers are not the student's

def shuffle_from_torch(x, r):
    return F.pixel_shuffle(x, r)


def shuffle_from_torch_module(x, r):
    return torch.nn.PixelShuffle(r)(x)


def rician_from_coursekit(m, sigma, local_mean):
    return restore.unbiased_rician(m, 1.0, sigma=sigma, clip=False).double()


@pytest.mark.parametrize("task_id, shortcut", [("enhance.pixel_shuffle", shuffle_from_torch),
                                               ("enhance.pixel_shuffle", shuffle_from_torch_module),
                                               ("enhance.unbiased_rician", rician_from_coursekit)],
                         ids=["F.pixel_shuffle", "nn.PixelShuffle", "restore.unbiased_rician"])
def test_calling_torch_s_or_coursekit_s_own_answer_scores_zero_and_says_why(task_id, shortcut):
    result = grade_in_process(task_id, shortcut, as_student=True)
    assert result.score() == 0
    assert all("ForbiddenCall" in c.message for c in result.cases)


# ----------------------------------------------------------- hidden cases

def test_the_helpers_make_hidden_cases(tmp_path):
    (tmp_path / "enhance.py").write_text(
        "from coursekit.grading.tasks.enhance import (rician_case, rl_case, shuffle_case, shuffle_error_case,\n"
        "                                             wiener_case)\n"
        "CASES = {\n"
        "    'enhance.pixel_shuffle': [shuffle_case('r = 5', 5, c_out=2, size=(2, 3), seed=11),\n"
        "                              shuffle_error_case('10 channels, r = 2', 10, 2, seed=12)],\n"
        "    'enhance.wiener': [wiener_case('odd 15x17', shape=(15, 17), psf='random', psf_size=7, seed=13)],\n"
        "    'enhance.richardson_lucy_step': [rl_case('9x9 PSF', shape=(24, 24), psf='random', psf_size=9,\n"
        "                                             seed=14)],\n"
        "    'enhance.unbiased_rician': [rician_case('7x7 box', 0.2, dict(kind='box', size=7), seed=15)],\n"
        "}\n")
    hidden = load_hidden(tmp_path, "enhance")
    assert sorted(hidden) == sorted(t.id for t in enhance.TASKS)
    for task in enhance.TASKS:
        for case in hidden[task.id]:
            assert case.visibility == "hidden"
            inputs = case.make_inputs()
            expected = case.run(task.reference, inputs)
            assert case.check(expected, case.run(task.reference, case.make_inputs()), inputs) is None

"""The image reconstruction exercise's tasks: the reference earns full marks, agrees with the library
(coursekit.degrade) and with scikit-image, and every wrong-but-plausible implementation loses points
(scored in this process; see grading_helpers.py)."""
import math

import numpy as np
import pytest
import torch
import torch.nn.functional as F

from coursekit import degrade
from coursekit.grading.cases import compare_values
from coursekit.grading.tasks import exercise_tasks, exercises, load_hidden, notebooks, recon
from grading_helpers import (assert_every_task_has_an_independent_implementation,
                             assert_every_task_has_wrong_implementations, assert_full_marks, assert_loses_points,
                             failed_cases, grade_in_process)

pytestmark = pytest.mark.usefixtures("one_thread")


def test_recon_exercise_has_four_tasks_with_points():
    tasks = exercise_tasks("recon")
    assert "recon" in exercises() and notebooks()["recon"] == "08_reconstruction"
    assert [t.id for t in tasks] == ["recon.data_consistency", "recon.ramp_filter", "recon.soft_threshold",
                                     "recon.interpolate_slices"]
    assert [t.points for t in tasks] == [3, 3, 2, 2]
    assert all(t.cases for t in tasks)


@pytest.mark.parametrize("task", recon.TASKS, ids=lambda t: t.id)
def test_reference_implementation_earns_full_marks(task):
    result = grade_in_process(task.id, task.reference)
    assert result.score() == pytest.approx(task.points), [c.message for c in result.cases]


@pytest.mark.parametrize("task", recon.TASKS, ids=lambda t: t.id)
def test_case_inputs_are_reproducible(task):
    for case in task.cases:
        assert compare_values(case.make_inputs(), case.make_inputs()) is None


@pytest.mark.parametrize("task", recon.TASKS, ids=lambda t: t.id)
def test_cases_use_one_image_in_float64_or_complex128(task):
    tensors = [v for case in task.cases for v in case.make_inputs().values() if isinstance(v, torch.Tensor)]
    assert {t.dtype for t in tensors} <= {torch.float64, torch.complex128, torch.bool}
    assert all(t.ndim <= 3 for t in tensors)       # no batch axis


def test_the_data_consistency_cases_have_odd_and_even_non_square_sizes():
    shapes = [tuple(c.make_inputs()["x"].shape) for c in recon.DC_CASES]
    assert any(h % 2 and w % 2 for h, w in shapes) and any(not h % 2 and not w % 2 for h, w in shapes)
    assert all(h != w for h, w in shapes)
    for case in recon.DC_CASES:
        inputs = case.make_inputs()
        assert inputs["mask"].dtype == torch.bool and inputs["mask"].shape == (inputs["x"].shape[1],)
        assert bool(inputs["mask"][inputs["x"].shape[1] // 2])                      # the centre is sampled
        assert torch.equal(inputs["y"][:, ~inputs["mask"]], torch.zeros_like(inputs["y"][:, ~inputs["mask"]]))


def test_the_ramp_cases_pad_to_64_and_to_128_rows():
    paddings = {recon.ramp_padding(c.make_inputs()["sino"].shape[0]) for c in recon.RAMP_CASES}
    assert paddings == {64, 128}
    assert recon.ramp_padding(12) == 64 and recon.ramp_padding(32) == 64 and recon.ramp_padding(33) == 128
    real = [c.make_inputs()["sino"] for c in recon.RAMP_CASES if "disc" in c.name]
    assert len(real) == 2 and all(float(s.min()) >= 0 and float(s.max()) > 1 for s in real)


def test_the_slices_cases_cover_every_remainder_of_depth_by_factor():
    remainders = {(c.make_inputs()["depth"] % c.make_inputs()["factor"], c.make_inputs()["factor"] > 1)
                  for c in recon.SLICES_CASES}
    assert (0, True) in remainders and (1, True) in remainders and (3, True) in remainders
    for case in recon.SLICES_CASES:
        inputs = case.make_inputs()
        assert inputs["thin"].shape[0] == math.ceil(inputs["depth"] / inputs["factor"])


# ------------------------------------------------ the references agree with the library

def test_the_centred_fft_is_coursekit_degrade_s_kspace_on_one_image():
    for shape in ((8, 10), (9, 7), (12, 9)):
        image = torch.rand(*shape, generator=torch.Generator().manual_seed(sum(shape)), dtype=torch.float64)
        k = recon.centred_fft(image.to(torch.complex128))
        torch.testing.assert_close(k, degrade.kspace(image[None, None])[0, 0], rtol=1e-12, atol=1e-12)
        torch.testing.assert_close(recon.centred_ifft(k), degrade.image_from_kspace(k[None, None])[0, 0],
                                   rtol=1e-12, atol=1e-12)
        # orthonormal: the energy is the same in both domains
        assert float(k.abs().pow(2).sum()) == pytest.approx(float(image.pow(2).sum()), rel=1e-12)


def test_data_consistency_is_a_projection_that_keeps_the_zero_filled_image():
    gen = torch.Generator().manual_seed(0)
    truth = torch.rand(1, 1, 16, 12, generator=gen, dtype=torch.float64)
    mask = degrade.kspace_mask(12, 3, seed=1)
    y = degrade.undersample(truth, mask)[0, 0]
    zero_filled = degrade.image_from_kspace(y[None, None])[0, 0]
    torch.testing.assert_close(recon.data_consistency_reference(zero_filled, y, mask), zero_filled,
                               rtol=1e-12, atol=1e-12)
    x = torch.complex(*torch.randn(2, 16, 12, generator=gen, dtype=torch.float64))
    once = recon.data_consistency_reference(x, y, mask)
    torch.testing.assert_close(recon.data_consistency_reference(once, y, mask), once, rtol=1e-12, atol=1e-12)
    torch.testing.assert_close(recon.centred_fft(once)[:, mask], y[:, mask], rtol=1e-12, atol=1e-12)
    torch.testing.assert_close(recon.centred_fft(once)[:, ~mask], recon.centred_fft(x)[:, ~mask],
                               rtol=1e-12, atol=1e-12)


def test_data_consistency_is_a_gradient_step_of_size_1_on_the_squared_error():
    # x - F^H M^T (M F x - y): the ISTA gradient step with step size 1, for an orthonormal F
    gen = torch.Generator().manual_seed(2)
    x = torch.complex(*torch.randn(2, 9, 10, generator=gen, dtype=torch.float64)).requires_grad_()
    mask = degrade.kspace_mask(10, 2, seed=3)
    y = recon.centred_fft(torch.complex(*torch.randn(2, 9, 10, generator=gen, dtype=torch.float64))) * mask
    loss = 0.5 * (recon.centred_fft(x) * mask - y).abs().pow(2).sum()
    (grad,) = torch.autograd.grad(loss, x)      # torch's gradient of a real loss of complex x: the conjugate one
    torch.testing.assert_close((x - grad).detach(), recon.data_consistency_reference(x.detach(), y, mask),
                               rtol=1e-12, atol=1e-12)


def test_the_ramp_filter_then_an_unfiltered_back_projection_is_filtered_back_projection():
    # skimage's "ramp" is Kak and Slaney's discretisation of |f|, so the two agree to a fraction of the range
    transform = pytest.importorskip("skimage.transform")
    size = 48
    yy, xx = np.mgrid[:size, :size]
    phantom = ((yy - 20) ** 2 + (xx - 26) ** 2 < 14 ** 2) * 0.8 + ((yy - 30) ** 2 + (xx - 18) ** 2 < 5 ** 2) * 0.2
    theta = np.linspace(0.0, 180.0, 60, endpoint=False)
    sino = transform.radon(phantom, theta, circle=False)
    ours = transform.iradon(recon.ramp_filter_reference(torch.from_numpy(sino)).numpy(), theta, output_size=size,
                            filter_name=None, circle=False)
    theirs = transform.iradon(sino, theta, output_size=size, filter_name="ramp", circle=False)
    unfiltered = transform.iradon(sino, theta, output_size=size, filter_name=None, circle=False)
    assert np.abs(ours - theirs).max() < 0.01 * np.ptp(theirs)          # 0.4% here
    assert np.abs(unfiltered - theirs).max() > 10 * np.ptp(theirs)      # the filter is what makes it work
    assert np.abs(ours - phantom).mean() < 0.1 * np.abs(unfiltered / unfiltered.max() - phantom).mean() + 0.05


def test_the_ramp_filter_is_linear_and_filters_each_view_by_itself():
    gen = torch.Generator().manual_seed(4)
    sino, other = torch.rand(2, 20, 4, generator=gen, dtype=torch.float64)
    filtered = recon.ramp_filter_reference(sino)
    assert filtered.dtype == torch.float64 and filtered.shape == (20, 4)
    torch.testing.assert_close(recon.ramp_filter_reference(2 * sino - 3 * other),
                               2 * filtered - 3 * recon.ramp_filter_reference(other), rtol=1e-12, atol=1e-12)
    for view in range(4):
        torch.testing.assert_close(recon.ramp_filter_reference(sino[:, view:view + 1])[:, 0], filtered[:, view],
                                   rtol=1e-12, atol=1e-12)
    # a single spike: the ramp's impulse response, positive at the spike and negative around it
    spike = torch.zeros(20, 1, dtype=torch.float64)
    spike[10] = 1.0
    response = recon.ramp_filter_reference(spike)[:, 0]
    assert float(response[10]) == pytest.approx(0.5) and float(response[9]) < 0 and float(response[11]) < 0


def test_soft_threshold_reference_is_torch_s_softshrink_on_real_tensors_and_keeps_the_phase():
    z = torch.linspace(-2, 2, 41, dtype=torch.float64)
    torch.testing.assert_close(recon.soft_threshold_reference(z, 0.5), F.softshrink(z, 0.5), rtol=0, atol=1e-15)
    c = torch.polar(torch.tensor([0.0, 0.2, 1.0, 3.0], dtype=torch.float64),
                    torch.tensor([0.0, 1.0, -2.0, 3.0], dtype=torch.float64))
    out = recon.soft_threshold_reference(c, 0.5)
    assert out.dtype == torch.complex128 and not torch.isnan(out).any()
    torch.testing.assert_close(out.abs(), torch.tensor([0.0, 0.0, 0.5, 2.5], dtype=torch.float64))
    torch.testing.assert_close(out[2:].angle(), c[2:].angle())


def test_soft_threshold_is_the_proximal_operator_of_t_times_the_l1_norm():
    # argmin_u |u - z|^2 / 2 + t |u|, found by gradient descent from z, is the soft threshold
    gen = torch.Generator().manual_seed(5)
    z = torch.complex(*torch.randn(2, 8, generator=gen, dtype=torch.float64))
    t = 0.6
    u = z.clone().requires_grad_()
    optimizer = torch.optim.Adam([u], lr=0.01)
    for _ in range(3000):
        optimizer.zero_grad()
        loss = 0.5 * (u - z).abs().pow(2).sum() + t * (u.abs() + 1e-12).sum()
        loss.backward()
        optimizer.step()
    torch.testing.assert_close(u.detach(), recon.soft_threshold_reference(z, t), rtol=0, atol=0.02)


def test_soft_threshold_reference_refuses_a_negative_threshold():
    with pytest.raises(ValueError, match="t must be >= 0; got -0.1"):
        recon.soft_threshold_reference(torch.ones(3, dtype=torch.complex128), -0.1)


@pytest.mark.parametrize("factor, depth", [(1, 5), (2, 8), (2, 9), (3, 10), (4, 11), (5, 4)])
def test_interpolate_slices_reference_is_coursekit_degrade_s_on_one_volume(factor, depth):
    volume = torch.rand(1, 1, depth, 3, 4, generator=torch.Generator().manual_seed(factor * depth), dtype=torch.float64)
    thin = degrade.thin_slices(volume, factor)
    ours = recon.interpolate_slices_reference(thin[0, 0], factor, depth)
    assert torch.equal(ours, degrade.interpolate_slices(thin, factor, depth)[0, 0])
    assert torch.equal(ours[::factor], thin[0, 0])        # the kept slices come back as they were


# The references also compute the expected outputs, so grading them against themselves cannot tell
# whether they are right. These implementations take another road to the same answer.

def _centred_dft(n):
    """The centred orthonormal DFT as an (n, n) matrix: exp(-2 pi i (k - c)(m - c) / n) / sqrt(n), c = n // 2."""
    index = np.arange(n) - n // 2
    return np.exp(-2j * np.pi * np.outer(index, index) / n) / np.sqrt(n)


def dc_with_dft_matrices(x, y, mask):
    a, b = _centred_dft(x.shape[0]), _centred_dft(x.shape[1])
    k = a @ x.numpy() @ b                           # both matrices are symmetric
    k[:, mask.numpy()] = y.numpy()[:, mask.numpy()]
    return torch.from_numpy(a.conj() @ k @ b.conj())


def ramp_as_a_circulant_matrix(sino):
    """The ramp filter's impulse response h (the inverse FFT of 2 |f| on P points) applied as a
    convolution matrix, H[i, j] = h[(i - j) mod P], in NumPy."""
    d = sino.shape[0]
    p = max(64, 1 << (2 * d - 1).bit_length())
    h = np.fft.ifft(2 * np.abs(np.fft.fftfreq(p))).real
    i, j = np.meshgrid(np.arange(d), np.arange(d), indexing="ij")
    return torch.from_numpy(h[(i - j) % p] @ sino.numpy())


def ramp_with_rfft(sino):
    d = sino.shape[0]
    p = 64
    while p < 2 * d:
        p *= 2
    spectrum = torch.fft.rfft(sino, n=p, dim=0) * 2 * torch.fft.rfftfreq(p, dtype=torch.float64)[:, None]
    return torch.fft.irfft(spectrum, n=p, dim=0)[:d]


def threshold_with_sgn(z, t):
    """torch.sgn(z), z / |z| and 0 at 0, times the shrunk magnitude."""
    if t < 0:
        raise ValueError("t must be >= 0")
    return torch.sgn(z) * (z.abs() - t).clamp_min(0)


def threshold_with_polar(z, t):
    if t < 0:
        raise ValueError("t must be >= 0")
    if not z.is_complex():
        return torch.where(z.abs() > t, z - t * z.sign(), torch.zeros_like(z))
    return torch.polar((z.abs() - t).clamp_min(0), z.angle())


def slices_by_loop(thin, factor, depth):
    out = torch.empty(depth, *thin.shape[1:], dtype=thin.dtype)
    last = len(thin) - 1
    for d in range(depth):
        a, r = divmod(d, factor)
        out[d] = thin[last] if a >= last else thin[a] + (thin[a + 1] - thin[a]) * (r / factor)
    return out


INDEPENDENT = [("recon.data_consistency", dc_with_dft_matrices),
               ("recon.ramp_filter", ramp_as_a_circulant_matrix),
               ("recon.ramp_filter", ramp_with_rfft),
               ("recon.soft_threshold", threshold_with_sgn),
               ("recon.soft_threshold", threshold_with_polar),
               ("recon.interpolate_slices", slices_by_loop)]


@pytest.mark.parametrize("task_id, impl", INDEPENDENT, ids=lambda v: getattr(v, "__name__", v))
def test_an_independent_implementation_earns_full_marks(task_id, impl):
    assert_full_marks(task_id, impl)


def test_every_task_has_an_independent_implementation():
    assert_every_task_has_an_independent_implementation(recon.TASKS, INDEPENDENT)


def test_a_ramp_filter_with_the_zeros_on_both_sides_earns_full_marks():
    assert_full_marks("recon.ramp_filter", ramp_with_centred_padding)


@pytest.mark.parametrize("eps", [1e-12, 1e-9])
def test_an_epsilon_of_up_to_1e_9_in_the_threshold_s_denominator_passes(eps):
    def threshold(z, t):
        if t < 0:
            raise ValueError("t")
        return z * (z.abs() - t).clamp_min(0) / (z.abs() + eps)
    assert_full_marks("recon.soft_threshold", threshold)


def test_torch_s_softshrink_on_the_magnitude_earns_full_marks_outside_the_rules():
    def softshrink_magnitude(z, t):
        if t < 0:
            raise ValueError("t")
        magnitude = z.abs()
        return z * F.softshrink(magnitude, t) / torch.where(magnitude > 0, magnitude, torch.ones_like(magnitude))
    assert_full_marks("recon.soft_threshold", softshrink_magnitude)


# ------------------------------------------ wrong-but-plausible implementations

fft_c, ifft_c = recon.centred_fft, recon.centred_ifft


def dc_mask_inverted(x, y, mask):
    return ifft_c(torch.where(mask, fft_c(x), y))


def dc_without_ortho(x, y, mask):
    def fft(u):
        return torch.fft.fftshift(torch.fft.fft2(torch.fft.ifftshift(u)))

    def ifft(k):
        return torch.fft.fftshift(torch.fft.ifft2(torch.fft.ifftshift(k)))
    return ifft(torch.where(mask, y, fft(x)))


def dc_averaged(x, y, mask):
    k = fft_c(x)
    return ifft_c(torch.where(mask, (k + y) / 2, k))


def dc_mask_on_rows(x, y, mask):
    return ifft_c(torch.where(mask[:, None], y, fft_c(x)))


def dc_returns_kspace(x, y, mask):
    return torch.where(mask, y, fft_c(x))


def dc_returns_magnitude(x, y, mask):
    return ifft_c(torch.where(mask, y, fft_c(x))).abs()


def dc_without_shifts(x, y, mask):
    return torch.fft.ifft2(torch.where(mask, y, torch.fft.fft2(x, norm="ortho")), norm="ortho")


def dc_fftshift_both_ways(x, y, mask):
    def fft(u):
        return torch.fft.fftshift(torch.fft.fft2(torch.fft.fftshift(u), norm="ortho"))

    def ifft(k):
        return torch.fft.fftshift(torch.fft.ifft2(torch.fft.fftshift(k), norm="ortho"))
    return ifft(torch.where(mask, y, fft(x)))


def dc_shifts_only_the_kspace(x, y, mask):
    """fftshift after the forward transform and ifftshift before the inverse, none on the image."""
    k = torch.fft.fftshift(torch.fft.fft2(x, norm="ortho"))
    return torch.fft.ifft2(torch.fft.ifftshift(torch.where(mask, y, k)), norm="ortho")


def dc_adds_y(x, y, mask):
    """y added to the estimate's k-space, as if the unsampled columns of y were a correction."""
    return ifft_c(fft_c(x) + y)


def dc_complex64(x, y, mask):
    return recon.data_consistency_reference(x, y, mask).to(torch.complex64)


def dc_in_complex64_cast_back(x, y, mask):
    """Computed in complex64, returned as complex128: errors of about 1e-7, above the float64 tolerance."""
    return recon.data_consistency_reference(x.to(torch.complex64), y.to(torch.complex64), mask).to(torch.complex128)


def dc_assigns_into_y(x, y, mask):
    """The right image, but y's unsampled columns overwritten with the estimate's k-space: the next call
    with the same y (the next ISTA iteration, the next threshold tried) starts from that."""
    y[:, ~mask] = fft_c(x)[:, ~mask]
    return ifft_c(y)


def dc_assigns_into_x(x, y, mask):
    """The right image, computed in x's own storage."""
    x.copy_(fft_c(x))
    x[:, mask] = y[:, mask]
    x.copy_(ifft_c(x))
    return x


def _pad(sino):
    return max(64, 2 ** math.ceil(math.log2(2 * sino.shape[0])))


def _filtered(sino, rows, response=None):
    response = 2 * torch.fft.fftfreq(rows, dtype=torch.float64).abs() if response is None else response
    return torch.fft.ifft(torch.fft.fft(sino, n=rows, dim=0) * response[:, None], dim=0).real[: sino.shape[0]]


def ramp_along_views(sino):
    return _filtered(sino.T, _pad(sino.T)).T


def ramp_without_padding(sino):
    return _filtered(sino, sino.shape[0])


def ramp_padded_to_2d(sino):
    return _filtered(sino, 2 * sino.shape[0])


def ramp_no_minimum_of_64(sino):
    return _filtered(sino, 2 ** math.ceil(math.log2(2 * sino.shape[0])))


def ramp_padded_to_the_next_power_of_two(sino):
    return _filtered(sino, max(64, 2 ** math.ceil(math.log2(sino.shape[0]))))


def ramp_padded_one_power_of_two_too_many(sino):
    """1 << (2 D).bit_length(), the same as 2 ** ceil(log2(2 D)) unless 2 D is a power of two."""
    return _filtered(sino, max(64, 1 << (2 * sino.shape[0]).bit_length()))


def ramp_always_64(sino):
    return _filtered(sino, 64)


def ramp_always_256(sino):
    return _filtered(sino, 256)


def ramp_without_factor_2(sino):
    p = _pad(sino)
    return _filtered(sino, p, torch.fft.fftfreq(p, dtype=torch.float64).abs())


def ramp_without_abs(sino):
    p = _pad(sino)
    return _filtered(sino, p, 2 * torch.fft.fftfreq(p, dtype=torch.float64))


def ramp_returns_complex(sino):
    p = _pad(sino)
    spectrum = torch.fft.fft(sino, n=p, dim=0) * 2 * torch.fft.fftfreq(p, dtype=torch.float64).abs()[:, None]
    return torch.fft.ifft(spectrum, dim=0)[: sino.shape[0]]


def ramp_keeps_the_last_rows(sino):
    p = _pad(sino)
    spectrum = torch.fft.fft(sino, n=p, dim=0) * 2 * torch.fft.fftfreq(p, dtype=torch.float64).abs()[:, None]
    return torch.fft.ifft(spectrum, dim=0).real[-sino.shape[0]:]


def ramp_with_centred_padding(sino):
    """The zeros split between both ends: the circular convolution is shift-invariant, and with P >= 2 D
    rows nothing wraps around, so where the column sits in the padded one does not matter."""
    d, p = sino.shape[0], _pad(sino)
    before = (p - d) // 2
    padded = F.pad(sino.T, (before, p - d - before)).T
    spectrum = torch.fft.fft(padded, dim=0) * 2 * torch.fft.fftfreq(p, dtype=torch.float64).abs()[:, None]
    return torch.fft.ifft(spectrum, dim=0).real[before:before + d]


def ramp_float32(sino):
    return recon.ramp_filter_reference(sino).float()


def ramp_into_sino(sino):
    """The right filtered sinogram, written over the caller's (sino.copy_), which the notebook back-projects
    unfiltered too."""
    return sino.copy_(recon.ramp_filter_reference(sino))


def threshold_parts_separately(z, t):
    if t < 0:
        raise ValueError("t")
    def shrink(u):
        return u.sign() * (u.abs() - t).clamp_min(0)
    return torch.complex(shrink(z.real), shrink(z.imag)) if z.is_complex() else shrink(z)


def threshold_hard(z, t):
    if t < 0:
        raise ValueError("t")
    return z * (z.abs() > t)


def threshold_nan_at_zero(z, t):
    if t < 0:
        raise ValueError("t")
    return z * (z.abs() - t).clamp_min(0) / z.abs()


def threshold_by_t_times_z(z, t):
    if t < 0:
        raise ValueError("t")
    return torch.where(z.abs() > t, z - t * z, torch.zeros_like(z))


def threshold_negative_t_allowed(z, t):
    return recon.soft_threshold_reference(z, abs(t)) if t >= 0 else z * (1 - t)


def threshold_without_dividing(z, t):
    if t < 0:
        raise ValueError("t")
    return z * (z.abs() - t).clamp_min(0)


def threshold_returns_magnitude(z, t):
    if t < 0:
        raise ValueError("t")
    return (z.abs() - t).clamp_min(0)


def threshold_epsilon_in_the_denominator(z, t):
    """|z| + 1e-6 for |z|: a bias far above the tolerance."""
    if t < 0:
        raise ValueError("t")
    return z * (z.abs() - t).clamp_min(0) / (z.abs() + 1e-6)


def threshold_in_place(z, t):
    """The right values, written into z itself (z.mul_)."""
    if t < 0:
        raise ValueError("t")
    magnitude = z.abs()
    return z.mul_((magnitude - t).clamp_min(0) / torch.where(magnitude > 0, magnitude, torch.ones_like(magnitude)))


def threshold_raises_type_error(z, t):
    if t < 0:
        raise TypeError("t must be >= 0")
    return recon.soft_threshold_reference(z, t)


def _interp(thin, factor, depth, position):
    """Linear interpolation with slice d at ``position(d)`` among the kept ones, clamped at the ends."""
    kept = len(thin)
    z = torch.tensor([position(d) for d in range(depth)], dtype=torch.float64)
    below = z.floor().long().clamp(0, kept - 1)
    above = (below + 1).clamp(max=kept - 1)
    w = (z - below).clamp(0, 1).view(-1, 1, 1)
    return (1 - w) * thin[below] + w * thin[above]


def slices_weights_swapped(thin, factor, depth):
    kept = len(thin)
    out = []
    for d in range(depth):
        a = min(d // factor, kept - 1)
        b = min(a + 1, kept - 1)
        w = 0.0 if a == kept - 1 else (d % factor) / factor
        out.append(w * thin[a] + (1 - w) * thin[b])
    return torch.stack(out)


def slices_extrapolated(thin, factor, depth):
    """Past the last kept slice, the line through the last two goes on."""
    kept = len(thin)
    out = []
    for d in range(depth):
        a = min(d // factor, max(kept - 2, 0))
        b = min(a + 1, kept - 1)
        w = (d - a * factor) / factor
        out.append((1 - w) * thin[a] + w * thin[b])
    return torch.stack(out)


def slices_off_by_one(thin, factor, depth):
    """Kept slice k taken to lie at depth k * factor - 1 (counting depths from 1)."""
    return _interp(thin, factor, depth, lambda d: (d + 1) / factor)


def slices_stretched_over_the_volume(thin, factor, depth):
    """F.interpolate with align_corners=True: the last kept slice put at depth - 1."""
    return F.interpolate(thin.permute(1, 2, 0).reshape(1, -1, len(thin)), size=depth, mode="linear",
                         align_corners=True).reshape(*thin.shape[1:], depth).permute(2, 0, 1)


def slices_scales_thin_in_place(thin, factor, depth):
    """The right volume, and the caller's kept slices scaled afterwards (thin.mul_): in the notebook thin is a
    view of the volume the result is scored against."""
    volume = recon.interpolate_slices_reference(thin, factor, depth)
    thin.mul_(0.5)
    return volume


def slices_nearest(thin, factor, depth):
    return thin[torch.clamp(torch.round(torch.arange(depth) / factor).long(), max=len(thin) - 1)]


def slices_repeated(thin, factor, depth):
    """Each kept slice repeated factor times (no interpolation)."""
    return thin.repeat_interleave(factor, dim=0)[:depth]


def slices_kept_count_floor(thin, factor, depth):
    """Assumes depth // factor kept slices: the last one is never used."""
    return _interp(thin[: depth // factor], factor, depth, lambda d: d / factor)


WRONG = [
    ("recon.data_consistency", dc_mask_inverted), ("recon.data_consistency", dc_without_ortho),
    ("recon.data_consistency", dc_averaged), ("recon.data_consistency", dc_mask_on_rows),
    ("recon.data_consistency", dc_returns_kspace), ("recon.data_consistency", dc_returns_magnitude),
    ("recon.data_consistency", dc_without_shifts), ("recon.data_consistency", dc_fftshift_both_ways),
    ("recon.data_consistency", dc_shifts_only_the_kspace), ("recon.data_consistency", dc_adds_y),
    ("recon.data_consistency", dc_complex64), ("recon.data_consistency", dc_in_complex64_cast_back),
    ("recon.data_consistency", dc_assigns_into_y),
    ("recon.data_consistency", dc_assigns_into_x),
    ("recon.ramp_filter", ramp_along_views), ("recon.ramp_filter", ramp_without_padding),
    ("recon.ramp_filter", ramp_padded_to_2d), ("recon.ramp_filter", ramp_no_minimum_of_64),
    ("recon.ramp_filter", ramp_padded_to_the_next_power_of_two), ("recon.ramp_filter", ramp_always_64),
    ("recon.ramp_filter", ramp_padded_one_power_of_two_too_many),
    ("recon.ramp_filter", ramp_always_256), ("recon.ramp_filter", ramp_without_factor_2),
    ("recon.ramp_filter", ramp_without_abs), ("recon.ramp_filter", ramp_returns_complex),
    ("recon.ramp_filter", ramp_keeps_the_last_rows),
    ("recon.ramp_filter", ramp_float32), ("recon.ramp_filter", ramp_into_sino),
    ("recon.soft_threshold", threshold_parts_separately), ("recon.soft_threshold", threshold_hard),
    ("recon.soft_threshold", threshold_nan_at_zero), ("recon.soft_threshold", threshold_by_t_times_z),
    ("recon.soft_threshold", threshold_negative_t_allowed), ("recon.soft_threshold", threshold_without_dividing),
    ("recon.soft_threshold", threshold_returns_magnitude),
    ("recon.soft_threshold", threshold_epsilon_in_the_denominator),
    ("recon.soft_threshold", threshold_raises_type_error), ("recon.soft_threshold", threshold_in_place),
    ("recon.interpolate_slices", slices_weights_swapped), ("recon.interpolate_slices", slices_extrapolated),
    ("recon.interpolate_slices", slices_off_by_one), ("recon.interpolate_slices", slices_stretched_over_the_volume),
    ("recon.interpolate_slices", slices_nearest), ("recon.interpolate_slices", slices_repeated),
    ("recon.interpolate_slices", slices_kept_count_floor), ("recon.interpolate_slices", slices_scales_thin_in_place),
]


@pytest.mark.parametrize("task_id, wrong", WRONG, ids=lambda v: getattr(v, "__name__", v))
def test_wrong_but_plausible_implementation_loses_points(task_id, wrong):
    assert_loses_points(task_id, wrong)


def test_every_task_has_wrong_implementations_in_the_tests():
    assert_every_task_has_wrong_implementations(recon.TASKS, WRONG)


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
    if got.is_complex() != want.is_complex():
        return math.inf
    scale = want.abs().max() if want.numel() else 1.0
    return float(((got - want).abs() / (scale + 1e-3)).nan_to_num(math.inf).max())


@pytest.mark.parametrize("task_id, wrong", [w for w in WRONG if w[1] not in (
    dc_mask_on_rows, dc_complex64, ramp_float32, threshold_negative_t_allowed, threshold_raises_type_error,
    threshold_epsilon_in_the_denominator, dc_assigns_into_y, dc_assigns_into_x, threshold_in_place,
    dc_in_complex64_cast_back, ramp_into_sino, slices_scales_thin_in_place)],
    ids=lambda v: getattr(v, "__name__", v))
def test_a_wrong_formula_misses_by_far_more_than_the_tolerance(task_id, wrong):
    # relative to the largest value of the expected output: the filtered sinograms cross 0
    task = next(t for t in recon.TASKS if t.id == task_id)
    failed = set(failed_cases(task_id, wrong))
    worst = max(_max_relative_error(task, wrong, c) for c in task.cases if c.name in failed)
    assert worst > 1e-4          # the float64 tolerance is 1e-7 relative: three orders of magnitude apart


# ---------------------------------------- which case catches what, and what it says

DC_NAMES = [c.name for c in recon.DC_CASES]
RAMP_NAMES = [c.name for c in recon.RAMP_CASES]
THRESHOLD_NAMES = [c.name for c in recon.THRESHOLD_CASES]
SLICES_NAMES = [c.name for c in recon.SLICES_CASES]


def messages(task_id, obj) -> dict[str, str]:
    """{case name: message} for the public cases of ``task_id`` that ``obj`` fails, in order."""
    return {c.case.name: c.message for c in grade_in_process(task_id, obj).cases if not c.passed}


def test_a_swapped_shift_fails_only_where_an_axis_is_odd():
    odd = [c.name for c in recon.DC_CASES if any(n % 2 for n in c.make_inputs()["x"].shape)]
    assert failed_cases("recon.data_consistency", dc_fftshift_both_ways) == odd
    failed = messages("recon.data_consistency", dc_fftshift_both_ways)
    assert all("fftshift where ifftshift belongs: on an odd axis" in m for m in failed.values())


def test_the_mistakes_of_data_consistency_are_named():
    said = {dc_returns_kspace: "the k-space of the expected image", dc_mask_inverted: "the mask inverted",
            dc_averaged: "the mean of y and the estimate's k-space",
            dc_without_ortho: "the transforms without norm=\"ortho\"",
            dc_without_shifts: "the transforms without the shifts"}
    for wrong, text in said.items():
        failed = messages("recon.data_consistency", wrong)
        assert any(m.startswith(f"output: {text}") for m in failed.values()), (wrong.__name__, failed)


def test_the_zero_filled_estimate_comes_back_unless_the_transforms_disagree():
    for wrong in (dc_averaged, dc_mask_inverted):
        assert DC_NAMES[3] not in failed_cases("recon.data_consistency", wrong) or wrong is dc_mask_inverted
    assert DC_NAMES[3] in failed_cases("recon.data_consistency", dc_without_ortho)
    assert DC_NAMES[3] in failed_cases("recon.data_consistency", dc_without_shifts)


def test_a_complex_result_off_by_rounding_is_shown_with_digits_that_differ():
    # complex64 arithmetic is 1e-7 off: at 6 digits expected and got read the same, which says nothing
    failed = messages("recon.data_consistency", dc_in_complex64_cast_back)
    assert failed
    for message in failed.values():
        shown = message.split("; first at index ")[1].split(" [shape")[0]
        expected, got = shown.split(": expected ")[1].split(", got ")
        assert expected != got, message


def test_a_magnitude_is_told_to_stay_complex():
    failed = messages("recon.data_consistency", dc_returns_magnitude)
    assert list(failed) == DC_NAMES
    assert all("expected a complex tensor (torch.complex128" in m and "the magnitude of the expected result" in m
               for m in failed.values())


def test_the_mask_on_the_rows_fails_every_case():
    assert failed_cases("recon.data_consistency", dc_mask_on_rows) == DC_NAMES


def test_a_padding_of_another_length_is_named_with_the_right_one():
    failed = messages("recon.ramp_filter", ramp_no_minimum_of_64)
    assert list(failed) == [RAMP_NAMES[0], RAMP_NAMES[2]]     # 12 and 15 bins: 32 rows for 64
    assert failed[RAMP_NAMES[0]].startswith("output: the detector axis padded to 32 rows (2 ** ceil(log2(2 D)) "
                                            "without the minimum of 64); pad it to P = max(64, 2 ** ceil(log2(2 D)))"
                                            " = 64 rows for D = 12")
    failed = messages("recon.ramp_filter", ramp_without_padding)
    assert list(failed) == RAMP_NAMES
    assert "padded to 12 rows (no zero-padding: the circular convolution wraps around)" in failed[RAMP_NAMES[0]]
    assert list(messages("recon.ramp_filter", ramp_always_64)) == [RAMP_NAMES[1], RAMP_NAMES[3], RAMP_NAMES[4]]


def test_one_power_of_two_too_many_is_caught_where_2d_is_a_power_of_two():
    # 32 bins: 2 D = 64 is a power of two, which no other case has, so P = 64 and not 128
    failed = messages("recon.ramp_filter", ramp_padded_one_power_of_two_too_many)
    assert len(failed) == 1
    assert list(failed) == [c.name for c in recon.RAMP_CASES if c.make_inputs()["sino"].shape[0] == 32]
    assert all(m.startswith("output: the detector axis padded to 128 rows (2 ** (floor(log2(2 D)) + 1), or (2 D)"
                            ".bit_length(): one power of two too many") and "= 64 rows for D = 32" in m
               for m in failed.values())


def test_the_filter_s_mistakes_are_named():
    said = {ramp_without_factor_2: "the filter |f| without its factor 2",
            ramp_without_abs: "the filter fftfreq(P) without abs", ramp_along_views: "a filter along the views"}
    for wrong, text in said.items():
        failed = messages("recon.ramp_filter", wrong)
        assert list(failed) == RAMP_NAMES
        assert all(m.startswith(f"output: {text}") for m in failed.values()), failed


def test_a_complex_sinogram_is_told_to_take_the_real_part():
    failed = messages("recon.ramp_filter", ramp_returns_complex)
    assert list(failed) == RAMP_NAMES
    assert all("complex tensor (torch.complex128)" in m and "real part" in m for m in failed.values())


def test_nan_at_zero_is_told_where_and_why():
    failed = messages("recon.soft_threshold", threshold_nan_at_zero)
    with_zeros = [c.name for c in recon.THRESHOLD_CASES if bool((c.make_inputs()["z"] == 0).any())]
    assert len(with_zeros) == 3 and list(failed) == with_zeros
    assert all(m.startswith("output: NaN at ") and "every one where z == 0" in m for m in failed.values())


def test_the_threshold_s_mistakes_are_named():
    complex_cases = [THRESHOLD_NAMES[i] for i in (0, 1, 4)]
    said = {threshold_parts_separately: "the real and imaginary parts thresholded separately",
            threshold_hard: "hard thresholding", threshold_by_t_times_z: "z - t * z"}
    for wrong, text in said.items():
        failed = messages("recon.soft_threshold", wrong)
        assert all(failed[n].startswith(f"output: {text}") for n in complex_cases), failed


def test_the_real_and_imaginary_parts_separately_pass_only_where_z_is_real_or_t_is_0():
    assert failed_cases("recon.soft_threshold", threshold_parts_separately) == [
        THRESHOLD_NAMES[i] for i in (0, 1, 4, 6)]


def test_a_negative_threshold_must_raise_value_error():
    for wrong in (threshold_negative_t_allowed, threshold_raises_type_error):
        assert failed_cases("recon.soft_threshold", wrong) == [THRESHOLD_NAMES[5]]
    assert "raised TypeError" in messages("recon.soft_threshold", threshold_raises_type_error)[THRESHOLD_NAMES[5]]
    message = messages("recon.soft_threshold", threshold_negative_t_allowed)[THRESHOLD_NAMES[5]]
    assert message.startswith("soft_threshold(z, t=-0.1): expected a ValueError (a threshold is >= 0")
    assert "but it returned tensor of shape (4,), dtype torch.complex128" in message


@pytest.mark.parametrize("task_id, wrong, changed", [
    ("recon.data_consistency", dc_assigns_into_y, "y"), ("recon.data_consistency", dc_assigns_into_x, "x"),
    ("recon.soft_threshold", threshold_in_place, "z"), ("recon.ramp_filter", ramp_into_sino, "sino"),
    ("recon.interpolate_slices", slices_scales_thin_in_place, "thin")], ids=lambda v: getattr(v, "__name__", v))
def test_a_function_that_changes_its_arguments_in_place_fails_the_case_that_checks_them(task_id, wrong, changed):
    # the right values, so only the case that compares the arguments with copies taken before the call fails;
    # in the notebook, ISTA's threshold search started each run from the previous one's k-space
    failed = messages(task_id, wrong)
    assert len(failed) == 1
    (name, message), = failed.items()
    assert "left as it was" in name or "left as they were" in name
    assert message.startswith(f"your function changed its argument(s) {changed} in place")


def test_a_wrong_slice_is_explained_with_its_kept_neighbours_and_weights():
    failed = messages("recon.interpolate_slices", slices_weights_swapped)
    assert list(failed) == SLICES_NAMES[:4] + SLICES_NAMES[5:]   # with a single kept slice, both weights fall on it
    assert failed[SLICES_NAMES[0]].startswith("output slice 0 (of 8) differs: it is kept slice thin[0] itself "
                                              "(depth 0 = 0 * 2)")
    failed = messages("recon.interpolate_slices", slices_nearest)
    assert failed[SLICES_NAMES[0]].startswith("output slice 1 (of 8) differs: it lies between thin[0] (depth 0) and "
                                              "thin[1] (depth 2), so it is 0.5 * thin[0] + 0.5 * thin[1]")
    assert failed[SLICES_NAMES[1]].startswith("output slice 1 (of 10) differs: it lies between thin[0] (depth 0) and "
                                              "thin[1] (depth 3), so it is 0.6667 * thin[0] + 0.3333 * thin[1]")


def test_extrapolation_fails_only_where_slices_lie_past_the_last_kept_one():
    failed = messages("recon.interpolate_slices", slices_extrapolated)
    assert list(failed) == [SLICES_NAMES[i] for i in (0, 2, 5)]
    assert failed[SLICES_NAMES[0]].startswith("output slice 7 (of 8) differs: it lies past the last kept slice, "
                                              "thin[3] at depth 6, so it repeats it")


def test_stretching_the_kept_slices_over_the_volume_passes_only_where_depth_mod_factor_is_1():
    # F.interpolate(..., align_corners=True) puts the last kept slice at depth - 1: right only when it lies there
    assert failed_cases("recon.interpolate_slices", slices_stretched_over_the_volume) == [
        SLICES_NAMES[i] for i in (0, 2, 5)]


# ------------------------------------------------- the library's answers are not the student's

def threshold_from_torch(z, t):
    return F.softshrink(z, t)


def threshold_from_torch_module(z, t):
    return torch.nn.Softshrink(t)(z)


def slices_from_coursekit(thin, factor, depth):
    return degrade.interpolate_slices(thin[None, None], factor, depth)[0, 0]


def slices_from_coursekit_rows(thin, factor, depth):
    """reconstruct.interpolate_rows, with the pixels of each slice as the row's columns."""
    from coursekit import reconstruct
    rows = reconstruct.interpolate_rows(thin.reshape(1, 1, len(thin), -1), factor, depth)
    return rows.reshape(depth, *thin.shape[1:])


def dc_from_coursekit(x, y, mask):
    from coursekit import reconstruct
    return reconstruct.data_consistency(x[None, None], y[None, None], mask)[0, 0]


def dc_with_coursekit_s_transforms(x, y, mask):
    k = degrade.kspace(x[None, None])[0, 0]
    return degrade.image_from_kspace(torch.where(mask, y, k)[None, None])[0, 0]


SHORTCUTS = [("recon.data_consistency", dc_from_coursekit), ("recon.data_consistency", dc_with_coursekit_s_transforms),
             ("recon.soft_threshold", threshold_from_torch), ("recon.soft_threshold", threshold_from_torch_module),
             ("recon.interpolate_slices", slices_from_coursekit), ("recon.interpolate_slices", slices_from_coursekit_rows)]


# softshrink alone takes no complex tensor (test_torch_s_softshrink_on_the_magnitude_... shows it working)
WORKING_SHORTCUTS = [(t, s) for t, s in SHORTCUTS if t != "recon.soft_threshold"]


@pytest.mark.parametrize("task_id, shortcut", WORKING_SHORTCUTS, ids=[s.__name__ for _, s in WORKING_SHORTCUTS])
def test_the_shortcuts_earn_full_marks_outside_the_rules(task_id, shortcut):
    # so that the test below shows the rules at work, not shortcuts that fail anyway
    assert_full_marks(task_id, shortcut)


@pytest.mark.parametrize("task_id, shortcut", SHORTCUTS, ids=[s.__name__ for _, s in SHORTCUTS])
def test_calling_torch_s_or_coursekit_s_own_answer_scores_zero_and_says_why(task_id, shortcut):
    result = grade_in_process(task_id, shortcut, as_student=True)
    assert result.score() == 0
    assert all("ForbiddenCall" in c.message for c in result.cases)


# ----------------------------------------------------------- hidden cases

def test_the_helpers_make_hidden_cases(tmp_path):
    (tmp_path / "recon.py").write_text(
        "from coursekit.grading.tasks.recon import (dc_case, ramp_case, slices_case, threshold_case,\n"
        "                                           threshold_error_case)\n"
        "CASES = {\n"
        "    'recon.data_consistency': [dc_case('15x11', shape=(15, 11), sampled=4, centre=1, seed=11),\n"
        "                               dc_case('y kept', shape=(5, 9), leave_inputs=True, seed=17)],\n"
        "    'recon.ramp_filter': [ramp_case('70 bins', shape=(70, 3), seed=12),\n"
        "                          ramp_case('a 30x30 disc', shape=(30, 5), kind='disc', seed=13)],\n"
        "    'recon.soft_threshold': [threshold_case('t = 2', 2.0, shape=(5, 5), zeros=4, seed=14),\n"
        "                             threshold_case('z kept', 0.1, leave_inputs=True, seed=18),\n"
        "                             threshold_error_case('t = -1', -1.0, seed=15)],\n"
        "    'recon.interpolate_slices': [slices_case('factor 6, depth 20', 6, 20, seed=16)],\n"
        "}\n")
    hidden = load_hidden(tmp_path, "recon")
    assert sorted(hidden) == sorted(t.id for t in recon.TASKS)
    for task in recon.TASKS:
        for case in hidden[task.id]:
            assert case.visibility == "hidden"
            inputs = case.make_inputs()
            expected = case.run(task.reference, inputs)
            assert case.check(expected, case.run(task.reference, case.make_inputs()), inputs) is None

"""Tasks of the image enhancement exercise (``exercises/07_enhancement.ipynb``).

================================  ======  =====================================================
task                              points  the student writes
================================  ======  =====================================================
``enhance.pixel_shuffle``         2       ``pixel_shuffle(x, r)``: ``(N, C r^2, H, W) -> (N, C, rH, rW)``
``enhance.wiener``                3       ``wiener_deconvolve(y, psf, balance)``: one image, by FFT
``enhance.richardson_lucy_step``  2       ``richardson_lucy_step(x, y, psf)``: one Richardson-Lucy update
``enhance.unbiased_rician``       3       ``unbiased_rician(m, sigma, local_mean)``: the Rician bias reduced
================================  ======  =====================================================

Conventions:

* ``pixel_shuffle``: exactly ``torch.nn.functional.pixel_shuffle`` on a 4-D tensor (the
  rearrangement of ESPCN's sub-pixel convolution): ``out[n, c, h r + i, w r + j] =
  x[n, c r^2 + i r + j, h, w]`` for ``0 <= i, j < r``, in ``x``'s dtype; a channel count that
  ``r * r`` does not divide raises ``ValueError``. Torch's own (``F.pixel_shuffle``,
  ``torch.pixel_shuffle``, ``nn.PixelShuffle``) is forbidden while the student's code runs.
* Convolution, in tasks 2 and 3, is *circular* on one ``(H, W)`` float64 image, by FFT: the
  ``(2k + 1, 2k + 1)`` PSF (odd, its centre pixel ``psf[k, k]``) is zero-padded to ``(H, W)``
  and rolled by ``(-k, -k)``, so that its centre sits at index ``(0, 0)``; its FFT ``H`` is the
  blur's transfer function (:func:`transfer_function_reference`), and ``C(u) = real(ifft2(fft2(u) H))``
  convolves ``u`` with the PSF. ``C`` with the flipped PSF ``psf[::-1, ::-1]`` multiplies by
  ``conj(H)`` instead: it is the adjoint ``C^T``.
* ``wiener_deconvolve``: ``real(ifft2(conj(H) Y / (|H|^2 + balance)))``, ``Y = fft2(y)``, a
  float64 ``(H, W)`` image. The Tikhonov form with a constant regulariser: simpler than
  :func:`coursekit.restore.wiener` (skimage's), whose regulariser is ``balance |L|^2`` with
  ``L`` a Laplacian's transfer function, and which pads the image by reflection.
* ``richardson_lucy_step``: ``x * C^T(y / (C(x) + 1e-12))``, float64 ``(H, W)``. The epsilon
  (skimage's) is required: one case is a frame without a photon, ``x = y = 0``, where
  ``C(x)`` is exactly 0 and ``0 / 0`` would be NaN (the notebook's Poisson counts have such a
  background, and the estimate is 0 there after one step). Any epsilon up to 1e-9 passes: in
  every other case ``x`` and the PSF are >= 0 with ``C(x) >= 0.1``, so it changes the ratio by
  at most 1e-8 relative, against the float64 ``rtol`` of 1e-7; where ``y`` is 0 the ratio is 0.
* ``unbiased_rician``: ``sqrt(max(local_mean(m^2) - 2 sigma^2, 0))`` with ``m`` converted to
  float64 first and ``local_mean`` a function that the grader passes (:func:`run_unbiased_rician`
  builds it in the student's process, a box or Gaussian mean with reflected borders, from the
  case's plain data); returns float64 of ``m``'s shape. :func:`coursekit.restore.unbiased_rician`
  is the same with a Gaussian filter for ``local_mean``.

Inputs are seeded float64 tensors (one case in float32 for each of pixel_shuffle and
unbiased_rician), with a non-symmetric PSF in tasks 2 and 3, so that ``H`` for ``conj(H)``
(equivalently, the PSF left unflipped) shows, non-square images, and in tasks 2 and 3 one of
odd height and width, where ``irfft2`` without ``s=`` and ``fftshift`` for ``ifftshift`` go
wrong. Tasks 2, 3 and 4 each have one case that checks that the caller's tensors are left as
they were, and the output (:func:`coursekit.grading.cases.run_inputs_kept`): the notebook deconvolves
one noisy image with two balances, keeps an early Richardson-Lucy estimate for a panel, and
``m.double()`` is ``m`` itself in float64. Task 1 has none: its input is not used again.
The usual mistakes (channels grouped or placed in the wrong order, the PSF not centred, the
regulariser ignored or added to ``|H|``, a complex result, the ratio inverted or the update
added, the local mean of ``m`` squared, ``sigma^2`` for ``2 sigma^2``, no clipping, no square
root) change the result far beyond the tolerance. The helpers ``shuffle_case``, ``shuffle_error_case``,
``wiener_case``, ``rl_case`` and ``rician_case`` also make hidden cases.
"""
from __future__ import annotations

import numpy as np
import torch
import torch.nn.functional as F

from ..cases import Case, Task, call, call_expecting_value_error, compare_values, inputs_kept, run_inputs_kept

NOTEBOOK = "07_enhancement"   # exercises/07_enhancement.ipynb, the notebook these tasks grade

__all__ = ["TASKS", "pixel_shuffle_reference", "transfer_function_reference", "circular_convolve",
           "wiener_deconvolve_reference", "richardson_lucy_step_reference", "unbiased_rician_reference",
           "local_mean_filter", "shuffle_case", "shuffle_error_case", "wiener_case", "rl_case", "rician_case"]

# ---------------------------------------------------------------------------
# enhance.pixel_shuffle
# ---------------------------------------------------------------------------


def pixel_shuffle_reference(x, r):
    """``F.pixel_shuffle(x, r)`` for a 4-D ``x``: channel ``c r^2 + i r + j`` of each input pixel
    ``(h, w)`` goes to output pixel ``(h r + i, w r + j)`` of channel ``c``."""
    n, channels, h, w = x.shape
    if channels % (r * r):
        raise ValueError(f"pixel_shuffle: {channels} channels are not a multiple of r * r = {r * r}")
    c = channels // (r * r)
    return x.reshape(n, c, r, r, h, w).permute(0, 1, 4, 2, 5, 3).reshape(n, c, h * r, w * r)


def shuffle_case(name, r, c_out=1, n=1, size=(3, 3), dtype=torch.float64, hint="", seed=0) -> Case:
    """A ``pixel_shuffle`` case on an ``(n, c_out r^2, *size)`` tensor of distinct random values."""
    def inputs(gen):
        x = torch.randn(n, c_out * r * r, *size, generator=gen, dtype=torch.float64).to(dtype)
        return dict(x=x, r=r)
    return Case(name, inputs, compare=compare_shuffled, hint=hint, seed=seed)


def _index(index) -> str:
    return "[" + ", ".join(str(int(i)) for i in index) + "]"


def _where(x, value) -> str | None:
    """``"x[n, k, h, w]"`` for the first element of ``x`` equal to ``value``, else None."""
    hits = torch.nonzero(x == value)
    return "x" + _index(hits[0]) if len(hits) else None


def compare_shuffled(expected, got, inputs):
    """:func:`compare_values`; where an element is misplaced, says which input element landed
    there and which one was expected (every input value is distinct)."""
    msg = compare_values(expected, got)
    if msg is None or not (isinstance(got, torch.Tensor) and got.shape == expected.shape
                           and got.dtype == expected.dtype):
        return msg
    bad = torch.nonzero(got != expected)
    if not len(bad):
        return msg
    index = tuple(int(i) for i in bad[0])
    have, want = _where(inputs["x"], got[index]), _where(inputs["x"], expected[index])
    if have is None or want is None:
        return msg
    return (f"output{_index(index)} holds the input's {have}, expected {want} "
            f"(with r = {inputs['r']}, input shape {tuple(inputs['x'].shape)}); {msg}")


def compare_value_error(expected, got, inputs):
    if got == expected:
        return None
    channels, r = inputs["x"].shape[1], inputs["r"]
    return (f"pixel_shuffle(x, {r}) on {channels} channels: expected a ValueError ({channels} is not a "
            f"multiple of r * r = {r * r}), but it {got}")


def shuffle_error_case(name, channels, r, size=(3, 3), hint="", seed=0) -> Case:
    """A case where ``r * r`` does not divide ``channels``: ``pixel_shuffle`` must raise ValueError."""
    def inputs(gen):
        return dict(x=torch.randn(1, channels, *size, generator=gen, dtype=torch.float64), r=r)
    return Case(name, inputs, run=call_expecting_value_error, compare=compare_value_error, hint=hint, seed=seed)


_SHUFFLE_HINT = ("output[n, c, h * r + i, w * r + j] = x[n, c * r * r + i * r + j, h, w]: each output channel c "
                 "takes r * r consecutive input channels, and i (the row offset) varies slower than j. One "
                 "reshape to (N, C, r, r, H, W), one permute, one reshape; keep x's dtype.")
SHUFFLE_CASES = (
    shuffle_case("r = 2, one output channel: (1, 4, 3, 3) -> (1, 1, 6, 6)", 2, hint=_SHUFFLE_HINT, seed=1),
    shuffle_case("r = 2, three output channels, a batch of 2 images of 4x5: (2, 12, 4, 5) -> (2, 3, 8, 10)", 2,
                 c_out=3, n=2, size=(4, 5), hint=(
        "output channel c takes the input channels c * r * r to c * r * r + r * r - 1, not the channels "
        "c, c + C, c + 2C, ...; and H and W are not always equal. " + _SHUFFLE_HINT), seed=2),
    shuffle_case("r = 3, two output channels: (1, 18, 2, 3) -> (1, 2, 6, 9)", 3, c_out=2, size=(2, 3),
                 hint=_SHUFFLE_HINT, seed=3),
    shuffle_case("float32 in, float32 out, r = 4: (1, 32, 2, 2) -> (1, 2, 8, 8)", 4, c_out=2, size=(2, 2),
                 dtype=torch.float32, hint=_SHUFFLE_HINT, seed=4),
    shuffle_error_case("12 channels and r = 3: 12 is a multiple of r but not of r * r = 9, so ValueError", 12, 3,
                       hint=("check that r * r divides the number of channels (channels % (r * r) != 0) and "
                             "raise ValueError(...) with a message that says so, before any reshape."), seed=5),
)

# ---------------------------------------------------------------------------
# circular convolution by FFT (tasks 2 and 3)
# ---------------------------------------------------------------------------


def transfer_function_reference(psf, shape):
    """The FFT of ``psf`` (``(2k + 1, 2k + 1)``) zero-padded to ``shape`` and rolled by ``(-k, -k)``,
    so that its centre pixel ``psf[k, k]`` sits at index ``(0, 0)``: a complex ``shape`` tensor."""
    kh, kw = psf.shape
    padded = torch.zeros(tuple(shape), dtype=psf.dtype)
    padded[:kh, :kw] = psf
    return torch.fft.fft2(torch.roll(padded, shifts=(-(kh // 2), -(kw // 2)), dims=(0, 1)))


def circular_convolve(image, psf):
    """``image`` (``(H, W)``) convolved with ``psf`` with periodic borders: ``real(ifft2(fft2(image) H))``."""
    return torch.fft.ifft2(torch.fft.fft2(image) * transfer_function_reference(psf, image.shape)).real


def _psf(kind, gen, size=5, sigma=0.8) -> torch.Tensor:
    """``"gaussian"``: :func:`coursekit.restore.gaussian_psf` (symmetric); ``"random"``: a seeded
    non-symmetric ``size x size`` kernel, >= 0, summing to 1 (a blur with no symmetry, such as
    a motion blur, whose ``H`` is not real)."""
    if kind == "gaussian":
        from ...restore import gaussian_psf
        return torch.from_numpy(gaussian_psf(sigma))
    kernel = torch.rand(size, size, generator=gen, dtype=torch.float64) ** 3
    kernel[:, : size // 2] *= 0.3        # more weight on the right-hand side: far from symmetric
    return kernel / kernel.sum()


def _blurred(gen, shape, psf, noise, low=0.0, background=0.0):
    """A random image in [low, 1], its left ``background`` share of columns black (0), and its
    circular blur by ``psf`` plus Gaussian noise of ``noise``."""
    sharp = low + (1 - low) * torch.rand(shape, generator=gen, dtype=torch.float64)
    sharp[:, : round(background * shape[1])] = 0.0
    return sharp, circular_convolve(sharp, psf) + noise * torch.randn(shape, generator=gen, dtype=torch.float64)

# ---------------------------------------------------------------------------
# enhance.wiener
# ---------------------------------------------------------------------------


def wiener_deconvolve_reference(y, psf, balance):
    """``real(ifft2(conj(H) fft2(y) / (|H|^2 + balance)))`` for one ``(H, W)`` image, ``H`` as in
    :func:`transfer_function_reference`."""
    h = transfer_function_reference(psf, y.shape)
    return torch.fft.ifft2(h.conj() * torch.fft.fft2(y) / (h.abs() ** 2 + balance)).real


def wiener_case(name, shape=(16, 16), psf="gaussian", psf_size=5, balance=1e-2, noise=0.01, hint="",
                seed=0, run=call, compare=None) -> Case:
    """A ``wiener_deconvolve`` case: a random image, black on its left 40%, blurred circularly by
    a ``psf`` (``"gaussian"`` or ``"random"``, non-symmetric, of ``psf_size``) plus noise of
    ``noise`` (so that the deconvolved image has negative values too, on the black side)."""
    def inputs(gen):
        kernel = _psf(psf, gen, psf_size)
        _, y = _blurred(gen, shape, kernel, noise, background=0.4)
        return dict(y=y, psf=kernel, balance=balance)
    return Case(name, inputs, run=run, compare=compare or compare_deconvolved, hint=hint, seed=seed)


def compare_deconvolved(expected, got, inputs):
    """:func:`compare_values`, saying so where the result is complex, or is the expected image
    shifted circularly (a PSF that was not centred)."""
    if isinstance(got, torch.Tensor) and got.is_complex():
        return (f"output: expected a real image, dtype {expected.dtype}, shape {tuple(expected.shape)}; got a "
                f"complex tensor ({got.dtype}): the inverse FFT of a deconvolution is complex only by rounding, "
                "so return its real part")
    msg = compare_values(expected, got)
    if msg is None or not (isinstance(got, torch.Tensor) and got.shape == expected.shape
                           and got.dtype == expected.dtype):
        return msg
    reach = max(inputs["psf"].shape)
    for dy in range(-reach, reach + 1):
        for dx in range(-reach, reach + 1):
            if (dy or dx) and compare_values(torch.roll(expected, (dy, dx), dims=(0, 1)), got) is None:
                return (f"output: the expected image shifted circularly by ({dy}, {dx}) pixels: the PSF is not "
                        "centred; roll the zero-padded PSF so that its centre pixel sits at index (0, 0)")
    return msg


_ODD_HINT = ("an odd size is where two shortcuts part from the formula: torch.fft.irfft2 gives back W - 1 "
             "columns for an odd W unless it is told the size (s=y.shape), and the centre of an odd-sized "
             "array moves to (0, 0) with torch.fft.ifftshift, not fftshift (they agree only for even sizes). ")
_WIENER_HINT = ("Pad the PSF with zeros to the image's shape, roll it by (-k, -k) (torch.roll) so that its "
                "centre pixel psf[k, k] sits at index (0, 0), and take H = torch.fft.fft2 of that; then "
                "X = conj(H) * fft2(y) / (|H| ** 2 + balance), and return the real part of ifft2(X).")
WIENER_CASES = (
    wiener_case("a 16x16 image, Gaussian PSF (sigma 0.8, 7x7), balance 0.01", hint=_WIENER_HINT, seed=1),
    wiener_case("a non-symmetric 5x5 PSF (a blur to one side), balance 0.01", psf="random", hint=(
        "for a PSF that is not symmetric, H is complex and conj(H) differs from H: the numerator is "
        "conj(H) * Y. " + _WIENER_HINT), seed=2),
    wiener_case("a 12x20 image (H != W), non-symmetric 3x3 PSF, balance 0.1", shape=(12, 20), psf="random",
                psf_size=3, balance=0.1, hint=(
        "the PSF is padded to the image's own (H, W), rows first. " + _WIENER_HINT), seed=3),
    wiener_case("no noise and balance 1e-9: the sharp image comes back", balance=1e-9, noise=0.0, hint=(
        "with balance near 0 and no noise, X = conj(H) H X / |H| ** 2 = X: your function should give "
        "back the image that was blurred. " + _WIENER_HINT), seed=4),
    wiener_case("a strong regulariser: balance 1, non-symmetric 5x5 PSF", psf="random", balance=1.0, hint=(
        "balance is added to |H| ** 2, the squared magnitude (H.abs() ** 2), not to |H|. " + _WIENER_HINT),
                seed=5),
    wiener_case("a 15x13 image (H and W odd), non-symmetric 5x5 PSF, balance 0.01", shape=(15, 13), psf="random",
                hint=(_ODD_HINT + _WIENER_HINT), seed=6),
    wiener_case("the image and the PSF passed in (a non-symmetric 5x5 one) are left as they were", psf="random",
                run=run_inputs_kept, compare=inputs_kept(compare_deconvolved), hint=(
        "fft2(y), the padded copy of the PSF and the quotient are new tensors; y -= ..., psf /= ... or y.clamp_(...) "
        "change the caller's: the notebook deconvolves the same noisy image with two balances, and shows it beside "
        "them. " + _WIENER_HINT), seed=7),
)

# ---------------------------------------------------------------------------
# enhance.richardson_lucy
# ---------------------------------------------------------------------------


RL_EPS = 1e-12   # added to the denominator, as skimage.restoration.richardson_lucy does


def richardson_lucy_step_reference(x, y, psf):
    """``x * C^T(y / (C(x) + 1e-12))``: ``C`` the circular convolution with ``psf``, ``C^T`` with
    ``psf`` flipped; the epsilon keeps ``0 / 0`` (no photon, and an estimate of 0) from becoming NaN."""
    return x * circular_convolve(y / (circular_convolve(x, psf) + RL_EPS), psf.flip(0, 1))


def rl_case(name, shape=(16, 16), psf="gaussian", psf_size=5, start="blurred", black=False, hint="", seed=0,
            run=call, compare=None) -> Case:
    """A ``richardson_lucy_step`` case: ``y`` a random image in [0.2, 1] blurred circularly plus
    noise of 0.01; ``x`` the estimate so far: ``"blurred"`` (``y`` itself, where the iterations
    usually start), ``"constant"`` (0.5) or ``"random"`` (in [0.2, 1]). With ``black``, a frame
    without a photon: ``y`` and ``x`` 0 everywhere (``start`` unused), where ``C(x)`` is exactly 0."""
    def inputs(gen):
        kernel = _psf(psf, gen, psf_size)
        if black:
            return dict(x=torch.zeros(shape, dtype=torch.float64), y=torch.zeros(shape, dtype=torch.float64),
                        psf=kernel)
        _, y = _blurred(gen, shape, kernel, 0.01, low=0.2)
        x = {"blurred": lambda: y.clone(), "constant": lambda: torch.full(shape, 0.5, dtype=torch.float64),
             "random": lambda: 0.2 + 0.8 * torch.rand(shape, generator=gen, dtype=torch.float64)}[start]()
        return dict(x=x, y=y, psf=kernel)
    return Case(name, inputs, run=run, compare=compare or compare_rl, hint=hint, seed=seed)


def compare_rl(expected, got, inputs):
    """:func:`compare_deconvolved`, saying so where the result is NaN or infinite (a division by 0)."""
    if isinstance(got, torch.Tensor) and got.shape == expected.shape and got.is_floating_point():
        bad = ~torch.isfinite(got) & torch.isfinite(expected)
        if bad.any():
            return (f"output: NaN or inf at {int(bad.sum())} of {got.numel()} pixels, where the expected values are "
                    "finite: where the blurred estimate is 0, y / blur(x) divides by 0 (0 / 0 is NaN), and the "
                    "FFT spreads it over the whole image; add a tiny epsilon (1e-12) to the denominator")
    return compare_deconvolved(expected, got, inputs)


_RL_HINT = ("In order: blurred = conv(x, psf); ratio = y / blurred; x_new = x * conv(ratio, psf flipped), "
            "each conv circular by FFT as in task 2, the flipped PSF psf.flip(0, 1) (psf[::-1, ::-1]). "
            "A multiplicative update: x times the correction, which is 1 where x already explains y.")
RL_CASES = (
    rl_case("first step from the blurred image, Gaussian PSF (sigma 0.8)", hint=_RL_HINT, seed=1),
    rl_case("a non-symmetric 5x5 PSF, from a random estimate", psf="random", start="random", hint=(
        "the back-projection uses the flipped PSF, the adjoint of the blur: for a PSF that is not "
        "symmetric, the PSF itself gives another result. " + _RL_HINT), seed=2),
    rl_case("a 12x18 image (H != W), non-symmetric 3x3 PSF, from a constant 0.5", shape=(12, 18), psf="random",
            psf_size=3, start="constant", hint=_RL_HINT, seed=3),
    rl_case("a 20x14 image, non-symmetric 5x5 PSF, from the blurred image", shape=(20, 14), psf="random",
            hint=_RL_HINT, seed=4),
    rl_case("a 13x11 image (H and W odd), non-symmetric 3x3 PSF, from a random estimate", shape=(13, 11),
            psf="random", psf_size=3, start="random", hint=_ODD_HINT + _RL_HINT, seed=5),
    rl_case("a frame without a photon (y = 0) and an estimate of 0: the next estimate is 0, not NaN", black=True,
            hint=("where no photon arrived, y is 0, and after a step the estimate is 0 there too (the notebook's "
                  "Poisson counts have such a background); its blur is then 0, and y / blur(x) is 0 / 0 = NaN, "
                  "which the FFT of the next blur spreads over every pixel. Add a tiny epsilon to the denominator: "
                  "y / (blur(x, psf) + 1e-12). " + _RL_HINT), seed=6),
    rl_case("the estimate and the image passed in are left as they were", psf="random", start="random",
            run=run_inputs_kept, compare=inputs_kept(compare_rl), hint=(
        "x * correction makes a new tensor; x *= ... or y /= ... change the caller's tensors: the notebook keeps "
        "the estimate after 5 iterations for a panel, and uses y in every step."), seed=7),
)

# ---------------------------------------------------------------------------
# enhance.unbiased_rician
# ---------------------------------------------------------------------------


def unbiased_rician_reference(m, sigma, local_mean):
    """``sqrt(max(local_mean(m^2) - 2 sigma^2, 0))`` in float64."""
    second_moment = local_mean(m.double() ** 2)
    return torch.sqrt((second_moment - 2 * sigma ** 2).clamp_min(0))


def local_mean_filter(spec: dict):
    """The ``local_mean`` function that a case describes: ``{"kind": "box", "size": s}`` (the mean
    of each ``s x s`` window) or ``{"kind": "gaussian", "width": w}`` (a Gaussian of ``w`` pixels,
    cut at 4 w, summing to 1); borders reflected. It takes a tensor (or a NumPy array) of two or
    more dimensions, the last two the image's, and returns the same shape and dtype."""
    if spec["kind"] == "box":
        weights = np.full(spec["size"], 1.0 / spec["size"])
    else:
        radius = int(4 * spec["width"] + 0.5)
        weights = np.exp(-0.5 * (np.arange(-radius, radius + 1) / spec["width"]) ** 2)
        weights /= weights.sum()
    taps = list(weights)

    def local_mean(images):
        as_numpy = isinstance(images, np.ndarray)
        t = torch.as_tensor(images)
        if t.ndim < 2:
            raise ValueError(f"local_mean: expected an image (..., H, W); got shape {tuple(t.shape)}")
        flat = t.reshape(-1, 1, *t.shape[-2:])
        k, r = len(taps), len(taps) // 2
        kernel = torch.tensor(taps, dtype=t.dtype)
        flat = F.pad(flat, (r, r, r, r), mode="reflect")
        flat = F.conv2d(flat, kernel.view(1, 1, 1, k))
        flat = F.conv2d(flat, kernel.view(1, 1, k, 1))
        out = flat.reshape(t.shape)
        return out.numpy() if as_numpy else out

    return local_mean


def run_unbiased_rician(unbiased_rician, inputs):
    """``unbiased_rician(m, sigma, local_mean)`` with the ``local_mean`` that ``inputs["filter"]``
    describes, made here (a function cannot cross the grader's process boundary)."""
    return unbiased_rician(m=inputs["m"], sigma=inputs["sigma"], local_mean=local_mean_filter(inputs["filter"]))


def run_unbiased_rician_inputs_kept(unbiased_rician, inputs):
    """:func:`coursekit.grading.cases.run_inputs_kept` for :func:`run_unbiased_rician`: its output,
    and the tensor arguments (here ``m``) that it changed in place."""
    return run_inputs_kept(unbiased_rician, inputs, run_unbiased_rician)


def rician_case(name, sigma, mean_filter, shape=(1, 1, 16, 16), signal="disc", dtype=torch.float64, hint="",
                seed=0, run=run_unbiased_rician, compare=None) -> Case:
    """An ``unbiased_rician`` case: the Rician magnitude of a ``signal`` (``"disc"``: values in
    [0.4, 0.9] inside a disc, 0 outside; ``"zero"``: no signal, the noise made by
    :func:`coursekit.degrade.rician_noise`) with noise ``sigma``, and the filter ``mean_filter`` (a dict) that
    :func:`local_mean_filter` makes."""
    def inputs(gen):
        if signal == "zero":
            from ...degrade import rician_noise
            seed_ = int(torch.randint(0, 2**31 - 1, (1,), generator=gen))
            m = rician_noise(torch.zeros(shape), sigma, seed=seed_).double()
        else:
            h, w = shape[-2:]
            yy, xx = torch.meshgrid(torch.arange(h, dtype=torch.float64), torch.arange(w, dtype=torch.float64),
                                    indexing="ij")
            inside = ((yy - (h - 1) / 2) / (0.35 * h)) ** 2 + ((xx - (w - 1) / 2) / (0.35 * w)) ** 2 <= 1
            a = (0.4 + 0.5 * torch.rand(shape, generator=gen, dtype=torch.float64)) * inside
            eps = torch.randn((2, *shape), generator=gen, dtype=torch.float64)
            m = torch.sqrt((a + sigma * eps[0]) ** 2 + (sigma * eps[1]) ** 2)
        return dict(m=m.to(dtype), sigma=sigma, filter=dict(mean_filter))
    return Case(name, inputs, run=run, compare=compare or compare_rician, hint=hint, seed=seed)


def compare_rician(expected, got, inputs):
    """:func:`compare_values`, saying so where the result has NaN (a negative under the root) or
    is not float64."""
    if isinstance(got, torch.Tensor) and got.shape == expected.shape:
        if got.dtype != expected.dtype:
            return (f"output: expected dtype {expected.dtype}, got {got.dtype} (shape {tuple(got.shape)} is right); "
                    f"the magnitudes come in {inputs['m'].dtype}: convert them with m.double() before anything "
                    "else, so that every step runs in float64")
        nan = torch.isnan(got) & ~torch.isnan(expected)
        if got.is_floating_point() and nan.any():
            return (f"output: NaN at {int(nan.sum())} of {got.numel()} pixels, where the expected values are "
                    "finite (the square root of a negative number is NaN)")
    return compare_values(expected, got)


_RICIAN_HINT = ("Square the magnitudes first (in float64), take local_mean of the squares, subtract "
                "2 * sigma ** 2 (E[m^2] = A^2 + 2 sigma^2), clip at 0 (.clamp_min(0)), then take the square root. "
                "Use the local_mean you are given.")
_BOX3, _BOX5, _GAUSS1, _GAUSS15 = (dict(kind="box", size=3), dict(kind="box", size=5),
                                   dict(kind="gaussian", width=1.0), dict(kind="gaussian", width=1.5))
RICIAN_CASES = (
    rician_case("a bright disc on a black background, sigma 0.05, 3x3 box mean", 0.05, _BOX3, hint=(
        "the local mean of m ** 2, not the square of the local mean of m: the identity holds for the mean of "
        "the squares. " + _RICIAN_HINT), seed=1),
    rician_case("pure Rician noise (no signal, coursekit.degrade.rician_noise), sigma 0.1, 5x5 box mean: far "
                "below sigma * sqrt(pi / 2)", 0.1, _BOX5, shape=(1, 1, 24, 24), signal="zero", hint=(
        "where there is no signal, local_mean(m ** 2) is about 2 sigma ** 2, sometimes less: subtract "
        "2 * sigma ** 2 (the noise of both the real and the imaginary part), not sigma ** 2, and clip what "
        "goes below 0. " + _RICIAN_HINT), seed=2),
    rician_case("a batch of two 12x10 images, sigma 0.1, Gaussian mean (width 1)", 0.1, _GAUSS1,
                shape=(2, 1, 12, 10), hint=_RICIAN_HINT, seed=3),
    rician_case("float32 magnitudes in, float64 out: sigma 0.08, Gaussian mean (width 1.5)", 0.08, _GAUSS15,
                dtype=torch.float32, hint="convert m with m.double() first. " + _RICIAN_HINT, seed=4),
    rician_case("float64 magnitudes passed in are left as they were", 0.05, _BOX3,
                run=run_unbiased_rician_inputs_kept, compare=inputs_kept(compare_rician), hint=(
        "m.double() is m itself when m is float64 already, so m **= 2 or m.pow_(2) after it squares the "
        "caller's image; m.double() ** 2 makes a new tensor."), seed=5),
)

# coursekit's own answers (the chapter uses them) and torch's: a notebook function that only calls
# one of them earns no points, as one imported from coursekit does not.
SHUFFLE_FORBIDDEN = ("torch.nn.functional.pixel_shuffle", "torch.pixel_shuffle", "torch.nn.PixelShuffle")
TASKS = [
    Task("enhance.pixel_shuffle", "the sub-pixel rearrangement of ESPCN", "pixel_shuffle", 2,
         pixel_shuffle_reference, SHUFFLE_CASES, forbidden=SHUFFLE_FORBIDDEN),
    Task("enhance.wiener", "Wiener (Tikhonov) deconvolution by FFT", "wiener_deconvolve", 3,
         wiener_deconvolve_reference, WIENER_CASES, forbidden=("coursekit.restore.wiener",)),
    Task("enhance.richardson_lucy_step", "one Richardson-Lucy step", "richardson_lucy_step", 2,
         richardson_lucy_step_reference, RL_CASES, forbidden=("coursekit.restore.richardson_lucy",)),
    Task("enhance.unbiased_rician", "reducing the Rician bias", "unbiased_rician", 3, unbiased_rician_reference,
         RICIAN_CASES, forbidden=("coursekit.restore.unbiased_rician",)),
]

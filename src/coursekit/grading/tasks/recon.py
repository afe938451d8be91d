"""Tasks of the image reconstruction exercise (``exercises/08_reconstruction.ipynb``).

===============================  ======  =========================================================
task                             points  the student writes
===============================  ======  =========================================================
``recon.data_consistency``       3       ``data_consistency(x, y, mask)``: the measured k-space columns put back
``recon.ramp_filter``            3       ``ramp_filter(sino)``: the filter of filtered back-projection
``recon.soft_threshold``         2       ``soft_threshold(z, t)``: the proximal operator of ``t |.|_1``
``recon.interpolate_slices``     2       ``interpolate_slices(thin, factor, depth)``: slices to a volume
===============================  ======  =========================================================

Every task works on one image (or one volume) as a plain float64 or complex128 tensor, no
batch axis. Conventions:

* ``data_consistency``: ``ifft_c(where(mask, y, fft_c(x)))`` on a complex128 ``(H, W)`` estimate
  ``x``, with the centred orthonormal FFT ``fft_c(u) = fftshift(fft2(ifftshift(u), norm="ortho"))``
  and its inverse ``ifft_c(k) = fftshift(ifft2(ifftshift(k), norm="ortho"))`` (the shifts over
  both axes), exactly :func:`coursekit.degrade.kspace` and :func:`coursekit.degrade.image_from_kspace`
  on one image: the zero frequency sits at ``(H // 2, W // 2)``. ``y`` is the measured complex128
  ``(H, W)`` k-space, zero in the columns that were not sampled, and ``mask`` the ``(W,)`` bool
  tensor of the sampled columns (the phase-encoding lines, as :func:`coursekit.degrade.kspace_mask`
  draws them). Returns a complex128 ``(H, W)`` image whose k-space is ``y`` in the sampled columns
  and the estimate's own elsewhere: the projection onto the images consistent with the
  measurement, and a gradient step of size 1 on ``||M F x - y||^2 / 2`` (``F`` orthonormal).
  :func:`coursekit.reconstruct.data_consistency` is the same on batches, and ``degrade.kspace`` /
  ``image_from_kspace`` are the transforms (they take complex images too): all three raise an
  error while the student's code runs, since writing the centred transform is half the task.
* ``ramp_filter``: ``sino`` a float64 ``(D, V)`` sinogram as ``skimage.transform.radon`` returns
  it (``D`` detector bins along the rows, one column per view). Each column is zero-padded to
  ``P = max(64, 2 ** ceil(log2(2 D)))`` rows (``iradon``'s padding, which reduces the wrap-around
  of the circular convolution without removing it: the ramp sampled at ``P`` frequencies has a
  periodic impulse response, and zero gain at frequency zero, the DC error that ``iradon``'s own
  ramp avoids), transformed along the rows, multiplied by ``2 |fftfreq(P)|``,
  transformed back; the real part of the first ``D`` rows, float64 ``(D, V)``. The back-projection
  of the result, unfiltered (``iradon(..., filter_name=None)``), is filtered back-projection: the
  same as ``iradon``'s ``"ramp"`` up to its discretisation of the ramp (Kak and Slaney's, from
  the ramp's impulse response, which differs at the lowest frequencies): about 1% of the image's
  range or less (0.4% on the tests' phantom, 0.9% on the notebook's brain slice).
* ``soft_threshold``: ``z * max(|z| - t, 0) / |z|``, 0 where ``z == 0`` (no NaN), in ``z``'s
  dtype and shape, any shape; for a real ``z`` that is ``sign(z) max(|z| - t, 0)``, and for a
  complex one the phase is kept and only the magnitude shrinks. The proximal operator of
  ``t ||.||_1``, the second half of an ISTA step. A negative ``t`` raises ``ValueError``. An
  epsilon of up to 1e-9 added to ``|z|`` in the denominator (instead of ``where(|z| > 0, ...)``)
  is within the tolerance: it changes each element by at most ``eps``, against an ``atol`` of 1e-9.
* ``interpolate_slices``: ``thin`` a float64 ``(D', H, W)`` stack, every ``factor``-th slice of a
  volume of ``depth`` slices (``D' = ceil(depth / factor)``, slice ``k`` of ``thin`` at depth
  ``k * factor``); each output slice ``d`` is ``(1 - w) thin[a] + w thin[a + 1]`` with ``a = d //
  factor`` and ``w = (d mod factor) / factor``, and the slices past the last kept one repeat it.
  Float64 ``(depth, H, W)``. :func:`coursekit.degrade.interpolate_slices` is the same on
  ``(N, C, D', H, W)`` batches; it raises an error while the student's code runs.

Inputs are seeded: random complex images and k-space of odd and even, non-square sizes (on an
odd axis ``fftshift`` and ``ifftshift`` differ, so a swapped shift shows there; a missing one
shows everywhere), random and real sinograms of 12 to 40 bins (padded to 64 or 128 rows, so that
padding to another length, or none, changes the result; and 32 bins, where 2 D is a power of
two, so that one power of two too many shows), complex and real tensors with exact zeros for the
threshold, and volumes whose depth is a multiple of the factor and volumes whose
depth is not (with and without slices past the last kept one). The usual mistakes (the mask inverted or applied to the
rows, no ``norm="ortho"``, averaging the two k-spaces instead of replacing, the k-space or the
magnitude returned; filtering along the views, another padding, ``|f|`` without the factor 2,
``fftfreq`` without ``abs``, a complex result; the real and imaginary parts thresholded
separately, hard thresholding, NaN at 0, a negative ``t`` let through; the weights swapped,
extrapolation past the last kept slice, positions off by one; and an argument changed in place,
which one case of each task compares with what it held before the call) fail at least one case, and the comparisons say which mistake a result matches
where they can tell. The helpers ``dc_case``,
``ramp_case``, ``threshold_case``, ``threshold_error_case`` and ``slices_case`` also make hidden
cases.
"""
from __future__ import annotations

import math

import torch

from ..cases import (TOLERANCES, Case, Task, _apart, call_expecting_value_error, compare_values, inputs_kept,
                     run_inputs_kept)

NOTEBOOK = "08_reconstruction"   # exercises/08_reconstruction.ipynb, the notebook these tasks grade

__all__ = ["TASKS", "centred_fft", "centred_ifft", "data_consistency_reference", "ramp_padding",
           "ramp_filter_reference", "soft_threshold_reference", "interpolate_slices_reference", "compare_complex",
           "dc_case", "ramp_case", "threshold_case", "threshold_error_case", "slices_case"]

_DIMS = (-2, -1)

# ---------------------------------------------------------------------------
# comparing complex tensors
# ---------------------------------------------------------------------------


def compare_complex(expected, got, where: str = "output",
                    magnitude: str = "return the complex tensor itself, its phase included") -> str | None:
    """:func:`compare_values` for a complex ``expected`` (which compares complex tensors exactly):
    ``got`` must be complex of the same shape and dtype, then elementwise within the tolerance of
    its real dtype (float64's for complex128), ``|got - expected| <= atol + rtol |expected|``. A
    real ``got`` is told that the result must stay complex, and, where it is the magnitude of the
    expected result, ``magnitude`` as well."""
    if not isinstance(got, torch.Tensor) or got.shape != expected.shape:
        return compare_values(expected, got, where)
    if not got.is_complex():
        msg = (f"{where}: expected a complex tensor ({expected.dtype}, shape {tuple(expected.shape)}); got the real "
               f"dtype {got.dtype}")
        if got.is_floating_point() and torch.allclose(got.double(), expected.abs().double(), rtol=1e-6, atol=1e-9):
            msg += f": the magnitude of the expected result; {magnitude}"
        return msg
    if got.dtype != expected.dtype:
        return compare_values(expected, got, where)
    rtol, atol = TOLERANCES.get(expected.real.dtype, TOLERANCES[torch.float32])
    bad = ~torch.isclose(got, expected, rtol=rtol, atol=atol)
    n_bad = int(bad.sum())
    if n_bad == 0:
        return None
    err = (got - expected).abs()
    err = torch.where(torch.isnan(err), torch.full_like(err, math.inf), err)
    first = tuple(int(i) for i in torch.nonzero(bad)[0]) if expected.ndim else ()
    e, g = complex(expected[first].item()), complex(got[first].item())
    return (f"{where}: {n_bad} of {expected.numel()} elements differ (max abs error {float(err.max()):.3g}); "
            f"first at index {first}: expected {_apart(e, g)} [shape {tuple(expected.shape)}, dtype "
            f"{expected.dtype}, |got - expected| <= {atol:g} + {rtol:g} |expected|]")


def _close(a, b) -> bool:
    """Whether tensors ``a`` and ``b`` have the same shape, are both real or both complex, and agree
    within the float64 tolerance."""
    if not (isinstance(a, torch.Tensor) and isinstance(b, torch.Tensor)) or a.shape != b.shape:
        return False
    if a.is_complex() != b.is_complex():
        return False
    rtol, atol = TOLERANCES[torch.float64]
    return bool(torch.isclose(a.to(b.dtype), b, rtol=rtol, atol=atol).all())


# ---------------------------------------------------------------------------
# recon.data_consistency
# ---------------------------------------------------------------------------


def centred_fft(u):
    """The centred orthonormal 2-D FFT over the last two axes: ``fftshift(fft2(ifftshift(u),
    norm="ortho"))``, the zero frequency at ``(H // 2, W // 2)``; :func:`coursekit.degrade.kspace`."""
    return torch.fft.fftshift(torch.fft.fft2(torch.fft.ifftshift(u, dim=_DIMS), norm="ortho"), dim=_DIMS)


def centred_ifft(k):
    """The inverse of :func:`centred_fft`: ``fftshift(ifft2(ifftshift(k), norm="ortho"))``."""
    return torch.fft.fftshift(torch.fft.ifft2(torch.fft.ifftshift(k, dim=_DIMS), norm="ortho"), dim=_DIMS)


def data_consistency_reference(x, y, mask):
    """``ifft_c(where(mask, y, fft_c(x)))``: the image whose k-space is the measured ``y`` in the
    sampled columns (``mask``, ``(W,)`` bool, broadcast over the rows) and the estimate ``x``'s
    elsewhere; complex ``(H, W)``."""
    return centred_ifft(torch.where(mask, y, centred_fft(x)))


def _complex_image(gen, shape):
    return torch.complex(torch.randn(shape, generator=gen, dtype=torch.float64),
                         torch.randn(shape, generator=gen, dtype=torch.float64))


def _column_mask(gen, width, sampled, centre):
    """``(width,)`` bool: the ``centre`` columns around ``width // 2`` and ``sampled - centre`` others
    drawn at random (as :func:`coursekit.degrade.kspace_mask` draws them)."""
    mask = torch.zeros(width, dtype=torch.bool)
    start = width // 2 - centre // 2
    mask[start:start + centre] = True
    others = torch.nonzero(~mask).flatten()
    mask[others[torch.randperm(len(others), generator=gen)[:sampled - centre]]] = True
    return mask


def _case(name, inputs, compare, hint, seed, leave_inputs=False, why="") -> Case:
    """A case compared by ``compare``; with ``leave_inputs``, run by :func:`run_inputs_kept`, so that
    it also fails where the function changes an argument in place (its message says ``why`` that
    matters to the notebook)."""
    if leave_inputs:
        return Case(name, inputs, run=run_inputs_kept, compare=inputs_kept(compare, why=why), hint=hint, seed=seed)
    return Case(name, inputs, compare=compare, hint=hint, seed=seed)


def dc_case(name, shape=(8, 10), sampled=4, centre=2, estimate="random", hint="", seed=0,
            leave_inputs=False) -> Case:
    """A ``data_consistency`` case on an ``(H, W)`` = ``shape`` image: ``mask`` samples ``sampled``
    of the ``W`` columns, ``centre`` of them around ``W // 2``; ``y`` the centred k-space of a
    random complex image, zero in the other columns; ``x`` a random complex estimate
    (``"random"``, inconsistent with ``y`` everywhere) or the zero-filled image ``ifft_c(y)``
    (``"zero_filled"``, which is consistent already). With ``leave_inputs``, the case also fails
    where the function changes ``x``, ``y`` or ``mask`` in place."""
    def inputs(gen):
        mask = _column_mask(gen, shape[1], sampled, centre)
        y = centred_fft(_complex_image(gen, shape)) * mask
        x = _complex_image(gen, shape) if estimate == "random" else centred_ifft(y)
        return dict(x=x, y=y, mask=mask)
    return _case(name, inputs, compare_dc, hint, seed, leave_inputs, why=(
        "ISTA calls data_consistency with the same y at every iteration, and for every threshold it tries"))


def _dc_mistakes(inputs) -> dict[str, torch.Tensor]:
    """What the usual mistakes return on ``inputs``, each under the message that names it."""
    x, y, mask = inputs["x"], inputs["y"], inputs["mask"]
    k = centred_fft(x)

    def fft_ifft(before, after, norm="ortho"):
        """The data-consistency step with the shifts ``before`` and ``after`` each transform, and ``norm``."""
        forward = after(torch.fft.fft2(before(x), norm=norm))
        return after(torch.fft.ifft2(before(torch.where(mask, y, forward)), norm=norm))

    def shift(u):
        return torch.fft.fftshift(u, dim=_DIMS)

    def unshift(u):
        return torch.fft.ifftshift(u, dim=_DIMS)

    def same(u):
        return u

    return {
        "the k-space of the expected image: transform it back with the centred inverse FFT": torch.where(mask, y, k),
        "the mask inverted: the sampled columns must take y, the others keep the estimate's k-space "
        "(torch.where(mask, y, k))": centred_ifft(torch.where(mask, k, y)),
        "the mean of y and the estimate's k-space in the sampled columns: replace them by y, do not average":
            centred_ifft(torch.where(mask, (y + k) / 2, k)),
        "the transforms without norm=\"ortho\": fft2's default leaves the k-space sqrt(H * W) times larger than "
        "y, which is orthonormal": fft_ifft(unshift, shift, norm="backward"),
        "the transforms without the shifts: y has its zero frequency at (H // 2, W // 2), fft2's at (0, 0); "
        "ifftshift before each transform, fftshift after": fft_ifft(same, same),
        "fftshift where ifftshift belongs: on an odd axis the two differ by one place; ifftshift before each "
        "transform, fftshift after": fft_ifft(shift, shift),
        "ifftshift where fftshift belongs: on an odd axis the two differ by one place; ifftshift before each "
        "transform, fftshift after": fft_ifft(unshift, unshift),
    }


def compare_dc(expected, got, inputs):
    """:func:`compare_complex`, naming the mistake that ``got`` matches where it is one of the
    usual ones (:func:`_dc_mistakes`)."""
    msg = compare_complex(expected, got, magnitude=(
        "return the complex image itself: the next step of a reconstruction starts from it, and the magnitude is "
        "only what is shown at the end"))
    if msg is None or not (isinstance(got, torch.Tensor) and got.is_complex() and got.shape == expected.shape):
        return msg
    for mistake, result in _dc_mistakes(inputs).items():
        if _close(result, got) and not _close(result, expected):
            return f"output: {mistake}; {msg}"
    return msg


_DC_HINT = ("Transform the estimate with the centred orthonormal FFT (ifftshift, fft2 with norm=\"ortho\", "
            "fftshift), replace its sampled columns by y (torch.where with the mask broadcast over the rows), "
            "and transform back the same way (ifftshift, ifft2 with norm=\"ortho\", fftshift); return the "
            "complex image.")
DC_CASES = (
    dc_case("an 8x10 image (both sizes even), 4 of 10 columns sampled, a random complex estimate", hint=_DC_HINT,
            seed=1),
    dc_case("a 9x7 image (both sizes odd): the zero frequency at (4, 3)", shape=(9, 7), sampled=3, centre=1, hint=(
        "on an odd axis fftshift and ifftshift differ: ifftshift moves the centre (H // 2, W // 2) to (0, 0) "
        "before the transform, fftshift moves (0, 0) back to the centre after it. " + _DC_HINT), seed=2),
    dc_case("a 12x9 image (H != W, 9 odd), 5 of 9 columns sampled", shape=(12, 9), sampled=5, centre=3, hint=(
        "the mask has one entry per column (W of them): mask[None, :] or plain broadcasting, not mask[:, None]. "
        + _DC_HINT), seed=3),
    dc_case("the zero-filled image as the estimate (7x8): it is consistent already, so it comes back unchanged",
            shape=(7, 8), sampled=3, centre=2, estimate="zero_filled", hint=(
        "the estimate's k-space equals y in the sampled columns here, so only a mismatch of the transforms (a "
        "missing shift, or norm) changes it. " + _DC_HINT), seed=4),
    dc_case("every column sampled (6x5): the measured image ifft_c(y), whatever the estimate", shape=(6, 5),
            sampled=5, centre=1, hint=(
        "with every column sampled nothing of the estimate's k-space is left: the result is the inverse "
        "centred FFT of y. " + _DC_HINT), seed=5),
    dc_case("x, y and mask are left as they were (10x7, a random estimate)", shape=(10, 7), sampled=3, centre=1,
            leave_inputs=True, hint=(
        "assigning the measured columns into y, or into x's k-space where it is x itself, changes the caller's "
        "tensor: build the new k-space with torch.where(mask, y, k), or clone before assigning. " + _DC_HINT),
            seed=7),
)

# ---------------------------------------------------------------------------
# recon.ramp_filter
# ---------------------------------------------------------------------------


def ramp_padding(bins: int) -> int:
    """The rows a ``bins``-bin sinogram is zero-padded to before the FFT: ``max(64, 2 ** ceil(log2(2 bins)))``
    (skimage's ``iradon``); at least ``2 bins``, so the circular convolution does not wrap around."""
    return max(64, 2 ** math.ceil(math.log2(2 * bins)))


def _ramp(sino, rows: int, gain: float = 2.0, absolute: bool = True):
    """``sino`` filtered along its rows, zero-padded to ``rows`` rows, with ``gain |fftfreq|``
    (or ``gain fftfreq`` when not ``absolute``); the real part of the first ``D`` rows."""
    freq = torch.fft.fftfreq(rows, dtype=torch.float64)
    response = gain * (freq.abs() if absolute else freq)
    return torch.fft.ifft(torch.fft.fft(sino, n=rows, dim=0) * response[:, None], dim=0).real[: sino.shape[0]]


def ramp_filter_reference(sino):
    """Each column of the float64 ``(D, V)`` sinogram filtered along the detector axis by the ramp
    ``2 |fftfreq(P)|``, zero-padded to ``P = max(64, 2 ** ceil(log2(2 D)))`` rows; float64 ``(D, V)``."""
    return _ramp(sino, ramp_padding(sino.shape[0]))


def ramp_case(name, shape=(12, 5), kind="random", hint="", seed=0, leave_inputs=False) -> Case:
    """A ``ramp_filter`` case: ``kind`` ``"random"``, a float64 ``shape`` = ``(D, V)`` sinogram of
    values in [0, 1); or ``"disc"``, :func:`coursekit.degrade.sinogram` (skimage's ``radon``) of a
    ``S x S`` image of random values inside an off-centre disc, ``S = shape[0]`` (``D`` is then
    ``ceil(S sqrt 2)``, or one more), at ``shape[1]`` views. With ``leave_inputs``, the case also
    fails where the function changes ``sino`` in place."""
    def inputs(gen):
        if kind == "random":
            return dict(sino=torch.rand(shape, generator=gen, dtype=torch.float64))
        from ...degrade import sinogram
        size = shape[0]
        yy, xx = torch.meshgrid(torch.arange(size, dtype=torch.float64), torch.arange(size, dtype=torch.float64),
                                indexing="ij")
        disc = (yy - 0.4 * size) ** 2 + (xx - 0.55 * size) ** 2 <= (0.3 * size) ** 2
        image = (0.5 + 0.5 * torch.rand(size, size, generator=gen, dtype=torch.float64)) * disc
        return dict(sino=sinogram(image[None, None].float(), shape[1])[0, 0].double())
    return _case(name, inputs, compare_ramp, hint, seed, leave_inputs, why=(
        "the notebook back-projects the same sinogram unfiltered too, to show what the filter does"))


def _ramp_mistakes(sino) -> dict[str, torch.Tensor]:
    """What the usual mistakes return for ``sino``, each under the message that names it."""
    d, v = sino.shape
    p = ramp_padding(d)
    reasons: dict[int, list[str]] = {}
    for rows, why in ((d, "no zero-padding: the circular convolution wraps around"),
                      (2 ** math.ceil(math.log2(2 * d)), "2 ** ceil(log2(2 D)) without the minimum of 64"),
                      (2 * d, "2 D rows, not a power of two"),
                      (2 ** math.ceil(math.log2(d)), "the next power of two above D, not above 2 D"),
                      (64, "always 64 rows"),
                      (4 * d if (2 * d) & (2 * d - 1) == 0 else 0,     # only where 2 D is a power of two
                       "2 ** (floor(log2(2 D)) + 1), or (2 D).bit_length(): one power of two too many where 2 D "
                       "is a power of two already, and then P = 2 D")):
        if rows != p and rows >= d and why not in reasons.get(rows, []):
            reasons.setdefault(rows, []).append(why)
    out = {f"the detector axis padded to {rows} rows ({'; or '.join(why)}); pad it to P = max(64, 2 ** ceil("
           f"log2(2 D))) = {p} rows for D = {d}": _ramp(sino, rows) for rows, why in reasons.items()}
    out["the filter |f| without its factor 2: multiply by 2 * abs(fftfreq(P))"] = _ramp(sino, p, gain=1.0)
    out["the filter fftfreq(P) without abs: the ramp is |f|, even in f"] = _ramp(sino, p, absolute=False)
    out["a filter along the views (dim 1): each column, one view, is filtered along the detector axis (dim 0)"] = (
        _ramp(sino.T.contiguous(), ramp_padding(v)).T)
    return out


def compare_ramp(expected, got, inputs):
    """:func:`compare_values`, saying so where the result is complex, and naming the mistake that
    ``got`` matches where it is one of the usual ones (:func:`_ramp_mistakes`)."""
    if isinstance(got, torch.Tensor) and got.is_complex():
        return (f"output: expected a real sinogram, dtype {expected.dtype}, shape {tuple(expected.shape)}; got a "
                f"complex tensor ({got.dtype}): the inverse FFT of the filtered sinogram is complex only by "
                "rounding, so return its real part")
    msg = compare_values(expected, got)
    if msg is None or not (isinstance(got, torch.Tensor) and got.shape == expected.shape
                           and got.dtype == expected.dtype):
        return msg
    for mistake, result in _ramp_mistakes(inputs["sino"]).items():
        if _close(result, got):
            return f"output: {mistake}; {msg}"
    return msg


_RAMP_HINT = ("Zero-pad each column to P = max(64, 2 ** ceil(log2(2 D))) rows (torch.fft.fft(sino, n=P, dim=0) "
              "does it), multiply along dim 0 by 2 * abs(torch.fft.fftfreq(P)) (float64, one value per row), "
              "inverse FFT along dim 0, and return the real part of the first D rows.")
RAMP_CASES = (
    ramp_case("a random 12x5 sinogram (12 bins, 5 views): padded to 64 rows", hint=(
        "64 is the smallest padding: 2 ** ceil(log2(2 * 12)) = 32 is less. " + _RAMP_HINT), seed=1),
    ramp_case("a random 40x6 sinogram: padded to 128 = 2 ** ceil(log2(80)) rows", shape=(40, 6), hint=(
        "with 64 rows, fewer than 2 D = 80, the filtered columns wrap around. " + _RAMP_HINT), seed=2),
    ramp_case("the sinogram of a disc (coursekit.degrade.sinogram of a 10x10 image, 7 views): 15 bins, padded to 64",
              shape=(10, 7), kind="disc", hint=_RAMP_HINT, seed=3),
    ramp_case("the sinogram of a disc in a 24x24 image, 9 views: 34 bins, padded to 128", shape=(24, 9), kind="disc",
              hint=_RAMP_HINT, seed=4),
    ramp_case("a random 33x33 sinogram (as many views as bins): padded to 128", shape=(33, 33), hint=(
        "filter along dim 0, the detector bins, whatever the number of views. " + _RAMP_HINT), seed=5),
    ramp_case("a random 32x4 sinogram: 2 D = 64 is a power of two already, so padded to 64 rows, not 128",
              shape=(32, 4), hint=(
        "2 ** ceil(log2(64)) is 64 itself; 2 ** (floor(log2(2 D)) + 1) and 1 << (2 D).bit_length() give 128 when 2 D "
        "is a power of two. " + _RAMP_HINT), seed=6),
    ramp_case("the sinogram passed in is left as it was", shape=(20, 6), hint=(
        "torch.fft.fft(sino, n=P, dim=0) pads a new tensor; sino -= ..., sino.mul_(...) or sino[:] = ... change the "
        "caller's. " + _RAMP_HINT), seed=7, leave_inputs=True),
)

# ---------------------------------------------------------------------------
# recon.soft_threshold
# ---------------------------------------------------------------------------


def soft_threshold_reference(z, t):
    """``z * max(|z| - t, 0) / |z|``, 0 where ``z == 0``, in ``z``'s dtype (real or complex, any
    shape); ``ValueError`` for a negative ``t``."""
    if t < 0:
        raise ValueError(f"soft_threshold: the threshold t must be >= 0; got {t!r}")
    magnitude = z.abs()
    shrunk = (magnitude - t).clamp_min(0)
    return z * (shrunk / torch.where(magnitude > 0, magnitude, torch.ones_like(magnitude)))


def threshold_case(name, t, shape=(6, 5), kind="complex", zeros=0, hint="", seed=0, leave_inputs=False) -> Case:
    """A ``soft_threshold`` case: ``z`` a ``shape`` tensor, ``"complex"`` (complex128, magnitudes
    spread over [0, 2) and every phase) or ``"real"`` (float64 in (-2, 2)), with its first
    ``zeros`` elements (flattened) exactly 0; the threshold ``t``, a Python float. With
    ``leave_inputs``, the case also fails where the function changes ``z`` in place."""
    def inputs(gen):
        magnitude = 2 * torch.rand(shape, generator=gen, dtype=torch.float64)
        if kind == "complex":
            z = torch.polar(magnitude, 2 * math.pi * torch.rand(shape, generator=gen, dtype=torch.float64))
        else:
            z = magnitude * (1 - 2 * (torch.rand(shape, generator=gen) < 0.5).double())
        z.view(-1)[:zeros] = 0
        return dict(z=z, t=t)
    return _case(name, inputs, compare_threshold, hint, seed, leave_inputs, why=(
        "in the notebook, soft_threshold(line, 0.5) would change line before softshrink(line, 0.5) sees it"))


def _shrink_real(u, t):
    """``sign(u) max(|u| - t, 0)`` for a real ``u``."""
    return u.sign() * (u.abs() - t).clamp_min(0)


def compare_threshold(expected, got, inputs):
    """:func:`compare_complex` (or :func:`compare_values`, for a real ``z``), saying so where the
    result has NaN at ``z == 0``, or is what thresholding the real and imaginary parts separately,
    or hard thresholding, gives."""
    z, t = inputs["z"], inputs["t"]
    if isinstance(got, torch.Tensor) and got.shape == expected.shape and (got.is_floating_point() or got.is_complex()):
        nan = torch.isnan(got) & ~torch.isnan(expected)
        if nan.any():
            at_zero = bool((z[nan] == 0).all())
            return (f"output: NaN at {int(nan.sum())} of {got.numel()} elements"
                    + (", every one where z == 0: max(|z| - t, 0) / |z| is 0 / 0 there; divide only where "
                       "|z| > 0 (torch.where) and give 0 elsewhere" if at_zero else ""))
    if not expected.is_complex():
        return compare_values(expected, got)
    msg = compare_complex(expected, got)
    if msg is None or not (isinstance(got, torch.Tensor) and got.is_complex() and got.shape == expected.shape):
        return msg
    mistakes = {
        "the real and imaginary parts thresholded separately: shrink the magnitude |z| and keep the phase":
            torch.complex(_shrink_real(z.real, t), _shrink_real(z.imag, t)),
        "hard thresholding (z kept where |z| > t, else 0): the magnitudes that stay must shrink by t too":
            z * (z.abs() > t),
        "z - t * z: the magnitude shrinks by t itself, |z| -> max(|z| - t, 0), not by a share t of it":
            (z - t * z, torch.where(z.abs() > t, z - t * z, torch.zeros_like(z))),
    }
    for mistake, results in mistakes.items():
        if any(_close(result, got) for result in (results if isinstance(results, tuple) else (results,))):
            return f"output: {mistake}; {msg}"
    return msg


def compare_value_error(expected, got, inputs):
    if got == expected:
        return None
    return (f"soft_threshold(z, t={inputs['t']!r}): expected a ValueError (a threshold is >= 0: t |z| with t < 0 is "
            f"not a penalty), but it {got}")


def threshold_error_case(name, t, shape=(4,), hint="", seed=0) -> Case:
    """A case with ``t < 0``: ``soft_threshold`` must raise ValueError."""
    def inputs(gen):
        return dict(z=torch.complex(*torch.randn(2, *shape, generator=gen, dtype=torch.float64)), t=t)
    return Case(name, inputs, run=call_expecting_value_error, compare=compare_value_error, hint=hint, seed=seed)


_THRESHOLD_HINT = ("Compute the magnitude |z| (z.abs(), real), the shrunk magnitude max(|z| - t, 0), and their "
                   "ratio where |z| > 0 (torch.where; 0 elsewhere, not 0 / 0); multiply z by it. One formula for real "
                   "and complex z; keep z's dtype.")
THRESHOLD_CASES = (
    threshold_case("complex 6x5, t = 0.5: some magnitudes below t, most above", 0.5, hint=(
        "for a complex z only the magnitude shrinks, by t: the phase z / |z| stays. " + _THRESHOLD_HINT), seed=1),
    threshold_case("complex, 3 elements exactly 0, t = 0.3: 0 stays 0, no NaN", 0.3, shape=(10,), zeros=3, hint=(
        "at z == 0 the ratio max(|z| - t, 0) / |z| is 0 / 0 = NaN: give 0 there. " + _THRESHOLD_HINT), seed=2),
    threshold_case("real float64, 2 zeros, t = 0.25: sign(z) max(|z| - t, 0), real out", 0.25, shape=(3, 4),
                   kind="real", zeros=2, hint=(
        "for a real z the formula is sign(z) * max(|z| - t, 0), and the result stays real (float64). "
        + _THRESHOLD_HINT), seed=3),
    threshold_case("t = 0: z comes back unchanged, its zeros included", 0.0, shape=(2, 3), zeros=1,
                   hint=_THRESHOLD_HINT, seed=4),
    threshold_case("a complex 2x3x4 tensor (any shape), t = 1.5: most of it set to 0", 1.5, shape=(2, 3, 4),
                   hint=_THRESHOLD_HINT, seed=5),
    threshold_error_case("t = -0.1: a negative threshold, so ValueError", -0.1, hint=(
        "check that t >= 0 and raise ValueError(...) with a message that says so, before any arithmetic."), seed=6),
    threshold_case("z is left as it was (complex 4x5, t = 0.4)", 0.4, shape=(4, 5), leave_inputs=True, hint=(
        "z.mul_(...), z *= ... or z[...] = ... change the caller's tensor: return z * ratio, a new one. "
        + _THRESHOLD_HINT), seed=7),
)

# ---------------------------------------------------------------------------
# recon.interpolate_slices
# ---------------------------------------------------------------------------


def _positions(factor: int, depth: int, kept: int):
    """For each of ``depth`` slices: the kept slices ``a`` and ``b`` around it and the weight ``w``
    of ``b`` (``b == a``, the last kept slice, past it)."""
    z = torch.arange(depth, dtype=torch.float64) / factor
    below = z.floor().long().clamp(max=kept - 1)
    above = (below + 1).clamp(max=kept - 1)
    return below, above, (z - below).clamp(0, 1)


def interpolate_slices_reference(thin, factor, depth):
    """Slice ``d`` of the ``(depth, H, W)`` result: ``(1 - w) thin[a] + w thin[a + 1]``, ``a = d // factor``,
    ``w = (d mod factor) / factor``; the last kept slice repeated past it. ``thin``: ``(D', H, W)``."""
    below, above, weight = _positions(factor, depth, thin.shape[0])
    weight = weight.to(thin.dtype).view(-1, 1, 1)
    return (1 - weight) * thin[below] + weight * thin[above]


def slices_case(name, factor, depth, size=(3, 4), hint="", seed=0, leave_inputs=False) -> Case:
    """An ``interpolate_slices`` case: ``thin``, the ``ceil(depth / factor)`` kept slices of a random
    float64 volume of ``depth`` slices of ``size``, every ``factor``-th from the first. With
    ``leave_inputs``, the case also fails where the function changes ``thin`` in place."""
    def inputs(gen):
        volume = torch.rand(depth, *size, generator=gen, dtype=torch.float64)
        return dict(thin=volume[::factor].clone(), factor=factor, depth=depth)
    return _case(name, inputs, compare_slices, hint, seed, leave_inputs, why=(
        "in the notebook thin = volume[::factor] is a view of the volume that the result is scored against, so "
        "changing thin changes that volume"))


def compare_slices(expected, got, inputs):
    """:func:`compare_values`; where a slice differs, says what the first one should be: which kept
    slices it lies between, with which weights, or that it lies past the last kept slice."""
    msg = compare_values(expected, got)
    if msg is None or not (isinstance(got, torch.Tensor) and got.shape == expected.shape
                           and got.dtype == expected.dtype):
        return msg
    rtol, atol = TOLERANCES[torch.float64]
    bad = ~torch.isclose(got, expected, rtol=rtol, atol=atol).flatten(1).all(dim=1)
    d = int(torch.nonzero(bad)[0])
    factor, kept = inputs["factor"], inputs["thin"].shape[0]
    below, above, weight = _positions(factor, expected.shape[0], kept)
    below, above, weight = int(below[d]), int(above[d]), float(weight[d])
    if d > (kept - 1) * factor:
        want = (f"it lies past the last kept slice, thin[{kept - 1}] at depth {(kept - 1) * factor}, so it "
                f"repeats it (nothing is extrapolated)")
    elif weight == 0:
        want = f"it is kept slice thin[{below}] itself (depth {d} = {below} * {factor})"
    else:
        want = (f"it lies between thin[{below}] (depth {below * factor}) and thin[{above}] (depth {above * factor}), "
                f"so it is {1 - weight:.4g} * thin[{below}] + {weight:.4g} * thin[{above}]"
                + ("" if weight == 0.5 else ": the nearer slice weighs more"))
    return f"output slice {d} (of {expected.shape[0]}) differs: {want}; {msg}"


_SLICES_HINT = ("For each output slice d: a = d // factor, w = (d % factor) / factor, b = a + 1; the slice is "
                "(1 - w) * thin[a] + w * thin[b], with a and b no larger than the last kept slice (past it, the "
                "last slice is repeated).")
SLICES_CASES = (
    slices_case("factor 2, depth 8 (a multiple of 2): 4 kept slices of 3x4, slice 7 past the last", 2, 8, hint=(
        "w is the weight of the slice above (b), 1 - w that of the slice below (a). " + _SLICES_HINT), seed=1),
    slices_case("factor 3, depth 10 (10 % 3 = 1): kept at depths 0, 3, 6 and 9, none past the last", 3, 10,
                size=(2, 5), hint=(
        "ceil(10 / 3) = 4 slices are kept, the last one at depth 9 = depth - 1. " + _SLICES_HINT), seed=2),
    slices_case("factor 4, depth 11 (11 % 4 = 3): kept at 0, 4 and 8; slices 9 and 10 repeat slice 8", 4, 11,
                size=(4, 3), hint=(
        "past the last kept slice there is nothing to interpolate towards: repeat it, do not extrapolate. "
        + _SLICES_HINT), seed=3),
    slices_case("factor 1: the volume comes back unchanged", 1, 5, hint=_SLICES_HINT, seed=4),
    slices_case("factor 5, depth 4: a single kept slice, repeated 4 times", 5, 4, size=(2, 2), hint=(
        "ceil(4 / 5) = 1 slice is kept; every slice lies past it (or on it). " + _SLICES_HINT), seed=5),
    slices_case("the kept slices passed in are left as they were", 3, 9, hint=(
        "(1 - w) * thin[a] + w * thin[b] makes new tensors; thin[a] *= ..., thin.mul_(...) or out = thin followed by "
        "out[...] = ... change the caller's. " + _SLICES_HINT), seed=6, leave_inputs=True),
)

# coursekit's own answers (the chapter uses them) and torch's: a notebook function that only calls
# one of them earns no points, as one imported from coursekit does not.
DC_FORBIDDEN = ("coursekit.reconstruct.data_consistency", "coursekit.degrade.kspace",
                "coursekit.degrade.image_from_kspace")
TASKS = [
    Task("recon.data_consistency", "data consistency for undersampled MRI", "data_consistency", 3,
         data_consistency_reference, DC_CASES, forbidden=DC_FORBIDDEN),
    Task("recon.ramp_filter", "the ramp filter of filtered back-projection", "ramp_filter", 3, ramp_filter_reference,
         RAMP_CASES),
    Task("recon.soft_threshold", "soft thresholding, the proximal operator of the l1 norm", "soft_threshold", 2,
         soft_threshold_reference, THRESHOLD_CASES, forbidden=("torch.nn.functional.softshrink", "torch.nn.Softshrink")),
    Task("recon.interpolate_slices", "slices to a volume by linear interpolation", "interpolate_slices", 2,
         interpolate_slices_reference, SLICES_CASES, forbidden=("coursekit.degrade.interpolate_slices",)),
]

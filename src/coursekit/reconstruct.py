"""Reconstruction: computing an image from measurements that do not determine it, by a classical
iterative method or by a network, and keeping what was measured.

An image reconstruction problem has a forward model ``y = A x`` (:mod:`coursekit.degrade`: the
undersampled k-space of MRI, the sinogram of CT, the pixels outside the holes, the slices kept)
that loses information. A reconstruction must agree with ``y`` (*data consistency*) and fill in
what ``y`` does not say with a prior: smoothness, small total variation, or what a network learned.

Undersampled MRI (``A = M F``: the centred orthonormal FFT, then the sampled columns):

* :func:`data_consistency` the image whose k-space is the measured one where it was measured and
  the estimate's elsewhere: the projection onto every image that agrees with ``y``;
  :func:`kspace_error` how far an image is from agreeing.
* :func:`zero_filled_real` zero-filling that knows the image is real: each column whose mirror
  was measured filled with the mirror's conjugate, the minimum-norm real image that agrees
  with ``y`` (:func:`coursekit.degrade.zero_filled` does not use that the image is real).
* :func:`tv_prox` total-variation denoising by Chambolle's algorithm (the proximal operator of
  ``weight * TV``), batched in torch; the same numbers as ``skimage``'s ``denoise_tv_chambolle``.
* :func:`cs_tv` compressed sensing with a total-variation prior (on the real and the imaginary
  parts, each by itself), by FISTA (ISTA with momentum): with step size 1 its gradient step *is*
  :func:`data_consistency`, so it alternates a projection and a TV denoising. ``real=True``
  and ``nonnegative=True`` add what a simulation from magnitude images knows: a real image,
  no negative pixels.
  :class:`coursekit.models.reconstruction.MRICascade` replaces the TV step by a network.
* :func:`to_channels` / :func:`from_channels`: complex images as (real, imaginary) channels, as
  networks take them.

Sparse-view CT: :func:`sart` (the simultaneous algebraic reconstruction technique, iterations
from the FBP-free start) next to :func:`coursekit.degrade.fbp`; :func:`sinogram_error`;
where the error lies: :func:`centre_distance`, :func:`radial_error` (by distance from the
centre of rotation) and :func:`error_share` (the part of it in a region, such as the corners).

Inpainting and slices to volumes: :func:`keep_known` puts the measured pixels back into a
network's output; :func:`thick_slices` and :func:`interpolate_rows` treat the rows of an image as
the slices of a volume (:func:`interpolated_thick_slices` does both); :func:`thick_axial_slices`
the axial planes that such an acquisition keeps, the only in-plane images it has to learn from;
:func:`masked_psnr` scores only the pixels that were not measured.

Images are ``(N, C, H, W)`` float32 tensors in [0, 1] (complex64 where said); results come
back on their device. Iterations run in torch (:func:`sart` excepted), so on a GPU when given one.
"""
from __future__ import annotations

import math

import numpy as np
import torch
import torch.nn.functional as F

from . import degrade, scans
from .checks import _describe, check_images, check_number, check_positive_int, check_same_shape, check_unit_range

__all__ = ["to_channels", "from_channels", "data_consistency", "kspace_error", "zero_filled_real", "tv_prox", "cs_tv", "sart",
           "sinogram_error", "centre_distance", "radial_error", "error_share", "keep_known", "thick_slices",
           "interpolate_rows", "interpolated_thick_slices", "thick_axial_slices", "flips", "masked_psnr", "CS_WEIGHTS", "SART_ITERATIONS"]

# The strengths that the chapter's notebook and benchmark try on validation images (restore.tune warns
# when the best lies at an end of the range): the TV weight of cs_tv, as a share of the image range,
# and the number of SART iterations.
CS_WEIGHTS = (0.0001, 0.0003, 0.001, 0.002, 0.005, 0.01, 0.02)
SART_ITERATIONS = (1, 2, 4, 8, 16, 32, 64, 128)


# ---------------------------------------------------------- undersampled MRI

def to_channels(z: torch.Tensor) -> torch.Tensor:
    """Complex ``(N, 1, H, W)`` -> float32 ``(N, 2, H, W)``: the real part, then the imaginary part."""
    if not isinstance(z, torch.Tensor) or not z.is_complex() or z.ndim != 4 or z.shape[1] != 1:
        raise TypeError(f"z: expected complex (N, 1, H, W) images, as degrade.image_from_kspace returns; got "
                        f"{_describe(z)}")
    return torch.cat([z.real, z.imag], dim=1).float()


def from_channels(x: torch.Tensor) -> torch.Tensor:
    """Float ``(N, 2, H, W)`` (real, imaginary) -> complex64 ``(N, 1, H, W)``: the inverse of
    :func:`to_channels`."""
    if not isinstance(x, torch.Tensor) or x.is_complex() or x.ndim != 4 or x.shape[1] != 2:
        raise TypeError(f"x: expected real (N, 2, H, W) images (real and imaginary channels), as to_channels "
                        f"returns; got {_describe(x)}")
    return torch.complex(x[:, :1].float(), x[:, 1:].float())


def _check_measured(k, mask, like: torch.Tensor) -> tuple[torch.Tensor, torch.Tensor]:
    if not isinstance(k, torch.Tensor) or not k.is_complex() or k.shape != like.shape:
        raise ValueError(f"k: expected the measured complex k-space, of the images' shape {tuple(like.shape)}, as "
                         f"degrade.undersample returns; got {_describe(k)}")
    return k.to(like.device), degrade._check_column_mask(mask, like.shape[-1]).to(like.device)


def _check_missing(missing) -> None:
    if not isinstance(missing, torch.Tensor) or missing.dtype != torch.bool:
        raise ValueError(f"missing: expected a bool tensor, True where a pixel was not measured; got "
                         f"{_describe(missing)}")


def data_consistency(images: torch.Tensor, k: torch.Tensor, mask: torch.Tensor) -> torch.Tensor:
    """The image whose k-space equals the measured ``k`` in the sampled columns and the k-space of
    ``images`` elsewhere: ``F^-1(M y + (1 - M) F x)``, complex64 ``(N, C, H, W)``.

    images: real or complex ``(N, C, H, W)``, an estimate (a network's output); k: the measured
    k-space, as :func:`coursekit.degrade.undersample` returns (zero where not sampled); mask:
    ``(W,)`` bool, the sampled columns. Of all images that agree with the measurements, this is
    the closest to the estimate (an orthogonal projection, since the FFT is orthonormal).
    Differentiable, so a network can have it as a layer.
    """
    z = images if images.is_complex() else images.to(torch.complex64)
    k, mask = _check_measured(k, mask, z)
    return degrade.image_from_kspace(torch.where(mask, k, degrade.kspace(z)))


def kspace_error(images: torch.Tensor, k: torch.Tensor, mask: torch.Tensor) -> float:
    """How far ``images`` are from agreeing with the measurements: ``||M F x - y|| / ||y||``
    over the whole set (0 for an image that :func:`data_consistency` returned)."""
    z = images if images.is_complex() else images.to(torch.complex64)
    k, mask = _check_measured(k, mask, z)
    diff = (degrade.kspace(z) - k) * mask
    return float(diff.abs().pow(2).sum().sqrt() / k.abs().pow(2).sum().sqrt())


def zero_filled_real(k: torch.Tensor, mask: torch.Tensor, clip: bool = True) -> torch.Tensor:
    """Zero-filling for a *real* image: the minimum-norm real image that agrees with the measured
    k-space. Float32 ``(N, C, H, W)``, clipped to [0, 1] unless ``clip=False``.

    The k-space of a real image is conjugate symmetric, ``X(-k) = conj X(k)``, so a measured
    column also gives its mirror column (the zero frequency at ``(H // 2, W // 2)``, as
    :func:`coursekit.degrade.kspace` puts it). Each column that was not measured but whose mirror
    was is filled with the mirror's conjugate, the others stay zero, and the real part of the
    inverse FFT is returned (for measurements of a real image it is real up to rounding). The
    baseline that :func:`coursekit.degrade.zero_filled` leaves out: a network trained on real
    images can learn this symmetry; zero-filling of the complex image cannot.
    k: measured complex ``(N, C, H, W)`` k-space (:func:`coursekit.degrade.undersample`); mask:
    ``(W,)`` bool, the sampled columns.
    """
    if not isinstance(k, torch.Tensor) or not k.is_complex() or k.ndim != 4:
        raise ValueError(f"k: expected the measured complex (N, C, H, W) k-space, as degrade.undersample "
                         f"returns; got {_describe(k)}")
    k, mask = _check_measured(k, mask, k)
    h, w = k.shape[-2:]
    rows = (2 * (h // 2) - torch.arange(h, device=k.device)) % h      # index of frequency -f for f's index
    cols = (2 * (w // 2) - torch.arange(w, device=k.device)) % w
    measured = k * mask
    mirrored = measured.index_select(-2, rows).index_select(-1, cols).conj()
    out = degrade.image_from_kspace(torch.where(mask, measured, mirrored)).real.float()
    return out.clamp(0, 1) if clip else out


def tv_prox(images: torch.Tensor, weight: float, iterations: int = 50) -> torch.Tensor:
    """Total-variation denoising of each channel of each image by Chambolle's (2004) projection
    algorithm: approximately ``argmin_u ||u - x||^2 / 2 + weight * TV(u)``, with the isotropic
    TV of forward differences. ``(N, C, H, W)`` real -> the same, float32, not clipped.

    The same iteration as ``skimage.restoration.denoise_tv_chambolle`` (step 1/4, the result of
    the ``iterations``-th iterate; skimage also stops early when the energy stalls), batched over
    images and channels, in torch.
    """
    check_images(images, "images")
    weight = check_number(weight, "weight", "the strength of the TV prior", low_included=False)
    iterations = check_positive_int(iterations, "iterations")
    x = images.float()
    p = torch.zeros((2,) + x.shape, dtype=x.dtype, device=x.device)   # the dual variable, one per axis
    out, tau = x, 0.25
    for i in range(iterations):
        if i > 0:
            d = -p.sum(0)                     # minus the divergence of p
            d[..., 1:, :] += p[0, ..., :-1, :]
            d[..., :, 1:] += p[1, ..., :, :-1]
            out = x + d
        g = torch.zeros_like(p)
        g[0, ..., :-1, :] = out.diff(dim=-2)
        g[1, ..., :, :-1] = out.diff(dim=-1)
        norm = g.pow(2).sum(0).sqrt()
        p = (p - tau * g) / (1 + tau / weight * norm)
    return out


def cs_tv(k: torch.Tensor, mask: torch.Tensor, weight: float, iterations: int = 100, inner: int = 20,
          clip: bool = True, accelerated: bool = True, real: bool = False, nonnegative: bool = False) -> torch.Tensor:
    """Compressed sensing with a total-variation prior: FISTA on
    ``||M F x - y||^2 / 2 + weight (TV(Re x) + TV(Im x))``, the TV of the real and of the imaginary
    part added (not the TV of the complex image, ``sum |grad x|`` with ``|grad x|^2 = |grad Re x|^2
    + |grad Im x|^2``, which would couple the two parts at each pixel).

    Each iteration takes a gradient step of size 1, ``x - F^-1 M (M F x - y)``, which is exactly
    :func:`data_consistency` (``||M F|| = 1``), and then the proximal step of that penalty, which
    separates: :func:`tv_prox` (``inner`` Chambolle iterations) on the real part and on the
    imaginary part, each by itself. Starts from the zero-filled image. FISTA (Beck and Teboulle 2009)
    takes each step from the last two results extrapolated, ``x_k + (t_{k-1} - 1) / t_k (x_k - x_{k-1})``;
    ``accelerated=False`` gives plain ISTA, which is far slower: on 40 coronal slices of the MNI
    template (64 pixels, 4-fold) at weight 0.03, ISTA reaches 24.1 dB in 30 iterations, 25.9 in 100
    and 26.0 in 200, FISTA 25.9 dB in 20 and 26.1 in 30. Smaller weights need more iterations: at
    0.002 (the best with 100 iterations), FISTA gives 22.2 dB in 30 iterations, 27.3 in 100 and 27.0
    in 300 on all 157 coronal slices.

    ``real=True`` solves for a *real* image instead (the truth of a simulation from magnitude images
    is real): the imaginary part is held at zero, so the proximal step is TV on the real part alone,
    and the start is :func:`zero_filled_real`. ``nonnegative=True`` (with ``real=True``) also sets
    the negative pixels of every iterate to zero after its TV step, as :func:`sart`'s ``box`` keeps
    its iterates in [0, 1]: a projected step that approximates the proximal step of TV plus the
    constraint ``x >= 0``. Undersampling folds the image onto the black background, partly as
    negative values, so this constraint can remove aliasing that TV alone leaves: on the 40 coronal
    slices above, 32.0 dB at weight 0.0003 (300 iterations) against 27.5 dB for the complex image
    at the same weight (27.6 with ``real=True`` alone). Real scanner images are complex, with a
    phase, and give neither prior.

    k: measured complex ``(N, C, H, W)`` k-space (:func:`coursekit.degrade.undersample`); mask:
    ``(W,)`` bool. Returns the magnitude (the real part with ``real=True``), float32
    ``(N, C, H, W)``, clipped to [0, 1] unless ``clip=False``. ``weight`` is the strength to tune
    on validation images.
    """
    iterations = check_positive_int(iterations, "iterations")
    if nonnegative and not real:
        raise ValueError("nonnegative=True needs real=True: only a real image has a sign to constrain")
    x = zero_filled_real(k, mask, clip=False) if real else degrade.image_from_kspace(k)   # a real image stays real
    k, mask = _check_measured(k, mask, x)
    y, t = x, 1.0
    for _ in range(iterations):
        z = data_consistency(y, k, mask)
        if real:
            x_next = tv_prox(z.real, weight, inner)
            x_next = x_next.clamp(min=0) if nonnegative else x_next
        else:
            x_next = torch.complex(tv_prox(z.real, weight, inner), tv_prox(z.imag, weight, inner))
        if accelerated:
            t_next = (1 + math.sqrt(1 + 4 * t * t)) / 2
            y = x_next + ((t - 1) / t_next) * (x_next - x)
            t = t_next
        else:
            y = x_next
        x = x_next
    out = (x if real else x.abs()).float()
    return out.clamp(0, 1) if clip else out


# ----------------------------------------------------------- sparse-view CT

def sart(sino: torch.Tensor, size: int, iterations: int, clip: bool = True, relaxation: float = 0.3,
         box: bool = True) -> torch.Tensor:
    """The simultaneous algebraic reconstruction technique (Andersen and Kak 1984), the iterative
    classical answer to sparse-view CT: ``skimage.transform.iradon_sart`` ``iterations`` times,
    each from the last result, image by image. ``(N, C, D, n_views)`` sinograms of
    :func:`coursekit.degrade.sinogram` -> float32 ``(N, C, size, size)``, clipped to [0, 1]
    unless ``clip=False``. ``iterations`` is the strength to tune: too few leave the streaks,
    too many fit the noise.

    ``box`` (the default) keeps every iterate in [0, 1] (scikit-image's ``clip``), the range of the
    images, which the final clip uses anyway and a network's clipped output is held to as well:
    with 8 views it is SART's strongest prior. Tuned on 200 OrganAMNIST validation slices of 28 pixels
    (8 views), SART scores 18.0 dB on 500 test slices without it (16 iterations) and 19.3 dB with it
    (64 iterations; hence :data:`SART_ITERATIONS` up to 128). ``relaxation`` (> 0) scales each
    update; scikit-image's 0.15 reaches the same best PSNR in three times the iterations (on 100
    validation slices 19.11 dB at 192 against 19.09 dB at 64), and 1 diverges, since its SART
    updates after every view."""
    from skimage.transform import iradon_sart

    check_images(sino, "sino")
    size, iterations = check_positive_int(size, "size"), check_positive_int(iterations, "iterations")
    relaxation = check_number(relaxation, "relaxation", "the weight of each update", low_included=False)
    n_det = sino.shape[-2]
    if size > n_det / math.sqrt(2):
        raise ValueError(f"a sinogram of {n_det} detector bins covers images of at most "
                         f"{int(n_det / math.sqrt(2))} pixels a side; got size {size}")
    theta = np.linspace(0.0, 180.0, sino.shape[-1], endpoint=False)
    start = (n_det - size) // 2         # radon(circle=False) pads the image equally to n_det pixels
    arr = sino.detach().cpu().double().numpy()
    out = np.empty(sino.shape[:2] + (size, size))
    bounds = (0.0, 1.0) if box else None
    for idx in np.ndindex(*sino.shape[:2]):
        x = None
        for _ in range(iterations):
            x = iradon_sart(arr[idx], theta, image=x, relaxation=relaxation, clip=bounds)
        out[idx] = x[start:start + size, start:start + size]
    out = torch.from_numpy(out).float().to(sino.device)
    return out.clamp(0, 1) if clip else out


def sinogram_error(images: torch.Tensor, sino: torch.Tensor) -> float:
    """How far ``images`` are from agreeing with the measured sinogram: ``||R x - p|| / ||p||``
    over the whole set, with ``R`` the projection :func:`coursekit.degrade.sinogram` at the
    sinogram's angles."""
    check_images(sino, "sino")
    projected = degrade.sinogram(images, sino.shape[-1])
    check_same_shape(projected, sino, ("sinogram of images", "sino"))
    sino = sino.to(projected.device)
    return float((projected - sino).pow(2).sum().sqrt() / sino.pow(2).sum().sqrt())


def centre_distance(height: int, width: int) -> torch.Tensor:
    """Each pixel's distance from the centre of an image of ``height`` x ``width`` pixels, in
    pixels: ``(H, W)`` float32, 0 at ``((H - 1) / 2, (W - 1) / 2)``. The views of
    :func:`coursekit.degrade.sinogram` rotate about the image's centre: an error of few views
    that grows with this distance faster than dense views' error on the same images is the
    sampling's, not the anatomy's."""
    check_positive_int(height, "height")
    check_positive_int(width, "width")
    rows = torch.arange(height, dtype=torch.float32) - (height - 1) / 2
    cols = torch.arange(width, dtype=torch.float32) - (width - 1) / 2
    return torch.hypot(rows[:, None], cols[None, :])


def _squared_error(images: torch.Tensor, truth: torch.Tensor) -> torch.Tensor:
    check_images(images, "images")
    check_images(truth, "truth")
    check_same_shape(images, truth, ("images", "truth"))
    return (images - truth.to(images.device)).double().pow(2)


def radial_error(images: torch.Tensor, truth: torch.Tensor, edges) -> np.ndarray:
    """The mean squared error of ``images`` against ``truth`` (both ``(N, C, H, W)``) in rings
    around the image's centre: entry ``i`` pools every image's pixels at a
    :func:`centre_distance` ``d`` with ``edges[i] <= d < edges[i + 1]``. ``edges``: increasing
    distances in pixels (at least two). Returns ``(len(edges) - 1,)`` float64; NaN for a ring
    that holds no pixel."""
    edges = np.asarray(edges, dtype=float)
    if edges.ndim != 1 or len(edges) < 2 or not np.all(np.diff(edges) > 0):
        raise ValueError(f"radial_error: edges must be at least two increasing distances in pixels, "
                         f"e.g. numpy.arange(0, 22, 2); got {edges.tolist()}")
    error = _squared_error(images, truth)
    d = centre_distance(*error.shape[-2:]).to(error.device)
    out = []
    for low, high in zip(edges[:-1], edges[1:]):
        ring = (d >= low) & (d < high)
        out.append(float(error[..., ring].mean()) if ring.any() else float("nan"))
    return np.array(out)


def error_share(images: torch.Tensor, truth: torch.Tensor, region: torch.Tensor) -> float:
    """The share (0 to 1) of the squared error of ``images`` against ``truth`` (both
    ``(N, C, H, W)``), summed over the set, that lies in ``region``: a bool ``(H, W)`` mask, e.g.
    ``centre_distance(h, w) > h / 2`` for the corners outside the inscribed circle. Compare it
    with the region's share of the pixels, ``region.float().mean()``. NaN when there is no error."""
    error = _squared_error(images, truth)
    if not isinstance(region, torch.Tensor) or region.dtype != torch.bool or region.shape != error.shape[-2:]:
        raise ValueError(f"error_share: region must be a bool tensor of the images' height and width "
                         f"{tuple(error.shape[-2:])}, e.g. centre_distance(h, w) > h / 2; got {_describe(region)}")
    total = float(error.sum())
    return float(error[..., region.to(error.device)].sum()) / total if total > 0 else float("nan")


# ------------------------------------------ inpainting, slices to volumes

def keep_known(output: torch.Tensor, observed: torch.Tensor, missing: torch.Tensor) -> torch.Tensor:
    """Data consistency where the measurements are pixels: ``observed`` where it was measured,
    ``output`` where ``missing`` (bool, broadcastable to ``(N, C, H, W)``: a
    :func:`coursekit.degrade.box_mask`, or the rows :func:`thick_slices` did not keep) is True."""
    check_same_shape(output, observed, ("output", "observed"))
    _check_missing(missing)
    return torch.where(missing.to(output.device), output, observed.to(output.device))


def thick_slices(images: torch.Tensor, factor: int) -> tuple[torch.Tensor, torch.Tensor]:
    """Every ``factor``-th row of each image, the first one included, as a scanner with slices
    ``factor`` times thicker would keep them if the rows were slices
    (:func:`coursekit.degrade.thin_slices`): ``(N, C, H, W)`` -> ``(N, C, ceil(H / factor), W)``,
    and ``(H, 1)`` bool, True for each row that was *not* kept (for :func:`keep_known`)."""
    check_images(images, "images")
    factor = check_positive_int(factor, "factor")
    thin = degrade.thin_slices(images.unsqueeze(-1), factor).squeeze(-1)
    missing = torch.ones(images.shape[-2], 1, dtype=torch.bool)
    missing[::factor] = False
    return thin, missing


def interpolate_rows(thin: torch.Tensor, factor: int, height: int) -> torch.Tensor:
    """The classical answer to :func:`thick_slices`: the missing rows interpolated linearly
    between the kept rows around them (:func:`coursekit.degrade.interpolate_slices`, with rows as
    slices). ``(N, C, ceil(height / factor), W)`` -> ``(N, C, height, W)``."""
    check_images(thin, "thin")
    return degrade.interpolate_slices(thin.unsqueeze(-1), factor, height).squeeze(-1)


def interpolated_thick_slices(images: torch.Tensor, factor: int) -> tuple[torch.Tensor, torch.Tensor]:
    """The slices-to-volumes task on the rows of ``images`` ``(N, C, H, W)``: every ``factor``-th
    row kept (:func:`thick_slices`) and the others interpolated linearly (:func:`interpolate_rows`).
    Returns ``(interpolated (N, C, H, W), missing (H, 1) bool)``, the network's input and the rows
    it must fill."""
    kept, missing = thick_slices(images, factor)
    return interpolate_rows(kept, factor, images.shape[-2]), missing


def thick_axial_slices(volume: scans.Volume, factor: int, size: int | None = None, min_foreground: float = 0.1,
                       threshold: float = 0.1) -> torch.Tensor:
    """The axial slices that an axial acquisition with slices ``factor`` times thicker has: the
    planes at the heights of the rows that :func:`thick_slices` keeps of the coronal and sagittal
    slices ``scans.slices(volume, plane, size=size)``, cut and oriented as ``scans.slices(volume,
    "axial", ...)`` cuts axial ones. ``(N, 1, S, S)`` float32 in [0, 1], from the bottom up.

    A network that learns the missing slices in-plane (SMORE) may train on these and on nothing
    else: every other axial plane lies, at least in part, in the rows that the acquisition lost.
    Those rows are heights in the coronal slices' frame, after their padding and resizing:
    ``volume.data`` ``(X, Y, Z)`` has its ``z`` axis flipped (top first), padded with zeros equally
    on both sides to the longest side ``S`` and resized to ``size`` (antialiased bilinear), exactly
    as :func:`coursekit.scans.slices` treats the rows of a coronal slice; every ``factor``-th of
    those rows, the first included, is a kept plane. Each kept plane is then an axial slice as
    ``scans.slices`` makes it (front of the head at the top, padded to ``S``, resized to ``size``),
    dropped when less than ``min_foreground`` of its ``X * Y`` voxels exceed ``threshold``. With
    ``factor=1`` and no ``size``, these are ``scans.slices(volume, "axial")``.
    """
    scans._check_ras(volume)
    factor = check_positive_int(factor, "factor")
    scans._check_foreground(min_foreground, threshold)
    d = volume.data.float()
    n_x, n_y, n_z = d.shape
    s = max(d.shape)
    top = (s - n_z) // 2
    heights = F.pad(d.flip(2), (top, s - n_z - top))                  # (X, Y, S): z as a coronal slice's rows
    if size is not None:
        size = check_positive_int(size, "size")
        # resize each voxel column along its last axis; torch mishandles antialiasing along H when W is 1
        heights = F.interpolate(heights.reshape(1, n_x * n_y, 1, s), size=(1, size), mode="bilinear",
                                align_corners=False, antialias=size < s).reshape(n_x, n_y, size)
    stack = heights[:, :, ::factor].flip(2).permute(2, 1, 0).flip(1)     # (kept, Y, X), bottom up, front on top
    return scans._square(stack[(stack > threshold).float().mean(dim=(1, 2)) >= min_foreground], s, size)


def flips(images: torch.Tensor, transposed: bool = False) -> torch.Tensor:
    """``images`` ``(N, C, H, W)`` in their four flips: as they are, left-right, up-down and both,
    ``(4N, C, H, W)`` in that order; with ``transposed`` (square images only), then those four
    transposed too, ``(8N, C, H, H)``, so that the columns play the rows (a training set of slices
    made larger by the symmetries the task has)."""
    check_images(images, "images")
    if transposed and images.shape[-1] != images.shape[-2]:
        raise ValueError(f"transposed flips need square images; got {images.shape[-2]}x{images.shape[-1]}")
    four = torch.cat([images, images.flip(-1), images.flip(-2), images.flip(-1, -2)])
    return torch.cat([four, four.transpose(-1, -2)]) if transposed else four


def masked_psnr(output: torch.Tensor, clean: torch.Tensor, missing: torch.Tensor) -> float:
    """The PSNR (data range 1) over the pixels that were not measured (``missing`` True, bool,
    broadcastable to the images), pooled over the whole set: ``10 log10(1 / MSE)`` with the MSE
    over every missing pixel of every image. The pixels that were measured are copied by any
    consistent method and would only inflate a whole-image score; a hole that falls on black
    background, restored exactly, would make a per-image PSNR infinite."""
    check_same_shape(output, clean, ("output", "clean"))
    check_unit_range(clean, "clean")
    _check_missing(missing)
    missing = missing.to(output.device).expand_as(output)
    if not missing.any():
        raise ValueError("missing: no pixel is marked missing, so there is nothing to score")
    mse = (output.float() - clean.to(output.device).float())[missing].pow(2).mean()
    return float(10 * torch.log10(1 / mse.clamp_min(1e-12)))

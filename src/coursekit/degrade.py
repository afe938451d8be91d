"""Degradations: the forward models that turn a clean image into the one a scanner gives,
each beside its classical inverse.

The enhancement and reconstruction chapters train networks to undo these degradations, and
every network is compared with the classical inverse on the same degraded images. The random
ones take a ``seed`` and draw the same noise (or mask) every call with that seed.

Noise:

* :func:`gaussian_noise` ``x + sigma * eps``: electronic noise; the denoising autoencoder's noise.
* :func:`poisson_noise` ``Poisson(photons * x) / photons``: photon counting (X-ray, low-dose CT).
  The mean stays ``x`` and the variance is ``x / photons``: fewer photons, more noise.
* :func:`transmission_noise`: the same counting, drawn where a radiograph's photons are counted,
  behind the body: ``N ~ Poisson(photons * exp(-mu * x))``, displayed as ``-ln(N / photons) / mu``.
  Bright (attenuating) pixels get the fewest photons and the most noise, as in a real radiograph;
  :func:`poisson_noise` on displayed values does the reverse.
* :func:`rician_noise` ``|x + sigma * (eps_1 + i eps_2)|``: a magnitude MR image. Not zero-mean:
  a black background becomes ``sigma * sqrt(pi / 2)`` on average; :func:`rician_mean` gives the
  mean for any signal.

Resolution:

* :func:`gaussian_blur`: a Gaussian point-spread function; :func:`blurred`: the deblurring
  tasks' observation, the blur and then a little Gaussian noise, kept >= 0.
* :func:`downsample`: the mean over ``factor x factor`` blocks (a detector with larger pixels);
  :func:`upsample`: nearest, bilinear or bicubic interpolation, the super-resolution baseline;
  :func:`block_means`: what :func:`downsample` keeps, at full size (the image less it is the
  detail inside the blocks, which no low-resolution image measures).

Undersampled MRI (Cartesian: whole phase-encoding lines, the columns, are sampled or skipped):

* :func:`kspace`, :func:`image_from_kspace`: the centred, orthonormal 2D Fourier transform and
  its inverse.
* :func:`kspace_mask` which columns are sampled; :func:`undersample` the k-space with the others
  set to zero; :func:`zero_filled` the magnitude of its inverse FFT, the classical baseline.

Sparse-view CT (parallel beam):

* :func:`sinogram`: the Radon transform at ``n_views`` angles over 180 degrees;
  :func:`fbp`: filtered back-projection, the classical baseline (its filter, one of
  :data:`FBP_FILTERS`, to choose on validation images).

Inpainting and slices to volumes:

* :func:`box_mask`: which pixels are missing (random rectangles); :func:`mask_out` blanks them;
  :func:`inpaint`: biharmonic inpainting, the classical baseline.
* :func:`thin_slices`: every ``factor``-th slice of a volume (thick-slice acquisition);
  :func:`interpolate_slices`: linear interpolation between them, the classical baseline.

Images are ``(N, C, H, W)`` float32 tensors in [0, 1] (volumes ``(N, C, D, H, W)``), and
results come back on their device.
"""
from __future__ import annotations

import math

import numpy as np
import torch
import torch.nn.functional as F

from .checks import _describe, check_images, check_nonnegative, check_number, check_positive_int, check_seed, check_unit_range

__all__ = ["gaussian_noise", "poisson_noise", "rician_noise", "rician_mean", "gaussian_blur", "blurred", "downsample", "upsample", "block_means",
           "kspace", "image_from_kspace", "kspace_mask", "undersample", "zero_filled", "sinogram", "fbp",
           "box_mask", "mask_out", "inpaint", "thin_slices", "interpolate_slices", "UPSAMPLE_MODES", "FBP_FILTERS"]

UPSAMPLE_MODES = ("nearest", "bilinear", "bicubic")


def _normal(shape, seed: int, like: torch.Tensor) -> torch.Tensor:
    """Standard normal noise of ``shape``, drawn on the CPU from a generator seeded with ``seed``
    (so that every device gets the same numbers), moved to ``like``'s device and dtype."""
    gen = torch.Generator().manual_seed(check_seed(seed))
    return torch.randn(shape, generator=gen, dtype=torch.float32).to(like.device, like.dtype)


# ------------------------------------------------------------------- noise

def gaussian_noise(images: torch.Tensor, sigma: float, seed: int = 0) -> torch.Tensor:
    """``images + sigma * eps`` with ``eps ~ N(0, 1)`` drawn from a generator seeded
    with ``seed`` (the same noise every call). Not clipped: the noise stays Gaussian."""
    check_images(images, "images")
    sigma = check_number(sigma, "sigma", "the noise's standard deviation")
    return images + sigma * _normal(images.shape, seed, images)


def poisson_noise(images: torch.Tensor, photons: float, seed: int = 0) -> torch.Tensor:
    """Photon-counting noise: ``Poisson(photons * images) / photons``.

    ``photons`` is the expected count of a pixel of value 1 (a dose: 10 is very noisy, 1000
    mild). Each pixel keeps its mean, and its variance is ``images / photons``, so the noise
    grows with the brightness, unlike Gaussian noise. ``images`` ``(N, C, H, W)`` in [0, 1];
    returns the same shape, >= 0, not clipped above. (In a CT scanner the counts are Poisson
    in the projections, before reconstruction; noise drawn on the pixels is the simpler model
    the enhancement chapter starts from.)
    """
    check_unit_range(check_images(images, "images"), "images")
    photons = check_number(photons, "photons", "the expected count at intensity 1", low_included=False)
    gen = torch.Generator().manual_seed(check_seed(seed))
    rates = images.detach().cpu().double().clamp_min(0) * photons
    counts = torch.poisson(rates, generator=gen)
    return (counts / photons).to(images.device, images.dtype)


def transmission_noise(images: torch.Tensor, photons: float, attenuation: float = 3.0,
                       seed: int = 0) -> torch.Tensor:
    """Photon-counting noise of a radiograph, drawn behind the body, where the detector counts.

    A displayed radiograph is bright where the body attenuates the beam. Read a pixel value
    ``x`` in [0, 1] as the line integral ``attenuation * x`` of the attenuation coefficient: the
    detector element behind it counts ``N ~ Poisson(photons * exp(-attenuation * x))`` photons
    (Beer-Lambert), and the display shows ``-ln(N / photons) / attenuation``, back on the scale of
    ``x``. The brightest pixels receive the fewest photons and are the noisiest: for many photons
    the variance is about ``exp(attenuation * x) / (attenuation**2 * photons)``. (:func:`poisson_noise`
    draws counts in proportion to the displayed value, which gives bright pixels the *least*
    relative noise.)

    photons: the expected count of the unattenuated beam (behind a pixel of value 0), > 0: the
    dose. attenuation: the line integral at value 1, > 0 (3: 5% of the photons pass the brightest
    pixels). A count of 0 is read as 0.5 (its logarithm would be infinite), so no value exceeds
    ``ln(2 * photons) / attenuation``. ``images`` ``(N, C, H, W)`` in [0, 1]; returns the same shape
    and dtype, not clipped (a few values fall below 0 or above 1).
    """
    check_unit_range(check_images(images, "images"), "images")
    photons = check_number(photons, "photons", "the expected count of the unattenuated beam", low_included=False)
    attenuation = check_number(attenuation, "attenuation", "the line integral at a pixel value of 1",
                               low_included=False)
    gen = torch.Generator().manual_seed(check_seed(seed))
    expected = photons * torch.exp(-attenuation * images.detach().cpu().double().clamp(0, 1))
    counts = torch.poisson(expected, generator=gen).clamp_min(0.5)
    return (-torch.log(counts / photons) / attenuation).to(images.device, images.dtype)


def rician_noise(images: torch.Tensor, sigma: float, seed: int = 0) -> torch.Tensor:
    """The noise of a magnitude MR image: ``|images + sigma * eps_1 + i sigma * eps_2|``.

    An MR scanner measures a complex signal with Gaussian noise on its real and imaginary
    parts; the image shown is its magnitude, whose noise is Rician: it is biased upwards
    where the signal is weak (a black background becomes ``sigma * sqrt(pi / 2)`` on
    average) and close to Gaussian where it is strong. ``images`` ``(N, C, H, W)`` in [0, 1];
    returns the same shape, >= 0.
    """
    check_unit_range(check_images(images, "images"), "images")
    sigma = check_number(sigma, "sigma", "the standard deviation of each of the two parts")
    noise = _normal((2, *images.shape), seed, images)
    return torch.sqrt((images + sigma * noise[0]) ** 2 + (sigma * noise[1]) ** 2)


def rician_mean(signal, sigma: float) -> torch.Tensor:
    """The mean of :func:`rician_noise`'s output for a true ``signal`` A >= 0 (any shape):

    ``E|A + sigma (eps_1 + i eps_2)| = sigma sqrt(pi / 2) e^(-t) [(1 + 2t) I_0(t) + 2t I_1(t)]``,
    ``t = A^2 / (4 sigma^2)``, with ``I_0`` and ``I_1`` the modified Bessel functions (computed as
    ``i0e``, ``i1e``, which carry the ``e^(-t)``, so a strong signal does not overflow). It is
    ``sigma sqrt(pi / 2)`` at A = 0 and tends to ``sqrt(A^2 + sigma^2)`` as A grows; the bias
    ``rician_mean - A`` is what a denoiser that assumes zero-mean noise leaves in place.
    Returns float64 of ``signal``'s shape; ``sigma`` 0 gives ``signal`` itself."""
    from scipy.special import i0e, i1e

    a = torch.as_tensor(signal).detach().cpu().double()
    check_nonnegative(a, "signal", "a magnitude A >= 0")
    sigma = check_number(sigma, "sigma", "the standard deviation of each of the two parts")
    if sigma == 0:
        return a.clone()
    t = (a / (2 * sigma)) ** 2
    mean = sigma * math.sqrt(math.pi / 2) * ((1 + 2 * t) * torch.from_numpy(i0e(t.numpy()))
                                              + 2 * t * torch.from_numpy(i1e(t.numpy())))
    return mean


# -------------------------------------------------------------- resolution

def gaussian_blur(images: torch.Tensor, sigma: float) -> torch.Tensor:
    """Each image convolved with a Gaussian point-spread function of ``sigma`` pixels:
    ``scipy.ndimage.gaussian_filter`` in float64 along the rows and the columns (a kernel
    summing to 1, cut at 4 sigma; borders reflected). ``sigma`` 0 returns the images as they
    are. ``(N, C, H, W)`` float in, float32 of the same shape out. A Gaussian filter is also
    the simplest denoiser: the same call, with the noise as the input."""
    from scipy.ndimage import gaussian_filter

    check_images(images, "images")
    sigma = check_number(sigma, "sigma", "the point-spread function's width in pixels")
    arr = images.detach().cpu().double().numpy()
    out = gaussian_filter(arr, sigma=(0, 0, sigma, sigma), mode="reflect")   # sigma 0: that axis is left alone
    return torch.from_numpy(out).float().to(images.device)


def blurred(images: torch.Tensor, sigma: float, noise_sigma: float, seed: int = 0) -> torch.Tensor:
    """What a deblurring method is given: ``gaussian_blur(images, sigma)`` plus
    :func:`gaussian_noise` of ``noise_sigma`` (seeded), clipped below at 0, as an intensity
    is (Richardson-Lucy refuses negative values). Not clipped above. ``(N, C, H, W)`` float32."""
    return gaussian_noise(gaussian_blur(images, sigma), noise_sigma, seed=seed).clamp_min(0)


def downsample(images: torch.Tensor, factor: int) -> torch.Tensor:
    """The mean over each ``factor x factor`` block: ``(N, C, H, W)`` -> ``(N, C, H / factor,
    W / factor)``, as a detector with pixels ``factor`` times larger would see the scene.
    ``H`` and ``W`` must be multiples of ``factor`` (no edge is silently dropped)."""
    check_images(images, "images")
    factor = check_positive_int(factor, "factor")
    h, w = images.shape[-2:]
    if h % factor or w % factor:
        raise ValueError(f"images of {h}x{w} pixels cannot be cut into {factor}x{factor} blocks; "
                         f"crop them to a multiple of {factor} first, e.g. images[..., :{h - h % factor}, "
                         f":{w - w % factor}]")
    return F.avg_pool2d(images, factor)


def block_means(images: torch.Tensor, factor: int) -> torch.Tensor:
    """Each ``factor x factor`` block replaced by its mean: :func:`downsample` repeated over its
    blocks (nearest-neighbour :func:`upsample`, unclipped), ``(N, C, H, W)`` -> the same shape.
    ``images - block_means(images, factor)`` is the detail inside the blocks, of mean 0 over each:
    every image with the same low-resolution image differs from ``images`` only there."""
    return upsample(downsample(images, factor), factor, "nearest", clip=False)


def upsample(images: torch.Tensor, factor: int, mode: str = "bicubic", clip: bool = True) -> torch.Tensor:
    """Interpolation to ``factor`` times the size, the classical super-resolution baseline:
    ``mode`` ``"nearest"``, ``"bilinear"`` or ``"bicubic"`` (PyTorch's, whose cubic
    overshoots at edges: clipped to [0, 1] unless ``clip=False``; the clean images lie in [0, 1],
    so clipping can only lower the error, and :func:`coursekit.enhance.apply` clips a network's
    output the same way). ``(N, C, H, W)`` -> ``(N, C, H * factor, W * factor)``."""
    check_images(images, "images")
    factor = check_positive_int(factor, "factor")
    if mode not in UPSAMPLE_MODES:
        raise ValueError(f"mode must be one of {UPSAMPLE_MODES}; got {mode!r}")
    extra = {} if mode == "nearest" else {"align_corners": False}
    out = F.interpolate(images, scale_factor=factor, mode=mode, **extra)
    return out.clamp(0, 1) if clip else out


# ---------------------------------------------------------- undersampled MRI

def kspace(images: torch.Tensor) -> torch.Tensor:
    """The centred, orthonormal 2D FFT of each image: complex ``(N, C, H, W)`` with the zero
    frequency at ``(H // 2, W // 2)``. Orthonormal, so the energy is the same in both domains.
    ``images`` are real (float) or complex ``(N, C, H, W)`` (an estimate, or
    :func:`image_from_kspace`'s result)."""
    if isinstance(images, torch.Tensor) and images.is_complex():
        if images.ndim != 4 or not torch.isfinite(torch.view_as_real(images)).all():
            raise ValueError(f"images: expected finite complex (N, C, H, W) images; got {_describe(images)}")
    else:
        check_images(images, "images")
    shifted = torch.fft.ifftshift(images, dim=(-2, -1))
    return torch.fft.fftshift(torch.fft.fft2(shifted, norm="ortho"), dim=(-2, -1))


def image_from_kspace(k: torch.Tensor) -> torch.Tensor:
    """The inverse of :func:`kspace`: complex ``(N, C, H, W)`` images."""
    if not isinstance(k, torch.Tensor) or not k.is_complex() or k.ndim != 4:
        raise TypeError(f"k: expected complex (N, C, H, W) k-space, as kspace() returns; got "
                        f"{_describe(k)}")
    shifted = torch.fft.ifftshift(k, dim=(-2, -1))
    return torch.fft.fftshift(torch.fft.ifft2(shifted, norm="ortho"), dim=(-2, -1))


def kspace_mask(width: int, acceleration: float, center_fraction: float = 0.08, seed: int = 0) -> torch.Tensor:
    """Which of ``width`` k-space columns are sampled: ``(width,)`` bool.

    Exactly ``round(width / acceleration)`` columns: the ``round(width * center_fraction)``
    columns around the zero frequency (the contrast of the image lives there), and the rest
    drawn at random, without repeats, from the other columns (seeded). ``acceleration`` 4 keeps
    a quarter of the measurements, so the scan takes a quarter of the time.
    """
    width = check_positive_int(width, "width")
    acceleration = check_number(acceleration, "acceleration", "the fraction of columns skipped, as 1 / kept",
                                 low=1.0)
    center_fraction = check_number(center_fraction, "center_fraction", "the share of columns at the centre")
    if center_fraction > 1:
        raise ValueError(f"center_fraction must be at most 1; got {center_fraction!r}")
    n_keep, n_center = round(width / acceleration), round(width * center_fraction)
    if n_keep < 1 or n_center > n_keep:
        raise ValueError(f"acceleration {acceleration:g} keeps {n_keep} of {width} columns, fewer than the "
                         f"{n_center} centre columns that center_fraction {center_fraction:g} asks for: lower one "
                         "of the two")
    mask = torch.zeros(width, dtype=torch.bool)
    start = width // 2 - n_center // 2
    mask[start:start + n_center] = True
    others = torch.nonzero(~mask).flatten()
    gen = torch.Generator().manual_seed(check_seed(seed))
    mask[others[torch.randperm(len(others), generator=gen)[:n_keep - n_center]]] = True
    return mask


def _check_column_mask(mask, width: int) -> torch.Tensor:
    """``mask`` unchanged if it is a ``(width,)`` bool tensor of sampled k-space columns, as
    :func:`kspace_mask` returns; a ValueError that says so otherwise."""
    if not isinstance(mask, torch.Tensor) or mask.dtype != torch.bool or mask.shape != (width,):
        raise ValueError(f"mask: expected a ({width},) bool tensor, one entry per image column, as "
                         f"kspace_mask({width}, ...) returns; got {_describe(mask)}")
    return mask


def undersample(images: torch.Tensor, mask: torch.Tensor) -> torch.Tensor:
    """The k-space of ``images`` with every column that ``mask`` (``(W,)`` bool, from
    :func:`kspace_mask`) does not sample set to zero: complex ``(N, C, H, W)``."""
    k = kspace(images)
    return k * _check_column_mask(mask, images.shape[-1]).to(k.device)


def zero_filled(k: torch.Tensor, clip: bool = True) -> torch.Tensor:
    """The classical baseline for undersampled MRI: the magnitude of the inverse FFT of the
    k-space with its missing columns left at zero. Returns float32 ``(N, C, H, W)``, clipped
    to [0, 1] unless ``clip=False``. Skipped columns fold the image onto itself along the
    rows (aliasing), and the missing high frequencies blur it."""
    out = image_from_kspace(k).abs().float()
    return out.clamp(0, 1) if clip else out


# ----------------------------------------------------------- sparse-view CT

def _angles(n_views: int) -> np.ndarray:
    return np.linspace(0.0, 180.0, check_positive_int(n_views, "n_views"), endpoint=False)


def sinogram(images: torch.Tensor, n_views: int) -> torch.Tensor:
    """Parallel-beam projections at ``n_views`` angles evenly spaced over [0, 180) degrees:
    ``(N, C, H, W)`` -> ``(N, C, D, n_views)`` float32, one column per angle, with ``D`` about
    ``sqrt(H^2 + W^2)`` detector bins (the whole square is projected, corners included).
    ``skimage.transform.radon``, image by image."""
    from skimage.transform import radon

    check_images(images, "images")
    if images.shape[-2] != images.shape[-1]:
        raise ValueError(f"images: expected square images, as fbp() reconstructs; got {tuple(images.shape[-2:])}: "
                         "crop or pad them to a square first")
    theta = _angles(n_views)
    arr = images.detach().cpu().double().numpy()
    out = np.stack([np.stack([radon(ch, theta, circle=False) for ch in img]) for img in arr])
    return torch.from_numpy(out).float().to(images.device)


FBP_FILTERS = ("ramp", "shepp-logan", "cosine", "hamming", "hann")
"""The filters of :func:`fbp` (scikit-image's), from the sharpest to the smoothest."""


def fbp(sino: torch.Tensor, size: int, clip: bool = True, filter_name: str = "ramp",
        interpolation: str = "linear") -> torch.Tensor:
    """Filtered back-projection, the classical reconstruction of a :func:`sinogram`:
    ``(N, C, D, n_views)`` -> ``(N, C, size, size)`` float32, clipped to [0, 1] unless
    ``clip=False``. With few views, streaks radiate from every edge.

    ``filter_name``, one of :data:`FBP_FILTERS`: the ramp (the default) is exact for dense views;
    the others damp the high frequencies, which is FBP's only regularisation, and from few views the
    smoothest win by far (8 views of 200 OrganAMNIST validation slices, 28 pixels: ramp 14.2 dB, hamming
    17.5 dB). ``interpolation`` (``"linear"``, ``"nearest"`` or ``"cubic"``) reads the filtered
    projections between detector bins (44 views, ramp: linear 22.5 dB, cubic 23.9 dB). Both are
    choices to make on validation images, as :func:`coursekit.restore.tune` makes them."""
    from skimage.transform import iradon

    check_images(sino, "sino")
    size = check_positive_int(size, "size")
    if filter_name not in FBP_FILTERS:
        raise ValueError(f"filter_name must be one of {FBP_FILTERS}; got {filter_name!r}")
    if interpolation not in ("linear", "nearest", "cubic"):
        raise ValueError(f"interpolation must be 'linear', 'nearest' or 'cubic'; got {interpolation!r}")
    if size > sino.shape[-2] / math.sqrt(2):
        raise ValueError(f"a sinogram of {sino.shape[-2]} detector bins covers images of at most "
                         f"{int(sino.shape[-2] / math.sqrt(2))} pixels a side; got size {size} (the size of the "
                         "images that sinogram() projected?)")
    theta = _angles(sino.shape[-1])
    arr = sino.detach().cpu().double().numpy()
    out = np.stack([np.stack([iradon(ch, theta, output_size=size, filter_name=filter_name, circle=False,
                                     interpolation=interpolation)
                              for ch in s]) for s in arr])
    out = torch.from_numpy(out).float().to(sino.device)
    return out.clamp(0, 1) if clip else out


# ------------------------------------------------------------- inpainting

def _pair(value, name: str, what: str) -> tuple[int, int]:
    if not isinstance(value, (tuple, list)) or len(value) != 2:
        raise ValueError(f"{name} ({what}) must be a pair of positive ints such as (28, 28); got {value!r}")
    return check_positive_int(value[0], name), check_positive_int(value[1], name)


def box_mask(n: int, size: tuple[int, int], box: tuple[int, int], n_boxes: int = 1, seed: int = 0) -> torch.Tensor:
    """Which pixels are missing: ``(n, 1, H, W)`` bool, True inside ``n_boxes`` rectangles of
    ``box`` = ``(height, width)`` pixels per image, placed at random (seeded) wholly inside the
    ``size`` = ``(H, W)`` image; boxes may overlap. One channel: a pixel is missing in every
    channel at once."""
    n, n_boxes = check_positive_int(n, "n"), check_positive_int(n_boxes, "n_boxes")
    h, w = _pair(size, "size", "the images' (H, W)")
    bh, bw = _pair(box, "box", "each box's (height, width)")
    if bh > h or bw > w:
        raise ValueError(f"box {bh}x{bw} does not fit in images of {h}x{w} pixels")
    gen = torch.Generator().manual_seed(check_seed(seed))
    tops = torch.randint(0, h - bh + 1, (n, n_boxes), generator=gen)
    lefts = torch.randint(0, w - bw + 1, (n, n_boxes), generator=gen)
    mask = torch.zeros(n, 1, h, w, dtype=torch.bool)
    for i in range(n):
        for top, left in zip(tops[i].tolist(), lefts[i].tolist()):
            mask[i, 0, top:top + bh, left:left + bw] = True
    return mask


def _check_mask(images: torch.Tensor, mask) -> torch.Tensor:
    n, _, h, w = images.shape
    if not isinstance(mask, torch.Tensor) or mask.dtype != torch.bool or mask.shape != (n, 1, h, w):
        raise ValueError(f"mask: expected a ({n}, 1, {h}, {w}) bool tensor, True where a pixel is missing, as "
                         f"box_mask({n}, ({h}, {w}), ...) returns; got "
                         f"{_describe(mask)}")
    return mask.to(images.device)


def mask_out(images: torch.Tensor, mask: torch.Tensor, fill: float = 0.0) -> torch.Tensor:
    """``images`` with every pixel where ``mask`` (``(N, 1, H, W)`` bool, from :func:`box_mask`)
    is True set to ``fill`` in every channel: what an inpainting model is given."""
    check_images(images, "images")
    mask = _check_mask(images, mask)
    fill = check_number(fill, "fill", "the value of a missing pixel", low=-math.inf)
    return images.masked_fill(mask.expand_as(images), fill)


def inpaint(images: torch.Tensor, mask: torch.Tensor, clip: bool = True) -> torch.Tensor:
    """The classical baseline for inpainting: ``skimage.restoration.inpaint_biharmonic``, image
    by image and channel by channel, fills each missing region (``mask`` True, ``(N, 1, H, W)``
    bool) with the smoothest surface that meets the pixels around it. What was in a missing
    pixel is never read. Returns float32 ``(N, C, H, W)``, clipped to [0, 1] unless ``clip=False``."""
    from skimage.restoration import inpaint_biharmonic

    check_images(images, "images")
    mask = _check_mask(images, mask).cpu().numpy()
    arr = mask_out(images, torch.as_tensor(mask)).detach().cpu().double().numpy()
    out = np.stack([np.stack([inpaint_biharmonic(ch, m[0]) if m.any() else ch for ch in img])
                    for img, m in zip(arr, mask)])
    out = torch.from_numpy(out).float().to(images.device)
    return out.clamp(0, 1) if clip else out


# ------------------------------------------------------- slices to volumes

def thin_slices(volumes: torch.Tensor, factor: int) -> torch.Tensor:
    """Every ``factor``-th slice of each volume, the first one included: ``(N, C, D, H, W)`` ->
    ``(N, C, ceil(D / factor), H, W)``, as a scanner with slices ``factor`` times thicker
    (or farther apart) would give them."""
    check_images(volumes, "volumes", ndim=5)
    return volumes[:, :, ::check_positive_int(factor, "factor")]


def interpolate_slices(thin: torch.Tensor, factor: int, depth: int) -> torch.Tensor:
    """The classical baseline for slices to volumes: each of ``depth`` slices interpolated
    linearly between the two kept slices around it (slice ``k`` of ``thin`` lies at depth
    ``k * factor``, as :func:`thin_slices` keeps them). Slices past the last kept one repeat
    it (nothing is extrapolated). ``(N, C, D', H, W)`` -> ``(N, C, depth, H, W)``."""
    check_images(thin, "thin", ndim=5)
    factor, depth = check_positive_int(factor, "factor"), check_positive_int(depth, "depth")
    kept = thin.shape[2]
    if kept != math.ceil(depth / factor):
        raise ValueError(f"thin has {kept} slices, but thin_slices(volumes, {factor}) of a volume of {depth} slices "
                         f"keeps {math.ceil(depth / factor)}: check factor and depth")
    z = torch.arange(depth, dtype=torch.float64) / factor          # where each slice lies among the kept ones
    below = z.floor().long().clamp(max=kept - 1)
    above = (below + 1).clamp(max=kept - 1)
    weight = (z - below).clamp(0, 1).to(thin.dtype).to(thin.device).view(1, 1, -1, 1, 1)
    below, above = below.to(thin.device), above.to(thin.device)
    return (1 - weight) * thin[:, :, below] + weight * thin[:, :, above]

"""Degradations: the forward models that turn a clean image into the one a scanner gives,
each beside its classical inverse.

The enhancement and reconstruction chapters train networks to undo these degradations, and
every network is compared with the classical inverse on the same degraded images. The random
ones take a ``seed`` and draw the same noise (or mask) every call with that seed.

Noise:

* :func:`gaussian_noise` ``x + sigma * eps``: electronic noise; the denoising autoencoder's noise.
* :func:`poisson_noise` ``Poisson(photons * x) / photons``: photon counting (X-ray, low-dose CT).
  The mean stays ``x`` and the variance is ``x / photons``: fewer photons, more noise.
* :func:`rician_noise` ``|x + sigma * (eps_1 + i eps_2)|``: a magnitude MR image. Not zero-mean:
  a black background becomes ``sigma * sqrt(pi / 2)`` on average.

Resolution:

* :func:`gaussian_blur`: a Gaussian point-spread function.
* :func:`downsample`: the mean over ``factor x factor`` blocks (a detector with larger pixels);
  :func:`upsample`: nearest, bilinear or bicubic interpolation, the super-resolution baseline.

Undersampled MRI (Cartesian: whole phase-encoding lines, the columns, are sampled or skipped):

* :func:`kspace`, :func:`image_from_kspace`: the centred, orthonormal 2D Fourier transform and
  its inverse.
* :func:`kspace_mask` which columns are sampled; :func:`undersample` the k-space with the others
  set to zero; :func:`zero_filled` the magnitude of its inverse FFT, the classical baseline.

Sparse-view CT (parallel beam):

* :func:`sinogram`: the Radon transform at ``n_views`` angles over 180 degrees;
  :func:`fbp`: filtered back-projection, the classical baseline.

Images are ``(N, C, H, W)`` float32 tensors in [0, 1], and results come back on their device.
"""
from __future__ import annotations

import math

import numpy as np
import torch
import torch.nn.functional as F

from .checks import check_images, check_positive_int, check_seed, check_unit_range, is_real

__all__ = ["gaussian_noise", "poisson_noise", "rician_noise", "gaussian_blur", "downsample", "upsample",
           "kspace", "image_from_kspace", "kspace_mask", "undersample", "zero_filled", "sinogram", "fbp",
           "UPSAMPLE_MODES"]

UPSAMPLE_MODES = ("nearest", "bilinear", "bicubic")


def _check_number(value, name: str, what: str, low: float = 0.0, low_included: bool = True) -> float:
    ok = is_real(value) and math.isfinite(value) and (value >= low if low_included else value > low)
    if not ok:
        sign = ">=" if low_included else ">"
        raise ValueError(f"{name} ({what}) must be a finite number {sign} {low:g}; got {value!r}")
    return float(value)


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
    sigma = _check_number(sigma, "sigma", "the noise's standard deviation")
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
    photons = _check_number(photons, "photons", "the expected count at intensity 1", low_included=False)
    gen = torch.Generator().manual_seed(check_seed(seed))
    rates = images.detach().cpu().double().clamp_min(0) * photons
    counts = torch.poisson(rates, generator=gen)
    return (counts / photons).to(images.device, images.dtype)


def rician_noise(images: torch.Tensor, sigma: float, seed: int = 0) -> torch.Tensor:
    """The noise of a magnitude MR image: ``|images + sigma * eps_1 + i sigma * eps_2|``.

    An MR scanner measures a complex signal with Gaussian noise on its real and imaginary
    parts; the image shown is its magnitude, whose noise is Rician: it is biased upwards
    where the signal is weak (a black background becomes ``sigma * sqrt(pi / 2)`` on
    average) and close to Gaussian where it is strong. ``images`` ``(N, C, H, W)`` in [0, 1];
    returns the same shape, >= 0.
    """
    check_unit_range(check_images(images, "images"), "images")
    sigma = _check_number(sigma, "sigma", "the standard deviation of each of the two parts")
    noise = _normal((2, *images.shape), seed, images)
    return torch.sqrt((images + sigma * noise[0]) ** 2 + (sigma * noise[1]) ** 2)


# -------------------------------------------------------------- resolution

def gaussian_blur(images: torch.Tensor, sigma: float) -> torch.Tensor:
    """Each image convolved with a Gaussian point-spread function of ``sigma`` pixels:
    ``scipy.ndimage.gaussian_filter`` in float64 along the rows and the columns (a kernel
    summing to 1, cut at 4 sigma; borders reflected). ``sigma`` 0 returns the images as they
    are. ``(N, C, H, W)`` float in, float32 of the same shape out. A Gaussian filter is also
    the simplest denoiser: the same call, with the noise as the input."""
    from scipy.ndimage import gaussian_filter

    check_images(images, "images")
    sigma = _check_number(sigma, "sigma", "the point-spread function's width in pixels")
    arr = images.detach().cpu().double().numpy()
    out = gaussian_filter(arr, sigma=(0, 0, sigma, sigma), mode="reflect")   # sigma 0: that axis is left alone
    return torch.from_numpy(out).float().to(images.device)


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


def upsample(images: torch.Tensor, factor: int, mode: str = "bicubic", clip: bool = True) -> torch.Tensor:
    """Interpolation to ``factor`` times the size, the classical super-resolution baseline:
    ``mode`` ``"nearest"``, ``"bilinear"`` or ``"bicubic"`` (PyTorch's, whose cubic
    overshoots at edges: clipped to [0, 1] unless ``clip=False``, as a network's sigmoid
    output would be). ``(N, C, H, W)`` -> ``(N, C, H * factor, W * factor)``."""
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
    frequency at ``(H // 2, W // 2)``. Orthonormal, so the energy is the same in both domains."""
    check_images(images, "images")
    shifted = torch.fft.ifftshift(images, dim=(-2, -1))
    return torch.fft.fftshift(torch.fft.fft2(shifted, norm="ortho"), dim=(-2, -1))


def image_from_kspace(k: torch.Tensor) -> torch.Tensor:
    """The inverse of :func:`kspace`: complex ``(N, C, H, W)`` images."""
    if not isinstance(k, torch.Tensor) or not k.is_complex() or k.ndim != 4:
        raise TypeError(f"k: expected complex (N, C, H, W) k-space, as kspace() returns; got "
                        f"{type(k).__name__}{tuple(getattr(k, 'shape', ()))} {getattr(k, 'dtype', '')}")
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
    acceleration = _check_number(acceleration, "acceleration", "the fraction of columns skipped, as 1 / kept",
                                 low=1.0)
    center_fraction = _check_number(center_fraction, "center_fraction", "the share of columns at the centre")
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


def undersample(images: torch.Tensor, mask: torch.Tensor) -> torch.Tensor:
    """The k-space of ``images`` with every column that ``mask`` (``(W,)`` bool, from
    :func:`kspace_mask`) does not sample set to zero: complex ``(N, C, H, W)``."""
    k = kspace(images)
    if not isinstance(mask, torch.Tensor) or mask.dtype != torch.bool or mask.shape != (images.shape[-1],):
        raise ValueError(f"mask: expected a ({images.shape[-1]},) bool tensor, one entry per image column, as "
                         f"kspace_mask({images.shape[-1]}, ...) returns; got "
                         f"{type(mask).__name__}{tuple(getattr(mask, 'shape', ()))} {getattr(mask, 'dtype', '')}")
    return k * mask.to(k.device)


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


def fbp(sino: torch.Tensor, size: int, clip: bool = True) -> torch.Tensor:
    """Filtered back-projection (ramp filter), the classical reconstruction of a
    :func:`sinogram`: ``(N, C, D, n_views)`` -> ``(N, C, size, size)`` float32, clipped to
    [0, 1] unless ``clip=False``. With few views, streaks radiate from every edge."""
    from skimage.transform import iradon

    check_images(sino, "sino")
    size = check_positive_int(size, "size")
    if size > sino.shape[-2] / math.sqrt(2):
        raise ValueError(f"a sinogram of {sino.shape[-2]} detector bins covers images of at most "
                         f"{int(sino.shape[-2] / math.sqrt(2))} pixels a side; got size {size} (the size of the "
                         "images that sinogram() projected?)")
    theta = _angles(sino.shape[-1])
    arr = sino.detach().cpu().double().numpy()
    out = np.stack([np.stack([iradon(ch, theta, output_size=size, filter_name="ramp", circle=False)
                              for ch in s]) for s in arr])
    out = torch.from_numpy(out).float().to(sino.device)
    return out.clamp(0, 1) if clip else out

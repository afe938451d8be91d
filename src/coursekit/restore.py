"""Classical restorers: the baselines every network in the enhancement chapter is compared with.

Each undoes one of :mod:`coursekit.degrade`'s forward models without learning anything, and
each has one strength to choose, which :func:`tune` picks on *validation* images by PSNR,
so that a network and its baseline are both tuned before they meet the test images.

Denoisers (the strength is the second argument):

* :func:`gaussian` (sigma in pixels): averages the noise away, and the edges with it.
* :func:`median` (window size): keeps edges, removes salt-and-pepper noise outright.
* :func:`tv` (weight): total-variation denoising (Chambolle): piecewise-flat images.
* :func:`nl_means` (h): non-local means, an average over *similar patches* anywhere near,
  not over neighbouring pixels (Buades et al. 2005).
* :func:`unbiased_rician` (width): for magnitude MR images, whose noise is not zero-mean (see
  :func:`coursekit.degrade.rician_noise`): the four above keep the bias, this one reduces it
  several-fold (not to zero: see its docstring).
* :func:`stabilised` makes any of them a denoiser for Poisson counts (low dose): :func:`anscombe`
  first, so that the noise is (nearly) as strong everywhere as those denoisers assume, and
  :func:`inverse_anscombe` after.

Deblurring, for a Gaussian point-spread function of known width ``psf_sigma`` (a keyword:
:func:`gaussian_psf`, the kernel :func:`coursekit.degrade.gaussian_blur` applies):

* :func:`wiener` (balance): the linear inverse filter, damped where the blur leaves little
  signal; :func:`richardson_lucy` (iterations): the maximum-likelihood deconvolution for
  Poisson counts; :func:`unsharp` (amount): sharpening without a model of the blur.

Contrast: :func:`equalize` (global histogram equalisation) and :func:`clahe` (contrast-limited
adaptive equalisation, tile by tile).

Images are ``(N, C, H, W)`` float tensors in [0, 1] (a degraded image may stray outside:
noise is not clipped); each restorer works image by image and channel by channel in float64
and returns float32 of the same shape on the input's device, clipped to [0, 1] unless
``clip=False``: the clean images lie in [0, 1], so clipping can only lower an output's error, and
:func:`coursekit.enhance.apply` clips the networks' outputs (residual, hence unbounded) the same
way, so that both are scored alike. BM3D is not here: its
reference implementation (the ``bm3d`` package) is a binary free for non-commercial use only.
"""
from __future__ import annotations

import math
import warnings
from typing import Callable, Sequence

import numpy as np
import torch

from . import degrade, metrics
from .checks import (check_images, check_nonnegative, check_number, check_positive_int, check_same_shape,
                     check_unit_range, is_real)

__all__ = ["gaussian", "median", "tv", "nl_means", "gaussian_psf", "wiener", "richardson_lucy", "unsharp",
           "equalize", "clahe", "tune", "unbiased_rician", "anscombe", "inverse_anscombe", "stabilised",
           "DENOISERS", "DEBLURRERS"]


def _check_input(images, name: str, clip: bool) -> torch.Tensor:
    """A degraded batch: ``(N, C, H, W)`` floats; when the output is clipped to [0, 1], values
    far above 1 are refused (0-255 images would come back white)."""
    check_images(images, name)
    if clip and images.numel() and float(images.max()) > 10:      # noise of any sensible sigma stays far below
        raise ValueError(f"{name}: values up to {float(images.max()):.4g}, but the output is clipped to [0, 1], "
                         "the range of the clean images: 0-255 images? Divide by 255 (or pass clip=False)")
    return images


def _per_image(fn: Callable[[np.ndarray], np.ndarray], images: torch.Tensor, clip: bool) -> torch.Tensor:
    """``fn`` applied to every ``(H, W)`` float64 image of ``images``; float32 back on its device."""
    arr = images.detach().cpu().double().numpy()
    out = np.empty_like(arr)
    for i in range(arr.shape[0]):
        for c in range(arr.shape[1]):
            out[i, c] = fn(arr[i, c])
    if clip:
        np.clip(out, 0.0, 1.0, out=out)
    return torch.from_numpy(out).float().to(images.device)


# ---------------------------------------------------------------- denoisers

def gaussian(noisy: torch.Tensor, sigma: float, clip: bool = True) -> torch.Tensor:
    """A Gaussian filter of ``sigma`` pixels (:func:`coursekit.degrade.gaussian_blur`: the same
    call blurs a clean image and denoises a noisy one). ``sigma`` 0 leaves the images as they are."""
    _check_input(noisy, "noisy", clip)
    check_number(sigma, "sigma", "the filter's width in pixels")
    out = degrade.gaussian_blur(noisy, sigma)
    return out.clamp(0, 1) if clip else out


def median(noisy: torch.Tensor, size: int, clip: bool = True) -> torch.Tensor:
    """The median of each ``size x size`` window (``scipy.ndimage.median_filter``, borders
    reflected); ``size`` an odd int >= 1 (1 leaves the images as they are). A median ignores a
    few outliers in its window, so it keeps edges and removes impulse noise."""
    from scipy.ndimage import median_filter

    _check_input(noisy, "noisy", clip)
    size = check_positive_int(size, "size")
    if size % 2 == 0:
        raise ValueError(f"size: an odd window (1, 3, 5, ...) has a centre pixel; got {size}")
    return _per_image(lambda im: median_filter(im, size=size, mode="reflect"), noisy, clip)


def tv(noisy: torch.Tensor, weight: float, clip: bool = True) -> torch.Tensor:
    """Total-variation denoising (``skimage.restoration.denoise_tv_chambolle``): the image ``u``
    that minimises ``||u - noisy||^2 / 2 + weight * TV(u)``; a larger ``weight`` (> 0) gives
    flatter regions and loses fine texture."""
    from skimage.restoration import denoise_tv_chambolle

    _check_input(noisy, "noisy", clip)
    weight = check_number(weight, "weight", "the TV weight", low_included=False)
    return _per_image(lambda im: denoise_tv_chambolle(im, weight=weight), noisy, clip)


def nl_means(noisy: torch.Tensor, h: float, sigma: float = 0.0, patch_size: int = 5, patch_distance: int = 6,
             clip: bool = True) -> torch.Tensor:
    """Non-local means (``skimage.restoration.denoise_nl_means``, fast mode): each pixel becomes
    a weighted mean of the pixels within ``patch_distance`` whose ``patch_size x patch_size``
    patches look like its own, with weights ``exp(-d^2 / h^2)`` for a patch distance ``d``.
    ``h`` (> 0) sets how alike patches must be; ``sigma``, the noise's standard deviation when
    known, is subtracted from the distances first (skimage's advice: ``h`` about 0.8 sigma)."""
    from skimage.restoration import denoise_nl_means

    _check_input(noisy, "noisy", clip)
    h = check_number(h, "h", "how alike two patches must be", low_included=False)
    sigma = check_number(sigma, "sigma", "the noise's standard deviation")
    patch_size = check_positive_int(patch_size, "patch_size")
    patch_distance = check_positive_int(patch_distance, "patch_distance")
    return _per_image(lambda im: denoise_nl_means(im, h=h, sigma=sigma, patch_size=patch_size,
                                                  patch_distance=patch_distance, fast_mode=True), noisy, clip)


def unbiased_rician(noisy: torch.Tensor, width: float, *, sigma: float, clip: bool = True) -> torch.Tensor:
    """A Gaussian filter for magnitude MR images that corrects for the Rician bias:
    ``sqrt(max(G_width * noisy^2 - 2 sigma^2, 0))``.

    A magnitude ``m`` of a true value ``A`` with noise ``sigma`` on each of its two parts has
    ``E[m^2] = A^2 + 2 sigma^2`` exactly, whatever ``A``; so the local mean of ``m^2`` (a Gaussian
    filter of ``width`` > 0 pixels) minus ``2 sigma^2`` estimates ``A^2``. Filtering ``m``
    instead estimates ``E[m]`` (:func:`coursekit.degrade.rician_mean`), which is above ``A``:
    ``sigma sqrt(pi / 2)`` where ``A = 0``. ``sigma`` (>= 0, a keyword) must be known or
    estimated, e.g. from the background: ``mean / sqrt(pi / 2)``. ``noisy`` ``(N, C, H, W)`` >= 0.

    The bias is reduced several-fold, not removed: where ``A = 0`` the filtered ``m^2`` scatters
    around ``2 sigma^2``, the excess above it comes back as a positive square root and the shortfall
    below it is clamped to 0 rather than cancelling it, so the background stays a little above 0
    (less, the wider the filter, as the scatter shrinks)."""
    _check_input(noisy, "noisy", clip)
    width = check_number(width, "width", "the filter's width in pixels", low_included=False)
    sigma = check_number(sigma, "sigma", "the standard deviation of each of the two parts")
    check_nonnegative(noisy, "noisy", "a magnitude image is >= 0", " (Gaussian noise? Use restore.gaussian)")
    second_moment = degrade.gaussian_blur(noisy ** 2, width)
    out = torch.sqrt((second_moment - 2 * sigma ** 2).clamp_min(0))
    return out.clamp(0, 1) if clip else out


def anscombe(noisy: torch.Tensor, photons: float) -> torch.Tensor:
    """The Anscombe transform (Anscombe 1948) of photon-counting images, on the images' scale:
    ``sqrt(noisy + 3 / (8 photons))``, for ``noisy = counts / photons``
    (:func:`coursekit.degrade.poisson_noise`). It is the textbook ``2 sqrt(counts + 3/8)``
    divided by ``2 sqrt(photons)``.

    A Poisson count's variance equals its mean, so the noise of ``noisy`` grows with the intensity;
    after the transform its standard deviation is close to ``1 / (2 sqrt(photons))`` at every
    intensity whose count averages more than a few (within 5% from a mean count of 2 on).
    A denoiser that assumes one noise level everywhere (TV's weight, non-local means' ``h``) then
    meets one. ``noisy`` ``(N, C, H, W)`` >= 0; returns float32 of the same shape."""
    check_images(noisy, "noisy")
    photons = check_number(photons, "photons", "the expected count at intensity 1", low_included=False)
    check_nonnegative(noisy, "noisy", "photon counts divided by photons are >= 0")
    return torch.sqrt(noisy.float() + 3 / (8 * photons))


def inverse_anscombe(stabilised: torch.Tensor, photons: float) -> torch.Tensor:
    """Back from :func:`anscombe`'s scale to intensities, by the closed-form approximation of the
    *exact unbiased inverse* (Makitalo and Foi 2011). With ``D = 2 sqrt(photons) * stabilised``
    (the textbook scale), the count is ``D^2 / 4 + sqrt(3/2) / (4 D) - 11 / (8 D^2)
    + 5 sqrt(3/2) / (8 D^3) - 1/8``, divided by ``photons``.

    The algebraic inverse ``stabilised^2 - 3 / (8 photons)`` is biased: a denoiser returns about
    the *mean* of the transformed values, and the mean of a square root is below the square root
    of the mean, by most at low counts. The unbiased inverse maps ``E[anscombe(y)]`` back to
    ``E[y]``. ``D`` is held at or above ``2 sqrt(3/8)``, the transform of a zero count, where the
    formula gives 0. Returns float32 of the same shape, >= 0 (not clipped above)."""
    check_images(stabilised, "stabilised")
    photons = check_number(photons, "photons", "the expected count at intensity 1", low_included=False)
    d = (2 * math.sqrt(photons) * stabilised.double()).clamp_min(2 * math.sqrt(3 / 8))
    r = math.sqrt(3 / 2)
    counts = d ** 2 / 4 + r / (4 * d) - 11 / (8 * d ** 2) + 5 * r / (8 * d ** 3) - 1 / 8
    return (counts.clamp_min(0) / photons).float()


def stabilised(denoiser: Callable[..., torch.Tensor]) -> Callable[..., torch.Tensor]:
    """``denoiser`` (a restorer of this module, ``denoiser(noisy, strength, clip=...)``) for Poisson
    counts: :func:`anscombe`, the denoiser unclipped, :func:`inverse_anscombe`. Returns
    ``restorer(noisy, strength, *, photons, clip=True)``, with ``photons`` the dose that the
    noise was drawn at (:func:`coursekit.degrade.poisson_noise`); the strength is on the
    transform's scale, where the noise's standard deviation is about ``1 / (2 sqrt(photons))``."""
    def restorer(noisy: torch.Tensor, strength, *, photons: float, clip: bool = True) -> torch.Tensor:
        out = inverse_anscombe(denoiser(anscombe(noisy, photons), strength, clip=False), photons)
        return out.clamp(0, 1) if clip else out

    name = getattr(denoiser, "__name__", "denoiser")
    restorer.__name__ = f"stabilised_{name}"
    restorer.__doc__ = f"{name} between anscombe and inverse_anscombe, for Poisson counts at ``photons``."
    return restorer


# --------------------------------------------------------------- deblurring

def gaussian_psf(sigma: float) -> np.ndarray:
    """The ``(2r + 1, 2r + 1)`` float64 kernel that :func:`coursekit.degrade.gaussian_blur`
    convolves with: ``exp(-(i^2 + j^2) / (2 sigma^2))`` for ``|i|, |j| <= r = int(4 sigma + 0.5)``,
    summing to 1 (scipy's kernel, cut at 4 sigma). ``sigma`` > 0 pixels."""
    sigma = check_number(sigma, "sigma", "the point-spread function's width in pixels", low_included=False)
    r = int(4.0 * sigma + 0.5)
    x = np.arange(-r, r + 1, dtype=np.float64)
    g = np.exp(-0.5 * (x / sigma) ** 2)
    g /= g.sum()
    return np.outer(g, g)


def _deconvolve(fn: Callable[[np.ndarray, np.ndarray], np.ndarray], blurred: torch.Tensor, psf_sigma: float,
                clip: bool) -> torch.Tensor:
    """``fn(padded image, psf)`` on each image mirrored on every side by its own size (at least
    the kernel's radius) and cropped back. The blur reflected the borders, and a deconvolution
    that assumed zeros (Richardson-Lucy) or a periodic image (Wiener, by the FFT) beyond them
    would ring there. A mirror of only the kernel's radius is not enough: the inverse reaches
    much farther than the blur (every Richardson-Lucy iteration carries the border's zeros
    one radius further in), and left 8 to 19 times the frame error on noise-free test scenes."""
    psf = gaussian_psf(psf_sigma)
    r = max(psf.shape[0] // 2, *blurred.shape[-2:])

    def one(im: np.ndarray) -> np.ndarray:
        padded = np.pad(im, r, mode="symmetric")     # scipy's "reflect" is NumPy's "symmetric"
        return fn(padded, psf)[r:r + im.shape[0], r:r + im.shape[1]]

    return _per_image(one, blurred, clip)


def wiener(blurred: torch.Tensor, balance: float, *, psf_sigma: float, clip: bool = True) -> torch.Tensor:
    """Wiener deconvolution of a Gaussian blur of ``psf_sigma`` pixels
    (``skimage.restoration.wiener``): in Fourier space ``X = conj(H) Y / (|H|^2 + balance |L|^2)``
    with ``H`` the blur's transfer function and ``L`` a Laplacian. ``balance`` (> 0) trades
    sharpness for noise: near 0 it divides by ``H`` wherever it is small and multiplies the noise
    there. ``blurred`` ``(N, C, H, W)``."""
    from skimage.restoration import wiener as sk_wiener

    _check_input(blurred, "blurred", clip)
    balance = check_number(balance, "balance", "the regularisation's weight", low_included=False)
    return _deconvolve(lambda im, psf: sk_wiener(im, psf, balance, clip=False), blurred, psf_sigma, clip)


def richardson_lucy(blurred: torch.Tensor, iterations: int, *, psf_sigma: float, clip: bool = True) -> torch.Tensor:
    """Richardson-Lucy deconvolution of a Gaussian blur of ``psf_sigma`` pixels
    (``skimage.restoration.richardson_lucy``): ``x <- x * (psf^T * (y / (psf * x)))``, the
    maximum-likelihood image under Poisson noise. More ``iterations`` (an int >= 1) sharpen more
    and amplify the noise more: the number of iterations is the regularisation. ``blurred``
    ``(N, C, H, W)`` >= 0 (a ratio of intensities needs no negative ones)."""
    from skimage.restoration import richardson_lucy as sk_rl

    _check_input(blurred, "blurred", clip)
    iterations = check_positive_int(iterations, "iterations")
    check_nonnegative(blurred, "blurred",
                      "Richardson-Lucy multiplies by ratios of intensities, so it needs values >= 0",
                      " (clip them: blurred.clamp_min(0))")
    return _deconvolve(lambda im, psf: sk_rl(im, psf, num_iter=iterations, clip=False), blurred, psf_sigma, clip)


def unsharp(images: torch.Tensor, amount: float, sigma: float = 1.0, clip: bool = True) -> torch.Tensor:
    """Unsharp masking: ``images + amount * (images - gaussian_blur(images, sigma))``, the detail
    that a blur of ``sigma`` pixels would remove, added back ``amount`` (>= 0) times. It sharpens
    any image, blurred or not, and sharpens its noise with it."""
    _check_input(images, "images", clip)
    amount = check_number(amount, "amount", "how much detail to add back")
    check_number(sigma, "sigma", "the blur's width in pixels", low_included=False)
    out = images + amount * (images - degrade.gaussian_blur(images, sigma))
    return out.clamp(0, 1) if clip else out


# ------------------------------------------------------------------ contrast

def equalize(images: torch.Tensor, bins: int = 256) -> torch.Tensor:
    """Global histogram equalisation (``skimage.exposure.equalize_hist``): each pixel becomes
    the fraction of its image's pixels that are darker, so the grey levels spread evenly over
    [0, 1]. ``images`` in [0, 1]."""
    from skimage.exposure import equalize_hist

    check_unit_range(check_images(images, "images"), "images")
    bins = check_positive_int(bins, "bins")
    return _per_image(lambda im: equalize_hist(im, nbins=bins), images, clip=True)


def clahe(images: torch.Tensor, clip_limit: float = 0.01, tiles: int = 8, bins: int = 256) -> torch.Tensor:
    """Contrast-limited adaptive histogram equalisation (``skimage.exposure.equalize_adapthist``):
    equalisation within each of ``tiles x tiles`` regions, interpolated between them, with each
    region's histogram of ``bins`` bins cut at ``clip_limit`` (in (0, 1]: higher, more contrast and
    more amplified noise; 1 cuts nothing, plain adaptive equalisation). ``images`` ``(N, C, H, W)``
    in [0, 1], at least ``tiles`` pixels on a side.

    The cut is a whole number of pixels: a region has ``K = (H // tiles) * (W // tiles)`` of them,
    and scikit-image cuts every bin at ``max(int(clip_limit * K), 1)`` counts (rounded down, at
    least 1). It caps the slope of the region's grey-level map at about ``clip_limit * bins`` times
    the identity's. When ``clip_limit * K < 2`` the cut is 1 count, as it is for every smaller
    ``clip_limit``, so lowering it changes nothing; this warns then (on 28 x 28 images the default
    8 tiles are 3 x 3 pixels, cut at 1 count for any ``clip_limit`` below 2 / 9). A cut at or below
    the mean count of a bin, ``K / bins``, flattens the histogram, and the map is then close to
    linear: small tiles need few bins for a limit to act between the two."""
    from skimage.exposure import equalize_adapthist

    check_unit_range(check_images(images, "images"), "images")
    clip_limit = check_number(clip_limit, "clip_limit", "the histogram's cut, a fraction", low_included=False)
    if clip_limit > 1:
        raise ValueError(f"clip_limit (the histogram's cut, a fraction) must be in (0, 1]; got {clip_limit!r}")
    tiles = check_positive_int(tiles, "tiles")
    bins = check_positive_int(bins, "bins")
    h, w = images.shape[-2:]
    if min(h, w) < tiles:
        raise ValueError(f"images of {h}x{w} pixels cannot be cut into {tiles}x{tiles} tiles; use tiles <= {min(h, w)}")
    kernel = (max(1, h // tiles), max(1, w // tiles))
    pixels = kernel[0] * kernel[1]
    if clip_limit * pixels < 2:        # skimage: max(int(clip_limit * pixels), 1) counts
        warnings.warn(f"clahe: clip_limit={clip_limit:g} of a tile of {kernel[0]}x{kernel[1]} = {pixels} pixels is "
                      f"{clip_limit * pixels:.3g} counts per bin, which scikit-image rounds to 1 count: every smaller "
                      f"clip_limit gives the same image. Use fewer, larger tiles (tiles < {tiles}) or a clip_limit of at "
                      f"least {2 / pixels:.3g}, and fewer bins than {bins} (a tile has {pixels / bins:.2g} pixels per "
                      "bin), so that a cut of a few counts falls below its tall bins", stacklevel=2)
    return _per_image(lambda im: equalize_adapthist(im, kernel_size=kernel, clip_limit=clip_limit, nbins=bins),
                      images, clip=True)


# ------------------------------------------------------------------- tuning

DENOISERS = {"gaussian": gaussian, "median": median, "tv": tv, "nl_means": nl_means}
DEBLURRERS = {"wiener": wiener, "richardson_lucy": richardson_lucy}


def tune(restorer: Callable[..., torch.Tensor], degraded: torch.Tensor, clean: torch.Tensor,
         values: Sequence[float], **kwargs) -> tuple[float, dict[float, float]]:
    """The value of ``restorer``'s strength (its second argument) with the best mean PSNR on
    (``degraded``, ``clean``) -- pass *validation* images, never the test images the result
    will be reported on -- and the PSNR of every value tried: ``(best, {value: psnr})``.
    ``degraded`` is whatever ``restorer`` takes, one item per clean image: degraded images, or
    the measurements of a reconstruction (k-space, sinograms); its outputs must have the shape of
    ``clean``. ``kwargs`` go to every call (e.g. ``psf_sigma=1.0`` for :func:`wiener`); outputs are
    clipped to [0, 1] as the restorers return them by default.

    Warns when the best is the smallest or the largest of several values: the optimum may lie
    outside the range tried, so widen it on that side. ``values`` may also be named settings in an
    order from the weakest to the strongest (e.g. :data:`coursekit.degrade.FBP_FILTERS`); then the
    first and the last given are the ends.
    """
    values = list(values)
    name = getattr(restorer, "__name__", "restorer")
    if len(degraded) != len(clean):
        raise ValueError(f"tune({name}): {len(degraded)} degraded items but {len(clean)} clean images; each clean "
                         "image needs its own degraded version (or measurement)")
    if not values:
        raise ValueError(f"tune({name}): values is empty; give the strengths to try, e.g. [0.5, 1.0, 1.5]")

    def psnr(value) -> float:
        out = restorer(degraded, value, **kwargs)
        check_same_shape(out, clean, (f"{name}'s output", "clean"))
        return float(metrics.psnr(out, clean))

    psnrs = {v: psnr(v) for v in values}
    best = max(psnrs, key=psnrs.get)
    if all(is_real(v) for v in psnrs):
        low, high = min(psnrs), max(psnrs)
        ends = ("smallest", "largest")
    else:                   # named settings (e.g. FBP's filters): the ends of the order given
        low, high = values[0], values[-1]
        ends = ("first", "last")
    if len(psnrs) > 1 and best in (low, high):
        side = ends[0] if best == low else ends[1]
        warnings.warn(f"tune({name}): the best strength, {_fmt(best)}, is the {side} tried ({_fmt(low)} to "
                      f"{_fmt(high)}); a better one may lie beyond it, so extend the values on that side",
                      stacklevel=2)
    return best, psnrs


def _fmt(value) -> str:
    return f"{value:g}" if is_real(value) else str(value)

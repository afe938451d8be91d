"""Generated images that stand in for MedMNIST when the real files are missing.

.. warning::
   Nothing in this module is medical data. These are simple procedural
   drawings (ellipses, blobs, smooth waves) made with a seeded NumPy random
   generator. They exist only so that every notebook still *runs* offline;
   numbers computed on them say nothing about real images.

Three things live here:

* :func:`chest_phantom` -- one X-ray-like 2D image: a bright body, two darker
  lung fields with faint ribs, and (``lesion=True``) soft opacities in a lung.
* :func:`shepp_logan` -- the modified Shepp-Logan head phantom, the classic
  test image of tomographic reconstruction.
* :func:`fallback_dataset` -- a whole MedMNIST split made of phantoms, with the
  same raw layout as the real ``.npz`` arrays (uint8 images, ``(N, 1)`` or
  ``(N, L)`` labels), the same channels, spatial size, task and label meaning.
  ``coursekit.data.load_medmnist`` returns it (with ``source="fallback"`` and a
  loud notice) when the real file cannot be found or downloaded.

How a fallback split encodes its labels (so that a classifier can learn them):

* binary tasks (2D): a chest phantom, with one or two soft opacities for the
  abnormal class (the class whose name is not "normal"/"benign"; class 1 when
  neither name says so);
* multi-class and ordinal tasks (2D): an ellipse whose orientation depends on
  the class, plus 1-3 small blobs (count = (class mod 3) + 1); RGB sets also get a
  class-dependent stain colour;
* multi-label tasks: a chest phantom with an independent finding per label
  (a small opacity at a label-specific place, present with probability 0.15);
* 3D flags: a soft ellipsoid whose elongation and orientation depend on the
  class, as a ``(D, H, W)`` volume.

Everything is deterministic: the random generator of a split is seeded from
``(flag, split, size)``.
"""
from __future__ import annotations

import colorsys
import re
import zlib

import numpy as np

from .checks import check_positive_int

__all__ = ["CAPS", "chest_phantom", "shepp_logan", "fallback_dataset",
           "is_3d", "abnormal_class"]

#: Default number of fallback samples per split: min(real size, cap).
CAPS = {"train": 600, "val": 150, "test": 150}

#: Probability that one finding is present in a multi-label fallback image.
FINDING_PROB = 0.15


# ----------------------------------------------------------------- geometry

def _grid(size: int, ndim: int = 2) -> list[np.ndarray]:
    """Pixel-centre coordinates in [-1, 1]: ``[y, x]`` (2D) or ``[z, y, x]`` (3D),
    each broadcastable to ``(size,) * ndim`` (float32)."""
    t = ((np.arange(size, dtype=np.float32) + 0.5) / size) * 2 - 1
    return np.meshgrid(*([t] * ndim), indexing="ij", sparse=True)


def _soft_inside(r: np.ndarray, edge: float = 0.12) -> np.ndarray:
    """1 inside the unit level set ``r < 1``, 0 outside, a linear ramp of width ``edge``."""
    return np.clip(0.5 + (1.0 - r) / edge, 0.0, 1.0)


def _ellipse(y, x, cy, cx, ry, rx, angle=0.0, edge=0.12) -> np.ndarray:
    """Soft ellipse mask in [0, 1]: centre (cy, cx), semi-axes (ry, rx), rotated by ``angle``."""
    cy, cx, ry, rx = float(cy), float(cx), float(ry), float(rx)
    c, s = float(np.cos(angle)), float(np.sin(angle))
    u = (x - cx) * c + (y - cy) * s
    v = -(x - cx) * s + (y - cy) * c
    return _soft_inside(np.sqrt((u / rx) ** 2 + (v / ry) ** 2), edge)


def _blob(coords, centre, sigma) -> np.ndarray:
    """Gaussian bump exp(-|p - centre|^2 / (2 sigma^2)) with peak 1."""
    d2 = sum((p - float(c)) ** 2 for p, c in zip(coords, centre))
    return np.exp(-d2 / (2 * float(sigma) ** 2))


def _texture(coords, rng: np.random.Generator, n_waves: int = 5) -> np.ndarray:
    """Smooth random texture in about [-1, 1]: a sum of low-frequency waves.

    Each wave is a product of one cosine per axis (cheap on 3D grids)."""
    out = 0.0
    for _ in range(n_waves):
        wave = 1.0
        for p in coords:
            freq, phase = float(rng.uniform(0.3, 1.5)), float(rng.uniform(0, 2 * np.pi))
            wave = wave * np.cos(np.pi * freq * p + phase)
        out = out + wave
    return out * float(2 / np.sqrt(n_waves))


def _noise(shape, rng: np.random.Generator, sd: float = 0.02) -> np.ndarray:
    return rng.standard_normal(shape, dtype=np.float32) * sd


def _to_unit(img: np.ndarray) -> np.ndarray:
    return np.clip(img, 0.0, 1.0).astype(np.float32)


# ------------------------------------------------------------- chest X-ray

def _lungs(y, x, rng):
    """Two lung masks (left, right) with jittered position, size and tilt."""
    masks = []
    params = []
    for side in (-1, 1):
        cy, cx = -0.05 + rng.normal(0, 0.04), side * (0.38 + rng.normal(0, 0.03))
        ry, rx = 0.55 + rng.normal(0, 0.04), 0.25 + rng.normal(0, 0.02)
        masks.append(_ellipse(y, x, cy, cx, ry, rx, angle=side * 0.12 + rng.normal(0, 0.05)))
        params.append((cy, cx, ry, rx))
    return masks, params


def chest_phantom(size: int = 28, lesion: bool = False,
                  rng: np.random.Generator | None = None) -> np.ndarray:
    """An X-ray-like chest image (NOT medical data).

    A bright body, two darker lung fields with faint ribs, smooth texture and a
    little noise; ``lesion=True`` adds one or two soft opacities inside a lung
    (position, size and contrast vary, so the task is learnable but not trivial).

    Returns ``(size, size)`` float32 in [0, 1]. ``rng`` defaults to a generator
    seeded with 0, so that repeated calls without one give the same image.
    """
    _check_size(size)
    rng = np.random.default_rng(0) if rng is None else rng
    y, x = _grid(size)
    img = 0.08 + 0.03 * _texture((y, x), rng)
    body = _ellipse(y, x, 0.05 + rng.normal(0, 0.03), rng.normal(0, 0.03),
                    0.98, 0.84 + rng.normal(0, 0.03), edge=0.2)
    img = img + 0.62 * body
    (left, right), params = _lungs(y, x, rng)
    lungs = np.maximum(left, right) * body
    img = img - 0.40 * lungs
    ribs = 0.5 + 0.5 * np.cos(2 * np.pi * (3.5 * y + 1.2 * x**2) + float(rng.uniform(0, 2 * np.pi)))
    img = img + 0.07 * ribs * lungs
    img = img + 0.05 * _texture((y, x), rng) * body + _noise(img.shape, rng)
    if lesion:  # drawn last: the same rng state gives the same chest with or without lesion
        for _ in range(rng.integers(1, 3)):
            cy, cx, ry, rx = params[rng.integers(0, 2)]
            centre = (cy + rng.uniform(-0.5, 0.5) * ry, cx + rng.uniform(-0.45, 0.45) * rx)
            sigma = rng.uniform(0.08, 0.16)
            img = img + float(rng.uniform(0.15, 0.30)) * _blob((y, x), centre, sigma) * lungs
    return _to_unit(img)


def _finding_sites(n_labels: int) -> list[tuple[float, float, float]]:
    """A fixed (cy, cx, sigma) per finding, spread over both lungs."""
    sites = []
    for j in range(n_labels):
        side = -1 if j % 2 == 0 else 1
        row = j // 2
        cy = -0.45 + 0.85 * row / max(1, (n_labels - 1) // 2)
        sites.append((cy, side * (0.30 + 0.12 * (row % 2)), 0.07 + 0.02 * (j % 3)))
    return sites


def _chest_with_findings(size, findings, rng) -> np.ndarray:
    img = chest_phantom(size, lesion=False, rng=rng)
    y, x = _grid(size)
    for j, (cy, cx, sigma) in enumerate(_finding_sites(len(findings))):
        if findings[j]:
            img = img + float(rng.uniform(0.2, 0.3)) * _blob((y, x), (cy, cx), sigma)
    return _to_unit(img)


# ------------------------------------------------------ Shepp-Logan phantom

# Modified Shepp-Logan (Toft, 1996): intensity, semi-axes a (x) and b (y),
# centre (x0, y0) with y pointing up, rotation in degrees.
_SHEPP_LOGAN = (
    (1.0, 0.69, 0.92, 0.0, 0.0, 0),
    (-0.8, 0.6624, 0.8740, 0.0, -0.0184, 0),
    (-0.2, 0.1100, 0.3100, 0.22, 0.0, -18),
    (-0.2, 0.1600, 0.4100, -0.22, 0.0, 18),
    (0.1, 0.2100, 0.2500, 0.0, 0.35, 0),
    (0.1, 0.0460, 0.0460, 0.0, 0.1, 0),
    (0.1, 0.0460, 0.0460, 0.0, -0.1, 0),
    (0.1, 0.0460, 0.0230, -0.08, -0.605, 0),
    (0.1, 0.0230, 0.0230, 0.0, -0.606, 0),
    (0.1, 0.0230, 0.0460, 0.06, -0.605, 0),
)


def shepp_logan(size: int = 64) -> np.ndarray:
    """The modified Shepp-Logan phantom, ``(size, size)`` float32 in [0, 1].

    Sharp-edged ellipses from the standard table (skull 1.0, brain 0.2,
    ventricles 0.0, small lesions 0.3); pixel centres span [-1, 1] as in
    MATLAB's ``phantom``, row 0 at the top.
    """
    _check_size(size)
    t = np.linspace(-1, 1, size)
    x = t[None, :]
    y = -t[:, None]  # row 0 is the top: y = +1
    img = np.zeros((size, size))
    for value, a, b, x0, y0, phi in _SHEPP_LOGAN:
        c, s = np.cos(np.radians(phi)), np.sin(np.radians(phi))
        u = (x - x0) * c + (y - y0) * s
        v = -(x - x0) * s + (y - y0) * c
        img = img + value * ((u / a) ** 2 + (v / b) ** 2 <= 1)
    return _to_unit(img)


# ------------------------------------------------- class-coded structures

def _stain(c: int, n_classes: int) -> np.ndarray:
    """A distinct RGB colour per class (hue c / n_classes)."""
    return np.array(colorsys.hsv_to_rgb(c / n_classes, 0.65, 0.7), dtype=np.float32)


def _class_image(c: int, n_classes: int, size: int, rgb: bool, rng) -> np.ndarray:
    """An ellipse oriented by class, with (c mod 3) + 1 blobs; (H, W) or (H, W, 3) in [0, 1]."""
    y, x = _grid(size)
    angle = np.pi * c / n_classes + rng.normal(0, 0.06)
    shape = _ellipse(y, x, rng.normal(0, 0.06), rng.normal(0, 0.06),
                     0.26 + rng.normal(0, 0.02), 0.62 + rng.normal(0, 0.03), angle)
    blobs = 0.0
    for _ in range(c % 3 + 1):
        centre = rng.uniform(-0.6, 0.6, size=2)
        blobs = np.maximum(blobs, _blob((y, x), centre, 0.08))
    tex = _texture((y, x), rng)
    if not rgb:
        img = 0.12 + 0.05 * tex + 0.45 * shape + 0.35 * blobs + 0.15 * (c / n_classes) * shape
        return _to_unit(img + _noise(img.shape, rng))
    background = np.array([0.92, 0.82, 0.88], dtype=np.float32)     # pale pink
    colour = _stain(c, n_classes)
    nucleus = colour * 0.45
    img = background + 0.03 * tex[..., None]
    img = img * (1 - shape[..., None]) + colour * shape[..., None]
    img = img * (1 - blobs[..., None]) + nucleus * blobs[..., None]
    return _to_unit(img + _noise(img.shape, rng))


def _class_volume(c: int, n_classes: int, size: int, rng) -> np.ndarray:
    """A soft ellipsoid whose elongation and tilt depend on the class; (D, H, W) in [0, 1]."""
    z, y, x = _grid(size, 3)
    elongation = 1.0 + 1.2 * c / max(1, n_classes - 1)
    angle = np.pi * c / n_classes + rng.normal(0, 0.06)
    rz = float(0.30 + rng.normal(0, 0.02))
    ry = float(0.30 + rng.normal(0, 0.02))
    rx = min(0.9, ry * elongation)
    cz, cy, cx = (float(v) for v in rng.normal(0, 0.05, size=3))
    co, si = float(np.cos(angle)), float(np.sin(angle))
    u = (x - cx) * co + (y - cy) * si
    v = -(x - cx) * si + (y - cy) * co
    shape = _soft_inside(np.sqrt((u / rx) ** 2 + (v / ry) ** 2 + ((z - cz) / rz) ** 2))
    img = 0.05 + 0.75 * shape + 0.08 * _texture((z, y, x), rng, n_waves=3) * shape
    return _to_unit(img + _noise(img.shape, rng))


# ------------------------------------------------------ fallback datasets

def _info(flag: str) -> dict:
    """``medmnist.INFO[flag]``, with :mod:`coursekit.data`'s check of the flag (imported
    here: data imports this module)."""
    from .data import _check_flag

    return _check_flag(flag)


def _check_size(size) -> None:
    if not isinstance(size, (int, np.integer)) or isinstance(size, bool) or size < 8:
        raise ValueError(f"size must be an int >= 8 (pixels per side); got {size!r}.")


def is_3d(flag: str) -> bool:
    """True for the volumetric MedMNIST flags (``...mnist3d``)."""
    return _info(flag)["python_class"].endswith("3D")


def abnormal_class(label_names: dict | list) -> int:
    """For a binary task, the label (0 or 1) of the abnormal class: the one whose
    name does not have the word "normal" or "benign" (e.g. 0 = "malignant" in BreastMNIST); 1 if
    unclear.

    ``label_names``: medmnist's ``INFO[flag]["label"]``, a dict ``{"0": name, "1": name}``,
    or a list of names by class index, as ``MedMNIST.label_names``."""
    if isinstance(label_names, (list, tuple)):
        label_names = {str(i): name for i, name in enumerate(label_names)}
    if not isinstance(label_names, dict):
        raise TypeError("label_names: expected a dict {'0': name, '1': name} (medmnist's INFO[flag]['label']) "
                        f"or a list of names by class index (MedMNIST.label_names); got {type(label_names).__name__}")

    def normal(name: str) -> bool:                  # the words, so that "abnormal" is not normal
        return re.search(r"\b(normal|benign)\b", name.lower()) is not None
    return 0 if normal(label_names["1"]) and not normal(label_names["0"]) else 1


def _seed(flag: str, split: str, size: int) -> int:
    return zlib.crc32(f"{flag}:{split}:{size}".encode())


def fallback_dataset(flag: str, split: str, size: int = 28,
                     n: int | None = None) -> tuple[np.ndarray, np.ndarray]:
    """A generated stand-in for one MedMNIST split (NOT medical data).

    Returns ``(images, labels)`` in medmnist's raw ``.npz`` layout:

    * images uint8 in [0, 255]: ``(N, H, W)`` grayscale, ``(N, H, W, 3)`` RGB,
      or ``(N, D, H, W)`` for 3D flags, with ``H = W (= D) = size``;
    * labels uint8: ``(N, 1)`` class indices, or ``(N, L)`` 0/1 for multi-label.

    ``n`` defaults to ``min(real split size, CAPS[split])``. Classes are balanced
    (then shuffled); the result depends only on ``(flag, split, size, n)``.
    """
    from .data import _check_split

    info = _info(flag)
    _check_split(split)
    _check_size(size)
    if n is None:
        n = min(info["n_samples"][split], CAPS[split])
    check_positive_int(n, "n")
    rng = np.random.default_rng(_seed(flag, split, size))
    task, n_classes = info["task"], len(info["label"])
    rgb = info["n_channels"] == 3

    if task.startswith("multi-label"):
        labels = (rng.random((n, n_classes)) < FINDING_PROB).astype(np.uint8)
        images = [_chest_with_findings(size, row, rng) for row in labels]
    else:
        labels = rng.permutation(np.arange(n) % n_classes).astype(np.uint8)[:, None]
        if is_3d(flag):
            images = [_class_volume(int(c), n_classes, size, rng) for c in labels[:, 0]]
        elif task == "binary-class" and not rgb:
            sick = abnormal_class(info["label"])
            images = [chest_phantom(size, lesion=int(c) == sick, rng=rng) for c in labels[:, 0]]
        else:
            images = [_class_image(int(c), n_classes, size, rgb, rng) for c in labels[:, 0]]
    images = np.round(np.stack(images) * 255).astype(np.uint8)
    return images, labels

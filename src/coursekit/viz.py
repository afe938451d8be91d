"""Figures the chapters share: image grids, before/after comparisons, curves.

Every function builds a matplotlib figure with ``pyplot`` and returns the
``Figure``; none calls ``plt.show()``. In a notebook the figure is shown at the
end of the cell; when the call is the cell's last line, end it with ``;`` (or
write ``fig = ...``) so that Jupyter does not show it a second time as the
returned value. Figures render with any backend, including the headless
``Agg`` used in tests and when the book is built.

Colour conventions (colour-blind safe, used by every chapter):

==================  ==========================================================
``CMAP_IMAGE``      grayscale images (``"gray"``)
``CMAP_HEAT``       maps and errors, e.g. ``|x - reference|`` (``"cividis"``)
``CMAP_SIGNED``     signed differences and filter responses, centred at 0 (``"PuOr"``)
``PALETTE``         curves: the 8 Okabe-Ito colours
==================  ==========================================================
"""
from __future__ import annotations

import math
from collections.abc import Mapping, Sequence

import matplotlib.pyplot as plt
import numpy as np
import torch
from matplotlib.figure import Figure
from matplotlib.ticker import FuncFormatter, MaxNLocator
from sklearn.metrics import roc_curve

from . import metrics
from .checks import check_images, check_positive_int, check_unit_range, is_real

__all__ = ["CMAP_IMAGE", "CMAP_HEAT", "CMAP_SIGNED", "PALETTE", "show_images", "show_montage", "compare",
           "signed_maps", "plot_history", "plot_roc", "kernel_panel", "plot_ladder", "plain_log_labels"]

CMAP_IMAGE = "gray"
CMAP_HEAT = "cividis"
CMAP_SIGNED = "PuOr"

# Okabe & Ito (2008), "Color Universal Design". Ordered for curves on a white
# background: the strongest contrasts first, yellow last.
PALETTE = (
    "#0072B2",  # blue
    "#E69F00",  # orange
    "#009E73",  # bluish green
    "#D55E00",  # vermillion
    "#CC79A7",  # reddish purple
    "#56B4E9",  # sky blue
    "#000000",  # black
    "#F0E442",  # yellow
)

TITLE_FONTSIZE = 9


# --------------------------------------------------------------------------
# Input helpers
# --------------------------------------------------------------------------

def _as_tensor(x, name: str) -> torch.Tensor:
    """A detached CPU tensor from a tensor or a numpy array (no copy when possible)."""
    if isinstance(x, np.ndarray):
        return torch.from_numpy(x)
    if isinstance(x, torch.Tensor):
        return x.detach().cpu()
    raise TypeError(f"{name}: expected a torch.Tensor or numpy array; got {type(x).__name__}.")


def _as_image_batch(x, name: str, allow_single: bool = False) -> torch.Tensor:
    """Return a float32 ``(N, C, H, W)`` CPU tensor with C in (1, 3).

    Accepts ``(N, C, H, W)``, volumes ``(N, C, D, H, W)`` (the middle slice
    ``D // 2`` is taken) and, with ``allow_single``, one image ``(C, H, W)``.
    """
    from_numpy = isinstance(x, np.ndarray)
    x = _as_tensor(x, name)
    single = allow_single and x.ndim == 3
    if single:
        x = x[None]
    check_images(x, name, ndim=(4, 5), min_count=1)
    if x.ndim == 5:
        x = x[:, :, x.shape[2] // 2]
    if x.shape[1] not in (1, 3):
        if single:
            fix = ("one image is (C, H, W) with C = 1 or 3; a batch of grayscale images (N, H, W) needs "
                   "its channel axis: x.unsqueeze(1).")
        elif x.shape[-1] in (1, 3):
            how = "np.transpose(x, (0, 3, 1, 2))" if from_numpy else "x.permute(0, 3, 1, 2)"
            fix = f"images are (N, C, H, W), channels first: convert (N, H, W, C) with {how}."
        else:
            fix = "images are (N, C, H, W), channels first, with C = 1 (grayscale) or 3 (RGB)."
        shape = tuple(x.shape[1:]) if single else tuple(x.shape)
        raise ValueError(f"{name}: expected 1 (grayscale) or 3 (RGB) channels on axis 1; got shape {shape}: {fix}")
    return x.float()


def _as_2d(x, name: str) -> torch.Tensor:
    x = _as_tensor(x, name)
    if x.ndim != 2:
        raise ValueError(f"{name}: expected one 2-D image (H, W); got shape {tuple(x.shape)}. "
                         "Select a channel or squeeze, e.g. x[0, 0] or x.squeeze().")
    if x.numel() == 0:
        raise ValueError(f"{name}: the image is empty, shape {tuple(x.shape)}.")
    if not x.is_floating_point():
        x = x.float()
    if not torch.isfinite(x).all():
        raise ValueError(f"{name}: contains NaN or Inf values.")
    return x.float()


def _check_titles(titles, n: int, name: str) -> list[str] | None:
    if titles is None:
        return None
    if isinstance(titles, str) or not hasattr(titles, "__len__"):
        raise TypeError(f"{name}: titles must be a list of {n} strings (or None); "
                        f"got {type(titles).__name__}.")
    if len(titles) != n:
        raise ValueError(f"{name}: got {len(titles)} titles for {n} images; pass one per image.")
    return [str(t) for t in titles]


def _draw_image(ax, image: torch.Tensor, cmap=None, vmin: float = 0.0, vmax: float = 1.0):
    """Draw one ``(C, H, W)`` image: C=1 with a colormap, C=3 as RGB clipped to [vmin, vmax]."""
    if image.shape[0] == 1:
        im = ax.imshow(image[0].numpy(), cmap=cmap or CMAP_IMAGE, vmin=vmin, vmax=vmax)
    else:
        rgb = ((image - vmin) / (vmax - vmin)).clamp(0, 1).permute(1, 2, 0)
        im = ax.imshow(rgb.numpy())
    ax.set_axis_off()
    return im


def _grid(n_cells: int, ncols: int, size: float, extra_height: float = 0.0, aspect: float = 1.0,
          max_width: float = 10.0):
    """``size``-inch cells; cells of wide images (``aspect`` = width / height > 1) are as wide as
    the image, the whole figure shrunk to at most ``max_width`` inches."""
    nrows = math.ceil(n_cells / ncols)
    cell_w = size * max(aspect, 1.0)
    scale = min(1.0, max_width / (cell_w * ncols)) if aspect > 1 else 1.0
    fig, axes = plt.subplots(nrows, ncols, figsize=(cell_w * ncols * scale, size * nrows * scale + extra_height),
                             squeeze=False, layout="constrained")
    axes = list(axes.flat)
    for ax in axes[n_cells:]:
        fig.delaxes(ax)
    return fig, axes[:n_cells]


# --------------------------------------------------------------------------
# Images
# --------------------------------------------------------------------------

def show_images(images, titles=None, ncols: int = 8, cmap=None, vmin: float = 0.0,
                vmax: float = 1.0, size: float = 1.6, suptitle: str | None = None) -> Figure:
    """A grid of images, row by row, ``ncols`` per row.

    Args:
        images: ``(N, C, H, W)`` float tensor or numpy array, C = 1 (grayscale,
            drawn with ``cmap``, default :data:`CMAP_IMAGE`) or 3 (RGB). Volumes
            ``(N, C, D, H, W)`` show their middle slice ``D // 2``.
        titles: one title per image, or None.
        ncols: images per row (fewer when N is smaller).
        vmin, vmax: the values drawn black and white (RGB is clipped to them);
            fixed, not per image, so that brightness is comparable.
        size: inches per image.
        suptitle: a title over the whole grid.

    Returns:
        The Figure, with one Axes per image.
    """
    x = _as_image_batch(images, "show_images: images")
    titles = _check_titles(titles, len(x), "show_images")
    ncols = min(check_positive_int(ncols, "show_images: ncols"), len(x))
    if not vmin < vmax:
        raise ValueError(f"show_images: need vmin < vmax; got vmin={vmin}, vmax={vmax}.")
    hi = float(x.max())
    if hi > vmin + 10 * (vmax - vmin):   # every pixel would be drawn white
        raise ValueError(f"show_images: the images reach {hi:.4g}, far above vmax={vmax:g}, so every pixel "
                         f"would be white. 0-255 images? Divide by 255, or pass vmax={hi:.4g}.")
    fig, axes = _grid(len(x), ncols, size, extra_height=0.3 if suptitle else 0.0)
    for i, ax in enumerate(axes):
        _draw_image(ax, x[i], cmap, vmin, vmax)
        if titles:
            ax.set_title(titles[i], fontsize=TITLE_FONTSIZE)
    if suptitle:
        fig.suptitle(suptitle)
    return fig


def show_montage(picture, title: str | None = None, row_labels=None, pixels_per_inch: float = 45.0) -> Figure:
    """One picture of tiled images drawn at its own size, e.g. a benchmark's saved figure read
    back with ``plt.imread(coursekit.bench.find_image(...))``.

    Args:
        picture: ``(H, W)`` grayscale, float in [0, 1] (a :func:`coursekit.generative.montage`),
            drawn with :data:`CMAP_IMAGE` on [0, 1].
        title: over the picture, or None.
        row_labels: one label per row of images, the rows of equal height, each label written
            at the left of its row's middle; None for no labels.
        pixels_per_inch: the figure's scale (45: a 28-pixel image is about 0.6 inch wide).

    Returns:
        The Figure, with one Axes and no ticks but the row labels.
    """
    img = _as_2d(picture, "show_montage: picture")
    check_unit_range(img, "show_montage: picture")
    if not is_real(pixels_per_inch) or not pixels_per_inch > 0:
        raise ValueError(f"show_montage: pixels_per_inch must be a positive number; got {pixels_per_inch!r}.")
    h, w = img.shape
    if row_labels is not None:
        if isinstance(row_labels, str) or not hasattr(row_labels, "__len__"):
            raise TypeError(f"show_montage: row_labels must be a list of strings, one per row; "
                            f"got {type(row_labels).__name__}.")
        if not 1 <= len(row_labels) <= h:
            raise ValueError(f"show_montage: row_labels needs at least one label and at most one per pixel row; "
                             f"got {len(row_labels)} row labels for a picture {h} pixels high.")
    fig, ax = plt.subplots(figsize=(w / pixels_per_inch, h / pixels_per_inch), layout="constrained")
    ax.imshow(img.numpy(), cmap=CMAP_IMAGE, vmin=0.0, vmax=1.0)
    ax.set_xticks([])
    if row_labels is None:
        ax.set_yticks([])
    else:
        row = h / len(row_labels)
        ax.set_yticks([(k + 0.5) * row for k in range(len(row_labels))], [str(t) for t in row_labels],
                      fontsize=TITLE_FONTSIZE - 1)
    if title:
        ax.set_title(title, fontsize=TITLE_FONTSIZE)
    return fig


def compare(panels: Mapping, reference: str | None = None, ncols: int | None = None,
            errors: bool | Sequence[str] = False, data_range: float = 1.0, vmin: float = 0.0,
            vmax: float = 1.0, size: float = 2.0) -> Figure:
    """Side-by-side columns, e.g. ``{"noisy": x, "denoised": y, "clean": z}``.

    Args:
        panels: name -> images, every value of the same shape, ``(C, H, W)`` or
            ``(N, C, H, W)`` (tensor or numpy array, C = 1 or 3). One column per
            panel, in the dict's order; one row per image when N > 1. A 3-D value
            is one image: three grayscale images ``(3, H, W)`` would be drawn as one
            RGB image, so give them their channel axis, ``(3, 1, H, W)``.
        reference: the name of the panel the others are measured against. Each
            other panel's title then gives its PSNR (dB) and SSIM with respect to
            it, image by image, as :func:`coursekit.metrics.psnr` / ``ssim``
            compute them (with ``data_range``). None: titles are just the names.
        ncols: columns per row for a single image (N = 1), to wrap many panels;
            with N > 1 every row is one image and ncols must stay None.
        errors: add, for each non-reference panel, a column with the error map
            ``|x - reference|`` (mean over channels) in :data:`CMAP_HEAT` with a
            colorbar; all error maps share one colour scale. Needs ``reference``.
            A list of panel names maps only those panels, and the shared scale is
            set by them alone: leave out a panel whose large error (a noisy input)
            would make the others' maps too dark to compare.
        vmin, vmax: display range of the images (not of the error maps).
        size: inches per panel.

    Returns:
        The Figure: one Axes per panel and image, plus one per error map and
        one per colorbar.
    """
    if not isinstance(panels, Mapping) or len(panels) == 0:
        raise TypeError("compare: panels must be a non-empty dict {name: images}; "
                        f"got {type(panels).__name__}.")
    images = {str(k): _as_image_batch(v, f"compare: panels[{k!r}]", allow_single=True)
              for k, v in panels.items()}
    shapes = {k: tuple(v.shape) for k, v in images.items()}
    if len(set(shapes.values())) > 1:
        raise ValueError(f"compare: every panel must have the same shape; got {shapes}.")
    if reference is not None and reference not in images:
        raise ValueError(f"compare: reference {reference!r} is not one of the panels {list(images)}.")
    if errors is not False and reference is None:
        raise ValueError("compare: errors needs a reference panel to compute |x - reference|.")
    n = len(next(iter(images.values())))
    others = [k for k in images if k != reference]
    if errors is True and not others:
        raise ValueError(f"compare: errors=True maps |x - reference| for the other panels, and there is none "
                         f"besides the reference {reference!r}; add a panel or pass errors=False.")
    if isinstance(errors, bool):
        mapped = others if errors else []
    elif isinstance(errors, str) or not isinstance(errors, Sequence) or not errors:
        raise TypeError(f"compare: errors must be True, False or a non-empty list of panel names; got {errors!r}.")
    else:
        mapped = [str(k) for k in errors]
        unknown = [k for k in mapped if k not in others]
        if unknown:
            raise ValueError(f"compare: errors names {unknown}, which are not panels besides the reference "
                             f"{reference!r}; the panels are {others}.")

    titles = {k: [k] * n for k in images}
    if reference is not None:
        ref = images[reference]
        for k in others:
            p = metrics.psnr(images[k], ref, data_range=data_range, reduction="none")
            s = metrics.ssim(images[k], ref, data_range=data_range, reduction="none")
            titles[k] = [f"{k}\nPSNR {float(p[i]):.2f} dB, SSIM {float(s[i]):.3f}"
                         for i in range(n)]
        titles[reference] = [f"{reference} (reference)"] * n
    error_maps = {}
    if mapped:
        error_maps = {k: (images[k] - images[reference]).abs().mean(dim=1) for k in mapped}
        err_max = max(float(e.max()) for e in error_maps.values()) or 1.0

    # one "cell" per drawn panel, row by row (one row per image)
    cells = [(i, k, "error" if j >= len(images) else "image")
             for i in range(n) for j, k in enumerate(list(images) + list(error_maps))]
    per_row = len(images) + len(error_maps)
    if ncols is not None:
        if n > 1:
            raise ValueError(f"compare: ncols applies to a single image; with N={n} images every "
                             "row is one image. Leave ncols=None.")
        per_row = check_positive_int(ncols, "compare: ncols")
    fig, axes = _grid(len(cells), min(per_row, len(cells)), size, extra_height=0.4)
    for ax, (i, k, kind) in zip(axes, cells):
        if kind == "image":
            _draw_image(ax, images[k][i], vmin=vmin, vmax=vmax)
            ax.set_title(titles[k][i], fontsize=TITLE_FONTSIZE)
        else:
            im = ax.imshow(error_maps[k][i].numpy(), cmap=CMAP_HEAT, vmin=0.0, vmax=err_max)
            ax.set_axis_off()
            ax.set_title(f"|{k} - {reference}|", fontsize=TITLE_FONTSIZE)
            fig.colorbar(im, ax=ax, shrink=0.8)
    return fig


def signed_maps(maps: Mapping, label: str | None = None, size: float = 2.3) -> Figure:
    """Signed maps side by side on one symmetric colour scale: one column per name, one row per
    image. For differences that can be negative, such as what a denoiser removed from its input
    (:func:`coursekit.enhance.method_noise`): :data:`CMAP_SIGNED` from ``-b`` to ``b``, ``b`` the
    largest ``|value|`` over all the maps, so that 0 is the middle colour and the columns compare.

    Args:
        maps: name -> ``(N, 1, H, W)`` float tensor or array (one map ``(1, H, W)`` too), all of
            the same shape; any sign.
        label: the colour bar's label.
        size: inches per panel.
    """
    if not isinstance(maps, Mapping) or not maps:
        raise TypeError(f"signed_maps: expected a non-empty dict of name -> (N, 1, H, W) maps; got {maps!r:.80}.")
    arrays = {str(k): _as_image_batch(v, f"signed_maps[{k!r}]", allow_single=True) for k, v in maps.items()}
    shapes = {k: tuple(v.shape) for k, v in arrays.items()}
    if len(set(shapes.values())) > 1:
        raise ValueError(f"signed_maps: every map must have the same shape; got {shapes}.")
    n, channels = next(iter(shapes.values()))[:2]
    if channels != 1:
        raise ValueError(f"signed_maps: expected maps of one channel, (N, 1, H, W); got {channels} channels.")
    bound = max(float(v.abs().max()) for v in arrays.values()) or 1.0
    fig, axes = plt.subplots(n, len(arrays), figsize=(size * len(arrays) + 0.8, size * n + 0.3), squeeze=False,
                             layout="constrained")
    for row in range(n):
        for col, (name, v) in enumerate(arrays.items()):
            im = axes[row, col].imshow(v[row, 0].numpy(), cmap=CMAP_SIGNED, vmin=-bound, vmax=bound)
            axes[row, col].set_title(name, fontsize=TITLE_FONTSIZE)
            axes[row, col].set_axis_off()
    fig.colorbar(im, ax=axes, shrink=0.8 if n == 1 else 0.5, label=label)
    return fig


def kernel_panel(image, outputs: Mapping, size: float = 2.2, input_title: str = "input",
                 ncols: int | None = None) -> Figure:
    """An input image and what several operations make of it, in one row
    (or in rows of ``ncols`` panels).

    Args:
        image: ``(H, W)`` float tensor or array, drawn in :data:`CMAP_IMAGE`
            with the title ``input_title``; None shows the outputs only.
        outputs: name -> ``(H, W)`` result (shapes may differ from the input,
            e.g. after a valid convolution). An output with negative values is
            *signed*: drawn in :data:`CMAP_SIGNED` with 0 at the centre of the
            scale. Values in [0, 1] use the fixed gray scale of the input.
            When any output is signed or leaves [0, 1], every panel gets a
            colorbar (so all cells have the same size and the gaps between
            them stay even); otherwise none does.
        size: inches per panel.

    Returns:
        The Figure: one Axes per panel (input first), plus one per colorbar.
    """
    if not isinstance(outputs, Mapping) or len(outputs) == 0:
        raise TypeError("kernel_panel: outputs must be a non-empty dict {name: (H, W) image}; "
                        f"got {type(outputs).__name__}.")
    if image is not None and input_title in map(str, outputs):
        raise ValueError(f"kernel_panel: an output is named {input_title!r}, like the input panel, so it would "
                         "replace the input; rename it or pass another input_title.")
    panels = {} if image is None else {input_title: _as_2d(image, "kernel_panel: image")}
    panels.update({str(k): _as_2d(v, f"kernel_panel: outputs[{k!r}]") for k, v in outputs.items()})
    aspect = max(x.shape[1] / x.shape[0] for x in panels.values())   # strips get wide cells
    fig, axes = _grid(len(panels), min(ncols or len(panels), len(panels)), size, extra_height=0.3, aspect=aspect)
    ranges = [(float(x.min()), float(x.max())) for x in panels.values()]
    scaled = any(lo < 0 or hi > 1 for lo, hi in ranges)   # then every panel gets a colorbar
    for ax, (name, x), (lo, hi) in zip(axes, panels.items(), ranges):
        if lo < 0:
            bound = max(-lo, hi) or 1.0
            im = ax.imshow(x.numpy(), cmap=CMAP_SIGNED, vmin=-bound, vmax=bound)
        elif hi <= 1:
            im = ax.imshow(x.numpy(), cmap=CMAP_IMAGE, vmin=0.0, vmax=1.0)
        else:
            im = ax.imshow(x.numpy(), cmap=CMAP_IMAGE, vmin=lo, vmax=hi)
        if scaled:
            fig.colorbar(im, ax=ax, shrink=0.8)
        ax.set_axis_off()
        ax.set_title(name, fontsize=TITLE_FONTSIZE)
    return fig


# --------------------------------------------------------------------------
# Curves
# --------------------------------------------------------------------------

def _as_curve(values, key: str) -> np.ndarray:
    if isinstance(values, (list, tuple)):   # losses appended as tensors (perhaps still tracking gradients)
        values = [float(v.detach()) if isinstance(v, torch.Tensor) and v.numel() == 1 else v for v in values]
    try:
        arr = np.asarray(values, dtype=float)
    except (TypeError, ValueError) as err:
        raise TypeError(f"plot_history: history[{key!r}] must be a list of numbers.") from err
    if arr.ndim != 1:
        raise ValueError(f"plot_history: history[{key!r}] must be a flat list; got shape {arr.shape}.")
    return arr


def plot_history(history: Mapping, keys=None, logy: bool = False, size: float = 3.5) -> Figure:
    """Training curves: losses on the left, other metrics (auc, acc, psnr...) on the right.

    Args:
        history: name -> list of floats, one per epoch, e.g. the ``History``
            returned by :func:`coursekit.train.fit`. The x axis is
            ``history["epoch"]`` when present, else 1, 2, ...
        keys: the names to plot (default: all but ``"epoch"``, timings such
            as ``"time_s"`` and the learning rate ``"lr"``, whose scale would
            flatten it to a line at 0 next to accuracies; ask for
            ``keys=["lr"]`` to see it). A name that
            contains ``"loss"`` goes to the loss panel, any other to the
            metrics panel.
        logy: logarithmic y axis for the loss panel.
        size: inches per panel (height).

    Returns:
        The Figure, with one Axes per non-empty panel (1 or 2). A panel's y axis is labelled
        with its curve's name when it has one curve, else "loss" or "value".
    """
    if not isinstance(history, Mapping) or len(history) == 0:
        raise TypeError("plot_history: history must be a non-empty dict {name: list of floats}; "
                        f"got {type(history).__name__}.")
    available = [k for k in history if k != "epoch"]
    if keys is None:
        keys = [k for k in available if not k.startswith("time") and k != "lr"]
    elif isinstance(keys, str):
        keys = [keys]
    missing = [k for k in keys if k not in available]
    if missing or not keys:
        raise ValueError(f"plot_history: keys {missing or keys} not in the history; "
                         f"available: {available}.")
    curves = {k: _as_curve(history[k], k) for k in keys}
    lengths = {k: len(v) for k, v in curves.items()}
    if "epoch" in history:
        x = _as_curve(history["epoch"], "epoch")
    else:
        x = np.arange(1, max(lengths.values()) + 1)
    if any(n != len(x) for n in lengths.values()):
        raise ValueError(f"plot_history: every curve needs one value per epoch ({len(x)}); "
                         f"got lengths {lengths}.")

    groups = {"loss": [k for k in keys if "loss" in k.lower()],
              "metrics": [k for k in keys if "loss" not in k.lower()]}
    groups = {title: ks for title, ks in groups.items() if ks}
    fig, axes = plt.subplots(1, len(groups), figsize=(1.4 * size * len(groups), size),
                             squeeze=False, layout="constrained")
    marker = "o" if len(x) <= 30 else None
    for ax, (title, ks) in zip(axes.flat, groups.items()):
        for k in ks:
            ax.plot(x, curves[k], label=k, marker=marker, markersize=3,
                    color=PALETTE[keys.index(k) % len(PALETTE)])
        ax.set_title(title, fontsize=TITLE_FONTSIZE + 1)
        ax.set_xlabel("epoch")
        ax.set_ylabel(ks[0] if len(ks) == 1 else {"loss": "loss", "metrics": "value"}[title])
        ax.xaxis.set_major_locator(MaxNLocator(integer=True))
        if title == "loss" and logy:
            ax.set_yscale("log")
            plain_log_labels(ax.yaxis)
        ax.grid(alpha=0.3)
        ax.legend(fontsize=TITLE_FONTSIZE)
    return fig


def plot_ladder(ladder: Mapping, marks: Mapping | None = None, targets: Mapping | None = None,
                kind: str = "blur", size: float = 3.0) -> Figure:
    """A generator's scores read on a yardstick of degraded real images: three panels (FD on a
    log scale, precision, recall) over the sigma of ``kind``.

    Args:
        ladder: ``{(kind, sigma): {"fd", "precision", "recall"}}`` from
            :func:`coursekit.generative.degradation_ladder`; ``("none", 0.0)``, the images as
            they are, is drawn at sigma 0.
        marks: label -> ``{"fd", "precision", "recall"}`` (e.g. a generator's
            ``generative.sample_quality``), each drawn as a dashed horizontal line in its
            colour. At most ``len(PALETTE) - 1`` of them.
        targets: metric -> value, drawn dotted in grey (e.g. ``{"fd": 2 * floor, "precision": 0.5}``).
        kind: the degradation on the x axis.
        size: inches per panel (height).

    Returns:
        The Figure, with its three Axes in the order fd, precision, recall.
    """
    from .generative import LADDER_METRICS, ladder_points

    marks, targets = dict(marks or {}), dict(targets or {})
    try:
        points = ladder_points(ladder, kind)
    except ValueError as err:
        raise ValueError(f"plot_ladder: {err}.") from None
    if len(marks) > len(PALETTE) - 1:
        raise ValueError(f"plot_ladder: at most {len(PALETTE) - 1} marks; got {len(marks)}.")
    for label, q in {**marks, "targets": targets}.items():
        extra = set(q) - set(LADDER_METRICS)
        if extra or (label != "targets" and set(q) != set(LADDER_METRICS)):
            raise ValueError(f"plot_ladder: {label!r} must give {LADDER_METRICS}"
                             f"{' (or some of them)' if label == 'targets' else ''}; got {sorted(q)}.")
    fig, axes = plt.subplots(1, 3, figsize=(3 * 1.2 * size, size), layout="constrained")
    x = [sigma for sigma, _ in points]
    for ax, metric in zip(axes, LADDER_METRICS):
        ax.plot(x, [q[metric] for _, q in points], marker="o", markersize=3, color=PALETTE[6],
                label=f"real images, {kind}")
        mark_colours = [c for c in PALETTE if c != PALETTE[6]]   # black is the ladder's
        for colour, (label, q) in zip(mark_colours, marks.items()):
            ax.axhline(q[metric], ls="--", color=colour, label=label)
        if metric in targets:
            ax.axhline(targets[metric], ls=":", color="grey", label="target")
        ax.set_xlabel(f"{kind} sigma" + (" (px)" if kind == "blur" else ""))
        ax.set_title("FD to the reference" if metric == "fd" else metric, fontsize=TITLE_FONTSIZE + 1)
        if metric == "fd":
            ax.set_yscale("log")
            plain_log_labels(ax.yaxis)
        else:
            ax.set_ylim(0, 1)
        ax.grid(alpha=0.3)
    legend = {}                                        # label -> handle, in the order first drawn
    for ax in axes:                                    # a target may sit on any one panel
        for handle, label in zip(*ax.get_legend_handles_labels()):
            legend.setdefault(label, handle)
    fig.legend(list(legend.values()), list(legend), loc="outside right upper", fontsize=TITLE_FONTSIZE - 1)
    return fig


MINOR_LABEL_DECADES = 2     # plain_log_labels labels minor ticks on log axes spanning at most this many decades


def plain_log_labels(axis) -> None:
    """Label a log-scaled ``axis`` (``ax.yaxis``, ``ax.xaxis``) in plain numbers: "6", not
    "6 x 10^0", at the powers of ten and, between them, only at 2 and 5 times one, so that the
    minor labels of a short range (7, 8, 9) do not run into each other. A range so short that
    this leaves fewer than two labels (a loss from 0.072 to 0.041 showed "0.05" alone, so no
    value could be read off) is labelled at 3, 4, 6 and 8 times one too, and at every tick if
    even that leaves fewer than two (see :data:`LOG_LABEL_MANTISSAS`). Over more than
    ``MINOR_LABEL_DECADES`` decades the powers of ten alone are labelled."""
    def minor(value: float, _) -> str:
        low, high = sorted(axis.get_view_interval())
        short = low > 0 and math.log10(high / low) <= MINOR_LABEL_DECADES
        # a tick outside the view is not drawn; older Matplotlib (3.7) still asks for its label
        seen = low * (1 - 1e-9) <= value <= high * (1 + 1e-9)
        return f"{value:g}" if short and seen and _mantissa(value) in _labelled_mantissas(low, high) else ""
    axis.set_major_formatter(FuncFormatter(lambda v, _: f"{v:g}"))
    axis.set_minor_formatter(FuncFormatter(minor))


# The mantissas plain_log_labels labels on a short log axis: the first set that puts at least two
# labels in view. 7 and 9 come last: near the top of a decade their labels crowd their neighbours.
LOG_LABEL_MANTISSAS = ((1, 2, 5), (1, 2, 3, 4, 5, 6, 8), (1, 2, 3, 4, 5, 6, 7, 8, 9))


def _mantissa(value: float) -> int | None:
    """The leading digit of a log axis's tick (3 for 0.03), or None between the digits."""
    if value <= 0:
        return None
    mantissa = value / 10 ** math.floor(math.log10(value))
    return round(mantissa) if abs(mantissa - round(mantissa)) < 1e-6 else None


def _labelled_mantissas(low: float, high: float) -> tuple[int, ...]:
    """The first set of :data:`LOG_LABEL_MANTISSAS` with at least two ticks in ``[low, high]``."""
    decades = range(math.floor(math.log10(low)), math.floor(math.log10(high)) + 1)
    for mantissas in LOG_LABEL_MANTISSAS:
        ticks = [m * 10.0 ** n for n in decades for m in mantissas]
        if sum(low * (1 - 1e-9) <= t <= high * (1 + 1e-9) for t in ticks) >= 2:
            return mantissas
    return LOG_LABEL_MANTISSAS[-1]


def _binary_scores(scores, n: int, name: str) -> np.ndarray:
    s = _as_tensor(scores, name).double().numpy()
    if s.ndim == 2 and s.shape[1] in (1, 2):
        s = s[:, -1]            # as metrics.auc: the last column is the positive class
    if s.ndim != 1 or len(s) != n:
        raise ValueError(f"{name}: expected {n} scores, shape (N,), (N, 1) or (N, 2); "
                         f"got shape {tuple(s.shape)}.")
    if not np.isfinite(s).all():
        raise ValueError(f"{name}: contains NaN or Inf.")
    return s


def plot_roc(y_true, scores: Mapping, title: str | None = None, size: float = 4.0) -> Figure:
    """ROC curves of several models on one binary task, AUC in the legend.

    Args:
        y_true: ``(N,)`` or ``(N, 1)`` labels 0/1 (both present), array or tensor.
        scores: model name -> its scores for the positive class: ``(N,)``,
            ``(N, 1)`` or ``(N, 2)`` (then the last column, as
            :func:`coursekit.metrics.auc`). Probabilities or any real score:
            only the ranking matters. At most ``len(PALETTE)`` models.
        title: axes title.
        size: figure width in inches, and its height when the legend sits in the axes;
            a legend below the axes adds its own height, so that the axes keep their size.

    Returns:
        The Figure, with one Axes: a curve per model in :data:`PALETTE` order,
        labelled "name (AUC 0.912)", and the chance diagonal; the legend in the lower
        right, or below the axes for more than three models.
    """
    y = _as_tensor(y_true, "plot_roc: y_true").numpy()
    if y.ndim == 2 and y.shape[1] == 1:
        y = y[:, 0]
    if y.ndim != 1:
        raise ValueError(f"plot_roc: y_true must be (N,) or (N, 1) binary labels; got shape {y.shape}.")
    if set(np.unique(y).tolist()) != {0, 1}:
        raise ValueError(f"plot_roc: y_true must contain both labels 0 and 1 (a binary task); "
                         f"got labels {np.unique(y).tolist()}.")
    if not isinstance(scores, Mapping) or len(scores) == 0:
        raise TypeError("plot_roc: scores must be a non-empty dict {model name: scores}; "
                        f"got {type(scores).__name__}.")
    if len(scores) > len(PALETTE):
        raise ValueError(f"plot_roc: at most {len(PALETTE)} curves stay distinguishable; "
                         f"got {len(scores)}.")

    below = len(scores) > 3   # then the legend goes below the axes, and the figure grows by its height
    height = size + (0.3 + 0.2 * (len(scores) + 1) if below else 0.0)   # about 0.2 inch per legend line
    fig, ax = plt.subplots(figsize=(size, height), layout="constrained")
    ax.plot([0, 1], [0, 1], linestyle=":", color="0.6", label="chance (AUC 0.5)")
    for colour, (name, s) in zip(PALETTE, scores.items()):
        s = _binary_scores(s, len(y), f"plot_roc: scores[{name!r}]")
        fpr, tpr, _ = roc_curve(y, s)
        ax.plot(fpr, tpr, color=colour, label=f"{name} (AUC {metrics.roc_auc(y, s):.3f})")
    ax.set_xlim(0, 1)
    ax.set_ylim(0, 1.01)
    ax.set_aspect("equal")
    ax.set_xlabel("false positive rate (1 - specificity)")
    ax.set_ylabel("true positive rate (sensitivity)")
    ax.set_title(title or "ROC", fontsize=TITLE_FONTSIZE + 1)
    if not below:            # the corner under the curves is free
        ax.legend(loc="lower right", fontsize=TITLE_FONTSIZE)
    else:                    # more entries would cover the curves at low false positive rates
        ax.legend(loc="upper center", bbox_to_anchor=(0.5, -0.16), fontsize=TITLE_FONTSIZE)
    ax.grid(alpha=0.3)
    return fig

"""Interactive demos: a pure function, a thin ipywidgets wrapper, a static panel.

Every demo is written as a *pure function* (arrays in, array out: tested like
any other code) plus :func:`explore`, which shows

1. a pre-rendered panel of several settings (a matplotlib figure), so the
   page is useful on the static site where no kernel runs, and
2. the live controls (``ipywidgets.interactive``) when a kernel is running
   (:func:`live` alone, when the static figure is drawn another way).

The first demo is the kernel explorer of the CNN chapter.
"""
from __future__ import annotations

from typing import Callable, Mapping, Sequence

import numpy as np
import torch
import torch.nn.functional as F

__all__ = ["KERNELS", "kernel", "apply_kernel", "static_panel", "explore", "live", "kernel_explorer"]

# Classic 3x3 kernels as the deep-learning libraries apply them (cross-correlation).
KERNELS = {
    "identity": np.array([[0, 0, 0], [0, 1, 0], [0, 0, 0]], dtype=np.float32),
    "box blur": np.full((3, 3), 1 / 9, dtype=np.float32),
    "gaussian blur": np.array([[1, 2, 1], [2, 4, 2], [1, 2, 1]], dtype=np.float32) / 16,
    "sharpen": np.array([[0, -1, 0], [-1, 5, -1], [0, -1, 0]], dtype=np.float32),
    "sobel x": np.array([[-1, 0, 1], [-2, 0, 2], [-1, 0, 1]], dtype=np.float32),
    "sobel y": np.array([[-1, -2, -1], [0, 0, 0], [1, 2, 1]], dtype=np.float32),
    "laplacian": np.array([[0, 1, 0], [1, -4, 1], [0, 1, 0]], dtype=np.float32),
}


def kernel(name: str, size: int = 3) -> np.ndarray:
    """A named kernel as a ``(size, size)`` float32 array.

    ``size`` > 3 is allowed for the blurs only (box: uniform; gaussian: sigma
    = size / 6, normalised to sum 1); edge kernels are 3 x 3 by definition.
    """
    if name not in KERNELS:
        raise ValueError(f"unknown kernel {name!r}; expected one of {sorted(KERNELS)}")
    if not isinstance(size, int) or size < 1 or size % 2 == 0:
        raise ValueError(f"size must be an odd positive int; got {size!r}")
    if size == 3:
        return KERNELS[name].copy()
    if name == "box blur":
        return np.full((size, size), 1 / size**2, dtype=np.float32)
    if name == "gaussian blur":
        r = np.arange(size) - size // 2
        g = np.exp(-(r**2) / (2 * (size / 6) ** 2))
        k = np.outer(g, g)
        return (k / k.sum()).astype(np.float32)
    raise ValueError(f"kernel {name!r} exists only as 3 x 3; size={size} is for the blurs")


def apply_kernel(image, k) -> np.ndarray:
    """Cross-correlate a 2D image with a kernel, keeping the size (reflect padding).

    image: ``(H, W)`` or ``(1, H, W)`` float array/tensor in [0, 1];
    k: a kernel name or a ``(kh, kw)`` array with odd sides.
    Returns ``(H, W)`` float32; values may leave [0, 1] (edge kernels are signed).
    """
    k = kernel(k) if isinstance(k, str) else np.asarray(k, dtype=np.float32)
    x = torch.as_tensor(np.asarray(image), dtype=torch.float32)
    if x.ndim == 3 and x.shape[0] == 1:
        x = x[0]
    if x.ndim != 2:
        raise ValueError(f"image must be (H, W) or (1, H, W); got shape {tuple(x.shape)}")
    if k.ndim != 2 or k.shape[0] % 2 == 0 or k.shape[1] % 2 == 0:
        raise ValueError(f"kernel must be 2D with odd sides; got shape {k.shape}")
    ph, pw = k.shape[0] // 2, k.shape[1] // 2
    if x.shape[0] <= ph or x.shape[1] <= pw:
        raise ValueError(f"image of {x.shape[0]}x{x.shape[1]} px is too small for a {k.shape[0]}x{k.shape[1]} kernel "
                         f"with reflect padding: it needs at least {ph + 1}x{pw + 1} px")
    xp = F.pad(x[None, None], (pw, pw, ph, ph), mode="reflect")
    return F.conv2d(xp, torch.from_numpy(k)[None, None])[0, 0].numpy()


def static_panel(render: Callable[..., np.ndarray], settings: Sequence[Mapping], titles: Sequence[str] | None = None,
                 original=None, suptitle: str | None = None, ncols: int | None = 5, size: float = 2.2):
    """Pre-render ``render(**s)`` for every setting ``s`` into one figure, in
    rows of ``ncols`` panels of ``size`` inches (the ``original`` image first, if given).
    Returns the Figure."""
    from . import viz

    titles = list(titles) if titles is not None else [", ".join(f"{k}={v}" for k, v in s.items()) for s in settings]
    if len(titles) != len(settings):
        raise ValueError(f"got {len(titles)} titles for {len(settings)} settings")
    outputs = {t: render(**s) for t, s in zip(titles, settings)}
    fig = viz.kernel_panel(np.asarray(original) if original is not None else None, outputs, ncols=ncols, size=size)
    if suptitle:
        fig.suptitle(suptitle)
    return fig


def explore(render: Callable[..., np.ndarray], controls: Mapping[str, object],
            settings: Sequence[Mapping], titles=None, original=None, suptitle=None, ncols: int | None = 5,
            size: float = 2.2):
    """Show the static panel, then live controls when a kernel runs.

    render: the pure function ``render(**values) -> (H, W) array``.
    controls: ``ipywidgets.interactive`` abbreviations, e.g.
        ``{"name": list_of_names, "size": (3, 9, 2)}``.
    settings: the parameter sets pre-rendered for the static page.
    ncols, size: panels per row and inches per panel of that page (a montage
        of many small images wants fewer, larger panels).
    Returns the ``interactive`` widget (or None without ipywidgets).
    """
    import matplotlib.pyplot as plt
    from IPython.display import display

    fig = static_panel(render, settings, titles, original, suptitle, ncols=ncols, size=size)
    display(fig)
    plt.close(fig)
    return live(render, controls, original=original, size=size)


def live(render: Callable[..., np.ndarray], controls: Mapping[str, object], original=None, size: float = 2.2):
    """Live controls only, for a page whose static figure is drawn another way: ``render``,
    ``controls``, ``original`` and ``size`` as in :func:`explore`. Returns the
    ``interactive`` widget (or None without ipywidgets: the static figure is the whole demo)."""
    import matplotlib.pyplot as plt
    from IPython.display import display

    try:
        import ipywidgets
    except ImportError:
        return None

    def _show(**values):
        out = static_panel(render, [values], ["output"], original, size=size)
        display(out)
        plt.close(out)

    widget = ipywidgets.interactive(_show, **controls)
    display(widget)
    return widget


def kernel_explorer(image, names: Sequence[str] | None = None):
    """The CNN chapter's demo: classic kernels applied to one image (H, W)."""
    names = list(names or KERNELS)

    def render(name, size=3):
        size = size if name in ("box blur", "gaussian blur") else 3
        return apply_kernel(image, kernel(name, size))

    return explore(render, {"name": names, "size": (3, 9, 2)},
                   settings=[{"name": n} for n in names], titles=names, original=image,
                   suptitle="Classic kernels on one image (signed outputs in purple/orange)")

"""Interactive demos: a pure function, a thin ipywidgets wrapper, a static panel.

Every demo is written as a *pure function* (arrays in, array out: tested like
any other code) plus :func:`explore`, which shows

1. a pre-rendered panel of several settings (a matplotlib figure), so the
   page is useful on the static site where no kernel runs, and
2. the live controls when a kernel is running (:func:`live` alone, when the
   static figure is drawn another way): sliders or a menu and an image widget
   that each change redraws. On the site, where nothing would answer them, a
   note (:data:`STATIC_NOTE`) stands in their place, and the page carries none
   of their state (:mod:`coursekit.site_widgets`).

The live controls are not ``ipywidgets.interactive``: that draws into an
``Output`` widget, and a notebook executed without a browser (the site build:
Jupyter Book, nbclient) mimics that widget by sending messages to the kernel
on the channel it is reading the cell's reply from. The two race, and the
build can wait for a reply it never sees (jupyter/nbclient#312). An image
widget's new picture is state the kernel sends; nothing is sent back.

The first demo is the kernel explorer of the CNN chapter.
"""
from __future__ import annotations

from typing import Callable, Mapping, Sequence

import numpy as np
import torch
import torch.nn.functional as F

from .checks import check_unit_range

__all__ = ["KERNELS", "STATIC_NOTE", "kernel", "apply_kernel", "static_panel", "explore", "live", "png_bytes",
           "kernel_view", "kernel_explorer"]

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


_SIZED = ("box blur", "gaussian blur")   # the kernels that come in other sizes than 3 x 3


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
    image = image.detach().cpu() if isinstance(image, torch.Tensor) else image   # a model's input may need grad
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
    repeated = sorted({t for t in titles if titles.count(t) > 1})
    if repeated:
        raise ValueError(f"every panel needs its own title, or one panel would hide another; repeated: {repeated}")
    outputs = {t: render(**s) for t, s in zip(titles, settings)}
    fig = viz.kernel_panel(np.asarray(original) if original is not None else None, outputs, ncols=ncols, size=size)
    if suptitle:
        fig.suptitle(suptitle)
    return fig


def explore(render: Callable[..., np.ndarray], controls: Mapping[str, object],
            settings: Sequence[Mapping], titles=None, original=None, suptitle=None, ncols: int | None = 5,
            size: float = 2.2, title: Callable[..., str] | None = None):
    """Show the static panel, then live controls when a kernel runs.

    render: the pure function ``render(**values) -> (H, W) array``.
    controls: abbreviations as ``ipywidgets.interact`` reads them, e.g.
        ``{"name": list_of_names, "size": (3, 9, 2)}`` (see :func:`live`).
    settings: the parameter sets pre-rendered for the static page; the live
        controls start at the first.
    ncols, size: panels per row and inches per panel of that page (a montage
        of many small images wants fewer, larger panels).
    title: the live picture's title, as in :func:`live`.
    Returns the live controls of :func:`live` (None without ipywidgets).
    """
    import matplotlib.pyplot as plt
    from IPython.display import display

    try:   # the controls first: a first setting they cannot show is refused before anything is drawn
        box = _live_box(render, controls, original, size, settings[0] if settings else None, title)
    except ValueError as err:
        raise ValueError(f"settings[0]: {err}") from None
    fig = static_panel(render, settings, titles, original, suptitle, ncols=ncols, size=size)
    display(fig)
    plt.close(fig)
    if box is not None:
        _show(box)
    return box


# Shown instead of the controls where no kernel answers them: on the built site, whose
# _config.yml renders this note rather than the widget (nb_mime_priority_overrides).
STATIC_NOTE = ("Live controls appear here when this notebook runs in Jupyter or Colab (the launch "
               "button at the top of the page). This page was built without a running kernel, so "
               "controls here could not redraw anything.")


def live(render: Callable[..., np.ndarray], controls: Mapping[str, object], original=None, size: float = 2.2,
         start: Mapping[str, object] | None = None, title: Callable[..., str] | None = None):
    """Live controls only, for a page whose static figure is drawn another way.

    render, original, size: as in :func:`explore`; or ``render`` returns a whole matplotlib
        ``Figure`` (for a picture that needs its own axes, colour bar or legend), shown as it is
        (``original``, ``size`` and ``title`` then play no part).
    controls: ``{name: abbreviation}`` as ``ipywidgets.interact`` reads them: ``(min, max)``
        or ``(min, max, step)`` gives a slider, a list a menu.
    start: ``{name: value}`` each control starts at; a start the control cannot show is
        refused. A control not named there starts at ``render``'s default for that argument
        when it can show it, or else in the middle of its range (a slider) or at its first item
        (a menu).
    title: ``title(**values) -> str``, the picture's title; default ``"name=value, ..."``.
    Shows and returns an ``ipywidgets.VBox``: one control per name (its ``description`` is the
    name), then an ``ipywidgets.Image`` holding ``render(**values)`` drawn as a titled panel
    (PNG); every change of a control redraws it. An exception raised by ``render`` is drawn as
    the picture (a widget's callback would send it to the kernel's log, out of sight). Beside
    the widget, the display carries :data:`STATIC_NOTE`, which the built site shows instead.
    Returns None without ipywidgets: the static figure is the whole demo.
    """
    box = _live_box(render, controls, original, size, start, title)
    if box is not None:
        _show(box)
    return box


def _live_box(render, controls, original, size, start, title):
    """:func:`live`'s controls and picture, drawn once, not yet shown; None without ipywidgets."""
    try:
        import ipywidgets
    except ImportError:
        return None

    defaults, start = _defaults(render), dict(start or {})
    knobs = {name: _control(name, abbrev, start) if name in start else _control(name, abbrev, defaults, strict=False)
             for name, abbrev in controls.items()}
    picture = ipywidgets.Image(format="png")
    title = title or (lambda **values: ", ".join(f"{k}={v}" for k, v in values.items()))

    from matplotlib.figure import Figure

    def redraw(_change=None):
        values = {name: k.value for name, k in knobs.items()}
        try:
            drawn = render(**values)
            fig = drawn if isinstance(drawn, Figure) else static_panel(
                lambda **_: drawn, [values], [title(**values)], original, size=size)
        except Exception as error:   # noqa: BLE001 - shown to the learner, who can act on it
            fig = _message_figure(f"{type(error).__name__}: {error}")
        picture.value = png_bytes(fig)

    for knob in knobs.values():
        knob.observe(redraw, names="value")
    redraw()
    return ipywidgets.VBox([*knobs.values(), picture])


def _show(box) -> None:
    """Display ``box`` with :data:`STATIC_NOTE` beside its view, for a page built without a kernel."""
    from IPython.display import display

    display({"application/vnd.jupyter.widget-view+json": {"version_major": 2, "version_minor": 0,
                                                            "model_id": box.model_id},
             "text/html": f"<p><em>{STATIC_NOTE}</em></p>", "text/plain": STATIC_NOTE}, raw=True)


def _defaults(render: Callable) -> dict:
    """The default values of ``render``'s arguments, by name."""
    from inspect import Parameter, signature

    return {n: p.default for n, p in signature(render).parameters.items() if p.default is not Parameter.empty}


def _control(name: str, abbrev, first: Mapping, strict: bool = True):
    """One ipywidgets control for ``abbrev``, named ``name``, starting at ``first[name]`` if given
    (and it can show it: else a ValueError, or with ``strict=False`` the control's own start)."""
    from inspect import Parameter

    from ipywidgets.widgets.interaction import interactive

    knob = interactive.widget_from_abbrev(abbrev, Parameter.empty)   # a slider starts mid-range
    if knob is None:
        raise ValueError(f"control {name!r}: {abbrev!r} is not a slider range (min, max[, step]) or a "
                         "list of choices")
    if name in first:
        own = knob.value
        try:
            knob.value = first[name]
        except Exception:   # noqa: BLE001 - a menu refuses a value it does not offer
            pass
        if knob.value != first[name]:   # a slider clamps a value outside its range
            if strict:
                raise ValueError(f"control {name!r} cannot start at {first[name]!r}: its range is {abbrev!r}")
            knob.value = own
    knob.description = name
    return knob


def _message_figure(text: str):
    """A figure that shows ``text`` (wrapped), for a live picture that could not be drawn."""
    import textwrap

    import matplotlib.pyplot as plt

    fig, ax = plt.subplots(figsize=(5, 1.5))
    ax.axis("off")
    ax.text(0.0, 0.5, textwrap.fill(text, 70), va="center", ha="left", fontsize=9, color="darkred")
    return fig


def png_bytes(fig) -> bytes:
    """A matplotlib figure as PNG bytes; the figure is closed."""
    import io

    import matplotlib.pyplot as plt

    buffer = io.BytesIO()
    fig.savefig(buffer, format="png", bbox_inches="tight")
    plt.close(fig)
    return buffer.getvalue()


def kernel_view(image, name: str, size: int = 3) -> np.ndarray:
    """What the kernel explorer shows for the kernel ``name`` (``size`` for the blurs only):
    ``(H, W)`` float32. A kernel whose weights sum to 1 (identity, blurs, sharpen) keeps the
    brightness, so its output is an image and is clipped to [0, 1] for display, as any image
    viewer would (sharpening overshoots at edges); an edge detector's (weights summing to 0)
    stays signed."""
    image = image.detach().cpu() if isinstance(image, torch.Tensor) else image   # may need grad
    check_unit_range(torch.as_tensor(np.asarray(image)), "kernel_view: image")
    k = kernel(name, size if name in _SIZED else 3)
    out = apply_kernel(image, k)
    return np.clip(out, 0.0, 1.0) if abs(float(k.sum()) - 1.0) < 1e-6 else out


def kernel_explorer(image, names: Sequence[str] | None = None):
    """The CNN chapter's demo: classic kernels applied to one image (H, W)."""
    names = list(names or KERNELS)
    return explore(lambda name, size=3: kernel_view(image, name, size), {"name": names, "size": (3, 9, 2)},
                   settings=[{"name": n} for n in names], titles=names, original=image,
                   suptitle="Classic kernels on one image (edge detectors' signed outputs in purple/orange)",
                   title=lambda name, size: f"{name}, {size}x{size}" if name in _SIZED else f"{name} (3x3 only)")

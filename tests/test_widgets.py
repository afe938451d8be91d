"""coursekit.widgets: pure demo functions and their static panels."""
import matplotlib
matplotlib.use("Agg")
import matplotlib.pyplot as plt
import ipywidgets  # noqa: F401  before any test patches IPython.display.display: ipywidgets 7 binds it on import
import numpy as np
import pytest
from scipy import ndimage

from coursekit import widgets


@pytest.fixture
def image():
    return np.random.default_rng(0).random((16, 20)).astype(np.float32)


@pytest.mark.parametrize("name", sorted(widgets.KERNELS))
def test_apply_kernel_is_cross_correlation_with_reflect_padding(image, name):
    k = widgets.kernel(name)
    expected = ndimage.correlate(image, k, mode="mirror")   # numpy 'reflect' == scipy 'mirror'
    np.testing.assert_allclose(widgets.apply_kernel(image, name), expected, atol=1e-5)


def test_identity_kernel_returns_the_image(image):
    np.testing.assert_allclose(widgets.apply_kernel(image[None], "identity"), image, atol=1e-7)


def test_blur_kernels_sum_to_one_at_every_size():
    for size in (3, 5, 9):
        for name in ("box blur", "gaussian blur"):
            assert widgets.kernel(name, size).sum() == pytest.approx(1.0, abs=1e-6)


def test_bad_kernel_requests_are_clear_errors(image):
    with pytest.raises(ValueError, match="unknown kernel"):
        widgets.kernel("blur")
    with pytest.raises(ValueError, match="odd"):
        widgets.kernel("box blur", 4)
    with pytest.raises(ValueError, match="only as 3 x 3"):
        widgets.kernel("sobel x", 5)
    with pytest.raises(ValueError, match=r"\(H, W\)"):
        widgets.apply_kernel(np.zeros((2, 3, 8, 8)), "identity")


def test_static_panel_renders_every_setting(image):
    fig = widgets.static_panel(lambda name: widgets.apply_kernel(image, name),
                               [{"name": "identity"}, {"name": "laplacian"}], original=image)
    titles = [ax.get_title() for ax in fig.axes if ax.get_title()]
    assert any("identity" in t for t in titles) and any("laplacian" in t for t in titles)
    plt.close("all")


def test_kernel_explorer_shows_a_panel_and_returns_live_controls(image, monkeypatch):
    shown = []
    monkeypatch.setattr("IPython.display.display", lambda obj: shown.append(obj))
    w = widgets.kernel_explorer(image, names=["identity", "sobel x"])
    assert isinstance(shown[0], matplotlib.figure.Figure)
    assert {c.description for c in w.children if hasattr(c, "description")} >= {"name", "size"}
    plt.close("all")


def test_live_shows_only_the_controls_and_renders_the_chosen_setting(image, monkeypatch):
    shown, rendered = [], []

    def display(obj):
        """IPython's display without a front-end: record the object and, as IPython does, call its
        display hook (ipywidgets 7, Colab's, draws an interactive's first output only then; 8 at once)."""
        shown.append(obj)
        if hasattr(obj, "_ipython_display_"):
            obj._ipython_display_()

    monkeypatch.setattr("IPython.display.display", display)

    def render(t):
        rendered.append(t)
        return np.full((4, 4), t / 10, np.float32)

    w = widgets.live(render, {"t": (0, 9, 1)})
    figures = [obj for obj in shown if isinstance(obj, matplotlib.figure.Figure)]
    assert w in shown and rendered == [4]               # only the slider's start (its middle), no static panel
    assert len(figures) == 1 and [ax.get_title() for ax in figures[0].axes] == ["output"]
    plt.close("all")


def test_apply_kernel_says_when_the_image_is_too_small_for_the_kernel():
    with pytest.raises(ValueError, match="too small for a 3x3 kernel"):
        widgets.apply_kernel(np.random.default_rng(0).random((1, 1)), "box blur")

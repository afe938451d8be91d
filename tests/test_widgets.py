"""coursekit.widgets: pure demo functions and their static panels."""
import matplotlib
matplotlib.use("Agg")
import matplotlib.pyplot as plt
import ipywidgets
import numpy as np
import pytest
import torch
from scipy import ndimage

from coursekit import widgets


pytestmark = pytest.mark.usefixtures("close_figures")


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


def test_static_panel_refuses_two_settings_with_one_title(image):
    with pytest.raises(ValueError, match=r"repeated: \['sobel'\]"):
        widgets.static_panel(lambda name: widgets.apply_kernel(image, name),
                             [{"name": "sobel x"}, {"name": "sobel y"}, {"name": "identity"}],
                             titles=["sobel", "sobel", "identity"])


def test_kernel_explorer_shows_a_panel_and_returns_live_controls(image, monkeypatch):
    shown = []
    monkeypatch.setattr("IPython.display.display", lambda obj, **kw: shown.append(obj))
    w = widgets.kernel_explorer(image, names=["identity", "sobel x"])
    assert isinstance(shown[0], matplotlib.figure.Figure)
    assert {c.description for c in w.children if hasattr(c, "description")} >= {"name", "size"}
    plt.close("all")


def _widget_tree(w):
    """w and every widget under it."""
    yield w
    for child in getattr(w, "children", ()):
        yield from _widget_tree(child)


@pytest.fixture
def live_demo(monkeypatch):
    """widgets.live on a render that records its calls, with IPython's display recorded."""
    shown, rendered = [], []
    monkeypatch.setattr("IPython.display.display", lambda obj, **kw: shown.append(obj))

    def render(t):
        rendered.append(t)
        return np.full((4, 4), t / 10, np.float32)

    box = widgets.live(render, {"t": (0, 9, 1)})
    yield box, shown, rendered
    plt.close("all")


def test_live_shows_one_box_of_the_controls_and_the_chosen_setting_as_a_picture(live_demo):
    box, shown, rendered = live_demo
    slider, picture = box.children
    assert len(shown) == 1                                       # no static panel, no separate figure
    assert shown[0]["application/vnd.jupyter.widget-view+json"]["model_id"] == box.model_id
    assert (slider.description, slider.value, slider.min, slider.max) == ("t", 4, 0, 9)   # starts mid-range
    assert rendered == [4]
    assert isinstance(picture, ipywidgets.Image) and bytes(picture.value).startswith(b"\x89PNG")


def test_live_redraws_the_picture_when_a_control_moves(live_demo):
    box, _, rendered = live_demo
    slider, picture = box.children
    before = bytes(picture.value)
    slider.value = 7
    assert rendered == [4, 7] and bytes(picture.value) != before


def test_live_draws_into_no_output_widget(live_demo):
    # An executor without a browser (the site build's nbclient) mimics an Output widget by sending
    # to the kernel on the channel it reads the cell's reply from, and can miss the reply
    # (jupyter/nbclient#312): the site build hung on notebook 04's explorer. An interactive has one.
    box, _, _ = live_demo
    assert not any(isinstance(w, ipywidgets.Output) for w in _widget_tree(box))


def test_live_shows_a_figure_that_render_draws_itself_as_it_is(monkeypatch):
    monkeypatch.setattr("IPython.display.display", lambda obj, **kw: None)
    monkeypatch.setattr(widgets, "static_panel", None)          # a Figure is not redrawn as a grey panel
    drawn = []

    def render(t):
        fig, ax = plt.subplots(figsize=(3, 2))
        ax.set_title(f"frame {t}")
        drawn.append(fig)
        return fig

    slider, picture = widgets.live(render, {"t": (0, 4)}).children
    assert bytes(picture.value).startswith(b"\x89PNG")
    assert not plt.fignum_exists(drawn[0].number)              # shown, then closed: no figure left behind
    slider.value = 0
    assert len(drawn) == 2


def test_live_says_which_control_it_cannot_read():
    with pytest.raises(ValueError, match=r"control 't': \(1, 2, 3, 4\) is not a slider range"):
        widgets.live(lambda t: np.zeros((4, 4)), {"t": (1, 2, 3, 4)})


def test_apply_kernel_says_when_the_image_is_too_small_for_the_kernel():
    with pytest.raises(ValueError, match="too small for a 3x3 kernel"):
        widgets.apply_kernel(np.random.default_rng(0).random((1, 1)), "box blur")


def test_kernel_view_shows_brightness_keeping_kernels_as_images_and_edge_kernels_signed():
    """Sharpen overshoots at edges (values below 0 and above 1): as an image it is clipped to
    [0, 1] and drawn in grey, not in the signed colours of the edge detectors."""
    x = np.zeros((8, 8), dtype=np.float32)
    x[:, 4:] = 1.0                                   # a vertical edge
    raw = widgets.apply_kernel(x, "sharpen")
    assert raw.min() < 0 and raw.max() > 1           # the overshoot the old panel drew as signed
    shown = widgets.kernel_view(x, "sharpen")
    assert shown.min() >= 0 and shown.max() <= 1
    assert widgets.kernel_view(x, "laplacian").min() < 0
    assert np.allclose(widgets.kernel_view(x, "gaussian blur", size=5),
                       widgets.apply_kernel(x, widgets.kernel("gaussian blur", 5)), atol=1e-6)


def test_apply_kernel_takes_a_tensor_that_requires_grad():
    """A slice of a model's input may carry requires_grad: numpy() refused it."""
    x = torch.rand(6, 6, requires_grad=True)
    assert np.allclose(widgets.apply_kernel(x, "box blur"), widgets.apply_kernel(x.detach().numpy(), "box blur"))


def test_live_tells_a_reader_of_the_static_site_where_the_controls_work(live_demo):
    """The site is built without a kernel: a slider there moves and redraws nothing. The widget's
    display carries a note beside its view; _config.yml has the site render the note instead."""
    _, shown, _ = live_demo
    bundle = shown[0]
    assert "Colab" in bundle["text/html"] and "Colab" in bundle["text/plain"]


def test_the_site_renders_no_widget_view_and_loads_no_widget_script():
    import yaml
    from pathlib import Path

    config = yaml.safe_load((Path(__file__).parents[1] / "_config.yml").read_text())["sphinx"]["config"]
    assert ["*", "application/vnd.jupyter.widget-view+json", None] in config["nb_mime_priority_overrides"]
    assert config["nb_ipywidgets_js"] == {}


def _titles_drawn(monkeypatch):
    """Record the axes titles of every figure that live turns into a picture."""
    titles = []

    def png(fig):
        titles.append([ax.get_title() for ax in fig.axes if ax.get_title()])
        plt.close(fig)
        return b"\x89PNG"

    monkeypatch.setattr(widgets, "png_bytes", png)
    return titles


def test_live_starts_each_control_at_the_value_start_gives(monkeypatch):
    monkeypatch.setattr("IPython.display.display", lambda obj, **kw: None)
    box = widgets.live(lambda a, b, name: np.zeros((4, 4)), {"a": (0, 10), "b": (0.5, 4.0, 0.5), "name": ["x", "y"]},
                       start={"a": 2, "b": 3.5, "name": "y"})
    assert [c.value for c in box.children[:3]] == [2, 3.5, "y"]


def test_live_starts_a_control_without_a_start_at_the_default_of_render(monkeypatch):
    monkeypatch.setattr("IPython.display.display", lambda obj, **kw: None)
    box = widgets.live(lambda a, steps=8: np.zeros((4, 4)), {"a": (0, 10), "steps": (2, 12)})
    assert [c.value for c in box.children[:2]] == [5, 8]         # a: mid-range, steps: render's default


def test_live_refuses_a_start_that_its_control_cannot_show():
    with pytest.raises(ValueError, match=r"control 'a' cannot start at 12: its range is \(0, 10\)"):
        widgets.live(lambda a: np.zeros((4, 4)), {"a": (0, 10)}, start={"a": 12})
    with pytest.raises(ValueError, match=r"control 'name' cannot start at 'z'"):
        widgets.live(lambda name: np.zeros((4, 4)), {"name": ["x", "y"]}, start={"name": "z"})


def test_live_starts_a_control_whose_render_default_it_cannot_show_in_the_middle(monkeypatch):
    monkeypatch.setattr("IPython.display.display", lambda obj, **kw: None)
    box = widgets.live(lambda steps=16: np.zeros((4, 4)), {"steps": (2, 12)})
    assert box.children[0].value == 7


def test_explore_refuses_a_first_setting_outside_its_controls_before_drawing_anything(image, monkeypatch):
    shown = []
    monkeypatch.setattr("IPython.display.display", lambda obj, **kw: shown.append(obj))
    with pytest.raises(ValueError, match=r"settings\[0\]: control 'a' cannot start at 12"):
        widgets.explore(lambda a: image, {"a": (0, 10)}, settings=[{"a": 12}])
    assert shown == []


def test_explore_starts_the_controls_at_its_first_static_setting(image, monkeypatch):
    monkeypatch.setattr("IPython.display.display", lambda obj, **kw: None)
    box = widgets.explore(lambda a, b: image, {"a": (0, 10), "b": (0, 10)},
                          settings=[{"a": 0, "b": 1}, {"a": 2, "b": 3}])
    assert [c.value for c in box.children[:2]] == [0, 1]
    plt.close("all")


def test_live_titles_its_picture_with_the_values_it_shows(monkeypatch):
    monkeypatch.setattr("IPython.display.display", lambda obj, **kw: None)
    titles = _titles_drawn(monkeypatch)
    box = widgets.live(lambda a, b: np.zeros((4, 4)), {"a": (0, 10), "b": ["x", "y"]}, start={"a": 3})
    box.children[1].value = "y"
    assert titles == [["a=3, b=x"], ["a=3, b=y"]]


def test_live_titles_its_picture_with_what_title_says(monkeypatch):
    monkeypatch.setattr("IPython.display.display", lambda obj, **kw: None)
    titles = _titles_drawn(monkeypatch)
    widgets.live(lambda a: np.zeros((4, 4)), {"a": (0, 10)}, start={"a": 3}, title=lambda a: f"level {a}")
    assert titles == [["level 3"]]


def test_live_shows_an_error_of_render_in_the_picture_instead_of_hiding_it(monkeypatch):
    """An exception in a widget's callback goes to the kernel's log, out of sight: the picture
    would just stop changing."""
    monkeypatch.setattr("IPython.display.display", lambda obj, **kw: None)
    drawn = []

    def png(fig):
        drawn.append(" ".join(t.get_text() for ax in fig.axes for t in ax.texts))
        plt.close(fig)
        return b"\x89PNG"

    monkeypatch.setattr(widgets, "png_bytes", png)

    def render(a):
        if a == 1:
            raise ValueError("a cannot be 1")
        return np.zeros((4, 4))

    box = widgets.live(render, {"a": (0, 2)}, start={"a": 0})
    box.children[0].value = 1
    assert "ValueError: a cannot be 1" in drawn[-1]


def test_kernel_explorer_titles_its_picture_with_the_size_only_for_the_blurs(image, monkeypatch):
    monkeypatch.setattr("IPython.display.display", lambda obj, **kw: None)
    titles = _titles_drawn(monkeypatch)
    box = widgets.kernel_explorer(image, names=["sobel x", "box blur"])
    name, size = box.children[:2]
    size.value = 7
    name.value = "box blur"
    assert [t[-1] for t in titles[-2:]] == ["sobel x (3x3 only)", "box blur, 7x7"]
    plt.close("all")


def test_kernel_view_refuses_an_image_outside_0_1_with_the_fix(image):
    """A 0-255 image came out all white after the identity kernel."""
    with pytest.raises(ValueError, match="Divide by 255"):
        widgets.kernel_view(image * 255, "identity")


# ------------------------------------------------------------ mutation-test additions

def test_a_blur_of_size_1_is_the_one_weight_1():
    assert widgets.kernel("box blur", 1).tolist() == [[1.0]] and widgets.kernel("gaussian blur", 1).tolist() == [[1.0]]


def test_a_larger_gaussian_blur_has_sigma_of_one_sixth_of_its_size():
    k = widgets.kernel("gaussian blur", 9)                          # sigma = 1.5
    assert k[4, 5] / k[4, 4] == pytest.approx(np.exp(-1 / (2 * 1.5**2)), rel=1e-5)


def test_the_3x3_gaussian_blur_is_the_binomial_kernel():
    np.testing.assert_allclose(widgets.kernel("gaussian blur"), np.outer([1, 2, 1], [1, 2, 1]) / 16)


def test_sharpen_is_the_identity_minus_the_laplacian():
    np.testing.assert_array_equal(widgets.kernel("sharpen"), widgets.kernel("identity") - widgets.kernel("laplacian"))


def test_sobel_x_responds_positively_to_an_edge_brightening_to_the_right_and_sobel_y_downwards():
    x = np.zeros((8, 8), dtype=np.float32)
    x[:, 4:] = 1.0
    assert widgets.apply_kernel(x, "sobel x")[4, 4] > 0 and np.allclose(widgets.apply_kernel(x, "sobel y"), 0)
    assert widgets.apply_kernel(x.T, "sobel y")[4, 4] > 0 and np.allclose(widgets.apply_kernel(x.T, "sobel x"), 0)


def test_kernel_gives_a_copy_that_the_caller_may_change():
    widgets.kernel("sobel x")[1, 1] = 99.0
    assert widgets.KERNELS["sobel x"][1, 1] == 0.0


def test_apply_kernel_pads_a_non_square_kernel_along_the_right_axes(image):
    k = np.array([[1.0, 2.0, 3.0]], dtype=np.float32)              # 1 x 3
    np.testing.assert_allclose(widgets.apply_kernel(image, k), ndimage.correlate(image, k, mode="mirror"), atol=1e-5)


def test_static_panel_titles_each_setting_by_its_values_by_default(image):
    fig = widgets.static_panel(lambda name, size: image, [{"name": "box blur", "size": 5}])
    assert [ax.get_title() for ax in fig.axes] == ["name=box blur, size=5"]
    plt.close("all")


def test_static_panel_shows_the_original_first(image):
    fig = widgets.static_panel(lambda name: widgets.apply_kernel(image, name),
                               [{"name": "identity"}, {"name": "laplacian"}], titles=["identity", "laplacian"],
                               original=image)
    assert [ax.get_title() for ax in fig.axes if ax.get_title()] == ["input", "identity", "laplacian"]
    plt.close("all")


def test_static_panel_puts_its_suptitle_over_the_panels(image):
    fig = widgets.static_panel(lambda a: image, [{"a": 1}], suptitle="one setting")
    assert [t.get_text() for t in fig.texts] == ["one setting"]
    plt.close("all")


def test_static_panel_puts_five_panels_per_row_by_default(image):
    fig = widgets.static_panel(lambda a: image, [{"a": i} for i in range(6)])
    assert len({round(ax.get_position().y0, 3) for ax in fig.axes}) == 2
    assert len({round(ax.get_position().x0, 3) for ax in fig.axes}) == 5
    plt.close("all")


def test_static_panel_draws_panels_of_the_size_it_is_given(image):
    fig = widgets.static_panel(lambda a: image, [{"a": 1}, {"a": 2}], size=3.0)
    assert fig.get_size_inches()[0] == pytest.approx(6.0 * max(1.0, 20 / 16))
    plt.close("all")


def test_static_panel_refuses_fewer_titles_than_settings(image):
    with pytest.raises(ValueError, match="got 1 titles for 2 settings"):
        widgets.static_panel(lambda a: image, [{"a": 1}, {"a": 2}], titles=["one"])


def test_explore_draws_its_static_panel_with_its_ncols_and_size_and_closes_it(image, monkeypatch):
    shown = []
    monkeypatch.setattr("IPython.display.display", lambda obj, **kw: shown.append(obj))
    widgets.explore(lambda a: image, {"a": (0, 10)}, settings=[{"a": i} for i in range(4)], ncols=2, size=1.0)
    fig = shown[0]
    assert fig.axes[0].get_subplotspec().get_geometry()[:2] == (2, 2)
    assert fig.get_size_inches()[0] == pytest.approx(2.0 * 20 / 16)
    assert not plt.fignum_exists(fig.number)


def test_kernel_explorer_offers_every_kernel_and_blur_sizes_3_to_9(image, monkeypatch):
    monkeypatch.setattr("IPython.display.display", lambda obj, **kw: None)
    name, size = widgets.kernel_explorer(image).children[:2]
    assert list(name.options) == list(widgets.KERNELS)
    assert (size.min, size.max, size.step) == (3, 9, 2)
    plt.close("all")


def test_kernel_explorer_static_panel_shows_the_image_first(image, monkeypatch):
    shown = []
    monkeypatch.setattr("IPython.display.display", lambda obj, **kw: shown.append(obj))
    widgets.kernel_explorer(image, names=["identity", "sobel x"])
    assert [ax.get_title() for ax in shown[0].axes if ax.get_title()] == ["input", "identity", "sobel x"]
    plt.close("all")

"""coursekit.site_widgets: a built page carries no widget state, since no script there reads it."""
from types import SimpleNamespace

from myst_nb.sphinx_ import NbMetadataCollector

from coursekit import site_widgets

STATE = {"type": "application/vnd.jupyter.widget-state+json", "body": '{"state": {}}'}


def _app_reading(docname: str) -> SimpleNamespace:
    return SimpleNamespace(env=SimpleNamespace(docname=docname))


def test_the_widget_state_myst_nb_registered_for_the_page_is_dropped():
    app = _app_reading("notebooks/04_autoencoders")
    NbMetadataCollector.add_js_file(app.env, "notebooks/04_autoencoders", site_widgets.STATE_KEY, None, STATE)
    site_widgets.drop_widget_state(app, doctree=None)
    assert NbMetadataCollector.get_js_files(app.env, "notebooks/04_autoencoders") == {}


def test_the_pages_other_scripts_and_other_pages_state_are_kept():
    app = _app_reading("notebooks/04_autoencoders")
    NbMetadataCollector.add_js_file(app.env, "notebooks/04_autoencoders", site_widgets.STATE_KEY, None, STATE)
    NbMetadataCollector.add_js_file(app.env, "notebooks/04_autoencoders", "other", "other.js", {})
    NbMetadataCollector.add_js_file(app.env, "notebooks/02_cnn", site_widgets.STATE_KEY, None, STATE)
    site_widgets.drop_widget_state(app, doctree=None)
    assert NbMetadataCollector.get_js_files(app.env, "notebooks/04_autoencoders") == {"other": ("other.js", {})}
    assert site_widgets.STATE_KEY in NbMetadataCollector.get_js_files(app.env, "notebooks/02_cnn")


def test_a_page_without_widgets_is_left_as_it_was():
    app = _app_reading("book/intro")
    site_widgets.drop_widget_state(app, doctree=None)
    assert NbMetadataCollector.get_js_files(app.env, "book/intro") == {}


def test_setup_drops_the_state_as_each_page_is_read_and_allows_parallel_builds():
    events = []
    app = SimpleNamespace(connect=lambda event, fn: events.append((event, fn)))
    meta = site_widgets.setup(app)
    assert events == [("doctree-read", site_widgets.drop_widget_state)]
    assert meta == {"parallel_read_safe": True, "parallel_write_safe": True}

"""A Sphinx extension that leaves the widgets' state out of the built pages.

A notebook executed for the site stores the state of every widget it made in its metadata
(each control's settings, and each image widget's picture as PNG bytes), and myst-nb copies
that state into the page as a ``<script type="application/vnd.jupyter.widget-state+json">``,
for the ipywidgets script to rebuild the controls from. The site has no such script: no kernel
runs behind a page to answer a control, so ``_config.yml`` loads none (``nb_ipywidgets_js: {}``)
and shows :data:`coursekit.widgets.STATIC_NOTE` where each widget would be
(``nb_mime_priority_overrides``). The state would be downloaded by every reader and read by
nothing; its pictures made it the largest part of the pages that have widgets.

With ``coursekit.site_widgets`` in ``_config.yml``'s ``sphinx.extra_extensions``, each page's
state is dropped as the page is read. Jupyter and Colab, where the controls work, are untouched:
they run the notebook, not the page.
"""
from __future__ import annotations

STATE_KEY = "ipywidgets_state"   # the name myst-nb registers a page's widget state under

__all__ = ["STATE_KEY", "drop_widget_state", "setup"]


def drop_widget_state(app, doctree) -> None:
    """Forget the widget state myst-nb registered for the page just read (``app.env.docname``);
    the page's other scripts, and other pages, are left as they are."""
    from myst_nb.sphinx_ import NbMetadataCollector

    NbMetadataCollector.get_js_files(app.env, app.env.docname).pop(STATE_KEY, None)


def setup(app):
    app.connect("doctree-read", drop_widget_state)
    return {"parallel_read_safe": True, "parallel_write_safe": True}

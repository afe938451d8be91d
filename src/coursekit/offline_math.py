"""A Sphinx extension that serves MathJax from the site itself, so the book's
equations typeset offline (on a laptop with no network, or behind a firewall).

Sphinx loads MathJax from a CDN by default; a book read offline then shows raw
TeX. With ``coursekit.offline_math`` in ``_config.yml``'s
``sphinx.extra_extensions``, the build copies MathJax 3 (the files of the
``django-static-mathjax`` package, which the ``[book]`` extra installs) into
``_build/html/_static/mathjax/`` and points every page at that copy.

Only what TeX input with CommonHTML output needs is copied (the combined
``tex-mml-chtml.js``, the TeX extensions it loads on demand, its web fonts and
the accessibility and menu components, about 3 MB), not the 24 MB package.
"""
from __future__ import annotations

import importlib.util
import shutil
from pathlib import Path

ENTRY = "tex-mml-chtml.js"   # the component Sphinx loads from the CDN by default
PARTS = (ENTRY, "input/tex/extensions", "output/chtml/fonts/woff-v2", "a11y", "ui")
TARGET = "mathjax"            # under _static/

__all__ = ["mathjax_source", "copy_mathjax", "setup"]


def mathjax_source() -> Path | None:
    """The ``es5`` folder of the installed ``django-static-mathjax`` package, or None."""
    spec = importlib.util.find_spec("mathjax")
    if spec is None or not spec.submodule_search_locations:
        return None
    for location in spec.submodule_search_locations:
        es5 = Path(location) / "static" / "mathjax" / "es5"
        if (es5 / ENTRY).is_file():
            return es5
    return None


def copy_mathjax(source: Path, static_dir: Path) -> Path:
    """Copy the parts of MathJax the book needs from ``source`` (an ``es5`` folder) to
    ``static_dir/mathjax``; returns the path of the copied entry script."""
    source, dest = Path(source), Path(static_dir) / TARGET
    if not (source / ENTRY).is_file():
        raise FileNotFoundError(f"{source} is not a MathJax 3 es5 folder (no {ENTRY})")
    for part in PARTS:
        src = source / part
        if src.is_dir():
            shutil.copytree(src, dest / part, dirs_exist_ok=True)
        elif src.is_file():
            (dest / part).parent.mkdir(parents=True, exist_ok=True)
            shutil.copy2(src, dest / part)
    return dest / ENTRY


def _config_inited(app, config) -> None:
    from sphinx.util import logging

    if mathjax_source() is None:
        logging.getLogger(__name__).warning(
            "coursekit.offline_math: django-static-mathjax is not installed, so the equations load "
            "MathJax from a CDN and show as raw TeX offline. Install the book's dependencies: "
            "pip install -e '.[book]'")
        return
    config.mathjax_path = f"{TARGET}/{ENTRY}"


def _build_finished(app, exception) -> None:
    source = mathjax_source()
    if exception is None and source is not None and app.builder.format == "html":
        copy_mathjax(source, Path(app.outdir) / "_static")


def setup(app):
    app.connect("config-inited", _config_inited)
    app.connect("build-finished", _build_finished)
    return {"parallel_read_safe": True, "parallel_write_safe": True}

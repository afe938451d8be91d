"""coursekit.offline_math: the site carries its own MathJax, so equations typeset offline."""
from types import SimpleNamespace

import pytest

from coursekit import offline_math


def _fake_es5(root):
    es5 = root / "es5"
    (es5 / "input/tex/extensions").mkdir(parents=True)
    (es5 / "output/chtml/fonts/woff-v2").mkdir(parents=True)
    (es5 / "sre/mathmaps").mkdir(parents=True)
    (es5 / offline_math.ENTRY).write_text("// mathjax")
    (es5 / "input/tex/extensions/boldsymbol.js").write_text("// ext")
    (es5 / "output/chtml/fonts/woff-v2/MathJax_Main-Regular.woff").write_bytes(b"font")
    (es5 / "sre/mathmaps/en.json").write_text("{}")
    (es5 / "tex-svg-full.js").write_text("// not needed")
    return es5


def test_copy_brings_the_entry_script_its_extensions_and_fonts(tmp_path):
    entry = offline_math.copy_mathjax(_fake_es5(tmp_path), tmp_path / "_static")
    dest = tmp_path / "_static" / "mathjax"
    assert entry == dest / offline_math.ENTRY and entry.read_text() == "// mathjax"
    assert (dest / "input/tex/extensions/boldsymbol.js").is_file()
    assert (dest / "output/chtml/fonts/woff-v2/MathJax_Main-Regular.woff").is_file()


def test_copy_leaves_out_what_tex_to_html_does_not_need(tmp_path):
    offline_math.copy_mathjax(_fake_es5(tmp_path), tmp_path / "_static")
    dest = tmp_path / "_static" / "mathjax"
    assert not (dest / "sre").exists() and not (dest / "tex-svg-full.js").exists()


def test_copy_from_a_folder_without_mathjax_says_so(tmp_path):
    with pytest.raises(FileNotFoundError, match="not a MathJax 3 es5 folder"):
        offline_math.copy_mathjax(tmp_path, tmp_path / "_static")


def test_the_book_dependencies_provide_mathjax():
    source = offline_math.mathjax_source()
    assert source is not None, "pip install -e '.[book]' installs django-static-mathjax"
    assert (source / offline_math.ENTRY).is_file()


def test_copy_brings_the_accessibility_and_menu_components(tmp_path):
    es5 = _fake_es5(tmp_path)
    for part in ("a11y", "ui"):
        (es5 / part).mkdir()
        (es5 / part / "part.js").write_text("// component")
    offline_math.copy_mathjax(es5, tmp_path / "_static")
    assert (tmp_path / "_static/mathjax/a11y/part.js").is_file() and (tmp_path / "_static/mathjax/ui/part.js").is_file()


def test_copy_into_a_site_built_before_overwrites_it(tmp_path):
    es5 = _fake_es5(tmp_path)
    offline_math.copy_mathjax(es5, tmp_path / "_static")
    (es5 / offline_math.ENTRY).write_text("// mathjax, newer")
    entry = offline_math.copy_mathjax(es5, tmp_path / "_static")     # a rebuild: the folders exist
    assert entry.read_text() == "// mathjax, newer"


def _mathjax_package_at(monkeypatch, *locations):
    """Make importlib find a `mathjax` package whose folders are ``locations``."""
    spec = SimpleNamespace(submodule_search_locations=[str(p) for p in locations] or None)   # None: a plain module
    monkeypatch.setattr(offline_math.importlib.util, "find_spec", lambda name: spec if name == "mathjax" else None)


def test_mathjax_source_is_the_first_es5_folder_that_has_the_entry_script(monkeypatch, tmp_path):
    (tmp_path / "a/static/mathjax/es5").mkdir(parents=True)                   # no entry script
    (tmp_path / "b/static/mathjax").mkdir(parents=True)
    _fake_es5(tmp_path / "b/static/mathjax")
    _mathjax_package_at(monkeypatch, tmp_path / "a", tmp_path / "b")
    assert offline_math.mathjax_source() == tmp_path / "b/static/mathjax/es5"


def test_mathjax_source_is_none_for_a_mathjax_module_that_is_no_package(monkeypatch):
    _mathjax_package_at(monkeypatch)        # a plain mathjax.py: no folders to look in
    assert offline_math.mathjax_source() is None


def test_the_pages_load_the_copied_mathjax_when_it_is_installed(monkeypatch, tmp_path):
    monkeypatch.setattr(offline_math, "mathjax_source", lambda: tmp_path)
    config = SimpleNamespace()
    offline_math._config_inited(None, config)
    assert config.mathjax_path == "mathjax/tex-mml-chtml.js"     # relative to _static/


def test_without_mathjax_installed_the_pages_keep_the_cdn(monkeypatch):
    monkeypatch.setattr(offline_math, "mathjax_source", lambda: None)
    config = SimpleNamespace()
    offline_math._config_inited(None, config)
    assert not hasattr(config, "mathjax_path")


@pytest.mark.parametrize("fmt, exception, copied", [("html", None, True), ("html", RuntimeError("failed"), False),
                                                    ("latex", None, False)])
def test_mathjax_is_copied_into_static_after_a_successful_html_build_only(monkeypatch, tmp_path, fmt, exception, copied):
    monkeypatch.setattr(offline_math, "mathjax_source", lambda: _fake_es5(tmp_path))
    app = SimpleNamespace(builder=SimpleNamespace(format=fmt), outdir=str(tmp_path / "html"))
    offline_math._build_finished(app, exception)
    assert (tmp_path / "html/_static/mathjax" / offline_math.ENTRY).is_file() is copied


def test_setup_connects_both_steps_and_allows_parallel_builds():
    events = []
    app = SimpleNamespace(connect=lambda event, fn: events.append((event, fn)))
    meta = offline_math.setup(app)
    assert events == [("config-inited", offline_math._config_inited), ("build-finished", offline_math._build_finished)]
    assert meta == {"parallel_read_safe": True, "parallel_write_safe": True}

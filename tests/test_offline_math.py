"""coursekit.offline_math: the site carries its own MathJax, so equations typeset offline."""
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

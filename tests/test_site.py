"""The site builds strictly (warnings are errors), executing every notebook;
the notebook pages carry executed outputs, their figures have alt text, and the equations
typeset offline."""
import html
import os
import re
import sys
from pathlib import Path

import pytest

from coursekit.book import ROOT
from coursekit.data import FallbackDataWarning
from subprocess_helpers import run_or_say_where_it_stopped


@pytest.fixture(scope="module")
def built_site(tmp_path_factory):
    """Build the whole site once (strict, executing the notebooks); the html folder."""
    out = tmp_path_factory.mktemp("site")
    env = dict(os.environ, COURSEKIT_PROFILE="quick", COURSEKIT_PROGRESS="0")
    proc = build(ROOT, "--path-output", str(out), env=env, timeout=1800)
    assert proc.returncode == 0, why_the_build_failed(proc)
    return out / "_build" / "html"


def build(book: Path, *options: str, env=None, timeout: int = 300):
    """``jupyter-book build`` of ``book`` with `make book`'s strictness (warnings are errors,
    references checked), the finished process: the one command of the site test and of the
    mini-books, so that they build alike."""
    jb = Path(sys.executable).with_name("jupyter-book")
    return run_or_say_where_it_stopped([str(jb), "build", str(book), *options, "--warningiserror", "--nitpick",
                                        "--keep-going"], env=env, timeout=timeout)


def why_the_build_failed(proc) -> str:
    """What a failed build printed that says why: each notebook whose execution failed, with the
    start of nbclient's report (the cell and its error), then the end of the output. The end alone
    is Sphinx's and jupyter-book's tracebacks, which can fill 4000 characters by themselves."""
    said = proc.stdout + proc.stderr
    failed = sorted(set(re.findall(r"ExecutionError: (\S+\.ipynb)", said)))
    cells = [said[m.start():m.start() + 1500] for m in re.finditer("An error occurred while executing the following cell", said)]
    return "\n".join([f"notebooks that failed to execute: {failed}", *cells[:3], "... the end of the output:", said[-3000:]])


@pytest.mark.slow
def test_site_builds_strictly_with_executed_notebooks(built_site):
    html = built_site
    assert (html / "index.html").is_file()
    page = (html / "notebooks" / "02_cnn.html").read_text(encoding="utf-8")
    assert page.count("<img") >= 4, "the CNN page should show its executed figures"
    assert "test AUC" in page and "logistic regression" in page
    assert "Traceback" not in page


@pytest.mark.slow
def test_site_serves_its_own_mathjax(built_site):
    html = built_site
    assert (html / "_static" / "mathjax" / "tex-mml-chtml.js").is_file()
    assert any((html / "_static" / "mathjax" / "output" / "chtml" / "fonts" / "woff-v2").glob("*.woff"))
    page = (html / "book" / "05_gan.html").read_text(encoding="utf-8")
    assert "_static/mathjax/tex-mml-chtml.js" in page
    assert "cdn.jsdelivr.net/npm/mathjax" not in page


@pytest.mark.slow
def test_a_widget_on_a_built_page_is_a_note_where_its_controls_work_not_a_dead_control(built_site):
    from coursekit.widgets import STATIC_NOTE

    for name in ("02_cnn", "03_rnn", "04_autoencoders", "05b_gan_medical"):
        page = (built_site / "notebooks" / f"{name}.html").read_text(encoding="utf-8")
        assert html.escape(STATIC_NOTE, quote=False) in page, name
        assert "widget-view+json" not in page and "embed-amd.js" not in page, name
        assert "widget-state+json" not in page, f"{name} carries the widgets' state, which no script reads"


def notebook_pages_where(built_site: Path, found_in) -> dict[str, list]:
    """``{page name: found_in(the page's HTML)}`` for each notebook page of the built site where
    ``found_in`` finds something (returns a non-empty list)."""
    found = {}
    for page in sorted((built_site / "notebooks").glob("*.html")):
        if items := found_in(page.read_text(encoding="utf-8")):
            found[page.name] = items
    return found


def figure_alts(page: str) -> list[str]:
    """The alt text of every figure that a notebook cell drew on a built page."""
    imgs = re.findall(r"<img\b[^>]*>", page)
    figures = [tag for tag in imgs if re.search(r'src="[^"]*_images/', tag)]
    return [html.unescape(m.group(1)) if (m := re.search(r'alt="([^"]*)"', tag)) else "" for tag in figures]


@pytest.mark.slow
def test_every_figure_of_a_notebook_page_has_alt_text_for_screen_readers(built_site):
    # Without cell metadata mystnb.image.alt, a figure's alt text is its file name.
    missing = notebook_pages_where(built_site, lambda page: [
        alt for alt in figure_alts(page) if len(alt) < 30 or alt.endswith((".png", ".svg", ".jpg"))])
    assert not missing, missing


def test_figure_alts_reads_what_a_built_page_says():
    page = ('<img alt="Colab logo" src="../_static/images/logo_colab.png">'
            '<img alt="../_images/ab12.png" src="../_images/ab12.png" />'
            '<img alt="Two line plots: the activations and their derivatives." src="../_images/cd34.png" />')
    assert figure_alts(page) == ["../_images/ab12.png", "Two line plots: the activations and their derivatives."]


def stderr_outputs(page: str) -> list[str]:
    """The text of each stderr output that a notebook cell left on a built page (myst-nb
    renders one as a code block with the classes ``output stderr``)."""
    blocks = re.findall(r'<div class="output stderr[^"]*">(.*?)</pre>', page, flags=re.S)
    return [html.unescape(re.sub(r"<[^>]+>", "", block)) for block in blocks]


def not_the_fallback_notice(text: str) -> list[str]:
    """The lines of a stderr output other than coursekit's warning that phantoms replace the data
    (``path:line: FallbackDataWarning: ...`` and the indented source line Python prints under it)."""
    others, after_notice = [], False
    for line in text.splitlines():
        if f"{FallbackDataWarning.__name__}: " in line:
            after_notice = True
        elif not (after_notice and line.startswith("  ")) and line.strip():
            others.append(line)
            after_notice = False
    return others


@pytest.mark.slow
def test_no_notebook_page_shows_a_warning_but_the_no_real_data_notice(built_site):
    # A library's deprecation or a numerical warning on a learner's page is a defect to mend in the
    # code; coursekit's own notice that generated phantoms replace the data is meant to be seen.
    shown = notebook_pages_where(built_site, lambda page: [
        line for text in stderr_outputs(page) for line in not_the_fallback_notice(text)])
    assert not shown, shown


def test_stderr_outputs_reads_what_a_built_page_says():
    page = ('<div class="output stream highlight-myst-ansi notranslate"><div class="highlight"><pre><span></span>'
            'epoch 1</pre></div>\n</div>'
            '<div class="output stderr highlight-myst-ansi notranslate"><div class="highlight"><pre><span></span>'
            '/tmp/ipykernel_7/1.py:3: FutureWarning: `x` &lt; 0 is deprecated\n  y = f(x)\n</pre></div>\n</div>')
    assert stderr_outputs(page) == ["/tmp/ipykernel_7/1.py:3: FutureWarning: `x` < 0 is deprecated\n  y = f(x)\n"]


def test_only_the_no_real_data_notice_is_let_through():
    notice = ("/tmp/ipykernel_7/1.py:4: FallbackDataWarning: organamnist: using generated phantoms, not real data "
              "(organamnist.npz missing; no network).\n  train = ck.data.load_medmnist('organamnist', 'train')\n")
    other = "/x/site-packages/torch/nn/modules/module.py:9: UserWarning: something\n  return f(x)\n"
    assert not_the_fallback_notice(notice) == []
    assert not_the_fallback_notice(notice + other) == ["/x/site-packages/torch/nn/modules/module.py:9: UserWarning: something",
                                                       "  return f(x)"]
    assert not_the_fallback_notice("a library printed this\n") == ["a library printed this"]


def test_a_build_that_runs_past_its_time_says_where_it_stopped():
    script = "import sys, time; print('notebooks/04_autoencoders.ipynb: Executing notebook', flush=True); time.sleep(30)"
    with pytest.raises(pytest.fail.Exception, match=r"(?s)ran past 1 s and was stopped.*04_autoencoders.ipynb: Executing"):
        run_or_say_where_it_stopped([sys.executable, "-c", script], timeout=1)


def mini_book(folder: Path, cell: str) -> Path:
    """A one-notebook book that executes as the course's site does (the execute section and
    nb_execution_raise_on_error of its _config.yml), its notebook running ``cell``."""
    import nbformat
    import yaml

    course = yaml.safe_load((ROOT / "_config.yml").read_text())
    config = {"title": "t", "only_build_toc_files": True, "execute": course["execute"],
              "sphinx": {"config": {"nb_execution_raise_on_error": course["sphinx"]["config"]["nb_execution_raise_on_error"]}}}
    (folder / "_config.yml").write_text(yaml.safe_dump(config))
    (folder / "_toc.yml").write_text("format: jb-book\nroot: intro\nchapters:\n  - file: notebooks/lesson\n")
    (folder / "intro.md").write_text("# Intro\n")
    nb = nbformat.v4.new_notebook(cells=[nbformat.v4.new_markdown_cell("# Lesson"), nbformat.v4.new_code_cell(cell)])
    nb.metadata["kernelspec"] = {"name": "python3", "display_name": "Python 3", "language": "python"}
    (folder / "notebooks").mkdir()
    nbformat.write(nb, folder / "notebooks" / "lesson.ipynb")
    return folder


@pytest.mark.slow
def test_a_lecture_notebook_whose_cell_raises_fails_the_site_build_and_is_named(tmp_path):
    # The site build is the one run of the lecture notebooks in `make test` (pyproject.toml's
    # testpaths leave them out of nbval), so an error in any cell must fail it.
    proc = build(mini_book(tmp_path, "raise ValueError('a broken lesson')"))
    assert proc.returncode != 0
    said = why_the_build_failed(proc)                    # what test_site's build failure shows
    assert "lesson.ipynb" in said and "a broken lesson" in said


@pytest.mark.slow
def test_the_same_notebook_without_the_error_builds(tmp_path):
    proc = build(mini_book(tmp_path, "print('a working lesson')"))
    assert proc.returncode == 0, why_the_build_failed(proc)


def test_a_failed_build_names_the_cell_that_raised_even_under_long_tracebacks():
    # in a clone under a long path, Sphinx's and jupyter-book's tracebacks alone filled the last
    # 4000 characters, so the end of the output no longer showed the cell or its error
    from types import SimpleNamespace

    stderr = ("CellExecutionError: An error occurred while executing the following cell:\n------------------\n"
              "raise ValueError('a broken lesson')\n------------------\nValueError: a broken lesson\n\n"
              + '  File "/a/very/long/path/site-packages/sphinx/x.py", line 1, in f\n' * 200
              + "myst_nb.core.execute.base.ExecutionError: /book/notebooks/lesson.ipynb\n" + "  more\n" * 400)
    said = why_the_build_failed(SimpleNamespace(stdout="Executing notebook\n", stderr=stderr))
    assert "['/book/notebooks/lesson.ipynb']" in said and "ValueError: a broken lesson" in said
    assert "a broken lesson" not in stderr[-4000:]           # what the old message showed

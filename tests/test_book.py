"""The book's structure: every notebook starts with the one setup cell, carries
no outputs, gives each figure alt text, and every page is in the table of contents."""
import ast
import json
import os
import re
from pathlib import Path

import pytest

from coursekit import book

ROOT = book.ROOT
NOTEBOOKS = sorted(p for d in ("notebooks", "exercises", "solutions") for p in (ROOT / d).glob("*.ipynb"))


def test_repository_url_is_read_from_config():
    assert book.repository_url().startswith("https://")


def test_the_package_metadata_names_the_repository_that_config_names():
    try:
        import tomllib
    except ModuleNotFoundError:      # Python 3.10
        import tomli as tomllib
    project = tomllib.loads((ROOT / "pyproject.toml").read_text())["project"]
    assert project["urls"]["Repository"] == book.repository_url()
    assert re.search(r"^\s+branch:\s*main\s*$", (ROOT / "_config.yml").read_text(), flags=re.M), (
        "coursekit.bench links to the repository's main branch")


@pytest.mark.parametrize("nb", NOTEBOOKS, ids=lambda p: f"{p.parent.name}/{p.name}")
def test_notebook_starts_with_the_setup_cell(nb):
    cells = json.loads(nb.read_text())["cells"]
    first_code = next(c for c in cells if c["cell_type"] == "code")
    assert "".join(first_code["source"]) == book.setup_cell()


@pytest.mark.parametrize("nb", NOTEBOOKS, ids=lambda p: f"{p.parent.name}/{p.name}")
def test_notebook_is_committed_without_outputs(nb):
    cells = json.loads(nb.read_text())["cells"]
    assert all(not c.get("outputs") and c.get("execution_count") is None for c in cells if c["cell_type"] == "code")


def test_every_page_and_lecture_notebook_is_in_the_toc():
    toc = (ROOT / "_toc.yml").read_text()
    listed = set(re.findall(r"(?:root|file):\s*(\S+)", toc))
    pages = {str(p.relative_to(ROOT).with_suffix("")) for d in ("book", "notebooks", "exercises")
             for p in (ROOT / d).glob("*") if p.suffix in (".md", ".ipynb")}
    assert pages <= listed, f"not in _toc.yml: {sorted(pages - listed)}"
    missing = {f for f in listed if not any((ROOT / (f + s)).exists() for s in (".md", ".ipynb", ""))}
    assert not missing, f"_toc.yml lists missing files: {missing}"


def chapter_sections() -> dict[str, list[str]]:
    """Each chapter page of the table of contents (book/NN_x) and the files listed under it: its
    lecture notebooks and its exercise."""
    import yaml

    toc = yaml.safe_load((ROOT / "_toc.yml").read_text())
    return {ch["file"]: [s["file"] for s in ch["sections"]]
            for part in toc["parts"] for ch in part["chapters"] if ch.get("sections")}


def published_chapters() -> list[str]:
    """Titles of the course's chapters in the table of contents' order: the pages that have
    sections (a lecture notebook and an exercise), not the pages about using the course."""
    return [next(line[2:].strip() for line in (ROOT / f"{f}.md").read_text().splitlines() if line.startswith("# "))
            for f in chapter_sections()]


def intro_chapter_plan(text: str) -> list[str]:
    """The bold names of the numbered list in the intro's chapter plan (the published chapters)."""
    plan = text.split("## Chapter plan", 1)[1].split("\n## ", 1)[0]
    return re.findall(r"^\d+\. \*\*(.+?)\*\*", plan, flags=re.M)


def test_the_intro_numbers_the_published_chapters_in_the_order_of_the_toc():
    titles, plan = published_chapters(), intro_chapter_plan((ROOT / "book" / "intro.md").read_text())
    assert len(plan) == len(titles), f"the intro's chapter plan numbers {plan}; the site has {titles}"
    for name, title in zip(plan, titles):
        assert title.startswith(name), f"chapter plan says {name!r} where the table of contents has {title!r}"


def test_a_chapter_plan_in_another_order_is_caught():
    plan = "## Chapter plan\n\n1. **Autoencoders**: x.\n2. **Neural networks**: y.\n\n## How to run it\n"
    assert intro_chapter_plan(plan) == ["Autoencoders", "Neural networks"]
    assert not published_chapters()[0].startswith("Autoencoders")


PAGES = sorted((ROOT / "book").glob("*.md")) + [ROOT / "README.md"]
# Control characters that a backslash escape leaves behind when LaTeX passes through a
# non-raw Python string ("\b" in "\big", "\t" in "\text", "\f" in "\frac", "\r" in "\rho").
CONTROL = re.compile(r"[\x00-\x09\x0b-\x1f\x7f]")   # every control character but the newline


def control_characters(text: str) -> list[str]:
    return [repr(text[max(0, m.start() - 15):m.end() + 10]) for m in CONTROL.finditer(text)]


@pytest.mark.parametrize("page", PAGES, ids=lambda p: p.name)
def test_page_has_no_control_characters(page):
    assert not control_characters(page.read_text(encoding="utf-8"))


@pytest.mark.parametrize("nb", NOTEBOOKS, ids=lambda p: f"{p.parent.name}/{p.name}")
def test_notebook_markdown_has_no_control_characters(nb):
    cells = json.loads(nb.read_text())["cells"]
    found = [hit for c in cells if c["cell_type"] == "markdown" for hit in control_characters("".join(c["source"]))]
    assert not found


def test_control_characters_are_found_where_a_backslash_escape_went_wrong():
    assert control_characters("$p_\text{data}$ and \bigl[") and not control_characters("$p_\\text{data}$\n")



# Math that renders on the site but not in LaTeX, or not in MathJax: a bare "_" inside \text{}
# (LaTeX reads a subscript; write \mathrm{kernel\_size}) and \mathbb{1} (MathJax has no glyph).
NON_PORTABLE_MATH = re.compile(r"\\text\{[^{}]*(?<!\\)_[^{}]*\}|\\mathbb\{1\}")


def non_portable_math(text: str) -> list[str]:
    return [m.group(0) for m in NON_PORTABLE_MATH.finditer(text)]


def markdown_of(path: Path) -> str:
    if path.suffix == ".md":
        return path.read_text(encoding="utf-8")
    return "\n".join("".join(c["source"]) for c in json.loads(path.read_text())["cells"] if c["cell_type"] == "markdown")


@pytest.mark.parametrize("path", PAGES + NOTEBOOKS, ids=lambda p: f"{p.parent.name}/{p.name}")
def test_math_renders_both_in_mathjax_and_in_latex(path):
    assert not non_portable_math(markdown_of(path))


def test_non_portable_math_is_found():
    assert non_portable_math(r"$\text{kernel_size}$, $\mathbb{1}[x > 0]$") == [r"\text{kernel_size}", r"\mathbb{1}"]
    assert not non_portable_math(r"$\mathrm{kernel\_size}$, $p_\text{data}$, $\text{lr}_0$, $\mathbf{1}$")


# Markdown that only the book understands: a MyST role ({cite:p}`key`, {ref}`label`), a directive
# (```{note}, :::{figure}) or a target ((label)=). Colab and Jupyter show them as raw text, so
# notebooks use plain Markdown links instead, which MyST also resolves on the site.
BOOK_ONLY_MARKDOWN = re.compile(r"(?<!`)\{[a-z][\w:-]*\}`|^\s*(?:`{3,}|:{3,})\{[a-z][\w:-]*\}|^\([\w-]+\)=\s*$", re.M)


def book_only_markdown(text: str) -> list[str]:
    return [m.group(0).strip() for m in BOOK_ONLY_MARKDOWN.finditer(text)]


@pytest.mark.parametrize("nb", NOTEBOOKS, ids=lambda p: f"{p.parent.name}/{p.name}")
def test_notebook_markdown_renders_the_same_on_colab_as_on_the_site(nb):
    assert not book_only_markdown(markdown_of(nb))


def test_book_only_markdown_is_found():
    text = ("see {cite:p}`yang2023medmnist` and {ref}`the recipe <gan-recipe>`\n"
            "```{note}\nA note.\n```\n:::{figure} a.png\n:::\n(gan-recipe)=\n### Recipe\n")
    assert len(book_only_markdown(text)) == 5
    assert not book_only_markdown("see [Yang et al., 2023](https://doi.org/10.1/x) and [the recipe](#gan-recipe)\n"
                                  "```python\nx = {'a': 1}\n```\n$\\frac{a}{b}$, `{a}` and (a)= b\n")


def test_every_paper_a_notebook_links_is_in_the_bibliography():
    # book/references.md lists every entry (:all:), so a paper a notebook links is listed there too
    pybtex_database = pytest.importorskip("pybtex.database")
    entries = pybtex_database.parse_file(str(ROOT / "book" / "references.bib")).entries.values()
    known = {f"https://doi.org/{e.fields['doi']}" for e in entries if "doi" in e.fields}
    known |= {f"https://arxiv.org/abs/{e.fields['eprint']}" for e in entries if "eprint" in e.fields}
    linked = {u for nb in NOTEBOOKS for u in re.findall(r"\]\((https://(?:doi\.org|arxiv\.org)/[^)\s]+)\)", markdown_of(nb))}
    assert linked and not linked - known
    assert ":all:" in (ROOT / "book" / "references.md").read_text(encoding="utf-8")


ALPHA_LABEL = re.compile(r"[A-Za-z]{1,5}\+?\d{2}")   # initials (a "+" after four authors) and a 2-digit year


def alpha_labels(entries) -> dict[str, str]:
    """Key -> the label the site prints for pybtex ``entries`` (sphinxcontrib-bibtex's default
    ``alpha`` style), e.g. ``KB15``."""
    from pybtex.plugin import find_plugin
    return {e.key: e.label for e in find_plugin("pybtex.style.formatting", "alpha")().format_entries(entries.values())}


def test_bibliography_labels_are_initials_and_year_even_for_accented_names():
    # LaTeX accents such as R{\"a}tsch made pybtex print [EHRatsch17]; UTF-8 names give [EHR17]
    pybtex_database = pytest.importorskip("pybtex.database")
    labels = alpha_labels(pybtex_database.parse_file(str(ROOT / "book" / "references.bib")).entries)
    assert labels and not {k: v for k, v in labels.items() if not ALPHA_LABEL.fullmatch(v)}


def test_bibliography_label_check_catches_a_latex_accent():
    pybtex_database = pytest.importorskip("pybtex.database")
    entry = '@article{x, author = {R{\\"a}tsch, Gunnar and Esteban, C.}, title = {T}, journal = {J}, year = {2017}}'
    (label,) = alpha_labels(pybtex_database.parse_string(entry, "bibtex").entries).values()
    assert not ALPHA_LABEL.fullmatch(label)


DRAWS = re.compile(r"plt\.subplots|plt\.figure|imshow\(|show_(?:images|montage|image)\(|\bcompare\(|\bplot_[a-z_]+\(|"
                   r"_explorer\(")


@pytest.mark.parametrize("nb", sorted((ROOT / "notebooks").glob("*.ipynb")), ids=lambda p: p.name)
def test_every_cell_that_draws_gives_its_figure_alt_text(nb):
    # tests/test_site.py checks the figures of a quick build; this also covers cells that draw
    # only in some runs (full-profile results, pictures that a benchmark saved)
    cells = json.loads(nb.read_text())["cells"]
    missing = [c.get("id") for c in cells if c["cell_type"] == "code" and DRAWS.search("".join(c["source"]))
               and not c["metadata"].get("mystnb", {}).get("image", {}).get("alt")]
    assert not missing, f"cells without metadata mystnb.image.alt: {missing}"


def test_every_build_of_the_site_executes_every_notebook_again():
    """A page's outputs depend on more than its code cells: the data found (real or the fallback
    phantoms), the results files it reads, coursekit itself. jupyter-book's "cache" mode re-ran a
    notebook only when its code cells changed, and Sphinx rebuilds only changed pages, so a second
    `make book` served the first build's pages after any of those changed."""
    import yaml

    config = yaml.safe_load((ROOT / "_config.yml").read_text())
    assert config["execute"]["execute_notebooks"] == "force"
    book_rule = re.search(r"^book:.*\n\t(.*jupyter-book build.*)$", (ROOT / "Makefile").read_text(), re.M)
    assert book_rule and " --all " in book_rule.group(1)


def test_make_test_executes_every_lecture_notebook_and_every_solution():
    """Lecture notebooks run in the site build of tests/test_site.py (it executes every page and
    fails on a cell that raises), solutions under nbval (they are not pages); exercises raise by
    design and are only checked through their solutions and the grader."""
    import fnmatch

    import yaml
    try:
        import tomllib
    except ModuleNotFoundError:      # Python 3.10
        import tomli as tomllib

    pytest_options = tomllib.loads((ROOT / "pyproject.toml").read_text())["tool"]["pytest"]["ini_options"]
    assert {"tests", "solutions"} <= set(pytest_options["testpaths"]) and "--nbval-lax" in pytest_options["addopts"]
    config = yaml.safe_load((ROOT / "_config.yml").read_text())
    assert config["execute"]["allow_errors"] is False and config["sphinx"]["config"]["nb_execution_raise_on_error"]
    skipped = [str(nb.relative_to(ROOT)) for nb in (ROOT / "notebooks").glob("*.ipynb")
               if any(fnmatch.fnmatch(str(nb.relative_to(ROOT)), p) for p in config["execute"]["exclude_patterns"])]
    assert not skipped, f"lecture notebooks the site build would not execute: {skipped}"


def test_the_site_never_reads_a_hidden_directory(tmp_path):
    """only_build_toc_files leaves out every page not in _toc.yml, but it finds them with glob,
    which skips hidden directories, while Sphinx's own discovery walks into them: a second virtual
    environment such as `make test-floors`'s .venv-floors had its .rst and .ipynb files read and
    executed as pages. _config.yml's exclude_patterns must keep Sphinx out of every hidden directory."""
    import yaml
    from sphinx.util.matching import get_matching_files

    config = yaml.safe_load((ROOT / "_config.yml").read_text())
    assert config["only_build_toc_files"] is True
    hidden = {line.strip().strip("/") for line in (ROOT / ".gitignore").read_text().splitlines()
              if line.strip().lstrip("/").startswith(".")}
    for name in sorted(hidden | {".any-other", "notebooks/.cache", "book/.x/.y"}):
        for page in ("page.md", "sub/page.ipynb", "page.rst"):
            path = tmp_path / name / page
            path.parent.mkdir(parents=True, exist_ok=True)
            path.write_text("left behind\n")
    read = sorted(get_matching_files(tmp_path, ["**"], config["exclude_patterns"]))
    assert read == [], f"_config.yml's exclude_patterns let the site read: {read}"


def model_classes() -> set[str]:
    """The names of the networks coursekit.models defines (nn.Module subclasses)."""
    import importlib
    import inspect
    import pkgutil

    import torch.nn as nn

    import coursekit.models as models
    names = set()
    for info in pkgutil.iter_modules(models.__path__):
        module = importlib.import_module(f"coursekit.models.{info.name}")
        names |= {n for n, obj in vars(module).items() if inspect.isclass(obj) and issubclass(obj, nn.Module)
                  and obj.__module__ == module.__name__}
    return names


def _call_name(call) -> str | None:
    f = call.func
    return f.attr if isinstance(f, ast.Attribute) else f.id if isinstance(f, ast.Name) else None


def _torch_call(call, names) -> bool:
    """Is ``call`` ``torch.<one of names>(...)``?"""
    f = call.func
    return isinstance(f, ast.Attribute) and f.attr in names and isinstance(f.value, ast.Name) and f.value.id == "torch"


def _seeded_from(calls) -> int | None:
    """The first line among ``calls`` that seeds torch's global generator: ``seed_everything(...)``
    or ``torch.manual_seed(...)`` (seeding a ``torch.Generator`` of one's own does not count)."""
    return min((c.lineno for c in calls if _torch_call(c, {"manual_seed"}) or _call_name(c) == "seed_everything"),
               default=None)


def unseeded_constructions(source: str, classes: set[str]) -> list[str]:
    """The networks a cell builds from whatever state torch's generator is in: a call of one of
    ``classes`` with no ``seed_everything``/``manual_seed`` call on an earlier line of the cell
    (``torch.Generator()`` is not a network)."""
    calls = [node for node in ast.walk(ast.parse(source)) if isinstance(node, ast.Call)]
    seeded_from = _seeded_from(calls)
    return [f"line {c.lineno}: {_call_name(c)}(...)" for c in calls
            if _call_name(c) in classes and not _torch_call(c, classes)
            and (seeded_from is None or c.lineno <= seeded_from)]


@pytest.mark.parametrize("nb", sorted((ROOT / "notebooks").glob("*.ipynb")), ids=lambda p: p.name)
def test_every_cell_that_builds_a_network_seeds_torch_first(nb):
    # A network built from whatever earlier cells left in the generator starts from other weights
    # than its benchmark's (which seeds right before building it), so the page's full-profile
    # numbers would not be what the notebook's recipe trains; re-running a cell would change it too.
    classes = model_classes()
    found = {c.get("id"): unseeded_constructions("".join(c["source"]), classes)
             for c in json.loads(nb.read_text())["cells"] if c["cell_type"] == "code"}
    assert not {k: v for k, v in found.items() if v}, "networks built without seeding first (cell id: calls)"


TORCH_DRAWS = {"rand", "randn", "randint", "randperm", "rand_like", "randn_like", "randint_like", "normal",
               "bernoulli", "multinomial", "poisson"}


def unseeded_draws(source: str) -> list[str]:
    """The random numbers a cell draws from torch's global generator in whatever state earlier
    cells (or, on a recent torch, the process's random start) left it: a ``torch.<draw>(...)``
    call without ``generator=`` and with no ``seed_everything``/``torch.manual_seed`` call on an
    earlier line of the cell (seeding a ``torch.Generator`` of one's own does not count). Draws
    inside a function are left out: they happen where the function is called."""
    tree = ast.parse(source)
    deferred = {id(node) for f in ast.walk(tree) if isinstance(f, (ast.FunctionDef, ast.Lambda))
                for node in ast.walk(f)}
    calls = [node for node in ast.walk(tree) if isinstance(node, ast.Call) and id(node) not in deferred]
    seeded_from = _seeded_from(calls)
    return [f"line {c.lineno}: torch.{c.func.attr}(...)" for c in calls
            if _torch_call(c, TORCH_DRAWS) and not any(k.arg == "generator" for k in c.keywords)
            and (seeded_from is None or c.lineno <= seeded_from)]


@pytest.mark.parametrize("nb", sorted((ROOT / "notebooks").glob("*.ipynb")) + sorted((ROOT / "solutions").glob("*.ipynb")),
                         ids=lambda p: f"{p.parent.name}/{p.name}")
def test_every_cell_that_draws_random_numbers_from_torch_seeds_them_first(nb):
    # on a recent torch every process starts its generator at a new random seed, so an unseeded
    # draw prints other numbers on every run (and re-running the cell changes them too)
    found = {c.get("id"): unseeded_draws("".join(c["source"]))
             for c in json.loads(nb.read_text())["cells"] if c["cell_type"] == "code"}
    assert not {k: v for k, v in found.items() if v}, "random draws without a seed first (cell id: calls)"


def test_an_unseeded_draw_is_caught():
    assert unseeded_draws("z = mu + torch.randn_like(mu)\n") == ["line 1: torch.randn_like(...)"]
    assert unseeded_draws("x = torch.rand(3)\ntorch.manual_seed(0)\n")
    assert unseeded_draws("g = torch.Generator().manual_seed(0)\nx = torch.randn(3)\n")
    assert not unseeded_draws("g = torch.Generator().manual_seed(0)\nx = torch.randn(3, generator=g)\n")
    assert not unseeded_draws("torch.manual_seed(0)\nx = torch.randn(3)\n")
    assert not unseeded_draws("ck.seed_everything(0)\nx = torch.randint(0, 9, (3,))\n")
    assert not unseeded_draws("def noise(x):\n    return x + torch.randn_like(x)\n\ntorch.manual_seed(0)\n")


def test_a_network_built_before_the_seed_is_caught():
    classes = {"ConvAutoencoder", "Generator"}
    assert unseeded_constructions("ae = aem.ConvAutoencoder(16)\n", classes) == ["line 1: ConvAutoencoder(...)"]
    assert unseeded_constructions("ae = ConvAutoencoder(16)\nck.seed_everything(0)\n", classes)
    assert not unseeded_constructions("ck.seed_everything(0)\nae = aem.ConvAutoencoder(16)\n", classes)
    assert not unseeded_constructions("g = torch.Generator().manual_seed(0)\n", classes)
    assert unseeded_constructions("g = torch.Generator().manual_seed(0)\nae = ConvAutoencoder(16)\n", classes)
    assert not unseeded_constructions("def f():\n    torch.manual_seed(0)\n    return Generator()\n", classes)
    assert "ConvAutoencoder" in model_classes() and "SliceRNN" in model_classes()


CHAPTER_PAGES = sorted((ROOT / "book").glob("0*.md"))


def _chapter_label(text: str) -> str:
    return re.match(r"\((?P<label>[a-z-]+)\)=\s*\n#\s", text).group("label")


def _questions_and_answers(text: str, label: str) -> tuple[int, int]:
    """The numbered questions of the page's check-your-understanding section, and its folded answers."""
    section = text.split(f"({label}-questions)=", 1)[1].split("\n## ", 2)
    body = section[1] if len(section) > 1 else ""
    questions = len(re.findall(r"^\d+\. ", body, flags=re.M))
    answers = len(re.findall(r"```\{admonition\} Answer\n\s*:class: dropdown\n", body))
    return questions, answers


@pytest.mark.parametrize("page", CHAPTER_PAGES, ids=lambda p: p.name)
def test_every_chapter_page_opens_with_its_learning_goals(page):
    text = page.read_text(encoding="utf-8")
    label = _chapter_label(text)
    goals = text.index(f"({label}-goals)=\n## Learning goals")
    assert goals < text.index("\n## ", text.index("\n# ")) + 1, "the goals come before the first section"
    items = text[goals:].split("\n## ", 2)[1]
    assert 4 <= len(re.findall(r"^- ", items, flags=re.M)) <= 8


@pytest.mark.parametrize("page", CHAPTER_PAGES, ids=lambda p: p.name)
def test_every_chapter_page_has_questions_each_with_a_folded_answer(page):
    text = page.read_text(encoding="utf-8")
    label = _chapter_label(text)
    assert f"({label}-questions)=\n## Check your understanding" in text
    questions, answers = _questions_and_answers(text, label)
    assert questions >= 4 and answers == questions


def test_a_question_whose_answer_is_not_folded_is_caught():
    page = ("(x)=\n# X\n\n(x-questions)=\n## Check your understanding\n\n1. Why?\n\n"
            "   ```{admonition} Answer\n   :class: dropdown\n\n   Because.\n   ```\n\n"
            "2. And why not?\n\n   Because not.\n")
    assert _questions_and_answers(page, "x") == (2, 1)


def closing_map_errors(page: str, text: str, sections: list[str]) -> list[str]:
    """What is wrong with the page's closing "In this chapter": it must be the last section (after
    the questions), and link with {doc} every notebook and exercise listed under the page."""
    headings = re.findall(r"^## (.+?)\s*$", text, flags=re.M)
    if not headings or headings[-1] != "In this chapter":
        return [f"{page}: the last section is {headings[-1:]}, not 'In this chapter'"]
    closing = text.rsplit("\n## In this chapter", 1)[1]
    folder = Path(page).parent
    linked = {str(Path(os.path.normpath(folder / m["target"]))) for m in
              re.finditer(r"\{doc\}`(?:[^`<]*<)?(?P<target>[^`<>]+)>?`", closing)}
    return [f"{page}: 'In this chapter' does not link {f}" for f in sections if f not in linked]


@pytest.mark.parametrize("page", sorted(chapter_sections()))
def test_every_chapter_page_ends_with_a_map_of_its_notebooks_and_exercise(page):
    text = (ROOT / f"{page}.md").read_text(encoding="utf-8")
    assert not closing_map_errors(page, text, chapter_sections()[page])


def test_a_closing_map_that_misses_a_notebook_or_comes_too_early_is_caught():
    page, sections = "book/02_cnn", chapter_sections()["book/02_cnn"]
    text = (ROOT / f"{page}.md").read_text(encoding="utf-8")
    assert not closing_map_errors(page, text, sections)
    for target in sections:
        link = f"{{doc}}`../{target}`"
        assert link in text
        assert closing_map_errors(page, text.replace(link, "it"), sections)
    closing = "## In this chapter" + text.rsplit("## In this chapter", 1)[1]
    early = text.replace(closing, "").replace("## Check your understanding", closing + "\n## Check your understanding")
    assert closing_map_errors(page, early, sections)


def heading_slugs(markdown: str) -> set[str]:
    """The anchors that myst_heading_anchors (levels 1 to 3 in _config.yml) gives a document's
    headings: myst's slug of the heading's text and code (math dropped), made unique with -1, -2."""
    slugs, fences = [], []
    for line in markdown.splitlines():
        fence = re.match(r"^\s*(`{3,})(.*)$", line)
        if fence:
            ticks, info = len(fence[1]), fence[2].strip()
            if fences and ticks >= fences[-1] and not info:
                fences.pop()
            else:
                fences.append(ticks)
            continue
        heading = re.match(r"^#{1,3}\s+(.+?)\s*#*\s*$", line)
        if heading and not fences:
            text = re.sub(r"\[([^\]]*)\]\([^)]*\)", r"\1", re.sub(r"\$[^$]*\$", "", heading[1]))
            slug = base = re.sub(r"[^\w\u4e00-\u9fff\- ]", "", text.replace("`", "").replace("*", "")
                                 .lower().replace(" ", "-"))
            n = 1
            while slug in slugs:
                slug, n = f"{base}-{n}", n + 1
            slugs.append(slug)
    return set(slugs)


def labels(markdown: str) -> set[str]:
    return set(re.findall(r"^\(([\w-]+)\)=\s*$", markdown, flags=re.M))


def broken_anchors(path: Path) -> list[str]:
    """The Markdown links of a page or notebook, [text](file#anchor) or [text](#anchor), whose
    anchor no heading (nor label) of the target document has. On the site, myst also resolves
    [text](#label) to a label of another page, so such a link is accepted too."""
    errors = []
    for target, anchor in re.findall(r"\]\(([^()\s#]*)#([^()\s]+)\)", markdown_of(path)):
        if "://" in target:
            continue
        document = (path.parent / target).resolve() if target else path
        if not document.exists():
            errors.append(f"{target}#{anchor}: no such file")
            continue
        anchors = heading_slugs(markdown_of(document)) | labels(markdown_of(document))
        if not target:
            anchors |= {label for page in PAGES for label in labels(markdown_of(page))}
        if anchor not in anchors:
            errors.append(f"{target}#{anchor}: no such heading in {document.name}")
    return errors


@pytest.mark.parametrize("path", PAGES + NOTEBOOKS, ids=lambda p: f"{p.parent.name}/{p.name}")
def test_every_section_link_lands_on_a_heading(path):
    assert not broken_anchors(path)


def test_heading_slugs_follow_myst_and_a_wrong_anchor_is_caught(tmp_path):
    assert heading_slugs("## GRU: two gates, and where the reset gate goes\n") == {
        "gru-two-gates-and-where-the-reset-gate-goes"}
    assert heading_slugs("## What the source article's project gets wrong\n### `conv2d`, by hand\n"
                         "## Noise\n```python\n# Noise\n```\n## Noise\n") == {
        "what-the-source-articles-project-gets-wrong", "conv2d-by-hand", "noise", "noise-1"}
    (tmp_path / "a.md").write_text("## Is the code useful? The linear probe\n")
    page = tmp_path / "b.md"
    page.write_text("See [the probe](a.md#is-the-code-useful-the-linear-probe).\n")
    assert not broken_anchors(page)
    page.write_text("See [the probe](a.md#is-the-code-useful-the-linear-probe-1) and [x](#x).\n")
    assert len(broken_anchors(page)) == 2

"""`coursekit assign`: exercises are generated from the solutions, and the
committed exercises are exactly what the solutions generate."""
import json

import nbformat
import pytest

from coursekit import book
from coursekit.cli import main
from coursekit.grading.assign import BEGIN, END, HINT, exercise_text, stub_cell

ROOT = book.ROOT
SOLUTIONS = sorted((ROOT / "solutions").glob("*.ipynb"))


def test_every_solution_has_a_committed_exercise_and_nothing_else():
    assert SOLUTIONS, "no solution notebooks found"
    assert {p.name for p in SOLUTIONS} == {p.name for p in (ROOT / "exercises").glob("*.ipynb")}


@pytest.mark.parametrize("solution", SOLUTIONS, ids=lambda p: p.name)
def test_committed_exercise_is_what_its_solution_generates(solution):
    committed = (ROOT / "exercises" / solution.name).read_text(encoding="utf-8")
    assert committed == exercise_text(solution), (
        f"exercises/{solution.name} is out of date or was edited by hand: run `make assign`")


@pytest.mark.parametrize("solution", SOLUTIONS, ids=lambda p: p.name)
def test_assign_regenerates_identical_files(solution, tmp_path):
    assert main(["assign", str(solution), "--out", str(tmp_path)]) == 0
    assert (tmp_path / solution.name).read_bytes() == (ROOT / "exercises" / solution.name).read_bytes()


@pytest.mark.parametrize("solution", SOLUTIONS, ids=lambda p: p.name)
def test_exercise_has_no_solution_code_and_keeps_everything_else(solution):
    sol = json.loads(solution.read_text())
    ex = json.loads((ROOT / "exercises" / solution.name).read_text())
    assert ex["metadata"] == sol["metadata"]
    assert len(ex["cells"]) == len(sol["cells"])
    for s, e in zip(sol["cells"], ex["cells"]):
        s_src, e_src = "".join(s["source"]), "".join(e["source"])
        assert BEGIN not in e_src and END not in e_src
        assert (s["cell_type"], s.get("id"), s["metadata"]) == (e["cell_type"], e.get("id"), e["metadata"])
        if BEGIN not in s_src:
            assert e_src == s_src
        else:   # not one line of solution code is left behind, markers or not
            e_lines = {ln.strip() for ln in e_src.splitlines()}
            assert not [ln for ln in _solution_lines(s_src) if ln in e_lines]
        if e["cell_type"] == "code":
            assert e["outputs"] == [] and e["execution_count"] is None


def test_function_region_becomes_not_implemented_with_the_hint():
    src = ("def f(x):\n    \"\"\"Doc.\"\"\"\n    ### BEGIN SOLUTION\n    ### HINT: square it\n"
           "    return x * x\n    ### END SOLUTION\n")
    assert stub_cell(src) == "def f(x):\n    \"\"\"Doc.\"\"\"\n    raise NotImplementedError('square it')\n"


def test_region_without_hint_gets_a_generic_one():
    src = "def f(x):\n    ### BEGIN SOLUTION\n    y = g(x)\n    return y\n    ### END SOLUTION\n"
    assert "raise NotImplementedError('replace this line with your solution')" in stub_cell(src)


def test_value_region_becomes_ellipsis():
    src = "### BEGIN SOLUTION\nk = 3\nstride = 2\n### END SOLUTION\nprint(k)"
    assert stub_cell(src) == "k = ...\nstride = ...\nprint(k)"


def test_a_region_with_a_hint_and_no_statement_becomes_not_implemented_with_the_hint():
    src = ("def normalise(x):\n    ### BEGIN SOLUTION\n    ### HINT: divide by the largest value\n"
           "    # x / x.max()\n    ### END SOLUTION\n")
    assert stub_cell(src) == "def normalise(x):\n    raise NotImplementedError('divide by the largest value')\n"


def test_a_chained_assignment_region_stops_the_cell_rather_than_leave_a_name_undefined():
    stub = stub_cell("### BEGIN SOLUTION\nKERNEL = SIZE = 3\n### END SOLUTION\nprint(KERNEL, SIZE)")
    with pytest.raises(NotImplementedError):      # not a NameError for SIZE in the student's next line
        exec(stub, {})


def test_unbalanced_markers_are_an_error():
    with pytest.raises(ValueError, match="without"):
        stub_cell("def f():\n    ### BEGIN SOLUTION\n    return 1\n")
    with pytest.raises(ValueError, match="without"):
        stub_cell("x = 1\n### END SOLUTION\n")


def _solution_lines(source):
    """The stripped, non-blank code lines between the markers (hints excluded)."""
    lines, inside = [], False
    for ln in source.splitlines():
        if ln.strip() == BEGIN:
            inside = True
        elif ln.strip() == END:
            inside = False
        elif inside and ln.strip() and not ln.strip().startswith(HINT):
            lines.append(ln.strip())
    return lines


def _notebook(path, *sources, outputs=True):
    cells = [nbformat.v4.new_code_cell(s, id=f"c{i}") for i, s in enumerate(sources)]
    if outputs:
        for c in cells:
            c.execution_count = 3
            c.outputs = [nbformat.v4.new_output("stream", text="hello\n")]
    nb = nbformat.v4.new_notebook(cells=cells, metadata={"coursekit": {"exercise": "cnn"}})
    path.write_text(nbformat.writes(nb))
    return path


def test_outputs_are_stripped_and_output_ends_with_a_newline(tmp_path):
    sol = _notebook(tmp_path / "01_x.ipynb", "### BEGIN SOLUTION\nk = 3\n### END SOLUTION")
    text = exercise_text(sol)
    nb = json.loads(text)
    assert text.endswith("}\n")
    assert nb["cells"][0]["outputs"] == [] and nb["cells"][0]["execution_count"] is None
    assert exercise_text(sol) == text


def test_assign_refuses_to_overwrite_a_different_exercise_without_force(tmp_path, capsys):
    sol = _notebook(tmp_path / "01_x.ipynb", "### BEGIN SOLUTION\nk = 3\n### END SOLUTION")
    out = tmp_path / "exercises"
    out.mkdir()
    (out / "01_x.ipynb").write_text("edited by hand")
    assert main(["assign", str(sol), "--out", str(out)]) == 2
    assert "--force" in capsys.readouterr().err
    assert (out / "01_x.ipynb").read_text() == "edited by hand"
    assert main(["assign", str(sol), "--out", str(out), "--force"]) == 0
    assert (out / "01_x.ipynb").read_text() == exercise_text(sol)


def test_assign_never_overwrites_the_solution_itself(tmp_path):
    sol = _notebook(tmp_path / "01_x.ipynb", "x = 1")
    before = sol.read_bytes()   # with outputs, which the exercise would strip
    assert main(["assign", str(sol), "--out", str(tmp_path), "--force"]) == 2
    assert sol.read_bytes() == before


def test_a_solution_region_that_is_not_whole_statements_is_refused(tmp_path):
    sol = _notebook(tmp_path / "01_x.ipynb", "y = (1 +\n### BEGIN SOLUTION\n2)\n### END SOLUTION")
    with pytest.raises(ValueError, match="does not parse"):
        exercise_text(sol)


def test_a_folder_or_a_missing_notebook_is_named_not_a_traceback(tmp_path, capsys):
    # `coursekit assign solutions --out exercises` ended in an IsADirectoryError traceback
    (tmp_path / "solutions").mkdir()
    assert main(["assign", str(tmp_path / "solutions"), "--out", str(tmp_path / "exercises")]) == 2
    assert "solutions is a folder: pass the solution notebooks in it, e.g. " in capsys.readouterr().err
    assert main(["assign", str(tmp_path / "nope.ipynb"), "--out", str(tmp_path / "exercises")]) == 2
    assert "no such solution notebook(s): " in capsys.readouterr().err
    assert not (tmp_path / "exercises").exists()


def test_a_notebook_without_a_solution_region_is_pointed_out(tmp_path, capsys):
    # an exercise passed instead of its solution gives back a copy of itself
    sol = _notebook(tmp_path / "01_x.ipynb", "k = ...")
    assert main(["assign", str(sol), "--out", str(tmp_path / "exercises")]) == 0
    assert f"has no '{BEGIN}' region" in capsys.readouterr().out


def test_an_out_that_is_a_file_is_named(tmp_path, capsys):
    sol = _notebook(tmp_path / "01_x.ipynb", "### BEGIN SOLUTION\nk = 3\n### END SOLUTION")
    (tmp_path / "exercises").write_text("notes")
    assert main(["assign", str(sol), "--out", str(tmp_path / "exercises")]) == 2
    assert "is a file, not a folder" in capsys.readouterr().err and (tmp_path / "exercises").read_text() == "notes"

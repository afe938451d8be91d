"""Extraction: a submitted notebook becomes a module of the student's
definitions, statically, without running anything."""
import ast
import json

import pytest

from coursekit import book
from coursekit.grading.extract import exercise_of, extract, read_notebook
from coursekit.grading.tasks import exercise_tasks

ROOT = book.ROOT


def nb(*sources, metadata=None):
    return {"cells": [{"cell_type": "code", "source": s, "metadata": {}, "outputs": []} for s in sources],
            "metadata": metadata or {}}


def kept_names(source):
    return {n.name if hasattr(n, "name") else ast.unparse(n) for n in ast.parse(source).body}


def test_keeps_imports_functions_classes_and_constants():
    e = extract(nb("import torch\nimport torch.nn as nn\nK = 3\nEDGE = torch.tensor([[1.0, -1.0]])",
                   "def f(x):\n    return x * K\n\nclass M(nn.Module):\n    pass"))
    for line in ("import torch", "import torch.nn as nn", "K = 3", "EDGE = torch.tensor([[1.0, -1.0]])",
                 "def f(x):", "class M(nn.Module):"):
        assert line in e.source
    assert e.names == ["torch", "nn", "K", "EDGE", "f", "M"]


def test_drops_calls_loops_training_and_checks():
    e = extract(nb("import coursekit\ntrain = coursekit.data.load_medmnist('pneumoniamnist', 'train')",
                   "for epoch in range(100):\n    fit()\n",
                   "coursekit.check('cnn.conv2d', conv2d)\nmodel = Net()\nX = train.images\nhistory = fit(model)"))
    assert "load_medmnist" not in e.source and "range(100)" not in e.source
    assert "check(" not in e.source and "Net()" not in e.source and "X =" not in e.source
    assert e.names == ["coursekit"]


def test_keeps_decorators_and_comments_of_functions():
    e = extract(nb("import torch\n@torch.no_grad()\ndef f(x):\n    # a comment\n    return x"))
    assert "@torch.no_grad()\ndef f(x):\n    # a comment\n    return x" in e.source


def test_ipython_magics_and_shell_lines_are_stripped():
    e = extract(nb("%matplotlib inline\n!pip install foo\ndef f(x):\n    !ls\n    return x\nf?",
                   "%%time\ndef g():\n    return 1", "%%bash\nls -l"))
    compile(e.source, "submission.py", "exec")
    assert "def f(x):" in e.source and "def g():" in e.source and "ls -l" not in e.source
    assert not e.notes


def test_a_comment_ending_in_a_question_mark_keeps_its_line():
    # IPython help is `name?`, not any line ending in '?': `return 2 * x  # right?` is code.
    for magic in ("", "%matplotlib inline\n"):
        e = extract(nb(magic + "def f(x):\n    return 2 * x  # right?"))
        namespace = {}
        exec(e.source, namespace)
        assert namespace["f"](3) == 6


def test_continuation_lines_that_start_with_an_operator_are_kept():
    src = "def f(a, b):\n    if (a\n            != b):\n        return (a\n                % b)\n    return 0"
    for magic in ("", "!pip install foo\n"):
        e = extract(nb(magic + src))
        assert not e.notes and src in e.source


def test_lines_of_a_string_that_look_like_magics_are_not_changed():
    src = 'def f():\n    """Pixels:\n% above 0.5\n!= the mean\nall of them?\n"""\n    return 1'
    e = extract(nb("%matplotlib inline\n" + src))
    assert src in e.source


def test_a_magic_keeps_the_line_numbers_of_the_cell_in_notes():
    e = extract(nb("\n%matplotlib inline\nx = (\n"))
    assert len(e.notes) == 1 and "line 3" in e.notes[0]


def test_a_cell_that_does_not_parse_is_skipped_with_a_note_and_the_rest_kept():
    e = extract(nb("def f(x):\n    return x", "def broken(:\n    pass", "def g(x):\n    return 2 * x"))
    assert "def f(x)" in e.source and "def g(x)" in e.source and "broken" not in e.source
    assert len(e.notes) == 1 and "cell 2" in e.notes[0]


def test_statements_sharing_a_line_are_separated():
    e = extract(nb("import sys; sys.exit(1)"))
    assert "import sys" in e.source and "exit" not in e.source


def test_extraction_executes_nothing(tmp_path):
    marker = tmp_path / "ran.txt"
    extract(nb(f"open({str(marker)!r}, 'w').write('x')", f"def f(_=open({str(marker)!r}, 'w')):\n    pass"))
    assert not marker.exists()


def test_exercise_comes_from_metadata_or_from_check_calls():
    assert exercise_of(nb("x = 1", metadata={"coursekit": {"exercise": "cnn"}})) == "cnn"
    assert exercise_of(nb("import coursekit", "coursekit.check('cnn.conv2d', conv2d)")) == "cnn"
    assert exercise_of(nb("x = 1")) is None


def test_solution_notebook_defines_every_task_and_nothing_expensive():
    notebook = read_notebook(ROOT / "solutions" / "02_cnn.ipynb")
    e = extract(notebook)
    assert exercise_of(notebook) == "cnn"
    assert {t.name for t in exercise_tasks("cnn")} <= set(e.names)
    for expensive in ("load_medmnist", "fit(", "check(", "DeviceBatches"):
        assert expensive not in e.source
    compile(e.source, "submission.py", "exec")


def test_a_loss_module_and_a_device_choice_are_kept_as_constants():
    e = extract(nb("import torch\nfrom torch import nn",
                   'device = torch.device("cuda" if torch.cuda.is_available() else "cpu")\n'
                   "criterion = nn.BCEWithLogitsLoss()\nmodel = nn.Linear(2, 2)",
                   "import coursekit as ck\nDEVICE = ck.get_device()"))
    assert e.names == ["torch", "nn", "device", "criterion", "ck", "DEVICE"]


def test_a_constant_that_a_dropped_loop_changes_is_noted_where_a_definition_reads_it():
    # the notebook ends with size == 7, the grader keeps size = 28: the model would differ
    e = extract(nb("import torch\nfrom torch import nn\nsize = 28\nfor k in range(2):\n    size = size // 2\n",
                   "class Net(nn.Module):\n    def __init__(self):\n        super().__init__()\n"
                   "        self.fc = nn.Linear(32 * size * size, 2)\n"))
    assert "size = 28" in e.source and "size // 2" not in e.source
    assert len(e.notes) == 1
    assert e.notes[0].startswith("`size` is last set by code that the grader does not run (cell 1, line 4), "
                                 "so Net will see the value of `size = 28`")


def test_no_note_when_the_grader_sees_the_notebook_s_final_value_or_nothing_reads_it():
    assert extract(nb("size = 28\nfor size in range(3):\n    pass\n",           # a parameter of its own
                      "def out(size, k):\n    return size - k + 1\n")).notes == []
    assert extract(nb("size = 28\nsize = f()\nsize = 7\n",                        # a constant again at the end
                      "def g():\n    return size\n")).notes == []
    assert extract(nb("K = 3\nsquares = [K * K for K in range(4)]\n",           # a comprehension's own K
                      "def g():\n    return K\n")).notes == []
    assert extract(nb("size = 28\nfor size in range(3):\n    pass\n",           # read nowhere
                      "def g(x):\n    return x\n")).notes == []


def test_each_kept_statement_keeps_its_cell_and_line_for_messages_to_students():
    from coursekit.grading.extract import notebook_place
    e = extract(nb("x = 1", "data = load()\n\ndef f(x):\n    return x\nK = 2; train()\nA = 1; B = 2\nC = 3"))
    lines = e.source.splitlines()
    where = {text: notebook_place(e.source, lines.index(text) + 1) for text in ("def f(x):", "K = 2", "A = 1; B = 2", "C = 3")}
    assert where == {"def f(x):": "cell 2, line 3", "K = 2": "cell 2, line 5", "A = 1; B = 2": "cell 2, line 6",
                     "C = 3": "cell 2, line 7"}
    assert notebook_place(e.source, 1) == "line 1"        # the header belongs to no cell


def test_a_name_bound_by_a_dropped_statement_is_explained_where_a_case_reports_it_undefined():
    from coursekit.grading.extract import unkept_notes
    e = extract(nb("import numpy as np\nSCALE = np.linspace(0, 1, 5).sum()",
                   "if __name__ == '__main__':\n    def f(x):\n        return x",
                   "try:\n    from tqdm.auto import tqdm\nexcept ImportError:\n    tqdm = list"))
    notes = unkept_notes(e, ["raised NameError: name 'SCALE' is not defined (cell 3, line 2 in g: ...)",
                             "NameError: the notebook does not define 'f'", "NameError: name 'tqdm' is not defined",
                             "NameError: name 'other' is not defined"])
    assert [n.split(":")[0] for n in notes] == ["`SCALE` is set at cell 1, line 2", "`f` is set at cell 2, line 1",
                                                 "`tqdm` is set at cell 3, line 1"]
    assert "it calls `np.linspace(0, 1, 5).sum`, which the grader does not run" in notes[0]
    assert "inside a top-level `if` block" in notes[1] and "inside a top-level `try` block" in notes[2]


def test_a_name_bound_again_by_a_kept_statement_is_not_explained():
    from coursekit.grading.extract import unkept_notes
    e = extract(nb("X = load()", "X = 3"))
    assert unkept_notes(e, ["NameError: name 'X' is not defined"]) == []


def test_a_definition_rebound_later_by_code_the_grader_skips_is_noted_with_both_places():
    e = extract(nb("def decay(step):\n    raise NotImplementedError\n\ndecay = functools_partial(step_decay)"))
    assert e.notes == ["`decay` is last set at cell 1, line 4: it calls `functools_partial`, which the grader "
                       "does not run; the grader uses its earlier definition, at cell 1, line 1, instead."]


def test_constants_students_write_with_numpy_torch_and_math_are_kept():
    e = extract(nb("import math, functools\nimport numpy as np\nimport torch\nfrom torch import nn",
                   "TINY = np.finfo(np.float64).tiny\nEPS = torch.finfo(torch.float32).eps\nLN2 = np.log(2.0)\n"
                   "BITS = math.log2(8)\nGAIN = nn.init.calculate_gain('leaky_relu', 0.2)\n"
                   "step = functools.partial(round, ndigits=2)"))
    assert {"TINY", "EPS", "LN2", "BITS", "GAIN", "step"} <= set(e.names)


def test_tensors_and_arrays_built_from_numbers_are_kept_as_constants():
    e = extract(nb("import numpy as np\nimport torch",
                   "ONES = torch.ones(3)\nZEROS = torch.zeros(2, 2)\nI3 = torch.eye(3)\nSTEPS = torch.arange(4)\n"
                   "GRID = torch.linspace(0, 1, 5)\nK = np.array([[1, 0], [0, 1]])"))
    assert {"ONES", "ZEROS", "I3", "STEPS", "GRID", "K"} <= set(e.names)


@pytest.mark.parametrize("magic", ["%%time", "%%timeit", "%%capture", "%%prun"])
def test_a_cell_under_a_python_cell_magic_is_kept(magic):
    e = extract(nb(f"{magic}\ndef g():\n    return 1"))
    assert "def g():" in e.source and e.names == ["g"]


def test_after_a_star_import_a_constant_may_use_its_names():
    e = extract(nb("from math import *", "TWO_PI = 2 * pi"))
    assert "TWO_PI = 2 * pi" in e.source


def test_a_notebook_saved_with_a_byte_order_mark_is_read(tmp_path):
    # VS Code and Windows PowerShell 5 can save UTF-8 with a BOM; the grader must not score it NOT GRADED
    path = tmp_path / "bom.ipynb"
    path.write_text(json.dumps({"cells": [], "metadata": {"coursekit": {"exercise": "cnn"}}}), encoding="utf-8-sig")
    assert exercise_of(read_notebook(path)) == "cnn"

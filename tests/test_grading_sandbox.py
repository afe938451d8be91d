"""The sandbox's messages about the student's code name the notebook's cell and line: the
student (on Gradescope, say) never sees the extracted file whose lines the code runs from."""
import pytest

from coursekit.grading import cases, sandbox
from coursekit.grading.cases import execute
from coursekit.grading.extract import extract


@pytest.fixture
def loaded(tmp_path, monkeypatch):
    monkeypatch.setattr(cases, "STUDENT_FILE", {})
    notebook = {"metadata": {}, "cells": [
        {"cell_type": "markdown", "source": "# Exercise"},
        {"cell_type": "code", "source": "import json\nmodel = train()\n\ndef leaves():\n    exit()"},
        {"cell_type": "code", "source": "def parse(text):\n    n = len(text)\n    return json.loads(text)\n"
                                        "class Broken:\n    size = 1 / 0"},
    ]}
    path = tmp_path / "submission.py"
    path.write_text(extract(notebook).source)
    return sandbox.load_submission(path)


def test_a_statement_that_raises_while_loading_is_named_by_its_cell_and_line(loaded):
    module, errors, missing = loaded
    assert errors == ["loading your code: cell 3, line 4 raised ZeroDivisionError: division by zero "
                      "(cell 3, line 5 in Broken: size = 1 / 0)"]
    assert "(cell 3, line 4) raised" in missing["Broken"]


def test_an_error_raised_inside_the_standard_library_points_at_the_student_s_call(loaded):
    module = loaded[0]
    record = execute(lambda obj, inputs: obj("{"), module.parse, {})
    assert record["error"].endswith("(cell 3, line 3 in parse: return json.loads(text))")


def test_exit_inside_a_function_points_at_the_student_s_line_not_at_python_s_exit(loaded):
    module = loaded[0]
    record = execute(lambda obj, inputs: obj(), module.leaves, {})
    assert record["error"].endswith("(cell 2, line 5 in leaves: exit())")

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


def test_skipping_a_statement_that_hung_keeps_the_one_that_shares_its_line(tmp_path, monkeypatch):
    import ast
    monkeypatch.setattr(cases, "STUDENT_FILE", {})
    notebook = {"metadata": {}, "cells": [
        {"cell_type": "code", "source": "SLOW = 10 ** 10 ** 9; import math\n\ndef f():\n    return math.pi"}]}
    source = extract(notebook).source
    slow = next(n for n in ast.parse(source).body if isinstance(n, ast.Assign))
    path = tmp_path / "submission.py"
    path.write_text(source)
    module, errors, missing = sandbox.load_submission(
        path, skip={f"{slow.lineno}:{slow.col_offset}": "took longer than 5 s (an infinite loop?)"})
    assert module.f() == 3.141592653589793          # math, on the same line, was still imported
    assert list(missing) == ["SLOW"] and len(errors) == 1


def test_an_error_raised_inside_an_installed_package_points_at_the_student_s_call(loaded):
    import numpy as np

    def invert(matrix):
        return np.linalg.inv(matrix)

    record = execute(lambda obj, inputs: obj(np.zeros((2, 2))), invert, {})
    assert "LinAlgError" in record["error"] and record["error"].endswith("in invert: return np.linalg.inv(matrix))")


def test_the_output_limit_error_says_the_limit_holds_for_a_task_s_cases_together(loaded):
    import errno

    def chatty():
        raise OSError(errno.EFBIG, "File too large")   # what print raises past RLIMIT_FSIZE

    record = execute(lambda obj, inputs: obj(), chatty, {})
    assert record["error"].startswith(f"OutputLimit: the code printed more than the grader allows, "
                                      f"{cases.MAX_FILE_BYTES // 2**20} MiB for all the cases of one task together")


LIMITS_WITHOUT_PROC = """
import pathlib, resource
from coursekit.grading import sandbox
real = pathlib.Path.read_text
def no_proc(self, *args, **kwargs):          # macOS: no /proc
    if str(self).startswith("/proc"):
        raise FileNotFoundError(self)
    return real(self, *args, **kwargs)
pathlib.Path.read_text = no_proc
sandbox.limit_resources(100)
print(resource.getrlimit(resource.RLIMIT_FSIZE)[0], resource.getrlimit(resource.RLIMIT_AS)[0])
"""


def test_the_output_limit_holds_where_there_is_no_proc_to_size_the_memory_limit():
    import resource
    import subprocess
    import sys
    out = subprocess.run([sys.executable, "-c", LIMITS_WITHOUT_PROC], capture_output=True, text=True, check=True)
    fsize, address_space = map(int, out.stdout.split())
    assert fsize == cases.MAX_FILE_BYTES                 # printed output stays bounded on macOS
    assert address_space == resource.getrlimit(resource.RLIMIT_AS)[0]   # unchanged: it needs /proc's count of
    #                                                                      what torch has mapped


def test_the_submission_is_loaded_as_a_module_with_a_spec_naming_its_loader(loaded):
    """linecache, which finds the source lines of a traceback, warns from Python 3.15 on for a
    module whose ``__spec__`` has no loader (a bare ``types.ModuleType``)."""
    module = loaded[0]
    assert module.__spec__.name == "submission"
    assert module.__spec__.loader is not None and module.__loader__ is module.__spec__.loader
    assert module.__spec__.origin == module.__file__

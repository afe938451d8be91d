"""coursekit's declared requirements: lower bounds only, each admitting what Colab already has.

Every notebook's setup cell pip-installs coursekit into a running Colab kernel. A floor above the
version Colab ships makes pip upgrade that package under the kernel; for ipywidgets, which Colab
imports when the kernel starts, a floor of 8 forced a restart and left the widget library out of
step with Colab's own widget frontend.
"""
import re
import shutil
import subprocess
import sys
from pathlib import Path

import pytest

try:
    import tomllib
except ModuleNotFoundError:          # Python 3.10: pytest itself depends on tomli there
    import tomli as tomllib
from packaging.requirements import Requirement
from packaging.specifiers import SpecifierSet
from packaging.utils import canonicalize_name

PYPROJECT = Path(__file__).resolve().parents[1] / "pyproject.toml"

# Colab's GPU runtime as published in googlecolab/backend-info (pip-freeze.gpu.txt, 2026).
COLAB_PYTHON = "3.12"
COLAB_PACKAGES = {
    "numpy": "2.0.2",
    "torch": "2.11.0",
    "torchvision": "0.26.0",
    "scikit-learn": "1.6.1",
    "scikit-image": "0.25.2",
    "scipy": "1.16.3",
    "matplotlib": "3.10.0",
    "pandas": "2.2.2",
    "tqdm": "4.67.3",
    "ipywidgets": "7.7.1",
    "pillow": "11.3.0",
}
NOT_ON_COLAB = {"medmnist", "nilearn", "pydicom"}    # installed fresh by the setup cell: any version will do


def _project():
    return tomllib.loads(PYPROJECT.read_text())["project"]


def _dependencies():
    return [Requirement(r) for r in _project()["dependencies"]]


def test_every_dependency_floor_admits_the_version_colab_ships():
    for req in _dependencies():
        name = canonicalize_name(req.name)
        if name in NOT_ON_COLAB:
            continue
        assert name in COLAB_PACKAGES, f"{name}: add Colab's version to COLAB_PACKAGES or to NOT_ON_COLAB"
        assert req.specifier.contains(COLAB_PACKAGES[name]), (
            f"{req} would make the setup cell replace Colab's {name} {COLAB_PACKAGES[name]} "
            "under a running kernel")


def test_dependencies_are_lower_bounds_only():
    for req in _dependencies():
        operators = [spec.operator for spec in req.specifier]
        assert operators == [">="], f"{req}: a pin or a ceiling breaks on Colab's next upgrade"


def test_the_python_requirement_admits_colabs_python():
    assert SpecifierSet(_project()["requires-python"]).contains(COLAB_PYTHON)


ROOT = PYPROJECT.parent


def _makefile_variable(name):
    for line in (ROOT / "Makefile").read_text().splitlines():
        key, sep, value = line.partition(":=")
        if sep and key.strip() == name:
            return value.strip()
    raise AssertionError(f"the Makefile sets no {name}")


def test_make_test_floors_runs_the_oldest_python_pyproject_allows():
    floor = [s.version for s in SpecifierSet(_project()["requires-python"]) if s.operator == ">="]
    assert floor == [_makefile_variable("FLOORS_VERSION")]


def test_make_test_floors_refuses_an_interpreter_that_is_found_but_does_not_run(tmp_path):
    """pyenv's python3.10 shim is on the PATH and fails when 3.10 is not its active version."""
    if shutil.which("make") is None:
        pytest.skip("make is not installed")
    shim = tmp_path / "python3.10"
    shim.write_text("#!/bin/sh\necho 'pyenv: python3.10: command not found' >&2\nexit 127\n")
    shim.chmod(0o755)
    run = subprocess.run(["make", "-C", str(tmp_path), "-f", str(ROOT / "Makefile"), "test-floors",
                          f"FLOORS_PYTHON={shim}"], capture_output=True, text=True)
    assert run.returncode != 0
    assert f"make test-floors needs {shim} to run Python 3.10" in run.stdout
    assert not (tmp_path / ".venv-floors").exists()


def _make_venv_with(tmp_path, newest: str, venv_gb: float = 0) -> subprocess.CompletedProcess:
    """``make .venv/bin/python`` in ``tmp_path`` with ``NEWEST_PYTHON=newest`` and
    ``VENV_GB=venv_gb`` (the free space below which make gives a note; 0: never), through a PYTHON
    that runs this interpreter for the checks and then fails at ``-m venv`` (nothing is
    installed)."""
    if shutil.which("make") is None:
        pytest.skip("make is not installed")
    python = tmp_path / "python"
    python.write_text(f'#!/bin/sh\n[ "$1" = "-c" ] && exec "{sys.executable}" "$@"\nexit 3\n')
    python.chmod(0o755)
    return subprocess.run(["make", "-C", str(tmp_path), "-f", str(ROOT / "Makefile"), ".venv/bin/python",
                           f"PYTHON={python}", f"NEWEST_PYTHON={newest}", f"VENV_GB={venv_gb}"],
                          capture_output=True, text=True)


def test_a_python_newer_than_any_tested_is_told_how_to_start_again_with_an_older_one(tmp_path):
    run = _make_venv_with(tmp_path, newest="3.9")
    this = f"{sys.version_info[0]}.{sys.version_info[1]}"
    assert f"note: Python {this} is newer than any this course has been tested on (3.10 to 3.9)" in run.stdout
    assert "rm -rf .venv && make .venv/bin/python PYTHON=python3.9" in run.stdout
    assert run.returncode != 0          # the stand-in python refused to make the venv, as meant


def test_a_tested_python_makes_its_venv_without_a_note(tmp_path):
    run = _make_venv_with(tmp_path, newest="3.99")
    assert "note:" not in run.stdout + run.stderr
    assert "-m venv .venv" in run.stdout      # it went on to make the venv


def test_a_disk_with_less_free_space_than_the_venv_needs_is_told_so_before_pip_starts(tmp_path):
    free = shutil.disk_usage(tmp_path).free / 2**30
    run = _make_venv_with(tmp_path, newest="3.99", venv_gb=free * 2 + 1)
    assert re.search(r"note: [0-9.]+ GB free on this disk; on Linux .venv takes about 6 GB", run.stdout)
    assert "-m venv .venv" in run.stdout      # a note, not a refusal: pip may still fit


def test_the_readme_and_the_intro_give_the_range_of_pythons_the_makefile_names():
    tested = f"Python 3.10 to {_makefile_variable('NEWEST_PYTHON')}"
    assert _makefile_variable("FLOORS_VERSION") == "3.10"
    for page in ("README.md", "book/intro.md"):
        text = (ROOT / page).read_text()
        ranges = re.findall(r"Python (?:from )?3\.\d+ to 3\.\d+", text)
        assert ranges and all(r.replace("from ", "") == tested for r in ranges), (page, ranges, tested)

"""coursekit's declared requirements: lower bounds only, each admitting what Colab already has.

Every notebook's setup cell pip-installs coursekit into a running Colab kernel. A floor above the
version Colab ships makes pip upgrade that package under the kernel; for ipywidgets, which Colab
imports when the kernel starts, a floor of 8 forced a restart and left the widget library out of
step with Colab's own widget frontend.
"""
from pathlib import Path

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
NOT_ON_COLAB = {"medmnist"}          # installed fresh by the setup cell: any version will do


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
    import shutil
    import subprocess

    if shutil.which("make") is None:
        import pytest
        pytest.skip("make is not installed")
    shim = tmp_path / "python3.10"
    shim.write_text("#!/bin/sh\necho 'pyenv: python3.10: command not found' >&2\nexit 127\n")
    shim.chmod(0o755)
    run = subprocess.run(["make", "-C", str(tmp_path), "-f", str(ROOT / "Makefile"), "test-floors",
                          f"FLOORS_PYTHON={shim}"], capture_output=True, text=True)
    assert run.returncode != 0
    assert f"make test-floors needs {shim} to run Python 3.10" in run.stdout
    assert not (tmp_path / ".venv-floors").exists()

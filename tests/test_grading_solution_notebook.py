"""The solution notebooks run from top to bottom in the quick profile (the book
does not build solutions/, so nothing else executes them)."""
import re

import nbclient
import nbformat
import pytest

from coursekit import book

SOLUTION = book.ROOT / "solutions" / "02_cnn.ipynb"
BASICS_SOLUTION = book.ROOT / "solutions" / "06_imaging_basics.ipynb"
ENHANCE_SOLUTION = book.ROOT / "solutions" / "07_enhancement.ipynb"
RECON_SOLUTION = book.ROOT / "solutions" / "08_reconstruction.ipynb"
CAPSTONE_SOLUTION = book.ROOT / "solutions" / "09_capstone.ipynb"


def run_notebook(path, monkeypatch, tmp_path) -> tuple[str, int]:
    """Execute the notebook at ``path``; returns what its code cells printed and how many
    ``coursekit.check(...)`` cells it has."""
    monkeypatch.setenv("COURSEKIT_PROFILE", "quick")
    monkeypatch.setenv("MPLBACKEND", "Agg")
    monkeypatch.setenv("COURSEKIT_PROGRESS", "0")
    nb = nbformat.read(path, as_version=4)
    nbclient.NotebookClient(nb, timeout=300, kernel_name="python3",
                            resources={"metadata": {"path": str(tmp_path)}}).execute()
    text = "".join(o.get("text", "") for c in nb.cells if c.cell_type == "code" for o in c.outputs)
    checks = [c for c in nb.cells if c.cell_type == "code" and "coursekit.check(" in c.source]
    return text, len(checks)


def assert_every_check_passed(text: str, n_checks: int) -> None:
    summaries = [line for line in text.splitlines() if line.endswith("public checks passed")]
    assert len(summaries) == n_checks
    assert all(a == b for a, b in (line.split()[0].split("/") for line in summaries))
    assert "FAIL" not in text


@pytest.mark.slow
def test_cnn_solution_notebook_runs_and_passes_every_check(monkeypatch, tmp_path):
    text, n_checks = run_notebook(SOLUTION, monkeypatch, tmp_path)
    assert n_checks == 5
    assert_every_check_passed(text, n_checks)
    assert "test AUC" in text


@pytest.mark.slow
def test_imaging_basics_solution_notebook_runs_and_passes_every_check(monkeypatch, tmp_path):
    text, n_checks = run_notebook(BASICS_SOLUTION, monkeypatch, tmp_path)
    assert n_checks == 4
    assert_every_check_passed(text, n_checks)
    assert "coursekit.scans.hounsfield agrees: True" in text
    assert "private elements: 179 -> 0" in text and "input unchanged: True" in text


@pytest.mark.slow
def test_enhancement_solution_notebook_runs_and_passes_every_check(monkeypatch, tmp_path):
    text, n_checks = run_notebook(ENHANCE_SOLUTION, monkeypatch, tmp_path)
    assert n_checks == 4
    assert_every_check_passed(text, n_checks)
    assert "the slice rebuilt exactly from its 4 polyphase components: True" in text
    assert "no noise, balance 1e-12: the slice comes back, largest error" in text
    assert "coursekit.restore.unbiased_rician agrees: True" in text


@pytest.mark.slow
def test_reconstruction_solution_notebook_runs_and_passes_every_check(monkeypatch, tmp_path):
    text, n_checks = run_notebook(RECON_SOLUTION, monkeypatch, tmp_path)
    assert n_checks == 4
    assert_every_check_passed(text, n_checks)
    assert "coursekit.degrade.kspace and image_from_kspace agree: True" in text
    assert "the zero-filled image comes back unchanged: True" in text
    assert "after data consistency an estimate has the measured columns: True" in text
    assert "coursekit.degrade.fbp differ by at most" in text and "within 2%: True" in text
    assert "torch's softshrink agrees on real tensors: True" in text
    assert "coursekit.degrade.interpolate_slices agrees: True" in text
    # the text's claims: ISTA beats zero-filling on the test slice, linear interpolation beats repeated slices
    zero_filled, ista = map(float, re.search(r"zero-filled ([\d.]+) dB, ISTA with t = [\d.]+: ([\d.]+) dB",
                                             text).groups())
    assert ista > zero_filled + 3
    repeated, linear = map(float, re.search(r"repeated slices ([\d.]+) dB, linear interpolation ([\d.]+) dB",
                                            text).groups())
    assert linear > repeated


@pytest.mark.slow
def test_capstone_solution_notebook_runs_and_passes_every_check(monkeypatch, tmp_path):
    text, n_checks = run_notebook(CAPSTONE_SOLUTION, monkeypatch, tmp_path)
    assert n_checks == 3
    assert_every_check_passed(text, n_checks)
    assert "coursekit.study.paired_bootstrap: [" in text and "the ends agree within 10% of the width: True" in text
    assert "coursekit.study.near_duplicates agrees: True" in text
    assert "margin 0.5 dB: " in text and "coursekit.study.verdict: " in text
    # the text's claim: resampling the paired scores as if unpaired widens the interval
    wider = float(re.search(r"resampled as if unpaired: \[[^]]+\] dB, ([\d.]+) times as wide", text).group(1))
    assert wider > 1.5

"""The solution notebook runs from top to bottom in the quick profile (the book
does not build solutions/, so nothing else executes it)."""
import nbclient
import nbformat
import pytest

from coursekit import book

SOLUTION = book.ROOT / "solutions" / "02_cnn.ipynb"


@pytest.mark.slow
def test_cnn_solution_notebook_runs_and_passes_every_check(monkeypatch, tmp_path):
    monkeypatch.setenv("COURSEKIT_PROFILE", "quick")
    monkeypatch.setenv("MPLBACKEND", "Agg")
    monkeypatch.setenv("COURSEKIT_PROGRESS", "0")
    nb = nbformat.read(SOLUTION, as_version=4)
    nbclient.NotebookClient(nb, timeout=300, kernel_name="python3",
                            resources={"metadata": {"path": str(tmp_path)}}).execute()
    text = "".join(o.get("text", "") for c in nb.cells if c.cell_type == "code" for o in c.outputs)
    checks = [c for c in nb.cells if c.cell_type == "code" and "coursekit.check(" in c.source]
    assert len(checks) == 5
    summaries = [line for line in text.splitlines() if line.endswith("public checks passed")]
    assert len(summaries) == len(checks)
    assert all(a == b for a, b in (line.split()[0].split("/") for line in summaries))
    assert "FAIL" not in text
    assert "test AUC" in text

"""The site builds strictly (warnings are errors), executing every notebook,
and the CNN page carries executed outputs."""
import os
import subprocess
import sys
from pathlib import Path

import pytest

from coursekit.book import ROOT


@pytest.mark.slow
def test_site_builds_strictly_with_executed_notebooks(tmp_path):
    jb = Path(sys.executable).with_name("jupyter-book")
    env = dict(os.environ, COURSEKIT_PROFILE="quick", COURSEKIT_PROGRESS="0")
    proc = subprocess.run([str(jb), "build", str(ROOT), "--path-output", str(tmp_path),
                           "--warningiserror", "--nitpick", "--keep-going"],
                          capture_output=True, text=True, env=env, timeout=1800)
    assert proc.returncode == 0, proc.stdout[-4000:] + proc.stderr[-4000:]
    html = tmp_path / "_build" / "html"
    assert (html / "index.html").is_file()
    page = (html / "notebooks" / "02_cnn.html").read_text(encoding="utf-8")
    assert page.count("<img") >= 4, "the CNN page should show its executed figures"
    assert "test AUC" in page and "logistic regression" in page
    assert "Traceback" not in page

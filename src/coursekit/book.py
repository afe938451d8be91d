"""Facts about the book itself: where the repository lives, and the setup cell.

The repository URL lives in one place, ``_config.yml`` (``repository.url``).
Every notebook starts with the same setup cell, generated here from that URL;
a test checks that each committed notebook's first code cell is exactly
:func:`setup_cell` so that the URL never drifts.
"""
from __future__ import annotations

import re
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]

SETUP_TEMPLATE = '''\
# Setup: on Colab (or anywhere coursekit is missing) install it; elsewhere do nothing.
import importlib.util, subprocess, sys
if importlib.util.find_spec("coursekit") is None:
    subprocess.run([sys.executable, "-m", "pip", "install", "-q",
                    "coursekit @ {url}/archive/refs/heads/main.zip"], check=True)'''

__all__ = ["repository_url", "setup_cell", "ROOT"]


def repository_url(config: Path | str | None = None) -> str:
    """The ``repository.url`` entry of ``_config.yml`` (read without a YAML library); for a
    coursekit installed outside the repository (Colab), which has no ``_config.yml``, the
    ``Repository`` URL of its package metadata (``[project.urls]`` in ``pyproject.toml``)."""
    path = Path(config) if config else ROOT / "_config.yml"
    if config is None and not path.is_file():
        return _installed_repository_url()
    text = path.read_text(encoding="utf-8")
    block = re.search(r"^repository:\s*\n((?:[ \t]+.*\n?)+)", text, flags=re.M)
    if not block:
        raise ValueError(f"{path}: expected a 'repository:' section with a 'url:' entry")
    url = re.search(r"^\s+url:\s*['\"]?([^'\"\s#]+)", block.group(1), flags=re.M)
    if not url:
        raise ValueError(f"{path}: the 'repository:' section has no 'url:' entry")
    return url.group(1)


def _installed_repository_url() -> str:
    from importlib.metadata import PackageNotFoundError, metadata

    try:
        urls = metadata("coursekit").get_all("Project-URL") or []
    except PackageNotFoundError:
        urls = []
    for entry in urls:
        label, _, url = entry.partition(",")
        if label.strip().lower() == "repository":
            return url.strip()
    raise FileNotFoundError(f"{ROOT / '_config.yml'} is missing and the installed coursekit names no "
                            "Repository URL: reinstall it from the course repository")


def setup_cell(url: str | None = None) -> str:
    """Source of the first code cell of every notebook. It installs coursekit from the
    repository's ``main`` branch as a zip archive, which needs no git (a laptop may lack it)."""
    return SETUP_TEMPLATE.format(url=url or repository_url())

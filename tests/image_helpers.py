"""Small generated images for the tests of restoration code (no data needed), and the marker of
the tests that read a real MedMNIST file instead."""
import os
from pathlib import Path

import pytest
import torch


def needs_data(filename: str):
    """A marker that skips a test unless the folder in COURSEKIT_DATA holds ``filename``
    (e.g. ``"organamnist.npz"``)."""
    folder = os.environ.get("COURSEKIT_DATA", "")
    return pytest.mark.skipif(not (folder and (Path(folder) / filename).is_file()),
                              reason=f"needs COURSEKIT_DATA with {filename}")


def blobs(n=8, size=16, seed=0):
    """Smooth images ``(n, 1, size, size)`` in [0, 1]: one Gaussian blob each, away from the borders."""
    g = torch.Generator().manual_seed(seed)
    centre = size * (0.3 + 0.4 * torch.rand(n, 2, 1, 1, generator=g))
    r = torch.arange(size, dtype=torch.float32)
    d2 = (r.view(1, size, 1) - centre[:, 0]) ** 2 + (r.view(1, 1, size) - centre[:, 1]) ** 2
    return torch.exp(-d2 / (size / 2)).unsqueeze(1)

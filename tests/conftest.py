"""Fixtures shared by the test files."""
import pytest
import torch

from coursekit import data


@pytest.fixture(scope="module")
def one_thread():
    """Grading runs single-threaded; so do the grading tests (steady timing on a busy machine).
    Use with ``pytestmark = pytest.mark.usefixtures("one_thread")``."""
    before = torch.get_num_threads()
    torch.set_num_threads(1)
    yield
    torch.set_num_threads(before)


@pytest.fixture
def close_figures():
    """Closes every matplotlib figure after the test, also when it fails.
    Use with ``pytestmark = pytest.mark.usefixtures("close_figures")``."""
    yield
    import matplotlib.pyplot as plt
    plt.close("all")


@pytest.fixture(scope="module")
def phantom_sets():
    """Fallback pneumonia phantoms, (train, test) (learnable labels; no file or network needed)."""
    with pytest.warns(data.FallbackDataWarning):
        train = data.load_medmnist("pneumoniamnist", "train", root="/nonexistent-dir", download=False)
        test = data.load_medmnist("pneumoniamnist", "test", root="/nonexistent-dir", download=False)
    return train, test


@pytest.fixture
def ladder():
    """A small generative.degradation_ladder: the floor, two blurs and one noise."""
    return {("none", 0.0): {"fd": 1.0, "precision": 0.6, "recall": 0.7},
            ("blur", 0.5): {"fd": 3.0, "precision": 0.5, "recall": 0.3},
            ("blur", 1.0): {"fd": 11.0, "precision": 0.3, "recall": 0.1},
            ("noise", 0.1): {"fd": 2.0, "precision": 0.55, "recall": 0.6}}

"""Small generated images for the tests of restoration code (no data needed)."""
import torch


def blobs(n=8, size=16, seed=0):
    """Smooth images ``(n, 1, size, size)`` in [0, 1]: one Gaussian blob each, away from the borders."""
    g = torch.Generator().manual_seed(seed)
    centre = size * (0.3 + 0.4 * torch.rand(n, 2, 1, 1, generator=g))
    r = torch.arange(size, dtype=torch.float32)
    d2 = (r.view(1, size, 1) - centre[:, 0]) ** 2 + (r.view(1, 1, size) - centre[:, 1]) ** 2
    return torch.exp(-d2 / (size / 2)).unsqueeze(1)

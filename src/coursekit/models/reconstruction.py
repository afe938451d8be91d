"""Reconstruction networks (the reconstruction chapter) that keep what was measured.

* :class:`MRICascade` (after Schlemper et al. 2018): undersampled MRI reconstructed by
  ``cascades`` blocks, each a small CNN that corrects the complex image followed by a
  data-consistency layer (:func:`coursekit.reconstruct.data_consistency`) that puts the measured
  k-space back. It is the compressed-sensing iteration of :func:`coursekit.reconstruct.cs_tv`
  *unrolled*, with the total-variation step replaced by a learned one.

For a network that post-processes a classical reconstruction (an FBP, a zero-filled image, an
interpolation), use the residual :class:`coursekit.models.restoration.UNet`.
"""
from __future__ import annotations

import torch
from torch import nn

from .. import degrade, reconstruct
from ..checks import _describe, check_model_input, check_positive_int

__all__ = ["MRICascade"]


def _block(width: int, depth: int) -> nn.Sequential:
    """``depth`` 3x3 convolutions, 2 -> width -> ... -> 2 channels, ReLU between; the last starts
    at zero, so the block starts as the identity's correction of nothing."""
    layers = [nn.Conv2d(2, width, 3, padding=1), nn.ReLU(inplace=True)]
    for _ in range(depth - 2):
        layers += [nn.Conv2d(width, width, 3, padding=1), nn.ReLU(inplace=True)]
    last = nn.Conv2d(width, 2, 3, padding=1)
    nn.init.zeros_(last.weight)
    nn.init.zeros_(last.bias)
    return nn.Sequential(*layers, last)


class MRICascade(nn.Module):
    """Undersampled MRI, ``(N, 2, H, W)`` -> ``(N, 1, H, W)``.

    Input: the zero-filled image as (real, imaginary) channels,
    ``reconstruct.to_channels(degrade.image_from_kspace(k))`` with ``k`` from
    :func:`coursekit.degrade.undersample`; its k-space, masked, *is* the measurement, so the
    model recovers ``k`` from it. ``mask``: the ``(W,)`` bool sampled columns, fixed (a buffer:
    one sampling pattern, as one scanner protocol). Each of ``cascades`` blocks computes
    ``x <- DC(x + cnn(x))``; the output is the magnitude of the last image. Every block's last
    convolution starts at zero, so an untrained model returns the zero-filled magnitude exactly,
    and every output agrees with the measurements before the magnitude is taken.
    """

    def __init__(self, mask: torch.Tensor, cascades: int = 5, width: int = 32, depth: int = 5):
        super().__init__()
        if not isinstance(mask, torch.Tensor) or mask.dtype != torch.bool or mask.ndim != 1:
            raise ValueError(f"mask: expected a (W,) bool tensor, the sampled k-space columns, as "
                             f"degrade.kspace_mask returns; got {_describe(mask)}")
        self.in_channels = 2
        self.cascades = check_positive_int(cascades, "cascades")
        width, depth = check_positive_int(width, "width"), check_positive_int(depth, "depth")
        if depth < 2:
            raise ValueError(f"depth must be at least 2 (a first and a last convolution); got {depth}")
        self.register_buffer("mask", mask.clone())
        self.blocks = nn.ModuleList([_block(width, depth) for _ in range(cascades)])

    def complex_image(self, x: torch.Tensor) -> torch.Tensor:
        """The last block's complex image, ``(N, 1, H, W)`` complex64, before the magnitude: its
        k-space equals the measurements in the sampled columns."""
        check_model_input(x, self, "MRICascade: x")
        if x.ndim != 4 or x.shape[1] != 2 or x.shape[-1] != len(self.mask):
            raise ValueError(f"MRICascade expects (N, 2, H, {len(self.mask)}) zero-filled images as (real, "
                             f"imaginary) channels, one column per mask entry; got {tuple(x.shape)}")
        z = reconstruct.from_channels(x)
        k = degrade.kspace(z) * self.mask      # the measurements
        for block in self.blocks:
            x = x + block(x)
            z = reconstruct.data_consistency(reconstruct.from_channels(x), k, self.mask)
            x = reconstruct.to_channels(z)
        return z

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        return self.complex_image(x).abs()

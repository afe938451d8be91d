"""Convolutional classifiers (the CNN chapter) and the pixel logistic-regression model.

Every model takes float32 images ``(N, C, H, W)`` in [0, 1] and returns logits
(classification) or images (restoration). They are small on purpose: each one
trains in seconds on a CPU in the ``quick`` profile.
"""
from __future__ import annotations

import torch
from torch import nn

from ..checks import check_model_input

__all__ = ["conv_block", "SmallCNN", "LogisticRegression", "count_parameters"]


def conv_block(c_in: int, c_out: int, pool: bool = True) -> nn.Sequential:
    """3x3 convolution (padding 1, so H and W are kept), batch norm, ReLU,
    then an optional 2x2 max pool that halves H and W."""
    layers = [nn.Conv2d(c_in, c_out, 3, padding=1, bias=False), nn.BatchNorm2d(c_out), nn.ReLU(inplace=True)]
    if pool:
        layers.append(nn.MaxPool2d(2))
    return nn.Sequential(*layers)


class SmallCNN(nn.Module):
    """A compact CNN for 28 x 28 (or larger) images.

    Three stages of two conv blocks each (the second block of the first two
    stages pools: 28 -> 14 -> 7), widths ``width, 2*width, 4*width``, global
    average pooling, dropout and a linear head. Input ``(N, in_channels, H, W)``
    float32; output ``(N, n_classes)`` logits. Receptive field at the last
    conv: 32 px, more than a 28 px image, so the head sees the whole X-ray.
    """

    def __init__(self, in_channels: int = 1, n_classes: int = 2, width: int = 32, dropout: float = 0.2):
        super().__init__()
        if in_channels < 1 or n_classes < 1 or width < 1:
            raise ValueError("in_channels, n_classes and width must be positive integers; "
                             f"got {in_channels}, {n_classes}, {width}")
        w = width
        self.features = nn.Sequential(
            conv_block(in_channels, w, pool=False), conv_block(w, w),          # 28 -> 14
            conv_block(w, 2 * w, pool=False), conv_block(2 * w, 2 * w),        # 14 -> 7
            conv_block(2 * w, 4 * w, pool=False), conv_block(4 * w, 4 * w, pool=False),
        )
        self.head = nn.Sequential(nn.AdaptiveAvgPool2d(1), nn.Flatten(), nn.Dropout(dropout),
                                  nn.Linear(4 * w, n_classes))
        self.in_channels = in_channels

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        check_model_input(x, self, "SmallCNN: x")
        if x.ndim != 4 or x.shape[1] != self.in_channels:
            raise ValueError(f"SmallCNN expects (N, {self.in_channels}, H, W) images; got shape {tuple(x.shape)}")
        return self.head(self.features(x))


class LogisticRegression(nn.Module):
    """Logistic (softmax) regression on raw pixels: flatten, one linear layer.

    The simplest baseline a CNN must beat. Input ``(N, C, H, W)`` float32 in [0, 1]
    with ``C * H * W == n_inputs`` (784 for a 28 x 28 grey-scale image); output
    ``(N, n_classes)`` logits.
    """

    def __init__(self, n_inputs: int, n_classes: int = 2):
        super().__init__()
        self.linear = nn.Linear(n_inputs, n_classes)
        self.n_inputs = n_inputs

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        check_model_input(x, self, "LogisticRegression: x")
        if x.ndim < 2:
            raise ValueError(f"LogisticRegression expects a batch of images (N, C, H, W); got shape "
                             f"{tuple(x.shape)}. Add a batch axis with x[None].")
        got = x.shape[1:].numel()
        if got != self.n_inputs:
            raise ValueError(f"LogisticRegression(n_inputs={self.n_inputs}) expects {self.n_inputs} values per image "
                             f"(C * H * W); got shape {tuple(x.shape)}, {got} values per image. Build it with "
                             f"LogisticRegression({got}) for these images.")
        return self.linear(x.flatten(1))


def count_parameters(model: nn.Module) -> int:
    """Number of trainable parameters."""
    return sum(p.numel() for p in model.parameters() if p.requires_grad)

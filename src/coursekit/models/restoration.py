"""Restoration networks (the enhancement and reconstruction chapters): each learns a correction
to a classical answer, and starts out *as* that answer.

* :class:`DnCNN` (Zhang et al. 2017): a plain stack of 3x3 convolutions that predicts the
  noise, ``x_hat = y - net(y)`` (residual learning): the noise is simpler than the image.
* :class:`UNet` (Ronneberger et al. 2015): an encoder-decoder whose skip connections carry
  the fine detail past the bottleneck; with ``residual=True`` it returns
  ``input + net(input)``, for tasks whose input is already an image of the right size (an
  FBP or zero-filled reconstruction, a blanked or blurred image).
* :class:`ESPCN` (Shi et al. 2016): super-resolution by a sub-pixel convolution
  (``nn.PixelShuffle``), added to the bicubic interpolation of the input, so that it learns
  only the detail that interpolation misses.

The last convolution of each starts at zero, so before training each model returns its
baseline exactly: the input (:class:`DnCNN`, a residual :class:`UNet`) or its bicubic
interpolation (:class:`ESPCN`). Training can only start from there, and a model that ends below
its baseline has learned something wrong, not merely too little.

Images are ``(N, C, H, W)`` float32, in [0, 1] when clean. Outputs are not clipped (a residual
added to an image can leave [0, 1]): clip them, ``out.clamp(0, 1)``, before a metric, as the
classical baselines of :mod:`coursekit.restore` are clipped.
"""
from __future__ import annotations

import torch
import torch.nn.functional as F
from torch import nn

from ..checks import check_model_input, check_positive_int

__all__ = ["DnCNN", "UNet", "ESPCN"]


def _check_input(x: torch.Tensor, model: nn.Module, who: str, multiple: int = 1) -> None:
    """Images ``(N, C, H, W)`` with the model's C (and H, W multiples of ``multiple``), in the
    dtype of its weights."""
    check_model_input(x, model, f"{who}: x")
    if x.ndim != 4 or x.shape[1] != model.in_channels:
        raise ValueError(f"{who} expects (N, {model.in_channels}, H, W) images; got {tuple(x.shape)}")
    if x.shape[2] % multiple or x.shape[3] % multiple:
        raise ValueError(f"{who} halves the image {multiple.bit_length() - 1} times, so H and W must be multiples "
                         f"of {multiple}; got {tuple(x.shape[2:])} (pad or crop the images, or use a smaller depth)")


def _zero(conv: nn.Conv2d) -> nn.Conv2d:
    nn.init.zeros_(conv.weight)
    nn.init.zeros_(conv.bias)
    return conv


class DnCNN(nn.Module):
    """``depth`` 3x3 convolutions of ``width`` channels (batch norm and ReLU between them) that
    predict the noise; ``forward(y) = y - net(y)``. ``(N, C, H, W)`` -> the same shape."""

    def __init__(self, in_channels: int = 1, depth: int = 8, width: int = 32):
        super().__init__()
        self.in_channels = check_positive_int(in_channels, "in_channels")
        depth, width = check_positive_int(depth, "depth"), check_positive_int(width, "width")
        if depth < 2:
            raise ValueError(f"depth must be at least 2 (a first and a last convolution); got {depth}")
        layers = [nn.Conv2d(in_channels, width, 3, padding=1), nn.ReLU(inplace=True)]
        for _ in range(depth - 2):
            layers += [nn.Conv2d(width, width, 3, padding=1, bias=False), nn.BatchNorm2d(width), nn.ReLU(inplace=True)]
        layers.append(_zero(nn.Conv2d(width, in_channels, 3, padding=1)))
        self.net = nn.Sequential(*layers)

    def noise(self, y: torch.Tensor) -> torch.Tensor:
        """The noise the model sees in ``y``: ``(N, C, H, W)``."""
        _check_input(y, self, "DnCNN")
        return self.net(y)

    def forward(self, y: torch.Tensor) -> torch.Tensor:
        return y - self.noise(y)


def _double_conv(cin: int, cout: int) -> nn.Sequential:
    return nn.Sequential(nn.Conv2d(cin, cout, 3, padding=1), nn.BatchNorm2d(cout), nn.ReLU(inplace=True),
                         nn.Conv2d(cout, cout, 3, padding=1), nn.BatchNorm2d(cout), nn.ReLU(inplace=True))


class UNet(nn.Module):
    """A U-Net of ``depth`` halvings: two 3x3 convolutions per level, ``width * 2**level``
    channels, max-pooling down, transposed convolutions up, and the encoder's features of each
    level concatenated to the decoder's. ``(N, in_channels, H, W)`` -> ``(N, out_channels, H, W)``,
    H and W multiples of ``2**depth``. With ``residual=True`` (``in_channels == out_channels``)
    the output is ``x + net(x)``."""

    def __init__(self, in_channels: int = 1, out_channels: int = 1, width: int = 16, depth: int = 2,
                 residual: bool = True):
        super().__init__()
        self.in_channels = check_positive_int(in_channels, "in_channels")
        self.out_channels = check_positive_int(out_channels, "out_channels")
        width, self.depth = check_positive_int(width, "width"), check_positive_int(depth, "depth")
        if residual and in_channels != out_channels:
            raise ValueError(f"residual=True adds the input to the output, so in_channels ({in_channels}) must "
                             f"equal out_channels ({out_channels}); pass residual=False otherwise")
        self.residual = residual
        widths = [width * 2 ** level for level in range(depth + 1)]
        self.down = nn.ModuleList([_double_conv(in_channels, widths[0])] +
                                  [_double_conv(widths[i], widths[i + 1]) for i in range(depth)])
        self.up = nn.ModuleList([nn.ConvTranspose2d(widths[i + 1], widths[i], 2, stride=2) for i in range(depth)])
        self.merge = nn.ModuleList([_double_conv(2 * widths[i], widths[i]) for i in range(depth)])
        self.out = nn.Conv2d(widths[0], out_channels, 1)
        if residual:
            _zero(self.out)

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        _check_input(x, self, "UNet", 2 ** self.depth)
        skips, h = [], x
        for level, block in enumerate(self.down):
            h = block(h if level == 0 else F.max_pool2d(h, 2))
            skips.append(h)
        for level in reversed(range(self.depth)):
            h = self.merge[level](torch.cat([skips[level], self.up[level](h)], dim=1))
        out = self.out(h)
        return x + out if self.residual else out


class ESPCN(nn.Module):
    """``(N, C, H, W)`` -> ``(N, C, scale * H, scale * W)``: the bicubic interpolation of the
    input plus a correction computed at the low resolution (three convolutions, 5x5, 3x3, 3x3,
    tanh between them) and rearranged to the high one by ``nn.PixelShuffle(scale)``."""

    def __init__(self, scale: int, in_channels: int = 1, width: int = 32):
        super().__init__()
        self.scale = check_positive_int(scale, "scale")
        if scale < 2:
            raise ValueError(f"scale must be at least 2 (the factor to enlarge by); got {scale}")
        self.in_channels = check_positive_int(in_channels, "in_channels")
        width = check_positive_int(width, "width")
        self.net = nn.Sequential(
            nn.Conv2d(in_channels, width, 5, padding=2), nn.Tanh(),
            nn.Conv2d(width, width // 2 or 1, 3, padding=1), nn.Tanh(),
            _zero(nn.Conv2d(width // 2 or 1, in_channels * scale ** 2, 3, padding=1)),
            nn.PixelShuffle(scale))

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        _check_input(x, self, "ESPCN")
        bicubic = F.interpolate(x, scale_factor=self.scale, mode="bicubic", align_corners=False)
        return bicubic + self.net(x)

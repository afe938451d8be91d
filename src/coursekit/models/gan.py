"""DCGAN generator and discriminator for 28 x 28 images, and their conditional versions.

Conventions (shared with :mod:`coursekit.gan`, which holds the losses and the
training step):

* ``Generator(z)``: ``z`` ``(N, z_dim)`` float32 -> images ``(N, C, 28, 28)``
  float32 in [0, 1] (the last layer is a sigmoid, like the data).
* ``Discriminator(x)``: images ``(N, C, 28, 28)`` -> logits ``(N,)`` (no
  sigmoid: the losses use ``binary_cross_entropy_with_logits``).
* ``ConditionalGenerator(z, y)`` and ``ConditionalDiscriminator(x, y)`` take
  ``y`` ``(N,)`` int64 class labels in ``[0, n_classes)``.

The architecture is DCGAN-style (Radford et al., 2016: all-convolutional,
batch norm and ReLU in the generator, LeakyReLU in the discriminator), scaled to
28 px, with two changes from the original: the generator doubles the side by
nearest-neighbour upsampling followed by a 3x3 convolution (no checkerboard
pattern: Odena et al., 2016), with one such convolution at every scale
(7 -> 14 -> 28, ``2 * width``, ``width`` and ``width // 2`` channels); the
discriminator mirrors it (``width // 2``, ``width``, ``2 * width`` channels at
28, 14 and 7 px; a 3x3 convolution at each scale, 4x4 stride-2 convolutions in
between) and is spectrally normalised by default (Miyato et al., 2018), which
replaces its batch norm. Weights start from N(0, 0.02) as in DCGAN.

Conditioning: the generator concatenates a learned label embedding to ``z``;
the discriminator uses either the *projection* of Miyato & Koyama (2018)
(``logit = w . h + embed(y) . h``) or the *concatenation* of one-hot label maps
to the input image.
"""
from __future__ import annotations

import torch
from torch import nn

from ..checks import check_images, check_positive_int

__all__ = ["Generator", "Discriminator", "ConditionalGenerator", "ConditionalDiscriminator", "init_dcgan"]

SIZE = 28   # the image side the models produce and accept


def init_dcgan(module: nn.Module) -> None:
    """DCGAN initialisation, applied with ``model.apply(init_dcgan)``: conv and
    linear weights ~ N(0, 0.02), batch-norm scales ~ N(1, 0.02), biases 0."""
    if isinstance(module, (nn.Conv2d, nn.ConvTranspose2d, nn.Linear)):
        nn.init.normal_(module.weight, 0.0, 0.02)
        if module.bias is not None:
            nn.init.zeros_(module.bias)
    elif isinstance(module, (nn.BatchNorm1d, nn.BatchNorm2d)):
        nn.init.normal_(module.weight, 1.0, 0.02)
        nn.init.zeros_(module.bias)
    elif isinstance(module, nn.Embedding):
        nn.init.normal_(module.weight, 0.0, 1.0)


def _check_positive(**values) -> None:
    for name, v in values.items():
        check_positive_int(v, name)


def _check_channels(channels) -> None:
    if channels not in (1, 3):
        raise ValueError(f"channels must be 1 (grayscale) or 3 (RGB); got {channels!r}")


def _check_labels(y, n: int, n_classes: int) -> torch.Tensor:
    if not isinstance(y, torch.Tensor) or y.dtype != torch.int64 or y.ndim != 1:
        got = f"tensor of shape {tuple(y.shape)} and dtype {y.dtype}" if isinstance(y, torch.Tensor) \
            else type(y).__name__
        raise TypeError(f"y: expected class labels as an int64 tensor of shape (N,); got {got}")
    if y.shape[0] != n:
        raise ValueError(f"y has {y.shape[0]} labels for a batch of {n}; they must match")
    if n and (int(y.min()) < 0 or int(y.max()) >= n_classes):
        raise ValueError(f"y: labels must lie in [0, {n_classes}); got min {int(y.min())}, max {int(y.max())}")
    return y


def _spectral(model: nn.Module) -> None:
    """Wrap every conv and linear layer of ``model`` in spectral normalisation (in place)."""
    for m in list(model.modules()):
        if isinstance(m, (nn.Conv2d, nn.Linear)):
            nn.utils.parametrizations.spectral_norm(m)


# ----------------------------------------------------------------- generators

def _up_block(c_in: int, c_out: int, upsample: bool) -> list[nn.Module]:
    """[2x nearest-neighbour upsampling], a 3x3 convolution, batch norm, ReLU."""
    layers = [nn.Upsample(scale_factor=2, mode="nearest")] if upsample else []
    return layers + [nn.Conv2d(c_in, c_out, 3, padding=1, bias=False), nn.BatchNorm2d(c_out), nn.ReLU(inplace=True)]


class Generator(nn.Module):
    """Generator: ``z`` ``(N, z_dim)`` -> images ``(N, channels, 28, 28)`` in [0, 1].

    A linear projection to ``(2 * width, 7, 7)``, a 3x3 convolution at 7 px,
    then twice: double the side (nearest neighbour) and a 3x3 convolution
    (7 -> 14 -> 28 px, ``width`` then ``width // 2`` channels), each with
    batch norm and ReLU; a last 3x3 convolution to ``channels`` and a sigmoid.
    """

    def __init__(self, z_dim: int = 64, channels: int = 1, width: int = 64):
        super().__init__()
        _check_positive(z_dim=z_dim, width=width)
        _check_channels(channels)
        if width < 2:
            raise ValueError(f"width must be at least 2 (the 28 px layer has width // 2 channels); got {width}")
        self.z_dim, self.channels, self.width = z_dim, channels, width
        w = width
        self.project = nn.Sequential(nn.Linear(z_dim, 2 * w * 7 * 7, bias=False),
                                     nn.BatchNorm1d(2 * w * 7 * 7), nn.ReLU(inplace=True))
        self.upsample = nn.Sequential(
            *_up_block(2 * w, 2 * w, upsample=False),                  # 7
            *_up_block(2 * w, w, upsample=True),                       # 7 -> 14
            *_up_block(w, w // 2, upsample=True),                      # 14 -> 28
            nn.Conv2d(w // 2, channels, 3, padding=1),
            nn.Sigmoid(),
        )
        self.apply(init_dcgan)

    def _check_z(self, z) -> None:
        if not isinstance(z, torch.Tensor) or not z.is_floating_point() or z.ndim != 2 \
                or z.shape[1] != self.z_dim:
            got = f"shape {tuple(z.shape)}, dtype {z.dtype}" if isinstance(z, torch.Tensor) else type(z).__name__
            raise ValueError(f"z: expected a float tensor of shape (N, {self.z_dim}); got {got}")

    def forward(self, z: torch.Tensor) -> torch.Tensor:
        self._check_z(z)
        h = self.project(z).view(-1, 2 * self.width, 7, 7)
        return self.upsample(h)


class ConditionalGenerator(nn.Module):
    """Class-conditional generator: ``(z, y)`` -> images ``(N, channels, 28, 28)`` in [0, 1].

    The label ``y`` (int64, ``(N,)``) is looked up in an embedding table of
    ``embed_dim`` learned numbers per class and concatenated to ``z``; the
    result goes through a :class:`Generator` with ``z_dim + embed_dim`` inputs.
    """

    def __init__(self, z_dim: int = 64, n_classes: int = 10, channels: int = 1, width: int = 64,
                 embed_dim: int = 32):
        super().__init__()
        _check_positive(z_dim=z_dim, n_classes=n_classes, width=width, embed_dim=embed_dim)
        self.z_dim, self.n_classes, self.channels = z_dim, n_classes, channels
        self.embed = nn.Embedding(n_classes, embed_dim)
        self.net = Generator(z_dim + embed_dim, channels, width)
        nn.init.normal_(self.embed.weight, 0.0, 1.0)

    def forward(self, z: torch.Tensor, y: torch.Tensor) -> torch.Tensor:
        if not isinstance(z, torch.Tensor) or z.ndim != 2 or z.shape[1] != self.z_dim:
            got = tuple(z.shape) if isinstance(z, torch.Tensor) else type(z).__name__
            raise ValueError(f"z: expected a float tensor of shape (N, {self.z_dim}); got {got}")
        _check_labels(y, z.shape[0], self.n_classes)
        return self.net(torch.cat([z, self.embed(y)], dim=1))


# -------------------------------------------------------------- discriminators

def _trunk(channels: int, width: int, batch_norm: bool) -> nn.Sequential:
    """28 -> 14 -> 7 px, flattened to ``(N, 2 * width * 49)``: a 3x3 convolution at each scale
    (``width // 2``, ``width``, ``2 * width`` channels) and 4x4 stride-2 convolutions between
    them, LeakyReLU(0.1) after each; batch norm after all but the first when ``batch_norm``."""
    w = width
    if w < 2:
        raise ValueError(f"width must be at least 2 (the 28 px layer has width // 2 channels); got {w}")

    def conv(c_in, c_out, kernel, stride, norm=batch_norm):
        layer = nn.Conv2d(c_in, c_out, kernel, stride=stride, padding=1, bias=not norm)
        return [layer] + ([nn.BatchNorm2d(c_out)] if norm else []) + [nn.LeakyReLU(0.1, inplace=True)]

    return nn.Sequential(
        *conv(channels, w // 2, 3, 1, norm=False),                     # 28
        *conv(w // 2, w, 4, 2), *conv(w, w, 3, 1),                     # 28 -> 14
        *conv(w, 2 * w, 4, 2), *conv(2 * w, 2 * w, 3, 1),              # 14 -> 7
        nn.Flatten(),
    )


class Discriminator(nn.Module):
    """Discriminator: images ``(N, channels, 28, 28)`` -> logits ``(N,)``.

    The convolutional trunk (28 -> 14 -> 7 px, LeakyReLU(0.1)) and one linear
    layer. ``spectral_norm=True`` (the default) normalises every layer's
    weight by its largest singular value and uses no batch norm;
    ``spectral_norm=False`` uses batch norm instead, as the original DCGAN.
    Returns raw logits: ``sigmoid(D(x))`` is the estimated probability that
    ``x`` is real (under the cross-entropy loss).
    """

    def __init__(self, channels: int = 1, width: int = 64, spectral_norm: bool = True):
        super().__init__()
        _check_positive(width=width)
        _check_channels(channels)
        self.channels, self.spectral_norm = channels, bool(spectral_norm)
        self.features = _trunk(channels, width, batch_norm=not spectral_norm)
        self.head = nn.Linear(2 * width * 7 * 7, 1)
        self.apply(init_dcgan)
        if spectral_norm:
            _spectral(self)

    def _check_x(self, x) -> None:
        check_images(x, "x")
        if tuple(x.shape[1:]) != (self.channels, SIZE, SIZE):
            raise ValueError(f"x: expected images of shape (N, {self.channels}, {SIZE}, {SIZE}); "
                             f"got {tuple(x.shape)}")

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        self._check_x(x)
        return self.head(self.features(x)).squeeze(1)


class ConditionalDiscriminator(Discriminator):
    """Class-conditional discriminator: ``(x, y)`` -> logits ``(N,)``.

    ``conditioning="projection"`` (default; Miyato & Koyama, 2018): with
    ``h = features(x)``, ``logit = head(h) + embed(y) . h``, so the label
    changes *which direction* of the feature space counts as real.
    ``conditioning="concat"``: ``n_classes`` one-hot label maps are stacked
    onto the image channels before the first convolution.
    """

    def __init__(self, channels: int = 1, n_classes: int = 10, width: int = 64,
                 spectral_norm: bool = True, conditioning: str = "projection"):
        if conditioning not in ("projection", "concat"):
            raise ValueError(f"conditioning must be 'projection' or 'concat'; got {conditioning!r}")
        _check_positive(n_classes=n_classes)
        super().__init__(channels, width, spectral_norm=False)
        self.n_classes, self.conditioning = n_classes, conditioning
        self.spectral_norm = bool(spectral_norm)
        if conditioning == "concat":
            self.features = _trunk(channels + n_classes, width, batch_norm=not spectral_norm)
            self.embed = None
        else:
            if spectral_norm:   # no batch norm under spectral normalisation
                self.features = _trunk(channels, width, batch_norm=False)
            self.embed = nn.Embedding(n_classes, 2 * width * 7 * 7)
        self.apply(init_dcgan)
        if self.embed is not None:
            nn.init.normal_(self.embed.weight, 0.0, 0.02)
        if spectral_norm:
            _spectral(self)

    def forward(self, x: torch.Tensor, y: torch.Tensor) -> torch.Tensor:
        self._check_x(x)
        _check_labels(y, x.shape[0], self.n_classes)
        if self.conditioning == "concat":
            maps = nn.functional.one_hot(y, self.n_classes).to(x.dtype)[:, :, None, None]
            h = self.features(torch.cat([x, maps.expand(-1, -1, SIZE, SIZE)], dim=1))
            return self.head(h).squeeze(1)
        h = self.features(x)
        return self.head(h).squeeze(1) + (self.embed(y) * h).sum(dim=1)

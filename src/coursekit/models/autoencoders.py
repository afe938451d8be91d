"""Autoencoders (the autoencoder chapter): a convolutional autoencoder, its
variational version, and the three formulas of a VAE.

Images are ``(N, 1, 28, 28)`` float32 in [0, 1] (any channel count and any
size divisible by 4 works). An encoder maps an image to a code of
``latent_dim`` numbers, a decoder maps the code back to an image in [0, 1].

* :class:`ConvAutoencoder`: ``encode(x) -> z`` ``(N, latent_dim)``,
  ``decode(z) -> x_hat``, ``forward(x) = decode(encode(x))``.
* :class:`ConvVAE`: ``encode(x) -> (mu, logvar)``, both ``(N, latent_dim)``;
  ``forward(x) -> (x_hat, mu, logvar)`` with a reparameterised sample in
  training mode and the mean ``mu`` in eval mode.
* :func:`reparameterize`, :func:`kl_divergence`, :func:`vae_loss`: the VAE's
  sampling step and loss, with the conventions of the chapter (sums over
  pixels and latent dimensions, means over the batch).
"""
from __future__ import annotations

import torch
from torch import nn

from ..checks import check_model_input, check_positive_int

__all__ = ["ConvAutoencoder", "ConvVAE", "reparameterize", "kl_divergence", "vae_loss",
           "reconstruction_error"]


def _check_input(x: torch.Tensor, model: nn.Module, who: str) -> None:
    """Images ``(N, C, size, size)`` of the model's C and size, in the dtype of its weights."""
    check_model_input(x, model, f"{who}: x")
    in_channels, size = model.in_channels, model.size
    if x.ndim != 4 or x.shape[1] != in_channels:
        raise ValueError(f"{who} expects (N, {in_channels}, H, W) images; got {tuple(x.shape)}")
    if x.shape[2] % 4 or x.shape[3] % 4:
        raise ValueError(f"{who} halves the image twice, so H and W must be multiples of 4; "
                         f"got {tuple(x.shape[2:])}")
    if tuple(x.shape[2:]) != (size, size):
        raise ValueError(f"{who} was built for {size}x{size} images (size={size}); got "
                         f"{x.shape[2]}x{x.shape[3]}. Build it with size={x.shape[2]} for these images, "
                         "or load the data at the model's size.")


class _Encoder(nn.Module):
    """(N, C, H, W) -> (N, 2w, H/4, W/4) feature maps: a 3x3 convolution, then two
    4x4 convolutions with stride 2 (each halves H and W), ReLU after each."""

    def __init__(self, in_channels: int, width: int):
        super().__init__()
        w = width
        self.net = nn.Sequential(
            nn.Conv2d(in_channels, w, 3, padding=1), nn.ReLU(inplace=True),
            nn.Conv2d(w, w, 4, stride=2, padding=1), nn.ReLU(inplace=True),          # H/2
            nn.Conv2d(w, 2 * w, 4, stride=2, padding=1), nn.ReLU(inplace=True),      # H/4
        )

    def forward(self, x):
        return self.net(x)


class _Decoder(nn.Module):
    """(N, latent_dim) -> (N, C, H, W) in [0, 1]: a linear layer to (2w, H/4, W/4),
    two 4x4 transposed convolutions with stride 2 (each doubles H and W), a 3x3
    convolution to C channels and a sigmoid."""

    def __init__(self, out_channels: int, width: int, latent_dim: int, size: int):
        super().__init__()
        w, s = width, size // 4
        self.shape = (2 * w, s, s)
        self.fc = (nn.Identity() if latent_dim is None else
                   nn.Sequential(nn.Linear(latent_dim, 2 * w * s * s), nn.ReLU(inplace=True)))
        self.net = nn.Sequential(
            nn.ConvTranspose2d(2 * w, w, 4, stride=2, padding=1), nn.ReLU(inplace=True),   # 2s
            nn.ConvTranspose2d(w, w, 4, stride=2, padding=1), nn.ReLU(inplace=True),       # 4s
            nn.Conv2d(w, out_channels, 3, padding=1), nn.Sigmoid(),
        )

    def forward(self, z):
        return self.net(self.fc(z).view(-1, *self.shape))


class ConvAutoencoder(nn.Module):
    """A convolutional autoencoder: image -> ``latent_dim`` numbers -> image.

    Args:
        latent_dim: size of the code z (the bottleneck). ``None``: no linear
            bottleneck; the code is the encoder's ``(2 * width, size/4, size/4)``
            feature map, flattened (a *spatial* code, as denoisers use).
        in_channels: image channels C (1 for MedMNIST grey-scale sets).
        width: channels of the first convolution (the second stage has ``2 * width``).
        size: image side H = W (a multiple of 4; 28 for MedMNIST).

    ``encode(x)``: ``(N, C, size, size)`` float32 in [0, 1] -> ``(N, latent_dim)``; images of
    another size, channel count or dtype are refused, also with ``latent_dim=None`` (the
    decoder rebuilds exactly ``size x size`` images).
    ``decode(z)``: ``(N, latent_dim)`` -> ``(N, C, size, size)`` in [0, 1] (sigmoid).
    ``forward(x) = decode(encode(x))``.
    """

    def __init__(self, latent_dim: int | None = 16, in_channels: int = 1, width: int = 32, size: int = 28):
        super().__init__()
        for name, v in (("latent_dim", 1 if latent_dim is None else latent_dim), ("in_channels", in_channels),
                        ("width", width)):
            check_positive_int(v, name)
        if not isinstance(size, int) or size < 4 or size % 4:
            raise ValueError(f"size must be a positive multiple of 4 (28 for MedMNIST); got {size!r}")
        n_features = 2 * width * (size // 4) ** 2
        self.spatial = latent_dim is None
        self.latent_dim = n_features if self.spatial else latent_dim
        self.in_channels, self.size = in_channels, size
        self.features = _Encoder(in_channels, width)
        self.to_code = nn.Identity() if self.spatial else nn.Linear(n_features, latent_dim)
        self.decoder = _Decoder(in_channels, width, latent_dim, size)

    def encode(self, x: torch.Tensor) -> torch.Tensor:
        _check_input(x, self, type(self).__name__)
        return self.to_code(self.features(x).flatten(1))

    def decode(self, z: torch.Tensor) -> torch.Tensor:
        if z.ndim != 2 or z.shape[1] != self.latent_dim:
            raise ValueError(f"decode expects codes of shape (N, {self.latent_dim}); got {tuple(z.shape)}")
        return self.decoder(z)

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        return self.decode(self.encode(x))


class ConvVAE(ConvAutoencoder):
    """A variational autoencoder with the architecture of :class:`ConvAutoencoder`.

    The encoder outputs the mean ``mu`` and the log-variance ``logvar`` of a
    diagonal Gaussian q(z | x), both ``(N, latent_dim)``. ``forward(x)`` returns
    ``(x_hat, mu, logvar)``: in training mode ``x_hat`` decodes a sample
    ``z = mu + exp(logvar / 2) * eps``, in eval mode it decodes ``mu`` (a
    deterministic reconstruction). ``sample(n)`` decodes ``n`` draws from the
    prior N(0, I).
    """

    def __init__(self, latent_dim: int = 16, in_channels: int = 1, width: int = 32, size: int = 28):
        if latent_dim is None:
            raise ValueError("a ConvVAE needs an int latent_dim (the size of its Gaussian code)")
        super().__init__(latent_dim, in_channels, width, size)
        self.to_code = nn.Linear(2 * width * (size // 4) ** 2, 2 * latent_dim)   # mu and logvar

    def encode(self, x: torch.Tensor) -> tuple[torch.Tensor, torch.Tensor]:
        _check_input(x, self, type(self).__name__)
        mu, logvar = self.to_code(self.features(x).flatten(1)).chunk(2, dim=1)
        return mu, logvar

    def forward(self, x: torch.Tensor):
        mu, logvar = self.encode(x)
        z = reparameterize(mu, logvar, torch.randn_like(mu)) if self.training else mu
        return self.decode(z), mu, logvar

    @torch.no_grad()
    def sample(self, n: int, generator: torch.Generator | None = None) -> torch.Tensor:
        """Decode ``n`` codes drawn from the prior N(0, I): ``(n, C, size, size)`` in [0, 1]."""
        device = next(self.parameters()).device
        z = torch.randn(n, self.latent_dim, generator=generator, device="cpu").to(device)
        return self.decode(z)


# ---------------------------------------------------------------- VAE formulas

def reparameterize(mu: torch.Tensor, logvar: torch.Tensor, eps: torch.Tensor) -> torch.Tensor:
    """A sample of N(mu, diag(exp(logvar))) written as a differentiable function of mu and logvar:
    ``z = mu + sigma * eps`` with ``sigma = exp(logvar / 2)`` and ``eps ~ N(0, I)`` given.

    All three ``(N, latent_dim)``; returns ``(N, latent_dim)`` of their dtype.
    """
    return mu + torch.exp(0.5 * logvar) * eps


def kl_divergence(mu: torch.Tensor, logvar: torch.Tensor) -> torch.Tensor:
    """KL( N(mu, diag(exp(logvar))) || N(0, I) ) in closed form, in nats.

    ``mu``, ``logvar``: ``(N, latent_dim)``. Per sample
    ``-1/2 * sum_j (1 + logvar_j - mu_j^2 - exp(logvar_j))`` (a **sum** over the
    latent dimensions), then the **mean** over the batch: a 0-d tensor, >= 0.
    """
    per_sample = -0.5 * (1 + logvar - mu.pow(2) - logvar.exp()).sum(dim=1)
    return per_sample.mean()


def reconstruction_error(x_hat: torch.Tensor, x: torch.Tensor) -> torch.Tensor:
    """Sum of squared errors over the pixels of each image: ``(N, ...)`` -> ``(N,)``."""
    return (x_hat - x).pow(2).flatten(1).sum(dim=1)


def vae_loss(x_hat: torch.Tensor, x: torch.Tensor, mu: torch.Tensor, logvar: torch.Tensor,
             beta: float = 1.0) -> torch.Tensor:
    """The chapter's VAE loss: ``mean_n [ sum_pixels (x_hat - x)^2 ] + beta * KL``.

    The reconstruction term is the squared error **summed** over the pixels of
    an image and **averaged** over the batch; ``KL`` is :func:`kl_divergence`
    (summed over latent dimensions, averaged over the batch). For a Gaussian
    decoder p(x | z) = N(x_hat, sigma^2 I) this is the negative ELBO times
    ``2 sigma^2`` (plus a constant) when ``beta = 2 sigma^2``.
    ``x_hat``, ``x``: ``(N, C, H, W)``; ``mu``, ``logvar``: ``(N, latent_dim)``.
    Returns a 0-d tensor.
    """
    return reconstruction_error(x_hat, x).mean() + beta * kl_divergence(mu, logvar)

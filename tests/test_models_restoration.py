"""coursekit.models.restoration: each network keeps the image's shape (or enlarges it by its
scale), starts out as its classical baseline, and learns to beat it."""
import pytest
import torch

from coursekit import degrade, metrics
from coursekit.models.restoration import DnCNN, ESPCN, UNet
from image_helpers import blobs


# ----------------------------------------------------------------- shapes

@pytest.mark.parametrize("model", [DnCNN(2, depth=4, width=8), UNet(2, 2, width=4, depth=2)])
def test_denoisers_and_unets_keep_the_shape_of_their_input(model):
    x = torch.rand(3, 2, 16, 24)
    assert model(x).shape == x.shape


def test_unet_without_a_residual_maps_to_another_number_of_channels():
    assert UNet(2, 1, width=4, residual=False)(torch.rand(3, 2, 16, 16)).shape == (3, 1, 16, 16)


def test_espcn_enlarges_by_its_scale():
    assert ESPCN(3, in_channels=2, width=8)(torch.rand(2, 2, 7, 9)).shape == (2, 2, 21, 27)


# ------------------------------------------------- before training: the baseline

def test_an_untrained_dncnn_returns_its_input():
    x = torch.rand(4, 1, 16, 16)
    assert torch.equal(DnCNN(depth=4, width=8)(x), x)


def test_an_untrained_residual_unet_returns_its_input():
    x = torch.rand(4, 1, 16, 16)
    assert torch.equal(UNet(width=4)(x), x)


def test_an_untrained_espcn_returns_the_bicubic_interpolation():
    x = torch.rand(4, 1, 8, 8)
    assert torch.equal(ESPCN(2, width=8)(x), degrade.upsample(x, 2, "bicubic", clip=False))


# ------------------------------------------------------------- training

def _train(model, inputs, targets, steps=150, lr=3e-3):
    torch.manual_seed(0)
    opt = torch.optim.Adam(model.parameters(), lr=lr)
    model.train()
    for _ in range(steps):
        opt.zero_grad()
        loss = torch.nn.functional.mse_loss(model(inputs), targets)
        loss.backward()
        opt.step()
    model.eval()
    with torch.no_grad():
        return model(inputs).clamp(0, 1)


def test_dncnn_learns_to_remove_noise_better_than_leaving_it():
    torch.manual_seed(0)
    clean = blobs(16)
    noisy = degrade.gaussian_noise(clean, 0.1, seed=1)
    out = _train(DnCNN(depth=4, width=16), noisy, clean)
    assert metrics.psnr(out, clean) > metrics.psnr(noisy.clamp(0, 1), clean) + 3


def test_residual_unet_learns_to_fill_a_blanked_box():
    torch.manual_seed(0)
    clean = blobs(16)
    missing = torch.zeros_like(clean, dtype=torch.bool)
    missing[..., 6:10, 6:10] = True
    blanked = degrade.mask_out(clean, missing)
    out = _train(UNet(width=8), blanked, clean)
    assert metrics.mse(out, clean) < 0.5 * metrics.mse(blanked, clean)


def test_espcn_learns_detail_beyond_bicubic_interpolation():
    torch.manual_seed(0)
    clean = blobs(16, size=16)
    low = degrade.downsample(clean, 2)
    out = _train(ESPCN(2, width=16), low, clean, steps=200)
    assert metrics.psnr(out, clean) > metrics.psnr(degrade.upsample(low, 2), clean) + 1


# -------------------------------------------------------------- bad input

def test_unet_says_which_sizes_it_can_halve():
    with pytest.raises(ValueError, match="multiples of 4"):
        UNet(width=4, depth=2)(torch.rand(1, 1, 18, 16))


@pytest.mark.parametrize("model", [DnCNN(depth=3, width=4), UNet(width=4), ESPCN(2, width=4)])
def test_each_model_names_the_channels_it_expects(model):
    with pytest.raises(ValueError, match=r"\(N, 1, H, W\)"):
        model(torch.rand(1, 3, 16, 16))


@pytest.mark.parametrize("model", [DnCNN(depth=3, width=4), UNet(width=4), ESPCN(2, width=4)])
def test_each_model_refuses_uint8_images_and_says_how_to_convert(model):
    with pytest.raises(TypeError, match="255"):
        model(torch.zeros(1, 1, 16, 16, dtype=torch.uint8))


def test_a_residual_unet_needs_as_many_output_channels_as_input_channels():
    with pytest.raises(ValueError, match="residual=False"):
        UNet(3, 1, residual=True)


@pytest.mark.parametrize("build, match", [(lambda: DnCNN(depth=1), "depth"), (lambda: ESPCN(1), "scale"),
                                          (lambda: UNet(width=0), "width")])
def test_a_model_refuses_a_size_it_cannot_build(build, match):
    with pytest.raises(ValueError, match=match):
        build()

"""coursekit.models.reconstruction: the MRI cascade starts as zero-filling, keeps what was
measured in every output, and learns to beat zero-filling."""
import pytest
import torch

from coursekit import degrade, enhance, metrics, reconstruct
from coursekit.models.reconstruction import MRICascade
from image_helpers import blobs


def zero_filled_inputs(images, mask):
    k = degrade.undersample(images, mask)
    return reconstruct.to_channels(degrade.image_from_kspace(k)), k


def perturbed(model, scale=0.05):
    torch.manual_seed(0)
    for p in model.parameters():                     # away from the zero start
        p.data.add_(scale * torch.randn_like(p))
    return model


def test_an_untrained_cascade_returns_the_zero_filled_magnitude():
    x = blobs(3, 16)
    mask = degrade.kspace_mask(16, 4)
    inputs, k = zero_filled_inputs(x, mask)
    assert torch.allclose(MRICascade(mask, cascades=2, width=8)(inputs), degrade.zero_filled(k, clip=False), atol=1e-6)


def test_every_cascade_output_agrees_with_the_measurements_before_its_magnitude():
    x = blobs(3, 16)
    mask = degrade.kspace_mask(16, 4)
    inputs, k = zero_filled_inputs(x, mask)
    model = perturbed(MRICascade(mask, cascades=2, width=8))
    with torch.no_grad():
        z = model.complex_image(inputs)
        assert not torch.allclose(z, degrade.image_from_kspace(k), atol=1e-3)     # it computed something
    assert reconstruct.kspace_error(z, k, mask) < 1e-5


def test_the_cascade_refuses_images_whose_width_differs_from_its_mask():
    model = MRICascade(degrade.kspace_mask(16, 4), cascades=1, width=4)
    with pytest.raises(ValueError, match=r"\(N, 2, H, 16\)"):
        model(torch.rand(1, 2, 16, 12))


def test_the_cascade_refuses_a_mask_that_is_not_bool():
    with pytest.raises(ValueError, match=r"\(W,\) bool tensor"):
        MRICascade(torch.ones(16))


def test_the_cascade_learns_to_beat_zero_filling():
    x, val = blobs(64, 16, seed=0), blobs(16, 16, seed=1)
    mask = degrade.kspace_mask(16, 4)
    inputs, _ = zero_filled_inputs(x, mask)
    val_inputs, val_k = zero_filled_inputs(val, mask)
    torch.manual_seed(0)
    model = MRICascade(mask, cascades=2, width=8, depth=3)
    enhance.train_restorer(model, inputs, x, epochs=8, batch_size=16, lr=3e-3, progress=False)
    before = float(metrics.psnr(degrade.zero_filled(val_k), val))
    after = float(metrics.psnr(enhance.apply(model, val_inputs), val))
    assert after > before + 1.0

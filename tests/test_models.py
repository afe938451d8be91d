"""coursekit.models: shapes, parameter counts, bad input."""
import pytest
import torch

from coursekit.models import LogisticRegression, SmallCNN, count_parameters


@pytest.mark.parametrize("channels, classes, size", [(1, 2, 28), (3, 8, 28), (1, 11, 64)])
def test_small_cnn_maps_images_to_logits(channels, classes, size):
    model = SmallCNN(channels, classes, width=8)
    out = model(torch.rand(4, channels, size, size))
    assert out.shape == (4, classes) and out.dtype == torch.float32


def test_small_cnn_rejects_the_wrong_channel_count():
    with pytest.raises(ValueError, match=r"\(N, 1, H, W\)"):
        SmallCNN(1, 2)(torch.rand(2, 3, 28, 28))


def test_logistic_regression_has_one_weight_per_pixel_and_class():
    model = LogisticRegression(28 * 28, 2)
    assert count_parameters(model) == 28 * 28 * 2 + 2
    assert model(torch.rand(5, 1, 28, 28)).shape == (5, 2)

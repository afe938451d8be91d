"""coursekit.models: shapes, parameter counts, bad input."""
import pytest
import torch

from coursekit.models import LogisticRegression, SmallCNN, count_parameters, mlp


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


def test_logistic_regression_names_its_pixel_count_when_given_rgb_images():
    with pytest.raises(ValueError, match=r"784 values per image .*got shape \(4, 3, 28, 28\), 2352 values"):
        LogisticRegression(28 * 28)(torch.rand(4, 3, 28, 28))


MODELS = {"SmallCNN": lambda: SmallCNN(1, 2, width=4), "LogisticRegression": lambda: LogisticRegression(28 * 28),
          "MLP": lambda: mlp.MLP(28 * 28, (8,), 2)}


@pytest.mark.parametrize("name", MODELS)
def test_models_refuse_uint8_images_and_say_divide_by_255(name):
    """torch's own error was "expected scalar type Byte but found Float"."""
    x = (255 * torch.rand(2, 1, 28, 28)).to(torch.uint8)
    with pytest.raises(TypeError, match=r"float32 in \[0, 1\]\); got dtype torch\.uint8\. Divide uint8 images by 255"):
        MODELS[name]()(x)


@pytest.mark.parametrize("name", MODELS)
def test_models_refuse_float64_images_and_say_x_float(name):
    with pytest.raises(TypeError, match=r"expected float32, the dtype of the model's weights; got float64.*x\.float\(\)"):
        MODELS[name]()(torch.rand(2, 1, 28, 28, dtype=torch.float64))

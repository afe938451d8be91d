"""coursekit.models: shapes, parameter counts, bad input."""
import importlib
import warnings

import numpy as np
import pytest
import torch
from torch import nn

from coursekit import models
from coursekit.models import LogisticRegression, SmallCNN, conv_block, count_parameters, mlp


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


def test_conv_block_keeps_the_side_then_halves_it_with_a_2x2_max_pool():
    block = conv_block(2, 3)
    x = torch.randn(2, 2, 8, 8)
    unpooled = block[:-1](x)                        # convolution, batch norm, ReLU
    assert unpooled.shape == (2, 3, 8, 8)
    assert torch.equal(block(x), nn.functional.max_pool2d(unpooled, 2))


def test_conv_block_output_is_rectified():
    with torch.no_grad():
        out = conv_block(2, 3, pool=False)(torch.randn(2, 2, 8, 8))
    assert float(out.min()) == 0.0


def test_conv_block_convolution_has_no_bias_since_batch_norm_follows():
    assert count_parameters(conv_block(2, 3, pool=False)) == 3 * 3 * 2 * 3 + 2 * 3   # conv weights, BN scale and shift


def test_small_cnn_parameter_count_follows_its_widths():
    c, w, k = 1, 4, 3
    convs = [(c, w), (w, w), (w, 2 * w), (2 * w, 2 * w), (2 * w, 4 * w), (4 * w, 4 * w)]
    expected = sum(3 * 3 * a * b + 2 * b for a, b in convs) + 4 * w * k + k   # conv + batch norm, linear head
    assert count_parameters(SmallCNN(c, k, width=w)) == expected


def test_small_cnn_features_of_a_28px_image_are_7px_maps_of_4_width_channels():
    assert SmallCNN(1, 2, width=4).features(torch.rand(2, 1, 28, 28)).shape == (2, 16, 7, 7)


def test_small_cnn_logits_are_the_linear_head_of_globally_averaged_features():
    torch.manual_seed(0)
    model = SmallCNN(1, 3, width=4).eval()
    x = torch.rand(2, 1, 28, 28)
    features = model.features(x).mean(dim=(2, 3))
    assert torch.allclose(model(x), model.head[-1](features), atol=1e-6)


def test_small_cnn_passes_its_dropout_rate_to_the_head():
    """With dropout=0 two training-mode passes agree; the default rate of 0.2 would make them differ."""
    torch.manual_seed(0)
    model = SmallCNN(1, 2, width=4, dropout=0.0).train()
    x = torch.rand(4, 1, 28, 28)
    assert torch.equal(model(x), model(x))


@pytest.mark.parametrize("kwargs", [dict(in_channels=0), dict(n_classes=0), dict(width=0)])
def test_small_cnn_refuses_sizes_that_are_not_positive(kwargs):
    with pytest.raises(ValueError, match="must be positive integers"):
        SmallCNN(**kwargs)


def test_small_cnn_refuses_volumes_and_names_the_image_layout():
    with pytest.raises(ValueError, match=r"\(N, 1, H, W\) images; got shape \(2, 1, 8, 28, 28\)"):
        SmallCNN(1, 2, width=4)(torch.rand(2, 1, 8, 28, 28))


def test_logistic_regression_returns_logits_of_the_flattened_pixels():
    torch.manual_seed(0)
    model = LogisticRegression(12, 3)
    x = torch.rand(5, 3, 2, 2)
    assert torch.allclose(model(x), x.flatten(1) @ model.linear.weight.T + model.linear.bias)


def test_logistic_regression_refuses_a_single_unbatched_vector_and_says_x_none():
    with pytest.raises(ValueError, match=r"got shape \(784,\)\. Add a batch axis with x\[None\]"):
        LogisticRegression(28 * 28)(torch.rand(784))


def test_logistic_regression_says_what_n_inputs_fits_the_images_it_was_given():
    with pytest.raises(ValueError, match=r"Build it with LogisticRegression\(2352\) for these images"):
        LogisticRegression(28 * 28)(torch.rand(4, 3, 28, 28))


def test_count_parameters_leaves_out_frozen_weights():
    model = SmallCNN(1, 2, width=4)
    model.features.requires_grad_(False)
    assert count_parameters(model) == 4 * 4 * 2 + 2                       # the linear head only


def test_models_package_says_it_has_no_attribute_for_an_unknown_family():
    with pytest.raises(AttributeError, match="module 'coursekit.models' has no attribute 'no_such_family'"):
        models.no_such_family
    assert not hasattr(models, "no_such_family")


def test_models_package_reports_a_missing_dependency_of_a_family_as_missing(tmp_path, monkeypatch):
    """A family whose own import fails must say which package is missing, not that it does not exist."""
    (tmp_path / "needs_missing_dependency.py").write_text("import coursekit_test_no_such_package\n")
    monkeypatch.setattr(models, "__path__", [*models.__path__, str(tmp_path)])
    importlib.invalidate_caches()
    with pytest.raises(ModuleNotFoundError, match="coursekit_test_no_such_package"):
        models.needs_missing_dependency


# ------------------------------------------------------ the hand-written MLP (coursekit.models.mlp)

@pytest.mark.parametrize("fn", [mlp.activation, mlp.activation_grad])
def test_activation_functions_refuse_an_unknown_name_and_list_the_known_ones(fn):
    with pytest.raises(ValueError, match=r"unknown activation 'swish'; expected one of \('sigmoid', 'tanh', 'relu'\)"):
        fn("swish", torch.zeros(3))


@pytest.mark.parametrize("kwargs", [dict(n_inputs=0), dict(hidden=(8, 0)), dict(n_classes=0)])
def test_mlp_refuses_a_layer_of_zero_units(kwargs):
    with pytest.raises(ValueError, match="layer sizes must be positive"):
        mlp.MLP(**{"n_inputs": 12, "hidden": (8,), "n_classes": 3, **kwargs})


@pytest.mark.parametrize("act", mlp.ACTIVATIONS)
def test_mlp_module_applies_the_activation_it_is_named_for(act):
    """The module and the hand-written forward agree for every activation, not only ReLU."""
    torch.manual_seed(0)
    model = mlp.MLP(12, (6,), 3, activation=act).double()
    x = torch.randn(4, 12, dtype=torch.float64)
    logits, _ = mlp.forward(mlp.params_of(model), x, act)
    assert torch.allclose(model(x), logits, atol=1e-14)


def test_init_params_draws_each_layer_uniformly_within_one_over_sqrt_of_its_fan_in():
    d, h, k = 400, 100, 3                       # fan-ins 400 and 100: bounds 0.05 and 0.1
    p = mlp.init_params(d, h, k, seed=0)
    assert {name: tuple(w.shape) for name, w in p.items()} == {"W1": (h, d), "b1": (h,), "W2": (k, h), "b2": (k,)}
    for names, bound in ((("W1", "b1"), d**-0.5), (("W2",), h**-0.5)):
        for name in names:
            w = p[name]
            assert float(w.abs().max()) <= bound, name                               # within the bound
            assert float(w.max()) > 0.8 * bound and float(w.min()) < -0.8 * bound, name   # and filling it, both signs
    assert float(p["b2"].abs().max()) <= h**-0.5


def test_init_params_repeats_for_one_seed_and_differs_across_seeds():
    a, b, c = (mlp.init_params(5, 4, 3, seed=s) for s in (1, 1, 2))
    assert all(torch.equal(a[name], b[name]) for name in a)
    assert not torch.equal(a["W1"], c["W1"])


def test_init_params_with_dtype_float32_makes_weights_that_take_float32_images():
    params = mlp.init_params(784, 4, 2, dtype=torch.float32)
    assert all(w.dtype == torch.float32 for w in params.values())
    logits, _ = mlp.forward(params, torch.rand(3, 1, 28, 28).flatten(1))
    assert logits.shape == (3, 2) and logits.dtype == torch.float32


def test_params_of_refuses_an_mlp_with_two_hidden_layers():
    with pytest.raises(ValueError, match="one hidden layer; this one has 3 Linear layers"):
        mlp.params_of(mlp.MLP(12, (6, 5), 3))


def test_params_of_returns_copies_that_leave_the_model_alone_when_changed():
    model = mlp.MLP(12, (6,), 3)
    before = [w.clone() for w in model.parameters()]
    for w in mlp.params_of(model).values():
        w.zero_()
    assert all(torch.equal(a, b) for a, b in zip(before, model.parameters()))


def test_forward_refuses_inputs_of_another_width_and_says_which_init_params_fits_them():
    with pytest.raises(ValueError, match=r"For 784 inputs make the weights with init_params\(784, \.\.\.\)"):
        mlp.forward(mlp.init_params(49, 4, 2), torch.rand(3, 784, dtype=torch.float64))


def test_forward_refuses_a_single_unbatched_sample_and_says_x_none():
    with pytest.raises(ValueError, match=r"\(N, 5\).*got shape \(5,\)\. Add a batch axis with x\[None\]"):
        mlp.forward(mlp.init_params(5, 4, 3), torch.rand(5, dtype=torch.float64))


def test_forward_refuses_float64_input_to_float32_weights_and_says_x_float():
    params = mlp.init_params(5, 4, 3, dtype=torch.float32)
    with pytest.raises(TypeError, match=r"float32; got float64\. Convert with x\.float\(\)"):
        mlp.forward(params, torch.rand(2, 5, dtype=torch.float64))


def test_forward_refuses_a_numpy_array_with_a_type_error():
    with pytest.raises(TypeError, match=r"x must be a torch\.Tensor \(N, 5\); got ndarray"):
        mlp.forward(mlp.init_params(5, 4, 3), np.zeros((2, 5)))


def test_numerical_gradient_of_weights_that_require_grad_raises_no_warning():
    """Newer torch warns when a loss that tracks gradients is converted to a float without being detached
    first (torch 2.3 does not, so there this test cannot fail)."""
    params = {k: v.requires_grad_(True) for k, v in mlp.init_params(3, 2, 2).items()}
    x, y = torch.rand(4, 3, dtype=torch.float64), torch.tensor([0, 1, 1, 0])
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        mlp.numerical_gradient(lambda p: nn.functional.cross_entropy(mlp.forward(p, x)[0], y), params)


def test_relative_error_is_the_largest_difference_over_the_larger_of_the_two_scales():
    a, b = torch.tensor([0.0, 1.0]), torch.tensor([0.5, 4.0])
    assert mlp.relative_error(a, b) == pytest.approx(3.0 / 4.0)
    assert mlp.relative_error(b, a) == pytest.approx(3.0 / 4.0)


def test_relative_error_of_two_zero_tensors_is_zero():
    assert mlp.relative_error(torch.zeros(3), torch.zeros(3)) == 0.0


def test_relative_error_refuses_tensors_of_different_shapes_instead_of_broadcasting_them():
    """(3,) against (3, 1) broadcast to (3, 3) and gave 2/3 for equal values."""
    a = torch.tensor([1.0, 2.0, 3.0])
    with pytest.raises(ValueError, match=r"one shape; got \(3,\) and \(3, 1\)"):
        mlp.relative_error(a, a[:, None])


def test_numerical_gradient_refuses_a_transposed_weight_and_says_contiguous():
    """A transpose cannot be perturbed through view(-1); torch's error said to use reshape, which
    would perturb a copy that f never reads."""
    params = {"W": torch.rand(3, 4, dtype=torch.float64).T}
    with pytest.raises(ValueError, match=r"not contiguous.*contiguous\(\)"):
        mlp.numerical_gradient(lambda p: (p["W"] ** 2).sum(), params)


def test_numerical_gradient_refuses_integer_weights_whose_steps_would_round_away():
    params = {"W": torch.arange(4)}
    with pytest.raises(TypeError, match="floating tensor"):
        mlp.numerical_gradient(lambda p: (p["W"] ** 2).sum(), params)

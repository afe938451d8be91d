"""The shared input checks (coursekit.checks): what they accept, and what their refusals say."""
import numpy as np
import pytest
import torch

from coursekit import checks


@pytest.mark.parametrize("n", [1, 7, np.int64(3)])
def test_check_positive_int_returns_a_count_as_an_int(n):
    out = checks.check_positive_int(n)
    assert out == n and type(out) is int


@pytest.mark.parametrize("n", [0, -2, 2.0, "3", True, None])
def test_check_positive_int_refuses_what_is_not_a_count_and_names_the_argument(n):
    with pytest.raises(ValueError, match=r"n_components must be a positive int; got "):
        checks.check_positive_int(n, "n_components")


def test_check_class_labels_returns_int64_labels_on_the_cpu():
    out = checks.check_class_labels(np.array([2, 0, 1], dtype=np.int32), 3, n_classes=3)
    assert out.dtype == torch.int64 and out.tolist() == [2, 0, 1]


@pytest.mark.parametrize("labels, n, n_classes, error, says", [
    ([0.0, 1.0], 2, 2, TypeError, "integer class indices"),
    ([True, False], 2, 2, TypeError, "integer class indices"),
    ([0, 1, 1], 2, 2, ValueError, r"expected shape \(2,\); got \(3,\)"),
    ([0, 2], 2, 2, ValueError, r"in \[0, 2\); got min 0, max 2"),
    ([-1, 5], 2, None, ValueError, r"in \[0\); got min -1, max 5"),
])
def test_check_class_labels_refuses_what_is_not_n_class_indices(labels, n, n_classes, error, says):
    with pytest.raises(error, match=says):
        checks.check_class_labels(labels, n, n_classes)


def test_check_class_labels_accepts_any_non_negative_index_without_n_classes():
    assert checks.check_class_labels([0, 9, 4], 3, None).tolist() == [0, 9, 4]


def test_check_unit_range_lets_an_empty_batch_through_for_check_images_to_judge():
    """torch's min() of an empty tensor raised an obscure reduction error."""
    empty = torch.empty(0, 1, 4, 4)
    assert checks.check_unit_range(empty) is empty


@pytest.mark.parametrize("value, expected", [(3, True), (np.int64(3), True), (np.uint8(3), True), (True, False),
                                             (np.bool_(True), False), (3.0, False), ("3", False)])
def test_is_int_takes_numpy_integers_but_not_bools_or_floats(value, expected):
    assert checks.is_int(value) is expected


def test_check_model_dtype_names_the_weights_dtype_and_the_cast():
    model = torch.nn.Linear(2, 1)
    with pytest.raises(TypeError, match=r"expected float32.*got float64.*x\.float\(\)"):
        checks.check_model_dtype(torch.zeros(1, 2, dtype=torch.float64), model)
    with pytest.raises(TypeError, match=r"x\.to\(torch\.float64\)"):
        checks.check_model_dtype(torch.zeros(1, 2), model.double())


def test_check_unit_range_of_a_numpy_array_says_it_expects_a_tensor():
    with pytest.raises(TypeError, match="torch.from_numpy"):
        checks.check_unit_range(np.zeros((2, 1, 4, 4)))

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


# ------------------------------------------------------------ check_images

def test_check_images_refuses_what_is_not_a_tensor_and_says_how_to_convert():
    with pytest.raises(TypeError, match=r"images: expected a torch.Tensor \(N, C, H, W\) of floats; got ndarray of "
                                        r"shape \(1, 1, 4, 4\) and dtype float64\. Convert with torch.as_tensor"):
        checks.check_images(np.zeros((1, 1, 4, 4)))


def test_check_images_takes_any_of_several_ranks_and_names_them_all_when_refusing():
    volume = torch.zeros(1, 1, 2, 4, 4)
    assert checks.check_images(volume, ndim=(4, 5)) is volume
    with pytest.raises(ValueError, match=r"expected a \(N, C, H, W\) or \(N, C, D, H, W\) tensor; got shape \(4, 4\)"):
        checks.check_images(torch.zeros(4, 4), ndim=(4, 5))


def test_check_images_refuses_too_few_images_and_says_how_many_are_needed():
    with pytest.raises(ValueError, match=r"got 1 images; at least 2 images are needed"):
        checks.check_images(torch.zeros(1, 1, 4, 4), min_count=2)
    with pytest.raises(ValueError, match=r"got 0 images; at least 1 image is needed"):
        checks.check_images(torch.zeros(0, 1, 4, 4), min_count=1)


def test_check_images_accepts_exactly_min_count_images():
    x = torch.zeros(2, 1, 4, 4)
    assert checks.check_images(x, min_count=2) is x


@pytest.mark.parametrize("bad", [float("nan"), float("inf"), -float("inf")])
def test_check_images_counts_the_nan_and_inf_values_it_refuses(bad):
    x = torch.zeros(1, 1, 4, 4)
    x[0, 0, :2, 0] = bad
    with pytest.raises(ValueError, match="images: contains 2 NaN or Inf values"):
        checks.check_images(x)


# -------------------------------------------------------- check_unit_range

def test_check_unit_range_allows_rounding_error_up_to_tol():
    x = torch.tensor([-5e-7, 1 + 5e-7])
    assert checks.check_unit_range(x) is x


@pytest.mark.parametrize("values, says", [
    ([0.0, 255.0], r"got min 0, max 255\. 0-255 images\? Divide by 255\."),
    ([-1.0, 1.0], r"got min -1, max 1\. A tanh output in \[-1, 1\]\? Map it with \(x \+ 1\) / 2\."),
    ([-0.5, 0.5], r"got min -0\.5, max 0\.5\. A tanh output"),
    ([-0.5, 2.0], r"got min -0\.5, max 2\. Rescale"),
    ([0.0, 1.2], r"got min 0, max 1\.2\. Rescale"),
    ([-2.0, 255.0], r"got min -2, max 255\. Rescale"),
    ([-0.01, 0.5], r"got min -0\.01, max 0\.5\."),
])
def test_check_unit_range_refusal_gives_min_max_and_the_likely_fix(values, says):
    with pytest.raises(ValueError, match=r"images: expected values in \[0, 1\]; " + says):
        checks.check_unit_range(torch.tensor(values))


# ------------------------------------------------------------------- is_real

@pytest.mark.parametrize("value, expected", [(3, True), (2.5, True), (np.float32(2.5), True), (np.int64(3), True),
                                             (True, False), (np.bool_(False), False), (1j, False), ("3", False)])
def test_is_real_takes_numpy_numbers_but_not_bools_or_complex(value, expected):
    assert checks.is_real(value) is expected


# ----------------------------------------------- check_model_dtype / input

def test_check_model_dtype_reads_the_dtype_of_the_first_floating_point_weight():
    model = torch.nn.Module()
    model.steps = torch.nn.Parameter(torch.zeros(1, dtype=torch.int64), requires_grad=False)
    model.weight = torch.nn.Parameter(torch.zeros(1))
    x = torch.zeros(1, 2)
    assert checks.check_model_dtype(x, model) is x


def test_check_model_input_refuses_an_integer_tensor_as_check_images_does():
    with pytest.raises(TypeError, match=r"x: expected a floating-point tensor .* Divide uint8 images by 255"):
        checks.check_model_input(torch.zeros(1, 1, 4, 4, dtype=torch.uint8), torch.nn.Linear(4, 1), "x")


# --------------------------------------------------------------- check_seed

@pytest.mark.parametrize("seed", [0, np.int64(5)])
def test_check_seed_returns_zero_and_numpy_integers_as_an_int(seed):
    out = checks.check_seed(seed)
    assert out == seed and type(out) is int


@pytest.mark.parametrize("seed", [-1, True, 1.0, None])
def test_check_seed_refuses_what_is_not_a_seed_and_names_the_argument(seed):
    with pytest.raises(ValueError, match=rf"split_seed must be an int >= 0, so that the result can be repeated; got {seed!r}"):
        checks.check_seed(seed, "split_seed")


# ------------------------------------------------------- check_class_labels

def test_check_class_labels_refuses_complex_labels():
    with pytest.raises(TypeError, match="integer class indices"):
        checks.check_class_labels(torch.tensor([0j, 1j]), 2, 2)


def test_check_class_labels_accepts_no_labels_for_no_samples():
    assert checks.check_class_labels(torch.zeros(0, dtype=torch.int64), 0, 2).shape == (0,)


# --------------------------------------------------------- check_same_shape

def test_check_same_shape_refuses_the_same_pixels_in_another_shape_and_gives_both():
    with pytest.raises(ValueError, match=r"pred and target must have the same shape; got \(1, 1, 2, 8\) and \(1, 1, 4, 4\)"):
        checks.check_same_shape(torch.zeros(1, 1, 2, 8), torch.zeros(1, 1, 4, 4), names=("pred", "target"))


# --------------------------------------------------------- check_candidates

@pytest.mark.parametrize("values", [(3, 1, 3), range(1, 4), np.array([3, 1, 2])], ids=["tuple", "range", "array"])
def test_check_candidates_takes_any_sequence_and_returns_it_sorted_without_repeats(values):
    assert checks.check_candidates(values, "widths", "widths", [1, 2], integer=True) == sorted(set(values))


@pytest.mark.parametrize("values, integer", [([], False), ([0.5, 0], False), ([1, float("inf")], False),
                                             ([1, float("nan")], False), ([1, 2.5], True), ([1, True], False), (3, False)])
def test_check_candidates_refuses_what_is_not_a_list_of_positive_numbers_and_says_what_they_are(values, integer):
    kind = "ints" if integer else "numbers"
    with pytest.raises(ValueError, match=rf"lambdas must be a non-empty list of positive {kind} \(weights\) such as \[0\.1, 1\.0\]; got "):
        checks.check_candidates(values, "lambdas", "weights", (0.1, 1.0), integer=integer)


# ----------------------------------------------------- env_path / env_flag

def test_env_path_is_none_when_the_variable_is_unset_or_blank(monkeypatch):
    monkeypatch.delenv("COURSEKIT_TEST_DIR", raising=False)
    assert checks.env_path("COURSEKIT_TEST_DIR") is None
    monkeypatch.setenv("COURSEKIT_TEST_DIR", "  ")
    assert checks.env_path("COURSEKIT_TEST_DIR") is None


def test_env_path_is_absolute_with_home_expanded_and_spaces_stripped(monkeypatch, tmp_path):
    monkeypatch.setenv("HOME", str(tmp_path))
    monkeypatch.setenv("COURSEKIT_TEST_DIR", " ~/data ")
    assert checks.env_path("COURSEKIT_TEST_DIR") == tmp_path / "data"
    monkeypatch.chdir(tmp_path)
    monkeypatch.setenv("COURSEKIT_TEST_DIR", "rel")
    assert checks.env_path("COURSEKIT_TEST_DIR") == tmp_path / "rel"


@pytest.mark.parametrize("value, expected", [("1", True), (" TRUE ", True), ("Yes", True), ("on", True),
                                             ("0", False), ("False", False), (" no", False), ("OFF", False), ("", False),
                                             ("  ", False)])
def test_env_flag_reads_yes_and_no_in_any_case(monkeypatch, value, expected):
    monkeypatch.setenv("COURSEKIT_TEST_FLAG", value)
    assert checks.env_flag("COURSEKIT_TEST_FLAG") is expected


def test_env_flag_is_false_when_unset(monkeypatch):
    monkeypatch.delenv("COURSEKIT_TEST_FLAG", raising=False)
    assert checks.env_flag("COURSEKIT_TEST_FLAG") is False


@pytest.mark.parametrize("value", ["2", "y", "enabled"])
def test_env_flag_refuses_what_is_neither_yes_nor_no_and_names_the_variable(monkeypatch, value):
    monkeypatch.setenv("COURSEKIT_TEST_FLAG", value)
    with pytest.raises(ValueError, match=rf"COURSEKIT_TEST_FLAG='{value}' is not a yes/no setting"):
        checks.env_flag("COURSEKIT_TEST_FLAG")


def test_check_nonnegative_says_why_and_how_low_the_values_go():
    checks.check_nonnegative(torch.tensor([0.0, 1.0]), "x", "counts are >= 0")        # passes quietly
    checks.check_nonnegative(torch.empty(0), "x", "counts are >= 0")
    with pytest.raises(ValueError, match=r"^x: counts are >= 0; got values down to -0.25 \(clip them\)$"):
        checks.check_nonnegative(torch.tensor([0.5, -0.25]), "x", "counts are >= 0", " (clip them)")

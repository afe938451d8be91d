"""coursekit.phantoms: generated stand-ins for MedMNIST (not medical data)."""

import numpy as np
import pytest
from medmnist import INFO
from sklearn.linear_model import LogisticRegression
from sklearn.neighbors import NearestCentroid

from coursekit import phantoms


# ------------------------------------------------------------ chest_phantom

@pytest.mark.parametrize("size", [28, 64])
def test_chest_phantom_is_float32_square_in_unit_range(size):
    img = phantoms.chest_phantom(size, lesion=True, rng=np.random.default_rng(1))
    assert img.shape == (size, size) and img.dtype == np.float32
    assert img.min() >= 0.0 and img.max() <= 1.0


def test_chest_phantom_is_deterministic_for_a_seed():
    a = phantoms.chest_phantom(28, rng=np.random.default_rng(7))
    b = phantoms.chest_phantom(28, rng=np.random.default_rng(7))
    np.testing.assert_array_equal(a, b)
    np.testing.assert_array_equal(phantoms.chest_phantom(28), phantoms.chest_phantom(28))


def test_different_seeds_give_different_chests():
    a = phantoms.chest_phantom(28, rng=np.random.default_rng(1))
    b = phantoms.chest_phantom(28, rng=np.random.default_rng(2))
    assert np.abs(a - b).mean() > 0.01


def test_lungs_are_darker_than_the_body_and_the_background_darkest():
    img = phantoms.chest_phantom(64, rng=np.random.default_rng(0))
    lung = img[20:44, 10:20].mean()       # left lung field
    mediastinum = img[20:44, 29:35].mean()
    corner = img[:4, :4].mean()
    assert corner < lung < mediastinum


def test_lesion_adds_a_brighter_opacity_to_the_same_chest():
    for seed in range(10):
        normal = phantoms.chest_phantom(64, lesion=False, rng=np.random.default_rng(seed))
        sick = phantoms.chest_phantom(64, lesion=True, rng=np.random.default_rng(seed))
        diff = sick - normal
        assert diff.min() >= 0.0          # only adds brightness ...
        assert diff.max() > 0.1           # ... a visible opacity ...
        assert (diff > 0.05).mean() < 0.1  # ... in a small region


# ------------------------------------------------------------- shepp_logan

def test_shepp_logan_shape_dtype_and_range():
    img = phantoms.shepp_logan(64)
    assert img.shape == (64, 64) and img.dtype == np.float32
    assert img.min() == 0.0 and img.max() == 1.0


def test_shepp_logan_known_values_and_orientation():
    img = phantoms.shepp_logan(65)        # odd size: pixel 32 is the centre
    assert img[32, 32] == pytest.approx(0.2)   # brain
    assert img[32, 39] == pytest.approx(0.0)   # right ventricle (x = 0.22)
    assert img[21, 32] == pytest.approx(0.3)   # top ellipse (y = +0.35) is in the upper half
    assert img[0, 0] == 0.0                    # outside the skull


def test_shepp_logan_matches_skimage():
    skdata = pytest.importorskip("skimage.data")
    ref = skdata.shepp_logan_phantom()  # 400 x 400, the modified phantom
    ours = phantoms.shepp_logan(400)
    assert np.mean(np.abs(ours - ref) < 0.01) > 0.999


# --------------------------------------------------------- fallback_dataset

@pytest.mark.parametrize("flag, shape, n_labels", [
    ("pneumoniamnist", (600, 28, 28), 1),
    ("bloodmnist", (600, 28, 28, 3), 1),
    ("chestmnist", (600, 28, 28), 14),
    ("adrenalmnist3d", (600, 28, 28, 28), 1),
])
def test_fallback_has_medmnist_raw_layout(flag, shape, n_labels):
    images, labels = phantoms.fallback_dataset(flag, "train")
    assert images.shape == shape and images.dtype == np.uint8
    assert labels.shape == (shape[0], n_labels) and labels.dtype == np.uint8


def test_fallback_size_sets_the_spatial_size():
    images, _ = phantoms.fallback_dataset("breastmnist", "val", size=64)
    assert images.shape[1:] == (64, 64)


def test_fallback_default_n_is_real_size_capped():
    assert len(phantoms.fallback_dataset("pneumoniamnist", "train")[0]) == phantoms.CAPS["train"]
    assert len(phantoms.fallback_dataset("pneumoniamnist", "test")[0]) == phantoms.CAPS["test"]
    assert len(phantoms.fallback_dataset("breastmnist", "val")[0]) == 78   # real val is smaller
    assert len(phantoms.fallback_dataset("breastmnist", "val", n=10)[0]) == 10


def test_fallback_is_deterministic():
    a_img, a_lab = phantoms.fallback_dataset("organamnist", "val")
    b_img, b_lab = phantoms.fallback_dataset("organamnist", "val")
    np.testing.assert_array_equal(a_img, b_img)
    np.testing.assert_array_equal(a_lab, b_lab)


def test_fallback_splits_differ():
    train, _ = phantoms.fallback_dataset("pneumoniamnist", "train", n=50)
    test, _ = phantoms.fallback_dataset("pneumoniamnist", "test", n=50)
    assert not np.array_equal(train, test)


@pytest.mark.parametrize("flag", ["pneumoniamnist", "bloodmnist", "organamnist", "fracturemnist3d"])
def test_fallback_labels_are_balanced_over_all_classes(flag):
    _, labels = phantoms.fallback_dataset(flag, "train")
    counts = np.bincount(labels[:, 0], minlength=len(INFO[flag]["label"]))
    assert len(counts) == len(INFO[flag]["label"])
    assert counts.max() - counts.min() <= 1


def test_multilabel_findings_are_independent_and_sparse():
    _, labels = phantoms.fallback_dataset("chestmnist", "train")
    prevalence = labels.mean(axis=0)
    assert np.all((prevalence > 0.05) & (prevalence < 0.3))
    assert (labels.sum(axis=1) >= 2).any()   # several findings can co-occur


@pytest.mark.parametrize("flag, abnormal", [("pneumoniamnist", 1), ("breastmnist", 0),
                                            ("nodulemnist3d", 1), ("adrenalmnist3d", 1),
                                            ("vesselmnist3d", 1)])
def test_abnormal_class_follows_label_names(flag, abnormal):
    assert phantoms.abnormal_class(INFO[flag]["label"]) == abnormal


@pytest.mark.parametrize("flag, abnormal", [("pneumoniamnist", 1), ("breastmnist", 0)])
def test_abnormal_class_takes_the_list_of_label_names_a_medmnist_set_has(flag, abnormal):
    """MedMNIST.label_names is a list (index -> name); it failed on "list indices must be integers"."""
    assert phantoms.abnormal_class(list(INFO[flag]["label"].values())) == abnormal


def test_abnormal_class_refuses_label_names_that_are_neither_a_dict_nor_a_list():
    with pytest.raises(TypeError, match=r"a dict \{'0': name, '1': name\}.*or a list.*got str"):
        phantoms.abnormal_class("normal")


@pytest.mark.parametrize("flag, sick", [("pneumoniamnist", 1), ("breastmnist", 0)])
def test_binary_fallback_puts_lesions_in_the_abnormal_class(flag, sick):
    images, labels = phantoms.fallback_dataset(flag, "train")
    brightness = images.reshape(len(images), -1).mean(axis=1)
    y = labels[:, 0]
    assert brightness[y == sick].mean() > brightness[y != sick].mean()


def _held_out_accuracy(flag, clf):
    x_train, y_train = phantoms.fallback_dataset(flag, "train")
    x_test, y_test = phantoms.fallback_dataset(flag, "test")
    clf.fit(x_train.reshape(len(x_train), -1) / 255.0, y_train[:, 0])
    return clf.score(x_test.reshape(len(x_test), -1) / 255.0, y_test[:, 0])


def test_fallback_pneumonia_labels_are_learnable():
    accuracy = _held_out_accuracy("pneumoniamnist", LogisticRegression(C=0.1, max_iter=300))
    assert accuracy > 0.7          # chance: 0.5


def test_fallback_organ_labels_are_learnable():
    assert _held_out_accuracy("organamnist", NearestCentroid()) > 0.5   # chance: 1/11


def test_fallback_rejects_unknown_flag_and_split():
    with pytest.raises(ValueError, match="unknown MedMNIST flag"):
        phantoms.fallback_dataset("mnist", "train")
    with pytest.raises(ValueError, match="split must be one of"):
        phantoms.fallback_dataset("pneumoniamnist", "training")


def test_fallback_names_the_flag_meant_like_load_medmnist_does():
    with pytest.raises(ValueError, match="Did you mean 'pneumoniamnist'"):
        phantoms.fallback_dataset("pneumonimnist", "train")


@pytest.mark.parametrize("size", [4, 28.0, True])
def test_phantoms_reject_bad_sizes(size):
    with pytest.raises(ValueError, match="size must be an int"):
        phantoms.chest_phantom(size)


def test_fallback_rejects_bad_n():
    with pytest.raises(ValueError, match="n must be a positive int"):
        phantoms.fallback_dataset("pneumoniamnist", "train", n=0)

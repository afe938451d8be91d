"""coursekit.phantoms: generated stand-ins for MedMNIST (not medical data)."""

import numpy as np
import pytest
from medmnist import INFO
from scipy import ndimage
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


@pytest.mark.parametrize("names, abnormal", [(["abnormal", "normal"], 0), (["normal", "abnormal"], 1)])
def test_abnormal_class_does_not_read_abnormal_as_normal(names, abnormal):
    """"normal" is inside "abnormal": the word, not the letters, makes a class normal."""
    assert phantoms.abnormal_class(names) == abnormal


def test_abnormal_class_reads_names_in_any_case():
    assert phantoms.abnormal_class(["Malignant", "Normal"]) == 0


def test_abnormal_class_is_1_when_both_names_sound_normal():
    assert phantoms.abnormal_class({"0": "normal", "1": "benign"}) == 1


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


# ------------------------------------------------------- more of the spec

def _lesion(seed, size=64):
    """The opacities a lesion adds to the chest drawn from the same seed."""
    sick = phantoms.chest_phantom(size, lesion=True, rng=np.random.default_rng(seed))
    return sick - phantoms.chest_phantom(size, lesion=False, rng=np.random.default_rng(seed))


def test_a_lesion_is_one_or_two_opacities():
    counts = {ndimage.label(_lesion(seed) > 0.05)[1] for seed in range(20)}
    assert counts == {1, 2}


def test_lesions_appear_in_either_lung():
    sides = {"left" if np.argmax(_lesion(seed).max(axis=0)) < 32 else "right" for seed in range(20)}
    assert sides == {"left", "right"}


def test_shepp_logan_rejects_bad_sizes():
    with pytest.raises(ValueError, match="size must be an int >= 8"):
        phantoms.shepp_logan(4)


def test_phantoms_take_a_numpy_integer_size():
    assert phantoms.chest_phantom(np.int64(16)).shape == (16, 16)
    assert phantoms.shepp_logan(np.int64(16)).shape == (16, 16)


def test_is_3d_tells_volumes_from_images_and_refuses_an_unknown_flag():
    assert phantoms.is_3d("organmnist3d") and not phantoms.is_3d("organamnist")
    with pytest.raises(ValueError, match="unknown MedMNIST flag"):
        phantoms.is_3d("organ3d")


def test_fallback_labels_are_shuffled_not_in_class_order():
    _, labels = phantoms.fallback_dataset("pneumoniamnist", "val", n=40)
    y = labels[:, 0]
    assert not np.array_equal(y, np.arange(40) % 2) and not np.array_equal(y, np.sort(y))


def test_fallback_images_are_the_phantoms_times_255_rounded(monkeypatch):
    # flat stand-ins for the chest: 1.0 with a lesion, 0.5 without (127.5 rounds to 128)
    monkeypatch.setattr(phantoms, "chest_phantom",
                        lambda size, lesion, rng: np.full((size, size), 1.0 if lesion else 0.5, np.float32))
    images, labels = phantoms.fallback_dataset("pneumoniamnist", "val", size=8, n=4)
    expected = np.where(labels[:, 0] == 1, 255, 128)
    np.testing.assert_array_equal(images, np.broadcast_to(expected[:, None, None], images.shape))


def _finding_maps(split, size):
    """Per label, the mean fallback chestmnist image with that finding minus the mean without it."""
    images, labels = phantoms.fallback_dataset("chestmnist", split, size=size)
    images = images.astype(np.float32)
    return [images[labels[:, j] == 1].mean(axis=0) - images[labels[:, j] == 0].mean(axis=0)
            for j in range(labels.shape[1])]


def test_each_multilabel_finding_brightens_the_images_that_have_it():
    # an opacity of 0.2-0.3 (51-77 levels) at its centre; chest-to-chest variation averages to about +-20
    assert min(diff.max() for diff in _finding_maps("val", 28)) > 40


def test_each_multilabel_finding_has_a_place_of_its_own():
    peaks = {np.unravel_index(np.argmax(diff), diff.shape) for diff in _finding_maps("train", 28)}
    assert len(peaks) == 14                           # chestmnist's 14 labels
    assert {col < 14 for _, col in peaks} == {True, False}      # in both lungs


def test_rgb_fallback_classes_are_stained_in_different_colours():
    images, labels = phantoms.fallback_dataset("bloodmnist", "val")
    colours = np.stack([images[labels[:, 0] == c].reshape(-1, 3).mean(axis=0) for c in range(8)])
    distances = np.linalg.norm(colours[:, None] - colours[None], axis=-1)[np.triu_indices(8, 1)]
    assert distances.min() > 3     # uint8 levels


def test_3d_fallback_objects_grow_longer_with_the_class():
    images, labels = phantoms.fallback_dataset("fracturemnist3d", "val")
    volume = [(images[labels[:, 0] == c] > 128).mean() for c in range(3)]
    assert volume[0] < volume[1] < volume[2]


def test_3d_fallback_objects_turn_with_the_class():
    images, labels = phantoms.fallback_dataset("fracturemnist3d", "val")
    y, x = np.mgrid[:28, :28] - 13.5
    angles = []
    for c in (1, 2):                      # class 0 is round: it has no orientation
        mask = (images[labels[:, 0] == c] > 128).mean(axis=(0, 1))   # (H, W) projection
        mu20, mu02, mu11 = (mask * x * x).sum(), (mask * y * y).sum(), (mask * x * y).sum()
        angles.append(0.5 * np.arctan2(2 * mu11, mu20 - mu02))
    assert abs(angles[0] - angles[1]) > 0.5


@pytest.mark.parametrize("rgb", [False, True])
def test_class_images_carry_one_two_or_three_blobs_by_class(monkeypatch, rgb):
    """The 2D classes differ in their ellipse's angle and in their number of blobs, (c mod 3) + 1."""
    calls = []
    real_blob = phantoms._blob

    def counted_blob(*args, **kwargs):
        calls.append(1)
        return real_blob(*args, **kwargs)

    monkeypatch.setattr(phantoms, "_blob", counted_blob)
    counts = []
    for c in range(11):
        calls.clear()
        phantoms._class_image(c, 11, 28, rgb, np.random.default_rng(c))
        counts.append(len(calls))
    assert counts == [1, 2, 3, 1, 2, 3, 1, 2, 3, 1, 2]

"""coursekit.data: MedMNIST loading (checksums, download, offline fallback) and batching."""
import os
import shutil
import socket
import ssl
import subprocess
import sys
import time
import urllib.error
from pathlib import Path

import medmnist
import numpy as np
import pytest
import torch
from medmnist import INFO

from coursekit import data
from coursekit.data import DeviceBatches, FallbackDataWarning, MedMNIST, load_medmnist


# ---------------------------------------------------------------- fixtures

def real_file(name: str) -> Path:
    """A verified MedMNIST file from $COURSEKIT_DATA; skips the test without it."""
    folder = os.environ.get("COURSEKIT_DATA")
    if not folder or not (Path(folder) / name).is_file():
        pytest.skip(f"needs {name} in $COURSEKIT_DATA")
    return Path(folder) / name


@pytest.fixture
def offline(monkeypatch):
    """No network (every download raises URLError), and a fresh 'notice shown' memory."""
    def no_network(url, f):
        raise urllib.error.URLError("no network in this test")

    monkeypatch.setattr(data, "_download", no_network)
    monkeypatch.setattr(data, "_NOTICE_SHOWN", set())
    monkeypatch.setattr(data, "_FAILED_DOWNLOADS", {})
    monkeypatch.delenv("COURSEKIT_OFFLINE", raising=False)


def fallback(flag, split="train", size=28, root=None):
    with pytest.warns(FallbackDataWarning):
        return load_medmnist(flag, split, size=size, root=root)


def toy(labels, task="multi-class", n_classes=3) -> MedMNIST:
    labels = torch.as_tensor(labels)
    images = torch.arange(len(labels), dtype=torch.float32).reshape(-1, 1, 1, 1) / len(labels)
    return MedMNIST(images=images, labels=labels, flag="toy", split="train", size=1,
                    task=task, label_names=[f"c{i}" for i in range(n_classes)],
                    n_classes=n_classes, source="file")


# ------------------------------------------------------------------ data_dir

def test_data_dir_follows_the_environment_variable(monkeypatch, tmp_path):
    monkeypatch.setenv("COURSEKIT_DATA", str(tmp_path))
    assert data.data_dir() == tmp_path


def test_data_dir_defaults_to_medmnist_root(monkeypatch):
    monkeypatch.delenv("COURSEKIT_DATA", raising=False)
    assert data.data_dir() == Path.home() / ".medmnist"


def test_data_dir_from_the_environment_is_stripped_and_expands_the_home_folder(monkeypatch, tmp_path):
    monkeypatch.setenv("HOME", str(tmp_path))
    monkeypatch.setenv("COURSEKIT_DATA", "  ~/my data ")
    assert data.data_dir() == tmp_path / "my data"


def test_data_dir_from_a_relative_variable_is_absolute(monkeypatch, tmp_path):
    # made absolute when asked: a relative name alone would point elsewhere once the notebook changes folder
    monkeypatch.chdir(tmp_path)
    monkeypatch.setenv("COURSEKIT_DATA", "data")
    assert data.data_dir() == tmp_path / "data"


def test_a_blank_data_variable_means_the_default_folder(monkeypatch):
    monkeypatch.setenv("COURSEKIT_DATA", "   ")
    assert data.data_dir() == Path.home() / ".medmnist"


def test_importing_data_creates_no_folder(tmp_path):
    env = dict(os.environ, HOME=str(tmp_path), USERPROFILE=str(tmp_path))
    env.pop("COURSEKIT_DATA", None)
    code = "import coursekit.data as d; print(d.data_dir())"
    out = subprocess.run([sys.executable, "-c", code], env=env, capture_output=True,
                         text=True, check=True).stdout
    assert out.strip() == str(tmp_path / ".medmnist")
    assert list(tmp_path.iterdir()) == []


# ---------------------------------------------------------- real data files

@pytest.mark.realdata
def test_pneumonia_train_loads_from_the_verified_file():
    path = real_file("pneumoniamnist.npz")
    ds = load_medmnist("pneumoniamnist", "train", root=path.parent)
    assert ds.images.shape == (4708, 1, 28, 28) and ds.images.dtype == torch.float32
    assert ds.images.min() >= 0 and ds.images.max() <= 1
    assert ds.labels.shape == (4708,) and ds.labels.dtype == torch.int64
    assert set(ds.labels.tolist()) == {0, 1}
    assert ds.source == "file" and ds.path == path
    assert ds.label_names == ["normal", "pneumonia"] and ds.n_classes == 2


@pytest.mark.realdata
def test_load_matches_medmnist_dataset_pixel_for_pixel():
    path = real_file("pneumoniamnist.npz")
    ds = load_medmnist("pneumoniamnist", "train", root=path.parent)
    ref = medmnist.PneumoniaMNIST(split="train", root=str(path.parent), download=False)
    for i in (0, 1, 2345, 4707):
        img, target = ref[i]
        expected = torch.from_numpy(np.asarray(img, dtype=np.float32) / 255.0)
        torch.testing.assert_close(ds.images[i, 0], expected, rtol=0, atol=0)
        assert ds.labels[i] == int(target[0])


@pytest.mark.realdata
def test_bloodmnist_is_rgb_channels_first():
    path = real_file("bloodmnist.npz")
    ds = load_medmnist("bloodmnist", "val", root=path.parent)
    assert ds.images.shape == (1712, 3, 28, 28)
    raw = np.load(path)["val_images"]
    torch.testing.assert_close(ds.images[5], torch.from_numpy(raw[5]).permute(2, 0, 1) / 255.0)


@pytest.mark.realdata
def test_adrenalmnist3d_is_a_one_channel_volume():
    path = real_file("adrenalmnist3d.npz")
    ds = load_medmnist("adrenalmnist3d", "test", root=path.parent)
    assert ds.images.shape == (298, 1, 28, 28, 28) and ds.labels.shape == (298,)


@pytest.mark.realdata
def test_breastmnist_size_64_reads_the_64_pixel_file():
    path = real_file("breastmnist_64.npz")
    ds = load_medmnist("breastmnist", "test", size=64, root=path.parent)
    assert ds.images.shape == (156, 1, 64, 64) and ds.path == path


@pytest.mark.realdata
def test_data_folder_comes_from_the_environment(monkeypatch):
    path = real_file("breastmnist.npz")
    monkeypatch.setenv("COURSEKIT_DATA", str(path.parent))
    assert load_medmnist("breastmnist", "val").path == path


# ---------------------------------------------------------------- checksums

def test_file_with_wrong_checksum_raises_and_is_kept(tmp_path):
    bad = tmp_path / "breastmnist.npz"
    bad.write_bytes(b"not the real file")
    with pytest.raises(ValueError) as err:
        load_medmnist("breastmnist", "train", root=tmp_path)
    message = str(err.value)
    assert str(bad) in message
    assert INFO["breastmnist"]["MD5"] in message                 # expected
    assert data._md5(bad) in message                             # actual
    assert "Move it away" in message
    assert bad.read_bytes() == b"not the real file"


@pytest.mark.realdata
def test_one_changed_byte_is_detected(tmp_path):
    copy = tmp_path / "breastmnist.npz"
    shutil.copy(real_file("breastmnist.npz"), copy)
    raw = bytearray(copy.read_bytes())
    raw[1000] ^= 0xFF
    copy.write_bytes(bytes(raw))
    with pytest.raises(ValueError, match=INFO["breastmnist"]["MD5"]):
        load_medmnist("breastmnist", "train", root=tmp_path)
    assert copy.exists()


def test_checksum_is_recomputed_when_the_file_changes(tmp_path):
    f = tmp_path / "x.npz"
    f.write_bytes(b"aaaa")
    first = data._md5(f)
    assert data._md5(f) == first                   # served from the cache
    f.write_bytes(b"bbbb")
    os.utime(f, ns=(f.stat().st_atime_ns, f.stat().st_mtime_ns + 10**9))
    assert data._md5(f) != first


# ---------------------------------------------------------- offline fallback

@pytest.mark.parametrize("flag", ["pneumoniamnist", "bloodmnist", "chestmnist",
                                  "adrenalmnist3d", "retinamnist"])
def test_offline_fallback_has_the_real_layout(offline, tmp_path, flag):
    info = INFO[flag]
    ds = fallback(flag, "val", root=tmp_path)
    assert ds.source == "fallback" and ds.path is None
    spatial = (28, 28, 28) if flag.endswith("3d") else (28, 28)
    assert ds.images.shape[1:] == (info["n_channels"], *spatial)
    assert ds.images.dtype == torch.float32 and 0 <= ds.images.min() <= ds.images.max() <= 1
    assert ds.task == info["task"] and ds.n_classes == len(info["label"])
    if ds.multi_label:
        assert ds.labels.shape == (len(ds), len(info["label"]))
        assert set(ds.labels.unique().tolist()) == {0, 1}
    else:
        assert ds.labels.dtype == torch.int64
        assert set(ds.labels.tolist()) == set(range(len(info["label"])))


@pytest.mark.realdata
@pytest.mark.parametrize("name", ["pneumoniamnist", "bloodmnist", "adrenalmnist3d"])
def test_fallback_matches_the_real_file(offline, tmp_path, name):
    real = load_medmnist(name, "test", root=real_file(f"{name}.npz").parent)
    fake = fallback(name, "test", root=tmp_path)
    assert fake.images.shape[1:] == real.images.shape[1:]
    assert set(fake.labels.tolist()) == set(real.labels.tolist())
    assert fake.label_names == real.label_names


def test_fallback_size_64(offline, tmp_path):
    assert fallback("breastmnist", "val", size=64, root=tmp_path).images.shape[1:] == (1, 64, 64)


def test_fallback_prints_a_loud_notice_once(offline, tmp_path, capsys):
    fallback("pneumoniamnist", "train", root=tmp_path)
    out = capsys.readouterr().out
    assert "!!!!" in out
    assert "GENERATED PHANTOMS" in out and "NOT on real medical images" in out
    assert "pneumoniamnist.npz" in out and str(tmp_path) in out       # what, where
    assert "COURSEKIT_DATA" in out and "connect" in out               # how to fix
    fallback("pneumoniamnist", "test", root=tmp_path)                 # same flag and size
    assert capsys.readouterr().out == ""
    fallback("pneumoniamnist", "test", size=64, root=tmp_path)        # another size
    assert "GENERATED PHANTOMS" in capsys.readouterr().out


def test_download_false_falls_back_without_network(monkeypatch, tmp_path):
    def must_not_run(url, f):
        raise AssertionError("download=False must not download")

    monkeypatch.setattr(data, "_download", must_not_run)
    with pytest.warns(FallbackDataWarning, match="download=False"):
        ds = load_medmnist("pneumoniamnist", "test", root=tmp_path, download=False)
    assert ds.source == "fallback"


def test_offline_environment_variable_skips_the_download(monkeypatch, tmp_path):
    def must_not_run(url, f):
        raise AssertionError("COURSEKIT_OFFLINE=1 must not download")

    monkeypatch.setattr(data, "_download", must_not_run)
    monkeypatch.setenv("COURSEKIT_OFFLINE", "1")
    with pytest.warns(FallbackDataWarning, match="COURSEKIT_OFFLINE"):
        assert load_medmnist("pneumoniamnist", "test", root=tmp_path).source == "fallback"


@pytest.mark.parametrize("value", ["true", "TRUE", "yes", "on", " On "])
def test_the_offline_variable_takes_the_usual_spellings_of_yes(monkeypatch, tmp_path, value):
    def must_not_run(url, f):
        raise AssertionError(f"COURSEKIT_OFFLINE={value!r} must not download")

    monkeypatch.setattr(data, "_download", must_not_run)
    monkeypatch.setenv("COURSEKIT_OFFLINE", value)
    with pytest.warns(FallbackDataWarning, match="COURSEKIT_OFFLINE"):
        assert load_medmnist("pneumoniamnist", "test", root=tmp_path).source == "fallback"


@pytest.mark.parametrize("value", ["0", "false", "No", "off", "", " "])
def test_the_offline_variable_set_to_no_lets_the_download_run(offline, monkeypatch, tmp_path, value):
    tried = []
    monkeypatch.setattr(data, "_download", lambda url, f: tried.append(url) or f.write(b"<html>"))
    monkeypatch.setenv("COURSEKIT_OFFLINE", value)
    fallback("pneumoniamnist", "test", root=tmp_path)
    assert tried == [INFO["pneumoniamnist"]["url"]]


@pytest.mark.parametrize("value", ["2", "maybe", "offline"])
def test_an_offline_variable_that_is_neither_yes_nor_no_is_a_clear_error(offline, monkeypatch, tmp_path, value):
    monkeypatch.setenv("COURSEKIT_OFFLINE", value)
    with pytest.raises(ValueError, match=rf"COURSEKIT_OFFLINE={value!r}.*expected 1, true, yes or on"):
        load_medmnist("pneumoniamnist", "test", root=tmp_path)


def test_the_notice_says_to_unset_the_offline_variable_when_that_is_what_stopped_the_download(
        offline, monkeypatch, tmp_path, capsys):
    monkeypatch.setenv("COURSEKIT_OFFLINE", "1")
    fallback("pneumoniamnist", "test", root=tmp_path)
    said = capsys.readouterr().out
    assert "unset COURSEKIT_OFFLINE" in said and "connect to the internet" not in said


def test_the_notice_says_to_connect_when_the_download_failed(offline, tmp_path, capsys):
    fallback("pneumoniamnist", "test", root=tmp_path)
    assert "connect to the internet and restart the kernel" in capsys.readouterr().out


def test_the_notice_names_a_relative_data_folder_by_its_absolute_path(offline, monkeypatch, tmp_path, capsys):
    monkeypatch.chdir(tmp_path)
    monkeypatch.setenv("COURSEKIT_DATA", "data")
    fallback("pneumoniamnist", "test")
    assert f"not found in {tmp_path / 'data'}," in capsys.readouterr().out


@pytest.mark.parametrize("cause", ["not permitted", "under a file"])
def test_the_notice_says_to_choose_a_writable_folder_when_the_download_cannot_be_saved(
        offline, monkeypatch, tmp_path, capsys, cause):
    root = tmp_path / "data"
    if cause == "not permitted":                  # a read-only home or shared folder
        def refused(path, write, **kwargs):
            raise PermissionError(1, "Operation not permitted", str(path))
        monkeypatch.setattr(data, "atomic_write", refused)
    else:
        (tmp_path / "afile").write_text("")
        root = tmp_path / "afile" / "data"
    fallback("breastmnist", "train", root=root)
    said = capsys.readouterr().out
    assert "connect to the internet" not in said
    assert "a folder you can write to" in said and "COURSEKIT_DATA" in said and "root=" in said


@pytest.mark.parametrize("err", [OSError(101, "Network is unreachable"), OSError(113, "No route to host"),
                                 socket.gaierror(-3, "Temporary failure in name resolution"),
                                 ssl.SSLCertVerificationError(   # errno 1, as EPERM: still the network
                                     1, "[SSL: CERTIFICATE_VERIFY_FAILED] certificate verify failed")],
                         ids=["unreachable", "no route", "name resolution", "certificate"])
def test_a_network_error_that_is_a_plain_os_error_still_says_to_connect(offline, monkeypatch, tmp_path, capsys, err):
    def dropped(url, f):
        raise err
    monkeypatch.setattr(data, "_download", dropped)
    fallback("breastmnist", "train", root=tmp_path / "data")
    said = capsys.readouterr().out
    assert "connect to the internet" in said and "a folder you can write to" not in said


def test_fallback_is_deterministic(offline, tmp_path):
    a = fallback("bloodmnist", "val", root=tmp_path)
    b = fallback("bloodmnist", "val", root=tmp_path)
    assert torch.equal(a.images, b.images) and torch.equal(a.labels, b.labels)


# ------------------------------------------------------------- download path

@pytest.mark.realdata
def test_download_puts_the_verified_file_in_place(monkeypatch, tmp_path):
    source = real_file("breastmnist.npz")
    calls = []

    def copy_file(url, f):
        calls.append(url)
        f.write(source.read_bytes())

    monkeypatch.setattr(data, "_download", copy_file)
    monkeypatch.delenv("COURSEKIT_OFFLINE", raising=False)
    ds = load_medmnist("breastmnist", "train", root=tmp_path / "new")
    assert calls == [INFO["breastmnist"]["url"]]
    assert ds.source == "download" and ds.path == tmp_path / "new" / "breastmnist.npz"
    assert sorted(p.name for p in (tmp_path / "new").iterdir()) == ["breastmnist.npz"]
    assert load_medmnist("breastmnist", "train", root=tmp_path / "new").source == "file"


def test_download_with_wrong_bytes_falls_back_and_leaves_no_file(offline, monkeypatch, tmp_path):
    monkeypatch.setattr(data, "_download", lambda url, f: f.write(b"<html>"))
    ds = fallback("breastmnist", "train", root=tmp_path)
    assert ds.source == "fallback"
    assert list(tmp_path.iterdir()) == []


def test_interrupted_download_leaves_no_partial_file(offline, monkeypatch, tmp_path, capsys):
    def cut_off(url, f):
        f.write(b"half a file")
        raise TimeoutError("the read timed out")

    monkeypatch.setattr(data, "_download", cut_off)
    assert fallback("breastmnist", "train", root=tmp_path).source == "fallback"
    assert list(tmp_path.iterdir()) == []
    assert "TimeoutError" in capsys.readouterr().out


def left_by_an_earlier_run(path: Path, hours_ago: float) -> Path:
    path.write_bytes(b"half a file")
    then = time.time() - hours_ago * 3600
    os.utime(path, (then, then))
    return path


def test_a_new_download_removes_the_partial_file_an_interrupted_download_left(offline, tmp_path, capsys):
    stale = left_by_an_earlier_run(tmp_path / ".breastmnist.npz.c17d93a9.tmp", hours_ago=3)
    fallback("breastmnist", "train", root=tmp_path)         # the download itself fails (offline)
    assert not stale.exists()
    assert ".breastmnist.npz.c17d93a9.tmp" in capsys.readouterr().out


def test_a_new_download_keeps_temporary_files_that_may_be_in_use_or_are_not_its_own(offline, tmp_path):
    kept = [left_by_an_earlier_run(tmp_path / ".breastmnist.npz.0badcafe.tmp", hours_ago=0.1),   # being written?
            left_by_an_earlier_run(tmp_path / ".breastmnist_64.npz.c17d93a9.tmp", hours_ago=3),  # another file's
            left_by_an_earlier_run(tmp_path / ".breastmnist.npz.backup.tmp", hours_ago=3),       # not coursekit's name
            left_by_an_earlier_run(tmp_path / "breastmnist.npz.tmp", hours_ago=3)]
    fallback("breastmnist", "train", root=tmp_path)
    assert all(p.exists() for p in kept)


def test_a_failed_download_is_not_tried_again_for_the_next_split(offline, monkeypatch, tmp_path):
    calls = []

    def hangs_then_fails(url, f):
        calls.append(url)
        raise TimeoutError("the read timed out")

    monkeypatch.setattr(data, "_download", hangs_then_fails)
    for split in ("train", "val", "test"):
        assert fallback("breastmnist", split, root=tmp_path).source == "fallback"
    assert len(calls) == 1


def test_a_read_only_data_folder_sends_the_download_to_the_home_folder(offline, monkeypatch, tmp_path):
    shared, home = tmp_path / "shared", tmp_path / "home"
    shared.mkdir()
    monkeypatch.setenv("COURSEKIT_DATA", str(shared))
    monkeypatch.setenv("HOME", str(home))
    real_access = os.access
    monkeypatch.setattr(os, "access", lambda p, mode: False if Path(p) == shared else real_access(p, mode))
    tried = []

    def no_network(url, f):
        tried.append(Path(f.name).parent)
        raise urllib.error.URLError("no network in this test")

    monkeypatch.setattr(data, "_download", no_network)
    with pytest.warns(FallbackDataWarning):
        load_medmnist("breastmnist", "train")
    assert tried == [home / ".medmnist"]


# ---------------------------------------------------------------- bad input

def test_a_root_that_is_a_file_is_refused_with_the_folder_to_give(tmp_path):
    npz = tmp_path / "breastmnist.npz"
    npz.write_bytes(b"a file, not a folder")
    with pytest.raises(ValueError, match=rf"root must be a folder.*{npz} is not a folder.*root='{tmp_path}'"):
        load_medmnist("breastmnist", "train", root=npz)


def test_a_data_variable_that_names_a_file_is_refused(monkeypatch, tmp_path):
    not_a_folder = tmp_path / "data.txt"
    not_a_folder.write_text("")
    monkeypatch.setenv("COURSEKIT_DATA", str(not_a_folder))
    with pytest.raises(ValueError, match=rf"COURSEKIT_DATA must name a folder.*{not_a_folder} is not a folder"):
        load_medmnist("breastmnist", "train")


def test_unknown_flag_lists_flags_and_suggests_one():
    with pytest.raises(ValueError) as err:
        load_medmnist("pneumoniamnst", "train")
    assert "Did you mean 'pneumoniamnist'?" in str(err.value)
    assert "bloodmnist" in str(err.value) and "organmnist3d" in str(err.value)


def test_an_ambiguous_flag_suggests_every_equally_close_set_not_just_the_first():
    with pytest.raises(ValueError) as err:   # axial, coronal and sagittal sets are equally close
        load_medmnist("organmnist", "train")
    assert "Did you mean one of" in str(err.value)
    assert all(repr(f) in str(err.value) for f in ("organamnist", "organcmnist", "organsmnist"))


def test_bad_split_is_rejected():
    with pytest.raises(ValueError, match="split must be one of .*'training'"):
        load_medmnist("pneumoniamnist", "training")


def test_unsupported_size_names_the_supported_sizes():
    with pytest.raises(ValueError, match="supported sizes: 28, 64, 128, 224"):
        load_medmnist("pneumoniamnist", "train", size=32)
    with pytest.raises(ValueError, match=r"supported sizes: 28, 64\.$"):
        load_medmnist("adrenalmnist3d", "train", size=128)


def test_a_size_given_as_a_numpy_integer_is_accepted(offline, tmp_path):
    """A size read from an array (np.int64) is as good as an int."""
    assert fallback("breastmnist", "val", size=np.int64(64), root=tmp_path).images.shape[1:] == (1, 64, 64)


def test_available_sizes_come_from_info():
    assert data.available_sizes("bloodmnist") == (28, 64, 128, 224)
    assert data.available_sizes("nodulemnist3d") == (28, 64)


# ------------------------------------------------------------ MedMNIST class

def test_subset_is_deterministic_for_a_seed():
    ds = toy(np.arange(100) % 3)
    assert torch.equal(ds.subset(30, seed=1).images, ds.subset(30, seed=1).images)
    assert not torch.equal(ds.subset(30, seed=1).images, ds.subset(30, seed=2).images)


def test_subset_keeps_class_proportions():
    labels = np.repeat([0, 1, 2], [700, 200, 100])
    sub = toy(labels).subset(55)
    counts = np.bincount(sub.labels.numpy(), minlength=3)
    assert counts.sum() == 55
    assert np.all(np.abs(counts - 55 * np.array([0.7, 0.2, 0.1])) <= 1)


def test_subset_keeps_images_with_their_labels_in_original_order():
    ds = toy(np.arange(90) % 3)
    sub = ds.subset(20)
    index = (sub.images.flatten() * 90).round().long()
    assert torch.equal(sub.labels, ds.labels[index])
    assert torch.all(index[1:] > index[:-1])


def test_drop_removes_the_samples_at_the_indices_and_keeps_the_others_in_order():
    ds = toy(np.arange(10) % 3)
    kept = ds.drop(np.array([7, 2]))
    index = (kept.images.flatten() * 10).round().long()
    assert index.tolist() == [0, 1, 3, 4, 5, 6, 8, 9] and torch.equal(kept.labels, ds.labels[index])


def test_drop_of_nothing_returns_the_split_itself():
    ds = toy(np.arange(5) % 2)
    assert ds.drop(np.array([], dtype=np.int64)) is ds


@pytest.mark.parametrize("indices, says", [([10], r"in \[0, 10\)"), ([-1], r"in \[0, 10\)"),
                                           ([1.5], "whole-number"), ([[1, 2]], "1D")])
def test_drop_refuses_indices_that_name_no_sample(indices, says):
    with pytest.raises(ValueError, match=says):
        toy(np.arange(10) % 3).drop(np.array(indices))


def test_subset_of_n_at_least_len_returns_everything():
    ds = toy(np.arange(10) % 3)
    assert ds.subset(10) is ds and ds.subset(1000) is ds and ds.subset(None) is ds


def test_subset_of_multilabel_is_a_seeded_random_subset():
    labels = (np.random.default_rng(0).random((50, 4)) < 0.3).astype(np.int64)
    ds = toy(labels, task="multi-label, binary-class", n_classes=4)
    sub = ds.subset(10, seed=3)
    assert sub.labels.shape == (10, 4)
    assert torch.equal(sub.images, ds.subset(10, seed=3).images)
    assert not torch.equal(sub.images, ds.images[:10])                     # not the first ten
    assert not torch.equal(sub.images, ds.subset(10, seed=4).images)       # the seed matters
    index = (sub.images.flatten() * 50).round().long()                     # toy image i holds i / 50
    assert torch.equal(sub.labels, ds.labels[index])                       # labels travel with their images


@pytest.mark.parametrize("seed", [None, "a", -1, 1.5])
def test_subset_refuses_a_seed_that_would_not_repeat(seed):
    with pytest.raises(ValueError, match="seed must be an int >= 0"):
        toy(np.arange(10) % 3).subset(5, seed=seed)


@pytest.mark.parametrize("n", [0, -5, 2.5, True])
def test_subset_rejects_bad_n(n):
    with pytest.raises(ValueError, match="positive int"):
        toy(np.arange(10) % 3).subset(n)


def test_class_counts_by_label_name():
    assert toy([0, 0, 2, 1, 0]).class_counts() == {"c0": 3, "c1": 1, "c2": 1}


def test_repr_is_short_and_informative():
    text = repr(toy(np.arange(6) % 3))
    assert "'toy'" in text and "'train'" in text and "(6, 1, 1, 1)" in text and "'file'" in text
    assert "\n" not in text and len(text) < 200


# ------------------------------------------------------------ DeviceBatches

def sample_ids(n=10):
    """images whose single pixel is the sample index, labels = index."""
    return torch.arange(n, dtype=torch.float32).reshape(n, 1, 1, 1), torch.arange(n)


def order(batches):
    return torch.cat([y for _, y in batches]).tolist()


def test_every_sample_appears_once_per_epoch():
    x, y = sample_ids(10)
    batches = DeviceBatches(x, y, batch_size=3, device="cpu")
    for _ in range(3):
        seen = []
        for xb, yb in batches:
            assert torch.equal(xb.flatten().long(), yb)      # images stay with their labels
            seen += yb.tolist()
        assert sorted(seen) == list(range(10))


def test_same_seed_and_epoch_give_the_same_order():
    x, y = sample_ids(50)
    a = DeviceBatches(x, y, batch_size=8, seed=4, device="cpu")
    b = DeviceBatches(x, y, batch_size=8, seed=4, device="cpu")
    a.set_epoch(3)
    b.set_epoch(3)
    first = order(a)
    torch.manual_seed(123)                 # the global RNG plays no part
    assert order(b) == first and order(a) == first
    assert first != list(range(50))


def test_different_epochs_give_different_orders():
    x, y = sample_ids(50)
    batches = DeviceBatches(x, y, batch_size=8, device="cpu")
    batches.set_epoch(0)
    epoch0 = order(batches)
    batches.set_epoch(1)
    assert order(batches) != epoch0


def test_without_set_epoch_each_pass_advances_the_epoch():
    x, y = sample_ids(50)
    auto = DeviceBatches(x, y, batch_size=8, device="cpu")
    pinned = DeviceBatches(x, y, batch_size=8, device="cpu")
    for epoch in range(3):
        pinned.set_epoch(epoch)
        assert order(auto) == order(pinned)


def test_different_seeds_give_different_orders():
    x, y = sample_ids(50)
    assert order(DeviceBatches(x, y, seed=0, device="cpu")) != \
        order(DeviceBatches(x, y, seed=1, device="cpu"))


@pytest.mark.parametrize("seed", [None, -1, 1.5])
def test_batches_refuse_a_seed_that_would_not_repeat_when_made_not_when_first_used(seed):
    x, y = sample_ids(10)
    with pytest.raises(ValueError, match="seed must be an int >= 0"):
        DeviceBatches(x, y, seed=seed, device="cpu")


def test_no_shuffle_keeps_the_order():
    x, y = sample_ids(10)
    assert order(DeviceBatches(x, y, batch_size=4, shuffle=False, device="cpu")) == list(range(10))


def test_len_counts_batches_and_drop_last_drops_the_short_one():
    x, y = sample_ids(10)
    keep = DeviceBatches(x, y, batch_size=4, device="cpu")
    drop = DeviceBatches(x, y, batch_size=4, drop_last=True, device="cpu")
    assert len(keep) == 3 and [len(b) for b, _ in keep] == [4, 4, 2]
    assert len(drop) == 2 and [len(b) for b, _ in drop] == [4, 4]
    assert keep.n_samples == drop.n_samples == 10


def test_without_labels_batches_are_images_only():
    x, _ = sample_ids(10)
    batches = list(DeviceBatches(x, batch_size=5, device="cpu"))
    assert all(isinstance(b, torch.Tensor) and b.shape == (5, 1, 1, 1) for b in batches)


def test_transform_is_applied_to_each_batch():
    x, y = sample_ids(10)
    batches = DeviceBatches(x, y, batch_size=4, shuffle=False, transform=lambda b: b * 2,
                            device="cpu")
    xb, yb = next(iter(batches))
    torch.testing.assert_close(xb.flatten(), 2 * yb.float())


def test_tensors_live_on_the_chosen_device():
    x, y = sample_ids(10)
    batches = DeviceBatches(x, y, device="cpu")
    assert batches.images.device.type == "cpu" and batches.labels.device.type == "cpu"
    xb, yb = next(iter(batches))
    assert xb.device.type == yb.device.type == "cpu"


def test_volumes_are_accepted():
    batches = DeviceBatches(torch.rand(6, 1, 4, 4, 4), torch.zeros(6), batch_size=4, device="cpu")
    assert next(iter(batches))[0].shape == (4, 1, 4, 4, 4)


@pytest.mark.parametrize("batch_size", [0, -1, 2.5, True])
def test_bad_batch_size_is_rejected(batch_size):
    x, y = sample_ids(10)
    with pytest.raises(ValueError, match="batch_size must be a positive int"):
        DeviceBatches(x, y, batch_size=batch_size, device="cpu")


def test_labels_of_the_wrong_length_are_rejected():
    x, y = sample_ids(10)
    with pytest.raises(ValueError, match="labels has 9 entries but images has 10"):
        DeviceBatches(x, y[:9], device="cpu")


def test_labels_that_are_not_a_tensor_are_rejected_with_how_to_convert():
    x, y = sample_ids(10)
    with pytest.raises(TypeError, match=r"labels: expected a torch.Tensor or None; got ndarray.*torch.as_tensor"):
        DeviceBatches(x, y.numpy(), device="cpu")


def test_a_transform_that_is_not_callable_is_rejected_when_made():
    x, y = sample_ids(10)
    with pytest.raises(TypeError, match="transform must be callable"):
        DeviceBatches(x, y, transform="flip", device="cpu")


def test_uint8_images_are_rejected():
    with pytest.raises(TypeError, match="Divide uint8 images by 255"):
        DeviceBatches(torch.zeros(4, 1, 2, 2, dtype=torch.uint8), device="cpu")


# ------------------------------------------------------- medmnist_dataloader

@pytest.mark.realdata
def test_dataloader_gives_medmnist_batches_from_the_real_file():
    path = real_file("pneumoniamnist.npz")
    loader = data.medmnist_dataloader("pneumoniamnist", "test", root=path.parent,
                                      batch_size=16, shuffle=False)
    x, y = next(iter(loader))
    assert x.shape == (16, 1, 28, 28) and x.dtype == torch.float32
    assert 0 <= x.min() <= x.max() <= 1
    assert y.shape == (16, 1) and y.dtype == torch.int64
    ds = load_medmnist("pneumoniamnist", "test", root=path.parent)
    torch.testing.assert_close(x, ds.images[:16], rtol=0, atol=0)
    assert torch.equal(y[:, 0], ds.labels[:16])


def test_dataloader_works_on_the_fallback(offline, tmp_path):
    with pytest.warns(FallbackDataWarning):
        loader = data.medmnist_dataloader("pneumoniamnist", "val", root=tmp_path, batch_size=8)
    x, y = next(iter(loader))
    assert x.shape == (8, 1, 28, 28) and x.dtype == torch.float32 and 0 <= x.min() <= x.max() <= 1
    assert y.shape == (8, 1)


def test_dataloader_serves_fallback_volumes(offline, tmp_path):
    with pytest.warns(FallbackDataWarning):
        loader = data.medmnist_dataloader("adrenalmnist3d", "val", root=tmp_path, batch_size=4)
    x, _ = next(iter(loader))
    assert x.shape == (4, 1, 28, 28, 28) and x.dtype == torch.float32


def test_dataloader_shuffle_is_seeded(offline, tmp_path):
    with pytest.warns(FallbackDataWarning):
        a = data.medmnist_dataloader("bloodmnist", "val", root=tmp_path, batch_size=32, seed=5)
        b = data.medmnist_dataloader("bloodmnist", "val", root=tmp_path, batch_size=32, seed=5)
        other_seed = data.medmnist_dataloader("bloodmnist", "val", root=tmp_path, batch_size=32, seed=6)
        in_order = data.medmnist_dataloader("bloodmnist", "val", root=tmp_path, batch_size=32, shuffle=False)
    # each loader's first batch of its first epoch (a second iter(a) would be a's second epoch,
    # which differs from its first whatever the seed, so it could not show that the seed counts)
    first_a, first_b, first_other, first_in_order = (next(iter(d))[0] for d in (a, b, other_seed, in_order))
    assert torch.equal(first_a, first_b) and first_a.shape == (32, 3, 28, 28)
    assert not torch.equal(first_a, first_other)
    assert not torch.equal(first_a, first_in_order)

"""MedMNIST, loaded safely, and batches that stay on the GPU.

* :func:`load_medmnist` returns one split as tensors: images ``(N, C, H, W)``
  (volumes ``(N, C, D, H, W)``) float32 in [0, 1], labels ``(N,)`` int64
  (multi-label: ``(N, L)`` int64 0/1). It reads ``{flag}.npz`` (28 px) or
  ``{flag}_{size}.npz`` from the data folder, checks the file's MD5 against
  ``medmnist.INFO``, downloads it when it is missing, and -- offline, with no
  file -- prints a loud notice and returns generated phantoms
  (:mod:`coursekit.phantoms`, ``source="fallback"``) so that nothing crashes.
* :class:`DeviceBatches` moves a whole split to the device once and yields
  shuffled batches there: no worker processes, no per-batch copies.
* :func:`medmnist_dataloader` is the ordinary PyTorch path (medmnist's own
  Dataset class, PIL images, ``ToTensor``), for comparison.

The data folder is ``root`` if given, else ``$COURSEKIT_DATA``, else
medmnist's default ``~/.medmnist``. Set ``COURSEKIT_OFFLINE=1`` (or ``true``, ``yes``, ``on``)
to never download.
"""
from __future__ import annotations

import difflib
import errno
import hashlib
import http.client
import os
import shutil
import ssl
import sys
import time
import urllib.error
import urllib.request
import warnings
from dataclasses import dataclass, field, replace
from pathlib import Path

import numpy as np
import torch

from . import phantoms
from .checks import check_images, check_positive_int, check_seed, env_flag, env_path
from .files import atomic_write, temporaries_of
from .device import get_device

__all__ = ["SPLITS", "FallbackDataWarning", "MedMNIST", "DeviceBatches", "data_dir",
           "load_medmnist", "medmnist_dataloader", "available_sizes", "filename", "fallbacks_used"]

SPLITS = ("train", "val", "test")
ENV_DATA = "COURSEKIT_DATA"
ENV_OFFLINE = "COURSEKIT_OFFLINE"
DOWNLOAD_TIMEOUT = 30  # seconds without data before a download gives up


class FallbackDataWarning(UserWarning):
    """Warned when generated phantoms replace a MedMNIST file that is missing."""


# ------------------------------------------------------------ the catalogue

def _info() -> dict:
    """``medmnist.INFO``, imported on first use (importing medmnist creates ~/.medmnist)."""
    from medmnist.info import INFO

    return INFO


def data_dir() -> Path:
    """The folder searched for MedMNIST files: ``$COURSEKIT_DATA`` if set (as an absolute
    path, :func:`coursekit.checks.env_path`), else ``~/.medmnist`` (medmnist's
    ``DEFAULT_ROOT``). Creates nothing."""
    return env_path(ENV_DATA) or Path.home() / ".medmnist"


def available_sizes(flag: str) -> tuple[int, ...]:
    """Image sizes published for ``flag``, read from INFO's ``url``/``url_<size>`` keys:
    (28, 64, 128, 224) for 2D flags, (28, 64) for 3D flags."""
    keys = _check_flag(flag)
    return tuple(sorted(28 if k == "url" else int(k[4:]) for k in keys if k.startswith("url")))


def filename(flag: str, size: int = 28) -> str:
    """medmnist's file name: ``{flag}.npz`` for 28 px, ``{flag}_{size}.npz`` otherwise."""
    return f"{flag}.npz" if size == 28 else f"{flag}_{size}.npz"


def _key(size: int) -> str:
    return "" if size == 28 else f"_{size}"


def _check_flag(flag) -> dict:
    info = _info()
    if not isinstance(flag, str) or flag not in info:
        wanted = str(flag).lower()
        close = difflib.get_close_matches(wanted, list(info), n=4)
        ratio = lambda known: difflib.SequenceMatcher(None, wanted, known).ratio()
        close = [c for c in close if ratio(c) >= ratio(close[0]) - 1e-9]   # only the equally close ones
        if len(close) == 1:
            hint = f" Did you mean {close[0]!r}?"
        elif close:   # e.g. 'organmnist': the axial, coronal and sagittal sets are equally close
            hint = f" Did you mean one of {', '.join(map(repr, close))}? Check which one your task needs."
        else:
            hint = ""
        raise ValueError(f"unknown MedMNIST flag {flag!r}.{hint} "
                         f"Known flags: {', '.join(sorted(info))}.")
    return info[flag]


def _check_split(split) -> None:
    if split not in SPLITS:
        raise ValueError(f"split must be one of {SPLITS}; got {split!r}.")


def _check_request(flag, split, size) -> dict:
    info = _check_flag(flag)
    _check_split(split)
    sizes = available_sizes(flag)
    if not isinstance(size, (int, np.integer)) or isinstance(size, bool) or size not in sizes:
        raise ValueError(f"size {size!r} is not available for {flag}; "
                         f"supported sizes: {', '.join(map(str, sizes))}.")
    return info


# ------------------------------------------------------------- the dataset

@dataclass(repr=False)
class MedMNIST:
    """One MedMNIST split as tensors (on the CPU).

    ``images``: ``(N, C, H, W)`` float32 in [0, 1], or ``(N, C, D, H, W)`` for 3D flags.
    ``labels``: ``(N,)`` int64 class indices, or ``(N, L)`` int64 0/1 for multi-label.
    ``source``: ``"file"``, ``"download"`` or ``"fallback"`` (generated phantoms,
    not medical data); ``path`` is the ``.npz`` read, or None for the fallback.
    """

    images: torch.Tensor
    labels: torch.Tensor
    flag: str
    split: str
    size: int
    task: str
    label_names: list[str] = field(default_factory=list)
    n_classes: int = 0
    source: str = "file"
    path: Path | None = None

    @property
    def multi_label(self) -> bool:
        return self.task.startswith("multi-label")

    def __len__(self) -> int:
        return self.images.shape[0]

    def __repr__(self) -> str:
        return (f"MedMNIST(flag={self.flag!r}, split={self.split!r}, "
                f"images={tuple(self.images.shape)}, labels={tuple(self.labels.shape)}, "
                f"task={self.task!r}, source={self.source!r})")

    def class_counts(self) -> dict[str, int]:
        """``{label name: count}``; for multi-label tasks the number of positives per label."""
        if self.multi_label:
            counts = self.labels.sum(dim=0)
        else:
            counts = torch.bincount(self.labels, minlength=self.n_classes)
        return {name: int(c) for name, c in zip(self.label_names, counts)}

    def subset(self, n: int | None, seed: int = 0) -> MedMNIST:
        """A fixed subset of ``n`` samples (the same for the same ``seed``).

        Single-label tasks: stratified, each class keeps its proportion to within
        one sample. Multi-label tasks: a seeded random subset. Samples keep their
        original order. ``n=None`` or ``n >= len(self)`` returns ``self``.
        """
        if n is not None and (not isinstance(n, (int, np.integer)) or isinstance(n, bool) or n < 1):
            raise ValueError(f"n must be a positive int or None; got {n!r}.")
        if n is None or n >= len(self):
            return self
        rng = np.random.default_rng(check_seed(seed))
        if self.multi_label:
            keep = rng.permutation(len(self))[:n]
        else:
            keep = _stratified(self.labels.numpy(), n, rng)
        keep = torch.from_numpy(np.sort(keep))
        return replace(self, images=self.images[keep], labels=self.labels[keep])

    def drop(self, indices) -> MedMNIST:
        """The same split without the samples at ``indices`` (e.g. the copies of training images
        that :func:`coursekit.study.near_duplicates` finds); the others keep their order. An empty
        ``indices`` returns ``self``."""
        idx = np.asarray(indices)
        if idx.size == 0:
            return self
        if not np.issubdtype(idx.dtype, np.integer) or idx.ndim != 1:
            raise ValueError(f"indices: expected a 1D array of whole-number sample indices; got shape {idx.shape} "
                             f"of {idx.dtype}")
        if idx.min() < 0 or idx.max() >= len(self):
            raise ValueError(f"indices: expected indices in [0, {len(self)}); got min {idx.min()}, max {idx.max()}")
        keep = torch.from_numpy(np.setdiff1d(np.arange(len(self)), idx))
        return replace(self, images=self.images[keep], labels=self.labels[keep])


def _stratified(labels: np.ndarray, n: int, rng: np.random.Generator) -> np.ndarray:
    """Indices of ``n`` samples, ``round(n * share)`` per class (largest remainders)."""
    classes, counts = np.unique(labels, return_counts=True)
    exact = n * counts / counts.sum()
    take = np.floor(exact).astype(int)
    take[np.argsort(-(exact - take), kind="stable")[: n - take.sum()]] += 1
    return np.concatenate([rng.permutation(np.flatnonzero(labels == c))[:k]
                           for c, k in zip(classes, take)])


def _to_tensors(images: np.ndarray, labels: np.ndarray, volumes: bool):
    """medmnist raw arrays -> (images float32 in [0, 1] with a channel axis, labels int64)."""
    x = torch.from_numpy(np.ascontiguousarray(images))
    if volumes or x.ndim == 3:  # (N, D, H, W) or (N, H, W): one channel
        x = x.unsqueeze(1)
    else:  # (N, H, W, 3) -> (N, 3, H, W)
        x = x.permute(0, 3, 1, 2).contiguous()
    x = x.to(torch.float32).div_(255.0)
    y = torch.from_numpy(np.asarray(labels)).to(torch.int64)
    if y.ndim == 2 and y.shape[1] == 1:
        y = y[:, 0]
    return x, y


# ------------------------------------------------------- files and checksums

_MD5_CACHE: dict[tuple[str, int, int], str] = {}
_NOTICE_SHOWN: set[tuple[str, int]] = set()
_FALLBACKS: set[tuple[str, str, int]] = set()   # (flag, split, size) served as phantoms in this process
_FAILED_DOWNLOADS: dict[Path, str] = {}          # destination -> why its download failed in this process


def fallbacks_used() -> list[tuple[str, str, int]]:
    """Every ``(flag, split, size)`` that this process received as generated
    phantoms instead of real data (empty when all data was real)."""
    return sorted(_FALLBACKS)


def _md5(path: Path) -> str:
    """MD5 of a file, remembered per (path, size, mtime) for this process."""
    st = path.stat()
    key = (str(path.resolve()), st.st_size, st.st_mtime_ns)
    if key not in _MD5_CACHE:
        h = hashlib.md5()
        with open(path, "rb") as f:
            for chunk in iter(lambda: f.read(1 << 20), b""):
                h.update(chunk)
        _MD5_CACHE[key] = h.hexdigest()
    return _MD5_CACHE[key]


def _verify(path: Path, expected: str) -> None:
    actual = _md5(path)
    if actual != expected:
        raise ValueError(
            f"{path} is not the MedMNIST file it should be: its MD5 is {actual}, "
            f"expected {expected} (medmnist.INFO). It may be truncated or a different "
            f"version. Move it away (coursekit does not delete it) and re-run to download "
            f"it again, or replace it with a verified copy.")


def _folders(root) -> list[Path]:
    """Where to look: ``root`` alone if given, else $COURSEKIT_DATA then ~/.medmnist.
    ``root`` or $COURSEKIT_DATA naming something that exists but is not a folder (the
    ``.npz`` file itself, say) is refused: nothing could be found in it or downloaded to it."""
    if root is not None:
        folder = Path(root).expanduser()
        if folder.exists() and not folder.is_dir():
            hint = f" To read that file, give its folder: root='{folder.parent}'." if folder.is_file() else ""
            raise ValueError(f"root must be a folder (the one that holds the MedMNIST .npz files, or will); "
                             f"{folder} is not a folder.{hint}")
        return [folder]
    folders = [data_dir(), Path.home() / ".medmnist"]
    if folders[0].exists() and not folders[0].is_dir():
        raise ValueError(f"{ENV_DATA} must name a folder (the one that holds the MedMNIST .npz files, or "
                         f"will); {folders[0]} is not a folder. Set it to a folder, or unset it "
                         f"to use ~/.medmnist.")
    return list(dict.fromkeys(folders))


def _download(url: str, f) -> None:
    """Write the bytes at ``url`` to the binary file ``f``. The module's only network call."""
    with urllib.request.urlopen(url, timeout=DOWNLOAD_TIMEOUT) as response:
        shutil.copyfileobj(response, f, length=1 << 20)


STALE_AFTER = 3600   # seconds since a temporary download file last grew: then no download writes it


def _remove_stale_downloads(dest: Path) -> None:
    """Delete the partial downloads of ``dest`` that a killed process left beside it: the
    temporary files of :func:`coursekit.files.atomic_write` for it
    (:func:`coursekit.files.temporaries_of`), unchanged for :data:`STALE_AFTER` seconds. A download still running writes more often than
    that (it gives up after ``DOWNLOAD_TIMEOUT`` seconds without data), so its file is kept, as is
    any file of another name."""
    for tmp in temporaries_of(dest):
        try:
            st = tmp.stat()
            if time.time() - st.st_mtime > STALE_AFTER:
                tmp.unlink()
                print(f"removed {tmp}: {st.st_size / 1e6:.1f} MB of a download that was interrupted")
        except OSError:   # gone already (another process removed it), or not ours to delete: leave it
            continue


def _fetch(url: str, dest: Path, md5: str) -> None:
    """Download to a temporary file beside ``dest``, check the MD5, then rename it into place
    (:func:`coursekit.files.atomic_write`): a partial or wrong download never gets the final name.
    Partial downloads of ``dest`` left by a killed run are removed first (:func:`_remove_stale_downloads`)."""
    _remove_stale_downloads(dest)

    def verified(tmp: Path) -> None:
        actual = _md5(tmp)
        if actual != md5:
            raise ValueError(f"the download from {url} has MD5 {actual}, expected {md5}")

    atomic_write(dest, lambda f: _download(url, f), check=verified)


def _locate(flag: str, size: int, root, download: bool) -> tuple[Path | None, str]:
    """Find (or download) the verified file. Returns ``(path, source)``, or
    ``(None, reason)`` when only the fallback is left. A present file with a
    wrong MD5 raises ValueError."""
    info = _info()[flag]
    name, key = filename(flag, size), _key(size)
    folders = _folders(root)
    for folder in folders:
        path = folder / name
        if path.is_file():
            _verify(path, info[f"MD5{key}"])
            return path, "file"
    if not download:
        return None, "download=False was given"
    if env_flag(ENV_OFFLINE):
        return None, f"{ENV_OFFLINE}={os.environ[ENV_OFFLINE].strip()} is set"
    path = _download_folder(folders) / name
    if path in _FAILED_DOWNLOADS:   # each split asks; a network that hangs would cost a timeout each
        return None, _FAILED_DOWNLOADS[path]
    try:
        _fetch(info[f"url{key}"], path, info[f"MD5{key}"])
    except (OSError, ValueError, http.client.HTTPException) as err:
        what = f"{_UNWRITABLE} {path.parent}" if _on_this_machine(err) else "the download failed"
        _FAILED_DOWNLOADS[path] = f"{what} ({type(err).__name__}: {err}; not tried again in this session)"
        return None, _FAILED_DOWNLOADS[path]
    return path, "download"


_UNWRITABLE = "the download could not be saved in"   # the start of _locate's reason for such a failure


# the errors of a file that cannot be made or written here (a read-only folder, a path through a
# file, a full disk); any other error of a download (a plain OSError such as "Network is
# unreachable" among them) is the network's
_LOCAL_ERRNOS = {getattr(errno, name) for name in ("EACCES", "EPERM", "EROFS", "ENOSPC", "EDQUOT", "ENOTDIR",
                                                   "EEXIST", "EISDIR", "ENAMETOOLONG") if hasattr(errno, name)}


def _on_this_machine(err: Exception) -> bool:
    """Whether a failed download failed here, not on the network: the file could not be made
    or written (a read-only folder, a path through a file, a full disk)."""
    network = (urllib.error.URLError, ConnectionError, TimeoutError, ssl.SSLError)
    return isinstance(err, OSError) and not isinstance(err, network) and err.errno in _LOCAL_ERRNOS


def _download_folder(folders: list[Path]) -> Path:
    """The first of ``folders`` a download can be written to (an existing writable folder, or
    one that can be created); a read-only ``$COURSEKIT_DATA`` sends it to ``~/.medmnist``."""
    for folder in folders:
        probe = folder
        while not probe.exists() and probe != probe.parent:
            probe = probe.parent
        if os.access(probe, os.W_OK):
            return folder
    return folders[0]


def _how_to_download(reason: str) -> str:
    """What lets the next run download, given why this one did not."""
    if reason.startswith(ENV_OFFLINE):
        return f"unset {ENV_OFFLINE} (it forbids downloading: del os.environ['{ENV_OFFLINE}']) and re-run"
    if reason.startswith("download=False"):
        return "call it with download=True"
    return "connect to the internet and restart the kernel"


def _how_to_get_the_data(reason: str, url: str, root) -> str:
    """The notice's last sentence: what gets the real data next time, given why this run had none."""
    if reason.startswith(_UNWRITABLE):   # a download would fail again there: another folder is needed
        return (f"To use the real data, choose a folder you can write to, name it in {ENV_DATA} "
                f"(os.environ['{ENV_DATA}'] = '/path/to/folder') or pass root='/path/to/folder', and "
                f"re-run (or download {url} yourself into that folder).")
    return (f"To use the real data, {_how_to_download(reason)}, or download {url} yourself, "
            f"put it in {_download_folder(_folders(root))} (or in any folder and set {ENV_DATA} to "
            f"it) and re-run.")


def _fallback_notice(flag: str, split: str, size: int, root, reason: str) -> None:
    """Print (once per flag and size) and warn (every time) that phantoms replace
    the data; remember it for :func:`fallbacks_used`."""
    _FALLBACKS.add((flag, split, size))
    name = filename(flag, size)
    folders = ", ".join(str(f) for f in _folders(root))
    url = _info()[flag][f"url{_key(size)}"]
    message = (f"{name} was not found in {folders} and {reason}. The results below are "
               f"computed on GENERATED PHANTOMS (coursekit.phantoms), NOT on real medical "
               f"images; numbers and figures will differ from the text. "
               f"{_how_to_get_the_data(reason, url, root)}")
    if (flag, size) not in _NOTICE_SHOWN:
        _NOTICE_SHOWN.add((flag, size))
        banner = "!" * 78
        print(f"{banner}\n!!  NO REAL DATA: {flag} ({size} px) replaced by generated phantoms\n"
              f"{banner}\n{message}\n{banner}", file=sys.stdout, flush=True)
    warnings.warn(f"{flag}: using generated phantoms, not real data ({name} missing; {reason}).",
                  FallbackDataWarning, stacklevel=3)


# ------------------------------------------------------------ load_medmnist

def load_medmnist(flag: str, split: str, size: int = 28, root=None,
                  download: bool = True) -> MedMNIST:
    """Load one MedMNIST split as tensors.

    Looks for ``{flag}.npz`` (28 px) or ``{flag}_{size}.npz`` in ``root``, or
    else in ``$COURSEKIT_DATA`` and ``~/.medmnist``; verifies its MD5 (a wrong
    file raises ValueError and is left alone); downloads it when missing
    (unless ``download=False`` or ``COURSEKIT_OFFLINE=1``). If there is still
    no file, prints a notice, warns :class:`FallbackDataWarning` and returns
    generated phantoms with the same shapes and label meaning (``source="fallback"``).

    Returns a :class:`MedMNIST`: images ``(N, C, H, W)`` (3D: ``(N, 1, D, H, W)``)
    float32 in [0, 1]; labels ``(N,)`` int64, or ``(N, L)`` int64 for multi-label.
    """
    info = _check_request(flag, split, size)
    volumes = phantoms.is_3d(flag)
    path, source = _locate(flag, size, root, download)
    if path is None:
        _fallback_notice(flag, split, size, root, reason=source)
        raw_images, raw_labels = phantoms.fallback_dataset(flag, split, size)
        source = "fallback"
    else:
        with np.load(path) as npz:
            raw_images, raw_labels = npz[f"{split}_images"], npz[f"{split}_labels"]
    images, labels = _to_tensors(raw_images, raw_labels, volumes)
    names = [info["label"][str(i)] for i in range(len(info["label"]))]
    return MedMNIST(images=images, labels=labels, flag=flag, split=split, size=size,
                    task=info["task"], label_names=names, n_classes=len(names),
                    source=source, path=path)


# ------------------------------------------------------------ DeviceBatches

class DeviceBatches:
    """Shuffled batches of tensors that live on the device.

    ``images`` ``(N, C, H, W)`` or ``(N, C, D, H, W)`` float and optional
    ``labels`` (first axis N) are moved to ``device`` once, at construction
    (default :func:`coursekit.device.get_device`). Each pass shuffles with
    ``torch.randperm`` on the device, seeded by ``(seed, epoch)``: ``set_epoch(e)``
    fixes the epoch (the same order every time, on the same device); otherwise
    each new ``iter()`` uses the next epoch 0, 1, 2, ... The global RNG is
    never used. Yields ``(x, y)``, or ``x`` alone when ``labels`` is None;
    ``transform(x) -> x`` runs on each batch, on the device.
    """

    def __init__(self, images: torch.Tensor, labels: torch.Tensor | None = None,
                 batch_size: int = 128, shuffle: bool = True, seed: int = 0,
                 device=None, drop_last: bool = False, transform=None):
        check_images(images, "images", ndim=(4, 5))
        if labels is not None:
            if not isinstance(labels, torch.Tensor):
                raise TypeError(f"labels: expected a torch.Tensor or None; got "
                                f"{type(labels).__name__}. Convert with torch.as_tensor(labels).")
            if labels.shape[0] != images.shape[0]:
                raise ValueError(f"labels has {labels.shape[0]} entries but images has "
                                 f"{images.shape[0]}; they must match.")
        check_positive_int(batch_size, "batch_size")
        if transform is not None and not callable(transform):
            raise TypeError(f"transform must be callable (x -> x) or None; "
                            f"got {type(transform).__name__}.")
        self.device = get_device(device)
        self.images = images.to(self.device)
        self.labels = None if labels is None else labels.to(self.device)
        self.n_samples = images.shape[0]
        self.batch_size = int(batch_size)
        self.shuffle, self.seed, self.drop_last = shuffle, check_seed(seed), drop_last
        self.transform = transform
        self.epoch = 0          # the epoch the next iter() uses
        self._auto = True       # advance the epoch after each iter() until set_epoch is called

    def set_epoch(self, epoch: int) -> None:
        """Use ``epoch`` for the shuffle of the following passes (reproducible order)."""
        self.epoch, self._auto = int(epoch), False

    def __len__(self) -> int:
        if self.drop_last:
            return self.n_samples // self.batch_size
        return -(-self.n_samples // self.batch_size)

    def _order(self, epoch: int) -> torch.Tensor | None:
        if not self.shuffle:
            return None
        seed = int(np.random.SeedSequence([self.seed, epoch]).generate_state(1)[0])
        gen = torch.Generator(device=self.device).manual_seed(seed)
        return torch.randperm(self.n_samples, generator=gen, device=self.device)

    def __iter__(self):
        order = self._order(self.epoch)
        if self._auto:
            self.epoch += 1
        for b in range(len(self)):
            lo, hi = b * self.batch_size, min((b + 1) * self.batch_size, self.n_samples)
            idx = slice(lo, hi) if order is None else order[lo:hi]
            x = self.images[idx]
            if self.transform is not None:
                x = self.transform(x)
            yield x if self.labels is None else (x, self.labels[idx])

    def __repr__(self) -> str:
        return (f"DeviceBatches(n_samples={self.n_samples}, batch_size={self.batch_size}, "
                f"batches={len(self)}, shuffle={self.shuffle}, device={self.device})")


# ------------------------------------------------------ medmnist_dataloader

def _volume_to_tensor(volume: np.ndarray) -> torch.Tensor:
    """medmnist's 3D sample (1, D, H, W) float64 in [0, 1] -> float32 tensor."""
    return torch.from_numpy(np.asarray(volume, dtype=np.float32))


class _FallbackDataset(torch.utils.data.Dataset):
    """The fallback arrays served like medmnist's Dataset: a PIL image (2D) or a
    (1, D, H, W) array in [0, 1] (3D) through ``transform``, and an int label array."""

    def __init__(self, images: np.ndarray, labels: np.ndarray, transform, volumes: bool):
        self.imgs, self.labels = images, labels
        self.transform, self.volumes = transform, volumes

    def __len__(self) -> int:
        return len(self.imgs)

    def __getitem__(self, i):
        from PIL import Image

        img, target = self.imgs[i], self.labels[i].astype(np.int64)   # not int: int32 on Windows with NumPy 1
        img = img[None] / 255.0 if self.volumes else Image.fromarray(img)
        return self.transform(img), target


def medmnist_dataloader(flag: str, split: str, size: int = 28, root=None,
                        batch_size: int = 128, shuffle: bool = True,
                        num_workers: int = 0, seed: int = 0) -> torch.utils.data.DataLoader:
    """The ordinary PyTorch input pipeline: medmnist's Dataset, PIL, ``ToTensor``.

    Uses the verified file (found or downloaded as in :func:`load_medmnist`);
    without it, the fallback phantoms through the same PIL -> ``ToTensor`` path.
    Batches: images ``(B, C, H, W)`` float32 in [0, 1] (3D: ``(B, 1, D, H, W)``),
    labels as medmnist gives them: ``(B, 1)`` int64 (multi-label ``(B, L)``).
    The shuffle uses a ``torch.Generator`` seeded with ``seed``.
    """
    import medmnist
    from torchvision.transforms import ToTensor

    info = _check_request(flag, split, size)
    volumes = phantoms.is_3d(flag)
    transform = _volume_to_tensor if volumes else ToTensor()
    path, reason = _locate(flag, size, root, download=True)
    if path is not None:
        cls = getattr(medmnist, info["python_class"])
        dataset = cls(split=split, root=str(path.parent), size=size, download=False,
                      transform=transform)
    else:
        _fallback_notice(flag, split, size, root, reason)
        images, labels = phantoms.fallback_dataset(flag, split, size)
        dataset = _FallbackDataset(images, labels, transform, volumes)
    generator = torch.Generator().manual_seed(seed) if shuffle else None
    return torch.utils.data.DataLoader(dataset, batch_size=batch_size, shuffle=shuffle,
                                       num_workers=num_workers, generator=generator)

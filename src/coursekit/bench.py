"""Benchmark results: one convention for every chapter.

``benchmarks/<name>.py`` measures and calls :func:`write_result`, which writes
``benchmarks/results/<name>.json``: a flat JSON object of metric name to
number, plus ``profile``, ``device`` and ``git_commit``. The book reads these
files with :func:`load_result`, or in a notebook :func:`find_result` and
:func:`result_table` (numbers are never typed into the text).

The ``full`` profile's file is the one the book reports. A ``quick`` run writes
``<name>.quick.json`` beside it, so that a smoke run never replaces full
results. A benchmark that adds runs to one file sets an earlier file from other
code or another device aside with :func:`archive_result` (``<name>@<commit>-<device>.json``)
instead of deleting it; :func:`find_results` reads the file and those archives.
"""
from __future__ import annotations

import hashlib
import json
import math
import os
import platform
import re
import subprocess
from pathlib import Path
from typing import Mapping

from .book import ROOT
from .checks import env_path, is_int, is_real
from .files import atomic_write, atomic_write_text

RESULTS_DIR = ROOT / "benchmarks" / "results"
CACHE_DIR = ROOT / "benchmarks" / ".cache"
CACHE_ENV = "COURSEKIT_BENCH_CACHE"
COMMIT_ENV = "COURSEKIT_GIT_COMMIT"
META_KEYS = ("profile", "device", "git_commit")

__all__ = ["RESULTS_DIR", "CACHE_DIR", "git_commit", "run_commit", "code_digest", "checkpoint_dir", "cpu_model", "device_description",
           "result_path", "require_real_data", "write_result", "image_path", "write_image", "find_image", "load_result",
           "series", "find_result", "result_table", "show_result", "show_image", "archive_result", "find_results", "kept_results",
           "set_aside_unless", "load_benchmark"]


def git_commit(root: Path = ROOT) -> str:
    """The current commit hash; ``-dirty`` is appended when tracked files differ from it,
    except the result files under ``benchmarks/results/`` (outputs, not code: one benchmark
    writing its JSON must not mark the next one's run as modified).

    Outside a git checkout (a copy of the tree sent to a GPU machine without ``.git``), the
    hash in ``$COURSEKIT_GIT_COMMIT`` when set (the caller's word, for a copy of a clean
    checkout), else ``"unknown"``."""
    try:
        sha = subprocess.run(["git", "rev-parse", "HEAD"], cwd=root, capture_output=True, text=True,
                             check=True).stdout.strip()
        dirty = subprocess.run(["git", "status", "--porcelain", "--untracked-files=no", "--", ".",
                                ":(exclude)benchmarks/results"], cwd=root,
                               capture_output=True, text=True, check=True).stdout.strip()
        return sha + ("-dirty" if dirty else "")
    except (OSError, subprocess.CalledProcessError):
        given = os.environ.get(COMMIT_ENV, "").strip()
        if given and not re.fullmatch(r"[0-9a-f]{7,40}(-dirty)?", given):
            raise ValueError(f"${COMMIT_ENV} must be a commit hash such as the output of `git rev-parse HEAD`; "
                             f"got {given!r}")
        return given or "unknown"


_RUN_COMMIT: str | None = None


def run_commit() -> str:
    """The commit this run's code came from: :func:`git_commit` as it was the first time this
    process asked. :func:`checkpoint_dir`, :func:`require_real_data`, :func:`kept_results` and
    :func:`write_result` ask, so a long benchmark asks before it trains, and a commit made while
    it runs does not relabel its results with code it never ran."""
    global _RUN_COMMIT
    if _RUN_COMMIT is None:
        _RUN_COMMIT = git_commit()
    return _RUN_COMMIT


def code_digest(paths) -> str:
    """12 hex digits of a SHA-256 over the given files and the ``*.py`` files under the given
    folders (names relative to each folder, and contents, in sorted order). Changes when any
    of that code changes."""
    h = hashlib.sha256()
    for top in map(Path, paths):
        if not top.exists():
            raise FileNotFoundError(f"code_digest: {top} does not exist")
        files = sorted(top.rglob("*.py")) if top.is_dir() else [top]
        for f in files:
            if "__pycache__" in f.parts:
                continue
            h.update(str(f.relative_to(top) if top.is_dir() else f.name).encode() + b"\0")
            h.update(f.read_bytes() + b"\0")
    return h.hexdigest()[:12]


def checkpoint_dir(name: str, profile: str | None = None, code=None) -> Path:
    """A folder (created) for the checkpoints of a long benchmark, kept between runs so that
    an interrupted run resumes where it stopped instead of starting over.

    ``<cache>/<name>-<profile>-<digest>``: ``<cache>`` is ``$COURSEKIT_BENCH_CACHE`` (as an
    absolute path, :func:`coursekit.checks.env_path`) or ``benchmarks/.cache`` (git-ignored);
    ``<digest>`` is :func:`code_digest` of ``code``
    (default: the installed ``coursekit`` package, ``benchmarks/<name>.py`` and the benchmarks
    this process imported with :func:`load_benchmark`), so checkpoints written by other code
    are never resumed by this code. Delete the folder to start over.
    """
    from . import profile as _profile

    run_commit()   # the code this run starts from, before it trains
    if not isinstance(name, str) or not name or "/" in name or "\\" in name:
        raise ValueError(f"name must be a benchmark name such as 'gan_imbalance'; got {name!r}")
    prof = _profile.chosen(profile)
    if code is None:
        code = [Path(__file__).parent]
        script = ROOT / "benchmarks" / f"{name}.py"
        code += sorted({p for p in [script, *LOADED_BENCHMARKS] if p.exists()})
    base = env_path(CACHE_ENV) or CACHE_DIR
    folder = base / f"{name}-{prof}-{code_digest(code)}"
    folder.mkdir(parents=True, exist_ok=True)
    return folder


def cpu_model(system: str | None = None, cpuinfo: str | None = None) -> str | None:
    """The processor's model as the operating system names it, or None where it cannot be read.

    Linux: the first processor's ``model name`` in /proc/cpuinfo with its ``cpu family`` and
    ``model`` numbers (a virtual machine may give every Xeon one name), e.g. ``"Intel(R) Xeon(R)
    Processor family 6 model 167"``; macOS: ``sysctl machdep.cpu.brand_string`` (``"Apple M2"``);
    elsewhere :func:`platform.processor` (Windows: ``"Intel64 Family 6 Model 158 Stepping 10,
    GenuineIntel"``). ``system`` and ``cpuinfo`` stand in for ``platform.system()`` and the
    file's text (tests)."""
    system = platform.system() if system is None else system
    if system == "Darwin":
        try:
            out = subprocess.run(["sysctl", "-n", "machdep.cpu.brand_string"], capture_output=True, text=True,
                                 timeout=5).stdout
        except (OSError, subprocess.SubprocessError):
            return None
        return out.strip() or None
    if system != "Linux":
        return platform.processor().strip() or None
    if cpuinfo is None:
        try:
            cpuinfo = Path("/proc/cpuinfo").read_text(errors="replace")
        except OSError:
            return None
    fields: dict[str, str] = {}
    for line in cpuinfo.split("\n\n")[0].splitlines():   # the first processor's block
        key, sep, value = line.partition(":")
        if sep:
            fields.setdefault(key.strip(), value.strip())
    name = fields.get("model name")
    if not name:
        return None
    if fields.get("cpu family") and fields.get("model"):
        return f"{name} family {fields['cpu family']} model {fields['model']}"
    return name


def device_description() -> str:
    """What a result's numbers depend on besides the code and the seed: the device (on a CPU,
    its model, :func:`cpu_model`, and the vector instructions that torch's kernels use), and
    torch's version. E.g. ``"cuda: NVIDIA H100 80GB HBM3; torch 2.14.1+cu130"`` or
    ``"cpu: x86_64 CPU, 2 cores, Intel(R) Xeon(R) Processor family 6 model 167 (AVX2); torch
    2.14.1+cu130"``. The same seed on another kernel set or torch release rounds differently, and
    a long training run drifts apart; so it did on another CPU model with the same kernel set."""
    import torch

    from .device import config

    c = config()
    if c["device"] != "cpu":
        return f"{c['device']}: {c['device_name']}; torch {c['torch']}"
    model = cpu_model()
    return (f"cpu: {c['device_name']}{'' if model is None else ', ' + model} "
            f"({torch.backends.cpu.get_cpu_capability()}); torch {c['torch']}")


def result_path(name: str, profile: str, results_dir: Path | None = None, suffix: str = "json") -> Path:
    """``benchmarks/results/<name>.<suffix>`` for the full profile, ``<name>.<profile>.<suffix>`` otherwise
    (``profile``: ``"quick"`` or ``"full"``, :func:`coursekit.profile.check_profile`)."""
    from .profile import check_profile

    check_profile(profile)
    d = Path(results_dir) if results_dir is not None else RESULTS_DIR
    return d / (f"{name}.{suffix}" if profile == "full" else f"{name}.{profile}.{suffix}")


def _check_name(name: str, what: str) -> None:
    if isinstance(name, str) and name.endswith(".json") and name[:-5].replace("_", "").isalnum():
        raise ValueError(f"{what} name without the file's extension: {name[:-5]!r}, not {name!r}")
    if not isinstance(name, str) or not name or not name.replace("_", "").isalnum():
        raise ValueError(f"{what} name must be letters, digits and underscores; got {name!r}")


def _refusal() -> str | None:
    from .data import fallbacks_used

    used = fallbacks_used()
    if not used:
        return None
    listed = ", ".join(f"{flag}/{split} ({size} px)" for flag, split, size in used)
    return (f"refusing to write benchmark results: this process used generated phantoms instead of "
            f"real data for {listed}. Put the MedMNIST files in $COURSEKIT_DATA (or go online) and re-run.")


def _raise_if_fallback() -> None:
    """``RuntimeError`` with the reason when this process used fallback phantoms: nothing is written."""
    reason = _refusal()
    if reason:
        raise RuntimeError(reason)


def require_real_data() -> None:
    """Stop a benchmark early (``SystemExit`` with the reason) if any data it
    loaded so far were fallback phantoms: their numbers say nothing about medicine."""
    run_commit()   # the code this run starts from, before it trains
    reason = _refusal()
    if reason:
        raise SystemExit(reason)


def write_result(name: str, metrics: Mapping[str, float], profile: str | None = None,
                 results_dir: Path | None = None, device: str | None = None) -> Path:
    """Write ``metrics`` (name -> finite number) with the run's metadata; returns the path.
    ``git_commit`` is :func:`run_commit`, the commit the run started from.

    Refuses (``RuntimeError``) when this process loaded fallback phantoms
    instead of real data (:func:`coursekit.data.fallbacks_used`).
    """
    from . import profile as _profile

    _check_name(name, "benchmark")
    clean = {}
    for key, value in metrics.items():
        if key in META_KEYS:
            raise ValueError(f"{key!r} is reserved for metadata; rename the metric")
        # is_real takes NumPy scalars too (np.float32, np.int64), which json cannot write as they are
        if not is_real(value) or not math.isfinite(value):
            raise ValueError(f"metric {key!r} must be a finite number; got {value!r}")
        clean[key] = int(value) if is_int(value) else float(value)
    _raise_if_fallback()
    prof = _profile.chosen(profile)
    commit, now = run_commit(), git_commit()
    if now != commit:
        print(f"note: the checkout is at {now[:12]} now; this run started from {commit[:12]}, "
              f"the code it ran, and its results say so")
    record = {**clean, "profile": prof, "device": device or device_description(), "git_commit": commit}
    return atomic_write_text(result_path(name, prof, results_dir), json.dumps(record, indent=2, sort_keys=True) + "\n")


def image_path(name: str, profile: str, results_dir: Path | None = None) -> Path:
    """``benchmarks/results/<name>.png`` for the full profile, ``<name>.<profile>.png`` otherwise."""
    return result_path(name, profile, results_dir, suffix="png")


def write_image(name: str, image, profile: str | None = None, results_dir: Path | None = None) -> Path:
    """Save a benchmark's figure, a grayscale ``(H, W)`` array in [0, 1] (e.g. a
    :func:`coursekit.generative.montage` of samples), as a PNG beside its results, so that the
    book can show what the measured model produces; returns the path. Refuses, as
    :func:`write_result` does, when this process loaded fallback phantoms."""
    import numpy as np
    from PIL import Image

    from . import profile as _profile

    _check_name(name, "image")
    arr = np.asarray(image, dtype=np.float64)
    if arr.ndim != 2 or arr.size == 0 or not np.isfinite(arr).all() or arr.min() < 0 or arr.max() > 1:
        raise ValueError(f"image must be a non-empty grayscale (H, W) array with values in [0, 1]; got shape {arr.shape}"
                         + (f", range [{arr.min():.3g}, {arr.max():.3g}]" if arr.size and arr.ndim == 2 else ""))
    _raise_if_fallback()
    prof = _profile.chosen(profile)
    picture = Image.fromarray(np.round(arr * 255).astype(np.uint8), mode="L")
    return atomic_write(image_path(name, prof, results_dir),
                        lambda f: picture.save(f, format="PNG"))


def load_result(name: str, profile: str = "full", results_dir: Path | None = None) -> dict:
    """Read a benchmark's JSON; a clear error says how to produce it when missing."""
    _check_name(name, "benchmark")
    path = result_path(name, profile, results_dir)   # checks the profile
    if not path.is_file():
        raise FileNotFoundError(_absent(path, name, profile, results_dir))
    return _read(path)


def _read(path: Path) -> dict:
    """The JSON object in the results file ``path`` (every reader here reads through this); a
    ValueError that names the file and what to do when it is not one. The file is left as it is."""
    name = path.name.split("@")[0].split(".")[0]   # demo.json, demo.quick.json, demo@abc1234-cpu.json
    try:
        result = json.loads(path.read_text(encoding="utf-8"))
    except ValueError as err:   # not JSON, or not UTF-8
        raise ValueError(f"{path} is not a valid results file ({err}); run benchmarks/{name}.py again") from None
    if not isinstance(result, dict):
        raise ValueError(f"{path} is not a valid results file: expected a JSON object of metric name to number")
    return result


def series(result: Mapping[str, float], prefix: str, suffix: str = "") -> dict[int, float]:
    """The numbered keys ``<prefix><digits><suffix>`` of a result, as ``{number: value}`` in
    increasing order of the number.

    Benchmarks write a curve as one key per point (``fd_gan_epoch_001``, ``fd_gan_epoch_002``,
    ...; ``trunc_psi090_fd``, ``trunc_psi080_fd``, ...), which keeps the files flat. So
    ``series(r, "fd_gan_epoch_")`` is ``{1: ..., 2: ...}`` and ``series(r, "trunc_psi", "_fd")``
    is ``{50: ..., 90: ...}``; ``trunc_psi090_precision`` is not part of the latter. Empty when
    the file has no such keys (one written before the curve was recorded).
    """
    if not isinstance(prefix, str) or not prefix:
        raise ValueError(f"prefix must be a non-empty string such as 'fd_gan_epoch_'; got {prefix!r}")
    pattern = re.compile(re.escape(prefix) + r"(\d+)" + re.escape(suffix))
    found = {}
    for key, value in result.items():
        m = pattern.fullmatch(key)
        if m:
            found[int(m.group(1))] = value
    return dict(sorted(found.items()))


def agreement(subject: str, value: float, reference: float, reference_file: str, rtol: float = 1e-6) -> str:
    """A sentence for a notebook: does ``value``, one file's number for a model, agree with
    ``reference``, another file's number for what should be the same model?

    E.g. ``agreement("At k = 16 the sweep's autoencoder", 0.02756, 0.02756, "autoencoders.json")``.
    Equal within ``rtol`` (relative): the same recipe gave the same model in both scripts; otherwise
    the sentence gives the relative gap and says that the two runs differ, so a table built from
    the one file is not the other's result.
    """
    for name, x in (("value", value), ("reference", reference)):
        if not is_real(x) or not math.isfinite(x):
            raise ValueError(f"{name} must be a finite number (a metric read from a results file); got {x!r}")
    if reference == 0:
        raise ValueError("reference must be non-zero: the gap is relative to it")
    head = f"{subject} scores {value:.5f} and the one of `{reference_file}` {reference:.5f}: "
    if abs(value - reference) <= rtol * abs(reference):
        return head + "the same recipe gives the same model in both scripts."
    return head + (f"{abs(value / reference - 1):.1%} apart, so the two runs differ (compare their commits "
                   "and devices: the same seed on another torch release, CPU kernel set or CPU model rounds "
                   "differently), "
                   "and each table is one run's result, not the other's.")


def _absent(path: Path, benchmark: str, profile: str, results_dir: Path | None, figure: bool = False) -> str:
    """Why the results file (or saved ``figure``) ``path`` is not here, and what to do: run the
    benchmark, in the repository; outside it (a notebook opened alone on Colab, with coursekit
    installed by pip), where to find it, since the benchmark script is not there to run."""
    if results_dir is not None or RESULTS_DIR.parent.is_dir():
        # relative to the repository, as the command beside it is: the site is built in a checkout
        # whose absolute path means nothing to its readers
        shown = path.relative_to(ROOT) if path.is_relative_to(ROOT) else path
        return f"{shown} does not exist yet: run `COURSEKIT_PROFILE={profile} python benchmarks/{benchmark}.py`"
    from .book import repository_url

    try:
        folder = f"{repository_url()}/tree/main/benchmarks/results"
    except FileNotFoundError:
        folder = "the course repository's benchmarks/results folder"
    if figure:     # saved only by a run made since the figure was added: say where, not that it is there
        found = (f"benchmarks/{benchmark}.py saves {path.name} in the {profile} profile, in {folder}, "
                 "when it has been run")
    else:
        found = f"this one is {path.name} in {folder}, and the course site shows this section with it"
    return (f"this notebook runs outside the course repository (on Colab, for instance), where the results "
            f"are: {found}. To see it here, clone the repository and run the notebook in it.")


def find_image(name: str, benchmark: str, profile: str = "full", results_dir: Path | None = None) -> Path | None:
    """The path of a benchmark's saved figure (:func:`write_image`) for a notebook cell, or
    ``None``, having said why and what to do, where it is absent."""
    path = image_path(name, profile, results_dir)
    if path.is_file():
        return path
    print(f"No {path.name} here: {_absent(path, benchmark, profile, results_dir, figure=True)}")
    return None


def find_result(name: str, profile: str = "full", results_dir: Path | None = None) -> dict | None:
    """A benchmark's results for a notebook cell: :func:`load_result`'s dict, after printing where
    the numbers came from (file, profile, device, commit). Where the file is absent (e.g. a
    notebook opened alone on Colab), says so and how to produce it and returns ``None``, instead
    of failing the notebook."""
    try:
        result = load_result(name, profile, results_dir)
    except FileNotFoundError as err:
        print(f"No {profile}-profile results here: {err}")
        return None
    _say_where(result_path(name, profile, results_dir), result)
    return result


def _say_where(path: Path, result: Mapping) -> None:
    shown = f"benchmarks/results/{path.name}" if path.parent == RESULTS_DIR else path
    print(f"from {shown}: profile {result.get('profile', 'not recorded')}, "
          f"device {result.get('device', 'not recorded')}, commit {str(result.get('git_commit', 'not recorded'))[:12]}")


def result_table(result: Mapping[str, float], labels: Mapping[str, str]):
    """A table of selected metrics of a result (:func:`find_result`), for a notebook cell.

    ``labels`` maps metric keys to row labels. Returns a ``pandas.DataFrame`` with
    one column, the value (rounded to 4 decimals; a count stored as an int stays an
    int, so 8 copies do not read as 8.0000), in the order of ``labels``; a
    ``KeyError`` names the keys the result lacks.
    """
    import pandas as pd

    if result is None:
        raise TypeError("result_table got None: the results file is missing (find_result said so above). "
                        "Check for None first, or use show_result, which does.")
    missing = [k for k in labels if k not in result]
    if missing:
        raise KeyError(f"the result has no keys {missing}; it has {sorted(result)}")
    values = [result[k] if type(result[k]) is int else round(float(result[k]), 4) for k in labels]
    counts = any(type(v) is int for v in values)        # then an object column, or pandas would print 8.0
    return pd.DataFrame({"value": pd.Series(values, index=list(labels.values()), dtype=object if counts else float)})


def show_result(name: str, labels: Mapping[str, str], profile: str = "full", results_dir: Path | None = None):
    """:func:`result_table` of :func:`find_result`: the table of a benchmark file's metrics named
    in ``labels``, or ``None`` (having said why) where the file is absent."""
    result = find_result(name, profile, results_dir)
    return None if result is None else result_table(result, labels)


def show_image(name: str, benchmark: str, title: str | None = None, row_labels=None, profile: str = "full",
               results_dir: Path | None = None):
    """:func:`coursekit.viz.show_montage` of :func:`find_image`: a benchmark's saved picture drawn
    with ``title`` and ``row_labels``, or ``None`` (having said why, and drawing nothing) where the
    file is absent."""
    path = find_image(name, benchmark, profile, results_dir)
    if path is None:
        return None
    import matplotlib.pyplot as plt

    from .viz import show_montage

    return show_montage(plt.imread(path), title, row_labels=row_labels)


def _tag(text: str) -> str:
    return re.sub(r"[^A-Za-z0-9]", "", text) or "unknown"


def archive_result(path: Path) -> Path | None:
    """Set a results file aside before a run with other code or on another device replaces it,
    so that no measured number is lost: ``<name>.json`` becomes ``<name>@<commit>-<device>.json``
    (``<name>.quick.json`` becomes ``<name>@<commit>-<device>.quick.json``), where ``<commit>`` is
    the first 7 characters of its ``git_commit`` and ``<device>`` the kind of device before the
    colon of its ``device`` (``cpu``, ``cuda``); ``-2``, ``-3``, ... are added when that name is
    taken. Returns the new path, or ``None`` when there is no file. :func:`find_results` reads
    the file and its archives together."""
    path = Path(path)
    if not path.is_file():
        return None
    old = _read(path)
    stem, rest = path.name.split(".", 1)
    if "@" in stem:
        raise ValueError(f"{path.name} is already an archive (its name has '@'); archive <name>.json")
    tag = f"{_tag(str(old.get('git_commit', ''))[:7])}-{_tag(str(old.get('device', '')).split(':')[0])}"
    n = 1
    while (target := path.with_name(f"{stem}@{tag}{f'-{n}' if n > 1 else ''}.{rest}")).exists():
        n += 1
    path.rename(target)
    return target


def find_results(name: str, profile: str = "full", results_dir: Path | None = None) -> list[dict]:
    """A benchmark's current results and its archived earlier runs (:func:`archive_result`), for a
    notebook cell: the current file's dict first (when there is one), then each archive's in the
    order of their names, each after printing where it came from. An empty list, having said so,
    when there are none."""
    _check_name(name, "benchmark")
    d = Path(results_dir) if results_dir is not None else RESULTS_DIR
    current = result_path(name, profile, d)
    ending = current.name[len(name):]                        # ".json" or ".quick.json"
    paths = [current] if current.is_file() else []
    paths += sorted(p for p in d.glob(f"{name}@*{ending}") if p.name.count(".") == ending.count("."))
    if not paths:
        print(f"No {profile}-profile results here: {_absent(current, name, profile, results_dir)}")
    results = []
    for p in paths:
        results.append(_read(p))
        _say_where(p, results[-1])
    return results


def kept_results(path: Path, commit: str | None = None, device: str | None = None) -> dict:
    """The metrics already in the results file ``path`` when it is from the same commit and
    device (default: the commit this run started from, :func:`run_commit`, and this machine's
    :func:`device_description`), so that a benchmark run in parts (one recipe, one latent size
    per command) adds up to one file. A file from another commit or device is set aside whole
    (:func:`archive_result`; the book shows its rows too, labelled by run) and nothing is kept."""
    path = Path(path)
    commit = run_commit() if commit is None else commit
    device = device_description() if device is None else device
    if set_aside_unless(path, git_commit=commit, device=device) or not path.is_file():
        return {}
    return {k: v for k, v in _read(path).items() if k not in META_KEYS}


def set_aside_unless(path: Path, **metadata: str) -> Path | None:
    """Set the results file ``path`` aside (:func:`archive_result`) unless its metadata equals
    every value given, e.g. ``set_aside_unless(path, device=...)`` keeps a file from this device
    whatever its commit. Returns the archive's path, or ``None`` when nothing was moved."""
    path = Path(path)
    if not path.is_file():
        return None
    old = _read(path)
    if all(old.get(key) == value for key, value in metadata.items()):
        return None
    moved = archive_result(path)
    print(f"{path.name} is from commit {str(old.get('git_commit', '?'))[:12]} on {old.get('device')}: "
          f"set aside as {moved.name}; this run starts a new {path.name}")
    return moved


# Each benchmark script imported with load_benchmark: its code is part of every checkpoint_dir's digest.
LOADED_BENCHMARKS: list[Path] = []


def load_benchmark(name: str, root: Path = ROOT):
    """``benchmarks/<name>.py`` imported as a module (without running its ``main``), so that one
    benchmark reuses another's parameters, data and checkpoints (``gan_recipes`` and
    ``gan_calibration`` build on ``gan``)."""
    import importlib.util

    _check_name(str(name), "benchmark")
    path = Path(root) / "benchmarks" / f"{name}.py"
    if not path.is_file():
        known = sorted(p.stem for p in path.parent.glob("*.py")) if path.parent.is_dir() else []
        raise FileNotFoundError(f"no benchmark {name!r}: {path} does not exist (benchmarks here: {known})")
    if path.resolve() not in LOADED_BENCHMARKS:
        LOADED_BENCHMARKS.append(path.resolve())
    spec = importlib.util.spec_from_file_location(f"benchmark_{name}", path)
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module

"""coursekit.bench: the benchmark-result convention."""
import json
import re

import numpy as np
import pytest

from coursekit import bench, data


@pytest.fixture(autouse=True)
def only_real_data_so_far(monkeypatch):
    """Other tests in this process load fallback phantoms; start each test clean."""
    monkeypatch.setattr(data, "_FALLBACKS", set())
    monkeypatch.setattr(bench, "_RUN_COMMIT", None)   # each test is a run of its own


def test_result_is_a_flat_object_with_profile_device_and_commit(tmp_path):
    path = bench.write_result("demo", {"auc": 0.9, "n": 3}, profile="full", results_dir=tmp_path, device="cpu: test")
    data = json.loads(path.read_text())
    assert path.name == "demo.json"
    assert data["auc"] == 0.9 and data["n"] == 3
    assert data["profile"] == "full" and data["device"] == "cpu: test" and data["git_commit"]
    assert all(not isinstance(v, (dict, list)) for v in data.values())


def test_device_names_what_rounding_depends_on_the_torch_release_and_cpu_kernels(monkeypatch):
    # the same seed and code on another torch release or CPU kernel set trains another model, so
    # two results files from "one device" that disagree must say why
    import torch

    monkeypatch.setenv("COURSEKIT_DEVICE", "cpu")
    monkeypatch.setattr(torch.backends.cpu, "get_cpu_capability", lambda: "AVX512")
    monkeypatch.setattr(torch, "__version__", "9.9.9")
    monkeypatch.setattr(bench, "cpu_model", lambda: "Intel(R) Xeon(R) Processor family 6 model 167")
    assert re.fullmatch(r"cpu: .+ CPU, \d+ cores, Intel\(R\) Xeon\(R\) Processor family 6 model 167 \(AVX512\); "
                        r"torch 9\.9\.9", bench.device_description())


def test_two_cpus_with_the_same_kernels_are_two_devices(monkeypatch):
    # the same code, seed and AVX2 kernels trained another autoencoder on a newer Xeon than on the
    # machine of the committed run, so the record must tell the two machines apart
    import torch

    monkeypatch.setenv("COURSEKIT_DEVICE", "cpu")
    monkeypatch.setattr(torch.backends.cpu, "get_cpu_capability", lambda: "AVX2")
    seen = []
    for model in ("Intel(R) Xeon(R) Processor family 6 model 143", "Intel(R) Xeon(R) Processor family 6 model 167"):
        monkeypatch.setattr(bench, "cpu_model", lambda model=model: model)
        seen.append(bench.device_description())
    assert seen[0] != seen[1]


def test_a_cpu_whose_model_cannot_be_read_is_described_without_it(monkeypatch):
    monkeypatch.setenv("COURSEKIT_DEVICE", "cpu")
    monkeypatch.setattr(bench, "cpu_model", lambda: None)
    assert re.fullmatch(r"cpu: .+ CPU, \d+ cores \(\w+\); torch .+", bench.device_description())


LINUX_CPUINFO = """processor\t: 0
vendor_id\t: GenuineIntel
cpu family\t: 6
model\t\t: 167
model name\t: Intel(R) Xeon(R) Processor
stepping\t: 1

processor\t: 1
vendor_id\t: GenuineIntel
cpu family\t: 6
model\t\t: 167
model name\t: Intel(R) Xeon(R) Processor
"""


def test_cpu_model_on_linux_is_the_name_with_family_and_model_numbers_of_the_first_processor():
    assert bench.cpu_model(system="Linux", cpuinfo=LINUX_CPUINFO) == "Intel(R) Xeon(R) Processor family 6 model 167"


def test_cpu_model_on_linux_without_numbers_is_the_name_alone():
    assert bench.cpu_model(system="Linux", cpuinfo="processor\t: 0\nmodel name\t: AMD EPYC 7763 64-Core Processor\n") \
        == "AMD EPYC 7763 64-Core Processor"


def test_cpu_model_on_linux_without_a_name_is_none():
    assert bench.cpu_model(system="Linux", cpuinfo="processor\t: 0\nBogoMIPS\t: 50.00\n") is None


def test_cpu_model_elsewhere_is_what_the_system_calls_the_processor(monkeypatch):
    monkeypatch.setattr(bench.platform, "processor", lambda: "Intel64 Family 6 Model 158 Stepping 10, GenuineIntel")
    assert bench.cpu_model(system="Windows") == "Intel64 Family 6 Model 158 Stepping 10, GenuineIntel"
    monkeypatch.setattr(bench.platform, "processor", lambda: "")
    assert bench.cpu_model(system="Windows") is None


def test_cpu_model_on_macos_is_the_brand_string_sysctl_gives(monkeypatch):
    from types import SimpleNamespace

    calls = []
    monkeypatch.setattr(bench.subprocess, "run", lambda cmd, **kw: calls.append(cmd) or SimpleNamespace(stdout="Apple M2\n"))
    assert bench.cpu_model(system="Darwin") == "Apple M2"
    assert calls == [["sysctl", "-n", "machdep.cpu.brand_string"]]


def test_cpu_model_on_macos_without_sysctl_is_none(monkeypatch):
    def missing(cmd, **kw):
        raise FileNotFoundError("sysctl")

    monkeypatch.setattr(bench.subprocess, "run", missing)
    assert bench.cpu_model(system="Darwin") is None


def test_a_quick_run_never_replaces_full_results(tmp_path):
    bench.write_result("demo", {"auc": 0.95}, profile="full", results_dir=tmp_path, device="x")
    bench.write_result("demo", {"auc": 0.6}, profile="quick", results_dir=tmp_path, device="x")
    assert bench.load_result("demo", results_dir=tmp_path)["auc"] == 0.95
    assert bench.load_result("demo", "quick", results_dir=tmp_path)["auc"] == 0.6


def test_numpy_scalars_are_written_as_the_numbers_they_hold(tmp_path):
    path = bench.write_result("demo", {"auc": np.float32(0.5), "n": np.int64(3), "mse": np.float64(0.25)},
                              profile="full", results_dir=tmp_path, device="x")
    data = json.loads(path.read_text())
    assert (data["auc"], data["n"], data["mse"]) == (0.5, 3, 0.25)
    assert isinstance(data["n"], int) and isinstance(data["auc"], float)


@pytest.mark.parametrize("metrics", [{"auc": float("nan")}, {"auc": "0.9"}, {"profile": 1.0}, {"ok": True}, {"auc": np.float32("inf")}, {"ok": np.bool_(True)}])
def test_non_numeric_or_reserved_metrics_are_rejected(tmp_path, metrics):
    with pytest.raises(ValueError):
        bench.write_result("demo", metrics, profile="full", results_dir=tmp_path, device="x")


def test_a_benchmark_image_is_saved_as_a_grayscale_png_named_by_profile(tmp_path):
    from PIL import Image
    image = np.linspace(0, 1, 12).reshape(3, 4)
    full = bench.write_image("demo_samples", image, profile="full", results_dir=tmp_path)
    quick = bench.write_image("demo_samples", image * 0, profile="quick", results_dir=tmp_path)
    assert (full.name, quick.name) == ("demo_samples.png", "demo_samples.quick.png")
    pixels = np.asarray(Image.open(full))
    assert pixels.shape == (3, 4) and pixels[0, 0] == 0 and pixels[-1, -1] == 255
    assert np.asarray(Image.open(quick)).max() == 0


@pytest.mark.parametrize("image", [np.full((3, 4), 1.5), np.zeros((2, 3, 4)), np.full((3, 4), np.nan), np.zeros((0, 5))],
                         ids=["above 1", "not 2-D", "nan", "empty"])
def test_a_benchmark_image_outside_unit_range_or_not_2d_is_refused(tmp_path, image):
    with pytest.raises(ValueError, match=r"\(H, W\) array with values in \[0, 1\]"):
        bench.write_image("demo_samples", image, profile="full", results_dir=tmp_path)
    assert not list(tmp_path.iterdir())


def test_missing_result_says_how_to_produce_it(tmp_path):
    with pytest.raises(FileNotFoundError, match="benchmarks/demo.py"):
        bench.load_result("demo", results_dir=tmp_path)


def test_results_are_refused_after_any_fallback_data_in_the_process(tmp_path, monkeypatch):
    with pytest.warns(data.FallbackDataWarning):
        data.load_medmnist("pneumoniamnist", "test", root=tmp_path / "empty", download=False)
    assert data.fallbacks_used() == [("pneumoniamnist", "test", 28)]
    with pytest.raises(SystemExit, match="pneumoniamnist/test"):
        bench.require_real_data()
    with pytest.raises(RuntimeError, match="phantoms"):
        bench.write_result("demo", {"auc": 0.9}, profile="full", results_dir=tmp_path, device="x")
    with pytest.raises(RuntimeError, match="phantoms"):
        bench.write_image("demo", np.zeros((2, 2)), profile="full", results_dir=tmp_path)
    assert not (tmp_path / "demo.json").exists() and not (tmp_path / "demo.png").exists()


def test_git_commit_is_marked_dirty_by_changed_code_but_not_by_changed_results(tmp_path):
    import subprocess

    def git(*args):
        subprocess.run(["git", *args], cwd=tmp_path, check=True, capture_output=True)

    git("init", "-q")
    (tmp_path / "benchmarks" / "results").mkdir(parents=True)
    (tmp_path / "benchmarks" / "results" / "a.json").write_text("{}")
    (tmp_path / "code.py").write_text("x = 1\n")
    git("add", ".")
    git("-c", "user.name=t", "-c", "user.email=t@t", "commit", "-q", "-m", "init")
    assert not bench.git_commit(tmp_path).endswith("-dirty")
    (tmp_path / "benchmarks" / "results" / "a.json").write_text('{"x": 1}')
    assert not bench.git_commit(tmp_path).endswith("-dirty")
    (tmp_path / "code.py").write_text("x = 2\n")
    assert bench.git_commit(tmp_path).endswith("-dirty")


def test_results_name_the_commit_the_run_started_from_not_one_made_while_it_ran(tmp_path, monkeypatch, capsys):
    heads = iter(["a" * 40, "b" * 40, "b" * 40])
    monkeypatch.setattr(bench, "git_commit", lambda root=None: next(heads))
    bench.require_real_data()                     # a benchmark, before it trains
    path = bench.write_result("demo", {"auc": 0.9}, profile="full", results_dir=tmp_path, device="x")
    assert json.loads(path.read_text())["git_commit"] == "a" * 40
    assert "this run started from aaaaaaaaaaaa" in capsys.readouterr().out


def test_a_run_whose_checkout_did_not_move_says_nothing_about_it(tmp_path, monkeypatch, capsys):
    monkeypatch.setattr(bench, "git_commit", lambda root=None: "c" * 40)
    bench.require_real_data()
    bench.write_result("demo", {"auc": 0.9}, profile="full", results_dir=tmp_path, device="x")
    assert "started from" not in capsys.readouterr().out


def test_git_commit_outside_a_checkout_is_the_given_hash_or_unknown(tmp_path, monkeypatch):
    monkeypatch.delenv("COURSEKIT_GIT_COMMIT", raising=False)
    assert bench.git_commit(tmp_path) == "unknown"
    monkeypatch.setenv("COURSEKIT_GIT_COMMIT", "3806a07c0ffee")
    assert bench.git_commit(tmp_path) == "3806a07c0ffee"


def test_git_commit_refuses_a_given_hash_that_is_not_one(tmp_path, monkeypatch):
    monkeypatch.setenv("COURSEKIT_GIT_COMMIT", "HEAD")
    with pytest.raises(ValueError, match="git rev-parse HEAD"):
        bench.git_commit(tmp_path)


def test_git_commit_inside_a_checkout_ignores_a_given_hash(tmp_path, monkeypatch):
    import subprocess
    subprocess.run(["git", "init", "-q"], cwd=tmp_path, check=True)
    subprocess.run(["git", "-c", "user.name=t", "-c", "user.email=t@t", "commit", "-q", "--allow-empty", "-m", "x"],
                   cwd=tmp_path, check=True)
    monkeypatch.setenv("COURSEKIT_GIT_COMMIT", "0000000")
    assert re.fullmatch(r"[0-9a-f]{40}", bench.git_commit(tmp_path))


def _code(tmp_path, text="x = 1\n"):
    pkg = tmp_path / "pkg"
    pkg.mkdir(exist_ok=True)
    (pkg / "mod.py").write_text(text)
    return pkg


def test_code_digest_changes_when_the_code_changes(tmp_path):
    pkg = _code(tmp_path)
    before = bench.code_digest([pkg])
    assert bench.code_digest([pkg]) == before
    (pkg / "mod.py").write_text("x = 2\n")
    assert bench.code_digest([pkg]) != before


def test_code_digest_of_a_missing_path_is_an_error(tmp_path):
    with pytest.raises(FileNotFoundError, match="does not exist"):
        bench.code_digest([tmp_path / "nowhere"])


def test_checkpoint_dir_is_the_same_folder_for_the_same_code(tmp_path, monkeypatch):
    monkeypatch.setenv(bench.CACHE_ENV, str(tmp_path / "cache"))
    pkg = _code(tmp_path)
    first = bench.checkpoint_dir("demo", "full", code=[pkg])
    assert first.is_dir() and first.parent == tmp_path / "cache" and first.name.startswith("demo-full-")
    assert bench.checkpoint_dir("demo", "full", code=[pkg]) == first


def test_checkpoint_dir_changes_with_the_code_and_the_profile(tmp_path, monkeypatch):
    monkeypatch.setenv(bench.CACHE_ENV, str(tmp_path / "cache"))
    pkg = _code(tmp_path)
    full = bench.checkpoint_dir("demo", "full", code=[pkg])
    assert bench.checkpoint_dir("demo", "quick", code=[pkg]) != full
    (pkg / "mod.py").write_text("x = 2\n")
    assert bench.checkpoint_dir("demo", "full", code=[pkg]) != full


def test_checkpoint_dir_changes_with_a_benchmark_this_one_loaded(tmp_path, monkeypatch):
    # ae_latent trains with autoencoders.py's parameters: a change there must not resume its checkpoints
    monkeypatch.setenv(bench.CACHE_ENV, str(tmp_path / "cache"))
    monkeypatch.setattr(bench, "LOADED_BENCHMARKS", [])
    (tmp_path / "benchmarks").mkdir()
    base = tmp_path / "benchmarks" / "base.py"
    base.write_text("PARAMS = {'epochs': 10}\n")
    bench.load_benchmark("base", root=tmp_path)
    before = bench.checkpoint_dir("derived", "full")
    base.write_text("PARAMS = {'epochs': 20}\n")
    assert bench.checkpoint_dir("derived", "full") != before


def test_checkpoint_dir_expands_the_home_folder_in_the_cache_variable(tmp_path, monkeypatch):
    # not a folder named '~' in the current one, which a later `rm -rf ~` would mistake for home
    monkeypatch.setenv("HOME", str(tmp_path / "home"))
    monkeypatch.chdir(tmp_path)
    monkeypatch.setenv(bench.CACHE_ENV, " ~/bench cache ")
    folder = bench.checkpoint_dir("demo", "full", code=[_code(tmp_path)])
    assert folder.parent == tmp_path / "home" / "bench cache"
    assert not (tmp_path / "~").exists()


def test_checkpoint_dir_from_a_relative_cache_variable_is_absolute(tmp_path, monkeypatch):
    monkeypatch.chdir(tmp_path)
    monkeypatch.setenv(bench.CACHE_ENV, "cache")
    folder = bench.checkpoint_dir("demo", "full", code=[_code(tmp_path)])
    assert folder.is_absolute() and folder.parent == tmp_path / "cache"


def test_checkpoint_dir_with_a_blank_cache_variable_uses_the_default_cache(tmp_path, monkeypatch):
    monkeypatch.setattr(bench, "CACHE_DIR", tmp_path / "default")
    monkeypatch.chdir(tmp_path)
    monkeypatch.setenv(bench.CACHE_ENV, " ")
    assert bench.checkpoint_dir("demo", "full", code=[_code(tmp_path)]).parent == tmp_path / "default"
    assert not (tmp_path / " ").exists()


@pytest.mark.parametrize("name", ["", "a/b", None])
def test_checkpoint_dir_needs_a_plain_benchmark_name(tmp_path, monkeypatch, name):
    monkeypatch.setenv(bench.CACHE_ENV, str(tmp_path))
    with pytest.raises(ValueError, match="benchmark name"):
        bench.checkpoint_dir(name, "full", code=[_code(tmp_path)])


def test_series_reads_numbered_keys_in_numeric_order():
    result = {"fd_gan_epoch_10": 3.0, "fd_gan_epoch_2": 5.0, "fd_gan_epoch_001": 9.0, "fd_gan": 3.0,
              "profile": "full"}   # 10 sorts before 2 as text
    assert bench.series(result, "fd_gan_epoch_") == {1: 9.0, 2: 5.0, 10: 3.0}
    assert list(bench.series(result, "fd_gan_epoch_")) == [1, 2, 10]


def test_series_with_a_suffix_keeps_only_that_metric():
    result = {"trunc_psi090_fd": 7.0, "trunc_psi090_precision": 0.4, "trunc_psi050_fd": 20.0,
              "trunc_psi050_recall": 0.3}
    assert bench.series(result, "trunc_psi", "_fd") == {50: 20.0, 90: 7.0}


def test_series_ignores_keys_whose_middle_is_not_a_number():
    result = {"ae_val_mse_epoch_003": 0.1, "ae_val_mse_epoch_best": 0.1, "ae_val_mse_epoch_": 0.2}
    assert bench.series(result, "ae_val_mse_epoch_") == {3: 0.1}


def test_series_of_a_file_without_the_curve_is_empty():
    assert bench.series({"fd_gan": 5.0}, "fd_gan_epoch_") == {}


def test_series_needs_a_prefix():
    with pytest.raises(ValueError, match="prefix"):
        bench.series({"a1": 1.0}, "")


def test_find_result_says_where_the_numbers_come_from(tmp_path, capsys):
    bench.write_result("demo", {"auc": 0.95}, profile="full", results_dir=tmp_path, device="cpu: test")
    result = bench.find_result("demo", results_dir=tmp_path)
    assert result["auc"] == 0.95
    assert f"from {tmp_path / 'demo.json'}: profile full, device cpu: test, commit" in capsys.readouterr().out


def test_find_result_without_a_file_says_how_to_produce_it_and_gives_none(tmp_path, capsys):
    assert bench.find_result("demo", results_dir=tmp_path) is None
    assert "No full-profile results here" in capsys.readouterr().out


def outside_the_repository(monkeypatch, tmp_path):
    """coursekit installed by pip (Colab): RESULTS_DIR lies in the Python install, with no
    benchmarks folder around it."""
    monkeypatch.setattr(bench, "RESULTS_DIR", tmp_path / "python3.12" / "benchmarks" / "results")


def test_outside_the_repository_a_missing_result_says_where_the_file_is_not_to_run_a_script(
        monkeypatch, tmp_path, capsys):
    from coursekit import book
    outside_the_repository(monkeypatch, tmp_path)
    assert bench.find_result("nn_optimizers") is None
    said = capsys.readouterr().out
    assert "outside the course repository" in said
    assert f"nn_optimizers.json in {book.repository_url()}/tree/main/benchmarks/results" in said
    assert "python benchmarks/" not in said      # the learner there has no such script


def test_outside_the_repository_find_results_says_the_same(monkeypatch, tmp_path, capsys):
    outside_the_repository(monkeypatch, tmp_path)
    assert bench.find_results("gan_recipes") == []
    assert "outside the course repository" in capsys.readouterr().out


def test_outside_the_repository_a_missing_figure_names_the_script_that_saves_it_not_a_file_that_may_not_exist(
        monkeypatch, tmp_path, capsys):
    outside_the_repository(monkeypatch, tmp_path)
    assert bench.find_image("gan_samples", "gan") is None
    said = capsys.readouterr().out
    assert "benchmarks/gan.py saves gan_samples.png in the full profile" in said and "when it has been run" in said


def test_find_image_gives_the_saved_figure_or_none_and_says_which_benchmark_saves_it(tmp_path, capsys):
    assert bench.find_image("gan_samples", "gan", results_dir=tmp_path) is None
    assert "run `COURSEKIT_PROFILE=full python benchmarks/gan.py`" in capsys.readouterr().out
    path = bench.write_image("gan_samples", np.zeros((4, 6)), profile="full", results_dir=tmp_path)
    assert bench.find_image("gan_samples", "gan", results_dir=tmp_path) == path


def test_result_table_lists_the_labelled_metrics_in_the_given_order():
    table = bench.result_table({"b": 2.0, "a": 1.23456, "c": 3.0}, {"a": "first", "b": "second"})
    assert list(table.index) == ["first", "second"]
    assert list(table["value"]) == [1.2346, 2.0]


def test_result_table_of_a_missing_file_says_to_check_for_none():
    with pytest.raises(TypeError, match="results file is missing.*show_result"):
        bench.result_table(None, {"x": "x"})


def test_a_result_name_with_its_extension_is_refused_with_the_name_to_use(tmp_path):
    with pytest.raises(ValueError, match="'gan', not 'gan.json'"):
        bench.find_result("gan.json", results_dir=tmp_path)


def test_an_unknown_profile_is_refused_not_reported_missing(tmp_path):
    with pytest.raises(ValueError, match="profile must be one of"):
        bench.find_result("gan", profile="Quick", results_dir=tmp_path)


@pytest.mark.parametrize("use", [
    lambda folder, profile: bench.write_result("demo", {"auc": 0.9}, profile=profile, results_dir=folder, device="x"),
    lambda folder, profile: bench.write_image("demo", np.zeros((2, 2)), profile=profile, results_dir=folder),
    lambda folder, profile: bench.checkpoint_dir("demo", profile, code=[_code(folder.parent)]),
    lambda folder, profile: bench.find_results("demo", profile, results_dir=folder),
], ids=["write_result", "write_image", "checkpoint_dir", "find_results"])
@pytest.mark.parametrize("profile", ["Full", "QUICK", "fast"])
def test_a_profile_argument_must_be_a_profile_name_as_the_readers_spell_it(tmp_path, monkeypatch, use, profile):
    # 'Full' would write demo.Full.json, which load_result('demo', 'full') never finds
    folder = tmp_path / "results"
    folder.mkdir()
    monkeypatch.setenv(bench.CACHE_ENV, str(folder))
    with pytest.raises(ValueError, match=rf"profile must be one of \('quick', 'full'\); got '{profile}'"):
        use(folder, profile)
    assert list(folder.iterdir()) == []


def test_a_corrupt_results_file_is_named_with_what_to_do(tmp_path):
    (tmp_path / "demo.json").write_text("{not json")
    with pytest.raises(ValueError, match=r"demo.json is not a valid results file.*benchmarks/demo.py"):
        bench.load_result("demo", results_dir=tmp_path)


@pytest.mark.parametrize("read", [lambda path: bench.find_results("demo", results_dir=path.parent),
                                  lambda path: bench.kept_results(path, "abc1234", "cpu: x"),
                                  lambda path: bench.archive_result(path),
                                  lambda path: bench.set_aside_unless(path, device="cpu: x")],
                         ids=["find_results", "kept_results", "archive_result", "set_aside_unless"])
@pytest.mark.parametrize("text", ["{not json", "[1, 2]"], ids=["not JSON", "not an object"])
def test_every_reader_names_a_corrupt_results_file_and_leaves_it_where_it_is(tmp_path, read, text):
    path = tmp_path / "demo.json"
    path.write_text(text)
    with pytest.raises(ValueError, match=r"demo.json is not a valid results file"):
        read(path)
    assert path.read_text() == text


def test_a_results_file_without_metadata_is_still_shown(tmp_path, capsys):
    (tmp_path / "demo.json").write_text('{"x": 1.0}')
    assert bench.find_result("demo", results_dir=tmp_path) == {"x": 1.0}
    assert "device not recorded" in capsys.readouterr().out


def test_result_table_names_the_keys_a_result_lacks():
    with pytest.raises(KeyError, match=r"no keys \['fd'\]"):
        bench.result_table({"auc": 0.9}, {"auc": "AUC", "fd": "FD"})


def test_show_result_is_the_table_of_the_file_or_none(tmp_path):
    bench.write_result("demo", {"auc": 0.95}, profile="full", results_dir=tmp_path, device="x")
    assert bench.show_result("demo", {"auc": "AUC"}, results_dir=tmp_path)["value"].tolist() == [0.95]
    assert bench.show_result("absent", {"auc": "AUC"}, results_dir=tmp_path) is None


# ------------------------------------------------ earlier runs set aside, not lost

def write_run(folder, name, device, profile="full", **metrics):
    return bench.write_result(name, metrics or {"fd": 1.0}, profile=profile, results_dir=folder, device=device)


def test_archive_result_renames_the_file_by_its_commit_and_device_kind(tmp_path, monkeypatch):
    monkeypatch.setattr(bench, "git_commit", lambda: "fb913b477b8ce71092080531b5b46fade12ab833")
    path = write_run(tmp_path, "demo", "cpu: x86_64 CPU, 2 cores", fd=5.0)
    moved = bench.archive_result(path)
    assert moved == tmp_path / "demo@fb913b4-cpu.json"
    assert not path.exists() and json.loads(moved.read_text())["fd"] == 5.0


def test_archive_result_never_overwrites_an_earlier_archive(tmp_path):
    first = bench.archive_result(write_run(tmp_path, "demo", "cuda: H200", fd=1.0))
    second = bench.archive_result(write_run(tmp_path, "demo", "cuda: H200", fd=2.0))
    assert first != second and second.name.endswith("-2.json")
    assert [json.loads(p.read_text())["fd"] for p in (first, second)] == [1.0, 2.0]


def test_archive_result_keeps_the_profile_in_the_name(tmp_path):
    moved = bench.archive_result(write_run(tmp_path, "demo", "cpu: x", profile="quick"))
    assert moved.name.startswith("demo@") and moved.name.endswith("-cpu.quick.json")


def test_archive_result_without_a_file_does_nothing(tmp_path):
    assert bench.archive_result(tmp_path / "demo.json") is None
    assert list(tmp_path.iterdir()) == []


def test_archive_result_refuses_to_archive_an_archive(tmp_path):
    moved = bench.archive_result(write_run(tmp_path, "demo", "cpu: x"))
    with pytest.raises(ValueError, match="already an archive"):
        bench.archive_result(moved)


def test_find_results_gives_the_current_run_first_then_the_archived_ones(tmp_path, capsys):
    bench.archive_result(write_run(tmp_path, "demo", "cpu: x", fd=5.0))
    write_run(tmp_path, "demo", "cuda: H200", fd=2.0)
    write_run(tmp_path, "demo", "cpu: x", profile="quick", fd=9.0)      # another profile
    write_run(tmp_path, "demo_more", "cpu: x", fd=7.0)                 # another benchmark
    assert [r["fd"] for r in bench.find_results("demo", results_dir=tmp_path)] == [2.0, 5.0]
    out = capsys.readouterr().out
    assert "demo.json: profile full, device cuda: H200" in out and "demo@" in out


def test_find_results_reads_archives_even_without_a_current_file(tmp_path):
    bench.archive_result(write_run(tmp_path, "demo", "cpu: x", fd=5.0))
    assert [r["fd"] for r in bench.find_results("demo", results_dir=tmp_path)] == [5.0]


def test_find_results_of_the_quick_profile_reads_only_quick_files(tmp_path):
    bench.archive_result(write_run(tmp_path, "demo", "cpu: x", profile="quick", fd=9.0))
    write_run(tmp_path, "demo", "cpu: x", fd=5.0)
    assert [r["fd"] for r in bench.find_results("demo", profile="quick", results_dir=tmp_path)] == [9.0]


def test_find_results_without_any_file_says_how_to_produce_one_and_gives_an_empty_list(tmp_path, capsys):
    assert bench.find_results("demo", results_dir=tmp_path) == []
    assert "No full-profile results here" in capsys.readouterr().out


def test_load_benchmark_imports_a_benchmark_without_running_it(tmp_path):
    (tmp_path / "benchmarks").mkdir()
    (tmp_path / "benchmarks" / "tiny.py").write_text("PARAMS = {'a': 1}\ndef main():\n    raise SystemExit('ran')\n")
    module = bench.load_benchmark("tiny", root=tmp_path)
    assert module.PARAMS == {"a": 1} and callable(module.main)


def test_load_benchmark_names_the_benchmarks_there_when_one_is_missing(tmp_path):
    (tmp_path / "benchmarks").mkdir()
    (tmp_path / "benchmarks" / "gan.py").write_text("")
    with pytest.raises(FileNotFoundError, match=r"no benchmark 'gna'.*\['gan'\]"):
        bench.load_benchmark("gna", root=tmp_path)


@pytest.mark.parametrize("bad", ["../gan", "gan.py", ""])
def test_load_benchmark_refuses_a_name_that_is_not_a_benchmark_name(bad, tmp_path):
    with pytest.raises(ValueError, match="benchmark name must be letters, digits and underscores"):
        bench.load_benchmark(bad, root=tmp_path)


def test_kept_results_keeps_earlier_metrics_only_from_the_same_commit_and_device(tmp_path):
    path = tmp_path / "gan_recipes.json"
    for commit, device in (("def", "cuda: H200"), ("abc", "cpu: x86_64")):
        path.write_text(json.dumps({"base_fd": 5.0, "profile": "full", "device": "cuda: H200", "git_commit": "abc"}))
        assert bench.kept_results(path, "abc", "cuda: H200") == {"base_fd": 5.0}
        assert bench.kept_results(path, commit, device) == {}
        path.unlink(missing_ok=True)
    assert bench.kept_results(tmp_path / "absent.json", "abc", "cuda: H200") == {}


def test_kept_results_sets_a_file_from_another_commit_aside_instead_of_dropping_its_metrics(tmp_path):
    path = tmp_path / "gan_recipes.json"
    path.write_text(json.dumps({"ema_fd": 5.4, "profile": "full", "device": "cpu: x86_64", "git_commit": "fb913b4"}))
    assert bench.kept_results(path, "cad2296", "cpu: x86_64") == {}
    assert not path.exists()
    assert json.loads((tmp_path / "gan_recipes@fb913b4-cpu.json").read_text())["ema_fd"] == 5.4


def test_kept_results_compares_with_this_checkout_and_machine_by_default(tmp_path):
    path = tmp_path / "sweep.json"
    path.write_text(json.dumps({"a": 1.0, "profile": "full", "device": bench.device_description(),
                                "git_commit": bench.git_commit()}))
    assert bench.kept_results(path) == {"a": 1.0}


def test_set_aside_unless_moves_only_a_file_whose_metadata_differs_from_what_is_given(tmp_path):
    path = tmp_path / "gan_calibration.json"
    path.write_text(json.dumps({"fd_real_floor": 1.27, "profile": "full", "device": "cpu: x86_64", "git_commit": "abc1234"}))
    assert bench.set_aside_unless(path, device="cpu: x86_64") is None and path.exists()
    moved = bench.set_aside_unless(path, device="cuda: H200")
    assert moved == tmp_path / "gan_calibration@abc1234-cpu.json" and not path.exists()
    assert json.loads(moved.read_text())["fd_real_floor"] == 1.27
    assert bench.set_aside_unless(tmp_path / "absent.json", device="cuda: H200") is None


def test_agreement_says_same_model_when_the_numbers_match():
    text = bench.agreement("The sweep's autoencoder", 0.027561, 0.027561, "autoencoders.json")
    assert text.startswith("The sweep's autoencoder scores 0.02756 and the one of `autoencoders.json` 0.02756:")
    assert "same model" in text and "apart" not in text


def test_agreement_gives_the_gap_when_the_runs_differ():
    text = bench.agreement("The sweep's autoencoder", 0.0303, 0.03, "autoencoders.json")
    assert "1.0% apart" in text and "the two runs differ" in text
    assert "torch release, CPU kernel set or CPU model" in text   # each has moved a committed result
    assert "same model" not in text


def test_agreement_tolerates_only_rounding():
    assert "same model" in bench.agreement("A", 1.0 + 1e-9, 1.0, "x.json")
    assert "apart" in bench.agreement("A", 1.0 + 1e-4, 1.0, "x.json")


@pytest.mark.parametrize("value, reference", [(float("nan"), 1.0), (1.0, None), (True, 1.0), (1.0, 0.0)])
def test_agreement_refuses_what_is_not_a_comparable_number(value, reference):
    with pytest.raises(ValueError, match="must be"):
        bench.agreement("A", value, reference, "x.json")


def test_find_results_of_the_full_profile_ignores_archived_quick_runs(tmp_path):
    bench.archive_result(write_run(tmp_path, "demo", "cpu: x", profile="quick", fd=9.0))   # demo@...quick.json
    write_run(tmp_path, "demo", "cpu: x", fd=5.0)
    assert [r["fd"] for r in bench.find_results("demo", results_dir=tmp_path)] == [5.0]


def test_series_reads_only_keys_that_are_the_prefix_a_number_and_the_suffix():
    r = {"fd_gan_epoch_001": 0.5, "fd_gan_epoch_001_std": 0.1, "fd_gan_epoch_002": 0.4}
    assert bench.series(r, "fd_gan_epoch_") == {1: 0.5, 2: 0.4}


def test_write_image_rounds_intensities_to_the_nearest_grey_level(tmp_path):
    from PIL import Image
    path = bench.write_image("demo_grey", np.full((2, 2), 0.5), profile="full", results_dir=tmp_path)
    assert np.asarray(Image.open(path))[0, 0] == 128          # 127.5 rounds to 128, truncation gives 127


def test_show_image_draws_the_saved_picture_with_its_title_and_row_labels(tmp_path):
    import matplotlib.pyplot as plt

    picture = np.tile(np.linspace(0, 1, 30, dtype=np.float32), (2 * 29 - 1, 1))   # two rows of 28 px
    bench.write_image("demo_pictures", picture, profile="full", results_dir=tmp_path)
    fig = bench.show_image("demo_pictures", "demo", "Full profile: demo", row_labels=["real", "fake"],
                           results_dir=tmp_path)
    ax = fig.axes[0]
    assert ax.get_title() == "Full profile: demo"
    assert [t.get_text() for t in ax.get_yticklabels()] == ["real", "fake"]
    np.testing.assert_allclose(ax.get_images()[0].get_array(), picture, atol=1 / 255)
    plt.close(fig)


def test_a_missing_file_in_the_repository_is_named_by_its_path_in_the_repository(capsys):
    # the site is built in a checkout: its absolute path (/home/.../benchmarks/...) means nothing to a reader
    assert bench.find_image("no_such_picture", "gan") is None
    out = capsys.readouterr().out
    assert str(bench.ROOT) not in out
    assert f"{bench.image_path('no_such_picture', 'full').relative_to(bench.ROOT)} does not exist yet" in out


def test_show_image_without_the_file_says_which_benchmark_saves_it_and_draws_nothing(tmp_path, capsys):
    import matplotlib.pyplot as plt

    open_before = plt.get_fignums()
    assert bench.show_image("gan_samples", "gan", "Full profile: samples", results_dir=tmp_path) is None
    assert "benchmarks/gan.py" in capsys.readouterr().out
    assert plt.get_fignums() == open_before


def test_result_table_shows_a_count_stored_as_an_int_as_an_int():
    table = bench.result_table({"copies": 8, "psnr": 24.96641, "ok": True}, {"psnr": "PSNR", "copies": "copies"})
    assert list(table["value"]) == [24.9664, 8]
    assert type(table["value"].iloc[1]) is int
    assert "8.0" not in table.to_string() and "24.9664" in table.to_string()

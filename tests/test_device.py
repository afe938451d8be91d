"""coursekit.device: device choice, mixed precision, seeding, print_config."""
import contextlib
import os
import random
from types import SimpleNamespace

import numpy as np
import pytest
import torch

from coursekit import device


@pytest.mark.parametrize("cuda, mps, chosen", [(False, False, "cpu"), (True, True, "cuda"), (False, True, "mps")],
                         ids=["cpu when no accelerator", "cuda preferred over mps", "mps on a mac without cuda"])
def test_the_automatic_choice_is_cuda_then_mps_then_the_cpu(monkeypatch, cuda, mps, chosen):
    monkeypatch.delenv("COURSEKIT_DEVICE", raising=False)
    monkeypatch.setattr(torch.cuda, "is_available", lambda: cuda)
    monkeypatch.setattr(device, "_mps_available", lambda: mps)
    assert device.get_device().type == chosen


def test_env_var_overrides_the_device(monkeypatch):
    monkeypatch.setenv("COURSEKIT_DEVICE", "cpu")
    monkeypatch.setattr(torch.cuda, "is_available", lambda: True)
    assert device.get_device() == torch.device("cpu")


@pytest.mark.parametrize("value, expected", [("CPU", "cpu"), (" Cuda ", "cuda"), ("CUDA:0", "cuda:0")])
def test_the_env_var_may_be_in_any_case(monkeypatch, value, expected):
    # as COURSEKIT_PROFILE=Full is: both are typed by hand
    monkeypatch.setattr(torch.cuda, "is_available", lambda: True)
    monkeypatch.setattr(torch.cuda, "device_count", lambda: 1)
    monkeypatch.setenv("COURSEKIT_DEVICE", value)
    assert device.get_device() == torch.device(expected)


@pytest.mark.parametrize("value, why", [("gpu", "is not a device"), ("cuda", "no CUDA GPU")])
def test_an_env_var_naming_no_usable_device_is_named_in_the_error(monkeypatch, value, why):
    monkeypatch.setattr(torch.cuda, "is_available", lambda: False)
    monkeypatch.setenv("COURSEKIT_DEVICE", value)
    with pytest.raises(ValueError, match=rf"COURSEKIT_DEVICE='{value}'.*{why}"):
        device.get_device()


def test_asking_for_a_missing_gpu_is_a_clear_error(monkeypatch):
    monkeypatch.setattr(torch.cuda, "is_available", lambda: False)
    with pytest.raises(ValueError, match="no CUDA GPU"):
        device.get_device("cuda")
    with pytest.raises(ValueError, match="not a device"):
        device.get_device("gpu0")


def test_asking_for_a_gpu_index_this_machine_lacks_is_a_clear_error(monkeypatch):
    monkeypatch.setattr(torch.cuda, "is_available", lambda: True)
    monkeypatch.setattr(torch.cuda, "device_count", lambda: 1)
    assert device.get_device("cuda:0") == torch.device("cuda:0")
    with pytest.raises(ValueError, match="has 1 CUDA GPU: use 'cuda' or 'cuda:0' to 'cuda:0'"):
        device.get_device("cuda:1")


def test_a_device_passed_in_wins_over_the_environment_variable(monkeypatch):
    monkeypatch.setenv("COURSEKIT_DEVICE", "cuda")
    monkeypatch.setattr(torch.cuda, "is_available", lambda: False)
    assert device.get_device(torch.device("cpu")) == torch.device("cpu")


def test_training_on_a_missing_gpu_is_refused_with_the_same_clear_error(monkeypatch):
    from coursekit import latent
    from coursekit.models.autoencoders import ConvAutoencoder

    monkeypatch.setattr(torch.cuda, "is_available", lambda: False)
    with pytest.raises(ValueError, match="no CUDA GPU is available here"):
        latent.train_autoencoder(ConvAutoencoder(2, width=2), torch.rand(8, 1, 28, 28), epochs=1, device="cuda")


def test_a_model_runs_where_its_parameters_are_unless_a_device_is_asked_for(monkeypatch):
    monkeypatch.setattr(torch.cuda, "is_available", lambda: False)
    model = torch.nn.Linear(2, 2)
    assert device.model_device(model) == torch.device("cpu")
    with pytest.raises(ValueError, match="no CUDA GPU"):
        device.model_device(model, "cuda")


def test_a_model_without_parameters_or_buffers_runs_on_the_default_device(monkeypatch):
    monkeypatch.setattr(torch.cuda, "is_available", lambda: False)
    monkeypatch.delenv("COURSEKIT_DEVICE", raising=False)
    assert device.model_device(torch.nn.Flatten()) == torch.device("cpu")
    assert device.model_device(torch.nn.BatchNorm1d(2, affine=False)) == torch.device("cpu")   # buffers only


def test_device_present_knows_the_cpu_the_gpus_there_are_and_mps(monkeypatch):
    monkeypatch.setattr(torch.cuda, "is_available", lambda: True)
    monkeypatch.setattr(torch.cuda, "device_count", lambda: 1)
    monkeypatch.setattr(device, "_mps_available", lambda: False)
    assert device.device_present("cpu") and device.device_present("cuda") and device.device_present("cuda:0")
    assert not device.device_present("cuda:1") and not device.device_present("mps")


@pytest.mark.parametrize("capability, dtype", [((7, 5), torch.float16), ((7, 0), torch.float16),
                                               ((8, 0), torch.bfloat16), ((9, 0), torch.bfloat16)],
                         ids=["T4", "V100", "A100", "H100"])
def test_mixed_precision_is_bfloat16_only_where_the_gpu_computes_it_natively(monkeypatch, capability, dtype):
    # a T4 "supports" bfloat16 by emulation (torch.cuda.is_bf16_supported() is True there), slowly
    monkeypatch.setattr(torch.cuda, "is_bf16_supported", lambda *a, **k: True)
    monkeypatch.setattr(torch.cuda, "get_device_capability", lambda device=None: capability)
    assert device.amp_dtype("cuda") == dtype


def test_autocast_and_scaler_are_no_ops_on_cpu():
    assert device.amp_dtype("cpu") is None
    with device.autocast("cpu"):
        y = torch.ones(2, 2) @ torch.ones(2, 2)
    assert y.dtype == torch.float32
    assert not device.grad_scaler("cpu").is_enabled()


def test_seed_everything_makes_runs_repeat():
    device.seed_everything(7)
    a = (torch.rand(3), np.random.rand(3))
    device.seed_everything(7)
    b = (torch.rand(3), np.random.rand(3))
    assert torch.equal(a[0], b[0]) and np.array_equal(a[1], b[1])


@pytest.mark.parametrize("seed", ["7", 7.0, True, None, -1])
def test_seed_everything_refuses_what_every_seed_argument_refuses(seed):
    # the rule of coursekit.checks.check_seed: an int >= 0
    with pytest.raises(ValueError, match="seed must be an int >= 0"):
        device.seed_everything(seed)


def test_seed_everything_takes_the_numpy_integers_of_a_seed_loop():
    for seed in np.arange(2, 4):                             # np.int64, as `for seed in np.arange(5)` gives
        device.seed_everything(seed)
        a = torch.rand(3)
        device.seed_everything(int(seed))
        assert torch.equal(a, torch.rand(3))


def test_print_config_reports_versions_device_profile_and_data(capsys, monkeypatch):
    monkeypatch.setenv("COURSEKIT_PROFILE", "quick")
    device.print_config()
    out = capsys.readouterr().out
    for word in ("coursekit", "torch", "device:", "profile: quick", "data folder"):
        assert word in out


def test_asking_for_mps_where_it_is_missing_is_a_clear_error(monkeypatch):
    monkeypatch.setattr(device, "_mps_available", lambda: False)
    with pytest.raises(ValueError, match=r"device 'mps' was asked for, but Apple MPS is not available here"):
        device.get_device("mps")


def test_device_present_denies_devices_other_than_the_cpu_cuda_and_mps():
    assert not device.device_present("meta")


def test_a_model_runs_where_its_buffers_are_when_it_has_no_parameters():
    # "meta" holds no data: a device that differs from the default one without a GPU
    assert device.model_device(torch.nn.BatchNorm1d(2, affine=False, device="meta")) == torch.device("meta")


def test_there_is_no_mixed_precision_on_mps():
    assert device.amp_dtype("mps") is None
    assert not device.grad_scaler("mps").is_enabled()


@pytest.mark.filterwarnings("ignore:.*CUDA is not available")   # torch.autocast's, on a machine without a GPU
def test_autocast_disabled_on_cuda_is_a_no_op(monkeypatch):
    monkeypatch.setattr(torch.cuda, "get_device_capability", lambda device=None: (7, 5))
    assert isinstance(device.autocast("cuda", enabled=False), contextlib.nullcontext)
    assert isinstance(device.autocast("cuda"), torch.autocast)


@pytest.mark.parametrize("capability, enabled, scaled", [((7, 5), True, True), ((7, 5), False, False),
                                                         ((8, 0), True, False)],
                         ids=["float16", "float16-disabled", "bfloat16"])
def test_the_loss_scaler_is_on_for_float16_only_and_only_when_enabled(monkeypatch, capability, enabled, scaled):
    monkeypatch.setattr(torch.cuda, "is_available", lambda: True)    # else GradScaler disables itself
    monkeypatch.setattr(torch.cuda, "get_device_capability", lambda device=None: capability)
    assert device.grad_scaler("cuda", enabled=enabled).is_enabled() is scaled


def test_seed_everything_seeds_python_random():
    device.seed_everything(3)
    a = random.random()
    device.seed_everything(3)
    assert random.random() == a


@pytest.mark.parametrize("draw", [lambda: torch.rand(3).tolist(), lambda: np.random.rand(3).tolist()],
                         ids=["torch", "numpy"])
def test_seed_everything_with_different_seeds_draws_differently(draw):
    device.seed_everything(1)
    a = draw()
    device.seed_everything(2)
    assert draw() != a


@pytest.fixture
def restore_determinism(monkeypatch):
    """seed_everything(deterministic=True) changes process-wide settings: put them back after the test."""
    monkeypatch.setenv("CUBLAS_WORKSPACE_CONFIG", "unset-by-test")   # records the variable's state to restore...
    monkeypatch.delenv("CUBLAS_WORKSPACE_CONFIG")                     # ...then unsets it, as a fresh process has it
    monkeypatch.setattr(torch.backends.cudnn, "benchmark", True)
    was = torch.are_deterministic_algorithms_enabled(), torch.is_deterministic_algorithms_warn_only_enabled()
    yield
    torch.use_deterministic_algorithms(was[0], warn_only=was[1])


def test_seed_everything_deterministic_asks_for_deterministic_kernels(restore_determinism):
    device.seed_everything(0, deterministic=True)
    assert torch.are_deterministic_algorithms_enabled() and torch.is_deterministic_algorithms_warn_only_enabled()
    assert torch.backends.cudnn.benchmark is False
    assert os.environ["CUBLAS_WORKSPACE_CONFIG"] == ":4096:8"


def test_seed_everything_without_deterministic_leaves_deterministic_kernels_on(restore_determinism):
    device.seed_everything(0, deterministic=True)
    device.seed_everything(0)
    assert torch.are_deterministic_algorithms_enabled()


def test_config_reports_the_active_profile_and_the_data_folder(monkeypatch, tmp_path):
    monkeypatch.setenv("COURSEKIT_PROFILE", "full")
    monkeypatch.setenv("COURSEKIT_DATA", str(tmp_path))
    c = device.config()
    assert c["profile"] == "full" and c["data_dir"] == str(tmp_path)


def test_config_on_a_gpu_reports_its_name_memory_in_gib_and_mixed_precision(monkeypatch):
    monkeypatch.setenv("COURSEKIT_DEVICE", "cuda:1")
    monkeypatch.setattr(torch.cuda, "is_available", lambda: True)
    monkeypatch.setattr(torch.cuda, "device_count", lambda: 2)
    monkeypatch.setattr(torch.cuda, "get_device_capability", lambda device=None: (7, 5))
    monkeypatch.setattr(torch.cuda, "get_device_properties",
                        lambda device=None: SimpleNamespace(name="Tesla T4", total_memory=15 * 2**30))
    c = device.config()
    assert (c["device"], c["device_name"], c["device_memory_gb"], c["amp"]) == ("cuda:1", "Tesla T4", 15.0, "float16")


@pytest.mark.skipif(not hasattr(os, "sysconf"), reason="the OS reports no physical memory")
def test_config_on_the_cpu_reports_the_cores_and_the_memory(monkeypatch):
    monkeypatch.setenv("COURSEKIT_DEVICE", "cpu")
    c = device.config()
    assert c["device"] == "cpu" and c["amp"] == "off" and f"{os.cpu_count()} cores" in c["device_name"]
    assert c["device_memory_gb"] > 0


def test_print_config_shows_the_device_memory(capsys, monkeypatch):
    facts = dict(python="3.11", torch="2.3", coursekit="0", device="cuda", device_name="Tesla T4",
                 device_memory_gb=15.0, amp="float16", profile="quick", data_dir="d")
    monkeypatch.setattr(device, "config", lambda: facts)
    device.print_config()
    assert "device: cuda (Tesla T4, 15.0 GiB); mixed precision: float16" in capsys.readouterr().out

"""The accelerator code paths: every test runs on the CPU and again on CUDA where a GPU is present.

CI has no GPU, so there these tests check the CPU path only. On a GPU machine, run
``pytest tests/test_gpu.py`` to check what learners on Colab run: training with mixed precision
(bfloat16, or float16 with a loss scaler), batches that live on the GPU, and checkpoints that move
between a GPU and a laptop.
"""
import copy

import pytest
import torch
from torch import nn

from coursekit import classify, data, degrade, device, generative, models, train
from coursekit.models.gan import Discriminator, Generator

DEVICES = ["cpu"] + (["cuda"] if torch.cuda.is_available() else [])
needs_cuda = pytest.mark.skipif(not torch.cuda.is_available(), reason="needs a CUDA GPU")


@pytest.fixture(params=DEVICES)
def dev(request):
    return torch.device(request.param)


def _regression_batches(dev, n=256, batch_size=32):
    """y = 3x - 1 with a little noise: a task a linear layer learns in a few epochs."""
    g = torch.Generator().manual_seed(0)
    x = torch.rand(n, 1, 4, 4, generator=g)
    y = 3 * x.mean((1, 2, 3)) - 1 + 0.01 * torch.randn(n, generator=g)
    return data.DeviceBatches(x, y, batch_size=batch_size, seed=0, device=dev)


def _mse(model, batch):
    x, y = batch
    return nn.functional.mse_loss(model(x).squeeze(1).float(), y)


def _linear():
    torch.manual_seed(0)
    return nn.Sequential(nn.Flatten(), nn.Linear(16, 1))


def test_device_batches_live_on_the_device_and_cover_every_sample_once(dev):
    x = torch.arange(10, dtype=torch.float32).view(10, 1, 1, 1)
    batches = data.DeviceBatches(x, torch.arange(10), batch_size=4, seed=1, device=dev)
    seen = [(xb.device.type, yb.device.type, yb) for xb, yb in batches]
    assert {(a, b) for a, b, _ in seen} == {(dev.type, dev.type)}
    assert sorted(torch.cat([yb for *_, yb in seen]).tolist()) == list(range(10))


def test_device_batches_repeat_their_order_for_the_same_epoch(dev):
    x = torch.arange(10, dtype=torch.float32).view(10, 1, 1, 1)
    batches = data.DeviceBatches(x, torch.arange(10), batch_size=10, seed=1, device=dev)
    batches.set_epoch(3)
    first = next(iter(batches))[1].cpu()
    second = next(iter(batches))[1].cpu()
    batches.set_epoch(4)
    other = next(iter(batches))[1].cpu()
    assert torch.equal(first, second) and not torch.equal(first, other)


def test_fit_learns_on_the_device_with_mixed_precision_where_it_applies(dev):
    model = _linear()
    hist = train.fit(model, _regression_batches(dev), loss_fn=_mse, epochs=15, device=dev,
                     optimizer=torch.optim.Adam(model.parameters(), lr=0.05), progress=False, verbose=False)
    assert hist["train_loss"][-1] < 0.1 * hist["train_loss"][0]
    assert next(model.parameters()).device.type == dev.type
    assert next(model.parameters()).dtype == torch.float32     # autocast leaves the weights in float32


def test_autocast_uses_the_dtype_it_announces(dev):
    expected = device.amp_dtype(dev)
    with device.autocast(dev):
        y = torch.ones(8, 8, device=dev) @ torch.ones(8, 8, device=dev)
    assert y.dtype == (expected or torch.float32)


def test_grad_scaler_is_on_exactly_for_float16(dev):
    assert device.grad_scaler(dev).is_enabled() == (device.amp_dtype(dev) == torch.float16)


def test_a_checkpoint_written_on_the_device_resumes_on_the_cpu(dev, tmp_path):
    ckpt = tmp_path / "run.pt"
    model = _linear()
    opt = torch.optim.Adam(model.parameters(), lr=0.05)
    first = train.fit(model, _regression_batches(dev), loss_fn=_mse, optimizer=opt, epochs=2, device=dev,
                      checkpoint=ckpt, progress=False, verbose=False)
    again = _linear()
    hist = train.fit(again, _regression_batches("cpu"), loss_fn=_mse, epochs=4, device="cpu",
                     optimizer=torch.optim.Adam(again.parameters(), lr=0.05),
                     checkpoint=ckpt, resume=True, progress=False, verbose=False)
    assert hist["epoch"] == [1, 2, 3, 4]
    assert hist["time_s"][:2] == first["time_s"]   # epochs 1-2 came from the checkpoint, not a retraining
    assert next(again.parameters()).device.type == "cpu"


@needs_cuda
def test_a_cpu_checkpoint_resumes_on_the_gpu(tmp_path):
    ckpt = tmp_path / "run.pt"
    model = _linear()
    first = train.fit(model, _regression_batches("cpu"), loss_fn=_mse, epochs=1, device="cpu", checkpoint=ckpt,
                      optimizer=torch.optim.Adam(model.parameters(), lr=0.05), progress=False, verbose=False)
    again = _linear()
    hist = train.fit(again, _regression_batches("cuda"), loss_fn=_mse, epochs=2, device="cuda",
                     optimizer=torch.optim.Adam(again.parameters(), lr=0.05),
                     checkpoint=ckpt, resume=True, progress=False, verbose=False)
    assert hist["epoch"] == [1, 2] and next(again.parameters()).is_cuda
    assert hist["time_s"][:1] == first["time_s"]   # epoch 1 came from the checkpoint


def test_train_classifier_and_evaluate_run_on_the_device(dev, phantom_sets):
    tr, te = phantom_sets
    torch.manual_seed(0)
    model = models.SmallCNN(1, 2, width=8)
    hist = classify.train_classifier(model, tr, te, epochs=2, device=dev, progress=False, verbose=False)
    res = train.evaluate(model, data.DeviceBatches(te.images, te.labels, batch_size=256, shuffle=False,
                                                   device=dev), te.task)
    assert res["auc"] == pytest.approx(hist["val_auc"][hist.best_epoch - 1], abs=1e-4) and res["auc"] > 0.6
    on_cpu = train.evaluate(copy.deepcopy(model).cpu(), data.DeviceBatches(te.images, te.labels, batch_size=256,
                                                                          shuffle=False, device="cpu"), te.task)
    assert res == pytest.approx(on_cpu, abs=1e-4)


@pytest.mark.parametrize("d_steps", [1, 2])
def test_gan_training_and_generation_run_on_the_device_and_samples_come_back_on_the_cpu(dev, d_steps):
    torch.manual_seed(0)
    G, D = Generator(z_dim=8, width=8), Discriminator(width=8)
    images = torch.rand(64, 1, 28, 28)
    hist = generative.train_gan(G, D, images, epochs=1, batch_size=16, d_steps=d_steps, device=dev,
                                progress=False, verbose=False)
    assert len(hist["train_d_loss"]) == 1
    fake = generative.generate(G, 10, seed=0)
    assert fake.device.type == "cpu" and fake.shape == (10, 1, 28, 28)
    assert 0 <= fake.min() and fake.max() <= 1


def test_generated_samples_do_not_depend_on_the_device(dev):
    torch.manual_seed(0)
    G = Generator(z_dim=8, width=8)
    on_cpu = generative.generate(G, 6, seed=3)
    on_dev = generative.generate(G.to(dev), 6, seed=3)
    assert torch.allclose(on_cpu, on_dev, atol=1e-4)      # the noise is drawn on the CPU, then moved


def test_the_generator_average_lives_on_the_device_and_its_samples_come_back_on_the_cpu(dev):
    import copy
    torch.manual_seed(0)
    G, D = Generator(z_dim=8, width=8), Discriminator(width=8)
    G_ema = copy.deepcopy(G)                                  # on the CPU: train_gan moves it
    generative.train_gan(G, D, torch.rand(64, 1, 28, 28), epochs=1, batch_size=32, device=dev, progress=False,
                         verbose=False, ema=G_ema, ema_decay=0.9)
    assert all(p.device.type == dev.type for p in G_ema.parameters())
    fake = generative.generate(G_ema, 4, seed=0)
    assert fake.device.type == "cpu" and torch.isfinite(fake).all()


def test_gate_trace_of_a_model_on_the_device_agrees_with_its_recurrent_layer(dev):
    # on Ampere and later, cuDNN's RNNs use TF32 by default, 1e-4 away from the from-scratch cells
    from coursekit.models import recurrent as R

    torch.manual_seed(0)
    model = R.SliceRNN(width=4, hidden_size=8).to(dev)
    trace = R.gate_trace(model, torch.rand(1, 6, 28, 28))
    assert trace["h"].shape == (6, 8) and next(model.parameters()).device.type == dev.type


def test_degrading_images_on_the_device_keeps_them_there_and_gives_what_the_cpu_gives(dev):
    """A learner's batch on the GPU is degraded on the GPU, with the same seeded noise and masks as on a laptop."""
    x = torch.rand(2, 1, 28, 28, generator=torch.Generator().manual_seed(0))
    mask, boxes = degrade.kspace_mask(28, 4), degrade.box_mask(2, (28, 28), (6, 6))
    made = {
        "gaussian": lambda v: degrade.gaussian_noise(v, 0.1, seed=1),
        "poisson": lambda v: degrade.poisson_noise(v, 50, seed=1),
        "rician": lambda v: degrade.rician_noise(v, 0.1, seed=1),
        "blur": lambda v: degrade.gaussian_blur(v, 1.0),
        "down-up": lambda v: degrade.upsample(degrade.downsample(v, 2), 2),
        "zero-filled": lambda v: degrade.zero_filled(degrade.undersample(v, mask)),
        "fbp": lambda v: degrade.fbp(degrade.sinogram(v, 20), 28),
        "inpaint": lambda v: degrade.inpaint(v, boxes),
    }
    for name, fn in made.items():
        on_dev, on_cpu = fn(x.to(dev)), fn(x)
        assert on_dev.device.type == dev.type, name
        assert torch.allclose(on_dev.cpu(), on_cpu, atol=1e-5), name


def test_classical_restorers_take_a_batch_on_the_device_and_give_it_back_there(dev):
    """The baselines run in NumPy on the CPU; a learner's GPU batch goes in and comes back on the GPU."""
    from coursekit import restore

    x = torch.rand(2, 1, 16, 16, generator=torch.Generator().manual_seed(0))
    for name, fn in {"tv": lambda v: restore.tv(v, 0.1), "nl_means": lambda v: restore.nl_means(v, 0.1),
                     "wiener": lambda v: restore.wiener(v, 1e-2, psf_sigma=1.0)}.items():
        on_dev, on_cpu = fn(x.to(dev)), fn(x)
        assert on_dev.device.type == dev.type, name
        assert torch.equal(on_dev.cpu(), on_cpu), name


@pytest.mark.parametrize("build", [lambda: models.restoration.DnCNN(depth=3, width=8),
                                   lambda: models.restoration.UNet(width=4),
                                   lambda: models.restoration.ESPCN(2, width=8)])
def test_restoration_networks_give_on_the_device_what_they_give_on_the_cpu(dev, build):
    torch.manual_seed(0)
    model = build().eval()
    for p in model.parameters():                  # away from the zero start, so the networks compute something
        p.data.add_(0.05 * torch.randn_like(p))
    x = torch.rand(2, 1, 16, 16, generator=torch.Generator().manual_seed(1))
    with torch.no_grad():
        on_cpu = model(x)
        on_dev = model.to(dev)(x.to(dev))
    assert on_dev.device.type == dev.type
    # cuDNN may compute convolutions in TF32 (a 10-bit mantissa): agreement to about 1e-3, not 1e-6
    assert torch.allclose(on_dev.cpu(), on_cpu, atol=1e-2)


def test_reconstructions_on_the_device_stay_there_and_give_what_the_cpu_gives(dev):
    """Data consistency, the TV step and compressed sensing run in torch, so on a learner's GPU."""
    from coursekit import reconstruct

    x = torch.rand(2, 1, 16, 16, generator=torch.Generator().manual_seed(0))
    mask = degrade.kspace_mask(16, 4)
    k = degrade.undersample(x, mask)
    made = {"data_consistency": lambda v, kk: reconstruct.data_consistency(v, kk, mask).abs(),
            "tv_prox": lambda v, kk: reconstruct.tv_prox(v, 0.1),
            "cs_tv": lambda v, kk: reconstruct.cs_tv(kk, mask, 0.05, iterations=3)}
    for name, fn in made.items():
        on_dev, on_cpu = fn(x.to(dev), k.to(dev)), fn(x, k)
        assert on_dev.device.type == dev.type, name
        assert torch.allclose(on_dev.cpu(), on_cpu, atol=1e-5), name


def test_the_mri_cascade_gives_on_the_device_what_it_gives_on_the_cpu(dev):
    from coursekit import reconstruct
    from coursekit.models.reconstruction import MRICascade

    mask = degrade.kspace_mask(16, 4)
    torch.manual_seed(0)
    model = MRICascade(mask, cascades=2, width=8).eval()
    for p in model.parameters():                  # away from the zero start
        p.data.add_(0.05 * torch.randn_like(p))
    x = torch.rand(2, 1, 16, 16, generator=torch.Generator().manual_seed(1))
    inputs = reconstruct.to_channels(degrade.image_from_kspace(degrade.undersample(x, mask)))
    with torch.no_grad():
        on_cpu = model(inputs)
        on_dev = model.to(dev)(inputs.to(dev))
    assert on_dev.device.type == dev.type
    assert torch.allclose(on_dev.cpu(), on_cpu, atol=1e-2)   # TF32 convolutions on a GPU

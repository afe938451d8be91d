"""coursekit.models.gan: DCGAN generators and discriminators for 28 px images."""
import pytest
import torch
from torch import nn

from coursekit import gan, train
from coursekit.models.gan import ConditionalDiscriminator, ConditionalGenerator, Discriminator, Generator


@pytest.mark.parametrize("channels", [1, 3])
def test_generator_maps_noise_to_28px_images_in_the_unit_range(channels):
    G = Generator(z_dim=16, channels=channels, width=8)
    with torch.no_grad():
        x = G(torch.randn(5, 16))
    assert x.shape == (5, channels, 28, 28) and x.dtype == torch.float32
    assert float(x.min()) >= 0.0 and float(x.max()) <= 1.0


@pytest.mark.parametrize("channels", [1, 3])
@pytest.mark.parametrize("spectral_norm", [False, True])
def test_discriminator_returns_one_logit_per_image(channels, spectral_norm):
    D = Discriminator(channels=channels, width=8, spectral_norm=spectral_norm)
    assert D(torch.rand(4, channels, 28, 28)).shape == (4,)


def test_spectral_norm_replaces_batch_norm_and_bounds_the_layer_gain():
    D = Discriminator(channels=1, width=8, spectral_norm=True)
    assert not any(isinstance(m, nn.BatchNorm2d) for m in D.modules())
    D.train()
    for _ in range(20):                               # power iterations run in train-mode forwards
        D(torch.rand(2, 1, 28, 28))
    w = D.head.weight                                 # the normalised weight, (1, d)
    assert torch.linalg.matrix_norm(w, ord=2).item() == pytest.approx(1.0, abs=1e-3)


def test_discriminators_are_spectrally_normalised_by_default():
    for D in (Discriminator(channels=1, width=8), ConditionalDiscriminator(n_classes=3, width=8)):
        assert D.spectral_norm and not any(isinstance(m, nn.BatchNorm2d) for m in D.modules())
        assert all(nn.utils.parametrize.is_parametrized(m, "weight")
                   for m in D.modules() if isinstance(m, (nn.Conv2d, nn.Linear)))


def test_without_spectral_norm_the_discriminator_uses_batch_norm():
    D = Discriminator(channels=1, width=8, spectral_norm=False)
    assert any(isinstance(m, nn.BatchNorm2d) for m in D.modules())
    assert not any(nn.utils.parametrize.is_parametrized(m) for m in D.modules())


def test_generator_has_a_convolution_at_every_scale_and_no_transposed_convolution():
    """Upsampling then a 3x3 convolution, not a stride-2 transposed convolution (no checkerboard)."""
    G = Generator(z_dim=8, width=8)
    sizes = []
    hooks = [m.register_forward_hook(lambda m, i, o: sizes.append(o.shape[-1]))
             for m in G.modules() if isinstance(m, nn.Conv2d)]
    G.eval()(torch.randn(2, 8))
    for h in hooks:
        h.remove()
    assert sizes == [7, 14, 28, 28]
    assert not any(isinstance(m, nn.ConvTranspose2d) for m in G.modules())


def test_models_reject_a_width_too_small_for_the_28px_layer():
    with pytest.raises(ValueError, match="width"):
        Generator(width=1)
    with pytest.raises(ValueError, match="width"):
        Discriminator(width=1)


def test_discriminator_rejects_images_of_the_wrong_size():
    with pytest.raises(ValueError, match=r"\(N, 1, 28, 28\)"):
        Discriminator(channels=1, width=8)(torch.rand(2, 1, 32, 32))


def test_generator_rejects_noise_of_the_wrong_size():
    with pytest.raises(ValueError, match=r"\(N, 16\)"):
        Generator(z_dim=16, width=8)(torch.randn(3, 8))


def test_models_reject_channel_counts_other_than_1_or_3():
    with pytest.raises(ValueError, match="channels"):
        Generator(channels=2)
    with pytest.raises(ValueError, match="channels"):
        Discriminator(channels=4)


def test_conditional_generator_output_depends_on_the_label():
    torch.manual_seed(0)
    G = ConditionalGenerator(z_dim=8, n_classes=3, width=8).eval()
    z = torch.randn(1, 8).expand(3, 8)
    x = G(z, torch.tensor([0, 1, 2]))
    assert x.shape == (3, 1, 28, 28)
    assert not torch.allclose(x[0], x[1]) and not torch.allclose(x[1], x[2])


@pytest.mark.parametrize("conditioning", ["projection", "concat"])
@pytest.mark.parametrize("spectral_norm", [False, True])
def test_conditional_discriminator_logit_depends_on_the_label(conditioning, spectral_norm):
    torch.manual_seed(0)
    D = ConditionalDiscriminator(channels=3, n_classes=4, width=8, conditioning=conditioning,
                                 spectral_norm=spectral_norm).eval()
    x = torch.rand(1, 3, 28, 28).expand(4, 3, 28, 28)
    logits = D(x, torch.arange(4))
    assert logits.shape == (4,)
    assert logits.unique().numel() == 4


def test_conditional_models_reject_float_or_out_of_range_labels():
    G = ConditionalGenerator(z_dim=8, n_classes=3, width=8)
    D = ConditionalDiscriminator(n_classes=3, width=8)
    with pytest.raises(TypeError, match="int64"):
        G(torch.randn(2, 8), torch.tensor([0.0, 1.0]))
    with pytest.raises(ValueError, match=r"\[0, 3\)"):
        D(torch.rand(2, 1, 28, 28), torch.tensor([0, 3]))


def test_conditional_discriminator_rejects_an_unknown_conditioning():
    with pytest.raises(ValueError, match="projection"):
        ConditionalDiscriminator(n_classes=3, conditioning="film")


def test_one_gan_step_through_fit_changes_both_networks_and_resumes_exactly(tmp_path):
    """The models plug into coursekit.gan.gan_step and coursekit.train.fit; an
    interrupted run resumed from its checkpoint ends with the same weights."""
    def run(epochs, path):
        torch.manual_seed(0)
        G, D = ConditionalGenerator(z_dim=8, n_classes=2, width=4), ConditionalDiscriminator(n_classes=2, width=4)
        opt_g = torch.optim.Adam(G.parameters(), 2e-4, betas=(0.5, 0.999))
        opt_d = torch.optim.Adam(D.parameters(), 2e-4, betas=(0.5, 0.999))
        x, y = torch.rand(32, 1, 28, 28), torch.arange(32) % 2
        batches = [(x[:16], y[:16]), (x[16:], y[16:])]
        step = gan.gan_step(G, D, opt_g, opt_d, z_dim=8, n_classes=2)
        model = nn.ModuleDict({"G": G, "D": D})
        hist = train.fit(model, batches, step_fn=step, optimizer={"G": opt_g, "D": opt_d}, epochs=epochs,
                         checkpoint=path, resume=True, device="cpu", progress=False, verbose=False)
        return model, hist

    straight, hist = run(2, tmp_path / "a.pt")
    assert {"train_d_loss", "train_g_loss", "train_d_real", "train_d_fake"} <= set(hist)
    _, first = run(1, tmp_path / "b.pt")
    resumed, hist_resumed = run(2, tmp_path / "b.pt")
    assert hist_resumed["time_s"][:1] == first["time_s"]   # epoch 1 came from the checkpoint
    for (name, a), b in zip(straight.state_dict().items(), resumed.state_dict().values()):
        assert torch.equal(a, b), name
    torch.manual_seed(0)                                      # the starting weights, built as run() builds them
    fresh = nn.ModuleDict({"G": ConditionalGenerator(z_dim=8, n_classes=2, width=4),
                           "D": ConditionalDiscriminator(n_classes=2, width=4)})
    for name in ("G", "D"):     # parameters, not buffers: spectral norm's power iteration moves those anyway
        assert any(not torch.equal(a, b) for a, b in zip(fresh[name].parameters(), straight[name].parameters())), name

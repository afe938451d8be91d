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


def test_generator_and_discriminator_start_from_the_dcgan_initialisation():
    """Conv and linear weights ~ N(0, 0.02), biases 0, batch-norm scales ~ N(1, 0.02)."""
    torch.manual_seed(0)
    for model in (Generator(z_dim=16, width=16), Discriminator(width=16, spectral_norm=False)):
        layers = [m for m in model.modules() if isinstance(m, (nn.Conv2d, nn.Linear))]
        weights = torch.cat([m.weight.detach().flatten() for m in layers])
        assert float(weights.mean()) == pytest.approx(0.0, abs=2e-3)
        assert float(weights.std()) == pytest.approx(0.02, rel=0.05)
        assert all(not m.bias.any() for m in layers if m.bias is not None)
        norms = [m for m in model.modules() if isinstance(m, (nn.BatchNorm1d, nn.BatchNorm2d))]
        scales = torch.cat([m.weight.detach() for m in norms])
        assert float(scales.mean()) == pytest.approx(1.0, abs=5e-3)
        assert 0.01 < float(scales.std()) < 0.03                  # N(1, 0.02), not torch's constant 1
        assert all(not m.bias.any() for m in norms)


def test_the_projection_discriminator_adds_the_label_embedding_dotted_with_the_features():
    """logit = head(h) + embed(y) . h, with h = features(x)."""
    torch.manual_seed(0)
    D = ConditionalDiscriminator(n_classes=3, width=8).eval()
    nn.init.normal_(D.embed.weight, 0.0, 1.0)      # a label term as large as the head's, so that a mean would show
    x, y = torch.rand(4, 1, 28, 28), torch.tensor([0, 1, 2, 1])
    with torch.no_grad():
        h = D.features(x)
        expected = D.head(h).squeeze(1) + (D.embed(y) * h).sum(dim=1)
        assert torch.allclose(D(x, y), expected, atol=1e-5)


def test_discriminator_returns_a_logit_vector_also_for_a_batch_of_one():
    assert Discriminator(width=8)(torch.rand(1, 1, 28, 28)).shape == (1,)


def test_generator_refuses_integer_noise():
    with pytest.raises(ValueError, match=r"float tensor of shape \(N, 4\); got shape \(2, 4\), dtype torch\.int64"):
        Generator(z_dim=4, width=4)(torch.randint(0, 2, (2, 4)))


def test_conditional_generator_names_its_own_z_dim_when_the_noise_has_another_size():
    with pytest.raises(ValueError, match=r"\(N, 8\); got \(2, 9\)"):
        ConditionalGenerator(z_dim=8, n_classes=3, width=4)(torch.randn(2, 9), torch.tensor([0, 1]))


@pytest.mark.parametrize("make, name", [(lambda: Generator(z_dim=0), "z_dim"),
                                        (lambda: ConditionalGenerator(embed_dim=0), "embed_dim"),
                                        (lambda: ConditionalGenerator(n_classes=0), "n_classes"),
                                        (lambda: ConditionalDiscriminator(n_classes=0), "n_classes")])
def test_gan_models_refuse_sizes_that_are_not_positive_ints(make, name):
    with pytest.raises(ValueError, match=f"{name} must be a positive int"):
        make()


def test_conditional_models_refuse_a_negative_label():
    G = ConditionalGenerator(z_dim=8, n_classes=3, width=4)
    D = ConditionalDiscriminator(n_classes=3, width=4, conditioning="concat")
    with pytest.raises(ValueError, match=r"labels must lie in \[0, 3\); got min -1"):
        G(torch.randn(2, 8), torch.tensor([0, -1]))
    with pytest.raises(ValueError, match=r"labels must lie in \[0, 3\); got min -1"):
        D(torch.rand(2, 1, 28, 28), torch.tensor([-1, 0]))


def test_conditional_models_refuse_a_label_count_other_than_the_batch_size():
    with pytest.raises(ValueError, match="y has 3 labels for a batch of 2"):
        ConditionalGenerator(z_dim=8, n_classes=3, width=4)(torch.randn(2, 8), torch.tensor([0, 1, 2]))
    with pytest.raises(ValueError, match="y has 1 labels for a batch of 2"):
        ConditionalDiscriminator(n_classes=3, width=4)(torch.rand(2, 1, 28, 28), torch.tensor([0]))


def test_conditional_models_refuse_labels_of_shape_n_1():
    with pytest.raises(TypeError, match=r"int64 tensor of shape \(N,\); got tensor of shape \(2, 1\)"):
        ConditionalGenerator(z_dim=8, n_classes=3, width=4)(torch.randn(2, 8), torch.tensor([[0], [1]]))


def test_discriminator_refuses_uint8_images_and_says_divide_by_255():
    with pytest.raises(TypeError, match="Divide uint8 images by 255"):
        Discriminator(width=4)(torch.zeros(2, 1, 28, 28, dtype=torch.uint8))


def test_conditional_generator_makes_images_of_its_channel_count():
    G = ConditionalGenerator(z_dim=8, n_classes=3, channels=3, width=4)
    assert G(torch.randn(2, 8), torch.tensor([0, 2])).shape == (2, 3, 28, 28)


def test_generator_and_discriminator_parameter_counts_follow_the_architecture():
    """Bias-free convolutions and projection wherever batch norm follows; none on the discriminator's first layer."""
    z, w = 8, 8
    generator = (z * 2 * w * 49 + 2 * 2 * w * 49                               # projection, batch norm 1d
                 + sum(9 * a * b + 2 * b for a, b in [(2 * w, 2 * w), (2 * w, w), (w, w // 2)])
                 + 9 * (w // 2) + 1)                                          # last convolution, with its bias
    assert sum(p.numel() for p in Generator(z_dim=z, width=w).parameters()) == generator
    discriminator = (9 * (w // 2) + w // 2                                    # first convolution, bias, no norm
                     + sum(k * k * a * b + 2 * b for k, a, b in
                           [(4, w // 2, w), (3, w, w), (4, w, 2 * w), (3, 2 * w, 2 * w)])
                     + 2 * w * 49 + 1)                                        # linear head
    assert sum(p.numel() for p in Discriminator(width=w, spectral_norm=False).parameters()) == discriminator


def test_discriminator_uses_leaky_relu_with_slope_0_1_and_generator_plain_relu():
    D, G = Discriminator(width=4), Generator(z_dim=4, width=4)
    assert {m.negative_slope for m in D.modules() if isinstance(m, nn.LeakyReLU)} == {0.1}
    assert not any(isinstance(m, nn.LeakyReLU) for m in G.modules())
    assert any(isinstance(m, nn.ReLU) for m in G.modules())

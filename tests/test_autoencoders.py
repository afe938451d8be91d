"""coursekit.models.autoencoders and coursekit.latent: shapes, formulas, baselines, widget."""

import numpy as np
import pytest
import torch

from coursekit import degrade, latent, metrics
from coursekit.models.autoencoders import (ConvAutoencoder, ConvVAE, kl_divergence, reconstruction_error,
                                           reparameterize, vae_loss)
from image_helpers import needs_data

needs_organamnist = needs_data("organamnist.npz")
needs_pneumonia = needs_data("pneumoniamnist.npz")


@pytest.fixture(autouse=True)
def seeded():
    torch.manual_seed(0)


def blobs(n=64, size=28, seed=0):
    """Images in [0, 1] made of one Gaussian blob each: a 2-parameter family (the centre)."""
    g = torch.Generator().manual_seed(seed)
    centre = 7 + 14 * torch.rand(n, 2, 1, 1, generator=g)
    r = torch.arange(size, dtype=torch.float32)
    d2 = (r.view(1, size, 1) - centre[:, 0]) ** 2 + (r.view(1, 1, size) - centre[:, 1]) ** 2
    return torch.exp(-d2 / (2 * 3.0**2)).unsqueeze(1)


# ------------------------------------------------------------------ models

@pytest.mark.parametrize("latent_dim, channels, size", [(16, 1, 28), (2, 3, 32)])
def test_autoencoder_maps_images_to_codes_and_back_in_unit_range(latent_dim, channels, size):
    model = ConvAutoencoder(latent_dim, in_channels=channels, width=8, size=size)
    x = torch.rand(5, channels, size, size)
    with torch.no_grad():
        z = model.encode(x)
        y = model.decode(z)
    assert z.shape == (5, latent_dim)
    assert y.shape == x.shape and y.dtype == torch.float32
    assert 0 <= float(y.min()) and float(y.max()) <= 1


@pytest.mark.parametrize("kwargs", [dict(latent_dim=0), dict(width=True), dict(in_channels=1.0)])
def test_autoencoder_refuses_sizes_that_are_not_positive_ints(kwargs):
    with pytest.raises(ValueError, match=f"{next(iter(kwargs))} must be a positive int"):
        ConvAutoencoder(**kwargs)


def test_autoencoder_rejects_sizes_it_cannot_halve_twice():
    with pytest.raises(ValueError, match="multiples of 4"):
        ConvAutoencoder(4, width=4)(torch.rand(2, 1, 30, 30))
    with pytest.raises(ValueError, match=r"\(N, 1, H, W\)"):
        ConvAutoencoder(4, width=4)(torch.rand(2, 3, 28, 28))


def test_vae_samples_in_training_mode_and_decodes_the_mean_in_eval_mode():
    model = ConvVAE(4, width=4)
    x = torch.rand(3, 1, 28, 28)
    model.train()
    a, mu, logvar = model(x)
    b, _, _ = model(x)
    assert mu.shape == logvar.shape == (3, 4)
    assert not torch.equal(a, b)
    model.eval()
    c, mu, _ = model(x)
    assert torch.equal(c, model(x)[0]) and torch.allclose(c, model.decode(mu))


def test_vae_prior_samples_have_image_shape():
    model = ConvVAE(4, width=4)
    s = model.sample(6, torch.Generator().manual_seed(0))
    assert s.shape == (6, 1, 28, 28) and 0 <= float(s.min()) and float(s.max()) <= 1


def test_autoencoder_rejects_images_whose_width_alone_is_not_a_multiple_of_4():
    with pytest.raises(ValueError, match=r"multiples of 4; got \(28, 30\)"):
        ConvAutoencoder(4, width=4)(torch.rand(2, 1, 28, 30))


@pytest.mark.parametrize("size", [0, 30, 28.0])
def test_autoencoder_refuses_a_size_that_is_not_a_positive_multiple_of_4(size):
    with pytest.raises(ValueError, match="size must be a positive multiple of 4"):
        ConvAutoencoder(4, width=4, size=size)


def test_vae_refuses_latent_dim_none():
    with pytest.raises(ValueError, match="ConvVAE needs an int latent_dim"):
        ConvVAE(None, width=4)


def test_decode_refuses_codes_of_another_size_and_names_latent_dim():
    with pytest.raises(ValueError, match=r"codes of shape \(N, 4\); got \(2, 5\)"):
        ConvAutoencoder(4, width=4).decode(torch.randn(2, 5))


def test_vae_training_forward_decodes_mu_plus_sigma_times_standard_normal_noise():
    model = ConvVAE(4, width=4).train()
    model.decode = lambda z: z                    # forward then returns the code it decoded
    with torch.no_grad():
        z, mu, logvar = model(torch.rand(2000, 1, 28, 28))   # 8,000 draws: the mean's SE is 0.011
    eps = (z - mu) / (0.5 * logvar).exp()
    assert float(eps.mean()) == pytest.approx(0.0, abs=0.05)
    assert float(eps.std()) == pytest.approx(1.0, abs=0.05)


def test_vae_prior_samples_decode_standard_normal_codes():
    model = ConvVAE(4, width=4)
    model.decode = lambda z: z
    z = model.sample(4000, torch.Generator().manual_seed(0))
    assert z.shape == (4000, 4)
    assert float(z.mean()) == pytest.approx(0.0, abs=0.03) and float(z.std()) == pytest.approx(1.0, abs=0.03)


def test_vae_prior_samples_repeat_for_one_generator_seed():
    model = ConvVAE(4, width=4).eval()
    a, b, c = (model.sample(3, torch.Generator().manual_seed(s)) for s in (1, 1, 2))
    assert torch.equal(a, b) and not torch.equal(a, c)

# ------------------------------------------------------------- VAE formulas

def test_reparameterize_uses_the_standard_deviation_exp_half_logvar():
    mu, logvar, eps = torch.tensor([[1.0]]), torch.tensor([[np.log(4.0)]]), torch.tensor([[1.0]])
    assert reparameterize(mu, logvar, eps).item() == pytest.approx(3.0)   # 1 + sqrt(4) * 1


def test_reparameterized_samples_have_the_requested_mean_and_variance():
    mu, logvar = torch.full((200_000, 1), 2.0), torch.full((200_000, 1), np.log(0.25))
    z = reparameterize(mu, logvar, torch.randn_like(mu))
    assert z.mean().item() == pytest.approx(2.0, abs=0.01)
    assert z.var().item() == pytest.approx(0.25, rel=0.02)


def test_kl_divergence_matches_torch_distributions_summed_over_dims_mean_over_batch():
    mu, logvar = torch.randn(6, 5, dtype=torch.float64), torch.randn(6, 5, dtype=torch.float64)
    q = torch.distributions.Normal(mu, (0.5 * logvar).exp())
    p = torch.distributions.Normal(torch.zeros_like(mu), torch.ones_like(mu))
    expected = torch.distributions.kl_divergence(q, p).sum(1).mean()
    assert torch.allclose(kl_divergence(mu, logvar), expected)


def test_kl_divergence_is_zero_exactly_at_the_prior():
    assert kl_divergence(torch.zeros(3, 4), torch.zeros(3, 4)).item() == 0.0


def test_vae_loss_is_summed_squared_error_plus_beta_kl():
    x, x_hat = torch.rand(4, 1, 5, 5, dtype=torch.float64), torch.rand(4, 1, 5, 5, dtype=torch.float64)
    mu, logvar = torch.randn(4, 3, dtype=torch.float64), torch.randn(4, 3, dtype=torch.float64)
    sse = ((x_hat - x) ** 2).sum() / 4
    assert torch.allclose(reconstruction_error(x_hat, x).mean(), sse)
    assert torch.allclose(vae_loss(x_hat, x, mu, logvar, beta=0.1), sse + 0.1 * kl_divergence(mu, logvar))


def test_vae_loss_weights_the_kl_term_by_one_by_default():
    x, x_hat = torch.rand(4, 1, 5, 5, dtype=torch.float64), torch.rand(4, 1, 5, 5, dtype=torch.float64)
    mu, logvar = torch.randn(4, 3, dtype=torch.float64), torch.randn(4, 3, dtype=torch.float64)
    assert torch.allclose(vae_loss(x_hat, x, mu, logvar), vae_loss(x_hat, x, mu, logvar, beta=1.0))
    assert not torch.allclose(vae_loss(x_hat, x, mu, logvar), vae_loss(x_hat, x, mu, logvar, beta=0.5))

# ------------------------------------------------------------- training

def test_training_an_autoencoder_lowers_the_reconstruction_error():
    x = blobs(128)
    model = ConvAutoencoder(2, width=8)
    before = float(metrics.mse(latent.reconstruct(model, x), x))
    latent.train_autoencoder(model, x, kind="ae", epochs=6, batch_size=16, lr=3e-3, device="cpu",
                             progress=False, verbose=False)
    after = float(metrics.mse(latent.reconstruct(model, x), x))
    assert after < 0.5 * before


def test_reconstruction_errors_take_a_model_output_that_tracks_gradients():
    x = blobs(4)
    errors = latent.reconstruction_errors(ConvAutoencoder(2, width=4)(x), x)
    assert errors.shape == (4,) and np.isfinite(errors).all()


@pytest.mark.parametrize("method, strength", [("gaussian", -1.0), ("tv", 0.0), ("tv", -0.1)])
def test_classical_denoise_refuses_a_strength_it_cannot_use(method, strength):
    with pytest.raises(ValueError, match="strength"):
        latent.classical_denoise(torch.rand(1, 1, 8, 8), method, strength)


def test_classical_denoise_refuses_0_255_images_that_clipping_would_turn_white():
    # clipped to [0, 1], a filtered 0-255 image came back as all ones, with no error
    with pytest.raises(ValueError, match="255"):
        latent.classical_denoise(torch.rand(2, 1, 8, 8) * 255, "gaussian", 1.0)


def test_classical_denoise_with_gaussian_sigma_0_leaves_the_image_as_it_is():
    x = torch.rand(1, 1, 8, 8)
    assert torch.allclose(latent.classical_denoise(x, "gaussian", 0.0), x)


def test_tune_classical_refuses_an_empty_list_of_strengths():
    x = torch.rand(1, 1, 8, 8)
    with pytest.raises(ValueError, match="strengths is empty"):
        latent.tune_classical(x, x, "tv", [])


def test_autoencoder_runs_on_other_images_of_the_same_size_get_other_checkpoints(tmp_path):
    x = blobs(16)
    for images in (x, x.flip(-1)):   # e.g. fallback phantoms, then the real files
        latent.train_autoencoder(ConvAutoencoder(2, width=4), images, kind="ae", epochs=1, batch_size=8,
                                 device="cpu", checkpoint=tmp_path / "ae.pt", progress=False, verbose=False)
    assert len(list(tmp_path.glob("ae-*.pt"))) == 2


def test_train_autoencoder_refuses_0_255_images():
    with pytest.raises(ValueError, match="Divide by 255"):
        latent.train_autoencoder(ConvAutoencoder(2, width=4), 255 * blobs(8), kind="ae", epochs=1)


def test_autoencoder_built_for_28_pixels_names_its_size_when_given_64():
    with pytest.raises(ValueError, match=r"built for 28x28 images \(size=28\); got 64x64"):
        ConvAutoencoder(2, width=4).encode(torch.rand(2, 1, 64, 64))
    with pytest.raises(ValueError, match="built for 28x28"):
        ConvVAE(2, width=4).encode(torch.rand(2, 1, 64, 64))


def test_spatial_autoencoder_names_its_size_when_given_32_pixels():
    """Without the check, encode passed and decode failed on "codes of shape (N, 392); got (2, 512)"."""
    with pytest.raises(ValueError, match=r"built for 28x28 images \(size=28\); got 32x32"):
        ConvAutoencoder(None, width=4)(torch.rand(2, 1, 32, 32))


@pytest.mark.parametrize("cls", [ConvAutoencoder, ConvVAE])
def test_autoencoders_refuse_uint8_images_and_say_divide_by_255(cls):
    x = (255 * blobs(2)).to(torch.uint8)
    with pytest.raises(TypeError, match=r"float32 in \[0, 1\]\); got dtype torch\.uint8\. Divide uint8 images by 255"):
        cls(2, width=4)(x)


@pytest.mark.parametrize("cls", [ConvAutoencoder, ConvVAE])
def test_autoencoders_refuse_float64_images_and_say_x_float(cls):
    with pytest.raises(TypeError, match=r"expected float32, the dtype of the model's weights; got float64.*x\.float\(\)"):
        cls(2, width=4)(blobs(2).double())


def test_train_autoencoder_refuses_a_plain_autoencoder_for_kind_vae():
    with pytest.raises(TypeError, match="ConvVAE"):
        latent.train_autoencoder(ConvAutoencoder(2, width=4), blobs(8), kind="vae", epochs=1)


def test_vae_training_records_validation_mse_and_restores_the_best_epoch(tmp_path):
    x = blobs(64)
    model = ConvVAE(2, width=4)
    h = latent.train_autoencoder(model, x, kind="vae", epochs=2, val_images=x[:16], beta=0.1,
                                 batch_size=16, device="cpu", checkpoint=tmp_path / "vae.pt",
                                 progress=False, verbose=False)
    assert len(h["val_mse"]) == 2 and "train_mse" in h and len(list(tmp_path.glob("vae-*.pt"))) == 1
    assert h.best_epoch == 1 + int(np.argmin(h["val_mse"]))
    restored = float(metrics.mse(latent.reconstruct(model, x[:16]), x[:16]))
    assert restored == pytest.approx(min(h["val_mse"]), rel=1e-5)


DEVICES = ["cpu"] + (["cuda"] if torch.cuda.is_available() else [])


@pytest.mark.parametrize("dev", DEVICES)
def test_vae_outputs_are_the_eval_mode_forward_pass_returned_on_the_cpu(dev):
    model = ConvVAE(3, width=4).to(dev)   # where training leaves it; the images stay on the CPU
    x = blobs(10)
    x_hat, mu, logvar = latent.vae_outputs(model, x, batch_size=4)
    assert model.training                  # its mode is left as it was
    model.eval()
    with torch.no_grad():
        expected = [t.cpu() for t in model(x.to(dev))]
    for got, want in zip((x_hat, mu, logvar), expected):
        assert got.device.type == "cpu" and torch.allclose(got, want, atol=1e-5)
    assert x_hat.shape == x.shape and mu.shape == logvar.shape == (10, 3)


def test_vae_outputs_refuses_a_plain_autoencoder():
    with pytest.raises(TypeError, match="reconstruct"):
        latent.vae_outputs(ConvAutoencoder(2, width=4), blobs(4))


@pytest.mark.parametrize("dev", DEVICES)
def test_decode_makes_cpu_images_of_codes_given_as_arrays_or_tensors(dev):
    model = ConvVAE(3, width=4).to(dev).eval()
    codes = latent.encode(model, blobs(6))                    # (6, 3) float64 numpy
    images = latent.decode(model, codes, batch_size=4)
    assert images.device.type == "cpu" and images.shape == (6, 1, 28, 28)
    assert torch.allclose(images, latent.reconstruct(model, blobs(6)), atol=1e-5)   # a VAE decodes mu
    assert torch.equal(images, latent.decode(model, torch.from_numpy(codes), batch_size=4))


# ------------------------------------------------------------ PCA baseline

def test_pca_reconstruction_is_exact_with_all_components_and_clipped_to_unit_range():
    x = torch.rand(20, 1, 4, 4)
    pca = latent.fit_pca(x, 16)
    assert torch.allclose(latent.pca_reconstruct(pca, x, clip=False), x, atol=1e-5)
    low = latent.pca_reconstruct(latent.fit_pca(x, 2), x)
    assert low.shape == x.shape and float(low.min()) >= 0 and float(low.max()) <= 1


def test_pca_codes_have_the_latent_size():
    x = blobs(30)
    assert latent.pca_codes(latent.fit_pca(x, 5), x).shape == (30, 5)


def test_fit_pca_rejects_more_components_than_pixels():
    # coursekit's own message: scikit-learn's refusal of 17 components also says "n_components"
    with pytest.raises(ValueError, match=r"n_components must be an int between 1 and min\(N, C\*H\*W\); got 17"):
        latent.fit_pca(torch.rand(50, 1, 4, 4), 17)


def test_pca_error_curve_equals_a_separate_pca_fit_at_every_k():
    train, test = blobs(80, seed=1), blobs(40, seed=2)
    curve = latent.pca_error_curve(train, test, [8, 2, 4])
    assert list(curve) == [2, 4, 8]
    for k, err in curve.items():
        alone = latent.pca_reconstruct(latent.fit_pca(train, k), test)
        assert err == pytest.approx(float(metrics.mse(alone, test)), rel=1e-4)


def test_pca_error_falls_with_more_components():
    curve = latent.pca_error_curve(blobs(80, seed=1), blobs(40, seed=2), [1, 2, 4, 8, 16])
    errors = list(curve.values())
    assert all(a > b for a, b in zip(errors, errors[1:]))


def test_pca_error_curve_names_ks_when_one_is_more_than_the_training_images_allow():
    with pytest.raises(ValueError, match=r"ks: at most 20 components.*20 training images.*got 100"):
        latent.pca_error_curve(blobs(20), blobs(10), [1, 100])


def test_pca_error_curve_rejects_images_of_another_shape():
    with pytest.raises(ValueError, match="same shape"):
        latent.pca_error_curve(blobs(20), blobs(20, size=32), [2])


def test_components_to_reach_is_the_smallest_k_at_or_below_the_error():
    curve = {1: 0.5, 2: 0.3, 4: 0.2, 8: 0.1}
    assert latent.components_to_reach(curve, 0.3) == 2
    assert latent.components_to_reach(curve, 0.25) == 4
    assert latent.components_to_reach(curve, 0.05) is None


def test_components_bracket_runs_from_past_the_grid_point_that_falls_short_to_the_one_that_gets_there():
    curve = {1: 0.5, 2: 0.3, 4: 0.2, 8: 0.1, 16: 0.05}
    assert latent.components_bracket(curve, 0.15) == (5, 8)     # 4 falls short, 8 gets there: 5, 6, 7 or 8
    assert latent.components_bracket(curve, 0.3) == (2, 2)      # 1 falls short, 2 gets there: exactly 2
    assert latent.components_bracket(curve, 0.01) is None


def test_components_bracket_starts_at_1_when_the_curve_starts_above_1():
    assert latent.components_bracket({4: 0.2, 8: 0.1}, 0.25) == (1, 4)


# ------------------------------------------------------------------ probe

def test_linear_probe_is_perfect_on_separable_codes_and_chance_on_noise():
    g = np.random.default_rng(0)
    y = np.repeat([0, 1, 2], 50)
    codes = g.normal(size=(150, 4)) + 10 * np.eye(4)[y]
    assert latent.linear_probe(codes[::2], y[::2], codes[1::2], y[1::2])["acc"] == 1.0
    noise = g.normal(size=(150, 4))
    assert latent.linear_probe(noise[::2], y[::2], noise[1::2], y[1::2])["acc"] < 0.6


def test_linear_probe_scores_have_a_column_for_every_class_even_one_missing_from_training():
    # column c must be class c for metrics.auc: without class 0 in training, sklearn gives classes 1 and 2 only
    rng = np.random.default_rng(0)
    y_tr, y_te = np.repeat([1, 2], 10), np.array([0, 1, 2, 1])
    codes_tr, codes_te = rng.normal(size=(20, 3)) + y_tr[:, None], rng.normal(size=(4, 3)) + y_te[:, None]
    scores = latent.linear_probe(codes_tr, y_tr, codes_te, y_te)["scores"]
    assert scores.shape == (4, 3) and np.all(scores[:, 0] == 0)
    np.testing.assert_allclose(scores.sum(1), 1.0)


def test_linear_probe_rejects_codes_of_different_sizes():
    with pytest.raises(ValueError, match="same k"):
        latent.linear_probe(np.zeros((4, 3)), [0, 1, 0, 1], np.zeros((4, 2)), [0, 1, 0, 1])


def test_random_codes_are_the_images_times_one_fixed_matrix_drawn_from_the_seed():
    """Training and test codes must share the matrix: codes of a batch equal the codes of its halves."""
    x = blobs(10)
    whole = latent.random_codes(x, 5, seed=3)
    assert whole.shape == (10, 5) and whole.dtype == np.float64
    np.testing.assert_array_equal(np.concatenate([latent.random_codes(x[:4], 5, seed=3),
                                                  latent.random_codes(x[4:], 5, seed=3)]), whole)
    assert not np.allclose(latent.random_codes(x, 5, seed=4), whole)


def test_random_codes_are_linear_in_the_pixels():
    x, y = blobs(4, seed=0).double(), blobs(4, seed=1).double()   # float64: no rounding in x + 2y
    np.testing.assert_allclose(latent.random_codes(x + 2 * y, 3), latent.random_codes(x, 3) + 2 * latent.random_codes(y, 3),
                               rtol=1e-10, atol=1e-10)


def test_random_codes_refuse_a_k_that_is_not_a_positive_int():
    with pytest.raises(ValueError, match="positive int"):
        latent.random_codes(blobs(4), 0)


# ------------------------------------------------------------- denoisers

def test_classical_denoisers_raise_psnr_on_noisy_smooth_images():
    clean = blobs(8)
    noisy = degrade.gaussian_noise(clean, 0.1)
    for method, strength in (("gaussian", 1.0), ("tv", 0.1)):
        out = latent.classical_denoise(noisy, method, strength)
        assert out.shape == clean.shape
        assert metrics.psnr(out, clean) > metrics.psnr(noisy, clean) + 3


def test_tune_classical_returns_the_strength_with_the_best_psnr():
    clean = blobs(8)
    noisy = degrade.gaussian_noise(clean, 0.1)
    best, psnrs = latent.tune_classical(noisy, clean, "gaussian", [0.3, 1.0, 1.5])
    assert best == max(psnrs, key=psnrs.get) and set(psnrs) == {0.3, 1.0, 1.5}


@pytest.mark.parametrize("method, strength", [("gaussian", 1.0), ("tv", 0.1)])
def test_classical_denoise_clips_to_the_unit_range_unless_told_not_to(method, strength):
    noisy = degrade.gaussian_noise(torch.zeros(4, 1, 28, 28), 0.3)     # a black background, noisy
    clipped = latent.classical_denoise(noisy, method, strength)
    raw = latent.classical_denoise(noisy, method, strength, clip=False)
    assert clipped.min() >= 0 and clipped.max() <= 1
    assert raw.min() < 0                                          # the filter keeps negative values
    assert torch.equal(clipped, raw.clamp(0, 1))


def test_tune_classical_warns_when_the_best_strength_is_the_largest_tried():
    clean = blobs(8)
    noisy = degrade.gaussian_noise(clean, 0.1)
    with pytest.warns(UserWarning, match="largest tried"):
        best, _ = latent.tune_classical(noisy, clean, "gaussian", [0.1, 0.2])
    assert best == 0.2


def test_tune_classical_warns_when_the_best_strength_is_the_smallest_tried():
    clean = blobs(8)
    noisy = degrade.gaussian_noise(clean, 0.1)
    with pytest.warns(UserWarning, match="smallest tried"):
        best, _ = latent.tune_classical(noisy, clean, "gaussian", [5.0, 1.0, 3.0])
    assert best == 1.0


@needs_organamnist
@pytest.mark.parametrize("method, strengths", [("gaussian", latent.GAUSS_SIGMAS), ("tv", latent.TV_WEIGHTS)])
def test_the_chapters_strengths_bracket_the_best_on_organamnist(method, strengths):
    """On validation CT slices with the chapter's noise (sigma 0.1), the best strength lies
    inside the range the notebook and the benchmark try, not at an end of it."""
    import warnings

    from coursekit import data
    val = data.load_medmnist("organamnist", "val").subset(300, seed=0)
    noisy = degrade.gaussian_noise(val.images, 0.1, seed=1)
    with warnings.catch_warnings():
        warnings.simplefilter("error")          # tune_classical warns at an end of the range
        best, psnrs = latent.tune_classical(noisy, val.images, method, strengths)
    assert min(strengths) < best < max(strengths)


def test_classical_denoise_rejects_unknown_methods():
    with pytest.raises(ValueError, match="method"):
        latent.classical_denoise(torch.rand(1, 1, 8, 8), "median", 1.0)


# ---------------------------------------------------------- anomaly scores

def test_reconstruction_errors_are_per_image_mse():
    x = torch.zeros(3, 1, 4, 4)
    y = x.clone()
    y[1] = 0.5
    assert np.allclose(latent.reconstruction_errors(y, x), [0.0, 0.25, 0.0])


@needs_pneumonia
def test_pca_anomaly_auc_on_real_x_rays_is_the_one_the_chapter_reports():
    from coursekit import bench, data, metrics

    train = data.load_medmnist("pneumoniamnist", "train")
    test = data.load_medmnist("pneumoniamnist", "test")
    normal = train.images[train.labels == 0]
    pca = latent.fit_pca(normal, 16)
    scores = latent.reconstruction_errors(latent.pca_reconstruct(pca, test.images), test.images)
    assert scores.shape == (len(test),) and np.isfinite(scores).all()
    reported = bench.load_result("autoencoders")["anomaly_pca_auc"]   # below chance, and said so
    assert metrics.roc_auc(test.labels, scores) == pytest.approx(reported, abs=1e-3)


# ------------------------------------------------------------------ widget

def test_latent_grid_varies_rows_and_columns_along_the_two_dimensions():
    def decode(z):   # image = a constant: z[:, 0] in the top half, z[:, 1] in the bottom half
        top = z[:, 0].view(-1, 1, 1, 1).expand(-1, 1, 2, 4)
        bottom = z[:, 1].view(-1, 1, 1, 1).expand(-1, 1, 2, 4)
        return torch.cat([top, bottom], dim=2)

    mosaic = latent.latent_grid(decode, np.zeros(3), dims=(0, 1), values=[-1.0, 0.0, 1.0])
    assert mosaic.shape == (3 * 4, 3 * 4)
    assert mosaic[0, 0] == -1.0 and mosaic[8, 0] == 1.0                              # rows: dim 0
    assert mosaic[2, 0] == -1.0 and mosaic[2, 8] == 1.0                              # columns: dim 1


def test_latent_grid_keeps_the_other_dimensions_at_the_base_code():
    seen = []
    latent.latent_grid(lambda z: seen.append(z.clone()) or torch.zeros(len(z), 1, 2, 2),
                       np.array([5.0, 0.0, 0.0]), dims=(1, 2), values=[-1.0, 1.0])
    assert torch.all(seen[0][:, 0] == 5.0)


def test_latent_grid_rejects_the_same_dimension_twice():
    with pytest.raises(ValueError, match="two different"):
        latent.latent_grid(lambda z: z, np.zeros(3), dims=(1, 1))


def _static_figures(monkeypatch) -> list:
    """The list that collects the matplotlib figures displayed from now on (no kernel: static panels)."""
    import matplotlib
    matplotlib.use("Agg")
    from matplotlib.figure import Figure

    shown = []
    monkeypatch.setattr("IPython.display.display",
                        lambda *objs, **kw: shown.extend(o for o in objs if isinstance(o, Figure)))
    return shown


def test_latent_explorer_draws_a_static_panel_without_a_kernel(monkeypatch):
    shown = _static_figures(monkeypatch)
    torch.manual_seed(0)
    model = ConvVAE(4, width=4)
    latent.latent_explorer(model, steps=3, settings=[(0, 1)])
    fig = shown[0]
    panel = next(ax for ax in fig.axes if ax.get_title() == "rows: z[1], columns: z[0]")
    expected = latent.latent_grid(model.decode, np.zeros(4, np.float32), (1, 0), np.linspace(-2.5, 2.5, 3))
    np.testing.assert_allclose(panel.images[0].get_array(), expected, atol=1e-6)


def test_latent_explorer_title_says_where_the_other_dimensions_sit(monkeypatch):
    shown = _static_figures(monkeypatch)
    torch.manual_seed(0)
    model = ConvVAE(4, width=4)
    latent.latent_explorer(model, steps=3, settings=[(0, 1)])
    latent.latent_explorer(model, z_base=np.ones(4, np.float32), steps=3, settings=[(0, 1)])
    titles = [fig._suptitle.get_text() for fig in shown]
    assert titles == ["Decoded codes, the other dimensions at 0, 3 steps from -2.5 to 2.5",
                      "Decoded codes, the other dimensions at z_base, 3 steps from -2.5 to 2.5"]


def test_latent_explorer_gives_the_model_back_in_the_mode_it_was_in(monkeypatch):
    import matplotlib
    matplotlib.use("Agg")
    monkeypatch.setattr("IPython.display.display", lambda *objs, **kw: None)
    model = ConvVAE(4, width=4).train()
    latent.latent_explorer(model, steps=3, settings=[(0, 1)])
    assert model.training


def _live_pictures(monkeypatch):
    """Record, for every figure turned into a live picture, its titles and its texts."""
    import matplotlib
    matplotlib.use("Agg")
    import matplotlib.pyplot as plt
    from coursekit import widgets

    drawn = []

    def png(fig):
        texts = [ax.get_title() for ax in fig.axes] + [t.get_text() for ax in fig.axes for t in ax.texts]
        drawn.append(" ".join(" ".join(texts).split()))          # a wrapped message reads as one line
        plt.close(fig)
        return b"\x89PNG"

    monkeypatch.setattr("IPython.display.display", lambda *objs, **kw: None)
    monkeypatch.setattr(widgets, "png_bytes", png)
    return drawn


def test_latent_explorer_starts_its_controls_at_its_first_setting(monkeypatch):
    drawn = _live_pictures(monkeypatch)
    box = latent.latent_explorer(ConvVAE(4, width=4), steps=3, settings=[(2, 3), (0, 1)])
    assert [c.value for c in box.children[:3]] == [2, 3, 2.5]
    assert "rows: z[3], columns: z[2]" in drawn[-1]


def test_latent_explorer_says_so_when_both_controls_pick_one_dimension(monkeypatch):
    """It drew another dimension than the slider said, without a word."""
    drawn = _live_pictures(monkeypatch)
    box = latent.latent_explorer(ConvVAE(4, width=4), steps=3, settings=[(0, 1)])
    box.children[1].value = 0
    assert "two different dimensions" in drawn[-1] and "rows: z[1]" not in drawn[-1]


def test_latent_explorer_takes_a_span_beyond_its_slider_s_default_range(monkeypatch):
    _live_pictures(monkeypatch)
    box = latent.latent_explorer(ConvVAE(4, width=4), span=5.0, steps=3, settings=[(0, 1)])
    assert box.children[2].value == 5.0 and box.children[2].max >= 5.0


def test_latent_explorer_needs_a_code_of_two_dimensions():
    with pytest.raises(ValueError, match="at least 2 dimensions; this model's latent_dim is 1"):
        latent.latent_explorer(ConvVAE(1, width=4))


def test_latent_explorer_names_the_setting_outside_the_code():
    with pytest.raises(ValueError, match=r"settings\[1\] = \(2, 3\): .* in \[0, 3\)"):
        latent.latent_explorer(ConvVAE(3, width=4), settings=[(0, 1), (2, 3)])


def test_spatial_autoencoder_keeps_the_feature_map_as_its_code():
    model = ConvAutoencoder(None, width=4)
    with torch.no_grad():
        z = model.encode(torch.rand(2, 1, 28, 28))
        assert z.shape == (2, 2 * 4 * 7 * 7) and model.latent_dim == 392
        assert model.decode(z).shape == (2, 1, 28, 28)


def test_linear_probe_refuses_labels_that_are_not_class_indices():
    codes = np.random.default_rng(0).random((10, 2))
    with pytest.raises(ValueError, match="train_labels: expected class indices"):
        latent.linear_probe(codes, np.linspace(0, 1, 10), codes, np.arange(10) % 2)


def test_linear_probe_refuses_negative_labels():
    codes = np.random.default_rng(0).random((10, 2))
    with pytest.raises(ValueError, match=r"test_labels: expected class indices \(integers >= 0\)"):
        latent.linear_probe(codes, np.arange(10) % 2, codes, np.arange(10) % 2 - 1)


def test_versus_pca_scores_both_methods_on_the_same_test_images_and_probes_their_codes(phantom_sets):
    train, test = (d.subset(120, seed=0) for d in phantom_sets)
    torch.manual_seed(0)
    model, pca = ConvAutoencoder(4, width=4), latent.fit_pca(train.images, 4)
    scores = latent.versus_pca(model, pca, train, test)
    assert scores["ae_test_mse"] == float(metrics.mse(latent.reconstruct(model, test.images), test.images))
    assert scores["pca_test_mse"] == float(metrics.mse(latent.pca_reconstruct(pca, test.images), test.images))
    assert scores["ae_probe_acc"] == latent.linear_probe(latent.encode(model, train.images), train.labels,
                                                         latent.encode(model, test.images), test.labels)["acc"]
    assert scores["pca_probe_acc"] == latent.linear_probe(latent.pca_codes(pca, train.images), train.labels,
                                                          latent.pca_codes(pca, test.images), test.labels)["acc"]
    assert scores["ae_test_mse"] != scores["pca_test_mse"]


def test_pca_error_curve_refuses_images_outside_0_1():
    """A 0-255 test set used to give an 'MSE' of about 21,000 against PCA's clipped reconstructions."""
    with pytest.raises(ValueError, match=r"test_images.*Divide by 255"):
        latent.pca_error_curve(torch.rand(20, 1, 4, 4), 255 * torch.rand(5, 1, 4, 4), ks=[2])


def test_fit_pca_takes_a_numpy_integer_number_of_components():
    x = torch.rand(20, 1, 4, 4)
    assert latent.fit_pca(x, np.int64(3)).n_components == 3


def test_the_denoising_loss_compares_with_the_clean_images():
    """A perfect denoiser (it returns the clean image whatever the noise) has loss 0."""
    clean = torch.rand(8, 1, 4, 4)

    class Perfect(torch.nn.Module):
        def forward(self, noisy):
            return clean
    assert float(latent._dae_loss(0.5)(Perfect(), clean)) == 0.0


def test_a_denoising_run_with_another_noise_level_gets_its_own_checkpoint(tmp_path):
    from coursekit.models.autoencoders import ConvAutoencoder
    x = torch.rand(16, 1, 28, 28)
    for sigma in (0.1, 0.3):
        torch.manual_seed(0)
        latent.train_autoencoder(ConvAutoencoder(None, width=2), x, kind="dae", noise_sigma=sigma, epochs=1,
                                 batch_size=8, checkpoint=tmp_path / "dae.pt", device="cpu", progress=False,
                                 verbose=False)
    assert len(list(tmp_path.glob("dae-*.pt"))) == 2


def test_reconstruction_errors_take_numpy_arrays_as_well_as_tensors():
    x = np.random.default_rng(0).random((3, 1, 4, 4)).astype(np.float32)
    assert np.allclose(latent.reconstruction_errors(x * 0.5, x),
                       latent.reconstruction_errors(torch.from_numpy(x * 0.5), torch.from_numpy(x)))


@pytest.mark.parametrize("kwargs, says", [(dict(kind="dae", noise_sigma=-0.1), "noise_sigma"),
                                          (dict(kind="dae", noise_sigma=float("nan")), "noise_sigma"),
                                          (dict(kind="dae", noise_sigma=True), "noise_sigma")])
def test_train_autoencoder_refuses_a_noise_level_that_is_not_a_positive_number(kwargs, says):
    from coursekit.models.autoencoders import ConvAutoencoder
    with pytest.raises(ValueError, match=says):
        latent.train_autoencoder(ConvAutoencoder(None, width=2), torch.rand(8, 1, 28, 28), epochs=1, device="cpu",
                                 progress=False, verbose=False, **kwargs)


@pytest.mark.parametrize("beta", [-0.02, True])
def test_train_autoencoder_refuses_a_beta_that_is_not_a_number_at_least_0(beta):
    """beta = 2 s^2 is a variance: a negative one rewards codes far from the prior; True is a slip
    for a number (it would train as beta = 1)."""
    from coursekit.models.autoencoders import ConvVAE
    with pytest.raises(ValueError, match="beta"):
        latent.train_autoencoder(ConvVAE(4, width=2), torch.rand(8, 1, 28, 28), kind="vae", beta=beta, epochs=1,
                                 device="cpu", progress=False, verbose=False)



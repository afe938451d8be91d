"""Benchmark of the autoencoder chapter, with the code and parameters of
notebooks/04_autoencoders.ipynb (a test keeps PARAMS equal to its parameters cell).

* OrganAMNIST (28 px): a convolutional autoencoder vs PCA at the same latent
  size, fitted on the same training images; test MSE on the same test images;
  a linear probe (logistic regression) on both methods' codes, and on a code that learned
  nothing (``random_probe_acc``: ``latent_dim`` random mixtures of the pixels,
  :func:`coursekit.latent.random_codes`) beside always answering the training split's most
  common organ (``majority_test_acc``). The same MSE on
  training images (``ae_train_mse``, ``pca_train_mse``; a subset of the size of
  the test split) separates a weak model from one that does not generalise.
  PCA's test MSE with more components (``pca_test_mse_k001`` ... ``_k256``, at the
  grid of ``latent.CURVE_KS`` only) tells how many linear components the
  autoencoder's code is worth (``pca_k_matching_ae``: the fewest of the grid's k
  with an error at most the AE's) and how many halve PCA's error at ``latent_dim``
  (``pca_k_for_half``). Both are grid points, so upper bounds: the true count lies
  between the grid point below plus one and them (``latent.components_bracket``,
  which the chapter's report prints).
* Denoising (Gaussian noise of ``noise_sigma``): the denoising autoencoder vs a
  Gaussian filter and total variation, their strengths tuned on validation images
  (``latent.GAUSS_SIGMAS``, ``latent.TV_WEIGHTS``, as in the notebook), their outputs
  clipped to [0, 1] like the autoencoder's; test PSNR/SSIM. Also of the noisy input as it is
  (``noisy_test_*``) and clipped to [0, 1] and nothing else (``clipped_test_*``): the part of a
  denoiser's gain that staying in range alone gives.
* A VAE: test reconstruction MSE (decoding mu) and KL per image. Its epoch is chosen,
  like the other networks', by the validation MSE of its reconstructions (decoding
  mu), not by its loss.
* PneumoniaMNIST: anomaly detection by reconstruction error, trained on normal
  images only; test AUC (pneumonia positive) for the autoencoder and for PCA, and the test
  split's class counts (``anomaly_n_test_pneumonia``, ``anomaly_n_test_normal``), from which
  the chapter gives each AUC's standard error.

Pictures of what the measured models produce, beside the JSON (:func:`coursekit.bench.write_image`,
``ae_<name>.png``): ``ae_reconstructions`` (the first test image of each organ: original, PCA,
autoencoder), ``ae_denoising`` (the same images: clean, noisy, Gaussian filter, total variation,
denoising autoencoder) and ``ae_vae_samples`` (32 decoded prior samples, as the notebook draws them).
Each picture is clipped to [0, 1] for display: PCA's reconstructions and the noisy input have
values outside that range.

The autoencoder's training loss and validation MSE after every epoch
(``ae_train_loss_epoch_001``, ``ae_val_mse_epoch_001``, ...) show where it stopped
generalising; ``ae_train_seconds`` sums the history's per-epoch times.

Writes ``benchmarks/results/autoencoders.json`` (full profile) or
``autoencoders.quick.json`` (quick). Refuses to write results of fallback data.
The checkpoints are kept in :func:`coursekit.bench.checkpoint_dir` (``benchmarks/.cache/``
unless ``COURSEKIT_BENCH_CACHE`` says otherwise), so a stopped run resumes.
Run: ``COURSEKIT_PROFILE=full python benchmarks/autoencoders.py``.
"""
from __future__ import annotations

import sys

import torch

import coursekit as ck
from coursekit import latent
from coursekit.models import autoencoders as aem

NOTEBOOK = "notebooks/04_autoencoders.ipynb"   # the notebook whose parameters cell PARAMS repeats
PARAMS = dict(
    quick=dict(n_train=2000, n_val=300, n_test=1000, latent_dim=16, width=8, epochs=3, batch_size=32,
               lr=2e-3, noise_sigma=0.1, beta=0.02, anomaly_epochs=4),
    full=dict(n_train=None, n_val=None, n_test=None, latent_dim=16, width=32, epochs=30, batch_size=128,
              lr=2e-3, noise_sigma=0.1, beta=0.02, anomaly_epochs=100),
)
SEED = 0


def picture(rows):
    """One grayscale picture of image rows: a list of ``(N, 1, H, W)`` tensors of the same N,
    each clipped to [0, 1], one row each (:func:`coursekit.generative.montage`)."""
    return ck.generative.montage(torch.cat([row.detach().cpu().clamp(0, 1) for row in rows]), ncols=len(rows[0]))


def main() -> int:
    P = ck.profile.params(**PARAMS)
    ck.device.print_config()
    ck.seed_everything(SEED)
    device = ck.device.get_device()
    train = ck.data.load_medmnist("organamnist", "train").subset(P.n_train, seed=SEED)
    val = ck.data.load_medmnist("organamnist", "val").subset(P.n_val, seed=SEED)
    test = ck.data.load_medmnist("organamnist", "test").subset(P.n_test, seed=SEED)
    pn = {s: ck.data.load_medmnist("pneumoniamnist", s) for s in ("train", "val", "test")}
    ck.bench.require_real_data()
    r: dict[str, float] = {"n_train": len(train), "n_test": len(test), "latent_dim": P.latent_dim}
    cache = ck.bench.checkpoint_dir("autoencoders")
    print(f"checkpoints in {cache} (a stopped run resumes from them; delete the folder to start over)")
    common = dict(epochs=P.epochs, val_images=val.images, batch_size=P.batch_size, lr=P.lr, seed=SEED,
                  device=device, progress=False)

    # AE vs PCA at the same latent size
    pca = latent.fit_pca(train.images, P.latent_dim, seed=SEED)
    mean_image = train.images.mean(dim=0, keepdim=True).expand_as(test.images)
    r["mean_image_test_mse"] = float(ck.metrics.mse(mean_image, test.images))
    ck.seed_everything(SEED)   # each network's first weights depend on SEED alone, as in the notebook
    ae = aem.ConvAutoencoder(P.latent_dim, width=P.width)
    h = latent.train_autoencoder(ae, train.images, kind="ae", checkpoint=cache / "ae.pt", **common)
    r["ae_train_seconds"], r["ae_best_epoch"] = h.seconds(), h.best_epoch   # resumed epochs included
    for epoch, (loss, val_mse) in enumerate(zip(h["train_loss"], h["val_mse"]), start=1):
        r[f"ae_train_loss_epoch_{epoch:03d}"], r[f"ae_val_mse_epoch_{epoch:03d}"] = loss, val_mse
    r.update(latent.versus_pca(ae, pca, train, test))   # test MSE and probe accuracy of both methods
    r["random_probe_acc"] = latent.linear_probe(latent.random_codes(train.images, P.latent_dim, seed=SEED),
                                                train.labels, latent.random_codes(test.images, P.latent_dim, seed=SEED),
                                                test.labels)["acc"]
    r["majority_test_acc"] = ck.classify.majority_class(train, test)["acc"]
    r["ae_over_pca_mse"] = r["ae_test_mse"] / r["pca_test_mse"]
    seen = train.subset(len(test), seed=SEED).images
    r["ae_train_mse"] = float(ck.metrics.mse(latent.reconstruct(ae, seen), seen))
    r["pca_train_mse"] = float(ck.metrics.mse(latent.pca_reconstruct(pca, seen), seen))
    r["ae_parameters"] = ck.models.count_parameters(ae)
    shown = [int(torch.nonzero(test.labels == c)[0]) for c in range(train.n_classes) if (test.labels == c).any()]
    ck.bench.write_image("ae_reconstructions", picture([test.images[shown], latent.pca_reconstruct(
        pca, test.images[shown]), latent.reconstruct(ae, test.images[shown], device=device)]))
    curve = latent.pca_error_curve(train.images, test.images, seed=SEED)   # k in latent.CURVE_KS
    r.update({f"pca_test_mse_k{k:03d}": e for k, e in curve.items()})
    for key, target in (("pca_k_matching_ae", r["ae_test_mse"]), ("pca_k_for_half", 0.5 * r["pca_test_mse"])):
        k = latent.components_to_reach(curve, target)
        if k is not None:            # None: not reached within latent.CURVE_KS, so the key is left out
            r[key] = k

    # denoising
    ck.seed_everything(SEED)
    dae = aem.ConvAutoencoder(latent_dim=None, width=P.width)
    latent.train_autoencoder(dae, train.images, kind="dae", noise_sigma=P.noise_sigma,
                             checkpoint=cache / "dae.pt", **common)
    noisy_val = ck.degrade.gaussian_noise(val.images, P.noise_sigma, seed=SEED + 1)
    noisy_test = ck.degrade.gaussian_noise(test.images, P.noise_sigma, seed=SEED + 2)
    best_gauss, _ = latent.tune_classical(noisy_val, val.images, "gaussian", latent.GAUSS_SIGMAS)
    best_tv, _ = latent.tune_classical(noisy_val, val.images, "tv", latent.TV_WEIGHTS)
    outputs = {"noisy": noisy_test, "gauss": latent.classical_denoise(noisy_test, "gaussian", best_gauss),
               "tv": latent.classical_denoise(noisy_test, "tv", best_tv),
               "dae": latent.reconstruct(dae, noisy_test, device=device)}
    for name, out in {**outputs, "clipped": noisy_test.clamp(0, 1)}.items():
        r[f"{name}_test_psnr"] = float(ck.metrics.psnr(out, test.images))
        r[f"{name}_test_ssim"] = float(ck.metrics.ssim(out, test.images))
    r["gauss_sigma"], r["tv_weight"], r["noise_sigma"] = best_gauss, best_tv, P.noise_sigma
    ck.bench.write_image("ae_denoising", picture([test.images[shown]] + [outputs[k][shown] for k in outputs]))

    # VAE
    ck.seed_everything(SEED)
    vae = aem.ConvVAE(P.latent_dim, width=P.width)
    latent.train_autoencoder(vae, train.images, kind="vae", beta=P.beta, checkpoint=cache / "vae.pt", **common)
    vae.eval()
    with torch.no_grad():
        x_hat, mu, logvar = vae(test.images.to(device))
        r["vae_test_mse"] = float(ck.metrics.mse(x_hat.cpu(), test.images))
        r["vae_test_kl"] = float(aem.kl_divergence(mu, logvar))
    r["vae_beta"] = P.beta
    ck.bench.write_image("ae_vae_samples", ck.generative.montage(   # as notebook 04 draws them
        vae.sample(32, generator=torch.Generator().manual_seed(SEED)).cpu(), ncols=16))

    # anomaly detection on PneumoniaMNIST
    normal_train = pn["train"].images[pn["train"].labels == 0]
    normal_val = pn["val"].images[pn["val"].labels == 0]
    ck.seed_everything(SEED)
    anomaly_ae = aem.ConvAutoencoder(P.latent_dim, width=P.width)
    latent.train_autoencoder(anomaly_ae, normal_train, kind="ae", epochs=P.anomaly_epochs, val_images=normal_val,
                             batch_size=P.batch_size, lr=P.lr, seed=SEED, checkpoint=cache / "anomaly.pt",
                             device=device, progress=False)
    y = pn["test"].labels.numpy()
    x_test = pn["test"].images
    pca_normal = latent.fit_pca(normal_train, P.latent_dim, seed=SEED)
    r["anomaly_ae_auc"] = ck.metrics.roc_auc(y, latent.reconstruction_errors(
        latent.reconstruct(anomaly_ae, x_test, device=device), x_test))
    r["anomaly_pca_auc"] = ck.metrics.roc_auc(y, latent.reconstruction_errors(
        latent.pca_reconstruct(pca_normal, x_test), x_test))
    r["anomaly_n_normal_train"] = len(normal_train)
    r["anomaly_n_test_pneumonia"], r["anomaly_n_test_normal"] = int((y == 1).sum()), int((y == 0).sum())

    path = ck.bench.write_result("autoencoders", r)
    print(f"wrote {path}")
    print(path.read_text())
    return 0


if __name__ == "__main__":
    sys.exit(main())

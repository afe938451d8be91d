"""coursekit.enhance: a restoration network trained on pairs beats its input, its runs are
repeatable and keep their checkpoints apart, and its outputs are scored like the baselines'."""
import numpy as np
import pytest
import torch

from coursekit import degrade, enhance, metrics, restore
from coursekit.models.restoration import DnCNN, ESPCN
from image_helpers import blobs, needs_data


def noisy_pairs(n=32, seed=0):
    clean = blobs(n, seed=seed)
    return degrade.gaussian_noise(clean, 0.1, seed=seed + 1), clean


def quiet(**kw):
    return dict(device="cpu", progress=False, verbose=False, **kw)


needs_organamnist = needs_data("organamnist.npz")


# ------------------------------------------------------------------ training

def test_a_trained_denoiser_beats_its_noisy_input_on_validation_images():
    train_pairs, val_pairs = noisy_pairs(64), noisy_pairs(16, seed=5)
    torch.manual_seed(0)             # the first weights; with seeds 0 to 7 the gain was 3.5 to 4.6 dB
    model = DnCNN(depth=4, width=16)
    history = enhance.train_restorer(model, *train_pairs, epochs=8, val=val_pairs, batch_size=16, lr=3e-3, **quiet())
    assert len(history["val_psnr"]) == 8
    noisy_psnr = float(metrics.psnr(val_pairs[0].clamp(0, 1), val_pairs[1]))
    assert max(history["val_psnr"]) > noisy_psnr + 3, f"gain {max(history['val_psnr']) - noisy_psnr:.2f} dB"


def test_training_restores_the_epoch_with_the_best_validation_psnr():
    train_pairs, val_pairs = noisy_pairs(32), noisy_pairs(8, seed=5)
    model = DnCNN(depth=3, width=8)
    history = enhance.train_restorer(model, *train_pairs, epochs=4, val=val_pairs, batch_size=8, **quiet())
    final = float(metrics.psnr(enhance.apply(model, val_pairs[0]), val_pairs[1]))
    assert final == pytest.approx(max(history["val_psnr"]), abs=1e-4)


def test_the_same_call_trains_the_same_model():
    pairs = noisy_pairs(16)
    models = []
    for _ in range(2):
        torch.manual_seed(0)                       # the same initial weights
        models.append(DnCNN(depth=3, width=8))
        enhance.train_restorer(models[-1], *pairs, epochs=2, batch_size=8, seed=3, **quiet())
    a, b = models
    assert all(torch.equal(p, q) for p, q in zip(a.state_dict().values(), b.state_dict().values()))


def test_super_resolution_pairs_may_differ_in_size():
    clean = blobs(16)
    low = degrade.downsample(clean, 2)
    history = enhance.train_restorer(ESPCN(2, width=8), low, clean, epochs=2, val=(low[:4], clean[:4]),
                                     batch_size=8, **quiet())
    assert len(history["val_psnr"]) == 2


def test_runs_on_other_pairs_get_other_checkpoints_and_a_rerun_resumes(tmp_path):
    for sigma in (0.1, 0.2, 0.1):
        clean = blobs(16)
        enhance.train_restorer(DnCNN(depth=3, width=8), degrade.gaussian_noise(clean, sigma, seed=1), clean,
                               epochs=1, batch_size=8, checkpoint=tmp_path / "dncnn.pt", **quiet())
    assert len(list(tmp_path.glob("dncnn-*.pt"))) == 2


def test_training_refuses_pairs_of_different_counts():
    noisy, clean = noisy_pairs(8)
    with pytest.raises(ValueError, match="7 clean"):
        enhance.train_restorer(DnCNN(depth=3, width=8), noisy, clean[:7], epochs=1, **quiet())


def test_training_refuses_clean_targets_outside_the_unit_range():
    noisy, clean = noisy_pairs(8)
    with pytest.raises(ValueError, match="training clean"):
        enhance.train_restorer(DnCNN(depth=3, width=8), noisy, clean * 255, epochs=1, **quiet())


# ------------------------------------------------------------------ tuning

def test_tune_each_applies_each_restorer_at_its_best_validation_strength():
    from coursekit import restore

    val_noisy, val_clean = noisy_pairs(8, seed=3)
    test_noisy, _ = noisy_pairs(4, seed=7)
    outputs, val_psnr = enhance.tune_each({"gaussian": (restore.gaussian, [0.3, 1.0, 3.0]),
                                           "tv": (restore.tv, [0.02, 0.1, 0.5])}, val_noisy, val_clean, test_noisy)
    best_sigma, psnrs = restore.tune(restore.gaussian, val_noisy, val_clean, [0.3, 1.0, 3.0])
    key = f"gaussian ({best_sigma:g})"
    assert list(outputs) == list(val_psnr) and len(outputs) == 2 and key in outputs
    assert torch.equal(outputs[key], restore.gaussian(test_noisy, best_sigma))
    assert val_psnr[key] == psnrs[best_sigma]


def test_tune_each_passes_the_fixed_arguments_on():
    from coursekit import restore

    clean = blobs(8)
    blurred = degrade.gaussian_blur(clean, 1.0)
    outputs, _ = enhance.tune_each({"wiener": (restore.wiener, [1e-3])}, blurred, clean, blurred, psf_sigma=1.0)
    assert torch.equal(outputs["wiener (0.001)"], restore.wiener(blurred, 1e-3, psf_sigma=1.0))


# ---------------------------------------------------------------- applying

@needs_organamnist
@pytest.mark.parametrize("photons", [15, 30, 60])
def test_the_chapters_denoising_strengths_are_fine_enough_to_find_the_best_on_organamnist(photons):
    """At the doses that chapter 7 tunes at, each denoiser's best strength in denoisers(photons)
    (DENOISERS, and TV and non-local means after the Anscombe transform) scores
    within 0.1 dB of the best of steps of 5% within 1.5 times of it, on validation CT slices (non-local
    means peaks within 20% of h: steps of 1.5x were 0.5 dB short at 30 photons; the Gaussian filter's
    steps 0.2 dB at 60)."""
    from coursekit import data

    val = data.load_medmnist("organamnist", "val").subset(60, seed=0).images
    noisy = degrade.poisson_noise(val, photons, seed=1)
    for name, (restorer, strengths) in enhance.denoisers(photons).items():
        psnr = {s: float(metrics.psnr(restorer(noisy, s), val)) for s in strengths}
        best = max(psnr, key=psnr.get)
        fine = best * 1.05 ** np.arange(-8, 9)
        finest = max(float(metrics.psnr(restorer(noisy, float(s)), val)) for s in fine)
        assert psnr[best] > finest - 0.1, (name, best)


def test_apply_gives_in_batches_what_the_model_gives_at_once_clipped():
    model = DnCNN(depth=3, width=8)
    for p in model.parameters():
        p.data.add_(0.1 * torch.randn_like(p))
    noisy, _ = noisy_pairs(10)
    model.eval()
    with torch.no_grad():
        whole = model(noisy).clamp(0, 1)
    assert torch.allclose(enhance.apply(model, noisy, batch_size=3), whole, atol=1e-6)


def test_apply_keeps_the_models_mode():
    model = DnCNN(depth=3, width=8).train()
    enhance.apply(model, noisy_pairs(4)[0])
    assert model.training


def test_apply_without_clipping_keeps_values_outside_the_unit_range():
    noisy = degrade.gaussian_noise(torch.zeros(4, 1, 16, 16), 0.3, seed=1)
    out = enhance.apply(DnCNN(depth=3, width=8), noisy, clip=False)      # untrained: the identity
    assert torch.equal(out, noisy)


# ------------------------------------------------------------------ scoring

def test_scores_are_the_mean_psnr_and_ssim_of_each_output_in_order():
    noisy, clean = noisy_pairs(6)
    outputs = {"noisy": noisy.clamp(0, 1), "clean": clean}
    table = enhance.scores(outputs, clean)
    assert list(table) == ["noisy", "clean"]
    assert table["noisy"]["PSNR (dB)"] == pytest.approx(float(metrics.psnr(noisy.clamp(0, 1), clean)))
    assert table["noisy"]["SSIM"] == pytest.approx(float(metrics.ssim(noisy.clamp(0, 1), clean)))
    assert table["clean"]["SSIM"] == pytest.approx(1.0)


def test_scores_name_the_output_whose_shape_is_wrong():
    _, clean = noisy_pairs(4)
    with pytest.raises(ValueError, match="bicubic"):
        enhance.scores({"bicubic": clean[:, :, :8, :8]}, clean)


def test_method_noise_is_what_the_restorer_took_away():
    noisy, clean = noisy_pairs(4)
    assert torch.allclose(enhance.method_noise(noisy, clean) + clean, noisy)


def test_denoisers_add_tv_and_nl_means_after_the_anscombe_transform_at_the_dose_given():
    chosen = enhance.denoisers(30)
    assert list(chosen) == [*enhance.DENOISERS, "tv_anscombe", "nl_means_anscombe"]
    assert chosen["tv_anscombe"][1] == enhance.ANSCOMBE_STRENGTHS["tv"]
    noisy = degrade.poisson_noise(blobs(2, 16), 30, seed=0)
    expected = restore.stabilised(restore.tv)(noisy, 0.1, photons=30)
    assert torch.equal(enhance.restorer_for("tv_anscombe (0.1)", chosen)(noisy), expected)
    assert "tv_anscombe" not in enhance.DENOISERS                       # a new dict, DENOISERS unchanged


def test_restorer_for_applies_the_restorer_a_tune_each_key_names_at_its_strength():
    noisy = torch.rand(3, 1, 16, 16, generator=torch.Generator().manual_seed(0))
    assert torch.equal(enhance.restorer_for("tv (0.07)", enhance.DENOISERS)(noisy), restore.tv(noisy, 0.07))


def test_restorer_for_keeps_an_iteration_count_whole():
    blurred = torch.rand(2, 1, 16, 16, generator=torch.Generator().manual_seed(1))
    got = enhance.restorer_for("richardson_lucy (8)", enhance.DEBLURRERS, psf_sigma=1.0)(blurred)
    assert torch.equal(got, restore.richardson_lucy(blurred, 8, psf_sigma=1.0))


def test_restorer_for_uses_the_strength_tried_not_its_rounded_print():
    noisy = torch.rand(2, 1, 16, 16, generator=torch.Generator().manual_seed(2))
    restorers = {"tv": (restore.tv, (0.123456789,))}          # printed by tune_each as "tv (0.123457)"
    assert torch.equal(enhance.restorer_for("tv (0.123457)", restorers)(noisy), restore.tv(noisy, 0.123456789))


def test_restorer_for_refuses_a_strength_that_is_not_a_number():
    with pytest.raises(ValueError, match="not a number"):
        enhance.restorer_for("tv (strong)", enhance.DENOISERS)


@pytest.mark.parametrize("key", ["tv", "bm3d (0.1)", "tv 0.1", "tv (0.1"])
def test_restorer_for_refuses_a_key_that_names_no_tuned_restorer(key):
    with pytest.raises(ValueError, match="name \\(strength\\)"):
        enhance.restorer_for(key, enhance.DENOISERS)

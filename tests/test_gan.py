"""Spec of coursekit.gan: losses, the training step, and the theory on a grid."""
import math

import numpy as np
import pytest
import torch
from torch import nn

from coursekit import gan
from coursekit.train import fit

LOG2 = math.log(2.0)


def softplus(v: float) -> float:
    return math.log1p(math.exp(v))


# ---------------------------------------------------------------- d_loss

def test_d_loss_matches_hand_computation():
    real, fake = torch.tensor([0.0, 2.0]), torch.tensor([-1.0, 1.0])
    # -log sigmoid(l) = softplus(-l) for real; -log(1 - sigmoid(l)) = softplus(l) for fake
    expected = (softplus(0.0) + softplus(-2.0)) / 2 + (softplus(-1.0) + softplus(1.0)) / 2
    assert gan.d_loss(real, fake).item() == pytest.approx(expected, rel=1e-6)


def test_d_loss_is_log4_when_discriminator_says_one_half_everywhere():
    assert gan.d_loss(torch.zeros(5), torch.zeros(3)).item() == pytest.approx(2 * LOG2, rel=1e-6)


def test_d_loss_is_minus_the_value_function():
    real, fake = torch.randn(7, dtype=torch.float64), torch.randn(7, dtype=torch.float64)
    value = torch.log(torch.sigmoid(real)).mean() + torch.log(1 - torch.sigmoid(fake)).mean()
    assert gan.d_loss(real, fake).item() == pytest.approx(-value.item(), rel=1e-10)


def test_d_loss_smoothing_moves_only_the_real_target():
    real, fake = torch.tensor([1.5]), torch.tensor([0.5])
    # BCE(l, t) = softplus(l) - t * l
    expected = (softplus(1.5) - 0.9 * 1.5) + softplus(0.5)
    assert gan.d_loss(real, fake, smooth=0.1).item() == pytest.approx(expected, rel=1e-6)
    assert gan.d_loss(real, fake, smooth=0.1).item() != pytest.approx(gan.d_loss(real, fake).item())


def test_d_loss_with_smoothing_is_minimised_at_d_real_equal_one_minus_smooth():
    logit = torch.tensor([math.log(0.9 / 0.1)], requires_grad=True)  # sigmoid = 0.9
    gan.d_loss(logit, torch.tensor([-5.0]), smooth=0.1).backward()
    assert abs(logit.grad.item()) < 1e-6


def test_d_loss_is_finite_for_extreme_logits():
    loss = gan.d_loss(torch.tensor([-200.0, 200.0]), torch.tensor([200.0, -200.0]))
    assert math.isfinite(loss.item()) and loss.item() == pytest.approx(200.0, rel=1e-6)


def test_d_loss_rejects_bad_input():
    with pytest.raises(ValueError, match="smooth"):
        gan.d_loss(torch.zeros(2), torch.zeros(2), smooth=1.0)
    with pytest.raises(TypeError, match="logits"):
        gan.d_loss(torch.zeros(2, dtype=torch.int64), torch.zeros(2))


# ---------------------------------------------------------------- g_loss

def test_g_loss_non_saturating_is_minus_mean_log_d():
    logits = torch.tensor([-2.0, 0.0, 3.0])
    expected = sum(softplus(-v) for v in (-2.0, 0.0, 3.0)) / 3
    assert gan.g_loss(logits).item() == pytest.approx(expected, rel=1e-6)


def test_g_loss_saturating_is_mean_log_one_minus_d():
    logits = torch.tensor([-2.0, 0.0, 3.0], dtype=torch.float64)
    expected = torch.log(1 - torch.sigmoid(logits)).mean().item()
    assert gan.g_loss(logits, saturating=True).item() == pytest.approx(expected, rel=1e-10)
    assert expected < 0


def test_saturating_gradient_vanishes_when_discriminator_rejects_the_fakes():
    logits = torch.full((4,), -6.0, requires_grad=True)  # D(G(z)) = 0.0025
    d = torch.sigmoid(torch.tensor(-6.0)).item()
    (grad_sat,) = torch.autograd.grad(gan.g_loss(logits, saturating=True), logits)
    (grad_ns,) = torch.autograd.grad(gan.g_loss(logits), logits)
    # per logit, d/dl of log(1 - D) = -D; of -log D = -(1 - D); the mean divides by N = 4
    assert torch.allclose(grad_sat, torch.full((4,), -d / 4))
    assert torch.allclose(grad_ns, torch.full((4,), -(1 - d) / 4))
    assert grad_ns.abs().min() > 100 * grad_sat.abs().max()


def test_both_generator_losses_push_the_fakes_towards_real():
    logits = torch.tensor([0.3], requires_grad=True)
    for saturating in (False, True):
        (g,) = torch.autograd.grad(gan.g_loss(logits, saturating=saturating), logits)
        assert g.item() < 0  # gradient descent raises the logit: D calls the fake more real


# ---------------------------------------------------------------- hinge losses

def test_d_hinge_loss_matches_hand_computation():
    real, fake = torch.tensor([2.0, 0.5, -1.0]), torch.tensor([-3.0, 0.0])
    expected = (0.0 + 0.5 + 2.0) / 3 + (0.0 + 1.0) / 2
    assert gan.d_hinge_loss(real, fake).item() == pytest.approx(expected, rel=1e-6)


def test_d_hinge_loss_gives_no_gradient_to_logits_beyond_the_margin():
    real = torch.tensor([1.5, 0.5], requires_grad=True)
    fake = torch.tensor([-1.5, -0.5], requires_grad=True)
    gan.d_hinge_loss(real, fake).backward()
    assert real.grad.tolist() == [0.0, -0.5] and fake.grad.tolist() == [0.0, 0.5]


def test_g_hinge_loss_is_minus_the_mean_logit_with_a_constant_gradient():
    logits = torch.tensor([-20.0, 0.0, 3.0], requires_grad=True)
    loss = gan.g_hinge_loss(logits)
    assert loss.item() == pytest.approx(17.0 / 3)
    (grad,) = torch.autograd.grad(loss, logits)
    assert torch.allclose(grad, torch.full((3,), -1.0 / 3))       # even where D rejects the fake


def test_hinge_losses_reject_probabilities_of_the_wrong_type():
    with pytest.raises(TypeError, match="logits"):
        gan.d_hinge_loss(torch.zeros(2, dtype=torch.int64), torch.zeros(2))
    with pytest.raises(ValueError, match="at least one"):
        gan.g_hinge_loss(torch.zeros(0))


# ---------------------------------------------------------------- gan_step

class TinyG(nn.Module):
    def __init__(self, z_dim=3, n_classes=None):
        super().__init__()
        self.fc = nn.Linear(z_dim, 16)
        self.emb = nn.Embedding(n_classes, z_dim) if n_classes else None
        self.seen_y = []

    def forward(self, z, y=None):
        if self.emb is not None:
            self.seen_y.append(y.clone())
            z = z + self.emb(y)
        return torch.sigmoid(self.fc(z)).view(-1, 1, 4, 4)


class TinyD(nn.Module):
    def __init__(self, n_classes=None):
        super().__init__()
        self.fc = nn.Linear(16, 1)
        self.emb = nn.Embedding(n_classes, 16) if n_classes else None
        self.seen_y = []

    def forward(self, x, y=None):
        h = x.flatten(1)
        if self.emb is not None:
            self.seen_y.append(y.clone())
            h = h * (1 + self.emb(y))
        return self.fc(h).squeeze(1)


def _setup(n_classes=None, seed=0):
    torch.manual_seed(seed)
    G, D = TinyG(n_classes=n_classes), TinyD(n_classes=n_classes)
    opt_g = torch.optim.SGD(G.parameters(), lr=0.1)
    opt_d = torch.optim.SGD(D.parameters(), lr=0.1)
    return G, D, opt_g, opt_d


def _batch(n=8, n_classes=3):
    gen = torch.Generator().manual_seed(1)
    return torch.rand(n, 1, 4, 4, generator=gen), torch.randint(0, n_classes, (n,), generator=gen)


def update_order(batch, **kwargs) -> list:
    """Which optimizer stepped, in order ("D" or "G"), in one gan_step call on ``batch``."""
    G, D, opt_g, opt_d = _setup()
    order = []
    for name, opt in (("D", opt_d), ("G", opt_g)):
        step = opt.step
        opt.step = (lambda step, name: lambda *a, **k: (order.append(name), step(*a, **k))[1])(step, name)
    gan.gan_step(G, D, opt_g, opt_d, z_dim=3, **kwargs)(None, batch)
    return order


@pytest.mark.parametrize("scale, fix", [(lambda x: 255 * x, "Divide by 255"), (lambda x: 2 * x - 1, r"\(x \+ 1\) / 2")])
def test_gan_step_refuses_real_images_outside_0_1(scale, fix):
    """The generators end in a sigmoid: real images on another scale tell D apart at once."""
    G, D, opt_g, opt_d = _setup()
    x, y = _batch()
    with pytest.raises(ValueError, match=fix):
        gan.gan_step(G, D, opt_g, opt_d, z_dim=3)(None, (scale(x), y))


def test_gan_step_updates_discriminator_then_generator():
    assert update_order(_batch()) == ["D", "G"]


def test_gan_step_puts_no_gradient_into_generator_during_the_discriminator_update():
    G, D, opt_g, opt_d = _setup()
    g_grads_at_d_step = []
    d_step = opt_d.step

    def spy(*args, **kwargs):
        g_grads_at_d_step.append([p.grad for p in G.parameters()])
        return d_step(*args, **kwargs)

    opt_d.step = spy
    gan.gan_step(G, D, opt_g, opt_d, z_dim=3)(None, _batch())
    assert all(g is None or torch.count_nonzero(g) == 0 for g in g_grads_at_d_step[0])


def test_gan_step_changes_the_parameters_of_both_networks():
    G, D, opt_g, opt_d = _setup()
    before_g = [p.detach().clone() for p in G.parameters()]
    before_d = [p.detach().clone() for p in D.parameters()]
    gan.gan_step(G, D, opt_g, opt_d, z_dim=3)(None, _batch())
    assert all(not torch.equal(a, b) for a, b in zip(before_g, G.parameters()))
    assert all(not torch.equal(a, b) for a, b in zip(before_d, D.parameters()))


def test_gan_step_reports_losses_and_mean_probabilities():
    G, D, opt_g, opt_d = _setup()
    logs = gan.gan_step(G, D, opt_g, opt_d, z_dim=3)(None, _batch())
    assert set(logs) == {"d_loss", "g_loss", "d_real", "d_fake"}
    assert all(math.isfinite(float(v)) for v in logs.values())
    assert 0 < float(logs["d_real"]) < 1 and 0 < float(logs["d_fake"]) < 1


@pytest.mark.parametrize("loss, d_loss_fn", [("bce", gan.d_loss), ("hinge", gan.d_hinge_loss)])
def test_gan_step_reports_its_d_loss_computed_before_the_update(loss, d_loss_fn):
    G, D, opt_g, opt_d = _setup()
    x, _ = _batch()
    torch.manual_seed(5)
    z = torch.randn(8, 3)
    with torch.no_grad():
        expected = d_loss_fn(D(x), D(G(z))).item()
    torch.manual_seed(5)
    logs = gan.gan_step(G, D, opt_g, opt_d, z_dim=3, loss=loss)(None, (x, torch.zeros(8, dtype=torch.int64)))
    assert float(logs["d_loss"]) == pytest.approx(expected, rel=1e-6)


def test_gan_step_rejects_an_unknown_loss_and_bce_options_with_the_hinge_loss():
    G, D, opt_g, opt_d = _setup()
    with pytest.raises(ValueError, match="bce"):
        gan.gan_step(G, D, opt_g, opt_d, z_dim=3, loss="wasserstein")
    with pytest.raises(ValueError, match="cross-entropy"):
        gan.gan_step(G, D, opt_g, opt_d, z_dim=3, loss="hinge", smooth=0.1)
    with pytest.raises(ValueError, match="cross-entropy"):
        gan.gan_step(G, D, opt_g, opt_d, z_dim=3, loss="hinge", saturating=True)


def test_gan_step_conditional_feeds_the_batch_labels_to_both_networks():
    G, D, opt_g, opt_d = _setup(n_classes=3)
    x, y = _batch()
    gan.gan_step(G, D, opt_g, opt_d, z_dim=3, n_classes=3)(None, (x, y))
    assert G.seen_y and all(torch.equal(s, y) for s in G.seen_y)
    assert len(D.seen_y) == 3 and all(torch.equal(s, y) for s in D.seen_y)  # real, fake (D step), fake (G step)


def test_gan_step_conditional_needs_labels():
    G, D, opt_g, opt_d = _setup(n_classes=3)
    with pytest.raises(ValueError, match="labels"):
        gan.gan_step(G, D, opt_g, opt_d, z_dim=3, n_classes=3)(None, _batch()[0])


def test_gan_step_with_d_steps_updates_the_discriminator_that_many_times_then_the_generator_once():
    assert update_order(_batch(n=12), d_steps=3) == ["D", "D", "D", "G"]


def test_gan_step_with_d_steps_gives_each_discriminator_update_its_own_real_images():
    G, D, opt_g, opt_d = _setup()
    x, _ = _batch(n=8)
    seen = []
    D.register_forward_pre_hook(lambda module, inputs: seen.append(inputs[0].detach().clone()))
    gan.gan_step(G, D, opt_g, opt_d, z_dim=3, d_steps=2)(None, x)
    assert len(seen) == 5                  # (real, fake) per D update, then the fakes for G's update
    assert torch.equal(seen[0], x[:4]) and torch.equal(seen[2], x[4:])
    assert torch.equal(seen[3], seen[4])   # G learns from the fakes of the last D update


def test_gan_step_with_d_steps_reports_the_mean_of_its_discriminator_losses(monkeypatch):
    losses = []
    hinge = gan.d_hinge_loss
    monkeypatch.setattr(gan, "d_hinge_loss", lambda r, f: (losses.append(hinge(r, f).item()), hinge(r, f))[1])
    G, D, opt_g, opt_d = _setup()
    logs = gan.gan_step(G, D, opt_g, opt_d, z_dim=3, loss="hinge", d_steps=2)(None, _batch(n=8))
    assert len(losses) == 2 and losses[0] != losses[1]
    assert float(logs["d_loss"]) == pytest.approx(sum(losses) / 2, rel=1e-6)


@pytest.mark.parametrize("bad", [0, -1, 1.5, True, "2"])
def test_gan_step_rejects_a_d_steps_that_is_not_a_positive_int(bad):
    G, D, opt_g, opt_d = _setup()
    with pytest.raises(ValueError, match="d_steps"):
        gan.gan_step(G, D, opt_g, opt_d, z_dim=3, d_steps=bad)


def test_gan_step_with_d_steps_rejects_a_batch_that_does_not_split_into_equal_parts():
    G, D, opt_g, opt_d = _setup()
    with pytest.raises(ValueError, match="d_steps=3 splits each batch into 3 equal parts.*got a batch of 8"):
        gan.gan_step(G, D, opt_g, opt_d, z_dim=3, d_steps=3)(None, _batch(n=8))


def test_gan_step_trains_through_fit():
    G, D, opt_g, opt_d = _setup()
    x, y = _batch(n=32)
    batches = [(x[i:i + 8], y[i:i + 8]) for i in range(0, 32, 8)]
    history = fit(nn.ModuleDict({"G": G, "D": D}), batches, step_fn=gan.gan_step(G, D, opt_g, opt_d, z_dim=3),
                  optimizer={"G": opt_g, "D": opt_d}, epochs=2, device="cpu", progress=False, verbose=False)
    assert {"train_d_loss", "train_g_loss", "train_d_real", "train_d_fake"} <= set(history)
    assert len(history["train_d_loss"]) == 2


# ---------------------------------------------------------------- theory on a grid

GRID = np.linspace(-10, 10, 8001)
P_DATA = gan.Mixture1D([-1.5, 1.5], [0.5, 0.6])
P_G = gan.Mixture1D([0.0], [1.3])


def test_optimal_discriminator_formula():
    d = gan.optimal_discriminator([1.0, 0.0, 3.0, 0.2], [1.0, 2.0, 1.0, 0.0])
    assert np.allclose(d, [0.5, 0.0, 0.75, 1.0])


def test_optimal_discriminator_is_nan_where_both_densities_vanish():
    assert np.isnan(gan.optimal_discriminator([0.0], [0.0])[0])


def test_value_at_optimal_discriminator_is_minus_log4_plus_twice_jsd():
    p, q = P_DATA.pdf(GRID), P_G.pdf(GRID)
    value = gan.value_function(gan.optimal_discriminator(p, q), p, q, GRID)
    assert value == pytest.approx(-math.log(4) + 2 * gan.jsd(p, q, GRID), abs=1e-6)
    assert value > -math.log(4) + 1e-3  # p_g != p_data: strictly above the minimum


def test_value_at_equilibrium_is_minus_log4():
    p = P_DATA.pdf(GRID)
    assert gan.value_function(gan.optimal_discriminator(p, p), p, p, GRID) == pytest.approx(-math.log(4), abs=1e-6)


def test_optimal_discriminator_maximises_the_value():
    p, q = P_DATA.pdf(GRID), P_G.pdf(GRID)
    d_star = gan.optimal_discriminator(p, q)
    best = gan.value_function(d_star, p, q, GRID)
    for eps in (0.05, -0.05):
        assert gan.value_function(np.clip(d_star + eps, 0, 1), p, q, GRID) < best


def test_jsd_bounds_and_symmetry():
    assert gan.jsd([0.2, 0.8], [0.2, 0.8]) == pytest.approx(0.0, abs=1e-12)
    assert gan.jsd([1.0, 0.0], [0.0, 1.0]) == pytest.approx(LOG2)
    assert gan.jsd([0.3, 0.7], [0.6, 0.4]) == pytest.approx(gan.jsd([0.6, 0.4], [0.3, 0.7]))


def test_jsd_normalises_masses():
    assert gan.jsd([2.0, 8.0], [1.0, 4.0]) == pytest.approx(0.0, abs=1e-12)


@pytest.mark.parametrize("scale_p, scale_q, says", [(30.0, 1.0, "p integrates to 30"),
                                                      (1.0, 0.0, "q integrates to 0")])
def test_jsd_and_value_function_on_a_grid_refuse_what_is_not_a_density(scale_p, scale_q, says):
    """Unnormalised values used to give a 'JSD' of 9.1, far outside [0, log 2]."""
    p, q = scale_p * P_DATA.pdf(GRID), scale_q * P_G.pdf(GRID)
    with pytest.raises(ValueError, match=says):
        gan.jsd(p, q, GRID)
    with pytest.raises(ValueError, match=says.replace("p ", "p_data ").replace("q ", "p_g ")):
        gan.value_function(np.full_like(GRID, 0.5), p, q, GRID)


def test_jsd_on_a_grid_that_cuts_off_much_of_the_mass_says_to_widen_it():
    narrow = np.linspace(-1, 1, 401)
    with pytest.raises(ValueError, match="widen the grid"):
        gan.jsd(P_DATA.pdf(narrow), P_G.pdf(narrow), narrow)


def test_jsd_rejects_negative_densities():
    with pytest.raises(ValueError, match="non-negative"):
        gan.jsd([0.5, -0.1], [0.5, 0.5])


# ---------------------------------------------------------------- theory on samples

def test_mixture_samples_match_its_density():
    samples = P_DATA.sample(50_000, torch.Generator().manual_seed(0)).squeeze(1).numpy()
    hist, edges = np.histogram(samples, bins=40, range=(-3, 3), density=True)
    centers = (edges[1:] + edges[:-1]) / 2
    assert np.abs(hist * np.mean((samples > -3) & (samples < 3)) - P_DATA.pdf(centers)).max() < 0.05


def test_trained_discriminator_approaches_the_optimal_one():
    torch.manual_seed(0)
    D, losses = gan.train_discriminator_1d(P_DATA, P_G, steps=600, batch_size=512, hidden=32, lr=1e-2)
    x = np.linspace(-2.5, 2.5, 51)
    gap = np.abs(gan.discriminator_on_grid(D, x) - gan.optimal_discriminator(P_DATA.pdf(x), P_G.pdf(x)))
    assert gap.max() < 0.1
    assert np.mean(losses[-20:]) < np.mean(losses[:20])


def test_value_estimate_is_minus_d_loss_of_the_samples():
    torch.manual_seed(0)
    D = gan.Discriminator1D(hidden=4)
    gen = torch.Generator().manual_seed(7)
    real, fake = P_DATA.sample(500, gen), P_G.sample(500, gen)
    with torch.no_grad():
        expected = -float(gan.d_loss(D(real), D(fake)))
        swapped = -float(gan.d_loss(D(fake), D(real)))
    assert abs(expected - swapped) > 1e-3   # the case tells real from fake
    assert gan.value_estimate(D, P_DATA, P_G, n=500, seed=7) == pytest.approx(expected, rel=1e-6)


def test_value_of_an_undecided_discriminator_is_minus_log_4():
    D = gan.Discriminator1D(hidden=4)
    with torch.no_grad():
        for p in D.parameters():
            p.zero_()
    assert gan.value_estimate(D, P_DATA, P_G, n=100) == pytest.approx(-math.log(4), abs=1e-6)


def test_mixture_toward_interpolates_and_ends_at_the_target():
    start = gan.Mixture1D([0.0, 0.0], [1.3, 1.3])
    end = start.toward(P_DATA, 1.0)
    assert end.means == pytest.approx(P_DATA.means) and end.stds == pytest.approx(P_DATA.stds)
    half = start.toward(P_DATA, 0.5)
    assert half.means == pytest.approx((-0.75, 0.75)) and half.stds == pytest.approx((0.9, 0.95))
    with pytest.raises(ValueError, match="components"):
        P_G.toward(P_DATA, 0.5)


def test_kde_discriminator_approximates_the_optimal_one():
    gen = torch.Generator().manual_seed(0)
    real, fake = P_DATA.sample(4000, gen), P_G.sample(4000, gen)
    x = np.linspace(-2, 2, 21)
    gap = np.abs(gan.kde_discriminator(real, fake, x) - gan.optimal_discriminator(P_DATA.pdf(x), P_G.pdf(x)))
    assert gap.max() < 0.1


def test_generator_gradient_is_the_chain_rule_through_d():
    D = gan.Discriminator1D(hidden=1)
    with torch.no_grad():  # logit(x) = 2 x exactly: a single linear path
        D.net = nn.Sequential(nn.Linear(1, 1))
        D.net[0].weight.fill_(2.0)
        D.net[0].bias.zero_()
    x = np.array([-3.0, 0.0, 1.0])
    d = 1 / (1 + np.exp(-2 * x))
    assert np.allclose(gan.generator_gradient(D, x), -(1 - d) * 2, atol=1e-6)
    assert np.allclose(gan.generator_gradient(D, x, saturating=True), -d * 2, atol=1e-6)



# ------------------------------------------------------------ the game's dynamics

def distances(path):
    return np.hypot(path[:, 0], path[:, 1])


def test_alternating_steps_on_the_bilinear_game_orbit_the_equilibrium_without_reaching_it():
    r = distances(gan.bilinear_game(5000, lr=0.1, start=(1.0, 0.0)))
    assert 0.9 < r.min() and r.max() < 1.1             # a closed orbit of radius about 1
    half = r[len(r) // 2:]
    assert half.min() < r[0] < half.max() * 1.01       # still going round after 2500 steps


def test_simultaneous_steps_spiral_out_by_sqrt_one_plus_lr_squared_per_step():
    r = distances(gan.bilinear_game(50, lr=0.2, start=(0.6, 0.8), alternating=False))
    assert r == pytest.approx(1.04 ** (np.arange(51) / 2), rel=1e-12)


def test_the_running_average_of_the_orbit_ends_near_the_equilibrium():
    path = gan.bilinear_game(20000, lr=0.1, start=(1.0, 0.0))
    average = gan.running_average(path, decay=0.999)
    assert distances(average)[-1] < 0.1 * distances(path).min()


def test_running_average_starts_at_the_first_point_and_ramps_its_decay_up():
    path = np.array([[0.0], [1.0], [1.0]])
    average = gan.running_average(path, decay=0.999)
    first = 1 - 2 / 11                                  # decay 2/11 after one step
    assert average[:, 0] == pytest.approx([0.0, first, 1 - (3 / 12) * (1 - first)])


@pytest.mark.parametrize("kwargs, match", [({"steps": 0}, "steps"), ({"steps": 10, "lr": 2.0}, "lr"),
                                           ({"steps": 10, "lr": 0.0}, "lr")])
def test_bilinear_game_rejects_no_steps_and_a_rate_outside_zero_to_two(kwargs, match):
    with pytest.raises(ValueError, match=match):
        gan.bilinear_game(**kwargs)


def test_bilinear_game_wants_a_starting_point_of_two_numbers():
    with pytest.raises(ValueError, match=r"start must be a point \(x, y\)"):
        gan.bilinear_game(5, start=(1.0, 2.0, 3.0))


def test_train_discriminator_1d_refuses_zero_steps():
    with pytest.raises(ValueError, match="steps must be a positive int"):
        gan.train_discriminator_1d(P_DATA, P_G, steps=0)

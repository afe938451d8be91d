"""coursekit.optim (hand-written optimizers and schedules, checked against torch.optim)
and coursekit.models.mlp (the hand-written MLP whose gradients they use)."""
import copy
import math
import os
from functools import partial

import pytest
import torch
from torch import nn

from coursekit import classify, data, optim, train
from coursekit.models import mlp


def twin_models(seed=0):
    """Two float64 MLPs with the same weights, and a fixed batch."""
    torch.manual_seed(seed)
    a = mlp.MLP(n_inputs=6, hidden=(5,), n_classes=3).double()
    b = copy.deepcopy(a)
    g = torch.Generator().manual_seed(seed)
    batches = [(torch.randn(8, 6, generator=g, dtype=torch.float64), torch.randint(0, 3, (8,), generator=g))
               for _ in range(6)]
    return a, b, batches


def max_difference_after_steps(ours_cls, theirs_cls, **kwargs):
    a, b, batches = twin_models()
    opt_a, opt_b = ours_cls(a.parameters(), **kwargs), theirs_cls(b.parameters(), **kwargs)
    for x, y in batches:
        for model, opt in ((a, opt_a), (b, opt_b)):
            opt.zero_grad()
            nn.functional.cross_entropy(model(x), y).backward()
            opt.step()
    return max((p - q).abs().max().item() for p, q in zip(a.parameters(), b.parameters()))


# ------------------------------------------------------------- optimizers

def test_sgd_matches_torch_sgd_step_by_step_in_float64():
    assert max_difference_after_steps(optim.SGD, torch.optim.SGD, lr=0.1) < 1e-14


def test_momentum_sgd_matches_torch_sgd_with_momentum():
    assert max_difference_after_steps(optim.SGD, torch.optim.SGD, lr=0.05, momentum=0.9) < 1e-14


def test_adam_matches_torch_adam_step_by_step_in_float64():
    assert max_difference_after_steps(optim.Adam, torch.optim.Adam, lr=0.01, betas=(0.8, 0.99)) < 1e-13


def test_optimizers_actually_move_the_weights():
    """The comparison above would also pass if neither optimizer did anything."""
    a, b, batches = twin_models()
    opt = optim.Adam(a.parameters(), lr=0.01)
    x, y = batches[0]
    nn.functional.cross_entropy(a(x), y).backward()
    opt.step()
    assert max((p - q).abs().max().item() for p, q in zip(a.parameters(), b.parameters())) > 1e-3


def test_first_adam_step_moves_every_weight_by_about_lr():
    """Bias correction: on step 1, m_hat / sqrt(v_hat) = g / |g| = ±1."""
    g = torch.Generator().manual_seed(0)
    p, grad = torch.randn(50, generator=g, dtype=torch.float64), torch.randn(50, generator=g, dtype=torch.float64)
    new, m, v = optim.adam_step(p, grad, torch.zeros_like(p), torch.zeros_like(p), 1, lr=0.01)
    assert torch.allclose((p - new).abs(), torch.full_like(p, 0.01), rtol=1e-5)
    assert torch.allclose(m, 0.1 * grad, rtol=1e-12) and torch.allclose(v, 0.001 * grad**2, rtol=1e-12)


def test_sgd_step_without_momentum_keeps_no_buffer_and_does_not_modify_its_input():
    p, grad = torch.ones(3), torch.full((3,), 2.0)
    new, buf = optim.sgd_step(p, grad, lr=0.5)
    assert buf is None and torch.equal(new, torch.zeros(3)) and torch.equal(p, torch.ones(3))


def test_update_rules_reject_mismatched_tensors_and_step_zero():
    with pytest.raises(ValueError, match="one shape and dtype"):
        optim.sgd_step(torch.ones(3), torch.ones(4), lr=0.1)
    with pytest.raises(ValueError, match="1 for the first"):
        optim.adam_step(torch.ones(3), torch.ones(3), torch.zeros(3), torch.zeros(3), 0)


# -------------------------------------------------------------- schedules

def lrs_of_torch_scheduler(make, epochs=12, lr0=0.1):
    opt = torch.optim.SGD([nn.Parameter(torch.zeros(1))], lr=lr0)
    sched = make(opt)
    lrs = []
    for _ in range(epochs):
        lrs.append(opt.param_groups[0]["lr"])
        opt.step()
        sched.step()
    return lrs


def lrs_of_schedule(schedule, epochs=12, lr0=0.1):
    opt = torch.optim.SGD([nn.Parameter(torch.zeros(1))], lr=lr0)
    sched = optim.ScheduledLR(opt, schedule)
    lrs = []
    for _ in range(epochs):
        lrs.append(opt.param_groups[0]["lr"])
        sched.step()
    return lrs


@pytest.mark.parametrize("ours, theirs", [
    (partial(optim.step_decay, lr0=0.1, every=4, gamma=0.5),
     lambda o: torch.optim.lr_scheduler.StepLR(o, step_size=4, gamma=0.5)),
    (partial(optim.exponential, lr0=0.1, gamma=0.95),
     lambda o: torch.optim.lr_scheduler.ExponentialLR(o, gamma=0.95)),
    (partial(optim.cosine, lr0=0.1, total=10, lr_min=0.001),
     lambda o: torch.optim.lr_scheduler.CosineAnnealingLR(o, T_max=10, eta_min=0.001)),
    (partial(optim.inverse_time, lr0=0.1, k=0.3),
     lambda o: torch.optim.lr_scheduler.LambdaLR(o, lambda t: 1 / (1 + 0.3 * t))),
    (partial(optim.constant, lr0=0.1), lambda o: torch.optim.lr_scheduler.LambdaLR(o, lambda t: 1.0)),
], ids=["step", "exponential", "cosine", "inverse_time", "constant"])
def test_schedules_match_torch_schedulers(ours, theirs):
    assert lrs_of_schedule(ours, epochs=10) == pytest.approx(lrs_of_torch_scheduler(theirs, epochs=10), rel=1e-12)


def test_article_schedule_grows_from_half_lr0_towards_lr0():
    lrs = [optim.article_schedule(t, lr0=1e-3) for t in range(100)]
    assert lrs[0] == pytest.approx(5e-4)
    assert all(b > a for a, b in zip(lrs, lrs[1:]))
    assert lrs[-1] == pytest.approx(1e-3, rel=0.01)


@pytest.mark.parametrize("schedule", [partial(optim.step_decay, lr0=1.0, every=3), partial(optim.exponential, lr0=1.0),
                                      partial(optim.inverse_time, lr0=1.0, k=0.1), partial(optim.cosine, lr0=1.0, total=50)],
                         ids=["step", "exponential", "inverse_time", "cosine"])
def test_real_decays_start_at_lr0_and_never_increase(schedule):
    lrs = [schedule(t) for t in range(60)]
    assert lrs[0] == 1.0 and lrs[-1] < 0.5
    assert all(b <= a for a, b in zip(lrs, lrs[1:]))


def test_linear_tail_holds_lr0_then_falls_linearly_to_zero_at_the_end():
    lrs = [optim.linear_tail(t, lr0=1.0, total=30, start=20) for t in range(32)]
    assert lrs[:20] == [1.0] * 20
    assert lrs[20] == pytest.approx(0.95) and lrs[29] == pytest.approx(0.05)
    assert all(b - a == pytest.approx(-0.1) for a, b in zip(lrs[20:30], lrs[21:30]))
    assert lrs[30] == lrs[31] == 0.0


@pytest.mark.parametrize("start, total", [(30, 30), (-1, 30), (5, 0)])
def test_linear_tail_rejects_a_start_outside_the_run(start, total):
    with pytest.raises(ValueError, match="0 <= start < total"):
        optim.linear_tail(0, lr0=1.0, total=total, start=start)


def test_scheduled_lr_state_dict_restores_the_epoch_and_the_rate():
    opt = torch.optim.SGD([nn.Parameter(torch.zeros(1))], lr=1.0)
    sched = optim.ScheduledLR(opt, partial(optim.exponential, lr0=1.0, gamma=0.5))
    for _ in range(3):
        sched.step()
    opt2 = torch.optim.SGD([nn.Parameter(torch.zeros(1))], lr=1.0)
    sched2 = optim.ScheduledLR(opt2, partial(optim.exponential, lr0=1.0, gamma=0.5))
    sched2.load_state_dict(sched.state_dict())
    assert sched2.get_last_lr() == [0.125] and opt2.param_groups[0]["lr"] == 0.125


# ------------------------------------------------------------ weight averaging

def batchnorm_net(fill: float) -> nn.Module:
    net = nn.Sequential(nn.Linear(2, 2), nn.BatchNorm1d(2))
    with torch.no_grad():
        for t in list(net.parameters()) + [net[1].running_mean, net[1].running_var]:
            t.fill_(fill)
        net[1].num_batches_tracked.fill_(int(10 * fill))
    return net


def test_ema_update_moves_every_weight_the_fraction_one_minus_decay_towards_the_model():
    average, model = batchnorm_net(0.0), batchnorm_net(1.0)
    optim.ema_update(average, model, decay=0.9)
    optim.ema_update(average, model, decay=0.9)
    for a in average.parameters():                            # 1 - 0.9^2 of the way after two steps
        assert torch.allclose(a, torch.full_like(a, 0.19))


def test_ema_update_averages_batchnorm_statistics_and_copies_its_step_counter():
    average, model = batchnorm_net(0.0), batchnorm_net(1.0)
    optim.ema_update(average, model, decay=0.75)
    assert torch.allclose(average[1].running_mean, torch.full((2,), 0.25))
    assert torch.allclose(average[1].running_var, torch.full((2,), 0.25))
    assert int(average[1].num_batches_tracked) == 10


def test_ema_update_with_decay_zero_copies_the_model_and_leaves_it_alone():
    average, model = batchnorm_net(0.0), batchnorm_net(1.0)
    before = copy.deepcopy(model.state_dict())
    optim.ema_update(average, model, decay=0.0)
    for k, v in model.state_dict().items():
        assert torch.equal(average.state_dict()[k], v) and torch.equal(before[k], v)


@pytest.mark.parametrize("bad", [1.0, -0.1, True, "0.9"])
def test_ema_update_rejects_a_decay_outside_zero_to_one(bad):
    with pytest.raises(ValueError, match="decay must be a number in"):
        optim.ema_update(batchnorm_net(0.0), batchnorm_net(1.0), decay=bad)


def test_ema_decay_ramps_up_from_two_elevenths_to_the_asked_decay():
    assert optim.ema_decay_at(1, 0.999) == pytest.approx(2 / 11)
    assert optim.ema_decay_at(90, 0.999) == pytest.approx(0.91)
    assert optim.ema_decay_at(100_000, 0.999) == 0.999
    assert optim.ema_decay_at(5, 0.0) == 0.0


@pytest.mark.parametrize("bad", [0, -3, 1.5, True])
def test_ema_decay_rejects_a_step_count_below_one(bad):
    with pytest.raises(ValueError, match="step must be"):
        optim.ema_decay_at(bad, 0.999)


def test_ema_update_rejects_a_model_of_another_architecture():
    with pytest.raises(ValueError, match="architecture"):
        optim.ema_update(nn.Linear(2, 3), nn.Linear(2, 2), decay=0.9)


# --------------------------------------------------------- the training run

@pytest.fixture(scope="module")
def phantom_breast():
    with pytest.warns(data.FallbackDataWarning):
        train = data.load_medmnist("breastmnist", "train", root="/nonexistent-dir", download=False)
        val = data.load_medmnist("breastmnist", "val", root="/nonexistent-dir", download=False)
    return train.subset(128), val


def test_a_scheduled_training_run_records_validation_metrics_and_the_rate_of_each_epoch(phantom_breast, tmp_path):
    train, val = phantom_breast
    torch.manual_seed(0)
    model = mlp.MLP(784, (16,), 2)
    opt = optim.SGD(model.parameters(), lr=0.1, momentum=0.9)
    sched = optim.ScheduledLR(opt, partial(optim.exponential, lr0=0.1, gamma=0.5))
    hist = classify.train_classifier(model, train, val, optimizer=opt, scheduler=sched, epochs=3, batch_size=32,
                                     max_shift=0, select_best=False, checkpoint=tmp_path / "run.pt",
                                     hparams={"opt": "momentum"}, device="cpu", progress=False, verbose=False)
    assert hist["lr"] == pytest.approx([0.1, 0.05, 0.025])
    assert {"train_loss", "val_loss", "val_auc", "val_acc"} <= set(hist)
    assert len(list(tmp_path.glob("run-*.pt"))) == 1


def test_schedule_plot_draws_each_epochs_rate_where_the_run_plot_draws_it(phantom_breast, tmp_path):
    """Epoch 1 trains at schedule(0); both figures count epochs from 1, so the curves coincide."""
    train, val = phantom_breast
    schedule = partial(optim.exponential, lr0=0.1, gamma=0.5)
    torch.manual_seed(0)
    model = mlp.MLP(784, (16,), 2)
    opt = optim.SGD(model.parameters(), lr=0.1)
    hist = classify.train_classifier(model, train, val, optimizer=opt, scheduler=optim.ScheduledLR(opt, schedule),
                                     epochs=3, batch_size=32, max_shift=0, select_best=False,
                                     checkpoint=tmp_path / "run.pt", device="cpu", progress=False, verbose=False)
    (planned,) = optim.plot_schedules({"exponential": schedule}, 3).axes[0].get_lines()
    (recorded,) = optim.plot_runs({"exponential": hist}, keys=("lr",)).axes[0].get_lines()
    assert list(planned.get_xdata()) == list(recorded.get_xdata()) == [1, 2, 3]
    assert list(planned.get_ydata()) == pytest.approx(list(recorded.get_ydata()))


def test_a_run_with_a_hand_written_optimizer_resumes_where_a_straight_run_would_be(tmp_path):
    """Adam's moments travel in the checkpoint: 1 epoch, then 2 more resumed, equals 3 epochs straight."""
    g = torch.Generator().manual_seed(0)
    x = torch.rand(96, 1, 8, 8, generator=g)
    y = (x[:, 0, :4].mean((1, 2)) > x[:, 0, 4:].mean((1, 2))).long()   # a learnable rule

    def run(epochs, ckpt):
        torch.manual_seed(0)
        model = mlp.MLP(64, (16,), 2)
        hist = train.fit(model, data.DeviceBatches(x, y, batch_size=16, device="cpu"),
                         loss_fn=lambda m, b: nn.functional.cross_entropy(m(b[0]), b[1]),
                         optimizer=optim.Adam(model.parameters(), lr=1e-2), epochs=epochs, checkpoint=ckpt,
                         resume=True, device="cpu", progress=False, verbose=False)
        return model, hist

    straight, _ = run(3, tmp_path / "straight.pt")
    _, first = run(1, tmp_path / "resumed.pt")
    resumed, hist = run(3, tmp_path / "resumed.pt")
    assert hist["time_s"][:1] == first["time_s"]   # epoch 1 came from the checkpoint, not a retraining
    assert all(torch.equal(a, b) for a, b in zip(straight.parameters(), resumed.parameters()))


# ------------------------------------------------------ the hand-written MLP

def small_problem(seed=0, n=7, d=5, h=4, k=3):
    params = mlp.init_params(d, h, k, seed=seed)
    g = torch.Generator().manual_seed(seed + 1)
    return params, torch.randn(n, d, generator=g, dtype=torch.float64), torch.randint(0, k, (n,), generator=g)


@pytest.mark.parametrize("act", mlp.ACTIVATIONS)
def test_hand_written_backward_matches_autograd(act):
    params, x, y = small_problem()
    loss, grads = mlp.loss_and_grads(params, x, y, act)
    leaves = {k: v.clone().requires_grad_(True) for k, v in params.items()}
    ref = nn.functional.cross_entropy(mlp.forward(leaves, x, act)[0], y)
    auto = torch.autograd.grad(ref, list(leaves.values()))
    assert loss.item() == pytest.approx(ref.item(), rel=1e-14)
    for name, g in zip(leaves, auto):
        assert torch.allclose(grads[name], g, rtol=1e-12, atol=1e-15), name


def test_hand_written_backward_matches_central_differences():
    params, x, y = small_problem()
    _, grads = mlp.loss_and_grads(params, x, y, "tanh")
    numeric = mlp.numerical_gradient(lambda p: mlp.loss_and_grads(p, x, y, "tanh")[0], params)
    for name in params:
        assert mlp.relative_error(grads[name], numeric[name]) < 1e-8, name


def test_numerical_gradient_leaves_the_weights_unchanged():
    params, x, y = small_problem()
    before = {k: v.clone() for k, v in params.items()}
    mlp.numerical_gradient(lambda p: mlp.loss_and_grads(p, x, y)[0], params)
    assert all(torch.equal(before[k], params[k]) for k in params)


def test_numerical_gradient_works_on_weights_that_require_grad():
    """Leaves made for autograd (as the chapter makes them) failed with an in-place-on-leaf error."""
    params, x, y = small_problem()
    leaves = {k: v.clone().requires_grad_(True) for k, v in params.items()}
    _, grads = mlp.loss_and_grads(params, x, y, "tanh")
    numeric = mlp.numerical_gradient(lambda p: mlp.loss_and_grads(p, x, y, "tanh")[0], leaves)
    for name in params:
        assert mlp.relative_error(grads[name], numeric[name]) < 1e-8, name
        assert torch.equal(leaves[name], params[name]) and leaves[name].requires_grad


def test_numerical_gradient_restores_the_weights_when_f_raises():
    params, x, y = small_problem()
    before = {k: v.clone() for k, v in params.items()}
    calls = []

    def f(p):
        calls.append(1)
        if len(calls) == 3:
            raise KeyboardInterrupt
        return mlp.loss_and_grads(p, x, y)[0]

    with pytest.raises(KeyboardInterrupt):
        mlp.numerical_gradient(f, params)
    assert all(torch.equal(before[k], params[k]) for k in params)


def test_forward_refuses_unflattened_images_and_says_flatten_1():
    params = mlp.init_params(784, 4, 2)
    with pytest.raises(ValueError, match=r"\(N, 784\).*got shape \(3, 1, 28, 28\).*x\.flatten\(1\)"):
        mlp.forward(params, torch.rand(3, 1, 28, 28, dtype=torch.float64))


def test_forward_refuses_inputs_of_another_width_than_w1():
    params = mlp.init_params(49, 4, 2)
    with pytest.raises(ValueError, match=r"\(N, 49\).*got shape \(3, 784\)"):
        mlp.forward(params, torch.rand(3, 784, dtype=torch.float64))


def test_forward_refuses_float32_input_to_the_float64_weights_of_init_params():
    params = mlp.init_params(784, 4, 2)
    with pytest.raises(TypeError, match=r"float64.*got float32.*x\.double\(\).*dtype=torch\.float32"):
        mlp.forward(params, torch.rand(3, 784))


@pytest.mark.parametrize("act", mlp.ACTIVATIONS)
def test_activation_grad_matches_autograd(act):
    z = torch.cat([torch.linspace(-6, 6, 101, dtype=torch.float64),        # this grid misses 0 by 2e-16
                   torch.zeros(1, dtype=torch.float64)]).requires_grad_(True)   # the kink, where ReLU's is 0
    (auto,) = torch.autograd.grad(mlp.activation(act, z).sum(), z)
    assert torch.allclose(mlp.activation_grad(act, z.detach()), auto, atol=1e-15)


def test_sigmoid_derivative_peaks_at_one_quarter_and_stays_finite_far_out():
    z = torch.tensor([-1000.0, -30.0, 0.0, 30.0, 1000.0], dtype=torch.float64)
    d = mlp.activation_grad("sigmoid", z)
    assert torch.isfinite(d).all() and d[2] == 0.25 and d.max() == 0.25


def test_softmax_cross_entropy_is_finite_for_huge_and_widely_spread_logits():
    logits = torch.tensor([[1000.0, 1001.0, 999.0], [0.0, 800.0, -5.0]], dtype=torch.float64)
    y = torch.tensor([0, 0])
    loss, d = mlp.softmax_cross_entropy(logits, y)
    ref = nn.functional.cross_entropy(logits, y)
    assert math.isfinite(loss.item()) and loss.item() == pytest.approx(ref.item(), rel=1e-12)
    assert torch.isfinite(d).all()


def test_softmax_cross_entropy_refuses_labels_of_shape_n_1_and_says_how_to_flatten_them():
    """(N, 1) labels, as medmnist's DataLoader and .npz files give them, broadcast in the
    indexing: the loss read 1.57 instead of 0.24, and the gradient rows no longer summed to 0."""
    logits = torch.tensor([[2.0, 0, 0], [0, 2.0, 0], [0, 0, 2.0]], dtype=torch.float64)
    with pytest.raises(ValueError, match=r"labels of shape \(N,\) = \(3,\).*got \(3, 1\).*y\.squeeze\(1\)"):
        mlp.softmax_cross_entropy(logits, torch.tensor([[0], [1], [2]]))


def test_softmax_cross_entropy_refuses_a_negative_label():
    """y = -1 picked the last class, with no error."""
    with pytest.raises(ValueError, match=r"class indices in \[0, 3\)"):
        mlp.softmax_cross_entropy(torch.zeros(2, 3, dtype=torch.float64), torch.tensor([0, -1]))


def test_params_of_reads_an_mlp_so_that_the_hand_written_forward_gives_its_logits():
    torch.manual_seed(0)
    model = mlp.MLP(12, (6,), 3).double()
    x = torch.randn(4, 1, 3, 4, dtype=torch.float64)
    logits, _ = mlp.forward(mlp.params_of(model), x.flatten(1))
    assert torch.allclose(logits, model(x), atol=1e-14)


def test_mlp_maps_images_to_logits_and_rejects_the_wrong_size():
    model = mlp.MLP(784, (32, 16), 2, activation="tanh")
    assert model(torch.rand(5, 1, 28, 28)).shape == (5, 2)
    with pytest.raises(ValueError, match="784 inputs"):
        model(torch.rand(5, 1, 64, 64))
    with pytest.raises(ValueError, match="unknown activation"):
        mlp.MLP(activation="swish")


def test_mlp_learns_real_breastmnist_better_than_chance():
    """On the real data (when present): a few Adam epochs beat chance on the validation split."""
    root = os.environ.get("COURSEKIT_DATA")
    if not root or not os.path.isfile(os.path.join(root, "breastmnist.npz")):
        pytest.skip("COURSEKIT_DATA with breastmnist.npz is not available")
    train = data.load_medmnist("breastmnist", "train", root=root, download=False)
    val = data.load_medmnist("breastmnist", "val", root=root, download=False)
    torch.manual_seed(0)
    model = mlp.MLP(784, (32,), 2)
    hist = classify.train_classifier(model, train, val, optimizer=optim.Adam(model.parameters(), lr=1e-3),
                                     epochs=5, max_shift=0, select_best=False, device="cpu", progress=False,
                                     verbose=False)
    assert hist["train_loss"][-1] < hist["train_loss"][0]
    assert hist.last("val_auc") > 0.65


@pytest.mark.parametrize("call, says", [(lambda: optim.step_decay(3, 0.1, every=0), "every"),
                                        (lambda: optim.cosine(3, 0.1, total=0), "total"),
                                        (lambda: optim.chapter_schedules(0.1, epochs=0), "epochs")])
def test_schedules_refuse_a_period_that_is_not_a_positive_int(call, says):
    with pytest.raises(ValueError, match=f"{says} must be a positive int"):
        call()


def test_adam_step_takes_a_numpy_integer_step_number():
    import numpy as np
    p, g = torch.ones(3), torch.full((3,), 0.5)
    z = torch.zeros(3)
    assert torch.equal(optim.adam_step(p, g, z, z, np.int64(2))[0], optim.adam_step(p, g, z, z, 2)[0])


def _history(epochs=3):
    return {"epoch": list(range(1, epochs + 1)), "train_loss": [0.7, 0.5, 0.4], "val_loss": [0.7, 0.6, 0.6],
            "val_auc": [0.6, 0.7, 0.75], "lr": [0.1, 0.05, 0.025]}


def test_plot_runs_names_each_panel_and_its_axis_in_words():
    import matplotlib.pyplot as plt
    fig = optim.plot_runs({"SGD": _history()})
    assert [ax.get_title() for ax in fig.axes] == ["training loss", "validation loss", "validation AUC"]
    assert [ax.get_ylabel() for ax in fig.axes] == ["cross-entropy", "cross-entropy", "AUC"]
    plt.close(fig)


def test_plot_runs_takes_one_key_as_a_string():
    """A string used to be read as its characters: "plot_runs: run 'SGD' has no 't'"."""
    import matplotlib.pyplot as plt
    fig = optim.plot_runs({"SGD": _history()}, keys="val_auc")
    assert len(fig.axes) == 1 and fig.axes[0].get_title() == "validation AUC"
    plt.close(fig)


def test_plot_runs_and_plot_schedules_colour_each_run_from_the_palette_on_every_panel():
    """The course's curves take the colour-blind-safe PALETTE in order, and a run keeps its
    colour on every panel, so that chapter 1's optimiser figures follow the convention."""
    import matplotlib.pyplot as plt

    from coursekit.viz import PALETTE

    names = ["SGD", "momentum", "Adam"]
    fig = optim.plot_runs({name: _history() for name in names})
    for ax in fig.axes:
        assert [line.get_color() for line in ax.get_lines()] == list(PALETTE[:3])
    plt.close(fig)
    schedules = optim.chapter_schedules(0.1, 4)
    fig = optim.plot_schedules(schedules, 4)
    assert [line.get_color() for line in fig.axes[0].get_lines()] == list(PALETTE[:len(schedules)])
    plt.close(fig)


@pytest.mark.parametrize("betas", [0.9, (0.9,), (0.9, 1.0)])
def test_adam_refuses_betas_that_are_not_a_pair_below_one(betas):
    with pytest.raises(ValueError, match=r"betas must be a pair"):
        optim.Adam([torch.zeros(2, requires_grad=True)], betas=betas)

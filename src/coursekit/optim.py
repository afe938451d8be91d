"""Optimizers and learning-rate schedules written out by hand.

The update rules are plain functions of tensors, so that the arithmetic reads
like the equations of the chapter; the classes wrap them as
``torch.optim.Optimizer`` subclasses, so that they plug into
:func:`coursekit.train.fit` (checkpoints included). ``tests/test_optim.py``
checks every one of them against ``torch.optim`` step by step in float64.

=====================  =========================================================
``sgd_step``           ``p - lr * g`` (plain), or with a momentum buffer
``adam_step``          Adam's update with bias correction (Kingma & Ba, 2015)
``SGD``, ``Adam``      the same rules as optimizers (``torch.optim`` interface)
schedules              ``constant``, ``step_decay``, ``exponential``,
                       ``inverse_time``, ``cosine``: learning rate as a function
                       of the epoch; ``article_schedule`` is the misnamed
                       "decay" ``lr0 / (1 + 0.95**t)``, which *grows*
``ScheduledLR``        sets an optimizer's rate from a schedule once per epoch
``ema_update``,        a running average of a model's weights (Polyak averaging),
``ema_decay_at``       and its decay, ramped up over the first steps
``make_optimizer``     "sgd", "momentum" or "adam" by name
``chapter_schedules``  the schedules the chapter compares, from one ``lr0``
``plot_schedules``,    figures: learning rate against epoch; one panel per
``plot_runs``          recorded quantity, one curve per run
=====================  =========================================================

All tensors of one update share a shape and a floating dtype; steps count from 1.
"""
from __future__ import annotations

import math
from functools import partial
from typing import Callable, Mapping

import torch
from torch import nn

from .checks import check_positive_int, is_int

__all__ = ["sgd_step", "adam_step", "SGD", "Adam", "make_optimizer",
           "constant", "step_decay", "exponential", "inverse_time", "cosine", "linear_tail", "article_schedule",
           "chapter_schedules", "ScheduledLR", "ema_update", "ema_decay_at", "plot_schedules", "plot_runs"]


# ---------------------------------------------------------------- update rules

def sgd_step(param: torch.Tensor, grad: torch.Tensor, buf: torch.Tensor | None = None, *,
             lr: float, momentum: float = 0.0) -> tuple[torch.Tensor, torch.Tensor | None]:
    """One step of (momentum) SGD; returns ``(new param, new momentum buffer)``.

    Plain SGD (``momentum=0``): ``p <- p - lr * g`` and the buffer stays None.
    With momentum (PyTorch's convention, "heavy ball"): ``b <- momentum * b + g``
    (``b <- g`` on the first step, when ``buf`` is None), then ``p <- p - lr * b``.
    ``param``, ``grad``, ``buf``: tensors of one shape and dtype; nothing is changed in place.
    """
    _check_same(param, grad, "param", "grad")
    if lr < 0 or not 0 <= momentum < 1:
        raise ValueError(f"need lr >= 0 and 0 <= momentum < 1; got lr={lr}, momentum={momentum}")
    if momentum == 0:
        return param - lr * grad, None
    buf = grad.clone() if buf is None else momentum * buf + grad
    return param - lr * buf, buf


def adam_step(param: torch.Tensor, grad: torch.Tensor, m: torch.Tensor, v: torch.Tensor, t: int, *,
              lr: float = 1e-3, beta1: float = 0.9, beta2: float = 0.999,
              eps: float = 1e-8) -> tuple[torch.Tensor, torch.Tensor, torch.Tensor]:
    """One Adam step (Kingma & Ba, 2015); returns ``(new param, new m, new v)``.

    ``m`` and ``v`` are the running means of the gradient and of its square
    (zeros before the first step); ``t`` is the number of this step, 1, 2, ...::

        m <- beta1 m + (1 - beta1) g          m_hat = m / (1 - beta1**t)
        v <- beta2 v + (1 - beta2) g**2       v_hat = v / (1 - beta2**t)
        p <- p - lr * m_hat / (sqrt(v_hat) + eps)

    The bias corrections undo the pull of the zero start towards 0; ``eps``
    is added *after* the square root. Nothing is changed in place.
    """
    _check_same(param, grad, "param", "grad")
    if not is_int(t) or t < 1:
        raise ValueError(f"t is the number of the step, 1 for the first; got {t!r}")
    m = beta1 * m + (1 - beta1) * grad
    v = beta2 * v + (1 - beta2) * grad * grad
    m_hat = m / (1 - beta1**t)
    v_hat = v / (1 - beta2**t)
    return param - lr * m_hat / (v_hat.sqrt() + eps), m, v


def _check_same(a: torch.Tensor, b: torch.Tensor, name_a: str, name_b: str) -> None:
    if not isinstance(a, torch.Tensor) or not isinstance(b, torch.Tensor):
        raise TypeError(f"{name_a} and {name_b} must be tensors; got {type(a).__name__} and {type(b).__name__}")
    if a.shape != b.shape or not a.is_floating_point() or a.dtype != b.dtype:
        raise ValueError(f"{name_a} and {name_b} must be floating tensors of one shape and dtype; "
                         f"got {tuple(a.shape)} {a.dtype} and {tuple(b.shape)} {b.dtype}")


# ------------------------------------------------------------------ optimizers

class SGD(torch.optim.Optimizer):
    """SGD with optional momentum, computed with :func:`sgd_step`.

    Same arguments and results as ``torch.optim.SGD(params, lr, momentum)``
    (no dampening, no Nesterov, no weight decay).
    """

    def __init__(self, params, lr: float, momentum: float = 0.0):
        if lr <= 0 or not 0 <= momentum < 1:
            raise ValueError(f"need lr > 0 and 0 <= momentum < 1; got lr={lr}, momentum={momentum}")
        super().__init__(params, dict(lr=lr, momentum=momentum))

    @torch.no_grad()
    def step(self, closure=None):
        loss = None
        if closure is not None:
            with torch.enable_grad():
                loss = closure()
        for group in self.param_groups:
            for p in group["params"]:
                if p.grad is None:
                    continue
                state = self.state[p]
                new, buf = sgd_step(p, p.grad, state.get("momentum_buffer"), lr=group["lr"],
                                    momentum=group["momentum"])
                p.copy_(new)
                if buf is not None:
                    state["momentum_buffer"] = buf
        return loss


class Adam(torch.optim.Optimizer):
    """Adam, computed with :func:`adam_step`.

    Same arguments and results as ``torch.optim.Adam(params, lr, betas, eps)``
    (no weight decay, no AMSGrad).
    """

    def __init__(self, params, lr: float = 1e-3, betas: tuple[float, float] = (0.9, 0.999), eps: float = 1e-8):
        if not isinstance(betas, (tuple, list)) or len(betas) != 2 or not all(0 <= b < 1 for b in betas):
            raise ValueError(f"betas must be a pair (beta1, beta2), each in [0, 1), such as (0.9, 0.999); got {betas!r}")
        if lr <= 0 or eps < 0:
            raise ValueError(f"need lr > 0 and eps >= 0; got lr={lr}, eps={eps}")
        super().__init__(params, dict(lr=lr, betas=tuple(betas), eps=eps))

    @torch.no_grad()
    def step(self, closure=None):
        loss = None
        if closure is not None:
            with torch.enable_grad():
                loss = closure()
        for group in self.param_groups:
            beta1, beta2 = group["betas"]
            for p in group["params"]:
                if p.grad is None:
                    continue
                state = self.state[p]
                if not state:
                    state.update(step=0, m=torch.zeros_like(p), v=torch.zeros_like(p))
                state["step"] += 1
                new, state["m"], state["v"] = adam_step(p, p.grad, state["m"], state["v"], state["step"],
                                                        lr=group["lr"], beta1=beta1, beta2=beta2,
                                                        eps=group["eps"])
                p.copy_(new)
        return loss


def make_optimizer(name: str, params, lr: float, momentum: float = 0.9) -> torch.optim.Optimizer:
    """``"sgd"`` (:class:`SGD`), ``"momentum"`` (:class:`SGD` with ``momentum``) or ``"adam"`` (:class:`Adam`)."""
    if name == "sgd":
        return SGD(params, lr=lr)
    if name == "momentum":
        return SGD(params, lr=lr, momentum=momentum)
    if name == "adam":
        return Adam(params, lr=lr)
    raise ValueError(f"unknown optimizer {name!r}; expected 'sgd', 'momentum' or 'adam'")


# ------------------------------------------------------------------- schedules
# Each schedule maps the epoch t = 0, 1, 2, ... to a learning rate; bind its
# constants with functools.partial, e.g. partial(exponential, lr0=0.1, gamma=0.95).

def constant(t: int, lr0: float) -> float:
    """``lr0`` at every epoch."""
    return float(lr0)


def step_decay(t: int, lr0: float, every: int, gamma: float = 0.1) -> float:
    """``lr0 * gamma ** floor(t / every)``: multiply by ``gamma`` every ``every`` epochs
    (``torch.optim.lr_scheduler.StepLR``)."""
    return lr0 * gamma ** (t // check_positive_int(every, "every"))


def exponential(t: int, lr0: float, gamma: float = 0.95) -> float:
    """``lr0 * gamma ** t`` (``ExponentialLR``): 5% smaller each epoch for gamma 0.95."""
    return lr0 * gamma**t


def inverse_time(t: int, lr0: float, k: float) -> float:
    """``lr0 / (1 + k t)``: what "inverse-time decay" means (Keras ``InverseTimeDecay``
    with ``decay_steps=1``); falls like 1/t."""
    return lr0 / (1 + k * t)


def cosine(t: int, lr0: float, total: int, lr_min: float = 0.0) -> float:
    """``lr_min + (lr0 - lr_min) (1 + cos(pi t / total)) / 2`` for ``t <= total``
    (``CosineAnnealingLR`` with ``T_max=total``): from ``lr0`` to ``lr_min`` in ``total`` epochs."""
    t = min(t, check_positive_int(total, "total"))
    return lr_min + (lr0 - lr_min) * (1 + math.cos(math.pi * t / total)) / 2


def linear_tail(t: int, lr0: float, total: int, start: int) -> float:
    """``lr0`` for the epochs ``t < start``, then a straight line down to 0 at the end of
    epoch ``total``, read at the middle of each epoch: ``lr0 (total - t - 1/2) / (total - start)``
    (0 from ``t = total`` on). With ``total=30, start=20`` epochs 1-20 train at ``lr0``,
    epoch 21 at ``0.95 lr0`` and epoch 30 at ``0.05 lr0``. A GAN's generator oscillates at a
    constant rate; decaying over the last epochs lets it settle (``train_gan(lr_decay_from=...)``)."""
    if not 0 <= start < total:
        raise ValueError(f"need 0 <= start < total; got start={start}, total={total}")
    if t < start:
        return float(lr0)
    return lr0 * max(0.0, total - t - 0.5) / (total - start)


def article_schedule(t: int, lr0: float, rate: float = 0.95) -> float:
    """The source articles' "learning-rate decay": ``lr0 / (1 + rate ** t)``.

    It is not a decay. ``rate ** t`` shrinks towards 0, so the denominator
    falls from 2 to 1 and the rate *rises* from ``lr0 / 2`` towards ``lr0``.
    Kept to be plotted next to real decays; do not train with it.
    """
    return lr0 / (1 + rate**t)


def chapter_schedules(lr0: float, epochs: int) -> dict[str, Callable[[int], float]]:
    """The schedules the chapter compares, each a function of the epoch starting from ``lr0``:
    constant; step (x0.1 every ``epochs // 3`` epochs); exponential (gamma 0.95);
    inverse time (k 0.1); cosine (to 0 at ``epochs``); and the articles' growing "decay"."""
    check_positive_int(epochs, "epochs")
    return {
        "constant": partial(constant, lr0=lr0),
        "step": partial(step_decay, lr0=lr0, every=max(1, epochs // 3), gamma=0.1),
        "exponential": partial(exponential, lr0=lr0, gamma=0.95),
        "inverse time": partial(inverse_time, lr0=lr0, k=0.1),
        "cosine": partial(cosine, lr0=lr0, total=epochs),
        "articles' 'decay'": partial(article_schedule, lr0=lr0, rate=0.95),
    }


class ScheduledLR:
    """Sets the learning rate of every parameter group to ``schedule(t)``.

    ``t`` starts at 0 (set at construction) and grows by 1 at each ``step()``
    (:func:`coursekit.train.fit` calls it once per epoch). Has the
    ``state_dict`` / ``load_state_dict`` pair that checkpoints need.
    """

    def __init__(self, optimizer: torch.optim.Optimizer, schedule: Callable[[int], float]):
        if not callable(schedule):
            raise TypeError(f"schedule must be a function of the epoch t; got {type(schedule).__name__}")
        self.optimizer, self.schedule, self.t = optimizer, schedule, 0
        self._apply()

    def _apply(self) -> None:
        lr = float(self.schedule(self.t))
        if not lr >= 0 or not math.isfinite(lr):
            raise ValueError(f"the schedule gave the learning rate {lr!r} at epoch {self.t}; expected >= 0")
        for group in self.optimizer.param_groups:
            group["lr"] = lr

    def step(self) -> None:
        self.t += 1
        self._apply()

    def get_last_lr(self) -> list[float]:
        return [g["lr"] for g in self.optimizer.param_groups]

    def state_dict(self) -> dict:
        return {"t": self.t}

    def load_state_dict(self, state: dict) -> None:
        self.t = int(state["t"])
        self._apply()


# ------------------------------------------------------------ weight averaging

def _check_decay(decay, name: str = "decay") -> None:
    if isinstance(decay, bool) or not isinstance(decay, (int, float)) or not 0 <= decay < 1:
        raise ValueError(f"{name} must be a number in [0, 1) (0.999 averages about 1000 steps); got {decay!r}")


@torch.no_grad()
def ema_update(average: nn.Module, model: nn.Module, decay: float) -> None:
    """One step of an exponential moving average of ``model``'s weights, in place:
    ``a <- decay * a + (1 - decay) * w`` for every parameter and every floating-point buffer
    (batch-norm running statistics); other buffers (batch-norm's step counter) are copied.

    ``average`` has ``model``'s architecture and starts as a copy of it
    (``copy.deepcopy(model)`` before training). With ``decay`` in [0, 1) it averages about
    the last ``1 / (1 - decay)`` steps (0.999: a thousand). A GAN's generator, trained at a
    constant rate, circles around a good solution instead of settling on it; the average of
    its recent weights is usually the better generator (Yazici et al., 2019), which is why
    StyleGAN and BigGAN sample from such an average (``train_gan(ema=...)``).
    """
    _check_decay(decay)
    theirs = dict(model.state_dict())
    mine = average.state_dict()
    if mine.keys() != theirs.keys() or any(mine[k].shape != theirs[k].shape for k in mine):
        raise ValueError(f"average must have the architecture of model (a copy.deepcopy of it): "
                         f"{type(average).__name__} and {type(model).__name__} have different weights")
    for name, a in mine.items():
        w = theirs[name].detach()
        if a.is_floating_point():
            a.lerp_(w.to(a.dtype), 1.0 - decay)
        else:
            a.copy_(w)


def ema_decay_at(step: int, decay: float) -> float:
    """The decay to average with after ``step`` >= 1 updates: ``min(decay, (1 + step) / (10 + step))``.

    A fixed decay of 0.999 keeps the starting weights at ``0.999**step`` of the average, more
    than a third after a thousand steps; the ramp (the one of TensorFlow's
    ``ExponentialMovingAverage``) averages roughly the last ninth of the steps so far until
    that reaches ``1 / (1 - decay)``, so short runs get a useful average too."""
    if not is_int(step) or step < 1:
        raise ValueError(f"step must be the number of updates so far, an int >= 1; got {step!r}")
    _check_decay(decay)
    return min(decay, (1 + step) / (10 + step))


# -------------------------------------------------------------------- figures

def plot_schedules(schedules: Mapping[str, Callable[[int], float]], epochs: int, size: float = 4.0):
    """The learning rate of each epoch ``1 .. epochs``, one curve per schedule. Returns the Figure.

    Epoch ``e`` trains at ``schedule(e - 1)``: :class:`ScheduledLR` sets ``schedule(0)`` before the
    first epoch, and a run's history (:func:`coursekit.train.fit`) counts epochs from 1. So the
    x-axis is the one :func:`plot_runs` draws, and a schedule's curve here lies on its run's
    ``lr`` curve there."""
    import matplotlib.pyplot as plt

    from .viz import PALETTE

    fig, ax = plt.subplots(figsize=(1.5 * size, size), layout="constrained")
    epoch = list(range(1, epochs + 1))
    for i, (name, fn) in enumerate(schedules.items()):
        ax.plot(epoch, [fn(e - 1) for e in epoch], color=PALETTE[i % len(PALETTE)], label=name,
                linestyle="--" if "article" in name else "-")
    ax.set_xlabel("epoch")
    ax.set_ylabel("learning rate")
    ax.grid(alpha=0.3)
    ax.legend(fontsize=8)
    return fig


RUN_LABELS = {"train_loss": ("training loss", "cross-entropy"), "val_loss": ("validation loss", "cross-entropy"),
              "val_auc": ("validation AUC", "AUC"), "val_acc": ("validation accuracy", "accuracy"),
              "lr": ("learning rate", "learning rate")}
"""The panel title and y label of :func:`plot_runs` for the keys of a classifier's history."""


def plot_runs(histories: Mapping[str, Mapping], keys=("train_loss", "val_loss", "val_auc"), size: float = 3.2):
    """One panel per key of the histories (e.g. ``val_auc``; one key or several), one curve per
    run, against the epoch, titled and labelled in words (:data:`RUN_LABELS`).
    ``histories``: run name -> :class:`coursekit.train.History`. Returns the Figure."""
    import matplotlib.pyplot as plt

    from .viz import PALETTE

    if not histories:
        raise ValueError("plot_runs: histories is empty; pass {run name: History}")
    keys = [keys] if isinstance(keys, str) else list(keys)
    fig, axes = plt.subplots(1, len(keys), figsize=(1.3 * size * len(keys), size), layout="constrained",
                             squeeze=False)
    for ax, key in zip(axes[0], keys):
        for i, (name, h) in enumerate(histories.items()):
            if key not in h:
                raise KeyError(f"plot_runs: run {name!r} has no {key!r}; it has {sorted(h)}")
            ax.plot(h["epoch"], h[key], color=PALETTE[i % len(PALETTE)], label=name,
                    linestyle="--" if "article" in name else "-")
        title, unit = RUN_LABELS.get(key, (key, ""))
        ax.set_title(title, fontsize=10)
        ax.set(xlabel="epoch", ylabel=unit)
        ax.grid(alpha=0.3)
    axes[0][0].legend(fontsize=8)
    return fig

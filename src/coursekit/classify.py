"""Image classification on MedMNIST: the recipe shared by notebooks and benchmarks.

* :func:`train_classifier` trains any logits model with :func:`coursekit.train.fit`
  (AdamW, cosine learning-rate schedule, cross-entropy, optional random shifts,
  model selection on validation AUC, checkpoint and resume).
* :func:`pixel_logistic_regression` is the classical baseline: logistic
  regression on standardised raw pixels (scikit-learn), fitted on the same
  training images and scored on the same test images.

Both report AUC and accuracy exactly as ``medmnist.Evaluator`` does.
"""
from __future__ import annotations

import numpy as np
import torch
from torch import nn

from . import metrics, train
from .data import DeviceBatches, MedMNIST
from .device import get_device

__all__ = ["random_shift", "train_classifier", "pixel_logistic_regression"]


def random_shift(max_shift: int = 2, seed: int = 0):
    """A batch transform: shift every image by up to ``max_shift`` pixels in
    each direction (zero fill), drawn from a seeded generator on the batch's
    device. Input and output ``(N, C, H, W)`` (2D images only; for volumes
    pass ``max_shift=0`` to :func:`train_classifier`)."""
    gens: dict = {}

    def transform(x: torch.Tensor) -> torch.Tensor:
        if x.ndim != 4:
            raise ValueError(f"random_shift works on (N, C, H, W) images; got shape {tuple(x.shape)} "
                             "(for volumes pass max_shift=0)")
        g = gens.get(x.device)
        if g is None:
            g = gens[x.device] = torch.Generator(device=x.device).manual_seed(seed)
        n, _, h, w = x.shape
        m = max_shift
        padded = nn.functional.pad(x, (m, m, m, m))
        dy = torch.randint(0, 2 * m + 1, (n,), generator=g, device=x.device)
        dx = torch.randint(0, 2 * m + 1, (n,), generator=g, device=x.device)
        rows = (dy[:, None] + torch.arange(h, device=x.device))[:, None, :, None]
        cols = (dx[:, None] + torch.arange(w, device=x.device))[:, None, None, :]
        idx_n = torch.arange(n, device=x.device)[:, None, None, None]
        idx_c = torch.arange(x.shape[1], device=x.device)[None, :, None, None]
        return padded[idx_n, idx_c, rows, cols]

    return transform


def _cross_entropy(model: nn.Module, batch) -> torch.Tensor:
    x, y = batch
    return nn.functional.cross_entropy(model(x), y)


def train_classifier(model: nn.Module, train_data: MedMNIST, val_data: MedMNIST, *, epochs: int,
                     lr: float = 3e-3, weight_decay: float = 1e-4, batch_size: int = 128,
                     max_shift: int = 2, seed: int = 0, checkpoint=None, resume: bool = True,
                     device=None, **fit_kwargs) -> train.History:
    """Train ``model`` (images -> logits) on a single-label MedMNIST set.

    AdamW with a cosine schedule over ``epochs``; ``random_shift`` augmentation
    (``max_shift=0`` turns it off); validation AUC/accuracy after each epoch;
    the weights of the epoch with the best validation AUC are restored at the
    end. ``checkpoint`` gets a fingerprint of the hyperparameters added to its
    name (:func:`coursekit.train.checkpoint_for`), so a changed setting starts
    a new run instead of resuming an unrelated one. Returns the
    :class:`~coursekit.train.History`.
    """
    if train_data.labels.ndim != 1:
        raise ValueError("train_classifier handles single-label tasks; "
                         f"{train_data.flag} has labels of shape {tuple(train_data.labels.shape)}")
    dev = torch.device(device) if device is not None else get_device()
    model.to(dev)
    transform = random_shift(max_shift, seed) if max_shift else None
    batches = DeviceBatches(train_data.images, train_data.labels, batch_size=batch_size, seed=seed,
                            device=dev, transform=transform)
    val_batches = DeviceBatches(val_data.images, val_data.labels, batch_size=512, shuffle=False, device=dev)
    opt = torch.optim.AdamW(model.parameters(), lr=lr, weight_decay=weight_decay)
    sched = torch.optim.lr_scheduler.CosineAnnealingLR(opt, T_max=epochs)

    def val_fn(m):
        res = train.evaluate(m, val_batches, val_data.task, device=dev)
        return {"val_auc": res["auc"], "val_acc": res["acc"]}

    # The data source is part of a run's identity: a checkpoint trained on
    # fallback phantoms must never be resumed by a run on the real files.
    hparams = dict(flag=train_data.flag, source=train_data.source, n_train=len(train_data), epochs=epochs, lr=lr,
                   weight_decay=weight_decay, batch_size=batch_size, max_shift=max_shift, seed=seed)
    if checkpoint is not None:
        checkpoint = train.checkpoint_for(checkpoint, hparams)
    return train.fit(model, batches, loss_fn=_cross_entropy, optimizer=opt, scheduler=sched, epochs=epochs,
                     val_fn=val_fn, monitor="val_auc", mode="max", checkpoint=checkpoint, resume=resume,
                     hparams=hparams, device=dev, **fit_kwargs)


def pixel_logistic_regression(train_data: MedMNIST, test_data: MedMNIST, C: float = 0.01,
                              max_iter: int = 2000) -> dict:
    """Logistic regression on standardised raw pixels (the baseline a CNN must beat).

    Fitted on ``train_data`` (pixels standardised with the training mean and
    standard deviation) and scored on ``test_data``. ``C`` is the inverse L2
    strength. Returns ``{"auc", "acc", "scores"}`` with ``scores`` (N, n_classes).
    """
    from sklearn.linear_model import LogisticRegression
    from sklearn.preprocessing import StandardScaler

    x_tr = train_data.images.flatten(1).numpy().astype(np.float64)
    x_te = test_data.images.flatten(1).numpy().astype(np.float64)
    scaler = StandardScaler().fit(x_tr)
    clf = LogisticRegression(C=C, max_iter=max_iter)
    clf.fit(scaler.transform(x_tr), train_data.labels.numpy())
    scores = clf.predict_proba(scaler.transform(x_te))
    y = test_data.labels.numpy()
    return {"auc": float(metrics.auc(y, scores, test_data.task)),
            "acc": float(metrics.accuracy(y, scores, test_data.task)), "scores": scores}

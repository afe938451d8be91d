"""Image classification on MedMNIST: the recipe shared by notebooks and benchmarks.

* :func:`train_classifier` trains any logits model with :func:`coursekit.train.fit`.
  Its default is the course's recipe (AdamW, cosine learning-rate schedule,
  cross-entropy, random shifts, model selection on validation AUC, checkpoint
  and resume); chapter 1 passes its own optimizer and schedule to compare
  them, the imbalance experiment passes class weights.
* :func:`pixel_logistic_regression` is the classical baseline: logistic
  regression on standardised raw pixels (scikit-learn), fitted on the same
  training images and scored on the same test images; :func:`choose_logistic_c`
  chooses its L2 strength on validation images, as the CNN's epoch is chosen.

Both report AUC and accuracy exactly as ``medmnist.Evaluator`` does.
"""
from __future__ import annotations

import numpy as np
import torch
from torch import nn

from . import metrics, train
from .checks import (check_candidates, check_class_labels, check_images, check_model_dtype, check_positive_int,
                     check_seed, check_unit_range, is_int)
from .data import DeviceBatches, MedMNIST
from .device import device_present, get_device, model_device

__all__ = ["RandomShift", "random_shift", "train_classifier", "correct", "majority_class", "pixel_logistic_regression", "choose_logistic_c", "LOGISTIC_CS"]

# The L2 strengths choose_logistic_c tries: inverse strengths C, ten times apart.
LOGISTIC_CS = (1e-4, 1e-3, 1e-2, 1e-1, 1.0)


class RandomShift:
    """A batch transform: shift every image by up to ``max_shift`` pixels in
    each direction (zero fill), drawn from a generator seeded with ``seed`` on
    the batch's device. Input and output ``(N, C, H, W)`` (2D images only; for
    volumes pass ``max_shift=0`` to :func:`train_classifier`).

    ``get_state()`` / ``set_state(state)`` save and restore its generators, so
    that :func:`coursekit.train.fit` can put them in a checkpoint: a resumed run
    then draws the shifts an uninterrupted run would have drawn."""

    def __init__(self, max_shift: int = 2, seed: int = 0):
        if not is_int(max_shift) or max_shift < 0:
            raise ValueError(f"max_shift must be a whole number of pixels >= 0 (0: no shift); got {max_shift!r}")
        self.max_shift, self.seed = int(max_shift), check_seed(seed)
        self._gens: dict[torch.device, torch.Generator] = {}

    def _generator(self, device: torch.device) -> torch.Generator:
        if device not in self._gens:
            self._gens[device] = torch.Generator(device=device).manual_seed(self.seed)
        return self._gens[device]

    def get_state(self) -> dict[str, torch.Tensor]:
        """The state of each generator used so far, by device name."""
        return {str(dev): g.get_state() for dev, g in self._gens.items()}

    def set_state(self, state: dict[str, torch.Tensor]) -> None:
        """Restore what :meth:`get_state` returned. A device this machine lacks (a checkpoint
        written on a Mac and resumed on Colab, say) is skipped: its generator would never be used."""
        for name, gen_state in state.items():
            dev = torch.device(name)
            if device_present(dev):
                self._generator(dev).set_state(gen_state)

    def __call__(self, x: torch.Tensor) -> torch.Tensor:
        if x.ndim != 4:
            raise ValueError(f"random_shift works on (N, C, H, W) images; got shape {tuple(x.shape)} "
                             "(for volumes pass max_shift=0)")
        g = self._generator(x.device)
        n, _, h, w = x.shape
        m = self.max_shift
        padded = nn.functional.pad(x, (m, m, m, m))
        dy = torch.randint(0, 2 * m + 1, (n,), generator=g, device=x.device)
        dx = torch.randint(0, 2 * m + 1, (n,), generator=g, device=x.device)
        rows = (dy[:, None] + torch.arange(h, device=x.device))[:, None, :, None]
        cols = (dx[:, None] + torch.arange(w, device=x.device))[:, None, None, :]
        idx_n = torch.arange(n, device=x.device)[:, None, None, None]
        idx_c = torch.arange(x.shape[1], device=x.device)[None, :, None, None]
        return padded[idx_n, idx_c, rows, cols]


def random_shift(max_shift: int = 2, seed: int = 0) -> RandomShift:
    """The course's augmentation: a :class:`RandomShift` of up to ``max_shift`` pixels."""
    return RandomShift(max_shift, seed)


def _validate(model: nn.Module, batches, task: str, optimizer) -> dict[str, float]:
    """Validation loss (mean cross-entropy), AUC and accuracy, and the learning rate of the epoch."""
    logits, labels = [], []
    for x, y in batches:
        logits.append(model(x).float())
        labels.append(y)
    logits, labels = torch.cat(logits), torch.cat(labels)
    # the softmax in float64, as train.predict computes it: a float32 softmax rounds nearly tied scores
    # to ties, and the validation AUC would then differ from the AUC that evaluate() reports
    scores, y = logits.cpu().double().softmax(1).numpy(), labels.cpu().numpy()
    return {"val_loss": float(nn.functional.cross_entropy(logits, labels)),
            "val_auc": float(metrics.auc(y, scores, task)),
            "val_acc": float(metrics.accuracy(y, scores, task)),
            "lr": optimizer.param_groups[0]["lr"]}


def _optimizer_hparams(optimizer, scheduler, epochs: int) -> dict:
    """What identifies a caller's optimizer and schedule in a checkpoint's fingerprint: the
    optimizer's class and settings, and the schedule by the learning rates it gives, epoch by
    epoch (:func:`_schedule_rates`), so that an edited schedule function or another
    ``step_size`` is another run."""
    simple = (int, float, bool, str, tuple, type(None))
    found = {"optimizer": type(optimizer).__name__,
             "optimizer_defaults": {k: v for k, v in sorted(optimizer.defaults.items()) if isinstance(v, simple)},
             "scheduler": None if scheduler is None else type(scheduler).__name__}
    if scheduler is not None:
        found["scheduler_rates"] = _schedule_rates(optimizer, scheduler, epochs)
    return found


def _schedule_rates(optimizer, scheduler, epochs: int) -> list[list[float]] | None:
    """The learning rate of each parameter group at the start of every epoch, ``epochs`` lists,
    found by stepping a copy of ``optimizer`` and ``scheduler`` (copied together, so the copy of
    the scheduler sets the copy's rates); ``None`` for a scheduler that cannot be stepped so (one
    that needs a metric)."""
    import copy
    import warnings

    opt, sched = copy.deepcopy((optimizer, scheduler))
    rates = []
    try:
        with warnings.catch_warnings():
            warnings.simplefilter("ignore")   # "lr_scheduler.step() before optimizer.step()": no training here
            for _ in range(epochs):
                rates.append([float(g["lr"]) for g in opt.param_groups])
                sched.step()
    except TypeError:                         # e.g. ReduceLROnPlateau.step(metrics)
        return None
    return rates


def _check_outputs(model: nn.Module, x: torch.Tensor, n_classes: int) -> None:
    """One forward pass (eval mode, no gradients) to check that ``model`` gives one logit per class:
    with fewer, cross-entropy fails inside (on a GPU with a device-side assert that ends the
    session); with more, the first validation fails after a whole epoch."""
    with train.evaluating(model), torch.no_grad():
        out = model(x)
    if out.ndim != 2 or out.shape[1] != n_classes:
        raise ValueError(f"the model has {out.shape[1] if out.ndim == 2 else tuple(out.shape[1:])} outputs per "
                         f"image, but the data have {n_classes} classes: its last layer must give {n_classes} "
                         f"logits, shape (N, {n_classes})")


def train_classifier(model: nn.Module, train_data: MedMNIST, val_data: MedMNIST, *, epochs: int,
                     optimizer: torch.optim.Optimizer | None = None, scheduler=None,
                     lr: float | None = None, weight_decay: float | None = None,
                     class_weight: torch.Tensor | None = None, max_shift: int = 2, select_best: bool = True,
                     batch_size: int = 128, seed: int = 0, checkpoint=None, resume: bool = True,
                     hparams: dict | None = None, device=None, **fit_kwargs) -> train.History:
    """Train ``model`` (images -> logits) on a single-label MedMNIST set with cross-entropy.

    The default recipe: AdamW (``lr`` 3e-3, ``weight_decay`` 1e-4) with a
    cosine schedule over ``epochs``, ``random_shift`` augmentation
    (``max_shift=0`` turns it off) and, with ``select_best``, the weights of
    the epoch with the best validation AUC restored at the end.

    ``optimizer`` (and optionally ``scheduler``, stepped once per epoch; none
    means a constant rate) replaces AdamW and the cosine schedule: set the
    learning rate on the optimizer. Put what the fingerprint cannot see (e.g.
    the name of a schedule) in ``hparams``.
    ``class_weight``: ``(n_classes,)`` weights of the training loss (see
    :func:`coursekit.imbalance.class_weights`); the validation loss stays unweighted.

    Shuffled batches come from ``seed``. After each epoch the history gets
    ``train_loss``, ``val_loss``, ``val_auc``, ``val_acc`` and ``lr`` (the rate
    used in that epoch). ``checkpoint`` gets a fingerprint of the settings
    the training data and the model (:func:`coursekit.train.model_fingerprint`) added to its
    name (:func:`coursekit.train.checkpoint_for`), so a changed setting, data set or model starts
    a new run instead of resuming an unrelated one; ``resume`` (default True) continues a run
    with the same fingerprint from its last epoch.
    Returns the :class:`~coursekit.train.History`.
    """
    if train_data.labels.ndim != 1:
        raise ValueError("train_classifier handles single-label tasks; "
                         f"{train_data.flag} has labels of shape {tuple(train_data.labels.shape)}")
    if optimizer is None and scheduler is not None:
        raise ValueError("a scheduler needs the optimizer it schedules: pass optimizer= as well "
                         "(without either, the default is AdamW with a cosine schedule)")
    if optimizer is not None and (lr is not None or weight_decay is not None):
        raise ValueError("lr and weight_decay configure the default AdamW; with your own optimizer, "
                         "set them on it (e.g. torch.optim.SGD(model.parameters(), lr=0.1))")
    n_classes = train_data.n_classes or int(train_data.labels.max()) + 1
    check_class_labels(train_data.labels, len(train_data), n_classes)
    dev = get_device(device)
    model.to(dev)
    _check_outputs(model, train_data.images[:2].to(dev), n_classes)
    if class_weight is not None and len(class_weight) != n_classes:
        raise ValueError(f"class_weight: expected {n_classes} weights, one per class of {train_data.flag}; "
                         f"got {len(class_weight)}")
    transform = random_shift(max_shift, seed) if max_shift else None
    batches = DeviceBatches(train_data.images, train_data.labels, batch_size=batch_size, seed=seed,
                            device=dev, transform=transform)
    val_batches = DeviceBatches(val_data.images, val_data.labels, batch_size=512, shuffle=False, device=dev)
    # The data source and contents are part of a run's identity: a checkpoint trained on
    # fallback phantoms (or on another subset) must never be resumed by this run.
    run = dict(flag=train_data.flag, source=train_data.source, n_train=len(train_data),
               data=train.digest_tensors(train_data.images, train_data.labels), epochs=epochs,
               batch_size=batch_size, max_shift=max_shift, seed=seed, select_best=select_best,
               **train.model_fingerprint(model))
    if optimizer is None:
        lr = 3e-3 if lr is None else lr
        weight_decay = 1e-4 if weight_decay is None else weight_decay
        optimizer = torch.optim.AdamW(model.parameters(), lr=lr, weight_decay=weight_decay)
        scheduler = torch.optim.lr_scheduler.CosineAnnealingLR(optimizer, T_max=epochs)
        run.update(recipe="adamw-cosine", lr=lr, weight_decay=weight_decay)
    else:
        run.update(_optimizer_hparams(optimizer, scheduler, epochs))
    weight = None
    if class_weight is not None:
        weight = torch.as_tensor(class_weight, dtype=torch.float32).to(dev)
        run["class_weight"] = [round(float(v), 6) for v in weight]

    def loss_fn(m, batch):
        x, y = batch
        return nn.functional.cross_entropy(m(x), y, weight=weight)

    def val_fn(m):   # fit runs it after each epoch, before the scheduler steps
        return _validate(m, val_batches, val_data.task, optimizer)

    run.update(hparams or {})
    run.update(train.run_settings(fit_kwargs))
    if checkpoint is not None:
        checkpoint = train.checkpoint_for(checkpoint, run)
    return train.fit(model, batches, loss_fn=loss_fn, optimizer=optimizer, scheduler=scheduler, epochs=epochs,
                     val_fn=val_fn, monitor="val_auc" if select_best else None, mode="max",
                     checkpoint=checkpoint, resume=resume and checkpoint is not None,
                     hparams=run, device=dev, **fit_kwargs)


@torch.no_grad()
def correct(classifier: nn.Module, images: torch.Tensor, labels, n_classes: int | None = None,
            batch_size: int = 512, device=None) -> torch.Tensor:
    """Whether ``classifier`` gets each image right: the per-image scores of a task, which two
    sets of images of the same subjects (e.g. two restorations of one test set) can be compared
    on pair by pair (:func:`coursekit.study.paired_bootstrap`).

    images ``(N, C, H, W)`` float32 in [0, 1]; labels ``(N,)`` int class indices; the classifier
    gives logits ``(N, n_classes)`` and is run in eval mode batch by batch. Returns ``(N,)`` bool
    on the CPU: the arg-max class equals the label.
    """
    check_images(images, "images", min_count=1)
    check_unit_range(images, "images")   # the classifier learned [0, 1] images
    check_model_dtype(images, classifier, "images")
    labels = check_class_labels(labels, len(images), n_classes)
    check_positive_int(batch_size, "batch_size")
    n_classes = int(n_classes if n_classes is not None else int(labels.max()) + 1)
    dev = model_device(classifier, device)
    with train.evaluating(classifier):
        logits = [classifier(images[i:i + batch_size].to(dev)) for i in range(0, len(images), batch_size)]
    n_outputs = logits[0].shape[1]
    if n_classes > n_outputs:
        raise ValueError(f"labels: the classifier has {n_outputs} outputs (classes 0 to {n_outputs - 1}), but "
                         f"class {n_classes - 1} is asked for (n_classes={n_classes}); it could never be "
                         "predicted. Use the classifier trained on these classes.")
    return torch.cat([lg.argmax(1).cpu() for lg in logits]) == labels


def majority_class(train_data: MedMNIST, test_data: MedMNIST) -> dict:
    """The majority-class rule, the baseline an accuracy needs beside it: every test image gets
    the class shares of the training labels as its scores, so the rule always answers the class
    most frequent in training, and every image ties (AUC 0.5). Single-label tasks only.
    Returns ``{"auc", "acc", "scores", "label"}``: ``scores`` ``(N, n_classes)``, ``label`` the
    class it always answers."""
    for d in (train_data, test_data):
        if d.labels.ndim != 1:
            raise ValueError(f"majority_class handles single-label tasks; {d.flag} has labels of shape "
                             f"{tuple(d.labels.shape)}")
    prior = np.bincount(train_data.labels.numpy(), minlength=train_data.n_classes) / len(train_data)
    scores = np.tile(prior, (len(test_data), 1))
    y = test_data.labels.numpy()
    return {"auc": metrics.auc(y, scores, test_data.task), "acc": metrics.accuracy(y, scores, test_data.task),
            "scores": scores, "label": int(prior.argmax())}


def pixel_logistic_regression(train_data: MedMNIST, test_data: MedMNIST, C: float = 0.01,
                              max_iter: int = 2000) -> dict:
    """Logistic regression on standardised raw pixels (the baseline a CNN must beat).

    Fitted on ``train_data`` (pixels standardised with the training mean and
    standard deviation) and scored on ``test_data``. ``C`` is the inverse L2
    strength. Single-label tasks only (labels ``(N,)``; multi-label sets such as
    chestmnist are refused), and the training labels must hold every class.
    Returns ``{"auc", "acc", "scores"}`` with ``scores`` (N, n_classes).
    """
    from sklearn.linear_model import LogisticRegression
    from sklearn.preprocessing import StandardScaler

    for d in (train_data, test_data):
        if d.labels.ndim != 1:
            raise ValueError("pixel_logistic_regression handles single-label tasks; "
                             f"{d.flag} has labels of shape {tuple(d.labels.shape)}")
    if not train_data.multi_label and train_data.n_classes:
        missing = sorted(set(range(train_data.n_classes)) - set(train_data.labels.unique().tolist()))
        if missing:
            names = ", ".join(f"{c} ({train_data.label_names[c]})" if c < len(train_data.label_names) else str(c)
                              for c in missing)
            raise ValueError(f"the training labels lack class {names} of {train_data.n_classes}: the model "
                             "could not score it, and its columns of scores would no longer match the classes. "
                             "Train on a subset that holds every class.")
    x_tr = train_data.images.flatten(1).numpy().astype(np.float64)
    x_te = test_data.images.flatten(1).numpy().astype(np.float64)
    scaler = StandardScaler().fit(x_tr)
    clf = LogisticRegression(C=C, max_iter=max_iter)
    clf.fit(scaler.transform(x_tr), train_data.labels.numpy())
    scores = clf.predict_proba(scaler.transform(x_te))
    y = test_data.labels.numpy()
    return {"auc": float(metrics.auc(y, scores, test_data.task)),
            "acc": float(metrics.accuracy(y, scores, test_data.task)), "scores": scores}


def choose_logistic_c(train_data: MedMNIST, val_data: MedMNIST, Cs=LOGISTIC_CS) -> tuple[float, dict[float, float]]:
    """The L2 strength of :func:`pixel_logistic_regression`, chosen on validation images.

    The baseline gets the courtesy the CNN gets when its best epoch is chosen by validation
    AUC: each ``C`` in ``Cs`` (inverse strengths, all > 0) is fitted on ``train_data`` and
    scored on ``val_data``; the test images play no part. Returns ``(best_C, {C: val AUC})``;
    on a tie the smaller C (the stronger regulariser) wins.
    """
    Cs = check_candidates(Cs, "Cs", "inverse L2 strengths", LOGISTIC_CS)
    val_auc = {float(c): pixel_logistic_regression(train_data, val_data, C=float(c))["auc"] for c in Cs}
    best = max(val_auc, key=lambda c: (val_auc[c], -c))
    return best, val_auc

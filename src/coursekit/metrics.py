"""Image-quality and classification metrics, one implementation for every chapter.

Image quality, on ``(N, C, H, W)`` float tensors (volumes ``(N, C, D, H, W)``
work too), computed **per image** and then reduced over the batch:

* :func:`mse`  mean squared error.
* :func:`psnr` peak signal-to-noise ratio in dB, ``10 log10(data_range^2 / MSE)``;
  equal to ``skimage.metrics.peak_signal_noise_ratio`` image by image.
* :func:`ssim` structural similarity; equal to
  ``skimage.metrics.structural_similarity(a, b, data_range=..., channel_axis=0)``
  with its defaults (7x7 uniform window, sample covariance, K1=0.01, K2=0.03).

All three are differentiable PyTorch code, so ``mse(x, y)`` and
``1 - ssim(x, y)`` are training losses. Values are *not* required to lie in
[0, 1]: a restored image may overshoot, and the metric should say so. Only a
mix-up of units is refused: images that reach beyond ten times ``data_range`` (0-255
images scored with ``data_range=1``), a ``data_range`` of 10 or more for
images that stay within a fiftieth of it ([0, 1] images with ``data_range=255``),
or two images that both reach below ``-data_range / 2`` and neither above
``data_range`` (images in [-1, 1] scored with ``data_range=1``; skimage would
take 2 for them). The range is never inferred from the images.

Classification, exactly as ``medmnist.evaluator.getACC`` / ``getAUC`` (so our
numbers are comparable with the MedMNIST benchmark tables):

* :func:`accuracy` and :func:`auc` for the four MedMNIST tasks in :data:`TASKS`,
  from *probabilities* (softmax or sigmoid outputs), not logits.
* :func:`roc_auc` for one binary label and *any* real-valued score (a
  reconstruction error, a distance, a logit): the chance that a positive sample
  scores higher than a negative one. Both AUCs are the same computation.
* :func:`auc_standard_error`: how much a binary AUC would move on another test
  set of the same size (Hanley & McNeil, 1982), from the AUC and the class counts.
"""
from __future__ import annotations

import math

import numpy as np
import torch
import torch.nn.functional as F
from sklearn.metrics import accuracy_score, roc_auc_score

from .checks import check_images, check_same_shape

__all__ = ["mse", "psnr", "ssim", "accuracy", "auc", "roc_auc", "auc_standard_error", "TASKS", "REDUCTIONS"]

REDUCTIONS = ("mean", "none", "sum")
TASKS = ("binary-class", "multi-class", "multi-label, binary-class", "ordinal-regression")

# SSIM constants of Wang et al. (2004), as in skimage.
K1, K2 = 0.01, 0.03


# --------------------------------------------------------------------------
# Image quality
# --------------------------------------------------------------------------

def _check_pair(x, y, fn: str) -> tuple[torch.Tensor, torch.Tensor]:
    """Validate two image batches and return them in a dtype fit for metrics.

    Half precision (from autocast) is promoted to float32: the squares and the
    differences of squares in SSIM lose too many digits in 16 bits.
    """
    check_images(x, f"{fn}: x", ndim=(4, 5), min_count=1)
    check_images(y, f"{fn}: y", ndim=(4, 5), min_count=1)
    check_same_shape(x, y, names=(f"{fn}: x", "y"))
    dtype = torch.promote_types(x.dtype, y.dtype)
    if dtype in (torch.float16, torch.bfloat16):
        dtype = torch.float32
    return x.to(dtype), y.to(dtype)


def _check_scale(x: torch.Tensor, y: torch.Tensor, data_range: float, fn: str) -> None:
    """Refuse the two unit mix-ups that give a plausible-looking wrong number."""
    peak = float(torch.maximum(x.detach().abs().max(), y.detach().abs().max()))
    if peak > 10 * data_range:
        raise ValueError(f"{fn}: the images reach {peak:.4g}, far beyond data_range={data_range:g}. "
                         "0-255 images? Pass data_range=255, or divide the images by 255.")
    if data_range >= 10 and peak <= data_range / 50:
        raise ValueError(f"{fn}: data_range={data_range:g}, but the images stay within {peak:.4g} of 0. "
                         "Images in [0, 1]? Pass data_range=1.0 (the default).")
    lows, highs = [float(v.detach().min()) for v in (x, y)], [float(v.detach().max()) for v in (x, y)]
    if max(lows) < -data_range / 2 and max(highs) <= data_range * (1 + 1e-6):
        # both reach far below 0 and neither above data_range: [-1, 1] images (tanh outputs), not
        # [0, 1] images with noise, whose noise would also carry bright pixels past data_range
        raise ValueError(f"{fn}: both images reach far below 0 (to {lows[0]:.3g} and {lows[1]:.3g}) and neither "
                         f"above data_range={data_range:g}: images in [-1, 1]? Pass data_range=2, or map them to "
                         "[0, 1] with (x + 1) / 2.")


def _check_data_range(data_range, fn: str) -> float:
    if isinstance(data_range, bool) or not isinstance(data_range, (int, float, np.number)):
        raise TypeError(f"{fn}: data_range must be a positive number (1.0 for images in [0, 1], "
                        f"255 for uint8); got {type(data_range).__name__}.")
    if not (math.isfinite(data_range) and data_range > 0):
        raise ValueError(f"{fn}: data_range must be a positive number (1.0 for images in [0, 1]); "
                         f"got {data_range}.")
    return float(data_range)


def _check_reduction(reduction, fn: str) -> None:
    if reduction not in REDUCTIONS:
        raise ValueError(f"{fn}: reduction must be one of {REDUCTIONS}; got {reduction!r}.")


def _reduce(per_image: torch.Tensor, reduction: str) -> torch.Tensor:
    if reduction == "none":
        return per_image
    if reduction == "sum":
        return per_image.sum()
    return per_image.mean()


def mse(x: torch.Tensor, y: torch.Tensor, reduction: str = "mean") -> torch.Tensor:
    """Mean squared error between two image batches.

    Args:
        x, y: ``(N, C, H, W)`` (or ``(N, C, D, H, W)``) float tensors of the same shape.
        reduction: ``"none"`` returns the ``(N,)`` per-image MSE (mean over
            ``C, H, W``), ``"mean"`` its batch mean, ``"sum"`` its sum.

    Returns:
        A float tensor (0-d, or ``(N,)`` for ``"none"``), differentiable.
    """
    _check_reduction(reduction, "mse")
    x, y = _check_pair(x, y, "mse")
    per_image = (x - y).pow(2).flatten(1).mean(dim=1)
    return _reduce(per_image, reduction)


def psnr(x: torch.Tensor, y: torch.Tensor, data_range: float = 1.0,
         reduction: str = "mean") -> torch.Tensor:
    """Peak signal-to-noise ratio in dB: ``10 log10(data_range^2 / MSE)`` per image.

    Args:
        x, y: ``(N, C, H, W)`` (or ``(N, C, D, H, W)``) float tensors of the same shape.
        data_range: the span of possible values, 1.0 for images in [0, 1].
        reduction: ``"none"`` returns the ``(N,)`` per-image PSNR, ``"mean"``
            the mean of the per-image values (the usual convention in papers),
            ``"sum"`` their sum.

    Returns:
        A float tensor in dB. Identical images have MSE 0 and PSNR ``+inf``
        (as in skimage), and then a ``"mean"`` over the batch is ``+inf`` too.
        The gradient stays finite: an image with PSNR ``+inf`` contributes a
        zero gradient, so ``-psnr(x, y)`` can still be used as a loss.
    """
    _check_reduction(reduction, "psnr")
    data_range = _check_data_range(data_range, "psnr")
    x, y = _check_pair(x, y, "psnr")
    _check_scale(x, y, data_range, "psnr")
    err = (x - y).pow(2).flatten(1).mean(dim=1)
    # torch.where alone would give NaN gradients (inf * 0) where err == 0;
    # dividing by a safe value keeps the unused branch finite.
    identical = err == 0
    safe_err = torch.where(identical, torch.ones_like(err), err)
    per_image = 10 * torch.log10(data_range**2 / safe_err)
    per_image = torch.where(identical, torch.full_like(per_image, math.inf), per_image)
    return _reduce(per_image, reduction)


def ssim(x: torch.Tensor, y: torch.Tensor, data_range: float = 1.0, win_size: int = 7,
         reduction: str = "mean") -> torch.Tensor:
    """Structural similarity index (SSIM), per image, averaged over channels.

    The same computation as ``skimage.metrics.structural_similarity`` with its
    defaults: local means, variances and covariance over a ``win_size`` uniform
    window (sample covariance), constants ``C1 = (0.01 L)^2``, ``C2 = (0.03 L)^2``
    with ``L = data_range``; the SSIM map is averaged over the *valid* region
    (no padding, so the ``(win_size - 1) // 2`` border is left out), then over
    channels.

    Args:
        x, y: ``(N, C, H, W)`` float tensors of the same shape (``(N, C, D, H, W)``
            volumes use a ``win_size``-cube window, as skimage does in 3D).
        data_range: the span of possible values, 1.0 for images in [0, 1].
        win_size: odd window side, at least 3 and at most every spatial size.
        reduction: ``"none"`` returns the ``(N,)`` per-image SSIM, ``"mean"`` its
            batch mean, ``"sum"`` its sum.

    Returns:
        A float tensor, 1 for identical images, at most 1 (in float32, up to the
        rounding below); differentiable, so
        ``1 - ssim(x, y)`` is a loss. Computed in the input dtype: float32 is
        within 1e-4 of skimage's float64 for images in [0, 1] (a local variance
        is a difference of two means, which loses digits on flat bright areas;
        about 5e-5 at worst on MedMNIST images), float64 agrees to rounding;
        float16 and bfloat16 inputs are promoted to float32.
    """
    _check_reduction(reduction, "ssim")
    data_range = _check_data_range(data_range, "ssim")
    x, y = _check_pair(x, y, "ssim")
    _check_scale(x, y, data_range, "ssim")
    spatial = tuple(x.shape[2:])
    if x.ndim == 4 and x.shape[-1] in (1, 3) and x.shape[1] not in (1, 3):
        raise ValueError(f"ssim: x looks channels-last, (N, H, W, C) = {tuple(x.shape)}; images are (N, C, H, W): "
                         "convert with x.permute(0, 3, 1, 2) (and y alike).")
    if isinstance(win_size, bool) or not isinstance(win_size, (int, np.integer)):
        raise TypeError(f"ssim: win_size must be an odd int; got {type(win_size).__name__}.")
    if win_size < 3 or win_size % 2 == 0:
        raise ValueError(f"ssim: win_size must be odd and at least 3; got {win_size}.")
    if win_size > min(spatial):
        size = "x".join(map(str, spatial))
        fix = (f"pass an odd win_size <= {min(spatial)}, or use larger images" if min(spatial) >= 3
               else "SSIM needs images of at least 3 pixels along every axis")
        raise ValueError(f"ssim: win_size={win_size} exceeds the image size {size}; {fix}.")

    # Uniform window = average pooling with stride 1 and no padding ("valid").
    pool = F.avg_pool2d if x.ndim == 4 else F.avg_pool3d

    def local_mean(t: torch.Tensor) -> torch.Tensor:
        return pool(t, kernel_size=win_size, stride=1)

    n_pixels = win_size ** len(spatial)
    cov_norm = n_pixels / (n_pixels - 1)          # sample (unbiased) covariance
    mu_x, mu_y = local_mean(x), local_mean(y)
    var_x = cov_norm * (local_mean(x * x) - mu_x * mu_x)
    var_y = cov_norm * (local_mean(y * y) - mu_y * mu_y)
    cov_xy = cov_norm * (local_mean(x * y) - mu_x * mu_y)

    c1, c2 = (K1 * data_range) ** 2, (K2 * data_range) ** 2
    ssim_map = ((2 * mu_x * mu_y + c1) * (2 * cov_xy + c2)) / (
        (mu_x**2 + mu_y**2 + c1) * (var_x + var_y + c2))
    # mean over the valid region of each channel, then over channels
    per_image = ssim_map.flatten(2).mean(dim=2).mean(dim=1)
    return _reduce(per_image, reduction)


# --------------------------------------------------------------------------
# Classification (as medmnist.evaluator)
# --------------------------------------------------------------------------

def _to_numpy(a, name: str) -> np.ndarray:
    if isinstance(a, torch.Tensor):
        if a.dtype == torch.bfloat16:     # NumPy has no bfloat16 (an autocast output, say)
            a = a.float()
        a = a.detach().cpu().numpy()
    a = np.asarray(a)
    if not (np.issubdtype(a.dtype, np.number) or a.dtype == bool):
        raise TypeError(f"{name}: expected a numeric numpy array or torch tensor; got dtype {a.dtype}.")
    return a


def _prepare(y_true, y_score, task: str, fn: str) -> tuple[np.ndarray, np.ndarray]:
    """Validate and bring inputs to the layout each task uses.

    Returns ``(y_true, y_score)`` with ``y_true`` of shape ``(N,)`` for the
    single-label tasks (``(N, L)`` for multi-label) and ``y_score`` of shape
    ``(N,)`` for binary-class (the positive-class probability), ``(N, K)``
    otherwise.
    """
    if task not in TASKS:
        raise ValueError(f"{fn}: unknown task {task!r}; expected one of {TASKS} "
                         "(the 'task' field of medmnist.INFO[flag]).")
    y_true = _to_numpy(y_true, f"{fn}: y_true")
    y_score = _to_numpy(y_score, f"{fn}: y_score")
    if y_score.ndim not in (1, 2) or y_true.ndim not in (1, 2):
        raise ValueError(f"{fn}: expected y_true of shape (N,), (N, 1) or (N, L) and y_score of "
                         f"shape (N, n_classes); got {y_true.shape} and {y_score.shape}.")
    if len(y_true) != len(y_score):
        raise ValueError(f"{fn}: y_true has {len(y_true)} samples but y_score has {len(y_score)}; "
                         "they must describe the same samples.")
    if len(y_true) == 0:
        raise ValueError(f"{fn}: got 0 samples.")
    if not np.all(np.isfinite(y_score)):
        raise ValueError(f"{fn}: y_score contains NaN or Inf.")
    lo, hi = float(y_score.min()), float(y_score.max())
    if task in ("multi-class", "ordinal-regression") and y_score.ndim == 1 and hi > 1 \
            and np.all(y_score == np.round(y_score)):
        raise ValueError(f"{fn}: y_score of shape {y_score.shape} holds whole numbers up to {hi:.0f}: predicted "
                         "labels? Pass the class probabilities, shape (N, n_classes): "
                         "torch.softmax(logits, 1), not logits.argmax(1).")
    if lo < 0 or hi > 1:
        raise ValueError(f"{fn}: y_score has values in [{lo:.4g}, {hi:.4g}], outside [0, 1]: these "
                         "look like logits; pass probabilities: softmax/sigmoid "
                         "(torch.softmax(logits, 1) for single-label, torch.sigmoid for multi-label).")
    if y_true.dtype != bool and not np.all(y_true == np.round(y_true)):
        raise ValueError(f"{fn}: y_true must hold integer class labels; got non-integer values.")

    n_cols = 1 if y_score.ndim == 1 else y_score.shape[1]
    if task == "multi-label, binary-class":
        if y_true.ndim != 2 or y_score.ndim != 2 or y_true.shape != y_score.shape:
            raise ValueError(f"{fn}: multi-label needs y_true and y_score of the same shape (N, L); "
                             f"got {y_true.shape} and {y_score.shape}.")
        if not np.isin(y_true, (0, 1)).all():
            raise ValueError(f"{fn}: multi-label y_true must be 0/1 per label.")
        return y_true, y_score

    if y_true.ndim == 2 and y_true.shape[1] != 1:
        raise ValueError(f"{fn}: task {task!r} has one label per sample, so y_true must be (N,) or "
                         f"(N, 1); got {y_true.shape}.")
    y_true = y_true.reshape(-1)
    if task == "binary-class":
        if n_cols > 2:
            raise ValueError(f"{fn}: binary-class needs y_score of shape (N,), (N, 1) or (N, 2); "
                             f"got {y_score.shape}.")
        if not np.isin(y_true, (0, 1)).all():
            raise ValueError(f"{fn}: binary-class y_true must be 0 or 1; got labels "
                             f"{np.unique(y_true).tolist()}.")
        # medmnist's convention: the last column is the positive-class probability
        y_score = y_score if y_score.ndim == 1 else y_score[:, -1]
        return y_true, y_score

    # multi-class and ordinal-regression: one probability column per class
    if y_score.ndim != 2 or n_cols < 2:
        raise ValueError(f"{fn}: {task} needs y_score of shape (N, n_classes) with n_classes >= 2; "
                         f"got {y_score.shape}.")
    if y_true.min() < 0 or y_true.max() >= n_cols:
        raise ValueError(f"{fn}: y_true has labels in [{y_true.min()}, {y_true.max()}] but y_score has "
                         f"{n_cols} columns (classes 0..{n_cols - 1}).")
    return y_true, y_score


def _roc_auc(y_binary: np.ndarray, score: np.ndarray, what: str, fn: str = "auc") -> float:
    if len(np.unique(y_binary)) < 2:
        raise ValueError(f"{fn}: {what} has only one class in y_true ({len(y_binary)} samples), so "
                         "its ROC AUC is undefined; evaluate on more samples (a stratified subset).")
    return roc_auc_score(y_binary, score)


def auc(y_true, y_score, task: str) -> float:
    """Area under the ROC curve, computed as ``medmnist.evaluator.getAUC``.

    Args:
        y_true: labels, numpy array or torch tensor: ``(N,)`` or ``(N, 1)``
            integer classes, or ``(N, L)`` 0/1 for ``"multi-label, binary-class"``.
        y_score: probabilities in [0, 1], ``(N, n_classes)`` (softmax) or
            ``(N, L)`` (sigmoid); for ``"binary-class"`` also ``(N,)`` or ``(N, 1)``,
            and with two columns the last one is the positive class.
        task: one of :data:`TASKS`.

    Returns:
        binary-class: the AUC of the positive class. multi-label: the mean of the
        per-label AUCs. multi-class and ordinal-regression: the mean of the
        one-vs-rest AUCs of every class.
    """
    y_true, y_score = _prepare(y_true, y_score, task, "auc")
    if task == "binary-class":
        return float(_roc_auc(y_true, y_score, "the binary task"))
    total = 0
    for i in range(y_score.shape[1]):
        if task == "multi-label, binary-class":
            total += _roc_auc(y_true[:, i], y_score[:, i], f"label {i}")
        else:
            total += _roc_auc((y_true == i).astype(float), y_score[:, i], f"class {i} (one-vs-rest)")
    return float(total / y_score.shape[1])


def roc_auc(y_true, score) -> float:
    """Area under the ROC curve of a real-valued score for one binary label.

    The score need not be a probability: a reconstruction error for anomaly
    detection, a distance, a logit. The AUC is the probability that a randomly
    drawn positive sample scores higher than a randomly drawn negative one (ties
    count one half), so it depends only on the order of the scores: 0.5 is
    chance, and a value below 0.5 means that the score ranks the wrong way round.

    Args:
        y_true: ``(N,)`` or ``(N, 1)`` labels, 0 (negative) and 1 (positive),
            both present; numpy array or torch tensor.
        score: ``(N,)`` or ``(N, 1)`` finite real numbers, higher meaning "more
            likely positive".

    Returns:
        The AUC in [0, 1]. For the probabilities of a classifier on a MedMNIST
        task, :func:`auc` gives the same number (and knows the other tasks).
    """
    y_true = _to_numpy(y_true, "roc_auc: y_true")
    score = _to_numpy(score, "roc_auc: score")
    shapes = (y_true.shape, score.shape)
    y_true, score = (a[:, 0] if a.ndim == 2 and a.shape[1] == 1 else a for a in (y_true, score))
    if y_true.ndim != 1 or score.ndim != 1:
        raise ValueError(f"roc_auc: expected one label and one score per sample, shapes (N,) or (N, 1); got "
                         f"{shapes[0]} and {shapes[1]}. For class probabilities of shape (N, n_classes) use "
                         "auc(y_true, y_score, task).")
    if len(y_true) != len(score):
        raise ValueError(f"roc_auc: y_true has {len(y_true)} samples but score has {len(score)}; they must "
                         "describe the same samples.")
    if not np.all(np.isfinite(score)):
        raise ValueError("roc_auc: score contains NaN or Inf.")
    if not np.isin(y_true, (0, 1)).all():
        raise ValueError(f"roc_auc: y_true must be 0 (negative) or 1 (positive); got labels "
                         f"{np.unique(y_true)[:10].tolist()}.")
    return float(_roc_auc(y_true.astype(int), score, "y_true", fn="roc_auc"))


def auc_standard_error(auc_value: float, n_pos: int, n_neg: int) -> float:
    """Standard error of a binary AUC from the test set's size (Hanley & McNeil, 1982).

    An AUC measured on ``n_pos`` positive and ``n_neg`` negative test samples is an
    estimate: another test set of the same sizes, drawn from the same population, gives
    another value. This is the standard deviation of that sampling noise:

        SE^2 = [A (1 - A) + (n_pos - 1) (Q1 - A^2) + (n_neg - 1) (Q2 - A^2)] / (n_pos n_neg),
        Q1 = A / (2 - A),   Q2 = 2 A^2 / (1 + A),

    where A is the AUC. ``Q1`` (the chance that two positives both outscore one negative) and
    ``Q2`` (that one positive outscores two negatives) are exact when both classes' scores
    are exponentially distributed, and approximate otherwise: on normally distributed scores
    (equal variances, AUC from 0.6 to 0.95) with 114 positives and 42 negatives the SE comes
    out 3-12% too small; with the classes swapped, 3-34% too large, more so the higher the AUC
    (14% at 0.83, 22% at 0.9, 34% at 0.95; the exact binormal Q1 and Q2 give these ratios). With the scores in hand, a bootstrap over the test
    samples measures the spread directly. The SE covers the test sample only: it says
    nothing of the randomness of training (seeds), and two models scored on the *same* test
    samples differ by less than their SEs suggest, because their errors are correlated
    (compare them with a paired bootstrap).

    Args:
        auc_value: the AUC, in [0, 1], from :func:`auc` or :func:`roc_auc`: the chance that
            a positive sample scores higher than a negative one.
        n_pos: number of positive test samples (for :func:`auc` on a binary MedMNIST task,
            those of label 1), an int >= 1.
        n_neg: number of negative test samples, an int >= 1.

    Returns:
        The standard error, >= 0 (0 at an AUC of exactly 0 or 1).
    """
    if isinstance(auc_value, bool) or not isinstance(auc_value, (int, float, np.number)) \
            or not 0 <= auc_value <= 1:
        raise ValueError(f"auc_standard_error: auc_value must be an AUC in [0, 1]; got {auc_value!r}.")
    for name, n in (("n_pos", n_pos), ("n_neg", n_neg)):
        if isinstance(n, bool) or not isinstance(n, (int, np.integer)) or n < 1:
            raise ValueError(f"auc_standard_error: {name} must be a count of test samples, an int >= 1; "
                             f"got {n!r}.")
    a = float(auc_value)
    q1, q2 = a / (2 - a), 2 * a * a / (1 + a)
    var = (a * (1 - a) + (n_pos - 1) * (q1 - a * a) + (n_neg - 1) * (q2 - a * a)) / (n_pos * n_neg)
    return math.sqrt(max(var, 0.0))


def accuracy(y_true, y_score, task: str, threshold: float = 0.5) -> float:
    """Accuracy, computed as ``medmnist.evaluator.getACC``.

    Args:
        y_true, y_score, task: as in :func:`auc`.
        threshold: a binary or multi-label prediction is positive when its
            probability is ``> threshold``.

    Returns:
        binary-class: the fraction of correct thresholded predictions.
        multi-label: the mean over labels of the per-label accuracy.
        multi-class and ordinal-regression: the fraction whose argmax is the label.
    """
    if isinstance(threshold, bool) or not isinstance(threshold, (int, float, np.number)) \
            or not 0 <= threshold <= 1:
        raise ValueError(f"accuracy: threshold must be a probability in [0, 1]; got {threshold!r}.")
    y_true, y_score = _prepare(y_true, y_score, task, "accuracy")
    if task == "multi-label, binary-class":
        predicted = y_score > threshold
        total = 0
        for i in range(y_true.shape[1]):
            total += accuracy_score(y_true[:, i], predicted[:, i])
        return float(total / y_true.shape[1])
    if task == "binary-class":
        return float(accuracy_score(y_true, y_score > threshold))
    return float(accuracy_score(y_true, np.argmax(y_score, axis=-1)))

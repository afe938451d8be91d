"""Benchmark of the RNN chapter: AdrenalMNIST3D (28^3) read as 28 slices.

A CNN slice encoder + GRU (``SliceRNN``) against a 2D CNN on the middle slice,
a small 3D CNN, logistic regression on the voxels and the majority class, all
on the same training volumes and the same test split; plus the
vanishing-gradient measurement of the notebook at the longest sequence length.

Each network is trained once per seed in SEEDS. The seed sets its initial
weights (``volume_models``: they depend on the seed alone), its batch order and
its dropout; the data and the splits stay fixed. With 98 validation volumes to
choose the epoch on, one seed's number is one draw, so the file holds every
seed's and their spread.

Writes ``benchmarks/results/rnn_adrenal.json`` in the ``full`` profile
(``rnn_adrenal.quick.json`` in the ``quick`` one) with, for NAME in seq, cnn2d
and cnn3d: ``NAME_test_auc`` and ``NAME_test_acc`` (means over seeds),
``NAME_test_auc_std`` (the sample standard deviation over seeds, ddof=1),
``NAME_test_auc_min``, ``NAME_test_auc_max``, and per
seed S ``NAME_test_auc_seedS``, ``NAME_test_acc_seedS``, ``NAME_best_epoch_seedS``;
also ``logreg_test_auc``, ``logreg_test_acc`` (at ``logreg_C``, the L2 strength chosen on validation
AUC, ``logreg_val_auc``), ``majority_test_acc``,
``n_seeds`` and a few more; ``NAME_train_seconds_seedS`` sums the per-epoch times of that
run's history, so epochs trained before a resume count too. Seed 0 is the notebook's ``SEED``:
it starts from the notebook's weights, and the notebook executed in the ``full`` profile on the
same device repeats its run.

Run: ``COURSEKIT_PROFILE=full python benchmarks/rnn_adrenal.py`` (about 70 minutes on a
2-core CPU). The checkpoints of every seed and network are kept in
:func:`coursekit.bench.checkpoint_dir` (``benchmarks/.cache/`` unless ``COURSEKIT_BENCH_CACHE``
says otherwise), so a run that is stopped continues from the last finished epoch when started again.
The parameters are those of notebooks/03_rnn.ipynb (a test keeps them equal).
"""
from __future__ import annotations

import os
import sys

import numpy as np

import coursekit as ck
from coursekit.models import recurrent as R

NOTEBOOK = "notebooks/03_rnn.ipynb"   # the notebook whose parameters cell PARAMS repeats
PARAMS = dict(
    quick=dict(n_train=200, epochs=3, width=8, hidden_size=32, batch_size=32, grad_seeds=2, grad_hidden=16),
    full=dict(n_train=None, epochs=40, width=16, hidden_size=64, batch_size=32, grad_seeds=10, grad_hidden=32),
)
SEED = 0                                   # the notebook's seed: data subset, and the first run
SEEDS = {"quick": [0, 1], "full": [0, 1, 2, 3, 4]}
FLAG = "adrenalmnist3d"
LENGTHS = [1, 2, 4, 8, 16, 32, 64]


def main() -> int:
    P = ck.profile.params(**PARAMS)
    ck.device.print_config()
    ck.seed_everything(SEED)
    device = ck.device.get_device()

    train = ck.data.load_medmnist(FLAG, "train").subset(P.n_train, seed=SEED)
    val = ck.data.load_medmnist(FLAG, "val")
    test = ck.data.load_medmnist(FLAG, "test")
    ck.bench.require_real_data()

    majority_acc = ck.classify.majority_class(train, test)["acc"]
    logreg_C, logreg_val = ck.classify.choose_logistic_c(train, val)   # on validation volumes, as the networks' epochs
    logreg = ck.classify.pixel_logistic_regression(train, test, C=logreg_C)

    metrics = {}
    test_batches = ck.data.DeviceBatches(test.images, test.labels, batch_size=128, shuffle=False, device=device)
    seeds = SEEDS[P.profile]
    cache = ck.bench.checkpoint_dir("rnn_adrenal")
    print(f"checkpoints in {cache} (a stopped run resumes from them; delete the folder to start over)")
    for seed in seeds:
        for name, model in R.volume_models(width=P.width, hidden_size=P.hidden_size, seed=seed).items():
            ck.seed_everything(seed)
            history = ck.classify.train_classifier(
                model, train, val, epochs=P.epochs, batch_size=P.batch_size, max_shift=0, seed=seed,
                checkpoint=os.path.join(cache, f"{name}_seed{seed}.pt"), device=device, progress=False,
                verbose=False)
            res = ck.train.evaluate(model, test_batches, test.task)
            metrics.update({f"{name}_test_auc_seed{seed}": res["auc"], f"{name}_test_acc_seed{seed}": res["acc"],
                            f"{name}_best_epoch_seed{seed}": history.best_epoch,
                            f"{name}_train_seconds_seed{seed}": history.seconds(),
                            f"{name}_parameters": ck.models.count_parameters(model)})
            print(f"seed {seed} {name}: {res} (best epoch {history.best_epoch})", flush=True)
    for name in R.VOLUME_MODELS:
        aucs = np.array([metrics[f"{name}_test_auc_seed{s}"] for s in seeds])
        metrics.update({f"{name}_test_auc": float(aucs.mean()), f"{name}_test_auc_std": float(aucs.std(ddof=1)),
                        f"{name}_test_auc_min": float(aucs.min()), f"{name}_test_auc_max": float(aucs.max()),
                        f"{name}_test_acc": float(np.mean([metrics[f"{name}_test_acc_seed{s}"] for s in seeds]))})

    for bias in (0.0, 2.0):
        grads = R.vanishing_gradients(LENGTHS, hidden_size=P.grad_hidden, seeds=range(P.grad_seeds), carry_bias=bias)
        for kind, norms in grads.items():
            metrics[f"grad_{kind}_T{LENGTHS[-1]}_bias{int(bias)}"] = float(np.exp(np.log(norms[-1]).mean()))

    path = ck.bench.write_result("rnn_adrenal", {
        **metrics,
        "logreg_test_auc": logreg["auc"], "logreg_test_acc": logreg["acc"],
        "logreg_C": logreg_C, "logreg_val_auc": logreg_val[logreg_C],
        "majority_test_acc": majority_acc, "epochs": P.epochs, "n_train": len(train), "n_seeds": len(seeds),
    })
    print(f"wrote {path}")
    print(open(path).read())
    return 0


if __name__ == "__main__":
    sys.exit(main())

"""Benchmark of the neural-networks chapter: an MLP on flattened BreastMNIST (28 px)
trained from the same initial weights with SGD, SGD with momentum and Adam
(coursekit.optim), and momentum SGD with the chapter's learning-rate schedules,
against a majority-class predictor and logistic regression on the same pixels
(``classify.pixel_logistic_regression``: pixels standardised with the training
mean and std, an L2 penalty of fixed strength, its default C, not tuned
on BreastMNIST's validation split).

Each configuration is trained once per seed (the seed sets the initial weights
and the batch order; within a seed every run shares them). Every seed is scored
on the same 156 test images, so the spread over seeds measures the randomness of
training only, not the sampling noise of the small test set. Writes
``benchmarks/results/nn_optimizers.json`` in the ``full`` profile
(``nn_optimizers.quick.json`` in the ``quick`` one) with, for each run NAME in
``sgd``, ``momentum``, ``adam``, ``momentum_step``, ``momentum_exponential``,
``momentum_inverse_time``, ``momentum_cosine``, ``momentum_article``:
``NAME_test_auc``, ``NAME_test_acc`` (means over seeds), ``NAME_test_auc_std``
(the std of the seeds' test AUCs; ``std_ddof`` says which: 1, the sample std,
with several seeds; 0, with one seed, which has no spread to estimate), ``NAME_final_train_loss``; and ``logreg_test_auc``,
``logreg_test_acc``, ``majority_test_acc``, ``n_seeds``, ``std_ddof``, ``epochs``,
``train_seconds``.

Run: ``COURSEKIT_PROFILE=full python benchmarks/nn_optimizers.py``.
The parameters are those of notebooks/01_neural_networks.ipynb (a test keeps them equal).
"""
from __future__ import annotations

import os
import sys
import tempfile
import time

import numpy as np
import torch

import coursekit as ck
from coursekit import optim
from coursekit.models import mlp

NOTEBOOK = "notebooks/01_neural_networks.ipynb"   # the notebook whose parameters cell PARAMS repeats
PARAMS = dict(
    quick=dict(epochs=15, hidden=32, batch_size=64, lr_sgd=0.1, momentum=0.9, lr_adam=0.001),
    full=dict(epochs=100, hidden=128, batch_size=64, lr_sgd=0.1, momentum=0.9, lr_adam=0.001),
)
SEEDS = dict(quick=(0,), full=(0, 1, 2, 3, 4))
FLAG = "breastmnist"
SCHEDULE_KEYS = {"step": "step", "exponential": "exponential", "inverse time": "inverse_time",
                 "cosine": "cosine", "articles' 'decay'": "article"}


def runs_for_seed(P, seed, train, val, test, device, workdir):
    """Test AUC/accuracy and final training loss of every configuration for one seed,
    trained as the notebook trains them (classify.train_classifier with the optimizer and
    schedule of each configuration, from one shared init)."""
    torch.manual_seed(seed)
    init_state = mlp.MLP(784, (P.hidden,), 2).state_dict()
    test_batches = ck.data.DeviceBatches(test.images, test.labels, batch_size=512, shuffle=False, device=device)
    learning_rates = {"sgd": P.lr_sgd, "momentum": P.lr_sgd * (1 - P.momentum), "adam": P.lr_adam}
    lr0 = learning_rates["momentum"]
    configs = {name: (name, lr, None, "constant") for name, lr in learning_rates.items()}
    for sched_name, fn in optim.chapter_schedules(lr0, P.epochs).items():
        if sched_name != "constant":
            configs[f"momentum_{SCHEDULE_KEYS[sched_name]}"] = ("momentum", lr0, fn, sched_name)
    out = {}
    for key, (opt_name, lr, schedule, sched_name) in configs.items():
        model = mlp.MLP(784, (P.hidden,), 2)
        model.load_state_dict(init_state)
        opt = optim.make_optimizer(opt_name, model.parameters(), lr=lr, momentum=P.momentum)
        sched = optim.ScheduledLR(opt, schedule) if schedule is not None else None
        history = ck.classify.train_classifier(
            model, train, val, optimizer=opt, scheduler=sched, max_shift=0, select_best=False,
            epochs=P.epochs, batch_size=P.batch_size, seed=seed, checkpoint=os.path.join(workdir, "nn_mlp.pt"),
            verbose=False, progress=False, device=device,
            hparams=dict(optimizer=opt_name, lr=lr, schedule=sched_name, hidden=P.hidden))
        res = ck.train.evaluate(model, test_batches, test.task)
        out[key] = {"auc": res["auc"], "acc": res["acc"], "loss": history.last("train_loss")}
        print(f"seed {seed} {key:<22} test AUC {res['auc']:.4f} acc {res['acc']:.4f}", flush=True)
    return out


def main() -> int:
    P = ck.profile.params(**PARAMS)
    seeds = SEEDS[P.profile]
    ck.device.print_config()
    device = ck.device.get_device()
    train = ck.data.load_medmnist(FLAG, "train")
    val = ck.data.load_medmnist(FLAG, "val")
    test = ck.data.load_medmnist(FLAG, "test")
    ck.bench.require_real_data()

    logreg = ck.classify.pixel_logistic_regression(train, test)
    majority = ck.classify.majority_class(train, test)
    t0 = time.perf_counter()
    per_seed = []
    with tempfile.TemporaryDirectory() as tmp:
        for seed in seeds:
            per_seed.append(runs_for_seed(P, seed, train, val, test, device, tmp))
    train_s = time.perf_counter() - t0

    metrics = {"logreg_test_auc": logreg["auc"], "logreg_test_acc": logreg["acc"],
               "majority_test_acc": majority["acc"],
               "n_seeds": len(seeds), "epochs": P.epochs, "train_seconds": train_s}
    ddof = 1 if len(seeds) > 1 else 0            # the sample std; one seed has no spread to estimate
    metrics["std_ddof"] = ddof
    for key in per_seed[0]:
        aucs = np.array([r[key]["auc"] for r in per_seed])
        metrics[f"{key}_test_auc"] = float(aucs.mean())
        metrics[f"{key}_test_auc_std"] = float(aucs.std(ddof=ddof))
        metrics[f"{key}_test_acc"] = float(np.mean([r[key]["acc"] for r in per_seed]))
        metrics[f"{key}_final_train_loss"] = float(np.mean([r[key]["loss"] for r in per_seed]))
    path = ck.bench.write_result("nn_optimizers", metrics)
    print(f"wrote {path}")
    print(open(path).read())
    return 0


if __name__ == "__main__":
    sys.exit(main())

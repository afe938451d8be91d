"""Benchmark of the CNN chapter: PneumoniaMNIST (28 px), SmallCNN vs pixel
logistic regression on the same test split, and the data path's speed.

Writes ``benchmarks/results/cnn_pneumonia.json`` in the ``full`` profile
(``cnn_pneumonia.quick.json`` in the ``quick`` one) with the keys
``cnn_test_auc``, ``cnn_test_acc``, ``logreg_test_auc``, ``logreg_test_acc`` (at ``logreg_C``, the
L2 strength chosen on validation AUC, ``logreg_val_auc``),
``loader_resident_img_per_s``, ``loader_dataloader_img_per_s`` (with ``_min`` and ``_max``;
and a few more).

The two ``loader_*`` speeds are the median of ``loader_timed_epochs`` timed epochs each,
after one warm-up epoch each, the two paths' epochs taken in turn so that a slow spell of a
shared machine falls on both; ``..._min`` and ``..._max`` give their range. One epoch each
(as this script once timed) put their ratio on either side of 1 from one run to the next.
On a CPU the two paths differ by medmnist's Dataset and its PIL -> ``ToTensor`` transform,
run in Python for each image; on a GPU the DataLoader's batches are also copied from host
memory.

Run: ``COURSEKIT_PROFILE=full python benchmarks/cnn_pneumonia.py``.
The parameters are those of notebooks/02_cnn.ipynb (a test keeps them equal).
"""
from __future__ import annotations

import os
import statistics
import sys
import tempfile
import time

import torch
from torch import nn

import coursekit as ck

NOTEBOOK = "notebooks/02_cnn.ipynb"   # the notebook whose parameters cell PARAMS repeats
PARAMS = dict(
    quick=dict(n_train=2000, epochs=8, width=16, batch_size=128),
    full=dict(n_train=None, epochs=40, width=32, batch_size=128),
)
SEED = 0
FLAG = "pneumoniamnist"
TIMED_EPOCHS = 5    # per data path, after a warm-up epoch each


def speeds_in_turn(paths: dict, device, n_images: int, epochs: int) -> dict[str, list[float]]:
    """Training throughput (images/s: forward, backward and an SGD step on every batch) of
    each ``name: (model, batches)`` in ``paths``: one warm-up epoch each (allocations, cuDNN
    autotuning, page cache), then ``epochs`` timed epochs each, the paths in turn."""
    def epoch(model, batches, opt):
        model.train()
        for x, y in batches:
            x, y = x.to(device, non_blocking=True), y.to(device, non_blocking=True).view(-1).long()
            opt.zero_grad(set_to_none=True)
            with ck.device.autocast(device):
                loss = nn.functional.cross_entropy(model(x), y)
            loss.backward()
            opt.step()
        if device.type == "cuda":
            torch.cuda.synchronize()

    optimizers = {name: torch.optim.SGD(model.parameters(), lr=1e-3) for name, (model, _) in paths.items()}
    for name, (model, batches) in paths.items():
        epoch(model, batches, optimizers[name])
    speeds = {name: [] for name in paths}
    for _ in range(epochs):
        for name, (model, batches) in paths.items():
            t0 = time.perf_counter()
            epoch(model, batches, optimizers[name])
            speeds[name].append(n_images / (time.perf_counter() - t0))
    return speeds


def main() -> int:
    P = ck.profile.params(**PARAMS)
    ck.device.print_config()
    ck.seed_everything(SEED)
    device = ck.device.get_device()

    train = ck.data.load_medmnist(FLAG, "train").subset(P.n_train, seed=SEED)
    val = ck.data.load_medmnist(FLAG, "val")
    test = ck.data.load_medmnist(FLAG, "test")
    ck.bench.require_real_data()

    logreg_C, logreg_val = ck.classify.choose_logistic_c(train, val)   # on validation images, as the CNN's epoch
    logreg = ck.classify.pixel_logistic_regression(train, test, C=logreg_C)
    ck.seed_everything(SEED)   # the network's first weights depend on SEED alone, as in the notebook
    model = ck.models.SmallCNN(1, 2, width=P.width)
    t0 = time.perf_counter()
    with tempfile.TemporaryDirectory() as tmp:
        history = ck.classify.train_classifier(model, train, val, epochs=P.epochs, batch_size=P.batch_size,
                                               seed=SEED, checkpoint=os.path.join(tmp, "cnn.pt"), device=device,
                                               progress=False)
    train_s = time.perf_counter() - t0
    cnn = ck.train.evaluate(model, ck.data.DeviceBatches(test.images, test.labels, batch_size=512, shuffle=False,
                                                         device=device), test.task)

    # The data path: the same model and images, device-resident batches vs a
    # DataLoader over medmnist's own dataset with its default PIL -> ToTensor transform.
    full_train = ck.data.load_medmnist(FLAG, "train")
    n = len(full_train)
    paths = {}
    ck.seed_everything(SEED)
    paths["resident"] = (ck.models.SmallCNN(1, 2, width=P.width).to(device),
                         ck.data.DeviceBatches(full_train.images, full_train.labels, batch_size=P.batch_size,
                                               device=device))
    ck.seed_everything(SEED)
    paths["dataloader"] = (ck.models.SmallCNN(1, 2, width=P.width).to(device),
                           ck.data.medmnist_dataloader(FLAG, "train", batch_size=P.batch_size, num_workers=0,
                                                       seed=SEED))
    speeds = speeds_in_turn(paths, device, n, TIMED_EPOCHS)
    loader_keys = {"loader_timed_epochs": TIMED_EPOCHS}
    for name, values in speeds.items():
        key = f"loader_{name}_img_per_s"
        loader_keys.update({key: statistics.median(values), f"{key}_min": min(values), f"{key}_max": max(values)})

    path = ck.bench.write_result("cnn_pneumonia", {
        "cnn_test_auc": cnn["auc"], "cnn_test_acc": cnn["acc"],
        "logreg_test_auc": logreg["auc"], "logreg_test_acc": logreg["acc"],
        "logreg_C": logreg_C, "logreg_val_auc": logreg_val[logreg_C],
        "cnn_best_epoch": history.best_epoch, "cnn_epochs": P.epochs, "cnn_train_seconds": train_s,
        "cnn_parameters": ck.models.count_parameters(model), "n_train": len(train),
        **loader_keys,
    })
    print(f"wrote {path}")
    print(open(path).read())
    return 0


if __name__ == "__main__":
    sys.exit(main())

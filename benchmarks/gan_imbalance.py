"""Benchmark of the class-imbalance experiment (notebooks/05c_gan_imbalance.ipynb).

OrganAMNIST with one organ (``kidney-left``) kept at 2% of the training set; the same
SmallCNN trained five ways per seed (plain, re-weighting, classical augmentation, samples of a
conditional GAN trained on the same imbalanced set, and more real images as a reference) by
:func:`coursekit.imbalance.trial`, the function the notebook calls.

Writes ``benchmarks/results/gan_imbalance.json`` in the ``full`` profile
(``gan_imbalance.quick.json`` in the ``quick`` one) with the keys of
:func:`coursekit.imbalance.summarise`: for each arm (``plain``, ``reweight``,
``augment``, ``cgan``, ``real``) ``minority_recall_<arm>_mean``/``_std``,
``balanced_acc_<arm>_mean``/``_std``, ``acc_<arm>_mean``/``_std``, each seed's value
``<metric>_<arm>_seed<k>``, the paired differences from plain ``<metric>_<arm>_diff_mean``/``_diff_se``
and of the cGAN from the cheap remedies ``<metric>_cgan_vs_reweight_diff_mean``/``_se`` (and
``_vs_augment_``), ``gan_recipe`` (:data:`coursekit.generative.GAN_RECIPE`), ``augment_recipe``
(:data:`coursekit.imbalance.AUGMENT_RECIPE`: the fill of the augmentation's uncovered margin), and ``n_seeds``, ``n_train``,
``n_minority``, ``n_test_minority``, ``train_seconds`` (the sum of every arm's ``train seconds``:
the per-epoch times in the histories, so epochs trained before a resume count too).
Run: ``COURSEKIT_PROFILE=full python benchmarks/gan_imbalance.py``. The checkpoints of every
seed and arm are kept in :func:`coursekit.bench.checkpoint_dir` (``benchmarks/.cache/`` unless
``COURSEKIT_BENCH_CACHE`` says otherwise), so a run that is stopped (about 35 minutes a seed on a
2-core CPU, three hours in all) continues from the last finished epoch when started again.
"""
from __future__ import annotations

import sys

import coursekit as ck
from coursekit import imbalance

NOTEBOOK = "notebooks/05c_gan_imbalance.ipynb"   # the notebook whose parameters cell PARAMS repeats
PARAMS = dict(
    quick=dict(n_others=600, n_val=300, n_test=1000, fraction=0.02, minority="kidney-left", seeds=[0, 1],
               clf_width=8, clf_epochs=4, batch_size=32, z_dim=32, gan_width=16, gan_epochs=4),
    full=dict(n_others=10000, n_val=None, n_test=None, fraction=0.02, minority="kidney-left", seeds=[0, 1, 2, 3, 4],
              clf_width=32, clf_epochs=20, batch_size=128, z_dim=64, gan_width=64, gan_epochs=30),
)
FLAG = "organamnist"


def main() -> int:
    P = ck.profile.params(**PARAMS)
    ck.device.print_config()
    full_train = ck.data.load_medmnist(FLAG, "train")
    val = ck.data.load_medmnist(FLAG, "val").subset(P.n_val, seed=0)
    test = ck.data.load_medmnist(FLAG, "test").subset(P.n_test, seed=0)
    ck.bench.require_real_data()
    m = full_train.label_names.index(P.minority)
    example = imbalance.imbalanced_subset(full_train, m, P.fraction, n=P.n_others, seed=P.seeds[0])

    cache = ck.bench.checkpoint_dir("gan_imbalance")
    print(f"checkpoints in {cache} (a stopped run resumes from them; delete the folder to start over)")
    rows = []
    for seed in P.seeds:
        rows += imbalance.trial(
            full_train, val, test, m, seed, n_others=P.n_others, fraction=P.fraction, clf_width=P.clf_width,
            clf_epochs=P.clf_epochs, batch_size=P.batch_size, z_dim=P.z_dim, gan_width=P.gan_width,
            gan_epochs=P.gan_epochs, checkpoint_dir=cache)
        for row in rows[-len(imbalance.ARMS):]:
            print(f"seed {seed} {row['arm']:<30} minority recall {row['minority recall']:.3f}  "
                  f"balanced acc {row['balanced accuracy']:.3f}", flush=True)
    out = imbalance.summarise(rows)
    out.update(n_train=len(example), n_minority=int((example.labels == m).sum()),
               n_test_minority=int((test.labels == m).sum()), train_seconds=sum(row["train seconds"] for row in rows))
    path = ck.bench.write_result("gan_imbalance", out)
    print(imbalance.table(out).to_string())
    print(f"wrote {path}")
    return 0


if __name__ == "__main__":
    sys.exit(main())

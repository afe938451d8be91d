"""Benchmark of the GAN chapter's recipe: what does each change to the DCGAN's training buy?

The chapter's DCGAN (benchmarks/gan.py) misses two of its targets: its FD is more than twice the
real-train versus real-test floor, and its precision is below 0.5. This script trains the same
DCGAN (same data, seed, feature classifier and reference images) under a few recipes that differ
from the chapter's in one or two ways, and scores each the same way:

* ``base``: the chapter's recipe, exactly the DCGAN of benchmarks/gan.py (it resumes that run's
  checkpoint, so it costs nothing when gan.py has run with the same code);
* ``decay``: both learning rates fall linearly towards 0 over the last third of the epochs
  (``train_gan(lr_decay_from=2/3)``), so the generator settles instead of oscillating;
* ``wide``: twice the channels in G and D (about 2.7x the generator's parameters and 4x the
  discriminator's), with the decay;
* ``long``: three times the epochs (three times the generator updates), with the decay;
* ``ema``: the chapter's recipe, sampled from the running average of the generator's weights
  over about the last 1000 steps (``train_gan(ema=..., ema_decay=0.999)``) instead of from its
  last weights. G trains exactly as in ``base``, so the same run also records G's own FD after
  every epoch (``ema_raw_fd_epoch_001``, ...): the averaged and the raw curves of one run;
* ``dsteps``: two discriminator updates, each on its own batch, per generator update
  (``train_gan(d_steps=2)``), with twice the epochs so that G is updated as often as in ``base``:
  does a discriminator that keeps up give the generator a better signal? (A hinge loss near 2
  means a D that scores everything 0; each recipe's ``r_d_loss_epoch_*`` shows how far it got.)

Writes ``benchmarks/results/gan_recipes.json`` (``gan_recipes.quick.json`` in the quick profile)
with ``fd_real_floor``, ``precision_floor``, ``recall_floor`` and, for each recipe ``r`` that ran,
``r_fd``, ``r_precision``, ``r_recall`` (against the test reference), ``r_dev_fd``,
``r_dev_precision``, ``r_dev_recall`` (the same samples against validation images: the chapter
chooses a recipe on these, so that the test scores it reports are not the best of several
looks at the test set), ``r_epochs``, ``r_parameters``, ``r_train_seconds`` and
its FD and the discriminator's mean training loss after every epoch ``r_fd_epoch_001``, ...,
``r_d_loss_epoch_001``, ... (and ``ema_raw_fd_epoch_001``, ...).

Run: ``COURSEKIT_PROFILE=full python benchmarks/gan_recipes.py [recipe ...]`` (default: all).
Recipes already in the results file from the same commit, profile and device are kept, so the
recipes can be run one command at a time; a file from another commit or device is renamed
``gan_recipes@<commit>-<device>.json``, and the chapter shows its recipes beside the new ones. The checkpoints live in gan.py's folder of
:func:`coursekit.bench.checkpoint_dir` (each file is named by its recipe's settings), so a
stopped run resumes. On a 2-core CPU one epoch takes about three minutes (``long`` is 90 epochs):
this is a GPU job.
"""
from __future__ import annotations

import sys

import coursekit as ck
from coursekit import generative


chapter = ck.bench.load_benchmark("gan")   # its parameters, data, feature classifier and DCGAN

NOTEBOOK = chapter.NOTEBOOK
PARAMS = chapter.PARAMS
NAME = "gan_recipes"
RECIPES = {   # name -> (width factor, epoch factor, train_gan keyword arguments)
    "base": (1, 1, {}),
    "decay": (1, 1, {"lr_decay_from": 2 / 3}),
    "wide": (2, 1, {"lr_decay_from": 2 / 3}),
    "long": (1, 3, {"lr_decay_from": 2 / 3}),
    "ema": (1, 1, {"ema_decay": 0.999}),
    "dsteps": (1, 2, {"d_steps": 2}),
}


def chosen(argv) -> list[str]:
    """The recipes named on the command line (all when none), in the order of RECIPES."""
    unknown = sorted(set(argv) - set(RECIPES))
    if unknown:
        raise SystemExit(f"unknown recipe(s) {unknown}; choose among {list(RECIPES)} (none: all of them)")
    return [r for r in RECIPES if r in argv or not argv]


def run_recipe(S, P, name: str) -> dict:
    """Train one recipe's DCGAN (or resume it) and score it: FD, precision, recall."""
    width_factor, epoch_factor, recipe = RECIPES[name]
    G, hist = chapter.train_dcgan(S, P, width=width_factor * P.gan_width, epochs=epoch_factor * P.gan_epochs,
                                  **recipe)
    f_fake = generative.features(S.clf, generative.generate(G, P.n_eval, seed=chapter.SEED))
    q = generative.sample_quality(S.f_ref, f_fake, k=3)
    out = {f"{name}_{m}": v for m, v in q.items()}
    # against validation images too: the recipe to report is chosen on these, then scored on the test ones
    out.update({f"{name}_dev_{m}": v for m, v in generative.sample_quality(S.f_dev, f_fake, k=3).items()})
    out.update({f"{name}_epochs": len(hist["epoch"]), f"{name}_parameters": ck.models.count_parameters(G),
                f"{name}_train_seconds": hist.seconds()})
    out.update({f"{name}_fd_epoch_{e:03d}": fd for e, fd in enumerate(hist["fd"], start=1)})
    out.update({f"{name}_d_loss_epoch_{e:03d}": v for e, v in enumerate(hist["train_d_loss"], start=1)})
    out.update({f"{name}_raw_fd_epoch_{e:03d}": fd for e, fd in enumerate(hist.get("fd_raw", ()), start=1)})
    print(f"{name}: FD {q['fd']:.2f}, precision {q['precision']:.3f}, recall {q['recall']:.3f}")
    return out


def main(argv=None) -> int:
    names = chosen(sys.argv[1:] if argv is None else argv)
    P = ck.profile.params(**PARAMS)
    ck.device.print_config()
    out = ck.bench.kept_results(ck.bench.result_path(NAME, ck.profile.active()))
    S = chapter.setup(P)
    out.update(chapter.floor(S, P))
    for name in names:
        out.update(run_recipe(S, P, name))
    path = ck.bench.write_result(NAME, out)
    print(f"wrote {path}")
    return 0


if __name__ == "__main__":
    sys.exit(main())

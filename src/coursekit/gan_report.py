"""The GAN chapter's full-profile results, read against the targets set before the runs.

Notebook 05b reads ``benchmarks/results/gan.json`` (the chapter's DCGAN and conditional GAN),
``gan_recipes.json`` (the same DCGAN under other training recipes, with earlier runs set
aside as ``gan_recipes@<commit>-<device>.json``) and ``gan_calibration.json`` (the yardstick:
real images blurred or noised, whose scores say what a generator's scores are worth). This
module turns those flat dicts into
tables and generated sentences, so that the notebook's cells stay short and the rules the
chapter promises are tested:

* the targets: FD at most :data:`FD_OVER_FLOOR` times the real-train versus real-test floor,
  precision and recall each at least :data:`MIN_PRECISION_RECALL`, and the conditional samples
  recognised at least :data:`MIN_CLASS_ACC_RATIO` times as often as real test images;
* a recipe is *chosen on validation images* (its FD against validation features, the key
  ``<recipe>_dev_fd``) and only that recipe's *test* scores are read against the targets: the
  lowest of several test FDs is the best of several looks at the test set, and optimistic;
* scores are compared only on one yardstick: FDs made with different classifiers (another
  device trains another one) have different floors and are not comparable.

The functions take the dicts that :func:`coursekit.bench.find_result` and
:func:`coursekit.bench.find_results` return, or a ladder read from ``gan_calibration.json`` with
:func:`coursekit.generative.ladder_from_keys`.
"""
from __future__ import annotations

import math
from typing import Mapping, Sequence

import pandas as pd

from .bench import series
from .generative import equivalent_degradation, ladder_points

FD_OVER_FLOOR = 2.0          # FD at most this many times the floor
MIN_PRECISION_RECALL = 0.5   # precision and recall each at least this
MIN_CLASS_ACC_RATIO = 0.8    # cGAN samples recognised at least this often, relative to real test images

# The recipes of benchmarks/gan_recipes.py, in its order (a test keeps the two in agreement).
RECIPES = ("base", "decay", "wide", "long", "ema", "dsteps")

# Discriminator updates per generator update in benchmarks/gan_recipes.py (1 where not named):
# an epoch of such a recipe updates G fewer times, which matters when curves are compared.
D_STEPS = {"dsteps": 2}


def meets_targets(fd: float, floor: float, precision: float, recall: float) -> bool:
    """Whether an unconditional generator meets the chapter's targets: ``fd <= 2 floor`` and
    precision and recall each at least 0.5 (scores against the test reference, at psi = 1)."""
    return fd <= FD_OVER_FLOOR * floor and min(precision, recall) >= MIN_PRECISION_RECALL


def _met(ok: bool) -> str:
    return "met" if ok else "**missed**"


def targets_findings(result: Mapping[str, float]) -> str:
    """A paragraph (Markdown) reading ``gan.json`` against the targets, met or **missed**, and
    what a classifier trained on conditional samples alone learns (TSTR against TRTR)."""
    r = result
    fd_x, tstr_x = r["fd_gan"] / r["fd_real_floor"], r["tstr_acc"] / r["trtr_acc"]
    return (
        f"Against the targets set before the run: the DCGAN's FD is {fd_x:.1f} times the floor (at most "
        f"{FD_OVER_FLOOR:g}: {_met(fd_x <= FD_OVER_FLOOR)}); its precision is {r['precision']:.2f} and its recall "
        f"{r['recall']:.2f} (each at least {MIN_PRECISION_RECALL:g}: "
        f"{_met(min(r['precision'], r['recall']) >= MIN_PRECISION_RECALL)}); the conditional samples are "
        f"recognised {r['cgan_class_acc_ratio']:.2f} times as often as real test images (at least "
        f"{MIN_CLASS_ACC_RATIO:g}: {_met(r['cgan_class_acc_ratio'] >= MIN_CLASS_ACC_RATIO)}). A classifier trained "
        f"on conditional samples alone reaches {r['tstr_acc']:.2f} accuracy on real test images, {tstr_x:.0%} of "
        f"the {r['trtr_acc']:.2f} it reaches when trained on real ones: "
        + ("the samples teach nearly what the real images teach." if tstr_x >= 0.9
           else "the samples teach only part of what the real images teach."))


def gaussian_baseline_note(result: Mapping[str, float]) -> str:
    """How the Gaussian-in-PCA baseline of ``gan.json`` got its number of components."""
    if "gauss_components" in result:
        return (f"Gaussian-PCA baseline: {int(result['gauss_components'])} components, chosen by FD to "
                "validation images")
    return "Gaussian-PCA baseline: 32 components, fixed (this file predates choosing them on validation images)"


def trajectory_findings(trajectory: Mapping[int, float], floor: float) -> str:
    """A sentence on the DCGAN's FD after every epoch (``{epoch: FD}``, e.g.
    ``bench.series(result, "fd_gan_epoch_")``): its range over the last third of the epochs, where
    it ends, and how far that is from the target (``FD_OVER_FLOOR * floor``)."""
    if not trajectory:
        raise ValueError("trajectory is empty: the file predates the per-epoch FD (keys fd_gan_epoch_*)")
    values = [trajectory[e] for e in sorted(trajectory)]
    last, target = values[-max(1, len(values) // 3):], FD_OVER_FLOOR * floor
    return (f"Over the last {len(last)} of its {len(values)} epochs the DCGAN's FD stays between {min(last):.2f} and "
            f"{max(last):.2f} and ends at {last[-1]:.2f}: "
            + (f"{last[-1] / target:.1f} times the target of {target:.2f}." if last[-1] > target
               else f"within the target of {target:.2f}."))


# ------------------------------------------------------------ recipes

def _recipes_in(run: Mapping[str, float]) -> list[str]:
    """The recipes a ``gan_recipes`` run scored: those with a ``<recipe>_fd`` key."""
    return [k[:-len("_fd")] for k in run if k.endswith("_fd") and not k.endswith("_dev_fd")]


def recipe_runs(runs: Sequence[Mapping[str, float]]) -> dict[str, tuple[Mapping[str, float], str]]:
    """``{label: (run, recipe)}`` for every recipe of every run, in the order of ``runs`` (the
    current file first, as :func:`coursekit.bench.find_results` returns them). A recipe that an
    earlier run measured again is labelled ``"<recipe> (<commit[:7]>)"`` there."""
    if isinstance(runs, Mapping) or not all(isinstance(run, Mapping) for run in runs):
        raise TypeError("runs: expected a list of results (dicts), as coursekit.bench.find_results returns them; "
                        f"got {type(runs).__name__}" + (": wrap one run in a list, [run]" if isinstance(runs, Mapping)
                                                        else ""))
    which: dict[str, tuple[Mapping[str, float], str]] = {}
    for run in runs:
        for name in _recipes_in(run):
            seen = any(name == other for _, other in which.values())
            which[f"{name} ({str(run['git_commit'])[:7]})" if seen else name] = (run, name)
    return which


def recipe_table(runs: Sequence[Mapping[str, float]]) -> pd.DataFrame:
    """One row per recipe and run (labels of :func:`recipe_runs`), with its test scores, whether
    they meet the targets, its FD on validation images (NaN for runs that predate that score), the
    floor of its classifier and the run (commit and device) it comes from."""
    rows = {}
    for label, (run, name) in recipe_runs(runs).items():
        fd, floor = run[f"{name}_fd"], run["fd_real_floor"]
        precision, recall = run[f"{name}_precision"], run[f"{name}_recall"]
        rows[label] = {"FD": fd, "FD / floor": fd / floor, "precision": precision, "recall": recall,
                       "epochs": run[f"{name}_epochs"], "G parameters": run[f"{name}_parameters"],
                       "meets the targets": meets_targets(fd, floor, precision, recall),
                       "FD on validation": run.get(f"{name}_dev_fd", math.nan),
                       "floor": floor,
                       "run": f"{str(run['git_commit'])[:7]} on {str(run['device']).split(':')[0]}"}
    columns = ["FD", "FD / floor", "precision", "recall", "epochs", "G parameters", "meets the targets",
               "FD on validation", "floor", "run"]
    return pd.DataFrame.from_dict(rows, orient="index", columns=columns).rename_axis("recipe")


def same_yardstick(floor: float, other: float) -> bool:
    """Whether two FD floors come from the same classifier and reference (equal up to rounding)."""
    return abs(floor - other) <= 1e-6 * abs(other)


def _choosable(table: pd.DataFrame) -> pd.Series:
    """Which rows of :func:`recipe_table` a recipe may be chosen among: those with an FD on
    validation images and the first row's yardstick (its floor; the first row comes from the
    current results file)."""
    if not len(table):
        return pd.Series(dtype=bool)
    floor = table["floor"].iloc[0]
    return table["FD on validation"].notna() & table["floor"].map(lambda f: same_yardstick(f, floor))


def chosen_recipe(table: pd.DataFrame) -> str | None:
    """The recipe to report: the lowest FD on validation images among the rows that have one and
    share the first row's yardstick (its floor; the first row comes from the current results
    file). ``None`` when no row qualifies, e.g. when every run predates the validation score.
    The choice never looks at a test score."""
    ok = _choosable(table)
    return None if not ok.any() else table.loc[ok, "FD on validation"].astype(float).idxmin()


def recipe_curves(which: Mapping[str, tuple[Mapping[str, float], str]]) -> tuple[dict, dict]:
    """The curves of each recipe (labels of :func:`recipe_runs`) against generator updates counted
    in epochs of ``base`` (an epoch of a recipe with ``d_steps`` discriminator updates per
    generator update counts ``1 / d_steps``): ``(fd, d_loss)``, each ``{label: {x: value}}``.
    ``fd`` also holds ``"<label>, G's own weights"`` for an ``ema`` run that recorded them;
    ``d_loss`` only the runs that recorded the discriminator's loss."""
    def per_update(curve, name):
        return {epoch / D_STEPS.get(name, 1): v for epoch, v in curve.items()}

    fd, d_loss = {}, {}
    for label, (run, name) in which.items():
        fd[label] = per_update(series(run, f"{name}_fd_epoch_"), name)
        raw = series(run, "ema_raw_fd_epoch_") if name == "ema" else {}
        if raw:
            fd[f"{label}, G's own weights"] = per_update(raw, name)
        losses = series(run, f"{name}_d_loss_epoch_")
        if losses:
            d_loss[label] = per_update(losses, name)
    return fd, d_loss


def recipe_findings(table: pd.DataFrame, which: Mapping[str, tuple[Mapping[str, float], str]]) -> str:
    """A paragraph (Markdown) on the recipes: the one chosen on validation images and its test
    scores against the targets; where no run has validation scores, whether any recipe meets the
    targets on the test images (said to be optimistic); and, for an ``ema`` run, the averaged
    generator against G's own weights."""
    if not len(table):
        return "No recipe has been run yet."
    chosen = chosen_recipe(table)
    if chosen is not None:
        c = table.loc[chosen]
        candidates = int(_choosable(table).sum())
        among = "" if candidates == len(table) else (
            f" among the {candidates} of {len(table)} rows scored on validation images with this classifier")
        words = (f"Chosen on the validation images, where its FD is the lowest ({c['FD on validation']:.2f}{among}), "
                 f"`{chosen}` scores on the test images an FD of {c['FD']:.2f} ({c['FD / floor']:.1f} times the floor), "
                 f"precision {c['precision']:.2f} and recall {c['recall']:.2f}: it "
                 + ("meets both targets." if c["meets the targets"] else "misses the targets."))
    else:
        met = table.index[table["meets the targets"].astype(bool)].tolist()
        lowest = table["FD / floor"].astype(float).idxmin()   # runs on other classifiers: compare ratios
        low = table.loc[lowest]
        words = ("These runs predate the validation reference (FD on validation), so no recipe is chosen. "
                 + (f"On the test images {', '.join(met)} {'meets' if len(met) == 1 else 'meet'} both targets, "
                    f"the best of {len(table)} looks at the test set: an optimistic result until a choice on "
                    "validation images confirms it." if met else
                    f"No recipe run so far ({', '.join(table.index)}) meets both targets on the test images, not "
                    f"even the closest to its floor, {lowest}: {low['FD / floor']:.1f} times the floor, with precision "
                    f"{low['precision']:.2f} and recall {low['recall']:.2f}."))
    for label, (run, name) in which.items():
        raw = series(run, "ema_raw_fd_epoch_") if name == "ema" else {}
        if raw:
            last = max(raw)
            words += (f" In the `{label}` run, after epoch {last}, the averaged generator's FD is "
                      f"{run[f'ema_fd_epoch_{last:03d}']:.2f} and that of G's own last weights "
                      f"{raw[last]:.2f}: the same training, sampled two ways.")
    return words


# ------------------------------------------------------------ truncation

def truncation_table(result: Mapping[str, float]) -> pd.DataFrame | None:
    """The truncation sweep of ``gan.json`` on the test images: FD, precision and recall indexed by
    psi, from 1 (the model as trained: ``fd_gan``, ``precision``, ``recall``) down; ``None`` for a
    file that predates the sweep (no ``trunc_psi*`` keys)."""
    sweep = pd.DataFrame({m: series(result, "trunc_psi", f"_{m}") for m in ("fd", "precision", "recall")})
    if not len(sweep):
        return None
    sweep.index = sweep.index / 100
    sweep.loc[1.0] = [result["fd_gan"], result["precision"], result["recall"]]
    return sweep.sort_index(ascending=False).rename_axis("psi")


def truncation_findings(sweep: pd.DataFrame, floor: float) -> str:
    """One statement about the whole sweep (not a psi picked on the test images): which psi meet
    all three targets, or, where precision and recall both reach 0.5, how low FD gets."""
    both = sweep[(sweep["precision"] >= MIN_PRECISION_RECALL) & (sweep["recall"] >= MIN_PRECISION_RECALL)]
    meets = both[both["fd"] <= FD_OVER_FLOOR * floor]
    psis = lambda frame: ", ".join(f"{float(p):g}" for p in sorted(frame.index))
    if len(meets):
        return (f"On the test images psi = {psis(meets)} meets all three targets; choose psi on the "
                "validation images (keys trunc_psi*_dev_*) before quoting one.")
    if len(both):
        return (f"No psi tried meets all three targets. Where precision and recall both reach "
                f"{MIN_PRECISION_RECALL:g} (psi = {psis(both)}), FD is at least {both['fd'].min():.2f}, "
                f"{both['fd'].min() / floor:.1f} times the floor.")
    return f"No psi tried gives precision and recall both at least {MIN_PRECISION_RECALL:g}."


# ------------------------------------------------------------ the yardstick (blurred real images)

def as_blur(ladder, metric: str, value: float) -> str:
    """``"a 0.46 px blur"``: the blur at which real images score ``value`` on ``metric``
    (:func:`coursekit.generative.equivalent_degradation`), or words saying that none does and
    on which side of the ladder the score lies: worse than its largest blur, or better than the
    undegraded images (a reader cannot tell which from "none")."""
    sigma = equivalent_degradation(ladder, "blur", metric, value)
    if math.isfinite(sigma):
        return f"a {sigma:.2f} px blur"
    points = ladder_points(ladder, "blur")
    (_, first), (largest, last) = points[0], points[-1]
    worsening = last[metric] - first[metric]          # the direction in which blur moves the score
    if worsening != 0 and (value - last[metric]) * worsening > 0:
        return f"no blur on the ladder (worse than its largest, {largest:g} px)"
    if worsening != 0:
        return "no blur on the ladder (better than the undegraded images)"
    return "no blur on the ladder"


def on_ladder(ladder, result: Mapping[str, float] | None, table: pd.DataFrame) -> tuple[dict, list[str]]:
    """The generators that can be read on ``ladder`` (a full-profile
    :func:`coursekit.generative.degradation_ladder`): ``(scored, left_out)``. ``scored`` maps a
    label to the test ``{"fd", "precision", "recall"}`` of the chapter's DCGAN (``gan.json``,
    labelled ``"DCGAN (gan.json)"``; ``result`` may be None) and of each row of
    :func:`recipe_table`, for those scored with the ladder's classifier (the same floor);
    ``left_out`` lists the rows scored with another."""
    floor = ladder[("none", 0.0)]["fd"]
    scored = {}
    if result is not None and same_yardstick(result["fd_real_floor"], floor):
        scored["DCGAN (gan.json)"] = {"fd": result["fd_gan"], "precision": result["precision"],
                                      "recall": result["recall"]}
    left_out = []
    for label, row in table.iterrows():
        if same_yardstick(row["floor"], floor):
            scored[label] = {"fd": row["FD"], "precision": row["precision"], "recall": row["recall"]}
        else:
            left_out.append(label)
    return scored, left_out


def ladder_targets(ladder) -> dict[str, float]:
    """The chapter's targets as scores on the ladder's classifier: FD at most twice its floor,
    precision and recall each at least one half."""
    return {"fd": FD_OVER_FLOOR * ladder[("none", 0.0)]["fd"], "precision": MIN_PRECISION_RECALL,
            "recall": MIN_PRECISION_RECALL}


def ladder_table(ladder, scored: Mapping[str, Mapping[str, float]]) -> pd.DataFrame:
    """The targets (first row) and each scored generator: its FD, precision and recall, and for each
    the blur at which real images score the same (``"fd as blur (px)"``, ...; NaN where no blur on
    the ladder does)."""
    rows = {}
    for label, q in {"target": ladder_targets(ladder), **scored}.items():
        rows[label] = {**q, **{f"{m} as blur (px)": equivalent_degradation(ladder, "blur", m, v) for m, v in q.items()}}
    return pd.DataFrame.from_dict(rows, orient="index")


def ladder_findings(ladder, scored: Mapping[str, Mapping[str, float]], chosen: str | None) -> str:
    """A paragraph (Markdown) reading the targets and one generator on the ladder: the recipe
    ``chosen`` on validation images where it was scored with the ladder's classifier, otherwise
    the lowest test FD (said to be optimistic); whether its precision, not only a lack of
    detail, keeps it from the target; and whether noise scores below the floor."""
    if not scored:
        return "No generator here was scored with the ladder's classifier (their floors differ)."
    floor = ladder[("none", 0.0)]["fd"]
    blur = lambda metric, value: equivalent_degradation(ladder, "blur", metric, value)
    px = lambda sigma: f"at most {sigma:.2f} px" if math.isfinite(sigma) else "an amount outside the ladder's blurs"
    t = {m: blur(m, v) for m, v in ladder_targets(ladder).items()}
    best = chosen if chosen in scored else min(scored, key=lambda label: scored[label]["fd"])
    named = ("The recipe chosen on validation images" if best == chosen else
             "The lowest test FD so far (a test-set comparison, optimistic for the winner)")
    q = scored[best]
    b = {m: blur(m, v) for m, v in q.items()}
    text = (f"On the full profile's yardstick the targets ask for samples as close to the test images as real "
            f"training images blurred by {px(t['fd'])} (FD at most twice the floor) and by "
            f"{px(t['precision'])} (precision at least 0.5). {named}, {best} ({q['fd']:.2f}), matches "
            f"{as_blur(ladder, 'fd', q['fd'])}; its precision ({q['precision']:.2f}) matches "
            f"{as_blur(ladder, 'precision', q['precision'])} and its recall ({q['recall']:.2f}) "
            f"{as_blur(ladder, 'recall', q['recall'])}.")
    if b["precision"] > b["fd"] and b["recall"] < b["fd"]:
        text += (" Its precision is worse, and its recall better, than those of the images blurred to the same FD: "
                 "its samples cover the data better, but more of them lie off it. What keeps it from the target is "
                 "not only the missing detail that a blur takes away.")
    noisy = ladder.get(("noise", 0.05))
    if noisy is not None:
        text += (f" Noise of standard deviation 0.05 gives an FD of {noisy['fd']:.2f} against a floor of "
                 f"{floor:.2f}" + (": below the floor, so the floor is no minimum." if noisy["fd"] < floor else "."))
    return text

"""Benchmark of the GAN chapter's theory notebook: a discriminator trained on 1D
samples against the optimal discriminator D*, the identity
V(D*, G) = -log 4 + 2 JSD, the value at equilibrium, and the generator's
gradient under the saturating and non-saturating losses.

Writes ``benchmarks/results/gan_theory.json`` in the ``full`` profile
(``gan_theory.quick.json`` in the ``quick`` one) with the keys
``dstar_max_gap``, ``dstar_mean_gap``, ``kde_max_gap``, ``value_identity_error``,
``value_at_equilibrium``, ``minus_log4``, ``nonsaturating_gradient_ratio`` (and a
few more). No data set is involved: the distributions are written down.
The gaps ``dstar_*`` and ``kde_*`` are measured on [-3, 3] (``X``), where the
notebook measures them too; the notebook plots [-5, 5] and prints the gaps in
the tails beyond [-3, 3] as well, which this file does not record. The values
``value_*`` are integrals on [-12, 12] (``GRID``) or Monte Carlo estimates.

Run: ``COURSEKIT_PROFILE=full python benchmarks/gan_theory.py`` (minutes on a CPU).
The parameters are those of notebooks/05a_gan_theory.ipynb (a test keeps them equal).
"""
from __future__ import annotations

import sys
import time

import numpy as np
import torch

import coursekit as ck
import coursekit.gan as gan

NOTEBOOK = "notebooks/05a_gan_theory.ipynb"   # the notebook whose parameters cell PARAMS repeats
PARAMS = dict(
    quick=dict(d_steps=1500, batch_size=1024, hidden=32, path_points=5, path_steps=500, n_value=20000),
    full=dict(d_steps=4000, batch_size=2048, hidden=64, path_points=9, path_steps=2000, n_value=200000),
)
SEED = 0
P_DATA = gan.Mixture1D(means=[-1.5, 1.5], stds=[0.5, 0.6])
P_G = gan.Mixture1D(means=[0.0, 0.0], stds=[1.3, 1.3])
P_FAR = gan.Mixture1D(means=[4.0], stds=[0.5])
X = np.linspace(-3, 3, 301)            # where the notebook measures the gaps
GRID = np.linspace(-12, 12, 24001)     # the notebook's integration grid


def main() -> int:
    P = ck.profile.params(**PARAMS)
    ck.device.print_config()
    ck.seed_everything(SEED)
    t0 = time.perf_counter()
    out = {}

    d_star = gan.optimal_discriminator(P_DATA.pdf(X), P_G.pdf(X))
    D, losses = gan.train_discriminator_1d(P_DATA, P_G, steps=P.d_steps, batch_size=P.batch_size,
                                           hidden=P.hidden, seed=SEED)
    gap = np.abs(gan.discriminator_on_grid(D, X) - d_star)
    out["dstar_max_gap"] = float(gap.max())
    out["dstar_mean_gap"] = float(gap.mean())
    out["d_final_loss"] = float(np.mean(losses[-50:]))
    gen = torch.Generator().manual_seed(SEED)
    n_seen = P.d_steps * P.batch_size   # the baseline gets the data the MLP trained on
    d_kde = gan.kde_discriminator(P_DATA.sample(n_seen, gen), P_G.sample(n_seen, gen), X)
    out["kde_max_gap"] = float(np.abs(d_kde - d_star).max())
    out["kde_mean_gap"] = float(np.abs(d_kde - d_star).mean())
    out["kde_samples"] = n_seen

    pd_, pg_ = P_DATA.pdf(GRID), P_G.pdf(GRID)
    v_grid = gan.value_function(gan.optimal_discriminator(pd_, pg_), pd_, pg_, GRID)
    v_formula = gan.MINUS_LOG4 + 2 * gan.jsd(pd_, pg_, GRID)
    out["value_dstar"] = v_grid
    out["value_identity_error"] = abs(v_grid - v_formula)
    out["value_trained_d"] = gan.value_estimate(D, P_DATA, P_G, n=P.n_value, seed=SEED + 1)

    values = []
    for t in np.linspace(0, 1, P.path_points):
        q = P_G.toward(P_DATA, float(t))
        D_t, _ = gan.train_discriminator_1d(P_DATA, q, steps=P.path_steps, batch_size=P.batch_size,
                                            hidden=P.hidden, seed=SEED)
        values.append(gan.value_estimate(D_t, P_DATA, q, n=P.n_value, seed=SEED + 1))
    out["value_at_equilibrium"] = values[-1]
    out["value_lowest_before_equilibrium"] = min(values[:-1])
    out["minus_log4"] = gan.MINUS_LOG4

    D_far, _ = gan.train_discriminator_1d(P_DATA, P_FAR, steps=P.path_steps, batch_size=P.batch_size,
                                          hidden=P.hidden, seed=SEED)
    fakes = P_FAR.sample(2000, torch.Generator().manual_seed(SEED)).squeeze(1).numpy()
    sat = np.abs(gan.generator_gradient(D_far, fakes, saturating=True)).mean()
    ns = np.abs(gan.generator_gradient(D_far, fakes, saturating=False)).mean()
    out["d_fake_far"] = float(gan.discriminator_on_grid(D_far, fakes).mean())
    out["nonsaturating_gradient_ratio"] = float(ns / sat)
    out["seconds"] = time.perf_counter() - t0

    path = ck.bench.write_result("gan_theory", out, profile=P.profile)
    for key, value in out.items():
        print(f"{key:<34} {value:.6g}")
    print(f"wrote {path}")
    return 0


if __name__ == "__main__":
    sys.exit(main())

"""Calibration of the GAN chapter's yardstick: what FD, precision and recall do *real* images get
when they are made slightly worse in known ways?

An FD of 5 means little on its own. This script scores real training images (the floor's
``n_eval`` images of benchmarks/gan.py) after a Gaussian blur of a fraction of a pixel, or with
a little Gaussian noise, against the same held-out reference, in the features of the same
classifier (:func:`coursekit.generative.degradation_ladder`). The DCGAN's numbers in gan.json
and gan_recipes.json can then be read as "as far from the test images as real images blurred
by sigma pixels", and the chapter's targets (FD at most twice the floor, precision at least 0.5)
as a statement about how close to real that is.

Writes ``benchmarks/results/gan_calibration.json`` (``gan_calibration.quick.json`` in the quick
profile) with ``fd_real_floor``, ``precision_floor``, ``recall_floor`` (the images as they are:
the same numbers as gan.json's), ``n_eval`` and, for every degradation, ``blur_s030_fd``,
``blur_s030_precision``, ``blur_s030_recall`` (sigma 0.3 px), ... and ``noise_s002_*`` (noise of
standard deviation 0.02), ...: the sigma times 100, in three digits. A file from another
device (another classifier, another yardstick) is set aside as ``gan_calibration@<commit>-<device>.json``.

Run: ``COURSEKIT_PROFILE=full python benchmarks/gan_calibration.py``. It trains nothing but
the feature classifier, and reuses gan.py's checkpoint of it when gan.py has run with the same
code; after that it takes a few minutes on a 2-core CPU.
"""
from __future__ import annotations

import sys

import coursekit as ck
from coursekit import generative

chapter = ck.bench.load_benchmark("gan")   # its parameters, data and feature classifier

NOTEBOOK = chapter.NOTEBOOK
PARAMS = chapter.PARAMS
NAME = "gan_calibration"


def main() -> int:
    P = ck.profile.params(**PARAMS)
    ck.device.print_config()
    # another device trains another classifier, so its ladder reads other runs: keep it, set aside
    ck.bench.set_aside_unless(ck.bench.result_path(NAME, ck.profile.active()), device=ck.bench.device_description())
    S = chapter.setup(P)
    images = S.train.subset(P.n_eval, seed=chapter.SEED + 1).images   # the floor's images (gan.floor)
    ladder = generative.degradation_ladder(S.clf, S.f_ref, images, seed=chapter.SEED)
    for (kind, sigma), q in ladder.items():
        print(f"{kind:>5} {sigma:4.2f}: FD {q['fd']:7.3f}, precision {q['precision']:.3f}, recall {q['recall']:.3f}")
    path = ck.bench.write_result(NAME, {"n_eval": P.n_eval, **generative.ladder_to_keys(ladder)})
    print(f"wrote {path}")
    return 0


if __name__ == "__main__":
    sys.exit(main())

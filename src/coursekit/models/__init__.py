"""Small networks that the chapters train, one submodule per family.

Every model takes float32 images ``(N, C, H, W)`` in [0, 1] (volumes
``(N, C, D, H, W)``) and returns logits (classification) or images
(restoration, generation). They are small on purpose: each one trains in
seconds on a CPU in the ``quick`` profile.

``coursekit.models.cnn``: :class:`SmallCNN`, :class:`LogisticRegression`,
:func:`conv_block`, :func:`count_parameters`. Later chapters add their own
submodules (recurrent, autoencoders, gan, restoration, reconstruction), imported on
first use.
"""
from __future__ import annotations

import importlib

from .cnn import LogisticRegression, SmallCNN, conv_block, count_parameters

__all__ = ["SmallCNN", "LogisticRegression", "conv_block", "count_parameters"]


def __getattr__(name: str):
    try:
        return importlib.import_module(f".{name}", __name__)
    except ModuleNotFoundError as err:
        if err.name != f"{__name__}.{name}":   # a missing dependency inside the submodule
            raise
        raise AttributeError(f"module 'coursekit.models' has no attribute {name!r}") from err

"""``lines``: the benchmark's own manifold, labelled by its ten angle bins (SPEC §2), always available."""

from __future__ import annotations

import numpy as np

from ..errors import OptionError
from ..manifold import draw_angles, line_set, test_set
from ..spec import N_CLASSES
from .base import DataSplit, Labelled

__all__ = ["load", "DEFAULT_TRAIN_SIZE"]

DEFAULT_TRAIN_SIZE = 10_000
# Extra SeedSequence entropy for the training draw: with the bare seed, the training angles
# would start with exactly the test set's angles.
_TRAIN_STREAM = 1


def load(seed: int = 0, train_size: int | None = None) -> DataSplit:
    """A fresh seeded training draw of ``train_size`` lines and the benchmark's 5,000-image test set for ``seed``."""
    n = DEFAULT_TRAIN_SIZE if train_size is None else int(train_size)
    if n < 1:
        raise OptionError(f"train size must be a positive integer, got {train_size}")
    train = line_set(draw_angles(np.random.default_rng([int(seed), _TRAIN_STREAM]), n))
    test = test_set(int(seed))
    return DataSplit(
        name="lines",
        train=Labelled(train.images, train.labels),
        test=Labelled(test.images, test.labels),
        n_classes=N_CLASSES,
        info={"source": "line manifold (SPEC §1-2)", "test_seed": int(seed)},
    )

"""Labelled data sets of the benchmark suites' own manifolds (``lines``, ``clock``, ``blob``, …), always available.

Labels are bins of the suite's factors (lines: its ten angle bins, SPEC §2).
"""

from __future__ import annotations

import numpy as np

from ..errors import OptionError
from ..suites import get_suite
from .base import DataSplit, Labelled

__all__ = ["load", "DEFAULT_TRAIN_SIZE"]

DEFAULT_TRAIN_SIZE = 10_000
# Extra SeedSequence entropy for the training draw: with the bare seed, the training factors
# would start with exactly the test set's.
_TRAIN_STREAM = 1


def load(seed: int = 0, train_size: int | None = None, suite: str = "lines") -> DataSplit:
    """A fresh seeded training draw of ``train_size`` images and the suite's 5,000-image test set for ``seed``."""
    n = DEFAULT_TRAIN_SIZE if train_size is None else int(train_size)
    if n < 1:
        raise OptionError(f"train size must be a positive integer, got {train_size}")
    bench = get_suite(suite)
    train = bench.draw(np.random.default_rng([int(seed), _TRAIN_STREAM]), n)
    test = bench.draw(np.random.default_rng(int(seed)), bench.test_set_size)
    return DataSplit(
        name=bench.name,
        train=Labelled(bench.render(train), bench.labels(train)),
        test=Labelled(bench.render(test), bench.labels(test)),
        n_classes=bench.n_classes,
        info={"source": f"{bench.name} suite ({bench.spec_section})", "test_seed": int(seed)},
    )

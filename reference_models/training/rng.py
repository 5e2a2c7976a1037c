"""The random streams of one training run, all derived from its seed."""

from __future__ import annotations

import numpy as np

__all__ = ["derived_seeds"]


def derived_seeds(seed: int) -> tuple[np.random.SeedSequence, int]:
    """Independent streams from one run seed: the data stream and the torch training generator.

    (Weights are initialised from ``seed`` itself, in :func:`reference_models.build`.)
    """
    data, noise = np.random.SeedSequence(int(seed)).spawn(2)
    return data, int(noise.generate_state(1, np.uint64)[0] >> np.uint64(1))

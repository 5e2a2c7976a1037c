"""``digits``: scikit-learn's 1,797 handwritten 8×8 digits, brought to 32×32, with a fixed split."""

from __future__ import annotations

import numpy as np

from .base import DataSplit, Labelled

__all__ = ["load", "TEST_SIZE"]

# The last 500 images are the test set. The file is ordered roughly by writer, so this split
# keeps most writers on one side, which is stricter than a shuffled split, and never changes.
TEST_SIZE = 500
_SCALE = 4  # 8×8 → 32×32


def load() -> DataSplit:
    """All 1,797 digits: 1,297 for training, 500 for testing; pixel values 0…16 mapped to [-1, 1]."""
    from sklearn.datasets import load_digits  # ships inside scikit-learn: no download

    bunch = load_digits()
    small = bunch.images.astype(np.float32) / np.float32(8.0) - np.float32(1.0)
    # Nearest-neighbour upscaling: each pixel becomes a 4×4 block, exact and reversible.
    images = np.repeat(np.repeat(small, _SCALE, axis=1), _SCALE, axis=2)
    labels = bunch.target.astype(np.int64)
    cut = images.shape[0] - TEST_SIZE
    return DataSplit(
        name="digits",
        train=Labelled(images[:cut], labels[:cut]),
        test=Labelled(images[cut:], labels[cut:]),
        n_classes=10,
        info={"source": "sklearn.datasets.load_digits, 8×8 upscaled ×4 (nearest), last 500 = test"},
    )

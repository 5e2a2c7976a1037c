"""What every data set hands the probes: labelled 32×32 images in [-1, 1], and the checks behind them."""

from __future__ import annotations

import os
from dataclasses import dataclass, field, replace
from typing import Any

import numpy as np

from ..errors import DataError, OptionError

__all__ = ["Labelled", "DataSplit", "check_pair", "bytes_to_unit", "luminance", "subsample_train"]

# ITU-R BT.601 luma weights: the usual grey value of an RGB pixel.
_LUMA = np.array([0.299, 0.587, 0.114], dtype=np.float32)


@dataclass(frozen=True)
class Labelled:
    """Images, (n, 32, 32) grey or (n, 3, 32, 32) colour, float, in [-1, 1], with int64 labels (n,)."""

    images: np.ndarray
    labels: np.ndarray

    def __len__(self) -> int:
        return int(self.labels.shape[0])


@dataclass(frozen=True)
class DataSplit:
    """A data set's training and test parts, ready to be encoded and probed."""

    name: str
    train: Labelled
    test: Labelled
    n_classes: int
    info: dict[str, Any] = field(default_factory=dict)

    @property
    def image_shape(self) -> tuple[int, ...]:
        return tuple(self.test.images.shape[1:])

    def describe(self) -> dict[str, Any]:
        """What a result record says about the data it was computed on."""
        return {
            "name": self.name,
            "train_size": len(self.train),
            "test_size": len(self.test),
            "n_classes": self.n_classes,
            "image_shape": list(self.image_shape),
            **self.info,
        }


def check_pair(images: np.ndarray, labels: np.ndarray, source: str | os.PathLike[str]) -> None:
    """Raise a :class:`DataError` naming ``source`` if the label count does not match the image count."""
    if images.shape[0] != labels.shape[0]:
        raise DataError(f"{os.fspath(source)}: {labels.shape[0]} labels do not match {images.shape[0]} images")


def bytes_to_unit(pixels: np.ndarray) -> np.ndarray:
    """Map uint8 pixel values 0…255 to float32 in [-1, 1] (0 → −1, the benchmark's background)."""
    return pixels.astype(np.float32) / np.float32(127.5) - np.float32(1.0)


def luminance(images: np.ndarray) -> np.ndarray:
    """Grey images (n, 32, 32) from colour ones (n, 3, 32, 32); grey input is returned unchanged."""
    if images.ndim == 3:
        return images
    return np.tensordot(images, _LUMA.astype(images.dtype), axes=([1], [0]))


def subsample_train(split: DataSplit, train_size: int | None, seed: int) -> DataSplit:
    """Keep a seeded random ``train_size`` of the training part (all of it when None); the test part stays whole."""
    if train_size is None or train_size == len(split.train):
        return split
    n = len(split.train)
    if not 1 <= train_size <= n:
        raise OptionError(f"train size must be between 1 and {n} for data set {split.name!r}, got {train_size}")
    keep = np.sort(np.random.default_rng(seed).choice(n, size=train_size, replace=False))
    train = Labelled(split.train.images[keep], split.train.labels[keep])
    return replace(split, train=train)

"""``cifar10``: the python pickle batches ``data_batch_1`` … ``data_batch_5`` and ``test_batch``."""

from __future__ import annotations

import os
import pickle
from pathlib import Path
from typing import Any

import numpy as np

from ..errors import DataError
from .base import DataSplit, Labelled, bytes_to_unit, check_pair
from .files import find_file

__all__ = ["load", "load_part", "part_files", "read_batch", "FOLDER", "TRAIN_BATCHES", "TEST_BATCH"]

FOLDER = "cifar-10-batches-py"
TRAIN_BATCHES = tuple(f"data_batch_{i}" for i in range(1, 6))
TEST_BATCH = "test_batch"

# The batches are pickles; only what a batch needs may be rebuilt, so a file from an untrusted
# source cannot run code while it is read.
_ALLOWED = {
    ("numpy", "ndarray"),
    ("numpy", "dtype"),
    ("numpy.core.multiarray", "_reconstruct"),
    ("numpy._core.multiarray", "_reconstruct"),
    ("numpy.core.multiarray", "scalar"),
    ("numpy._core.multiarray", "scalar"),
    ("_codecs", "encode"),
}


class _BatchUnpickler(pickle.Unpickler):
    def find_class(self, module: str, name: str) -> Any:
        if (module, name) not in _ALLOWED:
            raise pickle.UnpicklingError(f"refusing to load {module}.{name}")
        return super().find_class(module, name)


def _get(batch: dict[Any, Any], key: str) -> Any:
    for k in (key.encode(), key):
        if k in batch:
            return batch[k]
    return None


def read_batch(path: Path) -> Labelled:
    """Images (n, 3, 32, 32) in [-1, 1] and labels from one CIFAR-10 pickle batch."""
    where = os.fspath(path)
    try:
        with open(path, "rb") as f:
            # latin1 decodes the Python 2 strings of the official files; keys may then be str or bytes.
            batch = _BatchUnpickler(f, encoding="latin1").load()
    except OSError as exc:
        raise DataError(f"cannot read {where!r}: {exc.strerror or exc}") from None
    except Exception as exc:  # noqa: BLE001 - unpickling fails in many ways on a truncated/corrupt file
        raise DataError(f"{where!r} is not a readable CIFAR-10 batch (truncated or corrupt?): {type(exc).__name__}: {exc}") from None
    if not isinstance(batch, dict):
        raise DataError(f"{where!r} does not hold a CIFAR-10 batch dictionary")
    data, labels = _get(batch, "data"), _get(batch, "labels")
    if data is None or labels is None:
        raise DataError(f"{where!r} lacks the CIFAR-10 entries 'data' and 'labels'")
    data = np.asarray(data)
    labels = np.asarray(labels, dtype=np.int64).reshape(-1)
    if data.ndim != 2 or data.shape[1] != 3 * 32 * 32 or data.dtype != np.uint8:
        raise DataError(f"{where!r}: 'data' is {data.dtype} {data.shape}, expected uint8 (n, 3072)")
    check_pair(data, labels, path)
    if labels.size and (labels.min() < 0 or labels.max() > 9):
        raise DataError(f"{where!r}: labels must be 0-9, found {int(labels.min())}…{int(labels.max())}")
    return Labelled(bytes_to_unit(data.reshape(-1, 3, 32, 32)), labels)


def _folder(directory: Path) -> Path:
    """The batches live in ``cifar-10-batches-py/`` (as unpacked from the archive) or directly in ``directory``."""
    nested = directory / FOLDER
    return nested if nested.is_dir() else directory


def part_files(directory: Path, part: str) -> list[Path]:
    """The batch files of one part (``train``: five batches, ``test``: one) in ``directory``."""
    folder = _folder(directory)
    return [find_file(folder, (name,), "cifar10") for name in (TRAIN_BATCHES if part == "train" else (TEST_BATCH,))]


def load_part(directory: Path, part: str) -> Labelled:
    """One part of CIFAR-10, ``train`` or ``test``; only that part's batches are read."""
    batches = [read_batch(path) for path in part_files(directory, part)]
    if len(batches) == 1:
        return batches[0]
    return Labelled(np.concatenate([b.images for b in batches]), np.concatenate([b.labels for b in batches]))


def load(directory: Path) -> DataSplit:
    """Read the five training batches and the test batch; colour is kept as (n, 3, 32, 32)."""
    train = load_part(directory, "train")
    test = load_part(directory, "test")
    return DataSplit(
        name="cifar10", train=train, test=test, n_classes=10,
        info={"source": "CIFAR-10 python batches", "data_dir": os.fspath(directory)},
    )

"""``svhn``: the cropped-digit files ``train_32x32.mat`` and ``test_32x32.mat`` (label 10 means digit 0)."""

from __future__ import annotations

import os
from pathlib import Path

import numpy as np

from ..errors import DataError
from .base import DataSplit, Labelled, bytes_to_unit, check_pair
from .files import find_file
from .matcheck import check_mat5

__all__ = ["load", "load_part", "part_files", "read_mat", "FILES"]

FILES = {"train": "train_32x32.mat", "test": "test_32x32.mat"}


def read_mat(path: Path) -> Labelled:
    """Images (n, 3, 32, 32) in [-1, 1] and labels 0-9 from one SVHN ``.mat`` file."""
    import scipy.io

    where = os.fspath(path)
    check_mat5(path)  # scipy trusts a file's tags; a damaged one can crash the interpreter instead of raising
    try:
        contents = scipy.io.loadmat(path, variable_names=("X", "y"))
    except (ValueError, TypeError, OSError, EOFError, IndexError, KeyError, MemoryError, NotImplementedError) as exc:
        raise DataError(f"{where!r} is not a readable MATLAB file (truncated or corrupt?): {exc}") from None
    except Exception as exc:  # noqa: BLE001 - scipy's MatReadError and zlib errors have no common base
        raise DataError(f"{where!r} is not a readable MATLAB file (truncated or corrupt?): {type(exc).__name__}: {exc}") from None
    if "X" not in contents or "y" not in contents:
        raise DataError(f"{where!r} lacks the SVHN variables 'X' and 'y'")
    pixels, labels = contents["X"], np.asarray(contents["y"]).reshape(-1)
    if pixels.ndim != 4 or pixels.shape[:3] != (32, 32, 3):
        raise DataError(f"{where!r}: 'X' has shape {pixels.shape}, expected SVHN's (32, 32, 3, n)")
    images = np.transpose(pixels, (3, 2, 0, 1))  # (32, 32, 3, n) -> (n, 3, 32, 32)
    check_pair(images, labels, path)
    labels = labels.astype(np.int64)
    if labels.size and (labels.min() < 0 or labels.max() > 10):
        raise DataError(f"{where!r}: labels must be 0-10 (10 meaning digit 0), found {int(labels.min())}…{int(labels.max())}")
    labels[labels == 10] = 0
    return Labelled(bytes_to_unit(images.astype(np.uint8, copy=False)), labels)


def part_files(directory: Path, part: str) -> list[Path]:
    """The file of one part (``train`` or ``test``) of SVHN in ``directory``."""
    return [find_file(directory, (FILES[part],), "svhn")]


def load_part(directory: Path, part: str) -> Labelled:
    """One part of SVHN, ``train`` or ``test``; only that part's file is read."""
    return read_mat(part_files(directory, part)[0])


def load(directory: Path) -> DataSplit:
    """Read SVHN's training and test files from ``directory``; colour is kept as (n, 3, 32, 32)."""
    train = load_part(directory, "train")
    test = load_part(directory, "test")
    return DataSplit(
        name="svhn", train=train, test=test, n_classes=10,
        info={"source": "SVHN cropped digits (.mat)", "data_dir": os.fspath(directory)},
    )

"""``mnist``: the four IDX files (gzipped or not), 28×28 padded by 2 to 32×32, pixels mapped to [-1, 1]."""

from __future__ import annotations

import os
import struct
from pathlib import Path

import numpy as np

from ..errors import DataError
from .base import DataSplit, Labelled, bytes_to_unit, check_pair
from .files import find_file, read_maybe_gzip

__all__ = ["load", "load_part", "part_files", "read_idx", "FILES"]

FILES = {
    "train_images": "train-images-idx3-ubyte",
    "train_labels": "train-labels-idx1-ubyte",
    "test_images": "t10k-images-idx3-ubyte",
    "test_labels": "t10k-labels-idx1-ubyte",
}
_UBYTE = 0x08
_PAD = 2  # 28 + 2 + 2 = 32


def read_idx(path: Path, ndim: int) -> np.ndarray:
    """An IDX array of unsigned bytes with ``ndim`` dimensions, checked against its header."""
    raw = read_maybe_gzip(path)
    where = os.fspath(path)
    header = 4 + 4 * ndim
    if len(raw) < header:
        raise DataError(f"{where!r} is truncated: {len(raw)} bytes, shorter than its {header}-byte IDX header")
    if raw[:2] != b"\0\0" or raw[2] != _UBYTE or raw[3] != ndim:
        raise DataError(f"{where!r} is not an IDX file of {ndim}-d unsigned bytes (bad magic number {raw[:4].hex()})")
    dims = struct.unpack(f">{ndim}I", raw[4:header])
    expected = int(np.prod(dims, dtype=np.int64))
    body = len(raw) - header
    if body != expected:
        problem = "truncated" if body < expected else "longer than its header says"
        raise DataError(f"{where!r} is {problem}: {body} data bytes, its header promises {expected} for shape {dims}")
    return np.frombuffer(raw, dtype=np.uint8, offset=header).reshape(dims)


def _part(directory: Path, images_key: str, labels_key: str) -> Labelled:
    names = (FILES[images_key], FILES[images_key] + ".gz")
    image_path = find_file(directory, names, "mnist")
    label_path = find_file(directory, (FILES[labels_key], FILES[labels_key] + ".gz"), "mnist")
    pixels = read_idx(image_path, 3)
    labels = read_idx(label_path, 1).astype(np.int64)
    if pixels.shape[1:] != (28, 28):
        raise DataError(f"{os.fspath(image_path)!r} holds {pixels.shape[1]}×{pixels.shape[2]} images, not MNIST's 28×28")
    check_pair(pixels, labels, label_path)
    if labels.size and labels.max() > 9:
        raise DataError(f"{os.fspath(label_path)!r} holds label {int(labels.max())}, outside MNIST's 0-9")
    images = np.pad(bytes_to_unit(pixels), ((0, 0), (_PAD, _PAD), (_PAD, _PAD)), constant_values=-1.0)
    return Labelled(images, labels)


def part_files(directory: Path, part: str) -> list[Path]:
    """The files of one part (``train`` or ``test``) of MNIST in ``directory``, each found as it is read."""
    return [find_file(directory, (FILES[f"{part}_{kind}"], FILES[f"{part}_{kind}"] + ".gz"), "mnist") for kind in ("images", "labels")]


def load_part(directory: Path, part: str) -> Labelled:
    """One part of MNIST, ``train`` or ``test``; only that part's two files are read."""
    return _part(directory, f"{part}_images", f"{part}_labels")


def load(directory: Path) -> DataSplit:
    """Read MNIST from ``directory`` (60,000 training and 10,000 test images in the official files)."""
    return DataSplit(
        name="mnist",
        train=load_part(directory, "train"),
        test=load_part(directory, "test"),
        n_classes=10,
        info={"source": "MNIST IDX files, 28×28 padded to 32×32", "data_dir": os.fspath(directory)},
    )

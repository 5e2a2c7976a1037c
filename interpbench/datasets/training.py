"""A labelled data set as training data: its training part only, with the checksums of what was read.

Training on a data set other than ``lines`` reads the training part alone (``mnist``'s two
training files, ``svhn``'s ``train_32x32.mat``, ``cifar10``'s five training batches, the first
1,297 ``digits``), so the test part the probes score on never reaches a training step. Colour
data sets keep their three channels, as the paper's code trained on them.
"""

from __future__ import annotations

import hashlib
import os
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import numpy as np

from ..errors import OptionError
from .base import Labelled
from .download import download
from .files import require_dir
from .registry import DATASETS

__all__ = ["TrainingData", "TRAIN_PART", "parse_dataset_spec", "load_training_data", "training_dataset_names", "dataset_channels"]

TRAIN_PART = "train"
_PARTS = ("train", "test")
_HASH_CHUNK = 1 << 20


@dataclass(frozen=True)
class TrainingData:
    """The training part of data set ``name``: images (n, channels, 32, 32) in [-1, 1], labels, provenance."""

    name: str
    images: np.ndarray
    labels: np.ndarray
    data_dir: str | None = None
    files: list[dict[str, str]] = field(default_factory=list)  # {"part", "name", "sha256"} per file read
    info: dict[str, Any] = field(default_factory=dict)

    @property
    def channels(self) -> int:
        return int(self.images.shape[1])

    def __len__(self) -> int:
        return int(self.images.shape[0])

    def describe(self) -> dict[str, Any]:
        """What a checkpoint and a training summary record about the data a run was trained on."""
        return {"name": self.name, "part": TRAIN_PART, "train_size": len(self), "channels": self.channels,
                "data_dir": self.data_dir, "files": list(self.files), **self.info}


def training_dataset_names() -> list[str]:
    """Data sets a reference model can be trained on: ``lines`` (the streamed manifold) and every labelled one."""
    return list(DATASETS)


def dataset_channels(name: str) -> int:
    """Image channels of registered data set ``name`` (1 grey, 3 colour)."""
    return DATASETS[parse_dataset_spec(name)].channels


def parse_dataset_spec(text: str) -> str:
    """``mnist`` or ``mnist:train`` → ``mnist``. The test part is refused: it is held out for the probes."""
    name, _, part = str(text).strip().partition(":")
    if name not in DATASETS:
        raise OptionError(f"unknown data set {name!r}; choose one of {', '.join(DATASETS)}")
    if part and part not in _PARTS:
        raise OptionError(f"unknown part {part!r} of data set {name!r}; training uses {name}:train")
    if part == "test":
        raise OptionError(f"training never uses the test part of {name!r}: it is held out for the probes; "
                          f"train on {name} (its training part)")
    return name


def _sha256(path: Path) -> str:
    digest = hashlib.sha256()
    with open(path, "rb") as f:
        for chunk in iter(lambda: f.read(_HASH_CHUNK), b""):
            digest.update(chunk)
    return digest.hexdigest()


def _array_sha256(*arrays: np.ndarray) -> str:
    digest = hashlib.sha256()
    for a in arrays:
        digest.update(np.ascontiguousarray(a).tobytes())
    return digest.hexdigest()


def data_files(name: str, directory: Path) -> list[dict[str, str]]:
    """Checksums of every file of both parts (training reads the first, its evaluations the second)."""
    entry = DATASETS[name]
    assert entry.part_files is not None
    out = []
    for part in _PARTS:
        for path in entry.part_files(directory, part):
            out.append({"part": part, "name": os.fspath(path.relative_to(directory)), "sha256": _sha256(path)})
    return out


def load_training_data(name: str, data_dir: str | os.PathLike[str] | None = None, *, download_files: bool = False,
                       progress: bool | None = False) -> TrainingData:
    """The training part of data set ``name`` (``mnist:train`` also accepted; ``mnist:test`` refused)."""
    name = parse_dataset_spec(name)
    entry = DATASETS[name]
    if name == "lines":
        raise OptionError("lines is not read from a data set: the engine streams fresh lines (leave --dataset out)")
    if entry.builtin is not None:
        split = entry.builtin()
        train = split.train
        info = {"source": split.info.get("source", name),
                "sha256": _array_sha256(train.images, train.labels)}  # no files: checksum of the arrays trained on
        images = train.images[:, None] if train.images.ndim == 3 else train.images
        return TrainingData(name, images.astype(np.float32, copy=False), train.labels, None, [], info)
    if download_files:
        if data_dir is None:
            raise OptionError(f"--download needs --data-dir to say where to put the {name} files")
        download(name, data_dir, progress=progress)
    directory = require_dir(data_dir, name)
    assert entry.part is not None
    files = data_files(name, directory)  # also names any missing file, before anything is read
    train: Labelled = entry.part(directory, TRAIN_PART)
    images = train.images[:, None] if train.images.ndim == 3 else train.images
    return TrainingData(name, images.astype(np.float32, copy=False), train.labels, os.fspath(directory), files, {})

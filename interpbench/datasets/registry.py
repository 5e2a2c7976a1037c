"""The one place where data sets are registered, and :func:`load_dataset`, the way to get one."""

from __future__ import annotations

import os
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path

from ..errors import OptionError
from ..suites import SUITES
from . import cifar10, digits, lines, mnist, svhn
from .base import DataSplit, Labelled, luminance, subsample_train
from .download import REMOTES, download
from .files import require_dir

__all__ = ["Dataset", "DATASETS", "load_dataset"]


@dataclass(frozen=True)
class Dataset:
    """A registered data set: how to read it and whether it needs the user's files."""

    name: str
    description: str
    from_files: Callable[[Path], DataSplit] | None = None  # reads a directory the user names
    builtin: Callable[[], DataSplit] | None = None  # always available, no files needed
    channels: int = 1  # 3 for colour data sets; their images are (n, 3, 32, 32)
    # One part ("train" or "test") read alone, and the files it reads: training reads only "train".
    part: Callable[[Path, str], Labelled] | None = None
    part_files: Callable[[Path, str], list[Path]] | None = None

    @property
    def needs_files(self) -> bool:
        return self.from_files is not None

    @property
    def downloadable(self) -> bool:
        return self.name in REMOTES


DATASETS: dict[str, Dataset] = {
    d.name: d
    for d in (
        Dataset("lines", "the line manifold's 10 angle bins (seeded training draw, 5,000-image test set)"),
        Dataset("clock", "the clock suite's 3 × 3 bins of its two hand angles (seeded training draw, 5,000-image test set)"),
        Dataset("blob", "the blob suite's 3 × 3 cells of the blob's centre (seeded training draw, 5,000-image test set)"),
        Dataset("digits", "scikit-learn's handwritten digits, 8×8 upscaled to 32×32", builtin=digits.load),
        Dataset("mnist", "MNIST IDX files, padded to 32×32", from_files=mnist.load, part=mnist.load_part,
                part_files=mnist.part_files),
        Dataset("svhn", "SVHN cropped digits (train_32x32.mat, test_32x32.mat)", from_files=svhn.load, channels=3,
                part=svhn.load_part, part_files=svhn.part_files),
        Dataset("cifar10", "CIFAR-10 python batches", from_files=cifar10.load, channels=3, part=cifar10.load_part,
                part_files=cifar10.part_files),
    )
}


def load_dataset(
    name: str,
    data_dir: str | os.PathLike[str] | None = None,
    *,
    seed: int = 0,
    train_size: int | None = None,
    colour: bool = False,
    download_files: bool = False,
    progress: bool | None = False,
) -> DataSplit:
    """Load data set ``name`` for probing.

    ``seed`` draws the ``lines`` training set (and picks the test set, SPEC §2) or, for the
    other data sets, a random ``train_size`` subset of their training part (all of it when None;
    ``lines`` defaults to 10,000). Colour data sets (svhn, cifar10) are converted to grey
    (ITU-R 601 luminance) so that every model sees (n, 32, 32) images, unless ``colour=True``,
    which keeps (n, 3, 32, 32). ``download_files`` fetches and verifies missing official files.
    """
    if name not in DATASETS:
        raise OptionError(f"unknown data set {name!r}; choose one of {', '.join(DATASETS)}")
    entry = DATASETS[name]
    if name in SUITES:  # a benchmark suite's own manifold, drawn on the fly
        split = lines.load(seed=seed, train_size=train_size, suite=name)
    elif entry.builtin is not None:
        split = subsample_train(entry.builtin(), train_size, seed)
    else:
        if download_files:
            if data_dir is None:
                raise OptionError(f"--download needs --data-dir to say where to put the {name} files")
            download(name, data_dir, progress=progress)
        directory = require_dir(data_dir, name)
        assert entry.from_files is not None
        split = subsample_train(entry.from_files(directory), train_size, seed)
    if colour or split.train.images.ndim == 3:
        return split
    return DataSplit(
        name=split.name,
        train=Labelled(luminance(split.train.images), split.train.labels),
        test=Labelled(luminance(split.test.images), split.test.labels),
        n_classes=split.n_classes,
        info={**split.info, "colour": "converted to grey (ITU-R 601 luminance)"},
    )

"""Labelled data sets for the probes: ``lines`` and ``digits`` always, ``mnist``/``svhn``/``cifar10`` from files.

Images come as float arrays (n, 32, 32) in [-1, 1]; see :func:`load_dataset`.
"""

from .base import DataSplit, Labelled, luminance
from .download import REMOTES, Remote, download
from .registry import DATASETS, Dataset, load_dataset

__all__ = ["DATASETS", "Dataset", "DataSplit", "Labelled", "load_dataset", "luminance", "download", "REMOTES", "Remote"]

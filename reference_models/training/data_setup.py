"""What the engine needs to train on a labelled data set instead of the line stream.

:func:`resolve_dataset` settles which data set a training uses (the caller's, the preset's, or a
resumed run's) and loads its training part once; :func:`channels_for` fixes the model's channel
count from the data (colour data sets train in colour, as the paper's code did) and refuses a
config that contradicts it; :func:`stream_factory` hands each run its own epoch-shuffled stream
over the one shared copy of the training images.
"""

from __future__ import annotations

from typing import Any

import torch

from interpbench.datasets.training import TrainingData, dataset_channels, load_training_data, parse_dataset_spec
from interpbench.errors import OptionError

from .data_stream import DatasetStream
from .presets import Preset
from .stream import StreamFactory, suite_stream_factory

__all__ = ["LINES", "dataset_name", "resolve_dataset", "channels_for", "stream_factory", "describe", "suite_record", "check_suite"]

LINES = "lines"


def dataset_name(dataset: str | None, preset_name: str | None, preset: Preset | None) -> str | None:
    """The data set named by the caller or the preset (None: neither says; a resume then keeps its own).

    A preset made for one data set (``paper-mnist``) refuses another.
    """
    name = parse_dataset_spec(dataset) if dataset is not None else None
    wanted = preset.dataset if preset is not None else None
    if name is not None and wanted is not None and name != wanted:
        raise OptionError(f"preset {preset_name!r} is for data set {wanted}, not {name}; "
                          f"leave --preset out or choose one for {name}")
    return name if name is not None else wanted


def resolve_dataset(name: str, data_dir: Any = None, *, download: bool = False,
                    progress: bool | None = None) -> TrainingData | None:
    """The training part of ``name`` (None for ``lines``: the engine streams fresh lines)."""
    if name == LINES:
        if data_dir is not None or download:
            raise OptionError("--data-dir and --download are for a labelled data set: name it with --dataset")
        return None
    return load_training_data(name, data_dir, download_files=download, progress=progress)


def channels_for(name: str, given: dict[str, Any] | None) -> int:
    """The model's channel count for data set ``name``; a ``--set channels=…`` that contradicts the data is refused."""
    channels = 1 if name == LINES else dataset_channels(name)
    asked = (given or {}).get("channels")
    if asked is not None and asked != channels:
        if channels == 3:
            raise OptionError(f"{name} is a colour data set (3 channels) and trains in colour; "
                              "leave --set channels out (the probes of a grey model convert colour to grey)")
        what = "the line benchmark" if name == LINES else f"{name} is a grey data set (1 channel)"
        raise OptionError(f"{what}: channels must be 1, not {asked}; leave --set channels out")
    return channels


def stream_factory(data: TrainingData | None, device: torch.device, suite: str = LINES) -> StreamFactory | None:
    """Each run's stream over ``data``'s training images (one copy on ``device``, shared), else over
    ``suite``'s images (None for lines: the trainers' own default, the line stream)."""
    if data is None:
        return None if suite == LINES else suite_stream_factory(suite)
    images = torch.from_numpy(data.images).to(device)
    return lambda seed, batch, dev: DatasetStream(images, seed, batch, dev)


def describe(name: str, data: TrainingData | None, suite: str = LINES) -> dict[str, Any]:
    """What the checkpoint and summary record about the training data.

    Without a data set the run streams its suite's images: ``name`` stays ``lines`` (the analytic
    stream, as before suites existed) and the source says which suite; lines' record is unchanged.
    """
    if data is not None:
        return data.describe()
    if suite == LINES:
        return {"name": LINES, "source": "fresh lines from the manifold (SPEC §1)"}
    from interpbench.suites import get_suite

    bench = get_suite(suite)
    return {"name": LINES, "source": f"fresh images of the {bench.name} suite ({bench.spec_section})"}


def suite_record(suite: str) -> dict[str, Any]:
    """The suite a run trained and was scored on, with its spec version (checkpoint ``suite_info``, summary ``suite``)."""
    from interpbench.suites import get_suite

    bench = get_suite(suite)
    return {"name": bench.name, "spec_version": bench.spec_version, "spec_section": bench.spec_section}


def check_suite(suite: str, dataset: str) -> None:
    """A run trains on a suite's images or on a labelled data set's, not both."""
    if suite != LINES and dataset != LINES:
        raise OptionError(f"--suite {suite} trains on the {suite} suite's images and --dataset {dataset} on a data set's; "
                          "give one of them")

"""Probe this model on this data set: load the data, encode it with the harness, run the probes."""

from __future__ import annotations

import math
import time
import warnings
from collections.abc import Callable, Sequence
from typing import Any

import numpy as np
from tqdm.auto import tqdm

from ..adapters import Harness, as_harness
from ..suites import SUITES
from ..datasets import DataSplit, load_dataset
from ..errors import AdapterError, InterpbenchWarning, OptionError
from ..provenance import environment
from ..threads import limit_threads
from .kmeans import DEFAULT_KMEANS_MAX_ITER, DEFAULT_RESTARTS, kmeans_probe
from .linear import DEFAULT_C, DEFAULT_MAX_ITER, linear_probe
from .result import ProbeResult

__all__ = ["probe", "probe_codes", "encode_split", "PROBES"]

PROBES = ("linear", "kmeans")
# Images handed to the harness at a time: bounds the float64 copy it makes of its input.
_ENCODE_CHUNK = 8192


def model_channels(model: Any) -> int | None:
    """Image channels a model declares (a reference model's ``config.channels``), or None."""
    channels = getattr(getattr(model, "config", None), "channels", None)
    return int(channels) if isinstance(channels, int) and not isinstance(channels, bool) else None


def check_channels(dataset: str, channels: int) -> None:
    """A colour (3-channel) model cannot be probed on a grey data set: one sentence saying so."""
    from ..datasets import DATASETS

    entry = DATASETS.get(dataset)
    if entry is not None and channels == 3 and entry.channels == 1:
        raise OptionError(f"this model takes colour (3-channel) images, but data set {dataset!r} is grey; "
                          "probe it on a colour data set (svhn, cifar10)")


def _check_probes(probes: Sequence[str] | str) -> tuple[str, ...]:
    chosen = PROBES if probes in ("both", "all") else ((probes,) if isinstance(probes, str) else tuple(probes))
    unknown = [p for p in chosen if p not in PROBES]
    if unknown or not chosen:
        raise OptionError(f"probes must be among {', '.join(PROBES)} (or 'both'), got {list(chosen)}")
    return tuple(p for p in PROBES if p in chosen)


def _declared_shape(harness: Harness) -> tuple[int, ...] | None:
    shape = getattr(harness.adapter, "image_shape", None)
    return tuple(int(n) for n in shape) if shape is not None else None


def _encode(harness: Harness, images: np.ndarray, dataset: str, tick: Callable[[], None]) -> tuple[np.ndarray, list[int]]:
    """Flattened codes of ``images`` and the shape of one code."""
    chunks, shape = [], []
    for lo in range(0, images.shape[0], _ENCODE_CHUNK):
        batch = images[lo : lo + _ENCODE_CHUNK]
        try:
            codes = harness.encode(batch, on_batch=tick)
        except AdapterError as exc:
            # Almost always a model built for other images (size, channels); say what it was given.
            raise AdapterError(
                f"{harness.name} could not encode the {dataset} images (each {'×'.join(map(str, images.shape[1:]))}, "
                f"values in [-1, 1]); is the model built for this image size? {exc}"
            ) from exc
        shape = list(codes.shape[1:])
        chunks.append(codes.reshape(codes.shape[0], -1))
    return np.concatenate(chunks), shape


def _require_declared_shape(harness: Harness, split: DataSplit) -> None:
    declared = _declared_shape(harness)
    if declared is not None and declared != split.image_shape:
        raise AdapterError(
            f"{harness.name} takes images of shape {declared}, but {split.name} images are {split.image_shape}"
        )


def encode_split(harness: Harness, split: DataSplit, progress: bool | None = False) -> tuple[np.ndarray, np.ndarray, list[int]]:
    """Flattened codes of the training and test images, and the shape of one code."""
    _require_declared_shape(harness, split)
    # The first few images go through alone, so a misfit model fails fast, before long encoding.
    _, code_shape = _encode(harness, split.test.images[:2], split.name, lambda: None)
    total = math.ceil(len(split.train) / harness.batch_size) + math.ceil(len(split.test) / harness.batch_size)
    bar = tqdm(total=total, desc=f"encoding {split.name}", unit="batch", leave=False, disable=None if progress is None else not progress)
    with bar:
        train, _ = _encode(harness, split.train.images, split.name, bar.update)
        test, _ = _encode(harness, split.test.images, split.name, bar.update)
    return train, test, code_shape


def probe_codes(
    train_codes: np.ndarray,
    train_labels: np.ndarray,
    test_codes: np.ndarray,
    test_labels: np.ndarray,
    *,
    seed: int,
    probes: Sequence[str] | str = PROBES,
    restarts: int = DEFAULT_RESTARTS,
    on_probe: Callable[[str], None] | None = None,
) -> tuple[dict[str, float], dict[str, float]]:
    """Run the chosen probes on plain arrays; returns (accuracy % per probe, seconds per probe).

    ``on_probe(name)`` is called as each probe starts (a progress bar's hook).
    """
    accuracy: dict[str, float] = {}
    timings: dict[str, float] = {}
    for name in _check_probes(probes):
        if on_probe is not None:
            on_probe(name)
        start = time.perf_counter()
        if name == "linear":
            accuracy[name] = linear_probe(train_codes, train_labels, test_codes, test_labels, seed=seed)
        else:
            accuracy[name] = kmeans_probe(train_codes, train_labels, test_codes, test_labels, seed=seed, restarts=restarts)
        timings[name] = time.perf_counter() - start
    return accuracy, timings


def _probe_harness(harness: Harness, split: DataSplit, chosen: tuple[str, ...], seed: int, restarts: int, progress: bool | None,
                   stages: Any = None) -> dict[str, Any]:
    start = time.perf_counter()
    train, test, code_shape = encode_split(harness, split, progress)
    encode_s = time.perf_counter() - start

    def advance(probe_name: str) -> None:
        # The probes themselves are most of a probe's time (k-means restarts): one bar step each.
        if stages is not None:
            stages.set_postfix_str(f"{harness.name}: {probe_name}" + (f", {restarts} restarts" if probe_name == "kmeans" else ""))
            stages.update(1)

    accuracy, timings = probe_codes(train, split.train.labels, test, split.test.labels, seed=seed, probes=chosen, restarts=restarts,
                                    on_probe=advance)
    return {"accuracy": accuracy, "code_shape": code_shape, "timings": {"encode": encode_s, **timings}}


# Line images the bridge is checked on before probing (value_range="auto", sanity checks).
_BRIDGE_IMAGES = 64


def _check_bridge(harness: Harness, split: DataSplit, checks: bool) -> list[Any]:
    """Settle ``value_range="auto"`` on the data set's first test images, and, for 32×32 data, run
    the sanity checks on a benchmark suite's images (protocol seed 0's endpoints): the data set's own
    suite if it is one, else lines (the checks' thresholds are that suite's)."""
    from ..adapters.sanity import roundtrip_warnings
    from ..suites import get_suite

    _require_declared_shape(harness, split)
    try:
        harness.settle(split.test.images[:_BRIDGE_IMAGES])
        if not checks or tuple(split.image_shape) != (32, 32):
            return []
        bench = get_suite(split.name if split.name in SUITES else None)
        ends = bench.endpoint_factors(0, _BRIDGE_IMAGES // 2)
        images = bench.render(np.concatenate([ends[:, 0], ends[:, 1]]))
        return roundtrip_warnings(harness, images, bench.mean_image_mse)
    except AdapterError as exc:
        raise AdapterError(
            f"{harness.name} could not encode and decode the {split.name} images (each {'×'.join(map(str, split.image_shape))}, "
            f"values in [-1, 1]); is the model built for this image size? {exc}"
        ) from exc


def probe(
    model: Any,
    dataset: str | DataSplit,
    *,
    data_dir: str | None = None,
    probes: Sequence[str] | str = PROBES,
    seed: int = 0,
    train_size: int | None = None,
    restarts: int = DEFAULT_RESTARTS,
    with_pixels: bool = False,
    download: bool = False,
    batch_size: int | None = None,
    device: str | None = None,
    layout: str | None = None,
    value_range: str | None = None,
    dtype: Any = None,
    name: str | None = None,
    model_info: dict[str, Any] | None = None,
    progress: bool | None = False,
    threads: int | None = None,
    paper_codes: bool = True,
    checks: bool = True,
) -> ProbeResult:
    """Encode ``dataset`` with ``model`` and run the linear and/or k-means probe on the codes.

    ``model`` is anything :func:`interpbench.as_harness` accepts (``pixels``, ``oracle``, a spec
    string, an ``nn.Module`` with ``encode``/``decode``, …). ``dataset`` is a registered name
    (see :data:`interpbench.datasets.DATASETS`) or a ready :class:`DataSplit`. ``seed`` fixes the
    data draw and the probes' randomness. ``with_pixels`` adds the raw-pixel reference row.
    ``threads`` caps the BLAS/OpenMP and torch threads of encoding and the probes (useful on a shared machine).
    ``layout``, ``value_range`` (``"auto"`` included), ``batch_size``, ``device`` and ``dtype``
    are as for :func:`interpbench.score`. Before probing, ``value_range="auto"`` is settled on the
    first 64 test images, and with ``checks`` (32×32 data) the model encodes and decodes 64
    benchmark lines under the same sanity checks as ``score`` (warnings in ``result.warnings``).
    A reference model (anything with ``for_probes()``) is probed on the codes the paper's probes
    saw: VAE on its encoder output before the μ / log σ² heads, VQ-VAE on its quantised code
    (``paper_codes=False``: on ``encode``, the code the benchmark interpolates). A model whose
    config says ``channels=3`` gets colour images; a grey model gets colour data sets as luminance.
    """
    chosen = _check_probes(probes)
    channels = model_channels(model)
    if isinstance(dataset, str) and channels is not None:
        check_channels(dataset, channels)
    codes_info: dict[str, Any] = {}
    if paper_codes and callable(getattr(model, "for_probes", None)):
        model = model.for_probes()  # a reference model: the codes the paper's probes saw (VAE, VQ-VAE differ)
        codes_info = {"probe_codes": model.model.probe_code_description}
    if restarts < 1:
        raise OptionError(f"k-means restarts must be at least 1, got {restarts}")
    if seed < 0:
        raise OptionError(f"seed must be a non-negative integer, got {seed}")
    split = dataset if isinstance(dataset, DataSplit) else load_dataset(
        dataset, data_dir, seed=seed, train_size=train_size, download_files=download, progress=progress,
        colour=channels == 3,
    )
    # The oracle of a suite's own data set is that suite's oracle.
    suite = dataset if isinstance(dataset, str) and dataset in SUITES else None
    harness = as_harness(model, name=name, layout=layout, value_range=value_range, batch_size=batch_size, device=device, dtype=dtype,
                         suite=suite)
    try:
        # One bar over the probes (encoding has its own): without it `probe` was silent for 30-110 s.
        stages = tqdm(total=len(chosen) * (2 if with_pixels else 1), desc=f"probing on {split.name}", unit="probe",
                      disable=None if progress is None else not progress)
        with limit_threads(threads), stages:
            found = _check_bridge(harness, split, checks)
            main = _probe_harness(harness, split, chosen, seed, restarts, progress, stages)
            reference = None
            if with_pixels:
                reference = _probe_harness(as_harness("pixels", batch_size=max(harness.batch_size, 1024)), split, chosen, seed, restarts,
                                           progress, stages)
    finally:
        harness.restore_modes()
    settings = {
        "probes": list(chosen),
        "seed": seed,
        "train_size": len(split.train),
        "test_size": len(split.test),
        "linear": {"classifier": "multinomial logistic regression (scikit-learn, lbfgs)", "C": DEFAULT_C, "max_iter": DEFAULT_MAX_ITER, "standardised": True},
        "kmeans_restarts": restarts,
        "kmeans": {"init": "random", "restarts": restarts, "max_iter": DEFAULT_KMEANS_MAX_ITER, "whitening": "SVD of training codes, singular value + 1e-5", "fit_on": "training codes", "assignment": "Hungarian on test codes"},
    }
    for warning in found:
        warnings.warn(warning.message, InterpbenchWarning, stacklevel=2)
    return ProbeResult(
        warnings=[w.to_dict() for w in found],
        model={"name": harness.name, **harness.describe(), **(model_info or {}), **codes_info},
        dataset=split.describe(),
        settings=settings,
        accuracy=main["accuracy"],
        code_shape=main["code_shape"],
        timings=main["timings"],
        reference=reference,
        provenance=environment(harness.device),
    )

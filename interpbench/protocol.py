"""The interpolation protocol (SPEC §3): draw endpoints, encode, interpolate, decode, score."""

from __future__ import annotations

import math
import warnings
from collections.abc import Sequence
from typing import Any

import numpy as np
from tqdm.auto import tqdm

from .adapters import Harness, as_harness
from .adapters.harness import adapter_option
from .adapters.sanity import SanityWarning, check_endpoints
from .errors import InterpbenchWarning, OptionError, SanityCheckError
from .provenance import environment
from .result import Protocol, Result, SeedScore
from .metrics import reconstruction_error
from .metrics.diagnostics import SpreadMoments, spread_ratio
from .scoring import nearest_images, path_scores
from .paths import PATH_KINDS
from .threads import limit_threads
from .limits import MAX_PAIRS, MAX_SEED, MAX_SEEDS, MAX_STEPS
from .spec import DEFAULT_PAIRS, DEFAULT_STEPS, TEST_SET_SIZE
from .suites import Suite, get_suite

__all__ = ["score", "endpoint_angles"]


def endpoint_angles(seed: int, pairs: int, suite: str | Suite | None = None) -> np.ndarray:
    """Factors of the 2P endpoints: the first 2P of the seeded 5,000-image test set, as (pairs, 2, *factor_shape).

    On lines: the angles, (pairs, 2).
    """
    return get_suite(suite).endpoint_factors(seed, pairs)


def _whole(value: Any, what: str, low: int, high: int) -> int:
    """``value`` as an int if it is one (a Python or NumPy integer, not a bool) within [low, high]."""
    if isinstance(value, (bool, np.bool_)) or not isinstance(value, (int, np.integer)):
        raise OptionError(f"{what} must be an integer, got {value!r} ({type(value).__name__})")
    if not low <= int(value) <= high:
        raise OptionError(f"{what} must be between {low:,} and {high:,}, got {int(value):,}")
    return int(value)


def _check_options(seeds: Any, pairs: Any, steps: Any, path: Any) -> tuple[tuple[int, ...], int, int]:
    """The Python API's arguments checked as the CLI checks its options: types, ranges and the work asked for."""
    if isinstance(seeds, (str, bytes)) or not isinstance(seeds, (Sequence, np.ndarray)):
        raise OptionError(f"seeds must be a list of integers (or one integer), got {seeds!r}")
    if len(seeds) > MAX_SEEDS:
        raise OptionError(f"at most {MAX_SEEDS} protocol seeds per run, got {len(seeds)}")
    seeds = tuple(_whole(s, "a protocol seed", 0, MAX_SEED) for s in seeds)
    if not seeds:
        raise OptionError("at least one protocol seed is needed")
    if len(set(seeds)) != len(seeds):
        raise OptionError(f"seeds must be distinct non-negative integers, got {list(seeds)}")
    pairs = _whole(pairs, f"pairs (the test set has {TEST_SET_SIZE} images)", 1, MAX_PAIRS)
    steps = _whole(steps, "steps (both endpoints included)", 2, MAX_STEPS)
    if not isinstance(path, str) or path not in PATH_KINDS:
        raise OptionError(f"path must be one of {', '.join(PATH_KINDS)}, got {path!r}")
    return seeds, pairs, steps


def _check_threads(threads: Any) -> None:
    if threads is not None and (not isinstance(threads, (int, np.integer)) or isinstance(threads, bool) or int(threads) < 1):
        raise OptionError(f"threads must be a positive integer, got {threads!r}")


def score(
    model: Any,
    *,
    seeds: Sequence[int] | int = (0,),
    pairs: int = DEFAULT_PAIRS,
    steps: int = DEFAULT_STEPS,
    path: str = "lerp",
    batch_size: int | None = None,
    device: str | None = None,
    layout: str | None = None,
    value_range: str | None = None,
    dtype: Any = None,
    sample: bool = False,
    name: str | None = None,
    keep_images: bool = True,
    progress: bool | None = False,
    model_info: dict[str, Any] | None = None,
    strict: bool = False,
    threads: int | None = None,
    checks: bool = True,
    search_device: str | None = None,
    suite: str | Suite | None = None,
) -> Result:
    """Run the benchmark on ``model`` and return a :class:`~interpbench.Result`.

    Each protocol seed draws its own ``pairs`` endpoint pairs from the seeded test set, encodes
    them, interpolates ``steps`` codes between each pair, decodes them and scores the decoded
    images; the result holds each metric's mean and spread over seeds.

    Parameters
    ----------
    model
        What to score, in any of these forms: an ``nn.Module`` with ``encode``/``decode``
        (eval mode, no grad); a ``(encode, decode)`` pair of callables, NumPy or torch (torch
        functions and modules get tensors, as modules do); any object with ``encode`` and
        ``decode`` methods; a :class:`~interpbench.Harness`; or a spec string: ``"oracle"``,
        ``"pixels"``, ``"pkg.module:name"``, ``"path/to/file.py:name"`` (an object, a class or
        a zero-argument factory returning an object or an ``(encode, decode)`` pair), or
        a saved model of another library: ``"pythae:FOLDER"``, ``"keras:FILE.keras"``,
        ``"diffusers:FOLDER"``, ``"lightning:module.py:Class@checkpoint.ckpt"``,
        ``"sklearn:FILE.skops"``, ``"flax:module.py:NAME@params.msgpack"``.
    seeds
        Protocol seeds, distinct non-negative integers (or one int). Default ``(0,)``.
    pairs
        Interpolations per seed, 1 … 2,500 (the test set has 5,000 images). Default 256.
    steps
        Images per interpolation, both endpoints included, 2 … 1,024 (``interpbench.limits``). Default 16.
    path
        ``"lerp"`` (the paper's) or ``"slerp"``.
    batch_size
        Items per call to ``encode``/``decode``, ≥ 1. Default: the adapter's ``batch_size``
        attribute, else 256.
    device
        Torch device for torch models (``"cpu"``, ``"cuda"``, ``"cuda:1"`` …); default: the
        adapter's ``device`` attribute, else where the model's parameters are. A NumPy adapter
        accepts only ``"cpu"``.
    layout
        What ``encode`` receives: ``"NCHW"``, ``"NHWC"``, ``"NHW"``, ``"flat"`` or ``"auto"``.
        Default: the adapter's ``layout`` (or ``input_layout``) attribute, else what the model's
        declared input shape implies (Keras ``input_shape``, pythae ``input_dim``, scikit-learn
        ``n_features_in_``), else ``"auto"``: each layout is tried on the first endpoints and the
        one whose round trip runs and reconstructs best is kept (NCHW first among equals),
        recorded in ``result.model["layout_auto"]``.
    value_range
        Pixel range the model expects and returns: ``"-1,1"``, ``"0,1"``, ``"0,255"`` or
        ``"auto"`` (tries each on the first endpoints, keeps the one that reconstructs them best
        and records the choice in ``result.model["value_range_auto"]``). Default: the adapter's
        ``value_range`` attribute, else ``"-1,1"``. The range used is recorded in
        ``result.model["value_range"]``, the layout in ``result.model["layout"]``.
    dtype
        Floating-point dtype of what ``encode``/``decode`` receive (NumPy name or dtype, or a
        torch dtype). Default: the adapter's ``dtype`` (or ``input_dtype``) attribute, else
        float32 for NumPy adapters and the parameters' dtype for torch modules.
    sample
        Where ``encode`` returns a distribution (diffusers' ``.latent_dist``), interpolate a
        sample seeded by the protocol seed instead of its mean (default). Outputs wrapped in a
        known kind (``.latent_dist``, ``.sample``, ``.reconstruction``, ``.embedding``, a
        NamedTuple or dataclass with one array field) are unwrapped; which is recorded in
        ``result.model["outputs_unwrapped"]``.
    name
        Display name of the model in tables, figures and the leaderboard id (it wins over
        ``model_info["name"]``). Default: the spec string or the adapter's class name.
    keep_images
        Keep the decoded images (``result.images``, needed for figures). Default True.
    progress
        Show a progress bar: True, False (default), or None for only on a terminal.
    model_info
        Provenance stored in ``result.model`` (checkpoint hash, training budget, preset, seed…).
    strict
        Turn the sanity checks' warnings into a :class:`~interpbench.SanityCheckError`.
    threads
        Cap the BLAS/OpenMP and torch CPU threads while scoring, ≥ 1 (a busy shared machine).
        Default: the adapter's ``threads`` attribute, else the libraries' own.
    checks
        Run the pre-scoring sanity checks (default True). False skips them, e.g. for
        evaluations during training, where an early, untrained model fails them by design.
    search_device
        Run the nearest-line search in torch on this device (e.g. ``"cuda"``); it picks the
        same bank lines as the default NumPy search, so scores do not change. Lines only.
    suite
        The benchmark suite (``interpbench.suites``): ``"lines"`` (default, the paper's), ``"clock"``,
        ``"blob"`` or any registered one. It sets the images, the endpoints' factors and the bank.

    Returns
    -------
    Result
        Headline numbers (``mean_distance``, ``smoothness``, ``n_undefined``), per-seed and
        per-interpolation arrays, diagnostics, ``warnings``, decoded images and provenance.

    Raises
    ------
    OptionError
        An option out of range (seeds, pairs, steps, path, threads).
    SpecError
        A spec string that does not resolve to an adapter.
    AdapterError
        The model lacks ``encode``/``decode``, a bad layout, value range, batch size or
        device, or an exception inside the model (named, with its type and message).
    ModelOutputError
        The model returned something unscorable: wrong shape or batch length, NaN or inf.
    MissingDependencyError
        A ``pythae:`` spec without pythae installed (``pip install 'interpbench[pythae]'``).
    SanityCheckError
        With ``strict=True``: the decoded endpoints fall far outside the declared value range,
        or reconstruct worse than the mean image.

    Notes
    -----
    Before scoring, the decoded endpoints are checked against the declared value range and
    against the mean image's reconstruction error (0.0803); a failed check emits an
    :class:`~interpbench.InterpbenchWarning` naming the likely cause and the fix, and is
    stored in ``result.warnings``. Before encoding each seed's endpoints the adapter's
    optional ``on_protocol_seed(seed)`` is called (stochastic encoders reseed there); its
    optional ``scoring_info()`` dict is stored in ``result.model``.
    """
    one = isinstance(seeds, (int, np.integer)) and not isinstance(seeds, (bool, np.bool_))
    seeds, pairs, steps = _check_options([seeds] if one else seeds, pairs, steps, path)
    bench = get_suite(suite)
    if search_device is not None and bench.name != "lines":
        raise OptionError(f"search_device runs the lines bank only; the {bench.name} suite searches on the CPU")
    _check_threads(threads)
    harness: Harness = as_harness(
        model, name=name, layout=layout, value_range=value_range, batch_size=batch_size, device=device, dtype=dtype,
        sample=sample, suite=bench,
    )
    if threads is None:
        threads = adapter_option(harness.adapter, "threads")
        _check_threads(threads)
    try:
        with limit_threads(threads):
            chunk = _chunk_pairs(steps, harness.batch_size)
            decode_batches = sum(math.ceil(min(chunk, pairs - lo) * steps / harness.batch_size) for lo in range(0, pairs, chunk))
            n_batches = len(seeds) * (math.ceil(2 * pairs / harness.batch_size) + decode_batches)
            bar = tqdm(total=n_batches, desc=f"scoring {harness.name}", unit="batch", disable=None if progress is None else not progress, leave=False)
            found: dict[str, SanityWarning] = {}
            with bar:
                per_seed = [_score_seed(harness, seed, pairs, steps, path, keep_images, bar.update, found if checks else None, strict,
                                        search_device, bench)
                            for seed in seeds]
    finally:
        harness.restore_modes()  # a module in train mode before scoring is in train mode after it
    for warning in found.values():
        warnings.warn(warning.message, InterpbenchWarning, stacklevel=2)
    info = {"name": harness.name, **harness.describe(), **(model_info or {})}
    if name:
        info["name"] = name
    return Result(
        model=info,
        protocol=Protocol(pairs=pairs, steps=steps, path=path, seeds=seeds, bank_size=bench.bank_size, suite=bench.name),
        seeds=per_seed,
        provenance={**environment(harness.device), "suite": bench.name, "suite_spec_version": bench.spec_version},
        warnings=[w.to_dict() for w in found.values()],
    )


def _score_seed(
    harness: Harness, seed: int, pairs: int, steps: int, path: str, keep_images: bool, tick: Any,
    found: dict[str, SanityWarning] | None, strict: bool, search_device: str | None, bench: Suite,
) -> SeedScore:
    ends = bench.endpoint_factors(seed, pairs)
    endpoints = bench.render(np.concatenate([ends[:, 0], ends[:, 1]]))
    harness.settle(endpoints)  # layout and value range "auto"; before start_seed: probing must not use the seed's draws
    harness.start_seed(seed)
    codes = harness.encode(endpoints, on_batch=tick)
    true_ends = np.stack([endpoints[:pairs], endpoints[pairs:]], axis=1)
    # Decoded and scored a chunk of pairs at a time: memory stays flat in pairs and steps
    # (only the nearest-line distances and angles, pairs × steps numbers, are kept, and the
    # images themselves only with keep_images). Chunks are whole batches, so every decode call
    # sees the same batches as one pass over all pairs would, and the scores do not change.
    chunk = _chunk_pairs(steps, harness.batch_size)
    distances, angles = np.empty((pairs, steps)), np.empty((pairs, steps) + bench.space.factor_shape)
    decoded_ends = np.empty((pairs, 2, 32, 32))
    spread = SpreadMoments()
    kept = np.empty((pairs, steps, 32, 32)) if keep_images else None
    for lo in range(0, pairs, chunk):
        hi = min(pairs, lo + chunk)
        path_codes = PATH_KINDS[path](codes[lo:hi], codes[pairs + lo : pairs + hi], steps)
        images = harness.decode(path_codes.reshape(((hi - lo) * steps,) + codes.shape[1:]), on_batch=tick)
        images = images.reshape(hi - lo, steps, 32, 32)
        distances[lo:hi], angles[lo:hi] = nearest_images(images, bench, search_device)
        # Both path kinds return the endpoint codes (to rounding) at t = 0 and t = 1, so these are
        # the decoded endpoints; keeping them costs no extra decode.
        decoded_ends[lo:hi] = images[:, [0, -1]]
        spread.add(images)
        if kept is not None:
            kept[lo:hi] = images
    for warning in [] if found is None else check_endpoints(harness.name, harness.model_range(decoded_ends), decoded_ends, true_ends,
                                   harness.value_range, harness.layout, bench.mean_image_mse):
        if strict:
            raise SanityCheckError(f"{warning.message} (--strict)")
        found.setdefault(warning.code, warning)
    return SeedScore(
        seed=seed,
        scores=path_scores(distances, angles, endpoint_angles=ends,
                           reconstruction_error=reconstruction_error(decoded_ends, true_ends),
                           output_spread=spread_ratio(spread, true_ends), suite=bench),
        endpoint_angles=ends,
        images=kept,
    )


# Decoded images held at once while scoring (float64: 32 MB), before rounding up to whole batches.
_CHUNK_IMAGES = 4096


def _chunk_pairs(steps: int, batch_size: int) -> int:
    """Pairs per scoring chunk: about :data:`_CHUNK_IMAGES` images, a whole number of decode batches.

    A chunk of k pairs is k·steps images; it is whole batches when k is a multiple of
    lcm(steps, batch_size) / steps. Where that multiple alone is far beyond the budget (a large
    prime number of steps), batches may straddle chunks: still deterministic, memory first.
    """
    unit = math.lcm(steps, batch_size) // steps  # pairs per lcm(steps, batch_size) images
    if unit * steps > 8 * max(_CHUNK_IMAGES, batch_size):
        return max(1, _CHUNK_IMAGES // steps)
    return unit * max(1, _CHUNK_IMAGES // (unit * steps))

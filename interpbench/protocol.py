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
from .manifold import draw_angles, render
from .provenance import environment
from .result import Protocol, Result, SeedScore
from .scoring import score_paths
from .paths import PATH_KINDS
from .threads import limit_threads
from .spec import BANK_SIZE, DEFAULT_PAIRS, DEFAULT_STEPS, TEST_SET_SIZE

__all__ = ["score", "endpoint_angles"]


def endpoint_angles(seed: int, pairs: int) -> np.ndarray:
    """Angles of the 2P endpoints: the first 2P of the seeded 5,000-image test set, as (pairs, 2)."""
    angles = draw_angles(np.random.default_rng(seed), TEST_SET_SIZE)[: 2 * pairs]
    return np.stack([angles[:pairs], angles[pairs:]], axis=1)


def _check_options(seeds: Sequence[int], pairs: int, steps: int, path: str) -> tuple[int, ...]:
    seeds = tuple(int(s) for s in seeds)
    if not seeds:
        raise OptionError("at least one protocol seed is needed")
    if any(s < 0 for s in seeds) or len(set(seeds)) != len(seeds):
        raise OptionError(f"seeds must be distinct non-negative integers, got {list(seeds)}")
    if not 1 <= pairs <= TEST_SET_SIZE // 2:
        raise OptionError(f"pairs must be between 1 and {TEST_SET_SIZE // 2} (the test set has {TEST_SET_SIZE} images), got {pairs}")
    if steps < 2:
        raise OptionError(f"steps must be at least 2 (both endpoints), got {steps}")
    if path not in PATH_KINDS:
        raise OptionError(f"path must be one of {', '.join(PATH_KINDS)}, got {path!r}")
    return seeds


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
        ``"pythae:FOLDER"`` (a model saved with pythae's ``model.save``).
    seeds
        Protocol seeds, distinct non-negative integers (or one int). Default ``(0,)``.
    pairs
        Interpolations per seed, 1 … 2,500 (the test set has 5,000 images). Default 256.
    steps
        Images per interpolation, both endpoints included, ≥ 2. Default 16.
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
        same bank lines as the default NumPy search, so scores do not change.

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
    seeds = _check_options([seeds] if isinstance(seeds, int) else seeds, pairs, steps, path)
    _check_threads(threads)
    harness: Harness = as_harness(
        model, name=name, layout=layout, value_range=value_range, batch_size=batch_size, device=device, dtype=dtype,
        sample=sample,
    )
    if threads is None:
        threads = adapter_option(harness.adapter, "threads")
        _check_threads(threads)
    try:
        with limit_threads(threads):
            n_batches = len(seeds) * (math.ceil(2 * pairs / harness.batch_size) + math.ceil(pairs * steps / harness.batch_size))
            bar = tqdm(total=n_batches, desc=f"scoring {harness.name}", unit="batch", disable=None if progress is None else not progress, leave=False)
            found: dict[str, SanityWarning] = {}
            with bar:
                per_seed = [_score_seed(harness, seed, pairs, steps, path, keep_images, bar.update, found if checks else None, strict,
                                        search_device)
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
        protocol=Protocol(pairs=pairs, steps=steps, path=path, seeds=seeds, bank_size=BANK_SIZE),
        seeds=per_seed,
        provenance=environment(harness.device),
        warnings=[w.to_dict() for w in found.values()],
    )


def _score_seed(
    harness: Harness, seed: int, pairs: int, steps: int, path: str, keep_images: bool, tick: Any,
    found: dict[str, SanityWarning] | None, strict: bool, search_device: str | None = None,
) -> SeedScore:
    ends = endpoint_angles(seed, pairs)
    endpoints = render(np.concatenate([ends[:, 0], ends[:, 1]]))
    harness.settle(endpoints)  # layout and value range "auto"; before start_seed: probing must not use the seed's draws
    harness.start_seed(seed)
    codes = harness.encode(endpoints, on_batch=tick)
    path_codes = PATH_KINDS[path](codes[:pairs], codes[pairs:], steps)
    decoded = harness.decode(path_codes.reshape((pairs * steps,) + codes.shape[1:]), on_batch=tick)
    images = decoded.reshape(pairs, steps, 32, 32)
    true_ends = np.stack([endpoints[:pairs], endpoints[pairs:]], axis=1)
    # Both path kinds return the endpoint codes (to rounding) at t = 0 and t = 1, so these are the
    # decoded endpoints; checking them here costs no extra decode and comes before scoring.
    decoded_ends = images[:, [0, -1]]
    for warning in [] if found is None else check_endpoints(harness.name, harness.model_range(decoded_ends), decoded_ends, true_ends,
                                   harness.value_range, harness.layout):
        if strict:
            raise SanityCheckError(f"{warning.message} (--strict)")
        found.setdefault(warning.code, warning)
    return SeedScore(
        seed=seed,
        scores=score_paths(images, endpoints=true_ends, search_device=search_device, endpoint_angles=ends),
        endpoint_angles=ends,
        images=images if keep_images else None,
    )

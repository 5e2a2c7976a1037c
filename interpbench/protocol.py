"""The interpolation protocol (SPEC §3): draw endpoints, encode, interpolate, decode, score."""

from __future__ import annotations

import math
from collections.abc import Sequence
from typing import Any

import numpy as np
from tqdm.auto import tqdm

from .adapters import Harness, as_harness
from .errors import OptionError
from .manifold import draw_angles, render
from .provenance import environment
from .result import Protocol, Result, SeedScore
from .scoring import score_paths
from .paths import PATH_KINDS
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


def score(
    model: Any,
    *,
    seeds: Sequence[int] | int = (0,),
    pairs: int = DEFAULT_PAIRS,
    steps: int = DEFAULT_STEPS,
    path: str = "lerp",
    batch_size: int = 256,
    device: str | None = None,
    layout: str | None = None,
    value_range: str | None = None,
    name: str | None = None,
    keep_images: bool = True,
    progress: bool | None = False,
    model_info: dict[str, Any] | None = None,
    search_device: str | None = None,
) -> Result:
    """Run the benchmark on ``model`` and return a :class:`Result`.

    ``model`` is anything :func:`interpbench.as_harness` accepts: an ``nn.Module`` with
    ``encode``/``decode``, a ``(encode, decode)`` pair of callables, any object with those
    methods, a spec string (``oracle``, ``pixels``, ``pkg.module:name``, ``file.py:name``) or a
    :class:`Harness`. Each seed draws its own endpoints; the result holds the mean and spread.
    ``progress=None`` shows a bar only on a terminal. ``model_info`` (checkpoint hash, training
    budget, preset, seed…) is stored with the result's provenance.

    ``search_device`` (e.g. ``"cuda"``) runs the nearest-line search in torch on that device; it
    picks the same bank lines as the default NumPy search, so scores do not change.

    Before encoding each seed's endpoints the adapter's optional ``on_protocol_seed(seed)`` is
    called (stochastic encoders reseed there); its optional ``scoring_info()`` dict is stored in
    the result's model record.
    """
    seeds = _check_options([seeds] if isinstance(seeds, int) else seeds, pairs, steps, path)
    harness: Harness = as_harness(
        model, name=name, layout=layout, value_range=value_range, batch_size=batch_size, device=device
    )
    n_batches = len(seeds) * (math.ceil(2 * pairs / harness.batch_size) + math.ceil(pairs * steps / harness.batch_size))
    bar = tqdm(total=n_batches, desc=f"scoring {harness.name}", unit="batch", disable=None if progress is None else not progress, leave=False)
    with bar:
        per_seed = [_score_seed(harness, seed, pairs, steps, path, keep_images, bar.update, search_device) for seed in seeds]
    info = {"name": harness.name, **harness.describe(), **(model_info or {})}
    return Result(
        model=info,
        protocol=Protocol(pairs=pairs, steps=steps, path=path, seeds=seeds, bank_size=BANK_SIZE),
        seeds=per_seed,
        provenance=environment(harness.device),
    )


def _score_seed(harness: Harness, seed: int, pairs: int, steps: int, path: str, keep_images: bool, tick: Any,
                search_device: str | None = None) -> SeedScore:
    ends = endpoint_angles(seed, pairs)
    endpoints = render(np.concatenate([ends[:, 0], ends[:, 1]]))
    harness.start_seed(seed)
    codes = harness.encode(endpoints, on_batch=tick)
    path_codes = PATH_KINDS[path](codes[:pairs], codes[pairs:], steps)
    decoded = harness.decode(path_codes.reshape((pairs * steps,) + codes.shape[1:]), on_batch=tick)
    images = decoded.reshape(pairs, steps, 32, 32)
    true_ends = np.stack([endpoints[:pairs], endpoints[pairs:]], axis=1)
    return SeedScore(
        seed=seed,
        scores=score_paths(images, endpoints=true_ends, search_device=search_device),
        endpoint_angles=ends,
        images=images if keep_images else None,
    )

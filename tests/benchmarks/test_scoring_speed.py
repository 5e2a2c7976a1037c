"""Nearest-line scoring of the full protocol (4,096 images) against brute force, side by side.

Run: python -m pytest tests/benchmarks/test_scoring_speed.py -m benchmark --benchmark-enable
The ratio is printed and stored in each benchmark's extra_info.
"""

from __future__ import annotations

import numpy as np
import pytest
from scipy.spatial.distance import cdist

import interpbench
from interpbench import line_bank

pytestmark = pytest.mark.benchmark(group="nearest-line, 4,096 images", min_rounds=1, warmup=False)

_TIMES: dict[str, float] = {}


def _protocol_images(adapter: str) -> np.ndarray:
    result = interpbench.score(adapter, seeds=[0])
    return result.images.reshape(-1, 1024)


@pytest.fixture(scope="module", params=["pixels", "oracle"])
def images(request):
    line_bank()  # built once per process, outside the timings
    return request.param, _protocol_images(request.param)


def bruteforce(images: np.ndarray) -> np.ndarray:
    return cdist(images, line_bank().lines, "cosine").argmin(axis=1)


def interpbench_scorer(images: np.ndarray) -> np.ndarray:
    return line_bank().nearest(images).indices


@pytest.mark.parametrize("scorer", [bruteforce, interpbench_scorer], ids=["cdist-cosine", "interpbench"])
def test_nearest_line_speed(benchmark, images, scorer):
    name, x = images
    rounds = 1 if scorer is bruteforce else 5
    found = benchmark.pedantic(scorer, args=(x,), rounds=rounds, iterations=1)
    assert found.shape == (4096,)
    _TIMES[f"{name}/{scorer.__name__}"] = benchmark.stats.stats.min
    brute_key, fast_key = f"{name}/bruteforce", f"{name}/interpbench_scorer"
    if brute_key in _TIMES and fast_key in _TIMES:
        ratio = _TIMES[brute_key] / _TIMES[fast_key]
        benchmark.extra_info["speedup_vs_cdist"] = ratio
        print(f"\n{name}: interpbench is {ratio:.0f}× faster than cdist brute force")
        np.testing.assert_array_equal(interpbench_scorer(x), bruteforce(x))
        assert ratio >= 50

"""Nearest-bank search of every new suite against brute-force cosine cdist over the same bank, side by side.

Run: python -m pytest tests/benchmarks/test_suite_search_speed.py -m benchmark --benchmark-enable -s
256 decoded images per case (16 oracle and 16 pixels interpolations × 16 steps): cdist over the
clock suite's 294,912-image bank takes minutes even for that many. Both searches get the same
images; their choices must be identical and the ratio at least 50.
"""

from __future__ import annotations

import numpy as np
import pytest
from scipy.spatial.distance import cdist

import interpbench
from interpbench.suites import get_suite

pytestmark = pytest.mark.benchmark(group="nearest bank image, 256 images", min_rounds=1, warmup=False)

_TIMES: dict[str, float] = {}
_BANKS: dict[str, np.ndarray] = {}


@pytest.fixture(scope="module", params=["clock", "blob"])
def case(request):
    name = request.param
    suite = get_suite(name)
    images = np.concatenate([interpbench.score(a, suite=name, pairs=8, seeds=[0]).images.reshape(-1, 1024)
                             for a in ("oracle", "pixels")])
    _BANKS.setdefault(name, suite.render(suite.bank_factors).reshape(-1, 1024))  # outside the timings
    suite.nearest(images[:1])  # builds the search's tables, outside the timings
    return name, images


def bruteforce(name: str, images: np.ndarray) -> np.ndarray:
    return cdist(images, _BANKS[name], "cosine").argmin(axis=1)


def interpbench_search(name: str, images: np.ndarray) -> np.ndarray:
    return get_suite(name).nearest(images).indices


@pytest.mark.parametrize("search", [bruteforce, interpbench_search], ids=["cdist-cosine", "interpbench"])
def test_suite_search_speed(benchmark, case, search):
    name, x = case
    rounds = 1 if search is bruteforce else 5
    found = benchmark.pedantic(search, args=(name, x), rounds=rounds, iterations=1)
    assert found.shape == (x.shape[0],)
    _TIMES[f"{name}/{search.__name__}"] = benchmark.stats.stats.min
    brute, fast = f"{name}/bruteforce", f"{name}/interpbench_search"
    if brute in _TIMES and fast in _TIMES:
        ratio = _TIMES[brute] / _TIMES[fast]
        benchmark.extra_info["speedup_vs_cdist"] = ratio
        print(f"\n{name}: interpbench is {ratio:.0f}× faster than cdist brute force ({_TIMES[brute]:.2f} s vs {_TIMES[fast]:.3f} s)")
        np.testing.assert_array_equal(interpbench_search(name, x), bruteforce(name, x))
        assert ratio >= 50

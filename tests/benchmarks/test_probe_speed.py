"""Both probes on the lines test set (5,000 images) with a 64-d code, and a plain k-means for comparison.

The code is a fixed, seeded random projection of the pixels (1,024 → 64), standing in for a
lines autoencoder's 2×2×16 latent. Training codes: a 5,000-line training draw.
Run: python -m pytest tests/benchmarks/test_probe_speed.py -m benchmark --benchmark-enable
"""

from __future__ import annotations

import numpy as np
import pytest

from interpbench.datasets import load_dataset
from interpbench.probes import DEFAULT_RESTARTS, cluster_accuracy, fit_whitening, kmeans_probe, linear_probe

pytestmark = pytest.mark.benchmark(group="probes, lines test set, 64-d code", min_rounds=3, warmup=False)


@pytest.fixture(scope="module")
def codes():
    split = load_dataset("lines", seed=0, train_size=5000)
    projection = np.random.default_rng(0).standard_normal((1024, 64)) / 32.0
    return (
        split.train.images.reshape(len(split.train), -1) @ projection,
        split.train.labels,
        split.test.images.reshape(len(split.test), -1) @ projection,
        split.test.labels,
    )


def numpy_kmeans_probe(x_train, y_train, x_test, y_test, *, seed: int, restarts: int, max_iter: int = 1000) -> float:
    """Plain Lloyd iterations in NumPy (random init, best inertia of ``restarts``), for comparison."""
    w = fit_whitening(x_train)
    z, zt = w.apply(x_train), w.apply(x_test)
    rng = np.random.default_rng(seed)
    best = (np.inf, None)
    for _ in range(restarts):
        centres = z[rng.choice(z.shape[0], 10, replace=False)]
        for _ in range(max_iter):
            d = (z**2).sum(1)[:, None] - 2 * z @ centres.T + (centres**2).sum(1)[None, :]
            assign = d.argmin(1)
            new = np.stack([z[assign == k].mean(0) if np.any(assign == k) else centres[k] for k in range(10)])
            if np.allclose(new, centres, atol=1e-10):
                break
            centres = new
        inertia = d.min(1).sum()
        if inertia < best[0]:
            best = (inertia, centres)
    centres = best[1]
    clusters = ((zt[:, None, :] - centres[None]) ** 2).sum(-1).argmin(1)
    return cluster_accuracy(clusters, y_test, 10, 10)


@pytest.mark.parametrize(
    "name",
    ["linear (scikit-learn lbfgs)", f"k-means (scikit-learn, {DEFAULT_RESTARTS} restarts)", f"k-means (plain NumPy Lloyd, {DEFAULT_RESTARTS} restarts)"],
)
def test_probe_speed(benchmark, codes, name):
    if name.startswith("linear"):
        fn = lambda: linear_probe(*codes, seed=0)  # noqa: E731
    elif "scikit" in name:
        fn = lambda: kmeans_probe(*codes, seed=0, restarts=DEFAULT_RESTARTS)  # noqa: E731
    else:
        fn = lambda: numpy_kmeans_probe(*codes, seed=0, restarts=DEFAULT_RESTARTS)  # noqa: E731
    accuracy = benchmark(fn)
    benchmark.extra_info["accuracy_percent"] = accuracy
    assert 0.0 <= accuracy <= 100.0

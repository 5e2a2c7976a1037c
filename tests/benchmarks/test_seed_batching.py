"""Several seeds at once: k = 3 batched runs against 3 single-seed runs stepped one after another; and
the trail's nearest-line search in torch against the NumPy search.

Run: python -m pytest tests/benchmarks/test_seed_batching.py -m benchmark --benchmark-enable
Both rows of a group do the same work per round (one step of each of the 3 runs, or one search
of the 4,096 protocol images), so the ratio of their times is the speed-up. samples/s per run =
64 / (round time).
"""

from __future__ import annotations

import numpy as np
import pytest
import torch

import interpbench
import reference_models as rm
from interpbench.bank import line_bank
from interpbench.bank_torch import nearest_line_torch
from reference_models.training.seed_batch import SeedBatchTrainer

pytestmark = pytest.mark.benchmark
SEEDS = (0, 1, 2)


def _sequential(name: str):  # type: ignore[no-untyped-def]
    trainers = [rm.Trainer(rm.build(name, seed=s), seed=s) for s in SEEDS]

    def step() -> None:
        for trainer in trainers:
            trainer.step()

    return step


def _batched(name: str):  # type: ignore[no-untyped-def]
    trainer = SeedBatchTrainer([rm.build(name, seed=s) for s in SEEDS], list(SEEDS))
    return trainer.step


@pytest.mark.parametrize("impl", ["sequential", "batched"])
@pytest.mark.parametrize("name", ["baseline", "acai", "vqvae"])
def test_three_seeds_per_step(benchmark, name: str, impl: str) -> None:  # type: ignore[no-untyped-def]
    step = (_sequential if impl == "sequential" else _batched)(name)
    benchmark.group = f"3 seeds, one step each: {name}"
    benchmark.extra_info["threads"] = torch.get_num_threads()
    benchmark.pedantic(step, rounds=10, iterations=1, warmup_rounds=2)
    if benchmark.stats:  # None under --benchmark-disable
        benchmark.extra_info["samples_per_s_per_run"] = 64 / benchmark.stats.stats.mean


@pytest.fixture(scope="module")
def protocol_images() -> np.ndarray:
    line_bank()  # built once per process, outside the timings
    return interpbench.score("pixels", seeds=[0]).images.reshape(-1, 1024)


@pytest.mark.parametrize("impl", ["numpy", "torch"])
def test_trail_search(benchmark, protocol_images: np.ndarray, impl: str) -> None:  # type: ignore[no-untyped-def]
    benchmark.group = "nearest lines of 4,096 protocol images (CPU)"
    if impl == "numpy":
        found = benchmark.pedantic(lambda: line_bank().nearest(protocol_images).indices, rounds=5, iterations=1, warmup_rounds=1)
    else:
        images = torch.from_numpy(protocol_images)
        found = benchmark.pedantic(lambda: nearest_line_torch(images)[1].numpy(), rounds=5, iterations=1, warmup_rounds=1)
    assert np.array_equal(found, line_bank().nearest(protocol_images).indices)

"""Training throughput: the engine's step against a plain eager PyTorch loop of the same model.

Run: pytest tests/benchmarks/test_training_throughput.py -m benchmark --benchmark-enable
Each model is one benchmark group, so its two rows (``eager`` and ``engine``) sit side by side;
samples/s = 64 / mean step time. The ratio engine/eager is the headline figure.
"""

from __future__ import annotations

import numpy as np
import pytest
import torch

import interpbench
import reference_models as rm

pytestmark = pytest.mark.benchmark
BATCH = 64


def _eager_step(name: str):  # type: ignore[no-untyped-def]
    """The reference: NumPy-rendered batch, the model's losses, one Adam per group, nothing else."""
    model = rm.build(name, seed=0)
    optimisers = {g: torch.optim.Adam(p, lr=1e-4) for g, p in model.param_groups().items()}
    groups = model.param_groups()
    rng = np.random.default_rng(0)
    generator = torch.Generator().manual_seed(0)
    model.train()

    def step() -> None:
        x = torch.from_numpy(interpbench.render(rng.uniform(0, 2 * np.pi, BATCH)).astype(np.float32))[:, None]
        losses = model.losses(x, model.noise(x, generator))
        names = list(optimisers)
        for i, g in enumerate(names):
            optimisers[g].zero_grad()
            losses[g].backward(inputs=groups[g], retain_graph=i < len(names) - 1)
            optimisers[g].step()
        model.update_buffers(losses, dict(model.named_buffers()))

    return step


def _engine_step(name: str, bf16: bool = False, channels_last: bool = False, compiled: bool = False):  # type: ignore[no-untyped-def]
    trainer = rm.Trainer(rm.build(name, seed=0), seed=0, bf16=bf16, channels_last=channels_last)
    if compiled:
        # Inductor on the two networks every model shares; the losses stay eager. Compilation
        # happens in the warm-up rounds, outside the timing.
        trainer.model.encoder.compile()
        trainer.model.decoder.compile()
    return lambda: trainer.step()


IMPLS = {
    "eager": _eager_step,
    "engine": _engine_step,
    "engine-bf16": lambda name: _engine_step(name, bf16=True),
    "engine-channels_last": lambda name: _engine_step(name, channels_last=True),
    "engine-compile": lambda name: _engine_step(name, compiled=True),
}


@pytest.mark.parametrize("impl", list(IMPLS))
@pytest.mark.parametrize("name", list(rm.MODELS))
def test_training_throughput(benchmark, name: str, impl: str) -> None:  # type: ignore[no-untyped-def]
    step = IMPLS[impl](name)
    benchmark.group = f"train-step {name}"
    benchmark.extra_info["samples_per_step"] = BATCH
    benchmark.extra_info["threads"] = torch.get_num_threads()
    benchmark.pedantic(step, rounds=15, iterations=1, warmup_rounds=5 if impl == "engine-compile" else 3)
    benchmark.extra_info["samples_per_s"] = BATCH / benchmark.stats.stats.mean

"""A torchmetrics ``Metric`` for training loops other than Lightning's: ``update(model)`` / ``compute()``.

    metric = InterpBenchMetric(pairs=64)
    for epoch in range(epochs):
        train_one_epoch(model)
        metric.update(model)          # scores the model now (eval mode, no grad, mode restored)
        print(metric.compute())       # {"mean_distance": ..., "smoothness": ..., "n_undefined": ...}
        metric.reset()

Following torchmetrics' conventions, the state is sums over updates (``dist_reduce_fx="sum"``),
so ``compute()`` is the mean over every ``update`` since the last ``reset``, also across
processes under DDP; ``higher_is_better`` is False.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

from . import require

__all__ = ["InterpBenchMetric"]

_tm = require("torchmetrics", "torchmetrics", "interpbench.integrations.torchmetrics")
_torch = require("torch", "torch", "interpbench.integrations.torchmetrics")


class InterpBenchMetric(_tm.Metric):
    """Mean Distance, Smoothness and undefined count of the models passed to :meth:`update`.

    Parameters: ``pairs``, ``seeds``, ``steps``, ``path`` and any other keyword of
    :func:`interpbench.score` (``layout``, ``value_range``, ``batch_size``…). Sanity checks are
    off (an early model fails them by design), as in the Lightning callback.
    """

    higher_is_better = False
    full_state_update = False
    is_differentiable = False

    def __init__(self, *, pairs: int = 256, seeds: Sequence[int] = (0,), **options: Any) -> None:
        super().__init__()
        self.score_options = {"pairs": pairs, "seeds": tuple(seeds), **options}
        for name in ("mean_distance", "smoothness", "smoothness_updates", "n_undefined", "updates"):
            self.add_state(name, default=_torch.tensor(0.0, dtype=_torch.float64), dist_reduce_fx="sum")

    def update(self, model: Any) -> None:  # type: ignore[override]
        from ..protocol import score

        result = score(model, keep_images=False, progress=False, checks=False, **self.score_options)
        self.mean_distance += float(result.mean_distance)
        smoothness = float(result.smoothness)
        if smoothness == smoothness:  # undefined (NaN) Smoothness is left out of the mean, counted in n_undefined
            self.smoothness += smoothness
            self.smoothness_updates += 1.0
        self.n_undefined += float(result.n_undefined)
        self.updates += 1.0

    def compute(self) -> dict[str, Any]:
        nan = _torch.tensor(float("nan"), dtype=_torch.float64)
        return {
            "mean_distance": self.mean_distance / self.updates if self.updates > 0 else nan,
            "smoothness": self.smoothness / self.smoothness_updates if self.smoothness_updates > 0 else nan,
            "n_undefined": self.n_undefined / self.updates if self.updates > 0 else nan,
        }

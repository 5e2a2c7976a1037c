"""Score a LightningModule on the line benchmark while it trains.

::

    from interpbench.integrations.lightning import InterpBenchCallback
    trainer = lightning.Trainer(callbacks=[InterpBenchCallback(every_n_epochs=1, pairs=256)])

The module needs ``encode`` and ``decode`` methods (tensors in, tensors out). Needs
``pip install 'interpbench[lightning]'``; ``lightning.pytorch`` is used, or the standalone
``pytorch_lightning`` package when only that is installed.
"""

from __future__ import annotations

import math
import warnings
from collections.abc import Sequence
from typing import Any

import numpy as np

from ..errors import InterpbenchWarning, MissingDependencyError, OptionError
from ..paper_figure import PAPER_LAST_N, paper_figure
from . import require

__all__ = ["InterpBenchCallback", "PAPER_LAST_N"]

# The paper reports the median of the last 20 evaluations of a training run.


def _lightning() -> Any:
    try:
        return require("lightning.pytorch", "lightning", "InterpBenchCallback")
    except MissingDependencyError as missing:
        try:
            return require("pytorch_lightning", "lightning", "InterpBenchCallback")
        except MissingDependencyError:
            raise missing from None


pl = _lightning()


class InterpBenchCallback(pl.Callback):  # type: ignore[misc,name-defined]
    """Scores the module's ``encode``/``decode`` at the end of every ``every_n_epochs``-th training epoch.

    It scores on the module's device, in eval mode and without gradients, restores each
    submodule's train/eval mode and the RNG states afterwards (scoring does not change the
    training run), and logs ``interpbench/mean_distance``, ``interpbench/smoothness`` (NaN when
    every interpolation is undefined), ``interpbench/n_undefined`` and ``interpbench/geodesic_error``
    (docs/SPEC.md §X1) with ``pl_module.log``, so
    they reach ``trainer.callback_metrics`` and every logger. With ``log_grid=True`` it also
    logs the interpolation grid as an image to loggers that take images (a ``log_image``
    method, as Weights & Biases, Neptune and MLflow loggers have, or TensorBoard's
    ``experiment.add_image``).

    Every evaluation is kept in :attr:`trail` (and in Lightning checkpoints), so the
    paper-style figure, the median of the last 20 evaluations, can be read at the end with
    :meth:`paper_figure`; :attr:`last_result` is the latest full :class:`~interpbench.Result`.

    Parameters
    ----------
    every_n_epochs: score after epochs n, 2n, 3n, … (≥ 1).
    pairs: interpolations per protocol seed (1 … 2,500).
    seeds: protocol seeds; the logged numbers are means over them.
    steps, path, layout, value_range, batch_size: as for :func:`interpbench.score`.
    log_grid: also log the interpolation grid image.
    """

    def __init__(
        self,
        every_n_epochs: int = 1,
        pairs: int = 256,
        seeds: Sequence[int] = (0,),
        *,
        steps: int = 16,
        path: str = "lerp",
        layout: str | None = None,
        value_range: str | None = None,
        batch_size: int = 256,
        log_grid: bool = False,
    ) -> None:
        super().__init__()
        if int(every_n_epochs) < 1:
            raise OptionError(f"every_n_epochs must be a positive integer, got {every_n_epochs}")
        self.every_n_epochs = int(every_n_epochs)
        self.pairs = int(pairs)
        self.seeds = tuple(int(s) for s in seeds)
        self.options: dict[str, Any] = {
            "steps": steps, "path": path, "layout": layout, "value_range": value_range, "batch_size": batch_size,
        }
        self.log_grid = bool(log_grid)
        self.trail: list[dict[str, Any]] = []
        self.last_result: Any = None

    # ------------------------------------------------------------------ hooks
    def on_train_epoch_end(self, trainer: Any, pl_module: Any) -> None:
        if (trainer.current_epoch + 1) % self.every_n_epochs:
            return
        result, caught = self._score(pl_module)
        self.last_result = result
        smooth = float(result.smoothness)
        entry = {
            "epoch": int(trainer.current_epoch),
            "step": int(trainer.global_step),
            "pairs": self.pairs,
            "seeds": list(self.seeds),
            "mean_distance": float(result.mean_distance),
            "smoothness": None if math.isnan(smooth) else smooth,
            "n_undefined": int(result.n_undefined),
            "geodesic_error": float(result.geodesic_error),
            "warnings": caught,
        }
        self.trail.append(entry)
        for key in ("mean_distance", "smoothness", "n_undefined", "geodesic_error"):
            pl_module.log(f"interpbench/{key}", float(getattr(result, key)), on_step=False, on_epoch=True, logger=True)
        if self.log_grid:
            self._log_grid(trainer, result)

    def state_dict(self) -> dict[str, Any]:
        return {"trail": [dict(e) for e in self.trail]}

    def load_state_dict(self, state_dict: dict[str, Any]) -> None:
        self.trail = [dict(e) for e in state_dict.get("trail", [])]

    # ---------------------------------------------------------------- results
    def paper_figure(self, last: int = PAPER_LAST_N) -> dict[str, Any]:
        """Median Mean Distance and Smoothness of the last ``last`` evaluations, as the paper reports
        (:func:`interpbench.paper_figure.paper_figure`)."""
        return paper_figure(self.trail, last)

    # ---------------------------------------------------------------- helpers
    def _score(self, pl_module: Any) -> tuple[Any, list[str]]:
        import torch

        from ..protocol import score

        modes = [(m, m.training) for m in pl_module.modules()]
        devices = [pl_module.device] if pl_module.device.type == "cuda" else []
        try:
            # The harness sets eval mode and no_grad; fork_rng keeps a sampling encoder from
            # shifting the training run's random stream.
            with torch.random.fork_rng(devices=devices), warnings.catch_warnings(record=True) as caught:
                warnings.simplefilter("always", InterpbenchWarning)
                result = score(pl_module, seeds=self.seeds, pairs=self.pairs, name=type(pl_module).__name__,
                               device=None, keep_images=self.log_grid, progress=False, **self.options)
        finally:
            for module, training in modes:
                module.train(training)
        return result, [str(w.message) for w in caught if issubclass(w.category, InterpbenchWarning)]

    def _log_grid(self, trainer: Any, result: Any) -> None:
        from ..figures import _pyplot, grid_figure

        fig = grid_figure(result)
        try:
            fig.canvas.draw()
            image = np.asarray(fig.canvas.buffer_rgba())[..., :3].copy()
        finally:
            _pyplot().close(fig)
        step = _epoch_end_log_step(trainer)
        for logger in trainer.loggers:
            if callable(getattr(logger, "log_image", None)):
                logger.log_image(key="interpbench/grid", images=[image], step=step)
            elif callable(getattr(getattr(logger, "experiment", None), "add_image", None)):
                logger.experiment.add_image("interpbench/grid", image, step, dataformats="HWC")


def _epoch_end_log_step(trainer: Any) -> int:
    """The step Lightning gives the scalars ``pl_module.log`` records at the end of a training epoch.

    Lightning logs them at the count of batches that stepped minus one (measured with Lightning
    2.x: scalars at 3 while ``global_step`` is 4 after 4 batches), so the grid image, logged at
    ``global_step``, landed one step after its scalars in TensorBoard. The loop's counter is
    private; ``global_step - 1`` is the same count without gradient accumulation.
    """
    stepped = getattr(getattr(getattr(trainer, "fit_loop", None), "epoch_loop", None), "_batches_that_stepped", None)
    count = int(stepped) if isinstance(stepped, int) else int(trainer.global_step)
    return max(count - 1, 0)

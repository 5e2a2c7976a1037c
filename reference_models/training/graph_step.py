"""The whole training step as one CUDA graph: captured once, replayed every step.

A reference model's step is ~100-200 small kernels (convolutions at 32×32 and below, 2-3 Adams
over ~40 tensors each). On an H100 their launch overhead, not arithmetic, bounds the step, so
the engine captures ``compute`` (forward, backward, every optimiser step and the VQ-VAE EMA
update) once and replays it: one launch per step. What changes between steps lives in static
buffers: each step the next batch (rendered on the device) and the noise are copied in, then
the graph replays. Adam must be ``capturable`` (its step count stays on the device).

On a CPU there is nothing to capture: the wrapper then runs ``compute`` on the same static
buffers eagerly, which is what the tests check against the plain step.
"""

from __future__ import annotations

from typing import Any

import torch

__all__ = ["GraphedStep"]

# Eager steps before capture: cuDNN picks its algorithms and the optimisers create their state.
WARMUP_STEPS = 3


class GraphedStep:
    """Wraps a :class:`Trainer` or :class:`SeedBatchTrainer` built with ``capturable=True``.

    Everything but ``step`` is the wrapped trainer's (``run_state``, ``scoring_model``, …). The
    warm-up steps are real training steps on real batches, so the run's data and noise streams
    advance exactly as without a graph.
    """

    def __init__(self, trainer: Any) -> None:
        self.trainer = trainer
        self.capture = trainer.device.type == "cuda"
        self._inputs: tuple[torch.Tensor, dict[str, torch.Tensor]] | None = None
        self._outputs: dict[str, torch.Tensor] | None = None
        self._graph: Any = None
        self._warm = 0

    def __getattr__(self, name: str) -> Any:
        return getattr(self.trainer, name)

    def step(self) -> dict[str, torch.Tensor]:
        x, noise = self.trainer.draw()
        if self._inputs is None:
            self._inputs = (x.clone(), {k: v.clone() for k, v in noise.items()})
        else:
            self._inputs[0].copy_(x)
            for key, value in noise.items():
                self._inputs[1][key].copy_(value)
        if not self.capture:
            outputs = self.trainer.compute(*self._inputs)
        elif self._warm < WARMUP_STEPS:
            outputs = self._warmup_step()
        else:
            if self._graph is None:
                self._record()
            self._graph.replay()
            outputs = self._outputs
        self.trainer.step_count += 1
        return outputs  # type: ignore[return-value]

    def _warmup_step(self) -> dict[str, torch.Tensor]:
        side = torch.cuda.Stream()
        side.wait_stream(torch.cuda.current_stream())
        with torch.cuda.stream(side):
            outputs = self.trainer.compute(*self._inputs)
        torch.cuda.current_stream().wait_stream(side)
        self._warm += 1
        return outputs

    def _record(self) -> None:
        """Capture one ``compute`` on the static inputs; it also performs this step's update."""
        for opt in self.trainer.optimizers.values():
            opt.zero_grad(set_to_none=True)
        graph = torch.cuda.CUDAGraph()
        with torch.cuda.graph(graph):
            self._outputs = self.trainer.compute(*self._inputs)
        # Capture only records the kernels; this step's work happens at the first replay.
        self._graph = graph

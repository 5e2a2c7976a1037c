"""One model, one run: the single-seed training step (what the throughput benchmark times)."""

from __future__ import annotations

from typing import Any

import torch

from interpbench.errors import CheckpointError

from ..base import ReferenceModel
from ..loading import restore_weights
from .rng import derived_seeds
from .stream import LineStream, StreamFactory

__all__ = ["Trainer"]


class Trainer:
    """Optimisers, RNG and the training step of one model on one device.

    ``step`` is what the throughput benchmark times; it returns the step's losses as tensors
    (not floats) so the host never waits for the device between steps. It is ``draw`` (the
    batch and noise, from the run's streams) then ``compute`` (forward, backward, every
    optimiser, buffer updates): :class:`~reference_models.training.graph_step.GraphedStep`
    captures ``compute`` once as a CUDA graph (``capturable=True`` Adam) and replays it.
    """

    def __init__(self, model: ReferenceModel, seed: int, device: torch.device | str = "cpu",
                 channels_last: bool = False, bf16: bool = False, capturable: bool = False,
                 make_stream: StreamFactory | None = None) -> None:
        self.device = torch.device(device)
        # bf16 autocast: opt-in, since it changes the numerics the paper's numbers were made with.
        # On this project's AVX512-BF16 CPU it measured ~1.2-1.3× faster for the baseline step.
        self.bf16 = bf16
        self.model = model.to(self.device)
        self.channels_last = channels_last
        if channels_last:
            self.model.to(memory_format=torch.channels_last)
        data_seed, noise_seed = derived_seeds(seed)
        # The line manifold unless a data set's stream is asked for (reference_models.training.data_stream).
        self.stream = (make_stream or LineStream)(data_seed, model.config.batch_size, self.device)
        self.generator = torch.Generator(device=self.device).manual_seed(noise_seed)
        self.groups = model.param_groups()
        lrs = model.group_lr()
        # Fused Adam is one kernel per step on CUDA; on CPU the default (foreach) is as fast.
        fused = True if self.device.type == "cuda" else None
        self.optimizers = {
            name: torch.optim.Adam(params, lr=lrs.get(name, model.config.lr), fused=fused, capturable=capturable)
            for name, params in self.groups.items()
        }
        self.step_count = 0

    def batch(self) -> torch.Tensor:
        x = self.stream.next()
        return x.contiguous(memory_format=torch.channels_last) if self.channels_last else x

    def step(self, x: torch.Tensor | None = None) -> dict[str, torch.Tensor]:
        """One optimisation step of every optimiser on batch ``x`` (default: the next streamed batch)."""
        losses = self.compute(*self.draw(x))
        self.step_count += 1
        return losses

    def draw(self, x: torch.Tensor | None = None) -> tuple[torch.Tensor, dict[str, torch.Tensor]]:
        """The next batch (unless ``x`` is given) and the step's noise, in the run's stream order."""
        if x is None:
            x = self.batch()
        return x, self.model.noise(x, self.generator)

    def compute(self, x: torch.Tensor, noise: dict[str, torch.Tensor]) -> dict[str, torch.Tensor]:
        """Forward, backward, every optimiser step and the buffer updates, on given inputs (no host sync)."""
        self.model.train()
        with torch.autocast(self.device.type, dtype=torch.bfloat16, enabled=self.bf16):
            losses = self.model.losses(x, noise)
        for opt in self.optimizers.values():
            opt.zero_grad(set_to_none=True)
        names = list(self.optimizers)
        for i, name in enumerate(names):
            # Each loss only reaches its own group's .grad: the critic's loss never moves the AE.
            losses[name].backward(inputs=self.groups[name], retain_graph=i < len(names) - 1)
        for opt in self.optimizers.values():
            opt.step()
        self.model.update_buffers(losses, dict(self.model.named_buffers()))
        return {k: v.detach() for k, v in losses.items()}

    # ------------------------------------------------------------- resumption
    def state(self) -> dict[str, Any]:
        return {
            "state_dict": self.model.state_dict(),
            "optimizers": {k: o.state_dict() for k, o in self.optimizers.items()},
            "rng": {"torch": self.generator.get_state(), "data": self.stream.state()},
            "step": self.step_count,
        }

    def load_state(self, record: dict[str, Any], source: str) -> None:
        restore_weights(self.model, record, source)
        try:
            for name, opt in self.optimizers.items():
                opt.load_state_dict(record["optimizers"][name])
            self.generator.set_state(record["rng"]["torch"])
            self.stream.set_state(record["rng"]["data"])
        except (KeyError, ValueError, RuntimeError, TypeError) as exc:
            raise CheckpointError(f"checkpoint {source!r} cannot resume training: {type(exc).__name__}: {exc}") from None
        self.step_count = int(record["step"])

    # The interface the engine's loop shares with SeedBatchTrainer (k runs): here k = 1.
    k = 1

    def scoring_model(self, i: int = 0) -> ReferenceModel:
        return self.model

    def run_state(self, i: int = 0) -> dict[str, Any]:
        return self.state()

    def load_run_states(self, records: list[dict[str, Any]], sources: list[str]) -> None:
        self.load_state(records[0], sources[0])

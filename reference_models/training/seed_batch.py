"""Several training runs of one model as one batched computation (``interpbench train --seeds``).

The k runs' weights, buffers and Adam states are stacked along a leading seed axis
(``torch.func.stack_module_state``) and one ``vmap``-ed call of the model's pure ``losses``
computes all k runs' losses; each optimiser steps the stacked tensors at once. Adam is
element-wise, so one Adam over stacked tensors is k independent Adams. Every run keeps its own
initial weights (``build(name, seed)``), data stream, noise generator, optimiser state and
checkpoint: :meth:`SeedBatchTrainer.run_state` writes each run in the single-seed format, so a
run directory resumes on its own with :class:`~reference_models.training.engine.Trainer` too.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

import torch
from torch.func import functional_call, stack_module_state, vmap

from interpbench.errors import CheckpointError

from ..base import ReferenceModel
from ..loading import restore_weights
from .rng import derived_seeds
from .stream import LineStream, StreamFactory

__all__ = ["SeedBatchTrainer"]


class SeedBatchTrainer:
    """k runs of one model (``models[i]`` trained with ``seeds[i]``), stepped together.

    ``step`` returns each loss as a (k,) tensor. ``scoring_model(i)`` is a plain model holding
    run i's current weights (for the evaluation trail); ``run_state(i)`` / ``load_run_state(i, …)``
    convert between the stacked state and run i's single-seed checkpoint state.
    """

    def __init__(self, models: Sequence[ReferenceModel], seeds: Sequence[int], device: torch.device | str = "cpu",
                 bf16: bool = False, capturable: bool = False, make_stream: StreamFactory | None = None) -> None:
        if len(models) != len(seeds) or not models:
            raise ValueError("one model per seed, at least one")
        self.device = torch.device(device)
        self.bf16 = bf16
        self.seeds = [int(s) for s in seeds]
        self.template = models[0].to(self.device)  # the module whose code runs, with each run's tensors swapped in
        models = [m.to(self.device) for m in models]
        # New stacked leaves: the template's own tensors go unused in training, so scoring reloads them per run.
        self.params, self.buffers = stack_module_state(list(models))
        names = {id(p): n for n, p in self.template.named_parameters()}
        self.group_names = {g: [names[id(p)] for p in ps] for g, ps in self.template.param_groups().items()}
        lrs = self.template.group_lr()
        fused = True if self.device.type == "cuda" else None
        self.optimizers = {
            g: torch.optim.Adam([self.params[n] for n in ns], lr=lrs.get(g, self.template.config.lr), fused=fused,
                                capturable=capturable)
            for g, ns in self.group_names.items()
        }
        self.streams, self.generators = [], []
        for seed in self.seeds:
            data_seed, noise_seed = derived_seeds(seed)
            self.streams.append((make_stream or LineStream)(data_seed, self.template.config.batch_size, self.device))
            self.generators.append(torch.Generator(device=self.device).manual_seed(noise_seed))
        self.step_count = 0

        def run_losses(params: dict[str, torch.Tensor], buffers: dict[str, torch.Tensor], x: torch.Tensor,
                       noise: dict[str, torch.Tensor]) -> dict[str, torch.Tensor]:
            return functional_call(self.template, (params, buffers), (x, noise))

        self._losses = vmap(run_losses)

    @property
    def k(self) -> int:
        return len(self.seeds)

    def step(self) -> dict[str, torch.Tensor]:
        """One optimisation step of every run; returns each output as a (k, …) tensor."""
        outputs = self.compute(*self.draw())
        self.step_count += 1
        return outputs

    def draw(self) -> tuple[torch.Tensor, dict[str, torch.Tensor]]:
        """Every run's next batch and noise, from its own streams, stacked along the seed axis."""
        xs = [stream.next() for stream in self.streams]
        noises = [self.template.noise(x, g) for x, g in zip(xs, self.generators)]
        return torch.stack(xs), {key: torch.stack([n[key] for n in noises]) for key in noises[0]}

    def compute(self, x: torch.Tensor, noise: dict[str, torch.Tensor]) -> dict[str, torch.Tensor]:
        """Forward, backward, every optimiser step and the buffer updates of all runs (no host sync)."""
        self.template.train()
        with torch.autocast(self.device.type, dtype=torch.bfloat16, enabled=self.bf16):
            outputs = self._losses(self.params, self.buffers, x, noise)
        for opt in self.optimizers.values():
            opt.zero_grad(set_to_none=True)
        groups = list(self.optimizers)
        for i, g in enumerate(groups):
            # The runs are independent, so the gradient of the sum is each run's own gradient.
            outputs[g].sum().backward(inputs=[self.params[n] for n in self.group_names[g]], retain_graph=i < len(groups) - 1)
        for opt in self.optimizers.values():
            opt.step()
        with torch.no_grad():
            for i in range(self.k):
                self.template.update_buffers({k: v[i] for k, v in outputs.items()}, {n: b[i] for n, b in self.buffers.items()})
        return {k: v.detach() for k, v in outputs.items()}

    # ------------------------------------------------------------- one run's view
    def state_dict(self, i: int) -> dict[str, torch.Tensor]:
        """Run i's weights and buffers as a ``state_dict`` of the single model."""
        stacked = {**self.params, **self.buffers}
        return {name: stacked[name][i].detach().clone() for name in self.template.state_dict()}

    def scoring_model(self, i: int) -> ReferenceModel:
        """A model holding run i's current weights (one shared instance, reloaded per call)."""
        self.template.load_state_dict(self.state_dict(i))
        return self.template

    def run_state(self, i: int) -> dict[str, Any]:
        """Run i's checkpoint state, in the single-seed :meth:`Trainer.state` format."""
        return {
            "state_dict": self.state_dict(i),
            "optimizers": {g: _slice_adam_state(opt.state_dict(), i) for g, opt in self.optimizers.items()},
            "rng": {"torch": self.generators[i].get_state(), "data": self.streams[i].state()},
            "step": self.step_count,
        }

    def load_run_states(self, records: Sequence[dict[str, Any]], sources: Sequence[str]) -> None:
        """Resume every run from its checkpoint record; all must be at the same step."""
        steps = {int(r["step"]) for r in records}
        if len(steps) != 1:
            raise CheckpointError(f"the runs to batch are at different steps ({sorted(steps)}); batch only runs at the same step")
        single = self.template
        with torch.no_grad():
            for i, (record, source) in enumerate(zip(records, sources)):
                restore_weights(single, record, source)
                for name, tensor in single.state_dict().items():
                    (self.params if name in self.params else self.buffers)[name][i].copy_(tensor)
        try:
            for g, opt in self.optimizers.items():
                opt.load_state_dict(_stack_adam_states([r["optimizers"][g] for r in records], opt.state_dict(), self.device))
            for i, record in enumerate(records):
                self.generators[i].set_state(record["rng"]["torch"])
                self.streams[i].set_state(record["rng"]["data"])
        except (KeyError, ValueError, RuntimeError, TypeError) as exc:
            raise CheckpointError(f"checkpoints {', '.join(sources)} cannot resume batched training: {type(exc).__name__}: {exc}") from None
        self.step_count = steps.pop()


def _slice_adam_state(stacked: dict[str, Any], i: int) -> dict[str, Any]:
    """Run i's part of an Adam ``state_dict`` over stacked parameters: the single-seed optimiser's state."""
    state = {
        pid: {k: (v if k == "step" else v[i]).detach().clone() for k, v in s.items()}
        for pid, s in stacked["state"].items()
    }
    return {"state": state, "param_groups": [dict(g) for g in stacked["param_groups"]]}


def _stack_adam_states(states: Sequence[dict[str, Any]], template: dict[str, Any], device: torch.device) -> dict[str, Any]:
    """The inverse of :func:`_slice_adam_state` over all runs; their step counts must agree."""
    stacked: dict[int, dict[str, torch.Tensor]] = {}
    for pid in states[0]["state"]:
        per_run = [s["state"][pid] for s in states]
        entry = {}
        for key in per_run[0]:
            if key == "step":
                if len({float(s["step"]) for s in per_run}) != 1:
                    raise ValueError("the runs' Adam step counts differ")
                entry[key] = per_run[0]["step"].clone()
            else:
                entry[key] = torch.stack([s[key] for s in per_run]).to(device)
        stacked[pid] = entry
    return {"state": stacked, "param_groups": template["param_groups"]}

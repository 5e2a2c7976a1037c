"""One training engine for every reference model.

The engine knows nothing model-specific: a model supplies ``losses(x, generator)`` (one loss per
optimiser, see :class:`reference_models.base.ReferenceModel`), the engine streams fresh lines,
steps one Adam per parameter group, scores the model on the benchmark at a fixed cadence
(the evaluation trail), and checkpoints atomically so that a killed run resumes to the same
weights, bit for bit on CPU, as an uninterrupted one.
"""

from __future__ import annotations

import dataclasses
import json
import sys
import time
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import numpy as np
import torch
from tqdm.auto import tqdm

from interpbench.atomic import write_text_atomic
from interpbench.devices import check_device
from interpbench.errors import CheckpointError, OptionError
from interpbench.provenance import hardware_description

from ..base import ReferenceModel
from ..loading import restore_weights
from ..registry import build, canonical_name, make_config
from .checkpoint import read_checkpoint, save_checkpoint
from .interrupt import StopOnInterrupt, TrainingInterrupted
from .lock import RunLock
from .presets import IMAGES_PER_KIMG, PAPER_KIMG, budget_steps, get_preset, kimg_to_images
from .resume import resume_settings
from .stream import LineStream
from .trail import code_diagnostics, collapse_summary, evaluation_entry, evaluation_line, paper_figure

__all__ = ["Trainer", "TrainRun", "TrainingInterrupted", "train", "pick_device", "CHECKPOINT_NAME", "SUMMARY_NAME"]

CHECKPOINT_NAME = "checkpoint.pt"
SUMMARY_NAME = "summary.json"


def pick_device(device: str | None = None) -> torch.device:
    """``device`` if given (checked: one sentence for a device this machine lacks), else CUDA when available, else CPU."""
    if device:
        return torch.device(check_device(device))
    return torch.device("cuda" if torch.cuda.is_available() else "cpu")


def _derived_seeds(seed: int) -> tuple[np.random.SeedSequence, int]:
    """Independent streams from one run seed: the data stream and the torch training generator.

    (Weights are initialised from ``seed`` itself, in :func:`reference_models.build`.)
    """
    data, noise = np.random.SeedSequence(int(seed)).spawn(2)
    return data, int(noise.generate_state(1, np.uint64)[0] >> np.uint64(1))


class Trainer:
    """Optimisers, RNG and the training step of one model on one device.

    ``step`` is what the throughput benchmark times; it returns the step's losses as tensors
    (not floats) so the host never waits for the device between steps.
    """

    def __init__(self, model: ReferenceModel, seed: int, device: torch.device | str = "cpu",
                 channels_last: bool = False, bf16: bool = False) -> None:
        self.device = torch.device(device)
        # bf16 autocast: opt-in, since it changes the numerics the paper's numbers were made with.
        # On this project's AVX512-BF16 CPU it measured ~1.2-1.3× faster for the baseline step.
        self.bf16 = bf16
        self.model = model.to(self.device)
        self.channels_last = channels_last
        if channels_last:
            self.model.to(memory_format=torch.channels_last)
        data_seed, noise_seed = _derived_seeds(seed)
        self.stream = LineStream(data_seed, model.config.batch_size, self.device)
        self.generator = torch.Generator(device=self.device).manual_seed(noise_seed)
        self.groups = model.param_groups()
        lrs = model.group_lr()
        # Fused Adam is one kernel per step on CUDA; on CPU the default (foreach) is as fast.
        fused = True if self.device.type == "cuda" else None
        self.optimizers = {
            name: torch.optim.Adam(params, lr=lrs.get(name, model.config.lr), fused=fused)
            for name, params in self.groups.items()
        }
        self.step_count = 0

    def batch(self) -> torch.Tensor:
        x = self.stream.next()
        return x.contiguous(memory_format=torch.channels_last) if self.channels_last else x

    def step(self, x: torch.Tensor | None = None) -> dict[str, torch.Tensor]:
        """One optimisation step of every optimiser on batch ``x`` (default: the next streamed batch)."""
        if x is None:
            x = self.batch()
        self.model.train()
        with torch.autocast(self.device.type, dtype=torch.bfloat16, enabled=self.bf16):
            losses = self.model.losses(x, self.generator)
        for opt in self.optimizers.values():
            opt.zero_grad(set_to_none=True)
        names = list(self.optimizers)
        for i, name in enumerate(names):
            # Each loss only reaches its own group's .grad: the critic's loss never moves the AE.
            losses[name].backward(inputs=self.groups[name], retain_graph=i < len(names) - 1)
        for opt in self.optimizers.values():
            opt.step()
        self.model.on_step_end()
        self.step_count += 1
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


@dataclass
class TrainRun:
    """What :func:`train` returns (and writes to ``summary.json``)."""

    model: str
    preset: str
    kimg: float
    seed: int
    steps: int
    checkpoint: str
    trail: list[dict[str, Any]] = field(default_factory=list)
    wall_seconds: float = 0.0
    samples_per_second: float = 0.0
    config: dict[str, Any] = field(default_factory=dict)
    device: str = "cpu"
    hardware: str = ""

    @property
    def final(self) -> dict[str, Any] | None:
        return self.trail[-1] if self.trail else None

    @property
    def paper_figure(self) -> dict[str, Any]:
        return paper_figure(self.trail)

    @property
    def is_paper_budget(self) -> bool:
        return self.preset == "paper" and self.kimg >= PAPER_KIMG

    @property
    def collapse(self) -> dict[str, Any]:
        return collapse_summary(self.trail)

    def to_dict(self) -> dict[str, Any]:
        return {**dataclasses.asdict(self), "final": self.final, "median_last_20": self.paper_figure,
                "collapse": self.collapse, "paper_budget": self.is_paper_budget}


def train(
    name: str,
    out: str | Path,
    *,
    preset: str | None = None,
    kimg: float | None = None,
    seed: int = 0,
    device: str | None = None,
    resume: bool = False,
    eval_every_kimg: float | None = None,
    eval_pairs: int | None = None,
    eval_seed: int = 0,
    checkpoint_every_kimg: float | None = None,
    config: dict[str, Any] | None = None,
    progress: bool | None = None,
    on_step: Callable[[int], None] | None = None,
    bf16: bool = False,
    channels_last: bool | None = None,
) -> TrainRun:
    """Train reference model ``name`` into directory ``out`` and return its run record.

    The budget is ``kimg`` × 1,024 images (default: the preset's; ``preset`` defaults to quick).
    Every ``eval_every_kimg`` the model is scored with ``eval_pairs`` interpolations on protocol
    seed ``eval_seed + i`` for the i-th evaluation (a fresh endpoint draw each time, as the paper
    did) and a checkpoint is written. ``resume`` continues from ``out/checkpoint.pt`` if there is
    one, with that run's own preset, config, seed, budget and evaluation settings: any of them
    left out is taken from the checkpoint, any given must match it (only ``kimg`` may differ, to
    extend the budget). ``on_step(step)`` is called after every step (tests use it to simulate a
    kill). ``bf16`` trains under bf16 autocast (faster on CPUs with AVX512-BF16 and on GPUs;
    recorded in the checkpoint). ``channels_last`` (default: on, or what a resumed run used) keeps
    activations NHWC: same fp32 arithmetic, ~1.15-1.35× faster steps on CPU (measured), recorded
    in the checkpoint.

    Only one training runs in ``out`` at a time (:class:`~.lock.RunLock`): a second one is
    refused with the first one's PID. Ctrl-C stops at the next step boundary, checkpoints that
    step (atomically) and raises :class:`~.interrupt.TrainingInterrupted`.
    """
    key = canonical_name(name)
    if preset is not None:
        get_preset(preset)
    make_config(key, **(config or {}))  # bad --set values are refused before the run directory is touched
    dev = pick_device(device)
    out = Path(out)
    with RunLock(out) as lock:
        if lock.stale_owner is not None:
            print(f"note: PID {lock.stale_owner.get('pid')} ended without releasing its lock on {str(out)!r} "
                  "(killed?); this training takes it over", file=sys.stderr)
        return _train_locked(
            key, out, dev, preset=preset, kimg=kimg, seed=seed, resume=resume, eval_every_kimg=eval_every_kimg,
            eval_pairs=eval_pairs, eval_seed=eval_seed, checkpoint_every_kimg=checkpoint_every_kimg, config=config,
            progress=progress, on_step=on_step, bf16=bf16, channels_last=channels_last,
        )


def _train_locked(
    key: str, out: Path, dev: torch.device, *, preset: str | None, kimg: float | None, seed: int, resume: bool,
    eval_every_kimg: float | None, eval_pairs: int | None, eval_seed: int, checkpoint_every_kimg: float | None,
    config: dict[str, Any] | None, progress: bool | None, on_step: Callable[[int], None] | None, bf16: bool,
    channels_last: bool | None,
) -> TrainRun:
    """:func:`train` once the run directory's lock is held."""
    import interpbench

    ckpt_path = out / CHECKPOINT_NAME
    record = None
    prior_seconds = 0.0  # training time spent in earlier (killed or finished) invocations of this run
    if ckpt_path.exists():
        if not resume:
            raise OptionError(f"{str(out)!r} already holds a checkpoint; pass --resume to continue it or choose another --out")
        record = read_checkpoint(ckpt_path, expected_model=key)
        settings = resume_settings(record, ckpt_path, seed=seed, preset=preset, kimg=kimg, eval_every_kimg=eval_every_kimg,
                                   eval_pairs=eval_pairs, eval_seed=eval_seed, config=config, bf16=bf16)
        preset, kimg, eval_every_kimg, eval_pairs = settings.preset, settings.kimg, settings.eval_every_kimg, settings.eval_pairs
        model_config = settings.config
        prior_seconds = float(record.get("train_seconds", 0.0))
        if channels_last is None:  # a resumed run keeps its memory format, so it stays bit-exact
            channels_last = bool(record.get("channels_last", False))
    preset = preset or "quick"
    p = get_preset(preset)
    kimg = float(p.kimg if kimg is None else kimg)
    eval_every = float(p.eval_every_kimg if eval_every_kimg is None else eval_every_kimg)
    # Every evaluation checkpoints too; between them, at most the preset's cadence of work is lost to a kill.
    # (A resumed run's evaluation cadence comes from its checkpoint, so this must not depend on who gave it.)
    ckpt_every = float(checkpoint_every_kimg or min(eval_every, p.checkpoint_every_kimg))
    pairs = int(p.eval_pairs if eval_pairs is None else eval_pairs)
    if kimg <= 0 or eval_every <= 0 or ckpt_every <= 0:
        raise OptionError("kimg, eval_every_kimg and checkpoint_every_kimg must be positive")
    if record is None:
        model_config = {**p.config_for(key), **(config or {})}

    model = build(key, seed=seed, **model_config)
    model_config = dataclasses.asdict(model.config)
    channels_last = True if channels_last is None else bool(channels_last)
    hardware = hardware_description(str(dev))
    trainer = Trainer(model, seed=seed, device=dev, bf16=bf16, channels_last=channels_last)
    trail: list[dict[str, Any]] = []
    if record is not None:
        trainer.load_state(record, str(ckpt_path))
        trail = list(record.get("trail", []))

    batch = model.config.batch_size
    total_steps = budget_steps(kimg, batch)
    eval_steps = max(1, round(kimg_to_images(eval_every) / batch))
    ckpt_steps = max(1, round(kimg_to_images(ckpt_every) / batch))

    def evaluate() -> None:
        seed_i = eval_seed + len(trail)
        result = interpbench.score(model, seeds=[seed_i], pairs=pairs, keep_images=False, batch_size=256)
        trail.append(evaluation_entry(trainer.step_count * batch / IMAGES_PER_KIMG, trainer.step_count, seed_i, result,
                                      code_diagnostics(model, seed_i, pairs)))

    def checkpoint() -> None:
        save_checkpoint(ckpt_path, {
            **trainer.state(),
            "model": key, "config": model_config, "preset": preset, "seed": int(seed),
            "kimg_target": kimg, "kimg_done": trainer.step_count * batch / IMAGES_PER_KIMG, "trail": trail,
            "eval": {"every_kimg": eval_every, "pairs": pairs, "seed": eval_seed}, "bf16": bool(bf16), "channels_last": channels_last,
            "train_seconds": prior_seconds + time.perf_counter() - started, "hardware": hardware,
        })

    start_step = trainer.step_count
    started = time.perf_counter()
    bar = tqdm(total=total_steps * batch, initial=min(start_step, total_steps) * batch, desc=f"train {key}",
               unit="img", unit_scale=True, disable=None if progress is None else not progress, smoothing=0.1)
    with bar, StopOnInterrupt() as stop:
        while trainer.step_count < total_steps:
            losses = trainer.step()
            s = trainer.step_count
            bar.update(batch)
            if s % 25 == 0 or s == total_steps:
                bar.set_postfix({k: f"{float(losses[k]):.4g}" for k in model.log_keys})
            due_eval = s % eval_steps == 0 or s == total_steps
            if due_eval:
                evaluate()
                last = trail[-1]
                bar.write(f"[{key}] {evaluation_line(last)}")
            saved = due_eval or s % ckpt_steps == 0
            if saved:
                checkpoint()
            if on_step is not None:
                on_step(s)
            if stop.requested and s < total_steps:
                if not saved:
                    checkpoint()
                raise TrainingInterrupted(str(ckpt_path), s, s * batch / IMAGES_PER_KIMG)
        if record is not None and start_step >= total_steps and (not trail or trail[-1]["step"] != start_step):
            evaluate()  # resumed a finished run with a budget it already met: make sure a final score exists
            checkpoint()
    # Wall time over every invocation of the run (evaluations included), as the checkpoint recorded it.
    wall = prior_seconds + time.perf_counter() - started
    run = TrainRun(model=key, preset=preset, kimg=kimg, seed=int(seed), steps=trainer.step_count,
                   checkpoint=str(ckpt_path), trail=trail, wall_seconds=wall,
                   samples_per_second=trainer.step_count * batch / wall if wall > 0 else 0.0, config=model_config,
                   device=str(dev), hardware=hardware)
    write_text_atomic(out / SUMMARY_NAME, json.dumps(run.to_dict(), indent=1) + "\n")
    return run

"""One training's settings, resolved once by :func:`~reference_models.training.engine.train`.

:func:`train` takes its arguments, the preset and (on ``resume``) the checkpoint, settles every
value once, and passes one frozen :class:`TrainSettings` down the pipeline (``_train_runs`` →
``_train_group`` → the checkpoint and summary writers). Nothing below ``train`` looks at a
preset default or a checkpoint setting again.

Adding a setting that a run records and must keep when resumed (a data set name, say) is one
field here, declared with :func:`recorded`: the checkpoint stores it under its name, a resume
takes it from the checkpoint when the caller leaves it out and refuses a different value
(:func:`resolve_recorded`), and a checkpoint from before the field existed counts as its
``legacy`` value.
"""

from __future__ import annotations

import dataclasses
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import torch

from interpbench.errors import CheckpointError, OptionError

from .presets import budget_steps, kimg_to_images

__all__ = ["TrainSettings", "recorded", "recorded_fields", "resolve_recorded", "DEFAULT_TF32"]

# The paper trained in fp32. cuDNN convolutions default to TF32 on Ampere and later GPUs (about
# 10 mantissa bits), which changes the numerics; the GPU path's speed is bound by kernel launches
# at 32×32, so TF32 is expected to buy little (unmeasured: tools/device/gpu_check.py times both).
# Off by default, and recorded in every checkpoint. It has no effect on a CPU.
DEFAULT_TF32 = False


def recorded(default: Any, *, legacy: Any = None, hint: str = "") -> Any:
    """A :class:`TrainSettings` field that the checkpoint records and a resume must keep.

    ``legacy`` is the value a checkpoint written before the field existed stands for (default:
    ``default``); ``hint`` ends the refusal message of a resume that gives another value.
    """
    return field(default=default, metadata={"recorded": True, "legacy": default if legacy is None else legacy, "hint": hint})


@dataclass(frozen=True)
class TrainSettings:
    """Everything one training needs, resolved: budget, cadence, model config, device and numerics.

    ``config`` is the full model config (every field, as ``dataclasses.asdict`` gives it).
    ``channels_last`` may stay ``None``: a resumed single run then keeps its own memory format,
    which only its run's checkpoint knows. The callbacks are not settings of the run (they
    are not recorded) but travel with it so the loop gets one object.
    """

    model: str
    preset: str
    kimg: float
    eval_every_kimg: float
    eval_pairs: int
    eval_seed: int
    checkpoint_every_kimg: float
    config: Mapping[str, Any]
    device: torch.device
    hardware: str = ""
    bf16: bool = False
    channels_last: bool | None = None
    cuda_graph: bool = False
    batched: bool = False  # trained as ``seeds=[…]``: one record per seed, each in its own directory
    tf32: bool = recorded(DEFAULT_TF32, legacy=False,
                          hint="resume it with the same --tf32 setting: the numerics must not change mid-run")
    # One checkpoint when the run stops (budget met, ``should_stop``, Ctrl-C), without optimiser and
    # RNG state: for a machine that will not be there to resume on (``reproduce --pack``). It
    # saves a full checkpoint per evaluation (~19 MB per ACAI run, ~62 MB per VQ-VAE run).
    slim_final_checkpoint: bool = False
    dataset: str = recorded("lines", legacy="lines",
                            hint="resume it on the data set it was trained on (leave --dataset out)")
    # The benchmark suite (interpbench.suites) whose images the stream draws and the trail scores on.
    # Runs from before suites existed trained and were scored on lines.
    suite: str = recorded("lines", legacy="lines",
                          hint="resume it on the suite it was trained on (leave --suite out)")
    # The loaded training part of ``dataset`` (None: the line stream), and the directory it was read from.
    data: Any = field(default=None, compare=False)
    data_dir: str | None = field(default=None, compare=False)
    progress: bool | None = field(default=None, compare=False)
    on_step: Callable[[int], None] | None = field(default=None, compare=False)
    should_stop: Callable[[int], bool] | None = field(default=None, compare=False)

    def __post_init__(self) -> None:
        if self.kimg <= 0 or self.eval_every_kimg <= 0 or self.checkpoint_every_kimg <= 0:
            raise OptionError("kimg, eval_every_kimg and checkpoint_every_kimg must be positive")

    # ------------------------------------------------------------- the schedule, in steps of the batch
    @property
    def batch_size(self) -> int:
        return int(self.config["batch_size"])

    @property
    def total_steps(self) -> int:
        return budget_steps(self.kimg, self.batch_size)

    @property
    def eval_steps(self) -> int:
        return max(1, round(kimg_to_images(self.eval_every_kimg) / self.batch_size))

    @property
    def checkpoint_steps(self) -> int:
        return max(1, round(kimg_to_images(self.checkpoint_every_kimg) / self.batch_size))

    def recorded_values(self) -> dict[str, Any]:
        """The :func:`recorded` fields, for the checkpoint (each under its own name)."""
        return {f.name: getattr(self, f.name) for f in recorded_fields()}

    def replace(self, **changes: Any) -> "TrainSettings":
        return dataclasses.replace(self, **changes)


def recorded_fields() -> list[dataclasses.Field]:  # type: ignore[type-arg]
    return [f for f in dataclasses.fields(TrainSettings) if f.metadata.get("recorded")]


def resolve_recorded(records: list[tuple[dict[str, Any], Path]], given: Mapping[str, Any]) -> dict[str, Any]:
    """The :func:`recorded` fields' values: ``given`` ones (``None`` = left out), else the resumed runs' own.

    ``records`` are the resumed runs' checkpoint records (with their paths); a given value that
    differs from a record's, or records that differ among themselves, raise :class:`CheckpointError`.
    """
    values: dict[str, Any] = {}
    for f in recorded_fields():
        wanted = given.get(f.name)
        found = {repr(r.get(f.name, f.metadata["legacy"])): (r.get(f.name, f.metadata["legacy"]), p) for r, p in records}
        if len(found) > 1:
            raise CheckpointError(f"the runs to resume were trained with different {f.name} ({', '.join(sorted(found))}) "
                                  "and cannot be trained together")
        if found:
            value, path = next(iter(found.values()))
            if wanted is not None and wanted != value:
                raise CheckpointError(f"checkpoint {str(path)!r} was trained with {f.name} {value!r}, not {wanted!r}; {f.metadata['hint']}")
            values[f.name] = value
        else:
            values[f.name] = f.default if wanted is None else wanted
    return values

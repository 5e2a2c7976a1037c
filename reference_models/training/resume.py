"""What a resumed run continues with: its checkpoint's own settings, never silently different ones.

A resume that changed the preset, the model config, the seed or the evaluation settings would
produce a run that is neither the old one nor a new one: a "cpu" label on quick-preset weights,
a trail that mixes 64- and 256-pair evaluations. So every setting the caller leaves out is taken
from the checkpoint, and every one given must equal the checkpoint's or the resume is refused.
Only the budget may grow (``kimg``): that is what continuing a run is for.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any, NamedTuple

from interpbench.errors import CheckpointError

__all__ = ["ResumeSettings", "resume_settings"]


class ResumeSettings(NamedTuple):
    preset: str
    kimg: float
    eval_every_kimg: float
    eval_pairs: int
    config: dict[str, Any]


def _refuse(path: Path, what: str, recorded: Any, given: Any, hint: str) -> CheckpointError:
    return CheckpointError(f"checkpoint {str(path)!r} was trained with {what} {recorded!r}, not {given!r}; {hint}")


def resume_settings(
    record: dict[str, Any], path: Path, *, seed: int, preset: str | None, kimg: float | None,
    eval_every_kimg: float | None, eval_pairs: int | None, eval_seed: int, config: dict[str, Any] | None, bf16: bool,
) -> ResumeSettings:
    """The settings to resume ``record`` (read from ``path``) with; a :class:`CheckpointError` on any mismatch."""
    if int(record["seed"]) != int(seed):
        raise _refuse(path, "seed", record["seed"], seed, f"resume it with --seed {record['seed']}")
    recorded_preset = record.get("preset") or "quick"
    if preset is not None and preset != recorded_preset:
        raise _refuse(path, "preset", recorded_preset, preset, f"resume it with --preset {recorded_preset} or leave --preset out")
    recorded_config = dict(record["config"])
    for key, value in (config or {}).items():
        if recorded_config.get(key) != value:
            raise _refuse(path, f"config {key}", recorded_config.get(key), value, "leave --set out to keep the run's config")
    evaluation = record.get("eval") or {}
    every = evaluation.get("every_kimg", eval_every_kimg)
    pairs = evaluation.get("pairs", eval_pairs)
    if eval_every_kimg is not None and every is not None and float(eval_every_kimg) != float(every):
        raise _refuse(path, "eval_every_kimg", every, eval_every_kimg, "leave --eval-every out to keep the run's cadence")
    if eval_pairs is not None and pairs is not None and int(eval_pairs) != int(pairs):
        raise _refuse(path, "eval_pairs", pairs, eval_pairs, "leave --eval-pairs out: one trail must not mix protocols")
    if int(evaluation.get("seed", eval_seed)) != int(eval_seed):
        raise _refuse(path, "eval_seed", evaluation.get("seed"), eval_seed, "resume it with the run's evaluation seed")
    if bool(record.get("bf16", False)) != bool(bf16):
        flag = "with --bf16" if record.get("bf16") else "without --bf16"
        raise _refuse(path, "bf16", bool(record.get("bf16")), bool(bf16), f"resume it {flag}: the numerics must not change mid-run")
    target = record.get("kimg_target")
    return ResumeSettings(
        preset=recorded_preset,
        kimg=float(kimg if kimg is not None else target if target is not None else record["kimg_done"]),
        eval_every_kimg=float(every) if every is not None else None,  # type: ignore[arg-type]
        eval_pairs=int(pairs) if pairs is not None else None,  # type: ignore[arg-type]
        config=recorded_config,
    )

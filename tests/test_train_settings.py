"""The engine's one resolved settings object: recorded fields are checkpointed and kept on resume."""

from __future__ import annotations

import dataclasses
from pathlib import Path

import pytest
import torch

import reference_models as rm
from interpbench.errors import CheckpointError, OptionError
from reference_models.training.settings import DEFAULT_TF32, TrainSettings, recorded_fields, resolve_recorded

SMALL = {"depth": 4, "batch_size": 8}
TINY = dict(kimg=0.015625, eval_every_kimg=0.015625, eval_pairs=2, progress=False, config=SMALL)


def test_settings_are_frozen_and_derive_the_schedule() -> None:
    s = TrainSettings(model="baseline", preset="quick", kimg=1.0, eval_every_kimg=0.25, eval_pairs=4, eval_seed=0,
                      checkpoint_every_kimg=0.125, config={"batch_size": 64}, device=torch.device("cpu"))
    assert (s.total_steps, s.eval_steps, s.checkpoint_steps) == (16, 4, 2)
    with pytest.raises(dataclasses.FrozenInstanceError):
        s.kimg = 2.0  # type: ignore[misc]
    assert s.recorded_values() == {"tf32": DEFAULT_TF32, "dataset": "lines", "suite": "lines"}
    with pytest.raises(OptionError):
        s.replace(kimg=0)


def test_tf32_is_recorded_and_a_resume_must_keep_it(tmp_path: Path) -> None:
    rm.train("baseline", tmp_path, tf32=True, **TINY)
    record = torch.load(tmp_path / "checkpoint.pt", weights_only=True)
    assert record["tf32"] is True
    with pytest.raises(CheckpointError, match="tf32 True, not False"):
        rm.train("baseline", tmp_path, resume=True, tf32=False, **{**TINY, "kimg": 0.03125})
    again = rm.train("baseline", tmp_path, resume=True, **{**TINY, "kimg": 0.03125})  # left out: the run's own
    assert again.settings == {"tf32": True, "dataset": "lines", "suite": "lines"}
    assert torch.load(tmp_path / "checkpoint.pt", weights_only=True)["tf32"] is True


def test_a_checkpoint_from_before_a_recorded_field_stands_for_its_legacy_value(tmp_path: Path) -> None:
    field = next(f for f in recorded_fields() if f.name == "tf32")
    assert resolve_recorded([({}, tmp_path)], {"tf32": None})["tf32"] == field.metadata["legacy"]
    assert resolve_recorded([], {"tf32": None})["tf32"] == DEFAULT_TF32
    assert resolve_recorded([({}, tmp_path)], {})["dataset"] == "lines"  # checkpoints from before data sets
    with pytest.raises(CheckpointError, match="different tf32"):
        resolve_recorded([({"tf32": True}, tmp_path), ({"tf32": False}, tmp_path)], {"tf32": None})


def test_a_slim_final_checkpoint_is_written_once_scores_and_refuses_to_resume(tmp_path: Path) -> None:
    from reference_models.training import engine

    writes: list[str] = []
    original = engine.save_checkpoint

    def counting(path, payload):  # type: ignore[no-untyped-def]
        writes.append(str(path))
        original(path, payload)

    engine.save_checkpoint = counting  # type: ignore[assignment]
    try:
        run = rm.train("baseline", tmp_path, slim_final_checkpoint=True, **{**TINY, "kimg": 0.0625})
    finally:
        engine.save_checkpoint = original  # type: ignore[assignment]
    assert len(run.trail) == 4 and len(writes) == 1  # four evaluations, one checkpoint
    record = torch.load(tmp_path / "checkpoint.pt", weights_only=True)
    assert record["slim"] is True and "optimizers" not in record and "rng" not in record
    model, info = rm.load_trained("baseline", tmp_path / "checkpoint.pt")
    assert info["kimg"] == 0.0625
    with pytest.raises(CheckpointError, match="slim checkpoint"):
        rm.train("baseline", tmp_path, resume=True, **{**TINY, "kimg": 0.125})

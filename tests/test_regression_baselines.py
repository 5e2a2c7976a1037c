"""The built-in adapters still score exactly what leaderboard/baselines/ recorded.

Scoring is deterministic float64 work, so the recorded tolerances are tight: rtol 1e-9 with an
absolute floor of 1e-13 for Mean Distance (the oracle's ~1.5e-7 is a difference of nearly equal
float64 numbers, so summation-order changes between BLAS builds can move it by ~1e-16 absolute)
and 1e-12 for Smoothness. Any change in rendering, the bank or the metrics moves these numbers by
many orders of magnitude more, and the check is two-sided: a number that moves either way fails
until the baseline is deliberately re-recorded with

    interpbench check --adapter NAME --write-baseline --baseline leaderboard/baselines/NAME.json \
        --seeds 0-2 --rtol 1e-9 --atol 1e-13 --atol smoothness=1e-12 --atol n_undefined=0 --atol long_way_fraction=0
"""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from interpbench.check import assert_no_regression
from interpbench.spec import DEFAULT_PAIRS, DEFAULT_STEPS

BASELINES = Path(__file__).resolve().parent.parent / "leaderboard" / "baselines"
BUILTINS = ("oracle", "pixels")


@pytest.mark.parametrize("adapter", BUILTINS)
def test_builtin_adapter_reproduces_its_baseline(adapter: str) -> None:
    report = assert_no_regression(adapter, BASELINES / f"{adapter}.json", two_sided=True)
    assert {c.metric for c in report.checks} >= {"mean_distance", "smoothness", "n_undefined"}


@pytest.mark.parametrize("adapter", BUILTINS)
def test_baseline_uses_full_protocol_and_tight_tolerances(adapter: str) -> None:
    data = json.loads((BASELINES / f"{adapter}.json").read_text(encoding="utf-8"))
    assert data["protocol"]["pairs"] == DEFAULT_PAIRS and data["protocol"]["steps"] == DEFAULT_STEPS
    assert data["protocol"]["path"] == "lerp" and len(data["protocol"]["seeds"]) >= 3
    for metric in ("mean_distance", "smoothness"):
        assert data["tolerances"][metric]["rtol"] <= 1e-9
        assert data["tolerances"][metric]["atol"] <= 1e-12


def test_a_tiny_move_fails(tmp_path: Path) -> None:
    # The check must be able to fail: a baseline off by one part in 10⁷ is a moved number.
    data = json.loads((BASELINES / "pixels.json").read_text(encoding="utf-8"))
    data["metrics"]["mean_distance"]["mean"] *= 1 + 1e-7
    moved = tmp_path / "moved.json"
    moved.write_text(json.dumps(data), encoding="utf-8")
    with pytest.raises(AssertionError, match="better"):
        assert_no_regression("pixels", moved, two_sided=True)


REFERENCE_MODELS = sorted(p.stem for p in BASELINES.glob("*.json") if p.stem not in BUILTINS)


def test_every_bundled_model_has_a_baseline() -> None:
    from reference_models.registry import MODELS

    assert REFERENCE_MODELS == sorted(name for name, entry in MODELS.items() if entry.bundled)


@pytest.mark.parametrize("name", REFERENCE_MODELS)
def test_bundled_checkpoint_reproduces_its_baseline(name: str) -> None:
    """The bundled weights, scored on CPU, still give the recorded numbers (float32 networks:
    rtol 1e-5 for Mean Distance, 1e-3 for Smoothness; see leaderboard/publish_reference_models.sh)."""
    import reference_models

    model, info = reference_models.load_trained(name)
    data = json.loads((BASELINES / f"{name}.json").read_text(encoding="utf-8"))
    assert data["model"]["checkpoint_sha256"] == info["checkpoint_sha256"], "baseline recorded for other weights"
    assert_no_regression(model, BASELINES / f"{name}.json", two_sided=True)

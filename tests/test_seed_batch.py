"""Several seeds trained as one batched computation: the same weights as single-seed runs, own directories, resumable."""

from __future__ import annotations

import json
from pathlib import Path

import pytest
import torch
from click.testing import CliRunner

import reference_models as rm
from interpbench.cli import main
from reference_models.training.seed_batch import SeedBatchTrainer

SMALL = {"depth": 4, "batch_size": 8}
CONFIG = {name: {**SMALL, **({"codebook_size": 64} if name == "vqvae" else {})} for name in rm.MODELS}
STEPS = 5
# The batched and single-seed steps do the same arithmetic in a different order (vmap-ed kernels
# sum in other orders), so they differ only by rounding. In float32 Adam's normalisation
# m/(sqrt(v)+eps) turns the rounding of a near-zero gradient (|g| ~ n·2^-24·|g|max) into an
# update of up to ±lr, so a weight can differ by ~2·lr·STEPS: no bound below a real bug's size
# follows from float32. In float64 the same reassociation rounding is n·2^-53 ≤ 4096 × 1.1e-16
# ≈ 5e-13 of the gradient; a flip needs a gradient that small, so Adam amplifies it by at most
# |g|/eps per step. ROUNDING_BOUND leaves 2,000× headroom over 5 steps for that amplification,
# while a different seed, batch or gradient moves the weights by more than 1e-2 (checked below).
ROUNDING_BOUND = 1e-9


def _float64(trainer_streams: list) -> None:
    """Make each stream's float32 batches float64 (the renderer's images are exact in both)."""
    for stream in trainer_streams:
        draw = stream.next
        stream.next = lambda draw=draw: draw().double()


def _relative_difference(a: dict[str, torch.Tensor], b: dict[str, torch.Tensor]) -> float:
    """max |a − b| over every float weight and buffer, divided by the largest |b| (the issue's measure)."""
    floats = [k for k in b if b[k].is_floating_point()]
    return max(float((a[k] - b[k]).abs().max()) for k in floats) / max(float(b[k].abs().max()) for k in floats)


@pytest.mark.parametrize("name", list(rm.MODELS))
def test_batched_seeds_match_single_seed_runs(name: str) -> None:
    """Every model, adversarial ones and VQ-VAE's EMA included: each seed's weights after 5 steps
    equal to float64 rounding (see ROUNDING_BOUND)."""
    seeds = [0, 1, 2]
    batched = SeedBatchTrainer([rm.build(name, seed=s, **CONFIG[name]).double() for s in seeds], seeds)
    singles = [rm.Trainer(rm.build(name, seed=s, **CONFIG[name]).double(), seed=s) for s in seeds]
    _float64(batched.streams + [trainer.stream for trainer in singles])
    for _ in range(STEPS):
        batched.step()
        for trainer in singles:
            trainer.step()
    for i, trainer in enumerate(singles):
        assert _relative_difference(batched.state_dict(i), trainer.model.state_dict()) < ROUNDING_BOUND, (name, i)
    # The seeds really are different runs, not copies of one.
    assert _relative_difference(batched.state_dict(0), singles[1].model.state_dict()) > 1e-2


def test_cli_seeds_trains_each_run_into_its_own_directory_and_each_resumes_alone(tmp_path: Path) -> None:
    out = tmp_path / "runs"
    args = ["train", "dropout", "--seeds", "0-1", "--kimg", "0.015625", "--eval-every", "0.0078125", "--eval-pairs", "2",
            "--out", str(out), "--set", "depth=4", "--set", "batch_size=8"]
    res = CliRunner().invoke(main, args)
    assert res.exit_code == 0, res.output
    assert "seed 0" in res.output and "seed 1" in res.output
    for seed in (0, 1):
        summary = json.loads((out / f"seed-{seed}" / "summary.json").read_text())
        assert summary["seed"] == seed and summary["steps"] == 2 and summary["batched_seeds"] == 2
        assert len(summary["trail"]) == 2
    a = torch.load(out / "seed-0" / "checkpoint.pt", weights_only=True)
    b = torch.load(out / "seed-1" / "checkpoint.pt", weights_only=True)
    assert not torch.equal(a["state_dict"]["encoder.0.weight"], b["state_dict"]["encoder.0.weight"])
    # One seed's directory continues with the single-seed engine, and matches an uninterrupted single-seed run.
    longer = rm.train("dropout", out / "seed-1", seed=1, kimg=0.03125, eval_every_kimg=0.0078125, eval_pairs=2,
                      resume=True, progress=False)
    straight = rm.train("dropout", tmp_path / "straight", seed=1, kimg=0.03125, eval_every_kimg=0.0078125, eval_pairs=2,
                        progress=False, config=SMALL, channels_last=False)
    assert longer.steps == 4
    resumed_weights = torch.load(longer.checkpoint, weights_only=True)["state_dict"]
    straight_weights = torch.load(straight.checkpoint, weights_only=True)["state_dict"]
    assert _relative_difference(resumed_weights, straight_weights) < 1e-4


def test_batched_runs_at_different_steps_are_brought_to_the_budget(tmp_path: Path) -> None:
    kw = dict(eval_every_kimg=0.0078125, eval_pairs=2, progress=False, config=SMALL)
    rm.train("baseline", tmp_path, seeds=[0], kimg=0.015625, **kw)  # seed 0 done to 2 steps, seed 1 not started
    runs = rm.train("baseline", tmp_path, seeds=[0, 1], kimg=0.03125, resume=True, **kw)
    assert [r.steps for r in runs] == [4, 4] and all(r.finished for r in runs)
    assert [len(r.trail) for r in runs] == [4, 4]


def test_a_stopped_batched_training_is_checkpointed_and_continues_to_the_same_weights(tmp_path: Path) -> None:
    kw = dict(kimg=0.03125, eval_every_kimg=0.0078125, eval_pairs=2, progress=False, config=SMALL)
    stopped = rm.train("acai", tmp_path / "a", seeds=[0, 1], should_stop=lambda step: step >= 3, **kw)
    assert [(r.steps, r.finished) for r in stopped] == [(3, False), (3, False)]
    assert all(torch.load(r.checkpoint, weights_only=True)["step"] == 3 for r in stopped)
    finished = rm.train("acai", tmp_path / "a", seeds=[0, 1], resume=True, **kw)
    straight = rm.train("acai", tmp_path / "b", seeds=[0, 1], **kw)
    for f, s in zip(finished, straight):
        assert f.finished and f.steps == 4 and [e["kimg"] for e in f.trail] == [e["kimg"] for e in s.trail]
        a = torch.load(f.checkpoint, weights_only=True)["state_dict"]
        b = torch.load(s.checkpoint, weights_only=True)["state_dict"]
        assert all(torch.equal(a[k], b[k]) for k in b)  # stop and continue is bit-exact


@pytest.mark.parametrize("name", ["acai", "vqvae"])
@pytest.mark.parametrize("batched", [False, True])
def test_graph_step_plumbing_matches_the_plain_step(name: str, batched: bool) -> None:
    """The CUDA-graph wrapper's static buffers and step order, run eagerly on CPU: bit-identical to plain steps."""
    from reference_models.training.graph_step import GraphedStep

    def make(capturable: bool):  # type: ignore[no-untyped-def]
        if batched:
            return SeedBatchTrainer([rm.build(name, seed=s, **CONFIG[name]) for s in (0, 1)], [0, 1], capturable=capturable)
        return rm.Trainer(rm.build(name, seed=0, **CONFIG[name]), seed=0, capturable=capturable)

    plain, graphed = make(False), GraphedStep(make(False))  # capturable Adam exists on accelerators only
    assert not graphed.capture  # nothing to capture on a CPU
    for _ in range(4):
        a, b = plain.step(), graphed.step()
        assert torch.equal(a["ae"], b["ae"])
    assert graphed.step_count == plain.step_count == 4
    left = plain.state_dict(1) if batched else plain.model.state_dict()
    right = graphed.state_dict(1) if batched else graphed.model.state_dict()
    assert all(torch.equal(left[k], right[k]) for k in left)

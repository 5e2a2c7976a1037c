"""`interpbench reproduce` at a tiny budget: trains, stops, continues, scores, files, compares."""

from __future__ import annotations

import json
from pathlib import Path

import pytest
from click.testing import CliRunner

from interpbench.cli import main
from interpbench.leaderboard import load_entries


def test_reproduce_stops_continues_and_files_one_entry_per_model(tmp_path: Path) -> None:
    out, board = tmp_path / "paper", tmp_path / "lb"
    board.mkdir()  # interpbench never creates a leaderboard folder
    base = ["reproduce", "--out", str(out), "--models", "baseline,dropout", "--seeds", "0-1", "--preset", "quick",
            "--kimg", "0.015625", "--eval-every", "0.0078125", "--eval-pairs", "2", "--score-seeds", "0-1",
            "--restarts", "1", "--leaderboard", str(board), "--set", "depth=4", "--set", "batch_size=8", "--batched"]
    # A time limit already spent: nothing trains, nothing is filed, and it says how to continue.
    res = CliRunner().invoke(main, [*base, "--minutes", "1e-9"])
    assert res.exit_code == 0, res.output
    assert "not finished: baseline, dropout; continue with the same command" in res.output
    assert not (board / "results").exists()
    res = CliRunner().invoke(main, base)
    assert res.exit_code == 0, res.output
    assert "baseline: filed" in res.output and "dropout: filed" in res.output
    assert "Table 1" in res.output and "Baseline" in res.output
    entries = {e.name: e for e in load_entries(board)}
    assert set(entries) == {"baseline", "dropout"}
    for entry in entries.values():
        assert [r["train_seed"] for r in entry.data["runs"]] == [0, 1]
        assert entry.summary("mean_distance")["over"] == "training_seeds"
        assert entry.data["protocol"]["seeds"] == [0, 1]
        assert all("paper_figure" in r for r in entry.data["runs"])
        assert set(entry.data["probes"]) == {"lines/linear", "lines/kmeans"}
    for seed in (0, 1):
        assert json.loads((out / "baseline" / f"seed-{seed}" / "summary.json").read_text())["batched_seeds"] == 2
    # Again: nothing is retrained or filed twice.
    res = CliRunner().invoke(main, base)
    assert res.exit_code == 0, res.output
    assert "filed" not in res.output.replace("already filed", "") and len(load_entries(board)) == 2


def test_reproduce_continues_a_run_cut_off_mid_training(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    import reference_models.reproduce as module

    kw = dict(models=["baseline"], seeds=[0, 1], preset="quick", kimg=0.03125, eval_every_kimg=0.0078125,
              eval_pairs=2, score_seeds=[0], probe_restarts=1, leaderboard=_made(tmp_path / "lb"),
              config={"depth": 4, "batch_size": 8}, progress=False, echo=lambda line: None)
    real = module.train

    def cut_after_two_steps(*args, **kwargs):  # type: ignore[no-untyped-def]
        return real(*args, **{**kwargs, "should_stop": lambda step: step >= 2})  # a machine taken away mid-run

    monkeypatch.setattr(module, "train", cut_after_two_steps)
    first = module.reproduce(tmp_path / "out", **kw)
    assert first[0].status == "stopped" and [r.steps for r in first[0].runs] == [2, 2]
    monkeypatch.setattr(module, "train", real)
    second = module.reproduce(tmp_path / "out", **kw)
    assert second[0].status == "filed" and [r.steps for r in second[0].runs] == [4, 4]
    assert [len(r.trail) for r in second[0].runs] == [4, 4]
    assert [r.batched_seeds for r in second[0].runs] == [1, 1]  # one seed after another by default


def _made(folder):
    """A leaderboard folder made first: interpbench never creates one."""
    folder.mkdir(parents=True, exist_ok=True)
    return folder

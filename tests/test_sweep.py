"""interpbench sweep: grid files, and sweeps on one module-scoped local Ray instance (start-up is the cost)."""

from __future__ import annotations

import json
import subprocess
import os
import sys
from pathlib import Path

import numpy as np
import pytest
from click.testing import CliRunner

from interpbench.cli import main
from interpbench.errors import MissingDependencyError, OptionError
from reference_models import train
from reference_models.sweep import load_grid, parse_grid
from reference_models.sweep.builtin import resolve_grid
from reference_models.sweep.ray_runner import RayOptions, import_ray, run_sweep
from reference_models.sweep.results import CSV_NAME, SWEEP_NAME

MINIMAL = """preset = "quick"
kimg = 1
eval_every = 1
eval_pairs = 4
models = ["baseline", "dropout"]
seeds = [0, 1]
"""
# A smaller model and budget for the resume tests: 16 steps of 8 images.
TINY = {"preset": "quick", "kimg": 0.125, "eval_every": 0.0625, "eval_pairs": 2, "models": ["baseline"],
        "seeds": [0], "set": {"depth": 4, "batch_size": 8}}


# ---- grids (no Ray) -------------------------------------------------------------------------

def test_minimal_grid_is_four_runs_in_readable_directories(tmp_path: Path) -> None:
    (tmp_path / "grid.toml").write_text(MINIMAL)
    grid = load_grid(tmp_path / "grid.toml")
    assert [r.directory for r in grid.runs()] == ["baseline-s0", "baseline-s1", "dropout-s0", "dropout-s1"]
    assert (grid.preset, grid.kimg, grid.eval_every, grid.eval_pairs) == ("quick", 1.0, 1.0, 4)


def test_swept_lists_multiply_and_overrides_apply_per_model() -> None:
    grid = parse_grid({"models": ["acai", "baseline"], "seeds": [0, 1], "latent": [16, 64], "reg_lambda": [0.2, 0.5],
                       "set": {"depth": 4, "acai": {"lr": 5e-4}}})
    runs = grid.runs()
    # reg_lambda is ACAI's field only: ACAI sweeps 2 × 2 values, the baseline 2, each over 2 seeds.
    assert len(runs) == 2 * 2 * 2 + 2 * 2
    first = runs[0]
    assert first.directory == "acai-latent=16-reg_lambda=0.2-s0"
    assert first.config == {"depth": 4, "lr": 5e-4, "latent": 16, "reg_lambda": 0.2}
    assert {r.directory for r in runs if r.model == "baseline"} == {f"baseline-latent={v}-s{s}" for v in (16, 64) for s in (0, 1)}
    assert all("lr" not in r.config for r in runs if r.model == "baseline")


def test_builtin_paper_grid_is_seven_models_times_three_seeds() -> None:
    grid = resolve_grid("paper-table1")
    assert grid.preset == "paper" and len(grid.runs()) == 21 and len(grid.models) == 7


@pytest.mark.parametrize("data, words", [
    ({"models": ["resnet"], "seeds": [0]}, "unknown model 'resnet'"),
    ({"models": ["baseline"], "seeds": [0], "widht": [1, 2]}, "'widht' is neither a setting"),
    ({"models": ["baseline"], "seeds": [0], "set": {"widht": 3}}, "no model in ['baseline'] has a config field 'widht'"),
    ({"models": ["baseline"], "seeds": [0], "set": {"baseline": {"widht": 3}}}, "baseline has no config field widht"),
    ({"models": [], "seeds": [0]}, "models is an empty list"),
    ({"models": ["baseline"], "seeds": [0], "latent": []}, "latent is an empty list"),
    ({"models": ["baseline"], "seeds": ["0"]}, "seeds must be a non-empty list of distinct non-negative integers"),
    ({"models": "baseline", "seeds": [0]}, "models must be a non-empty list of model names"),
    ({"models": ["baseline"], "seeds": [0], "kimg": "1"}, "kimg must be a positive number"),
    ({"models": ["baseline"], "seeds": [0], "latent": 16}, "latent must be a list of values"),
    ({"models": ["baseline"], "seeds": [0], "latent": [16, "big"]}, "latent"),
    ({"models": ["baseline"], "seeds": [0], "preset": "huge"}, "unknown preset 'huge'"),
    ({"seeds": [0]}, "'models' is missing"),
])
def test_malformed_grid_is_one_sentence(data: dict, words: str) -> None:
    with pytest.raises(OptionError) as info:
        parse_grid(data)
    message = str(info.value)
    assert words in message and "\n" not in message


def test_malformed_grid_file_through_the_cli_is_one_line(tmp_path: Path) -> None:
    (tmp_path / "bad.toml").write_text('models = ["baseline"]\nseeds = [0]\nlatent = []\n')
    (tmp_path / "broken.toml").write_text('models = ["baseline"\n')
    for name, words in (("bad.toml", "latent is an empty list"), ("broken.toml", "is not valid TOML"), ("none.toml", "does not exist")):
        result = CliRunner().invoke(main, ["sweep", str(tmp_path / name), "--out", str(tmp_path / "out")])
        assert result.exit_code == 1, result.output
        assert words in result.output and result.output.startswith("Error: grid") and result.output.count("\n") == 1
    assert not (tmp_path / "out").exists()


def test_without_ray_the_sweep_says_how_to_install_it(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setitem(sys.modules, "ray", None)
    with pytest.raises(MissingDependencyError, match=r'pip install -e "\.\[sweep\]"'):
        import_ray()


# ---- sweeps on one local Ray instance -------------------------------------------------------

@pytest.fixture(scope="module")
def ray_local():
    ray = pytest.importorskip("ray")
    os.environ.setdefault("RAY_AUTH_MODE", "disabled")
    ray.init(address="local", num_cpus=2, include_dashboard=False, log_to_driver=False)
    yield ray
    ray.shutdown()


@pytest.fixture(scope="module")
def minimal_sweep(ray_local, tmp_path_factory):
    root = tmp_path_factory.mktemp("sweep")
    (root / "grid.toml").write_text(MINIMAL)
    result = CliRunner().invoke(main, ["sweep", str(root / "grid.toml"), "--out", str(root / "out")])
    return root, result


def test_minimal_grid_sweeps_on_local_ray(minimal_sweep) -> None:
    import pandas as pd

    root, result = minimal_sweep
    assert result.exit_code == 0, result.output
    assert "[4 done, 0 running, 0 pending]" in result.output
    record = json.loads((root / "out" / SWEEP_NAME).read_text())
    assert record["engine"]["name"] == "ray" and record["engine"]["version"] == __import__("ray").__version__
    assert record["engine"]["cluster_resources"]["CPU"] == 2
    assert [r["status"] for r in record["runs"]] == ["finished"] * 4
    for run in record["runs"]:
        summary = json.loads((Path(run["out"]) / "summary.json").read_text())
        assert summary["finished"] and summary["steps"] == 16 and summary["kimg"] == 1
        assert run["scores"]["final_mean_distance"] == summary["final"]["mean_distance"]
    table = pd.read_csv(root / "out" / CSV_NAME)
    assert list(table["run"]) == ["baseline-s0", "baseline-s1", "dropout-s0", "dropout-s1"]
    assert table["final_mean_distance"].notna().all() and (table["steps"] == 16).all()
    # the report: one row per configuration, with the seeds' spread and collapsed runs marked
    lines = result.output.splitlines()
    rows = {line.split()[0]: line for line in lines if line.startswith(("baseline ", "dropout "))}
    assert set(rows) == {"baseline", "dropout"} and all("2/2" in r and "±" in r for r in rows.values())
    for name, group in table.groupby("configuration"):
        marked = "collapsed ⚠" in rows[name]
        assert marked == bool(group["collapsed"].any())


def test_rerun_retrains_nothing_and_report_reads_back(minimal_sweep) -> None:
    root, _ = minimal_sweep
    checkpoints = sorted((root / "out").glob("*/checkpoint.pt"))
    assert len(checkpoints) == 4
    before = {p: p.stat().st_mtime_ns for p in checkpoints}
    again = CliRunner().invoke(main, ["sweep", str(root / "grid.toml"), "--out", str(root / "out")])
    assert again.exit_code == 0, again.output
    assert again.output.count("already finished") == 4 and ": finished" not in again.output
    assert {p: p.stat().st_mtime_ns for p in checkpoints} == before
    report = CliRunner().invoke(main, ["sweep", str(root / "grid.toml"), "--out", str(root / "out"), "--report"])
    assert report.exit_code == 0 and "baseline" in report.output and "dropout" in report.output


def test_run_cut_off_mid_training_is_continued_and_new_runs_added(ray_local, tmp_path: Path) -> None:
    grid = parse_grid(TINY)
    (run,) = grid.runs()
    # A sweep cut off after 5 of 16 steps leaves a checkpointed, unfinished run directory.
    cut = train(run.model, tmp_path / run.directory, seed=run.seed, preset=grid.preset, kimg=grid.kimg,
                eval_every_kimg=grid.eval_every, eval_pairs=grid.eval_pairs, config=run.config, progress=False,
                should_stop=lambda step: step >= 5)
    assert not cut.finished and cut.steps == 5
    trail_before = json.loads((tmp_path / run.directory / "summary.json").read_text())["trail"]
    record = run_sweep(grid, tmp_path, RayOptions())
    (done,) = record["runs"]
    assert done["status"] == "finished" and done["summary"]["steps"] == 16
    # resumed, not restarted: the trail before the cut is kept as it was
    assert done["summary"]["trail"][: len(trail_before)] == trail_before
    # a grid with one more seed trains only the new run
    bigger = parse_grid({**TINY, "seeds": [0, 1]})
    record = run_sweep(bigger, tmp_path, RayOptions())
    assert [r["status"] for r in record["runs"]] == ["already finished", "finished"]


def test_run_directory_trained_with_another_config_is_refused(ray_local, tmp_path: Path) -> None:
    grid = parse_grid(TINY)
    (run,) = grid.runs()
    out = tmp_path / "out"
    # latent is not named in the grid: the run directory holds a run trained with another value of it
    train(run.model, out / run.directory, seed=run.seed, preset=grid.preset, kimg=grid.kimg,
          eval_every_kimg=grid.eval_every, eval_pairs=grid.eval_pairs, config={**run.config, "latent": 8}, progress=False,
          should_stop=lambda step: step >= 2)
    (tmp_path / "grid.toml").write_text('preset = "quick"\nkimg = 0.125\neval_every = 0.0625\neval_pairs = 2\n'
                                        'models = ["baseline"]\nseeds = [0]\n[set]\ndepth = 4\nbatch_size = 8\n')
    result = CliRunner().invoke(main, ["sweep", str(tmp_path / "grid.toml"), "--out", str(out)])
    assert result.exit_code == 1 and "1 of 1 runs did not finish (baseline-s0)" in result.output
    (refused,) = json.loads((out / SWEEP_NAME).read_text())["runs"]
    assert refused["status"] == "refused" and "config latent" in refused["error"] and "\n" not in refused["error"]
    assert json.loads((out / run.directory / "summary.json").read_text())["steps"] == 2  # not trained on


def test_task_whose_worker_dies_is_retried_and_resumes_from_its_checkpoint(ray_local, tmp_path: Path) -> None:
    from reference_models.sweep.task import train_run

    marker, resumed_at = tmp_path / "died", tmp_path / "resumed-at"

    def dies_once(spec: dict, threads: int | None) -> dict:
        import os as _os

        import torch as _torch

        from reference_models import train as _train

        if not marker.exists():  # first attempt: the worker process dies at step 10 (checkpointed at 8)
            marker.write_text("1")
            _train(spec["model"], spec["out"], seed=spec["seed"], preset=spec["preset"], kimg=spec["kimg"], resume=True,
                   eval_every_kimg=spec["eval_every"], eval_pairs=spec["eval_pairs"], config=spec["config"], progress=False,
                   on_step=lambda step: _os._exit(1) if step >= 10 else None)
        ckpt = Path(spec["out"]) / "checkpoint.pt"
        resumed_at.write_text(str(_torch.load(ckpt, weights_only=False)["step"]))
        return train_run(spec, threads)

    record = run_sweep(parse_grid(TINY), tmp_path / "out", RayOptions(max_retries=2), task=dies_once)
    (run,) = record["runs"]
    assert marker.exists() and int(resumed_at.read_text()) == 8
    assert run["status"] == "finished" and run["summary"]["steps"] == 16


@pytest.mark.filterwarnings("ignore::interpbench.errors.InterpbenchWarning")  # 1-kimg models are untrained
def test_leaderboard_files_one_entry_per_configuration_once(minimal_sweep) -> None:
    from interpbench.leaderboard import load_entries

    root, _ = minimal_sweep
    board = root / "board"
    board.mkdir(exist_ok=True)  # interpbench never creates a leaderboard folder
    args = ["sweep", str(root / "grid.toml"), "--out", str(root / "out"), "--leaderboard", str(board), "--score-seeds", "0"]
    first = CliRunner().invoke(main, args)
    assert first.exit_code == 0, first.output
    entries = {e.id: e for e in load_entries(board)}
    assert set(entries) == {"sweep-baseline-quick-1kimg", "sweep-dropout-quick-1kimg"}
    assert all(len(e.data["runs"]) == 2 for e in entries.values())
    again = CliRunner().invoke(main, args)
    assert again.exit_code == 0 and again.output.count("already filed") == 2
    assert len(load_entries(board)) == 2


def test_sweep_results_as_a_dataframe_and_as_json(minimal_sweep) -> None:
    import pandas as pd

    from reference_models.sweep.results import to_frame

    root, _ = minimal_sweep
    frame = to_frame(root / "out")
    table = pd.read_csv(root / "out" / CSV_NAME)
    assert list(frame.columns) == list(table.columns)
    assert list(frame["run"]) == list(table["run"])
    assert np.allclose(frame["final_mean_distance"].astype(float), table["final_mean_distance"])
    report = CliRunner().invoke(main, ["sweep", str(root / "grid.toml"), "--output", str(root / "out"), "--report", "--json"])
    assert report.exit_code == 0, report.output
    records = json.loads(report.output)
    assert [r["run"] for r in records] == list(frame["run"])


def test_sweep_frame_of_a_folder_without_a_sweep_is_one_sentence(tmp_path: Path) -> None:
    from interpbench.errors import DataError
    from reference_models.sweep.results import to_frame

    with pytest.raises(DataError, match="run the sweep first"):
        to_frame(tmp_path)


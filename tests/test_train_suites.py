"""Reference models train on any suite (`train --suite`), with the same engine; lines stays as it was.

Every training here is a few steps of a depth-4 network on batches of 8: seconds, not minutes.
"""

from __future__ import annotations

import json
from pathlib import Path

import numpy as np
import pytest
import torch
from click.testing import CliRunner

import reference_models as rm
from cli_assertions import one_error_line
from interpbench.cli import main
from interpbench.errors import CheckpointError, OptionError
from interpbench.manifold import draw_angles, render
from interpbench.suites import SUITES, get_suite
from reference_models.training.stream import LineStream, SuiteStream

SMALL = {"depth": 4, "batch_size": 8}
# 8 steps of batch 8; a trail evaluation (4 pairs) and a checkpoint every 2 steps.
TINY = dict(kimg=0.0625, eval_every_kimg=0.015625, eval_pairs=4, progress=False, config=SMALL)
NEW_SUITES = [name for name in SUITES if name != "lines"]
CLI_TINY = ["--kimg", "0.015625", "--eval-every", "0.0078125", "--eval-pairs", "2", "--set", "depth=4", "--set", "batch_size=8"]


# ------------------------------------------------------------------------------------------ the stream
@pytest.mark.parametrize("name", list(SUITES))
def test_stream_serves_the_suites_images_and_resumes_exactly(name: str) -> None:
    suite = get_suite(name)
    stream = SuiteStream(7, 8, suite=name)
    rng = np.random.default_rng(7)
    for _ in range(3):
        expected = suite.render(suite.draw(rng, 8)).astype(np.float32)[:, None]
        assert torch.equal(stream.next(), torch.from_numpy(expected))
    # Blocks (an accelerator's way) serve the same batches, and their state() resumes mid-block.
    blocked = SuiteStream(7, 8, suite=name, block_steps=4)
    batches = [blocked.next() for _ in range(3)]
    again = SuiteStream(7, 8, suite=name)
    assert all(torch.equal(b, again.next()) for b in batches)
    fresh = SuiteStream(0, 8, suite=name)
    fresh.set_state(blocked.state())
    assert torch.equal(fresh.next(), again.next())


def test_the_line_stream_is_unchanged() -> None:
    """LineStream is the lines suite's stream, batch for batch the angles and renderer it always used."""
    stream, rng = LineStream(3, 8), np.random.default_rng(3)
    assert stream.suite.name == "lines"
    for _ in range(2):
        assert torch.equal(stream.next(), torch.from_numpy(render(draw_angles(rng, 8)).astype(np.float32)[:, None]))


def test_a_suite_without_a_torch_renderer_cannot_render_on_the_device() -> None:
    with pytest.raises(ValueError, match="no torch renderer"):
        SuiteStream(0, 8, suite="clock", render_on_device=True)


def test_on_an_accelerator_lines_render_there_and_other_suites_send_host_blocks() -> None:
    from reference_models.training.stream import DEVICE_BLOCK_STEPS

    meta = torch.device("meta")  # an accelerator's code path without one: tensors with shapes, no data
    lines, clock = SuiteStream(0, 8, meta), SuiteStream(0, 8, meta, suite="clock")
    assert lines.render_on_device and not clock.render_on_device
    assert lines.block_steps == clock.block_steps == DEVICE_BLOCK_STEPS
    batch = clock.next()
    assert batch.device == meta and batch.shape == (8, 1, 32, 32) and clock._block.shape[0] == 8 * DEVICE_BLOCK_STEPS


# ------------------------------------------------------------------------------------------ the engine
@pytest.mark.parametrize("name", NEW_SUITES)
def test_training_on_a_suite_records_it_and_scores_the_trail_there(tmp_path: Path, name: str) -> None:
    run = rm.train("baseline", tmp_path, suite=name, **TINY)
    suite = get_suite(name)
    assert run.suite == {"name": name, "spec_version": suite.spec_version, "spec_section": suite.spec_section}
    assert run.settings["suite"] == name and run.finished and len(run.trail) == 4
    record = torch.load(tmp_path / "checkpoint.pt", weights_only=True)
    assert record["suite"] == name and record["suite_info"]["spec_version"] == suite.spec_version
    summary = json.loads((tmp_path / "summary.json").read_text())
    assert summary["suite"]["name"] == name and summary["settings"]["suite"] == name
    # The trail was scored on the suite: its last evaluation is the suite's score of the final weights.
    model, info = rm.load_trained("baseline", tmp_path / "checkpoint.pt")
    assert info["trained_suite"]["name"] == name
    import interpbench

    again = interpbench.score(model, seeds=[run.trail[-1]["seed"]], pairs=4, suite=name, checks=False, keep_images=False)
    assert again.mean_distance == pytest.approx(run.trail[-1]["mean_distance"], rel=1e-6)


def test_training_on_lines_records_lines_v1(tmp_path: Path) -> None:
    run = rm.train("baseline", tmp_path, **TINY)
    assert run.suite["name"] == "lines" and run.suite["spec_version"] == "v1"
    record = torch.load(tmp_path / "checkpoint.pt", weights_only=True)
    assert record["suite"] == "lines" and record["dataset_info"]["source"] == "fresh lines from the manifold (SPEC §1)"
    assert "trained_suite" not in rm.load_trained("baseline", tmp_path / "checkpoint.pt")[1]  # lines' records unchanged


class Killed(Exception):
    pass


def _kill_at(step: int):  # type: ignore[no-untyped-def]
    def on_step(s: int) -> None:
        if s == step:
            raise Killed

    return on_step


def test_a_killed_run_on_a_suite_resumes_bit_exact(tmp_path: Path) -> None:
    straight = rm.train("baseline", tmp_path / "straight", seed=2, suite="clock", **TINY)
    with pytest.raises(Killed):
        rm.train("baseline", tmp_path / "killed", seed=2, suite="clock", on_step=_kill_at(7), **TINY)
    resumed = rm.train("baseline", tmp_path / "killed", seed=2, resume=True, **TINY)  # --suite left out: the run's own
    a = torch.load(straight.checkpoint, weights_only=True)
    b = torch.load(resumed.checkpoint, weights_only=True)
    assert a["step"] == b["step"] == 8 and b["suite"] == "clock"
    for key in a["state_dict"]:
        assert torch.equal(a["state_dict"][key], b["state_dict"][key]), key
    assert a["rng"]["data"] == b["rng"]["data"] and straight.trail == resumed.trail


def test_resuming_on_another_suite_is_refused(tmp_path: Path) -> None:
    rm.train("baseline", tmp_path, suite="blob", **TINY)
    with pytest.raises(CheckpointError, match="trained with suite 'blob', not 'clock'; resume it on the suite it was trained on"):
        rm.train("baseline", tmp_path, suite="clock", resume=True, **{**TINY, "kimg": 0.125})
    with pytest.raises(CheckpointError, match="suite 'blob', not 'lines'"):
        rm.train("baseline", tmp_path, suite="lines", resume=True, **{**TINY, "kimg": 0.125})


def test_a_checkpoint_from_before_suites_resumes_as_lines(tmp_path: Path) -> None:
    rm.train("baseline", tmp_path, **TINY)
    record = torch.load(tmp_path / "checkpoint.pt", weights_only=True)
    for key in ("suite", "suite_info"):
        del record[key]
    torch.save(record, tmp_path / "checkpoint.pt")
    with pytest.raises(CheckpointError, match="suite 'lines', not 'clock'"):
        rm.train("baseline", tmp_path, suite="clock", resume=True, **{**TINY, "kimg": 0.125})


def test_a_changed_suite_spec_version_is_refused(tmp_path: Path) -> None:
    rm.train("baseline", tmp_path, suite="clock", **TINY)
    record = torch.load(tmp_path / "checkpoint.pt", weights_only=True)
    record["suite_info"]["spec_version"] = "x0"
    torch.save(record, tmp_path / "checkpoint.pt")
    with pytest.raises(CheckpointError, match="spec x0, and this interpbench has spec x1"):
        rm.train("baseline", tmp_path, resume=True, **{**TINY, "kimg": 0.125})


def test_suite_and_data_set_and_unknown_suite_are_refused(tmp_path: Path) -> None:
    with pytest.raises(OptionError, match="unknown suite 'square'"):
        rm.train("baseline", tmp_path / "a", suite="square", **TINY)
    with pytest.raises(OptionError, match="give one of them"):
        rm.train("baseline", tmp_path / "b", suite="clock", dataset="digits", **TINY)
    assert not (tmp_path / "a").exists()


# ------------------------------------------------------------------------------------------ the CLI
def test_cli_train_on_a_suite_and_score_the_checkpoint_there(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.chdir(tmp_path)
    runner = CliRunner()
    res = runner.invoke(main, ["train", "baseline", "--suite", "blob", *CLI_TINY])
    assert res.exit_code == 0, res.output
    ckpt = Path("runs/blob-baseline-quick-s0/checkpoint.pt")  # the default folder names the suite
    assert "blob suite" in res.output and f"--checkpoint {ckpt} --suite blob" in res.output
    # Without --suite a checkpoint is scored on the suite it trained on; --suite still chooses.
    res = runner.invoke(main, ["run", "--model", "baseline", "--checkpoint", str(ckpt), "--pairs", "2", "--json"])
    assert res.exit_code == 0, res.output
    assert json.loads(res.output[res.output.index("{"):])["protocol"]["suite"] == "blob"
    res = runner.invoke(main, ["run", "--model", "baseline", "--checkpoint", str(ckpt), "--pairs", "2", "--json", "--suite", "lines"])
    assert res.exit_code == 0, res.output
    assert json.loads(res.output[res.output.index("{"):])["protocol"]["suite"] == "lines"
    # Resuming on another suite: one sentence, no traceback.
    res = runner.invoke(main, ["train", "baseline", "--suite", "clock", "--out", str(ckpt.parent), "--resume", "--kimg", "1"])
    one_error_line(res, "trained with suite 'blob', not 'clock'")
    res = runner.invoke(main, ["train", "baseline", "--suite", "square"])
    one_error_line(res, "Invalid value for '--suite'", code=2)


def test_cli_reproduce_passes_the_suite_and_refuses_it_where_it_means_nothing(tmp_path: Path,
                                                                               monkeypatch: pytest.MonkeyPatch) -> None:
    import reference_models.reproduce as reproduce_module

    seen = {}
    monkeypatch.setattr(reproduce_module, "reproduce", lambda out, **kw: seen.update(kw) or [])
    res = CliRunner().invoke(main, ["reproduce", "--out", str(tmp_path / "r"), "--suite", "clock", "--models", "baseline"])
    assert res.exit_code == 0, res.output
    assert seen["suite"] == "clock"
    res = CliRunner().invoke(main, ["reproduce", "--out", str(tmp_path / "r"), "--suite", "clock", "--study", "downstream",
                                    "--dataset", "digits"])
    one_error_line(res, "--suite belongs to the Table 1 study", code=2)
    res = CliRunner().invoke(main, ["reproduce", "--unpack", str(tmp_path), "--suite", "clock"])
    one_error_line(res, "leave --suite out", code=2)


def test_reproduce_on_a_suite_trains_scores_probes_and_files_there(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    from types import SimpleNamespace

    import interpbench.probes
    from interpbench.leaderboard import load_entries
    from reference_models.reproduce import reproduce

    probed = []  # the probes themselves are tested in test_probes.py; here: that they run on the suite, fast
    monkeypatch.setattr(interpbench.probes, "probe", lambda model, dataset, **kw: probed.append(dataset)
                        or SimpleNamespace(accuracy={"linear": 50.0, "kmeans": 40.0}))
    board = tmp_path / "lb"
    board.mkdir()
    lines: list[str] = []
    outcomes = reproduce(tmp_path / "out", models=["baseline"], seeds=[0], preset="quick", kimg=0.015625, eval_every_kimg=0.0078125,
                         eval_pairs=2, score_seeds=[0], score_pairs=4, probe_restarts=1, config=SMALL, progress=False,
                         leaderboard=board, suite="blob", echo=lines.append)
    assert outcomes[0].status == "filed"
    (entry,) = load_entries(board)
    assert entry.data["protocol"]["suite"] == "blob" and "-blob-" in entry.data["id"]
    assert probed == ["blob"] and entry.data["probes"] == {"blob/linear": 50.0, "blob/kmeans": 40.0}
    assert any(line.startswith("blob suite") for line in lines) and not any("Table 1" in line for line in lines)


def test_sweep_grid_and_cli_take_a_suite(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    from reference_models.sweep.grid import parse_grid
    from reference_models.sweep.ray_runner import run_specs
    from reference_models.sweep.task import finished_summary, train_run

    grid = parse_grid({"models": ["baseline"], "seeds": [0], "suite": "clock", "kimg": 0.015625, "eval_every": 0.0078125,
                       "eval_pairs": 2, "depth": [4], "set": {"batch_size": 8}})
    (spec,) = run_specs(grid, tmp_path)
    assert spec["suite"] == "clock"
    result = train_run(spec)  # what each Ray task runs
    assert result["status"] == "finished" and result["summary"]["suite"]["name"] == "clock"
    assert finished_summary(spec) is not None and finished_summary({**spec, "suite": "blob"}) is None
    # Filing scores each run on its suite and names the suite in the entry's id.
    from interpbench.leaderboard import load_entries
    from reference_models.sweep.filing import file_sweep

    import interpbench

    full_score = interpbench.score
    monkeypatch.setattr(interpbench, "score", lambda *a, **kw: full_score(*a, pairs=4, **kw))  # seconds, not a minute
    board = tmp_path / "lb"
    board.mkdir()
    (path,) = file_sweep({"runs": [{**spec, **result}]}, board, score_seeds=[0], echo=lambda _: None)
    assert path.name == "sweep-baseline-depth_4-clock-quick-0.015625kimg.json"
    assert load_entries(board)[0].data["protocol"]["suite"] == "clock"
    with pytest.raises(OptionError, match="unknown suite 'square'"):
        parse_grid({"models": ["baseline"], "seeds": [0], "suite": "square"})
    # The CLI: --suite sets the grid's suite; one the grid contradicts is refused before Ray is touched.
    grid_file = tmp_path / "g.toml"
    grid_file.write_text('models = ["baseline"]\nseeds = [0]\nsuite = "clock"\n')
    res = CliRunner().invoke(main, ["sweep", str(grid_file), "--out", str(tmp_path / "s"), "--suite", "blob"])
    one_error_line(res, "the grid names suite clock; give one of them", code=2)
    import reference_models.sweep.ray_runner as ray_runner

    seen = {}

    def fake_sweep(parsed, out, options, on_result=None):  # type: ignore[no-untyped-def]
        seen["suite"] = parsed.suite
        return {"wall_seconds": 0.0, "runs": []}

    monkeypatch.setattr(ray_runner, "run_sweep", fake_sweep)
    grid_file.write_text('models = ["baseline"]\nseeds = [0]\n')
    res = CliRunner().invoke(main, ["sweep", str(grid_file), "--out", str(tmp_path / "s"), "--suite", "blob"])
    assert res.exit_code == 0, res.output
    assert seen["suite"] == "blob"


def test_cli_plot_checks_the_suite_and_draws_no_paper_points_off_lines(tmp_path: Path) -> None:
    runner = CliRunner()
    result = tmp_path / "clock.json"
    res = runner.invoke(main, ["run", "--adapter", "oracle", "--suite", "clock", "--pairs", "4", "--output", str(result)])
    assert res.exit_code == 0, res.output
    res = runner.invoke(main, ["plot", str(result), "--suite", "clock", "--output", str(tmp_path / "g.png")])
    assert res.exit_code == 0, res.output
    assert (tmp_path / "g.png").stat().st_size > 0
    res = runner.invoke(main, ["plot", str(result), "--suite", "lines"])
    one_error_line(res, "was scored on the clock suite, not lines", code=2)
    from interpbench.figures import comparison_figure
    from interpbench.result import Result

    fig = comparison_figure([Result.load(result, images=False)])
    title = fig.axes[0].get_title()
    assert title.startswith("clock suite") and "paper" not in title
    assert len(fig.axes[0].texts) == 1  # the one result's label; no paper Table 1 points


@pytest.mark.parametrize("command", ["run", "check", "probe", "train", "reproduce", "sweep", "plot"])
def test_every_command_the_readme_names_takes_suite(command: str) -> None:
    readme = (Path(__file__).resolve().parents[1] / "README.md").read_text(encoding="utf-8")
    assert f"`{command} --suite" in readme or f"`{command}`" in readme
    res = CliRunner().invoke(main, [command, "--help"])
    assert res.exit_code == 0 and "--suite [lines|clock|blob]" in res.output


def test_a_reference_model_trained_on_a_suite_is_filed_without_the_papers_numbers(tmp_path: Path) -> None:
    import interpbench
    from interpbench.leaderboard.entries import entry_from_results
    from interpbench.leaderboard.render import build

    rm.train("baseline", tmp_path / "run", suite="clock", **TINY)
    model, info = rm.load_trained("baseline", tmp_path / "run" / "checkpoint.pt")
    record = interpbench.score(model, suite="clock", pairs=4, seeds=[0], model_info=info, keep_images=False).to_dict()
    entry = entry_from_results([record])
    assert entry["model"]["kind"] == "reference" and entry["id"] == "baseline-quick-0.0625kimg-clock-v1"
    root = tmp_path / "lb"
    (root / "results").mkdir(parents=True)
    (root / "results" / f"{entry['id']}.json").write_text(json.dumps(entry))
    md = build(root, scatter=False)["README.md"]
    assert "and interpbench's own suite clock (spec x1), 1 entries" in md
    assert "nearest of 294,912 true clock images, spec x1" in md and "the paper measured lines only" in md
    row = next(line for line in md.splitlines() if line.startswith("| 1 | baseline"))
    assert row.split(" | ")[4] == "—" and row.split(" | ")[6] == "—"  # no paper Table 1 value beside a clock score


def test_the_leaderboard_scatter_beside_the_paper_draws_lines_entries_only(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    import interpbench.figures
    from interpbench.leaderboard.render import build
    from test_suites import leaderboard_of_pixels_on_lines_and_clock

    root = leaderboard_of_pixels_on_lines_and_clock(tmp_path / "lb")
    drawn = []
    monkeypatch.setattr(interpbench.figures, "scatter_figure", lambda points, title=None: drawn.extend(points) or object())
    monkeypatch.setattr(interpbench.figures, "save_figure", lambda fig, path: Path(path).write_bytes(b""))
    build(root)
    assert [p["label"] for p in drawn if p["filled"]] == ["pixels"]  # the clock entry is not beside the paper's lines

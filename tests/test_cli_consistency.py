"""One set of option names across the CLI: --output (alias --out), --json, --threads, --preset as a choice;
--no-images; the leaderboard as a DataFrame and through `leaderboard show`; progress hooks."""

from __future__ import annotations

import json
from pathlib import Path

import click
import pytest
from click.testing import CliRunner

from interpbench.cli import SUBCOMMANDS, main

ROOT = Path(__file__).resolve().parent.parent
LEADERBOARD = ROOT / "leaderboard"


def _command(path: str) -> click.Command:
    ctx = click.Context(main)
    command: click.Command = main.get_command(ctx, path.split()[0])
    for part in path.split()[1:]:
        command = command.get_command(ctx, part)  # type: ignore[attr-defined]
    return command


def _option(path: str, name: str) -> click.Option | None:
    return next((p for p in _command(path).params if isinstance(p, click.Option) and name in p.opts), None)


# Commands that write a file or a folder of results.
WRITERS = ["run", "probe", "plot", "train", "reproduce", "sweep"]
# Commands that print results: each takes --json.
PRINTERS = ["run", "check", "probe", "models", "suites", "train", "reproduce", "sweep", "leaderboard show"]
# Commands whose work is heavy: each takes --threads.
HEAVY = ["run", "check", "probe", "train", "reproduce"]


def test_the_lists_cover_every_command() -> None:
    # A new subcommand must be placed in (or deliberately left out of) the lists above.
    covered = {c.split()[0] for c in WRITERS + PRINTERS + HEAVY} | {"leaderboard"}
    assert set(SUBCOMMANDS) <= covered, set(SUBCOMMANDS) - covered


@pytest.mark.parametrize("command", WRITERS)
def test_every_writer_takes_output_and_out_as_one_option(command: str) -> None:
    output, out = _option(command, "--output"), _option(command, "--out")
    assert output is not None and output is out


@pytest.mark.parametrize("command", PRINTERS)
def test_every_command_that_prints_results_takes_json(command: str) -> None:
    option = _option(command, "--json")
    assert option is not None and option.is_flag


@pytest.mark.parametrize("command", HEAVY)
def test_every_heavy_command_takes_threads(command: str) -> None:
    option = _option(command, "--threads")
    assert option is not None and isinstance(option.type, click.IntRange) and option.type.min == 1


@pytest.mark.parametrize("command", ["train", "reproduce", "leaderboard add"])
def test_preset_is_a_fixed_choice(command: str) -> None:
    from reference_models.training.presets import PRESETS

    option = _option(command, "--preset")
    assert isinstance(option.type, click.Choice) and set(PRESETS) <= set(option.type.choices)


def test_an_unknown_preset_is_a_usage_error_before_any_work(tmp_path: Path) -> None:
    result = CliRunner().invoke(main, ["train", "acai", "--preset", "qiuck", "--out", str(tmp_path / "r")])
    assert result.exit_code == 2 and "'qiuck' is not one of" in result.output
    assert not (tmp_path / "r").exists()


def test_run_no_images_writes_the_record_alone(tmp_path: Path) -> None:
    base = ["run", "--adapter", "oracle", "--pairs", "4", "--steps", "4"]
    with_images = CliRunner().invoke(main, [*base, "--out", str(tmp_path / "a.json")])  # --out: the alias
    without = CliRunner().invoke(main, [*base, "--output", str(tmp_path / "b.json"), "--no-images"])
    assert with_images.exit_code == 0 and without.exit_code == 0, with_images.output + without.output
    assert len(list(tmp_path.glob("a.images.*.npz"))) == 1 and not list(tmp_path.glob("b.images*"))
    record = json.loads((tmp_path / "b.json").read_text())
    assert "images" not in record and record["metrics"] == json.loads((tmp_path / "a.json").read_text())["metrics"]
    # plot says what is missing, in one sentence
    plotted = CliRunner().invoke(main, ["plot", str(tmp_path / "b.json")])
    assert plotted.exit_code == 1 and "Traceback" not in plotted.output


def test_run_no_images_still_draws_figures(tmp_path: Path) -> None:
    result = CliRunner().invoke(main, ["run", "--adapter", "oracle", "--pairs", "4", "--steps", "4", "--output", str(tmp_path / "r.json"),
                                       "--no-images", "--figure", str(tmp_path / "r.grid.png")])
    assert result.exit_code == 0, result.output
    assert (tmp_path / "r.grid.png").is_file() and not list(tmp_path.glob("r.images*"))


def test_train_json_prints_the_summary(tmp_path: Path) -> None:
    out = tmp_path / "run"
    result = CliRunner().invoke(main, [  # click ≥ 8.2 keeps stdout apart from stderr
        "train", "baseline", "--preset", "quick", "--kimg", "0.015625", "--eval-every", "0.0078125", "--eval-pairs", "2",
        "--set", "depth=4", "--set", "batch_size=8", "--output", str(out), "--threads", "1", "--json"])
    assert result.exit_code == 0, result.output
    printed = json.loads(result.stdout)
    assert printed["model"] == "baseline" and printed == json.loads(json.dumps(printed))
    assert printed["steps"] == json.loads((out / "summary.json").read_text())["steps"]


def test_reproduce_json_prints_each_models_outcome_alone_on_stdout(tmp_path: Path) -> None:
    board = tmp_path / "lb"
    board.mkdir()
    result = CliRunner().invoke(main, [
        "reproduce", "--output", str(tmp_path / "paper"), "--models", "baseline,dropout", "--seeds", "0", "--preset", "quick",
        "--kimg", "0.015625", "--leaderboard", str(board), "--minutes", "1e-9", "--json"])  # a time limit already spent
    assert result.exit_code == 0, result.output
    records = json.loads(result.stdout)
    assert [(r["model"], r["status"]) for r in records] == [("baseline", "not started"), ("dropout", "not started")]
    assert "not finished" in result.stderr
    refused = CliRunner().invoke(main, ["reproduce", "--unpack", str(board), "--json"])
    assert refused.exit_code == 2 and "--unpack" in refused.output


def test_sweep_address_without_a_cluster_is_one_sentence(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    # Ray's own refusal is simulated: "auto" would join any Ray instance that happens to run on
    # this machine (another user's), and an unused port makes Ray retry for minutes.
    ray = pytest.importorskip("ray")

    def no_cluster(*args, **kwargs):  # type: ignore[no-untyped-def]
        raise ConnectionError("Could not find any running Ray instance. Please specify the one to connect to by setting "
                              "`--address` flag or `RAY_ADDRESS` environment variable.")

    monkeypatch.setattr(ray, "is_initialized", lambda: False)
    monkeypatch.setattr(ray, "init", no_cluster)
    (tmp_path / "grid.toml").write_text('preset = "quick"\nkimg = 1\nmodels = ["baseline"]\nseeds = [0]\n')
    result = CliRunner().invoke(main, ["sweep", str(tmp_path / "grid.toml"), "--out", str(tmp_path / "out"), "--address", "auto"])
    assert result.exit_code == 1, result.output
    assert "Traceback" not in result.output and result.output.count("Error:") == 1
    assert "no Ray cluster at --address 'auto'" in result.output and "ray start --head" in result.output
    assert not (tmp_path / "out" / "sweep.json").exists()


# ---- the leaderboard as data -----------------------------------------------------------------

def test_leaderboard_frame_ranks_as_the_page_does() -> None:
    from interpbench.leaderboard import load_entries, to_frame
    from interpbench.leaderboard.render import ranked_groups

    frame = to_frame(LEADERBOARD)
    order = [e.id for group in ranked_groups(load_entries(LEADERBOARD)) for e in group]
    assert list(frame["id"]) == order and len(frame) == len(order)
    lines = frame[frame["suite"] == "lines"]
    assert list(lines["rank"]) == list(range(1, len(lines) + 1))
    assert lines["mean_distance"].is_monotonic_increasing
    assert (frame["model"] == "acai").sum() >= 2  # the bundled CPU run and the H200 run: one row each
    acai = frame.set_index("id").loc["acai-cpu-250kimg-v1"]
    assert acai["paper_mean_distance"] == pytest.approx(0.24e-3) and acai["paper_smoothness"] == pytest.approx(0.10)
    assert acai["mean_distance_ci_low"] <= acai["mean_distance"] <= acai["mean_distance_ci_high"]
    assert frame.set_index("model").loc["oracle", "paper_mean_distance"] != frame.set_index("model").loc["oracle", "paper_mean_distance"]  # NaN


def test_leaderboard_frame_of_a_missing_folder_is_one_sentence(tmp_path: Path) -> None:
    from interpbench.errors import DataError
    from interpbench.leaderboard import to_frame

    with pytest.raises(DataError, match="not a directory of leaderboard entries"):
        to_frame(tmp_path)


def test_leaderboard_show_prints_a_table_and_strict_json() -> None:
    table = CliRunner().invoke(main, ["leaderboard", "show", "--leaderboard", str(LEADERBOARD)])
    assert table.exit_code == 0, table.output
    assert "lines benchmark" in table.output and "acai" in table.output and "mean_distance_e3" in table.output
    printed = CliRunner().invoke(main, ["leaderboard", "show", "--leaderboard", str(LEADERBOARD), "--json"])
    assert printed.exit_code == 0, printed.output
    records = json.loads(printed.output, parse_constant=lambda c: pytest.fail(f"non-strict JSON constant {c}"))
    from interpbench.leaderboard import to_frame

    frame = to_frame(LEADERBOARD)
    assert [r["id"] for r in records] == list(frame["id"])
    # full precision: the JSON's numbers are the entries' own
    assert records[0]["mean_distance"] == pytest.approx(frame["mean_distance"].iloc[0], rel=1e-14)


def test_leaderboard_build_reports_its_stages(tmp_path: Path) -> None:
    import shutil

    from interpbench.leaderboard.render import build

    root = tmp_path / "lb"
    shutil.copytree(LEADERBOARD / "results", root / "results")
    stages: list[str] = []
    build(root, on_stage=stages.append)
    assert stages == ["validating entries", "rendering pages", "drawing the scatter plot"]


def test_probe_shows_a_progress_bar_when_asked(capsys) -> None:
    from interpbench.probes import probe

    probe("pixels", "lines", train_size=200, restarts=1, progress=True)
    err = capsys.readouterr().err
    assert "probing on lines" in err and "kmeans" in err


def test_the_readme_option_table_lists_these_commands() -> None:
    import re

    readme = (ROOT / "README.md").read_text(encoding="utf-8")
    rows = {m.group(1): set(re.findall(r"`([a-z][a-z ]*[a-z])`", m.group(2)))
            for m in re.finditer(r"^\| `(--output|--json|--threads N)`[^|]*\| ([^|]*) \|", readme, flags=re.M)}
    assert rows["--output"] == set(WRITERS)
    assert rows["--json"] == set(PRINTERS)
    assert rows["--threads N"] == set(HEAVY)

"""Issue #14, leaderboard and check: entries that cannot be faked, found where they live, one sentence per mistake."""

from __future__ import annotations

import copy
import json
from pathlib import Path
from typing import Any

import pytest
from click.testing import CliRunner

import interpbench
from interpbench.check import write_baseline
from interpbench.cli import main
from interpbench.leaderboard.entries import entry_from_results
from interpbench.leaderboard.render import build

from cli_assertions import one_error_line

SHA = "a" * 64


@pytest.fixture(scope="module")
def record() -> dict[str, Any]:
    return interpbench.score("oracle", seeds=[0, 1], pairs=8, model_info={"adapter": "oracle"}).to_dict()


def trained(record: dict[str, Any], train_seed: int = 0, sha: str = SHA, name: str = "acai") -> dict[str, Any]:
    """``record`` dressed as a trained reference model's result."""
    r = copy.deepcopy(record)
    r["model"] = {"name": name, "preset": "cpu", "kimg": 256, "train_seed": train_seed, "checkpoint_sha256": sha}
    return r


def write(path: Path, data: Any) -> Path:
    path.write_text(json.dumps(data), encoding="utf-8")
    return path


def lb(*args: str):
    return CliRunner().invoke(main, ["leaderboard", *args])


def files(root: Path) -> list[Path]:
    return sorted(p for p in root.rglob("*") if p.is_file()) if root.exists() else []


# ----------------------------------------------------------------------- shared checkpoints
def test_copies_of_one_checkpoint_are_not_several_training_seeds(record: dict[str, Any], tmp_path: Path) -> None:
    sources = [write(tmp_path / f"s{i}.json", trained(record, train_seed=i)) for i in range(3)]
    root = tmp_path / "lb"
    root.mkdir()  # interpbench never creates a leaderboard folder
    result = lb("add", *map(str, sources), "--leaderboard", str(root))
    one_error_line(result, "were scored from one checkpoint (sha256 aaaaaaaaaaaa…)")
    assert files(root) == []
    # Three different checkpoints are three training runs.
    distinct = [write(tmp_path / f"d{i}.json", trained(record, train_seed=i, sha=f"{i:064x}")) for i in range(3)]
    assert lb("add", *map(str, distinct), "--leaderboard", str(root)).exit_code == 0


def test_validate_refuses_two_entry_files_with_one_checkpoint(record: dict[str, Any], tmp_path: Path) -> None:
    results = tmp_path / "lb" / "results"
    results.mkdir(parents=True)
    first = entry_from_results([trained(record)])
    second = entry_from_results([trained(record)], entry_id_override="acai-copy")
    write(results / f"{first['id']}.json", first)
    write(results / "acai-copy.json", second)
    one_error_line(lb("validate", "--leaderboard", str(tmp_path / "lb")), "score one checkpoint (sha256 aaaaaaaaaaaa…) with one protocol")
    # The same weights scored with another protocol is a separate entry, and valid.
    other = copy.deepcopy(trained(record))
    slerp = interpbench.score("oracle", seeds=[0], pairs=8, path="slerp").to_dict()
    slerp["model"] = other["model"]
    write(results / "acai-copy.json", entry_from_results([slerp], entry_id_override="acai-copy"))
    assert lb("validate", "--leaderboard", str(tmp_path / "lb")).exit_code == 0


def test_an_entry_file_with_runs_sharing_a_checkpoint_is_refused(record: dict[str, Any], tmp_path: Path) -> None:
    entry = entry_from_results([trained(record, 0, sha="1" * 64), trained(record, 1, sha="2" * 64)])
    entry["runs"][1]["checkpoint_sha256"] = "1" * 64
    source = write(tmp_path / "entry.json", entry)
    one_error_line(lb("add", str(source), "--leaderboard", str(tmp_path / "lb")), "runs[1] and")


# ---------------------------------------------------------------------------------- probes
def probe_record(name: str, sha: str | None) -> dict[str, Any]:
    model = {"name": name, **({"checkpoint_sha256": sha} if sha else {})}
    return {"format": "interpbench-probe-result", "model": model, "dataset": {"name": "lines"},
            "accuracy": {"linear": 99.0, "kmeans": 40.0}}


@pytest.mark.parametrize(
    "probes, message",
    [
        (probe_record("vae", SHA), "holds probes of model 'vae', not 'acai'"),
        (probe_record("acai", "b" * 64), "was measured on checkpoint bbbbbbbbbbbb…, not on the scored checkpoint aaaaaaaaaaaa…"),
        (probe_record("acai", None), "was measured on no checkpoint"),
        ({"lines/linear": 99.0}, "names no model, so it cannot be matched to checkpoint aaaaaaaaaaaa…"),
    ],
)
def test_probes_of_another_model_are_not_attached(record: dict[str, Any], tmp_path: Path, probes: dict, message: str) -> None:
    source = write(tmp_path / "acai.json", trained(record))
    probe = write(tmp_path / "probe.json", probes)
    root = tmp_path / "lb"
    root.mkdir()  # interpbench never creates a leaderboard folder
    one_error_line(lb("add", str(source), "--probes", str(probe), "--leaderboard", str(root)), message)
    assert files(root) == []


def test_matching_probes_are_attached(record: dict[str, Any], tmp_path: Path) -> None:
    source = write(tmp_path / "acai.json", trained(record))
    probe = write(tmp_path / "probe.json", probe_record("acai", SHA))
    root = tmp_path / "lb"
    root.mkdir()  # interpbench never creates a leaderboard folder
    assert lb("add", str(source), "--probes", str(probe), "--leaderboard", str(root)).exit_code == 0
    filed = json.loads(next((root / "results").glob("*.json")).read_text())
    assert filed["probes"] == {"lines/linear": 99.0, "lines/kmeans": 40.0}
    # An adapter has no checkpoint to match: a plain accuracies object is accepted for it.
    plain = write(tmp_path / "plain.json", {"lines/linear": 90.0})
    assert lb("add", str(write(tmp_path / "oracle.json", record)), "--probes", str(plain), "--leaderboard", str(root)).exit_code == 0


# ------------------------------------------------------------------------------- protocols
def test_entries_of_different_protocols_are_ranked_apart(record: dict[str, Any], tmp_path: Path) -> None:
    root = tmp_path / "lb"
    root.mkdir()  # interpbench never creates a leaderboard folder
    for name, sha in (("acai", "1" * 64), ("baseline", "2" * 64)):
        entry = entry_from_results([trained(record, sha=sha, name=name)])
        (root / "results").mkdir(parents=True, exist_ok=True)
        write(root / "results" / f"{entry['id']}.json", entry)
    # One seed, slerp, a far worse model: it must not be ranked in the lerp table.
    slerp = interpbench.score("pixels", seeds=[0], pairs=8, path="slerp").to_dict()
    slerp["model"] = {"name": "vae", "preset": "cpu", "kimg": 256, "train_seed": 0, "checkpoint_sha256": "3" * 64}
    entry = entry_from_results([slerp])
    write(root / "results" / f"{entry['id']}.json", entry)
    md = build(root, scatter=False)["README.md"]
    lerp_table = md.split("## Lines benchmark, protocol lerp, 8×16, seeds 0,1")[1].split("##")[0]
    slerp_table = md.split("## Lines benchmark, protocol slerp, 8×16, seeds 0")[1].split("##")[0]
    assert "vae" not in lerp_table and "| 3 |" not in lerp_table
    assert "| 1 | vae (cpu, 256 kimg)" in slerp_table
    assert "each protocol has its own table" in md
    vae_row = next(line for line in md.split("## Paper Table 1")[1].splitlines() if line.startswith("| VAE |"))
    assert "(protocol slerp, 8×16, seeds 0)" in vae_row


# ---------------------------------------------------------------------- malformed inputs
def test_a_nan_literal_in_a_result_file_is_one_sentence(record: dict[str, Any], tmp_path: Path) -> None:
    text = json.dumps(record).replace(json.dumps(record["metrics"]["smoothness"]["mean"]), "NaN", 1)
    source = tmp_path / "nan.json"
    source.write_text(text)
    one_error_line(lb("add", str(source), "--leaderboard", str(tmp_path / "lb")), "holds NaN, which is not JSON")


def test_a_missing_figure_does_not_exist(record: dict[str, Any], tmp_path: Path) -> None:
    source = write(tmp_path / "oracle.json", record)
    for extra in ([], ["--dry-run"]):
        result = lb("add", str(source), "--figure", str(tmp_path / "missing.png"), "--leaderboard", str(tmp_path / "lb"), *extra)
        one_error_line(result, "missing.png' does not exist")
    not_png = write(tmp_path / "fig.png", {"not": "a png"})
    one_error_line(lb("add", str(source), "--figure", str(not_png), "--leaderboard", str(tmp_path / "lb")), "is not a PNG file")


# ------------------------------------------------------------------------------- location
def test_leaderboard_commands_never_create_one_in_the_working_directory(record: dict[str, Any], tmp_path: Path,
                                                                        monkeypatch: pytest.MonkeyPatch) -> None:
    elsewhere = tmp_path / "elsewhere"
    (elsewhere / ".git").mkdir(parents=True)  # a repository without a leaderboard
    monkeypatch.chdir(elsewhere)
    source = write(tmp_path / "oracle.json", record)
    for args in (["add", str(source)], ["build"], ["validate"]):
        one_error_line(lb(*args), "pass --leaderboard DIR", code=2)
    assert not (elsewhere / "leaderboard").exists()


def test_leaderboard_is_found_from_below_the_repository_root(record: dict[str, Any], tmp_path: Path,
                                                             monkeypatch: pytest.MonkeyPatch) -> None:
    repo = tmp_path / "repo"
    (repo / ".git").mkdir(parents=True)
    (repo / "leaderboard" / "results").mkdir(parents=True)
    deep = repo / "src" / "deep"
    deep.mkdir(parents=True)
    monkeypatch.chdir(deep)
    result = lb("add", str(write(tmp_path / "oracle.json", record)))
    assert result.exit_code == 0, result.output
    assert (repo / "leaderboard" / "results" / "oracle-v1.json").is_file()
    assert not (deep / "leaderboard").exists()
    assert lb("validate").exit_code == 0
    monkeypatch.chdir(repo / "leaderboard")  # from inside the leaderboard folder too
    assert "1 entries valid" in lb("validate").output


# ----------------------------------------------------------------------------------- check
@pytest.fixture()
def oracle_baseline(tmp_path: Path) -> Path:
    path = tmp_path / "oracle-baseline.json"
    write_baseline(interpbench.score("oracle", seeds=[0], pairs=8, keep_images=False, model_info={"adapter": "oracle"}), path)
    return path


def test_check_warns_on_a_baseline_of_another_model(oracle_baseline: Path, tmp_path: Path) -> None:
    data = json.loads(oracle_baseline.read_text())
    data["model"]["name"] = "acai"
    other = write(tmp_path / "acai-baseline.json", data)
    result = CliRunner().invoke(main, ["check", "--adapter", "oracle", "--baseline", str(other)])
    assert result.exit_code == 0, result.output
    assert "warning: the baseline was recorded for model 'acai', not 'oracle'" in result.output
    same = CliRunner().invoke(main, ["check", "--adapter", "oracle", "--baseline", str(oracle_baseline)])
    assert same.exit_code == 0 and "warning" not in same.output


def test_check_refuses_a_baseline_of_another_spec_version(oracle_baseline: Path, tmp_path: Path) -> None:
    data = json.loads(oracle_baseline.read_text())
    data["provenance"]["spec_version"] = "v2"
    v2 = write(tmp_path / "v2.json", data)
    result = CliRunner().invoke(main, ["check", "--adapter", "oracle", "--baseline", str(v2)])
    one_error_line(result, "was recorded under spec 'v2'; this interpbench implements spec v1", code=3)

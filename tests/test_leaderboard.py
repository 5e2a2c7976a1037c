"""Leaderboard entries: schema validation with field paths, duplicates, atomic filing, statistics, rendering."""

from __future__ import annotations

import copy
import hashlib
import json
from pathlib import Path
from typing import Any

import numpy as np
import pytest
from click.testing import CliRunner

import interpbench
from interpbench.cli import main
from interpbench.errors import DataError
from interpbench.leaderboard.entries import Entry, add_entry, entry_from_results, load_entries, probe_accuracies
from interpbench.leaderboard.render import build, build_tables, render_pages
from interpbench.leaderboard.stats import bootstrap_interval, overlaps

REPO = Path(__file__).resolve().parent.parent


@pytest.fixture(scope="module")
def record() -> dict[str, Any]:
    """A small but real oracle result (16 pairs, 2 seeds): fast, and exercises every field."""
    return interpbench.score("oracle", seeds=[0, 1], pairs=16, model_info={"adapter": "oracle"}).to_dict()


def _write(path: Path, data: Any) -> Path:
    path.write_text(json.dumps(data), encoding="utf-8")
    return path


def _files(root: Path) -> list[Path]:
    return sorted(p for p in root.rglob("*") if p.is_file()) if root.exists() else []


def test_entry_from_result_has_provenance_metrics_and_interval(record: dict[str, Any]) -> None:
    entry = entry_from_results([record])
    assert entry["id"] == "oracle-v1"
    assert entry["model"]["kind"] == "builtin" and entry["training"] is None
    md = entry["summary"]["mean_distance"]
    assert md["over"] == "protocol_seeds" and md["n"] == 2
    assert md["mean"] == pytest.approx(np.mean(record["metrics"]["mean_distance"]["per_seed"]), rel=1e-12)
    assert md["ci95"][0] <= md["mean"] <= md["ci95"][1]
    assert entry["runs"][0]["metrics"]["mean_distance"]["per_seed"] == record["metrics"]["mean_distance"]["per_seed"]
    assert entry["provenance"]["spec_version"] == "v1" and entry["provenance"]["hardware"]
    geo = entry["summary"]["geodesic_error"]
    assert geo["mean"] == pytest.approx(np.mean(record["metrics"]["geodesic_error"]["per_seed"]), rel=1e-12)
    assert entry["runs"][0]["per_path"][0]["geodesic_error"] == record["seeds"][0]["path_geodesic_error"]


def test_entry_without_geodesic_error_is_still_valid_and_shows_a_dash(record: dict[str, Any], tmp_path: Path) -> None:
    old = copy.deepcopy(record)
    del old["metrics"]["geodesic_error"]
    for seed in old["seeds"]:
        del seed["path_geodesic_error"]
    entry = entry_from_results([old])
    assert "geodesic_error" not in entry["summary"]
    lines = build_tables([Entry(entry)])[0]
    assert "geodesic error" not in lines.columns  # no entry has one: the headline leaves the column out
    twin = entry_from_results([{**copy.deepcopy(record), "model": {"name": "twin", "adapter": None}}])
    mixed = build_tables([Entry(entry), Entry(twin)])[0]
    cells = dict(zip(mixed.row_ids, (r[mixed.columns.index("geodesic error")] for r in mixed.rows)))
    assert cells["oracle-v1"] == "—" and cells["twin-v1"] != "—"


def test_a_doctored_geodesic_error_is_caught(record: dict[str, Any]) -> None:
    bad = copy.deepcopy(record)
    bad["metrics"]["geodesic_error"]["per_seed"][0] += 0.01
    with pytest.raises(DataError, match="geodesic_error"):
        entry_from_results([bad])
    half = copy.deepcopy(record)
    del half["seeds"][0]["path_geodesic_error"]
    with pytest.raises(DataError, match="together"):
        entry_from_results([half])


def test_schema_error_names_the_field(record: dict[str, Any]) -> None:
    bad = copy.deepcopy(record)
    bad["metrics"]["mean_distance"]["mean"] = "abc"
    with pytest.raises(DataError, match=r"metrics\.mean_distance\.mean: 'abc' is not of type 'number'"):
        entry_from_results([bad])
    bad = copy.deepcopy(record)
    del bad["provenance"]["hardware"]
    with pytest.raises(DataError, match=r"provenance: 'hardware' is a required property"):
        entry_from_results([bad])
    bad = copy.deepcopy(record)
    bad["seeds"][1]["distances"][3][2] = "x"
    with pytest.raises(DataError, match=r"seeds\[1\]\.distances\[3\]\[2\]"):
        entry_from_results([bad])


def test_doctored_number_is_caught(record: dict[str, Any]) -> None:
    # A per-seed Mean Distance that is not the mean of the stored distances is a doctored record.
    bad = copy.deepcopy(record)
    bad["metrics"]["mean_distance"]["per_seed"][1] *= 0.5
    with pytest.raises(DataError, match=r"metrics\.mean_distance\.per_seed\[1\]"):
        entry_from_results([bad])


def test_entry_schema_rejects_a_tampered_entry(record: dict[str, Any], tmp_path: Path) -> None:
    entry = entry_from_results([record])
    entry["summary"]["smoothness"]["mean"] = 0.001
    with pytest.raises(DataError, match=r"summary\.smoothness\.mean"):
        add_entry(tmp_path, entry)
    entry = entry_from_results([record])
    entry["runs"][0]["metrics"]["smoothness"]["per_seed"][0] = "0.07"
    with pytest.raises(DataError, match=r"runs\[0\]\.metrics\.smoothness\.per_seed\[0\]: '0.07' is not of type 'number'"):
        add_entry(tmp_path, entry)
    assert _files(tmp_path) == []


def test_cli_add_files_then_rejects_duplicate_without_writing(record: dict[str, Any], tmp_path: Path) -> None:
    source = _write(tmp_path / "oracle.json", record)
    root = tmp_path / "lb"
    root.mkdir()  # interpbench never creates a leaderboard folder
    runner = CliRunner()
    ok = runner.invoke(main, ["leaderboard", "add", str(source), "--dir", str(root)])
    assert ok.exit_code == 0, ok.output
    filed = root / "results" / "oracle-v1.json"
    before = filed.read_bytes()
    again = runner.invoke(main, ["leaderboard", "add", str(source), "--dir", str(root)])
    assert again.exit_code == 1
    assert "duplicate entry: id 'oracle-v1'" in again.output and "Traceback" not in again.output
    assert filed.read_bytes() == before and _files(root) == [filed]
    # Lists of numbers sit on one line each (entries stay small in the tree that travels).
    text = filed.read_text()
    per_seed = json.loads(text)["runs"][0]["metrics"]["mean_distance"]["per_seed"]
    assert f'"per_seed": {json.dumps(per_seed)}' in text


def test_cli_add_malformed_writes_nothing(record: dict[str, Any], tmp_path: Path) -> None:
    bad = copy.deepcopy(record)
    bad["protocol"]["pairs"] = -3
    source = _write(tmp_path / "bad.json", bad)
    root = tmp_path / "lb"
    root.mkdir()  # interpbench never creates a leaderboard folder
    result = CliRunner().invoke(main, ["leaderboard", "add", str(source), "--dir", str(root)])
    assert result.exit_code == 1
    assert "protocol.pairs: -3 is less than the minimum of 1" in result.output
    assert _files(root) == []
    not_json = tmp_path / "not.json"
    not_json.write_text("{", encoding="utf-8")
    result = CliRunner().invoke(main, ["leaderboard", "add", str(not_json), "--dir", str(root)])
    assert result.exit_code == 1 and "is not valid JSON" in result.output and _files(root) == []


def test_several_training_seeds_make_one_entry(record: dict[str, Any]) -> None:
    runs = []
    for seed, shift in ((0, 0), (1, 1)):
        r = copy.deepcopy(record)
        r["model"] = {"name": "toy", "preset": "quick", "kimg": 64, "train_seed": seed, "checkpoint_sha256": f"{seed:064x}"}
        runs.append(r)
    entry = entry_from_results(runs, training={"hardware": "test CPU"})
    assert entry["id"] == "toy-quick-64kimg-v1"
    assert entry["model"]["kind"] == "reference"
    assert entry["training"]["seeds"] == [0, 1] and entry["training"]["hardware"] == "test CPU"
    assert entry["summary"]["smoothness"]["over"] == "training_seeds" and entry["summary"]["smoothness"]["n"] == 2
    same_seed = copy.deepcopy(runs)
    same_seed[1]["model"]["train_seed"] = 0
    with pytest.raises(DataError, match="distinct model.train_seed"):
        entry_from_results(same_seed)
    other_model = copy.deepcopy(runs)
    other_model[1]["model"]["kimg"] = 128
    with pytest.raises(DataError, match=r"model\.kimg"):
        entry_from_results(other_model)


def test_bootstrap_is_reproducible_and_covers_the_mean() -> None:
    values = np.random.default_rng(1).normal(1.0, 0.1, size=(1, 3, 64))
    a, levels = bootstrap_interval(values)
    b, _ = bootstrap_interval(values)
    assert a == b and levels == ("protocol_seeds", "pairs")
    assert a[0] < values.mean() < a[1]
    assert overlaps((0, 1), (1, 2)) and not overlaps((0, 1), (1.1, 2))


def test_probe_accuracies_shapes() -> None:
    assert probe_accuracies({"lines/linear": 91.5}) == {"lines/linear": 91.5}
    record = {"results": [{"dataset": "lines", "probe": "kmeans", "accuracy": 40}]}
    assert probe_accuracies(record) == {"lines/kmeans": 40.0}
    with pytest.raises(DataError, match="lines/linear"):
        probe_accuracies({"lines/linear": 191.5})
    probe_record = {"format": "interpbench-probe-result", "dataset": {"name": "digits"}, "accuracy": {"linear": 93.1, "kmeans": 61.0}}
    assert probe_accuracies(probe_record) == {"digits/linear": 93.1, "digits/kmeans": 61.0}


def test_build_writes_both_pages_with_expected_rows(record: dict[str, Any], tmp_path: Path) -> None:
    root = tmp_path / "lb"
    root.mkdir()  # interpbench never creates a leaderboard folder
    add_entry(root, entry_from_results([record], probes={"lines/linear": 88.0}))
    twin = copy.deepcopy(record)
    twin["model"] = {"name": "twin", "adapter": None}
    add_entry(root, entry_from_results([twin]))
    pages = build(root)
    md, page = (root / "README.md").read_text(encoding="utf-8"), (root / "index.html").read_text(encoding="utf-8")
    assert pages == {"README.md": md, "index.html": page}
    assert (root / "figures" / "scatter.png").read_bytes()[:4] == b"\x89PNG"
    for text in (md, page):
        assert "oracle" in text and "twin" in text and "88.00" in text
        assert "ACAI" in text and "0.24 ± 0.01" in text and "not trained yet" in text
        # The twin holds the same numbers: their difference must be reported as not resolved.
        assert "Mean Distance: twin" in text and "Mean Distance: oracle" in text
    assert page.count('<tr class="entry" data-id="oracle-v1">') == 3  # lines, probes, paper tables
    assert page.count('<tr class="entry" data-id="twin-v1">') == 1
    lines_table = md.split("## Lines benchmark")[1].split("##")[0]
    assert sum(row.startswith("| 1 |") or row.startswith("| 2 |") for row in lines_table.splitlines()) == 2


def test_repo_entries_are_valid_and_pages_up_to_date() -> None:
    entries = load_entries(REPO / "leaderboard")
    assert {"oracle-v1", "pixels-v1"} <= {e.id for e in entries}
    _, pages = render_pages(REPO / "leaderboard")
    for name, text in pages.items():
        assert (REPO / "leaderboard" / name).read_text(encoding="utf-8") == text, f"leaderboard/{name} is stale: run `interpbench leaderboard build`"


def test_probe_rows_of_one_model_on_two_suites_are_told_apart() -> None:
    entries = load_entries(REPO / "leaderboard")
    assert {"baseline-cpu-256kimg-clock-v1", "baseline-cpu-256kimg-blob-v1"} <= {e.id for e in entries}
    probes = next(t for t in build_tables(entries) if t.key == "probes")
    labels = [row[0] for row in probes.rows]
    assert len(set(labels)) == len(labels), labels
    assert "baseline (cpu, 256 kimg, clock)" in labels and "baseline (cpu, 256 kimg, blob)" in labels


def _reference_entry(record: dict[str, Any], name: str, md_scale: float, trail: dict[str, Any] | None) -> dict[str, Any]:
    r = copy.deepcopy(record)
    r["model"] = {"name": name, "preset": "cpu", "kimg": 256, "train_seed": 0, "checkpoint_sha256": hashlib.sha256(name.encode()).hexdigest()}
    if trail is not None:
        r["model"]["trail"] = trail
    for s in r["seeds"]:
        s["distances"] = (np.asarray(s["distances"]) * md_scale).tolist()
    r["metrics"]["mean_distance"]["per_seed"] = [v * md_scale for v in r["metrics"]["mean_distance"]["per_seed"]]
    r["metrics"]["mean_distance"]["mean"] *= md_scale
    r["metrics"]["mean_distance"]["std"] *= md_scale
    return entry_from_results([r])


def test_paper_table_compares_the_paper_style_figure_and_states_the_ordering(record: dict[str, Any], tmp_path: Path) -> None:
    root = tmp_path / "lb"
    root.mkdir()  # interpbench never creates a leaderboard folder
    # ACAI's trail median sits inside the paper's 0.24 ± 0.01 (×10⁻³) and 0.10 ± 0.01; the baseline's does not.
    acai = _reference_entry(record, "acai", 1.0, {"mean_distance": 0.245e-3, "smoothness": 0.105, "evaluations": 20, "complete": True})
    assert acai["runs"][0]["paper_figure"]["mean_distance"] == pytest.approx(0.245e-3)
    add_entry(root, acai)
    add_entry(root, _reference_entry(record, "baseline", 1e4, {"mean_distance": 9.0e-3, "smoothness": 0.30, "evaluations": 20, "complete": True}))
    md = build(root, scatter=False)["README.md"]
    paper = md.split("## Paper Table 1 side by side")[1]
    acai_row = next(line for line in paper.splitlines() if line.startswith("| ACAI |"))
    assert "| 0.2450 | 0.105 | Mean Distance: yes; Smoothness: yes |" in acai_row
    base_row = next(line for line in paper.splitlines() if line.startswith("| Baseline |"))
    assert "Mean Distance: no, higher; Smoothness: no, lower" in base_row
    # The oracle-level final scores put the copied "acai" record first on both bases.
    assert paper.count("the paper's ordering (ACAI best on both) holds.") == 2
    # Without a trail the final score is compared instead and the median columns say so.
    root2 = tmp_path / "lb2"
    root2.mkdir()
    add_entry(root2, _reference_entry(record, "vae", 1e4, None))
    vae_row = next(line for line in build(root2, scatter=False)["README.md"].splitlines() if line.startswith("| VAE |"))
    assert "| — | — | Mean Distance: no, " in vae_row


def test_a_collapsed_model_is_filed_with_undefined_smoothness_and_ranked_last(record: dict[str, Any], tmp_path: Path) -> None:
    collapsed = copy.deepcopy(record)
    collapsed["model"] = {"name": "vqvae", "preset": "cpu", "kimg": 256, "train_seed": 0, "checkpoint_sha256": "c" * 64,
                          "trail": {"mean_distance": 0.03, "smoothness": None, "evaluations": 20, "complete": True}}
    pairs = collapsed["protocol"]["pairs"]
    for s in collapsed["seeds"]:
        s["path_smoothness"] = [None] * pairs
    collapsed["metrics"]["smoothness"] = {"mean": None, "std": None, "per_seed": [None] * len(collapsed["seeds"])}
    collapsed["metrics"]["n_undefined"] = {"total": pairs * len(collapsed["seeds"]), "per_seed": [pairs] * len(collapsed["seeds"])}
    n_seeds = len(collapsed["seeds"])
    collapsed["metrics"]["output_spread"] = {"mean": 0.002, "std": 0.0, "per_seed": [0.002] * n_seeds}
    entry = entry_from_results([collapsed])
    assert entry["summary"]["smoothness"]["mean"] is None and entry["summary"]["smoothness"]["ci95"] is None
    root = tmp_path / "lb"
    root.mkdir()  # interpbench never creates a leaderboard folder
    add_entry(root, entry)
    add_entry(root, entry_from_results([record]))
    md = build(root)["README.md"]  # the scatter leaves the collapsed entry out instead of failing
    lines_table = md.split("## Lines benchmark")[1].split("##")[0]
    row = next(line for line in lines_table.splitlines() if line.startswith("| 2 |"))
    assert "vqvae" in row and "undefined (all paths)" in row and "collapsed" in row
    assert "is collapsed: its decoded images are all one image whatever the code (output spread 0.002" in lines_table
    other = next(line for line in lines_table.splitlines() if line.startswith("| 1 |"))
    assert "collapsed" not in other
    paper_row = next(line for line in md.splitlines() if line.startswith("| VQ-VAE |"))
    assert "| 30.00 | undefined | Mean Distance: no, higher; Smoothness: no, undefined |" in paper_row

"""The README's Baseline-vs-ACAI table on each suite quotes its leaderboard entries, number for number."""

from __future__ import annotations

import json
import re
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
HEADING = "### Baseline vs ACAI on each suite"


def _section() -> str:
    text = (ROOT / "README.md").read_text(encoding="utf-8")
    start = text.index(HEADING)
    end = text.find("\n#", start + len(HEADING))
    return text[start : end if end != -1 else len(text)]


def _tables() -> list[list[list[str]]]:
    """The section's tables, each a list of rows of cells (header rows left out)."""
    tables: list[list[list[str]]] = [[]]
    for line in _section().splitlines():
        if line.startswith("| suite"):
            tables.append([])
        elif line.startswith("| "):
            tables[-1].append([cell.strip() for cell in line.strip().strip("|").split("|")])
    return [t for t in tables if t]


def _rows() -> list[list[str]]:
    return _tables()[0]


def _entry_of(suite: str, model: str) -> dict:
    for row in _rows():
        found = re.search(r"`([a-z0-9._-]+-v1)`", row[-1])
        if row[0] == suite and row[1] == model and found:
            return json.loads((ROOT / "leaderboard" / "results" / f"{found.group(1)}.json").read_text())
    raise AssertionError(f"no filed entry for {model} on {suite} in the scores table")


def test_every_filed_row_matches_its_entry() -> None:
    filed = [row for row in _rows() if re.search(r"`[a-z0-9._-]+-v1`", row[-1])]
    assert filed, "the table quotes no leaderboard entry"
    for suite, model, md, sm, geo, minutes, entry_cell in filed:
        entry_id = re.search(r"`([a-z0-9._-]+-v1)`", entry_cell).group(1)  # type: ignore[union-attr]
        entry = json.loads((ROOT / "leaderboard" / "results" / f"{entry_id}.json").read_text())
        s = entry["summary"]
        assert entry["protocol"]["suite"] == suite and entry["model"]["name"] == model.lower()
        assert entry["training"]["preset"] == "cpu" and entry["protocol"]["seeds"] == [0, 1, 2]
        assert md == f"{s['mean_distance']['mean'] * 1e3:.3f} ± {s['mean_distance']['std'] * 1e3:.3f}"
        smooth = s["smoothness"]
        expected = "undefined (all paths)" if smooth["mean"] is None else f"{smooth['mean']:.3f} ± {smooth['std']:.3f}"
        assert sm == expected
        assert geo == f"{s['geodesic_error']['mean']:.4f} ± {s['geodesic_error']['std']:.4f}"
        assert minutes == f"{entry['training']['wall_clock_s'] / 60:.0f} min"


def test_every_suite_has_both_models_in_the_table() -> None:
    pairs = {(row[0], row[1]) for row in _rows()}
    assert pairs == {(s, m) for s in ("clock", "blob") for m in ("Baseline", "ACAI")}


def test_every_probe_row_matches_its_entry() -> None:
    probes = _tables()[1]
    assert probes
    for suite, model, linear, kmeans in probes:
        filed = _entry_of(suite, model)["probes"]
        assert linear == f"{filed[f'{suite}/linear']:.2f}" and kmeans == f"{filed[f'{suite}/kmeans']:.2f}"

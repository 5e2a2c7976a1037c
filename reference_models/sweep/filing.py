"""File a finished sweep on a leaderboard: one entry per configuration, its seeds as the runs."""

from __future__ import annotations

import re
from collections.abc import Callable, Sequence
from pathlib import Path
from typing import Any

from ..loading import load_trained

__all__ = ["entry_id_for", "file_sweep"]


def entry_id_for(configuration: str, preset: str, kimg: float) -> str:
    """A leaderboard id for a configuration (lower case; ``=`` and other signs become ``_``)."""
    text = re.sub(r"[^a-z0-9._-]", "_", f"sweep-{configuration}-{preset}-{kimg:g}kimg".lower())
    return text[:128]


def file_sweep(record: dict[str, Any], board: str | Path, *, score_seeds: Sequence[int] = (0, 1, 2, 3, 4),
               device: str | None = None, echo: Callable[[str], None] = print) -> list[Path]:
    """Score every finished run of ``record`` and file one entry per configuration whose runs all finished.

    A configuration already filed (its id present in ``board``) is skipped, so filing again after
    a rerun adds only the new configurations. Returns the paths of the entries filed now.
    """
    import interpbench
    from interpbench.leaderboard import add_entry, entry_from_results

    groups: dict[str, list[dict[str, Any]]] = {}
    for run in record["runs"]:
        groups.setdefault(run["configuration"], []).append(run)
    filed = []
    for name, runs in groups.items():
        if not all(r["status"] in ("finished", "already finished") for r in runs):
            echo(f"leaderboard: {name} not filed: not all of its runs finished")
            continue
        summary = runs[0]["summary"]
        suite = runs[0].get("suite") or "lines"
        entry_id = entry_id_for(name if suite == "lines" else f"{name}-{suite}", summary["preset"], float(summary["kimg"]))
        if (Path(board) / "results" / f"{entry_id}.json").exists():
            echo(f"leaderboard: {name} already filed as {entry_id}")
            continue
        records = []
        for run in runs:
            model, info = load_trained(run["model"], Path(run["out"]) / "checkpoint.pt", device=device)
            # Scored on the suite the run trained on (sweeps from before suites: lines).
            records.append(interpbench.score(model, seeds=list(score_seeds), model_info=info, keep_images=False,
                                             suite=run.get("suite")).to_dict())
        swept = ", ".join(f"{k}={v}" for k, v in sorted(runs[0]["swept"].items())) or "the model's config"
        entry = entry_from_results(records, labels=[r["out"] for r in runs], entry_id_override=entry_id,
                                   notes=f"interpbench sweep on Ray: {name} ({swept}), {len(runs)} training seeds")
        path = add_entry(board, entry)
        echo(f"leaderboard: filed {name} as {path}")
        filed.append(path)
    return filed

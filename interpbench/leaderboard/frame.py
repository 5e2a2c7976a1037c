"""The leaderboard as a pandas DataFrame: one row per entry, ranked as the page ranks them."""

from __future__ import annotations

import os
from typing import TYPE_CHECKING, Any

from .entries import Entry, load_entries
from .render import _paper_row_of, _protocol_text, _suite_of, ranked_groups

if TYPE_CHECKING:
    import pandas

__all__ = ["to_frame", "METRIC_COLUMNS"]

# Each summarised metric gives four columns: its mean, std and 95% interval (unscaled).
METRIC_COLUMNS = ("mean_distance", "smoothness", "geodesic_error")


def to_frame(root: str | os.PathLike[str] | None = None) -> "pandas.DataFrame":
    """Every entry of the leaderboard in ``root`` (default: the one found from the working directory).

    One row per entry, in the page's order: by suite and protocol (``suite``, ``protocol``), and
    within each by rank (``rank``, 1 = best Mean Distance, as the page ranks). Metrics are
    unscaled (Mean Distance 0.0035, not 3.5), with ``_std``, ``_ci_low`` and ``_ci_high`` beside
    each; ``paper_mean_distance`` / ``paper_smoothness`` hold the paper's Table 1 value for
    trained reference models (NaN otherwise); probe accuracies (%) are ``probe.<dataset/probe>``.
    """
    import pandas as pd

    from ..errors import DataError
    from .location import find_leaderboard

    if root is None:
        root = find_leaderboard()
        if root is None:
            raise DataError(f"no leaderboard (a leaderboard/ folder with results/) in {os.getcwd()!r} or above it; pass root=")
    rows = []
    for group in ranked_groups(load_entries(root)):
        for rank, entry in enumerate(group, start=1):
            rows.append(_row(entry, rank))
    probes = sorted({k for row in rows for k in row if k.startswith("probe.")})
    columns = [*_BASE_COLUMNS, *probes]
    return pd.DataFrame(rows, columns=columns)


_BASE_COLUMNS = ["suite", "protocol", "rank", "id", "model", "kind", "preset", "kimg", "training_runs",
                 *[f"{m}{s}" for m in METRIC_COLUMNS for s in ("", "_std", "_ci_low", "_ci_high")],
                 "n_undefined", "collapsed", "paper_mean_distance", "paper_smoothness", "hardware", "wall_clock_s",
                 "samples_per_s", "added"]


def _row(entry: Entry, rank: int) -> dict[str, Any]:
    data = entry.data
    training = data.get("training") or {}
    paper = _paper_row_of(entry)
    row: dict[str, Any] = {
        "suite": _suite_of(entry), "protocol": _protocol_text(data["protocol"]), "rank": rank, "id": entry.id,
        "model": entry.name, "kind": entry.kind, "preset": training.get("preset"), "kimg": training.get("kimg"),
        "training_runs": len(data["runs"]), "n_undefined": data["summary"].get("n_undefined"), "collapsed": entry.collapsed,
        # The paper printed Mean Distance ×10⁻³; the frame keeps every Mean Distance unscaled.
        "paper_mean_distance": paper.mean_distance_e3 * 1e-3 if paper else None,
        "paper_smoothness": paper.smoothness if paper else None,
        "hardware": training.get("hardware"), "wall_clock_s": training.get("wall_clock_s"),
        "samples_per_s": training.get("samples_per_s"), "added": data.get("added"),
    }
    for metric in METRIC_COLUMNS:
        summary = data["summary"].get(metric) or {}
        ci = summary.get("ci95") or [None, None]
        row.update({metric: summary.get("mean"), f"{metric}_std": summary.get("std"),
                    f"{metric}_ci_low": ci[0], f"{metric}_ci_high": ci[1]})
    row.update({f"probe.{k}": v for k, v in (data.get("probes") or {}).items()})
    return row

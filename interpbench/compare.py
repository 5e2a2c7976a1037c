"""Several models scored under one protocol: one comparison table, and the scatter points beside the paper's Table 1.

The scatter itself is drawn by :func:`interpbench.figures.comparison_figure` (figures imports this
module, never the other way round).
"""

from __future__ import annotations

import math
from collections.abc import Sequence
from typing import Any

from .errors import OptionError
from .leaderboard.paper import PAPER_TABLE1
from .result import NOT_COMPARABLE, Result, smoothness_text

__all__ = ["comparison_table", "paper_points", "result_points", "check_same_protocol"]


def check_same_protocol(results: Sequence[Result]) -> None:
    if not results:
        raise OptionError("nothing to compare: no results given")
    first = results[0].protocol
    for r in results[1:]:
        if r.protocol != first:
            raise OptionError(f"{r.name!r} was scored under another protocol ({r.protocol}) than {results[0].name!r} ({first}); "
                              f"{NOT_COMPARABLE}")


def comparison_table(results: Sequence[Result]) -> str:
    """One row per model: Mean Distance ×10⁻³ and Smoothness (mean ± std over protocol seeds), the
    undefined count, the geodesic error, reconstruction MSE and the sanity warnings. All results share one protocol."""
    check_same_protocol(results)
    from tabulate import tabulate

    p = results[0].protocol
    n_paths = p.pairs * len(p.seeds)
    rows = []
    for r in results:
        smooth = r.smoothness
        recon = [v for v in r.per_seed("reconstruction_error") if v is not None]
        notes = [w["code"].replace("_", " ") + " warning" for w in r.warnings] + (["collapsed"] if r.collapsed else [])
        rows.append([
            r.name,
            f"{r.mean_distance * 1e3:.4f} ± {r.mean_distance_std * 1e3:.4f}",
            smoothness_text(None if math.isnan(smooth) else smooth, r.smoothness_std, r.n_undefined, n_paths, "{:.4f}"),
            f"{r.n_undefined} of {n_paths}",
            f"{r.geodesic_error:.4f} ± {r.geodesic_error_std:.4f}",
            f"{sum(recon) / len(recon):.2e}" if recon else "—",
            ", ".join(notes) or "—",
        ])
    # tabulate sizes each column to its widest cell: fixed widths let "undefined (1280 of 1280)"
    # run into the next column.
    table = tabulate(rows, headers=["model", "Mean Distance ×10⁻³", "Smoothness", "undefined", "geodesic error", "recon MSE", "notes"],
                     tablefmt="simple", colalign=("left", "right", "right", "right", "right", "right", "left"), disable_numparse=True)
    lines = [
        f"protocol: {p.path}, {p.pairs} pairs × {p.steps} steps, bank {p.bank_size}, seeds {', '.join(map(str, p.seeds))} "
        "(mean ± std over seeds; lower is better)",
        "",
        table,
    ]
    return "\n".join(lines)


def paper_points() -> list[dict[str, Any]]:
    """The paper's Table 1 as open scatter points (± std), for :func:`interpbench.figures.scatter_figure`."""
    return [
        dict(
            label=f"{row.model} (paper)", md=row.mean_distance_e3, sm=row.smoothness, filled=False,
            md_err=(row.mean_distance_e3 - row.mean_distance_e3_std, row.mean_distance_e3 + row.mean_distance_e3_std),
            sm_err=(row.smoothness - row.smoothness_std, row.smoothness + row.smoothness_std),
        )
        for row in PAPER_TABLE1
    ]


def result_points(results: Sequence[Result]) -> tuple[list[dict[str, Any]], list[str]]:
    """Filled scatter points (mean ± std over protocol seeds) and the names left out for undefined Smoothness."""
    points, skipped = [], []
    for r in results:
        if math.isnan(r.smoothness):
            skipped.append(r.name)
            continue
        md, md_sd, sm, sm_sd = r.mean_distance * 1e3, r.mean_distance_std * 1e3, r.smoothness, r.smoothness_std
        points.append(dict(label=r.name, md=md, sm=sm, filled=True, md_err=(md - md_sd, md + md_sd), sm_err=(sm - sm_sd, sm + sm_sd)))
    return points, skipped

"""Several models scored under one protocol: one comparison table, one scatter beside the paper's Table 1."""

from __future__ import annotations

import math
from collections.abc import Sequence
from typing import Any

from .errors import OptionError
from .leaderboard.paper import PAPER_TABLE1
from .result import NOT_COMPARABLE, Result, smoothness_text

__all__ = ["comparison_table", "paper_points", "comparison_figure"]


def _check_same_protocol(results: Sequence[Result]) -> None:
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
    _check_same_protocol(results)
    p = results[0].protocol
    n_paths = p.pairs * len(p.seeds)
    width = max(12, *(len(r.name) for r in results)) + 2
    head = f"{'model':<{width}}{'Mean Distance ×10⁻³':>22}{'Smoothness':>24}{'undefined':>16}{'geodesic error':>20}{'recon MSE':>12}  notes"
    lines = [
        f"protocol: {p.path}, {p.pairs} pairs × {p.steps} steps, bank {p.bank_size}, seeds {', '.join(map(str, p.seeds))} "
        "(mean ± std over seeds; lower is better)",
        "",
        head,
        "-" * len(head),
    ]
    for r in results:
        md = f"{r.mean_distance * 1e3:.4f} ± {r.mean_distance_std * 1e3:.4f}"
        smooth = r.smoothness
        sm = smoothness_text(None if math.isnan(smooth) else smooth, r.smoothness_std, r.n_undefined, n_paths, "{:.4f}")
        recon = [v for v in r.per_seed("reconstruction_error") if v is not None]
        notes = [w["code"].replace("_", " ") + " warning" for w in r.warnings] + (["collapsed"] if r.collapsed else [])
        lines.append(
            f"{r.name:<{width}}{md:>22}{sm:>24}{f'{r.n_undefined} of {n_paths}':>16}"
            f"{f'{r.geodesic_error:.4f} ± {r.geodesic_error_std:.4f}':>20}"
            f"{(f'{sum(recon) / len(recon):.2e}' if recon else '—'):>12}  {', '.join(notes) or '—'}"
        )
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


def comparison_figure(results: Sequence[Result]):  # type: ignore[no-untyped-def]
    """Mean Distance vs Smoothness of ``results`` (filled, ± std over seeds) beside the paper's Table 1 (open).

    Models whose Smoothness is undefined on every interpolation have no place on the plot and
    are named in the title instead.
    """
    from .figures import scatter_figure

    _check_same_protocol(results)
    points, skipped = result_points(results)
    title = "Lines benchmark: compared models (filled, ± std over protocol seeds) and paper Table 1 (open, ± std)"
    if skipped:
        title += f"\nnot drawn, Smoothness undefined: {', '.join(skipped)}"
    return scatter_figure(paper_points() + points, title=title)

"""The paper's per-run figure (SPEC §7): the median of a run's last 20 trail evaluations."""

from __future__ import annotations

from typing import Any

import numpy as np

__all__ = ["PAPER_LAST_N", "paper_figure"]

PAPER_LAST_N = 20


def paper_figure(trail: list[dict[str, Any]], last: int = PAPER_LAST_N) -> dict[str, Any]:
    """Median Mean Distance and Smoothness over the last ``last`` evaluations, with how many were used.

    ``trail`` holds records with ``mean_distance`` and ``smoothness`` (None where undefined; the
    Smoothness median takes only the defined ones). ``complete`` is False when the trail is
    shorter than ``last`` (the figure then is not the paper's).
    """
    tail = trail[-last:]
    md = [e["mean_distance"] for e in tail]
    sm = [e["smoothness"] for e in tail if e["smoothness"] is not None]
    return {
        "mean_distance": float(np.median(md)) if md else None,
        "smoothness": float(np.median(sm)) if sm else None,
        "evaluations": len(tail),
        "complete": len(tail) >= last,
    }

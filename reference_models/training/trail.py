"""The evaluation trail: the benchmark score of a run at regular points during training.

The paper reported, per run, the median of its last 20 evaluations (SPEC §7); keeping the trail
lets interpbench report that figure next to the final checkpoint's score.
"""

from __future__ import annotations

import math
from typing import Any

import numpy as np

__all__ = ["evaluation_entry", "paper_figure", "PAPER_LAST_N"]

PAPER_LAST_N = 20


def evaluation_entry(kimg: float, step: int, seed: int, result: Any) -> dict[str, Any]:
    """One trail record from an :class:`interpbench.Result` (NaN Smoothness stored as None)."""
    smooth = float(result.smoothness)
    return {
        "kimg": float(kimg),
        "step": int(step),
        "seed": int(seed),
        "pairs": int(result.protocol.pairs),
        "mean_distance": float(result.mean_distance),
        "smoothness": None if math.isnan(smooth) else smooth,
        "n_undefined": int(result.n_undefined),
    }


def paper_figure(trail: list[dict[str, Any]], last: int = PAPER_LAST_N) -> dict[str, Any]:
    """Median Mean Distance and Smoothness over the last ``last`` evaluations, with how many were used.

    ``complete`` is False when the trail is shorter than ``last`` (the figure then is not the paper's).
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

"""The evaluation trail: the benchmark score of a run at regular points during training.

The paper reported, per run, the median of its last 20 evaluations (SPEC §7); keeping the trail
lets interpbench report that figure next to the final checkpoint's score.
"""

from __future__ import annotations

import math
from typing import Any

import numpy as np
import torch

from interpbench.paper_figure import PAPER_LAST_N, paper_figure
from interpbench.suites import get_suite

__all__ = ["code_diagnostics", "collapse_summary", "evaluation_entry", "evaluation_line", "paper_figure", "PAPER_LAST_N"]



def evaluation_entry(kimg: float, step: int, seed: int, result: Any, diagnostics: dict[str, Any] | None = None) -> dict[str, Any]:
    """One trail record from an :class:`interpbench.Result` (NaN Smoothness stored as None).

    Besides the headline metrics it records the collapse diagnostics: the output spread of the
    decoded images, ``collapsed`` when they are all one image, and ``diagnostics`` (the code
    spread and model-specific ones, from :func:`code_diagnostics`).
    """
    smooth = float(result.smoothness)
    spread = result.seeds[0].scores.output_spread
    return {
        "kimg": float(kimg),
        "step": int(step),
        "seed": int(seed),
        "pairs": int(result.protocol.pairs),
        "mean_distance": float(result.mean_distance),
        "smoothness": None if math.isnan(smooth) else smooth,
        "n_undefined": int(result.n_undefined),
        "geodesic_error": float(result.geodesic_error),
        "output_spread": float(spread),
        "collapsed": bool(result.collapsed),
        **(diagnostics or {}),
    }


@torch.no_grad()
def code_diagnostics(model: Any, seed: int, pairs: int, suite: str | None = None) -> dict[str, Any]:
    """Collapse diagnostics of the codes of an evaluation's 2·``pairs`` endpoints (protocol ``seed``, on ``suite``: default lines).

    ``code_spread``: the mean over code dimensions of the standard deviation across images (0
    when every image gets the same code), plus whatever ``model.code_diagnostics`` adds
    (VQ-VAE: ``codes_in_use``, the codebook entries the endpoints are quantised to).
    """
    bench = get_suite(suite)
    ends = bench.endpoint_factors(seed, pairs)
    images = bench.render(np.concatenate([ends[:, 0], ends[:, 1]])).astype(np.float32)[:, None]
    device = next(model.parameters()).device
    was_training = model.training
    model.eval()
    if hasattr(model, "on_protocol_seed"):
        model.on_protocol_seed(seed)  # a VAE's codes: the same posterior samples the evaluation scored
    codes = model.encode(torch.from_numpy(images).to(device))
    out = {"code_spread": float(codes.flatten(1).std(dim=0, unbiased=False).mean()), **model.code_diagnostics(codes)}
    model.train(was_training)
    return out


def collapse_summary(trail: list[dict[str, Any]]) -> dict[str, Any]:
    """Whether the run ended collapsed, how many evaluations were, and the last diagnostics."""
    if not trail:
        return {"collapsed": None, "collapsed_evaluations": 0, "evaluations": 0}
    last = trail[-1]
    keys = ("output_spread", "code_spread", "codes_in_use")
    return {
        "collapsed": last.get("collapsed"),
        "collapsed_evaluations": sum(bool(e.get("collapsed")) for e in trail),
        "evaluations": len(trail),
        **{f"final_{k}": last[k] for k in keys if k in last},
    }


def evaluation_line(entry: dict[str, Any]) -> str:
    """A trail record as one progress line: metrics, undefined count and collapse diagnostics."""
    smooth = "undefined" if entry["smoothness"] is None else f"{entry['smoothness']:.4f}"
    line = (f"{entry['kimg']:g} kimg: Mean Distance {entry['mean_distance'] * 1e3:.3f}e-3, Smoothness {smooth} "
            f"({entry['n_undefined']}/{entry['pairs']} undefined)"
            + (f", geodesic error {entry['geodesic_error']:.4f}" if "geodesic_error" in entry else "")
            + f"; output spread {entry['output_spread']:.3f}")
    if "code_spread" in entry:
        line += f", code spread {entry['code_spread']:.3g}"
    if "codes_in_use" in entry:
        line += f", codes in use {entry['codes_in_use']}"
    return line + (" — collapsed" if entry.get("collapsed") else "")

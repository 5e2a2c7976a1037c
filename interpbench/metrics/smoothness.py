"""Smoothness of an interpolation path (SPEC §4): how evenly the decoded angle moves."""

from __future__ import annotations

import numpy as np

from ..spec import SMOOTHNESS_MIN_TOTAL

__all__ = ["smoothness", "aggregate_smoothness", "defined_smoothness", "unwrapped_total"]


def unwrapped_total(angles: np.ndarray) -> np.ndarray:
    """Signed angle travelled by each path (last minus first after unwrapping), shape (n_paths,)."""
    unwrapped = np.unwrap(_as_paths(angles), axis=1)
    return unwrapped[:, -1] - unwrapped[:, 0]


def smoothness(angles: np.ndarray) -> np.ndarray:
    """Per-path Smoothness of angles shaped (n_paths, n_steps); NaN where the path barely moves.

    S = max_n |Δ_n| / |total| − 1/(N − 1) after unwrapping; 0 means equal steps.
    """
    paths = _as_paths(angles)
    unwrapped = np.unwrap(paths, axis=1)
    steps = np.abs(np.diff(unwrapped, axis=1))
    total = np.abs(unwrapped[:, -1] - unwrapped[:, 0])
    defined = total >= SMOOTHNESS_MIN_TOTAL
    scores = np.full(paths.shape[0], np.nan)
    scores[defined] = steps[defined].max(axis=1) / total[defined] - 1.0 / (paths.shape[1] - 1)
    return scores


def aggregate_smoothness(per_path: np.ndarray) -> tuple[float, int]:
    """The paper's aggregate: (sum of defined scores) / (all paths), and the undefined count.

    Undefined paths add 0 to the sum but count in the denominator; the aggregate is NaN only
    when every path is undefined.
    """
    per_path = np.asarray(per_path, dtype=np.float64)
    if per_path.ndim != 1 or per_path.size == 0:
        raise ValueError(f"per-path smoothness must be a non-empty 1-d array, got shape {per_path.shape}")
    undefined = np.isnan(per_path)
    n_undefined = int(undefined.sum())
    if n_undefined == per_path.size:
        return float("nan"), n_undefined
    return float(np.sum(per_path[~undefined]) / per_path.size), n_undefined


def _as_paths(angles: np.ndarray) -> np.ndarray:
    paths = np.asarray(angles, dtype=np.float64)
    if paths.ndim != 2 or paths.shape[1] < 2:
        raise ValueError(f"angles must have shape (n_paths, n_steps ≥ 2), got {paths.shape}")
    return paths


def defined_smoothness(per_path: np.ndarray) -> float:
    """Mean Smoothness over the defined paths only (a diagnostic beside the paper's aggregate).

    The paper's aggregate counts undefined paths as 0, so a model whose paths mostly never move
    looks smooth; this mean leaves them out. NaN when no path is defined.
    """
    per_path = np.asarray(per_path, dtype=np.float64)
    if per_path.ndim != 1 or per_path.size == 0:
        raise ValueError(f"per-path smoothness must be a non-empty 1-d array, got shape {per_path.shape}")
    defined = per_path[~np.isnan(per_path)]
    return float(defined.mean()) if defined.size else float("nan")

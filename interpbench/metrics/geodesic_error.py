"""Geodesic error (interpbench spec, docs/SPEC.md §X1): how far a decoded path is from the true path.

The paper's Mean Distance asks whether each interpolant is *some* real image, and Smoothness
whether the decoded factor moves in equal steps; neither asks whether it moves *along the true
geodesic, at constant speed*. A decoded path that snaps, stalls, goes the long way round or
never moves can score perfectly on both. The geodesic error compares every decoded image's
factor with where the geodesic between the true endpoints is at that image's t.
"""

from __future__ import annotations

import numpy as np

from ..factor_space import CIRCLE, FactorSpace

__all__ = ["geodesic_errors", "path_geodesic_error", "geodesic_error"]


def geodesic_errors(estimated: np.ndarray, endpoints: np.ndarray, space: FactorSpace = CIRCLE) -> np.ndarray:
    """Per-image geodesic error in [0, 1], shape (P, N).

    ``estimated``: (P, N, *factor_shape) the factors read off each decoded image (the lines
    benchmark: each image's nearest bank line's angle). ``endpoints``: (P, 2, *factor_shape) the
    true start and end factors. Image n of path i is compared with the geodesic point at
    t = n / (N − 1): e = distance(estimated, geodesic(start, end, t)) / max_distance.
    """
    est = np.asarray(estimated, dtype=np.float64)
    ends = np.asarray(endpoints, dtype=np.float64)
    k = len(space.factor_shape)
    if est.ndim != 2 + k or est.shape[2:] != space.factor_shape or est.shape[1] < 2:
        raise ValueError(f"estimated factors must have shape (P, N ≥ 2, *{space.factor_shape}), got {est.shape}")
    if ends.shape != (est.shape[0], 2, *space.factor_shape):
        raise ValueError(f"endpoints must have shape {(est.shape[0], 2, *space.factor_shape)}, got {ends.shape}")
    t = np.arange(est.shape[1], dtype=np.float64) / (est.shape[1] - 1)
    truth = space.geodesic(ends[:, 0], ends[:, 1], t)
    return space.normalised_distance(est, truth)


def path_geodesic_error(errors: np.ndarray) -> np.ndarray:
    """Mean geodesic error of each path, shape (P,), from :func:`geodesic_errors`' (P, N)."""
    e = np.asarray(errors, dtype=np.float64)
    if e.ndim != 2 or e.size == 0:
        raise ValueError(f"geodesic errors must be a non-empty (P, N) array, got shape {e.shape}")
    return e.mean(axis=1)


def geodesic_error(errors: np.ndarray) -> float:
    """The headline: mean geodesic error over all P·N images (0 = every image on the true path, on time)."""
    e = np.asarray(errors, dtype=np.float64)
    if e.size == 0:
        raise ValueError("geodesic error of an empty set of images is undefined")
    return float(e.mean())

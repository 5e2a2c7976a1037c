"""Score already-decoded interpolation paths (SPEC §4)."""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from .metrics import (
    aggregate_smoothness,
    long_way_fraction,
    mean_distance,
    nearest_line,
    output_spread,
    reconstruction_error,
    smoothness,
)

__all__ = ["PathScores", "score_paths", "path_scores"]


@dataclass(frozen=True)
class PathScores:
    """Headline metrics of one set of paths, their diagnostics and the per-image values."""

    mean_distance: float
    smoothness: float
    n_undefined: int
    n_paths: int
    n_steps: int
    long_way_fraction: float
    distances: np.ndarray  # (n_paths, n_steps) nearest-line cosine distance
    angles: np.ndarray  # (n_paths, n_steps) nearest-line angle
    path_smoothness: np.ndarray  # (n_paths,) NaN where undefined
    reconstruction_error: float | None = None  # MSE of the t = 0 and t = 1 images, if endpoints given
    output_spread: float | None = None  # spread of all decoded images relative to the true endpoints' (0: collapsed)


def score_paths(paths: np.ndarray, endpoints: np.ndarray | None = None, search_device: str | None = None) -> PathScores:
    """Score decoded paths shaped (n_paths, n_steps, 32, 32), raw: no clipping, no rescaling.

    ``endpoints``, shaped (n_paths, 2, 32, 32), are the true start and end images; with them the
    reconstruction error at t = 0 and t = 1 and the output spread (collapse diagnostic) are
    reported too. ``search_device`` runs the nearest-line search in torch on that device (same lines).
    """
    x = np.asarray(paths)
    if x.ndim != 4 or x.shape[2:] != (32, 32) or x.shape[0] < 1 or x.shape[1] < 2:
        raise ValueError(f"paths must have shape (n_paths ≥ 1, n_steps ≥ 2, 32, 32), got {x.shape}")
    if not np.all(np.isfinite(x)):
        raise ValueError("paths contain NaN or inf; a model's non-finite output cannot be scored")
    distances, angles = nearest_line(x, device=search_device)
    recon = spread = None
    if endpoints is not None:
        ends = np.asarray(endpoints)
        if ends.shape != (x.shape[0], 2, 32, 32):
            raise ValueError(f"endpoints must have shape {(x.shape[0], 2, 32, 32)}, got {ends.shape}")
        recon = reconstruction_error(x[:, [0, -1]], ends)
        spread = output_spread(x, ends)
    return path_scores(distances, angles, reconstruction_error=recon, output_spread=spread)


def path_scores(distances: np.ndarray, angles: np.ndarray, reconstruction_error: float | None = None,
                output_spread: float | None = None) -> PathScores:
    """The headline metrics from the per-image nearest-line ``distances`` and ``angles`` (n_paths, n_steps).

    What :func:`score_paths` computes once the nearest lines are known; scoring in chunks
    (:func:`interpbench.score`) finds them chunk by chunk and calls this on the whole arrays.
    """
    per_path = smoothness(angles)
    aggregate, n_undefined = aggregate_smoothness(per_path)
    return PathScores(
        mean_distance=mean_distance(distances),
        smoothness=aggregate,
        n_undefined=n_undefined,
        n_paths=int(distances.shape[0]),
        n_steps=int(distances.shape[1]),
        long_way_fraction=long_way_fraction(angles),
        distances=distances,
        angles=angles,
        path_smoothness=per_path,
        reconstruction_error=reconstruction_error,
        output_spread=output_spread,
    )

"""Score already-decoded interpolation paths (SPEC §4)."""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from .metrics import (
    aggregate_smoothness,
    defined_smoothness,
    geodesic_error,
    geodesic_errors,
    long_way_fraction,
    mean_distance,
    nearest_line,
    output_spread,
    path_geodesic_error,
    reconstruction_error,
    smoothness,
)

from .suites import Suite, get_suite

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
    geodesic_error: float  # mean over all images of the distance to the true geodesic at t, / its largest (docs/SPEC.md §X1)
    path_geodesic_error: np.ndarray  # (n_paths,) mean geodesic error of each path
    endpoint_angles: np.ndarray  # (n_paths, 2) the start and end angles the geodesic runs between
    smoothness_defined: float  # mean Smoothness over defined paths only (NaN if none): a diagnostic
    reconstruction_error: float | None = None  # MSE of the t = 0 and t = 1 images, if endpoints given
    output_spread: float | None = None  # spread of all decoded images relative to the true endpoints' (0: collapsed)


def score_paths(
    paths: np.ndarray,
    endpoints: np.ndarray | None = None,
    search_device: str | None = None,
    endpoint_angles: np.ndarray | None = None,
    suite: str | Suite | None = None,
) -> PathScores:
    """Score decoded paths shaped (n_paths, n_steps, 32, 32), raw: no clipping, no rescaling.

    ``endpoints``, shaped (n_paths, 2, 32, 32), are the true start and end images; with them the
    reconstruction error at t = 0 and t = 1 and the output spread (collapse diagnostic) are
    reported too. ``endpoint_angles``, shaped (n_paths, 2), are the true start and end angles
    Λa, Λb that the geodesic error measures against; without them, the estimated angles of each
    path's first and last image are used (so a model is not charged for bad endpoints).
    ``search_device`` runs the nearest-line search in torch on that device (same lines; lines only).
    ``suite`` (a name or :class:`~interpbench.suites.Suite`; default lines) sets the bank, the factor
    space and the factors: for a suite of F factors ``endpoint_angles`` is (n_paths, 2, F) and the
    nearest-bank factors in ``angles`` are (n_paths, n_steps, F).

    >>> import numpy as np, interpbench
    >>> ends = np.array([[0.3, 1.2]])
    >>> t = np.linspace(0, 1, 16)
    >>> true_path = interpbench.render(0.3 + t * 0.9)[None]
    >>> scores = score_paths(true_path, endpoint_angles=ends)
    >>> scores.geodesic_error < 2e-4  # on the true path, up to the bank's spacing
    True
    >>> snapped = interpbench.render(np.where(t < 0.5, 0.3, 1.2))[None]
    >>> round(score_paths(snapped, endpoint_angles=ends).geodesic_error, 3)  # the paper's metrics don't see it
    0.067
    """
    x = np.asarray(paths)
    if x.ndim != 4 or x.shape[2:] != (32, 32) or x.shape[0] < 1 or x.shape[1] < 2:
        raise ValueError(f"paths must have shape (n_paths ≥ 1, n_steps ≥ 2, 32, 32), got {x.shape}")
    if not np.all(np.isfinite(x)):
        raise ValueError("paths contain NaN or inf; a model's non-finite output cannot be scored")
    bench = get_suite(suite)
    distances, angles = nearest_images(x, bench, search_device)
    recon = spread = None
    if endpoints is not None:
        ends = np.asarray(endpoints)
        if ends.shape != (x.shape[0], 2, 32, 32):
            raise ValueError(f"endpoints must have shape {(x.shape[0], 2, 32, 32)}, got {ends.shape}")
        recon = reconstruction_error(x[:, [0, -1]], ends)
        spread = output_spread(x, ends)
    return path_scores(distances, angles, endpoint_angles=endpoint_angles, reconstruction_error=recon, output_spread=spread,
                       suite=bench)


def nearest_images(paths: np.ndarray, suite: Suite, search_device: str | None = None) -> tuple[np.ndarray, np.ndarray]:
    """Distances to, and factors of, the nearest bank image of each image of ``paths`` (n_paths, n_steps, 32, 32)."""
    if search_device is not None:
        if suite.name != "lines":
            raise ValueError(f"search_device runs the lines bank only; the {suite.name} suite searches on the CPU")
        return nearest_line(paths, device=search_device)
    found = suite.nearest(np.asarray(paths).reshape(-1, paths.shape[2] * paths.shape[3]))
    return found.distances.reshape(paths.shape[:2]), found.factors.reshape(paths.shape[:2] + suite.space.factor_shape)


def path_scores(distances: np.ndarray, angles: np.ndarray, endpoint_angles: np.ndarray | None = None,
                reconstruction_error: float | None = None, output_spread: float | None = None,
                suite: str | Suite | None = None) -> PathScores:
    """The metrics from the per-image nearest-line ``distances`` and ``angles`` (n_paths, n_steps).

    What :func:`score_paths` computes once the nearest lines are known; scoring in chunks
    (:func:`interpbench.score`) finds them chunk by chunk and calls this on the whole arrays.
    ``endpoint_angles`` as for :func:`score_paths`.
    """
    space = get_suite(suite).space
    per_path = smoothness(angles, space)
    aggregate, n_undefined = aggregate_smoothness(per_path)
    if endpoint_angles is None:
        ends_at = angles[:, [0, -1]]
    else:
        ends_at = np.asarray(endpoint_angles, dtype=np.float64)
        if ends_at.shape != (angles.shape[0], 2, *space.factor_shape) or not np.all(np.isfinite(ends_at)):
            raise ValueError(f"endpoint_angles must be finite with shape {(angles.shape[0], 2, *space.factor_shape)}, got {ends_at.shape}")
    errors = geodesic_errors(angles, ends_at, space)
    return PathScores(
        mean_distance=mean_distance(distances),
        smoothness=aggregate,
        n_undefined=n_undefined,
        n_paths=int(distances.shape[0]),
        n_steps=int(distances.shape[1]),
        long_way_fraction=long_way_fraction(angles, space),
        distances=distances,
        angles=angles,
        path_smoothness=per_path,
        geodesic_error=geodesic_error(errors),
        path_geodesic_error=path_geodesic_error(errors),
        endpoint_angles=ends_at,
        smoothness_defined=defined_smoothness(per_path),
        reconstruction_error=reconstruction_error,
        output_spread=output_spread,
    )

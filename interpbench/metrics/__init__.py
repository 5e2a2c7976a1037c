"""The benchmark's metrics, one per module, as pure functions over arrays."""

from .diagnostics import COLLAPSE_SPREAD, is_collapsed, long_way_fraction, output_spread, reconstruction_error
from .geodesic_error import geodesic_error, geodesic_errors, path_geodesic_error
from .mean_distance import mean_distance
from .nearest_line import nearest_line
from .smoothness import aggregate_smoothness, defined_smoothness, smoothness, unwrapped_total

__all__ = [
    "nearest_line",
    "mean_distance",
    "smoothness",
    "aggregate_smoothness",
    "defined_smoothness",
    "geodesic_errors",
    "path_geodesic_error",
    "geodesic_error",
    "unwrapped_total",
    "long_way_fraction",
    "reconstruction_error",
    "output_spread",
    "is_collapsed",
    "COLLAPSE_SPREAD",
]

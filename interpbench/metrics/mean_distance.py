"""Mean Distance (SPEC §4): how far interpolants are from the nearest true line."""

from __future__ import annotations

import numpy as np

__all__ = ["mean_distance"]


def mean_distance(distances: np.ndarray) -> float:
    """Mean of nearest-line cosine distances over all decoded images (unscaled; tables show ×10⁻³)."""
    d = np.asarray(distances, dtype=np.float64)
    if d.size == 0:
        raise ValueError("mean distance of an empty set of images is undefined")
    return float(d.mean())

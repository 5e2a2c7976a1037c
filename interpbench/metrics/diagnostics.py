"""Extra diagnostics (SPEC §4), reported beside the headline metrics."""

from __future__ import annotations

import numpy as np

from .smoothness import unwrapped_total

__all__ = ["long_way_fraction", "reconstruction_error"]


def long_way_fraction(angles: np.ndarray) -> float:
    """Share of paths whose decoded angle travels more than π, i.e. the long way round the circle."""
    return float(np.mean(np.abs(unwrapped_total(angles)) > np.pi))


def reconstruction_error(decoded: np.ndarray, originals: np.ndarray) -> float:
    """Mean squared pixel error between decoded endpoints and the true endpoint images."""
    decoded = np.asarray(decoded, dtype=np.float64)
    originals = np.asarray(originals, dtype=np.float64)
    if decoded.shape != originals.shape:
        raise ValueError(f"decoded shape {decoded.shape} does not match originals {originals.shape}")
    return float(np.mean((decoded - originals) ** 2))

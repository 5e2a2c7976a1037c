"""Interpolation paths between two batches of codes (SPEC §3): linear, and spherical as an option."""

from __future__ import annotations

from collections.abc import Callable

import numpy as np

__all__ = ["interpolation_times", "lerp", "slerp", "PATH_KINDS"]


def interpolation_times(steps: int) -> np.ndarray:
    """t_n = n / (N − 1), n = 0 … N − 1: both endpoints included."""
    if steps < 2:
        raise ValueError(f"a path needs at least 2 steps, got {steps}")
    return np.arange(steps) / (steps - 1)


def lerp(start: np.ndarray, end: np.ndarray, steps: int) -> np.ndarray:
    """z_t = (1 − t)·z_a + t·z_b element-wise; returns (n_paths, steps, *code_shape)."""
    t = interpolation_times(steps).reshape((1, steps) + (1,) * (start.ndim - 1))
    return (1.0 - t) * start[:, None] + t * end[:, None]


def slerp(start: np.ndarray, end: np.ndarray, steps: int) -> np.ndarray:
    """Spherical interpolation of the flattened codes; falls back to lerp where they are (anti)parallel."""
    n = start.shape[0]
    a = start.reshape(n, -1)
    b = end.reshape(n, -1)
    norm_a = np.linalg.norm(a, axis=1)
    norm_b = np.linalg.norm(b, axis=1)
    safe = (norm_a > 0) & (norm_b > 0)
    cosine = np.where(safe, np.einsum("ij,ij->i", a, b) / np.where(safe, norm_a * norm_b, 1.0), 1.0)
    omega = np.arccos(np.clip(cosine, -1.0, 1.0))
    sin_omega = np.sin(omega)
    t = interpolation_times(steps)[None, :]
    spherical = sin_omega > 1e-6
    denom = np.where(spherical, sin_omega, 1.0)[:, None]
    wa = np.where(spherical[:, None], np.sin((1.0 - t) * omega[:, None]) / denom, 1.0 - t)
    wb = np.where(spherical[:, None], np.sin(t * omega[:, None]) / denom, t)
    out = wa[:, :, None] * a[:, None, :] + wb[:, :, None] * b[:, None, :]
    return out.reshape((n, steps) + start.shape[1:])


PATH_KINDS: dict[str, Callable[[np.ndarray, np.ndarray, int], np.ndarray]] = {"lerp": lerp, "slerp": slerp}

"""The line manifold (SPEC §1–2): an analytic renderer, the seeded test set and the training stream.

Every image is a closed-form function of its angle, so there is no stored data set: the
renderer below reproduces the paper's scanline rasteriser, quirks included, for many angles
at once.
"""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import dataclass

import numpy as np

from .spec import IMAGE_SIZE, LINE_CENTRE, LINE_RADIUS, LINE_WIDTH, N_CLASSES, TEST_SET_SIZE

__all__ = ["render", "segment_ink", "angle_labels", "LineSet", "test_set", "training_stream"]

def render(angles: np.ndarray | float) -> np.ndarray:
    """Render lines at ``angles`` (radians) as a float64 array of shape (n, 32, 32) in [-1, 1].

    Vectorised over angles: the work per image is a fixed-size array expression, and all
    pixel contributions are accumulated with one ``bincount``.
    """
    theta = _angles(angles)
    ink = segment_ink(theta, 0.0, LINE_RADIUS, LINE_WIDTH)
    return np.clip(2.0 * ink - 1.0, -1.0, 1.0)


def _angles(angles: np.ndarray | float) -> np.ndarray:
    theta = np.atleast_1d(np.asarray(angles, dtype=np.float64))
    if theta.ndim != 1:
        raise ValueError(f"angles must be a scalar or a 1-d array, got shape {theta.shape}")
    if not np.all(np.isfinite(theta)):
        raise ValueError("angles must be finite")
    return theta


def segment_ink(angles: np.ndarray, inner: float, outer: float, width: float) -> np.ndarray:
    """Accumulated coverage (n, 32, 32) of radial segments, before doubling and clipping (SPEC §1 steps 1–5).

    Segment k runs along angle Λ_k from radius ``inner`` to radius ``outer`` around the centre,
    ``width`` pixels wide, rasterised with SPEC §1's scanline rule (its quirks included). With
    inner = 0, outer = 15 and width = 2 this is the v1 line; other suites draw other segments
    with the same rule.
    """
    theta = _angles(angles)
    n = theta.shape[0]
    if n == 0:
        return np.zeros((0, IMAGE_SIZE, IMAGE_SIZE))
    sin, cos = np.sin(theta), np.cos(theta)
    start_row = LINE_CENTRE - inner * sin
    start_col = LINE_CENTRE + inner * cos
    end_row = LINE_CENTRE - outer * sin
    end_col = LINE_CENTRE + outer * cos

    # Major axis: the one the segment extends further along; ties go to rows.
    row_major = np.abs(end_row - start_row) >= np.abs(end_col - start_col)
    ua = np.where(row_major, start_row, start_col)
    va = np.where(row_major, start_col, start_row)
    ub = np.where(row_major, end_row, end_col)
    vb = np.where(row_major, end_col, end_row)
    swap = ua > ub
    u0 = np.where(swap, ub, ua)
    u1 = np.where(swap, ua, ub)
    half_width = width / 2
    v0 = np.where(swap, vb, va) - half_width
    v1 = np.where(swap, va, vb) - half_width
    du = u1 - u0
    slope = np.divide(v1 - v0, du, out=np.zeros(n), where=du != 0)

    u_first = np.trunc(u0)
    u_stop = np.ceil(u1)
    n_steps = int(np.max(u_stop - u_first))
    u = u_first[:, None] + np.arange(n_steps)[None, :]  # (n, J)
    in_segment = u < u_stop[:, None]

    ceil_u0 = np.ceil(u0)[:, None]
    trunc_u1 = np.trunc(u1)[:, None]
    weight = np.where(
        u < ceil_u0,
        ceil_u0 - u0[:, None],
        np.where(u > trunc_u1, u1[:, None] - trunc_u1, 1.0),
    )
    weight = np.where(in_segment, weight, 0.0)

    a = v0[:, None] + (u - u0[:, None] - 0.5) * slope[:, None]
    b = a + width
    trunc_a, ceil_a, trunc_b = np.trunc(a), np.ceil(a), np.trunc(b)
    a_fractional = a != trunc_a
    b_fractional = b != trunc_b

    # A span [a, a + w) touches at most ⌈w⌉ + 2 consecutive minor-axis pixels.
    k = np.arange(int(np.ceil(width)) + 2)[None, None, :]
    v = trunc_a[..., None] + k  # (n, J, K)
    amount = ((ceil_a[..., None] <= v) & (v < trunc_b[..., None])).astype(np.float64)
    amount += np.where((k == 0) & a_fractional[..., None], (ceil_a - a)[..., None], 0.0)
    amount += np.where((v == trunc_b[..., None]) & b_fractional[..., None], (b - trunc_b)[..., None], 0.0)
    amount *= weight[..., None]

    u_pix = np.broadcast_to(u[..., None], v.shape)
    rows = np.where(row_major[:, None, None], u_pix, v).astype(np.int64)
    cols = np.where(row_major[:, None, None], v, u_pix).astype(np.int64)
    inside = (rows >= 0) & (rows < IMAGE_SIZE) & (cols >= 0) & (cols < IMAGE_SIZE) & (amount != 0)
    image_index = np.broadcast_to(np.arange(n)[:, None, None], v.shape)
    flat = (image_index * IMAGE_SIZE + rows) * IMAGE_SIZE + cols
    ink = np.bincount(flat[inside], weights=amount[inside], minlength=n * IMAGE_SIZE * IMAGE_SIZE)
    return ink.reshape(n, IMAGE_SIZE, IMAGE_SIZE)


def angle_labels(angles: np.ndarray) -> np.ndarray:
    """Class of each angle: floor(10·Λ / (2π − 10⁻⁶)), ten equal bins of [0, 2π) (SPEC §2), as int64.

    The formula alone gives an eleventh class to Λ ∈ [2π − 10⁻⁶, 2π); those join the last bin.
    """
    theta = np.mod(np.asarray(angles, dtype=np.float64), 2 * np.pi)
    labels = np.floor(N_CLASSES * theta / (2 * np.pi - 1e-6)).astype(np.int64)
    return np.minimum(labels, N_CLASSES - 1)


@dataclass(frozen=True)
class LineSet:
    """Angles, their rendered images (n, 32, 32) and their class labels."""

    angles: np.ndarray
    images: np.ndarray
    labels: np.ndarray

    def __len__(self) -> int:
        return int(self.angles.shape[0])


def draw_angles(rng: np.random.Generator, n: int) -> np.ndarray:
    """``n`` i.i.d. angles from U[0, 2π)."""
    return rng.uniform(0.0, 2 * np.pi, size=n)


def line_set(angles: np.ndarray) -> LineSet:
    angles = np.asarray(angles, dtype=np.float64)
    return LineSet(angles=angles, images=render(angles), labels=angle_labels(angles))


def test_set(seed: int, size: int = TEST_SET_SIZE) -> LineSet:
    """The benchmark's test set: ``size`` angles drawn from ``numpy.random.default_rng(seed)``."""
    return line_set(draw_angles(np.random.default_rng(seed), size))


test_set.__test__ = False  # type: ignore[attr-defined]  # not a pytest test despite its name


def training_stream(seed: int, batch_size: int) -> Iterator[np.ndarray]:
    """An endless stream of fresh line images, (batch_size, 32, 32) float64 per batch."""
    rng = np.random.default_rng(seed)
    while True:
        yield render(draw_angles(rng, batch_size))

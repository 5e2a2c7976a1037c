"""The bank of true lines and an exact, fast nearest-line search (SPEC §4).

Brute force compares every image with all M = 10,000 bank lines over 1,024 pixels. The bank is
a smooth one-dimensional curve, so we search it branch-and-bound style and still return exactly
the brute-force answer:

1. Write each bank line as L_k = 2·I_k − 1, with I_k its (sparse) ink. Then
   ⟨x, L_k⟩ = 2⟨x, I_k⟩ − Σx, so only the ~45 inked pixels of a line matter.
2. Cut the circle into blocks of consecutive lines. For a block with centre line c,
   |⟨x, I_k − I_c⟩| ≤ ‖x restricted to the block's ink support‖ · max_k ‖I_k − I_c‖
   (Cauchy–Schwarz), which bounds the cosine of every line in the block from above.
3. The best centre's cosine is a lower bound on the answer. Blocks whose upper bound falls
   below it cannot hold the nearest line and are skipped; the rest are scored exactly.

On realistic images (noisy lines, crossfades) a few blocks out of 400 survive, so the exact
work is a small fraction of brute force.
"""

from __future__ import annotations

from dataclasses import dataclass
from functools import lru_cache

import numpy as np

from .manifold import render
from .spec import BANK_SIZE, IMAGE_SIZE

__all__ = ["LineBank", "line_bank", "NearestLines"]

_PIXELS = IMAGE_SIZE * IMAGE_SIZE
# Slack on the pruning bound, far above float64 rounding of the bound itself, far below the
# bound's own looseness: keeps pruning exact without costing speed.
_BOUND_SLACK = 1e-9


@dataclass(frozen=True)
class NearestLines:
    """Result of a nearest-line search: per image distance, bank index and angle."""

    distances: np.ndarray
    indices: np.ndarray
    angles: np.ndarray


class LineBank:
    """M lines at θ_k = 2πk/M (k = 0 … M−1) with the precomputed structure for exact pruned search."""

    def __init__(self, size: int = BANK_SIZE, block_size: int = 25) -> None:
        if size % block_size:
            raise ValueError(f"bank size {size} must be a multiple of block size {block_size}")
        self.size = size
        self.block_size = block_size
        # linspace, not 2πk/M: the paper's bank angles, bit for bit.
        self.angles = np.linspace(0.0, 2 * np.pi, size, endpoint=False)
        lines = render(self.angles).reshape(size, _PIXELS)
        self.ink = (lines + 1.0) / 2.0
        self.norms = np.linalg.norm(lines, axis=1)

        n_blocks = size // block_size
        self.block_of = np.arange(size) // block_size
        self.centres = np.arange(n_blocks) * block_size + block_size // 2
        self.centre_ink = self.ink[self.centres]
        block_ink = self.ink.reshape(n_blocks, block_size, _PIXELS)
        self.block_radius = np.linalg.norm(block_ink - self.centre_ink[:, None, :], axis=2).max(axis=1)
        self.block_support = (block_ink > 0).any(axis=1).astype(np.float64)
        block_norms = self.norms.reshape(n_blocks, block_size)
        self.block_norm_min = block_norms.min(axis=1)
        self.block_norm_max = block_norms.max(axis=1)
        # Per block: its ink support and the lines' ink on it, for small exact matmuls.
        self.block_pixels = [np.flatnonzero(s) for s in self.block_support]
        self.block_line_ink = [
            np.ascontiguousarray(block_ink[b][:, pix].T) for b, pix in enumerate(self.block_pixels)
        ]

    @property
    def lines(self) -> np.ndarray:
        """The bank images, (M, 1024) float64."""
        return 2.0 * self.ink - 1.0

    def nearest(self, images: np.ndarray, chunk_size: int = 2048) -> NearestLines:
        """Exact nearest bank line (cosine distance) of each image, shape (n, 32, 32) or (n, 1024).

        Ties go to the lowest bank index. Zero images have distance 1 to every line.
        """
        x = np.asarray(images, dtype=np.float64)
        if x.ndim < 1 or x.size != x.shape[0] * _PIXELS:
            raise ValueError(f"images must have shape (n, 32, 32) or (n, 1024), got {x.shape}")
        x = x.reshape(x.shape[0], _PIXELS)
        if not np.all(np.isfinite(x)):
            raise ValueError("images contain NaN or inf; nearest lines are undefined")
        x = _unit_scale(x)
        n = x.shape[0]
        index = np.empty(n, dtype=np.int64)
        for lo in range(0, n, chunk_size):
            index[lo : lo + chunk_size] = self._nearest_chunk(x[lo : lo + chunk_size])
        return NearestLines(distances=self._distances(x, index), indices=index, angles=self.angles[index])

    def _distances(self, x: np.ndarray, index: np.ndarray) -> np.ndarray:
        """Cosine distance to the chosen lines as ½‖x̂ − L̂‖², free of the cancellation in 1 − cos."""
        norm = np.linalg.norm(x, axis=1)
        zero = norm == 0
        unit = x / np.where(zero, 1.0, norm)[:, None]
        diff = unit - (2.0 * self.ink[index] - 1.0) / self.norms[index, None]
        distances = 0.5 * np.einsum("ij,ij->i", diff, diff)
        distances[zero] = 1.0
        return distances

    def _nearest_chunk(self, x: np.ndarray) -> np.ndarray:
        n = x.shape[0]
        x_norm = np.linalg.norm(x, axis=1)
        x_sum = x.sum(axis=1)
        zero = x_norm == 0
        safe_norm = np.where(zero, 1.0, x_norm)

        centre_num = 2.0 * (x @ self.centre_ink.T) - x_sum[:, None]
        centre_cos = centre_num / (safe_norm[:, None] * self.norms[self.centres][None, :])
        lower = centre_cos.max(axis=1)
        support_norm = np.sqrt(np.maximum((x * x) @ self.block_support.T, 0.0))
        num_max = centre_num + 2.0 * support_norm * self.block_radius[None, :]
        upper = np.where(
            num_max >= 0,
            num_max / (safe_norm[:, None] * self.block_norm_min[None, :]),
            num_max / (safe_norm[:, None] * self.block_norm_max[None, :]),
        )
        candidate = upper + _BOUND_SLACK * (1.0 + np.abs(upper)) >= lower[:, None]

        best_cos = np.full(n, -np.inf)
        best_index = np.zeros(n, dtype=np.int64)
        for block in np.flatnonzero(candidate.any(axis=0)):
            rows = np.flatnonzero(candidate[:, block])
            first = block * self.block_size
            dots = x[np.ix_(rows, self.block_pixels[block])] @ self.block_line_ink[block]
            line_cos = (2.0 * dots - x_sum[rows, None]) / (
                safe_norm[rows, None] * self.norms[first : first + self.block_size][None, :]
            )
            local = line_cos.argmax(axis=1)
            value = line_cos[np.arange(rows.size), local]
            better = value > best_cos[rows]  # strict: blocks run in index order, so ties keep the first
            best_cos[rows[better]] = value[better]
            best_index[rows[better]] = first + local[better]
        best_index[zero] = 0
        return best_index


def _unit_scale(x: np.ndarray) -> np.ndarray:
    """Each row divided by the power of two nearest its largest |value|, so every |value| ≤ 1.

    Cosine distance ignores scale, but squaring 1e300 overflows to inf (and 1e-300 underflows to
    0), which would score a true line 1e300 times too bright as 0.5 instead of 0. Dividing by a
    power of two is exact in binary floating point, so images of ordinary scale get bit for bit
    the distances and lines they got without it.
    """
    peak = np.abs(x).max(axis=1)
    _, exponent = np.frexp(peak)  # peak = m · 2^exponent, 0.5 ≤ m < 1 (exponent 0 for a zero image)
    return np.ldexp(x, -exponent[:, None])


@lru_cache(maxsize=1)
def line_bank() -> LineBank:
    """The benchmark's bank, built once per process."""
    return LineBank()

"""The blob suite (docs/SPEC.md §X5): a Gaussian blob whose centre moves in a square, a flat box."""

from __future__ import annotations

from functools import cached_property

import numpy as np

from ..factor_space import box, register_factor_space
from ..spec import IMAGE_SIZE
from .base import NearestBank, Suite
from .separable import BlockGridSearch, nearest_on_grid, two_factors

__all__ = ["BlobSuite", "SIGMA", "LOW", "HIGH"]

SIGMA = 2.5  # blob standard deviation, pixels
LOW, HIGH = 8.0, 24.0  # the centre's row and column range, pixels (pixel centres at 0 … 31)
BANK_STEPS = 315  # bank grid: 315 × 315 centres, 16/314 ≈ 0.051 px apart
SEARCH_BLOCK = (15, 15)  # branch-and-bound blocks of the grid (315 = 21 × 15)
LABEL_BINS = 3  # probe classes: a 3 × 3 grid of centre cells

SQUARE = register_factor_space(box((HIGH - LOW, HIGH - LOW)))


def profile(centres: np.ndarray) -> np.ndarray:
    """exp(−(p − c)²/(2σ²)) at pixel centres p = 0 … 31 for each centre c: (n, 32)."""
    p = np.arange(IMAGE_SIZE, dtype=np.float64)
    return np.exp(-((p[None, :] - np.asarray(centres, dtype=np.float64)[:, None]) ** 2) / (2 * SIGMA**2))


class _GaussianSearch(BlockGridSearch):
    """⟨X, g_j g_kᵀ⟩ = g_jᵀ X g_k: exact on block centre rows and columns, bounded in between."""

    def __init__(self, norms: np.ndarray, profiles: np.ndarray) -> None:
        super().__init__(norms, SEARCH_BLOCK)
        self.g = profiles
        b = SEARCH_BLOCK[0]
        centres = profiles[self.centres[0]]
        self.radius = np.linalg.norm(profiles.reshape(-1, b, IMAGE_SIZE) - centres[:, None, :], axis=2).max(axis=1)

    def prepare(self, x: np.ndarray) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
        n = x.shape[0]
        images = x.reshape(n, IMAGE_SIZE, IMAGE_SIZE)
        x_cols = (images.reshape(n * IMAGE_SIZE, IMAGE_SIZE) @ self.g.T).reshape(n, IMAGE_SIZE, -1)  # X g_k: (n, rows, K)
        x_rows = (images.transpose(0, 2, 1).reshape(n * IMAGE_SIZE, IMAGE_SIZE) @ self.g.T).reshape(n, IMAGE_SIZE, -1)  # Xᵀ g_j
        return x_cols, x_rows, x.sum(axis=1)

    def centre_numerators(self, state: tuple[np.ndarray, np.ndarray, np.ndarray]) -> tuple[np.ndarray, np.ndarray]:
        x_cols, x_rows, total = state
        c, d = self.centres
        n, b1, b2 = x_cols.shape[0], self.block[0], self.block[1]
        # Exact on each block's centre row for every column, and on its centre column for every row;
        # a cell (j, k) is within ‖g_j − g_c‖·‖X g_k‖ of its centre row's value, and within
        # ‖g_k − g_d‖·‖Xᵀ g_j‖ of its centre column's (Cauchy–Schwarz): the smaller bound holds.
        centre_rows = np.matmul(self.g[c], x_cols)  # (n, B1, K): g_cᵀ X g_k
        centre_cols = np.matmul(self.g[d], x_rows)  # (n, B2, K): g_dᵀ Xᵀ g_j
        by_rows = centre_rows + self.radius[None, :, None] * np.linalg.norm(x_cols, axis=1)[:, None, :]
        by_cols = centre_cols + self.radius[None, :, None] * np.linalg.norm(x_rows, axis=1)[:, None, :]
        top = np.minimum(by_rows.reshape(n, c.size, -1, b2).max(axis=3),
                         by_cols.reshape(n, d.size, -1, b1).max(axis=3).transpose(0, 2, 1))
        centre = 2.0 * centre_rows[:, :, d] - total[:, None, None]
        return centre, 2.0 * top - total[:, None, None] - centre

    def cell_numerators(self, state, queries, rows, cols):  # type: ignore[no-untyped-def]
        x_cols, _, total = state
        picked = x_cols[queries[:, None], :, cols].transpose(0, 2, 1)  # (m, 32 rows, b cols)
        return 2.0 * np.matmul(self.g[rows], picked) - total[queries, None, None]


class BlobSuite(Suite):
    name = "blob"
    description = "a Gaussian blob (σ = 2.5 px) whose centre moves in the square [8, 24]²: flat, geodesics are straight"
    factors = ("row", "col")
    space = SQUARE
    spec_version = "x1"
    spec_section = "docs/SPEC.md §X5"
    n_classes = LABEL_BINS * LABEL_BINS

    def draw(self, rng: np.random.Generator, n: int) -> np.ndarray:
        return rng.uniform(LOW, HIGH, size=(n, 2))

    def render(self, factors: np.ndarray) -> np.ndarray:
        f = self._factors(factors)
        ink = profile(f[:, 0])[:, :, None] * profile(f[:, 1])[:, None, :]
        return 2.0 * ink - 1.0

    def labels(self, factors: np.ndarray) -> np.ndarray:
        f = (self._factors(factors) - LOW) / (HIGH - LOW)
        bins = np.clip(np.floor(LABEL_BINS * f).astype(np.int64), 0, LABEL_BINS - 1)
        return bins[:, 0] * LABEL_BINS + bins[:, 1]

    # ------------------------------------------------------------------ bank
    @cached_property
    def _grid(self) -> np.ndarray:
        return np.linspace(LOW, HIGH, BANK_STEPS)

    @cached_property
    def _profiles(self) -> np.ndarray:
        return profile(self._grid)  # (K, 32): rows and columns share the grid

    @cached_property
    def _norms(self) -> np.ndarray:
        # ‖2·g_r g_cᵀ − 1‖² = 4‖g_r‖²‖g_c‖² − 4(Σg_r)(Σg_c) + 1024.
        g = self._profiles
        sq, total = (g * g).sum(axis=1), g.sum(axis=1)
        return np.sqrt(4 * sq[:, None] * sq[None, :] - 4 * total[:, None] * total[None, :] + 1024.0)

    @property
    def bank_size(self) -> int:
        return BANK_STEPS * BANK_STEPS

    @cached_property
    def bank_factors(self) -> np.ndarray:
        return np.stack(np.meshgrid(self._grid, self._grid, indexing="ij"), axis=-1).reshape(-1, 2)

    @cached_property
    def _search(self) -> _GaussianSearch:
        return _GaussianSearch(self._norms, self._profiles)

    def nearest(self, images: np.ndarray) -> NearestBank:
        return nearest_on_grid(self, self._search, images)

    # ---------------------------------------------------------------- oracle
    def embed(self, factors: np.ndarray) -> np.ndarray:
        return self._factors(factors).copy()

    def unembed(self, codes: np.ndarray) -> np.ndarray:
        return np.asarray(codes, dtype=np.float64)[:, :2]

    def _factors(self, factors: np.ndarray) -> np.ndarray:
        return two_factors(factors, self.name)

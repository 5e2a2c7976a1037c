"""The clock suite (docs/SPEC.md §X4): two hands at independent angles, a torus of images."""

from __future__ import annotations

from functools import cached_property

import numpy as np

from ..factor_space import register_factor_space, torus
from ..manifold import segment_ink
from .base import NearestBank, Suite
from .separable import BlockGridSearch, nearest_on_grid, two_factors

__all__ = ["ClockSuite", "HOUR_HAND", "MINUTE_HAND"]

# (inner radius, outer radius, width) of each hand, drawn with SPEC §1's rasteriser. The hour hand is
# short and thick, the minute hand a thin segment on the outer ring; their ink never shares a pixel
# at any pair of angles (tested), which is what makes the image a sum of one image per hand.
HOUR_HAND = (0.0, 6.5, 3.0)
MINUTE_HAND = (10.0, 15.0, 2.0)
BANK_ANGLES = (384, 768)  # bank grid: hour × minute angles, 2πk/K each
SEARCH_BLOCK = (8, 16)  # branch-and-bound blocks of the grid
LABEL_BINS = 3  # probe classes: 3 hour-angle bins × 3 minute-angle bins

TORUS = register_factor_space(torus(2))


def hand_ink(angles: np.ndarray, hand: tuple[float, float, float]) -> np.ndarray:
    """One hand's ink in [0, 1] at each angle, (n, 32, 32): SPEC §1 coverage, doubled, clipped, rescaled."""
    return np.clip(2.0 * segment_ink(np.asarray(angles, dtype=np.float64), *hand), 0.0, 2.0) / 2.0


class _HandsSearch(BlockGridSearch):
    """⟨x, I_jk⟩ = h1_j + h2_k with h = each hand bank's ink times x: a block's cells differ from its
    centre by at most the spread of h1 over its rows plus that of h2 over its columns (exact)."""

    def __init__(self, norms: np.ndarray, hour_ink: np.ndarray, minute_ink: np.ndarray) -> None:
        super().__init__(norms, SEARCH_BLOCK)
        self.hour_ink, self.minute_ink = hour_ink, minute_ink

    def prepare(self, x: np.ndarray) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
        return x @ self.hour_ink.T, x @ self.minute_ink.T, x.sum(axis=1)

    def centre_numerators(self, state: tuple[np.ndarray, np.ndarray, np.ndarray]) -> tuple[np.ndarray, np.ndarray]:
        h1, h2, total = state
        (b1, b2), (c1, c2) = self.block, self.centres
        n = h1.shape[0]
        centre = 2.0 * (h1[:, c1][:, :, None] + h2[:, c2][:, None, :]) - total[:, None, None]
        spread1 = np.abs(h1.reshape(n, -1, b1) - h1[:, c1][:, :, None]).max(axis=2)
        spread2 = np.abs(h2.reshape(n, -1, b2) - h2[:, c2][:, :, None]).max(axis=2)
        return centre, 2.0 * (spread1[:, :, None] + spread2[:, None, :])

    def cell_numerators(self, state, queries, rows, cols):  # type: ignore[no-untyped-def]
        h1, h2, total = state
        return 2.0 * (h1[queries[:, None], rows][:, :, None] + h2[queries[:, None], cols][:, None, :]) - total[queries, None, None]


class ClockSuite(Suite):
    name = "clock"
    description = "two clock hands at independent angles (hour: short and thick; minute: a thin outer segment): a torus"
    factors = ("hour_angle", "minute_angle")
    space = TORUS
    spec_version = "x1"
    spec_section = "docs/SPEC.md §X4"
    n_classes = LABEL_BINS * LABEL_BINS

    def draw(self, rng: np.random.Generator, n: int) -> np.ndarray:
        return rng.uniform(0.0, 2 * np.pi, size=(n, 2))

    def render(self, factors: np.ndarray) -> np.ndarray:
        f = self._factors(factors)
        ink = hand_ink(f[:, 0], HOUR_HAND) + hand_ink(f[:, 1], MINUTE_HAND)
        return 2.0 * ink - 1.0

    def labels(self, factors: np.ndarray) -> np.ndarray:
        f = np.mod(self._factors(factors), 2 * np.pi)
        bins = np.minimum(np.floor(LABEL_BINS * f / (2 * np.pi)).astype(np.int64), LABEL_BINS - 1)
        return bins[:, 0] * LABEL_BINS + bins[:, 1]

    # ------------------------------------------------------------------ bank
    @cached_property
    def _grid(self) -> tuple[np.ndarray, np.ndarray]:
        return tuple(2 * np.pi * np.arange(k) / k for k in BANK_ANGLES)  # type: ignore[return-value]

    @cached_property
    def _hand_banks(self) -> tuple[np.ndarray, np.ndarray]:
        hours, minutes = self._grid
        return hand_ink(hours, HOUR_HAND).reshape(-1, 1024), hand_ink(minutes, MINUTE_HAND).reshape(-1, 1024)

    @cached_property
    def _norms(self) -> np.ndarray:
        # ‖2(I1 + I2) − 1‖² = 4‖I1‖² − 4ΣI1 + 4‖I2‖² − 4ΣI2 + 1024, as the hands never overlap.
        one, two = self._hand_banks
        a = 4 * (one * one).sum(axis=1) - 4 * one.sum(axis=1)
        b = 4 * (two * two).sum(axis=1) - 4 * two.sum(axis=1)
        return np.sqrt(a[:, None] + b[None, :] + 1024.0)

    @property
    def bank_size(self) -> int:
        return BANK_ANGLES[0] * BANK_ANGLES[1]

    @cached_property
    def bank_factors(self) -> np.ndarray:
        hours, minutes = self._grid
        return np.stack(np.meshgrid(hours, minutes, indexing="ij"), axis=-1).reshape(-1, 2)

    @cached_property
    def _search(self) -> _HandsSearch:
        return _HandsSearch(self._norms, *self._hand_banks)

    def nearest(self, images: np.ndarray) -> NearestBank:
        return nearest_on_grid(self, self._search, images)

    # ---------------------------------------------------------------- oracle
    def embed(self, factors: np.ndarray) -> np.ndarray:
        f = self._factors(factors)
        return np.concatenate([np.cos(f), np.sin(f)], axis=1)

    def unembed(self, codes: np.ndarray) -> np.ndarray:
        c = np.asarray(codes, dtype=np.float64)
        return np.arctan2(c[:, 2:4], c[:, 0:2])

    def _factors(self, factors: np.ndarray) -> np.ndarray:
        return two_factors(factors, self.name)

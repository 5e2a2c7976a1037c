"""Exact nearest-bank search over a two-factor grid bank, pruned by blocks (used by clock and blob).

Both new suites' banks are K₁×K₂ grids over two factors whose images are a sum (clock: two hands
that never touch) or a product (blob: a Gaussian is g(row)·g(col)) of one image per factor. For a
bank image L_jk = 2·I_jk − 1 and a query x, ⟨x, L_jk⟩ = 2⟨x, I_jk⟩ − Σx, and the suite computes
⟨x, I_jk⟩ from one small product per factor instead of one per bank image. ‖L_jk‖ is known per
cell. The search then runs branch and bound, as the lines bank does (interpbench/bank.py):

1. Cut the grid into b₁×b₂ blocks. The suite gives, per query and block, the exact numerator at
   the block's centre cell and a bound on how far any cell's numerator in the block can be from it.
2. The best centre's cosine is a lower bound on the answer; a block whose upper bound (numerator
   bound over the block's smallest or largest norm) falls below it cannot hold the nearest image.
3. Every cell of every surviving block is scored exactly; the largest cosine wins, ties to the
   first cell in bank order (row-major j, k), so the answer is brute force's.
"""

from __future__ import annotations

from abc import ABC, abstractmethod

import numpy as np

from ..bank import _unit_scale
from .base import NearestBank, Suite

__all__ = ["BlockGridSearch", "chosen_distances", "check_images", "nearest_on_grid", "two_factors"]

_PIXELS = 1024
_BOUND_SLACK = 1e-9  # as in interpbench/bank.py: far above the bounds' rounding, far below their looseness
_CHUNK = 512


def check_images(images: np.ndarray) -> np.ndarray:
    """(n, 1024) float64, finite, each scaled by an exact power of two (see :func:`interpbench.bank._unit_scale`)."""
    x = np.asarray(images, dtype=np.float64)
    if x.ndim < 1 or x.size != x.shape[0] * _PIXELS:
        raise ValueError(f"images must have shape (n, 32, 32) or (n, 1024), got {x.shape}")
    x = x.reshape(x.shape[0], _PIXELS)
    if not np.all(np.isfinite(x)):
        raise ValueError("images contain NaN or inf; nearest bank images are undefined")
    return _unit_scale(x)


def chosen_distances(x: np.ndarray, chosen_images: np.ndarray) -> np.ndarray:
    """Cosine distance of each image to its chosen bank image as ½‖x̂ − L̂‖² (no cancellation in 1 − cos)."""
    norm = np.linalg.norm(x, axis=1)
    zero = norm == 0
    unit = x / np.where(zero, 1.0, norm)[:, None]
    bank = chosen_images.reshape(x.shape[0], _PIXELS)
    diff = unit - bank / np.linalg.norm(bank, axis=1, keepdims=True)
    distances = 0.5 * np.einsum("ij,ij->i", diff, diff)
    distances[zero] = 1.0
    return distances


class BlockGridSearch(ABC):
    """Branch-and-bound argmax of the cosine over a (K1, K2) grid bank; see the module docstring."""

    def __init__(self, norms: np.ndarray, block: tuple[int, int]) -> None:
        k1, k2 = norms.shape
        b1, b2 = block
        if k1 % b1 or k2 % b2:
            raise ValueError(f"grid {norms.shape} is not a whole number of {block} blocks")
        self.shape, self.block = (k1, k2), (b1, b2)
        self.norms = norms
        blocks = norms.reshape(k1 // b1, b1, k2 // b2, b2)
        self.norm_min = blocks.min(axis=(1, 3))
        self.norm_max = blocks.max(axis=(1, 3))
        self.centres = (np.arange(k1 // b1) * b1 + b1 // 2, np.arange(k2 // b2) * b2 + b2 // 2)

    @abstractmethod
    def prepare(self, x: np.ndarray) -> object:
        """Per-chunk state for the two methods below (e.g. per-factor inner products)."""

    @abstractmethod
    def centre_numerators(self, state: object) -> tuple[np.ndarray, np.ndarray]:
        """(n, B1, B2) exact ⟨x, L⟩ at each block's centre cell, and a bound on |⟨x, L⟩ − that| within the block."""

    @abstractmethod
    def cell_numerators(self, state: object, queries: np.ndarray, rows: np.ndarray, cols: np.ndarray) -> np.ndarray:
        """(m, b1, b2) exact ⟨x, L_jk⟩ for query ``queries[i]`` on rows ``rows[i]`` × cols ``cols[i]`` (each (m, b))."""

    def argmax(self, x: np.ndarray) -> np.ndarray:
        """Row-major bank index of the largest cosine for every row of ``x`` ((n, 1024), unit-scaled)."""
        best = np.zeros(x.shape[0], dtype=np.int64)
        for lo in range(0, x.shape[0], _CHUNK):
            best[lo : lo + _CHUNK] = self._argmax_chunk(x[lo : lo + _CHUNK])
        return best

    def _argmax_chunk(self, x: np.ndarray) -> np.ndarray:
        n = x.shape[0]
        (_, k2), (b1, b2) = self.shape, self.block
        x_norm = np.linalg.norm(x, axis=1)
        zero = x_norm == 0
        safe = np.where(zero, 1.0, x_norm)[:, None, None]
        state = self.prepare(x)
        centre_num, slack = self.centre_numerators(state)
        centre_norms = self.norms[np.ix_(*self.centres)]
        lower = (centre_num / (safe * centre_norms[None])).reshape(n, -1).max(axis=1)
        top = centre_num + slack
        upper = np.where(top >= 0, top / (safe * self.norm_min[None]), top / (safe * self.norm_max[None]))
        candidate = upper + _BOUND_SLACK * (1.0 + np.abs(upper)) >= lower[:, None, None]
        query, block_row, block_col = np.nonzero(candidate)  # row-major: each query's blocks in bank order
        rows = block_row[:, None] * b1 + np.arange(b1)[None, :]
        cols = block_col[:, None] * b2 + np.arange(b2)[None, :]
        num = self.cell_numerators(state, query, rows, cols)
        cos = num / (safe[query] * self.norms[rows[:, :, None], cols[:, None, :]])
        local = cos.reshape(cos.shape[0], -1).argmax(axis=1)
        value = cos.reshape(cos.shape[0], -1)[np.arange(cos.shape[0]), local]
        index = rows[np.arange(rows.shape[0]), local // b2] * k2 + cols[np.arange(cols.shape[0]), local % b2]
        # Per query: the largest value; among equal values the smallest bank index (brute force's first).
        order = np.lexsort((index, -value, query))
        first = np.ones(order.size, dtype=bool)
        first[1:] = query[order][1:] != query[order][:-1]
        best = np.zeros(n, dtype=np.int64)
        best[query[order][first]] = index[order][first]
        best[zero] = 0
        return best


def nearest_on_grid(suite: Suite, search: BlockGridSearch, images: np.ndarray) -> NearestBank:
    """A grid suite's :meth:`~interpbench.suites.Suite.nearest`: ``search``'s exact argmax, its factors and distances."""
    x = check_images(images)
    index = search.argmax(x)
    factors = suite.bank_factors[index]
    return NearestBank(distances=chosen_distances(x, suite.render(factors)), indices=index, factors=factors)


def two_factors(factors: np.ndarray, suite_name: str) -> np.ndarray:
    """``factors`` as finite float64 (n, 2), or a ValueError naming the suite."""
    f = np.asarray(factors, dtype=np.float64)
    if f.ndim != 2 or f.shape[1] != 2 or not np.all(np.isfinite(f)):
        raise ValueError(f"{suite_name} factors must be finite with shape (n, 2), got {f.shape}")
    return f

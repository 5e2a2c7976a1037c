"""Factor spaces: where a benchmark's images live, with their distance and their geodesics.

A suite's images are a closed-form function of a few factors (the lines benchmark: one angle on
the circle). Ground-truth path metrics need three facts about that space, and nothing else:

- ``geodesic(a, b, t)``: the point a fraction ``t`` along the shortest path from ``a`` to ``b``;
- ``distance(x, y)``: the geodesic distance between two points;
- ``max_distance``: the largest distance two points can have, so errors normalise to [0, 1].

Points are arrays whose trailing ``factor_shape`` axes hold one point (``()`` for the circle's
single angle, ``(2,)`` for a torus of two angles); every leading axis broadcasts. The spaces are
registered by name, so a new suite adds its space in one place (:func:`register_factor_space`).
"""

from __future__ import annotations

import math
from dataclasses import dataclass
from typing import Callable

import numpy as np

__all__ = ["FactorSpace", "wrap_angle", "circle", "torus", "box", "FACTOR_SPACES", "register_factor_space", "get_factor_space"]


def wrap_angle(x: np.ndarray | float) -> np.ndarray:
    """Angles wrapped into (−π, π]: the signed short way round (an exact half turn maps to +π)."""
    return np.pi - np.mod(np.pi - np.asarray(x, dtype=np.float64), 2 * np.pi)


@dataclass(frozen=True)
class FactorSpace:
    """A metric space of factors with known geodesics (see the module docstring)."""

    name: str
    factor_shape: tuple[int, ...]
    max_distance: float
    _delta: Callable[[np.ndarray, np.ndarray], np.ndarray]  # the short-way displacement from a to b, per factor

    def displacement(self, a: np.ndarray, b: np.ndarray) -> np.ndarray:
        """The tangent vector of the geodesic from ``a`` to ``b`` (b − a, the short way on circular factors)."""
        return self._delta(np.asarray(a, dtype=np.float64), np.asarray(b, dtype=np.float64))

    def geodesic(self, a: np.ndarray, b: np.ndarray, t: np.ndarray) -> np.ndarray:
        """Points a fraction ``t`` along the geodesic from ``a`` to ``b`` (constant speed; not wrapped back).

        ``t`` broadcasts against the leading axes of ``a`` and ``b``: with ``a``, ``b`` shaped
        (P, *factor_shape) and ``t`` shaped (N,), the result is (P, N, *factor_shape).
        """
        a = np.asarray(a, dtype=np.float64)
        t = np.asarray(t, dtype=np.float64)
        k = len(self.factor_shape)
        delta = self.displacement(a, b)
        shape_a = a.shape[: a.ndim - k] + (1,) * t.ndim + self.factor_shape
        shape_t = (1,) * (a.ndim - k) + t.shape + (1,) * k
        return a.reshape(shape_a) + t.reshape(shape_t) * delta.reshape(shape_a)

    def distance(self, x: np.ndarray, y: np.ndarray) -> np.ndarray:
        """Geodesic distance between ``x`` and ``y`` (Euclidean norm of the short-way displacement)."""
        delta = self.displacement(x, y)
        k = len(self.factor_shape)
        if k == 0:
            return np.abs(delta)
        return np.sqrt(np.sum(delta**2, axis=tuple(range(-k, 0))))

    def normalised_distance(self, x: np.ndarray, y: np.ndarray) -> np.ndarray:
        """:meth:`distance` divided by :attr:`max_distance`: 0 at the same point, 1 as far apart as possible."""
        return self.distance(x, y) / self.max_distance


def circle() -> FactorSpace:
    """One angle on the circle (the lines benchmark's Λ): geodesics go the short way, the longest is π."""
    return FactorSpace("circle", (), math.pi, lambda a, b: wrap_angle(b - a))


def torus(n: int = 2) -> FactorSpace:
    """``n`` independent angles: the short way on each; the longest distance is π·√n."""
    return FactorSpace(f"torus{n}", (n,), math.pi * math.sqrt(n), lambda a, b: wrap_angle(b - a))


def box(sides: tuple[float, ...]) -> FactorSpace:
    """A flat box of the given side lengths: geodesics are straight segments, the longest is the diagonal."""
    sides = tuple(float(s) for s in sides)
    if not sides or any(not s > 0 for s in sides):
        raise ValueError(f"box sides must be positive, got {sides}")
    return FactorSpace(f"box{len(sides)}", (len(sides),), math.sqrt(sum(s * s for s in sides)), lambda a, b: b - a)


FACTOR_SPACES: dict[str, FactorSpace] = {}


def register_factor_space(space: FactorSpace) -> FactorSpace:
    """Make ``space`` known by its name (a suite refers to its factor space this way)."""
    if space.name in FACTOR_SPACES and FACTOR_SPACES[space.name] != space:
        raise ValueError(f"a different factor space is already registered as {space.name!r}")
    FACTOR_SPACES[space.name] = space
    return space


def get_factor_space(name: str) -> FactorSpace:
    if name not in FACTOR_SPACES:
        raise KeyError(f"unknown factor space {name!r}; known: {', '.join(sorted(FACTOR_SPACES))}")
    return FACTOR_SPACES[name]


CIRCLE = register_factor_space(circle())

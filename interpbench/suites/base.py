"""What a benchmark suite is: an analytic image manifold with known factors, geodesics and a bank.

A suite fixes everything the protocol and the metrics need that depends on the images:

- its factors and their space (:mod:`interpbench.factor_space`), for the geodesic error;
- an exact, vectorised ``render(factors)`` → (n, 32, 32) images in [−1, 1];
- ``draw(rng, n)``: i.i.d. factors, for the seeded test set (endpoints) and the training stream;
- a bank of true images over the factor space and an exact nearest-bank search (Mean Distance);
- probe labels (bins of the factors) and the oracle's code of a factor.

Suites are registered by name (:func:`interpbench.suites.register_suite`); nothing else in the
package names one, apart from ``lines`` being the default.
"""

from __future__ import annotations

from abc import ABC, abstractmethod
from dataclasses import dataclass
from functools import cached_property

import numpy as np

from ..factor_space import FactorSpace
from ..spec import TEST_SET_SIZE

__all__ = ["Suite", "NearestBank"]


@dataclass(frozen=True)
class NearestBank:
    """Per image: cosine distance to the nearest bank image, its bank index and its factors."""

    distances: np.ndarray  # (n,)
    indices: np.ndarray  # (n,) int64
    factors: np.ndarray  # (n, *factor_shape)


class Suite(ABC):
    """One benchmark: see the module docstring. Subclasses set the class attributes and the methods."""

    name: str
    description: str
    factors: tuple[str, ...]  # one name per factor, in factor order
    space: FactorSpace
    spec_version: str  # "v1" (../shared/SPEC.md) for lines; "x1" (docs/SPEC.md, extensions version 1) otherwise
    spec_section: str
    n_classes: int
    test_set_size: int = TEST_SET_SIZE

    # ------------------------------------------------------------------ data
    @abstractmethod
    def draw(self, rng: np.random.Generator, n: int) -> np.ndarray:
        """``n`` i.i.d. factor points, (n, *factor_shape)."""

    @abstractmethod
    def render(self, factors: np.ndarray) -> np.ndarray:
        """Images of ``factors`` (n, *factor_shape), float64 (n, 32, 32) in [−1, 1]."""

    @abstractmethod
    def labels(self, factors: np.ndarray) -> np.ndarray:
        """Probe class of each factor point: int64 in [0, n_classes)."""

    # ------------------------------------------------------------------ bank
    @property
    @abstractmethod
    def bank_size(self) -> int:
        """Number of bank images (M)."""

    @property
    @abstractmethod
    def bank_factors(self) -> np.ndarray:
        """(M, *factor_shape) factors of the bank images, in bank order."""

    @abstractmethod
    def nearest(self, images: np.ndarray) -> NearestBank:
        """Exact nearest bank image (largest cosine, first index on ties; a zero image: distance 1, index 0).

        ``images`` is (n, 1024) float64.
        """

    # ---------------------------------------------------------------- oracle
    @abstractmethod
    def embed(self, factors: np.ndarray) -> np.ndarray:
        """The oracle's code of each factor point, (n, code_size)."""

    @abstractmethod
    def unembed(self, codes: np.ndarray) -> np.ndarray:
        """Factor points of (interpolated) oracle codes: the inverse of :meth:`embed` on its image."""

    # --------------------------------------------------------------- derived
    def endpoint_factors(self, seed: int, pairs: int) -> np.ndarray:
        """(pairs, 2, *factor_shape): the first 2P test-set factors, path i from test point i to P + i (SPEC §3)."""
        drawn = self.draw(np.random.default_rng(seed), self.test_set_size)[: 2 * pairs]
        return np.stack([drawn[:pairs], drawn[pairs:]], axis=1)

    @cached_property
    def mean_image_mse(self) -> float:
        """Reconstruction MSE of the test set's mean image (seed 0): the sanity check's "untrained" mark."""
        images = self.render(self.draw(np.random.default_rng(0), self.test_set_size))
        return float(np.mean((images - images.mean(axis=0)) ** 2))

    def info(self) -> dict[str, object]:
        """What ``interpbench suites --json`` lists."""
        return {
            "name": self.name,
            "description": self.description,
            "factors": list(self.factors),
            "factor_space": self.space.name,
            "spec_version": self.spec_version,
            "spec_section": self.spec_section,
            "bank_size": self.bank_size,
            "classes": self.n_classes,
        }


def cosine_distance(dots: np.ndarray, image_norms: np.ndarray, bank_norms: np.ndarray) -> np.ndarray:
    """1 − ⟨x, L⟩/(‖x‖‖L‖), with a zero image at distance 1 from everything (SPEC §4)."""
    with np.errstate(invalid="ignore", divide="ignore"):
        cos = dots / (image_norms[:, None] * bank_norms[None, :])
    return np.where(image_norms[:, None] > 0, 1.0 - cos, 1.0)

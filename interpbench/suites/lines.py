"""The paper's lines benchmark (../shared/SPEC.md, spec v1) as a suite: one angle on the circle."""

from __future__ import annotations

from functools import cached_property

import numpy as np

from ..bank import line_bank
from ..factor_space import CIRCLE
from ..manifold import angle_labels, draw_angles, render
from ..spec import N_CLASSES
from ..adapters.sanity import MEAN_IMAGE_MSE
from .base import NearestBank, Suite

__all__ = ["LinesSuite"]


class LinesSuite(Suite):
    """32×32 lines from the centre at angle Λ (SPEC §1); every number is spec v1's, bit for bit."""

    name = "lines"
    description = "the ACAI paper's benchmark: a line from the centre at angle Λ (a circle of images)"
    factors = ("angle",)
    space = CIRCLE
    spec_version = "v1"
    spec_section = "../shared/SPEC.md §1–4"
    n_classes = N_CLASSES
    mean_image_mse = MEAN_IMAGE_MSE  # measured once and fixed: warnings quote it

    def draw(self, rng: np.random.Generator, n: int) -> np.ndarray:
        return draw_angles(rng, n)

    def render(self, factors: np.ndarray) -> np.ndarray:
        return render(np.asarray(factors, dtype=np.float64).reshape(-1))

    def labels(self, factors: np.ndarray) -> np.ndarray:
        return angle_labels(factors)

    @property
    def bank_size(self) -> int:
        return line_bank().size

    @cached_property
    def bank_factors(self) -> np.ndarray:
        return line_bank().angles

    def nearest(self, images: np.ndarray) -> NearestBank:
        found = line_bank().nearest(images)
        return NearestBank(distances=found.distances, indices=found.indices, factors=found.angles)

    def embed(self, factors: np.ndarray) -> np.ndarray:
        angles = np.asarray(factors, dtype=np.float64).reshape(-1)
        return np.stack([np.cos(angles), np.sin(angles)], axis=1)

    def unembed(self, codes: np.ndarray) -> np.ndarray:
        codes = np.asarray(codes, dtype=np.float64)
        return np.arctan2(codes[:, 1], codes[:, 0])

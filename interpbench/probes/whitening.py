"""SVD whitening of codes as the paper's clustering did it (SPEC §6)."""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

__all__ = ["Whitening", "fit_whitening", "WHITENING_EPS"]

WHITENING_EPS = 1e-5  # added to each singular value before dividing (SPEC §6)


@dataclass(frozen=True)
class Whitening:
    """Centre on the training mean, project on the right singular vectors, divide by (singular value + ε)."""

    mean: np.ndarray  # (d,)
    components: np.ndarray  # (r, d): right singular vectors, r = min(n, d)
    singular_values: np.ndarray  # (r,)

    def apply(self, codes: np.ndarray) -> np.ndarray:
        return (codes - self.mean) @ self.components.T / (self.singular_values + WHITENING_EPS)


def fit_whitening(train: np.ndarray) -> Whitening:
    """The whitening of the training codes ``train`` (n, d); apply it to training and test codes alike."""
    mean = train.mean(axis=0)
    _, s, vt = np.linalg.svd(train - mean, full_matrices=False)
    return Whitening(mean=mean, components=vt, singular_values=s)

"""Checks shared by the probes: flat, finite codes whose counts match their labels."""

from __future__ import annotations

import math

import numpy as np

from ..errors import DataError, ModelOutputError

__all__ = ["flat_codes", "checked_labels", "check_same_width", "common_scale"]


def flat_codes(codes: np.ndarray, labels: np.ndarray, what: str) -> np.ndarray:
    """``codes`` as float64 (n, d), after checking n matches the labels and every value is finite."""
    codes = np.asarray(codes, dtype=np.float64)
    if codes.ndim == 0:
        raise DataError(f"{what} codes are a scalar, not one code per item")
    codes = codes.reshape(codes.shape[0], -1)
    if codes.shape[0] != labels.shape[0]:
        raise DataError(f"{what}: {labels.shape[0]} labels do not match {codes.shape[0]} codes")
    if codes.shape[0] == 0 or codes.shape[1] == 0:
        raise DataError(f"{what} codes are empty (shape {codes.shape})")
    if not np.all(np.isfinite(codes)):
        bad = int(np.sum(~np.isfinite(codes).all(axis=1)))
        raise ModelOutputError(f"{what} codes contain NaN or inf in {bad} of {codes.shape[0]} items")
    return codes


def checked_labels(labels: np.ndarray, what: str) -> np.ndarray:
    """Labels as a 1-d int64 array of non-negative class indices."""
    labels = np.asarray(labels)
    if labels.ndim != 1:
        raise DataError(f"{what} labels must be a 1-d array, got shape {labels.shape}")
    if labels.size and not np.issubdtype(labels.dtype, np.integer):
        if not np.all(np.equal(np.mod(labels, 1), 0)):
            raise DataError(f"{what} labels must be integer class indices")
    labels = labels.astype(np.int64)
    if labels.size and labels.min() < 0:
        raise DataError(f"{what} labels must be non-negative class indices, found {int(labels.min())}")
    return labels


def check_same_width(train: np.ndarray, test: np.ndarray) -> None:
    if train.shape[1] != test.shape[1]:
        raise ModelOutputError(f"training codes have {train.shape[1]} values per item but test codes {test.shape[1]}")


# Codes whose largest magnitude lies outside [2**-332, 2**332] (about 1e-100 .. 1e100) are scaled
# by a power of two before probing: squares and sums of squares (standardising, SVD, k-means
# distances) would overflow or underflow float64 otherwise. A power of two changes no digit, and
# codes inside that range (every model's, in practice) are left exactly as they are.
_SAFE_EXPONENT = 332


def common_scale(train: np.ndarray, test: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """``train`` and ``test`` (finite float64) scaled by one power of two so their largest magnitude is
    in [0.5, 1), if it lies outside [2**-332, 2**332]; unchanged otherwise."""
    peak = max(float(np.max(np.abs(train))), float(np.max(np.abs(test))))
    if peak == 0.0 or 2.0**-_SAFE_EXPONENT <= peak <= 2.0**_SAFE_EXPONENT:
        return train, test
    exponent = math.frexp(peak)[1]
    return np.ldexp(train, -exponent), np.ldexp(test, -exponent)

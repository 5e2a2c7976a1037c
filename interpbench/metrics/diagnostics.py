"""Extra diagnostics (SPEC §4), reported beside the headline metrics."""

from __future__ import annotations

import numpy as np

from ..factor_space import CIRCLE, FactorSpace
from .smoothness import unwrapped_total

__all__ = ["COLLAPSE_SPREAD", "is_collapsed", "long_way_fraction", "output_spread", "reconstruction_error", "SpreadMoments", "spread_ratio"]

# Below this output spread the decoded images are, for practical purposes, one image: a collapsed
# model (a mean-image autoencoder measures ~0.01, every trained non-collapsed one > 0.5).
COLLAPSE_SPREAD = 0.05


def long_way_fraction(angles: np.ndarray, space: FactorSpace = CIRCLE) -> float:
    """Share of paths whose decoded angle (any angle, on a torus) travels more than π: the long way round.

    Flat spaces have no long way: 0.
    """
    if not space.periodic:
        return 0.0
    far = np.abs(unwrapped_total(angles, space)) > np.pi
    return float(np.mean(far if far.ndim == 1 else far.any(axis=tuple(range(1, far.ndim)))))


def reconstruction_error(decoded: np.ndarray, originals: np.ndarray) -> float:
    """Mean squared pixel error between decoded endpoints and the true endpoint images."""
    decoded = np.asarray(decoded, dtype=np.float64)
    originals = np.asarray(originals, dtype=np.float64)
    if decoded.shape != originals.shape:
        raise ValueError(f"decoded shape {decoded.shape} does not match originals {originals.shape}")
    # A decoder far off scale (1e300) overflows the square: the error then is inf, stored as null.
    with np.errstate(over="ignore"):
        return float(np.mean((decoded - originals) ** 2))


def output_spread(decoded: np.ndarray, originals: np.ndarray) -> float:
    """How much the decoded images vary, relative to the true images: 0 when every output is one image.

    The mean over pixels of the standard deviation across ``decoded`` images, divided by the
    same for ``originals`` (any leading shape; the last two axes are the image). A model that
    reconstructs the data measures about 1; a collapsed one, whose outputs are all the same
    image whatever the code, measures about 0.
    """
    decoded = np.asarray(decoded, dtype=np.float64).reshape(-1, *np.shape(decoded)[-2:])
    originals = np.asarray(originals, dtype=np.float64).reshape(-1, *np.shape(originals)[-2:])
    reference = float(originals.std(axis=0).mean())
    if reference == 0.0:
        raise ValueError("the original images are all the same; their spread cannot be a reference")
    return _scale_safe_std(decoded) / reference


def _scale_safe_std(x: np.ndarray) -> float:
    """``x.std(axis=0).mean()``, computed on ``x`` scaled by a power of two so that huge values
    (1e300) do not overflow when squared; the scaling is exact, so ordinary values are unchanged."""
    _, exponent = np.frexp(np.abs(x).max()) if x.size else (0.0, 0)
    spread = float(np.ldexp(x, -exponent).std(axis=0).mean())
    with np.errstate(over="ignore"):
        return float(np.ldexp(spread, exponent))


class SpreadMoments:
    """Per-pixel count, mean and sum of squared deviations of images seen chunk by chunk.

    What :func:`output_spread` needs of the decoded images, without holding them all: each
    chunk's moments are merged in (Chan, Golub and LeVeque's pairwise update), so scoring keeps
    one chunk of images in memory whatever the number of pairs and steps. Like
    :func:`output_spread`, values are scaled by a power of two first (exact), so 1e300-sized
    outputs do not overflow when squared.
    """

    def __init__(self) -> None:
        self.n = 0
        self.exponent = 0
        self.mean: np.ndarray | None = None
        self.m2: np.ndarray | None = None

    def add(self, images: np.ndarray) -> None:
        x = np.asarray(images, dtype=np.float64).reshape(-1, *np.shape(images)[-2:])
        if not x.size:
            return
        _, e = np.frexp(np.abs(x).max())
        scaled = np.ldexp(x, -int(e))
        mean = scaled.mean(axis=0)
        m2 = np.square(scaled - mean).sum(axis=0)
        if self.mean is None:
            self.n, self.exponent, self.mean, self.m2 = x.shape[0], int(e), mean, m2
            return
        top = max(self.exponent, int(e))
        # Both sides to the common power-of-two scale (exact), then the pairwise merge.
        a_mean, a_m2 = np.ldexp(self.mean, self.exponent - top), np.ldexp(self.m2, 2 * (self.exponent - top))
        b_mean, b_m2 = np.ldexp(mean, int(e) - top), np.ldexp(m2, 2 * (int(e) - top))
        na, nb = self.n, x.shape[0]
        delta = b_mean - a_mean
        self.n = na + nb
        self.mean = a_mean + delta * (nb / self.n)
        self.m2 = a_m2 + b_m2 + np.square(delta) * (na * nb / self.n)
        self.exponent = top

    def std_mean(self) -> float:
        """``images.std(axis=0).mean()`` over every image added (population std)."""
        if self.m2 is None:
            raise ValueError("no images were added")
        spread = float(np.sqrt(self.m2 / self.n).mean())
        with np.errstate(over="ignore"):
            return float(np.ldexp(spread, self.exponent))


def spread_ratio(decoded: SpreadMoments, originals: np.ndarray) -> float:
    """:func:`output_spread` from the decoded images' :class:`SpreadMoments` and the true images."""
    originals = np.asarray(originals, dtype=np.float64).reshape(-1, *np.shape(originals)[-2:])
    reference = float(originals.std(axis=0).mean())
    if reference == 0.0:
        raise ValueError("the original images are all the same; their spread cannot be a reference")
    return decoded.std_mean() / reference


def is_collapsed(spread: float) -> bool:
    """True when an :func:`output_spread` says the decoded images are all one image."""
    return spread < COLLAPSE_SPREAD

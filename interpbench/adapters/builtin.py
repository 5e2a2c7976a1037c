"""Two analytic adapters that mark the ends of the scale: a perfect decoder and raw crossfades."""

from __future__ import annotations

import numpy as np

from ..suites import Suite, get_suite

__all__ = ["OracleAdapter", "PixelsAdapter", "BUILTIN_ADAPTERS"]


class OracleAdapter:
    """Encodes an image's factors (its nearest bank image's) with the suite's oracle code; decodes by
    rendering the true image of the code's factors.

    On lines the code is (cos Λ, sin Λ). Every decoded image is a real one, so Mean Distance is ≈ 0.
    Smoothness is not 0 on circular factors: the direction of a chord between two points on the
    circle does not turn at an even rate, so this is the best a perfect decoder of a 2-d circular
    code can do under linear interpolation. On a flat suite (blob) the chord is the geodesic.
    """

    input_layout = "NHW"
    value_range = "-1,1"
    input_dtype = "float64"

    def __init__(self, suite: str | Suite | None = None) -> None:
        self.suite = get_suite(suite)

    def encode(self, images: np.ndarray) -> np.ndarray:
        return self.suite.embed(self.suite.nearest(images.reshape(images.shape[0], -1)).factors)

    def decode(self, codes: np.ndarray) -> np.ndarray:
        return self.suite.render(self.suite.unembed(codes))


class PixelsAdapter:
    """The image is its own code: interpolations are pixel-wise crossfades (on any suite)."""

    input_layout = "NHW"
    value_range = "-1,1"
    input_dtype = "float64"

    def __init__(self, suite: str | Suite | None = None) -> None:
        get_suite(suite)  # the same images on every suite: only the name is checked

    def encode(self, images: np.ndarray) -> np.ndarray:
        return np.array(images, dtype=np.float64)

    def decode(self, codes: np.ndarray) -> np.ndarray:
        return np.array(codes, dtype=np.float64)


# Name → class; each takes the suite it scores on (``oracle`` needs its factors, ``pixels`` does not).
BUILTIN_ADAPTERS: dict[str, type] = {"oracle": OracleAdapter, "pixels": PixelsAdapter}

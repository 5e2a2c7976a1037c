"""Two analytic adapters that mark the ends of the scale: a perfect decoder and raw crossfades."""

from __future__ import annotations

import numpy as np

from ..bank import line_bank
from ..manifold import render

__all__ = ["OracleAdapter", "PixelsAdapter", "BUILTIN_ADAPTERS"]


class OracleAdapter:
    """Encodes the line's angle as (cos Λ, sin Λ); decodes by rendering the true line at the code's direction.

    Every decoded image is a real line, so Mean Distance is ≈ 0. Smoothness is not 0: the
    direction of a chord between two points on the circle does not turn at an even rate, so
    this is the best a perfect decoder of a 2-d circular code can do under linear interpolation.
    """

    input_layout = "NHW"
    value_range = "-1,1"
    input_dtype = "float64"

    def encode(self, images: np.ndarray) -> np.ndarray:
        angles = line_bank().nearest(images.reshape(images.shape[0], -1)).angles
        return np.stack([np.cos(angles), np.sin(angles)], axis=1)

    def decode(self, codes: np.ndarray) -> np.ndarray:
        codes = np.asarray(codes, dtype=np.float64)
        return render(np.arctan2(codes[:, 1], codes[:, 0]))


class PixelsAdapter:
    """The image is its own code: interpolations are pixel-wise crossfades."""

    input_layout = "NHW"
    value_range = "-1,1"
    input_dtype = "float64"

    def encode(self, images: np.ndarray) -> np.ndarray:
        return np.array(images, dtype=np.float64)

    def decode(self, codes: np.ndarray) -> np.ndarray:
        return np.array(codes, dtype=np.float64)


BUILTIN_ADAPTERS: dict[str, type] = {"oracle": OracleAdapter, "pixels": PixelsAdapter}

"""Checks on the decoded endpoints before scoring: is the model bridged the way it was declared?

A decoder whose pixels are 0..1 scored as -1..1, a 0..255 decoder, or a model that sees its
input in the wrong layout all produce numbers, just meaningless ones. These checks compare the
decoded endpoints with what the declaration implies and name the likely cause and the fix.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

import numpy as np

from .harness import LAYOUTS, VALUE_RANGES

__all__ = ["MEAN_IMAGE_MSE", "SanityWarning", "check_endpoints", "roundtrip_warnings"]

# MSE of the manifold's mean image against the images (test set, any seed: 0.0802-0.0804).
# A model that reconstructs worse than this constant guess does not see or return the images
# it is given. The 10 % margin keeps collapsed models (which sit on this plateau and are
# already reported as collapsed) from being blamed on the bridge.
MEAN_IMAGE_MSE = 0.0803
_RECON_MARGIN = 1.10


@dataclass(frozen=True)
class SanityWarning:
    """One failed check: a short ``code`` and a sentence naming the likely cause and the fix."""

    code: str
    message: str

    def to_dict(self) -> dict[str, str]:
        return {"code": self.code, "message": self.message}


def _looks_like(low: float, high: float) -> str | None:
    """The pixel range decoded values most likely come from, or None when they fit no convention.

    ``low``/``high`` are the 0.1 and 99.9 percentiles, so a few overshooting pixels do not decide.
    A -1..1 decoder draws the background near -1; a 0..1 one never goes far below 0.
    """
    if 20.0 < high < 400.0 and low > -50.0:
        return "0,255"
    if high > 2.0 or low < -2.0:
        return None
    if low < -0.5:
        return "-1,1"
    if low > -0.2 and high < 1.25:
        return "0,1"
    return None


def _range_flag(value_range: str) -> str:
    return f"--value-range {value_range} (value_range={value_range!r} in Python, or 'auto')"


def check_endpoints(
    name: str, raw: np.ndarray, decoded: np.ndarray, true: np.ndarray, value_range: str, layout: str
) -> list[SanityWarning]:
    """Warnings about decoded endpoints.

    ``raw``: the decoded endpoints as the model returned them (its own pixel range);
    ``decoded``: the same in the benchmark's [-1, 1] convention; ``true``: the real endpoints
    ([-1, 1]); ``value_range``: the declared range; ``layout``: what ``encode`` was given.
    """
    out: list[SanityWarning] = []
    low, high = (float(v) for v in np.percentile(raw, [0.1, 99.9]))
    lo, hi = VALUE_RANGES[value_range]
    seen = _looks_like(low, high)
    span = f"decoded endpoints of {name!r} span {low:.3g}..{high:.3g}"
    if seen is not None and seen != value_range:
        # Would the range the pixels look like make the model reconstruct its endpoints? If not, the
        # model is most likely untrained (an untrained Sigmoid decoder returns ~0.5 everywhere, which
        # looks like 0..1), and "declare 0,1" alone would be the wrong advice.
        s_lo, s_hi = VALUE_RANGES[seen]
        as_seen = 2.0 * ((np.asarray(raw, dtype=np.float64) - s_lo) / (s_hi - s_lo)) - 1.0
        fixes = float(np.mean((as_seen - np.asarray(true, dtype=np.float64)) ** 2)) <= MEAN_IMAGE_MSE * _RECON_MARGIN
        looks = f"{span}, which looks like {seen.replace(',', '..')} pixels declared as {lo:g}..{hi:g}"
        encoder = "; the encoder then gets its images in that range too" if seen == "0,255" else ""
        if fixes:
            out.append(SanityWarning("value_range", f"{looks}; declare {_range_flag(seen)}{encoder}"))
        else:
            out.append(SanityWarning(
                "value_range",
                f"{looks}, but read as {seen.replace(',', '..')} they still reconstruct the endpoints worse than the "
                f"mean image: the model looks untrained (or gets its input in the wrong layout); once it is trained, "
                f"declare {_range_flag(seen)}{encoder}",
            ))
    elif seen is None and (high > hi + (hi - lo) or low < lo - (hi - lo)):
        out.append(SanityWarning(
            "value_range",
            f"{span}, far outside the declared {lo:g}..{hi:g}; make the decoder return pixels in "
            "-1..1, 0..1 or 0..255 and declare that range with --value-range -1,1, 0,1 or 0,255",
        ))
    recon = float(np.mean((np.asarray(decoded, dtype=np.float64) - np.asarray(true, dtype=np.float64)) ** 2))
    if recon > MEAN_IMAGE_MSE * _RECON_MARGIN:
        out.append(SanityWarning(
            "reconstruction",
            f"{name!r} reconstructs its endpoints worse than the mean image does (MSE {recon:.3g} vs "
            f"{MEAN_IMAGE_MSE}): the model is untrained, or does not get or return the images it expects; check the input "
            f"layout (it was given {layout}; try --layout {', '.join(o for o in LAYOUTS if o != layout)}) "
            "and the value range (--value-range 0,1 or 0,255 for such a model, or 'auto', which tries each)",
        ))
    return out


def roundtrip_warnings(harness: Any, images: np.ndarray) -> list[SanityWarning]:
    """The same checks on ``images`` (benchmark lines, [-1, 1]) encoded and decoded once by ``harness``.

    For commands that do not decode interpolations themselves (``probe``): the bridge is checked
    all the same. The harness's value range must be settled (``settle_value_range``) first.
    """
    decoded = harness.decode(harness.encode(images))
    return check_endpoints(harness.name, harness.model_range(decoded), decoded, images, harness.value_range, harness.layout)

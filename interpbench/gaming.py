"""Decoded paths that game the paper's metrics, scored beside the geodesic error.

Each case is a synthetic "decoded path" built from the benchmark's own renderer between the
protocol's true endpoints, so what it does is known exactly: following the true geodesic,
snapping, stalling, going the long way round, never moving, blending pixels, blurring, adding
noise. :func:`gaming_rows` scores them with :func:`interpbench.score_paths`; the README's gaming
table is this module's output::

    python -m interpbench.gaming            # print the Markdown table
    python -m interpbench.gaming --readme README.md   # rewrite the table between its markers

Every random choice takes the seed given (the pixel noise), and the endpoints are the protocol's
(seed 0 by default), so the table is reproducible bit for bit.
"""

from __future__ import annotations

import argparse
import math
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path

import numpy as np

from .atomic import write_text_atomic
from .factor_space import CIRCLE
from .manifold import render
from .paths import interpolation_times
from .protocol import endpoint_angles
from .scoring import PathScores, score_paths
from .spec import DEFAULT_PAIRS, DEFAULT_STEPS

__all__ = ["GamingCase", "GAMING_CASES", "gaming_paths", "gaming_rows", "gaming_table", "README_MARKERS"]

README_MARKERS = ("<!-- gaming-table:start (python -m interpbench.gaming --readme README.md) -->", "<!-- gaming-table:end -->")


@dataclass(frozen=True)
class GamingCase:
    """A named way of decoding a path: ``build(ends, t, rng)`` → (P, N, 32, 32) images."""

    key: str
    label: str
    build: Callable[[np.ndarray, np.ndarray, np.random.Generator], np.ndarray]


def _along(ends: np.ndarray, progress: np.ndarray, delta: np.ndarray | None = None) -> np.ndarray:
    """Lines at Λa + progress(t)·Δ for every path: (P, N, 32, 32). Δ defaults to the short way."""
    delta = CIRCLE.displacement(ends[:, 0], ends[:, 1]) if delta is None else delta
    angles = ends[:, :1] + np.atleast_2d(progress) * delta[:, None]
    return render(angles.ravel()).reshape(*angles.shape, 32, 32)


def _lerp(ends: np.ndarray, t: np.ndarray, rng: np.random.Generator) -> np.ndarray:
    return _along(ends, t)


def _long_way(ends: np.ndarray, t: np.ndarray, rng: np.random.Generator) -> np.ndarray:
    short = CIRCLE.displacement(ends[:, 0], ends[:, 1])
    return _along(ends, t, short - np.copysign(2 * math.pi, short))


def _snap(ends: np.ndarray, t: np.ndarray, rng: np.random.Generator) -> np.ndarray:
    return _along(ends, (t >= 0.5).astype(np.float64))


def _stall(ends: np.ndarray, t: np.ndarray, rng: np.random.Generator) -> np.ndarray:
    return _along(ends, np.clip((t - 0.75) / 0.25, 0.0, 1.0))


def _constant(ends: np.ndarray, t: np.ndarray, rng: np.random.Generator) -> np.ndarray:
    return _along(ends, np.zeros_like(t))


def _crossfade(ends: np.ndarray, t: np.ndarray, rng: np.random.Generator) -> np.ndarray:
    a, b = render(ends[:, 0]), render(ends[:, 1])
    return (1 - t)[None, :, None, None] * a[:, None] + t[None, :, None, None] * b[:, None]


def _mostly_constant(ends: np.ndarray, t: np.ndarray, rng: np.random.Generator) -> np.ndarray:
    out = _constant(ends, t, rng)
    every = 10  # one path in ten crossfades, the other nine never move
    out[::every] = _crossfade(ends[::every], t, rng)
    return out


def _blur(ends: np.ndarray, t: np.ndarray, rng: np.random.Generator) -> np.ndarray:
    from scipy.ndimage import gaussian_filter

    return gaussian_filter(_along(ends, t), sigma=(0, 0, 0.5, 0.5), mode="nearest")


def _noise(ends: np.ndarray, t: np.ndarray, rng: np.random.Generator) -> np.ndarray:
    images = _along(ends, t)
    return images + rng.normal(0.0, 0.1, size=images.shape)


def _faint(ends: np.ndarray, t: np.ndarray, rng: np.random.Generator) -> np.ndarray:
    return 0.1 * _along(ends, t)


def _half_speed(ends: np.ndarray, t: np.ndarray, rng: np.random.Generator) -> np.ndarray:
    return _along(ends, 0.5 * t)


GAMING_CASES: tuple[GamingCase, ...] = (
    GamingCase("lerp", "lerp in angle, the short way (the true geodesic)", _lerp),
    GamingCase("long_way", "lerp the long way round", _long_way),
    GamingCase("snap", "snap from start to end at t = 0.5", _snap),
    GamingCase("stall", "stall for ¾ of t, then go to the end", _stall),
    GamingCase("half_speed", "half speed: stops halfway along the true path", _half_speed),
    GamingCase("constant", "constant: the start image throughout", _constant),
    GamingCase("mostly_constant", "9 constant paths in 10, the 10th a pixel crossfade", _mostly_constant),
    GamingCase("crossfade", "pixel crossfade", _crossfade),
    GamingCase("blur", "true path, Gaussian blur σ = 0.5 px", _blur),
    GamingCase("noise", "true path + pixel noise, sd 0.1", _noise),
    GamingCase("faint", "true path, a faint line (×0.1)", _faint),
)


def gaming_paths(case: GamingCase, seed: int = 0, pairs: int = DEFAULT_PAIRS, steps: int = DEFAULT_STEPS,
                 noise_seed: int = 0) -> tuple[np.ndarray, np.ndarray]:
    """The case's decoded paths (P, N, 32, 32) between the protocol seed's true endpoints, and those endpoint angles."""
    ends = endpoint_angles(seed, pairs)
    return case.build(ends, interpolation_times(steps), np.random.default_rng(noise_seed)), ends


def gaming_rows(seed: int = 0, pairs: int = DEFAULT_PAIRS, steps: int = DEFAULT_STEPS,
                noise_seed: int = 0) -> list[tuple[GamingCase, PathScores]]:
    """Every case scored against the true endpoints of protocol ``seed``."""
    rows = []
    for case in GAMING_CASES:
        paths, ends = gaming_paths(case, seed, pairs, steps, noise_seed)
        rows.append((case, score_paths(paths, endpoint_angles=ends)))
    return rows


def gaming_table(rows: list[tuple[GamingCase, PathScores]], seed: int = 0) -> str:
    """The rows as a Markdown table: the paper's two metrics, the undefined count and the geodesic error."""
    pairs, steps = rows[0][1].n_paths, rows[0][1].n_steps
    lines = [
        f"| decoded path (P = {pairs}, N = {steps}, protocol seed {seed}) | Mean Distance ×10⁻³ | Smoothness "
        "| undefined Smoothness | geodesic error |",
        "|---|---|---|---|---|",
    ]
    for case, s in rows:
        smooth = "undefined" if math.isnan(s.smoothness) else f"{s.smoothness:.4f}"
        lines.append(f"| {case.label} | {s.mean_distance * 1e3:.4f} | {smooth} | {s.n_undefined} of {s.n_paths} "
                     f"| {s.geodesic_error:.5f} |")
    return "\n".join(lines)


def _rewrite_readme(path: Path, table: str) -> None:
    text = path.read_text(encoding="utf-8")
    start, end = README_MARKERS
    if start not in text or end not in text:
        raise SystemExit(f"{path}: the gaming-table markers are missing")
    head, rest = text.split(start, 1)
    _, tail = rest.split(end, 1)
    write_text_atomic(path, f"{head}{start}\n{table}\n{end}{tail}")


def main(argv: list[str] | None = None) -> None:
    parser = argparse.ArgumentParser(prog="python -m interpbench.gaming", description=__doc__.split("\n\n")[0])
    parser.add_argument("--readme", type=Path, help="rewrite the table between the markers in this file")
    parser.add_argument("--seed", type=int, default=0, help="protocol seed of the endpoints [0]")
    args = parser.parse_args(argv)
    table = gaming_table(gaming_rows(seed=args.seed), seed=args.seed)
    if args.readme:
        _rewrite_readme(args.readme, table)
    else:
        print(table)


if __name__ == "__main__":
    main()

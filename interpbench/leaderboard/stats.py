"""Spread and bootstrap intervals of leaderboard metrics, and whether two entries are resolved.

The headline numbers are grand means over training runs × protocol seeds × interpolation pairs
(Mean Distance: of each pair's mean nearest-line distance; Smoothness: of each pair's score with
undefined ones counted as 0, as SPEC §4 aggregates). The bootstrap resamples that hierarchy:
runs with replacement (when there are several), then protocol seeds within each drawn run, then
pairs within each drawn seed. The RNG is seeded so the interval is reproducible bit for bit.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

__all__ = ["Summary", "summarise", "bootstrap_interval", "overlaps", "BOOTSTRAP_RESAMPLES", "BOOTSTRAP_SEED"]

BOOTSTRAP_RESAMPLES = 2000
BOOTSTRAP_SEED = 20190101  # fixed: the interval is part of the stored entry and must be reproducible
_CHUNK = 250  # resamples drawn at once; bounds memory at ~_CHUNK·R·S·P indices


@dataclass(frozen=True)
class Summary:
    """Mean ± std of a metric, what the spread is over and its size, and a 95% bootstrap interval."""

    mean: float
    std: float
    n: int
    over: str  # "training_seeds" or "protocol_seeds"
    ci95: tuple[float, float]
    levels: tuple[str, ...]

    def to_dict(self) -> dict[str, object]:
        return {
            "mean": self.mean,
            "std": self.std,
            "n": self.n,
            "over": self.over,
            "ci95": [self.ci95[0], self.ci95[1]],
            "bootstrap": {"resamples": BOOTSTRAP_RESAMPLES, "rng_seed": BOOTSTRAP_SEED, "levels": list(self.levels)},
        }


def bootstrap_interval(
    values: np.ndarray, resamples: int = BOOTSTRAP_RESAMPLES, seed: int = BOOTSTRAP_SEED, level: float = 0.95
) -> tuple[tuple[float, float], tuple[str, ...]]:
    """Percentile interval of the grand mean of ``values`` shaped (runs, seeds, pairs).

    Levels of size 1 cannot be resampled and are left out (and reported as such).
    """
    v = np.asarray(values, dtype=np.float64)
    if v.ndim != 3 or min(v.shape) < 1 or not np.all(np.isfinite(v)):
        raise ValueError(f"values must be a finite (runs, seeds, pairs) array, got shape {v.shape}")
    runs, seeds, pairs = v.shape
    rng = np.random.default_rng(seed)
    means = np.empty(resamples)
    for start in range(0, resamples, _CHUNK):
        b = min(_CHUNK, resamples - start)
        r = rng.integers(0, runs, size=(b, runs, 1, 1)) if runs > 1 else np.zeros((b, 1, 1, 1), dtype=np.int64)
        s = rng.integers(0, seeds, size=(b, runs, seeds, 1)) if seeds > 1 else np.zeros((b, runs, 1, 1), dtype=np.int64)
        p = rng.integers(0, pairs, size=(b, runs, seeds, pairs))
        means[start : start + b] = v[r, s, p].mean(axis=(1, 2, 3))
    alpha = (1.0 - level) / 2.0
    lo, hi = np.quantile(means, [alpha, 1.0 - alpha])
    levels = tuple(name for name, size in (("training_seeds", runs), ("protocol_seeds", seeds), ("pairs", pairs)) if size > 1)
    return (float(lo), float(hi)), levels


def summarise(per_seed: np.ndarray, per_path: np.ndarray) -> Summary:
    """Headline summary from per-seed values (runs, seeds) and per-path values (runs, seeds, pairs).

    With several training runs the spread is the population std (ddof = 0, as the paper's
    Table 1) of the runs' means; with one run it is the std over protocol seeds.
    """
    per_seed = np.asarray(per_seed, dtype=np.float64)
    runs = per_seed.shape[0]
    if runs > 1:
        run_means = per_seed.mean(axis=1)
        mean, std, n, over = float(run_means.mean()), float(run_means.std(ddof=0)), runs, "training_seeds"
    else:
        mean, std, n, over = float(per_seed.mean()), float(per_seed[0].std(ddof=0)), per_seed.shape[1], "protocol_seeds"
    ci, levels = bootstrap_interval(per_path)
    return Summary(mean=mean, std=std, n=n, over=over, ci95=ci, levels=levels)


def overlaps(a: tuple[float, float] | list[float], b: tuple[float, float] | list[float]) -> bool:
    """Whether two closed intervals share a point: then the difference of the entries is not resolved."""
    return bool(a[0] <= b[1] and b[0] <= a[1])

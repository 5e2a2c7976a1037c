"""Slow, loop-by-loop reference implementations of interpbench's own metrics (docs/SPEC.md), for tests.

Written from the spec's text, independently of the package: plain Python floats and ``math``,
no vectorisation, no shared helpers. ``python tests/slow_reference.py`` regenerates
``tests/fixtures/geodesic_x1.json``.
"""

from __future__ import annotations

import json
import math
import random
from pathlib import Path

FIXTURE = Path(__file__).parent / "fixtures" / "geodesic_x1.json"


def short_way(x: float) -> float:
    """x wrapped into (−π, π] through atan2 (the package wraps with a floored modulo instead)."""
    w = math.atan2(math.sin(x), math.cos(x))
    return math.pi if w <= -math.pi else w


def geodesic_errors_slow(estimated: list[list[float]], endpoints: list[list[float]]) -> list[list[float]]:
    """Per-image errors e[i][n] = |wrap(Λ̂ − (Λa + t·wrap(Λb − Λa)))| / π, one loop per image."""
    out = []
    for path, (a, b) in zip(estimated, endpoints):
        n_steps = len(path)
        delta = short_way(b - a)
        row = []
        for n, angle in enumerate(path):
            t = n / (n_steps - 1)
            row.append(abs(short_way(angle - (a + t * delta))) / math.pi)
        out.append(row)
    return out


def smoothness_defined_slow(per_path: list[float | None]) -> float | None:
    defined = [s for s in per_path if s is not None]
    return sum(defined) / len(defined) if defined else None


def _cases() -> dict[str, dict[str, list]]:
    rng = random.Random(20261201)
    n = 16
    ts = [k / (n - 1) for k in range(n)]
    cases: dict[str, dict[str, list]] = {}
    a, b = 0.3, 1.2
    cases["short_way"] = {"endpoints": [[a, b]], "estimated": [[a + t * (b - a) for t in ts]]}
    cases["long_way"] = {"endpoints": [[a, b]], "estimated": [[a - t * (2 * math.pi - (b - a)) for t in ts]]}
    cases["across_zero"] = {"endpoints": [[6.1, 0.2]], "estimated": [[(6.1 + t * (0.2 + 2 * math.pi - 6.1)) % (2 * math.pi) for t in ts]]}
    # Λb − Λa is exactly π in float64 here, so the spec's tie rule (counter-clockwise) decides, not rounding.
    cases["half_turn"] = {"endpoints": [[0.0, math.pi]], "estimated": [[t * math.pi for t in ts], [-t * math.pi for t in ts]]}
    cases["constant"] = {"endpoints": [[2.0, 4.5]], "estimated": [[2.0] * n]}
    ends = [[rng.uniform(0, 2 * math.pi), rng.uniform(0, 2 * math.pi)] for _ in range(6)]
    cases["random"] = {"endpoints": ends, "estimated": [[rng.uniform(0, 2 * math.pi) for _ in range(n)] for _ in ends]}
    # Endpoint rows of a multi-path case must share N; half_turn has two paths with one endpoint pair each.
    cases["half_turn"]["endpoints"] = cases["half_turn"]["endpoints"] * 2
    return cases


def build_fixture() -> dict:
    cases = {}
    for name, case in _cases().items():
        errors = geodesic_errors_slow(case["estimated"], case["endpoints"])
        cases[name] = {**case, "errors": errors, "path_errors": [sum(r) / len(r) for r in errors],
                       "geodesic_error": sum(map(sum, errors)) / sum(map(len, errors))}
    return {"spec": "docs/SPEC.md §X1, extensions version 1", "generator": "tests/slow_reference.py", "cases": cases}


if __name__ == "__main__":
    FIXTURE.write_text(json.dumps(build_fixture(), indent=1) + "\n", encoding="utf-8")
    print(f"wrote {FIXTURE}")


def segment_ink_slow(angle: float, inner: float, outer: float, width: float) -> list[list[float]]:
    """SPEC §1 steps 1–5 for one radial segment, pixel by pixel (32×32 accumulated coverage, not doubled)."""
    ink = [[0.0] * 32 for _ in range(32)]
    r0, c0 = 16 - inner * math.sin(angle), 16 + inner * math.cos(angle)
    r1, c1 = 16 - outer * math.sin(angle), 16 + outer * math.cos(angle)
    rows_major = abs(r1 - r0) >= abs(c1 - c0)
    (ua, va), (ub, vb) = ((r0, c0), (r1, c1)) if rows_major else ((c0, r0), (c1, r1))
    if ua > ub:
        (ua, va), (ub, vb) = (ub, vb), (ua, va)
    va, vb = va - width / 2, vb - width / 2
    slope = (vb - va) / (ub - ua) if ub != ua else 0.0
    for u in range(int(ua), math.ceil(ub)):  # int() truncates toward zero, as the spec's trunc
        if u < math.ceil(ua):
            omega = math.ceil(ua) - ua
        elif u > int(ub):
            omega = ub - int(ub)
        else:
            omega = 1.0
        a = va + (u - ua - 0.5) * slope
        b = a + width
        amounts: dict[int, float] = {}
        for v in range(math.ceil(a), int(b)):
            amounts[v] = amounts.get(v, 0.0) + omega
        if a != int(a):
            amounts[int(a)] = amounts.get(int(a), 0.0) + omega * (math.ceil(a) - a)
        if b != int(b):
            amounts[int(b)] = amounts.get(int(b), 0.0) + omega * (b - int(b))
        for v, amount in amounts.items():
            row, col = (u, v) if rows_major else (v, u)
            if 0 <= row < 32 and 0 <= col < 32:
                ink[row][col] += amount
    return ink


def clock_image_slow(hour: float, minute: float) -> list[list[float]]:
    """docs/SPEC.md §X4: each hand's coverage doubled and clipped to [0, 2], summed, minus 1."""
    h = segment_ink_slow(hour, 0.0, 6.5, 3.0)
    m = segment_ink_slow(minute, 10.0, 15.0, 2.0)
    return [[min(2 * h[r][c], 2.0) + min(2 * m[r][c], 2.0) - 1.0 for c in range(32)] for r in range(32)]


def blob_image_slow(row: float, col: float, sigma: float = 2.5) -> list[list[float]]:
    """docs/SPEC.md §X5: 2·exp(−((r − row)² + (c − col)²)/(2σ²)) − 1 at pixel centres r, c = 0 … 31."""
    return [[2 * math.exp(-((r - row) ** 2 + (c - col) ** 2) / (2 * sigma**2)) - 1 for c in range(32)] for r in range(32)]

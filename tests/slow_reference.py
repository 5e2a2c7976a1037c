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

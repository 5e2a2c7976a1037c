"""Regression check: is a model's score still within tolerance of a recorded baseline?

For other projects' CI (``interpbench check`` and :func:`assert_no_regression` in a test suite)
and for interpbench's own baselines under ``leaderboard/baselines/``.

Every compared metric is lower-is-better. A metric is *worse* when
``current > baseline + atol + rtol·|baseline|`` and *better* when it is below the baseline by more
than that. By default only *worse* fails; ``two_sided=True`` fails on any move beyond tolerance,
which is what a reproducibility check wants (a change in scoring code must not move a number
in either direction until the baseline is deliberately re-recorded).
"""

from __future__ import annotations

import datetime as _dt
import json
import math
import os
from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any

from .atomic import write_text_atomic
from .errors import DataError, OptionError
from .leaderboard.entries import read_json
from .leaderboard.schema import BASELINE_SCHEMA, RESULT_SUMMARY_SCHEMA, validate
from .result import NOT_COMPARABLE, Result
from .spec import SPEC_VERSION
from .suites import get_suite

__all__ = [
    "METRICS",
    "DEFAULT_RTOL",
    "DEFAULT_ATOL",
    "MetricCheck",
    "HEADLINE",
    "COUNTS",
    "DEFAULT_PATH_ATOL",
    "CheckReport",
    "baseline_from_result",
    "write_baseline",
    "load_baseline",
    "score_like_baseline",
    "compare",
    "assert_no_regression",
    "parse_tolerances",
]

BASELINE_FORMAT = "interpbench-baseline"
# How the model was bridged when its baseline was recorded (result.model keys): `check` scores it
# the same way unless told otherwise, and says when the two differ.
DECLARATION = ("layout", "value_range")

# Compared metrics, all lower-is-better, with how the table prints them.
METRICS: dict[str, tuple[str, float]] = {
    "mean_distance": ("Mean Distance (×10⁻³)", 1e3),
    "smoothness": ("Smoothness", 1.0),
    "geodesic_error": ("geodesic error", 1.0),
    "long_way_fraction": ("long-way fraction", 1.0),
    "reconstruction_error": ("reconstruction MSE", 1.0),
    "n_undefined": ("undefined Smoothness", 1.0),
}

# Defaults for "the same model scored on another machine or library version": a relative
# 0.1 % absorbs float32 decoder differences between CPU and GPU kernels yet catches any real
# change of a model; the absolute floor keeps metrics near 0 (oracle Mean Distance ~2e-7) from
# failing on round-off alone.
DEFAULT_RTOL = 1e-3
DEFAULT_ATOL = 1e-9

# What fails a check by default: the headline metrics, each within a relative tolerance, and the
# counts over paths, each within an absolute number of paths. A count moves in whole paths: a
# 1e-5 weight perturbation sent one path in 768 the long way round, past --rtol 0.01 of the
# long-way fraction, while Mean Distance moved by ~2e-5 relative: no relative tolerance suits both.
HEADLINE = ("mean_distance", "smoothness", "geodesic_error")
COUNTS = ("n_undefined", "long_way_fraction")
# Paths over the whole protocol (pairs × seeds) a count may grow by.
DEFAULT_PATH_ATOL = 2.0
# Every other metric (reconstruction error) is a diagnostic: reported, and failing a check only
# when a tolerance names it (``--rtol reconstruction_error=0.01``, or the baseline file's).

Tolerances = Mapping[str, float] | float | None


@dataclass(frozen=True)
class MetricCheck:
    """One metric: baseline and current value (unscaled), the tolerance applied, and the verdict."""

    metric: str
    baseline: float
    current: float
    rtol: float
    atol: float
    # False: a diagnostic, reported but not failing the check (see HEADLINE, COUNTS).
    gated: bool = True

    @property
    def allowed(self) -> float:
        return self.atol + self.rtol * abs(self.baseline)

    @property
    def status(self) -> str:
        """'ok', 'worse' or 'better' (beyond tolerance)."""
        diff = self.current - self.baseline
        if diff > self.allowed:
            return "worse"
        if diff < -self.allowed:
            return "better"
        return "ok"


@dataclass(frozen=True)
class CheckReport:
    """All metric checks of one model against one baseline."""

    name: str
    baseline_path: str
    checks: tuple[MetricCheck, ...]
    two_sided: bool
    # (pairs, number of seeds) of the shared protocol: undefined counts print as totals, "k of n",
    # as in the result table; the check itself compares the per-seed mean.
    protocol_size: tuple[int, int] | None = None
    warnings: tuple[str, ...] = ()

    @property
    def failures(self) -> list[MetricCheck]:
        bad = ("worse", "better") if self.two_sided else ("worse",)
        return [c for c in self.checks if c.gated and c.status in bad]

    @property
    def passed(self) -> bool:
        return not self.failures

    def to_dict(self) -> dict[str, Any]:
        """The report as plain data (``interpbench check --json``)."""
        return {
            "name": self.name, "baseline": self.baseline_path, "passed": self.passed, "two_sided": self.two_sided,
            "warnings": list(self.warnings),
            "checks": [{"metric": c.metric, "baseline": c.baseline, "current": c.current, "rtol": c.rtol, "atol": c.atol,
                        "allowed": c.allowed, "status": c.status, "gated": c.gated} for c in self.checks],
            "failures": [c.metric for c in self.failures],
        }

    def table(self) -> str:
        """A before/after table and a one-line verdict."""
        head = f"{'metric':<30}{'baseline':>14}{'current':>14}{'change':>14}{'tolerance':>12}  status"
        lines = [f"{self.name} vs baseline {self.baseline_path}", *(f"warning: {w}" for w in self.warnings), "", head, "-" * len(head)]
        for c in self.checks:
            label, scale = METRICS[c.metric]
            diff = c.current - c.baseline
            change = "0" if diff == 0 else f"{diff / abs(c.baseline):+.2e} rel" if c.baseline else f"{diff * scale:+.2e}"
            status = {"ok": "ok", "worse": "WORSE", "better": "better" + (" (FAIL: two-sided)" if self.two_sided else "")}[c.status]
            if not c.gated and c.status != "ok":
                status = f"{c.status} (diagnostic, not checked)"
            before, after = f"{c.baseline * scale:.6g}", f"{c.current * scale:.6g}"
            if c.metric == "n_undefined" and self.protocol_size:
                pairs, n_seeds = self.protocol_size
                before, after = (f"{round(v * n_seeds)} of {pairs * n_seeds}" for v in (c.baseline, c.current))
            allowed = "±" + format(c.allowed * scale, ".2g")
            if c.metric in COUNTS and self.protocol_size and c.rtol == 0:
                allowed = f"+{_paths(c.metric, c.allowed, self.protocol_size):g} paths"
            lines.append(f"{label:<30}{before:>14}{after:>14}{change:>14} {allowed:>12}  {status}")
        lines.append("")
        if self.passed:
            better = [c.metric for c in self.checks if c.status == "better"]
            note = f"; improved beyond tolerance: {', '.join(better)} (re-record the baseline to lock it in)" if better else ""
            lines.append(f"PASS: every checked metric within tolerance of the baseline{note}")
        else:
            what = "moved" if self.two_sided else "worse"
            lines.append(f"FAIL: {len(self.failures)} metric(s) {what} beyond tolerance: {', '.join(c.metric for c in self.failures)}")
        return "\n".join(lines)


# ------------------------------------------------------------------------------ records
def _metrics_of(data: Mapping[str, Any], keep_undefined: bool = False) -> dict[str, dict[str, Any]]:
    """Comparable metrics of a result or baseline dict: {metric: {"mean", "per_seed"}}.

    An undefined metric (Smoothness of a model whose every interpolation is undefined) has no
    number to compare; it is left out unless ``keep_undefined`` (a baseline records it as null, and
    its n_undefined is what a check compares).
    """
    out: dict[str, dict[str, Any]] = {}
    for metric, value in data.get("metrics", {}).items():
        if metric not in METRICS or not isinstance(value, Mapping):
            continue
        if metric == "n_undefined" and "total" in value:
            # Result records store a count; compare its per-seed mean so protocols with more seeds read the same.
            per_seed = list(value.get("per_seed", []))
            value = {"mean": value["total"] / max(len(per_seed), 1), "per_seed": per_seed}
        if value.get("mean") is None and not keep_undefined:
            continue
        out[metric] = {"mean": value["mean"], "per_seed": list(value.get("per_seed", []))}
    return out


def baseline_from_result(result: Result | Mapping[str, Any], tolerances: Mapping[str, Mapping[str, float]] | None = None) -> dict[str, Any]:
    """A baseline record (format ``interpbench-baseline``) holding ``result``'s metrics and provenance."""
    data = result.to_dict(per_path=False) if isinstance(result, Result) else _current_record(result)
    try:
        record = _baseline_record(data)
    except (KeyError, TypeError, AttributeError, ValueError) as exc:
        # A result file edited by hand (a list where the model should be, a missing key) is one sentence.
        raise DataError(f"malformed result record, cannot record a baseline from it: {type(exc).__name__}: {exc}") from None
    if tolerances:
        record["tolerances"] = {k: dict(v) for k, v in tolerances.items()}
    validate(record, BASELINE_SCHEMA, what="baseline")
    return record


def _baseline_record(data: Mapping[str, Any]) -> dict[str, Any]:
    return {
        "format": BASELINE_FORMAT,
        "format_version": 1,
        # Which weights the numbers belong to, for trained models (absent keys stay absent).
        "model": {"name": data["model"]["name"], "adapter": data["model"].get("adapter"),
                  **{k: data["model"][k] for k in ("checkpoint_sha256", "preset", "kimg", "train_seed", *DECLARATION)
                     if data["model"].get(k) is not None}},
        "protocol": data["protocol"],
        "metrics": _metrics_of(data, keep_undefined=True),
        "provenance": data["provenance"],
        "recorded": _dt.datetime.now(_dt.timezone.utc).replace(microsecond=0).isoformat(),
    }


def write_baseline(result: Result | Mapping[str, Any], path: str | os.PathLike[str], tolerances: Mapping[str, Mapping[str, float]] | None = None) -> dict[str, Any]:
    """Record ``result`` as a baseline file (atomically) and return the record."""
    record = baseline_from_result(result, tolerances)
    write_text_atomic(path, json.dumps(record, indent=1, allow_nan=False) + "\n")
    return record


def load_baseline(path: str | os.PathLike[str]) -> dict[str, Any]:
    """Read a baseline file; a full ``interpbench-result`` file is accepted as a baseline too."""
    data = read_json(path, what="baseline")
    if isinstance(data, dict) and data.get("format") == "interpbench-result":
        try:
            data = baseline_from_result(data)
        except (KeyError, TypeError, AttributeError) as exc:
            raise DataError(f"baseline {os.fspath(path)!r} is a malformed result record (missing {exc})") from None
    validate(data, BASELINE_SCHEMA, what=f"baseline {os.fspath(path)!r}")
    _require_spec(data, f"baseline {os.fspath(path)!r}")
    return data


def _require_spec(record: Mapping[str, Any], what: str) -> None:
    """Numbers of another spec version are another benchmark's: comparing them would be meaningless.

    (A baseline always names its spec, the schema requires it; a hand-made result dict may not.)"""
    spec = record.get("provenance", {}).get("spec_version") if isinstance(record.get("provenance"), Mapping) else None
    if spec is not None and spec != SPEC_VERSION:
        raise DataError(f"{what} was recorded under spec {spec!r}; this interpbench implements spec {SPEC_VERSION}, "
                        "so the numbers are not comparable (re-record it with --write-baseline)")


def protocol_of(record: Mapping[str, Any]) -> dict[str, Any]:
    """A record's protocol, with ``suite`` filled in as lines for records from before suites existed."""
    return {"suite": "lines", **dict(record["protocol"])}


def _current_record(current: Result | Mapping[str, Any]) -> dict[str, Any]:
    if not isinstance(current, (Result, Mapping)):
        raise DataError(f"a result record must be a JSON object, not {type(current).__name__}")
    if isinstance(current, Result):
        return current.to_dict(per_path=False)
    data = dict(current)
    if data.get("format") != "interpbench-result":
        raise DataError(f"not an interpbench result (format is {data.get('format')!r})")
    # A record from a file is checked like any other: a metric stored as the string "NaN" or
    # "-Infinity" would otherwise become a float that compares false with every bound, and pass.
    validate(data, RESULT_SUMMARY_SCHEMA, what="result")
    return data


# ------------------------------------------------------------------------------ checking
def parse_tolerances(values: list[str] | tuple[str, ...], option: str = "--rtol") -> dict[str, float]:
    """['0.01', 'smoothness=0.05'] -> {'*': 0.01, 'smoothness': 0.05}."""
    out: dict[str, float] = {}
    for text in values:
        metric, eq, number = text.rpartition("=")
        metric = metric.strip() if eq else "*"
        if metric != "*" and metric not in METRICS:
            raise OptionError(f"{option} {text!r}: unknown metric {metric!r} (one of {', '.join(METRICS)})")
        try:
            value = float(number)
        except ValueError:
            raise OptionError(f"{option} {text!r}: {number!r} is not a number") from None
        if not (math.isfinite(value) and value >= 0):  # inf would pass any regression, NaN every one
            raise OptionError(f"{option} {text!r}: tolerance must be a finite non-negative number")
        out[metric] = value
    return out


def _tolerance(metric: str, given: Tolerances, from_baseline: Mapping[str, Any], kind: str, default: float) -> float:
    value = _given_tolerance(metric, given, from_baseline, kind, default)
    if isinstance(value, bool) or not isinstance(value, (int, float)) or not (math.isfinite(value) and value >= 0):
        # The CI gate must fail closed: an infinite tolerance passes a 10⁶× regression.
        raise OptionError(f"{kind} for {metric} is {value!r}; a tolerance must be a finite non-negative number")
    return float(value)


def _paths(metric: str, value: float, protocol_size: tuple[int, int]) -> float:
    """A count metric's tolerance (per-seed mean) as paths over the whole protocol."""
    pairs, n_seeds = protocol_size
    return value * n_seeds * (pairs if metric == "long_way_fraction" else 1)


def _named(metric: str, given: Tolerances, from_baseline: Mapping[str, Any], kind: str) -> float | None:
    """A tolerance given for ``metric`` by name (not one for every metric), or None."""
    if isinstance(given, Mapping) and metric in given:
        return float(given[metric])
    value = from_baseline.get(metric, {}).get(kind)
    return None if value is None else value


def _metric_check(metric: str, baseline: float, current: float, rtol: Tolerances, atol: Tolerances, tol: Mapping[str, Any],
                  path_atol: float, size: tuple[int, int]) -> MetricCheck:
    """One metric's check with the tolerance its kind takes (HEADLINE, COUNTS, or a diagnostic)."""
    if metric in COUNTS:
        # Counts move in whole paths: a relative tolerance for every metric does not reach them,
        # only one naming them; the default is path_atol paths, as the metric's per-seed mean.
        named_r, named_a = _named(metric, rtol, tol, "rtol"), _named(metric, atol, tol, "atol")
        per_seed = path_atol / size[1] / (size[0] if metric == "long_way_fraction" else 1)
        return MetricCheck(metric, baseline, current,
                           rtol=_tolerance(metric, {metric: named_r if named_r is not None else 0.0}, {}, "rtol", 0.0),
                           atol=_tolerance(metric, {metric: named_a if named_a is not None else per_seed}, {}, "atol", 0.0))
    gated = metric in HEADLINE or _named(metric, rtol, tol, "rtol") is not None or _named(metric, atol, tol, "atol") is not None
    return MetricCheck(metric, baseline, current, rtol=_tolerance(metric, rtol, tol, "rtol", DEFAULT_RTOL),
                       atol=_tolerance(metric, atol, tol, "atol", DEFAULT_ATOL), gated=gated)


def _given_tolerance(metric: str, given: Tolerances, from_baseline: Mapping[str, Any], kind: str, default: float) -> Any:
    if isinstance(given, (int, float)):
        return given
    given = given or {}
    if metric in given:
        return given[metric]
    if "*" in given:
        return given["*"]
    return from_baseline.get(metric, {}).get(kind, default)


def compare(
    current: Result | Mapping[str, Any],
    baseline: Mapping[str, Any] | str | os.PathLike[str],
    *,
    rtol: Tolerances = None,
    atol: Tolerances = None,
    two_sided: bool = False,
    baseline_path: str | None = None,
    path_atol: float = DEFAULT_PATH_ATOL,
) -> CheckReport:
    """Compare ``current`` with ``baseline`` metric by metric. The protocols must be identical.

    ``rtol``/``atol`` are a number for every metric or a ``{metric: value}`` mapping ('*' = the
    rest); unset metrics take the baseline file's ``tolerances``, then the defaults. The
    headline metrics (``HEADLINE``) fail beyond them. The counts over paths (``COUNTS``:
    undefined Smoothness, long-way fraction) fail when they grow by more than ``path_atol``
    paths over the whole protocol, unless a tolerance names them. Reconstruction error is
    reported, and fails only when a tolerance names it.
    """
    if not (isinstance(path_atol, (int, float)) and not isinstance(path_atol, bool) and math.isfinite(path_atol) and path_atol >= 0):
        raise OptionError(f"path_atol is {path_atol!r}; it must be a finite non-negative number of paths")
    if not isinstance(baseline, Mapping):
        baseline_path = baseline_path or os.fspath(baseline)
        baseline = load_baseline(baseline)
    data = _current_record(current)
    _require_spec(baseline, f"baseline {baseline_path!r}" if baseline_path else "the baseline")
    _require_spec(data, "the result")
    if protocol_of(data) != protocol_of(baseline):
        raise DataError(f"protocol differs from the baseline's: {protocol_of(data)} vs {protocol_of(baseline)}; "
                        f"{NOT_COMPARABLE}")
    try:
        mine, theirs = _metrics_of(data), _metrics_of(baseline)
        tol = baseline.get("tolerances", {})
        size = (int(baseline["protocol"]["pairs"]), len(baseline["protocol"]["seeds"]))
        checks = tuple(
            _metric_check(m, float(theirs[m]["mean"]), float(mine[m]["mean"]), rtol, atol, tol, float(path_atol), size)
            for m in METRICS
            if m in mine and m in theirs
        )
    except (KeyError, TypeError, AttributeError, ValueError, OverflowError) as exc:
        raise DataError(f"the result's metrics are malformed: {type(exc).__name__}: {exc}") from None
    if not any(c.metric in ("mean_distance", "smoothness") for c in checks):
        raise DataError("neither Mean Distance nor Smoothness is in both the result and the baseline")
    name = str(data["model"].get("name", "model")) if isinstance(data.get("model"), Mapping) else "model"
    proto = baseline["protocol"]
    recorded_for = baseline["model"].get("name") if isinstance(baseline.get("model"), Mapping) else None
    warnings = () if recorded_for in (None, name) else (
        f"the baseline was recorded for model {recorded_for!r}, not {name!r}: is this the right baseline?",
    )
    warnings += tuple(declaration_differences(data.get("model"), baseline.get("model")))
    return CheckReport(name=name, baseline_path=baseline_path or "(given)", checks=checks, two_sided=two_sided,
                       protocol_size=(int(proto["pairs"]), len(proto["seeds"])), warnings=warnings)


def declaration_differences(current: Any, recorded: Any) -> list[str]:
    """Sentences naming each declaration (layout, value range) in which a result differs from its baseline."""
    if not isinstance(current, Mapping) or not isinstance(recorded, Mapping):
        return []
    flags = {"layout": "--layout", "value_range": "--value-range"}
    return [
        f"scored with {flags[key]} {current[key]}, but the baseline was recorded with {flags[key]} {recorded[key]}: "
        "the numbers may differ for that reason alone"
        for key in DECLARATION
        if current.get(key) is not None and recorded.get(key) is not None and current[key] != recorded[key]
    ]


def baseline_declaration(baseline: Mapping[str, Any], harness: Mapping[str, Any]) -> dict[str, str]:
    """The baseline's recorded layout and value range for each one ``harness`` options leave unset."""
    recorded = baseline.get("model") if isinstance(baseline.get("model"), Mapping) else {}
    return {key: str(recorded[key]) for key in DECLARATION if harness.get(key) is None and recorded.get(key) is not None}


def score_like_baseline(model: Any, baseline: Mapping[str, Any], **harness: Any) -> Result:
    """Score ``model`` with exactly the baseline's protocol (seeds, pairs, steps, path) and, unless
    given, the layout and value range the baseline was recorded with."""
    from .protocol import score

    harness = {**harness, **baseline_declaration(baseline, harness)}
    proto = protocol_of(baseline)
    try:
        suite = get_suite(proto["suite"])
    except OptionError as exc:
        raise DataError(f"the baseline's {exc}") from None
    if proto["bank_size"] != suite.bank_size:
        raise DataError(f"baseline was scored with a bank of {proto['bank_size']} images; this interpbench's "
                        f"{suite.name} suite uses {suite.bank_size}")
    return score(model, seeds=proto["seeds"], pairs=proto["pairs"], steps=proto["steps"], path=proto["path"], keep_images=False,
                 suite=suite, **harness)


def assert_no_regression(
    model_or_result: Any,
    baseline: str | os.PathLike[str] | Mapping[str, Any],
    *,
    rtol: Tolerances = None,
    atol: Tolerances = None,
    two_sided: bool = False,
    path_atol: float = DEFAULT_PATH_ATOL,
    **harness: Any,
) -> CheckReport:
    """For test suites: fail (``AssertionError`` with the before/after table) if a metric regressed.

    ``model_or_result`` is a :class:`Result`, a result dict, a path to a result ``.json`` file, or
    anything :func:`interpbench.score` accepts (scored with the baseline's protocol; ``harness``
    keywords such as ``device`` or ``batch_size`` are passed on). Tolerances as :func:`compare`.
    Returns the report on success.
    """
    path = None if isinstance(baseline, Mapping) else os.fspath(baseline)
    record = load_baseline(baseline) if path is not None else baseline
    current = model_or_result
    if isinstance(current, (str, os.PathLike)) and os.fspath(current).endswith(".json"):
        current = read_json(current, what="result")
    elif not isinstance(current, (Result, Mapping)):
        current = score_like_baseline(current, record, **harness)
    report = compare(current, record, rtol=rtol, atol=atol, two_sided=two_sided, baseline_path=path, path_atol=path_atol)
    if not report.passed:
        raise AssertionError("\n" + report.table())
    return report

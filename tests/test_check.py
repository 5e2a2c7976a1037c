"""``interpbench check`` and :func:`assert_no_regression`: pass within tolerance, fail with a table otherwise."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import pytest
from click.testing import CliRunner

import interpbench
from interpbench.check import assert_no_regression, compare, parse_tolerances, write_baseline
from interpbench.cli import main
from interpbench.errors import DataError, OptionError

# A small protocol keeps these tests fast; the full one is exercised by test_regression_baselines.py.
SMALL = dict(seeds=[0, 1], pairs=32)


@pytest.fixture(scope="module")
def oracle_result() -> interpbench.Result:
    return interpbench.score("oracle", keep_images=False, model_info={"adapter": "oracle"}, **SMALL)


@pytest.fixture()
def baseline(oracle_result: interpbench.Result, tmp_path: Path) -> Path:
    path = tmp_path / "oracle.json"
    write_baseline(oracle_result, path)
    return path


def _doctor(path: Path, metric: str, factor: float) -> Path:
    data = json.loads(path.read_text(encoding="utf-8"))
    data["metrics"][metric]["mean"] *= factor
    out = path.with_name(f"doctored-{metric}-{factor}.json")
    out.write_text(json.dumps(data), encoding="utf-8")
    return out


def _check(*args: str) -> Any:
    return CliRunner().invoke(main, ["check", *args])


def test_cli_passes_against_own_baseline(baseline: Path) -> None:
    result = _check("--adapter", "oracle", "--baseline", str(baseline))
    assert result.exit_code == 0, result.output
    assert "PASS" in result.output and "Mean Distance" in result.output


def test_cli_fails_with_table_when_worse(baseline: Path) -> None:
    # Baseline Smoothness lowered by 20 %: the current score is worse than it.
    result = _check("--adapter", "oracle", "--baseline", str(_doctor(baseline, "smoothness", 0.8)))
    assert result.exit_code == 1
    assert "WORSE" in result.output and "FAIL: 1 metric(s) worse beyond tolerance: smoothness" in result.output
    row = next(line for line in result.output.splitlines() if line.startswith("Smoothness"))
    assert len(row.split()) >= 5  # metric, before, after, change, tolerance, status


def test_tolerance_option_lets_it_pass(baseline: Path) -> None:
    doctored = str(_doctor(baseline, "smoothness", 0.8))
    assert _check("--adapter", "oracle", "--baseline", doctored, "--rtol", "smoothness=0.3").exit_code == 0
    assert _check("--adapter", "oracle", "--baseline", doctored, "--rtol", "mean_distance=0.3").exit_code == 1


def test_improvement_passes_but_is_reported_and_fails_two_sided(baseline: Path) -> None:
    doctored = str(_doctor(baseline, "mean_distance", 2.0))
    result = _check("--adapter", "oracle", "--baseline", doctored)
    assert result.exit_code == 0 and "improved beyond tolerance: mean_distance" in result.output
    assert _check("--adapter", "oracle", "--baseline", doctored, "--two-sided").exit_code == 1


def test_result_file_and_write_baseline(oracle_result: interpbench.Result, tmp_path: Path) -> None:
    result_file = tmp_path / "result.json"
    oracle_result.save(result_file, per_path=False)
    recorded = tmp_path / "recorded.json"
    written = _check("--result", str(result_file), "--baseline", str(recorded), "--write-baseline", "--rtol", "1e-6")
    assert written.exit_code == 0 and recorded.is_file()
    assert json.loads(recorded.read_text())["tolerances"]["smoothness"] == {"rtol": 1e-6}
    assert _check("--result", str(result_file), "--baseline", str(recorded)).exit_code == 0


def test_malformed_baseline_is_one_line_error(baseline: Path, tmp_path: Path) -> None:
    broken = tmp_path / "broken.json"
    broken.write_text('{"format": "interpbench-baseline",', encoding="utf-8")
    result = _check("--adapter", "oracle", "--baseline", str(broken))
    assert result.exit_code == 1 and "is not valid JSON" in result.output and "Traceback" not in result.output
    data = json.loads(baseline.read_text())
    data["metrics"]["smoothness"]["mean"] = "low"
    wrong_type = tmp_path / "wrong.json"
    wrong_type.write_text(json.dumps(data), encoding="utf-8")
    result = _check("--adapter", "oracle", "--baseline", str(wrong_type))
    assert result.exit_code == 1 and "metrics.smoothness.mean: 'low' is not of type 'number'" in result.output
    missing = _check("--adapter", "oracle", "--baseline", str(tmp_path / "nope.json"))
    assert missing.exit_code == 1 and "does not exist" in missing.output


def test_protocol_mismatch_is_an_error(baseline: Path) -> None:
    other = interpbench.score("oracle", seeds=[0], pairs=32, keep_images=False)
    with pytest.raises(DataError, match="protocol differs.*not comparable"):
        compare(other, baseline)


def test_assert_no_regression(oracle_result: interpbench.Result, baseline: Path) -> None:
    report = assert_no_regression("oracle", baseline)
    assert report.passed
    assert_no_regression(oracle_result, baseline, two_sided=True)
    with pytest.raises(AssertionError, match="WORSE"):
        assert_no_regression(oracle_result, _doctor(baseline, "mean_distance", 0.5))


def test_parse_tolerances() -> None:
    assert parse_tolerances(["0.01", "smoothness=0.5"]) == {"*": 0.01, "smoothness": 0.5}
    with pytest.raises(OptionError, match="unknown metric"):
        parse_tolerances(["smoothnes=0.5"])
    with pytest.raises(OptionError, match="not a number"):
        parse_tolerances(["smoothness=abc"])

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
    assert result.exit_code == 3 and "is not valid JSON" in result.output and "Traceback" not in result.output
    data = json.loads(baseline.read_text())
    data["metrics"]["smoothness"]["mean"] = "low"
    wrong_type = tmp_path / "wrong.json"
    wrong_type.write_text(json.dumps(data), encoding="utf-8")
    result = _check("--adapter", "oracle", "--baseline", str(wrong_type))
    assert result.exit_code == 3 and "metrics.smoothness.mean: 'low' is not of type 'number'" in result.output
    missing = _check("--adapter", "oracle", "--baseline", str(tmp_path / "nope.json"))
    assert missing.exit_code == 3 and "does not exist" in missing.output
    other_protocol = tmp_path / "other.json"
    write_baseline(interpbench.score("oracle", seeds=[0], pairs=8, keep_images=False), other_protocol)
    result = _check("--adapter", "oracle", "--baseline", str(other_protocol))
    assert result.exit_code == 0  # its own protocol is reused
    doctored = json.loads(other_protocol.read_text())
    doctored["protocol"]["pairs"] = 9
    other_protocol.write_text(json.dumps(doctored))
    mismatch = _check("--result", str(_result_file(tmp_path)), "--baseline", str(other_protocol))
    assert mismatch.exit_code == 3 and "protocol differs" in mismatch.output


def _result_file(tmp_path: Path) -> Path:
    path = tmp_path / "r.json"
    interpbench.score("oracle", seeds=[0], pairs=8, keep_images=False).save(path)
    return path


def test_json_report_and_exit_code_on_regression(baseline: Path) -> None:
    ok = _check("--adapter", "oracle", "--baseline", str(baseline), "--json")
    report = json.loads(ok.stdout)
    assert ok.exit_code == 0 and report["passed"] and {c["metric"] for c in report["checks"]} >= {"mean_distance", "smoothness"}
    worse = _check("--adapter", "oracle", "--baseline", str(_doctor(baseline, "smoothness", 0.8)), "--json")
    assert worse.exit_code == 1 and json.loads(worse.stdout)["failures"] == ["smoothness"]


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


_CHANNELS_LAST_ZERO_ONE = '''
import numpy as np

class Model:
    """Works only on N×32×32×1 images in 0..1 (thresholds at mid-grey), as a Keras model would."""

    def encode(self, x):
        if x.ndim != 4 or x.shape[-1] != 1:
            raise ValueError(f"expected (n, 32, 32, 1), got {x.shape}")
        return x[..., 0]

    def decode(self, z):
        return (z > 0.5).astype(np.float32)
'''


def test_check_reuses_the_declared_layout_and_value_range(tmp_path: Path) -> None:
    (tmp_path / "m.py").write_text(_CHANNELS_LAST_ZERO_ONE)
    spec, base = f"{tmp_path / 'm.py'}:Model", tmp_path / "base.json"
    wrote = _check("--adapter", spec, "--baseline", str(base), "--write-baseline", "--seeds", "0", "--pairs", "8",
                   "--layout", "NHWC", "--value-range", "0,1")
    assert wrote.exit_code == 0, wrote.output
    assert {k: json.loads(base.read_text())["model"][k] for k in ("layout", "value_range")} == {"layout": "NHWC", "value_range": "0,1"}
    again = _check("--adapter", spec, "--baseline", str(base))  # no declaration given: the baseline's is used
    assert again.exit_code == 0, again.output
    assert "PASS" in again.stdout and "scoring as the baseline was recorded: --layout NHWC, --value-range 0,1" in again.stderr
    other = _check("--adapter", spec, "--baseline", str(base), "--value-range", "-1,1")
    assert "but the baseline was recorded with --value-range 0,1" in other.output


def test_result_record_states_its_declaration_and_compare_names_a_difference(oracle_result: interpbench.Result) -> None:
    assert oracle_result.model["layout"] == "NHW" and oracle_result.model["value_range"] == "-1,1"
    record = oracle_result.to_dict(per_path=False)
    changed = json.loads(json.dumps(record))
    changed["model"]["layout"] = "flat"
    report = compare(changed, interpbench.check.baseline_from_result(record))
    assert report.passed and any("--layout flat" in w and "--layout NHW" in w for w in report.warnings)


# ---- what fails by default: headline metrics, counts in whole paths; diagnostics are reported ----

def _moved(result: interpbench.Result, **means: float) -> dict[str, Any]:
    data = result.to_dict(per_path=False)
    for metric, delta in means.items():
        if metric == "n_undefined":
            data["metrics"][metric]["total"] += delta
        else:
            data["metrics"][metric]["mean"] += delta
    return data


def test_counts_move_in_whole_paths_and_a_relative_tolerance_does_not_reach_them(oracle_result, baseline) -> None:
    paths = SMALL["pairs"] * len(SMALL["seeds"])  # 64 paths over the protocol
    one_path = 1 / paths  # the long-way fraction (mean over seeds) of one path more
    flipped = compare(_moved(oracle_result, long_way_fraction=one_path), baseline, rtol=0.01)
    assert flipped.passed, flipped.table()  # the case: one path flipped, --rtol 0.01
    assert not compare(_moved(oracle_result, long_way_fraction=3 * one_path), baseline, rtol=0.01).passed
    assert compare(_moved(oracle_result, long_way_fraction=3 * one_path), baseline, path_atol=3).passed
    # n_undefined: a count per seed; two more undefined paths pass, three fail
    assert compare(_moved(oracle_result, n_undefined=2), baseline).passed
    report = compare(_moved(oracle_result, n_undefined=3), baseline)
    assert [c.metric for c in report.failures] == ["n_undefined"] and "+2 paths" in report.table()
    # a tolerance naming the count wins over the path tolerance
    assert compare(_moved(oracle_result, n_undefined=3), baseline, atol={"n_undefined": 2.0}).passed


def test_reconstruction_error_is_a_diagnostic_unless_a_tolerance_names_it(oracle_result, baseline) -> None:
    worse = _moved(oracle_result, reconstruction_error=1.0)
    report = compare(worse, baseline)
    assert report.passed and "diagnostic, not checked" in report.table()
    assert {c["metric"]: c["gated"] for c in report.to_dict()["checks"]}["reconstruction_error"] is False
    named = compare(worse, baseline, rtol={"reconstruction_error": 0.01})
    assert [c.metric for c in named.failures] == ["reconstruction_error"]


def test_headline_metrics_still_fail_beyond_a_relative_tolerance(oracle_result, baseline) -> None:
    report = compare(_moved(oracle_result, smoothness=0.01), baseline, rtol=0.01)
    assert [c.metric for c in report.failures] == ["smoothness"]


def test_path_atol_on_the_command_line(oracle_result, baseline, tmp_path: Path) -> None:
    result = tmp_path / "r.json"
    result.write_text(json.dumps(_moved(oracle_result, n_undefined=3)), encoding="utf-8")
    args = ["check", "--result", str(result), "--baseline", str(baseline)]
    assert CliRunner().invoke(main, args).exit_code == 1
    assert CliRunner().invoke(main, [*args, "--path-atol", "3"]).exit_code == 0
    bad = CliRunner().invoke(main, [*args, "--path-atol", "nan"])
    assert bad.exit_code == 2

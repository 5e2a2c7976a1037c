"""``interpbench check``: fail CI when a model's score regressed against a recorded baseline."""

from __future__ import annotations

import json
import sys

import click

from ..errors import DataError, InterpbenchError
from ..adapters import LAYOUTS
from ..check import DEFAULT_PATH_ATOL
from ..limits import MAX_BATCH_SIZE, MAX_PAIRS, MAX_SEEDS, MAX_STEPS
from ..paths import PATH_KINDS
from ..spec import DEFAULT_PAIRS, DEFAULT_STEPS, TEST_SET_SIZE
from .options import (VALUE_RANGE_CHOICES, FiniteFloat, SeedList, check_outputs, device_option, echo_warnings, json_option, model_options, one_model,
                      resolve_model, suite_option, threads_option)

# Exit statuses (README, "Exit codes"): a metric regressed: 1, with the table; the baseline is
# missing, malformed, of another spec or protocol: 3, one "Error:" line; usage mistakes exit 2,
# as for every click command; any other error 1, one "Error:" line.
EXIT_REGRESSION = 1
EXIT_BAD_BASELINE = 3


@click.command()
@model_options("The model is scored with the baseline's protocol.")
@click.option("--result", "result_path", type=click.Path(dir_okay=False), help="Or compare an existing result file (from `interpbench run --output`).")
@click.option("--baseline", "baseline_path", required=True, type=click.Path(dir_okay=False), help="Baseline JSON to compare with (or to write, with --write-baseline).")
@click.option("--rtol", multiple=True, metavar="[METRIC=]X", help="Relative tolerance, for all metrics or one; repeatable. [default: 1e-3]")
@click.option("--atol", multiple=True, metavar="[METRIC=]X", help="Absolute tolerance (unscaled units), for all metrics or one; repeatable. [default: 1e-9]")
@click.option("--path-atol", type=FiniteFloat(0, MAX_PAIRS * MAX_SEEDS), default=DEFAULT_PATH_ATOL, show_default=True,
              help="Paths (over all pairs and seeds) the counts, undefined Smoothness and long-way fraction, may grow by.")
@click.option("--two-sided", is_flag=True, help="Also fail when a metric improved beyond tolerance (a reproducibility check).")
@click.option("--write-baseline", is_flag=True, help="Record the score as the baseline instead of checking it (overwrites).")
@click.option("--seeds", "seed_range", type=SeedList(), default="0-2", show_default=True, help="Protocol seeds, with --write-baseline and a model only.")
@click.option("--pairs", type=click.IntRange(1, TEST_SET_SIZE // 2), default=DEFAULT_PAIRS, show_default=True, help="With --write-baseline and a model only.")
@click.option("--steps", type=click.IntRange(2, MAX_STEPS), default=DEFAULT_STEPS, show_default=True, help="With --write-baseline and a model only.")
@click.option("--path", "path_kind", type=click.Choice(sorted(PATH_KINDS)), default="lerp", show_default=True, help="With --write-baseline and a model only.")
@click.option("--batch-size", type=click.IntRange(1, MAX_BATCH_SIZE), help="Items per encode/decode call [default: adapter's own, else 256].")
@device_option
@click.option("--layout", type=click.Choice(sorted(LAYOUTS)), help="Input layout the adapter expects.")
@click.option("--value-range", type=click.Choice(VALUE_RANGE_CHOICES), help="Pixel range the adapter uses; auto: inferred from the decoded endpoints.")
@threads_option()
@suite_option("Benchmark suite, with --write-baseline and a model [default: lines]; when checking, the baseline's suite is used and a different --suite is refused.")
@json_option("Print the report as JSON instead of a table.")
def check(  # type: ignore[no-untyped-def]
    adapter_spec, model_name, checkpoint, overrides, result_path, baseline_path, rtol, atol, two_sided, write_baseline,
    path_atol, seed_range, pairs, steps, path_kind, batch_size, device, layout, value_range, threads, suite, as_json,
):
    """Compare a model's score with BASELINE; exit 1 with a before/after table if a metric got worse,
    3 if the baseline is missing, malformed or not comparable.

    Checked: the headline metrics (mean_distance unscaled, smoothness, geodesic_error) fail when
    current > baseline + atol + rtol·|baseline|, tolerances for all (--rtol 0.01) or per metric
    (--rtol smoothness=0.05); the counts over paths (n_undefined, long_way_fraction) when they grow
    by more than --path-atol paths, unless a tolerance names them; reconstruction_error is reported,
    and checked only when a tolerance names it. Improvements beyond tolerance pass and are
    reported (fail with --two-sided).
    """
    from ..check import (baseline_declaration, compare, load_baseline, parse_tolerances, protocol_of, score_like_baseline,
                         write_baseline as write)
    from ..leaderboard.entries import read_json
    from ..protocol import score

    adapter_spec, model_name = one_model(adapter_spec, model_name, "check")
    if bool(adapter_spec or model_name) == bool(result_path):
        raise click.UsageError("give exactly one of --adapter SPEC, --model NAME or --result FILE")
    if write_baseline:
        check_outputs([("--baseline", baseline_path)])  # before scoring, not after
    target, model_info = (None, None) if result_path else resolve_model(adapter_spec, model_name, checkpoint, device, overrides=overrides)
    harness = dict(batch_size=batch_size, device=device, layout=layout, value_range=value_range, threads=threads)
    rtols, atols = parse_tolerances(rtol, "--rtol"), parse_tolerances(atol, "--atol")

    if write_baseline:
        if result_path:
            current = read_json(result_path, what="result")
        else:
            with echo_warnings():
                current = score(target, seeds=seed_range, pairs=pairs, steps=steps, path=path_kind, keep_images=False,
                                progress=None, model_info=model_info, suite=suite, **harness)
        tolerances = _recorded_tolerances(rtols, atols)
        write(current, baseline_path, tolerances or None)
        click.echo(f"wrote baseline {baseline_path}")
        return

    try:
        baseline = load_baseline(baseline_path)
    except InterpbenchError as exc:
        _bad_baseline(exc)
    recorded = protocol_of(baseline)["suite"]
    if suite is not None and suite != recorded:
        raise click.UsageError(f"--suite {suite}: the baseline was recorded on the {recorded} suite; scores of two suites "
                               "are not comparable")
    if result_path:
        current = read_json(result_path, what="result")
    else:
        reused = baseline_declaration(baseline, harness)
        if reused:
            click.echo("scoring as the baseline was recorded: " + ", ".join(f"--{k.replace('_', '-')} {v}" for k, v in reused.items()), err=True)
        with echo_warnings():
            current = score_like_baseline(target, baseline, progress=None, model_info=model_info, **harness)
    try:
        report = compare(current, baseline, rtol=rtols, atol=atols, two_sided=two_sided, baseline_path=baseline_path,
                         path_atol=path_atol)
    except DataError as exc:  # another protocol or spec: this baseline cannot judge this score
        _bad_baseline(exc)
    click.echo(json.dumps(report.to_dict(), indent=1, allow_nan=False) if as_json else report.table())
    if not report.passed:
        sys.exit(EXIT_REGRESSION)


def _bad_baseline(exc: Exception) -> None:
    click.echo(f"Error: {exc}", err=True)
    sys.exit(EXIT_BAD_BASELINE)


def _recorded_tolerances(rtols: dict[str, float], atols: dict[str, float]) -> dict[str, dict[str, float]]:
    """Per-metric tolerances to store in a baseline; '*' (no metric named) applies to every metric."""
    from ..check import METRICS

    out: dict[str, dict[str, float]] = {}
    for kind, given in (("rtol", rtols), ("atol", atols)):
        for metric in METRICS:
            value = given.get(metric, given.get("*"))
            if value is not None:
                out.setdefault(metric, {})[kind] = value
    return out

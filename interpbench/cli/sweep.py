"""``interpbench sweep``: train a grid of reference-model runs on Ray, locally or on a cluster."""

from __future__ import annotations

import dataclasses
import functools
import json
from pathlib import Path
from typing import Any

import click

from ..jsonfile import strict_json
from ..limits import MAX_RATE

from .options import FiniteFloat, SeedList, json_option, output_option, suite_option


def _report(rows: list[dict[str, Any]], as_json: bool) -> None:
    if as_json:
        click.echo(json.dumps(strict_json(rows), indent=1, allow_nan=False, default=str))
        return
    from reference_models.sweep.results import report_lines

    for line in report_lines(rows):
        click.echo(line)


def _progress(spec: dict[str, Any], result: dict[str, Any], counts: dict[str, int], err: bool = False) -> None:
    summary = result.get("summary") or {}
    final = summary.get("final") or {}
    speed = (summary.get("samples_per_second") or 0.0) / 1024
    detail = (f"MD {final['mean_distance'] * 1e3:.2f}e-3, {speed:.2f} kimg/s" if final and result["status"] == "finished"
              else result.get("error") or "")
    click.echo(f"[{counts['done']} done, {counts['running']} running, {counts['pending']} pending] "
               f"{spec['name']}: {result['status']}" + (f" ({detail})" if detail else ""), err=err)


@click.command()
@click.argument("grid")
@output_option("Sweep directory: OUT/<model>-<key=value...>-s<seed> per run.", dest="out_dir", folder=True, required=True)
@click.option("--address", help="Ray cluster to connect to (ray start --head elsewhere) [default: a local Ray instance].")
@click.option("--cpus-per-run", type=FiniteFloat(0, MAX_RATE), default=1.0, show_default=True, help="CPUs each run's task asks for.")
@click.option("--gpus-per-run", type=FiniteFloat(0, MAX_RATE), default=0.0, show_default=True, help="GPUs each run's task asks for; 0.25 packs four runs on a GPU.")
@click.option("--max-concurrent", type=click.IntRange(min=1), help="Runs in flight at once [default: as many as the resources fit].")
@click.option("--max-retries", type=click.IntRange(min=0), default=3, show_default=True, help="Retries of a task whose worker died (each resumes from its checkpoint).")
@click.option("--leaderboard", "leaderboard_dir", type=click.Path(file_okay=False), help="File one entry per configuration in this leaderboard directory.")
@click.option("--score-seeds", type=SeedList(), default="0-4", show_default=True, help="Protocol seeds each run is scored on for --leaderboard.")
@click.option("--report", "report_only", is_flag=True, help="Print the report of the sweep in OUT without training.")
@suite_option("Benchmark suite every run trains and is scored on [default: the grid's `suite`, else lines].")
@json_option("Print one JSON record per run (the rows of results.csv) instead of the report; progress goes to stderr.")
def sweep(grid, out_dir, address, cpus_per_run, gpus_per_run, max_concurrent, max_retries, leaderboard_dir, score_seeds, report_only, suite, as_json):  # type: ignore[no-untyped-def]
    """Train every run of GRID (a TOML grid file, or a built-in grid: paper-table1) as Ray tasks, then report.

    Running the same command again retrains nothing that finished and continues what was cut off.
    Writes OUT/sweep.json (engine, resources, each run's status and scores) and OUT/results.csv.
    """
    from reference_models.sweep.builtin import resolve_grid
    from reference_models.sweep.ray_runner import RayOptions, run_sweep
    from reference_models.sweep.results import SWEEP_NAME, read_rows, write_results

    parsed = resolve_grid(grid)
    if suite is not None:
        if parsed.suite not in (None, suite):
            raise click.UsageError(f"--suite {suite}: the grid names suite {parsed.suite}; give one of them")
        parsed = dataclasses.replace(parsed, suite=suite)
    if report_only:
        if not (Path(out_dir) / SWEEP_NAME).is_file():
            raise click.ClickException(f"{str(Path(out_dir) / SWEEP_NAME)!r} does not exist; run the sweep first")
        _report(read_rows(out_dir), as_json)
        return
    options = RayOptions(address=address, cpus_per_run=cpus_per_run, gpus_per_run=gpus_per_run,
                         max_concurrent=max_concurrent, max_retries=max_retries)
    # With --json, stdout holds only the JSON; what the sweep says while it runs goes to stderr.
    echo = functools.partial(click.echo, err=as_json)
    echo(f"sweep: {len(parsed.runs())} runs into {out_dir} on Ray ({address or 'local'})")
    record = run_sweep(parsed, out_dir, options, on_result=functools.partial(_progress, err=as_json))
    rows = write_results(record, out_dir)
    echo(f"sweep: {record['wall_seconds']:.1f} s; wrote {Path(out_dir) / SWEEP_NAME} and results.csv")
    if leaderboard_dir:
        from reference_models.sweep.filing import file_sweep

        file_sweep(record, leaderboard_dir, score_seeds=score_seeds, device=parsed.device, echo=echo)
    _report(rows, as_json)
    bad = [r["run"] for r in rows if r["status"] not in ("finished", "already finished")]
    if bad:
        raise click.ClickException(f"{len(bad)} of {len(rows)} runs did not finish ({', '.join(bad)}); see {SWEEP_NAME}, fix, and run the same command again")

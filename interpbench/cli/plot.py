"""``interpbench plot``: figures from saved results, without re-scoring."""

from __future__ import annotations

from pathlib import Path

import click

from ..figures import FIGURE_KINDS
from .options import output_option, suite_option


@click.command()
@click.argument("results", nargs=-1, required=True, type=click.Path(dir_okay=False))
@click.option("--kind", type=click.Choice(FIGURE_KINDS), default="grid", show_default=True,
              help="grid: rows = interpolations, under each the nearest true lines; trajectory: decoded angle per step "
                   "vs the ideal path; scatter: Mean Distance vs Smoothness of every RESULT beside the paper's Table 1.")
@output_option("PNG to write [default: RESULT's name with .KIND.png; for several results, scatter.png beside the first].")
@suite_option("The benchmark suite the RESULTS were scored on: a result of another suite is refused [default: the results' own].")
def plot(results, kind, output, suite):  # type: ignore[no-untyped-def]
    """Draw a figure from saved RESULTS (`interpbench run --output` files), without re-scoring.

    grid and trajectory draw one result from the decoded images saved beside it
    (RESULT.images.<digest>.npz); scatter takes one or more results scored under the same protocol (the
    paper's Table 1 is drawn beside them on lines only). Results are drawn on the suite they were
    scored on (`run --suite`); --suite states which one that must be.
    """
    from ..figures import comparison_figure, save_figure, write_figure
    from ..result import Result

    if kind != "scatter" and len(results) != 1:
        raise click.UsageError(f"--kind {kind} draws one result; give one RESULT, or --kind scatter for several")
    loaded = [Result.load(p, images=kind != "scatter") for p in results]
    for path, result in zip(results, loaded):
        if suite is not None and result.protocol.suite != suite:
            raise click.UsageError(f"{path} was scored on the {result.protocol.suite} suite, not {suite}; "
                                   f"score it with `interpbench run --suite {suite}` or leave --suite out")
    first = Path(results[0])
    stem = first.name[: -len(".json")] if first.name.endswith(".json") else first.stem
    target = output or str(first.with_name("scatter.png" if len(results) > 1 else f"{stem}.{kind}.png"))
    if kind == "scatter":
        save_figure(comparison_figure(loaded), target)
    else:
        write_figure(loaded[0], target, kind)
    click.echo(f"wrote {target}")

"""``interpbench run``: score a model on the line benchmark."""

from __future__ import annotations

import click

from ..adapters import LAYOUTS, VALUE_RANGES
from ..paths import PATH_KINDS
from ..spec import DEFAULT_PAIRS, DEFAULT_STEPS, TEST_SET_SIZE
from .options import SeedList, check_outputs, device_option, model_options, resolve_model

DEFAULT_MODEL = "acai"  # what a bare `interpbench run` scores: the paper's best model, bundled


@click.command()
@model_options("With no --adapter or --model: the bundled ACAI.")
@click.option("--seed", "seed_list", type=click.IntRange(min=0), multiple=True, help="Protocol seed; repeat for several.")
@click.option("--seeds", "seed_range", type=SeedList(), help="Several protocol seeds: '0,1,2' or '0-4'.")
@click.option("--pairs", type=click.IntRange(1, TEST_SET_SIZE // 2), default=DEFAULT_PAIRS, show_default=True)
@click.option("--steps", type=click.IntRange(min=2), default=DEFAULT_STEPS, show_default=True)
@click.option("--path", "path_kind", type=click.Choice(sorted(PATH_KINDS)), default="lerp", show_default=True)
@click.option("--batch-size", type=click.IntRange(min=1), default=256, show_default=True)
@device_option
@click.option("--layout", type=click.Choice(sorted(LAYOUTS)), help="Input layout the adapter expects [default: adapter's own, else NCHW].")
@click.option("--value-range", type=click.Choice(sorted(VALUE_RANGES)), help="Pixel range the adapter uses [default: adapter's own, else -1,1].")
@click.option("--output", type=click.Path(dir_okay=False), help="Write the full result record (JSON) here.")
@click.option("--json", "as_json", is_flag=True, help="Print JSON instead of a table.")
@click.option("--figure", "figures", multiple=True, type=click.Path(dir_okay=False), help="Write a PNG figure (of the first seed) here; repeatable. Kind from --figure-kind, else from the name: *traj* = angle trajectories, anything else = interpolation grid.")
@click.option("--figure-kind", type=click.Choice(["grid", "trajectory"]), help="Kind of every --figure: grid (rows = interpolations, under each the nearest true lines) or trajectory (decoded angle per step vs the ideal path).")
def run(adapter_spec, model_name, checkpoint, overrides, seed_list, seed_range, pairs, steps, path_kind, batch_size, device, layout, value_range, output, as_json, figures, figure_kind):  # type: ignore[no-untyped-def]
    """Score an encode/decode pair on the line benchmark (Mean Distance, Smoothness).

    With no --adapter or --model it scores the bundled ACAI checkpoint.
    """
    from ..protocol import score

    if seed_list and seed_range:
        raise click.UsageError("give --seed or --seeds, not both")
    # Every output path is checked before the (possibly long) scoring run, not after it.
    check_outputs([("--output", output)] if output else [], [("--figure", f) for f in figures])
    target, model_info = resolve_model(adapter_spec, model_name, checkpoint, device, overrides=overrides, default_model=DEFAULT_MODEL)
    seeds = list(seed_list) or seed_range or [0]
    result = score(
        target,
        seeds=seeds,
        pairs=pairs,
        steps=steps,
        path=path_kind,
        batch_size=batch_size,
        device=device,
        layout=layout,
        value_range=value_range,
        progress=None,
        model_info=model_info,
    )
    if output or figures:
        _write_outputs(result, output, figures, figure_kind)
    click.echo(result.to_json(per_path=False) if as_json else result.table())


def _write_outputs(result, output, figures, figure_kind) -> None:  # type: ignore[no-untyped-def]
    """The JSON record and every figure, all or none: each is drawn into a temporary file first."""
    from ..atomic import atomic_paths
    from ..figures import figure_kind_for, write_figure

    targets = ([output] if output else []) + list(figures)
    with atomic_paths(targets) as tmps:
        if output:
            tmps[0].write_text(result.to_json() + "\n", encoding="utf-8")
        for figure, tmp in zip(figures, tmps[1 if output else 0 :]):
            # The kind comes from the name the user gave, not from the temporary file's name.
            write_figure(result, tmp, figure_kind_for(figure, figure_kind))

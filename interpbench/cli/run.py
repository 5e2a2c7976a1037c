"""``interpbench run``: score a model on the line benchmark, or compare several under one protocol."""

from __future__ import annotations

import re
from pathlib import Path

import click

from ..adapters import LAYOUTS
from ..limits import MAX_BATCH_SIZE, MAX_SEED, MAX_STEPS
from ..paths import PATH_KINDS
from ..spec import DEFAULT_PAIRS, DEFAULT_STEPS, TEST_SET_SIZE
from .options import (VALUE_RANGE_CHOICES, SeedList, check_outputs, device_option, echo_warnings, json_option, model_options,
                      output_option, resolve_models, suite_option, threads_option)

DEFAULT_MODEL = "acai"  # what a bare `interpbench run` scores: the paper's best model, bundled


@click.command()
@model_options("With no --adapter or --model: the bundled ACAI.")
@click.option("--seed", "seed_list", type=click.IntRange(0, MAX_SEED), multiple=True, help="Protocol seed; repeat for several.")
@click.option("--seeds", "seed_range", type=SeedList(), help="Several protocol seeds: '0,1,2' or '0-4'.")
@click.option("--pairs", type=click.IntRange(1, TEST_SET_SIZE // 2), default=DEFAULT_PAIRS, show_default=True)
@click.option("--steps", type=click.IntRange(2, MAX_STEPS), default=DEFAULT_STEPS, show_default=True)
@click.option("--path", "path_kind", type=click.Choice(sorted(PATH_KINDS)), default="lerp", show_default=True)
@click.option("--batch-size", type=click.IntRange(1, MAX_BATCH_SIZE), help="Items per encode/decode call [default: adapter's own, else 256].")
@device_option
@click.option("--layout", type=click.Choice(sorted(LAYOUTS)), help="Input layout the adapter expects [default: adapter's own, else NCHW].")
@click.option("--value-range", type=click.Choice(VALUE_RANGE_CHOICES), help="Pixel range the adapter uses; auto: inferred from the decoded endpoints [default: adapter's own, else -1,1].")
@output_option("Write the full result record (JSON) here, decoded images beside it (.images.<digest>.npz; --no-images: none). With several models: one file per model, OUTPUT's name plus the model's.")
@click.option("--images/--no-images", "save_images", default=True, show_default=True, help="Write the decoded images beside each --output record (about 2.6 MB per protocol seed; `plot` draws from them).")
@json_option()
@click.option("--figure", "figures", multiple=True, type=click.Path(dir_okay=False), help="Write a PNG figure (of the first seed) here; repeatable. Kind from --figure-kind, else from the name: *traj* = angle trajectories, *scatter* = scatter, anything else = interpolation grid. With several models: one scatter of them beside the paper's Table 1.")
@click.option("--figure-kind", type=click.Choice(["grid", "trajectory", "scatter"]), help="Kind of every --figure: grid (rows = interpolations, under each the nearest true lines), trajectory (decoded angle per step vs the ideal path) or scatter (Mean Distance vs Smoothness beside the paper's Table 1).")
@click.option("--name", "names", multiple=True, help="Display name of the model in tables, figures and its leaderboard id; with several models, once per model (adapters first, then --model, in order).")
@click.option("--strict", is_flag=True, help="Fail, instead of warning, when the decoded endpoints fall outside the declared value range or reconstruct worse than the mean image.")
@threads_option()
@suite_option("Benchmark suite (`interpbench suites` lists them) [default: the suite a reference checkpoint was trained on, else lines].")
def run(adapter_spec, model_name, checkpoint, overrides, seed_list, seed_range, pairs, steps, path_kind, batch_size, device, layout, value_range, output, save_images, as_json, figures, figure_kind, names, strict, threads, suite):  # type: ignore[no-untyped-def]
    """Score an encode/decode pair on a benchmark suite (default: the paper's lines): Mean Distance,
    Smoothness, geodesic error.

    With no --adapter or --model it scores the bundled ACAI checkpoint. Several --adapter and
    --model options (--model all: the seven reference models) are scored under the same
    protocol and compared in one table.
    """
    from ..protocol import score

    if seed_list and seed_range:
        raise click.UsageError("give --seed or --seeds, not both")
    models = resolve_models(adapter_spec, model_name, checkpoint, device, overrides=overrides, names=names, default_model=DEFAULT_MODEL)
    seeds = list(seed_list) or seed_range or [0]
    suite = suite or _trained_suite(models)
    targets = _output_paths(output, [info.get("name") or label or str(target) for target, info, label in models]) if output else []
    # Every output path is checked before the (possibly long) scoring run, not after it.
    check_outputs([("--output", t) for t in targets], [("--figure", f) for f in figures])
    results = []
    with echo_warnings():
        for target, model_info, label in models:
            results.append(score(
                target, seeds=seeds, pairs=pairs, steps=steps, path=path_kind, batch_size=batch_size, device=device,
                layout=layout, value_range=value_range, name=label, progress=None, model_info=model_info,
                strict=strict, threads=threads, suite=suite, keep_images=bool((targets and save_images) or figures),  # only for files that need them
            ))
    if targets or figures:
        _write_outputs(results, targets, figures, figure_kind, save_images)
    if as_json:
        records = [r.to_json(per_path=False) for r in results]
        click.echo(records[0] if len(records) == 1 else "[\n" + ",\n".join(records) + "\n]")
    elif len(results) == 1:
        click.echo(results[0].table())
    else:
        from ..compare import comparison_table

        click.echo(comparison_table(results))
    if len(targets) > 1:
        click.echo("wrote " + ", ".join(targets), err=True)


def _trained_suite(models) -> str | None:  # type: ignore[no-untyped-def]
    """Without --suite, a checkpoint trained on another suite than lines is scored on its own suite
    (its trail was). --checkpoint belongs to one model, so there is at most one such suite."""
    # Only trained checkpoints have a suite of their own; an analytic adapter scores on any.
    suites = {(info.get("trained_suite") or {}).get("name", "lines") for _, info, _ in models
              if isinstance(info, dict) and info.get("checkpoint_sha256")}
    return suites.pop() if len(suites) == 1 else None


def _slug(name: str) -> str:
    return re.sub(r"[^A-Za-z0-9_.-]+", "-", name).strip("-.") or "model"


def _output_paths(output: str, names: list[str]) -> list[str]:
    """One result file per model: OUTPUT itself for one; OUTPUT's stem plus the model's name for several."""
    if len(names) == 1:
        return [output]
    path = Path(output)
    stem = path.name[: -len(".json")] if path.name.endswith(".json") else path.name
    out = [str(path.with_name(f"{stem}.{_slug(n)}.json")) for n in names]
    if len(set(out)) != len(out):
        raise click.UsageError("two compared models have the same name; tell them apart with --name (once per model)")
    return out


def _write_outputs(results, targets, figures, figure_kind, save_images: bool = True) -> None:  # type: ignore[no-untyped-def]
    """Every result record (with its images file) and every figure, all or none (see interpbench.result.save_results)."""
    from ..figures import comparison_figure, figure_kind_for, save_figure, write_figure
    from ..result import save_results

    def draw(tmps: list[Path]) -> None:
        for figure, tmp in zip(figures, tmps):
            # The kind comes from the name the user gave, not from the temporary file's name.
            kind = figure_kind_for(figure, figure_kind)
            if len(results) > 1 or kind == "scatter":
                save_figure(comparison_figure(results), tmp)
            else:
                write_figure(results[0], tmp, kind)

    save_results(list(zip(results, targets)), others=list(figures), write_others=draw, images=save_images)

"""``interpbench train``: train a reference model on the line stream, with checkpoints and an evaluation trail."""

from __future__ import annotations

import shlex
import sys

import click

from .options import parse_overrides

# What a shell reports for a process ended by Ctrl-C (128 + SIGINT).
EXIT_INTERRUPTED = 130


@click.command()
@click.argument("model")
@click.option("--preset", help="Budget and evaluation cadence: quick, cpu or paper [default: quick; a resumed run keeps its own].")
@click.option("--kimg", type=click.FloatRange(min=0, min_open=True), help="Training budget in kimg (1 kimg = 1,024 images, as in the paper's code) [default: the preset's].")
@click.option("--seed", type=click.IntRange(min=0), default=0, show_default=True, help="Training seed (weights, data stream, noise).")
@click.option("--out", "out_dir", type=click.Path(file_okay=False), help="Run directory [default: runs/MODEL-PRESET-sSEED].")
@click.option("--device", help="Torch device [default: cuda if available, else cpu].")
@click.option("--resume", is_flag=True, help="Continue from OUT/checkpoint.pt if it exists, with the run's own preset, config and evaluation settings.")
@click.option("--eval-every", "eval_every", type=click.FloatRange(min=0, min_open=True), help="kimg between trail evaluations [default: the preset's].")
@click.option("--eval-pairs", type=click.IntRange(1, 2500), help="Interpolations per trail evaluation [default: the preset's].")
@click.option("--bf16", is_flag=True, help="Train under bf16 autocast (~1.5-1.8x faster on AVX512-BF16 CPUs; changes numerics).")
@click.option("--channels-last/--no-channels-last", default=None, help="NHWC activations (fp32 as before; ~1.15-1.35x faster on CPU) [default: on; a resumed run keeps its own].")
@click.option("--set", "overrides", multiple=True, metavar="KEY=VALUE", help="Override a config field (see `interpbench models`); repeatable.")
def train(model, preset, kimg, seed, out_dir, device, resume, eval_every, eval_pairs, bf16, channels_last, overrides):  # type: ignore[no-untyped-def]
    """Train reference MODEL (see `interpbench models`) and print its final benchmark score."""
    from reference_models import canonical_name, train as run_training
    from reference_models.training.interrupt import TrainingInterrupted
    from reference_models.training.presets import get_preset

    key = canonical_name(model)
    if preset is not None:
        get_preset(preset)
    out_dir = out_dir or f"runs/{key}-{preset or 'quick'}-s{seed}"
    try:
        run = run_training(key, out_dir, preset=preset, kimg=kimg, seed=seed, device=device, resume=resume,
                           eval_every_kimg=eval_every, eval_pairs=eval_pairs, config=parse_overrides(overrides) or None,
                           progress=None, bf16=bf16, channels_last=channels_last)
    except TrainingInterrupted as stopped:
        click.echo(str(stopped), err=True)
        click.echo(f"continue it with: {resume_command(key, out_dir, seed, device, bf16)}", err=True)
        sys.exit(EXIT_INTERRUPTED)
    final, median = run.final, run.paper_figure
    click.echo(f"{key}: {run.kimg:g} kimg (preset {run.preset}, seed {seed}), {run.samples_per_second:.0f} img/s, "
               f"{run.wall_seconds:.0f} s")
    if final:
        smooth = "undefined" if final["smoothness"] is None else f"{final['smoothness']:.4f}"
        click.echo(f"final evaluation ({final['pairs']} pairs): Mean Distance {final['mean_distance'] * 1e3:.3f}e-3, "
                   f"Smoothness {smooth}, {final['n_undefined']} undefined")
    if median["mean_distance"] is not None:
        smooth = "undefined" if median["smoothness"] is None else f"{median['smoothness']:.4f}"
        note = "" if median["complete"] else f" (only {median['evaluations']} evaluations; the paper used 20)"
        click.echo(f"median of last {median['evaluations']}: Mean Distance {median['mean_distance'] * 1e3:.3f}e-3, "
                   f"Smoothness {smooth}{note}")
    if not run.is_paper_budget:
        click.echo(f"note: preset {run.preset!r} is a reduced budget; these numbers are not a paper reproduction.")
    click.echo(f"checkpoint: {run.checkpoint}")
    click.echo(f"score it:   interpbench run --model {key} --checkpoint {run.checkpoint}")


def resume_command(model: str, out_dir: str, seed: int, device: str | None, bf16: bool) -> str:
    """The command that continues an interrupted run. Preset, config, budget and evaluation
    settings come from its checkpoint, so only what the checkpoint cannot say is repeated."""
    parts = ["interpbench", "train", model, "--out", str(out_dir), "--seed", str(seed), "--resume"]
    if device:
        parts += ["--device", device]
    if bf16:
        parts.append("--bf16")
    return shlex.join(parts)

"""``interpbench train``: train a reference model on a suite's stream (default: lines) or a data set, with checkpoints and an evaluation trail."""

from __future__ import annotations

import json
import shlex
import sys

import click

from ..jsonfile import strict_json
from ..limits import MAX_KIMG, MAX_SEED

from .options import FiniteFloat, SeedList, json_option, output_option, parse_overrides, preset_option, suite_option, threads_option

# What a shell reports for a process ended by Ctrl-C (128 + SIGINT).
EXIT_INTERRUPTED = 130


@click.command()
@click.argument("model")
@preset_option("Budget and evaluation cadence (`interpbench models` describes each) [default: quick; a resumed run keeps its own].")
@click.option("--kimg", type=FiniteFloat(0, MAX_KIMG, min_open=True), help="Training budget in kimg (1 kimg = 1,024 images, as in the paper's code) [default: the preset's].")
@click.option("--seed", type=click.IntRange(0, MAX_SEED), default=0, show_default=True, help="Training seed (weights, data stream, noise).")
@click.option("--seeds", type=SeedList(), help="Train several seeds together, batched, e.g. 0-2 (each into OUT/seed-N).")
@output_option("Run directory [default: runs/MODEL-PRESET-sSEED, with --seeds runs/MODEL-PRESET].", dest="out_dir", folder=True)
@click.option("--device", help="Torch device [default: cuda if available, else cpu].")
@click.option("--resume", is_flag=True, help="Continue from OUT/checkpoint.pt if it exists, with the run's own preset, config and evaluation settings.")
@click.option("--eval-every", "eval_every", type=FiniteFloat(0, MAX_KIMG, min_open=True), help="kimg between trail evaluations [default: the preset's].")
@click.option("--eval-pairs", type=click.IntRange(1, 2500), help="Interpolations per trail evaluation [default: the preset's].")
@click.option("--bf16", is_flag=True, help="Train under bf16 autocast (~1.5-1.8x faster on AVX512-BF16 CPUs; changes numerics).")
@click.option("--channels-last/--no-channels-last", default=None, help="NHWC activations (fp32 as before; ~1.15-1.35x faster on CPU) [default: on; a resumed run keeps its own].")
@click.option("--cuda-graph/--no-cuda-graph", default=None, help="Capture the whole step as one CUDA graph [default: on for CUDA].")
@click.option("--tf32/--no-tf32", default=None, help="Let CUDA convolutions and matrix products use TF32 (recorded; no effect on a CPU) [default: off, the paper's fp32; a resumed run keeps its own].")
@click.option("--set", "overrides", multiple=True, metavar="KEY=VALUE", help="Override a config field (see `interpbench models`); repeatable.")
@click.option("--dataset", help="Train on a labelled data set's training part: digits, mnist, svhn or cifar10 [default: the line stream; a resumed run keeps its own].")
@click.option("--data-dir", type=click.Path(file_okay=False), help="Directory holding the mnist/svhn/cifar10 files.")
@click.option("--download", is_flag=True, help="Fetch the official mnist/svhn/cifar10 files into --data-dir and verify their checksums.")
@suite_option("Train on this benchmark suite's images and score the trail on it (`interpbench suites` lists them) [default: lines; a resumed run keeps its own].")
@threads_option("Cap torch's and BLAS/OpenMP CPU threads while training [default: library default].")
@json_option("Print each run's summary (summary.json) as JSON instead of the text report.")
def train(model, preset, kimg, seed, seeds, out_dir, device, resume, eval_every, eval_pairs, bf16, channels_last, cuda_graph, tf32, overrides, dataset, data_dir, download, suite, threads, as_json):  # type: ignore[no-untyped-def]
    """Train reference MODEL (see `interpbench models`) and print its final benchmark score.

    With --seeds, the runs of those seeds train together as one batched computation, each in
    OUT/seed-N (its own checkpoint, trail and summary; each can be resumed on its own).
    With --dataset, the model trains on that data set's training part (colour ones in colour) and
    its trail records reconstruction error and probe accuracies instead of line metrics.
    With --suite, the model trains on that suite's images (e.g. clock) and its trail is scored there.
    """
    from reference_models import canonical_name, train as run_training
    from reference_models.training.interrupt import TrainingInterrupted
    from reference_models.training.presets import get_preset

    key = canonical_name(model)
    if preset is not None:
        get_preset(preset)
    if seeds and seed:
        raise click.UsageError("give --seed or --seeds, not both")
    if download and not data_dir:
        raise click.UsageError("--download needs --data-dir to say where to put the files")
    # The default folder names what the run trained on, so runs on two suites never share one.
    where = f"{dataset.partition(':')[0]}-" if dataset else f"{suite}-" if suite and suite != "lines" else ""
    default_out = f"runs/{where}{key}-{preset or 'quick'}-s{seed}" if not seeds else f"runs/{where}{key}-{preset or 'quick'}"
    out_dir = out_dir or default_out
    from ..threads import limit_threads

    try:
        with limit_threads(threads):
            result = run_training(key, out_dir, preset=preset, kimg=kimg, seed=seed, seeds=seeds or None,
                                  device=device, resume=resume, eval_every_kimg=eval_every, eval_pairs=eval_pairs,
                                  config=parse_overrides(overrides) or None, progress=None, bf16=bf16,
                                  channels_last=channels_last, cuda_graph=cuda_graph, tf32=tf32, dataset=dataset, data_dir=data_dir,
                                  download=download, suite=suite)
    except TrainingInterrupted as stopped:
        click.echo(str(stopped), err=True)
        click.echo(f"continue it with: {resume_command(key, out_dir, seeds or [seed], device, bf16, batched=bool(seeds))}", err=True)
        sys.exit(EXIT_INTERRUPTED)
    runs = result if isinstance(result, list) else [result]
    if as_json:
        records = [run.to_dict() for run in runs]
        click.echo(json.dumps(strict_json(records[0] if len(records) == 1 else records), indent=1, allow_nan=False))
        return
    for run in runs:
        report_run(run)


def resume_command(model: str, out_dir: str, seeds: list[int], device: str | None, bf16: bool, batched: bool = False) -> str:
    """The command that continues an interrupted run. Preset, config, budget and evaluation
    settings come from its checkpoint, so only what the checkpoint cannot say is repeated."""
    parts = ["interpbench", "train", model, "--out", str(out_dir)]
    parts += ["--seeds", ",".join(map(str, seeds))] if batched else ["--seed", str(seeds[0])]
    parts.append("--resume")
    if device:
        parts += ["--device", device]
    if bf16:
        parts.append("--bf16")
    return shlex.join(parts)


def report_run(run) -> None:  # type: ignore[no-untyped-def]
    """Print a finished (or stopped) training run: budget, speed, final and paper-style scores, collapse."""
    key = run.model
    batched = f", trained with {run.batched_seeds} seeds batched" if run.batched_seeds > 1 else ""
    click.echo(f"{key}: {run.kimg:g} kimg (preset {run.preset}, seed {run.seed}{batched}), {run.samples_per_second:.0f} img/s, "
               f"{run.wall_seconds:.0f} s")
    if run.dataset.get("name", "lines") != "lines":
        report_dataset_run(run)
        return
    final, median = run.final, run.paper_figure
    if final:
        smooth = "undefined" if final["smoothness"] is None else f"{final['smoothness']:.4f}"
        on = run.suite.get("name", "lines")
        where = "" if on == "lines" else f", {on} suite"
        click.echo(f"final evaluation ({final['pairs']} pairs{where}): Mean Distance {final['mean_distance'] * 1e3:.3f}e-3, "
                   f"Smoothness {smooth}, {final['n_undefined']} undefined")
    if median["mean_distance"] is not None:
        smooth = "undefined" if median["smoothness"] is None else f"{median['smoothness']:.4f}"
        note = "" if median["complete"] else f" (only {median['evaluations']} evaluations; the paper used 20)"
        click.echo(f"median of last {median['evaluations']}: Mean Distance {median['mean_distance'] * 1e3:.3f}e-3, "
                   f"Smoothness {smooth}{note}")
    collapse = run.collapse
    if collapse["collapsed"]:
        click.echo(f"collapsed: at the final evaluation the decoded images are all one image (output spread "
                   f"{collapse['final_output_spread']:.3f} of the data's); {collapse['collapsed_evaluations']} of "
                   f"{collapse['evaluations']} evaluations were collapsed.")
    if not run.finished:
        click.echo(f"stopped at {run.steps} steps, before the budget; continue with --resume.")
    if not run.is_paper_budget:
        click.echo(f"note: preset {run.preset!r} is a reduced budget; these numbers are not a paper reproduction.")
    click.echo(f"checkpoint: {run.checkpoint}")
    on = run.suite.get("name", "lines")
    click.echo(f"score it:   interpbench run --model {key} --checkpoint {run.checkpoint}" + (f" --suite {on}" if on != "lines" else ""))


def report_dataset_run(run) -> None:  # type: ignore[no-untyped-def]
    """The end of a run on a labelled data set: its last evaluation and where to probe it."""
    from reference_models.training.data_trail import dataset_evaluation_line

    key, data = run.model, run.dataset
    if run.final:
        click.echo(f"final evaluation on {data['name']}: {dataset_evaluation_line(run.final)}")
    if not run.finished:
        click.echo(f"stopped at {run.steps} steps, before the budget; continue with --resume.")
    if not run.is_paper_budget:
        click.echo(f"note: preset {run.preset!r} is a reduced budget; these numbers are not a paper reproduction.")
    click.echo(f"checkpoint: {run.checkpoint}")
    more = f" --data-dir {shlex.quote(data['data_dir'])}" if data.get("data_dir") else ""
    click.echo(f"probe it:   interpbench probe --model {key} --checkpoint {run.checkpoint} --dataset {data['name']}{more}")

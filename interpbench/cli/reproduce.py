"""``interpbench reproduce``: train, score and file the paper's Table 1 set, resumable under a time limit."""

from __future__ import annotations

import dataclasses
import functools
import json
from typing import Any

import click

from ..limits import MAX_KIMG, MAX_SECONDS

from ..jsonfile import strict_json
from .options import FiniteFloat, SeedList, json_option, output_option, parse_overrides, preset_option, suite_option, thread_limited


def _model_list(value: str) -> list[str]:
    from reference_models import canonical_name

    names = [part.strip() for part in value.split(",") if part.strip()]
    if not names:
        raise click.BadParameter("name at least one model, e.g. acai,baseline", param_hint="--models")
    return [canonical_name(n) for n in names]


@click.command()
@output_option("Run directory: OUT/<model>/seed-N per run (required unless --unpack).", dest="out_dir", folder=True)
@click.option("--models", "models", default=None, help="Comma-separated models [default: all seven, ACAI and Baseline first].")
@click.option("--seeds", type=SeedList(), default=None, help="Training seeds, trained one after another per model [default: 0-2; downstream: 0].")
@preset_option("Budget and evaluation cadence [default: paper; downstream: paper-DATASET, or downstream-cpu for digits].")
@click.option("--kimg", type=FiniteFloat(0, MAX_KIMG, min_open=True), help="Override the preset's budget (kimg of 1,024 images).")
@click.option("--eval-every", "eval_every", type=FiniteFloat(0, MAX_KIMG, min_open=True), help="kimg between trail evaluations [default: the preset's].")
@click.option("--eval-pairs", type=click.IntRange(1, 2500), help="Interpolations per trail evaluation [default: the preset's].")
@click.option("--minutes", type=FiniteFloat(0, MAX_SECONDS / 60, min_open=True), help="Stop cleanly after this many minutes; run again to continue.")
@click.option("--leaderboard", "leaderboard_dir", type=click.Path(file_okay=False), help="Where to file the entries [default: OUT/leaderboard].")
@click.option("--score-seeds", type=SeedList(), default="0-4", show_default=True, help="Protocol seeds each finished run is scored on.")
@click.option("--restarts", type=click.IntRange(min=1), default=10, show_default=True, help="k-means restarts of the lines probe.")
@click.option("--device", help="Torch device [default: cuda if available, else cpu].")
@click.option("--batched/--sequential", default=False, help="Train a model's seeds as one batched computation [default: one after another, which measured faster on a 2-core CPU and on an H200].")
@click.option("--set", "overrides", multiple=True, metavar="KEY=VALUE", help="Override a config field of every model; repeatable.")
@click.option("--tf32/--no-tf32", default=None, help="Let CUDA convolutions and matrix products use TF32 (recorded) [default: off, the paper's fp32].")
@click.option("--pack", "pack_dir", type=click.Path(file_okay=False), help="Score every run trained here (stopping early enough before --minutes) and pack runs, scores, probes and provenance into this new folder (at most 8 files of at most 16 MiB) instead of filing them.")
@click.option("--unpack", "unpack_dir", type=click.Path(file_okay=False, exists=True), help="Check a --pack folder and file its runs in --leaderboard [default: UNPACK/leaderboard]; trains nothing.")
@click.option("--runs-out", type=click.Path(file_okay=False), help="With --unpack: where the runs' slim checkpoints go [default: UNPACK/runs].")
@click.option("--study", type=click.Choice(["table1", "downstream"]), default="table1", show_default=True, help="The lines benchmark (Table 1) or the downstream probes (Tables 2-3).")
@click.option("--dataset", help="Downstream study: the labelled data set (digits, mnist, svhn, cifar10).")
@click.option("--latent", "latents", default="256", show_default=True, help="Downstream study: code sizes d_z, comma-separated (the paper: 32, 256, 1024).")
@click.option("--data-dir", type=click.Path(file_okay=False), help="Downstream study: directory holding the mnist/svhn/cifar10 files.")
@click.option("--download", is_flag=True, help="Downstream study: fetch the official files into --data-dir first.")
@suite_option("Table 1 study: the benchmark suite to train, score, probe and file on [default: lines, the paper's; only lines has paper numbers to compare with].")
@json_option("Print what happened to each model (status, runs with their summaries, entry filed) as JSON; progress goes to stderr.")
@thread_limited()
def reproduce(out_dir, models, seeds, preset, kimg, eval_every, eval_pairs, minutes, leaderboard_dir, score_seeds, restarts, device, batched, overrides, tf32, pack_dir, unpack_dir, runs_out, study, dataset, latents, data_dir, download, suite, as_json):  # type: ignore[no-untyped-def]
    """Train the paper's Table 1 set (≥ 3 seeds per model), score, probe and file each model, and compare with the paper.

    Each model's seeds train one after another (--batched: as one batched computation). With --minutes the training
    stops cleanly when the time is spent, everything checkpointed; the same command continues.
    """
    from reference_models.reproduce import PAPER_ORDER, reproduce as run_reproduce

    # With --json, stdout holds only the JSON record; what reproduce says as it goes is on stderr.
    echo = functools.partial(click.echo, err=as_json)
    if unpack_dir is not None:
        if as_json:
            raise click.UsageError("--json reports the runs reproduce trains; --unpack files a pack and trains nothing")
        if suite is not None:
            raise click.UsageError("--unpack files the pack's runs on the suite they were scored on; leave --suite out")
        if out_dir or pack_dir:
            raise click.UsageError("--unpack files a pack: give it without --out and --pack")
        from reference_models.pack import unpack

        unpack(unpack_dir, leaderboard=leaderboard_dir, runs_out=runs_out, echo=click.echo)
        return
    if not out_dir:
        raise click.UsageError("give --out (or --unpack DIR to file a pack)")
    if study == "downstream":
        if suite is not None:
            raise click.UsageError("--suite belongs to the Table 1 study; the downstream study probes --dataset")
        if pack_dir:
            raise click.UsageError("--pack packs the Table 1 study; give --study downstream without it")
        runs = _downstream(out_dir, models, seeds, preset, kimg, eval_every, minutes, leaderboard_dir, restarts, device, overrides,
                           dataset, latents, data_dir, download, echo)
        if as_json:
            _print_json(runs)
        return
    if dataset or data_dir or download:
        raise click.UsageError("--dataset, --data-dir and --download belong to --study downstream")
    if pack_dir and leaderboard_dir:
        raise click.UsageError("--pack files nothing here; give --leaderboard to --unpack later")
    outcomes = run_reproduce(
        out_dir, models=_model_list(models) if models else PAPER_ORDER, seeds=seeds or [0, 1, 2], preset=preset or "paper", kimg=kimg,
        minutes=minutes, leaderboard=leaderboard_dir, device=device, eval_every_kimg=eval_every, eval_pairs=eval_pairs,
        score_seeds=score_seeds, probe_restarts=restarts, config=parse_overrides(overrides) or None, progress=None,
        batched=batched, echo=echo, pack=pack_dir, tf32=tf32, suite=suite,
    )
    pending = [o.model for o in outcomes if o.status in ("stopped", "not started")]
    if pending:
        echo(f"not finished: {', '.join(pending)}; continue with the same command")
    if as_json:
        _print_json(outcomes)


def _print_json(items: list[Any]) -> None:
    """Dataclass records (each model's outcome, or each downstream run) as strict JSON on stdout."""
    records = [item.to_dict() if hasattr(item, "to_dict") else dataclasses.asdict(item) for item in items]
    click.echo(json.dumps(strict_json(records), indent=1, allow_nan=False, default=str))


def _d_z_list(text: str) -> list[int]:
    try:
        values = [int(part) for part in text.split(",") if part.strip()]
    except ValueError:
        raise click.BadParameter(f"code sizes are integers, e.g. 32,256; got {text!r}", param_hint="--latent") from None
    if not values:
        raise click.BadParameter("name at least one code size, e.g. 256", param_hint="--latent")
    return values


def _downstream(out_dir, models, seeds, preset, kimg, eval_every, minutes, leaderboard_dir, restarts, device, overrides,  # type: ignore[no-untyped-def]
                dataset, latents, data_dir, download, echo) -> list[Any]:
    from reference_models.downstream import DOWNSTREAM_ORDER, downstream

    if not dataset:
        raise click.UsageError("--study downstream needs --dataset (digits, mnist, svhn or cifar10)")
    if download and not data_dir:
        raise click.UsageError("--download needs --data-dir to say where to put the files")
    runs = downstream(
        out_dir, dataset=dataset, d_zs=_d_z_list(latents), models=_model_list(models) if models else DOWNSTREAM_ORDER,
        seeds=seeds or [0], preset=preset, kimg=kimg, data_dir=data_dir, download=download, minutes=minutes,
        leaderboard=leaderboard_dir, restarts=restarts, device=device, eval_every_kimg=eval_every,
        config=parse_overrides(overrides) or None, progress=None, echo=echo,
    )
    pending = [f"{r.model} d_z={r.d_z}" for r in runs if r.status in ("stopped", "not started")]
    if pending:
        echo(f"not finished: {', '.join(pending)}; continue with the same command")
    return runs

"""``interpbench reproduce``: train, score and file the paper's Table 1 set, resumable under a time limit."""

from __future__ import annotations

import click

from ..limits import MAX_KIMG, MAX_SECONDS

from .options import FiniteFloat, SeedList, parse_overrides


def _model_list(value: str) -> list[str]:
    from reference_models import canonical_name

    names = [part.strip() for part in value.split(",") if part.strip()]
    if not names:
        raise click.BadParameter("name at least one model, e.g. acai,baseline", param_hint="--models")
    return [canonical_name(n) for n in names]


@click.command()
@click.option("--out", "out_dir", required=True, type=click.Path(file_okay=False), help="Run directory: OUT/<model>/seed-N per run.")
@click.option("--models", "models", default=None, help="Comma-separated models [default: all seven, ACAI and Baseline first].")
@click.option("--seeds", type=SeedList(), default="0-2", show_default=True, help="Training seeds, trained batched per model.")
@click.option("--preset", default="paper", show_default=True, help="Budget and evaluation cadence: paper, cpu or quick.")
@click.option("--kimg", type=FiniteFloat(0, MAX_KIMG, min_open=True), help="Override the preset's budget (kimg of 1,024 images).")
@click.option("--eval-every", "eval_every", type=FiniteFloat(0, MAX_KIMG, min_open=True), help="kimg between trail evaluations [default: the preset's].")
@click.option("--eval-pairs", type=click.IntRange(1, 2500), help="Interpolations per trail evaluation [default: the preset's].")
@click.option("--minutes", type=FiniteFloat(0, MAX_SECONDS / 60, min_open=True), help="Stop cleanly after this many minutes; run again to continue.")
@click.option("--leaderboard", "leaderboard_dir", type=click.Path(file_okay=False), help="Where to file the entries [default: OUT/leaderboard].")
@click.option("--score-seeds", type=SeedList(), default="0-4", show_default=True, help="Protocol seeds each finished run is scored on.")
@click.option("--restarts", type=click.IntRange(min=1), default=10, show_default=True, help="k-means restarts of the lines probe.")
@click.option("--device", help="Torch device [default: cuda if available, else cpu].")
@click.option("--batched/--sequential", default=None, help="Train a model's seeds as one batched computation [default: on accelerators; on a CPU one after another, which measured faster].")
@click.option("--set", "overrides", multiple=True, metavar="KEY=VALUE", help="Override a config field of every model; repeatable.")
def reproduce(out_dir, models, seeds, preset, kimg, eval_every, eval_pairs, minutes, leaderboard_dir, score_seeds, restarts, device, batched, overrides):  # type: ignore[no-untyped-def]
    """Train the paper's Table 1 set (≥ 3 seeds per model), score, probe and file each model, and compare with the paper.

    On an accelerator each model's seeds train together in one batched computation. With --minutes the training
    stops cleanly when the time is spent, everything checkpointed; the same command continues.
    """
    from reference_models.reproduce import PAPER_ORDER, reproduce as run_reproduce

    outcomes = run_reproduce(
        out_dir, models=_model_list(models) if models else PAPER_ORDER, seeds=seeds, preset=preset, kimg=kimg,
        minutes=minutes, leaderboard=leaderboard_dir, device=device, eval_every_kimg=eval_every, eval_pairs=eval_pairs,
        score_seeds=score_seeds, probe_restarts=restarts, config=parse_overrides(overrides) or None, progress=None,
        batched=batched, echo=click.echo,
    )
    pending = [o.model for o in outcomes if o.status in ("stopped", "not started")]
    if pending:
        click.echo(f"not finished: {', '.join(pending)}; continue with the same command")

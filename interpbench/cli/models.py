"""``interpbench models``: the reference models, their configs (the paper's defaults) and the presets."""

from __future__ import annotations

import dataclasses
import json

import click


@click.command()
@click.option("--json", "as_json", is_flag=True, help="Print JSON instead of a table.")
def models(as_json):  # type: ignore[no-untyped-def]
    """List the reference models with their default configs and bundled checkpoints, and the training presets."""
    from reference_models import MODELS, PRESETS, build

    rows = []
    for name, entry in MODELS.items():
        model = build(name)
        rows.append({
            "name": name,
            "summary": entry.summary,
            "parameters": {"encoder": _count(model.encoder), "decoder": _count(model.decoder), "total": _count(model)},
            "config": dataclasses.asdict(entry.config()),
            "bundled": entry.bundled._asdict() if entry.bundled else None,
        })
    if as_json:
        click.echo(json.dumps({"models": rows, "presets": {k: p.to_dict() for k, p in PRESETS.items()}}, indent=1))
        return
    for row in rows:
        p = row["parameters"]
        click.echo(f"{row['name']:<10} {row['summary']}")
        click.echo(f"{'':<10} params: encoder {p['encoder']:,}, decoder {p['decoder']:,}, total {p['total']:,}")
        click.echo(f"{'':<10} config: " + ", ".join(f"{k}={v}" for k, v in row["config"].items()))
        b = row["bundled"]
        click.echo(f"{'':<10} bundled: " + (f"{b['file']} ({b['preset']} preset, {b['kimg']:g} kimg, sha256 {b['sha256'][:12]}…)" if b else "none"))
    click.echo("\npresets:")
    for name, preset in PRESETS.items():
        on = f", data set {preset.dataset}" if preset.dataset else ""
        click.echo(f"  {name:<6} {preset.kimg:g} kimg, eval every {preset.eval_every_kimg:g} kimg "
                   f"({preset.eval_pairs} pairs{on}): {preset.description}")


def _count(module) -> int:  # type: ignore[no-untyped-def]
    return sum(p.numel() for p in module.parameters())

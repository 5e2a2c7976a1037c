"""Option types shared by several subcommands."""

from __future__ import annotations

import json
from typing import Any

import click

__all__ = ["SeedList", "parse_seeds", "parse_overrides", "model_options", "resolve_model"]


def model_options(default_note: str) -> Any:
    """The --adapter / --model / --checkpoint options every scoring subcommand shares."""

    def decorate(command: Any) -> Any:
        for option in reversed((
            click.option("--adapter", "adapter_spec", metavar="SPEC", help="oracle, pixels, package.module:name or path/to/file.py:name."),
            click.option("--model", "model_name", metavar="NAME", help="A reference model (see `interpbench models`): its bundled checkpoint, or --checkpoint."),
            click.option("--checkpoint", type=click.Path(dir_okay=False), help=f"Trained weights of --model (written by `interpbench train`). {default_note}".rstrip()),
            click.option("--set", "overrides", multiple=True, metavar="KEY=VALUE",
                         help="Scoring-time config of --model, e.g. encode_sample=false (VAE: posterior mean); repeatable."),
        )):
            command = option(command)
        return command

    return decorate


def parse_overrides(items: tuple[str, ...]) -> dict[str, object]:
    """``--set key=value`` pairs; values are parsed as JSON when they can be (numbers, true/false)."""
    out: dict[str, object] = {}
    for item in items:
        key, eq, value = item.partition("=")
        if not eq or not key:
            raise click.BadParameter(f"{item!r} is not KEY=VALUE", param_hint="--set")
        try:
            out[key.strip()] = json.loads(value)
        except json.JSONDecodeError:
            out[key.strip()] = value
    return out


def resolve_model(adapter_spec: str | None, model_name: str | None, checkpoint: str | None, device: str | None,
                  *, overrides: tuple[str, ...] = (), default_model: str | None = None) -> tuple[Any, dict[str, Any]]:
    """What to score and its provenance record, from the shared options.

    ``--model NAME`` loads a reference model (its bundled checkpoint unless ``--checkpoint``),
    with ``--set`` config overrides applied; with neither option, ``default_model`` if given,
    else a usage error.
    """
    if adapter_spec and model_name:
        raise click.UsageError("give --adapter or --model, not both")
    if checkpoint and not model_name:
        raise click.UsageError("--checkpoint needs --model NAME")
    if overrides and adapter_spec:
        raise click.UsageError("--set configures a reference model (--model NAME), not an --adapter")
    if not adapter_spec and not model_name:
        if default_model is None:
            raise click.UsageError("name the model with --adapter SPEC or --model NAME [--checkpoint PATH]")
        model_name = default_model
    if adapter_spec:
        return adapter_spec, {"adapter": adapter_spec}
    from ..errors import AdapterError

    try:  # imported only on this path: scoring an adapter never needs torch model code
        from reference_models import load_trained
    except ImportError as exc:
        raise AdapterError(f"--model needs the reference_models package, which cannot be imported: {exc}") from None
    return load_trained(model_name, checkpoint, device=device, config=parse_overrides(overrides) or None)


def parse_seeds(text: str) -> list[int]:
    """'0,1,2' or '0-4' or '3' -> sorted distinct seeds."""
    seeds: list[int] = []
    for part in text.split(","):
        part = part.strip()
        lo, dash, hi = part.partition("-")
        if not part or not lo.isdigit() or (dash and not hi.isdigit()):
            raise ValueError(f"{text!r} is not a seed list like '0,1,2' or '0-4'")
        seeds.extend(range(int(lo), int(hi) + 1) if dash else [int(lo)])
    if len(set(seeds)) != len(seeds):
        raise ValueError(f"{text!r} names a seed twice")
    return seeds


class SeedList(click.ParamType):
    name = "SEEDS"

    def convert(self, value, param, ctx):  # type: ignore[no-untyped-def]
        if isinstance(value, list):
            return value
        try:
            return parse_seeds(str(value))
        except ValueError as exc:
            self.fail(str(exc), param, ctx)

"""Option types shared by several subcommands."""

from __future__ import annotations

from typing import Any

import click

__all__ = ["SeedList", "parse_seeds", "model_options", "resolve_model"]


def model_options(default_note: str) -> Any:
    """The --adapter / --model / --checkpoint options every scoring subcommand shares."""

    def decorate(command: Any) -> Any:
        for option in reversed((
            click.option("--adapter", "adapter_spec", metavar="SPEC", help="oracle, pixels, package.module:name or path/to/file.py:name."),
            click.option("--model", "model_name", metavar="NAME", help="A reference model (see `interpbench models`): its bundled checkpoint, or --checkpoint."),
            click.option("--checkpoint", type=click.Path(dir_okay=False), help=f"Trained weights of --model (written by `interpbench train`). {default_note}".rstrip()),
        )):
            command = option(command)
        return command

    return decorate


def resolve_model(adapter_spec: str | None, model_name: str | None, checkpoint: str | None, device: str | None,
                  *, default_model: str | None = None) -> tuple[Any, dict[str, Any]]:
    """What to score and its provenance record, from the shared options.

    ``--model NAME`` loads a reference model (its bundled checkpoint unless ``--checkpoint``);
    with neither option, ``default_model`` if given, else a usage error.
    """
    if adapter_spec and model_name:
        raise click.UsageError("give --adapter or --model, not both")
    if checkpoint and not model_name:
        raise click.UsageError("--checkpoint needs --model NAME")
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
    return load_trained(model_name, checkpoint, device=device)


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

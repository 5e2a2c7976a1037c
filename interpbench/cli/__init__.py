"""The ``interpbench`` command line. Subcommands live in their own modules and load lazily."""

from __future__ import annotations

import importlib
from typing import Any

import click

from .._version import __version__
from ..errors import InterpbenchError

__all__ = ["main"]

# name -> "module:attribute"; adding a subcommand touches only this table.
SUBCOMMANDS: dict[str, str] = {
    "run": "interpbench.cli.run:run",
    "train": "interpbench.cli.train:train",
    "models": "interpbench.cli.models:models",
    "probe": "interpbench.cli.probe:probe",
    "leaderboard": "interpbench.cli.leaderboard:leaderboard",
    "check": "interpbench.cli.check:check",
    "reproduce": "interpbench.cli.reproduce:reproduce",
    "plot": "interpbench.cli.plot:plot",
    "sweep": "interpbench.cli.sweep:sweep",
    "suites": "interpbench.cli.suites:suites",
}


class _Group(click.Group):
    """Loads subcommands on demand and turns interpbench errors into one line and exit code 1."""

    def list_commands(self, ctx: click.Context) -> list[str]:
        return sorted(SUBCOMMANDS)

    def get_command(self, ctx: click.Context, name: str) -> click.Command | None:
        target = SUBCOMMANDS.get(name)
        if target is None:
            return None
        module, _, attr = target.partition(":")
        return getattr(importlib.import_module(module), attr)

    def invoke(self, ctx: click.Context) -> Any:
        try:
            return super().invoke(ctx)
        except InterpbenchError as exc:
            raise click.ClickException(str(exc)) from None


@click.group(cls=_Group)
@click.version_option(__version__, prog_name="interpbench")
def main() -> None:
    """Measure how well an autoencoder interpolates (the ACAI line benchmark)."""

"""The ``interpbench`` command line. Subcommands live in their own modules and load lazily."""

from __future__ import annotations

import importlib
import signal
import threading
from typing import Any

import click

from .._version import __version__
from ..errors import InterpbenchError

__all__ = ["main", "EXIT_INTERRUPTED"]

EXIT_INTERRUPTED = 130

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
        _terminate_as_interrupt()
        try:
            return super().invoke(ctx)
        except InterpbenchError as exc:
            raise click.ClickException(str(exc)) from None
        except KeyboardInterrupt:
            # Ctrl-C (or SIGTERM, see below) while scoring: every output is written through a
            # temporary file renamed at the end, so nothing was written. 130 = 128 + SIGINT, as
            # shells and `interpbench train` report it.
            click.echo("Interrupted: nothing was written.", err=True)
            ctx.exit(EXIT_INTERRUPTED)


def _terminate_as_interrupt() -> None:
    """SIGTERM ends a command the way Ctrl-C does: temporary files removed, nothing half-written.

    Without this, ``kill`` ends the process at once and leaves the ``.*.tmp`` files of a write in
    progress behind. (Training replaces both handlers while it runs: it checkpoints, then stops.)
    """
    if threading.current_thread() is threading.main_thread() and signal.getsignal(signal.SIGTERM) is signal.SIG_DFL:
        signal.signal(signal.SIGTERM, _raise_interrupt)


def _raise_interrupt(signum: int, frame: Any) -> None:
    raise KeyboardInterrupt


@click.group(cls=_Group)
@click.version_option(__version__, prog_name="interpbench")
def main() -> None:
    """Measure how well an autoencoder interpolates (the ACAI line benchmark)."""

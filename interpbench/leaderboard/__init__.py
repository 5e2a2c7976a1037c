"""The leaderboard as data: validated JSON entries under ``leaderboard/results/``, rendered to tables.

Modules: :mod:`.schema` (JSON Schema validation with field paths), :mod:`.entries` (build,
load, add), :mod:`.stats` (bootstrap intervals), :mod:`.paper` (the paper's Table 1),
:mod:`.render` (Markdown and HTML), :mod:`.frame` (a pandas DataFrame).

The names below are loaded on first use, so ``interpbench.leaderboard.paper`` (plain data) can be
imported where jsonschema is not installed (a GPU image: training, scoring and packing run
there; validating and filing happen on a CPU).
"""

from __future__ import annotations

from importlib import import_module
from typing import Any

__all__ = ["Entry", "add_entry", "entry_from_results", "load_entries", "validate", "ENTRY_SCHEMA", "to_frame"]

_HOME = {"Entry": ".entries", "add_entry": ".entries", "entry_from_results": ".entries", "load_entries": ".entries",
         "validate": ".schema", "ENTRY_SCHEMA": ".schema", "to_frame": ".frame"}


def __getattr__(name: str) -> Any:
    if name in _HOME:
        return getattr(import_module(_HOME[name], __name__), name)
    raise AttributeError(f"module {__name__!r} has no attribute {name!r}")

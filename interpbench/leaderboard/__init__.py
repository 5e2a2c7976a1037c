"""The leaderboard as data: validated JSON entries under ``leaderboard/results/``, rendered to tables.

Modules: :mod:`.schema` (JSON Schema validation with field paths), :mod:`.entries` (build,
load, add), :mod:`.stats` (bootstrap intervals), :mod:`.paper` (the paper's Table 1),
:mod:`.render` (Markdown and HTML).
"""

from .entries import Entry, add_entry, entry_from_results, load_entries
from .schema import ENTRY_SCHEMA, validate

__all__ = ["Entry", "add_entry", "entry_from_results", "load_entries", "validate", "ENTRY_SCHEMA"]

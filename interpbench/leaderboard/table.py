"""The leaderboard's table as plain data, rendered to Markdown and HTML by :mod:`.render`."""

from __future__ import annotations

from dataclasses import dataclass, field

__all__ = ["Table"]


@dataclass
class Table:
    """A titled table: column headers, rows of cell strings, and notes printed under it."""

    key: str
    title: str
    columns: list[str]
    rows: list[list[str]]
    row_ids: list[str] = field(default_factory=list)
    notes: list[str] = field(default_factory=list)
    # Per row, (label, value) pairs shown when the row is opened (the headline tables' details).
    details: list[list[tuple[str, str]]] = field(default_factory=list)
    # The protocol and scoring hardware shared by every row, stated once above the table.
    preamble: list[str] = field(default_factory=list)

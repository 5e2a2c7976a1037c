"""A leaderboard holding entries whose text fields are hostile (HTML, Markdown, line breaks, links).

Shared by the escaping tests (text level) and the browser test (what Chromium makes of it)."""

from __future__ import annotations

import copy
from pathlib import Path
from typing import Any

import interpbench
from interpbench.leaderboard.entries import add_entry, entry_from_results
from interpbench.leaderboard.render import build


def hostile_leaderboard(root: Path, fields: dict[str, str]) -> Path:
    """Build a leaderboard at ``root`` with one oracle entry whose name/hardware are ``fields`` and a plain twin."""
    record = interpbench.score("oracle", seeds=[0], pairs=8, model_info={"adapter": "oracle"}).to_dict()
    hostile: dict[str, Any] = copy.deepcopy(record)
    hostile["model"] = {"name": fields["name"], "adapter": None}
    hostile["provenance"]["hardware"] = fields["hardware"]
    root.mkdir(parents=True, exist_ok=True)  # interpbench never creates a leaderboard folder
    add_entry(root, entry_from_results([hostile], probes={"lines/linear": 50.0}))
    add_entry(root, entry_from_results([record]))
    build(root)
    return root

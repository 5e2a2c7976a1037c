"""Where the leaderboard is when ``--leaderboard`` is not given: found, never made up.

Resolving a relative default (``./leaderboard``) from wherever a command happens to run would
silently create a second, empty leaderboard there. Instead the working directory and its parents
are searched, up to the repository root, for a ``leaderboard/`` folder holding ``results/``.
"""

from __future__ import annotations

import os
from pathlib import Path

__all__ = ["find_leaderboard", "RESULTS_DIR"]

RESULTS_DIR = "results"


def _is_leaderboard(folder: Path) -> bool:
    return (folder / RESULTS_DIR).is_dir()


def find_leaderboard(start: str | os.PathLike[str] | None = None) -> Path | None:
    """The leaderboard folder at or above ``start`` (default: the working directory), or ``None``.

    At each level, ``./leaderboard`` (run from the repository or below it) or the level itself
    when it is named ``leaderboard`` (run from inside it). The search stops at the first folder
    holding ``.git``: a leaderboard belongs to its repository.
    """
    here = Path(start or os.getcwd()).resolve()
    for folder in (here, *here.parents):
        if folder.name == "leaderboard" and _is_leaderboard(folder):
            return folder
        if _is_leaderboard(folder / "leaderboard"):
            return folder / "leaderboard"
        if (folder / ".git").exists():
            return None
    return None

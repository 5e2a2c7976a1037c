"""The paper's study as built-in grids, named on the command line instead of a file."""

from __future__ import annotations

from pathlib import Path
from typing import Any

from .grid import Grid, load_grid, parse_grid

__all__ = ["BUILTIN_GRIDS", "resolve_grid"]

# name -> grid data (what a TOML file would hold)
BUILTIN_GRIDS: dict[str, dict[str, Any]] = {
    # Table 1: the seven models, 3 training seeds each, the paper's protocol (16,384 kimg, scored every 64).
    "paper-table1": {"preset": "paper", "models": ["acai", "baseline", "dropout", "denoising", "vae", "aae", "vqvae"],
                     "seeds": [0, 1, 2]},
}


def resolve_grid(name_or_path: str | Path) -> Grid:
    """A built-in grid by name, else the grid file at that path."""
    if str(name_or_path) in BUILTIN_GRIDS and not Path(name_or_path).exists():
        return parse_grid(BUILTIN_GRIDS[str(name_or_path)])
    return load_grid(name_or_path)

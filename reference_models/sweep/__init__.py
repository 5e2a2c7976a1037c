"""Sweeps of reference-model trainings over a grid of models, seeds and config values, run on Ray.

:mod:`.grid` reads a grid (TOML) into runs, :mod:`.builtin` holds the paper's grids,
:mod:`.ray_runner` trains the runs as Ray tasks, :mod:`.results` writes ``sweep.json``,
``results.csv`` and the per-configuration report.
"""

from .grid import Grid, GridRun, load_grid, parse_grid

__all__ = ["Grid", "GridRun", "load_grid", "parse_grid"]

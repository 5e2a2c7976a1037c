"""Figures of a scored model: the interpolation grid and the angle trajectories (matplotlib, Agg).

Both are drawn from a :class:`~interpbench.result.Result` that kept its decoded images
(``score(..., keep_images=True)``, the default) and are written atomically as PNG.
"""

from __future__ import annotations

import functools
import io
import os
import sys
from collections.abc import Callable, Sequence
from pathlib import Path
from typing import Any, TypeVar

import numpy as np

from .atomic import atomic_path
from .compare import check_same_protocol, paper_points, result_points
from .errors import OptionError
from .factor_space import CIRCLE
from .suites import get_suite
from .result import Result

__all__ = ["FIGURE_KINDS", "figure_kind_for", "grid_figure", "grid_size", "trajectory_figure", "scatter_figure", "comparison_figure", "save_figure", "write_figure"]

FIGURE_KINDS = ("grid", "trajectory", "scatter")
F = TypeVar("F", bound=Callable[..., Any])
DPI = 100
PNG_COLOURS = 64
_CELL_IN = 0.42  # inches per 32×32 image: big enough to see the line, small enough for 16 columns


def figure_kind_for(path: str | os.PathLike[str], kind: str | None = None) -> str:
    """``kind`` if given, else 'trajectory' when the file name mentions 'traj', 'scatter' when it
    mentions 'scatter', else 'grid'."""
    if kind is not None:
        if kind not in FIGURE_KINDS:
            raise OptionError(f"figure kind must be one of {', '.join(FIGURE_KINDS)}, got {kind!r}")
        return kind
    name = Path(path).name.lower()
    return "trajectory" if "traj" in name else "scatter" if "scatter" in name else "grid"


def _pyplot():  # type: ignore[no-untyped-def]
    # Figures are files, so Agg is chosen where nothing else is: on a headless machine before pyplot
    # is first imported. A backend the user chose (a notebook's, MPLBACKEND, an earlier pyplot
    # import) is left alone: saving a figure works under any backend.
    import matplotlib

    if "matplotlib.pyplot" not in sys.modules and not os.environ.get("MPLBACKEND"):
        matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    return plt


def literal_text(build: F) -> F:
    """Draw every text a figure builder makes as written: no mathtext.

    Model names and notes are user text; matplotlib would parse ``$…$`` in them as TeX math, and
    ``a $\\notacommand$ b`` crashes the draw (throwing the scored result away). Set per figure,
    so a user's own matplotlib settings are left alone.
    """

    @functools.wraps(build)
    def wrapper(*args: Any, **kwargs: Any) -> Any:
        with _pyplot().rc_context({"text.parse_math": False}):
            return build(*args, **kwargs)

    return wrapper  # type: ignore[return-value]


def _first_seed(result: Result) -> tuple[np.ndarray, np.ndarray, np.ndarray, int]:
    seed = result.seeds[0]
    if seed.images is None:
        if result.images_file is not None:
            raise OptionError(f"the decoded images of {result.name!r} are not there ({result.images_file!r} is "
                              "missing; keep it beside its result JSON) and are needed for this figure")
        raise OptionError("this result kept no decoded images; score with keep_images=True (and save with "
                          "images=True) to draw grid or trajectory figures")
    return seed.images, seed.scores.angles, seed.endpoint_angles, seed.seed


def grid_size(rows: int, steps: int) -> tuple[int, int]:
    """Pixel size (width, height) of :func:`grid_figure` for ``rows`` interpolations of ``steps`` steps."""
    width, height = _grid_inches(rows, steps)
    return round(width * DPI), round(height * DPI)


def _grid_inches(rows: int, steps: int) -> tuple[float, float]:
    return 1.3 + steps * _CELL_IN, 0.75 + rows * 2 * _CELL_IN + (rows - 1) * 0.12


@literal_text
def grid_figure(result: Result, rows: int = 8):  # type: ignore[no-untyped-def]
    """Rows are interpolations, columns steps; under each decoded row, the nearest true line of each step."""
    plt = _pyplot()
    images, angles, _, seed = _first_seed(result)
    suite = get_suite(result.protocol.suite)
    rows = min(rows, images.shape[0])
    steps = images.shape[1]
    width, height = _grid_inches(rows, steps)
    fig = plt.figure(figsize=(width, height), dpi=DPI)
    left, right, top, bottom = 1.15 / width, 0.15 / width, 0.55 / height, 0.2 / height
    gap = 0.12 / height
    row_h = (1 - top - bottom - gap * (rows - 1)) / (2 * rows)
    for r in range(rows):
        # Decoded images are shown raw, in the benchmark's [-1, 1] scale, so overshoot is visible as clipping.
        nearest = suite.render(angles[r])
        for k, (strip, label) in enumerate(((images[r], "decoded"), (nearest, "nearest line" if suite.name == "lines" else "nearest true"))):
            y0 = 1 - top - (r * 2 + k + 1) * row_h - r * gap
            ax = fig.add_axes((left, y0, 1 - left - right, row_h))
            # A one-pixel grey gutter keeps neighbouring steps apart without hiding any pixel.
            padded = np.pad(strip, ((0, 0), (0, 0), (0, 1)), constant_values=-0.55)[:, :, :]
            ax.imshow(np.concatenate(list(padded), axis=1)[:, :-1], cmap="gray", vmin=-1, vmax=1, interpolation="nearest", aspect="equal")
            ax.set_xticks([])
            ax.set_yticks([])
            for spine in ax.spines.values():
                spine.set_color("#1f77b4" if k == 0 else "#bbbbbb")
            ax.set_ylabel(f"#{r} {label}" if k == 0 else label, rotation=0, ha="right", va="center", fontsize=7)
    fig.suptitle(
        f"{result.name}: {rows} of {images.shape[0]} interpolations (seed {seed}), t = 0 … 1 left to right",
        fontsize=9,
        y=1 - 0.18 / height,
    )
    return fig


@literal_text
def trajectory_figure(result: Result, panels: int = 8):  # type: ignore[no-untyped-def]
    """Decoded angle per step (unwrapped, degrees) against the ideal path: equal steps along the short arc."""
    if get_suite(result.protocol.suite).name != "lines":
        raise OptionError(f"trajectory figures draw one angle per step; the {result.protocol.suite} suite has "
                          "several factors: draw its grid instead")
    plt = _pyplot()
    images, angles, ends, seed = _first_seed(result)
    panels = min(panels, angles.shape[0])
    steps = angles.shape[1]
    t = np.arange(steps) / (steps - 1)
    cols = min(4, panels)
    n_rows = -(-panels // cols)
    fig, axes = plt.subplots(n_rows, cols, figsize=(3.0 * cols, 2.4 * n_rows + 0.5), dpi=DPI, squeeze=False, sharex=True)
    for i, ax in enumerate(axes.flat):
        if i >= panels:
            ax.set_visible(False)
            continue
        # The ideal path is the geodesic error's true path: even steps along the short arc between the true endpoints.
        ideal = np.degrees(CIRCLE.geodesic(ends[i, 0], ends[i, 1], t))
        decoded = np.degrees(np.unwrap(angles[i]))
        # Put the decoded sequence on the same turn of the circle as the ideal one for comparison.
        decoded += 360.0 * np.round((ideal[0] - decoded[0]) / 360.0)
        ax.plot(t, ideal, "--", color="#888888", lw=1.2, label="ideal (short arc, even steps)")
        ax.plot(t, decoded, "o-", color="#1f77b4", ms=3, lw=1.2, label="decoded (nearest line)")
        s = result.seeds[0].scores.path_smoothness[i]
        g = result.seeds[0].scores.path_geodesic_error[i]
        ax.set_title(f"#{i}  Smoothness {'undefined' if np.isnan(s) else f'{s:.3f}'}, geodesic error {g:.3f}", fontsize=8)
        ax.tick_params(labelsize=7)
        ax.grid(alpha=0.3)
        if i % cols == 0:
            ax.set_ylabel("angle (°)", fontsize=8)
        if i // cols == n_rows - 1:
            ax.set_xlabel("t", fontsize=8)
    handles, labels = axes.flat[0].get_legend_handles_labels()
    fig.legend(handles, labels, loc="upper right", fontsize=7, ncol=2, frameon=False)
    fig.suptitle(f"{result.name}: decoded angle per step vs the ideal path (seed {seed})", fontsize=9, x=0.02, ha="left")
    fig.tight_layout(rect=(0, 0, 1, 0.93))
    return fig


@literal_text
def scatter_figure(points: list[dict[str, Any]], title: str | None = None):  # type: ignore[no-untyped-def]
    """Mean Distance (×10⁻³) vs Smoothness, one point per entry, with error bars.

    Each point is a dict: ``label``, ``md`` (×10⁻³), ``sm``, ``md_err`` and ``sm_err`` as
    (low, high) ends, ``filled`` (False draws an open marker: the paper's published numbers).
    """
    plt = _pyplot()
    fig, ax = plt.subplots(figsize=(7.2, 4.8), dpi=DPI)
    colours = plt.rcParams["axes.prop_cycle"].by_key()["color"]
    k = 0
    for p in points:
        colour = "#777777" if not p["filled"] else colours[k % len(colours)]
        k += bool(p["filled"])
        md, sm = p["md"], p["sm"]
        ax.errorbar(
            md, sm,
            xerr=[[max(md - p["md_err"][0], 0.0)], [max(p["md_err"][1] - md, 0.0)]],
            yerr=[[max(sm - p["sm_err"][0], 0.0)], [max(p["sm_err"][1] - sm, 0.0)]],
            fmt="o", color=colour, mfc=colour if p["filled"] else "white", ms=6, capsize=3, lw=1,
        )
        ax.annotate(p["label"], (md, sm), textcoords="offset points", xytext=(6, 5), fontsize=8, color=colour)
    # symlog: the oracle sits near 0 while crossfades reach hundreds; a log axis could not show 0.
    ax.set_xscale("symlog", linthresh=0.1)
    right = max(p["md_err"][1] for p in points) if points else 10.0
    ax.set_xlim(-0.02, max(right, 1.0) * 3)  # room for the labels right of the last point
    ax.set_xlabel("Mean Distance ×10⁻³ (lower is better; linear below 0.1, log above)")
    ax.set_ylabel("Smoothness (lower is better)")
    ax.grid(alpha=0.3)
    ax.set_title(title or "Lines benchmark: entries (filled, 95% bootstrap CI) and paper Table 1 (open, ± std)", fontsize=9)
    fig.tight_layout()
    return fig


def comparison_figure(results: Sequence[Result]):  # type: ignore[no-untyped-def]
    """Mean Distance vs Smoothness of ``results`` (filled, ± std over seeds) beside the paper's Table 1 (open).

    Models whose Smoothness is undefined on every interpolation have no place on the plot and
    are named in the title instead.
    """
    check_same_protocol(results)
    points, skipped = result_points(results)
    suite = results[0].protocol.suite
    # The paper's Table 1 was measured on lines only: on another suite it would be a false reference.
    if suite == "lines":
        title = "Lines benchmark: compared models (filled, ± std over protocol seeds) and paper Table 1 (open, ± std)"
        reference = paper_points()
    else:
        title = f"{suite} suite: compared models (filled, ± std over protocol seeds)"
        reference = []
    if skipped:
        title += f"\nnot drawn, Smoothness undefined: {', '.join(skipped)}"
    return scatter_figure(reference + points, title=title)


@literal_text
def save_figure(fig, path: str | os.PathLike[str]) -> None:  # type: ignore[no-untyped-def]
    """Write ``fig`` as PNG atomically and free it (figures hold a lot of memory)."""
    plt = _pyplot()
    try:
        buffer = io.BytesIO()
        fig.savefig(buffer, format="png", dpi=DPI)
        with atomic_path(path) as tmp:
            tmp.write_bytes(small_png(buffer.getvalue()))
    finally:
        plt.close(fig)


def small_png(png: bytes, colours: int = PNG_COLOURS) -> bytes:
    """``png`` re-encoded with an adaptive palette of ``colours`` (grey images and a few line colours need
    no more): about a third of matplotlib's RGBA size, so figures stay small in the repository."""
    from PIL import Image

    with Image.open(io.BytesIO(png)) as image:
        out = io.BytesIO()
        image.convert("RGB").quantize(colors=colours).save(out, format="PNG", optimize=True)
    return out.getvalue()


def write_figure(result: Result, path: str | os.PathLike[str], kind: str | None = None) -> str:
    """Draw the ``kind`` figure of ``result`` (or the kind the file name suggests) into ``path``; return the kind."""
    kind = figure_kind_for(path, kind)
    if kind == "scatter":
        fig = comparison_figure([result])
    else:
        fig = grid_figure(result) if kind == "grid" else trajectory_figure(result)
    save_figure(fig, path)
    return kind

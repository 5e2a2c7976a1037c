"""A sweep's results: ``sweep.json`` (engine, resources, every run's status and scores),
``results.csv`` (one row per run, for pandas) and the report (one row per configuration)."""

from __future__ import annotations

import csv
import io
import json
from collections.abc import Sequence
from pathlib import Path
from typing import TYPE_CHECKING, Any

import numpy as np

if TYPE_CHECKING:
    import pandas

from interpbench.atomic import write_text_atomic
from interpbench.errors import DataError

__all__ = ["SWEEP_NAME", "CSV_NAME", "run_row", "write_results", "report_lines", "read_rows", "to_frame"]

SWEEP_NAME = "sweep.json"
CSV_NAME = "results.csv"
COLUMNS = ["run", "configuration", "model", "seed", "status", "kimg", "steps", "final_mean_distance", "final_smoothness",
           "paper_mean_distance", "paper_smoothness", "paper_evaluations", "collapsed", "wall_seconds", "kimg_per_second",
           "error"]


def run_row(run: dict[str, Any]) -> dict[str, Any]:
    """One run of the sweep record as a flat row: status, final and paper-style scores, collapse, speed."""
    summary = run.get("summary") or {}
    final = summary.get("final") or {}
    figure = summary.get("median_last_20") or {}
    row = {"run": run["name"], "configuration": run["configuration"], "model": run["model"], "seed": run["seed"],
           "status": run["status"], "kimg": summary.get("kimg"), "steps": summary.get("steps"),
           "final_mean_distance": final.get("mean_distance"), "final_smoothness": final.get("smoothness"),
           "paper_mean_distance": figure.get("mean_distance"), "paper_smoothness": figure.get("smoothness"),
           "paper_evaluations": figure.get("evaluations"), "collapsed": (summary.get("collapse") or {}).get("collapsed"),
           "wall_seconds": summary.get("wall_seconds"),
           "kimg_per_second": (summary.get("samples_per_second") or 0.0) / 1024 or None, "error": run.get("error")}
    return {**row, **{f"config.{k}": v for k, v in sorted(run["swept"].items())}}


def write_results(record: dict[str, Any], out: str | Path) -> list[dict[str, Any]]:
    """Write ``out/sweep.json`` and ``out/results.csv``; returns the rows."""
    out = Path(out)
    rows = [run_row(run) for run in record["runs"]]
    runs = [{k: v for k, v in run.items() if k != "summary"} | {"scores": row} for run, row in zip(record["runs"], rows)]
    write_text_atomic(out / SWEEP_NAME, json.dumps({**record, "runs": runs}, indent=1, default=str) + "\n")
    columns = COLUMNS + sorted({k for row in rows for k in row if k.startswith("config.")})
    buffer = io.StringIO()
    writer = csv.DictWriter(buffer, fieldnames=columns)
    writer.writeheader()
    writer.writerows(rows)
    write_text_atomic(out / CSV_NAME, buffer.getvalue())
    return rows


def read_rows(out: str | Path) -> list[dict[str, Any]]:
    """The rows of a written ``sweep.json`` (for ``--report`` without training)."""
    return [run["scores"] for run in json.loads((Path(out) / SWEEP_NAME).read_text())["runs"]]


def to_frame(out: str | Path) -> "pandas.DataFrame":
    """The runs of the sweep written in ``out`` as a pandas DataFrame, one row per run.

    Columns as ``results.csv`` (``COLUMNS``, then ``config.<field>`` for each swept field), but
    read from ``sweep.json``, so numbers keep their types and a missing score is NaN rather
    than an empty string. Unscaled: ``final_mean_distance`` of 0.0035 prints as ×10⁻³ 3.5.
    """
    import pandas as pd

    path = Path(out) / SWEEP_NAME
    if not path.is_file():
        raise DataError(f"{str(path)!r} does not exist; run the sweep first")
    rows = read_rows(out)
    columns = COLUMNS + sorted({k for row in rows for k in row if k.startswith("config.")})
    return pd.DataFrame(rows, columns=columns)


def report_lines(rows: Sequence[dict[str, Any]]) -> list[str]:
    """One line per configuration: runs finished, paper-style figure and final scores, mean ± std over seeds."""
    groups: dict[str, list[dict[str, Any]]] = {}
    for row in rows:
        groups.setdefault(row["configuration"], []).append(row)
    width = max([len("configuration")] + [len(k) for k in groups]) + 2
    lines = ["Mean Distance ×10⁻³ and Smoothness, mean ± std over seeds; paper-style = median of the last 20 evaluations",
             f"{'configuration':<{width}}{'runs':>6}{'paper MD':>16}{'paper Sm':>16}{'final MD':>16}{'final Sm':>16}  collapsed"]
    for name, group in groups.items():
        done = [r for r in group if r["status"] in ("finished", "already finished")]
        collapsed = sum(bool(r["collapsed"]) for r in done)
        lines.append(f"{name:<{width}}{f'{len(done)}/{len(group)}':>6}"
                     f"{_mean_std([r['paper_mean_distance'] for r in done], 1e3):>16}{_mean_std([r['paper_smoothness'] for r in done], 1):>16}"
                     f"{_mean_std([r['final_mean_distance'] for r in done], 1e3):>16}{_mean_std([r['final_smoothness'] for r in done], 1):>16}"
                     f"  {f'{collapsed} collapsed ⚠' if collapsed else '—'}")
    return lines


def _mean_std(values: list[Any], scale: float) -> str:
    defined = [float(v) * scale for v in values if v is not None and v != ""]
    if not defined:
        return "—"
    return f"{np.mean(defined):.2f} ± {np.std(defined):.2f}"

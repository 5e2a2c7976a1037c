"""One sweep run as a plain function: what each Ray task executes (no Ray import here)."""

from __future__ import annotations

import json
import time
from pathlib import Path
from typing import Any

from interpbench.errors import InterpbenchError

from ..training.engine import SUMMARY_NAME

__all__ = ["train_run", "finished_summary"]


def train_run(spec: dict[str, Any], threads: int | None = None) -> dict[str, Any]:
    """Train (or resume) the run ``spec`` describes; returns its status, summary and wall time.

    ``spec`` holds ``model``, ``seed``, ``config``, ``out`` and the grid's ``preset``, ``kimg``,
    ``eval_every``, ``eval_pairs``, ``device`` and ``suite`` (absent in sweeps from before suites: lines). The engine resumes from the run's checkpoint and
    refuses one trained with other settings; that refusal comes back as status ``refused``.
    """
    import torch

    from ..training.engine import train

    if threads:
        torch.set_num_threads(int(threads))
    start = time.monotonic()
    try:
        run = train(spec["model"], spec["out"], seed=spec["seed"], preset=spec["preset"], kimg=spec["kimg"],
                    device=spec["device"], resume=True, eval_every_kimg=spec["eval_every"], eval_pairs=spec["eval_pairs"],
                    config=spec["config"], progress=False, suite=spec.get("suite"))
    except InterpbenchError as exc:
        return {"status": "refused", "error": str(exc), "task_seconds": time.monotonic() - start}
    return {"status": "finished" if run.finished else "stopped", "summary": run.to_dict(),
            "task_seconds": time.monotonic() - start}


def finished_summary(spec: dict[str, Any]) -> dict[str, Any] | None:
    """The summary of a run already trained to the grid's budget with the grid's settings, else None.

    A match lets the sweep skip the run without starting a task; anything else goes to the engine,
    which resumes it or refuses a directory trained with other settings.
    """
    path = Path(spec["out"]) / SUMMARY_NAME
    try:
        summary = json.loads(path.read_text())
    except (OSError, ValueError):
        return None
    config = summary.get("config", {})
    matches = (summary.get("finished") and summary.get("model") == spec["model"] and summary.get("seed") == spec["seed"]
               and summary.get("preset") == spec["preset"]
               and (summary.get("suite") or {}).get("name", "lines") == (spec.get("suite") or "lines")
               and (spec["kimg"] is None or float(summary.get("kimg", -1)) == float(spec["kimg"]))
               and all(config.get(k) == v for k, v in spec["config"].items())
               and (spec["eval_pairs"] is None or all(e.get("pairs") == spec["eval_pairs"] for e in summary.get("trail", []))))
    return summary if matches else None

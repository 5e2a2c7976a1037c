"""The leaderboard's downstream section: one JSON entry per (model, data set, d_z) under ``downstream/``.

Each entry holds a checkpoint's linear and k-means probe accuracies on a labelled data set (the
paper's Tables 2-3 study), with the training budget and hardware beside them and the paper's
value where it is known. Entries are validated against ``downstream_entry.v1.schema.json``.
"""

from __future__ import annotations

import json
import os
import re
from pathlib import Path
from typing import Any

from ..atomic import write_text_atomic
from ..errors import DataError
from ..jsonfile import dumps_record, read_json
from .paper_downstream import DOWNSTREAM_CITATION, NOT_FOUND, PAPER_TABLE2, PAPER_TABLE3, paper_value
from .schema import validate
from .table import Table

__all__ = ["DOWNSTREAM_DIR", "DOWNSTREAM_SCHEMA", "downstream_entry", "check_downstream_entry", "add_downstream_entry",
           "load_downstream", "downstream_tables"]

DOWNSTREAM_DIR = "downstream"
DOWNSTREAM_SCHEMA = "downstream_entry.v1.schema.json"
FORMAT = "interpbench-downstream-entry"


def _slug(text: str) -> str:
    return re.sub(r"[^a-z0-9._-]+", "-", text.lower()).strip("-")


def downstream_entry(probe: Any, *, d_z: int, notes: str | None = None) -> dict[str, Any]:
    """An entry from a :class:`interpbench.probes.ProbeResult` of a trained reference model's checkpoint.

    ``probe.model`` must carry the checkpoint's ``model_info`` (``load_trained``), so the entry
    records which weights were probed and how they were trained.
    """
    model, data = probe.model, probe.dataset
    training = model.get("training") or {}
    name, dataset = str(model["name"]), str(data["name"])
    key = name.lower()
    entry = {
        "format": FORMAT,
        "version": 1,
        "id": _slug(f"{name}-{dataset}-dz{d_z}-{model.get('preset')}-{model.get('kimg'):g}kimg-s{model.get('train_seed')}"),
        "model": {"name": name, "kind": "reference", "checkpoint_sha256": model["checkpoint_sha256"],
                  "config": model.get("config") or {}, "probe_codes": str(model.get("probe_codes", "encode"))},
        # Sizes from the probe; checksums of what training read, from the checkpoint (load_trained's "dataset").
        "dataset": {k: data[k] for k in ("name", "train_size", "test_size") if k in data}
                   | {k: v for k, v in (model.get("dataset") or {}).items() if k in ("files", "sha256")}
                   | {"channels": int(data["image_shape"][0]) if len(data["image_shape"]) == 3 else 1},
        "d_z": int(d_z),
        "training": {"preset": str(model.get("preset")), "kimg": float(model["kimg"]), "seed": int(model["train_seed"]),
                     "hardware": training.get("hardware"), "wall_clock_s": training.get("wall_clock_s"),
                     "samples_per_s": training.get("samples_per_s"), "trail": model.get("dataset_trail")},
        "probes": {"linear": float(probe.accuracy["linear"]), "kmeans": float(probe.accuracy["kmeans"]),
                   "settings": probe.settings, "timings": probe.timings},
        "paper": {"linear": paper_value(PAPER_TABLE2, key, dataset, d_z), "kmeans": paper_value(PAPER_TABLE3, key, dataset, d_z),
                  "source": DOWNSTREAM_CITATION},
        "provenance": probe.provenance,
    }
    if notes:
        entry["notes"] = notes
    return json.loads(json.dumps(entry, allow_nan=False))  # plain JSON types only (no NaN, no tuples)


def check_downstream_entry(entry: Any, label: str = "downstream entry") -> None:
    """Schema, plus what a schema cannot say: d_z matches the config's code size."""
    validate(entry, DOWNSTREAM_SCHEMA, what=label)
    config = entry["model"]["config"]
    if {"latent", "scales"} <= set(config):
        size = int(config["latent"]) * (32 >> int(config["scales"])) ** 2
        if size != entry["d_z"]:
            raise DataError(f"{label}: d_z {entry['d_z']} is not the config's code size "
                            f"latent × (32 >> scales)² = {size}")


def add_downstream_entry(root: str | os.PathLike[str], entry: dict[str, Any], *, replace: bool = False) -> Path:
    """File ``entry`` as ``root/downstream/<id>.json``; a duplicate id is refused unless ``replace``."""
    check_downstream_entry(entry)
    target = Path(root) / DOWNSTREAM_DIR / f"{entry['id']}.json"
    if target.exists() and not replace:
        raise DataError(f"duplicate downstream entry: id {entry['id']!r} is already filed in {target}")
    write_text_atomic(target, dumps_record(entry) + "\n")
    return target


def load_downstream(root: str | os.PathLike[str]) -> list[dict[str, Any]]:
    """Every validated entry under ``root/downstream/``, sorted by data set, d_z and model."""
    folder = Path(root) / DOWNSTREAM_DIR
    if not folder.is_dir():
        return []
    entries = []
    for path in sorted(folder.glob("*.json")):
        entry = read_json(path, what="downstream entry")
        check_downstream_entry(entry, label=str(path))
        if entry["id"] != path.stem:
            raise DataError(f"{path}: id {entry['id']!r} does not match the file name (expected {path.stem!r})")
        entries.append(entry)
    return sorted(entries, key=lambda e: (e["dataset"]["name"], e["d_z"], e["model"]["name"]))


def _pct(value: float | None) -> str:
    return "n/f" if value is None else f"{value:.2f}"


def downstream_tables(entries: list[dict[str, Any]]) -> list[Any]:
    """The downstream section as leaderboard tables (one, with notes), or none when nothing is filed."""
    if not entries:
        return []
    columns = ["model", "data set", "d_z", "linear (%)", "paper Table 2", "k-means (%)", "paper Table 3",
               "reconstruction MSE", "preset · budget · training time", "hardware"]
    rows, ids = [], []
    for e in entries:
        t = e["training"]
        trail = t.get("trail") or {}
        recon = trail.get("reconstruction_mse")
        time_text = "—" if t.get("wall_clock_s") is None else f"{t['wall_clock_s'] / 60:.1f} min"
        rows.append([e["model"]["name"], e["dataset"]["name"], str(e["d_z"]), f"{e['probes']['linear']:.2f}",
                     _pct(e.get("paper", {}).get("linear")), f"{e['probes']['kmeans']:.2f}", _pct(e.get("paper", {}).get("kmeans")),
                     "—" if recon is None else f"{recon:.4f}", f"{t['preset']} · {t['kimg']:g} kimg · {time_text}",
                     str(t.get("hardware") or "—")])
        ids.append(e["id"])
    notes = [
        "Test accuracy of a linear classifier and of k-means (Hungarian-matched) on the frozen codes of each checkpoint; "
        "VAE probed on its encoder output before the μ / log σ² heads and VQ-VAE on its quantised code, as the paper's probes.",
        f"Paper values: {DOWNSTREAM_CITATION}; n/f = not found. {NOT_FOUND}",
        "Reconstruction MSE: on held-out test images at the run's last trail evaluation (median of its last 20 evaluations).",
        "Reduced budgets are not paper reproductions: compare orderings, not values.",
    ]
    return [Table(key="downstream", title="Downstream probes (paper Tables 2-3)", columns=columns, rows=rows, row_ids=ids, notes=notes)]

"""Leaderboard entries: built from result records, validated, loaded from and filed under ``results/``.

An entry is one model (one name, preset and training budget) scored with one protocol. Several
result records of the same model trained with different seeds make one entry whose headline
spread is over the training seeds; a single record's spread is over its protocol seeds.
"""

from __future__ import annotations

import copy
import datetime as _dt
import json
import math
import os
import re
import shutil
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import numpy as np

from ..adapters.builtin import BUILTIN_ADAPTERS
from ..atomic import atomic_path, atomic_paths, recover_commits, write_text_atomic
from ..errors import DataError
from ..metrics import is_collapsed
from ..result import STORED_METRICS
from ..jsonfile import dumps_record, read_json
from ..spec import SPEC_VERSION
from .guard import leaderboard_lock
from .schema import ENTRY_SCHEMA, validate
from .stats import summarise

__all__ = [
    "ENTRY_FORMAT",
    "Entry",
    "read_json",
    "entry_from_results",
    "probe_accuracies",
    "check_entry",
    "load_entries",
    "add_entry",
    "add_entries",
    "entry_id",
    "check_probe_model",
    "check_png",
]

ENTRY_FORMAT = "interpbench-leaderboard-entry"
RESULT_SCHEMA = "result.v1.schema.json"
RESULTS_DIR = "results"
FIGURES_DIR = "figures"

# Stored aggregates must agree with the per-seed / per-path numbers they summarise. The values are
# recomputed in float64 from the same numbers, so only round-off separates them.
_CONSISTENCY_RTOL = 1e-9
_CONSISTENCY_ATOL = 1e-15

_TRAINING_KEYS = ("hardware", "wall_clock_s", "samples_per_s")


@dataclass(frozen=True)
class Entry:
    """A validated entry and the file it came from (``None`` before it is filed)."""

    data: dict[str, Any]
    path: Path | None = None

    @property
    def id(self) -> str:
        return str(self.data["id"])

    @property
    def name(self) -> str:
        return str(self.data["model"]["name"])

    @property
    def kind(self) -> str:
        return str(self.data["model"]["kind"])

    def summary(self, metric: str) -> dict[str, Any]:
        return dict(self.data["summary"][metric])

    @property
    def output_spreads(self) -> list[float]:
        """Each run's mean output spread (collapse diagnostic), where the run recorded one."""
        return [r["metrics"]["output_spread"]["mean"] for r in self.data["runs"] if "output_spread" in r["metrics"]]

    @property
    def collapsed(self) -> bool:
        """True when every run's decoded images are all one image (see interpbench.metrics.output_spread)."""
        spreads = self.output_spreads
        return bool(spreads) and all(is_collapsed(s) for s in spreads)


def _close(a: float, b: float) -> bool:
    return math.isclose(a, b, rel_tol=_CONSISTENCY_RTOL, abs_tol=_CONSISTENCY_ATOL)


def _check_result(record: Any, label: str) -> None:
    """Schema plus the cross-field facts a schema cannot say (lengths agree, numbers add up)."""
    validate(record, RESULT_SCHEMA, what=label)
    proto, metrics, seeds = record["protocol"], record["metrics"], record["seeds"]
    n = len(proto["seeds"])
    if [s["seed"] for s in seeds] != proto["seeds"]:
        raise DataError(f"{label}: seeds[*].seed {[s['seed'] for s in seeds]} does not match protocol.seeds {proto['seeds']}")
    for metric in ("mean_distance", "smoothness"):
        if len(metrics[metric]["per_seed"]) != n:
            raise DataError(f"{label}: metrics.{metric}.per_seed has {len(metrics[metric]['per_seed'])} values for {n} protocol seeds")
    for i, s in enumerate(seeds):
        dist = s["distances"]
        if len(dist) != proto["pairs"] or any(len(row) != proto["steps"] for row in dist):
            raise DataError(f"{label}: seeds[{i}].distances is not {proto['pairs']} pairs × {proto['steps']} steps")
        if len(s["path_smoothness"]) != proto["pairs"]:
            raise DataError(f"{label}: seeds[{i}].path_smoothness has {len(s['path_smoothness'])} values for {proto['pairs']} pairs")
        stored = metrics["mean_distance"]["per_seed"][i]
        recomputed = float(np.mean(np.asarray(dist, dtype=np.float64)))
        if stored is None or not _close(stored, recomputed):
            raise DataError(
                f"{label}: metrics.mean_distance.per_seed[{i}] = {stored!r} is not the mean of seeds[{i}].distances ({recomputed!r})"
            )
        _check_geodesic(metrics, s, i, proto["pairs"], label)
    if record["provenance"]["spec_version"] != SPEC_VERSION:
        raise DataError(
            f"{label}: provenance.spec_version {record['provenance']['spec_version']!r} is not this leaderboard's spec {SPEC_VERSION}"
        )


def _check_geodesic(metrics: dict[str, Any], seed: dict[str, Any], i: int, pairs: int, label: str) -> None:
    """A stored geodesic error must come with its per-path values, and be their mean (all paths have N images)."""
    stored = metrics.get("geodesic_error", {}).get("per_seed")
    per_path = seed.get("path_geodesic_error")
    if stored is None and per_path is None:
        return  # a record from before the geodesic error existed
    if stored is None or per_path is None:
        raise DataError(f"{label}: metrics.geodesic_error and seeds[{i}].path_geodesic_error must be given together")
    if len(per_path) != pairs:
        raise DataError(f"{label}: seeds[{i}].path_geodesic_error has {len(per_path)} values for {pairs} pairs")
    recomputed = float(np.mean(np.asarray(per_path, dtype=np.float64)))
    if len(stored) <= i or not _close(stored[i], recomputed):
        raise DataError(f"{label}: metrics.geodesic_error.per_seed[{i}] is not the mean of seeds[{i}].path_geodesic_error ({recomputed!r})")


def _slug(text: str) -> str:
    return re.sub(r"[^a-z0-9._]+", "-", text.lower()).strip("-._") or "model"


def entry_id(name: str, preset: str | None, kimg: float | None, path: str, suite: str = "lines") -> str:
    """'acai-paper-16384kimg-v1'; built-in adapters have no preset or budget: 'oracle-v1'; another
    suite than lines is named: 'acai-cpu-256kimg-clock-v1'."""
    parts = ([name] + ([preset] if preset else []) + ([f"{kimg:g}kimg"] if kimg else []) + ([path] if path != "lerp" else [])
             + ([suite] if suite != "lines" else []))
    return "-".join(_slug(p) for p in parts + [SPEC_VERSION])


def probe_accuracies(record: Any, label: str = "probe record") -> dict[str, float]:
    """Accuracies (%) keyed '<dataset>/<probe>' from a probe record or a plain ``{key: accuracy}`` object.

    Accepted shapes: an ``interpbench-probe-result`` record (``interpbench probe --output``);
    ``{"lines/linear": 91.2, …}``; a record with an ``accuracies`` object; a record
    with a ``results`` list of ``{"dataset", "probe", "accuracy"}``; or one such item on its own.
    """
    if not isinstance(record, dict):
        raise DataError(f"{label} must be a JSON object")
    if record.get("format") == "interpbench-probe-result":
        # interpbench.probes records: {"dataset": {"name": …}, "accuracy": {"linear": %, "kmeans": %}}
        dataset = record.get("dataset", {}).get("name") if isinstance(record.get("dataset"), dict) else None
        if not dataset or not isinstance(record.get("accuracy"), dict):
            raise DataError(f"{label}: a probe result needs dataset.name and an accuracy object")
        found = {f"{dataset}/{probe}": value for probe, value in record["accuracy"].items()}
    elif "accuracies" in record and isinstance(record["accuracies"], dict):
        found = dict(record["accuracies"])
    elif isinstance(record.get("results"), list):
        found = {}
        for i, item in enumerate(record["results"]):
            if not isinstance(item, dict) or not {"dataset", "probe", "accuracy"} <= item.keys():
                raise DataError(f"{label}: results[{i}] needs 'dataset', 'probe' and 'accuracy'")
            found[f"{item['dataset']}/{item['probe']}"] = item["accuracy"]
    elif {"dataset", "probe", "accuracy"} <= record.keys():
        found = {f"{record['dataset']}/{record['probe']}": record["accuracy"]}
    else:
        found = {k: v for k, v in record.items() if k not in ("format", "format_version")}
    for key, value in found.items():
        if isinstance(value, bool) or not isinstance(value, (int, float)) or not 0 <= value <= 100:
            raise DataError(f"{label}: accuracy {key!r} must be a number of percent in [0, 100], got {value!r}")
    return {str(k): float(v) for k, v in found.items()}


def _run_from_result(record: dict[str, Any]) -> dict[str, Any]:
    model = record["model"]
    keep = (*STORED_METRICS, "n_undefined")
    per_path = []
    for s in record["seeds"]:
        distance = np.asarray(s["distances"], dtype=np.float64).mean(axis=1)
        paths = {"seed": s["seed"], "distance": distance.tolist(), "smoothness": list(s["path_smoothness"])}
        if "path_geodesic_error" in s:
            paths["geodesic_error"] = list(s["path_geodesic_error"])
        per_path.append(paths)
    run = {
        "train_seed": model.get("train_seed"),
        "checkpoint_sha256": model.get("checkpoint_sha256"),
        # Copies: an entry must never share mutable state with the record it was built from.
        "metrics": copy.deepcopy({k: record["metrics"][k] for k in keep if k in record["metrics"]}),
        "per_path": per_path,
        "provenance": copy.deepcopy(record["provenance"]),
    }
    if isinstance(model.get("trail"), dict):  # load_trained's paper-style figure of the run's trail
        run["paper_figure"] = {k: model["trail"][k] for k in ("mean_distance", "smoothness", "evaluations", "complete")}
    return run


def _training(model: dict[str, Any], runs: list[dict[str, Any]], overrides: dict[str, Any]) -> dict[str, Any] | None:
    """Training budget, preset, seeds and hardware, from the model record and command-line overrides."""
    nested = model.get("training") if isinstance(model.get("training"), dict) else {}
    preset = overrides.get("preset") or model.get("preset")
    kimg = overrides.get("kimg") or model.get("kimg")
    if preset is None and kimg is None:
        return None
    # A trained model without a named preset still has a budget; label it rather than drop it.
    preset = preset or "custom"
    info: dict[str, Any] = {"preset": preset, "kimg": kimg, "seeds": sorted(r["train_seed"] for r in runs if r["train_seed"] is not None)}
    for key in _TRAINING_KEYS:
        value = overrides.get(key)
        if value is None:
            value = nested.get(key, model.get(f"training_{key}" if key == "hardware" else key))
        info[key] = value
    return info


def entry_from_results(
    records: list[dict[str, Any]],
    *,
    probes: dict[str, float] | None = None,
    training: dict[str, Any] | None = None,
    kind: str | None = None,
    figure: str | None = None,
    notes: str | None = None,
    labels: list[str] | None = None,
    entry_id_override: str | None = None,
) -> dict[str, Any]:
    """One entry from one result record, or from several of the same model trained with different seeds."""
    if not records:
        raise DataError("no result record given")
    labels = labels or [f"result {i + 1}" for i in range(len(records))]
    for record, label in zip(records, labels):
        _check_result(record, label)
    first = records[0]
    for record, label in zip(records[1:], labels[1:]):
        for field in ("name", "preset", "kimg"):
            if record["model"].get(field) != first["model"].get(field):
                raise DataError(f"{label}: model.{field} {record['model'].get(field)!r} differs from {labels[0]}'s {first['model'].get(field)!r}")
        if record["protocol"] != first["protocol"]:
            raise DataError(f"{label}: protocol {record['protocol']} differs from {labels[0]}'s {first['protocol']}")
    runs = [_run_from_result(r) for r in records]
    _refuse_shared_checkpoints(runs, labels)
    train_seeds = [r["train_seed"] for r in runs]
    if len(runs) > 1 and (None in train_seeds or len(set(train_seeds)) != len(train_seeds)):
        raise DataError(f"results of several training runs need distinct model.train_seed values, got {train_seeds}")
    model = first["model"]
    adapter = model.get("adapter")
    if kind is None:
        kind = "builtin" if adapter in BUILTIN_ADAPTERS and not model.get("checkpoint_sha256") else (
            "reference" if model.get("preset") else "external"
        )
    train = _training(model, runs, training or {})
    summary = _summary(runs)
    entry: dict[str, Any] = {
        "format": ENTRY_FORMAT,
        "schema_version": 1,
        "id": entry_id_override
        or entry_id(model["name"], train and train["preset"], train and train["kimg"], first["protocol"]["path"],
                    first["protocol"].get("suite", "lines")),
        "model": {"name": model["name"], "kind": kind, "adapter": adapter},
        "training": train,
        "protocol": copy.deepcopy(first["protocol"]),
        "runs": runs,
        "summary": summary,
        "provenance": copy.deepcopy(first["provenance"]),
        "added": _dt.datetime.now(_dt.timezone.utc).replace(microsecond=0).isoformat(),
    }
    if probes:
        entry["probes"] = probes
    if figure:
        entry["figures"] = {"grid": figure}
    if notes:
        entry["notes"] = notes
    check_entry(entry)
    return entry


def _per_seed(runs: list[dict[str, Any]], metric: str) -> np.ndarray:
    """(runs, seeds) per-seed values; an undefined Smoothness counts 0.

    (SPEC §4 counts an undefined interpolation as 0 over all P of them, so a seed whose every
    interpolation is undefined adds 0 to the pooled mean too.)
    """
    return np.array([[0.0 if v is None else v for v in r["metrics"][metric]["per_seed"]] for r in runs], dtype=np.float64)


def _arrays(runs: list[dict[str, Any]], metric: str) -> tuple[np.ndarray, np.ndarray]:
    """:func:`_per_seed` and the (runs, seeds, pairs) per-path values, undefined Smoothness as 0."""
    per_seed = _per_seed(runs, metric)
    key = {"mean_distance": "distance"}.get(metric, metric)
    per_path = np.array([[[0.0 if v is None else v for v in p[key]] for p in r["per_path"]] for r in runs], dtype=np.float64)
    return per_seed, per_path


def _summary(runs: list[dict[str, Any]]) -> dict[str, Any]:
    out: dict[str, Any] = {}
    # The geodesic error is summarised when every run recorded it (results from before it existed did not).
    ranked = ("mean_distance", "smoothness") + (("geodesic_error",) if all(_has_geodesic(r) for r in runs) else ())
    for metric in ranked:
        try:
            per_seed, per_path = _arrays(runs, metric)
        except (TypeError, ValueError):
            raise DataError(f"runs[*].metrics.{metric}.per_seed must all be numbers for the same protocol seeds") from None
        if not np.all(np.isfinite(per_seed)):
            raise DataError(f"runs[*].metrics.{metric}.per_seed holds a non-finite value")
        summary = summarise(per_seed, per_path).to_dict()
        if all(v is None for r in runs for v in r["metrics"][metric]["per_seed"]):
            # Every interpolation undefined (a model decoding one image for all inputs): no number to show.
            summary.update(mean=None, std=None, ci95=None)
        out[metric] = summary
    out["n_undefined"] = int(sum(r["metrics"]["n_undefined"]["total"] for r in runs))
    return out


def _has_geodesic(run: dict[str, Any]) -> bool:
    return "geodesic_error" in run["metrics"] and all("geodesic_error" in p for p in run["per_path"])


def _refuse_shared_checkpoints(runs: list[dict[str, Any]], labels: list[str]) -> None:
    """Several runs of one entry must be several trained checkpoints.

    Copies of one result with ``model.train_seed`` edited would otherwise pass as "n = 3 training
    seeds, std 0": the checkpoint hash is what training seeds cannot fake.
    """
    first_of: dict[str, str] = {}
    for run, label in zip(runs, labels):
        sha = run.get("checkpoint_sha256")
        if sha is None:
            continue
        if sha in first_of:
            raise DataError(f"{label} and {first_of[sha]} were scored from one checkpoint (sha256 {sha[:12]}…); "
                            "several training runs need several trained checkpoints")
        first_of[sha] = label


def check_probe_model(record: Any, entry: dict[str, Any], label: str = "probe record") -> None:
    """Refuse probe accuracies measured on another model: its name and checkpoint must be the entry's.

    A record without a model (a plain ``{"lines/linear": 91.2}``) can only go with an entry that
    has no checkpoint to match, such as an adapter's.
    """
    name = entry["model"]["name"]
    hashes = sorted({r["checkpoint_sha256"] for r in entry["runs"]} - {None})
    model = record.get("model") if isinstance(record, dict) else None
    if not isinstance(model, dict):
        if hashes:
            raise DataError(f"{label} names no model, so it cannot be matched to checkpoint {hashes[0][:12]}…; "
                            "attach the record `interpbench probe --output` wrote")
        return
    if model.get("name") != name:
        raise DataError(f"{label} holds probes of model {model.get('name')!r}, not {name!r}")
    if hashes and model.get("checkpoint_sha256") not in hashes:
        found = model.get("checkpoint_sha256")
        shown = "no checkpoint" if not isinstance(found, str) else f"checkpoint {found[:12]}…"
        raise DataError(f"{label} was measured on {shown}, not on the scored checkpoint {hashes[0][:12]}…")


def _shared_checkpoint(entry: dict[str, Any], other: Entry) -> str | None:
    """A checkpoint ``entry`` and ``other`` both score with one protocol (one model counted twice), if any."""
    if other.data["protocol"] != entry["protocol"]:
        return None  # the same weights scored another way (slerp, other seeds) is another entry
    mine = {r["checkpoint_sha256"] for r in entry["runs"]} - {None}
    theirs = {r["checkpoint_sha256"] for r in other.data["runs"]} - {None}
    return min(mine & theirs) if mine & theirs else None


def check_entry(entry: Any, label: str = "entry") -> None:
    """Schema validation plus consistency of the stored summary with the per-seed numbers."""
    validate(entry, ENTRY_SCHEMA, what=label)
    seeds = entry["protocol"]["seeds"]
    for i, run in enumerate(entry["runs"]):
        if [p["seed"] for p in run["per_path"]] != seeds:
            raise DataError(f"{label}: runs[{i}].per_path seeds do not match protocol.seeds {seeds}")
        for metric in ("mean_distance", "smoothness"):
            if len(run["metrics"][metric]["per_seed"]) != len(seeds):
                raise DataError(f"{label}: runs[{i}].metrics.{metric}.per_seed needs one value per protocol seed ({len(seeds)})")
    for metric in ("mean_distance", "smoothness"):
        values = [v for r in entry["runs"] for v in r["metrics"][metric]["per_seed"]]
        stored = entry["summary"][metric]["mean"]
        if all(v is None for v in values):
            if stored is not None or entry["summary"][metric]["ci95"] is not None:
                raise DataError(f"{label}: summary.{metric} must be null when every per-seed value is undefined")
            continue
        expected = float(_per_seed(entry["runs"], metric).mean(axis=1).mean())
        if stored is None or not _close(stored, expected):
            raise DataError(f"{label}: summary.{metric}.mean = {stored!r} does not match the runs' per-seed values ({expected!r})")
        if entry["summary"][metric]["ci95"] is None:
            raise DataError(f"{label}: summary.{metric}.ci95 is missing")
        lo, hi = entry["summary"][metric]["ci95"]
        if lo > hi:
            raise DataError(f"{label}: summary.{metric}.ci95 has its lower end above its upper end")
    _refuse_shared_checkpoints(entry["runs"], [f"{label}: runs[{i}]" for i in range(len(entry["runs"]))])
    if entry["training"] is None and len(entry["runs"]) > 1:
        raise DataError(f"{label}: training is null but there are {len(entry['runs'])} training runs")


def load_entries(root: str | os.PathLike[str]) -> list[Entry]:
    """Every entry under ``root/results/``, validated; the file name must be the entry's id.

    A filing that a killed process left half done is finished first (:func:`~interpbench.atomic.recover_commits`).
    """
    folder = Path(root) / RESULTS_DIR
    if not folder.is_dir():
        raise DataError(f"{os.fspath(folder)!r} is not a directory of leaderboard entries")
    recover_commits(folder)
    entries = []
    for path in sorted(folder.glob("*.json")):
        data = read_json(path, what="leaderboard entry")
        check_entry(data, label=str(path))
        if data["id"] != path.stem:
            raise DataError(f"{path}: id {data['id']!r} does not match the file name (expected {path.stem!r})")
        for other in entries:
            shared = _shared_checkpoint(data, other)
            if shared:
                raise DataError(f"{path} and {other.path} score one checkpoint (sha256 {shared[:12]}…) with one protocol; "
                                "a model is one entry")
        entries.append(Entry(data, path))
    return entries


def check_png(path: str | os.PathLike[str]) -> Path:
    """``path`` if it is a PNG file; a :class:`DataError` saying whether it is missing or something else."""
    source = Path(path)
    if not source.exists():
        raise DataError(f"figure {os.fspath(source)!r} does not exist")
    try:
        if source.is_file():
            with open(source, "rb") as f:  # the signature only: a 3 GB file is not read to check 8 bytes
                is_png = f.read(8) == b"\x89PNG\r\n\x1a\n"
        else:
            is_png = False
    except OSError as exc:
        raise DataError(f"cannot read figure {os.fspath(source)!r}: {exc.strerror or exc}") from None
    if not is_png:
        raise DataError(f"figure {os.fspath(source)!r} is not a PNG file")
    return source


def add_entry(root: str | os.PathLike[str], entry: dict[str, Any], figure_source: str | os.PathLike[str] | None = None) -> Path:
    """File ``entry`` as ``root/results/<id>.json``; reject a duplicate. Nothing is written on error.

    A duplicate is an entry with the same id, or one that already holds a run of the same
    checkpoint scored with the same protocol. ``figure_source`` (a PNG) is copied to
    ``root/<entry["figures"]["grid"]>``.
    """
    check_entry(entry)
    with leaderboard_lock(root):  # the duplicate check and the write, as one step among writers
        return _file_entry(Path(root), entry, figure_source)


def _new_entry_path(root: Path, entry: dict[str, Any], existing: list[Entry]) -> Path:
    """Where ``entry`` is filed, once it is known to duplicate none of ``existing`` (by id or checkpoint)."""
    for other in existing:
        if other.id == entry["id"]:
            raise DataError(f"duplicate entry: id {entry['id']!r} is already filed in {other.path}")
        shared = _shared_checkpoint(entry, other)
        if shared:
            raise DataError(f"duplicate entry: checkpoint {shared[:12]}… is already scored in {other.path}")
    results = root / RESULTS_DIR
    target = results / f"{entry['id']}.json"
    # The schema's id pattern already keeps the id a plain name; this keeps it so whatever the schema says.
    if target.resolve().parent != results.resolve() or Path(entry["id"]).name != entry["id"]:
        raise DataError(f"entry id {entry['id']!r} would leave {results}; an id is a plain file name")
    return target


def add_entries(root: str | os.PathLike[str], entries: list[dict[str, Any]],
                files: list[tuple[Path, bytes]] | None = None) -> list[Path]:
    """File several entries, and write ``files`` (their checkpoints, say) with them, as one step: all or none.

    Every entry is checked first (schema, ids and checkpoints distinct among them and from the
    filed entries, under the leaderboard's lock); then every file is written to a temporary file,
    and only when all are written are they renamed into place (``files`` first, so an entry is never
    filed before what it needs). An error at any point leaves the leaderboard and ``files``' targets as they were.
    """
    for entry in entries:
        check_entry(entry, label=f"entry {entry.get('id')!r}" if isinstance(entry, dict) else "entry")
    checked: list[Entry] = []
    for entry in entries:
        _new_entry_path(Path(root), entry, checked)  # two of the batch that would be one entry are refused too
        checked.append(Entry(entry, Path(f"<the entry {entry['id']!r} being filed with it>")))
    with leaderboard_lock(root):
        root = Path(root)
        existing = load_entries(root) if (root / RESULTS_DIR).is_dir() else []
        targets = [_new_entry_path(root, entry, existing) for entry in entries]
        others = [path for path, _ in files or []]
        made = [folder for folder in {root / RESULTS_DIR, *(p.parent for p in others)} if not folder.exists()]
        try:
            # atomic_paths renames the last target first: the files go in before the entries that refer to them.
            with atomic_paths([*targets, *others]) as tmps:
                for entry, tmp in zip(entries, tmps):
                    tmp.write_text(dumps_record(entry) + "\n", encoding="utf-8")
                for (_, data), tmp in zip(files or [], tmps[len(targets):]):
                    tmp.write_bytes(data)
        except BaseException:
            for folder in made:
                try:
                    folder.rmdir()  # made for this step and left empty by its failure
                except OSError:
                    pass
            raise
    return targets


def _file_entry(root: Path, entry: dict[str, Any], figure_source: str | os.PathLike[str] | None) -> Path:
    existing = load_entries(root) if (root / RESULTS_DIR).is_dir() else []
    target = _new_entry_path(root, entry, existing)
    results = root / RESULTS_DIR
    results.mkdir(exist_ok=True)
    grid = entry.get("figures", {}).get("grid")
    if figure_source is not None:
        if grid is None:
            raise DataError("a figure was given but the entry names no figures.grid path")
        source = check_png(figure_source)
        (root / FIGURES_DIR).mkdir(exist_ok=True)
        with atomic_path(root / grid) as tmp:
            shutil.copyfile(source, tmp)
    try:
        write_text_atomic(target, dumps_record(entry) + "\n")
    except BaseException:
        if figure_source is not None:
            (root / grid).unlink(missing_ok=True)
        raise
    return target

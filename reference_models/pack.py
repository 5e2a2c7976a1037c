"""A reproduction's runs packed for the trip back from a borrowed GPU, and unpacked for filing on a CPU.

A GPU window returns at most 8 files of at most 16 MiB (64 MiB together), and the machine is
gone afterwards, so ``interpbench reproduce --minutes M --pack DIR`` scores every run it trained
on the device and writes into ``DIR``:

* ``pack.json``: the format, provenance, and per run its trail, paper-style figure, training
  summary, scores (:class:`~interpbench.result.Result` records), probes, and where its weights are;
* ``weights.partNN`` (at most 7): the runs' slim checkpoints (weights and trail, as bundled
  checkpoints are; :func:`~reference_models.bundle_export.export_bundle`), one byte stream cut
  into parts. Seed 0 of every model comes before seed 1 of any; a run whose weights do not fit
  under the cap keeps its scores and is listed with ``weights: null``.

The scores are of those very slim files (scored after export), so the sha256 a result records is
the sha256 of the bytes in the pack. Writing needs only torch and the standard library; no
jsonschema, no Ray: those are not on the GPU image. :func:`unpack` (on the CPU) checks every
file's size and sha256, writes each run's slim checkpoint out and files one leaderboard entry
per model and budget, validated against the entry schema. A run stopped before its budget is
filed with the kimg it trained and the preset ``custom``, never under its preset's name.
"""

from __future__ import annotations

import hashlib
import json
import os
import re
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from interpbench.atomic import write_bytes_atomic, write_text_atomic
from interpbench.errors import DataError, OptionError

__all__ = ["PACK_FORMAT", "PACK_NAME", "MAX_FILES", "MAX_FILE_BYTES", "MAX_TOTAL_BYTES", "PackedRun", "write_pack",
           "read_pack", "unpack"]

PACK_FORMAT = "interpbench-pack/1"
PACK_NAME = "pack.json"
MAX_FILES = 8  # what one device command brings back
MAX_FILE_BYTES = 16 * 2**20
MAX_TOTAL_BYTES = 64 * 2**20
PART_BYTES = 15 * 2**20  # parts stay under MAX_FILE_BYTES with room to spare
MANIFEST_ROOM = 2 * 2**20  # kept free for pack.json (trails and 5-seed results of 21 runs are ~1 MB)
_PART = re.compile(r"weights\.part\d{2}")


@dataclass
class PackedRun:
    """One trained run as the pack carries it."""

    model: str
    seed: int
    slim_checkpoint: Path  # the exported slim checkpoint that was scored
    summary: dict[str, Any]  # TrainRun.to_dict()
    result: dict[str, Any]  # Result.to_dict() of the slim checkpoint
    probes: dict[str, float] | None = None
    extra: dict[str, Any] = field(default_factory=dict)


def _sha256(data: bytes) -> str:
    return hashlib.sha256(data).hexdigest()


def write_pack(directory: str | os.PathLike[str], runs: Sequence[PackedRun], provenance: dict[str, Any],
               echo: Callable[[str], None] = print) -> Path:
    """Write ``runs`` into ``directory`` (created; must hold no earlier pack); returns pack.json's path."""
    directory = Path(directory)
    if directory.exists() and any(directory.iterdir()):
        raise OptionError(f"--pack {str(directory)!r} is not empty; pack into a new or empty folder")
    ordered = sorted(runs, key=lambda r: (r.extra.get("seed_rank", 0), r.extra.get("model_rank", 0)))
    budget = min(MAX_TOTAL_BYTES - MANIFEST_ROOM, (MAX_FILES - 1) * PART_BYTES)
    stream = bytearray()
    entries = []
    for run in ordered:
        data = run.slim_checkpoint.read_bytes()
        weights: dict[str, Any] | None = None
        if len(stream) + len(data) <= budget:
            weights = {"offset": len(stream), "bytes": len(data), "sha256": _sha256(data)}
            stream += data
        else:
            echo(f"pack: {run.model} seed {run.seed}: weights left out ({len(data) / 2**20:.1f} MiB would pass the "
                 f"{budget / 2**20:.0f} MiB cap); its scores are packed")
        entries.append({"model": run.model, "seed": run.seed, "weights": weights, "summary": run.summary,
                        "result": run.result, "probes": run.probes})
    parts = [bytes(stream[i : i + PART_BYTES]) for i in range(0, len(stream), PART_BYTES)]
    files = {f"weights.part{i:02d}": {"bytes": len(p), "sha256": _sha256(p)} for i, p in enumerate(parts)}
    manifest = {"format": PACK_FORMAT, "provenance": provenance, "files": files, "runs": entries}
    text = json.dumps(manifest, indent=1, allow_nan=False) + "\n"
    if len(text.encode()) > MAX_FILE_BYTES:
        raise DataError(f"the pack's manifest would be {len(text.encode()) / 2**20:.1f} MiB, over the 16 MiB a file may be")
    directory.mkdir(parents=True, exist_ok=True)
    for name, part in zip(files, parts):
        write_bytes_atomic(directory / name, part)
    path = directory / PACK_NAME
    write_text_atomic(path, text)  # last: a pack without its manifest is visibly incomplete
    return path


def read_pack(directory: str | os.PathLike[str]) -> tuple[dict[str, Any], bytes]:
    """The checked manifest of the pack in ``directory`` and its weights stream; :class:`DataError` on any flaw."""
    from interpbench.jsonfile import read_json_object

    directory = Path(directory)
    path = directory / PACK_NAME
    if not path.is_file():
        raise DataError(f"{str(directory)!r} holds no {PACK_NAME}; is it a folder written by reproduce --pack?")
    if path.stat().st_size > MAX_FILE_BYTES:
        raise DataError(f"{str(path)!r} is larger than a packed manifest can be (16 MiB)")
    manifest = read_json_object(path, "pack manifest")
    if manifest.get("format") != PACK_FORMAT:
        raise DataError(f"{str(path)!r} has format {manifest.get('format')!r}, not {PACK_FORMAT!r}")
    files, runs = manifest.get("files"), manifest.get("runs")
    if not isinstance(files, dict) or not isinstance(runs, list) or len(files) > MAX_FILES - 1:
        raise DataError(f"{str(path)!r} lists its files or runs wrongly (at most {MAX_FILES - 1} weight parts)")
    stream = bytearray()
    for i, (name, meta) in enumerate(sorted(files.items())):
        # Only the pack's own part names: a manifest must not point outside its folder.
        if name != f"weights.part{i:02d}" or not _PART.fullmatch(name) or not isinstance(meta, dict):
            raise DataError(f"{str(path)!r} names an unexpected file {name!r}")
        part = directory / name
        if not part.is_file() or part.stat().st_size != meta.get("bytes") or part.stat().st_size > MAX_FILE_BYTES:
            raise DataError(f"{str(part)!r} is missing or not the {meta.get('bytes')} bytes the manifest says")
        data = part.read_bytes()
        if _sha256(data) != meta.get("sha256"):
            raise DataError(f"{str(part)!r} does not have the sha256 the manifest says; the pack is damaged")
        stream += data
    for run in runs:
        if not isinstance(run, dict) or not {"model", "seed", "weights", "summary", "result"} <= set(run):
            raise DataError(f"{str(path)!r} has a run record without model, seed, weights, summary and result")
        w = run["weights"]
        if w is not None:
            if not (isinstance(w, dict) and isinstance(w.get("offset"), int) and isinstance(w.get("bytes"), int)
                    and 0 <= w["offset"] and w["offset"] + w["bytes"] <= len(stream)):
                raise DataError(f"{str(path)!r}: the weights of {run['model']} seed {run['seed']} lie outside the packed parts")
            if _sha256(bytes(stream[w["offset"] : w["offset"] + w["bytes"]])) != w.get("sha256"):
                raise DataError(f"{str(path)!r}: the weights of {run['model']} seed {run['seed']} do not have their sha256")
    return manifest, bytes(stream)


def _filing_label(summary: dict[str, Any]) -> tuple[str, float]:
    """The preset and kimg an entry is filed under: a run stopped before its budget is ``custom`` at the kimg it trained."""
    done = float(summary["steps"]) * float(summary["config"]["batch_size"]) / 1024.0
    if summary.get("finished"):
        return str(summary["preset"]), float(summary["kimg"])
    return "custom", done


def unpack(directory: str | os.PathLike[str], leaderboard: str | os.PathLike[str] | None = None,
           runs_out: str | os.PathLike[str] | None = None, echo: Callable[[str], None] = print) -> list[Path]:
    """Check the pack in ``directory``, write its slim checkpoints to ``runs_out`` (default ``DIR/runs``) and file
    one entry per model and budget in ``leaderboard`` (default ``DIR/leaderboard``); returns the entries' paths.

    All or none: everything is checked first (files, hashes, every run's records, each entry against
    the schema, duplicates among them and with the filed entries, checkpoints already there), then
    the checkpoints and entries are written together (:func:`~interpbench.leaderboard.entries.add_entries`),
    so a flaw in the last run, or a full disk, files nothing.
    """
    from interpbench.leaderboard.entries import add_entries

    directory = Path(directory)
    manifest, stream = read_pack(directory)
    board = Path(leaderboard) if leaderboard is not None else directory / "leaderboard"
    out = Path(runs_out) if runs_out is not None else directory / "runs"
    checkpoints, entries = _entries_of(manifest, stream, out)
    for target, data in checkpoints.items():
        if target.exists() and (not target.is_file() or target.stat().st_size != len(data) or target.read_bytes() != data):
            raise OptionError(f"{str(target)!r} already exists with other contents; unpack into another --runs-out")
    made = [folder for folder in (board, out) if not folder.exists()]
    if leaderboard is None:
        board.mkdir(exist_ok=True)  # the pack's own default folder; a folder the user names must exist
    try:
        paths = add_entries(board, entries, files=list(checkpoints.items()))
    except BaseException:
        for folder in made:  # only if still empty: made here and nothing filed
            _remove_empty(folder)
        raise
    for path in paths:
        echo(f"filed {path}")
    return paths


def _remove_empty(folder: Path) -> None:
    try:
        (folder / "results").rmdir() if (folder / "results").is_dir() else None
        folder.rmdir()
    except OSError:
        pass


def _entries_of(manifest: dict[str, Any], stream: bytes, out: Path) -> tuple[dict[Path, bytes], list[dict[str, Any]]]:
    """The slim checkpoints to write (target -> bytes) and the entries to file, all checked; a
    :class:`DataError` naming the run for a record that is malformed."""
    from interpbench.leaderboard import entry_from_results

    groups: dict[tuple[str, str, float], list[dict[str, Any]]] = {}
    for i, run in enumerate(manifest["runs"]):
        try:
            groups.setdefault((str(run["model"]), *_filing_label(run["summary"])), []).append(run)
        except (KeyError, TypeError, ValueError, AttributeError) as exc:
            raise DataError(f"the pack's run {i + 1} ({run.get('model')!r} seed {run.get('seed')!r}) has a malformed "
                            f"training summary ({type(exc).__name__}: {exc}); nothing was filed") from None
    checkpoints: dict[Path, bytes] = {}
    entries = []
    for (model, preset, kimg), runs in groups.items():
        records = []
        try:
            for run in sorted(runs, key=lambda r: int(r["seed"])):
                record = json.loads(json.dumps(run["result"]))  # a copy to relabel
                record["model"]["preset"], record["model"]["kimg"] = preset, kimg
                if run["weights"] is not None:
                    w = run["weights"]
                    target = out / f"{model}-s{int(run['seed'])}-{kimg:g}kimg.pt"
                    if Path(target.name).name != target.name or target.parent != out:
                        raise DataError(f"model name {model!r} is not a plain file name")
                    if record["model"].get("checkpoint_sha256") != w["sha256"]:
                        raise DataError(f"the packed result of {model} seed {run['seed']} scored other weights than the packed ones")
                    if target in checkpoints:
                        raise DataError(f"two packed runs of {model} seed {run['seed']} at {kimg:g} kimg")
                    checkpoints[target] = stream[w["offset"] : w["offset"] + w["bytes"]]
                records.append(record)
            s = runs[0]["summary"]
            stopped = "" if s.get("finished") else (
                f"; stopped by the deadline at {kimg:g} of {float(s['kimg']):g} kimg of preset {s['preset']}'s schedule")
            entries.append(entry_from_results(
                records, probes=runs[0].get("probes") or None, labels=[f"{model} seed {r['seed']}" for r in runs],
                notes=f"interpbench reproduce --pack on {manifest['provenance'].get('hardware', 'an unrecorded device')}: "
                      f"{len(runs)} training seeds, scored there{stopped}"))
        except DataError as exc:
            raise DataError(f"the pack's runs of {model!r}: {exc}; nothing was filed") from None
        except (KeyError, TypeError, ValueError, AttributeError) as exc:
            raise DataError(f"the pack's runs of {model!r} hold a malformed record ({type(exc).__name__}: {exc}); "
                            "nothing was filed") from None
    return checkpoints, entries

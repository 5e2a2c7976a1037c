"""Benchmark results as records: headline numbers, per-seed arrays and provenance, to and from JSON."""

from __future__ import annotations

import hashlib
import json
import math
import os
import re
import zipfile
from collections.abc import Callable, Sequence
from contextlib import ExitStack
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import numpy as np

from .atomic import atomic_paths, folder_lock, fsync_folder, recover_commits, resolve_target, write_named_by_content
from .errors import DataError, InterpbenchError, OptionError
from .jsonfile import dumps_record, read_json_object
from .metrics import COLLAPSE_SPREAD, defined_smoothness, geodesic_error, geodesic_errors, is_collapsed, path_geodesic_error
from .scoring import PathScores
from .suites import get_suite

__all__ = ["NOT_COMPARABLE", "STORED_METRICS", "Protocol", "SeedScore", "Result", "RESULT_FORMAT", "undefined_text", "smoothness_text", "images_path",
           "save_results"]

RESULT_FORMAT = "interpbench-result"
RESULT_FORMAT_VERSION = 1
# An images file is named by a plain file name beside its result: no separators, no drive letters.
_PLAIN_NAME = re.compile(r"[^/\\:\x00]+")
_SHA256 = re.compile(r"[0-9a-f]{64}")

# Why results of different protocols are never ranked together: one sentence every refusal ends with.
NOT_COMPARABLE = ("scores at another number of pairs P, steps N, seeds or path kind are not comparable "
                  "(Smoothness and the geodesic error change with N, Mean Distance with the path kind), so they are not ranked together")

# Per-seed metrics a result stores (each a PathScores field), in the order tables print them.
STORED_METRICS = ("mean_distance", "smoothness", "smoothness_defined", "geodesic_error", "long_way_fraction",
                  "reconstruction_error", "output_spread")

# (label, metric, display scale, format) of Result.table's rows; n_undefined sits beside Smoothness.
TABLE_ROWS = (
    ("Mean Distance (×10⁻³)", "mean_distance", 1e3, "{:.4f}"),
    ("Smoothness", "smoothness", 1.0, "{:.4f}"),
    ("undefined Smoothness", "n_undefined", 1.0, ""),
    ("Smoothness, defined paths", "smoothness_defined", 1.0, "{:.4f}"),
    ("geodesic error", "geodesic_error", 1.0, "{:.4f}"),
    ("long-way fraction", "long_way_fraction", 1.0, "{:.3f}"),
    ("reconstruction MSE", "reconstruction_error", 1.0, "{:.2e}"),
    ("output spread", "output_spread", 1.0, "{:.3f}"),
)


@dataclass(frozen=True)
class Protocol:
    """How the endpoints and paths were drawn (SPEC §3)."""

    pairs: int
    steps: int
    path: str
    seeds: tuple[int, ...]
    bank_size: int
    suite: str = "lines"

    def to_dict(self) -> dict[str, Any]:
        return {"pairs": self.pairs, "steps": self.steps, "path": self.path, "seeds": list(self.seeds), "bank_size": self.bank_size,
                "suite": self.suite}


@dataclass
class SeedScore:
    """Scores of one protocol seed, with the endpoint angles and (optionally) the decoded images."""

    seed: int
    scores: PathScores
    endpoint_angles: np.ndarray  # (pairs, 2) true angles of start and end images
    images: np.ndarray | None = None  # (pairs, steps, 32, 32) decoded, raw


def _mean_std(values: list[float]) -> tuple[float, float]:
    arr = np.asarray(values, dtype=np.float64)
    with np.errstate(invalid="ignore", over="ignore"):  # an overflowed (inf) value has no spread: NaN, stored as null
        return float(arr.mean()), float(arr.std(ddof=0))


@dataclass
class Result:
    """What :func:`interpbench.score` returns: headline numbers over seeds plus everything behind them."""

    model: dict[str, Any]
    protocol: Protocol
    seeds: list[SeedScore]
    provenance: dict[str, Any] = field(default_factory=dict)
    # Failed pre-scoring sanity checks: [{"code": "value_range" | "reconstruction", "message": ...}].
    warnings: list[dict[str, str]] = field(default_factory=list)
    # Where a loaded result's decoded images were referenced (set by load; None otherwise).
    images_file: str | None = field(default=None, repr=False, compare=False)

    # ---------------------------------------------------------------- headline
    @property
    def name(self) -> str:
        return str(self.model.get("name", "model"))

    def per_seed(self, metric: str) -> list[float]:
        """One headline metric (a :class:`PathScores` field) for every seed, in seed order."""
        return [getattr(s.scores, metric) for s in self.seeds]

    @property
    def mean_distance(self) -> float:
        return _mean_std(self.per_seed("mean_distance"))[0]

    @property
    def mean_distance_std(self) -> float:
        return _mean_std(self.per_seed("mean_distance"))[1]

    @property
    def smoothness(self) -> float:
        return _mean_std(self.per_seed("smoothness"))[0]

    @property
    def smoothness_std(self) -> float:
        return _mean_std(self.per_seed("smoothness"))[1]

    @property
    def geodesic_error(self) -> float:
        """Mean over seeds of the geodesic error (docs/SPEC.md §X1): 0 = every image on the true path, on time."""
        return _mean_std(self.per_seed("geodesic_error"))[0]

    @property
    def geodesic_error_std(self) -> float:
        return _mean_std(self.per_seed("geodesic_error"))[1]

    @property
    def n_undefined(self) -> int:
        return int(sum(self.per_seed("n_undefined")))

    @property
    def collapsed(self) -> bool:
        """True when, for every seed, the decoded images are all one image (see :func:`interpbench.metrics.output_spread`)."""
        spreads = self.per_seed("output_spread")
        return all(s is not None and is_collapsed(s) for s in spreads)

    @property
    def images(self) -> np.ndarray | None:
        """Decoded images of all seeds, (seeds, pairs, steps, 32, 32), if they were kept."""
        if any(s.images is None for s in self.seeds):
            return None
        return np.stack([s.images for s in self.seeds])

    # ------------------------------------------------------------------ output
    def to_frame(self, per: str = "seed") -> Any:
        """The scores as a pandas DataFrame: one row per protocol seed (``per="seed"``, the default) with
        every scalar metric, or one row per interpolation (``per="path"``: seed, pair, Smoothness,
        geodesic error, start and end angle). Model name and protocol are in ``df.attrs``."""
        import pandas as pd

        if per == "seed":
            fields = ("mean_distance", "smoothness", "n_undefined", "long_way_fraction", "geodesic_error",
                      "smoothness_defined", "reconstruction_error", "output_spread")
            rows = [{"seed": s.seed, **{f: getattr(s.scores, f, None) for f in fields}} for s in self.seeds]
        elif per == "path":
            rows = [{"seed": s.seed, "pair": i, "smoothness": float(s.scores.path_smoothness[i]),
                     "geodesic_error": float(s.scores.path_geodesic_error[i]),
                     "start_angle": float(s.endpoint_angles[i, 0]), "end_angle": float(s.endpoint_angles[i, 1])}
                    for s in self.seeds for i in range(len(s.scores.path_smoothness))]
        else:
            raise ValueError(f"per must be 'seed' or 'path', got {per!r}")
        frame = pd.DataFrame(rows)
        import dataclasses

        frame.attrs.update(model=self.model.get("name"), protocol=dataclasses.asdict(self.protocol))
        return frame

    def table(self) -> str:
        """A readable summary: each metric's mean ± std over seeds and the per-seed values."""
        p = self.protocol
        lines = [
            f"model: {self.name}{_training_note(self.model)}",
            f"protocol: {p.suite} suite, {p.path}, {p.pairs} pairs × {p.steps} steps, bank {p.bank_size}, "
            f"seeds {', '.join(map(str, p.seeds))}",
            "",
            f"{'metric':<26}{'mean':>10}{'± std':>10}   per seed",
        ]
        undefined = self.per_seed("n_undefined")
        for label, metric, scale, fmt in TABLE_ROWS:
            if metric == "n_undefined":  # printed right under Smoothness: the aggregate counts these paths as 0
                lines.append(f"{label:<26}{f'{sum(undefined)} of {p.pairs * len(undefined)}':>20}   "
                             + "  ".join(f"{u} of {p.pairs}" for u in undefined))
                continue
            raw = self.per_seed(metric)
            if all(v is None for v in raw):
                continue
            if metric in ("smoothness", "smoothness_defined") and any(math.isnan(v) for v in raw):
                lines.append(self._undefined_smoothness_row(label, raw, fmt))
                continue
            values = [v * scale for v in raw]
            mean, std = _mean_std(values)
            lines.append(
                f"{label:<26}{fmt.format(mean):>10}{fmt.format(std):>10}   " + "  ".join(fmt.format(v) for v in values)
            )
        if self.collapsed:
            lines.append("collapsed: the decoded images are all one image (output spread < "
                         f"{COLLAPSE_SPREAD} of the data's), whatever the code")
        prov = self.provenance
        if prov:
            lines += ["", f"interpbench {prov.get('package_version')} · spec {prov.get('spec_version')} · {prov.get('hardware')}"]
        return "\n".join(lines)

    def _undefined_smoothness_row(self, label: str, raw: list[float], fmt: str) -> str:
        """Smoothness when some seed has every interpolation undefined: no mean, "undefined" per seed."""
        total, n = self.n_undefined, self.protocol.pairs * len(raw)
        cells = ["undefined" if math.isnan(v) else fmt.format(v) for v in raw]
        return f"{label:<26}{undefined_text(total, n):>20}   " + "  ".join(cells)

    def to_dict(self, per_path: bool = True) -> dict[str, Any]:
        """A JSON-ready dict; ``per_path=False`` leaves out the per-interpolation arrays."""
        metrics: dict[str, Any] = {}
        for metric in STORED_METRICS:
            values = self.per_seed(metric)
            if any(v is None for v in values):
                continue
            mean, std = _mean_std(values)
            metrics[metric] = {"mean": _num(mean), "std": _num(std), "per_seed": [_num(v) for v in values]}
        metrics["n_undefined"] = {"total": self.n_undefined, "per_seed": self.per_seed("n_undefined")}
        seeds = []
        for s in self.seeds:
            entry: dict[str, Any] = {"seed": s.seed}
            if per_path:
                entry.update(
                    endpoint_angles=s.endpoint_angles.tolist(),
                    path_smoothness=[_num(v) for v in s.scores.path_smoothness],
                    path_geodesic_error=s.scores.path_geodesic_error.tolist(),
                    distances=s.scores.distances.tolist(),
                    angles=s.scores.angles.tolist(),
                )
            seeds.append(entry)
        return {
            "format": RESULT_FORMAT,
            "format_version": RESULT_FORMAT_VERSION,
            "model": self.model,
            "protocol": self.protocol.to_dict(),
            "metrics": metrics,
            "seeds": seeds,
            "provenance": self.provenance,
            "warnings": list(self.warnings),
        }

    def to_json(self, per_path: bool = True) -> str:
        return json.dumps(self.to_dict(per_path=per_path), indent=1, allow_nan=False)

    def save(self, path: str | os.PathLike[str], per_path: bool = True, images: bool = True) -> None:
        """Write the result as JSON, and its decoded images beside it, so that no kill leaves one without the other.

        With ``images`` (and images kept), the decoded images go to ``<stem>.images.<digest>.npz``
        next to ``path`` (compressed, float32: figures need no more), referenced from the JSON by
        file name and sha256, so :func:`interpbench.figures` and ``interpbench plot`` can draw
        from the saved result without re-scoring. See :func:`save_results` for the order of writes.
        """
        save_results([(self, path)], per_path=per_path, images=images)

    def _write_images(self, target: Path, made: list[Path]) -> dict[str, Any]:
        """Write this result's images beside ``target`` under a name made from their sha256; the JSON's ``images`` record."""
        stem = _stem(target)

        def write(tmp: Path) -> None:
            with open(tmp, "wb") as f:
                np.savez_compressed(f, images=self.images.astype(np.float32), seeds=np.asarray(self.protocol.seeds))

        digest: list[str] = []

        def name(tmp: Path) -> str:
            digest.append(_sha256(tmp))
            return _images_name(stem, digest[0])

        file, existed = write_named_by_content(target.parent, f"{stem}.images.", ".npz", write, name)
        if not existed:
            made.append(file)
        return {
            "file": file.name,
            "sha256": digest[0],
            "format": "npz",
            "arrays": {"images": "(seeds, pairs, steps, 32, 32) float32, decoded, [-1, 1] convention", "seeds": "protocol seeds"},
        }

    # ------------------------------------------------------------------- input
    @classmethod
    def from_dict(cls, data: dict[str, Any]) -> Result:
        """Rebuild a result from :meth:`to_dict` output (it must include the per-path arrays)."""
        try:
            if data.get("format") != RESULT_FORMAT:
                raise DataError(f"not an interpbench result (format is {data.get('format')!r})")
            proto = data["protocol"]
            protocol = Protocol(
                pairs=int(proto["pairs"]),
                steps=int(proto["steps"]),
                path=str(proto["path"]),
                seeds=tuple(int(s) for s in proto["seeds"]),
                bank_size=int(proto["bank_size"]),
                suite=str(proto.get("suite", "lines")),  # records from before suites existed are lines
            )
            try:
                space = get_suite(protocol.suite).space
            except OptionError as exc:
                raise DataError(f"result of an unknown suite: {exc}") from None
            metrics = data["metrics"]
            seeds = []
            for i, entry in enumerate(data["seeds"]):
                if "distances" not in entry:
                    raise DataError("result has no per-path arrays (saved with per_path=False) and cannot be reloaded")
                distances = np.asarray(entry["distances"], dtype=np.float64)
                angles = np.asarray(entry["angles"], dtype=np.float64)
                path_smoothness = np.asarray([np.nan if v is None else v for v in entry["path_smoothness"]], dtype=np.float64)
                recon = metrics.get("reconstruction_error", {}).get("per_seed", [None] * (i + 1))[i]
                spread = metrics.get("output_spread", {}).get("per_seed", [None] * (i + 1))[i]
                ends = np.asarray(entry["endpoint_angles"], dtype=np.float64)
                # Records written before the geodesic error existed hold everything it is computed from.
                errors = geodesic_errors(angles, ends, space)
                stored = metrics.get("geodesic_error", {}).get("per_seed")
                scores = PathScores(
                    mean_distance=float(metrics["mean_distance"]["per_seed"][i]),
                    smoothness=_float(metrics["smoothness"]["per_seed"][i]),
                    n_undefined=int(metrics["n_undefined"]["per_seed"][i]),
                    n_paths=int(distances.shape[0]),
                    n_steps=int(distances.shape[1]),
                    long_way_fraction=float(metrics["long_way_fraction"]["per_seed"][i]),
                    distances=distances,
                    angles=angles,
                    path_smoothness=path_smoothness,
                    geodesic_error=float(stored[i]) if stored else geodesic_error(errors),
                    path_geodesic_error=np.asarray(entry.get("path_geodesic_error") or path_geodesic_error(errors), dtype=np.float64),
                    endpoint_angles=ends,
                    smoothness_defined=defined_smoothness(path_smoothness),
                    reconstruction_error=None if recon is None else float(recon),
                    output_spread=None if spread is None else float(spread),
                )
                seeds.append(
                    SeedScore(seed=int(entry["seed"]), scores=scores, endpoint_angles=ends)
                )
            return cls(model=dict(data["model"]), protocol=protocol, seeds=seeds, provenance=dict(data.get("provenance", {})),
                       warnings=[dict(w) for w in data.get("warnings", [])])
        except DataError:
            raise
        except (KeyError, TypeError, ValueError, IndexError, AttributeError) as exc:
            raise DataError(f"malformed result record: {type(exc).__name__}: {exc}") from None

    @classmethod
    def load(cls, path: str | os.PathLike[str], images: bool = True) -> Result:
        """Read a result JSON file written by :meth:`save`, with its decoded images when it references them.

        A referenced images file that is missing leaves ``images`` unset (figures then say so);
        one whose sha256 differs from the recorded one is a :class:`DataError`. A save of
        several results that a killed process left half done is finished first.
        """
        recover_commits(Path(path).resolve().parent)
        data = read_json_object(path, "result file")
        result = cls.from_dict(data)
        ref = data.get("images")
        if images and ref is not None:
            file, sha256 = _images_reference(ref, Path(path))
            result.images_file = str(file)
            if file.is_file():
                result._attach_images(file, sha256)
        return result

    def _attach_images(self, file: Path, sha256: str) -> None:
        p = self.protocol
        shape = (len(p.seeds), p.pairs, p.steps, 32, 32)
        # The hash streams the file (bounded memory); then the declared sizes, before anything is
        # inflated: a zip bomb, a .npy renamed .npz or a wrong shape is refused unread.
        if _sha256(file) != sha256:
            raise DataError(f"images file {str(file)!r} does not match the sha256 its result records (changed or truncated)")
        _check_images_npz(file, shape)
        try:
            with np.load(file, allow_pickle=False) as npz:
                stack = np.asarray(npz["images"], dtype=np.float64)
        except (OSError, ValueError, KeyError, zipfile.BadZipFile) as exc:
            raise DataError(f"images file {str(file)!r} cannot be read: {exc}") from None
        if stack.shape != shape:
            raise DataError(f"images file {str(file)!r} holds shape {stack.shape}, not the result's {shape}")
        for seed, seed_images in zip(self.seeds, stack):
            seed.images = seed_images


def _images_reference(ref: Any, result_path: Path) -> tuple[Path, str]:
    """The images file a result's ``images`` record names, and its sha256; a :class:`DataError` unless
    it is a plain file name beside the result (data must never make us read elsewhere)."""
    where = f"result file {os.fspath(result_path)!r}"
    if not isinstance(ref, dict):
        raise DataError(f"{where}: 'images' must be an object naming a file and its sha256")
    name, sha256 = ref.get("file"), ref.get("sha256")
    if not isinstance(name, str) or not _PLAIN_NAME.fullmatch(name) or name in (".", ".."):
        raise DataError(f"{where}: images.file {name!r} is not a plain file name beside the result "
                        "(no directories, no '..', no absolute path)")
    if not name.endswith(".npz"):
        raise DataError(f"{where}: images.file {name!r} is not an .npz file")
    if not isinstance(sha256, str) or not _SHA256.fullmatch(sha256):
        raise DataError(f"{where}: images.sha256 is missing or not 64 hex digits, so {name!r} cannot be checked")
    return result_path.parent / name, sha256


def _check_images_npz(file: Path, shape: tuple[int, ...]) -> None:
    """Refuse an images file whose zip directory or array header disagrees with ``shape`` (float32)."""
    expected = int(np.prod(shape)) * 4
    try:
        with zipfile.ZipFile(file) as archive:
            members = {info.filename: info for info in archive.infolist()}
            info = members.get("images.npy")
            if info is None:
                raise DataError(f"images file {str(file)!r} holds no 'images' array")
            # The npy header is at most 64 KiB (format 2.0's limit is larger but never written by numpy for 5 dims).
            if info.file_size > expected + 65_536 or sum(i.file_size for i in members.values()) > expected + (1 << 20):
                raise DataError(f"images file {str(file)!r} declares {info.file_size:,} bytes of images; "
                                f"the result's {shape} need {expected:,}")
            with archive.open(info) as f:
                version = np.lib.format.read_magic(f)
                header = (np.lib.format.read_array_header_1_0 if version == (1, 0) else np.lib.format.read_array_header_2_0)(f)
    except DataError:
        raise
    except (zipfile.BadZipFile, OSError, ValueError, EOFError) as exc:
        raise DataError(f"images file {str(file)!r} is not a readable .npz archive (truncated, or another format): {exc}") from None
    stored, _, dtype = header
    if tuple(stored) != shape or dtype != np.float32:
        raise DataError(f"images file {str(file)!r} holds {dtype} of shape {tuple(stored)}, not the result's float32 {shape}")


def save_results(items: Sequence[tuple[Result, str | os.PathLike[str]]], others: Sequence[str | os.PathLike[str]] = (),
                 write_others: Callable[[list[Path]], None] | None = None, per_path: bool = True, images: bool = True) -> None:
    """Save results (each with its images file) and ``others`` (figures, written by ``write_others``
    into temporary files), so that no error and no kill leaves a result that refers to images it did not write.

    1. Each result's images go to a new file named by its content (``<stem>.images.<sha256[:16]>.npz``),
       renamed into place: the result on disk, old or new, never names it yet, so a kill here
       leaves at most an unreferenced file.
    2. The JSON files and ``others`` are written to temporary files, then renamed over their
       targets (all of them, or on an error none): a JSON on disk only ever names images already in place.
    3. Images files of these results that their JSON on disk no longer names (the previous ones,
       or the leftovers of a killed save) are removed; a killed save's temporary files go at the
       next write of their file (:mod:`interpbench.atomic`).

    Saves in one folder hold an OS lock on it, so two never interleave (on POSIX).
    """
    targets = [resolve_target(path) for _, path in items]  # a symlink's images go beside the file it names
    if len(set(targets)) != len(targets):
        raise OptionError("two results would be saved to one file")
    folders = sorted({t.parent for t in targets}, key=str)  # one order, so two savers never wait on each other
    with ExitStack() as locks:
        for folder in folders:
            try:
                folder.mkdir(parents=True, exist_ok=True)  # as any atomic write does (the CLI checks its folders exist first)
            except OSError as exc:
                raise OptionError(f"cannot write results in {os.fspath(folder)!r}: {exc.strerror or exc}") from None
            locks.enter_context(folder_lock(folder, f"results in {os.fspath(folder)!r}"))
        made: list[Path] = []  # images files this save created
        try:
            refs = [result._write_images(target, made) if images and result.images is not None else None
                    for (result, _), target in zip(items, targets)]
            _fsync_folders(folders)  # the images' names are stored before any JSON names them
            with atomic_paths([*targets, *others]) as tmps:
                for (result, _), ref, tmp in zip(items, refs, tmps):
                    data = result.to_dict(per_path=per_path)
                    if ref is not None:
                        data["images"] = ref
                    tmp.write_text(dumps_record(data) + "\n", encoding="utf-8")
                if write_others is not None:
                    write_others(tmps[len(targets):])
        except BaseException:
            named = {_named_images(t) for t in targets}
            for file in made:
                if file.name not in named:
                    file.unlink(missing_ok=True)
            raise
        finally:
            # Run on success and on failure alike: whatever the JSON on disk names is kept, all else of ours goes.
            for target in targets:
                _remove_unreferenced(target)


def _fsync_folders(folders: Sequence[Path]) -> None:
    for folder in folders:
        fsync_folder(folder)


def _named_images(target: Path) -> str | None:
    """The images file name the result at ``target`` records; None if none, or if it cannot be read."""
    try:
        ref = read_json_object(target, "result file").get("images")
    except (InterpbenchError, OSError, ValueError):
        return None
    return ref.get("file") if isinstance(ref, dict) else None


def _remove_unreferenced(target: Path) -> None:
    """Remove the images files of ``target``'s stem that the JSON at ``target`` does not name (the
    previous ones, or a killed save's). Called with the folder's lock held, so none of them belongs
    to a save in progress. A JSON that cannot be read (not a result) leaves its images alone."""
    stem = _stem(target)
    keep: str | None = None
    if target.exists():
        try:
            ref = read_json_object(target, "result file").get("images")
        except (InterpbenchError, OSError, ValueError):
            return
        keep = ref.get("file") if isinstance(ref, dict) else None
    named = re.compile(re.escape(stem) + r"\.images(\.[0-9a-f]{16})?\.npz")
    try:
        entries = list(os.scandir(target.parent))
    except OSError:
        return
    for entry in entries:
        if entry.name != keep and named.fullmatch(entry.name):
            try:
                if entry.is_file(follow_symlinks=False):
                    os.unlink(entry.path)
            except OSError:
                pass  # left for the next save; a reader ignores it either way


def _stem(path: Path) -> str:
    return path.name[: -len(".json")] if path.name.endswith(".json") else path.name


def _images_name(stem: str, sha256: str) -> str:
    """The images file of a result ``<stem>.json`` whose images hash to ``sha256``."""
    return f"{stem}.images.{sha256[:16]}.npz"


def images_path(result_path: str | os.PathLike[str]) -> Path | None:
    """The images file the result saved at ``result_path`` names (``<stem>.images.<digest>.npz`` beside it), or None."""
    ref = read_json_object(result_path, "result file").get("images")
    return None if ref is None else _images_reference(ref, Path(result_path))[0]


def _sha256(path: Path) -> str:
    digest = hashlib.sha256()
    with open(path, "rb") as f:
        for block in iter(lambda: f.read(1 << 20), b""):
            digest.update(block)
    return digest.hexdigest()


def undefined_text(k: int, n: int) -> str:
    """How every table writes undefined Smoothness counts: "undefined (k of n)"."""
    return f"undefined ({k} of {n})"


def smoothness_text(mean: float | None, std: float | None, n_undefined: int, n_paths: int, fmt: str = "{:.3f}") -> str:
    """Smoothness as "mean ± std", or "undefined (k of n)" when there is no number."""
    if mean is None or math.isnan(mean):
        return undefined_text(n_undefined, n_paths)
    return f"{fmt.format(mean)} ± {fmt.format(std or 0.0)}"


def _training_note(model: dict[str, Any]) -> str:
    """' (cpu preset, 256 kimg, ...)' for a trained model's table header; '' for adapters."""
    if not model.get("preset") or not model.get("kimg"):
        return ""
    parts = ["bundled checkpoint"] if model.get("bundled") else []
    parts += [f"{model['preset']} preset", f"{model['kimg']:g} kimg", f"training seed {model.get('train_seed')}"]
    note = "" if model["preset"] == "paper" else "; reduced budget, not a paper reproduction"
    return f" ({', '.join(parts)}{note})"


def _num(value: float | None) -> float | None:
    """JSON has no NaN or inf: undefined values (and ones that overflowed, such as the squared error of a
    decoder whose output is 1e300 times too bright) are stored as null."""
    if value is None or not math.isfinite(value):
        return None
    return float(value)


def _float(value: float | None) -> float:
    return float("nan") if value is None else float(value)

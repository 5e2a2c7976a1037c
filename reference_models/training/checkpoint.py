"""Checkpoints: one ``torch.save`` file, written atomically, read back with ``weights_only=True``.

A checkpoint holds everything a run needs to continue bit-exactly (weights and buffers, every
optimiser's state, the torch and data-stream RNG states, step count) and everything a result
needs for provenance (model name and config, preset, budget, seed, evaluation trail, versions).
"""

from __future__ import annotations

import hashlib
import io
import math
import os
import pickle
import pickletools
import warnings
import zipfile
from collections.abc import Callable
from pathlib import Path
from typing import Any

import torch

from interpbench._version import __version__
from interpbench.atomic import atomic_path
from interpbench.errors import CheckpointError
from interpbench.limits import MAX_KIMG, MAX_SECONDS
from interpbench.spec import SPEC_VERSION

__all__ = ["CHECKPOINT_FORMAT", "save_checkpoint", "read_checkpoint", "check_metadata", "file_sha256"]

CHECKPOINT_FORMAT = "interpbench-checkpoint"
CHECKPOINT_FORMAT_VERSION = 1
_REQUIRED = ("model", "config", "state_dict", "seed", "step", "kimg_done")


def save_checkpoint(path: str | os.PathLike[str], payload: dict[str, Any]) -> None:
    """Write ``payload`` plus format and version stamps; a reader never sees a half-written file."""
    record = {
        "format": CHECKPOINT_FORMAT,
        "format_version": CHECKPOINT_FORMAT_VERSION,
        "package_version": __version__,
        "spec_version": SPEC_VERSION,
        "torch_version": str(torch.__version__),
        **payload,
    }
    # Serialised in memory, then written as plain bytes: torch.save straight to a full disk fails
    # with an opaque "unexpected pos" RuntimeError, a plain write with ENOSPC, which atomic_path
    # reports as one sentence (and the previous checkpoint stays as it was).
    buffer = io.BytesIO()
    torch.save(record, buffer)
    with atomic_path(path) as tmp:
        tmp.write_bytes(buffer.getbuffer())


def read_checkpoint(path: str | os.PathLike[str], expected_model: str | None = None) -> dict[str, Any]:
    """Load and validate a checkpoint; every problem becomes a one-sentence :class:`CheckpointError`."""
    path = Path(path)
    if not path.is_file():
        raise CheckpointError(f"checkpoint {str(path)!r} does not exist")
    try:
        with warnings.catch_warnings():  # torch warns about unusual pickle protocols of files it then refuses
            warnings.simplefilter("ignore", UserWarning)
            record = torch.load(path, map_location="cpu", weights_only=True)
    except Exception as exc:  # noqa: BLE001 - zip, pickle and EOF errors all mean "unreadable"
        imports = _pickle_imports(path) if isinstance(exc, pickle.UnpicklingError) else None
        if imports:
            # A whole, well-formed pickle that the weights-only loader refused: it asks to run code.
            raise CheckpointError(
                f"{str(path)!r} is not a safe checkpoint file: loading it would import {', '.join(imports[:3])}, "
                "so it was refused unread (interpbench never runs code from a checkpoint)"
            ) from None
        raise CheckpointError(
            f"checkpoint {str(path)!r} is corrupt or truncated and cannot be read ({type(exc).__name__})"
        ) from None
    if not isinstance(record, dict) or record.get("format") != CHECKPOINT_FORMAT:
        raise CheckpointError(f"{str(path)!r} is not an interpbench checkpoint")
    missing = [k for k in _REQUIRED if k not in record]
    if missing:
        raise CheckpointError(f"checkpoint {str(path)!r} lacks {', '.join(missing)}")
    check_metadata(record, f"checkpoint {str(path)!r}")
    if record.get("format_version", 0) > CHECKPOINT_FORMAT_VERSION:
        raise CheckpointError(f"checkpoint {str(path)!r} was written by a newer interpbench ({record.get('package_version')})")
    if expected_model is not None and record["model"] != expected_model:
        raise CheckpointError(f"checkpoint {str(path)!r} holds a {record['model']} model, not {expected_model}")
    return record


def _integer(low: int, high: int) -> Callable[[Any], bool]:
    return lambda v: isinstance(v, int) and not isinstance(v, bool) and low <= v <= high


def _number(low: float, high: float, low_open: bool = False) -> Callable[[Any], bool]:
    def test(v: Any) -> bool:
        if isinstance(v, bool) or not isinstance(v, (int, float)) or not math.isfinite(v):
            return False
        return (v > low if low_open else v >= low) and v <= high

    return test


def _optional(test: Callable[[Any], bool]) -> Callable[[Any], bool]:
    return lambda v: v is None or test(v)


def _is(*kinds: type) -> Callable[[Any], bool]:
    return lambda v: isinstance(v, kinds) and not isinstance(v, bool)


def _trail_entry(v: Any) -> bool:
    if not isinstance(v, dict) or not _number(0, MAX_KIMG)(v.get("kimg")) or not _integer(0, 2**63 - 1)(v.get("step")):
        return False
    # Metrics: numbers or null (an overflowed decoder's Mean Distance may honestly be inf).
    return all(_optional(_is(int, float))(v.get(k)) for k in ("mean_distance", "smoothness", "output_spread"))


# A checkpoint's metadata is a record like any other: each field's test and what it must be. A
# crafted file (kimg_done a string, train_seconds NaN, trail items of the wrong kind) is then one
# sentence here rather than a traceback, or silent nonsense, wherever the field is used.
_FIELDS: dict[str, tuple[Callable[[Any], bool], str]] = {
    "model": (_is(str), "a model name"),
    "config": (_is(dict), "an object of config fields"),
    "state_dict": (_is(dict), "a mapping of tensors"),
    "format_version": (_integer(1, 2**31), "a positive integer"),
    "seed": (_integer(0, 2**63 - 1), "a non-negative 64-bit integer"),
    "step": (_integer(0, 2**63 - 1), "a non-negative integer"),
    "kimg_done": (_number(0, MAX_KIMG), f"a number from 0 to {MAX_KIMG:g}"),
    "kimg_target": (_optional(_number(0, MAX_KIMG, low_open=True)), f"a number above 0, at most {MAX_KIMG:g}"),
    "train_seconds": (_optional(_number(0, MAX_SECONDS)), "a finite non-negative number of seconds"),
    "preset": (_optional(_is(str)), "a preset name"),
    "bf16": (_optional(lambda v: isinstance(v, bool)), "true or false"),
    "hardware": (_optional(_is(str)), "a description"),
    "package_version": (_optional(_is(str)), "a version string"),
    "spec_version": (_optional(_is(str)), "a version string"),
    "torch_version": (_optional(_is(str)), "a version string"),
    "eval": (_optional(_is(dict)), "an object"),
    "trail": (_optional(lambda v: isinstance(v, list) and all(_trail_entry(e) for e in v)),
              "a list of evaluations, each with a finite kimg, an integer step and numeric (or null) metrics"),
}


def check_metadata(record: dict[str, Any], what: str) -> None:
    """Raise :class:`CheckpointError` naming the first metadata field of ``record`` of the wrong type or range."""
    for key, (test, wanted) in _FIELDS.items():
        if key in record and not test(record[key]):
            shown = repr(record[key])
            shown = shown if len(shown) <= 40 else shown[:39] + "…"
            raise CheckpointError(f"{what} is malformed: {key} is {shown}, but must be {wanted}")


# What the weights-only loader itself rebuilds; any other import in a pickle is what makes it unsafe.
_SAFE_MODULES = ("torch", "collections", "numpy", "_codecs")


def _pickle_imports(path: Path) -> list[str] | None:
    """The imports a checkpoint's pickle would make outside what a weights-only load allows.

    A torch zip archive is read by torch's ``get_unsafe_globals_in_checkpoint``, a raw pickle with
    ``pickletools``; both parse opcodes and execute nothing. ``None`` when there is no complete
    pickle to read (garbage, truncated): that file is corrupt rather than unsafe.
    """
    if zipfile.is_zipfile(path):
        # torch's own scan of a torch.save archive checks each import against the very allowlist
        # the weights-only loader uses (a prefix test such as "torch.*" would pass torch.hub.load).
        try:
            unsafe = torch.serialization.get_unsafe_globals_in_checkpoint(path)
        except Exception:  # noqa: BLE001 - an archive torch cannot read is corrupt, not unsafe
            return None
        return list(dict.fromkeys(unsafe)) or None
    # A raw pickle (pickle.dump, or torch.save's legacy format), which torch's scan does not read.
    try:
        ops = list(pickletools.genops(path.read_bytes()))
    except Exception:  # noqa: BLE001 - zip and opcode errors alike mean "not a complete pickle"
        return None
    if not ops or ops[-1][0].name != "STOP":
        return None
    found: list[str] = []
    strings: list[str] = []
    for opcode, arg, _ in ops:
        if opcode.name == "GLOBAL":
            found.append(str(arg).replace(" ", "."))
        elif opcode.name == "STACK_GLOBAL" and len(strings) >= 2:
            found.append(f"{strings[-2]}.{strings[-1]}")
        if isinstance(arg, str):
            strings.append(arg)
    unsafe = [name for name in dict.fromkeys(found) if name.split(".")[0] not in _SAFE_MODULES]
    return unsafe or None


def file_sha256(path: str | os.PathLike[str]) -> str:
    digest = hashlib.sha256()
    with open(path, "rb") as f:
        for chunk in iter(lambda: f.read(1 << 20), b""):
            digest.update(chunk)
    return digest.hexdigest()

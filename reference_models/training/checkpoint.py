"""Checkpoints: one ``torch.save`` file, written atomically, read back with ``weights_only=True``.

A checkpoint holds everything a run needs to continue bit-exactly (weights and buffers, every
optimiser's state, the torch and data-stream RNG states, step count) and everything a result
needs for provenance (model name and config, preset, budget, seed, evaluation trail, versions).
"""

from __future__ import annotations

import hashlib
import os
import pickle
import pickletools
import warnings
import zipfile
from pathlib import Path
from typing import Any

import torch

from interpbench._version import __version__
from interpbench.atomic import atomic_path
from interpbench.errors import CheckpointError
from interpbench.spec import SPEC_VERSION

__all__ = ["CHECKPOINT_FORMAT", "save_checkpoint", "read_checkpoint", "file_sha256"]

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
    with atomic_path(path) as tmp:
        torch.save(record, tmp)


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
    if record.get("format_version", 0) > CHECKPOINT_FORMAT_VERSION:
        raise CheckpointError(f"checkpoint {str(path)!r} was written by a newer interpbench ({record.get('package_version')})")
    if expected_model is not None and record["model"] != expected_model:
        raise CheckpointError(f"checkpoint {str(path)!r} holds a {record['model']} model, not {expected_model}")
    return record


# What the weights-only loader itself rebuilds; any other import in a pickle is what makes it unsafe.
_SAFE_MODULES = ("torch", "collections", "numpy", "_codecs")


def _pickle_imports(path: Path) -> list[str] | None:
    """The imports a checkpoint's pickle would make outside what a weights-only load allows.

    Read with ``pickletools`` (which parses opcodes and executes nothing), from a torch zip
    archive's ``data.pkl`` or from a raw pickle. ``None`` when there is no complete pickle to read
    (garbage, truncated): that file is corrupt rather than unsafe.
    """
    try:
        if zipfile.is_zipfile(path):
            with zipfile.ZipFile(path) as archive:
                member = next((n for n in archive.namelist() if n.endswith("data.pkl")), None)
                if member is None:
                    return None
                data = archive.read(member)
        else:
            data = path.read_bytes()
        ops = list(pickletools.genops(data))
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

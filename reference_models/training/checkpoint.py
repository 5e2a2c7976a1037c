"""Checkpoints: one ``torch.save`` file, written atomically, read back with ``weights_only=True``.

A checkpoint holds everything a run needs to continue bit-exactly (weights and buffers, every
optimiser's state, the torch and data-stream RNG states, step count) and everything a result
needs for provenance (model name and config, preset, budget, seed, evaluation trail, versions).
"""

from __future__ import annotations

import hashlib
import os
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
        record = torch.load(path, map_location="cpu", weights_only=True)
    except Exception as exc:  # noqa: BLE001 - zip, pickle and EOF errors all mean "unreadable"
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


def file_sha256(path: str | os.PathLike[str]) -> str:
    digest = hashlib.sha256()
    with open(path, "rb") as f:
        for chunk in iter(lambda: f.read(1 << 20), b""):
            digest.update(chunk)
    return digest.hexdigest()

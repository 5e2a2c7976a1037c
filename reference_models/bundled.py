"""Checkpoints shipped inside the package: which file holds each model's weights, and its sha256.

A bundled checkpoint is a training checkpoint with the optimiser and RNG states dropped (they
matter only for resuming): weights, config, preset, budget, seed, evaluation trail and training
time. The registry (:mod:`reference_models.registry`) names the file and its sha256 per model;
:func:`bundled_checkpoint` refuses a file whose hash differs, so a corrupt or swapped file is
caught before its weights are used.
"""

from __future__ import annotations

import os
from pathlib import Path
from typing import Any, NamedTuple

from interpbench.errors import CheckpointError

from .training.checkpoint import file_sha256, read_checkpoint, save_checkpoint

__all__ = ["BundledCheckpoint", "BUNDLE_DIR", "bundled_checkpoint", "export_bundle"]

BUNDLE_DIR = Path(__file__).resolve().parent / "checkpoints"

# What a bundle keeps of a training checkpoint (read_checkpoint's required keys among them).
_KEEP = ("model", "config", "state_dict", "seed", "step", "kimg_done", "kimg_target", "preset", "trail", "eval",
         "bf16", "train_seconds", "hardware", "package_version", "spec_version", "torch_version")


class BundledCheckpoint(NamedTuple):
    """A checkpoint file under ``reference_models/checkpoints/`` and the sha256 it must have."""

    file: str
    sha256: str
    preset: str
    kimg: float

    @property
    def path(self) -> Path:
        return BUNDLE_DIR / self.file


def bundled_checkpoint(name: str, bundle: BundledCheckpoint | None) -> Path:
    """The verified path of model ``name``'s bundled checkpoint; a clear error if absent or altered."""
    if bundle is None:
        raise CheckpointError(f"no bundled checkpoint for {name}; train one with `interpbench train {name}` and pass --checkpoint")
    path = bundle.path
    if not path.is_file():
        raise CheckpointError(f"the bundled {name} checkpoint {str(path)!r} is missing from this installation; reinstall interpbench")
    digest = file_sha256(path)
    if digest != bundle.sha256:
        raise CheckpointError(
            f"the bundled {name} checkpoint {str(path)!r} has sha256 {digest[:12]}…, not the registered "
            f"{bundle.sha256[:12]}…; the file is corrupt or was replaced"
        )
    return path


def export_bundle(checkpoint: str | os.PathLike[str], dest: str | os.PathLike[str]) -> tuple[Path, str]:
    """Write the shippable part of training ``checkpoint`` to ``dest``; returns (path, sha256).

    The weights go through the model's ``compact_state`` (VQ-VAE keeps its used codebook
    entries exactly and the rest in float16); loading expands them again.
    """
    from .registry import build  # the registry names bundles, so it imports this module first

    record: dict[str, Any] = read_checkpoint(checkpoint)
    payload = {k: record[k] for k in _KEEP if k in record}
    payload["state_dict"] = build(record["model"], **record["config"]).compact_state(record["state_dict"])
    # save_checkpoint stamps the versions of *this* export; keep the training run's own stamps.
    trained_with = {k: payload.pop(k) for k in ("package_version", "spec_version", "torch_version") if k in payload}
    payload["trained_with"] = trained_with
    dest = Path(dest)
    save_checkpoint(dest, payload)
    return dest, file_sha256(dest)


"""Checkpoints shipped inside the package: which file holds each model's weights, and its sha256.

A bundled checkpoint is a training checkpoint with the optimiser and RNG states dropped (they
matter only for resuming): weights, config, preset, budget, seed, evaluation trail and training
time. The registry (:mod:`reference_models.registry`) names the file and its sha256 per model;
:func:`bundled_checkpoint` refuses a file whose hash differs, so a corrupt or swapped file is
caught before its weights are used. Writing a bundle is :mod:`reference_models.bundle_export`'s job (it
needs the registry, which imports this module).
"""

from __future__ import annotations

from pathlib import Path
from typing import NamedTuple

from interpbench.errors import CheckpointError

from .training.checkpoint import file_sha256

__all__ = ["BundledCheckpoint", "BUNDLE_DIR", "bundled_checkpoint", "BUNDLE_KEEP"]

BUNDLE_DIR = Path(__file__).resolve().parent / "checkpoints"

# What a bundle keeps of a training checkpoint (read_checkpoint's required keys among them).
BUNDLE_KEEP = ("model", "config", "state_dict", "seed", "step", "kimg_done", "kimg_target", "preset", "trail", "eval",
         "bf16", "train_seconds", "hardware", "package_version", "spec_version", "torch_version", "tf32")


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

"""Write a bundled checkpoint from a training checkpoint (the weights compacted by the model itself)."""

from __future__ import annotations

import os
from pathlib import Path
from typing import Any

from .bundled import BUNDLE_KEEP
from .registry import build
from .training.checkpoint import file_sha256, read_checkpoint, save_checkpoint

__all__ = ["export_bundle"]


def export_bundle(checkpoint: str | os.PathLike[str], dest: str | os.PathLike[str]) -> tuple[Path, str]:
    """Write the shippable part of training ``checkpoint`` to ``dest``; returns (path, sha256).

    The weights go through the model's ``compact_state`` (VQ-VAE keeps its used codebook
    entries exactly and the rest in float16); loading expands them again.
    """
    record: dict[str, Any] = read_checkpoint(checkpoint)
    payload = {k: record[k] for k in BUNDLE_KEEP if k in record}
    payload["state_dict"] = build(record["model"], **record["config"]).compact_state(record["state_dict"])
    # save_checkpoint stamps the versions of *this* export; keep the training run's own stamps.
    trained_with = {k: payload.pop(k) for k in ("package_version", "spec_version", "torch_version") if k in payload}
    payload["trained_with"] = trained_with
    dest = Path(dest)
    save_checkpoint(dest, payload)
    return dest, file_sha256(dest)


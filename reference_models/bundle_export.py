"""Write a bundled checkpoint from a training checkpoint (the weights compacted by the model itself)."""

from __future__ import annotations

import os
from pathlib import Path
from typing import Any

from .bundled import BUNDLE_KEEP
from .registry import build
from .loading import decoded_state
from .training.checkpoint import file_sha256, read_checkpoint, save_checkpoint
from .weight_codec import FULL_BITS, HALF_FULL_BITS, encode_state

__all__ = ["export_bundle"]


def export_bundle(checkpoint: str | os.PathLike[str], dest: str | os.PathLike[str], bits: int = FULL_BITS,
                  half_bits: int = HALF_FULL_BITS) -> tuple[Path, str]:
    """Write the shippable part of training ``checkpoint`` (or of a bundle) to ``dest``; returns (path, sha256).

    The weights go through the model's ``compact_state`` (VQ-VAE keeps its used codebook
    entries and the rest in float16), then float32 tensors are rounded to ``bits`` mantissa
    bits, float16 ones to ``half_bits``, and stored compressed (:mod:`~reference_models.weight_codec`;
    23 and 10 = lossless); loading expands them again.
    """
    record: dict[str, Any] = read_checkpoint(checkpoint)
    payload = {k: record[k] for k in BUNDLE_KEEP if k in record}
    model = build(record["model"], **record["config"])
    full = model.expand_state(decoded_state(record, str(checkpoint)))
    payload["state_dict"], payload["encoded_state"] = encode_state(model.compact_state(full), bits, half_bits)
    payload["weight_bits"] = int(bits)
    payload["weight_half_bits"] = int(half_bits)
    # save_checkpoint stamps the versions of *this* export; keep the training run's own stamps.
    trained_with = record.get("trained_with") or {
        k: payload.pop(k) for k in ("package_version", "spec_version", "torch_version") if k in payload}
    for k in ("package_version", "spec_version", "torch_version"):
        payload.pop(k, None)
    payload["trained_with"] = trained_with
    dest = Path(dest)
    save_checkpoint(dest, payload)
    return dest, file_sha256(dest)


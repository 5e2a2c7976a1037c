"""Smaller bundled weights: float32 tensors rounded to fewer mantissa bits, stored as compressed byte planes.

A trained float32 weight's top byte (sign and most of the exponent) takes few values, and the
mantissa's low bits are noise as far as the benchmark can tell. So a tensor is rounded (to
nearest) to ``bits`` mantissa bits, its 32-bit patterns are split into 4 byte planes (the
lowest then mostly zeros), and each plane is compressed with LZMA (standard library). Loading
gives float32 back, exact up to that rounding: a relative error of at most 2^-(bits+1) per
weight. ``bits=23`` is lossless. float16 tensors (VQ-VAE's never-used codes) are rounded to
``half_bits`` of their 10 and compressed the same way (``half_bits=10`` is lossless).

:func:`~reference_models.bundle_runs.main` picks, per bundle, the fewest bits whose bundle still
scores as the full checkpoint within the regression tolerance. Decoding is bounded: a tensor
never decompresses to more bytes than its recorded shape needs.
"""

from __future__ import annotations

import lzma
import math
from typing import Any

import numpy as np
import torch

__all__ = ["encode_state", "decode_state", "FULL_BITS", "HALF_FULL_BITS"]

FULL_BITS = 23  # float32's mantissa: lossless
HALF_FULL_BITS = 10  # float16's mantissa: lossless
_MAX_ELEMENTS = 2**28  # 1 GiB of float32: far above any reference model's tensor


def _round_to_nearest(patterns: np.ndarray, drop: int) -> np.ndarray:
    """Bit ``patterns`` with their lowest ``drop`` bits rounded off (to nearest, ties away from 0)."""
    if drop == 0:
        return patterns.copy()
    return ((patterns + (1 << (drop - 1))) >> drop) << drop  # a carry into the exponent is correct rounding


def _round_mantissa(values: np.ndarray, bits: int) -> np.ndarray:
    """The uint32 patterns of float32 ``values`` rounded to nearest at ``bits`` mantissa bits (ties away from 0)."""
    wide = values.view(np.uint32).astype(np.uint64)  # room for the carry out of the top bit
    return _round_to_nearest(wide, FULL_BITS - bits).astype(np.uint32)


def _round_half_mantissa(values: np.ndarray, bits: int) -> np.ndarray:
    """The float16 ``values``' 16-bit patterns (as uint32) rounded to nearest at ``bits`` mantissa bits."""
    patterns = values.view(np.uint16).astype(np.uint32)
    drop = HALF_FULL_BITS - bits
    rounded = _round_to_nearest(patterns, drop)
    # One past the largest finite half would make an infinity: such a value keeps its pattern truncated instead.
    overflow = ((rounded & 0x7C00) == 0x7C00) & ((patterns & 0x7C00) != 0x7C00)
    return np.where(overflow, (patterns >> drop) << drop, rounded)


def encode_state(state: dict[str, torch.Tensor], bits: int,
                 half_bits: int = HALF_FULL_BITS) -> tuple[dict[str, torch.Tensor], dict[str, Any]]:
    """Split ``state`` into (the tensors kept as they are, the encoded float32 and float16 tensors).

    float32 tensors keep ``bits`` mantissa bits, float16 ones ``half_bits`` (10: lossless).
    """
    if not 1 <= bits <= FULL_BITS:
        raise ValueError(f"bits must be 1..{FULL_BITS}, got {bits}")
    if not 1 <= half_bits <= HALF_FULL_BITS:
        raise ValueError(f"half_bits must be 1..{HALF_FULL_BITS}, got {half_bits}")
    kept, encoded = {}, {}
    for name, tensor in state.items():
        if tensor.dtype not in (torch.float32, torch.float16) or tensor.numel() < 64:  # small: not worth a header
            kept[name] = tensor
            continue
        values = tensor.detach().cpu().contiguous().numpy().ravel()
        if tensor.dtype == torch.float16:  # already reduced (VQ-VAE's never-used codes)
            patterns, width, kept_bits = _round_half_mantissa(values, half_bits), 2, half_bits
        else:
            patterns, width, kept_bits = _round_mantissa(values, bits), 4, bits
        planes = [lzma.compress(((patterns >> (8 * (width - 1 - i))) & 0xFF).astype(np.uint8).tobytes(), preset=6)
                  for i in range(width)]
        encoded[name] = {"shape": list(tensor.shape), "bits": int(kept_bits), "dtype": str(tensor.dtype).removeprefix("torch."),
                         "planes": [torch.frombuffer(bytearray(p), dtype=torch.uint8) for p in planes]}
    return kept, encoded


def decode_state(kept: dict[str, torch.Tensor], encoded: dict[str, Any], source: str) -> dict[str, torch.Tensor]:
    """The float32 state back from :func:`encode_state`'s output; ``ValueError`` for a malformed entry."""
    state = dict(kept)
    for name, entry in encoded.items():
        shape = [int(s) for s in entry["shape"]]
        n = math.prod(shape)
        dtype = entry.get("dtype", "float32")
        width = {"float32": 4, "float16": 2}.get(dtype)
        if width is None or n > _MAX_ELEMENTS or any(s < 0 for s in shape) or len(entry["planes"]) != width:
            raise ValueError(f"{source}: encoded tensor {name!r} has a bad dtype, shape or plane count")
        planes = []
        for plane in entry["planes"]:
            decoder = lzma.LZMADecompressor()
            raw = decoder.decompress(plane.numpy().tobytes(), max_length=n + 1)  # never more than the shape needs
            if len(raw) != n or not decoder.eof:
                raise ValueError(f"{source}: encoded tensor {name!r} does not decode to its shape {shape}")
            planes.append(np.frombuffer(raw, dtype=np.uint8).astype(np.uint32))
        patterns = np.zeros(n, dtype=np.uint32)
        for plane in planes:
            patterns = (patterns << 8) | plane
        if width == 4:
            state[name] = torch.from_numpy(patterns.view(np.float32).reshape(shape).copy())
        else:
            state[name] = torch.from_numpy(patterns.astype(np.uint16).view(np.float16).reshape(shape).copy())
    return state

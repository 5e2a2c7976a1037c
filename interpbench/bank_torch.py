"""The nearest-line search in torch, for scoring on an accelerator (the training engine's trail on a GPU).

It returns the bank index the NumPy search (:mod:`interpbench.bank`) returns: cosine similarity
to all 10,000 lines in float64 (one matmul per chunk), the first maximum; where another line
comes within rounding of the best (the two searches sum in different orders), those few images
are settled by the NumPy search itself, so near-ties resolve exactly as on the CPU.
"""

from __future__ import annotations

from functools import lru_cache

import numpy as np

from .bank import line_bank

__all__ = ["nearest_line_torch"]

# Cosines closer than this to an image's best could be ranked differently by the CPU search's
# different summation order (float64 rounding is ~1e-16 here); such images go to the CPU search.
_TIE_TOLERANCE = 1e-12
_CHUNK = 2048


@lru_cache(maxsize=4)
def _bank_on(device: str):  # type: ignore[no-untyped-def]
    import torch

    bank = line_bank()
    ink = torch.as_tensor(bank.ink, dtype=torch.float64, device=device)
    norms = torch.as_tensor(bank.norms, dtype=torch.float64, device=device)
    return ink, norms


def nearest_line_torch(images, device: str | None = None):  # type: ignore[no-untyped-def]
    """(distances, indices) of the nearest bank line of each image, as float64 / int64 torch tensors.

    ``images``: a tensor or array of shape (n, 32, 32) or (n, 1024). Computed on ``device``
    (default: the tensor's own, else CPU). Distances are ½‖x̂ − L̂‖² (cosine distance without
    the cancellation of 1 − cos); a zero image has distance 1 and index 0.
    """
    import torch

    x = torch.as_tensor(images)
    dev = torch.device(device) if device is not None else x.device
    x = x.to(dev, torch.float64).reshape(x.shape[0], -1)
    if x.shape[1] != 1024:
        raise ValueError(f"images must have 32×32 or 1,024 pixels, got shape {tuple(images.shape)}")
    if not torch.isfinite(x).all():
        raise ValueError("images contain NaN or inf; nearest lines are undefined")
    ink, line_norms = _bank_on(str(dev))
    norms = x.norm(dim=1)
    zero = norms == 0
    safe = torch.where(zero, torch.ones_like(norms), norms)
    index = torch.empty(x.shape[0], dtype=torch.int64, device=dev)
    unsure = torch.zeros(x.shape[0], dtype=torch.bool, device=dev)
    for lo in range(0, x.shape[0], _CHUNK):
        chunk = x[lo : lo + _CHUNK]
        cos = (2.0 * chunk @ ink.T - chunk.sum(1, keepdim=True)) / (safe[lo : lo + _CHUNK, None] * line_norms[None, :])
        best, where = cos.max(dim=1)
        index[lo : lo + _CHUNK] = where
        near = (cos >= best[:, None] - _TIE_TOLERANCE * (1.0 + best.abs()[:, None])).sum(1)
        unsure[lo : lo + _CHUNK] = near > 1
    index[zero] = 0
    unsure &= ~zero
    if bool(unsure.any()):
        rows = torch.nonzero(unsure).flatten()
        cpu = line_bank().nearest(x[rows].cpu().numpy()).indices
        index[rows] = torch.as_tensor(cpu, device=dev)
    unit = x / safe[:, None]
    diff = unit - (2.0 * ink[index] - 1.0) / line_norms[index, None]
    distances = 0.5 * (diff * diff).sum(1)
    distances[zero] = 1.0
    return distances, index

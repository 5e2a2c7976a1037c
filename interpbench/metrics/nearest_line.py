"""Nearest true line of each image (SPEC §4): the distance behind Mean Distance and the angle behind Smoothness."""

from __future__ import annotations

import numpy as np

from ..bank import line_bank

__all__ = ["nearest_line"]


def nearest_line(images: np.ndarray, device: str | None = None) -> tuple[np.ndarray, np.ndarray]:
    """Cosine distance to, and angle of, the nearest of the 10,000 bank lines for each image.

    ``images`` has shape (n, 32, 32) or (n, 1024); any leading shape (e.g. paths × steps) is
    accepted as long as the last axes hold 32×32 or 1,024 pixels, and the outputs keep it.
    Ties go to the first bank line; a zero image has distance 1 and angle 0. ``device`` (a torch
    device, e.g. ``"cuda"``) runs the search there with :func:`interpbench.bank_torch.nearest_line_torch`,
    which picks the same lines.
    """
    x = np.asarray(images, dtype=np.float64)
    if x.ndim >= 2 and x.shape[-2:] == (32, 32):
        lead = x.shape[:-2]
    elif x.ndim >= 1 and x.shape[-1] == 1024:
        lead = x.shape[:-1]
    else:
        raise ValueError(f"images must end in 32×32 or 1,024 pixels, got shape {x.shape}")
    if device is not None:
        from ..bank_torch import nearest_line_torch

        distances, index = nearest_line_torch(x.reshape(-1, 1024), device=device)
        bank = line_bank()
        return distances.cpu().numpy().reshape(lead), bank.angles[index.cpu().numpy()].reshape(lead)
    found = line_bank().nearest(x.reshape(-1, 1024))
    return found.distances.reshape(lead), found.angles.reshape(lead)

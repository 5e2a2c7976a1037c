"""The training stream: fresh i.i.d. lines every batch, from a seeded NumPy generator whose state checkpoints.

Angles always come from NumPy (``default_rng``), so a run's data is the same on every device;
images are rasterised with NumPy on CPU (fastest there) and with the torch renderer on an
accelerator, so no images cross the bus.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

import numpy as np
import torch

from interpbench.manifold import draw_angles, render

from .render import render_torch

__all__ = ["LineStream", "StreamFactory"]

# (data seed, batch size, device) -> a stream with next() / state() / set_state(): LineStream, or a
# data set's DatasetStream bound to its images.
StreamFactory = Callable[[Any, int, torch.device], Any]


class LineStream:
    """Endless (batch, 1, 32, 32) float32 batches on ``device``; ``state``/``set_state`` resume it exactly."""

    def __init__(self, seed: int | np.random.SeedSequence, batch_size: int, device: torch.device | str = "cpu",
                 render_on_device: bool | None = None) -> None:
        self.rng = np.random.default_rng(seed)
        self.batch_size = int(batch_size)
        self.device = torch.device(device)
        self.render_on_device = self.device.type != "cpu" if render_on_device is None else render_on_device

    def next(self) -> torch.Tensor:
        angles = draw_angles(self.rng, self.batch_size)
        if self.render_on_device:
            return render_torch(torch.from_numpy(angles).to(self.device, non_blocking=True))
        images = render(angles).astype(np.float32)[:, None]
        return torch.from_numpy(images).to(self.device)

    def state(self) -> dict[str, Any]:
        return self.rng.bit_generator.state

    def set_state(self, state: dict[str, Any]) -> None:
        self.rng.bit_generator.state = state

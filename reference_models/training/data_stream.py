"""The training stream of a labelled data set: its training images, reshuffled every epoch, resumable.

Each epoch is a fresh permutation drawn from the run's data seed and the epoch number, so the
stream's whole state is two integers (epoch, position) and a resumed run draws exactly the
batches an uninterrupted one would. Batches never straddle an epoch boundary in a way that
repeats an image: a batch that runs past the end takes the rest from the next epoch's order.
"""

from __future__ import annotations

from typing import Any

import numpy as np
import torch

__all__ = ["DatasetStream"]


class DatasetStream:
    """Endless (batch, channels, 32, 32) float32 batches of ``images`` on ``device``; ``state``/``set_state`` resume it."""

    def __init__(self, images: np.ndarray | torch.Tensor, seed: int | np.random.SeedSequence, batch_size: int,
                 device: torch.device | str = "cpu") -> None:
        if images.ndim != 4 or images.shape[0] == 0:
            raise ValueError(f"a data set stream needs (n, channels, 32, 32) images, got shape {tuple(images.shape)}")
        self.device = torch.device(device)
        # On an accelerator the whole training part goes to the device once (a tensor already there is
        # shared, e.g. by the streams of batched seeds); no batch crosses the bus.
        if not isinstance(images, torch.Tensor):
            images = torch.from_numpy(np.ascontiguousarray(images, dtype=np.float32))
        self.images = images.to(self.device)
        self.batch_size = int(batch_size)
        entropy = seed.entropy if isinstance(seed, np.random.SeedSequence) else int(seed)
        self._entropy = int(entropy)
        self.epoch, self.position = 0, 0
        self._order = self._permutation(0)

    def _permutation(self, epoch: int) -> torch.Tensor:
        order = np.random.default_rng([self._entropy, int(epoch)]).permutation(self.images.shape[0])
        return torch.from_numpy(order).to(self.device)

    def next(self) -> torch.Tensor:
        parts, need = [], self.batch_size
        while need:
            take = min(need, self._order.numel() - self.position)
            parts.append(self._order[self.position : self.position + take])
            self.position += take
            need -= take
            if self.position == self._order.numel():
                self.epoch, self.position = self.epoch + 1, 0
                self._order = self._permutation(self.epoch)
        index = parts[0] if len(parts) == 1 else torch.cat(parts)
        return self.images.index_select(0, index)

    def state(self) -> dict[str, Any]:
        return {"epoch": self.epoch, "position": self.position}

    def set_state(self, state: dict[str, Any]) -> None:
        self.epoch, self.position = int(state["epoch"]), int(state["position"])
        self._order = self._permutation(self.epoch)

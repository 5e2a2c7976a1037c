"""The training stream: fresh i.i.d. images of a suite every batch, from a seeded NumPy generator whose state checkpoints.

The suite (:mod:`interpbench.suites`, default ``lines``) draws the factors and renders the
images. Factors always come from NumPy (``default_rng``), so a run's data is the same on every
device; images are rendered with NumPy on CPU (fastest there). On an accelerator a suite with a
torch renderer (:data:`~.render.DEVICE_RENDERERS`: lines) renders there, so no images cross the
bus; any other suite renders its block on the host and sends it in one pinned copy.

Resuming relies on each suite's ``draw`` consuming the generator the same way drawn in bulk as
batch by batch (NumPy's ``uniform`` does: one double per value, in order; tests check every
registered suite), so a block of batches is exactly the batches one at a time.

On an accelerator the stream works in blocks: the factors of ``block_steps`` batches are drawn at
once (NumPy's uniform stream is the same drawn in bulk as batch by batch, so the batches are
unchanged), copied to the device in one transfer from pinned memory, and rendered in one call.
Per step that leaves one slice: no host-to-device copy from pageable memory (which makes CUDA
wait for the queued work, every step, once per seed) and none of the renderer's ~85 kernel
launches per batch. ``state()`` is still the generator state after the batches served so far,
so checkpoints neither depend on the block size nor lose the drawn-ahead part of a block.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

import numpy as np
import torch

from interpbench.suites import Suite, get_suite

from .render import DEVICE_RENDERERS

__all__ = ["SuiteStream", "LineStream", "StreamFactory", "DEVICE_BLOCK_STEPS", "suite_stream_factory"]

# Batches drawn and rendered at once on an accelerator: 256 × 64 images = 16 MiB of fp32 per run.
DEVICE_BLOCK_STEPS = 256

# (data seed, batch size, device) -> a stream with next() / state() / set_state(): a SuiteStream, or a
# data set's DatasetStream bound to its images.
StreamFactory = Callable[[Any, int, torch.device], Any]


class SuiteStream:
    """Endless (batch, 1, 32, 32) float32 batches of ``suite`` on ``device``; ``state``/``set_state`` resume it exactly.

    ``block_steps`` (default: :data:`DEVICE_BLOCK_STEPS` on an accelerator, else 1) is how many
    batches are drawn and rendered together. ``render_on_device`` needs a torch renderer for the suite.
    """

    def __init__(self, seed: int | np.random.SeedSequence, batch_size: int, device: torch.device | str = "cpu",
                 render_on_device: bool | None = None, block_steps: int | None = None,
                 suite: str | Suite | None = None) -> None:
        self.suite = get_suite(suite)
        self.rng = np.random.default_rng(seed)
        self.batch_size = int(batch_size)
        self.device = torch.device(device)
        self.device_renderer = DEVICE_RENDERERS.get(self.suite.name)
        on_accelerator = self.device.type != "cpu"
        self.render_on_device = on_accelerator and self.device_renderer is not None if render_on_device is None else render_on_device
        if self.render_on_device and self.device_renderer is None:
            raise ValueError(f"the {self.suite.name} suite has no torch renderer; it renders on the host")
        # Host-rendered blocks on an accelerator too: one pinned copy per block instead of one per batch.
        self.block_steps = int(block_steps or (DEVICE_BLOCK_STEPS if on_accelerator else 1))
        if self.block_steps < 1:
            raise ValueError(f"block_steps must be at least 1, got {block_steps}")
        self._block: torch.Tensor | None = None  # the rendered batches of the current block
        self._block_state: dict[str, Any] | None = None  # generator state before the block was drawn
        self._served = 0  # batches of the current block handed out

    def next(self) -> torch.Tensor:
        if self._block is None or self._served == self.block_steps:
            self._fill()
        assert self._block is not None
        batch = self._block[self._served * self.batch_size : (self._served + 1) * self.batch_size]
        self._served += 1
        return batch

    def _fill(self) -> None:
        self._block_state = self.rng.bit_generator.state
        factors = self.suite.draw(self.rng, self.block_steps * self.batch_size)
        host = torch.from_numpy(factors if self.render_on_device else self.suite.render(factors).astype(np.float32)[:, None])
        if self.device.type == "cuda":
            host = host.pin_memory()  # a pinned source lets the copy run without waiting for the GPU
        moved = host.to(self.device, non_blocking=True)
        self._block = self.device_renderer(moved) if self.render_on_device else moved  # type: ignore[misc]
        self._served = 0

    def state(self) -> dict[str, Any]:
        """The generator state after the batches served so far (what a fresh stream resumes from)."""
        if self._block_state is None or self._served == self.block_steps:
            return self.rng.bit_generator.state
        # Replay the served part of the block from the state before it: exact, and cheap next to a checkpoint.
        replay = np.random.default_rng()
        replay.bit_generator.state = self._block_state
        self.suite.draw(replay, self._served * self.batch_size)
        return replay.bit_generator.state

    def set_state(self, state: dict[str, Any]) -> None:
        self.rng.bit_generator.state = state
        self._block, self._block_state, self._served = None, None, 0


# The stream of the paper's benchmark, under its historical name.
LineStream = SuiteStream


def suite_stream_factory(suite: str | Suite | None) -> StreamFactory:
    """Each run's :class:`SuiteStream` of ``suite``."""
    bench = get_suite(suite)
    return lambda seed, batch, device: SuiteStream(seed, batch, device, suite=bench)

"""The block-drawn line stream serves the same batches and checkpoints the same state as batch-by-batch drawing."""

from __future__ import annotations

import numpy as np
import torch

from interpbench.manifold import draw_angles
from reference_models.training.stream import LineStream


def test_numpys_uniform_stream_is_the_same_in_bulk() -> None:
    one, bulk = np.random.default_rng(5), np.random.default_rng(5)
    batches = np.concatenate([draw_angles(one, 64) for _ in range(9)])
    assert np.array_equal(batches, draw_angles(bulk, 9 * 64))
    assert one.bit_generator.state == bulk.bit_generator.state


def test_blocks_change_neither_the_batches_nor_the_checkpointed_state() -> None:
    plain = LineStream(11, 8, render_on_device=True, block_steps=1)
    blocked = LineStream(11, 8, render_on_device=True, block_steps=5)
    for step in range(12):  # across two block boundaries, ending mid-block
        assert torch.equal(plain.next(), blocked.next()), step
        assert plain.state() == blocked.state(), step


def test_a_stream_resumed_mid_block_continues_exactly() -> None:
    blocked = LineStream(3, 4, render_on_device=True, block_steps=6)
    for _ in range(8):
        blocked.next()
    resumed = LineStream(0, 4, render_on_device=True, block_steps=6)
    resumed.set_state(blocked.state())
    for _ in range(7):
        assert torch.equal(blocked.next(), resumed.next())


def test_the_numpy_and_torch_renderers_give_the_same_stream() -> None:
    numpy_side = LineStream(2, 16, render_on_device=False)
    torch_side = LineStream(2, 16, render_on_device=True)
    for _ in range(3):
        assert torch.allclose(numpy_side.next(), torch_side.next(), atol=1e-5)

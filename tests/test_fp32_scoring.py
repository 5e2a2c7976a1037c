"""Torch models are scored in full fp32: TF32 off inside encode/decode whatever PyTorch's default, restored after."""

from __future__ import annotations

import torch
from torch import nn

import interpbench


class _Recorder(nn.Module):
    """An identity autoencoder that notes the TF32 switches it runs under."""

    def __init__(self) -> None:
        super().__init__()
        self.seen: set[tuple[bool, bool]] = set()

    def _note(self) -> None:
        self.seen.add((torch.backends.cudnn.allow_tf32, torch.backends.cuda.matmul.allow_tf32))

    def encode(self, x: torch.Tensor) -> torch.Tensor:
        self._note()
        return x.flatten(1)

    def decode(self, z: torch.Tensor) -> torch.Tensor:
        self._note()
        return z.view(-1, 1, 32, 32)


def test_tf32_is_off_while_a_torch_model_runs_and_restored_after() -> None:
    before = torch.backends.cudnn.allow_tf32, torch.backends.cuda.matmul.allow_tf32
    torch.backends.cudnn.allow_tf32 = torch.backends.cuda.matmul.allow_tf32 = True  # as a user may have set them
    try:
        model = _Recorder()
        interpbench.score(model, seeds=[0], pairs=4, checks=False, keep_images=False)
        assert model.seen == {(False, False)}
        assert (torch.backends.cudnn.allow_tf32, torch.backends.cuda.matmul.allow_tf32) == (True, True)
    finally:
        torch.backends.cudnn.allow_tf32, torch.backends.cuda.matmul.allow_tf32 = before

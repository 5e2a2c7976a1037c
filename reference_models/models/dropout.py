"""Dropout autoencoder: the flattened latent goes through dropout while training only."""

from __future__ import annotations

from dataclasses import dataclass

import torch
import torch.nn.functional as F

from ..base import ModelConfig, ReferenceModel


@dataclass
class DropoutConfig(ModelConfig):
    keep_prob: float = 0.5


class Dropout(ReferenceModel):
    config_class = DropoutConfig
    config: DropoutConfig

    def losses(self, x: torch.Tensor, generator: torch.Generator) -> dict[str, torch.Tensor]:
        z = self.encode(x)
        keep = self.config.keep_prob
        # Our own mask (not F.dropout) so the draw comes from the run's generator and resumes exactly.
        mask = torch.rand(z.shape, generator=generator, device=z.device, dtype=z.dtype) < keep
        return {"ae": F.mse_loss(self.decode(z * mask / keep), x)}

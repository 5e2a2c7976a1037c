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

    def noise(self, batch: torch.Tensor, generator: torch.Generator) -> dict[str, torch.Tensor]:
        # Our own mask (not F.dropout) so the draw comes from the run's generator and resumes exactly.
        shape = (batch.shape[0], *self.code_shape)
        return {"uniform": torch.rand(shape, generator=generator, device=batch.device, dtype=batch.dtype)}

    def losses(self, x: torch.Tensor, noise: dict[str, torch.Tensor]) -> dict[str, torch.Tensor]:
        z = self.encode(x)
        keep = self.config.keep_prob
        mask = noise["uniform"] < keep
        return {"ae": F.mse_loss(self.decode(z * mask / keep), x)}

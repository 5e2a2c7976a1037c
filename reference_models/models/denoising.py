"""Denoising autoencoder: the encoder sees x + N(0, σ²) noise, the loss reconstructs the clean x."""

from __future__ import annotations

from dataclasses import dataclass

import torch
import torch.nn.functional as F

from ..base import ModelConfig, ReferenceModel


@dataclass
class DenoisingConfig(ModelConfig):
    noise_std: float = 1.0


class Denoising(ReferenceModel):
    config_class = DenoisingConfig
    config: DenoisingConfig

    def losses(self, x: torch.Tensor, generator: torch.Generator) -> dict[str, torch.Tensor]:
        noise = torch.randn(x.shape, generator=generator, device=x.device, dtype=x.dtype)
        return {"ae": F.mse_loss(self.decode(self.encode(x + self.config.noise_std * noise)), x)}

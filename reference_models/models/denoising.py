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

    def noise(self, batch: torch.Tensor, generator: torch.Generator) -> dict[str, torch.Tensor]:
        return {"pixels": torch.randn(batch.shape, generator=generator, device=batch.device, dtype=batch.dtype)}

    def losses(self, x: torch.Tensor, noise: dict[str, torch.Tensor]) -> dict[str, torch.Tensor]:
        return {"ae": F.mse_loss(self.decode(self.encode(x + self.config.noise_std * noise["pixels"])), x)}

"""Adversarial autoencoder: an MLP discriminator tells codes from N(0, I) samples (SPEC §5)."""

from __future__ import annotations

import math
from dataclasses import dataclass

import torch
import torch.nn.functional as F
from torch import nn

from ..base import ModelConfig, ReferenceModel
from ..networks import MLP


@dataclass
class AAEConfig(ModelConfig):
    disc_hidden: int = 100
    disc_layers: int = 2
    adversary_weight: float = 1.0
    disc_lr: float | None = None  # None: the same as lr (the paper used 1e-4 for both)


class AAE(ReferenceModel):
    config_class = AAEConfig
    config: AAEConfig
    log_keys = ("ae", "disc")

    def __init__(self, config: AAEConfig) -> None:
        super().__init__(config)
        width = config.latent * (32 >> config.scales) ** 2
        self.discriminator = MLP((width,) + (config.disc_hidden,) * config.disc_layers + (1,))

    def param_groups(self) -> dict[str, list[nn.Parameter]]:
        return {**super().param_groups(), "disc": list(self.discriminator.parameters())}

    def group_lr(self) -> dict[str, float]:
        return {} if self.config.disc_lr is None else {"disc": self.config.disc_lr}

    def noise(self, batch: torch.Tensor, generator: torch.Generator) -> dict[str, torch.Tensor]:
        shape = (batch.shape[0], math.prod(self.code_shape))
        return {"prior": torch.randn(shape, generator=generator, device=batch.device, dtype=batch.dtype)}

    def losses(self, x: torch.Tensor, noise: dict[str, torch.Tensor]) -> dict[str, torch.Tensor]:
        z = self.encode(x)
        mse = F.mse_loss(self.decode(z), x)
        codes = z.flatten(1)
        prior = noise["prior"]
        fake = self.discriminator(codes)
        # Non-saturating generator term: the encoder wants its codes called "prior".
        fool = F.binary_cross_entropy_with_logits(fake, torch.ones_like(fake))
        real_logit = self.discriminator(prior)
        fake_logit = self.discriminator(codes.detach())
        disc = F.binary_cross_entropy_with_logits(real_logit, torch.ones_like(real_logit)) + F.binary_cross_entropy_with_logits(
            fake_logit, torch.zeros_like(fake_logit)
        )
        return {"ae": mse + self.config.adversary_weight * fool, "disc": disc, "mse": mse.detach()}



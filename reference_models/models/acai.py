"""ACAI: a critic predicts the mixing coefficient of decoded latent interpolations (SPEC §5)."""

from __future__ import annotations

from dataclasses import dataclass

import torch
import torch.nn.functional as F
from torch import nn

from ..base import ModelConfig, ReferenceModel
from ..networks import Critic


@dataclass
class ACAIConfig(ModelConfig):
    reg_lambda: float = 0.5  # λ: weight of the "fool the critic" term in the AE loss
    gamma: float = 0.2  # γ: how far the critic's "real" inputs move from x̂ towards x
    critic_lr: float | None = None  # None: the same as lr (the paper used 1e-4 for both)


class ACAI(ReferenceModel):
    config_class = ACAIConfig
    config: ACAIConfig
    log_keys = ("ae", "critic")

    def __init__(self, config: ACAIConfig) -> None:
        super().__init__(config)
        self.critic = Critic(config.depth, config.scales, config.latent, config.channels)

    def param_groups(self) -> dict[str, list[nn.Parameter]]:
        return {**super().param_groups(), "critic": list(self.critic.parameters())}

    def group_lr(self) -> dict[str, float]:
        return {} if self.config.critic_lr is None else {"critic": self.config.critic_lr}

    def noise(self, batch: torch.Tensor, generator: torch.Generator) -> dict[str, torch.Tensor]:
        return {"alpha": torch.rand((batch.shape[0], 1, 1, 1), generator=generator, device=batch.device, dtype=batch.dtype)}

    def losses(self, x: torch.Tensor, noise: dict[str, torch.Tensor]) -> dict[str, torch.Tensor]:
        z = self.encode(x)
        x_hat = self.decode(z)
        alpha = 0.5 - (noise["alpha"] - 0.5).abs()  # fold to [0, ½]: the critic cannot tell α from 1 − α anyway
        x_mix = self.decode(alpha * z + (1.0 - alpha) * z.flip(0))
        mse = F.mse_loss(x_hat, x)
        ae = mse + self.config.reg_lambda * self.critic(x_mix).square().mean()
        x_hat_d = x_hat.detach()
        critic = (self.critic(x_mix.detach()) - alpha.flatten()).square().mean() + self.critic(
            x_hat_d + self.config.gamma * (x - x_hat_d)
        ).square().mean()
        return {"ae": ae, "critic": critic, "mse": mse.detach()}

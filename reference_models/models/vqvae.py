"""VQ-VAE: the code is quantised against an EMA-updated codebook with a straight-through gradient.

At paper scale the latent is 4×4×16 (three scales) with a 2¹⁴-entry codebook, decay 0.999 and
commitment weight 10 (SPEC §5). ``encode`` returns the encoder output *before* quantisation,
so the benchmark interpolates there; ``decode`` quantises first.
"""

from __future__ import annotations

from dataclasses import dataclass

import torch
import torch.nn.functional as F

from ..base import ModelConfig, ReferenceModel


@dataclass
class VQVAEConfig(ModelConfig):
    scales: int = 3
    codebook_size: int = 2**14
    decay: float = 0.999
    commitment: float = 10.0
    epsilon: float = 1e-5  # Laplace smoothing of the EMA cluster sizes, so no code divides by 0


class VQVAE(ReferenceModel):
    config_class = VQVAEConfig
    config: VQVAEConfig
    log_keys = ("ae", "mse")

    def __init__(self, config: VQVAEConfig) -> None:
        super().__init__(config)
        k, d = config.codebook_size, config.latent
        self.register_buffer("codebook", torch.zeros(k, d))
        self.register_buffer("ema_count", torch.zeros(k))
        self.register_buffer("ema_sum", torch.zeros(k, d))
        self._pending: tuple[torch.Tensor, torch.Tensor] | None = None

    def reset_parameters(self, generator: torch.Generator) -> None:
        super().reset_parameters(generator)
        with torch.no_grad():
            self.codebook.normal_(0.0, 1.0, generator=generator)
            self.ema_sum.copy_(self.codebook)
            self.ema_count.fill_(1.0)

    def _nearest(self, flat: torch.Tensor) -> torch.Tensor:
        with torch.no_grad():
            dist = flat.square().sum(1, keepdim=True) - 2.0 * flat @ self.codebook.T + self.codebook.square().sum(1)
            return dist.argmin(1)

    def _flat(self, z: torch.Tensor) -> torch.Tensor:
        return z.permute(0, 2, 3, 1).reshape(-1, z.shape[1])

    def quantise(self, z: torch.Tensor) -> tuple[torch.Tensor, torch.Tensor]:
        """Nearest codebook vectors of ``z`` (same shape) and their indices."""
        # Distances in fp32 even under bf16 autocast: 2¹⁴ near-equal distances need the precision.
        with torch.autocast(z.device.type, enabled=False):
            idx = self._nearest(self._flat(z).float())
        q = self.codebook[idx].view(z.shape[0], z.shape[2], z.shape[3], z.shape[1]).permute(0, 3, 1, 2)
        return q, idx

    def decode(self, z: torch.Tensor) -> torch.Tensor:
        return self.decoder(self.quantise(z)[0])

    def losses(self, x: torch.Tensor, generator: torch.Generator) -> dict[str, torch.Tensor]:
        z = self.encode(x)
        q, idx = self.quantise(z)
        z_st = z + (q - z).detach()  # straight-through: decoder gradient flows to the encoder
        mse = F.mse_loss(self.decoder(z_st), x)
        commit = F.mse_loss(z, q)
        self._pending = (self._flat(z.detach()).float(), idx)
        return {"ae": mse + self.config.commitment * commit, "mse": mse.detach(), "commit": commit.detach()}

    @torch.no_grad()
    def on_step_end(self) -> None:
        """EMA codebook update from the batch just trained on (the codebook has no gradient)."""
        if self._pending is None:
            return
        flat, idx = self._pending
        self._pending = None
        decay, k = self.config.decay, self.config.codebook_size
        counts = torch.zeros(k, device=flat.device, dtype=flat.dtype).index_add_(0, idx, torch.ones_like(idx, dtype=flat.dtype))
        sums = torch.zeros_like(self.ema_sum).index_add_(0, idx, flat)
        self.ema_count.mul_(decay).add_(counts, alpha=1 - decay)
        self.ema_sum.mul_(decay).add_(sums, alpha=1 - decay)
        n = self.ema_count.sum()
        smoothed = (self.ema_count + self.config.epsilon) / (n + k * self.config.epsilon) * n
        self.codebook.copy_(self.ema_sum / smoothed[:, None])

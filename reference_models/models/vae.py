"""VAE: dense μ / log σ² heads on the flattened code, Bernoulli decoder over (x + 1)/2 (SPEC §5).

``encode`` returns a posterior *sample*, as the paper's code interpolated between samples. The
sampling generator is re-seeded (``sample_seed``) whenever the model is put in eval mode,
which :func:`interpbench.score` does first, so scoring the same weights twice gives
bit-identical numbers while the samples of different images stay independent. Set
``encode_sample=False`` to encode the posterior mean instead.
"""

from __future__ import annotations

import math
from dataclasses import dataclass

import torch
import torch.nn.functional as F
from torch import nn

from ..base import ModelConfig, ReferenceModel


@dataclass
class VAEConfig(ModelConfig):
    beta: float = 1.0
    encode_sample: bool = True
    sample_seed: int = 0


class VAE(ReferenceModel):
    config_class = VAEConfig
    config: VAEConfig
    log_keys = ("ae", "kl")

    def __init__(self, config: VAEConfig) -> None:
        super().__init__(config)
        size = 32 >> config.scales
        self._code_shape = (config.latent, size, size)
        width = math.prod(self._code_shape)
        self.to_mu = nn.Linear(width, width)
        self.to_logvar = nn.Linear(width, width)
        self._sampler: torch.Generator | None = None

    def train(self, mode: bool = True) -> VAE:
        super().train(mode)
        if not mode:
            self._sampler = None  # re-seeded lazily on the right device by the next encode
        return self

    def posterior(self, x: torch.Tensor) -> tuple[torch.Tensor, torch.Tensor]:
        h = self.encoder(x).flatten(1)
        return self.to_mu(h), self.to_logvar(h)

    def encode(self, x: torch.Tensor) -> torch.Tensor:
        mu, logvar = self.posterior(x)
        if not self.config.encode_sample:
            return mu.view(-1, *self._code_shape)
        if self._sampler is None or self._sampler.device != mu.device:
            self._sampler = torch.Generator(device=mu.device).manual_seed(self.config.sample_seed)
        eps = torch.randn(mu.shape, generator=self._sampler, device=mu.device, dtype=mu.dtype)
        return (mu + torch.exp(0.5 * logvar) * eps).view(-1, *self._code_shape)

    def decode_logits(self, z: torch.Tensor) -> torch.Tensor:
        return self.decoder(z.reshape(-1, *self._code_shape))

    def decode(self, z: torch.Tensor) -> torch.Tensor:
        return 2.0 * torch.sigmoid(self.decode_logits(z)) - 1.0

    def param_groups(self) -> dict[str, list[nn.Parameter]]:
        return {"ae": list(self.parameters())}

    def losses(self, x: torch.Tensor, generator: torch.Generator) -> dict[str, torch.Tensor]:
        mu, logvar = self.posterior(x)
        eps = torch.randn(mu.shape, generator=generator, device=mu.device, dtype=mu.dtype)
        z = mu + torch.exp(0.5 * logvar) * eps
        logits = self.decode_logits(z)
        n = x.shape[0]
        nll = F.binary_cross_entropy_with_logits(logits, (x + 1.0) / 2.0, reduction="sum") / n
        kl = 0.5 * torch.sum(mu.square() + logvar.exp() - 1.0 - logvar) / n
        return {"ae": nll + self.config.beta * kl, "nll": nll.detach(), "kl": kl.detach()}

"""VAE: dense μ / log σ² heads on the flattened code, Bernoulli decoder over (x + 1)/2 (SPEC §5).

``encode`` returns a posterior *sample*, as the paper's code interpolated between samples drawn
afresh at every evaluation. Here they come from a generator seeded by the protocol seed
(:func:`interpbench.score` calls :meth:`VAE.on_protocol_seed` before each seed's endpoints), so
scoring the same weights twice gives bit-identical numbers, each protocol seed (and each trail
evaluation) draws new samples, and the samples of different images stay independent. Set
``encode_sample=False`` (``--set encode_sample=false``) to encode the posterior mean instead;
:meth:`VAE.scoring_info` records which one a result used.
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
    encode_sample: bool = True  # scoring interpolates posterior samples (the paper) or, if False, means


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
        self._sampler_seed = 0

    def on_protocol_seed(self, seed: int) -> None:
        """Draw the next encodes' posterior samples from a generator seeded by protocol ``seed``."""
        self._sampler_seed = int(seed)
        self._sampler = None  # seeded lazily on the device of the next encode

    def train(self, mode: bool = True) -> VAE:
        super().train(mode)
        if not mode:
            self._sampler = None
        return self

    def scoring_info(self) -> dict[str, str]:
        if self.config.encode_sample:
            return {"codes": "posterior sample, from a generator seeded by the protocol seed"}
        return {"codes": "posterior mean"}

    # The paper's classifier read the encoder's output before the dense μ / log σ² heads
    # (``stop_gradient(encode)`` in its vae.py), not a posterior sample: the probes follow it.
    probe_code_description = "encoder output before the μ / log σ² heads (the paper's classifier input)"

    def probe_encode(self, x: torch.Tensor) -> torch.Tensor:
        return self.encoder(x)

    def probe_decode(self, codes: torch.Tensor) -> torch.Tensor:
        """Images from the encoder outputs the probes read (:meth:`probe_encode`), through the posterior mean."""
        return self.decode(self.to_mu(codes.flatten(1)))

    def posterior(self, x: torch.Tensor) -> tuple[torch.Tensor, torch.Tensor]:
        h = self.encoder(x).flatten(1)
        return self.to_mu(h), self.to_logvar(h)

    def encode(self, x: torch.Tensor) -> torch.Tensor:
        mu, logvar = self.posterior(x)
        if not self.config.encode_sample:
            return mu.view(-1, *self._code_shape)
        if self._sampler is None or self._sampler.device != mu.device:
            self._sampler = torch.Generator(device=mu.device).manual_seed(self._sampler_seed)
        eps = torch.randn(mu.shape, generator=self._sampler, device=mu.device, dtype=mu.dtype)
        return (mu + torch.exp(0.5 * logvar) * eps).view(-1, *self._code_shape)

    def decode_logits(self, z: torch.Tensor) -> torch.Tensor:
        return self.decoder(z.reshape(-1, *self._code_shape))

    def decode(self, z: torch.Tensor) -> torch.Tensor:
        return 2.0 * torch.sigmoid(self.decode_logits(z)) - 1.0

    def param_groups(self) -> dict[str, list[nn.Parameter]]:
        return {"ae": list(self.parameters())}

    def noise(self, batch: torch.Tensor, generator: torch.Generator) -> dict[str, torch.Tensor]:
        shape = (batch.shape[0], math.prod(self.code_shape))
        return {"eps": torch.randn(shape, generator=generator, device=batch.device, dtype=batch.dtype)}

    def losses(self, x: torch.Tensor, noise: dict[str, torch.Tensor]) -> dict[str, torch.Tensor]:
        mu, logvar = self.posterior(x)
        z = mu + torch.exp(0.5 * logvar) * noise["eps"]
        logits = self.decode_logits(z)
        n = x.shape[0]
        nll = F.binary_cross_entropy_with_logits(logits, (x + 1.0) / 2.0, reduction="sum") / n
        kl = 0.5 * torch.sum(mu.square() + logvar.exp() - 1.0 - logvar) / n
        return {"ae": nll + self.config.beta * kl, "nll": nll.detach(), "kl": kl.detach()}

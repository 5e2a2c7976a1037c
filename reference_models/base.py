"""What every reference model shares: the config fields of SPEC §5 and the autoencoder skeleton.

A model is an ``nn.Module`` with ``encoder``/``decoder`` networks, ``encode``/``decode`` on NCHW
tensors in [-1, 1] (so it plugs into :func:`interpbench.score` as is) and a training objective
split into one loss per optimiser. The training engine needs nothing else.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

import torch
import torch.nn.functional as F
from torch import nn

from .networks import Decoder, Encoder, spec_init_

__all__ = ["ModelConfig", "ReferenceModel"]


@dataclass
class ModelConfig:
    """SPEC §5 defaults shared by all models; every field can be overridden in ``build``."""

    depth: int = 16
    scales: int = 4
    latent: int = 16
    lr: float = 1e-4
    batch_size: int = 64


class ReferenceModel(nn.Module):
    """The plain autoencoder; variants override :meth:`losses` (and add networks) as needed.

    ``losses(x, generator)`` returns a dict whose keys named in :meth:`param_groups` are
    minimised, each by its own Adam over its own parameters; any other key is only logged.
    All training randomness must come from ``generator`` so runs resume bit-exactly.
    """

    config_class: type[ModelConfig] = ModelConfig
    # Scalars the progress bar shows, in this order (a subset of the keys of ``losses``).
    log_keys: tuple[str, ...] = ("ae",)

    def __init__(self, config: ModelConfig) -> None:
        super().__init__()
        self.config = config
        self.encoder = Encoder(config.depth, config.scales, config.latent)
        self.decoder = Decoder(config.depth, config.scales, config.latent)

    # ----------------------------------------------------------- benchmark API
    def encode(self, x: torch.Tensor) -> torch.Tensor:
        return self.encoder(x)

    def decode(self, z: torch.Tensor) -> torch.Tensor:
        return self.decoder(z)

    # ------------------------------------------------------------ training API
    def reset_parameters(self, generator: torch.Generator) -> None:
        """SPEC initialisation of every layer, drawn from ``generator`` (reproducible per seed)."""
        spec_init_(self, generator)

    def param_groups(self) -> dict[str, list[nn.Parameter]]:
        """Optimiser name → the parameters it updates; each name is also a key of :meth:`losses`."""
        return {"ae": [*self.encoder.parameters(), *self.decoder.parameters()]}

    def group_lr(self) -> dict[str, float]:
        """Learning rates that differ from ``config.lr``, per optimiser name."""
        return {}

    def losses(self, x: torch.Tensor, generator: torch.Generator) -> dict[str, torch.Tensor]:
        return {"ae": F.mse_loss(self.decode(self.encode(x)), x)}

    def on_step_end(self) -> None:
        """Hook after the optimisers stepped (VQ-VAE's EMA codebook uses it)."""

    def code_diagnostics(self, codes: torch.Tensor) -> dict[str, Any]:
        """Model-specific collapse diagnostics of a batch of codes (VQ-VAE: codebook entries in use)."""
        return {}

    def compact_state(self, state: dict[str, torch.Tensor]) -> dict[str, torch.Tensor]:
        """The part of a trained ``state_dict`` that scoring needs, for a bundled checkpoint (default: all of it)."""
        return dict(state)

    def expand_state(self, state: dict[str, torch.Tensor]) -> dict[str, torch.Tensor]:
        """Undo :meth:`compact_state`: a ``state_dict`` that loads into the model (identity for full states)."""
        return dict(state)

    def scoring_info(self) -> dict[str, Any]:
        """How ``encode`` turns images into codes when scored, for the result's record (VAE: sample or mean)."""
        return {}

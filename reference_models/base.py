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

__all__ = ["ModelConfig", "ReferenceModel", "ProbeView"]


@dataclass
class ModelConfig:
    """SPEC §5 defaults shared by all models; every field can be overridden in ``build``."""

    depth: int = 16
    scales: int = 4
    latent: int = 16
    lr: float = 1e-4
    batch_size: int = 64
    # Image channels: 1 for lines, digits and MNIST; 3 for SVHN and CIFAR-10, which the paper's
    # code trained in colour. The benchmark (lines) and grey data sets need 1.
    channels: int = 1


class ReferenceModel(nn.Module):
    """The plain autoencoder; variants override :meth:`losses` (and add networks) as needed.

    A training step is ``noise = model.noise(batch, generator)`` (every random draw of the step,
    from the run's generator, so runs resume bit-exactly), then ``losses(x, noise)``: a dict
    whose keys named in :meth:`param_groups` are minimised, each by its own Adam over its own
    parameters; other keys are logged or handed to :meth:`update_buffers` after the optimisers
    stepped. ``losses`` is a pure function of the weights, buffers, batch and noise, so the
    engine can ``vmap`` it over several runs' stacked weights (``forward`` is ``losses``).
    """

    config_class: type[ModelConfig] = ModelConfig
    # Scalars the progress bar shows, in this order (a subset of the keys of ``losses``).
    log_keys: tuple[str, ...] = ("ae",)

    def __init__(self, config: ModelConfig) -> None:
        super().__init__()
        self.config = config
        self.encoder = Encoder(config.depth, config.scales, config.latent, config.channels)
        self.decoder = Decoder(config.depth, config.scales, config.latent, config.channels)

    # ----------------------------------------------------------- benchmark API
    input_layout = "NCHW"  # read by interpbench's harness: no layout trials for the reference models

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

    @property
    def code_shape(self) -> tuple[int, int, int]:
        """Shape of one encoder output: (latent, 32 >> scales, 32 >> scales)."""
        size = 32 >> self.config.scales
        return (self.config.latent, size, size)

    def noise(self, batch: torch.Tensor, generator: torch.Generator) -> dict[str, torch.Tensor]:
        """The random tensors one training step on ``batch`` needs, drawn from ``generator`` in a fixed order."""
        return {}

    def losses(self, x: torch.Tensor, noise: dict[str, torch.Tensor]) -> dict[str, torch.Tensor]:
        return {"ae": F.mse_loss(self.decode(self.encode(x)), x)}

    def forward(self, x: torch.Tensor, noise: dict[str, torch.Tensor]) -> dict[str, torch.Tensor]:
        return self.losses(x, noise)

    @torch.no_grad()
    def update_buffers(self, outputs: dict[str, torch.Tensor], buffers: dict[str, torch.Tensor]) -> None:
        """After the optimisers stepped: update non-trainable state in place (VQ-VAE's EMA codebook).

        ``buffers`` are this run's named buffers (views into stacked ones when seeds are batched).
        """

    def code_diagnostics(self, codes: torch.Tensor) -> dict[str, Any]:
        """Model-specific collapse diagnostics of a batch of codes (VQ-VAE: codebook entries in use)."""
        return {}

    def compact_state(self, state: dict[str, torch.Tensor]) -> dict[str, torch.Tensor]:
        """The part of a trained ``state_dict`` that scoring needs, for a bundled checkpoint (default: all of it)."""
        return dict(state)

    def expand_state(self, state: dict[str, torch.Tensor]) -> dict[str, torch.Tensor]:
        """Undo :meth:`compact_state`: a ``state_dict`` that loads into the model (identity for full states)."""
        return dict(state)

    # ------------------------------------------------------------- probe API
    # What the paper's downstream probes saw (its classifier and k-means on the codes): for most
    # models the code the benchmark interpolates; VAE and VQ-VAE override it (see there).
    probe_code_description = "encoder output (the code the benchmark interpolates)"

    def probe_encode(self, x: torch.Tensor) -> torch.Tensor:
        """The codes the downstream probes score, as the paper's code fed them to its classifier."""
        return self.encode(x)

    def probe_decode(self, codes: torch.Tensor) -> torch.Tensor:
        """Images from :meth:`probe_encode`'s codes, so a probe's round-trip sanity check sees the model's own."""
        return self.decode(codes)

    def for_probes(self) -> ProbeView:
        """This model with ``encode`` replaced by :meth:`probe_encode` (what ``interpbench probe`` scores)."""
        return ProbeView(self)

    def scoring_info(self) -> dict[str, Any]:
        """How ``encode`` turns images into codes when scored, for the result's record (VAE: sample or mean)."""
        return {}


class ProbeView(nn.Module):
    """A reference model seen by the probes: ``encode`` is its :meth:`~ReferenceModel.probe_encode`."""

    # Declared, so the harness does not try layouts by round trips (a colour model's decoder
    # returns 3×32×32 images, which the benchmark's output check refuses).
    input_layout = "NCHW"

    def __init__(self, model: ReferenceModel) -> None:
        super().__init__()
        self.model = model
        self.config = model.config

    def encode(self, x: torch.Tensor) -> torch.Tensor:
        return self.model.probe_encode(x)

    def decode(self, z: torch.Tensor) -> torch.Tensor:
        return self.model.probe_decode(z)

    def scoring_info(self) -> dict[str, Any]:
        return {"probe_codes": self.model.probe_code_description}

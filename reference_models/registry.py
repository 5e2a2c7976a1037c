"""The model registry: name → (config dataclass, model class). Adding a model is one line here."""

from __future__ import annotations

import dataclasses
from typing import Any, NamedTuple

import torch

from interpbench.errors import OptionError

from .base import ModelConfig, ReferenceModel
from .bundled import BundledCheckpoint
from .config_check import check_config_values
from .models.aae import AAE, AAEConfig
from .models.acai import ACAI, ACAIConfig
from .models.baseline import Baseline, BaselineConfig
from .models.denoising import Denoising, DenoisingConfig
from .models.dropout import Dropout, DropoutConfig
from .models.vae import VAE, VAEConfig
from .models.vqvae import VQVAE, VQVAEConfig

__all__ = ["ModelEntry", "MODELS", "build", "canonical_name", "make_config", "model_names", "model_entry"]


class ModelEntry(NamedTuple):
    config: type[ModelConfig]
    model: type[ReferenceModel]
    summary: str
    bundled: BundledCheckpoint | None = None  # weights shipped with the package (see bundled.py)


MODELS: dict[str, ModelEntry] = {
    "baseline": ModelEntry(BaselineConfig, Baseline, "plain autoencoder, MSE loss",
                           bundled=BundledCheckpoint("baseline-cpu-s0.pt", "25baca2bd52d53d379350432ec7f0fb5fd7915325960833ff1cc3ed8ffcf208a", "cpu", 250)),
    "dropout": ModelEntry(DropoutConfig, Dropout, "dropout (keep 0.5) on the latent while training",
                          bundled=BundledCheckpoint("dropout-cpu-s0.pt", "a0cdfcb3e7ca5c633c6779a03d87696f339b44d51441259cc77a8943a28e96ae", "cpu", 250)),
    "denoising": ModelEntry(DenoisingConfig, Denoising, "encoder sees x + N(0, 1) noise",
                            bundled=BundledCheckpoint("denoising-cpu-s0.pt", "7096ecd1c277fbfd4aaeefa04f5aabb564d3945ad1f9e5a02929cc1455fc0c5f", "cpu", 250)),
    "vae": ModelEntry(VAEConfig, VAE, "variational AE, Bernoulli decoder, β = 1",
                      bundled=BundledCheckpoint("vae-cpu-s0.pt", "5a603c57453682eede9883463ca5f4f22e3740791994c7c179b131ac073fd79b", "cpu", 256)),
    "aae": ModelEntry(AAEConfig, AAE, "adversarial AE, MLP discriminator vs N(0, I)",
                      bundled=BundledCheckpoint("aae-cpu-s0.pt", "eb0e7848ecbd5f773bfc0187c4697abb63371047ad7ec0a858ca4035f78d5ca3", "cpu", 256)),
    "vqvae": ModelEntry(VQVAEConfig, VQVAE, "vector-quantised AE, EMA codebook",
                        bundled=BundledCheckpoint("vqvae-cpu-s0.pt", "464ca1dac45c6af6f3d334484a64fec00a4e59b444580e85b026d00a97fc968c", "cpu", 256)),
    "acai": ModelEntry(ACAIConfig, ACAI, "adversarially constrained interpolation (critic on mixes)",
                       bundled=BundledCheckpoint("acai-cpu-s0.pt", "68c3ed6216699f6a8424634e629de82a34aab74ce5726481aa6181c5419ae3d1", "cpu", 250)),
}


def model_names() -> list[str]:
    return list(MODELS)


def model_entry(name: str) -> ModelEntry:
    key = name.lower().replace("-", "").replace("_", "")
    if key not in MODELS:
        raise OptionError(f"unknown model {name!r}; choose one of {', '.join(MODELS)}")
    return MODELS[key]


def canonical_name(name: str) -> str:
    """``VQ-VAE`` → ``vqvae``; raises :class:`OptionError` for unknown names."""
    entry = model_entry(name)
    return next(k for k, v in MODELS.items() if v is entry)


def make_config(name: str, **overrides: Any) -> ModelConfig:
    """The paper's config of model ``name`` with ``overrides`` applied (unknown fields and bad values are an error)."""
    cls = model_entry(name).config
    fields = {f.name for f in dataclasses.fields(cls)}
    unknown = sorted(set(overrides) - fields)
    if unknown:
        raise OptionError(f"{name} has no config field {', '.join(unknown)}; fields: {', '.join(sorted(fields))}")
    check_config_values(canonical_name(name), cls, overrides)
    return cls(**overrides)


def build(name: str, seed: int = 0, **config_overrides: Any) -> ReferenceModel:
    """Model ``name`` with SPEC-initialised weights drawn from ``seed``; ``encoder``/``decoder`` are its networks."""
    entry = model_entry(name)
    model = entry.model(make_config(name, **config_overrides))
    model.reset_parameters(torch.Generator().manual_seed(int(seed)))
    return model

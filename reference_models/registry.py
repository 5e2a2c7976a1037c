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
                           bundled=BundledCheckpoint("baseline-cpu-s0.pt", "43769864618be8b08d13a031d8812c2a096fd3dfc14f47671b3c55372449ad7d", "cpu", 250)),
    "dropout": ModelEntry(DropoutConfig, Dropout, "dropout (keep 0.5) on the latent while training",
                          bundled=BundledCheckpoint("dropout-cpu-s0.pt", "d8eafa2ec1e54f233abbf9a79fea0b9e0f244f6d9f3a0716c34c8bfe65ad0574", "cpu", 250)),
    "denoising": ModelEntry(DenoisingConfig, Denoising, "encoder sees x + N(0, 1) noise",
                            bundled=BundledCheckpoint("denoising-cpu-s0.pt", "f7ac4d9919502d5c887f5ed5eea01ebc4349f4bb1d3521fd10e185cc0e60e73b", "cpu", 250)),
    "vae": ModelEntry(VAEConfig, VAE, "variational AE, Bernoulli decoder, β = 1",
                      bundled=BundledCheckpoint("vae-cpu-s0.pt", "c1c7c81a474ef00f207739a23c8869bcd8a3567a18f5993d13d88e71a0615b2d", "cpu", 256)),
    "aae": ModelEntry(AAEConfig, AAE, "adversarial AE, MLP discriminator vs N(0, I)",
                      bundled=BundledCheckpoint("aae-cpu-s0.pt", "273da00af650b2f6484f495a1ad1ecbbe1b2581fff70ea9597dedad7e3b74de8", "cpu", 256)),
    "vqvae": ModelEntry(VQVAEConfig, VQVAE, "vector-quantised AE, EMA codebook",
                        bundled=BundledCheckpoint("vqvae-cpu-s0.pt", "1ef417e67771feab9337061d221da734b96c72a868a3c089d6465abe0f61c12a", "cpu", 256)),
    "acai": ModelEntry(ACAIConfig, ACAI, "adversarially constrained interpolation (critic on mixes)",
                       bundled=BundledCheckpoint("acai-cpu-s0.pt", "68a66b5270d0fef78886dfc14b2a44ecad6ffd3878c84a872c8def649b2ba810", "cpu", 250)),
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

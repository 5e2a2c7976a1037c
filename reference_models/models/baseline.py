"""Baseline autoencoder: MSE reconstruction, nothing else (SPEC §5)."""

from __future__ import annotations

from dataclasses import dataclass

from ..base import ModelConfig, ReferenceModel


@dataclass
class BaselineConfig(ModelConfig):
    pass


class Baseline(ReferenceModel):
    config_class = BaselineConfig

"""Reference autoencoders of the ACAI paper (SPEC §5), one training engine, and checkpoint loading.

Quick use::

    import reference_models, interpbench
    model = reference_models.build("acai")                 # SPEC-initialised, untrained
    run = reference_models.train("acai", "runs/acai", preset="quick")
    model, info = reference_models.load_trained("acai", run.checkpoint)
    print(interpbench.score(model, model_info=info).table())
"""

from .base import ModelConfig, ReferenceModel
from .loading import load_trained
from .registry import MODELS, build, canonical_name, make_config, model_names
from .training.engine import Trainer, TrainRun, pick_device, train
from .training.presets import PRESETS, Preset, get_preset
from .training.trail import paper_figure

__all__ = [
    "MODELS",
    "PRESETS",
    "ModelConfig",
    "Preset",
    "ReferenceModel",
    "Trainer",
    "TrainRun",
    "build",
    "canonical_name",
    "get_preset",
    "load_trained",
    "make_config",
    "model_names",
    "paper_figure",
    "pick_device",
    "train",
]

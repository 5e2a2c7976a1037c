"""diffusers autoencoders (``AutoencoderKL`` and kin) as adapters: ``from_diffusers(vae)``, ``diffusers:FOLDER``.

``vae.encode(x)`` returns an ``AutoencoderKLOutput`` whose ``latent_dist`` the harness reads
(its mean, or with ``sample=True`` a draw seeded by the protocol seed) and ``vae.decode(z)`` a
``DecoderOutput`` whose ``.sample`` it reads: see :mod:`interpbench.adapters.outputs`. diffusers
models take images in -1..1, the benchmark's own convention, NCHW.
"""

from __future__ import annotations

import os
from typing import Any

from ..errors import AdapterError, SpecError
from . import require

__all__ = ["DiffusersAdapter", "from_diffusers", "load_diffusers"]

EXTRA = "diffusers"


class DiffusersAdapter:
    """A diffusers autoencoder's own ``encode``/``decode``; the harness unwraps their output objects."""

    layout = "NCHW"

    def __init__(self, vae: Any, *, value_range: str = "-1,1") -> None:
        torch = require("torch", "torch", "a diffusers adapter")
        if not isinstance(vae, torch.nn.Module) or not callable(getattr(vae, "encode", None)) or not callable(getattr(vae, "decode", None)):
            raise AdapterError(f"from_diffusers() needs a diffusers autoencoder (AutoencoderKL, …), got {type(vae).__name__}")
        channels = getattr(getattr(vae, "config", None), "in_channels", 1)
        if channels != 1:
            raise AdapterError(f"the {type(vae).__name__} takes {channels} input channels; the benchmark's images are grey (in_channels=1)")
        self.vae = vae
        self.value_range = value_range
        self.name = f"diffusers {type(vae).__name__}"
        self.torch_modules = [vae]

    def encode(self, images: Any) -> Any:
        return self.vae.encode(images)

    def decode(self, codes: Any) -> Any:
        return self.vae.decode(codes)

    def scoring_info(self) -> dict[str, Any]:
        return {"library": "diffusers", "model_class": type(self.vae).__name__}


def from_diffusers(vae: Any, *, value_range: str = "-1,1") -> DiffusersAdapter:
    """An adapter for a diffusers autoencoder with one input channel.

    ``interpbench.score(from_diffusers(vae))`` interpolates the posterior means;
    ``interpbench.score(from_diffusers(vae), sample=True)`` seeded posterior samples. Plain
    ``interpbench.score((vae.encode, vae.decode))`` works as well.
    """
    return DiffusersAdapter(vae, value_range=value_range)


def load_diffusers(folder: str) -> DiffusersAdapter:
    """The adapter of an ``AutoencoderKL`` saved with ``vae.save_pretrained(FOLDER)`` (``diffusers:FOLDER`` specs).

    Weights are read with safetensors (no pickle), from the folder only (no download)."""
    if not os.path.isdir(folder):
        raise SpecError(f"diffusers model folder {folder!r} does not exist (write one with vae.save_pretrained(FOLDER))")
    diffusers = require("diffusers", EXTRA, f"the spec 'diffusers:{folder}'")
    try:
        vae = diffusers.AutoencoderKL.from_pretrained(folder, local_files_only=True, use_safetensors=True)
    except Exception as exc:  # noqa: BLE001 - any load failure is the folder's problem
        raise SpecError(f"cannot load an AutoencoderKL from {folder!r}: {type(exc).__name__}: {exc}") from None
    return from_diffusers(vae)

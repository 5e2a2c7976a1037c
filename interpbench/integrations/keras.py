"""Keras 3 models as interpbench adapters: ``from_keras(model)`` and ``keras:FILE.keras`` specs.

An autoencoder is either a model with ``encoder`` and ``decoder`` sub-models (as attributes or
as layers of those names, which survives a ``.keras`` save) or an ``(encoder, decoder)`` pair.
Any Keras backend works (torch and JAX tested; TensorFlow): inputs are NumPy arrays, outputs are
read back with ``keras.ops.convert_to_numpy``. The layout comes from the encoder's ``input_shape``.
"""

from __future__ import annotations

import importlib.util
import json
import os
import sys
from pathlib import Path
from typing import Any

from ..errors import AdapterError, SpecError
from . import require

__all__ = ["KerasAdapter", "from_keras", "load_keras"]

EXTRA = "keras"


def _part(model: Any, name: str) -> Any:
    part = getattr(model, name, None)
    if part is None and callable(getattr(model, "get_layer", None)):
        try:
            part = model.get_layer(name)
        except ValueError:  # Keras: "No such layer"
            part = None
    return part


class KerasAdapter:
    """``encoder(x)`` encodes and ``decoder(z)`` decodes, in inference mode. Build it with :func:`from_keras`."""

    dtype = "float32"
    takes_numpy = True  # read by the harness: Keras' torch-backend layers are torch modules, but Keras takes arrays

    def __init__(self, encoder: Any, decoder: Any, *, value_range: str, name: str) -> None:
        self._keras = require("keras", EXTRA, "a Keras adapter")
        self.encoder, self.decoder = encoder, decoder
        self.value_range = value_range
        self.name = name
        self.input_shape = tuple(getattr(encoder, "input_shape", None) or ())  # read by the harness: the layout

    def encode(self, images: Any) -> Any:
        return self._keras.ops.convert_to_numpy(self.encoder(images, training=False))

    def decode(self, codes: Any) -> Any:
        return self._keras.ops.convert_to_numpy(self.decoder(codes, training=False))

    def scoring_info(self) -> dict[str, Any]:
        return {"library": "keras", "keras_backend": self._keras.backend.backend(),
                "encoder": getattr(self.encoder, "name", None), "decoder": getattr(self.decoder, "name", None)}


def from_keras(model: Any, decoder: Any = None, *, value_range: str = "auto") -> KerasAdapter:
    """An adapter for a Keras 3 autoencoder: ``interpbench.score(from_keras(model))``.

    Parameters
    ----------
    model
        A model with ``encoder`` and ``decoder`` sub-models (attributes, or layers so named), or
        the encoder itself when ``decoder`` is given.
    decoder
        The decoder, when ``model`` is the encoder (an ``(encoder, decoder)`` pair).
    value_range
        ``"-1,1"``, ``"0,1"``, ``"0,255"`` or ``"auto"`` (default: tried on the first endpoints).

    Raises
    ------
    MissingDependencyError
        keras is not installed (``pip install 'interpbench[keras]'``).
    AdapterError
        No encoder/decoder found.
    """
    if isinstance(model, tuple) and decoder is None and len(model) == 2:
        model, decoder = model
    encoder = model if decoder is not None else _part(model, "encoder")
    decoder = decoder if decoder is not None else _part(model, "decoder")
    if encoder is None or decoder is None or not callable(encoder) or not callable(decoder):
        raise AdapterError(
            f"from_keras() needs a model with 'encoder' and 'decoder' sub-models (attributes or layers of those names), "
            f"or from_keras(encoder, decoder); {getattr(model, 'name', type(model).__name__)!r} has "
            + ", ".join(f"{n}: {'yes' if p is not None else 'no'}" for n, p in (("encoder", encoder), ("decoder", decoder)))
        )
    return KerasAdapter(encoder, decoder, value_range=value_range, name=f"keras {getattr(model, 'name', 'model')}")


def _configured_backend() -> str:
    """The backend Keras would pick on import: ``KERAS_BACKEND``, else ``keras.json``'s, else TensorFlow."""
    if os.environ.get("KERAS_BACKEND"):
        return os.environ["KERAS_BACKEND"]
    config = Path(os.environ.get("KERAS_HOME") or Path.home() / ".keras") / "keras.json"
    try:
        return str(json.loads(config.read_text(encoding="utf-8")).get("backend", "tensorflow"))
    except (OSError, ValueError, AttributeError):
        return "tensorflow"


def _default_backend() -> None:
    """Before a ``keras:`` spec first imports Keras: use the torch backend when the configured one is
    not installed.

    Keras defaults to TensorFlow, which interpbench does not install, so ``keras:FILE.keras`` failed
    with "No module named 'tensorflow'" unless the user knew to set KERAS_BACKEND. torch is always
    here (a core dependency), and a ``.keras`` file loads under any backend. A backend the user
    chose and installed (KERAS_BACKEND=jax, or keras.json) is kept; once Keras is imported its
    backend is fixed, so nothing is changed then.
    """
    if "keras" in sys.modules:
        return
    backend = _configured_backend()
    if importlib.util.find_spec(backend) is None:
        os.environ["KERAS_BACKEND"] = "torch"


def load_keras(path: str) -> KerasAdapter:
    """The adapter of a model saved with ``model.save("FILE.keras")`` (``keras:FILE.keras`` specs).

    Loaded with Keras' ``safe_mode`` on, so a file cannot run code (lambda layers are refused)."""
    if not os.path.isfile(path):
        raise SpecError(f"Keras model file {path!r} does not exist (write one with model.save('FILE.keras'))")
    _default_backend()
    keras = require("keras", EXTRA, f"the spec 'keras:{path}'")
    try:
        model = keras.saving.load_model(path, safe_mode=True)
    except Exception as exc:  # noqa: BLE001 - any load failure is the file's problem
        raise SpecError(f"cannot load a Keras model from {path!r}: {type(exc).__name__}: {exc}") from None
    return from_keras(model)

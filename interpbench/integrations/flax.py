"""Flax models as adapters: a linen ``(module, params)`` pair, or an nnx module with encode/decode.

linen modules are stateless: ``from_flax(module, params)`` (or just the pair handed to
``interpbench.score``) calls ``module.apply({"params": params}, x, method="encode")`` and
``method="decode"``. An nnx module holds its own state and is an ordinary object with
``encode``/``decode``: ``interpbench.score(model)`` needs nothing more. JAX takes NumPy arrays
and its arrays read back as NumPy, so no conversion code is needed either way.

From the command line, ``flax:path/module.py:NAME@params.msgpack`` builds the module ``NAME``
names (a linen or nnx Module, its class, or a zero-argument factory; an nnx class taking
``rngs`` gets ``nnx.Rngs(0)``, which the saved state then overwrites) and restores its weights
from a file written with ``flax.serialization.msgpack_serialize``: linen params, or an nnx
module's ``nnx.to_pure_dict(nnx.state(model))``. msgpack is data, so the file cannot run code;
the module's own file is code the user names, as for any ``file.py:NAME`` spec.
"""

from __future__ import annotations

import inspect
import os
import sys
from collections.abc import Mapping
from typing import Any

from ..errors import AdapterError, SpecError
from . import require

__all__ = ["FlaxLinenAdapter", "from_flax", "is_linen_pair", "load_flax"]

EXTRA = "flax"


def _is_linen_module(obj: Any) -> bool:
    linen = sys.modules.get("flax.linen")
    return linen is not None and isinstance(obj, linen.Module)


def is_linen_pair(obj: Any) -> bool:
    """Whether ``obj`` is a ``(linen module, params)`` tuple (flax imported, module with encode/decode)."""
    return (isinstance(obj, tuple) and len(obj) == 2 and _is_linen_module(obj[0]) and isinstance(obj[1], Mapping)
            and callable(getattr(obj[0], "encode", None)) and callable(getattr(obj[0], "decode", None)))


class FlaxLinenAdapter:
    """A linen module's ``encode``/``decode`` methods applied with fixed ``params``."""

    def __init__(self, module: Any, params: Mapping[str, Any], *, layout: str | None = None, value_range: str | None = None) -> None:
        require("flax", EXTRA, "a Flax adapter")
        if not _is_linen_module(module):
            raise AdapterError(f"from_flax() needs a flax.linen Module, got {type(module).__name__} (an nnx module scores as it is)")
        for method in ("encode", "decode"):
            if not callable(getattr(module, method, None)):
                raise AdapterError(f"the linen module {type(module).__name__} has no {method}() method")
        self.module = module
        # Accept both {"params": ...} (what init returns) and the params collection itself.
        self.variables = dict(params) if "params" in params else {"params": params}
        self.name = f"flax {type(module).__name__}"
        if layout is not None:
            self.layout = layout
        if value_range is not None:
            self.value_range = value_range

    def encode(self, images: Any) -> Any:
        return self.module.apply(self.variables, images, method="encode")

    def decode(self, codes: Any) -> Any:
        return self.module.apply(self.variables, codes, method="decode")

    def scoring_info(self) -> dict[str, Any]:
        return {"library": "flax", "flax_api": "linen", "module": type(self.module).__name__}


def from_flax(module: Any, params: Mapping[str, Any], *, layout: str | None = None, value_range: str | None = None) -> FlaxLinenAdapter:
    """An adapter for a linen module with ``encode``/``decode`` methods and its ``params``."""
    return FlaxLinenAdapter(module, params, layout=layout, value_range=value_range)


def load_flax(spec: str) -> Any:
    """The adapter of a ``flax:path/module.py:NAME@params.msgpack`` spec (see the module's docstring)."""
    from ..adapters.user_code import load_adapter_object

    location, at, weights = spec.rpartition("@")
    if not at or not location or not weights:
        raise SpecError(f"flax spec {spec!r} must be 'flax:path/module.py:NAME@params.msgpack'")
    if not os.path.isfile(weights):
        raise SpecError(f"Flax weights file {weights!r} does not exist (write one with flax.serialization.msgpack_serialize)")
    require("flax", EXTRA, f"the spec 'flax:{spec}'")
    from flax import linen, nnx, serialization

    module = _build_module(load_adapter_object(location), location, linen, nnx)
    try:
        with open(weights, "rb") as file:
            saved = serialization.msgpack_restore(file.read())
    except Exception as exc:  # noqa: BLE001 - a file msgpack cannot read is the spec's problem
        raise SpecError(f"cannot read Flax weights from {weights!r} (not msgpack_serialize output?): {type(exc).__name__}: {exc}") from None
    if not isinstance(saved, Mapping):
        raise SpecError(f"{weights!r} holds a {type(saved).__name__}, not the dict of weights msgpack_serialize writes")
    if isinstance(module, linen.Module):
        return FlaxLinenAdapter(module, saved)
    _restore_nnx(module, saved, weights, nnx)
    return module


def _build_module(obj: Any, location: str, linen: Any, nnx: Any) -> Any:
    """A linen or nnx Module from what ``location`` names: a module, its class, or a zero-argument factory."""
    if isinstance(obj, (linen.Module, nnx.Module)):
        return obj
    if not callable(obj):
        raise SpecError(f"{location!r} is neither a Flax Module, a Module class nor a factory returning one")
    takes_rngs = isinstance(obj, type) and issubclass(obj, nnx.Module) and "rngs" in inspect.signature(obj.__init__).parameters
    try:
        module = obj(rngs=nnx.Rngs(0)) if takes_rngs else obj()
    except Exception as exc:  # noqa: BLE001 - the user's constructor failing is the spec's problem
        raise SpecError(f"cannot build {location!r} with no arguments{' but rngs' if takes_rngs else ''}: {type(exc).__name__}: {exc}") from None
    if not isinstance(module, (linen.Module, nnx.Module)):
        raise SpecError(f"{location!r} built a {type(module).__name__}, not a Flax linen or nnx Module")
    return module


def _restore_nnx(module: Any, saved: Mapping[str, Any], weights: str, nnx: Any) -> None:
    """Overwrite an nnx module's state with ``saved``, refusing any leaf whose path or shape differs."""
    import jax

    state = nnx.state(module)
    expected = jax.tree_util.tree_flatten_with_path(nnx.to_pure_dict(state))[0]
    found = dict(jax.tree_util.tree_flatten_with_path(saved)[0])
    for path, leaf in expected:
        if path not in found:
            raise SpecError(f"{weights!r} has no weights for {jax.tree_util.keystr(path)} of {type(module).__name__}")
        if getattr(found[path], "shape", None) != getattr(leaf, "shape", None):
            raise SpecError(f"{weights!r} holds {jax.tree_util.keystr(path)} with shape {getattr(found[path], 'shape', None)}, "
                            f"but {type(module).__name__} has {getattr(leaf, 'shape', None)}")
    if len(found) != len(expected):
        extra = sorted(jax.tree_util.keystr(p) for p in set(found) - {p for p, _ in expected})
        raise SpecError(f"{weights!r} holds weights {type(module).__name__} does not have: {', '.join(extra[:5])}")
    nnx.replace_by_pure_dict(state, saved)
    nnx.update(module, state)

"""Flax models as adapters: a linen ``(module, params)`` pair, or an nnx module with encode/decode.

linen modules are stateless: ``from_flax(module, params)`` (or just the pair handed to
``interpbench.score``) calls ``module.apply({"params": params}, x, method="encode")`` and
``method="decode"``. An nnx module holds its own state and is an ordinary object with
``encode``/``decode``: ``interpbench.score(model)`` needs nothing more. JAX takes NumPy arrays
and its arrays read back as NumPy, so no conversion code is needed either way.
"""

from __future__ import annotations

import sys
from collections.abc import Mapping
from typing import Any

from ..errors import AdapterError
from . import require

__all__ = ["FlaxLinenAdapter", "from_flax", "is_linen_pair"]

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

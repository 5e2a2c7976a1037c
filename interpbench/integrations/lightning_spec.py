"""``lightning:path/module.py:Class@checkpoint.ckpt`` specs: a LightningModule restored from its checkpoint.

Apart from :mod:`interpbench.integrations.lightning` (the callback), which needs Lightning just to
be imported: here a missing Lightning is reported as what the spec needs.
"""

from __future__ import annotations

import os
from typing import Any

from ..adapters.user_code import load_adapter_object
from ..errors import SpecError
from . import require

__all__ = ["load_lightning"]


def load_lightning(spec: str) -> Any:
    """The LightningModule of a ``lightning:path/module.py:Class@checkpoint.ckpt`` spec.

    ``Class`` is imported from the file (or a ``package.module``) and restored with
    ``Class.load_from_checkpoint(checkpoint, map_location="cpu", weights_only=True)``: torch's
    weights-only unpickler, so a checkpoint cannot run code. The module must have
    ``encode``/``decode``, as for the callback.
    """
    location, at, checkpoint = spec.rpartition("@")
    if not at or not location or not checkpoint:
        raise SpecError(f"lightning spec {spec!r} must be 'lightning:path/module.py:Class@checkpoint.ckpt'")
    if not os.path.isfile(checkpoint):
        raise SpecError(f"Lightning checkpoint {checkpoint!r} does not exist")
    lightning = require("lightning", "lightning", f"the spec 'lightning:{spec}'")
    cls = load_adapter_object(location)
    if not (isinstance(cls, type) and issubclass(cls, lightning.LightningModule)):
        raise SpecError(f"{location!r} is not a LightningModule class")
    try:
        module = cls.load_from_checkpoint(checkpoint, map_location="cpu", weights_only=True)
    except Exception as exc:  # noqa: BLE001 - a checkpoint that does not load is the spec's problem
        raise SpecError(f"cannot restore {cls.__name__} from {checkpoint!r}: {type(exc).__name__}: {exc}") from None
    return module

"""Turn whatever the user hands us (a module, a pair of functions, an object, a spec string) into a Harness."""

from __future__ import annotations

import importlib
import importlib.util
import inspect
import sys
from collections.abc import Callable
from pathlib import Path
from typing import Any

from ..errors import SpecError
from .builtin import BUILTIN_ADAPTERS
from .harness import Harness

__all__ = ["FunctionAdapter", "load_adapter", "as_harness"]

# What importing or calling the user's code may raise. SystemExit and KeyboardInterrupt are
# included: a module that calls sys.exit() on import must be reported, not end the CLI silently.
_USER_ERRORS = (Exception, SystemExit, KeyboardInterrupt)


class FunctionAdapter:
    """A pair of plain callables presented as an adapter."""

    def __init__(self, encode: Callable[[Any], Any], decode: Callable[[Any], Any]) -> None:
        self._encode, self._decode = encode, decode

    def encode(self, images: Any) -> Any:
        return self._encode(images)

    def decode(self, codes: Any) -> Any:
        return self._decode(codes)


def load_adapter(spec: str) -> Any:
    """Resolve a built-in name, ``package.module:name`` or ``path/to/file.py:name`` to an adapter object.

    ``name`` may be an object with ``encode``/``decode``, a class, or a zero-argument factory.
    """
    if spec in BUILTIN_ADAPTERS:
        return BUILTIN_ADAPTERS[spec]()
    location, sep, attr = spec.rpartition(":")
    if not sep or not location or not attr:
        raise SpecError(
            f"adapter {spec!r} is neither a built-in ({', '.join(BUILTIN_ADAPTERS)}) nor of the form "
            "'package.module:name' or 'path/to/file.py:name'"
        )
    module = _import_file(location) if location.endswith(".py") else _import_module(location)
    obj: Any = module
    for part in attr.split("."):
        if not hasattr(obj, part):
            raise SpecError(f"{location!r} has no attribute {attr!r}")
        obj = getattr(obj, part)
    return _instantiate(obj, spec)


def _import_module(name: str) -> Any:
    try:
        return importlib.import_module(name)
    except _USER_ERRORS as exc:  # noqa: BLE001 - any import failure is the spec's problem
        raise SpecError(f"cannot import module {name!r}: {type(exc).__name__}: {exc}") from None


def _import_file(path_text: str) -> Any:
    path = Path(path_text)
    if not path.is_file():
        raise SpecError(f"adapter file {path_text!r} does not exist")
    module_name = f"_interpbench_adapter_{abs(hash(str(path.resolve())))}"
    spec = importlib.util.spec_from_file_location(module_name, path)
    if spec is None or spec.loader is None:
        raise SpecError(f"cannot load {path_text!r} as a Python module")
    module = importlib.util.module_from_spec(spec)
    sys.modules[module_name] = module
    try:
        spec.loader.exec_module(module)
    except _USER_ERRORS as exc:  # noqa: BLE001
        sys.modules.pop(module_name, None)
        raise SpecError(f"importing {path_text!r} failed: {type(exc).__name__}: {exc}") from None
    return module


def _has_methods(obj: Any) -> bool:
    return callable(getattr(obj, "encode", None)) and callable(getattr(obj, "decode", None))


def _instantiate(obj: Any, spec: str) -> Any:
    if _has_methods(obj) and not inspect.isclass(obj):
        return obj
    if callable(obj):
        try:
            obj = obj()
        except _USER_ERRORS as exc:  # noqa: BLE001
            raise SpecError(f"calling {spec!r} with no arguments failed: {type(exc).__name__}: {exc}") from None
        if _has_methods(obj):
            return obj
    raise SpecError(f"{spec!r} is not an object with encode() and decode() methods, nor a class or factory making one")


def as_harness(model: Any, *, name: str | None = None, **options: Any) -> Harness:
    """Accept every supported form of model and wrap it in a :class:`Harness`.

    ``model`` is a Harness (returned as is), a spec string, a ``(encode, decode)`` pair of
    callables, an ``nn.Module`` with ``encode``/``decode``, or any object with those methods.
    """
    if isinstance(model, Harness):
        return model
    if isinstance(model, str):
        name = name or model
        model = load_adapter(model)
    elif isinstance(model, tuple) and len(model) == 2 and all(callable(f) for f in model):
        model = FunctionAdapter(*model)
    return Harness(model, name=name or type(model).__name__, **options)

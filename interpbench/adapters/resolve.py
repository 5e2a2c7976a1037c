"""Turn whatever the user hands us (a module, a pair of functions, an object, a spec string) into a Harness."""

from __future__ import annotations

import importlib
import inspect
import sys
import types
from collections.abc import Callable
from typing import Any

from ..errors import SpecError
from .builtin import BUILTIN_ADAPTERS
from .harness import Harness
from .user_code import USER_ERRORS as _USER_ERRORS
from .user_code import load_adapter_object

__all__ = ["FunctionAdapter", "load_adapter", "as_harness", "SPEC_PREFIXES", "register_spec_prefix"]



class FunctionAdapter:
    """A pair of plain callables presented as an adapter.

    Torch callables get tensors, eval mode and ``no_grad``, as modules do. They are recognised
    when either is an ``nn.Module``, a method of one, or a function whose closure or globals
    refer to a module or to torch itself; ``torch=True`` or ``False`` says so explicitly.
    """

    def __init__(self, encode: Callable[[Any], Any], decode: Callable[[Any], Any], *, torch: bool | None = None) -> None:
        self._encode, self._decode = encode, decode
        found = [_torch_parts(encode), _torch_parts(decode)]
        uses_torch = any(uses for uses, _ in found) if torch is None else bool(torch)
        if uses_torch:
            modules: list[Any] = []
            for _, parts in found:
                modules += [m for m in parts if all(m is not seen for seen in modules)]
            # Read by the Harness: these callables take tensors; these modules go to eval mode and the device.
            self.torch_modules = modules
        else:
            # Methods of a plain object holding torch modules (self.net = nn.Module): the harness tries
            # tensors first, NumPy arrays if those fail (see Harness).
            owners = [getattr(f, "__self__", None) for f in (encode, decode)]
            self.held_torch_modules = [m for owner in owners if hasattr(owner, "__dict__")
                                       for m in vars(owner).values() if _is_module(m)]

    @property
    def name(self) -> str:
        """A display name from the pair itself: the object whose methods they are, or their names."""
        owners = [getattr(f, "__self__", None) for f in (self._encode, self._decode)]
        if owners[0] is not None and owners[0] is owners[1]:
            return type(owners[0]).__name__
        names = [_callable_name(f) for f in (self._encode, self._decode)]
        return "/".join(names) if all(names) else "encode/decode pair"

    def encode(self, images: Any) -> Any:
        return self._encode(images)

    def decode(self, codes: Any) -> Any:
        return self._decode(codes)


def _is_module(value: Any) -> bool:
    torch = sys.modules.get("torch")
    return torch is not None and isinstance(value, torch.nn.Module)


def _callable_name(fn: Any) -> str | None:
    """A module's class name, a function's or method's qualified name; None for lambdas."""
    torch = sys.modules.get("torch")
    if torch is not None and isinstance(fn, torch.nn.Module):
        return type(fn).__name__
    name = getattr(fn, "__qualname__", None) or getattr(type(fn), "__name__", None)
    return None if not name or "<lambda>" in name else name


def _torch_parts(fn: Any) -> tuple[bool, list[Any]]:
    """Whether ``fn`` works on torch tensors, and the torch modules it runs (see FunctionAdapter)."""
    torch = sys.modules.get("torch")
    if torch is None:
        return False, []
    module_type = torch.nn.Module
    if isinstance(fn, module_type):
        return True, [fn]
    if isinstance(getattr(fn, "__self__", None), module_type):
        return True, [fn.__self__]
    code = getattr(fn, "__code__", None)
    if code is None:
        return False, []
    refs = [cell.cell_contents for cell in (getattr(fn, "__closure__", None) or ()) if _filled(cell)]
    refs += [fn.__globals__[n] for n in code.co_names if n in getattr(fn, "__globals__", {})]
    modules = [r for r in refs if isinstance(r, module_type)]
    uses_torch = bool(modules) or any(isinstance(r, types.ModuleType) and r.__name__.split(".")[0] == "torch" for r in refs)
    return uses_torch, modules


def _filled(cell: Any) -> bool:
    try:
        cell.cell_contents
    except ValueError:  # a closure variable not yet assigned
        return False
    return True


# Spec strings PREFIX:REST that load a third-party library's saved model: prefix -> loader, as
# "module:function" (imported on first use, so the core never imports the library) or a
# callable. The loader takes REST and returns an adapter; a new library touches only this table.
SPEC_PREFIXES: dict[str, str | Callable[[str], Any]] = {
    "pythae": "interpbench.integrations.pythae:load_pythae",
    "keras": "interpbench.integrations.keras:load_keras",
    "diffusers": "interpbench.integrations.diffusers:load_diffusers",
    "lightning": "interpbench.integrations.lightning_spec:load_lightning",
    "sklearn": "interpbench.integrations.sklearn:load_sklearn",
    "flax": "interpbench.integrations.flax:load_flax",
}


def register_spec_prefix(prefix: str, loader: str | Callable[[str], Any]) -> None:
    """Make ``PREFIX:REST`` spec strings load with ``loader(REST)`` (a callable or "module:function")."""
    SPEC_PREFIXES[prefix] = loader


def _prefix_loader(prefix: str) -> Callable[[str], Any]:
    loader = SPEC_PREFIXES[prefix]
    if callable(loader):
        return loader
    module, _, attr = loader.partition(":")
    return getattr(importlib.import_module(module), attr)


def load_adapter(spec: str, suite: Any = None) -> Any:
    """Resolve a spec string to an adapter object.

    ``spec`` is a built-in name (``oracle``, ``pixels``), ``PREFIX:REST`` for a registered
    third-party loader (``pythae:FOLDER``), ``package.module:name`` (modules in the current
    directory resolve, as under ``python -m``) or ``path/to/file.py:name``. ``name`` may be an
    object with ``encode``/``decode``, a class, a zero-argument factory returning such an object
    or an ``(encode, decode)`` pair, or an ``(encode, decode)`` pair itself.
    """
    if spec in BUILTIN_ADAPTERS:
        return BUILTIN_ADAPTERS[spec](suite)
    prefix, _, rest = spec.partition(":")
    if prefix in SPEC_PREFIXES:
        if not rest:
            raise SpecError(f"adapter {spec!r} names no path after {prefix + ':'!r}")
        return _prefix_loader(prefix)(rest)
    location, sep, attr = spec.rpartition(":")
    if not sep or not location or not attr:
        raise SpecError(
            f"adapter {spec!r} is neither a built-in ({', '.join(BUILTIN_ADAPTERS)}) nor of the form "
            "'package.module:name', 'path/to/file.py:name' or "
            + ", ".join(f"'{p}:PATH'" for p in SPEC_PREFIXES)
        )
    return _instantiate(load_adapter_object(spec), spec)


def _has_methods(obj: Any) -> bool:
    return callable(getattr(obj, "encode", None)) and callable(getattr(obj, "decode", None))


def _is_pair(obj: Any) -> bool:
    return isinstance(obj, tuple) and len(obj) == 2 and all(callable(f) for f in obj)


def _instantiate(obj: Any, spec: str) -> Any:
    if _has_methods(obj) and not inspect.isclass(obj):
        return obj
    if _is_pair(obj):
        return FunctionAdapter(*obj)
    if callable(obj):
        try:
            obj = obj()
        except _USER_ERRORS as exc:  # noqa: BLE001
            raise SpecError(f"calling {spec!r} with no arguments failed: {type(exc).__name__}: {exc}") from None
        if _has_methods(obj):
            return obj
        if _is_pair(obj):
            return FunctionAdapter(*obj)
    raise SpecError(
        f"{spec!r} is not an object with encode() and decode() methods nor an (encode, decode) pair, "
        "nor a class or factory making one"
    )


def _linen_pair(model: Any) -> bool:
    from ..integrations.flax import is_linen_pair

    return is_linen_pair(model)


def as_harness(model: Any, *, name: str | None = None, suite: Any = None, **options: Any) -> Harness:
    """Accept every supported form of model and wrap it in a :class:`Harness`.

    ``model`` is a Harness (returned as is), a spec string, a ``(encode, decode)`` pair of
    callables, an ``nn.Module`` with ``encode``/``decode``, or any object with those methods.
    ``suite`` is the suite a built-in adapter (``oracle``) is made for.
    """
    if isinstance(model, Harness):
        return model
    if isinstance(model, str):
        name = name or model
        model = load_adapter(model, suite=suite)
    elif "flax.linen" in sys.modules and _linen_pair(model):
        from ..integrations.flax import from_flax

        model = from_flax(*model)
    elif _is_pair(model):
        model = FunctionAdapter(*model)
    own_name = getattr(model, "name", None)
    return Harness(model, name=name or (own_name if isinstance(own_name, str) and own_name else type(model).__name__), **options)

"""Import the object a ``package.module:name`` or ``path/to/file.py:name`` spec names.

Its own module because the adapter resolver and the library loaders (``lightning:``, ``flax:``,
which name a module file) both need it, and the resolver imports those loaders' modules.
"""

from __future__ import annotations

import importlib
import importlib.util
import os
import sys
from pathlib import Path
from typing import Any

from ..errors import SpecError

__all__ = ["USER_ERRORS", "load_adapter_object"]

# What importing or calling the user's code may raise. SystemExit is included: a module that
# calls sys.exit() on import must be reported, not end the CLI silently. Ctrl-C is the user's,
# not the module's: it passes through (the CLI exits 130).
USER_ERRORS = (Exception, SystemExit)


def load_adapter_object(spec: str) -> Any:
    """The object ``package.module:name`` or ``path/to/file.py:name`` names, not instantiated."""
    location, sep, attr = spec.rpartition(":")
    if not sep or not location or not attr:
        raise SpecError(f"{spec!r} is not of the form 'package.module:name' or 'path/to/file.py:name'")
    module = _import_file(location) if location.endswith(".py") else _import_module(location)
    obj: Any = module
    for part in attr.split("."):
        if not hasattr(obj, part):
            raise SpecError(f"{location!r} has no attribute {attr!r}")
        obj = getattr(obj, part)
    return obj


def _import_module(name: str) -> Any:
    # `python -m` and `python -c` put the current directory first on sys.path; a console script
    # does not, so a user's `mymodel.py` next to them would not import without this.
    cwd = os.getcwd()
    added = cwd not in sys.path and "" not in sys.path
    if added:
        sys.path.insert(0, cwd)
    try:
        return importlib.import_module(name)
    except ModuleNotFoundError as exc:
        if exc.name and (name == exc.name or name.startswith(exc.name + ".")):
            raise SpecError(
                f"cannot import module {name!r}: no module named {exc.name!r} in the current directory "
                f"({cwd}) or on sys.path; run from the folder that holds it, install your project "
                "(pip install -e .), or add its folder to PYTHONPATH"
            ) from None
        raise SpecError(f"cannot import module {name!r}: {type(exc).__name__}: {exc}") from None
    except USER_ERRORS as exc:  # noqa: BLE001 - any import failure is the spec's problem
        raise SpecError(f"cannot import module {name!r}: {type(exc).__name__}: {exc}") from None
    finally:
        if added:
            sys.path.remove(cwd)


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
    except USER_ERRORS as exc:  # noqa: BLE001
        sys.modules.pop(module_name, None)
        raise SpecError(f"importing {path_text!r} failed: {type(exc).__name__}: {exc}") from None
    return module

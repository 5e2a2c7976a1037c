"""Ready integrations with third-party libraries, each behind an optional extra.

- :mod:`interpbench.integrations.pythae`: ``from_pythae(model)`` and ``pythae:FOLDER`` specs
  (``pip install 'interpbench[pythae]'``);
- :mod:`interpbench.integrations.lightning`: ``InterpBenchCallback`` scores a LightningModule
  while it trains (``pip install 'interpbench[lightning]'``).

Importing this package imports neither library; each is imported when first used, and its
absence is a :class:`~interpbench.MissingDependencyError` naming the extra to install.
"""

from __future__ import annotations

import importlib
from typing import Any

from ..errors import MissingDependencyError

__all__ = ["require"]


def require(module: str, extra: str, what: str) -> Any:
    """Import ``module`` or raise a :class:`MissingDependencyError` saying how to install ``extra``."""
    try:
        return importlib.import_module(module)
    except ImportError as exc:
        raise MissingDependencyError(
            f"{what} needs the {extra} library, which is not installed ({exc}); "
            f"install it with: pip install 'interpbench[{extra}]'"
        ) from None

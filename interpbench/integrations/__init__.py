"""Ready integrations with third-party libraries, each behind an optional extra.

One module per library: ``pythae``, ``lightning``, ``keras``, ``flax``, ``diffusers``,
``sklearn`` (``from_sklearn`` is core; ``sklearn:FILE.skops`` needs skops) and ``torchmetrics``.
Each offers a ``from_<library>`` adapter where one is needed and, for saved models, a loader
registered as a ``PREFIX:...`` spec in :data:`interpbench.adapters.resolve.SPEC_PREFIXES`.

Importing this package imports none of the libraries; each is imported when first used, and its
absence is a :class:`~interpbench.MissingDependencyError` naming the extra to install
(``pip install 'interpbench[EXTRA]'``).
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

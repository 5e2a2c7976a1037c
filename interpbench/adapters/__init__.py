"""Adapters: the contract between the benchmark and a model under test."""

from .builtin import BUILTIN_ADAPTERS, OracleAdapter, PixelsAdapter
from .harness import LAYOUTS, VALUE_RANGES, Harness
from .resolve import SPEC_PREFIXES, FunctionAdapter, as_harness, load_adapter, register_spec_prefix
from ..integrations.pythae import PythaeAdapter, from_pythae
from ..integrations.sklearn import from_sklearn

__all__ = [
    "Harness",
    "FunctionAdapter",
    "OracleAdapter",
    "PixelsAdapter",
    "BUILTIN_ADAPTERS",
    "LAYOUTS",
    "VALUE_RANGES",
    "as_harness",
    "load_adapter",
    "SPEC_PREFIXES",
    "register_spec_prefix",
    "from_pythae",
    "PythaeAdapter",
    "from_sklearn",
]

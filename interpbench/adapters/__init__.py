"""Adapters: the contract between the benchmark and a model under test."""

from .builtin import BUILTIN_ADAPTERS, OracleAdapter, PixelsAdapter
from .harness import LAYOUTS, VALUE_RANGES, Harness
from .resolve import FunctionAdapter, as_harness, load_adapter

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
]

"""Errors interpbench raises on bad input: each carries one sentence naming the problem."""

from __future__ import annotations

__all__ = [
    "InterpbenchError",
    "AdapterError",
    "ModelOutputError",
    "SpecError",
    "CheckpointError",
    "DataError",
    "OptionError",
]


class InterpbenchError(Exception):
    """Base class: the CLI prints the message and exits non-zero without a traceback."""


class AdapterError(InterpbenchError):
    """An adapter could not be built, or one of its methods raised."""


class ModelOutputError(InterpbenchError):
    """A model returned something that cannot be scored (wrong shape or length, NaN, inf)."""


class SpecError(InterpbenchError):
    """A ``module:name`` or ``file.py:name`` spec string does not resolve to an adapter."""


class CheckpointError(InterpbenchError):
    """A checkpoint is missing, corrupt, or does not match the model."""


class DataError(InterpbenchError):
    """A data set or record file is missing, truncated, corrupt or malformed."""


class OptionError(InterpbenchError, ValueError):
    """An option has a value outside what the benchmark accepts."""

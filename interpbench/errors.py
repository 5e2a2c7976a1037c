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
    "SanityCheckError",
    "MissingDependencyError",
    "InterpbenchWarning",
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


class SanityCheckError(InterpbenchError):
    """A pre-scoring sanity check failed under ``strict=True`` (``--strict``): wrong value range or layout."""


class MissingDependencyError(InterpbenchError, ImportError):
    """An optional integration's library is not installed; the message says which extra installs it."""


class InterpbenchWarning(UserWarning):
    """A likely mistake that does not stop scoring (e.g. a decoder's values outside the declared range)."""

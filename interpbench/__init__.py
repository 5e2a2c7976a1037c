"""interpbench: how well does an autoencoder interpolate? The ACAI line benchmark as a library.

Quick use::

    import interpbench
    result = interpbench.score("oracle", seeds=[0, 1, 2])
    print(result.mean_distance, result.smoothness)
"""

from ._version import __version__
from .adapters import FunctionAdapter, Harness, as_harness, load_adapter
from .bank import LineBank, line_bank
from .errors import (
    AdapterError,
    CheckpointError,
    DataError,
    InterpbenchError,
    InterpbenchWarning,
    MissingDependencyError,
    ModelOutputError,
    OptionError,
    SanityCheckError,
    SpecError,
)
from .manifold import LineSet, angle_labels, render, test_set, training_stream
from .metrics import aggregate_smoothness, mean_distance, nearest_line, smoothness
from .protocol import score
from .result import Protocol, Result, SeedScore
from .scoring import PathScores, score_paths
from .spec import SPEC_VERSION

__all__ = [
    "__version__",
    "SPEC_VERSION",
    "render",
    "angle_labels",
    "test_set",
    "training_stream",
    "LineSet",
    "LineBank",
    "line_bank",
    "nearest_line",
    "smoothness",
    "aggregate_smoothness",
    "mean_distance",
    "score_paths",
    "PathScores",
    "score",
    "Result",
    "SeedScore",
    "Protocol",
    "Harness",
    "FunctionAdapter",
    "as_harness",
    "load_adapter",
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

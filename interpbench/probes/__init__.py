"""Probes of what codes are good for (SPEC §6): a linear classifier and k-means clustering.

On plain arrays::

    from interpbench.probes import linear_probe, kmeans_probe
    acc = linear_probe(train_codes, train_labels, test_codes, test_labels, seed=0)

On a model and a data set::

    from interpbench.probes import probe
    result = probe("pixels", "digits", seed=0)
    print(result.table())
"""

from .assignment import best_assignment, cluster_accuracy
from .kmeans import DEFAULT_RESTARTS, kmeans_probe
from .linear import linear_probe
from .result import PROBE_RESULT_FORMAT, ProbeResult
from .run import PROBES, encode_split, probe, probe_codes
from .whitening import Whitening, fit_whitening

__all__ = [
    "linear_probe",
    "kmeans_probe",
    "DEFAULT_RESTARTS",
    "fit_whitening",
    "Whitening",
    "best_assignment",
    "cluster_accuracy",
    "probe",
    "probe_codes",
    "encode_split",
    "PROBES",
    "ProbeResult",
    "PROBE_RESULT_FORMAT",
]

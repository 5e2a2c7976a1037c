"""Scoring a clustering against labels: the best one-to-one cluster→class map (Hungarian algorithm)."""

from __future__ import annotations

import numpy as np
from scipy.optimize import linear_sum_assignment

__all__ = ["best_assignment", "cluster_accuracy"]


def _contingency(clusters: np.ndarray, labels: np.ndarray, n_clusters: int, n_classes: int) -> np.ndarray:
    table = np.zeros((n_clusters, n_classes), dtype=np.int64)
    np.add.at(table, (clusters, labels), 1)
    return table


def best_assignment(clusters: np.ndarray, labels: np.ndarray, n_clusters: int | None = None, n_classes: int | None = None) -> dict[int, int]:
    """Cluster → class, one-to-one, maximising the number of items whose cluster maps to their class.

    With more clusters than classes some clusters stay unmapped (their items count as wrong).
    """
    clusters = np.asarray(clusters, dtype=np.int64)
    labels = np.asarray(labels, dtype=np.int64)
    n_clusters = int(n_clusters if n_clusters is not None else clusters.max() + 1)
    n_classes = int(n_classes if n_classes is not None else labels.max() + 1)
    table = _contingency(clusters, labels, n_clusters, n_classes)
    rows, cols = linear_sum_assignment(table, maximize=True)
    return {int(r): int(c) for r, c in zip(rows, cols)}


def cluster_accuracy(clusters: np.ndarray, labels: np.ndarray, n_clusters: int | None = None, n_classes: int | None = None) -> float:
    """Share (in %) of items whose cluster maps to their class under :func:`best_assignment`."""
    clusters = np.asarray(clusters, dtype=np.int64)
    labels = np.asarray(labels, dtype=np.int64)
    if clusters.shape != labels.shape or clusters.size == 0:
        raise ValueError(f"need one cluster per label, got {clusters.shape} clusters and {labels.shape} labels")
    mapping = best_assignment(clusters, labels, n_clusters, n_classes)
    mapped = np.array([mapping.get(int(c), -1) for c in range(int(clusters.max()) + 1)])
    return 100.0 * float(np.mean(mapped[clusters] == labels))

"""Capping CPU threads while scoring or probing, for busy shared machines."""

from __future__ import annotations

import sys
from collections.abc import Iterator
from contextlib import contextmanager

__all__ = ["limit_threads"]


@contextmanager
def limit_threads(threads: int | None) -> Iterator[None]:
    """Limit BLAS/OpenMP threads (threadpoolctl) and torch's intra-op threads to ``threads``; None: no limit.

    torch keeps its own pool, which threadpoolctl does not reach, so it is capped separately and
    restored afterwards.
    """
    if threads is None:
        yield
        return
    from threadpoolctl import threadpool_limits  # a scikit-learn dependency

    torch = sys.modules.get("torch")
    before = torch.get_num_threads() if torch is not None else None
    try:
        with threadpool_limits(limits=int(threads)):
            if torch is not None:
                torch.set_num_threads(int(threads))
            yield
    finally:
        if torch is not None and before is not None:
            torch.set_num_threads(before)

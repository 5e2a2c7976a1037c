"""Benchmark suites: analytic image manifolds with known factors and geodesics, all scored one way.

``lines`` (the paper's, spec v1) is the default; ``clock`` (two hands, a torus) and ``blob`` (a
Gaussian in a square, flat) are interpbench's own (docs/SPEC.md §X4–X5). A new suite subclasses
:class:`Suite` and calls :func:`register_suite` once; every command and ``score(..., suite=...)``
then accepts it.
"""

from __future__ import annotations

from ..errors import OptionError
from .base import NearestBank, Suite
from .blob import BlobSuite
from .clock import ClockSuite
from .lines import LinesSuite

__all__ = ["Suite", "NearestBank", "SUITES", "DEFAULT_SUITE", "register_suite", "get_suite", "suite_names"]

SUITES: dict[str, Suite] = {}
DEFAULT_SUITE = "lines"


def register_suite(suite: Suite) -> Suite:
    """Make ``suite`` available by its name everywhere (CLI ``--suite``, ``score(suite=...)``)."""
    if suite.name in SUITES:
        raise ValueError(f"a suite named {suite.name!r} is already registered")
    SUITES[suite.name] = suite
    return suite


def get_suite(name: str | Suite | None) -> Suite:
    """The registered suite of that name (``None``: the default, lines); a :class:`Suite` passes through."""
    if isinstance(name, Suite):
        return name
    key = DEFAULT_SUITE if name is None else str(name)
    if key not in SUITES:
        raise OptionError(f"unknown suite {key!r}; choose one of {', '.join(SUITES)} (interpbench suites lists them)")
    return SUITES[key]


def suite_names() -> tuple[str, ...]:
    return tuple(SUITES)


for _suite in (LinesSuite(), ClockSuite(), BlobSuite()):
    register_suite(_suite)

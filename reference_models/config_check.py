"""Checking config values (``--set key=value``, a checkpoint's config) before a model is built.

A value of the wrong type or outside what the networks and optimisers can use would otherwise
surface much later as a traceback deep inside torch (``lr='abc'``), or worse, as a run that
silently does nothing (``batch_size=-4``: zero training steps). Each field is checked against
its dataclass type and a range, and a bad one is one sentence naming field and value.
"""

from __future__ import annotations

import dataclasses
import math
import types
import typing
from collections.abc import Callable
from typing import Any

from interpbench.errors import OptionError
from interpbench.limits import MAX_BATCH_SIZE, MAX_WIDTH

__all__ = ["check_config_values"]

# field -> (test on the number, what the value must be). Fields of a model not named here
# only get the type check (and, for numbers, finiteness).
# Sizes have an upper bound too (interpbench.limits): batch_size=100000000 grew to 23 GB before
# the kernel killed it, instead of one sentence before any work.
_WIDE = f"an integer from 1 to {MAX_WIDTH:,}"
_RANGES: dict[str, tuple[Callable[[float], bool], str]] = {
    "depth": (lambda v: 1 <= v <= MAX_WIDTH, _WIDE),
    # The code is (32 >> scales)² pixels per channel: beyond 5 scales nothing is left of the image.
    "scales": (lambda v: 0 <= v <= 5, "an integer from 0 to 5"),
    "latent": (lambda v: 1 <= v <= MAX_WIDTH, _WIDE),
    "batch_size": (lambda v: 1 <= v <= MAX_BATCH_SIZE, f"an integer from 1 to {MAX_BATCH_SIZE:,}"),
    "channels": (lambda v: v in (1, 3), "1 (grey) or 3 (colour)"),
    "lr": (lambda v: v > 0, "a positive number"),
    "critic_lr": (lambda v: v > 0, "a positive number (or null: the same as lr)"),
    "disc_lr": (lambda v: v > 0, "a positive number (or null: the same as lr)"),
    "disc_hidden": (lambda v: 1 <= v <= MAX_WIDTH, _WIDE),
    "disc_layers": (lambda v: 0 <= v <= 64, "an integer from 0 to 64"),
    "adversary_weight": (lambda v: v >= 0, "a non-negative number"),
    "reg_lambda": (lambda v: v >= 0, "a non-negative number"),
    "gamma": (lambda v: 0 <= v <= 1, "a number from 0 to 1"),
    "noise_std": (lambda v: v >= 0, "a non-negative number"),
    "keep_prob": (lambda v: 0 < v <= 1, "a number above 0 and at most 1"),
    "beta": (lambda v: v >= 0, "a non-negative number"),
    "codebook_size": (lambda v: 1 <= v <= MAX_WIDTH, _WIDE),
    "vectors": (lambda v: 1 <= v <= MAX_WIDTH, _WIDE),
    "hidden": (lambda v: 1 <= v <= MAX_WIDTH, _WIDE),
    "decay": (lambda v: 0 <= v < 1, "a number from 0 up to (not including) 1"),
    "commitment": (lambda v: v >= 0, "a non-negative number"),
    "epsilon": (lambda v: v > 0, "a positive number"),
}


def _kinds(annotation: Any) -> tuple[set[type], bool]:
    """The plain types a field annotation allows, and whether it allows None."""
    if isinstance(annotation, types.UnionType) or typing.get_origin(annotation) is typing.Union:
        args = typing.get_args(annotation)
        return {a for a in args if a is not type(None)}, type(None) in args
    return {annotation}, False


def _type_problem(value: Any, kinds: set[type]) -> str | None:
    """What is wrong with ``value`` for a field of ``kinds`` (None when nothing)."""
    if bool in kinds:
        return None if isinstance(value, bool) else "true or false"
    if isinstance(value, bool):  # bool is an int to Python, never to a config
        return ("a number" if float in kinds else "an integer") + ", not true/false"
    if int in kinds and float not in kinds:
        return None if isinstance(value, int) else "an integer"
    if float in kinds:
        if not isinstance(value, (int, float)):
            return "a number"
        return None if math.isfinite(value) else "a finite number"
    return None


def check_config_values(model: str, config_class: type, values: dict[str, Any]) -> None:
    """Raise :class:`OptionError` naming the first field of ``values`` with a bad type or range."""
    hints = typing.get_type_hints(config_class)
    fields = {f.name for f in dataclasses.fields(config_class)}
    for key, value in values.items():
        if key not in fields:
            continue  # unknown names are reported by the caller, with the list of fields
        kinds, nullable = _kinds(hints[key])
        if value is None:
            if nullable:
                continue
            problem = _RANGES.get(key, (None, "a value"))[1]
        else:
            problem = _type_problem(value, kinds)
            if problem is None and key in _RANGES and not isinstance(value, bool):
                test, wanted = _RANGES[key]
                problem = None if test(value) else wanted
        if problem is not None:
            raise OptionError(f"{model} config {key}={value!r} is not allowed: {key} must be {problem}")

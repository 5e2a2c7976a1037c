"""Versioned JSON Schemas (Draft 2020-12) for leaderboard entries and baselines, with readable errors."""

from __future__ import annotations

import copy
import json
from functools import lru_cache
from importlib import resources
from typing import Any

from jsonschema import Draft202012Validator
from jsonschema.exceptions import ValidationError

from ..errors import DataError

__all__ = ["ENTRY_SCHEMA", "BASELINE_SCHEMA", "RESULT_SCHEMA", "RESULT_SUMMARY_SCHEMA", "load_schema", "validate", "field_path"]

ENTRY_SCHEMA = "leaderboard_entry.v1.schema.json"
BASELINE_SCHEMA = "baseline.v1.schema.json"
RESULT_SCHEMA = "result.v1.schema.json"
# The result schema without the per-interpolation arrays: what `check` needs of a result
# (``Result.to_dict(per_path=False)`` leaves them out). Derived, so the two cannot drift apart.
RESULT_SUMMARY_SCHEMA = "result.v1.schema.json#summary"

# A record with dozens of problems is better fixed a few at a time than buried in a wall of text.
_MAX_ERRORS = 5


@lru_cache(maxsize=None)
def load_schema(name: str) -> dict[str, Any]:
    """The schema ``name`` shipped in ``interpbench/data/``, checked against its metaschema once."""
    if name == RESULT_SUMMARY_SCHEMA:
        schema = copy.deepcopy(load_schema(RESULT_SCHEMA))
        schema["required"] = [k for k in schema["required"] if k != "seeds"]
        schema["properties"]["seeds"]["items"]["required"] = ["seed"]
        return schema
    text = resources.files("interpbench").joinpath("data", name).read_text(encoding="utf-8")
    schema = json.loads(text)
    Draft202012Validator.check_schema(schema)
    return schema


def field_path(error: ValidationError) -> str:
    """'runs[0].metrics.mean_distance.mean' for an error inside that field; '(top level)' for the root."""
    out = ""
    for part in error.absolute_path:
        out += f"[{part}]" if isinstance(part, int) else (f".{part}" if out else str(part))
    return out or "(top level)"


def _describe(error: ValidationError) -> str:
    # oneOf/anyOf errors say little on their own; the most specific sub-error names the real problem.
    if error.context:
        deepest = max(error.context, key=lambda e: (len(e.absolute_path), -len(e.message)))
        if len(deepest.absolute_path) >= len(error.absolute_path) and deepest.validator != "type":
            return _describe(deepest)
    return f"{field_path(error)}: {error.message}"


def validate(record: Any, schema: str = ENTRY_SCHEMA, what: str = "record") -> None:
    """Raise :class:`DataError` naming each failing field (at most a few) if ``record`` breaks ``schema``."""
    validator = Draft202012Validator(load_schema(schema))
    errors = sorted(validator.iter_errors(record), key=lambda e: (list(map(str, e.absolute_path)), e.message))
    if not errors:
        return
    shown = [_describe(e) for e in errors[:_MAX_ERRORS]]
    more = f" (and {len(errors) - _MAX_ERRORS} more)" if len(errors) > _MAX_ERRORS else ""
    raise DataError(f"{what} is not a valid {schema.split('.')[0].replace('_', ' ')} v1 record: " + "; ".join(shown) + more)

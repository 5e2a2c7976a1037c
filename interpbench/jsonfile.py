"""Reading JSON records from disk, with every way it can fail as one sentence naming the file."""

from __future__ import annotations

import json
import math
import os
from typing import Any

from .errors import DataError

__all__ = ["read_json", "read_json_object", "dumps_record", "strict_json"]


class _NonStandard(ValueError):
    pass


def _no_constant(name: str) -> Any:
    # Python's json accepts NaN, Infinity and -Infinity, which are not JSON; refusing them here keeps
    # every record a strict JSON file that any other reader (and allow_nan=False writers) accept.
    raise _NonStandard(f"{name}, which is not JSON (write null for an undefined value)")


def _finite_float(text: str) -> float:
    # A literal such as 1e999 is valid JSON but overflows to inf, which no record may hold.
    value = float(text)
    if not math.isfinite(value):
        raise _NonStandard(f"the number {text}, too large for a float")
    return value


# Integers in records are counts, seeds and sizes: any beyond int64 is damage, and would overflow
# the float and int64 arithmetic they feed (10**400 cannot even become a float).
_INT_LIMIT = 2**63


def _bounded_int(text: str) -> int:
    value = int(text)
    if not -_INT_LIMIT <= value < _INT_LIMIT:
        raise _NonStandard(f"the integer {text[:20]}{'…' if len(text) > 20 else ''}, beyond the 64-bit range a record may hold")
    return value


def read_json(path: str | os.PathLike[str], what: str = "file") -> Any:
    """Parse a JSON file; a missing or unreadable file, a directory or malformed JSON is a :class:`DataError`.

    ``NaN`` and ``Infinity`` literals, which Python's json module would accept, are refused.
    """
    where = os.fspath(path)
    try:
        with open(path, encoding="utf-8") as f:
            return json.load(f, parse_constant=_no_constant, parse_float=_finite_float, parse_int=_bounded_int)
    except FileNotFoundError:
        raise DataError(f"{what} {where!r} does not exist") from None
    except IsADirectoryError:
        raise DataError(f"{what} {where!r} is a directory") from None
    except _NonStandard as exc:
        raise DataError(f"{what} {where!r} holds {exc}") from None
    except (json.JSONDecodeError, UnicodeDecodeError) as exc:
        raise DataError(f"{what} {where!r} is not valid JSON: {exc}") from None
    except RecursionError:
        raise DataError(f"{what} {where!r} is not a record: its JSON is nested too deeply") from None
    except ValueError as exc:  # e.g. an integer literal longer than Python's digit limit
        raise DataError(f"{what} {where!r} is not valid JSON: {exc}") from None
    except OSError as exc:
        raise DataError(f"cannot read {what} {where!r}: {exc.strerror or exc}") from None


def read_json_object(path: str | os.PathLike[str], what: str = "file") -> dict[str, Any]:
    """:func:`read_json` for files that must hold one JSON object (a record)."""
    data = read_json(path, what)
    if not isinstance(data, dict):
        raise DataError(f"{what} {os.fspath(path)!r} does not hold a JSON object")
    return data


def dumps_record(value: Any) -> str:
    """``value`` as strict JSON, one key per line, but every list of plain values on one line.

    Records hold long per-path lists of numbers; one number per line (``indent=1``) made them a
    fifth larger and no easier to read. Parsing gives back exactly ``json.dumps``'s value.

    >>> print(dumps_record({"seeds": [0, 1], "runs": [{"id": "a"}]}))
    {
     "seeds": [0, 1],
     "runs": [
      {
       "id": "a"
      }
     ]
    }
    """
    return _dumps(value, 0)


def _dumps(value: Any, depth: int) -> str:
    pad, inner = " " * depth, " " * (depth + 1)
    if isinstance(value, dict) and value:
        items = (f"{inner}{json.dumps(str(k))}: {_dumps(v, depth + 1)}" for k, v in value.items())
        return "{\n" + ",\n".join(items) + f"\n{pad}}}"
    if isinstance(value, (list, tuple)) and any(isinstance(v, (dict, list, tuple)) for v in value):
        return "[\n" + ",\n".join(f"{inner}{_dumps(v, depth + 1)}" for v in value) + f"\n{pad}]"
    return json.dumps(value, allow_nan=False)


def strict_json(value: Any) -> Any:
    """``value`` with NaN and infinities as ``None``, so that ``json.dumps(..., allow_nan=False)`` writes it.

    What interpbench prints or writes is strict JSON (no ``NaN`` literals, which most readers
    refuse); records built elsewhere (a training summary, a sweep's rows) go through this first.
    """
    if isinstance(value, float) and not math.isfinite(value):
        return None
    if isinstance(value, dict):
        return {k: strict_json(v) for k, v in value.items()}
    if isinstance(value, (list, tuple)):
        return [strict_json(v) for v in value]
    return value

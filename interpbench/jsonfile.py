"""Reading JSON records from disk, with every way it can fail as one sentence naming the file."""

from __future__ import annotations

import json
import os
from typing import Any

from .errors import DataError

__all__ = ["read_json", "read_json_object"]


def read_json(path: str | os.PathLike[str], what: str = "file") -> Any:
    """Parse a JSON file; a missing file, a directory or malformed JSON is a :class:`DataError`."""
    try:
        with open(path, encoding="utf-8") as f:
            return json.load(f)
    except FileNotFoundError:
        raise DataError(f"{what} {os.fspath(path)!r} does not exist") from None
    except IsADirectoryError:
        raise DataError(f"{what} {os.fspath(path)!r} is a directory") from None
    except (json.JSONDecodeError, UnicodeDecodeError) as exc:
        raise DataError(f"{what} {os.fspath(path)!r} is not valid JSON: {exc}") from None


def read_json_object(path: str | os.PathLike[str], what: str = "file") -> dict[str, Any]:
    """:func:`read_json` for files that must hold one JSON object (a record)."""
    data = read_json(path, what)
    if not isinstance(data, dict):
        raise DataError(f"{what} {os.fspath(path)!r} does not hold a JSON object")
    return data

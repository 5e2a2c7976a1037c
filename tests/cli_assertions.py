"""Assertions the bad-input CLI tests share."""

from __future__ import annotations


def one_error_line(result, message: str, code: int = 1) -> None:  # type: ignore[no-untyped-def]
    """Exit status ``code``, ``message`` in the output, and no traceback."""
    assert result.exit_code == code, result.output
    assert message in result.output, result.output
    assert "Traceback" not in result.output
    assert result.exception is None or isinstance(result.exception, SystemExit), repr(result.exception)

"""Assertions and CLI calls the tests share."""

from __future__ import annotations


def one_error_line(result, message: str, code: int = 1) -> None:  # type: ignore[no-untyped-def]
    """Exit status ``code``, ``message`` in the output, and no traceback."""
    assert result.exit_code == code, result.output
    assert message in result.output, result.output
    assert "Traceback" not in result.output
    assert result.exception is None or isinstance(result.exception, SystemExit), repr(result.exception)


def cli_mean_distance(spec: str, pairs: int) -> float:
    """``interpbench run --adapter SPEC --json``'s Mean Distance, after asserting it exited 0."""
    import json

    from click.testing import CliRunner

    from interpbench.cli import main

    cli = CliRunner().invoke(main, ["run", "--adapter", spec, "--pairs", str(pairs), "--json"])
    assert cli.exit_code == 0, cli.output
    return json.loads(cli.stdout)["metrics"]["mean_distance"]["mean"]

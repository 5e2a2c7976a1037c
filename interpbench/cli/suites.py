"""``interpbench suites``: the registered benchmark suites, their factors and spec sections."""

from __future__ import annotations

import json

import click


@click.command()
@click.option("--json", "as_json", is_flag=True, help="Print a JSON list instead of a table.")
def suites(as_json):  # type: ignore[no-untyped-def]
    """List the benchmark suites: name, factors, factor space, bank size, spec version and section."""
    from ..suites import SUITES

    rows = [suite.info() for suite in SUITES.values()]
    if as_json:
        click.echo(json.dumps(rows, indent=1))
        return
    for row in rows:
        click.echo(f"{row['name']:<8} {row['description']}")
        click.echo(f"{'':<8} factors {', '.join(row['factors'])} ({row['factor_space']}); bank {row['bank_size']:,} images; "
                   f"{row['classes']} probe classes; spec {row['spec_version']} ({row['spec_section']})")

"""Option types shared by several subcommands."""

from __future__ import annotations

import click

__all__ = ["SeedList", "parse_seeds"]


def parse_seeds(text: str) -> list[int]:
    """'0,1,2' or '0-4' or '3' -> sorted distinct seeds."""
    seeds: list[int] = []
    for part in text.split(","):
        part = part.strip()
        lo, dash, hi = part.partition("-")
        if not part or not lo.isdigit() or (dash and not hi.isdigit()):
            raise ValueError(f"{text!r} is not a seed list like '0,1,2' or '0-4'")
        seeds.extend(range(int(lo), int(hi) + 1) if dash else [int(lo)])
    if len(set(seeds)) != len(seeds):
        raise ValueError(f"{text!r} names a seed twice")
    return seeds


class SeedList(click.ParamType):
    name = "SEEDS"

    def convert(self, value, param, ctx):  # type: ignore[no-untyped-def]
        if isinstance(value, list):
            return value
        try:
            return parse_seeds(str(value))
        except ValueError as exc:
            self.fail(str(exc), param, ctx)

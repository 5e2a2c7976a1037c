"""Issue 18: hostile options, records and signals, each refused or survived by one mechanism."""

from __future__ import annotations

import json
import math
import os
import signal
import subprocess
import sys
import textwrap
from pathlib import Path

import numpy as np
import pytest
import torch
from click.testing import CliRunner

import interpbench
from interpbench.cli import main
from interpbench.errors import DataError, OptionError

from cli_assertions import one_error_line

TINY_ARGS = ["--kimg", "0.0625", "--eval-every", "0.015625", "--eval-pairs", "2", "--set", "depth=2", "--set", "batch_size=8"]


def cli(*args: str):
    return CliRunner().invoke(main, list(args))


# ----------------------------------------------------------------------- non-finite options
@pytest.mark.parametrize("args", [
    ["train", "baseline", "--kimg", "{v}"],
    ["train", "baseline", "--eval-every", "{v}"],
    ["reproduce", "--kimg", "{v}"],
    ["reproduce", "--minutes", "{v}"],
    ["leaderboard", "add", "r.json", "--kimg", "{v}"],
    ["leaderboard", "add", "r.json", "--wall-clock", "{v}"],
    ["leaderboard", "add", "r.json", "--samples-per-s", "{v}"],
    ["sweep", "grid.toml", "--cpus-per-run", "{v}"],
])
@pytest.mark.parametrize("value", ["nan", "inf", "-inf", "1e308"])
def test_non_finite_or_absurd_float_options_are_refused(tmp_path: Path, args: list[str], value: str) -> None:
    result = cli(*[a.format(v=value) for a in args])
    assert result.exit_code == 2, result.output
    assert "Traceback" not in result.output
    assert "finite number" in result.output or "is not in the range" in result.output


@pytest.mark.parametrize("value", ["NaN", "Infinity", "-Infinity", "1e999"])
def test_non_finite_set_values_are_refused(tmp_path: Path, value: str) -> None:
    one_error_line(cli("train", "baseline", "--out", str(tmp_path / "r"), "--set", f"lr={value}", *TINY_ARGS[:6]),
                   "is not a finite number")
    assert not (tmp_path / "r").exists()


@pytest.mark.parametrize("args, message", [
    (["run", "--adapter", "oracle", "--steps", "100000"], "--steps"),
    (["run", "--adapter", "oracle", "--batch-size", "100000000"], "--batch-size"),
    (["run", "--adapter", "oracle", "--seed", str(2**64)], "--seed"),
])
def test_work_an_option_asks_for_is_bounded(args: list[str], message: str) -> None:
    result = cli(*args)
    assert result.exit_code == 2 and message in result.output and "is not in the range" in result.output


@pytest.mark.parametrize("key, value", [("batch_size", 100_000_000), ("depth", 10**7), ("latent", 10**7)])
def test_model_sizes_a_config_asks_for_are_bounded(tmp_path: Path, key: str, value: int) -> None:
    one_error_line(cli("train", "baseline", "--out", str(tmp_path / "r"), "--set", f"{key}={value}", *TINY_ARGS[:6]),
                   f"{key}={value} is not allowed")
    assert not (tmp_path / "r").exists()

import json
import subprocess
import sys

import pytest
from click.testing import CliRunner

from interpbench import __version__
from interpbench.cli import main

BROKEN_ADAPTER = """
import numpy as np
class Raises:
    input_layout = "NHW"
    def encode(self, x): raise RuntimeError("encoder exploded")
    def decode(self, z): return z
class NaNs:
    input_layout = "NHW"
    def encode(self, x): return x
    def decode(self, z): return np.full(z.shape, np.nan)
class WrongSize:
    input_layout = "NHW"
    def encode(self, x): return x
    def decode(self, z): return np.zeros((len(z), 28, 28))
class ShortBatch:
    input_layout = "NHW"
    def encode(self, x): return x
    def decode(self, z): return z[:-1]
"""


@pytest.fixture()
def runner():
    return CliRunner()


@pytest.fixture()
def broken(tmp_path):
    path = tmp_path / "broken_adapters.py"
    path.write_text(BROKEN_ADAPTER)
    return path


def test_version(runner):
    result = runner.invoke(main, ["--version"])
    assert result.exit_code == 0 and __version__ in result.output


def test_run_oracle_prints_table_and_writes_record(runner, tmp_path):
    out = tmp_path / "oracle.json"
    result = runner.invoke(main, ["run", "--adapter", "oracle", "--seeds", "0-1", "--pairs", "16", "--output", str(out)])
    assert result.exit_code == 0, result.output
    assert "Mean Distance" in result.output and "Smoothness" in result.output
    record = json.loads(out.read_text())
    assert record["protocol"]["seeds"] == [0, 1] and record["model"]["adapter"] == "oracle"
    assert len(record["seeds"][0]["distances"]) == 16


def test_run_json_output(runner):
    result = runner.invoke(main, ["run", "--adapter", "pixels", "--seed", "2", "--pairs", "8", "--json"])
    assert result.exit_code == 0
    data = json.loads(result.output)
    assert data["protocol"]["seeds"] == [2] and data["metrics"]["smoothness"]["mean"] > 0.5


@pytest.mark.parametrize(
    "name, message",
    [
        ("Raises", "Raises.encode() raised RuntimeError: encoder exploded"),
        ("NaNs", "decode() returned NaN or inf"),
        ("WrongSize", "shape (28, 28)"),
        ("ShortBatch", "returned 255 images for a batch of 256"),
    ],
)
def test_model_failures_exit_nonzero_without_traceback_or_file(broken, tmp_path, name, message):
    out = tmp_path / "out.json"
    proc = subprocess.run(
        [sys.executable, "-m", "interpbench", "run", "--adapter", f"{broken}:{name}", "--pairs", "16", "--output", str(out)],
        capture_output=True,
        text=True,
    )
    assert proc.returncode == 1
    assert message in proc.stderr
    assert "Traceback" not in proc.stderr
    assert len(proc.stderr.strip().splitlines()) == 1
    assert not out.exists() and list(tmp_path.iterdir()) == [broken]


@pytest.mark.parametrize(
    "args, message",
    [
        (["--adapter", "nonexistent_pkg_q:thing"], "cannot import module"),
        (["--adapter", "interpbench:nothing_here"], "has no attribute"),
        (["--adapter", "pixels", "--pairs", "0"], "Invalid value for '--pairs'"),
        (["--adapter", "pixels", "--steps", "1"], "Invalid value for '--steps'"),
        (["--adapter", "pixels", "--seeds", "a-b"], "not a seed list"),
        (["--adapter", "pixels", "--seed", "1", "--seeds", "2"], "not both"),
        (["--adapter", "pixels", "--path", "spline"], "Invalid value for '--path'"),
        (["--checkpoint", "x.pt"], "--checkpoint needs --model"),
    ],
)
def test_bad_options_are_named(runner, args, message):
    result = runner.invoke(main, ["run", *args])
    assert result.exit_code != 0
    assert message in result.output
    assert result.exception is None or isinstance(result.exception, SystemExit)


def test_failed_run_keeps_existing_output_intact(broken, tmp_path, runner):
    out = tmp_path / "keep.json"
    out.write_text("previous")
    result = runner.invoke(main, ["run", "--adapter", f"{broken}:NaNs", "--output", str(out)])
    assert result.exit_code == 1 and out.read_text() == "previous"

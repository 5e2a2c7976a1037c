"""``interpbench probe`` end to end: tables, records, and errors that leave nothing half-written."""

from __future__ import annotations

import json
import sys
import types

import numpy as np
import pytest
from click.testing import CliRunner

from interpbench.cli import main
from interpbench.probes import ProbeResult


@pytest.fixture(autouse=True)
def _one_thread():
    """The test machine is shared: BLAS/OpenMP threads fighting for its cores make the probes 10× slower."""
    from threadpoolctl import threadpool_limits

    with threadpool_limits(limits=1):
        yield


def invoke(*args: str):
    return CliRunner().invoke(main, ["probe", *args], catch_exceptions=False)


def only_the_output(tmp_path) -> list[str]:
    """Everything in tmp_path: an aborted run must leave no output file and no temporary file."""
    return sorted(p.name for p in tmp_path.iterdir())


def test_pixels_on_digits_writes_a_record(tmp_path):
    out = tmp_path / "out.json"
    result = invoke("--adapter", "pixels", "--dataset", "digits", "--train-size", "300", "--restarts", "2", "--output", str(out))
    assert result.exit_code == 0, result.output
    assert "pixels" in result.output and "linear (%)" in result.output and "k-means (%)" in result.output
    record = json.loads(out.read_text())
    assert record["format"] == "interpbench-probe-result"
    assert record["model"] == {"name": "pixels", "adapter": "pixels", "layout": "NHW", "value_range": "-1,1"}
    assert record["dataset"]["name"] == "digits" and record["dataset"]["train_size"] == 300
    assert record["settings"]["seed"] == 0 and record["settings"]["kmeans_restarts"] == 2
    assert 60.0 < record["accuracy"]["linear"] <= 100.0
    assert 10.0 < record["accuracy"]["kmeans"] <= 100.0
    for key in ("spec_version", "package_version", "libraries", "hardware", "date"):
        assert key in record["provenance"]
    assert ProbeResult.load(out).accuracy == record["accuracy"]


def test_pixels_on_lines_linear(tmp_path):
    result = invoke("--adapter", "pixels", "--dataset", "lines", "--train-size", "500", "--probe", "linear", "--json")
    assert result.exit_code == 0, result.output
    record = json.loads(result.output)
    assert list(record["accuracy"]) == ["linear"]
    assert record["accuracy"]["linear"] > 80.0
    assert record["dataset"]["test_size"] == 5000


def test_lines_kmeans_is_seeded():
    args = ("--adapter", "pixels", "--dataset", "lines", "--train-size", "300", "--probe", "kmeans", "--restarts", "1", "--json")
    first = json.loads(invoke(*args, "--seed", "1").output)["accuracy"]
    assert json.loads(invoke(*args, "--seed", "1").output)["accuracy"] == first


def test_missing_files_exit_1_and_no_output(tmp_path):
    data = tmp_path / "data"
    data.mkdir()
    out = tmp_path / "out.json"
    result = CliRunner().invoke(main, ["probe", "--adapter", "pixels", "--dataset", "mnist", "--data-dir", str(data), "--output", str(out)])
    assert result.exit_code == 1
    assert "train-images-idx3-ubyte" in result.output and "missing" in result.output
    assert "Traceback" not in result.output
    assert only_the_output(tmp_path) == ["data"]


NAN_ADAPTER = """
import numpy as np

class NanModel:
    input_layout = "NHW"
    def encode(self, images):
        return np.full((images.shape[0], 4), np.nan)
    def decode(self, codes):
        return np.zeros((codes.shape[0], 32, 32))
"""


def test_nan_codes_exit_1_and_no_output(tmp_path):
    (tmp_path / "nan_model.py").write_text(NAN_ADAPTER)
    out = tmp_path / "out.json"
    spec = f"{tmp_path / 'nan_model.py'}:NanModel"
    result = CliRunner().invoke(main, ["probe", "--adapter", spec, "--dataset", "digits", "--output", str(out)])
    assert result.exit_code == 1
    assert "NaN" in result.output and "Traceback" not in result.output
    assert only_the_output(tmp_path) == ["nan_model.py"]


def test_needs_exactly_one_model():
    result = CliRunner().invoke(main, ["probe", "--dataset", "digits"])
    assert result.exit_code == 2 and "--adapter" in result.output
    result = CliRunner().invoke(main, ["probe", "--adapter", "pixels", "--model", "baseline", "--dataset", "digits"])
    assert result.exit_code == 2


def test_download_needs_a_directory():
    result = CliRunner().invoke(main, ["probe", "--adapter", "pixels", "--dataset", "mnist", "--download"])
    assert result.exit_code == 2 and "--data-dir" in result.output


def test_model_and_checkpoint_use_reference_models(tmp_path, monkeypatch):
    calls = {}

    class Tiny:
        input_layout = "flat"

        def encode(self, images):
            return images[:, ::64]

        def decode(self, codes):
            return np.zeros((codes.shape[0], 32, 32))

    def load_trained(name, checkpoint=None, device=None, config=None):
        calls.update(name=name, checkpoint=checkpoint, device=device, config=config)
        return Tiny(), {"preset": "baseline", "checkpoint_sha256": "abc", "kimg": 16}

    monkeypatch.setitem(sys.modules, "reference_models", types.SimpleNamespace(load_trained=load_trained))
    ckpt = tmp_path / "model.pt"
    ckpt.write_bytes(b"x")
    result = invoke("--model", "baseline", "--checkpoint", str(ckpt), "--dataset", "digits", "--probe", "linear", "--json")
    assert result.exit_code == 0, result.output
    assert calls == {"name": "baseline", "checkpoint": str(ckpt), "device": None, "config": None}
    record = json.loads(result.stdout)  # the untrained Tiny model warns on stderr
    assert record["model"]["name"] == "baseline" and record["model"]["checkpoint_sha256"] == "abc"
    assert record["code_shape"] == [16]


def test_model_without_reference_models_package(monkeypatch):
    monkeypatch.setitem(sys.modules, "reference_models", None)  # makes the import fail
    result = CliRunner().invoke(main, ["probe", "--model", "baseline", "--dataset", "digits"])
    assert result.exit_code == 1 and "reference_models" in result.output

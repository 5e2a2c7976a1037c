"""Every example in examples/ runs as written (one thread each: the suite shares its cores)."""

import os
import subprocess
import sys
from pathlib import Path

import pytest

EXAMPLES = Path(__file__).resolve().parents[1] / "examples"
ENV = {**os.environ, "OMP_NUM_THREADS": "1", "OPENBLAS_NUM_THREADS": "1", "MKL_NUM_THREADS": "1", "PYTHONWARNINGS": "ignore"}


def _run(*args, cwd=EXAMPLES.parent):
    proc = subprocess.run([sys.executable, *args], capture_output=True, text=True, env=ENV, cwd=cwd, timeout=600)
    assert proc.returncode == 0, proc.stdout + proc.stderr
    return proc.stdout


def test_every_example_is_tested():
    tested = {"numpy_adapter.py", "torch_module_adapter.py", "pythae_model.py", "lightning_training.py",
              "test_interpolation_regression.py"}
    assert {p.name for p in EXAMPLES.glob("*.py")} == tested


@pytest.mark.parametrize("script", ["numpy_adapter.py", "torch_module_adapter.py"])
def test_adapter_examples_score(script):
    out = _run(f"examples/{script}")
    assert "Mean Distance" in out and "undefined Smoothness" in out and "0 of 32" in out


def test_numpy_adapter_file_works_as_a_spec_string():
    out = _run("-m", "interpbench", "run", "--adapter", "examples/numpy_adapter.py:make", "--pairs", "8")
    assert "model: examples/numpy_adapter.py:make" in out


def test_pythae_example(tmp_path):
    pytest.importorskip("pythae")
    out = _run("examples/pythae_model.py", str(tmp_path / "vae"))
    assert "model: pythae VAE" in out and (tmp_path / "vae" / "model.pt").is_file()
    again = _run("-m", "interpbench", "run", "--adapter", f"pythae:{tmp_path / 'vae'}", "--pairs", "32")
    mean_distance = [line for line in out.splitlines() if line.startswith("Mean Distance")]
    assert mean_distance and mean_distance[0].split()[3] in again  # same model, same protocol, same number


def test_lightning_example():
    pytest.importorskip("lightning")
    out = _run("examples/lightning_training.py")
    assert "epoch 0:" in out and "epoch 1:" in out and "interpbench/mean_distance" in out


def test_ci_regression_example_passes_and_catches_a_regression(tmp_path):
    _run("-m", "pytest", "-q", "-p", "no:cacheprovider", "examples/test_interpolation_regression.py")
    # The same test against a baseline the model cannot meet must fail.
    baseline = (EXAMPLES / "interp_baseline.json").read_text()
    (tmp_path / "interp_baseline.json").write_text(baseline.replace('"mean": 0.8741', '"mean": 0.5741', 1))
    (tmp_path / "numpy_adapter.py").write_text((EXAMPLES / "numpy_adapter.py").read_text())
    (tmp_path / "test_interpolation_regression.py").write_text((EXAMPLES / "test_interpolation_regression.py").read_text())
    proc = subprocess.run([sys.executable, "-m", "pytest", "-q", "-p", "no:cacheprovider", str(tmp_path)],
                          capture_output=True, text=True, env=ENV, cwd=tmp_path, timeout=600)
    assert proc.returncode == 1 and "WORSE" in proc.stdout

"""Keras 3 on the JAX backend: a model trained and scored there scores the same from the CLI, and
`keras:FILE.keras` needs no KERAS_BACKEND where Keras' default (TensorFlow) is not installed.

Keras fixes its backend when first imported, so each backend runs in its own process.
"""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path

import pytest

import importlib.util

# Not imported here: importing Keras in this process would fix its backend for every later test.
if importlib.util.find_spec("keras") is None or importlib.util.find_spec("jax") is None:
    pytest.skip("needs keras and jax (the keras and flax extras)", allow_module_level=True)

ROOT = Path(__file__).resolve().parent.parent
PAIRS = 4

TRAIN_AND_SCORE = """
import json, sys, warnings
import keras, interpbench
from interpbench.integrations.keras import from_keras
from keras_autoencoder import trained_autoencoder
warnings.simplefilter("ignore")
model = trained_autoencoder()
result = interpbench.score(from_keras(model), pairs={pairs}, value_range="0,1")
model.save(sys.argv[1])
print(json.dumps({{"backend": keras.backend.backend(), "recorded": result.model["keras_backend"],
                  "layout": result.model["layout"], "mean_distance": result.mean_distance}}))
"""


def _env(**extra: str) -> dict[str, str]:
    env = {k: v for k, v in os.environ.items() if k != "KERAS_BACKEND"}
    return {**env, "PYTHONPATH": os.pathsep.join([str(ROOT), str(ROOT / "tests")]), "OMP_NUM_THREADS": "1", **extra}


def test_a_jax_backend_model_scores_with_no_glue_and_the_same_from_the_cli(tmp_path: Path) -> None:
    path = tmp_path / "ae.keras"
    trained = subprocess.run([sys.executable, "-c", TRAIN_AND_SCORE.format(pairs=PAIRS), str(path)], env=_env(KERAS_BACKEND="jax"),
                             capture_output=True, text=True, timeout=600)
    assert trained.returncode == 0, trained.stdout + trained.stderr
    python = json.loads(trained.stdout.strip().splitlines()[-1])
    assert python["backend"] == python["recorded"] == "jax" and python["layout"] == "NHWC"
    cli = [sys.executable, "-m", "interpbench", "run", "--adapter", f"keras:{path}", "--pairs", str(PAIRS), "--value-range", "0,1", "--json"]
    for backend in ("jax", None):  # None: KERAS_BACKEND unset (here: keras.json's TensorFlow is not installed, so torch)
        res = subprocess.run(cli, env=_env(**({"KERAS_BACKEND": backend} if backend else {})), capture_output=True, text=True, timeout=600)
        assert res.returncode == 0, res.stdout + res.stderr
        record = json.loads(res.stdout)
        expected = backend or _unset_backend()
        assert record["model"]["keras_backend"] == expected
        # the same weights on either backend: float32 kernels may differ in the last bits
        assert record["metrics"]["mean_distance"]["mean"] == pytest.approx(python["mean_distance"], rel=1e-5)


def _unset_backend() -> str:
    """What a keras: spec runs on with KERAS_BACKEND unset: keras.json's backend if installed, else torch."""
    from interpbench.integrations.keras import _configured_backend

    saved = os.environ.pop("KERAS_BACKEND", None)  # another test module may have set it for this process
    try:
        configured = _configured_backend()
    finally:
        if saved is not None:
            os.environ["KERAS_BACKEND"] = saved
    return configured if importlib.util.find_spec(configured) is not None else "torch"

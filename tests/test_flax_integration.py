"""Flax with the real library: a linen (module, params) pair and an nnx module, each scored with no wrapper."""

import numpy as np
import pytest

import interpbench

jax = pytest.importorskip("jax")
flax = pytest.importorskip("flax")
from flax import linen, nnx  # noqa: E402

PAIRS = 4
pytestmark = pytest.mark.filterwarnings("ignore::interpbench.errors.InterpbenchWarning")  # untrained


class LinenAE(linen.Module):
    def setup(self):
        self.enc = linen.Dense(8)
        self.dec = linen.Dense(1024)

    def encode(self, x):
        return self.enc(x.reshape(x.shape[0], -1))

    def decode(self, z):
        return jax.numpy.tanh(self.dec(z)).reshape(z.shape[0], 32, 32)

    def __call__(self, x):
        return self.decode(self.encode(x))


class NnxAE(nnx.Module):
    def __init__(self, rngs):
        self.enc = nnx.Linear(1024, 8, rngs=rngs)
        self.dec = nnx.Linear(8, 1024, rngs=rngs)

    def encode(self, x):
        return self.enc(x.reshape(x.shape[0], -1))

    def decode(self, z):
        return jax.numpy.tanh(self.dec(z)).reshape(z.shape[0], 32, 32)


def test_linen_module_and_params_score_as_a_pair():
    module = LinenAE()
    params = module.init(jax.random.PRNGKey(0), np.zeros((1, 32, 32), np.float32))
    result = interpbench.score((module, params), pairs=PAIRS, layout="NHW")
    assert result.model["library"] == "flax" and np.isfinite(result.mean_distance)
    x = interpbench.render(np.array([0.5]))
    expected = np.asarray(module.apply(params, x.astype(np.float32)), dtype=np.float64)
    harness = interpbench.as_harness((module, params), layout="NHW")
    np.testing.assert_allclose(harness.decode(harness.encode(x)), expected, atol=1e-6)
    assert interpbench.score((module, params["params"]), pairs=PAIRS, layout="NHW").mean_distance == result.mean_distance


def test_nnx_module_scores_as_it_is():
    model = NnxAE(nnx.Rngs(0))
    result = interpbench.score(model, pairs=PAIRS)
    assert np.isfinite(result.mean_distance) and result.name == "NnxAE"
    assert "flax" in result.provenance["libraries"] and "jax" in result.provenance["libraries"]

"""Flax with the real library: a linen (module, params) pair and an nnx module, each scored with no wrapper."""

from pathlib import Path

import numpy as np
import pytest

import interpbench
from cli_assertions import cli_mean_distance

jax = pytest.importorskip("jax")
flax = pytest.importorskip("flax")
from flax import nnx  # noqa: E402
from flax_autoencoders import LinenAE, NnxAE  # noqa: E402

MODULE_FILE = Path(__file__).with_name("flax_autoencoders.py")

PAIRS = 4
pytestmark = pytest.mark.filterwarnings("ignore::interpbench.errors.InterpbenchWarning")  # untrained


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




def test_saved_linen_and_nnx_weights_score_from_the_command_line_as_from_python(tmp_path):
    from flax import serialization

    module = LinenAE()
    params = module.init(jax.random.PRNGKey(3), np.zeros((1, 32, 32), np.float32))
    (tmp_path / "linen.msgpack").write_bytes(serialization.msgpack_serialize(params))
    assert cli_mean_distance(f"flax:{MODULE_FILE}:LinenAE@{tmp_path / 'linen.msgpack'}", PAIRS) == \
        interpbench.score((module, params), pairs=PAIRS).mean_distance
    model = NnxAE(nnx.Rngs(7))  # not the Rngs(0) the spec builds with: the weights must come from the file
    (tmp_path / "nnx.msgpack").write_bytes(serialization.msgpack_serialize(nnx.to_pure_dict(nnx.state(model))))
    assert cli_mean_distance(f"flax:{MODULE_FILE}:NnxAE@{tmp_path / 'nnx.msgpack'}", PAIRS) == \
        interpbench.score(model, pairs=PAIRS).mean_distance


def test_flax_spec_refusals_say_what_is_wrong(tmp_path):
    from flax import serialization

    small = {"enc": {"kernel": np.zeros((1024, 4), np.float32), "bias": np.zeros(4, np.float32)},
             "dec": {"kernel": np.zeros((4, 1024), np.float32), "bias": np.zeros(1024, np.float32)}}
    (tmp_path / "small.msgpack").write_bytes(serialization.msgpack_serialize(small))
    with pytest.raises(interpbench.SpecError, match=r"with shape \(4, 1024\), but NnxAE has \(8, 1024\)"):
        interpbench.score(f"flax:{MODULE_FILE}:NnxAE@{tmp_path / 'small.msgpack'}")
    with pytest.raises(interpbench.SpecError, match="does not exist"):
        interpbench.score(f"flax:{MODULE_FILE}:NnxAE@{tmp_path / 'missing.msgpack'}")
    with pytest.raises(interpbench.SpecError, match="must be"):
        interpbench.score(f"flax:{MODULE_FILE}:NnxAE")
    (tmp_path / "junk.msgpack").write_bytes(b"\xc1\xc1\xc1")
    with pytest.raises(interpbench.SpecError, match="cannot read Flax weights"):
        interpbench.score(f"flax:{MODULE_FILE}:NnxAE@{tmp_path / 'junk.msgpack'}")

"""from_keras and keras:FILE.keras against the real Keras 3 (torch backend), a tiny autoencoder."""

import os

os.environ.setdefault("KERAS_BACKEND", "torch")  # before keras is imported: Keras picks its backend once

import numpy as np  # noqa: E402
import pytest  # noqa: E402
from click.testing import CliRunner  # noqa: E402

import interpbench  # noqa: E402
from interpbench.cli import main  # noqa: E402

keras = pytest.importorskip("keras")
from interpbench.integrations.keras import from_keras  # noqa: E402

PAIRS = 4


@pytest.fixture(scope="module")
def autoencoder():
    from keras_autoencoder import trained_autoencoder

    return trained_autoencoder()


@pytest.mark.filterwarnings("ignore::interpbench.errors.InterpbenchWarning")  # one epoch: barely trained
def test_keras_autoencoder_scores_with_no_glue(autoencoder, tmp_path):
    result = interpbench.score(from_keras(autoencoder), pairs=PAIRS)
    assert result.model["layout"] == "NHWC" and result.model["keras_backend"] == keras.backend.backend()
    assert result.model["value_range"] in interpbench.adapters.VALUE_RANGES
    x = ((interpbench.render(np.array([0.4])) + 1) / 2)[..., None].astype("float32")
    harness = interpbench.as_harness(from_keras(autoencoder, value_range="0,1"))
    np.testing.assert_allclose((harness.decode(harness.encode(x[..., 0] * 2 - 1)) + 1) / 2,
                               keras.ops.convert_to_numpy(autoencoder(x))[..., 0], atol=1e-6)
    path = tmp_path / "ae.keras"
    autoencoder.save(path)
    spec = interpbench.score(f"keras:{path}", pairs=PAIRS, value_range="0,1")
    assert spec.mean_distance == pytest.approx(interpbench.score(from_keras(autoencoder), pairs=PAIRS, value_range="0,1").mean_distance, rel=1e-6)
    cli = CliRunner().invoke(main, ["run", "--adapter", f"keras:{path}", "--pairs", str(PAIRS), "--value-range", "0,1", "--json"])
    assert cli.exit_code == 0, cli.output


def test_a_pair_and_the_refusals(autoencoder, tmp_path):
    pair = from_keras(autoencoder.get_layer("encoder"), autoencoder.get_layer("decoder"))
    assert pair.input_shape == (None, 32, 32, 1)
    with pytest.raises(interpbench.AdapterError, match="'encoder' and 'decoder'"):
        from_keras(keras.Sequential([keras.Input((4,)), keras.layers.Dense(4)]))
    with pytest.raises(interpbench.SpecError, match="does not exist"):
        interpbench.score(f"keras:{tmp_path / 'missing.keras'}")

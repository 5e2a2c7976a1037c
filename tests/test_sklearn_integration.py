"""from_sklearn with the real scikit-learn: PCA (transform/inverse_transform) and an MLPRegressor fitted X -> X."""

import warnings

import numpy as np
import pytest
from sklearn.decomposition import PCA
from sklearn.exceptions import ConvergenceWarning
from sklearn.neural_network import MLPRegressor

import interpbench
from cli_assertions import cli_mean_distance
from interpbench import AdapterError
from interpbench.adapters import from_sklearn

PAIRS = 8


@pytest.fixture(scope="module")
def images():
    return next(interpbench.training_stream(0, 512)).reshape(512, -1)  # -1..1 lines, flattened


def test_pca_scores_in_three_lines(images):
    pca = PCA(n_components=16, random_state=0).fit((images + 1) / 2)  # fitted on 0..1 pixels
    result = interpbench.score(from_sklearn(pca), pairs=PAIRS)
    assert result.model["value_range"] == "0,1" and result.model["layout"] == "flat"  # auto found the fitting range
    assert result.model["estimator"] == "PCA" and result.name == "PCA"
    harness = interpbench.as_harness(from_sklearn(pca, value_range="0,1"))
    x = images[:4].reshape(4, 32, 32)
    expected = pca.inverse_transform(pca.transform((images[:4] + 1) / 2)) * 2 - 1
    np.testing.assert_allclose(harness.decode(harness.encode(x)).reshape(4, -1), expected, rtol=0, atol=1e-12)


def test_mlp_autoencoder_codes_at_its_narrowest_layer_and_decodes_as_predict(images):
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", ConvergenceWarning)
        mlp = MLPRegressor(hidden_layer_sizes=(32, 6, 32), max_iter=5, random_state=0).fit(images, images)
    adapter = from_sklearn(mlp, value_range="-1,1")
    codes = adapter.encode(images[:5])
    assert codes.shape == (5, 6)
    np.testing.assert_allclose(adapter.decode(codes), mlp.predict(images[:5]), rtol=1e-12, atol=1e-12)
    result = interpbench.score(adapter, pairs=PAIRS, checks=False)  # 5 iterations: untrained by design
    assert np.isfinite(result.mean_distance) and "narrowest, width 6" in result.model["code"]


def test_refusals_name_the_fix(images):
    with pytest.raises(AdapterError, match="not fitted"):
        from_sklearn(PCA(2))
    with pytest.raises(AdapterError, match="1024-pixel rows"):
        from_sklearn(PCA(2).fit(images[:, :100]))
    with pytest.raises(AdapterError, match="neither"):
        from_sklearn(object())


skops_io = pytest.importorskip("skops.io")


def test_a_skops_file_scores_from_the_command_line_as_from_python(images, tmp_path):
    pca = PCA(n_components=16, random_state=0).fit(images)
    skops_io.dump(pca, tmp_path / "pca.skops")
    in_python = interpbench.score(from_sklearn(pca), pairs=PAIRS).mean_distance
    # The loaded arrays may differ in memory order, so BLAS may sum in another order: float64 rounding, ~1e-16 relative.
    assert cli_mean_distance(f"sklearn:{tmp_path / 'pca.skops'}", PAIRS) == pytest.approx(in_python, rel=1e-12)
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", ConvergenceWarning)
        mlp = MLPRegressor(hidden_layer_sizes=(32, 6, 32), max_iter=5, random_state=0).fit(images, images)
    skops_io.dump(mlp, tmp_path / "mlp.skops")  # keeps Adam's state: a type skops does not trust by default
    loaded = interpbench.adapters.load_adapter(f"sklearn:{tmp_path / 'mlp.skops'}")
    np.testing.assert_array_equal(loaded.decode(loaded.encode(images[:3])), mlp.predict(images[:3]))


def test_skops_loading_refuses_code_and_strangers(images, tmp_path):
    from sklearn.pipeline import make_pipeline
    from sklearn.preprocessing import FunctionTransformer

    with pytest.raises(interpbench.SpecError, match="runs any code"):
        interpbench.score(f"sklearn:{tmp_path / 'model.joblib'}")
    with pytest.raises(interpbench.SpecError, match="does not exist"):
        interpbench.score(f"sklearn:{tmp_path / 'missing.skops'}")
    import os

    odd = make_pipeline(FunctionTransformer(os.getcwd)).fit(images)  # a function skops does not trust
    skops_io.dump(odd, tmp_path / "odd.skops")
    with pytest.raises(interpbench.SpecError, match="does not trust.*getcwd"):
        interpbench.score(f"sklearn:{tmp_path / 'odd.skops'}")
    (tmp_path / "text.skops").write_text("not a zip")
    with pytest.raises(interpbench.SpecError, match="not a skops file"):
        interpbench.score(f"sklearn:{tmp_path / 'text.skops'}")

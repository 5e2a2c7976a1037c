"""Pre-scoring checks of the decoded endpoints: value range and reconstruction, warn or (strict) fail."""

import json
import warnings

import numpy as np
import pytest
from click.testing import CliRunner

import interpbench
from interpbench import InterpbenchWarning, SanityCheckError
from interpbench.adapters.sanity import MEAN_IMAGE_MSE
from interpbench.cli import main
from interpbench.manifold import test_set

PAIRS = 8


class Rescaled:
    """Codes are the images it is given; it decodes them as ``scale * z + shift``: a mis-bridged identity."""

    input_layout = "NHW"

    def __init__(self, scale, shift):
        self.scale, self.shift = scale, shift

    def encode(self, x):
        return x

    def decode(self, z):
        return self.scale * z + self.shift


def zero_one():
    """A 0..1 model: right under value_range '0,1'; a 0..1 decoder declared as -1..1 otherwise."""
    return interpbench.FunctionAdapter(lambda x: x, lambda z: np.clip(z, 0, 1))


def _score(model, **kw):
    with warnings.catch_warnings(record=True) as caught:
        warnings.simplefilter("always")
        result = interpbench.score(model, pairs=PAIRS, **kw)
    return result, [str(w.message) for w in caught if w.category is InterpbenchWarning]


def test_mean_image_error_is_the_manifolds():
    images = test_set(0).images
    assert np.mean((images - images.mean(axis=0)) ** 2) == pytest.approx(MEAN_IMAGE_MSE, abs=5e-4)


@pytest.mark.parametrize("model", ["oracle", "pixels", Rescaled(1.0, 0.0)])
def test_well_bridged_models_get_no_warning(model):
    result, caught = _score(model)
    assert result.warnings == [] and caught == []


def test_zero_one_decoder_declared_minus_one_one_names_the_fix():
    # Encoder reads the -1..1 images as given, decoder returns 0..1: the pythae mistake of the issue.
    model = interpbench.FunctionAdapter(lambda x: x, lambda z: (z + 1) / 2)
    result, caught = _score(model, layout="NHW")
    codes = [w["code"] for w in result.warnings]
    assert codes == ["value_range", "reconstruction"]
    assert "looks like 0..1" in caught[0] and "--value-range 0,1" in caught[0]
    assert "--layout" in caught[1] and f"{MEAN_IMAGE_MSE}" in caught[1]


def test_zero_to_255_model_is_named_and_scores_declared_as_such():
    result, caught = _score(Rescaled(255.0, 0.0), value_range="0,1")  # returns 0..255 pixels
    assert "looks like 0..255" in result.warnings[0]["message"] and "--value-range 0,255" in caught[0]
    # A model that only works on 0..255 pixels: it normalises them and thresholds at mid-grey.
    model = interpbench.FunctionAdapter(lambda x: x / 255.0, lambda z: 255.0 * (z > 0.5))
    declared, caught = _score(model, value_range="0,255", layout="NHW")
    assert caught == [] and declared.model["value_range"] == "0,255"
    assert _score(model, value_range="0,1", layout="NHW")[1]  # declared wrongly, it warns
    auto, caught = _score(model, value_range="auto", layout="NHW")
    assert caught == [] and auto.model["value_range"] == "0,255" and set(auto.model["value_range_auto"]["reconstruction_mse"]) == {"-1,1", "0,1", "0,255"}
    assert auto.mean_distance == declared.mean_distance


def test_untrained_sigmoid_like_decoder_is_not_told_to_declare_zero_one():
    # An untrained Sigmoid decoder: ~0.5 everywhere. It looks like 0..1, but 0..1 does not fix it.
    rng = np.random.default_rng(0)
    untrained = interpbench.FunctionAdapter(lambda x: x[:, :2, 0], lambda z: 0.5 + 0.01 * rng.standard_normal((len(z), 32, 32)))
    result, caught = _score(untrained, layout="NHW")
    assert [w["code"] for w in result.warnings] == ["value_range", "reconstruction"]
    assert "looks untrained" in caught[0]
    trained = interpbench.FunctionAdapter(lambda x: x, lambda z: (z + 1) / 2)  # a real 0..1 decoder: the plain advice
    assert "looks untrained" not in _score(trained, layout="NHW")[1][0]


def test_minus_one_one_decoder_declared_zero_one():
    result, _ = _score(Rescaled(2.0, -1.0), value_range="0,1")
    assert "looks like -1..1" in result.warnings[0]["message"] and "--value-range -1,1" in result.warnings[0]["message"]


def test_mis_bridged_layout_warns_about_reconstruction():
    transposed = interpbench.FunctionAdapter(lambda x: x.transpose(0, 2, 1), lambda z: z)
    result, caught = _score(transposed, layout="NHW")
    assert [w["code"] for w in result.warnings] == ["reconstruction"]
    assert "try --layout NCHW, NHWC, flat" in caught[0]


def test_strict_turns_warnings_into_errors():
    with pytest.raises(SanityCheckError, match="looks like 0..1.*--strict"):
        interpbench.score(zero_one(), pairs=PAIRS, strict=True, layout="NHW")
    interpbench.score("pixels", pairs=PAIRS, strict=True)


def test_auto_value_range_picks_and_records_the_range():
    model = zero_one()
    result, caught = _score(model, value_range="auto", layout="NHW")
    assert caught == [] and result.model["value_range"] == "0,1"
    errors = result.model["value_range_auto"]["reconstruction_mse"]
    assert errors["0,1"] < errors["-1,1"]
    declared = interpbench.score(model, pairs=PAIRS, value_range="0,1", layout="NHW")
    assert result.mean_distance == declared.mean_distance
    assert _score("pixels", value_range="auto")[0].model["value_range"] == "-1,1"


def test_warnings_are_stored_in_the_result_json(tmp_path):
    result, _ = _score(zero_one(), layout="NHW")
    result.save(tmp_path / "r.json")
    record = json.loads((tmp_path / "r.json").read_text())
    assert [w["code"] for w in record["warnings"]] == ["value_range", "reconstruction"]
    assert interpbench.Result.load(tmp_path / "r.json").warnings == result.warnings


def test_cli_prints_the_warning_and_strict_fails_cleanly(tmp_path):
    adapter = tmp_path / "zo.py"
    adapter.write_text("import numpy as np\nclass ZeroOne:\n    input_layout = 'NHW'\n    def encode(self, x): return x\n"
                       "    def decode(self, z): return np.clip(z, 0, 1)\n")
    runner = CliRunner()
    ok = runner.invoke(main, ["run", "--adapter", f"{adapter}:ZeroOne", "--pairs", "4", "--output", str(tmp_path / "o.json")])
    assert ok.exit_code == 0 and "Warning: decoded endpoints" in ok.output and "--value-range 0,1" in ok.output
    fixed = runner.invoke(main, ["run", "--adapter", f"{adapter}:ZeroOne", "--pairs", "4", "--value-range", "0,1"])
    assert fixed.exit_code == 0 and "Warning" not in fixed.output
    out = tmp_path / "strict.json"
    strict = runner.invoke(main, ["run", "--adapter", f"{adapter}:ZeroOne", "--pairs", "4", "--strict", "--output", str(out)])
    assert strict.exit_code == 1 and "Error:" in strict.output and "--strict" in strict.output
    assert not out.exists() and not list(tmp_path.glob("strict.images*"))
    auto = runner.invoke(main, ["run", "--adapter", f"{adapter}:ZeroOne", "--pairs", "4", "--value-range", "auto", "--json"])
    assert auto.exit_code == 0 and json.loads(auto.output)["model"]["value_range"] == "0,1"


def test_checks_can_be_skipped_for_training_evaluations():
    result, caught = _score(zero_one(), layout="NHW", checks=False)
    assert result.warnings == [] and caught == []

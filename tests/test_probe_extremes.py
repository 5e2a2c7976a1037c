"""Probes on codes of extreme size (issue 18: "probing 1e300-sized codes fails"): codes as large as
1e300 (or as small as 1e-300) are probed like any others, codes a model cannot take back and
non-finite codes are one sentence, and none of it sets off a storm of warnings."""

from __future__ import annotations

import warnings

import numpy as np
import pytest
from click.testing import CliRunner

from interpbench.cli import main
from interpbench.errors import ModelOutputError
from interpbench.probes.run import probe, probe_codes


def _clusters(seed: int = 0) -> tuple[np.ndarray, np.ndarray, np.ndarray, np.ndarray]:
    """Four gaussian clusters in 6 dimensions, scaled so the largest magnitude is in [0.5, 1)."""
    rng = np.random.default_rng(seed)
    centres = rng.normal(size=(4, 6))
    labels = rng.integers(0, 4, size=400)
    codes = centres[labels] + 0.6 * rng.normal(size=(400, 6))
    codes *= 0.99 / np.abs(codes).max()
    return codes[:300], labels[:300], codes[300:], labels[300:]


@pytest.mark.parametrize("exponent", [1000, -1000, 600, -600])
def test_codes_scaled_by_a_huge_or_tiny_factor_probe_exactly_as_the_codes_themselves(exponent: int) -> None:
    train, y_train, test, y_test = _clusters()
    plain, _ = probe_codes(train, y_train, test, y_test, seed=0, restarts=2)
    with warnings.catch_warnings():
        warnings.simplefilter("error")  # not one overflow, underflow or convergence warning
        scaled, _ = probe_codes(np.ldexp(train, exponent), y_train, np.ldexp(test, exponent), y_test, seed=0, restarts=2)
    assert np.abs(np.ldexp(train, exponent)).max() > 1e180 or np.abs(np.ldexp(train, exponent)).max() < 1e-180
    assert scaled == plain  # a power of two changes no digit: the same accuracies, exactly


def test_codes_inside_the_safe_range_are_probed_untouched() -> None:
    from interpbench.probes.inputs import common_scale

    train, _, test, _ = _clusters()
    for factor in (1.0, 1e30, 1e-30, 1e99):
        a, b = common_scale(train * factor, test * factor)
        assert np.array_equal(a, train * factor) and np.array_equal(b, test * factor)


@pytest.mark.parametrize("bad", [np.nan, np.inf, -np.inf])
def test_non_finite_codes_are_one_sentence(bad: float) -> None:
    train, y_train, test, y_test = _clusters()
    train = train.copy()
    train[3, 2] = bad
    for name in ("linear", "kmeans"):
        with pytest.raises(ModelOutputError, match="NaN or inf in 1 of 300 items"):
            probe_codes(train, y_train, test, y_test, seed=0, probes=name, restarts=1)


class _Scaled:
    """Codes: a few pixels of each image, times ``scale`` (float64)."""

    input_layout = "NHW"

    def __init__(self, scale: float) -> None:
        self.scale = scale

    def encode(self, x):  # type: ignore[no-untyped-def]
        return np.asarray(x, np.float64).reshape(len(x), -1)[:, ::37] * 0.75 * self.scale

    def decode(self, z):  # type: ignore[no-untyped-def]
        return np.full((len(z), 32, 32), -1.0)


def test_a_model_with_huge_float64_codes_is_probed_like_one_with_small_codes() -> None:
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", UserWarning)  # the sanity checks' words on a constant decoder
        warnings.simplefilter("error", RuntimeWarning)
        small = probe(_Scaled(1.0), "lines", train_size=200, probes="linear", dtype="float64")
        huge = probe(_Scaled(2.0**990), "lines", train_size=200, probes="linear", dtype="float64")
    assert huge.accuracy == small.accuracy


def test_codes_too_large_for_the_models_float32_inputs_are_one_sentence(tmp_path) -> None:  # type: ignore[no-untyped-def]
    adapter = tmp_path / "huge.py"
    adapter.write_text("import numpy as np\nclass Huge:\n    input_layout = 'NHW'\n"
                       "    def encode(self, x): return np.asarray(x, np.float64).reshape(len(x), -1)[:, :8] * 1e300\n"
                       "    def decode(self, z): return np.zeros((len(z), 32, 32))\n")
    for command in (["probe", "--dataset", "lines", "--probe", "linear", "--train-size", "200"], ["run", "--pairs", "4"]):
        res = CliRunner().invoke(main, [*command, "--adapter", f"{adapter}:Huge"])
        assert res.exit_code == 1 and "Traceback" not in res.output, res.output
        assert res.output.count("\n") == 1 and "Warning" not in res.output, res.output
        assert "decode() would be given codes as large as 1e+300" in res.output and "float32" in res.output

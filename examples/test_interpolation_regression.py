"""A CI regression test: fail when the model's interpolation got worse than the recorded baseline.

    python -m pytest examples/test_interpolation_regression.py

The baseline beside this file was recorded once, with the same protocol it is checked with:

    interpbench check --adapter examples/numpy_adapter.py:make --seeds 0 --pairs 32 \\
        --baseline examples/interp_baseline.json --write-baseline
"""

from pathlib import Path

from interpbench.check import assert_no_regression

HERE = Path(__file__).parent


def test_interpolation_did_not_regress():
    # Any model form works here (a spec string, an nn.Module, an (encode, decode) pair…);
    # the baseline's protocol (seeds, pairs, steps, path) is reused.
    assert_no_regression(f"{HERE / 'numpy_adapter.py'}:make", HERE / "interp_baseline.json", rtol={"smoothness": 0.02})

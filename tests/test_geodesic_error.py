"""The geodesic error (docs/SPEC.md §X1): test vectors from the slow reference, first principles on
rendered paths, the factor spaces, and what the paper's metrics miss (the gaming table)."""

from __future__ import annotations

import json
import math

import numpy as np
import pytest

import interpbench
from interpbench.factor_space import CIRCLE, box, torus, wrap_angle
from interpbench.gaming import GAMING_CASES, README_MARKERS, gaming_rows, gaming_table
from interpbench.metrics import defined_smoothness, geodesic_error, geodesic_errors, path_geodesic_error

from slow_reference import FIXTURE, build_fixture, geodesic_errors_slow

# Angles are O(2π); the package wraps with a floored modulo, the reference with atan2. Each wrap
# rounds to within a few ulps of 2π (8.9e-16 each), and the division by π adds one more rounding.
WRAP_ATOL = 16 * np.spacing(2 * np.pi) / np.pi


def test_fixture_is_what_the_slow_reference_computes():
    assert json.loads(FIXTURE.read_text()) == json.loads(json.dumps(build_fixture()))


@pytest.mark.parametrize("name", sorted(json.loads(FIXTURE.read_text())["cases"]))
def test_geodesic_error_matches_test_vectors(name):
    case = json.loads(FIXTURE.read_text())["cases"][name]
    errors = geodesic_errors(np.array(case["estimated"]), np.array(case["endpoints"]))
    np.testing.assert_allclose(errors, case["errors"], rtol=0, atol=WRAP_ATOL)
    np.testing.assert_allclose(path_geodesic_error(errors), case["path_errors"], rtol=0, atol=WRAP_ATOL)
    assert geodesic_error(errors) == pytest.approx(case["geodesic_error"], abs=WRAP_ATOL)


def test_half_turn_goes_counter_clockwise():
    assert wrap_angle(np.pi) == np.pi and wrap_angle(-np.pi) == np.pi
    errors = geodesic_errors(np.array([[0.0, np.pi / 2, np.pi]]), np.array([[0.0, np.pi]]))
    assert np.all(errors == 0)


def _brute_force_nearest_angles(images: np.ndarray) -> np.ndarray:
    """Nearest of the M bank lines by explicit cosine over the whole bank, first index on ties."""
    m = interpbench.spec.BANK_SIZE
    thetas = 2 * np.pi * np.arange(m) / m
    bank = interpbench.render(thetas).reshape(m, -1)
    bank /= np.linalg.norm(bank, axis=1, keepdims=True)
    out = []
    for image in images.reshape(-1, 1024):
        cos = bank @ (image / np.linalg.norm(image))
        out.append(thetas[int(np.argmax(cos))])
    return np.array(out).reshape(images.shape[:2])


def test_geodesic_error_from_first_principles_on_rendered_paths():
    """Render decoded paths whose true angles are known, then recompute everything from scratch."""
    rng = np.random.default_rng(7)
    ends = interpbench.protocol.endpoint_angles(3, 6)
    t = np.arange(12) / 11
    delta = wrap_angle(ends[:, 1] - ends[:, 0])
    # A mixture: the true path, a stalling one, one the long way round, one jittered off the path.
    progress = np.stack([t, t**3, t, t, np.minimum(1, 2 * t), np.zeros_like(t)])
    arc = delta.copy()
    arc[2] = delta[2] - np.copysign(2 * np.pi, delta[2])
    angles = ends[:, :1] + progress * arc[:, None] + np.where(np.arange(6)[:, None] == 3, rng.normal(0, 0.2, t.shape), 0.0)
    paths = interpbench.render(angles.ravel()).reshape(6, 12, 32, 32) + rng.normal(0, 0.02, (6, 12, 32, 32))
    scores = interpbench.score_paths(paths, endpoint_angles=ends)
    found = _brute_force_nearest_angles(paths)
    slow = np.array(geodesic_errors_slow(found.tolist(), ends.tolist()))
    np.testing.assert_allclose(scores.path_geodesic_error, slow.mean(axis=1), rtol=0, atol=WRAP_ATOL)
    assert scores.geodesic_error == pytest.approx(slow.mean(), abs=WRAP_ATOL)
    # Rendered true lines land within half a bank spacing of the truth: e ≤ 1/M, up to the noise's doing.
    assert scores.path_geodesic_error[0] < 5 / interpbench.spec.BANK_SIZE
    # The constant path is charged t·|Δ|/π at each t: |Δ|/(2π) on average, up to the bank's rounding.
    assert scores.path_geodesic_error[5] == pytest.approx(abs(delta[5]) / (2 * np.pi), abs=2 / interpbench.spec.BANK_SIZE)
    assert scores.path_geodesic_error[2] > 0.2


def test_without_endpoint_angles_the_path_s_own_ends_are_used():
    ends = np.array([[0.5, 2.0]])
    t = np.arange(16) / 15
    wrong_ends = interpbench.render(0.9 + t * 0.7)[None]  # a true path between other endpoints
    own = interpbench.score_paths(wrong_ends)
    true = interpbench.score_paths(wrong_ends, endpoint_angles=ends)
    assert own.geodesic_error < 1e-4 < 0.05 < true.geodesic_error
    with pytest.raises(ValueError, match="endpoint_angles"):
        interpbench.score_paths(wrong_ends, endpoint_angles=np.array([[0.5, np.nan]]))


def test_v1_metrics_are_unchanged_by_the_endpoint_angles(reference):
    paths = reference["mixed_paths"]
    plain = interpbench.score_paths(paths)
    given = interpbench.score_paths(paths, endpoint_angles=np.zeros((8, 2)))
    assert plain.mean_distance == given.mean_distance and np.array_equal(plain.path_smoothness, given.path_smoothness, equal_nan=True)
    assert plain.mean_distance == pytest.approx(float(reference["mixed_mean_distance"]), rel=1e-6)


def test_defined_smoothness_leaves_undefined_paths_out():
    assert defined_smoothness(np.array([0.2, np.nan, 0.4])) == pytest.approx(0.3)
    assert math.isnan(defined_smoothness(np.array([np.nan, np.nan])))
    with pytest.raises(ValueError):
        defined_smoothness(np.array([]))


def test_factor_spaces_generalise_the_circle():
    t = np.linspace(0, 1, 5)
    a, b = np.array([[0.1, 3.0]]), np.array([[6.2, 2.0]])
    two = torus(2)
    path = two.geodesic(a, b, t)
    assert path.shape == (1, 5, 2)
    np.testing.assert_allclose(path[0, -1], [0.1 + wrap_angle(6.1), 2.0])
    assert two.max_distance == pytest.approx(np.pi * np.sqrt(2))
    assert two.normalised_distance(np.array([0.0, 0.0]), np.array([np.pi, np.pi])) == pytest.approx(1.0)
    square = box((2.0, 1.0))
    assert square.normalised_distance(np.array([0.0, 0.0]), np.array([2.0, 1.0])) == pytest.approx(1.0)
    np.testing.assert_allclose(square.geodesic(np.array([0.0, 0.0]), np.array([2.0, 1.0]), np.array([0.5])), [[1.0, 0.5]])
    # On a torus each factor is one circle's error; the metric takes any space.
    est = np.stack([path, path], axis=-1)[..., 0]
    assert np.allclose(geodesic_errors(est, np.stack([a, b], axis=1), two), 0, atol=1e-12)
    with pytest.raises(ValueError):
        box((0.0,))
    with pytest.raises(ValueError, match="shape"):
        geodesic_errors(np.zeros((2, 5)), np.zeros((2, 2)), two)
    assert CIRCLE.max_distance == np.pi


@pytest.fixture(scope="module")
def gaming():
    return {case.key: scores for case, scores in gaming_rows()}


def test_gaming_table_orderings(gaming):
    """What the README's gaming table shows: the paper's metrics are fooled, the geodesic error is not."""
    lerp = gaming["lerp"].geodesic_error
    assert lerp == min(s.geodesic_error for s in gaming.values() if s is not gaming["faint"]) and lerp < 1e-4
    for key in ("snap", "stall", "long_way", "constant", "half_speed", "mostly_constant", "crossfade"):
        assert gaming[key].geodesic_error > 0.1 > 1000 * lerp, key
    # ...while the paper's metrics rate the gaming paths as well as (or better than) the true one.
    for key in ("snap", "stall", "long_way", "constant", "half_speed"):
        assert gaming[key].mean_distance < 1e-6, key
    assert gaming["long_way"].smoothness <= gaming["lerp"].smoothness
    assert math.isnan(gaming["constant"].smoothness) and gaming["constant"].n_undefined == gaming["constant"].n_paths
    assert gaming["mostly_constant"].smoothness < 0.1 < gaming["crossfade"].smoothness
    # Realistic-but-noisy versions of the true path stay near it: the geodesic error rewards the right path.
    assert gaming["blur"].geodesic_error < 1e-3 and gaming["noise"].geodesic_error < 1e-3


def test_readme_gaming_table_is_the_script_output(gaming):
    from pathlib import Path

    text = (Path(__file__).parents[1] / "README.md").read_text(encoding="utf-8")
    start, end = README_MARKERS
    assert start in text and end in text
    shown = text.split(start, 1)[1].split(end, 1)[0].strip()
    assert shown == gaming_table([(c, gaming[c.key]) for c in GAMING_CASES])

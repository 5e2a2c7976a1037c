import mpmath
import numpy as np
import pytest
from scipy.spatial.distance import cdist

import interpbench
from interpbench import aggregate_smoothness, line_bank, mean_distance, nearest_line, score_paths, smoothness
from interpbench.metrics import long_way_fraction, unwrapped_total

PATH_SETS = ("noisy_arc", "crossfade", "mixed")


@pytest.mark.parametrize("name", PATH_SETS)
def test_nearest_line_matches_reference(reference, name):
    distances, angles = nearest_line(reference[f"{name}_paths"].reshape(-1, 32, 32))
    np.testing.assert_array_equal(angles, reference[f"{name}_angles"])
    # The reference distances come from 1 − cos, whose rounding error is ~1e-16 absolute; ours
    # are exact to float64 (see the mpmath test), so tiny distances differ below 1e-15 absolute.
    np.testing.assert_allclose(distances, reference[f"{name}_min_dist"], rtol=1e-6, atol=1e-15)


def test_tiny_distances_are_exact(reference):
    images = reference["crossfade_paths"].reshape(-1, 1024).astype(np.float64)
    distances, angles = nearest_line(images)
    bank = line_bank()
    mpmath.mp.dps = 40
    for i in np.argsort(distances)[:3]:
        x = [mpmath.mpf(float(v)) for v in images[i]]
        line = [mpmath.mpf(float(v)) for v in bank.lines[int(np.argmin(np.abs(bank.angles - angles[i])))]]
        dot = mpmath.fsum(a * b for a, b in zip(x, line))
        norms = mpmath.sqrt(mpmath.fsum(a * a for a in x)) * mpmath.sqrt(mpmath.fsum(b * b for b in line))
        assert distances[i] == pytest.approx(float(1 - dot / norms), rel=1e-9)


@pytest.mark.parametrize("name", PATH_SETS)
def test_smoothness_matches_reference(reference, name):
    per_path = smoothness(reference[f"{name}_angles"].reshape(8, 16))
    np.testing.assert_allclose(per_path, reference[f"{name}_smoothness"], rtol=1e-6, equal_nan=True)
    aggregate, _ = aggregate_smoothness(per_path)
    assert aggregate == pytest.approx(float(reference[f"{name}_mean_smoothness"]), rel=1e-6)


@pytest.mark.parametrize("name", PATH_SETS)
def test_score_paths_matches_reference(reference, name):
    scores = score_paths(reference[f"{name}_paths"])
    assert scores.mean_distance == pytest.approx(float(reference[f"{name}_mean_distance"]), rel=1e-6)
    assert scores.smoothness == pytest.approx(float(reference[f"{name}_mean_smoothness"]), rel=1e-6)
    assert scores.n_undefined == int(np.isnan(reference[f"{name}_smoothness"]).sum())
    assert scores.distances.shape == scores.angles.shape == (8, 16)


def test_mixed_fixture_has_undefined_paths(reference):
    scores = score_paths(reference["mixed_paths"])
    assert scores.n_undefined == 3
    assert 0 < scores.long_way_fraction < 1


def test_nearest_line_agrees_with_bruteforce_cdist():
    rng = np.random.default_rng(7)
    from interpbench import render

    a = rng.uniform(0, 2 * np.pi, (150, 2))
    t = rng.uniform(0, 1, (150, 1))
    noisy = render(a[:, 0]).reshape(150, -1) + 0.05 * rng.normal(size=(150, 1024))
    fades = t * render(a[:, 0]).reshape(150, -1) + (1 - t) * render(a[:, 1]).reshape(150, -1)
    blobs = rng.normal(size=(50, 1024))
    images = np.concatenate([noisy, fades, blobs])
    distances, angles = nearest_line(images)
    brute = cdist(images, line_bank().lines, "cosine")
    np.testing.assert_array_equal(angles, line_bank().angles[brute.argmin(axis=1)])
    np.testing.assert_allclose(distances, brute.min(axis=1), rtol=1e-9, atol=1e-14)


def test_zero_image_has_distance_one_and_nonfinite_is_an_error():
    distances, angles = nearest_line(np.zeros((2, 32, 32)))
    assert distances.tolist() == [1.0, 1.0] and angles.tolist() == [0.0, 0.0]
    bad = np.zeros((1, 32, 32))
    bad[0, 3, 3] = np.inf
    with pytest.raises(ValueError, match="NaN or inf"):
        nearest_line(bad)
    with pytest.raises(ValueError, match="32×32"):
        nearest_line(np.zeros((3, 28, 28)))


def test_smoothness_definition_on_hand_made_paths():
    even = np.linspace(0.0, 1.0, 16)[None]
    assert smoothness(even)[0] == pytest.approx(0.0, abs=1e-12)
    jump = np.array([[0.0, 0.0, 0.0, 1.0]])  # all movement in one of three steps
    assert smoothness(jump)[0] == pytest.approx(1.0 - 1.0 / 3.0)
    constant = np.full((1, 5), 2.0)
    assert np.isnan(smoothness(constant)[0])
    # Unwrapping: a short move across 0 is a small total, not ~2π.
    across = np.array([[2 * np.pi - 0.1, 2 * np.pi - 0.05, 0.0, 0.05, 0.1]])
    assert smoothness(across)[0] == pytest.approx(0.0, abs=1e-12)
    assert unwrapped_total(across)[0] == pytest.approx(0.2)


def test_aggregate_counts_undefined_in_denominator():
    value, undefined = aggregate_smoothness(np.array([0.2, np.nan, 0.4, np.nan]))
    assert value == pytest.approx(0.6 / 4) and undefined == 2
    value, undefined = aggregate_smoothness(np.array([np.nan, np.nan]))
    assert np.isnan(value) and undefined == 2


def test_long_way_and_mean_distance():
    long_way = np.array([[0.0, 1.5, 3.0, 4.5], [0.0, 0.1, 0.2, 0.3]])
    assert long_way_fraction(long_way) == 0.5
    assert mean_distance(np.array([[1.0, 2.0], [3.0, 6.0]])) == 3.0
    with pytest.raises(ValueError):
        mean_distance(np.array([]))


def test_score_paths_rejects_bad_shapes_and_values():
    with pytest.raises(ValueError, match="shape"):
        score_paths(np.zeros((4, 32, 32)))
    paths = np.zeros((2, 3, 32, 32))
    paths[1, 1, 0, 0] = np.nan
    with pytest.raises(ValueError, match="NaN or inf"):
        score_paths(paths)


def test_output_spread_tells_a_collapsed_model_from_one_that_reconstructs():
    from interpbench.metrics import COLLAPSE_SPREAD, is_collapsed, output_spread

    lines = interpbench.render(np.linspace(0, 6, 40)).reshape(20, 2, 32, 32)
    assert output_spread(lines, lines) == pytest.approx(1.0)
    mean_image = np.broadcast_to(lines.mean(axis=(0, 1)), (20, 16, 32, 32))
    assert output_spread(mean_image, lines) < 1e-12 and is_collapsed(0.0)
    nearly = mean_image + 1e-3 * np.random.default_rng(0).normal(size=mean_image.shape)
    assert is_collapsed(output_spread(nearly, lines)) and not is_collapsed(COLLAPSE_SPREAD)
    with pytest.raises(ValueError, match="all the same"):
        output_spread(lines, np.full((20, 2, 32, 32), -1.0))
    paths = np.stack([interpbench.render(np.linspace(a, a + 1, 16)) for a in (0.2, 2.0, 4.0)])
    ends = paths[:, [0, -1]]
    assert score_paths(paths, endpoints=ends).output_spread > 0.5
    assert score_paths(np.broadcast_to(paths[:1, :1], paths.shape), endpoints=ends).output_spread < 1e-12
    assert score_paths(paths).output_spread is None  # no true endpoints, no reference spread

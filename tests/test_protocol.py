import json

import numpy as np
import pytest

import interpbench
from interpbench import DataError, OptionError, Result
from interpbench.paths import lerp, slerp
from interpbench.protocol import endpoint_angles


def test_endpoints_are_the_first_2p_test_angles():
    ends = endpoint_angles(5, 3)
    test = interpbench.test_set(5)
    np.testing.assert_array_equal(ends[:, 0], test.angles[:3])
    np.testing.assert_array_equal(ends[:, 1], test.angles[3:6])


def test_lerp_and_slerp_hit_the_endpoints():
    rng = np.random.default_rng(0)
    a, b = rng.normal(size=(4, 2, 3)), rng.normal(size=(4, 2, 3))
    for path in (lerp, slerp):
        out = path(a, b, 5)
        assert out.shape == (4, 5, 2, 3)
        np.testing.assert_allclose(out[:, 0], a, atol=1e-12)
        np.testing.assert_allclose(out[:, -1], b, atol=1e-12)
    np.testing.assert_allclose(lerp(a, b, 3)[:, 1], (a + b) / 2)
    # slerp of unit vectors stays on the sphere
    u = a.reshape(4, -1) / np.linalg.norm(a.reshape(4, -1), axis=1, keepdims=True)
    v = b.reshape(4, -1) / np.linalg.norm(b.reshape(4, -1), axis=1, keepdims=True)
    np.testing.assert_allclose(np.linalg.norm(slerp(u, v, 7), axis=-1), 1.0, atol=1e-12)


@pytest.fixture(scope="module")
def oracle_result():
    return interpbench.score("oracle", seeds=[0, 1], pairs=32)


def test_oracle_is_a_perfect_decoder_but_not_perfectly_smooth(oracle_result):
    assert oracle_result.mean_distance < 1e-6
    assert 0.01 < oracle_result.smoothness < 0.5
    assert oracle_result.n_undefined == 0
    assert oracle_result.images.shape == (2, 32, 16, 32, 32)


def test_pixels_crossfades_are_far_from_lines_and_jumpy():
    result = interpbench.score("pixels", seeds=0, pairs=32)
    assert 2e-3 < result.mean_distance < 2e-2
    assert result.smoothness > 0.6
    assert result.seeds[0].scores.reconstruction_error == 0.0


def test_scores_are_repeatable_and_seed_dependent():
    a = interpbench.score("pixels", seeds=[3], pairs=16, keep_images=False)
    b = interpbench.score("pixels", seeds=[3], pairs=16, keep_images=False)
    c = interpbench.score("pixels", seeds=[4], pairs=16, keep_images=False)
    assert a.mean_distance == b.mean_distance
    assert a.mean_distance != c.mean_distance
    assert a.images is None


def test_result_roundtrips_through_json(tmp_path, oracle_result):
    path = tmp_path / "r.json"
    oracle_result.save(path)
    data = json.loads(path.read_text())
    assert isinstance(data["metrics"]["mean_distance"]["mean"], float)
    assert data["provenance"]["spec_version"] == "v1"
    assert data["protocol"] == {"pairs": 32, "steps": 16, "path": "lerp", "seeds": [0, 1], "bank_size": 10000}
    back = Result.load(path)
    assert back.mean_distance == oracle_result.mean_distance
    assert back.smoothness == oracle_result.smoothness
    np.testing.assert_array_equal(back.seeds[1].scores.angles, oracle_result.seeds[1].scores.angles)
    assert back.geodesic_error == oracle_result.geodesic_error and 0 < back.geodesic_error < 1
    np.testing.assert_array_equal(back.seeds[1].scores.path_geodesic_error, oracle_result.seeds[1].scores.path_geodesic_error)
    assert data["metrics"]["geodesic_error"]["per_seed"] == oracle_result.per_seed("geodesic_error")
    assert data["provenance"]["extensions_version"] == 1


def test_a_record_from_before_the_geodesic_error_loads_with_it_recomputed(tmp_path, oracle_result):
    """Records written before the metric existed hold the angles and endpoints it is computed from."""
    data = oracle_result.to_dict()
    del data["metrics"]["geodesic_error"], data["metrics"]["smoothness_defined"]
    for seed in data["seeds"]:
        del seed["path_geodesic_error"]
    old = Result.from_dict(data)
    assert old.per_seed("geodesic_error") == oracle_result.per_seed("geodesic_error")
    assert old.per_seed("smoothness_defined") == oracle_result.per_seed("smoothness_defined")


def test_table_prints_geodesic_error_and_undefined_count_beside_smoothness(oracle_result):
    rows = [line.split("  ")[0] for line in oracle_result.table().splitlines()]
    at = rows.index("Smoothness")
    assert rows[at + 1].startswith("undefined Smoothness") and rows[at + 2].startswith("Smoothness, defined paths")
    assert "geodesic error" in rows


def test_undefined_smoothness_is_stored_as_null_and_restored(tmp_path):
    constant = (lambda x: np.zeros((len(x), 1)), lambda z: np.repeat(interpbench.render(1.0), len(z), axis=0))
    result = interpbench.score(constant, seeds=[0], pairs=4, name="constant")
    assert np.isnan(result.smoothness) and result.n_undefined == 4
    result.save(tmp_path / "c.json")
    back = Result.load(tmp_path / "c.json")
    assert np.isnan(back.smoothness) and np.isnan(back.seeds[0].scores.path_smoothness).all()


def test_loading_bad_files_names_the_problem(tmp_path):
    with pytest.raises(DataError, match="does not exist"):
        Result.load(tmp_path / "missing.json")
    (tmp_path / "bad.json").write_text("{not json")
    with pytest.raises(DataError, match="not valid JSON"):
        Result.load(tmp_path / "bad.json")
    (tmp_path / "other.json").write_text('{"format": "something"}')
    with pytest.raises(DataError, match="not an interpbench result"):
        Result.load(tmp_path / "other.json")
    (tmp_path / "partial.json").write_text('{"format": "interpbench-result", "protocol": {}}')
    with pytest.raises(DataError, match="malformed"):
        Result.load(tmp_path / "partial.json")


@pytest.mark.parametrize(
    "kwargs, message",
    [({"pairs": 0}, "pairs"), ({"pairs": 2501}, "pairs"), ({"steps": 1}, "steps"), ({"path": "curve"}, "path"), ({"seeds": []}, "seed"), ({"seeds": [1, 1]}, "distinct")],
)
def test_invalid_protocol_options(kwargs, message):
    with pytest.raises(OptionError, match=message):
        interpbench.score("pixels", **kwargs)


def test_slerp_path_runs():
    result = interpbench.score("pixels", seeds=[0], pairs=8, path="slerp")
    assert result.protocol.path == "slerp" and np.isfinite(result.mean_distance)

"""Benchmark suites (docs/SPEC.md §X4–X6): registry, renderers against slow references, exact search,
oracle floors, lines unchanged, and the suite carried through results, checks and the leaderboard."""

from __future__ import annotations

import json

import numpy as np
import pytest
from click.testing import CliRunner
from scipy.spatial.distance import cdist

import interpbench
from interpbench.bank import line_bank
from interpbench.cli import main
from interpbench.manifold import draw_angles, render, segment_ink
from interpbench.suites import SUITES, get_suite
from interpbench.suites.clock import HOUR_HAND, MINUTE_HAND, hand_ink

from slow_reference import blob_image_slow, clock_image_slow, segment_ink_slow

NEW = ("clock", "blob")


def test_suites_are_listed_with_their_facts():
    out = CliRunner().invoke(main, ["suites", "--json"])
    assert out.exit_code == 0, out.output
    rows = {row["name"]: row for row in json.loads(out.output)}
    assert set(rows) >= {"lines", *NEW}
    for row in rows.values():
        assert {"name", "description", "factors", "spec_version"} <= row.keys() and row["factors"]
    assert rows["lines"]["spec_version"] == "v1" and len(rows["clock"]["factors"]) == 2


def test_unknown_suite_is_one_sentence():
    with pytest.raises(interpbench.OptionError, match="unknown suite 'nope'"):
        interpbench.score("oracle", suite="nope")
    out = CliRunner().invoke(main, ["run", "--adapter", "oracle", "--suite", "nope"])
    assert out.exit_code == 2 and "Traceback" not in out.output


def test_lines_suite_is_spec_v1_bit_for_bit(reference):
    lines = get_suite("lines")
    angles = reference["angles"]
    np.testing.assert_array_equal(lines.render(angles), render(angles))
    np.testing.assert_array_equal(render(angles), reference["images"])
    np.testing.assert_array_equal(segment_ink(angles, 0.0, 15.0, 2.0).clip(0, 1) * 2 - 1, render(angles))
    ends = lines.endpoint_factors(3, 16)
    drawn = draw_angles(np.random.default_rng(3), 5000)[:32]
    np.testing.assert_array_equal(ends, np.stack([drawn[:16], drawn[16:]], axis=1))
    x = reference["noisy_arc_paths"].reshape(-1, 1024)
    np.testing.assert_array_equal(lines.nearest(x).factors, line_bank().nearest(x).angles)


@pytest.mark.parametrize("angle", [0.0, 0.3, np.pi / 4, 1.9, np.pi, 4.4, 5.5, 2 * np.pi - 1e-3])
def test_segment_rasteriser_matches_the_slow_reference(angle):
    for hand in (HOUR_HAND, MINUTE_HAND, (0.0, 15.0, 2.0)):
        np.testing.assert_allclose(segment_ink(np.array([angle]), *hand)[0], segment_ink_slow(angle, *hand), rtol=0, atol=1e-12)


def test_clock_and_blob_render_as_their_slow_references():
    rng = np.random.default_rng(11)
    clock, blob = get_suite("clock"), get_suite("blob")
    for f in clock.draw(rng, 4):
        np.testing.assert_allclose(clock.render(f[None])[0], clock_image_slow(*f), rtol=0, atol=1e-12)
    for f in blob.draw(rng, 4):
        np.testing.assert_allclose(blob.render(f[None])[0], blob_image_slow(*f), rtol=0, atol=1e-12)


def test_clock_hands_never_share_a_pixel():
    """What makes a clock image the sum of one image per hand (and its search separable)."""
    angles = np.linspace(0, 2 * np.pi, 2000, endpoint=False)
    hour, minute = (hand_ink(angles, HOUR_HAND) > 0).any(axis=0), (hand_ink(angles, MINUTE_HAND) > 0).any(axis=0)
    assert not (hour & minute).any() and hour.any() and minute.any()


def _queries(suite, rng: np.random.Generator) -> np.ndarray:
    """Clean, noisy, crossfaded, pure-noise and zero images: every regime the search must get right."""
    a, b = suite.render(suite.draw(rng, 12)), suite.render(suite.draw(rng, 12))
    noisy = a + rng.normal(0, 0.1, a.shape)
    return np.concatenate([a, noisy, 0.5 * (a + b), rng.normal(0, 1, (4, 32, 32)), np.zeros((1, 32, 32))]).reshape(-1, 1024)


@pytest.mark.parametrize("name", NEW)
def test_search_picks_what_brute_force_cosine_picks(name):
    suite = get_suite(name)
    x = _queries(suite, np.random.default_rng(5))
    bank = suite.render(suite.bank_factors).reshape(-1, 1024)
    found = suite.nearest(x)
    brute = cdist(x[:-1], bank, "cosine")  # cdist's cosine is undefined for the zero image
    np.testing.assert_array_equal(found.indices[:-1], brute.argmin(axis=1))
    np.testing.assert_allclose(found.distances[:-1], brute.min(axis=1), rtol=1e-9, atol=1e-12)
    assert found.distances[-1] == 1.0 and found.indices[-1] == 0
    np.testing.assert_array_equal(found.factors, suite.bank_factors[found.indices])


@pytest.mark.parametrize("name", NEW)
def test_oracle_floor_and_pixels(name):
    oracle = interpbench.score("oracle", suite=name, pairs=48, keep_images=False)
    pixels = interpbench.score("pixels", suite=name, pairs=48, keep_images=False)
    assert oracle.protocol.suite == name and oracle.protocol.bank_size == get_suite(name).bank_size
    assert oracle.mean_distance < 1e-4 and pixels.mean_distance > 1e-3 > 10 * oracle.mean_distance
    assert oracle.geodesic_error < pixels.geodesic_error
    assert oracle.provenance["suite"] == name and oracle.provenance["suite_spec_version"] == "x1"


def test_blob_oracle_follows_the_geodesic():
    """Blob's oracle code is the centre itself: its chord is the straight geodesic, up to the bank's rounding."""
    result = interpbench.score("oracle", suite="blob", pairs=32, keep_images=False)
    spacing = 16 / 314  # bank grid step, px; the box's diagonal is 16·√2
    assert result.geodesic_error < spacing / (16 * np.sqrt(2)) and result.smoothness < 0.02


def test_generalised_smoothness_on_a_torus():
    torus = get_suite("clock").space
    t = np.linspace(0, 1, 9)
    even = np.stack([0.2 + 2.0 * t, 6.0 + 0.5 * t], axis=-1)[None]  # crosses 2π on the second factor
    assert interpbench.metrics.smoothness(np.mod(even, 2 * np.pi), torus)[0] == pytest.approx(0.0, abs=1e-12)
    still = np.zeros((1, 9, 2))
    assert np.isnan(interpbench.metrics.smoothness(still, torus)[0])


@pytest.mark.parametrize("name", NEW)
def test_probe_labels_are_bins_of_the_factors(name):
    suite = get_suite(name)
    labels = suite.labels(suite.draw(np.random.default_rng(0), 5000))
    assert labels.min() == 0 and labels.max() == suite.n_classes - 1
    assert np.bincount(labels).min() > 0.5 * 5000 / suite.n_classes


def test_a_suite_result_roundtrips_and_checks_against_its_own_suite_only(tmp_path):
    result = interpbench.score("oracle", suite="clock", pairs=16, seeds=[0, 1])
    path = tmp_path / "clock.json"
    result.save(path)
    back = interpbench.Result.load(path)
    assert back.protocol.suite == "clock" and back.geodesic_error == result.geodesic_error
    np.testing.assert_array_equal(back.seeds[0].scores.angles, result.seeds[0].scores.angles)
    baseline = tmp_path / "b.json"
    wrote = CliRunner().invoke(main, ["check", "--adapter", "oracle", "--suite", "clock", "--pairs", "16", "--seeds", "0-1",
                                      "--baseline", str(baseline), "--write-baseline"])
    assert wrote.exit_code == 0, wrote.output
    same = CliRunner().invoke(main, ["check", "--adapter", "oracle", "--baseline", str(baseline)])
    assert same.exit_code == 0 and "PASS" in same.output
    other = CliRunner().invoke(main, ["check", "--adapter", "oracle", "--suite", "blob", "--baseline", str(baseline)])
    assert other.exit_code == 2 and "not comparable" in other.output


def leaderboard_of_pixels_on_lines_and_clock(root):
    """A leaderboard folder ``root`` holding one pixels entry on lines and one on clock (8 pairs each)."""
    from interpbench.leaderboard.entries import entry_from_results

    (root / "results").mkdir(parents=True)
    for suite in ("lines", "clock"):
        record = interpbench.score("pixels", suite=suite, pairs=8, seeds=[0], model_info={"adapter": "pixels"}).to_dict()
        entry = entry_from_results([record])
        (root / "results" / f"{entry['id']}.json").write_text(json.dumps(entry))
    return root


def test_leaderboard_ranks_each_suite_apart_and_keeps_it_out_of_the_paper_table(tmp_path):
    from interpbench.leaderboard.render import build

    root = leaderboard_of_pixels_on_lines_and_clock(tmp_path / "lb")
    assert sorted(p.name for p in (root / "results").iterdir()) == ["pixels-clock-v1.json", "pixels-v1.json"]
    md = build(root, scatter=False)["README.md"]
    assert "## Lines benchmark, protocol" in md and "## Clock benchmark, protocol" in md
    paper = md.split("## Paper Table 1")[1]
    assert "pixels-clock" not in paper and paper.count("pixels (scale end)") == 1


def test_probe_on_a_suite_s_own_data_set():
    out = CliRunner().invoke(main, ["probe", "--suite", "blob", "--adapter", "oracle", "--probe", "linear", "--train-size", "500", "--json"])
    assert out.exit_code == 0, out.output
    record = json.loads(out.output)
    assert record["dataset"]["name"] == "blob" and record["accuracy"]["linear"] > 90  # the oracle's code is the centre
    both = CliRunner().invoke(main, ["probe", "--suite", "blob", "--dataset", "lines", "--adapter", "oracle"])
    assert both.exit_code == 2 and "different data" in both.output

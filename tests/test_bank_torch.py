"""The torch nearest-line search (trail evaluations on an accelerator) picks the CPU search's lines."""

from __future__ import annotations

import numpy as np
import pytest

import interpbench
from interpbench.bank import line_bank
from interpbench.bank_torch import nearest_line_torch

torch = pytest.importorskip("torch")


@pytest.mark.parametrize("name", ["noisy_arc", "crossfade", "mixed"])
def test_fixture_paths_get_the_numpy_searchs_lines(reference, name: str) -> None:
    images = reference[f"{name}_paths"].reshape(-1, 1024).astype(np.float64)
    expected = line_bank().nearest(images)
    distances, index = nearest_line_torch(images)
    assert np.array_equal(index.numpy(), expected.indices)
    np.testing.assert_allclose(distances.numpy(), reference[f"{name}_min_dist"], rtol=1e-6, atol=1e-15)


def test_hard_cases_match_the_numpy_search() -> None:
    """Noisy lines, crossfades, exact bank lines and lines halfway between two bank lines (near-ties)."""
    rng = np.random.default_rng(3)
    bank = line_bank()
    halfway = (np.arange(200) + 0.5) * 2 * np.pi / bank.size
    images = np.concatenate([
        interpbench.render(rng.uniform(0, 2 * np.pi, 1500)) + 0.3 * rng.normal(size=(1500, 32, 32)),
        0.5 * (interpbench.render(rng.uniform(0, 6.3, 500)) + interpbench.render(rng.uniform(0, 6.3, 500))),
        interpbench.render(bank.angles[rng.integers(0, bank.size, 300)]),
        interpbench.render(halfway),
        np.zeros((2, 32, 32)),
    ])
    expected = bank.nearest(images)
    distances, index = nearest_line_torch(torch.from_numpy(images))
    assert np.array_equal(index.numpy(), expected.indices)
    np.testing.assert_allclose(distances.numpy(), expected.distances, rtol=1e-9, atol=1e-15)
    assert distances[-1] == 1.0 and index[-1] == 0


def test_scores_on_a_torch_device_equal_cpu_scores() -> None:
    a = interpbench.score("pixels", seeds=[0], pairs=32, keep_images=False)
    b = interpbench.score("pixels", seeds=[0], pairs=32, keep_images=False, search_device="cpu")
    assert np.array_equal(a.seeds[0].scores.angles, b.seeds[0].scores.angles)
    np.testing.assert_allclose(a.seeds[0].scores.distances, b.seeds[0].scores.distances, rtol=1e-9, atol=1e-15)


def test_bad_images_are_refused() -> None:
    with pytest.raises(ValueError, match="NaN or inf"):
        nearest_line_torch(np.full((1, 1024), np.nan))
    with pytest.raises(ValueError, match="1,024 pixels"):
        nearest_line_torch(np.zeros((2, 10)))

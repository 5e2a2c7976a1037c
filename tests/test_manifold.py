import numpy as np
import pytest

from interpbench import angle_labels, render, test_set, training_stream


def test_render_matches_reference_images(reference):
    images = render(reference["angles"])
    assert images.dtype == np.float64 and images.shape == (64, 32, 32)
    np.testing.assert_allclose(images, reference["images"], rtol=0, atol=1e-12)


def test_render_scalar_and_range():
    image = render(0.3)
    assert image.shape == (1, 32, 32)
    assert image.min() == -1.0 and image.max() <= 1.0
    # A line of width 2 and length 15 carries about 30 pixels of ink.
    assert 25 < ((image + 1) / 2).sum() < 35


def test_render_is_periodic_and_rejects_bad_angles():
    np.testing.assert_allclose(render(1.0), render(1.0 + 2 * np.pi), atol=1e-12)
    with pytest.raises(ValueError):
        render(np.array([0.0, np.nan]))
    with pytest.raises(ValueError):
        render(np.zeros((2, 2)))
    assert render(np.array([])).shape == (0, 32, 32)


def test_labels_are_ten_equal_bins():
    angles = np.array([0.0, 0.628, 0.629, np.pi, 2 * np.pi - 1e-9])
    assert angle_labels(angles).tolist() == [0, 0, 1, 5, 9]


def test_test_set_is_seeded():
    a, b, c = test_set(0), test_set(0), test_set(1)
    assert len(a) == 5000 and a.images.shape == (5000, 32, 32)
    np.testing.assert_array_equal(a.angles, b.angles)
    assert not np.array_equal(a.angles, c.angles)
    np.testing.assert_array_equal(a.labels, angle_labels(a.angles))


def test_training_stream_yields_fresh_seeded_batches():
    s1, s2 = training_stream(3, 8), training_stream(3, 8)
    first, second = next(s1), next(s1)
    assert first.shape == (8, 32, 32)
    assert not np.array_equal(first, second)
    np.testing.assert_array_equal(first, next(s2))

"""Probes on plain arrays and through the adapter path (SPEC §6)."""

from __future__ import annotations

import numpy as np
import pytest

from interpbench.datasets import DataSplit, Labelled
from interpbench.errors import AdapterError, DataError, ModelOutputError, OptionError
from interpbench.probes import (
    best_assignment,
    cluster_accuracy,
    fit_whitening,
    kmeans_probe,
    linear_probe,
    probe,
    ProbeResult,
)


@pytest.fixture(autouse=True)
def _one_thread():
    """The test machine is shared: BLAS/OpenMP threads fighting for its cores make the probes 10× slower."""
    from threadpoolctl import threadpool_limits

    with threadpool_limits(limits=1):
        yield


def blobs(seed: int, n: int, k: int = 4, dim: int = 8, spread: float = 0.3):
    """k well-separated Gaussian clusters; label = cluster."""
    rng = np.random.default_rng(seed)
    centres = 5.0 * np.eye(k, dim)
    labels = rng.integers(0, k, size=n)
    return centres[labels] + spread * rng.standard_normal((n, dim)), labels


@pytest.fixture(scope="module")
def separable():
    x_train, y_train = blobs(0, 400)
    x_test, y_test = blobs(1, 200)
    return x_train, y_train, x_test, y_test


@pytest.fixture(scope="module")
def random_labels():
    rng = np.random.default_rng(2)
    return rng.standard_normal((600, 8)), rng.integers(0, 4, 600), rng.standard_normal((2000, 8)), rng.integers(0, 4, 2000)


# ------------------------------------------------------------------ whitening
def test_whitening_follows_spec():
    rng = np.random.default_rng(3)
    train = rng.standard_normal((50, 6)) @ rng.standard_normal((6, 6)) + 4.0
    test = rng.standard_normal((7, 6))
    w = fit_whitening(train)
    centred = train - train.mean(axis=0)
    _, s, vt = np.linalg.svd(centred, full_matrices=False)
    expected = (test - train.mean(axis=0)) @ vt.T / (s + 1e-5)
    np.testing.assert_allclose(w.apply(test), expected, rtol=1e-12, atol=1e-12)
    z = w.apply(train)
    np.testing.assert_allclose(z.mean(axis=0), 0.0, atol=1e-12)
    # Whitened training codes are (almost exactly) orthonormal columns: Zᵀ Z = I.
    np.testing.assert_allclose(z.T @ z, np.eye(6), atol=1e-4)


def test_whitening_with_more_dimensions_than_codes():
    train = np.random.default_rng(4).standard_normal((5, 20))
    assert fit_whitening(train).apply(train).shape == (5, 5)


# ----------------------------------------------------------------- assignment
def test_hungarian_recovers_a_permutation():
    labels = np.repeat(np.arange(5), 10)
    permutation = np.array([3, 0, 4, 1, 2])
    clusters = permutation[labels]
    mapping = best_assignment(clusters, labels)
    assert mapping == {int(permutation[c]): c for c in range(5)}
    assert cluster_accuracy(clusters, labels) == 100.0


def test_hungarian_is_one_to_one():
    # Greedy majority would map both clusters to class 0 (60% + 40%); one-to-one cannot.
    clusters = np.array([0, 0, 0, 0, 0, 1, 1, 1, 1, 1])
    labels = np.array([0, 0, 0, 1, 1, 0, 0, 1, 1, 1])
    assert best_assignment(clusters, labels) == {0: 0, 1: 1}
    assert cluster_accuracy(clusters, labels) == pytest.approx(60.0)


def test_extra_cluster_counts_as_wrong():
    clusters = np.array([0, 1, 2, 2])
    labels = np.array([0, 1, 1, 1])
    assert cluster_accuracy(clusters, labels, n_clusters=3, n_classes=2) == pytest.approx(75.0)


# --------------------------------------------------------------------- probes
def test_linear_probe_separable(separable):
    assert linear_probe(*separable, seed=0) >= 99.0


def test_linear_probe_random_labels_is_near_chance(random_labels):
    assert linear_probe(*random_labels, seed=0) < 35.0


def test_kmeans_probe_separable(separable):
    assert kmeans_probe(*separable, seed=0, restarts=3) >= 99.0


def test_kmeans_probe_random_labels_is_near_chance(random_labels):
    assert kmeans_probe(*random_labels, seed=0, restarts=2) < 35.0


def test_kmeans_probe_is_seeded(random_labels):
    a = kmeans_probe(*random_labels, seed=5, restarts=1)
    assert a == kmeans_probe(*random_labels, seed=5, restarts=1)


def test_probes_flatten_codes(separable):
    x_train, y_train, x_test, y_test = separable
    shaped = (x_train.reshape(-1, 2, 4), y_train, x_test.reshape(-1, 4, 2), y_test)
    assert linear_probe(*shaped, seed=0) == linear_probe(*separable, seed=0)


@pytest.mark.parametrize("fn", [linear_probe, kmeans_probe])
def test_label_count_mismatch(fn, separable):
    x_train, y_train, x_test, y_test = separable
    with pytest.raises(DataError, match="labels do not match"):
        fn(x_train, y_train[:-1], x_test, y_test, seed=0)


@pytest.mark.parametrize("fn", [linear_probe, kmeans_probe])
def test_nan_codes(fn, separable):
    x_train, y_train, x_test, y_test = separable
    x_test = x_test.copy()
    x_test[3, 1] = np.nan
    with pytest.raises(ModelOutputError, match="NaN"):
        fn(x_train, y_train, x_test, y_test, seed=0)


def test_kmeans_rejects_zero_restarts(separable):
    with pytest.raises(OptionError):
        kmeans_probe(*separable, seed=0, restarts=0)


# ---------------------------------------------------------- through an adapter
def tiny_split(n_train: int = 120, n_test: int = 60) -> DataSplit:
    """Two classes of 32×32 images: a bright left half or a bright right half, plus noise."""
    def part(seed: int, n: int) -> Labelled:
        rng = np.random.default_rng(seed)
        labels = rng.integers(0, 2, n)
        images = -np.ones((n, 32, 32))
        for i, y in enumerate(labels):
            images[i, :, :16] = 1.0 if y == 0 else -1.0
            images[i, :, 16:] = 1.0 if y == 1 else -1.0
        images += 0.1 * rng.standard_normal(images.shape)
        return Labelled(np.clip(images, -1, 1), labels)

    return DataSplit("tiny", part(0, n_train), part(1, n_test), n_classes=2)


def test_probe_pixels_on_a_split():
    result = probe("pixels", tiny_split(), seed=0, restarts=2)
    assert isinstance(result, ProbeResult)
    assert result.accuracy["linear"] == 100.0
    assert result.code_shape == [32, 32]
    assert result.dataset["train_size"] == 120
    assert result.provenance["spec_version"] == "v1"


def test_probe_with_pixel_reference_row():
    result = probe(("pixels"), tiny_split(), probes="linear", seed=0, with_pixels=True)
    assert result.reference is not None and result.reference["accuracy"]["linear"] == 100.0
    assert "pixels (reference)" in result.table()


class NanCodes:
    input_layout = "NHW"

    def encode(self, images):
        codes = images.reshape(images.shape[0], -1)[:, :4].copy()
        codes[-1, 0] = np.nan
        return codes

    def decode(self, codes):
        return np.zeros((codes.shape[0], 32, 32))


class Expects28:
    """A model built for 28×28 images, as a conv net's fixed-size dense layer would be."""

    input_layout = "NCHW"

    def encode(self, images):
        if images.shape[1:] != (1, 28, 28):
            raise ValueError(f"expected (n, 1, 28, 28), got {images.shape}")
        return images.reshape(images.shape[0], -1)

    def decode(self, codes):
        return np.zeros((codes.shape[0], 32, 32))


class Declares28(NanCodes):
    image_shape = (28, 28)


def test_probe_nan_codes_is_a_model_error():
    with pytest.raises(ModelOutputError, match="NaN"):
        probe(NanCodes(), tiny_split(), seed=0)


def test_probe_wrong_image_size_is_named():
    with pytest.raises(AdapterError, match="image size"):
        probe(Expects28(), tiny_split(), seed=0)


def test_probe_declared_image_shape_is_checked():
    with pytest.raises(AdapterError, match=r"\(28, 28\).*\(32, 32\)"):
        probe(Declares28(), tiny_split(), seed=0)


def test_probe_rejects_unknown_probe():
    with pytest.raises(OptionError):
        probe("pixels", tiny_split(), probes="pca", seed=0)


def test_result_round_trip(tmp_path):
    result = probe("pixels", tiny_split(), probes="linear", seed=0)
    path = tmp_path / "r.json"
    result.save(path)
    again = ProbeResult.load(path)
    assert again.to_dict() == result.to_dict()
    (tmp_path / "bad.json").write_text('{"format": "interpbench-result"}')
    with pytest.raises(DataError, match="not an interpbench probe result"):
        ProbeResult.load(tmp_path / "bad.json")

"""Data-set readers on small synthetic files in each real format, and the download path on a local server."""

from __future__ import annotations

import functools
import gzip
import hashlib
import http.server
import io
import pickle
import struct
import tarfile
import threading
from pathlib import Path

import numpy as np
import pytest
import scipy.io

from interpbench.datasets import DATASETS, REMOTES, Remote, download, load_dataset
from interpbench.datasets import cifar10, mnist
from interpbench.errors import DataError, OptionError
from interpbench.manifold import angle_labels

RNG = np.random.default_rng(0)


# ---------------------------------------------------------------- file makers
def idx_bytes(array: np.ndarray) -> bytes:
    array = np.asarray(array, dtype=np.uint8)
    return bytes([0, 0, 0x08, array.ndim]) + struct.pack(f">{array.ndim}I", *array.shape) + array.tobytes()


def write_mnist(directory: Path, n_train: int = 12, n_test: int = 6, gz: bool = True) -> dict[str, np.ndarray]:
    arrays = {
        "train_images": RNG.integers(0, 256, (n_train, 28, 28)),
        "train_labels": RNG.integers(0, 10, n_train),
        "test_images": RNG.integers(0, 256, (n_test, 28, 28)),
        "test_labels": RNG.integers(0, 10, n_test),
    }
    for key, array in arrays.items():
        data = idx_bytes(array)
        name = mnist.FILES[key]
        if gz:
            (directory / (name + ".gz")).write_bytes(gzip.compress(data))
        else:
            (directory / name).write_bytes(data)
    return arrays


def write_svhn(directory: Path, n_train: int = 10, n_test: int = 5) -> dict[str, tuple[np.ndarray, np.ndarray]]:
    out = {}
    for split, n in (("train", n_train), ("test", n_test)):
        x = RNG.integers(0, 256, (32, 32, 3, n)).astype(np.uint8)
        y = RNG.integers(1, 11, (n, 1)).astype(np.uint8)  # the real files use 1…10, 10 meaning digit 0
        scipy.io.savemat(directory / f"{split}_32x32.mat", {"X": x, "y": y})
        out[split] = (x, y)
    return out


def cifar_batch(n: int) -> dict[bytes, object]:
    return {b"batch_label": b"synthetic", b"data": RNG.integers(0, 256, (n, 3072)).astype(np.uint8), b"labels": RNG.integers(0, 10, n).tolist()}


def write_cifar(directory: Path, per_batch: int = 4) -> dict[str, dict]:
    folder = directory / cifar10.FOLDER
    folder.mkdir(parents=True, exist_ok=True)
    batches = {}
    for name in (*cifar10.TRAIN_BATCHES, cifar10.TEST_BATCH):
        batches[name] = cifar_batch(per_batch)
        (folder / name).write_bytes(pickle.dumps(batches[name], protocol=2))
    return batches


def md5(path: Path) -> str:
    return hashlib.md5(path.read_bytes()).hexdigest()


# ------------------------------------------------------------------ registry
def test_registry_names():
    assert set(DATASETS) == {"lines", "clock", "blob", "digits", "mnist", "svhn", "cifar10"}
    assert {n for n, d in DATASETS.items() if d.needs_files} == {"mnist", "svhn", "cifar10"}
    assert {n for n, d in DATASETS.items() if d.downloadable} == {"mnist", "svhn", "cifar10"}


def test_unknown_dataset():
    with pytest.raises(OptionError, match="unknown data set"):
        load_dataset("imagenet")


@pytest.mark.parametrize("name", ["mnist", "svhn", "cifar10"])
def test_file_datasets_need_a_directory(name, tmp_path):
    with pytest.raises(DataError, match="--data-dir"):
        load_dataset(name)
    with pytest.raises(DataError, match="does not exist"):
        load_dataset(name, tmp_path / "nowhere")
    with pytest.raises(DataError, match="missing"):
        load_dataset(name, tmp_path)


# ---------------------------------------------------------------- built-ins
def test_lines():
    split = load_dataset("lines", seed=3, train_size=200)
    assert split.train.images.shape == (200, 32, 32) and split.test.images.shape == (5000, 32, 32)
    assert split.n_classes == 10 and split.test.labels.min() >= 0 and split.test.labels.max() <= 9
    assert not np.array_equal(split.train.images[:5], split.test.images[:5])  # independent draws
    again = load_dataset("lines", seed=3, train_size=200)
    np.testing.assert_array_equal(split.train.images, again.train.images)
    other = load_dataset("lines", seed=4, train_size=200)
    assert not np.array_equal(split.train.images, other.train.images)


def test_lines_test_set_is_the_benchmark_test_set():
    from interpbench.manifold import test_set

    split = load_dataset("lines", seed=1, train_size=10)
    reference = test_set(1)
    np.testing.assert_array_equal(split.test.images, reference.images)
    np.testing.assert_array_equal(split.test.labels, angle_labels(reference.angles))


def test_digits():
    split = load_dataset("digits")
    assert split.train.images.shape == (1297, 32, 32) and split.test.images.shape == (500, 32, 32)
    assert split.train.images.min() == -1.0 and split.train.images.max() == 1.0
    assert set(np.unique(split.test.labels)) == set(range(10))
    # 8×8 → 32×32 by 4×4 blocks.
    img = split.train.images[0]
    np.testing.assert_array_equal(img, np.repeat(np.repeat(img[::4, ::4], 4, 0), 4, 1))
    sub = load_dataset("digits", train_size=100, seed=1)
    assert len(sub.train) == 100 and len(sub.test) == 500
    with pytest.raises(OptionError, match="between 1 and 1297"):
        load_dataset("digits", train_size=5000)


# --------------------------------------------------------------------- MNIST
@pytest.mark.parametrize("gz", [True, False], ids=["gzipped", "raw"])
def test_mnist_reads_idx(tmp_path, gz):
    arrays = write_mnist(tmp_path, gz=gz)
    split = load_dataset("mnist", tmp_path)
    assert split.train.images.shape == (12, 32, 32) and split.test.images.shape == (6, 32, 32)
    np.testing.assert_array_equal(split.train.labels, arrays["train_labels"])
    inner = split.train.images[:, 2:30, 2:30]
    np.testing.assert_allclose(inner, arrays["train_images"] / 127.5 - 1.0, atol=1e-6)
    border = np.ones((32, 32), bool)
    border[2:30, 2:30] = False
    assert np.all(split.train.images[:, border] == -1.0)


def test_mnist_truncated_gzip(tmp_path):
    write_mnist(tmp_path)
    path = tmp_path / "train-images-idx3-ubyte.gz"
    path.write_bytes(path.read_bytes()[:-40])
    with pytest.raises(DataError, match="train-images-idx3-ubyte.gz.*truncated or corrupt gzip"):
        load_dataset("mnist", tmp_path)


def test_mnist_truncated_raw(tmp_path):
    write_mnist(tmp_path, gz=False)
    path = tmp_path / "t10k-images-idx3-ubyte"
    path.write_bytes(path.read_bytes()[:-100])
    with pytest.raises(DataError, match="t10k-images-idx3-ubyte.*truncated"):
        load_dataset("mnist", tmp_path)


def test_mnist_bad_magic(tmp_path):
    write_mnist(tmp_path, gz=False)
    (tmp_path / "train-labels-idx1-ubyte").write_bytes(b"\x89PNG" + bytes(20))
    with pytest.raises(DataError, match="not an IDX file"):
        load_dataset("mnist", tmp_path)


def test_mnist_label_count_mismatch(tmp_path):
    write_mnist(tmp_path, gz=False)
    (tmp_path / "train-labels-idx1-ubyte").write_bytes(idx_bytes(np.zeros(11)))
    with pytest.raises(DataError, match="train-labels-idx1-ubyte: 11 labels do not match 12 images"):
        load_dataset("mnist", tmp_path)


def test_mnist_wrong_image_size(tmp_path):
    write_mnist(tmp_path, gz=False)
    (tmp_path / "train-images-idx3-ubyte").write_bytes(idx_bytes(np.zeros((12, 32, 32))))
    with pytest.raises(DataError, match="32×32 images, not MNIST's 28×28"):
        load_dataset("mnist", tmp_path)


# ---------------------------------------------------------------------- SVHN
def test_svhn_reads_mat(tmp_path):
    files = write_svhn(tmp_path)
    split = load_dataset("svhn", tmp_path, colour=True)
    x, y = files["train"]
    assert split.train.images.shape == (10, 3, 32, 32)
    # Pixel (row 5, col 7, channel 2) of image 3 lands at [3, 2, 5, 7].
    assert split.train.images[3, 2, 5, 7] == pytest.approx(x[5, 7, 2, 3] / 127.5 - 1.0, abs=1e-6)
    expected = y.reshape(-1).astype(int)
    expected[expected == 10] = 0
    np.testing.assert_array_equal(split.train.labels, expected)
    assert split.train.labels.max() <= 9


def test_svhn_is_grey_by_default(tmp_path):
    files = write_svhn(tmp_path)
    split = load_dataset("svhn", tmp_path)
    assert split.test.images.shape == (5, 32, 32)
    x = files["test"][0][:, :, :, 0] / 127.5 - 1.0
    grey = 0.299 * x[..., 0] + 0.587 * x[..., 1] + 0.114 * x[..., 2]
    np.testing.assert_allclose(split.test.images[0], grey, atol=1e-5)
    assert "grey" in split.describe()["colour"]


def test_svhn_truncated(tmp_path):
    write_svhn(tmp_path)
    path = tmp_path / "test_32x32.mat"
    path.write_bytes(path.read_bytes()[:3000])
    with pytest.raises(DataError, match="test_32x32.mat.*truncated or corrupt"):
        load_dataset("svhn", tmp_path)


def test_svhn_label_count_mismatch(tmp_path):
    write_svhn(tmp_path)
    scipy.io.savemat(tmp_path / "train_32x32.mat", {"X": np.zeros((32, 32, 3, 4), np.uint8), "y": np.ones((3, 1), np.uint8)})
    with pytest.raises(DataError, match="3 labels do not match 4 images"):
        load_dataset("svhn", tmp_path)


def test_svhn_wrong_keys(tmp_path):
    write_svhn(tmp_path)
    scipy.io.savemat(tmp_path / "train_32x32.mat", {"images": np.zeros((4, 4))})
    with pytest.raises(DataError, match="lacks the SVHN variables"):
        load_dataset("svhn", tmp_path)


# ------------------------------------------------------------------ CIFAR-10
def test_cifar_reads_batches(tmp_path):
    batches = write_cifar(tmp_path)
    split = load_dataset("cifar10", tmp_path, colour=True)
    assert split.train.images.shape == (20, 3, 32, 32) and split.test.images.shape == (4, 3, 32, 32)
    first = batches["data_batch_1"]
    np.testing.assert_allclose(split.train.images[0].reshape(-1), first[b"data"][0] / 127.5 - 1.0, atol=1e-6)
    np.testing.assert_array_equal(split.train.labels[:4], first[b"labels"])
    np.testing.assert_array_equal(split.test.labels, batches["test_batch"][b"labels"])
    assert load_dataset("cifar10", tmp_path).train.images.shape == (20, 32, 32)


def test_cifar_batches_directly_in_data_dir(tmp_path):
    write_cifar(tmp_path)
    flat = tmp_path / "flat"
    (tmp_path / cifar10.FOLDER).rename(flat)
    assert len(load_dataset("cifar10", flat).test) == 4


def test_cifar_truncated(tmp_path):
    write_cifar(tmp_path)
    path = tmp_path / cifar10.FOLDER / "data_batch_3"
    path.write_bytes(path.read_bytes()[:500])
    with pytest.raises(DataError, match="data_batch_3.*truncated or corrupt"):
        load_dataset("cifar10", tmp_path)


def test_cifar_label_count_mismatch(tmp_path):
    write_cifar(tmp_path)
    bad = cifar_batch(4)
    bad[b"labels"] = bad[b"labels"][:3]
    (tmp_path / cifar10.FOLDER / "test_batch").write_bytes(pickle.dumps(bad))
    with pytest.raises(DataError, match="test_batch: 3 labels do not match 4 images"):
        load_dataset("cifar10", tmp_path)


class _Evil:
    def __reduce__(self):
        return (print, ("this must never run",))


def test_cifar_refuses_code_in_pickles(tmp_path, capsys):
    write_cifar(tmp_path)
    (tmp_path / cifar10.FOLDER / "test_batch").write_bytes(pickle.dumps({b"data": _Evil(), b"labels": []}))
    with pytest.raises(DataError, match="refusing to load builtins.print"):
        load_dataset("cifar10", tmp_path)
    assert "must never run" not in capsys.readouterr().out


# ------------------------------------------------------------------ download
@pytest.fixture()
def server(tmp_path):
    """A local HTTP server on 127.0.0.1 serving ``tmp_path / 'served'``; yields (base URL, folder)."""
    served = tmp_path / "served"
    served.mkdir()
    handler = functools.partial(QuietHandler, directory=str(served))
    httpd = http.server.ThreadingHTTPServer(("127.0.0.1", 0), handler)
    thread = threading.Thread(target=httpd.serve_forever, daemon=True)
    thread.start()
    try:
        yield f"http://127.0.0.1:{httpd.server_address[1]}", served
    finally:
        httpd.shutdown()
        httpd.server_close()


class QuietHandler(http.server.SimpleHTTPRequestHandler):
    def log_message(self, *args):  # keep test output clean
        pass


def serve_mnist(served: Path, base: str, monkeypatch) -> None:
    write_mnist(served, gz=True)
    remotes = tuple(
        Remote(name + ".gz", (f"{base}/missing/{name}.gz", f"{base}/{name}.gz"), md5=md5(served / (name + ".gz")))
        for name in mnist.FILES.values()
    )
    monkeypatch.setitem(REMOTES, "mnist", remotes)


def test_download_mnist_from_local_server(server, tmp_path, monkeypatch):
    base, served = server
    serve_mnist(served, base, monkeypatch)  # the first mirror 404s: the second must be used
    data = tmp_path / "data"
    split = load_dataset("mnist", data, download_files=True)
    assert len(split.train) == 12 and len(split.test) == 6
    assert sorted(p.name for p in data.iterdir()) == sorted(n + ".gz" for n in mnist.FILES.values())
    # A second call finds the verified files and does not fetch again.
    (served / "train-images-idx3-ubyte.gz").unlink()
    download("mnist", data)


def test_download_checksum_mismatch_leaves_nothing(server, tmp_path, monkeypatch):
    base, served = server
    (served / "test_32x32.mat").write_bytes(b"not the real file")
    monkeypatch.setitem(REMOTES, "svhn", (Remote("test_32x32.mat", (f"{base}/test_32x32.mat",), sha256="0" * 64),))
    data = tmp_path / "data"
    with pytest.raises(DataError, match="checksum mismatch for 'test_32x32.mat'.*sha256"):
        download("svhn", data)
    assert list(data.iterdir()) == []


def test_download_unreachable(server, tmp_path, monkeypatch):
    base, _ = server
    monkeypatch.setitem(REMOTES, "svhn", (Remote("train_32x32.mat", (f"{base}/nope.mat",), md5="0" * 32),))
    with pytest.raises(DataError, match="could not download 'train_32x32.mat'"):
        download("svhn", tmp_path / "data")
    assert list((tmp_path / "data").iterdir()) == []


def test_download_svhn_mat_files(server, tmp_path, monkeypatch):
    base, served = server
    write_svhn(served)
    remotes = tuple(Remote(n, (f"{base}/{n}",), sha256=hashlib.sha256((served / n).read_bytes()).hexdigest()) for n in ("train_32x32.mat", "test_32x32.mat"))
    monkeypatch.setitem(REMOTES, "svhn", remotes)
    assert len(load_dataset("svhn", tmp_path / "data", download_files=True).train) == 10


def test_download_cifar_archive_is_unpacked(server, tmp_path, monkeypatch):
    base, served = server
    source = tmp_path / "source"
    source.mkdir()
    write_cifar(source)
    buffer = io.BytesIO()
    with tarfile.open(fileobj=buffer, mode="w:gz") as tar:
        tar.add(source / cifar10.FOLDER, arcname=cifar10.FOLDER)
    (served / "cifar-10-python.tar.gz").write_bytes(buffer.getvalue())
    monkeypatch.setitem(
        REMOTES, "cifar10",
        (Remote("cifar-10-python.tar.gz", (f"{base}/cifar-10-python.tar.gz",), md5=md5(served / "cifar-10-python.tar.gz"), unpack=True),),
    )
    data = tmp_path / "data"
    split = load_dataset("cifar10", data, download_files=True)
    assert len(split.train) == 20
    assert sorted(p.name for p in data.iterdir()) == ["cifar-10-batches-py", "cifar-10-python.tar.gz"]


def test_official_remotes_all_have_checksums():
    for name, remotes in REMOTES.items():
        for remote in remotes:
            algorithm, digest = remote.expected()
            assert len(digest) == {"md5": 32, "sha256": 64}[algorithm], (name, remote.filename)
            assert all(url.startswith(("http://", "https://")) for url in remote.urls)


@pytest.mark.parametrize("cut", [None, 1578])
def test_svhn_damaged_tag_is_an_error_not_a_crash(tmp_path, cut):
    """A zeroed data tag made scipy's MAT reader segfault (found by tests/test_fuzz_inputs.py).

    The read runs in a child process, so a crash fails this test instead of ending the test run.
    """
    import subprocess
    import sys

    path = tmp_path / "test_32x32.mat"
    scipy.io.savemat(path, {"X": np.zeros((32, 32, 3, 2), dtype=np.uint8), "y": np.array([[10], [3]], dtype=np.uint8)})
    raw = path.read_bytes()
    damaged = raw[:184] + bytes(8) + raw[192:]  # X's data tag: type 0, 0 bytes
    path.write_bytes(damaged[:cut])
    code = ("import sys; from pathlib import Path; from interpbench.datasets.svhn import read_mat\n"
            "from interpbench.errors import DataError\n"
            "try:\n    read_mat(Path(sys.argv[1]))\nexcept DataError as exc:\n    print(exc)\n")
    proc = subprocess.run([sys.executable, "-c", code, str(path)], capture_output=True, text=True, timeout=120)
    assert proc.returncode == 0, f"the reader crashed (exit {proc.returncode}): {proc.stderr[-500:]}"
    assert "is not a readable MATLAB file" in proc.stdout

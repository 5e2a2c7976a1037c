"""``--download``: fetch a data set's official files, verify their checksums, write them atomically.

Every file is streamed to a temporary file beside its target and only renamed into place once
its checksum matches, so an interrupted or tampered download never leaves a file a reader
would trust. The checksums are the ones published with the data (and used by torchvision).
"""

from __future__ import annotations

import hashlib
import os
import shutil
import tarfile
import tempfile
import urllib.error
import urllib.request
from dataclasses import dataclass
from pathlib import Path

from tqdm.auto import tqdm

from ..atomic import atomic_path
from ..errors import DataError

__all__ = ["Remote", "REMOTES", "download", "file_digest"]

_CHUNK = 1 << 20
_TIMEOUT_S = 60


@dataclass(frozen=True)
class Remote:
    """One file to fetch: where from (mirrors in order), its checksum, and whether to unpack it."""

    filename: str
    urls: tuple[str, ...]
    md5: str | None = None
    sha256: str | None = None
    unpack: bool = False  # a .tar.gz archive whose members are extracted beside it

    def expected(self) -> tuple[str, str]:
        if self.sha256:
            return "sha256", self.sha256
        if self.md5:
            return "md5", self.md5
        raise DataError(f"no checksum is known for {self.filename!r}; refusing to download it unverified")


def _mnist(name: str, md5: str) -> Remote:
    return Remote(
        name,
        (f"https://ossci-datasets.s3.amazonaws.com/mnist/{name}", f"http://yann.lecun.com/exdb/mnist/{name}"),
        md5=md5,
    )


REMOTES: dict[str, tuple[Remote, ...]] = {
    "mnist": (
        _mnist("train-images-idx3-ubyte.gz", "f68b3c2dcbeaaa9fbdd348bbdeb94873"),
        _mnist("train-labels-idx1-ubyte.gz", "d53e105ee54ea40749a09fcbcd1e9432"),
        _mnist("t10k-images-idx3-ubyte.gz", "9fb629c4189551a2d022fa330f9573f3"),
        _mnist("t10k-labels-idx1-ubyte.gz", "ec29112dd5afa0611ce80d1b7f02629c"),
    ),
    "svhn": (
        Remote("train_32x32.mat", ("http://ufldl.stanford.edu/housenumbers/train_32x32.mat",), md5="e26dedcc434d2e4c54c9b2d4a06d8373"),
        Remote("test_32x32.mat", ("http://ufldl.stanford.edu/housenumbers/test_32x32.mat",), md5="eb5a983be6a315427106f1b164d9cef3"),
    ),
    "cifar10": (
        Remote(
            "cifar-10-python.tar.gz",
            ("https://www.cs.toronto.edu/~kriz/cifar-10-python.tar.gz",),
            md5="c58f30108f718f92721af3b95e74349a",
            unpack=True,
        ),
    ),
}


def file_digest(path: str | os.PathLike[str], algorithm: str) -> str:
    digest = hashlib.new(algorithm)
    with open(path, "rb") as f:
        for block in iter(lambda: f.read(_CHUNK), b""):
            digest.update(block)
    return digest.hexdigest()


def _stream(url: str, target: Path, label: str, progress: bool | None) -> None:
    request = urllib.request.Request(url, headers={"User-Agent": "interpbench"})
    with urllib.request.urlopen(request, timeout=_TIMEOUT_S) as response, open(target, "wb") as out:
        total = response.headers.get("Content-Length")
        bar = tqdm(
            total=int(total) if total and total.isdigit() else None, unit="B", unit_scale=True,
            desc=label, leave=False, disable=None if progress is None else not progress,
        )
        with bar:
            for block in iter(lambda: response.read(_CHUNK), b""):
                out.write(block)
                bar.update(len(block))


def _fetch(remote: Remote, directory: Path, progress: bool | None) -> Path:
    target = directory / remote.filename
    algorithm, expected = remote.expected()
    if target.is_file() and file_digest(target, algorithm) == expected:
        return target  # already here and intact
    errors = []
    for url in remote.urls:
        try:
            with atomic_path(target) as tmp:
                _stream(url, tmp, remote.filename, progress)
                actual = file_digest(tmp, algorithm)
                if actual != expected:
                    # Raising inside atomic_path removes the temporary file: nothing unverified stays.
                    raise DataError(
                        f"checksum mismatch for {remote.filename!r} from {url}: {algorithm} {actual}, expected {expected}"
                    )
            return target
        except (urllib.error.URLError, OSError, ValueError) as exc:
            errors.append(f"{url}: {getattr(exc, 'reason', None) or exc}")
    raise DataError(f"could not download {remote.filename!r} ({'; '.join(errors)})")


def _unpack(archive: Path, directory: Path) -> None:
    """Extract a .tar.gz into ``directory`` via a temporary folder, so a failed unpack leaves nothing behind."""
    scratch = Path(tempfile.mkdtemp(prefix=".unpack.", dir=directory))
    try:
        try:
            with tarfile.open(archive, "r:gz") as tar:
                tar.extractall(scratch, filter="data")  # "data" refuses absolute paths and links out
        except (tarfile.TarError, OSError, EOFError) as exc:
            raise DataError(f"cannot unpack {os.fspath(archive)!r}: {exc}") from None
        for item in scratch.iterdir():
            final = directory / item.name
            if final.exists():
                shutil.rmtree(final) if final.is_dir() else final.unlink()
            os.replace(item, final)
    finally:
        shutil.rmtree(scratch, ignore_errors=True)


def download(dataset: str, data_dir: str | os.PathLike[str], *, progress: bool | None = None) -> Path:
    """Fetch ``dataset``'s official files into ``data_dir`` (created if needed) and verify them; returns the directory."""
    if dataset not in REMOTES:
        raise DataError(f"data set {dataset!r} has nothing to download (downloadable: {', '.join(REMOTES)})")
    directory = Path(data_dir)
    directory.mkdir(parents=True, exist_ok=True)
    for remote in REMOTES[dataset]:
        path = _fetch(remote, directory, progress)
        if remote.unpack:
            _unpack(path, directory)
    return directory

"""Finding and reading a data set's files, with one clear :class:`DataError` for each way that fails."""

from __future__ import annotations

import gzip
import os
import zlib
from pathlib import Path

from ..errors import DataError

__all__ = ["find_file", "read_maybe_gzip", "require_dir"]

_GZIP_MAGIC = b"\x1f\x8b"


def require_dir(data_dir: str | os.PathLike[str] | None, dataset: str) -> Path:
    """The user's data directory for ``dataset``; an error if none was named or it does not exist."""
    if data_dir is None:
        raise DataError(f"data set {dataset!r} is read from files: name their directory with --data-dir (or add --download)")
    path = Path(data_dir)
    if not path.is_dir():
        raise DataError(f"data directory {os.fspath(path)!r} for {dataset!r} does not exist")
    return path


def find_file(directory: Path, candidates: tuple[str, ...], dataset: str) -> Path:
    """The first of ``candidates`` (relative names) that exists in ``directory``."""
    for name in candidates:
        path = directory / name
        if path.is_file():
            return path
    raise DataError(
        f"{dataset} file {candidates[0]!r} is missing from {os.fspath(directory)!r} "
        f"(looked for {', '.join(candidates)}); add --download to fetch it"
    )


def read_maybe_gzip(path: Path) -> bytes:
    """The file's bytes, gunzipped when it is gzip-compressed (judged by its magic number, not its name)."""
    try:
        raw = path.read_bytes()
    except OSError as exc:
        raise DataError(f"cannot read {os.fspath(path)!r}: {exc.strerror or exc}") from None
    if not raw.startswith(_GZIP_MAGIC):
        return raw
    try:
        return gzip.decompress(raw)
    except (EOFError, gzip.BadGzipFile, zlib.error, OSError) as exc:
        raise DataError(f"{os.fspath(path)!r} is a truncated or corrupt gzip file ({exc})") from None

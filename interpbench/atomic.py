"""Write files so that a reader never sees a half-finished one: temporary file, then rename."""

from __future__ import annotations

import os
import tempfile
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from pathlib import Path

__all__ = ["atomic_path", "write_text_atomic", "write_bytes_atomic"]


@contextmanager
def atomic_path(target: str | os.PathLike[str]) -> Iterator[Path]:
    """Yield a temporary path beside ``target``; on success it replaces ``target``, on error it is removed."""
    target = Path(target)
    target.parent.mkdir(parents=True, exist_ok=True)
    fd, tmp_name = tempfile.mkstemp(prefix=f".{target.name}.", suffix=".tmp", dir=target.parent)
    os.close(fd)
    tmp = Path(tmp_name)
    try:
        yield tmp
        # mkstemp makes the file private (0600); give it the permissions a plain open() would.
        os.chmod(tmp, 0o666 & ~_umask())
        os.replace(tmp, target)
    except BaseException:
        tmp.unlink(missing_ok=True)
        raise


def _umask() -> int:
    current = os.umask(0)
    os.umask(current)
    return current


def _write(target: str | os.PathLike[str], write: Callable[[Path], object]) -> None:
    with atomic_path(target) as tmp:
        write(tmp)


def write_text_atomic(target: str | os.PathLike[str], text: str) -> None:
    _write(target, lambda p: p.write_text(text, encoding="utf-8"))


def write_bytes_atomic(target: str | os.PathLike[str], data: bytes) -> None:
    _write(target, lambda p: p.write_bytes(data))

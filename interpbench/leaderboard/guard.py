"""The leaderboard folder a command may write to, and the lock every writer of it holds.

A leaderboard is never made up: ``--leaderboard typo/dir`` is refused rather than creating a
tree. Writers (``leaderboard add``, ``leaderboard build``, a sweep filing its entries) hold an
OS lock on the folder itself (``flock`` of the directory; on Windows, of ``DIR/.leaderboard.lock``),
leaving no file behind, while they check for duplicates and write, so two
``add`` of one id (or of one checkpoint) cannot both pass the duplicate check: the second waits,
then finds the first's entry and is refused. The OS drops the lock when its holder dies, however
it dies, so a killed writer never blocks the next one.
"""

from __future__ import annotations

import os
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

from filelock import FileLock, Timeout

from ..atomic import flock_within
from ..errors import DataError

__all__ = ["LOCK_NAME", "leaderboard_folder", "leaderboard_lock"]

LOCK_NAME = ".leaderboard.lock"
# Long enough for another add or build to finish (seconds: a build renders a figure), short
# enough that a wedged holder is reported rather than waited on forever.
_WAIT_S = 120.0


def leaderboard_folder(root: str | os.PathLike[str]) -> Path:
    """``root`` as a Path, if it is an existing directory; a :class:`DataError` otherwise."""
    path = Path(root)
    if not path.is_dir():
        raise DataError(f"leaderboard folder {os.fspath(root)!r} does not exist (interpbench never creates one; "
                        f"make it first, e.g. mkdir -p {os.fspath(root)}/results)")
    return path


@contextmanager
def leaderboard_lock(root: str | os.PathLike[str], wait_s: float = _WAIT_S) -> Iterator[None]:
    """Hold the leaderboard's write lock for the ``with`` block (waiting up to ``wait_s`` seconds)."""
    folder = leaderboard_folder(root)
    busy = DataError(f"another interpbench command has been writing to the leaderboard {os.fspath(root)!r} for "
                     f"over {wait_s:g} s; try again when it has finished")
    try:
        import fcntl  # noqa: F401 - only whether this OS has flock
    except ImportError:  # Windows: a lock file, through filelock
        lock = FileLock(str(folder / LOCK_NAME), timeout=wait_s)
        try:
            lock.acquire()
        except Timeout:
            raise busy from None
        try:
            yield
        finally:
            lock.release()
        return
    try:
        fd = os.open(folder, os.O_RDONLY)
    except OSError as exc:
        raise DataError(f"cannot lock the leaderboard {os.fspath(root)!r}: {exc.strerror or exc}") from None
    try:
        if not flock_within(fd, wait_s):
            raise busy
        yield
    finally:
        os.close(fd)  # closing the descriptor releases the lock

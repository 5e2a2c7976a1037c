"""Write files so that a reader never sees a half-finished one: temporary file, then rename.

The temporary file is made beside the file the path finally names: a symlink is followed, so
writing through ``link.json`` updates the link's target and leaves the link in place. A path
that names something other than a regular file (a FIFO, a device such as ``/dev/full``, a
directory) is refused, since renaming over it would destroy it rather than write to it.
"""

from __future__ import annotations

import errno
import os
import stat
import tempfile
from collections.abc import Callable, Iterable, Iterator
from contextlib import ExitStack, contextmanager
from pathlib import Path

from .errors import OptionError

__all__ = ["atomic_path", "atomic_paths", "check_writable", "resolve_target", "write_text_atomic", "write_bytes_atomic"]

_KINDS = {
    stat.S_IFDIR: "a directory",
    stat.S_IFIFO: "a FIFO (named pipe)",
    stat.S_IFCHR: "a character device",
    stat.S_IFBLK: "a block device",
    stat.S_IFSOCK: "a socket",
}


def resolve_target(target: str | os.PathLike[str]) -> Path:
    """The path ``target`` finally names, symlinks followed; an :class:`OptionError` unless it is a regular file or absent."""
    path = Path(os.path.realpath(target))
    try:
        mode = os.stat(path).st_mode
    except FileNotFoundError:
        return path
    except OSError as exc:  # a symlink loop, a path through a file, no permission to look
        raise OptionError(f"cannot write {os.fspath(target)!r}: {exc.strerror or exc}") from None
    if not stat.S_ISREG(mode):
        kind = _KINDS.get(stat.S_IFMT(mode), "not a plain file")
        raise OptionError(f"cannot write {os.fspath(target)!r}: it is {kind}, not a regular file")
    return path


def check_writable(target: str | os.PathLike[str], what: str = "output") -> Path:
    """Check, before any work is done, that ``target`` can be written; return the resolved path.

    The directory must already exist (it is not created: a typo should not leave a directory
    tree behind) and must accept a new file, which is tested by making and removing one.
    """
    path = resolve_target(target)
    folder = path.parent
    if not folder.is_dir():
        raise OptionError(f"{what} {os.fspath(target)!r}: directory {os.fspath(folder)!r} does not exist")
    try:
        fd, probe = tempfile.mkstemp(prefix=f".{path.name}.", suffix=".tmp", dir=folder)
    except OSError as exc:
        raise OptionError(f"{what} {os.fspath(target)!r}: cannot write in {os.fspath(folder)!r}: {exc.strerror or exc}") from None
    os.close(fd)
    os.unlink(probe)
    return path


@contextmanager
def atomic_path(target: str | os.PathLike[str]) -> Iterator[Path]:
    """Yield a temporary path beside ``target``; on success it replaces ``target``, on error it is removed."""
    final = resolve_target(target)
    try:
        final.parent.mkdir(parents=True, exist_ok=True)
        fd, tmp_name = tempfile.mkstemp(prefix=f".{final.name}.", suffix=".tmp", dir=final.parent)
    except OSError as exc:
        raise OptionError(f"cannot write {os.fspath(target)!r}: {exc.strerror or exc}") from None
    os.close(fd)
    tmp = Path(tmp_name)
    try:
        yield tmp
        # mkstemp makes the file private (0600); give it the permissions a plain open() would.
        os.chmod(tmp, 0o666 & ~_umask())
        _flush_to_disk(tmp)
        os.replace(tmp, final)
    except OSError as exc:
        tmp.unlink(missing_ok=True)
        if exc.errno in _NO_ROOM:  # a full disk, a quota, a file size limit, a read-only mount
            raise OptionError(f"cannot write {os.fspath(target)!r}: {exc.strerror or exc}; nothing was written") from None
        raise
    except BaseException:
        tmp.unlink(missing_ok=True)
        raise


# The write failures that are the file system's, not a bug's: reported as one sentence.
_NO_ROOM = {errno.ENOSPC, errno.EDQUOT, errno.EFBIG, errno.EROFS}


def no_room_error(exc: BaseException) -> bool:
    """Whether ``exc`` is a write that failed for want of room (an OSError of :data:`_NO_ROOM`).

    Libraries that wrap the OSError (torch.save raises RuntimeError) are recognised by its cause.
    """
    while exc is not None:
        if isinstance(exc, OSError) and exc.errno in _NO_ROOM:
            return True
        exc = exc.__cause__ or exc.__context__  # type: ignore[assignment]
    return False


def _flush_to_disk(path: Path) -> None:
    """fsync the finished temporary file, so the rename never exposes a name whose data is not yet stored."""
    fd = os.open(path, os.O_RDONLY)
    try:
        os.fsync(fd)
    finally:
        os.close(fd)


@contextmanager
def atomic_paths(targets: Iterable[str | os.PathLike[str]]) -> Iterator[list[Path]]:
    """:func:`atomic_path` for several files written together: all of them, or (on any error) none.

    Every temporary file is written before the first target is replaced, so a failure while
    writing one output (a figure, say) leaves every target as it was.
    """
    with ExitStack() as stack:
        yield [stack.enter_context(atomic_path(t)) for t in targets]


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

"""Write files so that a reader never sees a half-finished one: temporary file, then rename.

A temporary file is named ``.NAME.PID.XXXXXXXX.tmp`` after the file it becomes and the process
writing it; the next write of NAME removes those whose process is no longer running (a writer
killed with SIGKILL has no chance to), so leftovers do not pile up.

The temporary file is made beside the file the path finally names: a symlink is followed, so
writing through ``link.json`` updates the link's target and leaves the link in place. A path
that names something other than a regular file (a FIFO, a device such as ``/dev/full``, a
directory) is refused, since renaming over it would destroy it rather than write to it.
"""

from __future__ import annotations

import errno
import json
import os
import re
import stat
import tempfile
import time
from collections.abc import Callable, Iterable, Iterator
from contextlib import contextmanager
from pathlib import Path

from .errors import OptionError

__all__ = ["atomic_path", "atomic_paths", "check_writable", "resolve_target", "write_text_atomic", "write_bytes_atomic",
           "folder_lock", "write_named_by_content", "fsync_folder", "recover_commits"]

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
        probe = _temporary(folder, f"{path.name}.")
    except OSError as exc:
        raise OptionError(f"{what} {os.fspath(target)!r}: cannot write in {os.fspath(folder)!r}: {exc.strerror or exc}") from None
    probe.unlink(missing_ok=True)
    return path


@contextmanager
def atomic_path(target: str | os.PathLike[str]) -> Iterator[Path]:
    """Yield a temporary path beside ``target``; on success it replaces ``target``, on error it is removed."""
    final = resolve_target(target)
    try:
        final.parent.mkdir(parents=True, exist_ok=True)
        tmp = _temporary(final.parent, f"{final.name}.")
    except OSError as exc:
        raise OptionError(f"cannot write {os.fspath(target)!r}: {exc.strerror or exc}") from None
    try:
        yield tmp
        _finish_temporary(tmp)
        os.replace(tmp, final)
    except OSError as exc:
        tmp.unlink(missing_ok=True)
        if exc.errno in _NO_ROOM:  # a full disk, a quota, a file size limit, a read-only mount
            raise OptionError(f"cannot write {os.fspath(target)!r}: {exc.strerror or exc}; nothing was written") from None
        raise
    except BaseException:
        tmp.unlink(missing_ok=True)
        raise


def _temporary(folder: Path, prefix: str, suffix: str = "") -> Path:
    """A new empty temporary file ``.PREFIX<pid>.XXXXXXXX<suffix>.tmp`` in ``folder``, once the dead writers' ones are gone."""
    remove_stale_temporaries(folder, prefix, suffix)
    fd, name = tempfile.mkstemp(prefix=f".{prefix}{os.getpid()}.", suffix=f"{suffix}.tmp", dir=folder)
    os.close(fd)
    return Path(name)


def remove_stale_temporaries(folder: Path, prefix: str, suffix: str = "") -> None:
    """Remove the temporary files ``.PREFIX<pid>.XXXXXXXX<suffix>.tmp`` of writers that are no longer running.

    A file whose process is alive (or cannot be asked: another user's) is in use and stays; so
    does everything on Windows, where a process cannot be asked without being signalled. A dead
    writer's multi-file commit is finished first, since its journal names temporaries to keep.
    """
    if os.name == "nt":
        return
    recover_commits(folder)
    # A temporary file of a temporary file (a writer that itself writes atomically) is the outer
    # name, dot-prefixed again, plus its own ".PID.XXXXXXXX.tmp".
    pattern = re.compile(r"\.+" + re.escape(prefix) + r"\d+\.[A-Za-z0-9_]{8}" + re.escape(f"{suffix}.tmp")
                         + r"(\.\d+\.[A-Za-z0-9_]{8}\.tmp)*")
    try:
        entries = list(os.scandir(folder))
    except OSError:
        return
    for entry in entries:
        if not pattern.fullmatch(entry.name):
            continue
        pids = re.findall(r"\.(\d+)\.[A-Za-z0-9_]{8}(?=" + re.escape(suffix) + r"\.tmp|\.tmp)", entry.name)
        if any(_running(int(pid)) for pid in pids):
            continue
        try:
            if entry.is_file(follow_symlinks=False):
                os.unlink(entry.path)
        except OSError:
            pass  # another writer removed it first, or it cannot be removed: it is ignored either way


def _running(pid: int) -> bool:
    if pid == os.getpid():
        return True
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    except (PermissionError, OverflowError):
        return True
    return True


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


def _finish_temporary(path: Path) -> None:
    """Give the finished temporary file a plain open()'s permissions (mkstemp makes it private, 0600)
    and fsync it, so the rename never exposes a name whose data is not yet stored."""
    os.chmod(path, 0o666 & ~_umask())
    fd = os.open(path, os.O_RDONLY)
    try:
        os.fsync(fd)
    finally:
        os.close(fd)


@contextmanager
def atomic_paths(targets: Iterable[str | os.PathLike[str]]) -> Iterator[list[Path]]:
    """:func:`atomic_path` for several files written together: all of them, or none.

    Every temporary file is written and stored before the first target is replaced, so a
    failure while writing one output (a figure, say) leaves every target as it was. Then a
    journal naming every rename is stored in each folder involved, and the targets are replaced
    last first (so files go in before the files that name them). A writer killed during the
    renames leaves its journal: the next write in any of those folders (or
    :func:`recover_commits`) finishes the renames before doing anything else, so the set is
    never left half old and half new once anyone writes there again.
    """
    finals = [resolve_target(t) for t in targets]
    tmps: list[Path] = []
    try:
        for final in finals:
            try:
                final.parent.mkdir(parents=True, exist_ok=True)
                tmps.append(_temporary(final.parent, f"{final.name}."))
            except OSError as exc:
                raise OptionError(f"cannot write {os.fspath(final)!r}: {exc.strerror or exc}") from None
        yield tmps
        for tmp in tmps:
            _finish_temporary(tmp)
        renames = list(zip(tmps, finals))[::-1]
        journals = _write_journals(renames)
    except OSError as exc:
        for tmp in tmps:
            tmp.unlink(missing_ok=True)
        if exc.errno in _NO_ROOM:
            raise OptionError(f"cannot write {', '.join(repr(os.fspath(f)) for f in finals)}: {exc.strerror or exc}; "
                              "nothing was written") from None
        raise
    except BaseException:
        for tmp in tmps:
            tmp.unlink(missing_ok=True)
        raise
    _commit(renames, journals)


# A multi-file commit's journal: ".interpbench-commit.PID.XXXXXXXX.journal", one copy per folder involved.
_JOURNAL_PREFIX = ".interpbench-commit."
_JOURNAL_SUFFIX = ".journal"
_JOURNAL = re.compile(re.escape(_JOURNAL_PREFIX) + r"(\d+)\.[A-Za-z0-9_]{8}" + re.escape(_JOURNAL_SUFFIX))


def _write_journals(renames: list[tuple[Path, Path]]) -> list[Path]:
    """Store the list of renames in every folder they touch; once the last copy is stored, the commit is decided."""
    folders = sorted({final.parent for _, final in renames}, key=str)  # each temporary sits beside its target
    name = f"{_JOURNAL_PREFIX}{os.getpid()}.{os.urandom(6).hex()[:8]}{_JOURNAL_SUFFIX}"
    journals = [folder / name for folder in folders]
    text = json.dumps({"renames": [[os.fspath(a), os.fspath(b)] for a, b in renames],
                       "journals": [os.fspath(j) for j in journals]})
    written: list[Path] = []
    try:
        for journal in journals:
            # Written in place, not renamed in: a copy cut short is not JSON, which recovery reads as "never committed".
            with open(journal, "x", encoding="utf-8") as file:
                written.append(journal)
                file.write(text)
                file.flush()
                os.fsync(file.fileno())
            fsync_folder(journal.parent)
    except BaseException:
        for journal in written:  # no rename has happened: the commit is called off
            journal.unlink(missing_ok=True)
        raise
    return journals


def _commit(renames: list[tuple[Path, Path]], journals: list[Path]) -> None:
    """Do the journal's renames (those not done yet), store them, then drop every copy of the journal."""
    for tmp, final in renames:
        try:
            os.replace(tmp, final)
        except FileNotFoundError:  # already done by an earlier attempt at this journal
            pass
    for folder in sorted({final.parent for _, final in renames}, key=str):
        fsync_folder(folder)
    for journal in journals:
        journal.unlink(missing_ok=True)


def recover_commits(folder: str | os.PathLike[str]) -> None:
    """Finish the multi-file commits that writers killed mid-way left in ``folder`` (see :func:`atomic_paths`).

    A journal whose writer still runs is left alone; one that cannot be read or finished (a
    read-only folder, a file removed by hand) is left for a later attempt. Never raises.
    """
    if os.name == "nt":
        return
    try:
        entries = list(os.scandir(folder))
    except OSError:
        return
    for entry in entries:
        match = _JOURNAL.fullmatch(entry.name)
        if match is None or _running(int(match.group(1))):
            continue
        try:
            text = Path(entry.path).read_text(encoding="utf-8")
        except OSError:
            continue
        try:
            record = json.loads(text)
            renames = [(Path(a), Path(b)) for a, b in record["renames"]]
            journals = [Path(j) for j in record["journals"]]
        except (ValueError, KeyError, TypeError):
            # Cut short while its writer stored it: that writer renamed nothing, so there is nothing to finish.
            Path(entry.path).unlink(missing_ok=True)
            continue
        # Journals name absolute, resolved paths; ``folder`` may be relative or reached through a link.
        if Path(entry.path).resolve() not in {j.resolve() for j in journals}:  # copied in from elsewhere: not this commit
            continue
        if not all(_reads_as(j, text) for j in journals):
            # The commit is decided only once every copy is stored. A copy missing or cut short means its
            # writer died before that (nothing renamed), or a recovery finished the renames and was
            # removing the copies: either way nothing is left to do but drop this one.
            Path(entry.path).unlink(missing_ok=True)
            continue
        try:
            _commit(renames, journals)
        except OSError:
            continue


def _reads_as(path: Path, text: str) -> bool:
    try:
        return path.read_text(encoding="utf-8") == text
    except OSError:
        return False


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


def fsync_folder(folder: str | os.PathLike[str]) -> None:
    """fsync a directory, so the renames made in it so far are stored before the next ones (POSIX; a no-op elsewhere)."""
    try:
        fd = os.open(folder, os.O_RDONLY)
    except OSError:
        return
    try:
        os.fsync(fd)
    except OSError:  # some file systems refuse fsync on a directory; the rename order is then the kernel's
        pass
    finally:
        os.close(fd)


def write_named_by_content(folder: Path, prefix: str, suffix: str, write: Callable[[Path], object],
                           name: Callable[[Path], str]) -> tuple[Path, bool]:
    """Write a new file in ``folder`` whose name depends on what was written, atomically.

    ``write`` fills a temporary file ``.PREFIX*SUFFIX.tmp``; ``name`` then gives its final name
    (from a digest of its bytes), and the temporary file is fsynced and renamed to it. A file
    already of that name holds the same bytes and is replaced by an identical copy, so a reader
    never sees it change. Returns the final path, and whether a file of that name was already there.
    """
    try:
        tmp = _temporary(folder, prefix, suffix)
    except OSError as exc:
        raise OptionError(f"cannot write in {os.fspath(folder)!r}: {exc.strerror or exc}") from None
    final = None
    try:
        write(tmp)
        final = folder / name(tmp)
        _finish_temporary(tmp)
        existed = final.is_file()
        os.replace(tmp, final)
        return final, existed
    except OSError as exc:
        tmp.unlink(missing_ok=True)
        if exc.errno in _NO_ROOM:
            where = os.fspath(final) if final is not None else os.fspath(folder / f"{prefix}…{suffix}")
            raise OptionError(f"cannot write {where!r}: {exc.strerror or exc}; nothing was written") from None
        raise
    except BaseException:
        tmp.unlink(missing_ok=True)
        raise


# How long a writer waits for another writer of the same folder before saying so.
_FOLDER_WAIT_S = 120.0


def flock_within(fd: int, wait_s: float) -> bool:
    """Take an exclusive ``flock`` on ``fd``, polling for up to ``wait_s`` seconds; False if another holder kept it."""
    import fcntl

    deadline = time.monotonic() + wait_s
    while True:
        try:
            fcntl.flock(fd, fcntl.LOCK_EX | fcntl.LOCK_NB)
            return True
        except BlockingIOError:
            if time.monotonic() > deadline:
                return False
            time.sleep(0.05)


@contextmanager
def folder_lock(folder: str | os.PathLike[str], what: str, wait_s: float = _FOLDER_WAIT_S) -> Iterator[None]:
    """Hold an OS lock (``flock``) on ``folder`` itself for the ``with`` block, leaving no file behind.

    Writers whose files depend on each other (a result and its images) hold it so that two of
    them never interleave. The OS drops it when its holder dies, however it dies. Where there
    is no ``flock`` (Windows), or the folder cannot be opened, nothing is locked.
    """
    try:
        import fcntl  # noqa: F401 - only whether this OS has flock
    except ImportError:
        yield
        return
    try:
        fd = os.open(folder, os.O_RDONLY)
    except OSError:  # a folder that may be written but not listed: nothing to lock with; the writes themselves will say
        yield
        return
    try:
        if not flock_within(fd, wait_s):
            raise OptionError(f"cannot write {what}: another process has been writing in {os.fspath(folder)!r} "
                              f"for over {wait_s:g} s; try again when it has finished")
        yield
    finally:
        os.close(fd)  # closing the descriptor releases the lock

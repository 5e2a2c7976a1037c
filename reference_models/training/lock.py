"""One training per run directory at a time.

Two trainings into the same ``--out`` would both read the same checkpoint and overwrite each
other's. :class:`RunLock` holds an OS file lock (``filelock``: ``flock`` on POSIX, ``msvcrt``
on Windows) on ``OUT/train.lock`` for the whole run, and records who holds it in
``OUT/train.lock.owner`` so that a refused second training can name the first one's PID.

The OS releases the lock when its process dies, however it dies, so a killed training never
blocks the next one. What a killed training does leave is its owner record: a new training
that finds one naming a process that is not itself reports it as a stale lock taken over.
"""

from __future__ import annotations

import datetime as _dt
import json
import os
import socket
from pathlib import Path
from typing import Any

from filelock import FileLock, Timeout

from interpbench.atomic import write_text_atomic
from interpbench.errors import OptionError

__all__ = ["RunLock", "LOCK_NAME", "OWNER_NAME", "process_alive"]

LOCK_NAME = "train.lock"
OWNER_NAME = "train.lock.owner"


def process_alive(pid: int) -> bool:
    """Whether a process ``pid`` exists on this machine (signal 0 tests without sending anything)."""
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    except PermissionError:  # exists, but belongs to another user
        return True
    except (OSError, OverflowError, ValueError):
        return False
    return True


class RunLock:
    """Hold the lock of run directory ``out`` (created if needed) between ``acquire`` and ``release``.

    ``stale_owner`` is set, after acquiring, to the owner record a process that died holding the
    lock left behind (else ``None``).
    """

    def __init__(self, out: str | os.PathLike[str]) -> None:
        self.out = Path(out)
        self.stale_owner: dict[str, Any] | None = None
        self._lock: FileLock | None = None

    @property
    def owner_path(self) -> Path:
        return self.out / OWNER_NAME

    def acquire(self) -> RunLock:
        try:
            self.out.mkdir(parents=True, exist_ok=True)
        except OSError as exc:
            raise OptionError(f"cannot use {os.fspath(self.out)!r} as a run directory: {exc.strerror or exc}") from None
        lock = FileLock(self.out / LOCK_NAME, timeout=0)
        try:
            lock.acquire()
        except Timeout:
            raise OptionError(self._in_use_message()) from None
        self._lock = lock
        # Holding the lock, no other writer is in this directory: temporaries left here are a
        # killed writer's (kill -9 between write and rename), never a live one's.
        for leftover in self.out.glob(".*.tmp"):
            leftover.unlink(missing_ok=True)
        previous = self._read_owner()
        if previous is not None and previous.get("pid") != os.getpid():
            self.stale_owner = previous
        me = {"pid": os.getpid(), "host": socket.gethostname(),
              "started": _dt.datetime.now(_dt.timezone.utc).replace(microsecond=0).isoformat()}
        write_text_atomic(self.owner_path, json.dumps(me) + "\n")
        return self

    def release(self) -> None:
        if self._lock is None:
            return
        self.owner_path.unlink(missing_ok=True)  # before the lock goes: a record always has a live holder or none
        self._lock.release()
        self._lock = None

    def __enter__(self) -> RunLock:
        return self.acquire()

    def __exit__(self, *exc: object) -> None:
        self.release()

    def _read_owner(self) -> dict[str, Any] | None:
        try:
            data = json.loads(self.owner_path.read_text(encoding="utf-8"))
        except (OSError, ValueError):
            return None
        return data if isinstance(data, dict) else None

    def _in_use_message(self) -> str:
        where = os.fspath(self.out)
        owner = self._read_owner()
        if owner is None or not isinstance(owner.get("pid"), int):
            # The holder has the lock but has not written its record yet (a fraction of a second).
            return f"run directory {where!r} is in use by another training; wait for it to finish or choose another --out"
        pid, host = owner["pid"], owner.get("host", "?")
        if host == socket.gethostname() and not process_alive(pid):
            # Only possible where the OS lock outlives its process (some network file systems).
            return (f"run directory {where!r} holds a stale lock of PID {pid}, which is no longer running; "
                    f"delete {os.fspath(self.out / LOCK_NAME)!r} if no training uses this directory")
        return (f"run directory {where!r} is in use by another training (PID {pid} on {host}, since "
                f"{owner.get('started', '?')}); wait for it to finish or choose another --out")

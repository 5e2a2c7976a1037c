"""The local Ray instance a sweep starts dies with the sweep's driver, however the driver dies.

Ctrl-C and SIGTERM reach the driver, which shuts Ray down. SIGKILL does not: Ray's workers and
raylet go with the driver, but its dashboard and runtime-env agents lived on. So, while the
driver runs Ray, a small watchdog process (in a session of its own, deaf to the terminal's
signals) holds the read end of a pipe and is told, every second, the processes below the driver
(each with its start time, so a reused PID is never taken for one). When the driver is gone,
however it went, the pipe reads end-of-file; the watchdog waits a moment for Ray's own shutdown,
then kills whichever of those processes are still there. Linux only (it reads ``/proc``);
elsewhere nothing is watched.
"""

from __future__ import annotations

import os
import subprocess
import sys
import threading
from pathlib import Path

__all__ = ["Reaper", "descendants"]

# Seconds the watchdog gives Ray's own shutdown before killing what is left.
GRACE_S = 2.0

_WATCHDOG = r"""
import os, signal, sys, time
for s in (signal.SIGINT, signal.SIGTERM, signal.SIGHUP, signal.SIGPIPE):
    signal.signal(s, signal.SIG_IGN)
def started(pid):
    try:
        with open(f"/proc/{pid}/stat") as f:
            return int(f.read().rsplit(")", 1)[1].split()[19])
    except (OSError, ValueError, IndexError):
        return None
known = {}
for line in sys.stdin:
    try:
        pid, start = map(int, line.split())
    except ValueError:
        continue
    known[pid] = start
time.sleep(float(sys.argv[1]))
for pid, start in known.items():
    if started(pid) == start:
        try:
            os.kill(pid, signal.SIGKILL)
        except OSError:
            pass
"""


def _stat(pid: int) -> tuple[int, int] | None:
    """(parent PID, start time in clock ticks) of ``pid``, or None if it is gone."""
    try:
        fields = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()
        return int(fields[1]), int(fields[19])
    except (OSError, ValueError, IndexError):
        return None


def descendants(pid: int) -> dict[int, int]:
    """Every process below ``pid`` (children, theirs, ...): PID -> start time. Linux only."""
    children: dict[int, list[tuple[int, int]]] = {}
    for entry in os.listdir("/proc"):
        if entry.isdigit():
            stat = _stat(int(entry))
            if stat is not None:
                children.setdefault(stat[0], []).append((int(entry), stat[1]))
    found: dict[int, int] = {}
    stack = [pid]
    while stack:
        for child, start in children.get(stack.pop(), []):
            if child not in found:
                found[child] = start
                stack.append(child)
    return found


class Reaper:
    """Watch the processes below this one while the ``with`` block runs (see the module's docstring)."""

    def __init__(self, interval_s: float = 1.0) -> None:
        self.interval_s = interval_s
        self._watchdog: subprocess.Popen[bytes] | None = None
        self._told: set[tuple[int, int]] = set()
        self._stop = threading.Event()
        self._thread: threading.Thread | None = None
        self._lock = threading.Lock()

    def __enter__(self) -> Reaper:
        if not sys.platform.startswith("linux") or not Path("/proc/self/stat").exists():
            return self
        self._watchdog = subprocess.Popen([sys.executable, "-c", _WATCHDOG, str(GRACE_S)], stdin=subprocess.PIPE,
                                          stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL, start_new_session=True)
        self.record()
        self._thread = threading.Thread(target=self._watch, name="interpbench-ray-reaper", daemon=True)
        self._thread.start()
        return self

    def record(self) -> None:
        """Tell the watchdog about processes below this one that it does not know yet."""
        if self._watchdog is None or self._watchdog.stdin is None:
            return
        with self._lock:
            new = {(pid, start) for pid, start in descendants(os.getpid()).items() if pid != self._watchdog.pid} - self._told
            if not new:
                return
            try:
                self._watchdog.stdin.write("".join(f"{pid} {start}\n" for pid, start in sorted(new)).encode())
                self._watchdog.stdin.flush()
            except (OSError, ValueError):  # the watchdog is gone (killed by someone): nothing more to tell
                return
            self._told |= new

    def _watch(self) -> None:
        while not self._stop.wait(self.interval_s):
            self.record()

    def __exit__(self, *exc: object) -> None:
        """After Ray's shutdown: close the pipe, so the watchdog removes what the shutdown left, and goes."""
        self._stop.set()
        if self._thread is not None:
            self._thread.join()
        if self._watchdog is not None and self._watchdog.stdin is not None:
            try:
                self._watchdog.stdin.close()
            except OSError:
                pass

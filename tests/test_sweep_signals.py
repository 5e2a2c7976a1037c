"""A sweep driver stopped by SIGTERM, or killed by SIGKILL, leaves no Ray process behind (issue 18:
"two Ray processes outlive a killed sweep driver"); SIGTERM stops it as Ctrl-C does (exit 130).

Real processes: ``interpbench sweep`` on a local Ray instance, signalled once a run is training,
and every process that was below it then is checked for afterwards."""

from __future__ import annotations

import os
import signal
import subprocess
import sys
import time
from pathlib import Path

import pytest

pytest.importorskip("ray")
if not sys.platform.startswith("linux"):
    pytest.skip("the processes below the driver are found through /proc", allow_module_level=True)

from reference_models.sweep.reaper import GRACE_S, descendants  # noqa: E402

# One run far longer than the test: it is always still training when the signal comes.
GRID = 'preset = "quick"\nkimg = 64\neval_every = 64\neval_pairs = 4\nmodels = ["baseline"]\nseeds = [0]\n'


def _command(pid: int) -> str:
    try:
        return Path(f"/proc/{pid}/cmdline").read_bytes().replace(b"\0", b" ").decode(errors="replace")
    except OSError:
        return ""


def _alive(pid: int, start: int) -> bool:
    """The process is there, is the one recorded (same start time), and is not a zombie awaiting its reaping."""
    try:
        fields = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()
    except OSError:
        return False
    return int(fields[19]) == start and fields[0] != "Z"


@pytest.mark.parametrize("signum", [signal.SIGTERM, signal.SIGKILL], ids=["SIGTERM", "SIGKILL"])
def test_a_stopped_or_killed_sweep_driver_leaves_no_ray_process(tmp_path: Path, signum: int) -> None:
    (tmp_path / "grid.toml").write_text(GRID)
    env = {**os.environ, "RAY_AUTH_MODE": "disabled", "OMP_NUM_THREADS": "1", "PYTHONDONTWRITEBYTECODE": "1"}
    with open(tmp_path / "output.txt", "w") as log:
        driver = subprocess.Popen([sys.executable, "-m", "interpbench", "sweep", "grid.toml", "--out", "out"],
                                  cwd=tmp_path, env=env, stdout=log, stderr=subprocess.STDOUT)
    try:
        below: dict[int, int] = {}
        deadline = time.monotonic() + 180
        while time.monotonic() < deadline and driver.poll() is None:
            below.update(descendants(driver.pid))
            if any("ray::train_run" in _command(pid) for pid in below):
                break
            time.sleep(0.5)
        assert driver.poll() is None, (tmp_path / "output.txt").read_text()
        training = [pid for pid in below if "ray::train_run" in _command(pid)]
        assert training, "no run started training within 3 minutes: " + (tmp_path / "output.txt").read_text()
        time.sleep(1.5)  # the reaper's next look (every second) sees the processes Ray has now
        below.update(descendants(driver.pid))
        driver.send_signal(signum)
        status = driver.wait(timeout=120)
    finally:
        if driver.poll() is None:
            driver.kill()
            driver.wait()
    output = (tmp_path / "output.txt").read_text()
    if signum == signal.SIGTERM:
        assert status == 130 and "Interrupted" in output and "SIGTERM received" not in output, output
    else:
        assert status == -signal.SIGKILL
    assert len(below) >= 3  # gcs, raylet, agents, workers: the processes this test is about
    deadline = time.monotonic() + GRACE_S + 30
    while time.monotonic() < deadline and any(_alive(pid, start) for pid, start in below.items()):
        time.sleep(0.5)
    left = {pid: _command(pid) for pid, start in below.items() if _alive(pid, start)}
    assert left == {}, f"processes outlived the driver: {left}"  # Ray's, and the watchdog itself

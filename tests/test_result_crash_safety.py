"""A result and its images file survive kill -9 at every step of a save (issue 18: a killed writer
must never leave a result that refers to images it did not write).

No mocks of the code under test: a real ``interpbench`` process is stopped just before each of its
file-system changes in turn (each ``os.replace`` and ``os.unlink``, counted by a hook installed in
that process), killed there with SIGKILL, and what it left is then read back.
"""

from __future__ import annotations

import json
import os
import re
import shutil
import signal
import subprocess
import sys
from pathlib import Path

import numpy as np
import pytest

import interpbench

# Installed in the child before interpbench runs: before its K-th file-system change it says
# PAUSED and waits to be killed. K = 0 never pauses and reports the count at exit.
_HOOK = r"""
import atexit, os, runpy, sys, time
stop, count = int(os.environ["IB_PAUSE_AT"]), [0]
def hooked(real):
    def call(*args, **kwargs):
        count[0] += 1
        if count[0] == stop:
            print("PAUSED", flush=True)
            time.sleep(600)
        return real(*args, **kwargs)
    return call
os.replace, os.unlink = hooked(os.replace), hooked(os.unlink)
atexit.register(lambda: print("CHANGES", count[0], flush=True))
sys.argv = ["interpbench", *sys.argv[1:]]
runpy.run_module("interpbench", run_name="__main__")
"""


def _run(args: list[str], cwd: Path, pause_at: int) -> tuple[bool, str]:
    """Run ``interpbench ARGS``; with ``pause_at`` > 0 kill it (SIGKILL) where it pauses. True if it was killed."""
    env = {**os.environ, "IB_PAUSE_AT": str(pause_at), "OMP_NUM_THREADS": "1", "PYTHONDONTWRITEBYTECODE": "1"}
    proc = subprocess.Popen([sys.executable, "-c", _HOOK, *args], cwd=cwd, env=env, text=True,
                            stdout=subprocess.PIPE, stderr=subprocess.PIPE)
    out = []
    for line in proc.stdout:  # type: ignore[union-attr]
        out.append(line)
        if line.strip() == "PAUSED":
            proc.send_signal(signal.SIGKILL)
            break
    proc.wait(timeout=120)
    stderr = proc.stderr.read()  # type: ignore[union-attr]
    proc.stdout.close(), proc.stderr.close()  # type: ignore[union-attr, func-returns-value]
    killed = proc.returncode == -signal.SIGKILL
    assert killed or proc.returncode == 0, "".join(out) + stderr
    return killed, "".join(out)


def _images_of(folder: Path) -> dict[tuple[int, ...], dict[str, np.ndarray]]:
    """Per result file of ``folder``: its seeds -> decoded images (float32, as saved)."""
    return {name: interpbench.Result.load(folder / name) for name in sorted(p.name for p in folder.glob("*.json"))}


def _check_consistent(folder: Path, versions: list[dict[str, interpbench.Result]], may_be_absent: bool) -> None:
    """Every result in ``folder`` loads with its images, and they are the images of the run it records."""
    for name in versions[-1]:
        path = folder / name
        if not path.exists():
            assert may_be_absent, f"{name} was lost"
            continue
        loaded = interpbench.Result.load(path)  # checks the sha256 the JSON records
        assert loaded.images is not None, f"{name} names images that are not there"
        same = [v[name] for v in versions if name in v and v[name].protocol.seeds == loaded.protocol.seeds]
        assert len(same) == 1
        np.testing.assert_array_equal(loaded.images.astype(np.float32), same[0].images.astype(np.float32))


def _left_over(folder: Path) -> list[str]:
    """Files that are neither a result, nor the images file a result names, nor a figure (temporary files included)."""
    named = {json.loads(p.read_text())["images"]["file"] for p in folder.glob("*.json")}
    return sorted(p.name for p in folder.iterdir() if not (p.suffix in (".json", ".png") or p.name in named))


@pytest.mark.parametrize("case", ["one result, none before", "one result over another", "comparison and figure over another"])
def test_a_save_killed_at_any_step_leaves_results_that_match_their_images(tmp_path: Path, case: str) -> None:
    adapters = ["--adapter", "oracle"] + (["--adapter", "pixels"] if case.startswith("comparison") else [])
    figure = ["--figure", "c.png"] if case.startswith("comparison") else []

    def command(seed: int) -> list[str]:
        return ["run", *adapters, "--pairs", "2", "--steps", "4", "--seed", str(seed), "--output", "r.json", *figure]

    reference = {}
    for seed in (0, 1):
        folder = tmp_path / f"ref{seed}"
        folder.mkdir()
        killed, report = _run(command(seed), folder, 0)
        assert not killed
        reference[seed] = _images_of(folder)
    changes = int(re.search(r"CHANGES (\d+)", report).group(1))  # type: ignore[union-attr]
    # At least: the images renamed in (per result), the JSONs renamed in, and (over another) the old images removed.
    assert changes >= 2 * len(reference[1])

    start = tmp_path / "start"
    start.mkdir()
    if "over another" in case:
        for p in (tmp_path / "ref0").iterdir():
            shutil.copy(p, start / p.name)
    for k in range(1, changes + 1):
        folder = tmp_path / f"k{k}"
        shutil.copytree(start, folder)
        killed, _ = _run(command(1), folder, k)
        assert killed
        before = [reference[0]] if "over another" in case else []
        _check_consistent(folder, before + [reference[1]], may_be_absent="none before" in case)
        if case.startswith("comparison"):  # the two results of one run are one save: both old or both new, never mixed
            assert len({interpbench.Result.load(p).protocol.seeds for p in folder.glob("*.json")}) == 1, k
        # The next save finishes the job: the results and their images, nothing else (no orphan, no temporary file).
        killed, _ = _run(command(1), folder, 0)
        assert not killed
        _check_consistent(folder, [reference[1]], may_be_absent=False)
        assert _left_over(folder) == []


def test_a_save_that_fails_removes_the_images_it_wrote_and_keeps_the_old_pair(tmp_path: Path) -> None:
    old = interpbench.score("oracle", seeds=[0], pairs=2, steps=4, progress=False)
    old.save(tmp_path / "r.json")
    files = {p.name: p.read_bytes() for p in tmp_path.iterdir()}
    new = interpbench.score("oracle", seeds=[1], pairs=2, steps=4, progress=False)

    def broken(tmps: list[Path]) -> None:
        raise RuntimeError("a figure failed")

    from interpbench.result import save_results

    with pytest.raises(RuntimeError):
        save_results([(new, tmp_path / "r.json")], others=[tmp_path / "f.png"], write_others=broken)
    assert {p.name: p.read_bytes() for p in tmp_path.iterdir()} == files


def test_saving_again_removes_the_previous_images_and_stale_temporaries(tmp_path: Path) -> None:
    target = tmp_path / "r.json"
    interpbench.score("oracle", seeds=[0], pairs=2, steps=4, progress=False).save(target)
    (tmp_path / "r.images.npz").write_bytes(b"images of a release before names held digests")
    dead = subprocess.run([sys.executable, "-c", "import os; print(os.getpid())"], capture_output=True, text=True).stdout.strip()
    (tmp_path / f".r.json.{dead}.abcd_123.tmp").write_text("a killed save's")
    (tmp_path / f".r.images.{dead}.abcd_123.npz.tmp").write_text("a killed save's")
    (tmp_path / f".r.json.{os.getpid()}.abcd_123.tmp").write_text("a running writer's: kept")
    (tmp_path / "other.images.0123456789abcdef.npz").write_text("another result's: kept")
    result = interpbench.score("oracle", seeds=[1], pairs=2, steps=4, progress=False)
    result.save(target)
    named = json.loads(target.read_text())["images"]["file"]
    assert sorted(p.name for p in tmp_path.iterdir()) == sorted(["r.json", named, "other.images.0123456789abcdef.npz",
                                                                 f".r.json.{os.getpid()}.abcd_123.tmp"])
    (tmp_path / f".r.json.{os.getpid()}.abcd_123.tmp").unlink()
    assert interpbench.Result.load(target).protocol.seeds == (1,)
    # The same images again: the same name, replaced by an identical copy and kept.
    result.save(target)
    assert sorted(p.name for p in tmp_path.iterdir()) == sorted(["r.json", named, "other.images.0123456789abcdef.npz"])

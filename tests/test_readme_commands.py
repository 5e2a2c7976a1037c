"""Every command block of the README runs as written, or says why it cannot.

A command whose line comment mentions "your" needs the user's own files (an adapter, data, a
model) and is not run; the README marks it so on that line. Whole blocks that install, train for
minutes or need a cluster are listed in NOT_RUN with the reason and the tests that cover them
instead. Every other block runs, in a fresh folder holding a copy of ``examples/``, with this
environment's ``interpbench``; the slower ones are marked ``slow``
(``python -m pytest -m slow tests/test_readme_commands.py``).
"""

from __future__ import annotations

import os
import re
import shutil
import subprocess
import sys
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parent.parent
README = (ROOT / "README.md").read_text(encoding="utf-8")
BLOCKS = re.findall(r"^```bash\n(.*?)^```", README, flags=re.S | re.M)


def _key(block: str) -> str:
    """A block's name: its first line, comment and all, spaces collapsed."""
    return " ".join(block.splitlines()[0].split())


NOT_RUN: dict[str, str] = {
    "git clone REPOSITORY_URL interpbench && cd interpbench # the URL you were given":
        "installs; the core install is checked by tests/test_install.py",
    "interpbench run # scores the bundled ACAI checkpoint: a table":
        "the quickstart: run on the core install by tests/test_install.py",
    "interpbench train acai --preset quick --out runs/acai # a few minutes on 2 CPU cores":
        "trains for minutes; tests/test_training*.py train the same way on tiny budgets",
    "interpbench train acai --seeds 0-2 --preset quick --out runs/acai # runs/acai/seed-0, seed-1, seed-2":
        "trains for minutes or hours; tests/test_seed_batch.py, tests/test_reproduce.py, tests/test_pack.py",
    "interpbench train acai --dataset digits --preset downstream-cpu --out runs/digits-acai":
        "trains for minutes and downloads data; tests/test_downstream_training.py",
    "interpbench train acai --suite clock --preset cpu # into runs/clock-acai-cpu-s0":
        "trains for minutes; tests/test_train_suites.py trains on suites the same way on tiny budgets",
    'pip install -c constraints.txt -e ".[sweep]"': "installs",
    "interpbench sweep grid.toml --out runs/sweep # local Ray, one CPU per run":
        "starts Ray and trains; tests/test_sweep.py runs the README's grid",
    "ray start --head --port 6379 # on the head node": "needs a Ray cluster of several machines",
}
# Blocks that run: name -> slow (tens of seconds or more on a shared 2-core machine).
RUN: dict[str, bool] = {
    "interpbench run # the bundled ACAI checkpoint": True,
    "interpbench run --adapter oracle --adapter pixels --model acai --seeds 0-2 \\": True,
    "interpbench run --adapter oracle --output result.json # a saved result (and result.images.<digest>.npz)": False,
    "interpbench probe --adapter pixels --dataset digits": True,
    "interpbench models # the seven, their configs, bundled checkpoints, presets": True,
    "interpbench run --adapter oracle --seeds 0-4 --output oracle.json --figure oracle.grid.png": False,
    "interpbench check --adapter examples/numpy_adapter.py:make --baseline baseline.json --write-baseline # record once": False,
    "interpbench suites # name, factors, bank, spec section (--json)": False,
}


def _commands(block: str) -> list[str]:
    """The block's commands, continuation lines joined, without those marked as needing your files."""
    joined = re.sub(r"\\\n\s*", " ", block)
    return [line for line in joined.splitlines() if line.strip() and "your" not in line.partition("#")[2]]


def test_every_block_is_run_or_says_why_not() -> None:
    names = [_key(b) for b in BLOCKS]
    unknown = [n for n in names if n not in NOT_RUN and n not in RUN]
    assert not unknown, f"classify these README blocks in {__file__}: {unknown}"
    stale = (set(NOT_RUN) | set(RUN)) - set(names)
    assert not stale, f"no longer in the README: {stale}"


def test_user_file_commands_are_marked_on_their_line() -> None:
    # Any command naming a placeholder of the user's must say so where a reader sees it.
    for block in BLOCKS:
        for line in re.sub(r"\\\n\s*", " ", block).splitlines():
            if re.search(r"my_|mypkg|path/to/|acai_s\d", line.partition("#")[0]):
                assert "your" in line.partition("#")[2], line


def _params() -> list:
    return [pytest.param(b, id=_key(b)[:60], marks=[pytest.mark.slow] if RUN[_key(b)] else [])
            for b in BLOCKS if _key(b) in RUN]


@pytest.mark.parametrize("block", _params())
def test_block_runs_as_written(block: str, tmp_path: Path) -> None:
    shutil.copytree(ROOT / "examples", tmp_path / "examples")
    env = dict(os.environ, PATH=os.pathsep.join([str(Path(sys.executable).parent), os.environ.get("PATH", "")]))
    for command in _commands(block):
        res = subprocess.run(["bash", "-e", "-o", "pipefail", "-c", command], cwd=tmp_path, env=env,
                             capture_output=True, text=True, timeout=900)
        assert res.returncode == 0, f"{command}\n{res.stdout[-3000:]}{res.stderr[-3000:]}"
        assert "Traceback" not in res.stderr, res.stderr


def test_the_readme_grid_is_the_one_tests_sweep() -> None:
    try:
        import tomllib
    except ModuleNotFoundError:  # Python 3.10
        import tomli as tomllib
    from test_sweep import MINIMAL

    (grid,) = re.findall(r"^```toml\n(.*?)^```", README, flags=re.S | re.M)
    assert tomllib.loads(grid) == tomllib.loads(MINIMAL)

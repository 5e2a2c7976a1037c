"""The README's quickstart works on the core install: every optional extra made unimportable.

A fresh virtual environment per test run would take minutes (torch alone is hundreds of MB), so
this runs the quickstart in a child process that cannot import any package an extra installs;
an import of one fails as it would where the extra is missing. (The core install itself was
checked by hand in a fresh venv, `pip install -c constraints.txt -e .`; see the closing note of
issue 19.)
"""

from __future__ import annotations

import os
import re
import shlex
import subprocess
import sys
from pathlib import Path

import pytest

try:
    import tomllib
except ModuleNotFoundError:  # Python 3.10
    import tomli as tomllib

ROOT = Path(__file__).resolve().parent.parent
README = (ROOT / "README.md").read_text(encoding="utf-8")

# Distribution name (as the extras list it) -> the top-level modules it installs.
IMPORT_NAMES: dict[str, tuple[str, ...]] = {
    "pythae": ("pythae",),
    "lightning": ("lightning", "pytorch_lightning", "lightning_fabric"),
    "keras": ("keras",),
    "jax": ("jax", "jaxlib"),
    "flax": ("flax",),
    "diffusers": ("diffusers",),
    "torchmetrics": ("torchmetrics",),
    "skops": ("skops",),
    "ray": ("ray",),
    "pytest": ("pytest", "_pytest"),
    "pytest-benchmark": ("pytest_benchmark",),
    "hypothesis": ("hypothesis",),
    # mpmath is also a dependency of torch's sympy, so the core install has it anyway.
    "mpmath": (),
}

BLOCKER = """
import sys
BLOCKED = set({blocked!r})
class _Missing:
    def find_spec(self, name, path=None, target=None):
        if name.split('.')[0] in BLOCKED:
            raise ModuleNotFoundError(f"No module named {{name!r}} (an optional extra, blocked by the test)")
        return None
sys.meta_path.insert(0, _Missing())
"""


def _extras() -> dict[str, list[str]]:
    project = tomllib.loads((ROOT / "pyproject.toml").read_text(encoding="utf-8"))["project"]
    return project["optional-dependencies"]


def _dist_name(requirement: str) -> str:
    return re.split(r"[<>=!~;\[ ]", requirement, maxsplit=1)[0].strip().lower()


def _blocked_modules() -> set[str]:
    names = {_dist_name(r) for reqs in _extras().values() for r in reqs}
    return {module for name in names for module in IMPORT_NAMES[name]}


def _env(tmp_path: Path) -> dict[str, str]:
    site = tmp_path / "blocker"
    site.mkdir(exist_ok=True)
    (site / "sitecustomize.py").write_text(BLOCKER.format(blocked=sorted(_blocked_modules())))
    return dict(os.environ, PYTHONPATH=os.pathsep.join([str(site), str(ROOT)]), OMP_NUM_THREADS="1")


def _quickstart_commands() -> list[list[str]]:
    section = README.split("## Quickstart", 1)[1].split("\n## ", 1)[0]
    block = re.search(r"```bash\n(.*?)```", section, flags=re.S).group(1)
    return [shlex.split(line, comments=True) for line in block.splitlines() if line.strip()]


def test_every_extra_is_known_to_the_blocker() -> None:
    # A new extra must be added to IMPORT_NAMES, or the quickstart could silently come to need it.
    names = {_dist_name(r) for reqs in _extras().values() for r in reqs}
    assert names <= set(IMPORT_NAMES), names - set(IMPORT_NAMES)


def test_the_blocker_blocks_every_extra(tmp_path: Path) -> None:
    code = "import importlib\nfor m in {mods!r}:\n    try:\n        importlib.import_module(m)\n    except ModuleNotFoundError as e:\n        assert 'blocked by the test' in str(e), e\n    else:\n        raise SystemExit(m)"
    res = subprocess.run([sys.executable, "-c", code.format(mods=sorted(_blocked_modules()))], env=_env(tmp_path),
                         capture_output=True, text=True, timeout=120)
    assert res.returncode == 0, res.stdout + res.stderr


def test_quickstart_commands_run_on_the_core_install(tmp_path: Path) -> None:
    commands = _quickstart_commands()
    assert commands and all(c[0] == "interpbench" for c in commands)
    for command in commands:
        res = subprocess.run([sys.executable, "-m", "interpbench", *command[1:]], env=_env(tmp_path), cwd=tmp_path,
                             capture_output=True, text=True, timeout=600)
        assert res.returncode == 0, f"{shlex.join(command)}\n{res.stdout}{res.stderr}"
        assert "Mean Distance" in res.stdout or '"mean_distance"' in res.stdout, res.stdout


@pytest.mark.parametrize("marker", ["A runnable example with NumPy functions", "**scikit-learn** (runs as written)"])
def test_core_python_examples_run_on_the_core_install(tmp_path: Path, marker: str) -> None:
    code = re.search(r"```python\n(.*?)```", README.split(marker, 1)[1], flags=re.S).group(1)
    res = subprocess.run([sys.executable, "-c", code], env=_env(tmp_path), cwd=tmp_path, capture_output=True, text=True, timeout=600)
    assert res.returncode == 0, res.stdout + res.stderr
    assert res.stdout.strip()


@pytest.mark.parametrize("spec, extra", [("sklearn:model.skops", "sklearn"), ("flax:aes.py:AE@params.msgpack", "flax"),
                                         ("keras:model.keras", "keras"), ("lightning:m.py:AE@c.ckpt", "lightning")])
def test_a_library_spec_without_its_extra_names_the_install(tmp_path: Path, spec: str, extra: str) -> None:
    for name in ("model.skops", "params.msgpack", "model.keras", "c.ckpt"):
        (tmp_path / name).write_bytes(b"")  # present, so the missing library is what is reported
    res = subprocess.run([sys.executable, "-m", "interpbench", "run", "--adapter", spec], env=_env(tmp_path), cwd=tmp_path,
                         capture_output=True, text=True, timeout=300)
    assert res.returncode != 0 and "Traceback" not in res.stderr, res.stderr
    assert f"pip install 'interpbench[{extra}]'" in res.stderr and f"the spec '{spec}'" in res.stderr, res.stderr

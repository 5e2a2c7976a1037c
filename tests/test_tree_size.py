"""The tracked tree stays under 30 MiB: it travels to a borrowed GPU (64 MiB in all, runs and wheels included)."""

from __future__ import annotations

import shutil
import subprocess
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parent.parent
CAP_BYTES = 30 * 2**20


def tracked_bytes(root: Path) -> int:
    """Bytes of every file git tracks under ``root`` (the working-tree copies, as they travel)."""
    listing = subprocess.run(["git", "ls-files", "-z"], cwd=root, capture_output=True, check=True).stdout
    return sum((root / name).stat().st_size for name in listing.decode().split("\0") if name and (root / name).is_file())


@pytest.mark.skipif(shutil.which("git") is None or not (ROOT / ".git").exists(), reason="not a git checkout")
def test_the_tracked_tree_is_under_30_mib() -> None:
    size = tracked_bytes(ROOT)
    assert size < CAP_BYTES, f"the tracked tree is {size / 2**20:.1f} MiB, over the {CAP_BYTES / 2**20:.0f} MiB cap"


@pytest.mark.skipif(shutil.which("git") is None, reason="no git")
def test_the_size_counts_tracked_files_only(tmp_path: Path) -> None:
    subprocess.run(["git", "init", "-q", str(tmp_path)], check=True)
    (tmp_path / "a.bin").write_bytes(b"x" * 1000)
    (tmp_path / "untracked.bin").write_bytes(b"y" * 5000)
    subprocess.run(["git", "add", "a.bin"], cwd=tmp_path, check=True)
    assert tracked_bytes(tmp_path) == 1000

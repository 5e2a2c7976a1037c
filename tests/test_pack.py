"""`reproduce --minutes --pack` on a machine without jsonschema or Ray, then `reproduce --unpack` on this one."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path

import pytest
from click.testing import CliRunner

from interpbench.cli import main
from interpbench.errors import DataError
from interpbench.leaderboard import load_entries
from reference_models.pack import MAX_FILE_BYTES, MAX_FILES, read_pack

ROOT = Path(__file__).resolve().parent.parent
TINY = ["--preset", "quick", "--kimg", "0.015625", "--eval-every", "0.0078125", "--eval-pairs", "2", "--score-seeds", "0-1",
        "--restarts", "1", "--set", "depth=4", "--set", "batch_size=8"]

# What the GPU image lacks: any import of these fails, as it would there.
BLOCKER = """
import sys
class _Missing:
    def find_spec(self, name, path=None, target=None):
        if name.split('.')[0] in ('jsonschema', 'ray'):
            raise ModuleNotFoundError(f"No module named {name!r} (blocked by the test)")
        return None
sys.meta_path.insert(0, _Missing())
"""


def _blocked_env(tmp_path: Path) -> dict[str, str]:
    site = tmp_path / "blocker"
    site.mkdir()
    (site / "sitecustomize.py").write_text(BLOCKER)
    env = dict(os.environ, PYTHONPATH=os.pathsep.join([str(site), str(ROOT)]), OMP_NUM_THREADS="1")
    return env


def test_the_blocker_really_blocks(tmp_path: Path) -> None:
    res = subprocess.run([sys.executable, "-c", "import jsonschema"], env=_blocked_env(tmp_path), capture_output=True, text=True)
    assert res.returncode != 0 and "blocked by the test" in res.stderr


def test_pack_without_jsonschema_or_ray_then_unpack_and_file(tmp_path: Path) -> None:
    pack, out = tmp_path / "pack", tmp_path / "out"
    cmd = [sys.executable, "-m", "interpbench", "reproduce", "--out", str(out), "--models", "baseline,dropout",
           "--seeds", "0-1", "--batched", "--minutes", "10", "--pack", str(pack), *TINY]
    res = subprocess.run(cmd, env=_blocked_env(tmp_path), capture_output=True, text=True, timeout=600)
    assert res.returncode == 0, res.stdout + res.stderr
    assert "packed 4 runs" in res.stdout
    files = sorted(p.name for p in pack.iterdir())
    assert len(files) <= MAX_FILES and all((pack / f).stat().st_size <= MAX_FILE_BYTES for f in files)
    assert files[0] == "pack.json" and files[1:] == ["weights.part00"]
    manifest, _ = read_pack(pack)
    assert [(r["model"], r["seed"]) for r in manifest["runs"]] == [("baseline", 0), ("dropout", 0), ("baseline", 1), ("dropout", 1)]
    assert all(r["summary"]["finished"] for r in manifest["runs"])
    assert not (out / "baseline" / "seed-0" / "checkpoint.pt").read_bytes() == b""  # one slim checkpoint per run

    board = tmp_path / "lb"
    board.mkdir()  # interpbench never creates a leaderboard folder
    res = CliRunner().invoke(main, ["reproduce", "--unpack", str(pack), "--leaderboard", str(board)])
    assert res.exit_code == 0, res.output
    entries = {e.name: e for e in load_entries(board)}
    assert set(entries) == {"baseline", "dropout"}
    for entry in entries.values():
        assert entry.data["training"]["preset"] == "quick" and entry.data["training"]["kimg"] == 0.015625
        assert [r["train_seed"] for r in entry.data["runs"]] == [0, 1]
        assert set(entry.data["probes"]) == {"lines/linear", "lines/kmeans"}
    # The filed runs' checkpoints are the packed bytes that were scored.
    import hashlib

    for run in entries["baseline"].data["runs"]:
        written = pack / "runs" / f"baseline-s{run['train_seed']}-0.015625kimg.pt"
        assert hashlib.sha256(written.read_bytes()).hexdigest() == run["checkpoint_sha256"]
    # Filing twice is refused (duplicate), and a damaged part is one sentence, nothing filed.
    again = CliRunner().invoke(main, ["reproduce", "--unpack", str(pack), "--leaderboard", str(board)])
    assert again.exit_code != 0 and "duplicate" in again.output and "Traceback" not in again.output
    part = pack / "weights.part00"
    data = bytearray(part.read_bytes())
    data[100] ^= 1
    part.write_bytes(bytes(data))
    with pytest.raises(DataError, match="sha256"):
        read_pack(pack)


def test_a_run_stopped_before_its_budget_is_filed_with_the_kimg_it_trained(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    import reference_models.reproduce as module
    from reference_models.pack import unpack

    real = module.train

    def cut_after_one_step(*args, **kwargs):  # type: ignore[no-untyped-def]
        return real(*args, **{**kwargs, "should_stop": lambda step: step >= 1})  # the deadline, reached early

    monkeypatch.setattr(module, "train", cut_after_one_step)
    outcomes = module.reproduce(tmp_path / "out", models=["baseline"], seeds=[0], preset="paper", kimg=0.03125,
                                eval_every_kimg=0.0078125, eval_pairs=2, score_seeds=[0], probe_restarts=1,
                                config={"depth": 4, "batch_size": 8}, progress=False, echo=lambda line: None,
                                pack=tmp_path / "pack", minutes=30)
    assert outcomes[0].status == "packed" and outcomes[0].runs[0].steps == 1
    (tmp_path / "lb").mkdir()
    paths = unpack(tmp_path / "pack", leaderboard=tmp_path / "lb", echo=lambda line: None)
    entry = json.loads(paths[0].read_text())
    assert entry["training"]["preset"] == "custom" and entry["training"]["kimg"] == 8 / 1024
    assert "stopped by the deadline at 0.0078125 of 0.03125 kimg of preset paper" in entry["notes"]


def test_pack_refuses_a_folder_that_is_not_empty(tmp_path: Path) -> None:
    (tmp_path / "pack").mkdir()
    (tmp_path / "pack" / "x").write_text("")
    res = CliRunner().invoke(main, ["reproduce", "--out", str(tmp_path / "o"), "--models", "baseline", "--pack",
                                    str(tmp_path / "pack"), *TINY])
    assert res.exit_code != 0 and "not an empty folder" in res.output and "Traceback" not in res.output
    assert not (tmp_path / "o").exists()

"""The GPU-window script's CPU dry run: both commands, without jsonschema or Ray, and the pack files on this side."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path

from reference_models.pack import MAX_FILE_BYTES, MAX_FILES, unpack
from test_pack import _blocked_env

ROOT = Path(__file__).resolve().parent.parent
SCRIPT = ROOT / "tools" / "device" / "gpu_window.py"
sys.path.insert(0, str(SCRIPT.parent))

from gpu_window import EVALUATIONS, plan_budget  # noqa: E402


def test_the_budget_is_the_largest_multiple_of_64_kimg_that_fits() -> None:
    # 600 s, 3 + 2 ms per 3-seed step, 1 s per evaluation, 60 s to score: (600 - 60 - 192) / (16 × 5 ms) = 4,350 kimg.
    assert plan_budget(600.0, 3.0, 2.0, 1.0, 60.0) == 4288.0
    assert plan_budget(1e9, 3.0, 2.0, 1.0, 60.0) == 16_384  # never past the paper's budget
    assert plan_budget(100.0, 3.0, 2.0, 1.0, 60.0) == 0.0  # evaluations alone do not fit
    assert EVALUATIONS >= 20  # the paper-style median of the last 20 evaluations exists


def test_dry_run_of_both_commands(tmp_path: Path) -> None:
    env = _blocked_env(tmp_path)
    out = tmp_path / "out"
    check = subprocess.run([sys.executable, str(SCRIPT), "check", "--dry-run", "--out", str(out), "--budget-s", "240"],
                           env=env, capture_output=True, text=True, timeout=600)
    assert check.returncode == 0, check.stdout[-3000:] + check.stderr[-3000:]
    results = json.loads((out / "check.json").read_text())
    assert results["errors"] == [] and results["env"]["has_jsonschema"] is False
    smoke = results["smoke"]
    assert all(smoke[f"{m}-k{k}"]["pass"] for m in ("baseline", "acai", "vqvae") for k in (1, 3))
    assert smoke["vqvae_index_after_replays"]["pass"]
    assert {"acai-k3-graph", "baseline-k1-eager", "acai-k1-graph-nchw", "acai-k3-graph-tf32", "acai-evaluation"} <= set(results["bench"])
    assert "ms_draw_only" in results["bench"]["acai-k3-graph"]

    train = subprocess.run([sys.executable, str(SCRIPT), "train", "--dry-run", "--out", str(out), "--budget-s", "240",
                            "--score-seeds", "0"], env=env, capture_output=True, text=True, timeout=600)
    assert train.returncode == 0, train.stdout[-3000:] + train.stderr[-3000:]
    plan = json.loads((out / "train.json").read_text())
    assert plan["errors"] == [] and plan["plan"]["kimg"] > 0
    assert [t["status"] for t in plan["trained"]] == ["packed", "packed"]
    pack = out / "pack"
    files = list(pack.iterdir())
    assert len(files) <= MAX_FILES and all(f.stat().st_size <= MAX_FILE_BYTES for f in files)
    (tmp_path / "lb").mkdir()  # interpbench never creates a leaderboard folder
    paths = unpack(pack, leaderboard=tmp_path / "lb", echo=lambda line: None)
    filed = {json.loads(p.read_text())["model"]["name"]: json.loads(p.read_text()) for p in paths}
    assert set(filed) == {"acai", "baseline"}
    assert all(len(e["runs"]) == 3 for e in filed.values())


def test_train_runs_without_what_the_gpu_image_may_lack(tmp_path: Path) -> None:
    """The README's chain across windows runs plain ``interpbench train`` there: it must not need
    jsonschema or Ray (absent on the image) nor tabulate or jinja2 (never checked there)."""
    site = tmp_path / "site"
    site.mkdir()
    # None in sys.modules: an import fails, and importlib.util.find_spec answers "not installed" (torch probes with it).
    (site / "sitecustomize.py").write_text("import sys\nfor name in ('jsonschema', 'ray', 'tabulate', 'jinja2'):\n"
                                           "    sys.modules[name] = None\n")
    env = dict(os.environ, PYTHONPATH=os.pathsep.join([str(site), str(ROOT)]), OMP_NUM_THREADS="1")
    probe = subprocess.run([sys.executable, "-c", "import tabulate"], env=env, capture_output=True, text=True)
    assert probe.returncode != 0
    run = tmp_path / "runs" / "chain"
    cmd = [sys.executable, "-m", "interpbench", "train", "baseline", "--preset", "quick", "--kimg", "0.0625", "--eval-every",
           "0.03125", "--eval-pairs", "2", "--set", "depth=4", "--set", "batch_size=8", "--out", str(run), "--resume"]
    res = subprocess.run(cmd, env=env, capture_output=True, text=True, timeout=600)
    assert res.returncode == 0, res.stdout + res.stderr
    assert (run / "checkpoint.pt").is_file()

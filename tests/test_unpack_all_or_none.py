"""`reproduce --unpack` files every entry of a pack or none (issue 18): a flaw in its second run,
found however late, leaves the leaderboard and the runs folder as they were."""

from __future__ import annotations

import copy
import hashlib
import json
import shutil
from pathlib import Path

import pytest
from click.testing import CliRunner

import interpbench
from interpbench.cli import main
from interpbench.leaderboard import load_entries
from reference_models.pack import PACK_NAME, PackedRun, write_pack


@pytest.fixture(scope="module")
def pack(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """A pack of two models (baseline, dropout), one seed each, as reproduce --pack writes it (write_pack);
    the slim checkpoints are stand-in bytes and the scores an oracle's, which filing does not tell apart."""
    folder = tmp_path_factory.mktemp("pack")
    scored = interpbench.score("oracle", seeds=[0], pairs=4, steps=4, progress=False, keep_images=False).to_dict()
    runs = []
    for rank, model in enumerate(("baseline", "dropout")):
        weights = folder / f"{model}.pt"
        weights.write_bytes(f"slim checkpoint of {model}".encode() * 2000)  # ~50 kB: larger than an entry
        result = copy.deepcopy(scored)
        result["model"] = {"name": model, "adapter": f"reference:{model}", "preset": "quick", "kimg": 8 / 1024,
                           "train_seed": 0, "checkpoint_sha256": hashlib.sha256(weights.read_bytes()).hexdigest()}
        summary = {"model": model, "seed": 0, "preset": "quick", "kimg": 8 / 1024, "steps": 1, "finished": True,
                   "config": {"batch_size": 8}}
        runs.append(PackedRun(model, 0, weights, summary, result, extra={"model_rank": rank}))
    write_pack(folder / "pack", runs, {"hardware": "a test"}, echo=lambda line: None)
    return folder / "pack"


def _spoil(pack: Path, tmp_path: Path, spoil) -> Path:  # type: ignore[no-untyped-def]
    """A copy of ``pack`` whose manifest's second run ``spoil`` changed."""
    copy_ = tmp_path / "pack"
    shutil.copytree(pack, copy_)
    manifest = json.loads((copy_ / PACK_NAME).read_text())
    spoil(manifest["runs"])
    (copy_ / PACK_NAME).write_text(json.dumps(manifest))
    return copy_


def _same_checkpoint_as_the_first(runs: list[dict]) -> None:
    runs[1]["weights"] = copy.deepcopy(runs[0]["weights"])
    runs[1]["result"]["model"]["checkpoint_sha256"] = runs[0]["weights"]["sha256"]


def _summary_without_steps(runs: list[dict]) -> None:
    del runs[1]["summary"]["steps"]


def _result_not_a_record(runs: list[dict]) -> None:
    runs[1]["result"] = ["not", "a", "result"]


def _non_finite_score(runs: list[dict]) -> None:
    runs[1]["result"]["metrics"]["mean_distance"]["mean"] = "NaN"


@pytest.mark.parametrize("spoil, message", [
    (_same_checkpoint_as_the_first, "checkpoint"),  # was: the first model filed, then the second refused
    (_summary_without_steps, "malformed training summary"),  # was: a traceback (KeyError)
    (_result_not_a_record, "'dropout'"),
    (_non_finite_score, "'dropout'"),
], ids=["shared checkpoint", "summary without steps", "result not a record", "non-finite score"])
def test_a_pack_whose_second_run_is_corrupt_files_nothing(pack: Path, tmp_path: Path, spoil, message: str) -> None:  # type: ignore[no-untyped-def]
    spoiled = _spoil(pack, tmp_path, spoil)
    board = tmp_path / "lb"
    board.mkdir()
    res = CliRunner().invoke(main, ["reproduce", "--unpack", str(spoiled), "--leaderboard", str(board)])
    assert res.exit_code == 1 and "Traceback" not in res.output, res.output
    errors = [line for line in res.output.splitlines() if line.startswith("Error:")]
    assert len(errors) == 1 and message in errors[0], res.output
    assert list(board.iterdir()) == [] and not (spoiled / "runs").exists()  # nothing filed, no checkpoint written


def test_an_entry_already_filed_refuses_the_whole_pack(pack: Path, tmp_path: Path) -> None:
    first = tmp_path / "first"
    shutil.copytree(pack, first)
    board = tmp_path / "lb"
    board.mkdir()
    done = CliRunner().invoke(main, ["reproduce", "--unpack", str(first), "--leaderboard", str(board)])
    assert done.exit_code == 0, done.output
    filed = sorted(p.name for p in (board / "results").iterdir())
    assert len(filed) == 2
    (board / "results" / filed[0]).unlink()  # so only the second of the pack's entries is a duplicate
    kept = {p.name: p.read_bytes() for p in (board / "results").iterdir()}
    again = tmp_path / "again"
    shutil.copytree(pack, again)
    res = CliRunner().invoke(main, ["reproduce", "--unpack", str(again), "--leaderboard", str(board)])
    assert res.exit_code == 1 and "duplicate entry" in res.output and "Traceback" not in res.output
    assert {p.name: p.read_bytes() for p in (board / "results").iterdir()} == kept  # the first was not filed either
    assert not (again / "runs").exists()


def test_a_good_pack_files_every_entry_and_checkpoint(pack: Path, tmp_path: Path) -> None:
    good = tmp_path / "good"
    shutil.copytree(pack, good)
    res = CliRunner().invoke(main, ["reproduce", "--unpack", str(good)])  # its own default leaderboard folder
    assert res.exit_code == 0, res.output
    assert {e.name for e in load_entries(good / "leaderboard")} == {"baseline", "dropout"}
    assert sorted(p.name for p in (good / "runs").iterdir()) == ["baseline-s0-0.0078125kimg.pt", "dropout-s0-0.0078125kimg.pt"]


def test_a_full_disk_while_unpacking_files_nothing(pack: Path, tmp_path: Path) -> None:
    """Room for the entries but not for the checkpoints (a file size limit): one sentence, nothing filed."""
    import os
    import resource
    import signal
    import subprocess
    import sys

    def limited() -> None:
        signal.signal(signal.SIGXFSZ, signal.SIG_IGN)
        resource.setrlimit(resource.RLIMIT_FSIZE, (30_000, 30_000))

    full = tmp_path / "full"
    shutil.copytree(pack, full)
    board = tmp_path / "lb"
    board.mkdir()
    assert max(len(json.dumps(r["result"])) for r in json.loads((full / PACK_NAME).read_text())["runs"]) < 20_000
    proc = subprocess.run([sys.executable, "-m", "interpbench", "reproduce", "--unpack", str(full), "--leaderboard", str(board)],
                          capture_output=True, text=True, preexec_fn=limited, timeout=300,
                          env={**os.environ, "OMP_NUM_THREADS": "1"})
    assert proc.returncode == 1 and "Traceback" not in proc.stderr, proc.stderr
    errors = [line for line in proc.stderr.splitlines() if line.startswith("Error:")]
    assert len(errors) == 1 and "cannot write" in errors[0], proc.stderr
    assert list(board.iterdir()) == [] and not (full / "runs").exists()

"""Training engine: trail, checkpoints, bit-exact resume, bad checkpoints, CLI, scoring a trained model."""

from __future__ import annotations

import os
from pathlib import Path

import numpy as np
import pytest
import torch
from click.testing import CliRunner

import interpbench
import reference_models as rm
from interpbench.cli import main
from interpbench.errors import CheckpointError, OptionError
from reference_models.training import checkpoint as ckpt_module
from reference_models.training.trail import paper_figure

# 8 steps of batch 8 (1 kimg = 1,024 images); a trail evaluation (4 pairs) and a checkpoint every 2 steps.
TINY_RUN = dict(kimg=0.0625, eval_every_kimg=0.015625, eval_pairs=4, progress=False)
_SMALL = {"depth": 4, "batch_size": 8}
SMALL = {"acai": _SMALL, "vqvae": {**_SMALL, "codebook_size": 128}, "vae": _SMALL, "dropout": _SMALL}


class Killed(Exception):
    pass


def _kill_at(step: int):
    def on_step(s: int) -> None:
        if s == step:
            raise Killed

    return on_step


@pytest.mark.parametrize("name", ["acai", "vqvae", "vae", "dropout"])
def test_killed_and_resumed_run_ends_with_identical_weights(tmp_path: Path, name: str) -> None:
    config = SMALL[name]
    straight = rm.train(name, tmp_path / "straight", seed=4, config=config, **TINY_RUN)
    # Killed at step 7: the last checkpoint is at step 6, so one step of work is lost and redone.
    with pytest.raises(Killed):
        rm.train(name, tmp_path / "killed", seed=4, config=config, on_step=_kill_at(7), **TINY_RUN)
    assert rm.load_trained(name, tmp_path / "killed" / "checkpoint.pt")[1]["kimg"] == pytest.approx(0.046875)
    resumed = rm.train(name, tmp_path / "killed", seed=4, config=config, resume=True, **TINY_RUN)
    a = torch.load(straight.checkpoint, weights_only=True)
    b = torch.load(resumed.checkpoint, weights_only=True)
    assert a["step"] == b["step"] == 8
    assert a["state_dict"].keys() == b["state_dict"].keys()
    for key in a["state_dict"]:
        assert torch.equal(a["state_dict"][key], b["state_dict"][key]), key
    for group in a["optimizers"]:
        for pid, state in a["optimizers"][group]["state"].items():
            for k, v in state.items():
                assert torch.equal(v, b["optimizers"][group]["state"][pid][k])
    assert torch.equal(a["rng"]["torch"], b["rng"]["torch"]) and a["rng"]["data"] == b["rng"]["data"]
    assert straight.trail == resumed.trail


def test_a_checkpoint_carried_in_parts_to_a_bare_folder_resumes_bit_for_bit(tmp_path: Path) -> None:
    """The README's chain across GPU windows: the checkpoint leaves in parts (``split``), comes back joined
    (``cat``) into a folder holding nothing else, and ``--resume`` ends where an unbroken run ends."""
    import shutil
    import subprocess

    straight = rm.train("acai", tmp_path / "straight", seed=4, config=SMALL["acai"], **TINY_RUN)
    with pytest.raises(Killed):
        rm.train("acai", tmp_path / "window1", seed=4, config=SMALL["acai"], on_step=_kill_at(7), **TINY_RUN)
    parts, carried = tmp_path / "out", tmp_path / "carried"
    parts.mkdir(), carried.mkdir()
    if shutil.which("split") and shutil.which("cat"):
        subprocess.run(["split", "-b", "64K", "-d", str(tmp_path / "window1" / "checkpoint.pt"), str(parts / "checkpoint.pt.part-")], check=True)
        joined = subprocess.run(["cat", *sorted(map(str, parts.iterdir()))], check=True, capture_output=True).stdout
    else:  # no coreutils: the same bytes cut and joined in Python
        data = (tmp_path / "window1" / "checkpoint.pt").read_bytes()
        joined = b"".join(data[i : i + 65536] for i in range(0, len(data), 65536))
    assert len(list(parts.iterdir())) > 1 or not shutil.which("split")
    (carried / "checkpoint.pt").write_bytes(joined)
    resumed = rm.train("acai", carried, seed=4, config=SMALL["acai"], resume=True, **TINY_RUN)
    a = torch.load(straight.checkpoint, weights_only=True)["state_dict"]
    b = torch.load(resumed.checkpoint, weights_only=True)["state_dict"]
    assert a.keys() == b.keys() and all(torch.equal(a[k], b[k]) for k in a)
    assert straight.trail == resumed.trail


def test_different_seeds_give_different_runs(tmp_path: Path) -> None:
    a = rm.train("baseline", tmp_path / "a", seed=0, kimg=0.015625, eval_every_kimg=0.015625, eval_pairs=2, progress=False, config=_SMALL)
    b = rm.train("baseline", tmp_path / "b", seed=1, kimg=0.015625, eval_every_kimg=0.015625, eval_pairs=2, progress=False, config=_SMALL)
    wa = torch.load(a.checkpoint, weights_only=True)["state_dict"]
    wb = torch.load(b.checkpoint, weights_only=True)["state_dict"]
    assert not all(torch.equal(wa[k], wb[k]) for k in wa)


def test_checkpoint_contents_and_trail(tmp_path: Path) -> None:
    run = rm.train("acai", tmp_path, seed=2, config=_SMALL, **TINY_RUN)
    record = torch.load(run.checkpoint, weights_only=True)
    for key in ("state_dict", "optimizers", "rng", "config", "preset", "kimg_done", "seed", "trail", "package_version", "spec_version"):
        assert key in record, key
    assert set(record["optimizers"]) == {"ae", "critic"}
    assert record["preset"] == "quick" and record["seed"] == 2 and record["kimg_done"] == pytest.approx(0.0625)
    # The quick preset's lr overrides, recorded: 1e-3 in general, 5e-4 for the adversarial models.
    assert record["config"]["lr"] == 5e-4 and rm.get_preset("quick").config_for("baseline")["lr"] == 1e-3
    assert record["train_seconds"] > 0 and record["hardware"]
    assert record["channels_last"] is True  # the default memory format, recorded so a resume keeps it
    assert [e["kimg"] for e in run.trail] == pytest.approx([0.015625, 0.03125, 0.046875, 0.0625])
    assert [e["seed"] for e in run.trail] == [0, 1, 2, 3]  # a fresh endpoint draw per evaluation
    for entry in run.trail:
        assert entry["pairs"] == 4 and entry["mean_distance"] > 0 and 0 <= entry["n_undefined"] <= 4
        assert 0 < entry["geodesic_error"] <= 1
    assert (tmp_path / "summary.json").is_file()
    assert not [p for p in os.listdir(tmp_path) if p.endswith(".tmp")]


def test_existing_run_needs_resume(tmp_path: Path) -> None:
    rm.train("baseline", tmp_path, kimg=0.015625, eval_every_kimg=0.015625, eval_pairs=2, progress=False, config=_SMALL)
    with pytest.raises(OptionError, match="--resume"):
        rm.train("baseline", tmp_path, kimg=0.015625, progress=False, config=_SMALL)
    with pytest.raises(CheckpointError, match="seed"):
        rm.train("baseline", tmp_path, kimg=0.015625, seed=9, resume=True, progress=False)
    with pytest.raises(CheckpointError, match="holds a baseline model"):
        rm.train("acai", tmp_path, kimg=0.015625, resume=True, progress=False)


def test_interrupted_checkpoint_write_keeps_the_previous_file(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    run = rm.train("baseline", tmp_path, kimg=0.015625, eval_every_kimg=0.015625, eval_pairs=2, progress=False, config=_SMALL)
    before = Path(run.checkpoint).read_bytes()

    def dying_save(obj, f):  # type: ignore[no-untyped-def]
        half = before[: len(before) // 2]  # a half-written file (or buffer), then the process "dies"
        f.write(half) if hasattr(f, "write") else Path(f).write_bytes(half)
        raise KeyboardInterrupt

    monkeypatch.setattr(ckpt_module.torch, "save", dying_save)
    with pytest.raises(KeyboardInterrupt):
        ckpt_module.save_checkpoint(run.checkpoint, {"model": "baseline"})
    monkeypatch.undo()
    assert Path(run.checkpoint).read_bytes() == before
    assert not [p for p in os.listdir(tmp_path) if p.endswith(".tmp")]  # the half-written temp file is gone
    rm.load_trained("baseline", run.checkpoint)


@pytest.fixture(scope="module")
def trained(tmp_path_factory: pytest.TempPathFactory) -> Path:
    out = tmp_path_factory.mktemp("trained")
    return Path(rm.train("baseline", out, kimg=0.015625, eval_every_kimg=0.015625, eval_pairs=2, progress=False, config=_SMALL).checkpoint)


def test_bad_checkpoints_raise_checkpoint_error(tmp_path: Path, trained: Path) -> None:
    data = trained.read_bytes()
    truncated = tmp_path / "truncated.pt"
    truncated.write_bytes(data[: len(data) // 3])
    garbage = tmp_path / "garbage.pt"
    garbage.write_bytes(b"not a checkpoint at all")
    foreign = tmp_path / "foreign.pt"
    torch.save({"weights": torch.zeros(3)}, foreign)
    cases = {
        truncated: "corrupt or truncated",
        garbage: "corrupt or truncated",
        foreign: "not an interpbench checkpoint",
        tmp_path / "missing.pt": "does not exist",
    }
    for path, message in cases.items():
        with pytest.raises(CheckpointError, match=message):
            rm.load_trained("baseline", path)
    with pytest.raises(CheckpointError, match="holds a baseline model, not acai"):
        rm.load_trained("acai", trained)
    # Weights that do not fit the recorded config (e.g. an edited file).
    record = torch.load(trained, weights_only=True)
    record["config"]["depth"] = 8
    mismatched = tmp_path / "mismatched.pt"
    torch.save(record, mismatched)
    with pytest.raises(CheckpointError, match="does not fit the baseline model"):
        rm.load_trained("baseline", mismatched)


def test_trained_model_scores_through_the_adapter_api(trained: Path) -> None:
    model, info = rm.load_trained("baseline", trained)
    assert not model.training
    assert set(info) == {"name", "checkpoint_sha256", "bundled", "preset", "kimg", "train_seed", "config", "training", "trail", "dataset"}
    assert info["bundled"] is False and info["training"]["wall_clock_s"] > 0 and info["trail"]["evaluations"] == 1
    assert info["dataset"] == {"name": "lines", "source": "fresh lines from the manifold (SPEC §1)"}
    assert len(info["checkpoint_sha256"]) == 64 and info["kimg"] == pytest.approx(0.015625)
    result = interpbench.score(model, seeds=[0], pairs=4, model_info=info)
    assert result.model["checkpoint_sha256"] == info["checkpoint_sha256"] and result.model["preset"] == "quick"
    again = interpbench.score(model, seeds=[0], pairs=4)
    assert again.mean_distance == result.mean_distance  # deterministic model → bit-identical score


def test_paper_figure_is_median_of_last_20() -> None:
    trail = [{"mean_distance": float(i), "smoothness": None if i == 24 else float(100 + i)} for i in range(25)]
    fig = paper_figure(trail)
    assert fig["evaluations"] == 20 and fig["complete"]
    assert fig["mean_distance"] == np.median(np.arange(5, 25))
    assert fig["smoothness"] == np.median(100 + np.arange(5, 24))  # undefined evaluations are left out
    assert not paper_figure(trail[:3])["complete"]


def test_cli_train_models_and_run(tmp_path: Path) -> None:
    runner = CliRunner()
    out = tmp_path / "run"
    res = runner.invoke(main, ["train", "baseline", "--kimg", "0.015625", "--eval-every", "0.0078125", "--eval-pairs", "2",
                               "--seed", "3", "--out", str(out), "--set", "depth=4", "--set", "batch_size=8"])
    assert res.exit_code == 0, res.output
    assert "not a paper reproduction" in res.output and "median of last 2" in res.output
    ckpt = out / "checkpoint.pt"
    res = runner.invoke(main, ["run", "--model", "baseline", "--checkpoint", str(ckpt), "--pairs", "4", "--json"])
    assert res.exit_code == 0, res.output
    assert '"checkpoint_sha256"' in res.output and '"train_seed": 3' in res.output
    res = runner.invoke(main, ["train", "baseline", "--kimg", "0.0234375", "--eval-every", "0.0078125", "--eval-pairs", "2",
                               "--seed", "3", "--out", str(out), "--resume"])
    assert res.exit_code == 0, res.output
    assert torch.load(ckpt, weights_only=True)["step"] == 3
    res = runner.invoke(main, ["models"])
    assert res.exit_code == 0 and all(name in res.output for name in rm.MODELS) and "627,472" in res.output


def test_cli_errors_are_one_line(tmp_path: Path) -> None:
    runner = CliRunner()
    bad = tmp_path / "bad.pt"
    bad.write_bytes(b"\x00" * 100)
    res = runner.invoke(main, ["run", "--model", "acai", "--checkpoint", str(bad)])
    assert res.exit_code == 1 and "corrupt or truncated" in res.output and "Traceback" not in res.output
    # `run` compares an --adapter with a --model; a one-model command says it takes one.
    res = runner.invoke(main, ["check", "--model", "acai", "--adapter", "oracle", "--baseline", str(tmp_path / "b.json")])
    assert res.exit_code == 2 and "takes one model, got 2" in res.output
    res = runner.invoke(main, ["train", "nosuchmodel", "--out", str(tmp_path / "x")])
    assert res.exit_code == 1 and "unknown model" in res.output


def test_a_kimg_is_1024_images(tmp_path: Path) -> None:
    """As in the paper's code: `interpbench train baseline --kimg 3` takes 48 steps of 64; the paper preset 262,144."""
    from reference_models.training.presets import budget_steps

    assert budget_steps(rm.get_preset("paper").kimg, 64) == 262_144 == 2**24 // 64
    assert budget_steps(rm.get_preset("cpu").kimg, 64) == 4096
    res = CliRunner().invoke(main, ["train", "baseline", "--kimg", "3", "--eval-every", "3", "--eval-pairs", "2",
                                    "--out", str(tmp_path / "run"), "--set", "depth=2"])
    assert res.exit_code == 0, res.output
    record = torch.load(tmp_path / "run" / "checkpoint.pt", weights_only=True)
    assert record["step"] == 48 and record["kimg_done"] == 3.0
    assert [e["step"] for e in record["trail"]] == [48]


@pytest.mark.parametrize("name", ["baseline", "vqvae", "vae"])
def test_trail_and_summary_carry_collapse_diagnostics(tmp_path: Path, name: str) -> None:
    config = {**_SMALL, **({"codebook_size": 64} if name == "vqvae" else {})}
    run = rm.train(name, tmp_path, kimg=0.015625, eval_every_kimg=0.0078125, eval_pairs=4, progress=False, config=config)
    for entry in run.trail:
        assert {"output_spread", "collapsed", "code_spread"} <= entry.keys()
        assert entry["output_spread"] >= 0 and entry["code_spread"] >= 0
        assert entry["collapsed"] == (entry["output_spread"] < interpbench.metrics.COLLAPSE_SPREAD)
        assert ("codes_in_use" in entry) == (name == "vqvae")
        if name == "vqvae":
            assert 1 <= entry["codes_in_use"] <= 64
    # Two steps from initialisation every model still outputs one image: that is what collapse looks like.
    assert run.trail[-1]["collapsed"]
    import json

    summary = json.loads((tmp_path / "summary.json").read_text())
    assert summary["collapse"]["collapsed"] is True
    assert summary["collapse"]["collapsed_evaluations"] == len(run.trail) == 2
    assert summary["collapse"]["final_output_spread"] == run.trail[-1]["output_spread"]

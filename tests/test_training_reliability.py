"""Issue #14, training: --set values checked, resumes that match their run, one training per directory, Ctrl-C."""

from __future__ import annotations

import os
import shlex
import signal
import subprocess
import sys
import textwrap
from pathlib import Path

import pytest
import torch
from click.testing import CliRunner

import reference_models as rm
from interpbench.cli import main
from interpbench.errors import CheckpointError, OptionError
from reference_models.training import engine
from reference_models.training.interrupt import TrainingInterrupted
from reference_models.training.lock import LOCK_NAME, OWNER_NAME, RunLock

# 8 steps of batch 8; an evaluation (2 pairs) and a checkpoint every 2 steps.
TINY = dict(kimg=0.0625, eval_every_kimg=0.015625, eval_pairs=2, progress=False, config={"depth": 2, "batch_size": 8})
TINY_ARGS = ["--kimg", "0.0625", "--eval-every", "0.015625", "--eval-pairs", "2", "--set", "depth=2", "--set", "batch_size=8"]


def train_cli(*args: str):
    return CliRunner().invoke(main, ["train", *args])


# ------------------------------------------------------------------------------ --set values
@pytest.mark.parametrize(
    "setting, message",
    [
        ("lr=abc", "lr='abc' is not allowed: lr must be a number"),
        ("lr=NaN", "NaN is not a finite number"),
        ("latent=0", "latent=0 is not allowed: latent must be an integer from 1 to 65,536"),
        ("batch_size=0", "batch_size must be an integer from 1 to 65,536"),
        ("batch_size=-4", "batch_size=-4 is not allowed"),
        ("depth=2.5", "depth must be an integer"),
        ("keep_prob=2", "has no config field keep_prob"),
        ("=3", "is not KEY=VALUE"),
    ],
)
def test_bad_set_values_are_one_sentence_and_touch_nothing(tmp_path: Path, setting: str, message: str) -> None:
    out = tmp_path / "run"
    result = train_cli("baseline", "--out", str(out), "--kimg", "0.0078125", "--set", setting)
    assert result.exit_code == 1, result.output
    assert message in result.output and "Traceback" not in result.output
    assert "checkpoint:" not in result.output  # no path of a checkpoint that was never written
    assert not out.exists()


# ---------------------------------------------------------------------------------- resume
@pytest.fixture(scope="module")
def quick_run(tmp_path_factory: pytest.TempPathFactory) -> Path:
    out = tmp_path_factory.mktemp("quick") / "run"
    rm.train("baseline", out, kimg=0.015625, eval_every_kimg=0.0078125, eval_pairs=2, progress=False,
             config={"depth": 2, "batch_size": 8})
    return out


@pytest.mark.parametrize(
    "change, message",
    [
        ({"preset": "cpu"}, "preset 'quick', not 'cpu'; resume it with --preset quick"),
        ({"seed": 1}, "seed 0, not 1"),
        ({"eval_pairs": 256}, "eval_pairs 2, not 256"),
        ({"eval_every_kimg": 8.0}, "eval_every_kimg 0.0078125, not 8.0"),
        ({"config": {"lr": 1e-4}}, "config lr 0.001, not 0.0001"),
        ({"bf16": True}, "bf16 False, not True"),
    ],
)
def test_a_resume_must_match_its_run(quick_run: Path, change: dict, message: str) -> None:
    before = (quick_run / "checkpoint.pt").read_bytes()
    with pytest.raises(CheckpointError, match=message.replace("(", r"\(")):
        rm.train("baseline", quick_run, resume=True, progress=False, **change)
    assert (quick_run / "checkpoint.pt").read_bytes() == before


def test_cli_resume_with_another_preset_is_refused(quick_run: Path) -> None:
    before = (quick_run / "checkpoint.pt").read_bytes()
    result = train_cli("baseline", "--out", str(quick_run), "--preset", "cpu", "--resume")
    assert result.exit_code == 1, result.output
    assert "was trained with preset 'quick', not 'cpu'" in result.output and "Traceback" not in result.output
    assert (quick_run / "checkpoint.pt").read_bytes() == before


def test_a_resume_takes_the_runs_own_settings(quick_run: Path, tmp_path: Path) -> None:
    copy = tmp_path / "copy"
    copy.mkdir()
    (copy / "checkpoint.pt").write_bytes((quick_run / "checkpoint.pt").read_bytes())
    # Nothing but --resume: preset, budget, evaluation settings and config all come from the checkpoint.
    result = train_cli("baseline", "--out", str(copy), "--resume", "--kimg", "0.0234375")
    assert result.exit_code == 0, result.output
    assert "preset quick" in result.output
    record = torch.load(copy / "checkpoint.pt", weights_only=True)
    assert record["preset"] == "quick" and record["step"] == 3 and record["config"]["depth"] == 2
    assert {e["pairs"] for e in record["trail"]} == {2}  # one trail, one evaluation protocol
    assert record["eval"]["every_kimg"] == 0.0078125


# ------------------------------------------------------------------------------------ lock
def test_a_second_training_into_the_same_directory_is_refused_naming_the_first(tmp_path: Path) -> None:
    out = tmp_path / "run"
    with RunLock(out):  # the "first training", holding the directory
        with pytest.raises(OptionError, match=rf"is in use by another training \(PID {os.getpid()} "):
            rm.train("baseline", out, **TINY)
        result = train_cli("baseline", "--out", str(out), *TINY_ARGS)
        assert result.exit_code == 1 and f"PID {os.getpid()}" in result.output
    assert not (out / "checkpoint.pt").exists()
    run = rm.train("baseline", out, **TINY)  # released: now it trains
    assert run.steps == 8 and not (out / OWNER_NAME).exists()


HOLDER = textwrap.dedent("""
    import sys, time
    from reference_models.training.lock import RunLock
    lock = RunLock(sys.argv[1]).acquire()
    print("locked", flush=True)
    time.sleep(600)
""")


def test_a_lock_held_by_another_process_names_it_and_a_killed_holder_leaves_no_block(tmp_path: Path, capfd) -> None:
    out = tmp_path / "run"
    holder = subprocess.Popen([sys.executable, "-c", HOLDER, str(out)], stdout=subprocess.PIPE, text=True)
    try:
        assert holder.stdout.readline().strip() == "locked"
        with pytest.raises(OptionError, match=rf"PID {holder.pid} on "):
            rm.train("baseline", out, **TINY)
    finally:
        holder.send_signal(signal.SIGKILL)  # killed: no chance to release anything
        holder.wait()
    assert (out / LOCK_NAME).exists() and (out / OWNER_NAME).exists()  # what the killed process left behind
    capfd.readouterr()
    run = rm.train("baseline", out, **TINY)
    assert run.steps == 8
    assert f"PID {holder.pid} ended without releasing its lock" in capfd.readouterr().err


# ---------------------------------------------------------------------------------- Ctrl-C
def _ctrl_c_at(step: int):
    def on_step(s: int) -> None:
        if s == step:
            os.kill(os.getpid(), signal.SIGINT)

    return on_step


def test_ctrl_c_checkpoints_the_current_step_and_resumes_bit_exactly(tmp_path: Path) -> None:
    straight = rm.train("baseline", tmp_path / "straight", **TINY)
    before = signal.getsignal(signal.SIGINT)  # the default handler, or SIG_IGN in a background job
    with pytest.raises(TrainingInterrupted, match="interrupted at step 3") as stopped:
        rm.train("baseline", tmp_path / "stopped", on_step=_ctrl_c_at(3), **TINY)
    assert stopped.value.step == 3
    assert torch.load(tmp_path / "stopped" / "checkpoint.pt", weights_only=True)["step"] == 3  # not the periodic one at 2
    assert not [p for p in os.listdir(tmp_path / "stopped") if p.endswith(".tmp")]
    assert signal.getsignal(signal.SIGINT) is before  # Ctrl-C behaves as it did before the training
    resumed = rm.train("baseline", tmp_path / "stopped", resume=True, progress=False)
    a = torch.load(straight.checkpoint, weights_only=True)
    b = torch.load(resumed.checkpoint, weights_only=True)
    assert a["step"] == b["step"] == 8
    for key in a["state_dict"]:
        assert torch.equal(a["state_dict"][key], b["state_dict"][key]), key
    assert straight.trail == resumed.trail


def test_ctrl_c_in_the_cli_prints_the_exact_resume_command(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    step = engine.Trainer.step

    def step_then_ctrl_c(self, x=None):  # type: ignore[no-untyped-def]
        losses = step(self, x)
        if self.step_count == 5:
            os.kill(os.getpid(), signal.SIGINT)
        return losses

    monkeypatch.setattr(engine.Trainer, "step", step_then_ctrl_c)
    out = tmp_path / "my run"
    result = train_cli("baseline", "--out", str(out), "--seed", "2", *TINY_ARGS)
    assert result.exit_code == 130, result.output
    assert f"training interrupted at step 5 (0.0390625 kimg); checkpoint saved to {out / 'checkpoint.pt'}" in result.output
    command = result.output.split("continue it with: ")[1].splitlines()[0].strip()
    assert command == f"interpbench train baseline --out '{out}' --seed 2 --resume"
    monkeypatch.undo()
    resumed = CliRunner().invoke(main, shlex.split(command)[1:])
    assert resumed.exit_code == 0, resumed.output
    record = torch.load(out / "checkpoint.pt", weights_only=True)
    assert record["step"] == 8 and record["seed"] == 2 and record["config"]["depth"] == 2


# ------------------------------------------------------------------------- unsafe pickles
class _RunsCode:
    def __reduce__(self):  # type: ignore[no-untyped-def]
        return (os.system, ("echo this must never run",))


@pytest.mark.parametrize("writer", ["torch.save", "pickle.dump"])
def test_a_malicious_pickle_is_called_unsafe_not_corrupt(tmp_path: Path, writer: str, capfd) -> None:
    import pickle

    evil = tmp_path / "evil.pt"
    if writer == "torch.save":
        torch.save({"format": "interpbench-checkpoint", "state_dict": _RunsCode()}, evil)
    else:
        with open(evil, "wb") as f:
            pickle.dump(_RunsCode(), f)
    with pytest.raises(CheckpointError, match=r"is not a safe checkpoint file: loading it would import (posix|os)\.system"):
        rm.load_trained("baseline", evil)
    result = CliRunner().invoke(main, ["run", "--model", "baseline", "--checkpoint", str(evil), "--pairs", "2"])
    assert result.exit_code == 1 and "not a safe checkpoint file" in result.output and "corrupt" not in result.output
    assert "this must never run" not in capfd.readouterr().out


class _ImportsTorchHub:
    def __reduce__(self):  # type: ignore[no-untyped-def]
        return (torch.hub.load, ("nobody/nothing", "nothing"))


def test_an_unsafe_import_inside_torch_is_called_unsafe_too(tmp_path: Path) -> None:
    # torch's own allowlist scan, not a "torch.*" prefix test: torch.hub.load is code, not weights.
    evil = tmp_path / "hub.pt"
    torch.save({"format": "interpbench-checkpoint", "state_dict": _ImportsTorchHub()}, evil)
    with pytest.raises(CheckpointError, match=r"is not a safe checkpoint file: loading it would import torch\.hub\.load"):
        rm.load_trained("baseline", evil)

"""Issue #14, CLI and adapters: every bad input is one sentence, checked before any work, and writes nothing."""

from __future__ import annotations

import json
import os
from pathlib import Path

import numpy as np
import pytest
import torch
from click.testing import CliRunner

import interpbench
from interpbench.adapters import OracleAdapter
from interpbench.cli import main
from interpbench.errors import AdapterError, ModelOutputError, OptionError

from cli_assertions import one_error_line

NO_CUDA = pytest.mark.skipif(torch.cuda.is_available(), reason="needs a machine without CUDA")

ADAPTERS = """
import os
import numpy as np
import torch
from interpbench.adapters import OracleAdapter

class Huge(OracleAdapter):
    '''A perfect decoder whose every image is 1e300 times too bright: cosine distance ignores scale.'''
    def decode(self, codes):
        return super().decode(codes) * 1e300

class Tiny(OracleAdapter):
    def decode(self, codes):
        return super().decode(codes) * 1e-300

class ReturnsNone(OracleAdapter):
    def decode(self, codes):
        return None

class Exits(OracleAdapter):
    def decode(self, codes):
        raise SystemExit(3)

class Interrupted(OracleAdapter):
    def decode(self, codes):
        raise KeyboardInterrupt

class MetaDecoder(torch.nn.Module):
    def __init__(self):
        super().__init__()
        self.w = torch.nn.Parameter(torch.zeros(1))
    def encode(self, x):
        return x.flatten(1)[:, :4]
    def decode(self, z):
        return torch.empty(len(z), 1, 32, 32, device="meta")

class Marks(OracleAdapter):
    '''Leaves a file next to itself when asked to encode: shows whether scoring started at all.'''
    def encode(self, images):
        open(os.path.join(os.path.dirname(__file__), "scored.marker"), "w").close()
        return super().encode(images)
"""


@pytest.fixture()
def adapters(tmp_path: Path) -> Path:
    path = tmp_path / "adapters.py"
    path.write_text(ADAPTERS)
    return path


def run(*args: str):
    return CliRunner().invoke(main, ["run", *args])


# ----------------------------------------------------------------------------------- seeds
@pytest.mark.parametrize(
    "seeds, message",
    [
        ("5-1", "runs downwards and names no seed"),
        ("0-99999999", "names more than 1000 seeds"),
        ("0-4,3", "names a seed twice"),
        ("1" * 30, "above the largest allowed"),
        ("²", "is not a seed list"),
    ],
)
def test_bad_seed_ranges_are_errors_not_seed_0(seeds: str, message: str) -> None:
    one_error_line(run("--adapter", "oracle", "--pairs", "2", "--seeds", seeds), message, code=2)


# --------------------------------------------------------------------------- empty adapter
@pytest.mark.parametrize("option", ["--adapter", "--model"])
def test_empty_adapter_or_model_is_an_error_not_the_bundled_acai(option: str) -> None:
    one_error_line(run(option, "", "--pairs", "2"), f"{option} is empty", code=2)


# ---------------------------------------------------------------------------------- device
@NO_CUDA
@pytest.mark.parametrize("command", ["run", "probe", "check"])
@pytest.mark.parametrize("device", ["cuda", "cuda:0"])
def test_cuda_on_a_machine_without_it_is_one_sentence(command: str, device: str, tmp_path: Path) -> None:
    extra = {"run": ["--pairs", "2"], "probe": ["--dataset", "lines"], "check": ["--baseline", str(tmp_path / "b.json")]}[command]
    result = CliRunner().invoke(main, [command, "--model", "acai", "--device", device, *extra])
    one_error_line(result, "CUDA is not available on this machine", code=2)


@pytest.mark.parametrize("command", ["run", "probe", "check"])
@pytest.mark.parametrize("device, message", [("gpu0", "'gpu0' is not a torch device"), ("meta", "device 'meta' holds no values")])
def test_unknown_and_meta_devices_are_one_sentence(command: str, device: str, message: str, tmp_path: Path) -> None:
    extra = {"run": ["--pairs", "2"], "probe": ["--dataset", "lines"], "check": ["--baseline", str(tmp_path / "b.json")]}[command]
    result = CliRunner().invoke(main, [command, "--model", "acai", "--device", device, *extra])
    one_error_line(result, message, code=2)


def test_python_api_checks_the_device_too() -> None:
    import reference_models as rm

    with pytest.raises(OptionError, match="'gpu0' is not a torch device"):
        rm.load_trained("acai", device="gpu0")
    with pytest.raises(OptionError, match="meta"):
        interpbench.score(rm.build("baseline", depth=2), pairs=2, device="meta")


def test_a_meta_tensor_from_a_decoder_is_named(adapters: Path) -> None:
    one_error_line(run("--adapter", f"{adapters}:MetaDecoder", "--pairs", "2"), "MetaDecoder.decode() returned a tensor on the meta device")


def test_a_numpy_adapter_cannot_claim_a_device() -> None:
    # Only a module can be moved: a NumPy adapter asked for cuda must not record "device: cuda".
    with pytest.raises(AdapterError, match="applies to torch modules, and adapter 'oracle' is not one"):
        interpbench.score("oracle", pairs=2, device="cuda")
    result = interpbench.score("oracle", pairs=2, device="cpu")
    assert result.provenance["device"] == "cpu"


# ------------------------------------------------------------------------- model outputs
def test_a_decoder_returning_none_is_named(adapters: Path) -> None:
    one_error_line(run("--adapter", f"{adapters}:ReturnsNone", "--pairs", "2"), "ReturnsNone.decode() returned None instead of an array of images")
    with pytest.raises(ModelOutputError, match="returned None"):
        interpbench.score((lambda x: None, lambda z: z), pairs=2)


@pytest.mark.parametrize("name", ["Huge", "Tiny"])
def test_scale_does_not_change_mean_distance(adapters: Path, tmp_path: Path, name: str) -> None:
    out = tmp_path / "out.json"
    result = run("--adapter", f"{adapters}:{name}", "--pairs", "4", "--json", "--output", str(out))
    assert result.exit_code == 0, result.output
    exact = interpbench.score(OracleAdapter(), pairs=4, keep_images=False)
    printed = json.loads(result.stdout)  # the sanity checks warn on stderr (the images are far out of range)
    # A true line at any brightness is at distance ≈ 0, exactly as the unscaled oracle.
    assert printed["metrics"]["mean_distance"]["mean"] == pytest.approx(exact.mean_distance, rel=1e-9, abs=1e-15)
    assert printed["metrics"]["smoothness"]["mean"] == pytest.approx(exact.smoothness, rel=1e-9)
    # JSON has no inf: the overflowing squared error of the 1e300 decoder is stored as null.
    text = out.read_text()
    assert "Infinity" not in text and "NaN" not in text
    recon = json.loads(text)["metrics"]["reconstruction_error"]["mean"]
    assert (recon is None) if name == "Huge" else (recon is not None and recon > 0)


def test_scaling_is_exact_for_ordinary_images() -> None:
    # The power-of-two rescaling must not move any ordinary score by even one bit.
    from interpbench.bank import line_bank

    images = interpbench.render(np.linspace(0, 6, 40)) + np.random.default_rng(0).normal(0, 0.3, (40, 32, 32))
    bank = line_bank()
    flat = images.reshape(40, -1)
    unscaled_index = bank._nearest_chunk(flat)
    found = bank.nearest(images)
    assert np.array_equal(found.indices, unscaled_index)
    assert np.array_equal(found.distances, bank._distances(flat, unscaled_index))


def test_exit_inside_an_adapter_is_named(adapters: Path) -> None:
    result = run("--adapter", f"{adapters}:Exits", "--pairs", "2")
    one_error_line(result, "Exits.decode() called exit(3)")
    assert "adapters.py:Exits" in result.output
    assert "Aborted!" not in result.output


def test_ctrl_c_while_scoring_exits_130_and_writes_nothing(adapters: Path, tmp_path: Path) -> None:
    """Ctrl-C lands inside whatever runs, usually the model: it is not the adapter's error."""
    out = tmp_path / "out"
    out.mkdir()
    result = run("--adapter", f"{adapters}:Interrupted", "--pairs", "2", "--output", str(out / "r.json"), "--figure", str(out / "f.png"))
    assert result.exit_code == 130, result.output
    assert result.output.strip() == "Interrupted: nothing was written."
    assert "adapter" not in result.output and "Traceback" not in result.output
    assert list(out.iterdir()) == []


def test_exit_while_importing_an_adapter_file_is_named(tmp_path: Path) -> None:
    path = tmp_path / "exits_on_import.py"
    path.write_text("import sys\nsys.exit(4)\n")
    one_error_line(run("--adapter", f"{path}:x", "--pairs", "2"), "importing")


# --------------------------------------------------------------------------------- outputs
@pytest.mark.parametrize("option", ["--output", "--figure"])
def test_output_in_a_missing_directory_fails_before_scoring(adapters: Path, tmp_path: Path, option: str) -> None:
    result = run("--adapter", f"{adapters}:Marks", "--pairs", "2", option, str(tmp_path / "no" / "such" / "out.png"))
    one_error_line(result, "does not exist")
    assert not (tmp_path / "scored.marker").exists()  # refused before a single image was encoded
    assert not (tmp_path / "no").exists()


def test_output_under_a_file_fails_before_scoring(adapters: Path, tmp_path: Path) -> None:
    blocker = tmp_path / "file.txt"
    blocker.write_text("x")
    result = run("--adapter", f"{adapters}:Marks", "--pairs", "2", "--output", str(blocker / "out.json"))
    assert result.exit_code == 1 and "Traceback" not in result.output
    assert not (tmp_path / "scored.marker").exists()


def test_json_and_figure_are_written_together_or_not_at_all(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    import interpbench.figures

    def failing_figure(*args, **kwargs):  # type: ignore[no-untyped-def]
        raise OptionError("the figure could not be drawn")

    monkeypatch.setattr(interpbench.figures, "write_figure", failing_figure)
    out, figure = tmp_path / "out.json", tmp_path / "grid.png"
    out.write_text("previous")
    result = run("--adapter", "oracle", "--pairs", "2", "--output", str(out), "--figure", str(figure))
    one_error_line(result, "the figure could not be drawn")
    assert out.read_text() == "previous" and not figure.exists()
    assert sorted(p.name for p in tmp_path.iterdir()) == ["out.json"]  # no temporary file left either


def test_json_and_figure_both_written(tmp_path: Path) -> None:
    out, figure = tmp_path / "out.json", tmp_path / "traj.png"
    result = run("--adapter", "oracle", "--pairs", "2", "--output", str(out), "--figure", str(figure))
    assert result.exit_code == 0, result.output
    assert json.loads(out.read_text())["protocol"]["pairs"] == 2
    assert figure.read_bytes()[:4] == b"\x89PNG"


def test_two_outputs_naming_one_file_are_refused(tmp_path: Path) -> None:
    same = str(tmp_path / "same.png")
    one_error_line(run("--adapter", "oracle", "--pairs", "2", "--figure", same, "--figure", same), "both name")


def test_output_through_a_symlink_updates_the_target_and_keeps_the_link(tmp_path: Path) -> None:
    target = tmp_path / "real.json"
    target.write_text("old")
    link = tmp_path / "link.json"
    link.symlink_to(target)
    result = run("--adapter", "oracle", "--pairs", "2", "--output", str(link))
    assert result.exit_code == 0, result.output
    assert link.is_symlink() and os.readlink(link) == str(target)
    assert json.loads(target.read_text())["format"] == "interpbench-result"


def test_output_to_a_fifo_is_refused_before_scoring(adapters: Path, tmp_path: Path) -> None:
    fifo = tmp_path / "pipe"
    os.mkfifo(fifo)
    result = run("--adapter", f"{adapters}:Marks", "--pairs", "2", "--output", str(fifo))
    one_error_line(result, "it is a FIFO (named pipe), not a regular file")
    assert fifo.is_fifo() and not (tmp_path / "scored.marker").exists()


@pytest.mark.skipif(not os.path.exists("/dev/full"), reason="no /dev/full")
def test_output_to_a_device_is_refused() -> None:
    one_error_line(run("--adapter", "oracle", "--pairs", "2", "--output", "/dev/full"), "it is a character device")
    assert Path("/dev/full").is_char_device()


def test_probe_and_check_check_their_outputs_first(tmp_path: Path) -> None:
    missing = str(tmp_path / "missing" / "out.json")
    probe = CliRunner().invoke(main, ["probe", "--adapter", "pixels", "--dataset", "lines", "--output", missing])
    one_error_line(probe, "does not exist")
    check = CliRunner().invoke(main, ["check", "--adapter", "oracle", "--baseline", missing, "--write-baseline"])
    one_error_line(check, "does not exist")


def test_a_bad_scoring_time_set_value_is_the_users_not_the_checkpoints() -> None:
    result = run("--model", "vae", "--set", "encode_sample=maybe", "--pairs", "2")
    one_error_line(result, "vae config encode_sample='maybe' is not allowed: encode_sample must be true or false")
    assert "checkpoint" not in result.output

"""Issue 18: hostile options, records and signals, each refused or survived by one mechanism."""

from __future__ import annotations

import json
import math
import os
import signal
import subprocess
import sys
import textwrap
from pathlib import Path

import numpy as np
import pytest
import torch
from click.testing import CliRunner

import interpbench
from interpbench.cli import main
from interpbench.errors import DataError, OptionError

from cli_assertions import one_error_line

TINY_ARGS = ["--kimg", "0.0625", "--eval-every", "0.015625", "--eval-pairs", "2", "--set", "depth=2", "--set", "batch_size=8"]


def cli(*args: str):
    return CliRunner().invoke(main, list(args))


# ----------------------------------------------------------------------- non-finite options
@pytest.mark.parametrize("args", [
    ["train", "baseline", "--kimg", "{v}"],
    ["train", "baseline", "--eval-every", "{v}"],
    ["reproduce", "--kimg", "{v}"],
    ["reproduce", "--minutes", "{v}"],
    ["leaderboard", "add", "r.json", "--kimg", "{v}"],
    ["leaderboard", "add", "r.json", "--wall-clock", "{v}"],
    ["leaderboard", "add", "r.json", "--samples-per-s", "{v}"],
    ["sweep", "grid.toml", "--cpus-per-run", "{v}"],
])
@pytest.mark.parametrize("value", ["nan", "inf", "-inf", "1e308"])
def test_non_finite_or_absurd_float_options_are_refused(tmp_path: Path, args: list[str], value: str) -> None:
    result = cli(*[a.format(v=value) for a in args])
    assert result.exit_code == 2, result.output
    assert "Traceback" not in result.output
    assert "finite number" in result.output or "is not in the range" in result.output


@pytest.mark.parametrize("value", ["NaN", "Infinity", "-Infinity", "1e999"])
def test_non_finite_set_values_are_refused(tmp_path: Path, value: str) -> None:
    one_error_line(cli("train", "baseline", "--out", str(tmp_path / "r"), "--set", f"lr={value}", *TINY_ARGS[:6]),
                   "is not a finite number")
    assert not (tmp_path / "r").exists()


@pytest.mark.parametrize("args, message", [
    (["run", "--adapter", "oracle", "--steps", "100000"], "--steps"),
    (["run", "--adapter", "oracle", "--batch-size", "100000000"], "--batch-size"),
    (["run", "--adapter", "oracle", "--seed", str(2**64)], "--seed"),
])
def test_work_an_option_asks_for_is_bounded(args: list[str], message: str) -> None:
    result = cli(*args)
    assert result.exit_code == 2 and message in result.output and "is not in the range" in result.output


@pytest.mark.parametrize("key, value", [("batch_size", 100_000_000), ("depth", 10**7), ("latent", 10**7)])
def test_model_sizes_a_config_asks_for_are_bounded(tmp_path: Path, key: str, value: int) -> None:
    one_error_line(cli("train", "baseline", "--out", str(tmp_path / "r"), "--set", f"{key}={value}", *TINY_ARGS[:6]),
                   f"{key}={value} is not allowed")
    assert not (tmp_path / "r").exists()


# --------------------------------------------------------------------------- result files
@pytest.fixture(scope="module")
def saved(tmp_path_factory: pytest.TempPathFactory) -> Path:
    folder = tmp_path_factory.mktemp("saved")
    interpbench.score("oracle", seeds=[0], pairs=2, steps=4, progress=False).save(folder / "r.json")
    return folder / "r.json"


def _images_name(saved: Path) -> str:
    """The images file the saved result names (``r.images.<digest>.npz``)."""
    return json.loads(saved.read_text())["images"]["file"]


def _with_images(saved: Path, tmp_path: Path, **images: object) -> Path:
    record = json.loads(saved.read_text())
    record["images"] = {**record["images"], **images}
    for key in [k for k, v in images.items() if v is None]:
        del record["images"][key]
    out = tmp_path / "r.json"
    out.write_text(json.dumps(record))
    name = _images_name(saved)
    (tmp_path / name).write_bytes((saved.parent / name).read_bytes())
    return out


@pytest.mark.parametrize("name", ["../r.images.npz", "/etc/shadow", "/etc/passwd", "sub/r.images.npz", "..", "C:r.npz", "r.images.npy"])
def test_images_file_must_be_a_plain_npz_name_beside_the_result(saved: Path, tmp_path: Path, name: str) -> None:
    path = _with_images(saved, tmp_path, file=name)
    with pytest.raises(DataError, match="images.file"):
        interpbench.Result.load(path)


def test_images_without_a_sha256_are_refused(saved: Path, tmp_path: Path) -> None:
    with pytest.raises(DataError, match="sha256 is missing"):
        interpbench.Result.load(_with_images(saved, tmp_path, sha256=None))


def _npz_case(tmp_path: Path, saved: Path, kind: str) -> Path:
    path = _with_images(saved, tmp_path)
    npz = tmp_path / _images_name(saved)
    if kind == "npy":
        np.save(npz.with_suffix(".npy"), np.zeros((1, 2, 4, 32, 32), np.float32))
        os.replace(npz.with_suffix(".npy"), npz)
    elif kind == "truncated":
        npz.write_bytes(npz.read_bytes()[:200])
    elif kind == "bomb":
        # 2 GiB of zeros declared (and compressed to ~2 MB): must be refused from the zip directory alone.
        import zipfile
        with zipfile.ZipFile(npz, "w", zipfile.ZIP_DEFLATED) as archive, archive.open("images.npy", "w", force_zip64=True) as f:
            header = np.lib.format.header_data_from_array_1_0(np.zeros((1, 2, 4, 32, 32), np.float32))
            np.lib.format.write_array_header_1_0(f, header)
            block = bytes(1 << 24)
            for _ in range(128):
                f.write(block)
    elif kind == "wrong-shape":
        np.savez_compressed(npz, images=np.zeros((1, 2, 5, 32, 32), np.float32), seeds=np.asarray([0]))
    record = json.loads(path.read_text())
    from interpbench.result import _sha256
    record["images"]["sha256"] = _sha256(npz)  # a consistent (crafted) file, so only the content checks stand
    path.write_text(json.dumps(record))
    return path


@pytest.mark.parametrize("kind, message", [
    ("npy", "not a readable .npz archive"),
    ("truncated", "not a readable .npz archive"),
    ("bomb", "declares 2,147,483,"),
    ("wrong-shape", "of shape (1, 2, 5, 32, 32)"),
])
def test_crafted_images_files_are_refused_before_they_are_read(saved: Path, tmp_path: Path, kind: str, message: str) -> None:
    import resource
    path = _npz_case(tmp_path, saved, kind)
    before = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss
    with pytest.raises(DataError, match=message.replace("(", r"\(").replace(")", r"\)")):
        interpbench.Result.load(path)
    # The bomb was not inflated: peak memory grew by far less than its declared 2 GiB.
    assert resource.getrusage(resource.RUSAGE_SELF).ru_maxrss - before < 200 * 1024


def test_plot_of_a_result_whose_images_escape_its_folder_is_one_sentence(saved: Path, tmp_path: Path) -> None:
    path = _with_images(saved, tmp_path, file="../../../../etc/passwd")
    one_error_line(cli("plot", str(path), "--output", str(tmp_path / "p.png")), "not a plain file name")


# ---------------------------------------------------------------------------- checkpoints
@pytest.fixture(scope="module")
def checkpoint(tmp_path_factory: pytest.TempPathFactory) -> Path:
    import reference_models as rm
    out = tmp_path_factory.mktemp("ckpt")
    rm.train("baseline", out, kimg=0.015625, eval_every_kimg=0.0078125, eval_pairs=2, progress=False,
             config={"depth": 2, "batch_size": 8})
    return out / "checkpoint.pt"


@pytest.mark.parametrize("field, value", [
    ("kimg_done", "16"), ("kimg_done", [1.0]), ("kimg_done", float("nan")), ("train_seconds", float("nan")),
    ("train_seconds", float("inf")), ("format_version", "1"), ("seed", True), ("step", 2.5),
    ("trail", [1, 2]), ("trail", [{"kimg": "x", "step": 1}]), ("trail", "abc"), ("config", [1]), ("preset", 3),
])
def test_crafted_checkpoint_metadata_is_one_sentence(checkpoint: Path, tmp_path: Path, field: str, value: object) -> None:
    record = torch.load(checkpoint, weights_only=True)
    record[field] = value
    bad = tmp_path / "bad.pt"
    torch.save(record, bad)
    one_error_line(cli("run", "--model", "baseline", "--checkpoint", str(bad), "--pairs", "2"), f"malformed: {field} is")


# --------------------------------------------------------------------------------- sweeps
def test_sweep_directory_names_are_injective() -> None:
    from reference_models.sweep.grid import _format, parse_grid

    grid = parse_grid({"models": ["baseline"], "seeds": [0], "lr": [0.001, 0.0010000001]})
    assert [r.directory for r in grid.runs()] == ["baseline-lr=0.001-s0", "baseline-lr=0.0010000001-s0"]
    assert _format("a/b") != _format("a_b") and "/" not in _format("../x") and _format(1) != _format(1.0)


def test_a_grid_whose_runs_would_share_a_directory_is_refused_before_training(monkeypatch: pytest.MonkeyPatch) -> None:
    """The backstop behind the injective names: a collision (e.g. names equal but for case) is refused up front."""
    from reference_models.sweep import grid as grid_module

    monkeypatch.setattr(grid_module, "_format", lambda value: "SAME" if value == 0.001 else "same")
    with pytest.raises(OptionError, match="would share the run directory"):
        grid_module.parse_grid({"models": ["baseline"], "seeds": [0], "lr": [0.001, 0.002]})


# ------------------------------------------------------------------------------ full disk
# A real write failure, not a mock: the command runs in a child process whose file size limit
# (RLIMIT_FSIZE, SIGXFSZ ignored) makes every write past 1 KiB fail with EFBIG, as a full disk
# fails with ENOSPC; and, where this process may mount one, on a nearly full tmpfs.
_LIMIT = 1024


def _limited(limit: int):  # type: ignore[no-untyped-def]
    def apply() -> None:
        import resource
        signal.signal(signal.SIGXFSZ, signal.SIG_IGN)
        resource.setrlimit(resource.RLIMIT_FSIZE, (limit, limit))
    return apply


def _cli_process(args: list[str], cwd: Path, limit: int | None = _LIMIT) -> subprocess.CompletedProcess:
    env = {**os.environ, "PYTHONDONTWRITEBYTECODE": "1", "OMP_NUM_THREADS": "1"}
    return subprocess.run([sys.executable, "-m", "interpbench", *args], cwd=cwd, capture_output=True, text=True, env=env,
                          preexec_fn=_limited(limit) if limit else None, timeout=300)


def _assert_one_sentence_nothing_written(proc: subprocess.CompletedProcess, folder: Path, before: dict[str, bytes]) -> None:
    assert proc.returncode == 1, proc.stdout + proc.stderr
    errors = [line for line in proc.stderr.splitlines() if line.startswith("Error:")]
    assert len(errors) == 1 and "Traceback" not in proc.stderr, proc.stderr
    assert "cannot write" in errors[0] and ("too large" in errors[0] or "No space" in errors[0]), errors[0]
    after = {str(p.relative_to(folder)): p.read_bytes() for p in folder.rglob("*") if p.is_file() and p.name != "train.lock"}
    assert after == before  # the previous files untouched, no new or temporary file left


@pytest.fixture(scope="module")
def disk_case(tmp_path_factory: pytest.TempPathFactory, saved: Path) -> Path:
    """A folder with a scored result (and its images), a leaderboard holding it, and a stale old output."""
    folder = tmp_path_factory.mktemp("disk")
    for name in ("r.json", _images_name(saved)):
        (folder / name).write_bytes((saved.parent / name).read_bytes())
    board = folder / "board"
    (board / "results").mkdir(parents=True)
    assert cli("leaderboard", "add", str(folder / "r.json"), "--leaderboard", str(board)).exit_code == 0
    assert cli("leaderboard", "build", "--leaderboard", str(board)).exit_code == 0
    return folder


@pytest.mark.parametrize("command", [
    ["run", "--adapter", "oracle", "--pairs", "8", "--steps", "4", "--seed", "0", "--output", "out/r.json"],
    ["run", "--adapter", "oracle", "--pairs", "8", "--steps", "4", "--seed", "0", "--figure", "out/grid.png"],
    ["check", "--result", "r.json", "--baseline", "out/base.json", "--write-baseline"],
    ["plot", "r.json", "--output", "out/p.png"],
    ["probe", "--adapter", "oracle", "--dataset", "lines", "--probe", "linear", "--train-size", "200", "--output", "out/probe.json"],
    ["train", "baseline", "--out", "out/run", *TINY_ARGS],
    ["leaderboard", "add", "r.json", "--leaderboard", "out/board", "--id", "again-v1"],
    ["leaderboard", "build", "--leaderboard", "out/board"],
], ids=lambda c: " ".join(c[:2]) + (" " + c[-2] if c[-2].startswith("--") else ""))
def test_every_writer_on_a_full_disk_says_so_and_leaves_the_old_files(disk_case: Path, tmp_path: Path, command: list[str]) -> None:
    work = tmp_path / "w"
    work.mkdir()
    for name in ("r.json", _images_name(disk_case / "r.json")):
        (work / name).write_bytes((disk_case / name).read_bytes())
    out = work / "out"
    import shutil
    shutil.copytree(disk_case / "board", out / "board")
    (out / "run").mkdir()
    for name in ("r.json", "grid.png", "base.json", "p.png", "probe.json"):
        (out / name).write_text("the previous file\n")
    before = {str(p.relative_to(out)): p.read_bytes() for p in out.rglob("*") if p.is_file() and p.name != "train.lock"}
    if command[0] == "leaderboard" and command[1] == "add":
        (out / "board" / "results" / "oracle-v1.json").unlink()  # so the add is no duplicate
        before = {k: v for k, v in before.items() if k != "board/results/oracle-v1.json"}
    proc = _cli_process(command, work)
    _assert_one_sentence_nothing_written(proc, out, before)


def _tmpfs(folder: Path, size: str) -> None:
    folder.mkdir()
    try:
        done = subprocess.run(["mount", "-t", "tmpfs", "-o", f"size={size}", "tmpfs", str(folder)], capture_output=True)
    except OSError:
        pytest.skip("no mount command here")
    if done.returncode != 0:
        pytest.skip(f"cannot mount a tmpfs here (needs root): {done.stderr.decode().strip()}")


def test_a_really_full_tmpfs_keeps_the_previous_pages_and_result(disk_case: Path, tmp_path: Path) -> None:
    disk = tmp_path / "disk"
    _tmpfs(disk, "2m")
    try:
        import shutil
        shutil.copytree(disk_case / "board", disk / "board")
        (disk / "r.json").write_text("the previous result\n")
        filler = disk / "filler"
        with open(filler, "wb", buffering=0) as f:  # fill the file system up to its last few KiB
            try:
                while True:
                    f.write(bytes(4096))
            except OSError:
                pass
        filler.write_bytes(filler.read_bytes()[: -8 * 1024])
        before = {str(p.relative_to(disk)): p.read_bytes() for p in disk.rglob("*") if p.is_file() and p.name != "train.lock"}
        for command in (["leaderboard", "build", "--leaderboard", str(disk / "board")],
                        ["run", "--adapter", "oracle", "--pairs", "64", "--seed", "0", "--output", str(disk / "r.json")]):
            proc = _cli_process(command, tmp_path, limit=None)
            _assert_one_sentence_nothing_written(proc, disk, before)
    finally:
        subprocess.run(["umount", str(disk)], check=False)


# ------------------------------------------------------------------------ math markup in names
MATH_NAME = r"a $\notacommand$ b"


def test_math_markup_in_a_name_is_drawn_literally(tmp_path: Path) -> None:
    out = tmp_path / "r.json"
    for figure in ("grid.png", "traj.png", "scatter.png"):
        result = cli("run", "--adapter", "oracle", "--pairs", "2", "--steps", "4", "--seed", "0", "--name", MATH_NAME,
                     "--figure", str(tmp_path / figure), "--output", str(out))
        assert result.exit_code == 0, result.output
        assert (tmp_path / figure).read_bytes()[:4] == b"\x89PNG"
    board = tmp_path / "board"
    (board / "results").mkdir(parents=True)
    assert cli("leaderboard", "add", str(out), "--leaderboard", str(board)).exit_code == 0
    built = cli("leaderboard", "build", "--leaderboard", str(board))
    assert built.exit_code == 0, built.output
    import matplotlib
    assert matplotlib.rcParams["text.parse_math"] is True  # the user's own setting is left alone


# ------------------------------------------------------------------------ score() arguments
@pytest.mark.parametrize("kwargs, message", [
    (dict(seeds="0,1"), "seeds must be a list of integers"),
    (dict(seeds=[1.7]), "must be an integer"),
    (dict(seeds=[True]), "must be an integer"),
    (dict(seeds=True), "seeds must be a list"),
    (dict(seeds=[2**64]), "between 0 and"),
    (dict(seeds=list(range(1001))), "at most 1000"),
    (dict(pairs=2.5), "pairs .* must be an integer"),
    (dict(pairs="2"), "pairs .* must be an integer"),
    (dict(steps=3.5), "steps .* must be an integer"),
    (dict(steps=100_000), "between 2 and 1,024"),
    (dict(path=["lerp"]), "path must be one of"),
    (dict(threads=1.5), "threads must be a positive integer"),
])
def test_score_arguments_are_checked_like_the_cli_options(kwargs: dict, message: str) -> None:
    with pytest.raises(OptionError, match=message):
        interpbench.score("oracle", **{"pairs": 2, "steps": 4, **kwargs})


def test_numpy_integers_are_accepted_as_arguments() -> None:
    result = interpbench.score("oracle", seeds=np.arange(2), pairs=np.int64(2), steps=np.int32(4))
    assert result.protocol.seeds == (0, 1) and type(result.protocol.seeds[0]) is int


# ------------------------------------------------------------------------- decoder outputs
def _pixels_returning(convert):  # type: ignore[no-untyped-def]
    class Model:
        def encode(self, x):
            return x.reshape(len(x), -1)

        def decode(self, z):
            return convert(z.reshape(len(z), 32, 32))

    return Model()


@pytest.mark.parametrize("convert, message", [
    (lambda z: z.astype(np.complex128), "complex values"),
    (lambda z: torch.from_numpy(z).to(torch.complex64), "complex values"),
    (lambda z: z.astype(str), "text, not numbers"),
    (lambda z: z.astype(object).astype(str).astype(object), "text, not numbers"),
    (lambda z: {"pixels_a": z, "pixels_b": z}, "pixels_a, pixels_b"),
])
def test_decoder_outputs_that_are_not_real_numbers_are_refused(convert, message: str) -> None:  # type: ignore[no-untyped-def]
    from interpbench.errors import ModelOutputError
    with pytest.raises(ModelOutputError, match=message):
        interpbench.score(_pixels_returning(convert), pairs=2, steps=4, checks=False)


# -------------------------------------------------------------------- inputs changed in place
class _Halves(torch.nn.Module):
    """An identity autoencoder whose encoder scales its input in place (a careless x *= 0.5)."""

    def __init__(self, dtype: torch.dtype) -> None:
        super().__init__()
        self.w = torch.nn.Parameter(torch.ones(1, dtype=dtype))

    def encode(self, x):
        code = x.flatten(1).clone()
        x *= 0.5
        x.zero_()
        return code

    def decode(self, z):
        z.mul_(self.w)
        out = z.view(len(z), 1, 32, 32).clone()
        z.zero_()
        return out


class _NumpyHalves:
    input_dtype = np.float64

    def encode(self, x):
        code = x.reshape(len(x), -1).copy()
        x *= 0.5
        return code

    def decode(self, z):
        out = z.reshape(len(z), 32, 32).copy()
        z[:] = 0
        return out


@pytest.mark.parametrize("model", [_Halves(torch.float64), _Halves(torch.float32), _NumpyHalves()], ids=["torch64", "torch32", "numpy64"])
def test_a_model_that_changes_its_input_in_place_cannot_corrupt_the_scores(model) -> None:  # type: ignore[no-untyped-def]
    clean = interpbench.score("pixels", pairs=4, steps=4, checks=False)
    dirty = interpbench.score(model, pairs=4, steps=4, checks=False)
    assert dirty.mean_distance == pytest.approx(clean.mean_distance, rel=1e-6)
    assert dirty.seeds[0].scores.reconstruction_error == pytest.approx(clean.seeds[0].scores.reconstruction_error, abs=1e-12)


# ------------------------------------------------------------------------------- memory
def _peak_rss_mb(pairs: int, steps: int) -> float:
    code = textwrap.dedent(f"""
        import resource, interpbench
        interpbench.score("oracle", pairs={pairs}, steps={steps}, keep_images=False, checks=False)
        print(resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024)
    """)
    env = {**os.environ, "OMP_NUM_THREADS": "1"}
    done = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, env=env, timeout=600, check=True)
    return float(done.stdout.split()[-1])


def test_scoring_memory_stays_flat_in_pairs_and_steps() -> None:
    """Chunked scoring: 10× the images scored costs no more than one chunk's worth of extra memory.

    Before chunking, 256 → 2,500 pairs grew the peak from 0.37 GB to 1.9 GB (the images, their
    path codes and the search all held at once); one chunk is 4,096 float64 images, 32 MB.
    """
    small, large = _peak_rss_mb(256, 16), _peak_rss_mb(2500, 16)
    assert large - small < 150, (small, large)


def test_chunked_scores_equal_one_pass_scores() -> None:
    """Chunks are whole decode batches, so the distances are those of scoring every image at once."""
    from interpbench.protocol import _chunk_pairs
    from interpbench.scoring import score_paths

    assert _chunk_pairs(16, 256) * 16 % 256 == 0 and _chunk_pairs(16, 256) * 16 <= 8192
    result = interpbench.score("pixels", pairs=600, steps=16, checks=False)  # 600 pairs: two chunks of 256 and one of 88
    assert _chunk_pairs(16, 256) < 600
    whole = score_paths(result.images[0], endpoint_angles=result.seeds[0].endpoint_angles, endpoints=np.stack([
        interpbench.render(result.seeds[0].endpoint_angles[:, 0]), interpbench.render(result.seeds[0].endpoint_angles[:, 1])], axis=1))
    got = result.seeds[0].scores
    assert np.array_equal(got.distances, whole.distances) and np.array_equal(got.angles, whole.angles)
    assert got.mean_distance == whole.mean_distance and got.reconstruction_error == whole.reconstruction_error
    assert got.geodesic_error == whole.geodesic_error
    assert got.output_spread == pytest.approx(whole.output_spread, rel=1e-12)  # merged moments: rounding only


# ---------------------------------------------------------------------------- leaderboard
def test_leaderboard_folder_is_never_made_up(saved: Path, tmp_path: Path) -> None:
    one_error_line(cli("leaderboard", "add", str(saved), "--leaderboard", str(tmp_path / "typo" / "dir")), "does not exist")
    one_error_line(cli("leaderboard", "build", "--leaderboard", str(tmp_path / "typo" / "dir")), "does not exist")
    assert not (tmp_path / "typo").exists()


@pytest.mark.parametrize("entry_id", ["../x", "x/../../y", "/etc/x", ".hidden", "a\\b"])
def test_an_entry_id_never_leaves_results(saved: Path, tmp_path: Path, entry_id: str) -> None:
    board = tmp_path / "board"
    (board / "results").mkdir(parents=True)
    one_error_line(cli("leaderboard", "add", str(saved), "--leaderboard", str(board), "--id", entry_id), "id")
    assert [p for p in tmp_path.rglob("*") if p.is_file()] == []


def test_concurrent_adds_of_one_id_file_one_and_refuse_the_other(saved: Path, tmp_path: Path) -> None:
    from interpbench.leaderboard.guard import leaderboard_lock

    board = tmp_path / "board"
    (board / "results").mkdir(parents=True)
    env = {**os.environ, "OMP_NUM_THREADS": "1"}
    args = [sys.executable, "-m", "interpbench", "leaderboard", "add", str(saved), "--leaderboard", str(board)]
    with leaderboard_lock(board):  # both start, and both reach the lock, while it is held here
        procs = [subprocess.Popen(args, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True, env=env) for _ in range(2)]
        import time
        time.sleep(8)
    outs = [p.communicate(timeout=120) for p in procs]
    codes = sorted(p.returncode for p in procs)
    assert codes == [0, 1], outs
    assert any("duplicate entry: id 'oracle-v1'" in err for _, err in outs)
    assert [p.name for p in (board / "results").iterdir()] == ["oracle-v1.json"]


def test_a_build_that_fails_half_way_leaves_every_previous_page(saved: Path, tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    from interpbench.leaderboard import render

    board = tmp_path / "board"
    (board / "results").mkdir(parents=True)
    assert cli("leaderboard", "add", str(saved), "--leaderboard", str(board)).exit_code == 0
    for name in ("README.md", "index.html", "figures/scatter.png"):
        (board / name).parent.mkdir(exist_ok=True)
        (board / name).write_text(f"previous {name}\n")

    def fail(*args: object) -> None:
        raise OSError(28, "No space left on device")

    monkeypatch.setattr(render, "_scatter", fail)  # the last file of the set fails, after both pages were rendered
    with pytest.raises(OptionError, match="No space left on device; nothing was written"):
        render.build(board)
    for name in ("README.md", "index.html", "figures/scatter.png"):
        assert (board / name).read_text() == f"previous {name}\n"
    assert not [p for p in board.rglob("*.tmp")]


# ------------------------------------------------------------------------------- signals
def test_sigterm_stops_training_like_ctrl_c(tmp_path: Path) -> None:
    """A polite kill checkpoints the step reached and says how to resume (it used to die, -15, with nothing saved)."""
    out = tmp_path / "run"
    code = textwrap.dedent(f"""
        import os, signal, sys
        from click.testing import CliRunner
        from reference_models.training import engine
        step = engine.Trainer.step
        def step_then_term(self, x=None):
            losses = step(self, x)
            if self.step_count == 3:
                os.kill(os.getpid(), signal.SIGTERM)
            return losses
        engine.Trainer.step = step_then_term
        from interpbench.cli import main
        main(["train", "baseline", "--out", {str(out)!r}, *{TINY_ARGS!r}])
    """)
    proc = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, timeout=300,
                          env={**os.environ, "OMP_NUM_THREADS": "1"})
    assert proc.returncode == 130, proc.stderr
    assert "training interrupted at step 3" in proc.stderr and "continue it with: interpbench train baseline" in proc.stderr
    assert torch.load(out / "checkpoint.pt", weights_only=True)["step"] == 3
    assert not list(out.glob("*.tmp")) and not list(out.glob(".*.tmp"))


def test_sigterm_while_scoring_exits_130_and_writes_nothing(tmp_path: Path) -> None:
    slow = tmp_path / "slow.py"
    slow.write_text(textwrap.dedent("""
        import os, signal
        from interpbench.adapters import OracleAdapter
        class Slow(OracleAdapter):
            def decode(self, codes):
                os.kill(os.getpid(), signal.SIGTERM)
                return super().decode(codes)
    """))
    out = tmp_path / "out"
    out.mkdir()
    proc = _cli_process(["run", "--adapter", f"{slow}:Slow", "--pairs", "2", "--output", str(out / "r.json")], tmp_path, limit=None)
    assert proc.returncode == 130, proc.stderr
    assert proc.stderr.strip() == "Interrupted: nothing was written." and list(out.iterdir()) == []


def test_a_killed_writers_temporaries_are_cleaned_by_the_next_training(tmp_path: Path) -> None:
    import reference_models as rm

    out = tmp_path / "run"
    out.mkdir()
    (out / ".checkpoint.pt.abc123.tmp").write_bytes(b"half a checkpoint")
    (out / ".summary.json.def456.tmp").write_text("{")
    rm.train("baseline", out, kimg=0.015625, eval_every_kimg=0.0078125, eval_pairs=2, progress=False,
             config={"depth": 2, "batch_size": 8})
    assert not list(out.glob(".*.tmp"))


def test_leftover_temporaries_are_ignored_by_readers(saved: Path, tmp_path: Path) -> None:
    board = tmp_path / "board"
    (board / "results").mkdir(parents=True)
    assert cli("leaderboard", "add", str(saved), "--leaderboard", str(board)).exit_code == 0
    (board / "results" / ".oracle-v1.json.x1y2.tmp").write_text("{ half")
    assert cli("leaderboard", "validate", "--leaderboard", str(board)).exit_code == 0
    assert cli("leaderboard", "build", "--leaderboard", str(board)).exit_code == 0

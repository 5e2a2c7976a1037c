"""Reference models trained on labelled data sets (issue 22): data, stream, training, probes, bad input.

Every data set is written here in its official format (IDX, .mat, pickle batches), tiny; the
networks are shrunk (depth 4, batch 8) so each training takes a few steps.
"""

from __future__ import annotations

import json
from pathlib import Path

import numpy as np
import pytest
import torch
from click.testing import CliRunner

import reference_models
from cli_assertions import one_error_line
from interpbench.cli import main
from interpbench.datasets.training import load_training_data, parse_dataset_spec
from interpbench.errors import CheckpointError, DataError, OptionError
from reference_models.training.data_stream import DatasetStream
from test_datasets import md5, server, write_cifar, write_mnist, write_svhn  # noqa: F401 - server is a fixture

TINY = {"depth": 4, "batch_size": 8}
BUDGET = dict(kimg=16 / 1024, eval_every_kimg=8 / 1024, progress=False)  # 2 steps of 8, evaluated after each


def files_for(name: str, directory: Path) -> Path | None:
    """Official-format files of data set ``name`` in ``directory`` (None for digits, which ships with sklearn)."""
    if name != "digits":
        directory.mkdir(parents=True, exist_ok=True)
    if name == "mnist":
        write_mnist(directory, n_train=40, n_test=20)
    elif name == "svhn":
        write_svhn(directory, n_train=40, n_test=20)
    elif name == "cifar10":
        write_cifar(directory, per_batch=8)
    else:
        return None
    return directory


# ----------------------------------------------------------------- data and stream
def test_training_data_is_the_training_part_only(tmp_path: Path) -> None:
    arrays = write_mnist(tmp_path, n_train=40, n_test=20)
    data = load_training_data("mnist", tmp_path)
    assert data.images.shape == (40, 1, 32, 32) and data.channels == 1
    np.testing.assert_array_equal(data.labels, arrays["train_labels"])
    # Every file of both parts is checksummed; the stream sees only the training images.
    assert {f["part"] for f in data.files} == {"train", "test"} and all(len(f["sha256"]) == 64 for f in data.files)
    stream = DatasetStream(data.images, 3, 16)
    seen = torch.cat([stream.next() for _ in range(10)])  # 4 epochs
    train_rows = {row.tobytes() for row in data.images.reshape(40, -1)}
    assert {row.tobytes() for row in seen.numpy().reshape(len(seen), -1)} == train_rows


def test_colour_data_sets_keep_three_channels(tmp_path: Path) -> None:
    (tmp_path / "svhn").mkdir()
    write_svhn(tmp_path / "svhn", n_train=6, n_test=3)
    assert load_training_data("svhn", tmp_path / "svhn").images.shape == (6, 3, 32, 32)
    write_cifar(tmp_path / "c", per_batch=2)
    assert load_training_data("cifar10", tmp_path / "c").images.shape == (10, 3, 32, 32)
    digits = load_training_data("digits")
    assert digits.images.shape == (1297, 1, 32, 32) and len(digits.info["sha256"]) == 64


def test_stream_visits_each_image_once_per_epoch_and_resumes() -> None:
    images = np.arange(10 * 1024, dtype=np.float32).reshape(10, 1, 32, 32)
    stream = DatasetStream(images, 7, 4)
    first = torch.cat([stream.next() for _ in range(5)])[:, 0, 0, 0].numpy()  # 20 images = 2 epochs
    assert sorted(first[:10]) == sorted(images[:, 0, 0, 0]) and sorted(first[10:]) == sorted(images[:, 0, 0, 0])
    stream = DatasetStream(images, 7, 4)
    stream.next(), stream.next()
    state = stream.state()
    rest = [stream.next() for _ in range(3)]
    again = DatasetStream(images, 7, 4)
    again.set_state(state)
    for a, b in zip(rest, [again.next() for _ in range(3)]):
        assert torch.equal(a, b)


def test_the_test_part_is_refused_for_training() -> None:
    assert parse_dataset_spec("mnist:train") == "mnist"
    with pytest.raises(OptionError, match="never uses the test part of 'mnist'"):
        parse_dataset_spec("mnist:test")


# ----------------------------------------------------------------- training and probing
@pytest.mark.parametrize("name", ["digits", "mnist", "svhn", "cifar10"])
def test_trains_at_two_latent_sizes_and_probes_from_the_checkpoint(name: str, tmp_path: Path) -> None:
    from interpbench.probes import probe

    data_dir = files_for(name, tmp_path / "data") if name != "digits" else None
    if data_dir is None and name != "digits":
        pytest.fail("no files")
    channels = 3 if name in ("svhn", "cifar10") else 1
    for latent in (2, 4):  # d_z = 32 and 64 at scales 3
        out = tmp_path / f"run-{latent}"
        run = reference_models.train("baseline", out, preset="downstream-cpu", dataset=name, data_dir=data_dir,
                                     config={**TINY, "latent": latent}, **BUDGET)
        assert run.finished and run.config["channels"] == channels and run.config["latent"] == latent
        summary = json.loads((out / "summary.json").read_text())
        assert summary["dataset"]["name"] == name and summary["dataset"]["channels"] == channels
        assert [e["step"] for e in summary["trail"]] == [1, 2]
        assert {"reconstruction_mse", "linear", "kmeans"} <= set(summary["trail"][-1])
        record = torch.load(out / "checkpoint.pt", weights_only=True)
        assert record["dataset"] == name and record["dataset_info"]["name"] == name
        if data_dir is not None:
            files = record["dataset_info"]["files"]
            assert {f["part"] for f in files} == {"train", "test"} and all(len(f["sha256"]) == 64 for f in files)
        model, info = reference_models.load_trained("baseline", out / "checkpoint.pt")
        result = probe(model, name, data_dir=data_dir, restarts=1, model_info=info)
        assert result.code_shape == [latent, 4, 4]
        assert result.dataset["image_shape"] == ([3, 32, 32] if channels == 3 else [32, 32])
        assert 0 <= result.accuracy["linear"] <= 100 and info["dataset"]["name"] == name


@pytest.mark.parametrize("name", ["digits", "mnist", "svhn", "cifar10"])
def test_resumed_data_set_run_equals_an_uninterrupted_one(name: str, tmp_path: Path) -> None:
    data_dir = files_for(name, tmp_path / "d")
    kw = dict(preset="downstream-cpu", dataset=name, data_dir=data_dir, config={**TINY, "latent": 2},
              eval_every_kimg=16 / 1024, progress=False)
    whole = reference_models.train("denoising", tmp_path / "a", kimg=48 / 1024, **kw)  # 6 steps: crosses epochs
    reference_models.train("denoising", tmp_path / "b", kimg=16 / 1024, **kw)
    # Resumed with the data set left out: the run's own, read again from the directory it recorded.
    resumed = reference_models.train("denoising", tmp_path / "b", kimg=48 / 1024, resume=True,
                                     **{**kw, "dataset": None, "data_dir": None, "preset": None})
    assert resumed.steps == whole.steps == 6 and resumed.dataset["name"] == name
    a = torch.load(tmp_path / "a" / "checkpoint.pt", weights_only=True)["state_dict"]
    b = torch.load(tmp_path / "b" / "checkpoint.pt", weights_only=True)["state_dict"]
    for key in a:
        assert torch.equal(a[key], b[key]), key
    # Resuming on another data set is refused, and so is resuming on changed files.
    other = "digits" if name != "digits" else "mnist"
    with pytest.raises((CheckpointError, OptionError, DataError), match="data set|preset"):
        reference_models.train("denoising", tmp_path / "b", kimg=64 / 1024, resume=True,
                               **{**kw, "dataset": other, "data_dir": files_for(other, tmp_path / "o"), "preset": None})
    if name == "mnist":
        write_mnist(data_dir, n_train=40, n_test=20)  # new random pixels under the same names
        with pytest.raises(CheckpointError, match="trained on other mnist files"):
            reference_models.train("denoising", tmp_path / "b", kimg=64 / 1024, resume=True, **kw)


def test_train_downloads_from_a_local_server(server, tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:  # noqa: F811
    from interpbench.datasets import REMOTES, Remote
    from interpbench.datasets import mnist

    base, served = server
    write_mnist(served, n_train=40, n_test=20, gz=True)
    remotes = tuple(Remote(n + ".gz", (f"{base}/{n}.gz",), md5=md5(served / (n + ".gz"))) for n in mnist.FILES.values())
    monkeypatch.setitem(REMOTES, "mnist", remotes)
    data = tmp_path / "data"
    res = CliRunner().invoke(main, ["train", "baseline", "--dataset", "mnist", "--data-dir", str(data), "--download",
                                    "--out", str(tmp_path / "run"), "--preset", "downstream-cpu", "--kimg", "0.015625",
                                    "--eval-every", "0.015625", "--set", "depth=4", "--set", "batch_size=8"])
    assert res.exit_code == 0, res.output
    assert "final evaluation on mnist" in res.output and "interpbench probe --model baseline" in res.output
    assert sorted(p.name for p in data.iterdir()) == sorted(n + ".gz" for n in mnist.FILES.values())


def test_probe_cli_on_a_colour_checkpoint(tmp_path: Path) -> None:
    files_for("svhn", tmp_path / "d")
    run = reference_models.train("vae", tmp_path / "run", preset="downstream-cpu", dataset="svhn", data_dir=tmp_path / "d",
                                 config={**TINY, "latent": 2}, **BUDGET)
    res = CliRunner().invoke(main, ["probe", "--model", "vae", "--checkpoint", run.checkpoint, "--dataset", "svhn",
                                    "--data-dir", str(tmp_path / "d"), "--restarts", "1", "--json"])
    assert res.exit_code == 0, res.output
    record = json.loads(res.output)
    assert record["dataset"]["image_shape"] == [3, 32, 32]
    assert "before the μ / log σ² heads" in record["model"]["probe_codes"]
    # The colour model cannot be probed on a grey data set.
    res = CliRunner().invoke(main, ["probe", "--model", "vae", "--checkpoint", run.checkpoint, "--dataset", "digits"])
    one_error_line(res, "takes colour (3-channel) images, but data set 'digits' is grey")


# ----------------------------------------------------------------- probe codes as the paper's
def test_probe_codes_follow_the_paper() -> None:
    x = torch.rand(3, 1, 32, 32) * 2 - 1
    vae = reference_models.build("vae", depth=4, scales=3)
    torch.testing.assert_close(vae.for_probes().encode(x), vae.encoder(x), rtol=0, atol=0)
    vq = reference_models.build("vqvae", depth=4, scales=3, latent=2, codebook_size=64)
    codes = vq.for_probes().encode(x).view(3 * vq.config.vectors, -1)
    book = vq.codebook
    assert all(any(torch.equal(c, row) for row in book) for c in codes)
    base = reference_models.build("baseline", depth=4)
    assert torch.equal(base.for_probes().encode(x), base.encode(x))


@pytest.mark.parametrize("name, config", [("vae", {"depth": 4, "scales": 3, "encode_sample": False}), ("vqvae", {"depth": 4, "scales": 3, "latent": 2, "codebook_size": 64}),
                                          ("baseline", {"depth": 4})])
def test_probe_codes_decode_to_the_models_own_reconstruction(name: str, config: dict) -> None:
    # The probe's sanity check decodes the probe codes: they must give what decode(encode(x)) gives,
    # not be fed to decode as if they were the interpolated code (VQ-VAE's are 10× as many values).
    # (A VAE decodes them through the posterior mean: compared with its mean-code round trip.)
    x = torch.rand(3, 1, 32, 32) * 2 - 1
    model = reference_models.build(name, **config).eval()
    view = model.for_probes()
    with torch.no_grad():
        torch.testing.assert_close(view.decode(view.encode(x)), model.decode(model.encode(x)), rtol=1e-5, atol=1e-6)


def test_the_probe_command_runs_its_sanity_check_on_a_vqvae(tmp_path: Path) -> None:
    out = tmp_path / "probe.json"
    result = CliRunner().invoke(main, ["probe", "--model", "vqvae", "--dataset", "lines", "--threads", "1", "--restarts", "1",
                                       "--output", str(out)])
    assert result.exit_code == 0, result.output
    assert json.loads(out.read_text())["model"]["probe_codes"].startswith("quantised code")


# ----------------------------------------------------------------- bad input
def _train(*args: str):  # type: ignore[no-untyped-def]
    return CliRunner().invoke(main, ["train", "baseline", "--kimg", "0.015625", "--set", "depth=4", "--set", "batch_size=8", *args])


def test_bad_inputs_are_one_sentence(tmp_path: Path) -> None:
    empty = tmp_path / "empty"
    empty.mkdir()
    out = str(tmp_path / "run")
    one_error_line(_train("--dataset", "mnist", "--data-dir", str(empty), "--out", out),
                   "mnist file 'train-images-idx3-ubyte' is missing from")
    assert "--download" in _train("--dataset", "mnist", "--data-dir", str(empty), "--out", out).output
    one_error_line(_train("--dataset", "mnist", "--out", out), "name their directory with --data-dir")
    (empty / "train-images-idx3-ubyte").write_bytes(b"not an idx file at all")
    (tmp_path / "other").mkdir()
    write_mnist(tmp_path / "other", n_train=4, n_test=2, gz=False)
    for name in ("train-labels-idx1-ubyte", "t10k-images-idx3-ubyte", "t10k-labels-idx1-ubyte"):
        (empty / name).write_bytes((tmp_path / "other" / name).read_bytes())
    one_error_line(_train("--dataset", "mnist", "--data-dir", str(empty), "--out", out), "is not an IDX file")
    one_error_line(_train("--dataset", "mnist:test", "--data-dir", str(empty), "--out", out),
                   "never uses the test part of 'mnist'")
    one_error_line(_train("--dataset", "nope", "--out", out), "unknown data set 'nope'")
    (tmp_path / "svhn").mkdir()
    write_svhn(tmp_path / "svhn", n_train=4, n_test=2)
    one_error_line(_train("--dataset", "svhn", "--data-dir", str(tmp_path / "svhn"), "--set", "channels=1", "--out", out),
                   "svhn is a colour data set")
    one_error_line(_train("--dataset", "digits", "--set", "channels=3", "--out", out), "digits is a grey data set")
    one_error_line(_train("--preset", "paper-mnist", "--dataset", "digits", "--out", out), "preset 'paper-mnist' is for data set mnist")
    assert not Path(out).exists()  # nothing was written by any refused training


# ----------------------------------------------------------------- tables and leaderboard
def test_tables_put_the_papers_value_beside_ours_with_budgets() -> None:
    from reference_models.downstream import DownstreamRun, downstream_tables

    runs = [DownstreamRun("baseline", 256, 0, "filed", 32.0, "downstream-cpu", {"linear": 50.0, "kmeans": 20.0}),
            DownstreamRun("acai", 256, 0, "filed", 32.0, "downstream-cpu", {"linear": 60.0, "kmeans": 30.0})]
    text = "\n".join(downstream_tables(runs, "svhn", [256]))
    assert "Table 2: single-layer classifier accuracy (%) on svhn" in text and "Table 3: clustering accuracy (%)" in text
    table2 = text.split("Table 3")[0]
    baseline = next(line for line in table2.splitlines() if line.startswith("Baseline"))
    acai = next(line for line in table2.splitlines() if line.startswith("ACAI"))
    assert "22.74 @ 16,384 kimg" in baseline and "50.00 @ 32 kimg" in baseline
    assert "85.14 @ 16,384 kimg" in acai and "60.00 @ 32 kimg" in acai
    assert "n/f" in text.split("Table 3")[1]  # no Table 3 value was found: said, not guessed


def test_reproduce_downstream_trains_files_and_prints_both_tables(tmp_path: Path) -> None:
    from interpbench.leaderboard.downstream import check_downstream_entry, load_downstream

    out, board = tmp_path / "out", tmp_path / "lb"
    base = ["reproduce", "--study", "downstream", "--dataset", "digits", "--models", "baseline,dropout", "--latent", "32,64",
            "--kimg", "0.015625", "--eval-every", "0.0078125", "--restarts", "1", "--out", str(out),
            "--leaderboard", str(board), "--set", "depth=4", "--set", "batch_size=8"]
    res = CliRunner().invoke(main, [*base, "--minutes", "1e-9"])  # no time: nothing trains, it says how to go on
    assert res.exit_code == 0, res.output
    assert "not finished: baseline d_z=32" in res.output and not (board / "downstream").exists()
    res = CliRunner().invoke(main, base)
    assert res.exit_code == 0, res.output
    for text in ("Table 2: single-layer classifier accuracy (%) on digits", "Table 3: clustering accuracy (%) on digits",
                 "d_z=32 paper", "d_z=64 ours", "@ 0.015625 kimg"):
        assert text in res.output
    rows = [line for line in res.output.splitlines() if line.startswith(("Baseline", "Dropout"))]
    assert len(rows) == 4  # two models in each table
    entries = load_downstream(board)
    assert sorted((e["model"]["name"], e["d_z"]) for e in entries) == [("baseline", 32), ("baseline", 64), ("dropout", 32), ("dropout", 64)]
    for e in entries:
        assert e["training"]["kimg"] == 0.015625 and e["training"]["preset"] == "downstream-cpu"
        assert e["dataset"]["name"] == "digits" and e["dataset"]["test_size"] == 500
    res = CliRunner().invoke(main, base)  # again: nothing retrained or filed twice
    assert res.exit_code == 0 and "filed " not in res.output, res.output
    # The leaderboard's downstream section renders, and a wrong d_z is refused.
    (board / "results").mkdir()
    res = CliRunner().invoke(main, ["leaderboard", "build", "--dir", str(board)])
    assert res.exit_code == 0, res.output
    readme = (board / "README.md").read_text()
    assert "## Downstream probes (paper Tables 2-3)" in readme and "| baseline | digits | 32 |" in readme
    bad = {**entries[0], "d_z": 256}
    with pytest.raises(DataError, match="d_z 256 is not the config's code size"):
        check_downstream_entry(bad)
    with pytest.raises(DataError, match="probes.linear"):
        check_downstream_entry({**entries[0], "probes": {**entries[0]["probes"], "linear": 140.0}})


def test_reproduce_downstream_bad_input_is_one_sentence(tmp_path: Path) -> None:
    base = ["reproduce", "--study", "downstream", "--out", str(tmp_path / "o")]
    one_error_line(CliRunner().invoke(main, base), "--study downstream needs --dataset", code=2)
    one_error_line(CliRunner().invoke(main, [*base, "--dataset", "digits", "--latent", "40"]), "d_z=40 is not a positive multiple of 16")
    one_error_line(CliRunner().invoke(main, [*base, "--dataset", "lines"]), "needs a labelled data set")
    one_error_line(CliRunner().invoke(main, [*base, "--dataset", "digits", "--latent", "a,b"]), "code sizes are integers", code=2)
    assert not (tmp_path / "o").exists()

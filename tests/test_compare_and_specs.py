"""Spec strings a user will try, torch callables, comparisons in `interpbench run`, and `interpbench plot`."""

import json
import os
import re
import subprocess
import sys
import warnings

import numpy as np
import pytest
import torch
from click.testing import CliRunner

import interpbench
from interpbench import SpecError
from interpbench.cli import main

IMAGES = interpbench.render(np.linspace(0, 6, 10))
runner = CliRunner()


def invoke(*args):
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        return runner.invoke(main, list(args))


# ------------------------------------------------------------------ torch callables
ENC = torch.nn.Sequential(torch.nn.Flatten(), torch.nn.Linear(1024, 8), torch.nn.Dropout(0.5))
DEC = torch.nn.Linear(8, 1024)


def test_pair_of_torch_modules_gets_tensors_eval_mode_and_no_grad():
    seen = []
    ENC.train()
    hook = ENC.register_forward_pre_hook(lambda m, args: seen.append((type(args[0]), m.training, torch.is_grad_enabled())))
    try:
        harness = interpbench.as_harness((ENC, DEC), layout="NCHW")
        out = harness.decode(harness.encode(IMAGES))
    finally:
        hook.remove()
    assert out.shape == (10, 32, 32) and seen == [(torch.Tensor, False, False)]


@pytest.mark.filterwarnings("ignore::interpbench.errors.InterpbenchWarning")  # an untrained pair
def test_pair_of_torch_functions_is_recognised():
    enc = lambda x: ENC(x)  # noqa: E731 - a global module inside a lambda
    scale = torch.tensor(2.0)

    def make():
        return lambda z: torch.tanh(DEC(z) * scale)  # a closure over torch objects

    adapter = interpbench.FunctionAdapter(enc, make())
    assert adapter.torch_modules == [ENC, DEC]
    result = interpbench.score((enc, make()), pairs=4, layout="NCHW")
    assert result.seeds[0].images.shape == (4, 16, 32, 32)
    plain = interpbench.FunctionAdapter(lambda x: x.reshape(len(x), -1), lambda z: z)
    assert not hasattr(plain, "torch_modules")
    assert hasattr(interpbench.FunctionAdapter(np.asarray, np.asarray, torch=True), "torch_modules")


# ------------------------------------------------------------------ spec strings
ADAPTER_MODULE = """
import numpy as np
class Identity:
    input_layout = "NHW"
    def encode(self, x): return x
    def decode(self, z): return z
def make_pair():
    return (lambda x: x.reshape(len(x), -1), lambda z: z.reshape(-1, 32, 32))
PAIR = (lambda x: x.reshape(len(x), -1), lambda z: z.reshape(-1, 32, 32))
"""


def test_module_in_the_current_directory_resolves_as_under_python_m(tmp_path, monkeypatch):
    (tmp_path / "cwd_adapters_q.py").write_text(ADAPTER_MODULE)
    monkeypatch.chdir(tmp_path)
    monkeypatch.setattr(sys, "path", [p for p in sys.path if p not in ("", os.getcwd(), str(tmp_path))])
    assert type(interpbench.load_adapter("cwd_adapters_q:Identity")).__name__ == "Identity"
    assert str(tmp_path) not in sys.path  # not left behind
    # A factory returning a pair, and a module-level pair.
    for spec in ("cwd_adapters_q:make_pair", "cwd_adapters_q:PAIR"):
        assert isinstance(interpbench.load_adapter(spec), interpbench.FunctionAdapter)
        assert interpbench.score(spec, pairs=4, layout="NHW").warnings == []


def test_missing_module_says_how_to_make_it_importable():
    with pytest.raises(SpecError, match=r"pip install -e \.\).*PYTHONPATH"):
        interpbench.load_adapter("no_such_pkg_zz.models:load")


def test_failing_import_inside_a_module_is_not_blamed_on_the_path(tmp_path, monkeypatch):
    (tmp_path / "broken_dep_q.py").write_text("import no_such_dependency_zz\n")
    monkeypatch.chdir(tmp_path)
    with pytest.raises(SpecError, match="No module named 'no_such_dependency_zz'") as info:
        interpbench.load_adapter("broken_dep_q:x")
    assert "PYTHONPATH" not in str(info.value)


# ------------------------------------------------------------------ --name, comparisons
def test_name_sets_display_name_and_leaderboard_id(tmp_path):
    out = tmp_path / "r.json"
    result = invoke("run", "--adapter", "pixels", "--pairs", "4", "--name", "My Crossfade", "--output", str(out))
    assert result.exit_code == 0 and "model: My Crossfade" in result.output
    record = json.loads(out.read_text())
    assert record["model"]["name"] == "My Crossfade"
    added = invoke("leaderboard", "add", str(out), "--dir", str(tmp_path / "lb"), "--dry-run")
    assert added.exit_code == 0 and "my-crossfade" in added.output.lower()


def test_several_models_are_compared_under_one_protocol(tmp_path):
    out = tmp_path / "cmp.json"
    scatter = tmp_path / "cmp.png"
    result = invoke("run", "--adapter", "oracle", "--adapter", "pixels", "--seeds", "0-1", "--pairs", "4",
                    "--output", str(out), "--figure", str(scatter))
    assert result.exit_code == 0, result.output
    lines = result.output.splitlines()
    assert sum(line.startswith(("oracle", "pixels")) for line in lines) == 2 and "Mean Distance ×10⁻³" in result.output
    files = sorted(re.sub(r"\.[0-9a-f]{16}\.npz$", ".<digest>.npz", p.name) for p in tmp_path.iterdir())
    assert files == ["cmp.oracle.images.<digest>.npz", "cmp.oracle.json", "cmp.pixels.images.<digest>.npz", "cmp.pixels.json", "cmp.png"]
    records = [json.loads((tmp_path / f"cmp.{n}.json").read_text()) for n in ("oracle", "pixels")]
    assert records[0]["protocol"] == records[1]["protocol"]
    assert scatter.read_bytes()[:8] == b"\x89PNG\r\n\x1a\n"


def test_comparison_json_names_and_usage_errors(tmp_path):
    both = invoke("run", "--adapter", "pixels", "--adapter", "pixels", "--pairs", "4", "--json", "--name", "a", "--name", "b")
    assert both.exit_code == 0 and [r["model"]["name"] for r in json.loads(both.output)] == ["a", "b"]
    same = invoke("run", "--adapter", "pixels", "--adapter", "pixels", "--pairs", "4", "--output", str(tmp_path / "x.json"))
    assert same.exit_code == 2 and "--name" in same.output and not list(tmp_path.iterdir())
    count = invoke("run", "--adapter", "pixels", "--adapter", "oracle", "--name", "only-one")
    assert count.exit_code == 2 and "once per model" in count.output
    for command in (["check", "--baseline", "b.json"], ["probe", "--dataset", "digits"]):
        repeated = invoke(*command, "--adapter", "pixels", "--adapter", "oracle")
        assert repeated.exit_code == 2 and "takes one model, got 2" in repeated.output


@pytest.mark.filterwarnings("ignore::interpbench.errors.InterpbenchWarning")  # a constant decoder
def test_undefined_smoothness_reads_the_same_in_every_table():
    constant = (lambda x: x[:, :1], lambda z: np.zeros((len(z), 32, 32)) - 1)
    result = interpbench.score(constant, pairs=4, seeds=[0, 1], layout="flat")
    assert "undefined (8 of 8)" in result.table() and "nan" not in result.table()
    from interpbench.compare import comparison_table

    table = comparison_table([result, interpbench.score("pixels", pairs=4, seeds=[0, 1])])
    assert "undefined (8 of 8)" in table and "nan" not in table.lower().replace("mean", "")


# ------------------------------------------------------------------ plot from saved results
def test_plot_draws_from_saved_results_without_rescoring(tmp_path, monkeypatch):
    result = interpbench.score("oracle", pairs=4, seeds=[0, 1])
    result.save(tmp_path / "o.json")
    interpbench.score("pixels", pairs=4, seeds=[0, 1]).save(tmp_path / "p.json")
    record = json.loads((tmp_path / "o.json").read_text())
    assert record["images"]["file"] == f"o.images.{record['images']['sha256'][:16]}.npz" and len(record["images"]["sha256"]) == 64
    loaded = interpbench.Result.load(tmp_path / "o.json")
    np.testing.assert_allclose(loaded.images, result.images, atol=1e-6)

    from interpbench import protocol

    monkeypatch.setattr(protocol, "score", lambda *a, **k: pytest.fail("plot must not re-score"))
    for kind in ("grid", "trajectory"):
        done = invoke("plot", str(tmp_path / "o.json"), "--kind", kind)
        assert done.exit_code == 0, done.output
        assert (tmp_path / f"o.{kind}.png").read_bytes()[:4] == b"\x89PNG"
    scatter = invoke("plot", str(tmp_path / "o.json"), str(tmp_path / "p.json"), "--kind", "scatter", "--output", str(tmp_path / "s.png"))
    assert scatter.exit_code == 0 and (tmp_path / "s.png").is_file()
    assert invoke("plot", str(tmp_path / "o.json"), str(tmp_path / "p.json")).exit_code == 2


def test_plot_names_a_missing_or_changed_images_file(tmp_path):
    interpbench.score("oracle", pairs=4).save(tmp_path / "o.json")
    npz = tmp_path / json.loads((tmp_path / "o.json").read_text())["images"]["file"]
    data = npz.read_bytes()
    npz.write_bytes(data[:-10])
    changed = invoke("plot", str(tmp_path / "o.json"))
    assert changed.exit_code == 1 and "does not match the sha256" in changed.output
    npz.unlink()
    missing = invoke("plot", str(tmp_path / "o.json"))
    assert missing.exit_code == 1 and npz.name in missing.output and "missing" in missing.output
    assert not (tmp_path / "o.grid.png").exists()


def test_threads_option_on_run_and_check(tmp_path):
    base = tmp_path / "b.json"
    assert invoke("check", "--adapter", "pixels", "--pairs", "4", "--seeds", "0", "--baseline", str(base), "--write-baseline", "--threads", "1").exit_code == 0
    assert invoke("check", "--adapter", "pixels", "--baseline", str(base), "--threads", "1").exit_code == 0
    assert invoke("run", "--adapter", "pixels", "--pairs", "4", "--threads", "1").exit_code == 0
    assert "--threads" in invoke("run", "--help").output


def test_cli_runs_as_console_script_from_a_user_folder(tmp_path):
    (tmp_path / "userpkg_q.py").write_text(ADAPTER_MODULE)
    script = os.path.join(os.path.dirname(sys.executable), "interpbench")
    proc = subprocess.run([script, "run", "--adapter", "userpkg_q:Identity", "--pairs", "4"], cwd=tmp_path,
                          capture_output=True, text=True)
    assert proc.returncode == 0, proc.stderr


@pytest.mark.filterwarnings("ignore::interpbench.errors.InterpbenchWarning")  # a constant decoder
def test_undefined_counts_agree_between_result_table_and_baseline_check(tmp_path):
    from interpbench.check import compare, write_baseline

    constant = (lambda x: x[:, :1], lambda z: np.zeros((len(z), 32, 32)) - 1)
    result = interpbench.score(constant, pairs=4, seeds=[0, 1], layout="flat")
    write_baseline(result, tmp_path / "b.json")
    table = compare(result, tmp_path / "b.json").table()
    row = next(line for line in table.splitlines() if line.startswith("undefined Smoothness"))
    assert row.count("8 of 8") == 2
    assert "8 of 8" in next(line for line in result.table().splitlines() if line.startswith("undefined Smoothness"))


def test_training_progress_line_never_prints_none():
    from reference_models.training.trail import evaluation_line

    line = evaluation_line({"kimg": 16, "mean_distance": 0.03, "smoothness": None, "n_undefined": 64, "pairs": 64,
                            "output_spread": 0.01, "collapsed": True})
    assert "None" not in line and "undefined" in line


@pytest.mark.filterwarnings("ignore::interpbench.errors.InterpbenchWarning")
def test_comparison_columns_stay_apart_when_every_path_is_undefined():
    # "undefined (1280 of 1280)" once filled its fixed-width column and ran into the next one.
    import numpy as np

    from interpbench.compare import comparison_table

    line = interpbench.render(np.array([0.3]))[0]
    constant = (lambda x: np.zeros((len(x), 2)), lambda z: np.repeat(line[None], len(z), axis=0))
    seeds = [0, 1, 2, 3, 4]
    results = [interpbench.score(constant, pairs=256, steps=2, seeds=seeds, layout="NHW", name="constant"),
               interpbench.score("oracle", pairs=256, steps=2, seeds=seeds)]
    table = comparison_table(results)
    row = next(r for r in table.splitlines() if r.startswith("constant"))
    assert "undefined (1280 of 1280)" in row
    before, _, after = row.partition("undefined (1280 of 1280)")
    assert before.endswith("  ") and after.startswith("  ")
    header = next(r for r in table.splitlines() if r.startswith("model"))
    # right-aligned under its header
    assert header.index("Smoothness") + len("Smoothness") == row.index("undefined (") + len("undefined (1280 of 1280)")

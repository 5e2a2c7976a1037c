"""Property-based tests (Hypothesis) of everything a user feeds interpbench as text or a file.

Each reader gets mutated versions of a valid input: JSON records with one value replaced,
removed or retyped, files with bytes flipped, cut off or appended, and arbitrary option strings.
Whatever the mutation, the reader either accepts the input or raises an ``InterpbenchError``
subclass with a message: never another exception, which the CLI would show as a traceback.
Example counts keep the whole module to a few seconds on 2 cores; ``deadline=None`` because the
shared test machine's timing varies.
"""

from __future__ import annotations

import copy
import gzip
import json
import pickle
import struct
import tempfile
from collections.abc import Callable
from pathlib import Path
from typing import Any

import numpy as np
import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

import interpbench
from interpbench.check import baseline_from_result, compare, load_baseline
from interpbench.cli.options import MAX_SEEDS, parse_overrides, parse_seeds
from interpbench.datasets.cifar10 import read_batch
from interpbench.datasets.mnist import read_idx
from interpbench.datasets.svhn import read_mat
from interpbench.errors import InterpbenchError
from interpbench.jsonfile import read_json
from interpbench.leaderboard.entries import entry_from_results, load_entries
from interpbench.result import Result
from reference_models import make_config, model_names

FUZZ = settings(max_examples=300, deadline=None, suppress_health_check=[HealthCheck.too_slow, HealthCheck.data_too_large])


def accepted_or_named(call: Callable[[], Any]) -> Any:
    """Run ``call``; an interpbench error must carry a message, any other exception fails the test."""
    try:
        return call()
    except InterpbenchError as exc:
        assert str(exc).strip(), f"{type(exc).__name__} without a message"
        return None


# ------------------------------------------------------------------------- valid inputs
@pytest.fixture(scope="module")
def result_record() -> dict[str, Any]:
    """A small result with the model record of a trained reference model, so every optional field is there to damage."""
    model_info = {
        "name": "acai", "checkpoint_sha256": "a" * 64, "bundled": False, "preset": "quick", "kimg": 64.0, "train_seed": 0,
        "config": {"depth": 16, "lr": 5e-4},
        "training": {"hardware": "test CPU", "wall_clock_s": 100.0, "samples_per_s": 655.36},
        "trail": {"mean_distance": 0.004, "smoothness": 0.1, "evaluations": 4, "complete": False},
    }
    return interpbench.score("oracle", seeds=[0, 1], pairs=3, steps=4, model_info=model_info).to_dict()


@pytest.fixture(scope="module")
def workdir(tmp_path_factory: pytest.TempPathFactory) -> Path:
    return tmp_path_factory.mktemp("fuzz")


# ------------------------------------------------------------------- JSON mutations
# Besides small values, the extremes a hand-edited file may hold: 64-bit limits, integers no float can
# hold (refused on reading), the largest and smallest floats (whose sums and squares overflow).
EXTREMES = st.sampled_from([2**63 - 1, -(2**63), 2**63, 10**400, 1e308, -1e308, 5e-324, 1e-300, 0, -1])
JSON_VALUES = st.recursive(
    st.none() | st.booleans() | st.integers() | st.floats(allow_nan=False, allow_infinity=False) | st.text(max_size=8) | EXTREMES,
    lambda children: st.lists(children, max_size=3) | st.dictionaries(st.text(max_size=6), children, max_size=3),
    max_leaves=6,
)


def mutate(data: st.DataObject, document: Any) -> Any:
    """``document`` with one value somewhere in it replaced, deleted, emptied or duplicated."""
    doc = copy.deepcopy(document)
    parent: Any = None
    key: Any = None
    node = doc
    while isinstance(node, (dict, list)) and node and data.draw(st.booleans(), label="descend"):
        keys = list(node) if isinstance(node, dict) else list(range(len(node)))
        parent, key = node, data.draw(st.sampled_from(keys), label="key")
        node = node[key]
    action = data.draw(st.sampled_from(["replace", "delete", "empty", "duplicate"]), label="action")
    if parent is None:
        return data.draw(JSON_VALUES) if action == "replace" else doc
    if action == "replace":
        parent[key] = data.draw(JSON_VALUES, label="value")
    elif action == "delete":
        del parent[key]
    elif action == "empty":
        parent[key] = type(node)() if isinstance(node, (dict, list, str)) else None
    elif isinstance(parent, list):
        parent.append(copy.deepcopy(node))
    else:
        parent[f"{key}_copy"] = copy.deepcopy(node)
    return doc


def mutate_text(data: st.DataObject, text: str) -> str:
    """``text`` with a stretch cut out or replaced by arbitrary characters (truncation included)."""
    lo = data.draw(st.integers(0, len(text)), label="from")
    hi = data.draw(st.integers(lo, min(len(text), lo + 40)), label="to")
    return text[:lo] + data.draw(st.text(max_size=12), label="inserted") + text[hi:]


def write_json_file(folder: Path, data: st.DataObject, document: Any, name: str = "record.json") -> Path:
    """A mutated ``document`` as a file: structurally mutated JSON, or (sometimes) damaged text."""
    text = json.dumps(mutate(data, document))
    if data.draw(st.booleans(), label="damage text"):
        text = mutate_text(data, text)
    path = folder / name
    path.write_text(text, encoding="utf-8")
    return path


@FUZZ
@given(data=st.data())
def test_result_json(result_record: dict[str, Any], workdir: Path, data: st.DataObject) -> None:
    path = write_json_file(workdir, data, result_record)
    accepted_or_named(lambda: Result.load(path))
    accepted_or_named(lambda: entry_from_results([read_json(path, "result")]))
    # `interpbench check --result FILE --write-baseline` and `check --result FILE --baseline B`
    accepted_or_named(lambda: baseline_from_result(read_json(path, "result")))
    accepted_or_named(lambda: compare(read_json(path, "result"), baseline_from_result(result_record)))


@FUZZ
@given(data=st.data())
def test_baseline_json(result_record: dict[str, Any], workdir: Path, data: st.DataObject) -> None:
    baseline = baseline_from_result(result_record)
    path = write_json_file(workdir, data, baseline, "baseline.json")
    loaded = accepted_or_named(lambda: load_baseline(path))
    if loaded is not None:
        accepted_or_named(lambda: compare(result_record, loaded, baseline_path=str(path)))


@FUZZ
@given(data=st.data())
def test_leaderboard_entries(result_record: dict[str, Any], data: st.DataObject) -> None:
    entry = entry_from_results([result_record])
    with tempfile.TemporaryDirectory() as root:
        (Path(root) / "results").mkdir()
        write_json_file(Path(root) / "results", data, entry, f"{entry['id']}.json")
        accepted_or_named(lambda: load_entries(root))


# ------------------------------------------------------------------- binary mutations
def mutate_bytes(data: st.DataObject, raw: bytes) -> bytes:
    """``raw`` with bytes flipped, a stretch cut out, or bytes appended; header bytes are favoured."""
    out = bytearray(raw)
    for _ in range(data.draw(st.integers(1, 4), label="edits")):
        kind = data.draw(st.sampled_from(["flip", "cut", "append", "header"]), label="edit")
        if kind == "flip" and out:
            i = data.draw(st.integers(0, len(out) - 1))
            out[i] = data.draw(st.integers(0, 255))
        elif kind == "header" and out:
            i = data.draw(st.integers(0, min(len(out), 64) - 1))
            out[i] = data.draw(st.integers(0, 255))
        elif kind == "cut" and out:
            lo = data.draw(st.integers(0, len(out)))
            out = out[:lo] + out[data.draw(st.integers(lo, len(out))):]
        else:
            out += data.draw(st.binary(max_size=16))
    return bytes(out)


def idx_bytes(shape: tuple[int, ...]) -> bytes:
    body = np.arange(int(np.prod(shape)), dtype=np.uint8).tobytes()
    return bytes([0, 0, 8, len(shape)]) + struct.pack(f">{len(shape)}I", *shape) + body


@FUZZ
@given(data=st.data(), zipped=st.booleans(), ndim=st.sampled_from([1, 3]))
def test_idx_reader(workdir: Path, data: st.DataObject, zipped: bool, ndim: int) -> None:
    raw = mutate_bytes(data, idx_bytes((3, 28, 28) if ndim == 3 else (3,)))
    path = workdir / "images-idx-ubyte"
    path.write_bytes(gzip.compress(raw) if zipped else raw)
    accepted_or_named(lambda: read_idx(path, ndim))


@pytest.fixture(scope="module")
def svhn_bytes(workdir: Path) -> bytes:
    import scipy.io

    path = workdir / "valid_32x32.mat"
    scipy.io.savemat(path, {"X": np.zeros((32, 32, 3, 2), dtype=np.uint8), "y": np.array([[10], [3]], dtype=np.uint8)})
    return path.read_bytes()


@settings(FUZZ, max_examples=200)
@given(data=st.data())
def test_svhn_reader(svhn_bytes: bytes, workdir: Path, data: st.DataObject) -> None:
    path = workdir / "test_32x32.mat"
    path.write_bytes(mutate_bytes(data, svhn_bytes))
    accepted_or_named(lambda: read_mat(path))


CIFAR_BATCH = pickle.dumps({b"data": np.zeros((2, 3072), dtype=np.uint8), b"labels": [0, 9]}, protocol=2)


@FUZZ
@given(data=st.data())
def test_cifar_reader(workdir: Path, data: st.DataObject) -> None:
    path = workdir / "data_batch_1"
    path.write_bytes(mutate_bytes(data, CIFAR_BATCH))
    accepted_or_named(lambda: read_batch(path))


# --------------------------------------------------------------------- option strings
SEED_TEXT = st.text(alphabet="0123456789-, ²٣a", max_size=14) | st.text(max_size=10)


@FUZZ
@given(text=SEED_TEXT)
def test_seed_ranges(text: str) -> None:
    seeds = accepted_or_named(lambda: parse_seeds(text))
    if seeds is not None:
        assert seeds and len(seeds) <= MAX_SEEDS and len(set(seeds)) == len(seeds) and min(seeds) >= 0


FIELDS = st.sampled_from(["lr", "latent", "batch_size", "depth", "scales", "keep_prob", "critic_lr", "encode_sample",
                          "decay", "gamma", "noise_std", "codebook_size", "disc_layers", "nonsense"])
VALUES = (st.integers(-10**30, 10**30).map(str) | st.floats(allow_nan=True, allow_infinity=True).map(str)
          | st.sampled_from(["true", "false", "null", "NaN", "Infinity", "[1]", '{"a": 1}', '"x"', "1e999", "abc", ""])
          | st.text(max_size=8))


@FUZZ
@given(model=st.sampled_from(model_names()), field=FIELDS, value=VALUES, separator=st.sampled_from(["=", "", "=="]))
def test_set_values(model: str, field: str, value: str, separator: str) -> None:
    overrides = accepted_or_named(lambda: parse_overrides((f"{field}{separator}{value}",)))
    if overrides is not None:
        accepted_or_named(lambda: make_config(model, **overrides))

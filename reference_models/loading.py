"""Build a trained reference model from a checkpoint, with the provenance a result should carry."""

from __future__ import annotations

import dataclasses
import os
from typing import Any

import torch

from interpbench.devices import check_device
from interpbench.errors import CheckpointError

from .base import ReferenceModel
from .bundled import bundled_checkpoint
from .registry import build, canonical_name, make_config, model_entry
from .training.checkpoint import file_sha256, read_checkpoint
from .training.presets import IMAGES_PER_KIMG
from .training.data_trail import dataset_figure
from .training.trail import paper_figure
from .weight_codec import decode_state

__all__ = ["load_trained", "restore_weights"]


def decoded_state(record: dict[str, Any], source: str) -> dict[str, torch.Tensor]:
    """``record``'s state dict with its encoded tensors (a bundle's, :mod:`.weight_codec`) decoded to float32."""
    if "encoded_state" not in record:
        return record["state_dict"]
    try:
        return decode_state(record["state_dict"], record["encoded_state"], source)
    except (ValueError, KeyError, TypeError, AttributeError) as exc:
        raise CheckpointError(f"checkpoint {source!r} holds damaged encoded weights: {exc}") from None


def restore_weights(model: ReferenceModel, record: dict[str, Any], source: str) -> None:
    """Load ``record['state_dict']`` into ``model``; a shape or key mismatch is a :class:`CheckpointError`."""
    try:
        model.load_state_dict(model.expand_state(decoded_state(record, source)), strict=True)
    except (RuntimeError, KeyError, TypeError) as exc:
        first = str(exc).strip().splitlines()[0] if str(exc).strip() else type(exc).__name__
        raise CheckpointError(f"checkpoint {source!r} does not fit the {record['model']} model: {first}") from None


def _trained_on(record: dict[str, Any]) -> dict[str, Any]:
    """The data a checkpoint was trained on (checkpoints from before data sets: the line stream)."""
    return {"name": str(record.get("dataset") or "lines"), **(record.get("dataset_info") or {})}


def _trail_figure(record: dict[str, Any]) -> dict[str, Any] | None:
    """The paper-style figure of the run's trail: line metrics, or on a data set its probe and reconstruction medians."""
    trail = record.get("trail")
    if not trail:
        return None
    return paper_figure(trail) if _trained_on(record)["name"] == "lines" else dataset_figure(trail)


def load_trained(
    name: str, checkpoint: str | os.PathLike[str] | None = None, device: str | None = None,
    config: dict[str, Any] | None = None,
) -> tuple[torch.nn.Module, dict[str, Any]]:
    """Model ``name`` with the weights of ``checkpoint``, in eval mode, and its provenance ``model_info``.

    Without ``checkpoint`` the package's bundled checkpoint of ``name`` is used (its sha256 is
    checked against the registry). ``config`` overrides fields of the trained config that do
    not change the weights (e.g. ``{"encode_sample": False}``: a VAE scored on posterior means);
    ``model_info["config"]`` records the config scored, ``model_info["scoring_overrides"]`` the overrides. ``model_info`` = {"name", "checkpoint_sha256", "bundled",
    "preset", "kimg", "train_seed", "config", "training", "trail", "dataset"}, plus ``trained_suite`` (name and
    spec version) for a run trained on another suite than lines (``dataset``: what it was
    trained on, with its files' checksums; a data-set run also has ``dataset_trail``, the medians of
    its last 20 probe evaluations, and ``trail`` None); pass it to
    :func:`interpbench.score` so the result records which weights were scored and how they were
    trained ("trail": the paper-style median of the run's last 20 evaluations, if it kept a trail).
    """
    key = canonical_name(name)
    check_device(device)  # before the checkpoint is read: a device this machine lacks is one sentence
    if config:
        make_config(key, **config)  # a bad --set value is the user's, not the checkpoint's: say so
    bundled = checkpoint is None
    source = os.fspath(bundled_checkpoint(key, model_entry(key).bundled) if bundled else checkpoint)
    record = read_checkpoint(source, expected_model=key)
    try:
        model = build(key, seed=int(record["seed"]), **{**dict(record["config"]), **(config or {})})
    except Exception as exc:  # noqa: BLE001 - a config the registry rejects is a bad checkpoint
        raise CheckpointError(f"checkpoint {source!r} has a config the {key} model does not accept: {exc}") from None
    restore_weights(model, record, source)
    if device is not None:
        model.to(torch.device(device))
    model.eval()
    seconds = record.get("train_seconds")
    info = {
        "name": key,
        "checkpoint_sha256": file_sha256(source),
        "bundled": bundled,
        "preset": record.get("preset"),
        "kimg": float(record["kimg_done"]),
        "train_seed": int(record["seed"]),
        "config": dataclasses.asdict(model.config),
        **({"scoring_overrides": dict(config)} if config else {}),
        "training": {
            "hardware": record.get("hardware"),
            "wall_clock_s": None if seconds is None else float(seconds),
            "samples_per_s": None if not seconds else float(record["kimg_done"]) * IMAGES_PER_KIMG / float(seconds),
        },
        # On a data set the trail holds probe accuracies, not line metrics: a figure of its own.
        "trail": _trail_figure(record) if _trained_on(record)["name"] == "lines" else None,
        "dataset": _trained_on(record),
        **({} if _trained_on(record)["name"] == "lines" else {"dataset_trail": _trail_figure(record)}),
        # Only runs trained on another suite than lines say so: lines' records stay as they were.
        **({} if record.get("suite", "lines") == "lines" else {"trained_suite": record["suite_info"]}),
    }
    return model, info

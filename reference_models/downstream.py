"""The paper's downstream study (its Tables 2-3): train the reference models on a labelled data set
at chosen code sizes, probe each checkpoint, file it, and print both tables beside the paper's.

``interpbench reproduce --study downstream`` drives :func:`downstream`. Every (model, d_z, seed)
run lives in ``OUT/<dataset>/<model>-dz<d_z>/seed-N`` and resumes; a run that met its budget is
probed once (linear classifier and k-means on the codes the paper's probes saw), filed in the
leaderboard's downstream section, and marked done (``filed.json``), so running the same command
again continues what a time limit stopped and re-files nothing.
"""

from __future__ import annotations

import json
import time
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import numpy as np

from interpbench.atomic import write_text_atomic
from interpbench.errors import OptionError

from .loading import load_trained
from .registry import canonical_name, make_config
from .training.engine import train
from .training.presets import PAPER_KIMG, PRESETS, get_preset, latent_for

__all__ = ["DOWNSTREAM_ORDER", "DownstreamRun", "downstream", "downstream_tables", "default_preset"]

# The paper's table order (its Tables 2-3 list Baseline first and ACAI last).
DOWNSTREAM_ORDER = ("baseline", "dropout", "denoising", "vae", "aae", "vqvae", "acai")
FILED_NAME = "filed.json"
_LABELS = {"baseline": "Baseline", "dropout": "Dropout", "denoising": "Denoising", "vae": "VAE", "aae": "AAE",
           "vqvae": "VQ-VAE", "acai": "ACAI"}


@dataclass
class DownstreamRun:
    """One (model, d_z, seed) of the study: ``filed``, ``already filed`` or ``stopped``/``not started``."""

    model: str
    d_z: int
    seed: int
    status: str
    kimg: float | None = None
    preset: str | None = None
    accuracy: dict[str, float] = field(default_factory=dict)
    entry: str | None = None


def default_preset(dataset: str) -> str:
    """The paper's preset for ``dataset`` where the paper trained on it, else the CPU downstream preset."""
    name = f"paper-{dataset}"
    return name if name in PRESETS else "downstream-cpu"


def downstream(
    out: str | Path,
    *,
    dataset: str,
    d_zs: Sequence[int] = (256,),
    models: Sequence[str] = DOWNSTREAM_ORDER,
    seeds: Sequence[int] = (0,),
    preset: str | None = None,
    kimg: float | None = None,
    data_dir: str | None = None,
    download: bool = False,
    minutes: float | None = None,
    leaderboard: str | Path | None = None,
    restarts: int = 10,
    device: str | None = None,
    eval_every_kimg: float | None = None,
    config: dict[str, Any] | None = None,
    progress: bool | None = None,
    echo: Callable[[str], None] = print,
) -> list[DownstreamRun]:
    """Train, probe and file the downstream set on ``dataset`` for each code size in ``d_zs``; print Tables 2-3."""
    from interpbench.datasets.training import parse_dataset_spec
    from interpbench.leaderboard.downstream import add_downstream_entry, downstream_entry
    from interpbench.probes import probe

    dataset = parse_dataset_spec(dataset)
    if dataset == "lines":
        raise OptionError("the downstream study needs a labelled data set (digits, mnist, svhn, cifar10); "
                          "the lines study is `interpbench reproduce` without --study")
    names = [canonical_name(m) for m in models]
    if len(set(names)) != len(names):
        raise OptionError(f"a model is named twice in {list(models)}")
    if not d_zs or len(set(d_zs)) != len(d_zs):
        raise OptionError(f"name each code size once, e.g. --latent 32,256; got {list(d_zs)}")
    preset = preset or default_preset(dataset)
    p = get_preset(preset)
    scales = int({**p.config, **(config or {})}.get("scales", 4))
    latents = {d: latent_for(int(d), scales) for d in d_zs}  # every d_z checked before anything trains
    if minutes is not None and minutes <= 0:
        raise OptionError(f"minutes must be positive, got {minutes}")
    for name in names:  # a bad --set value is refused before a run directory is touched
        make_config(name, **{**p.config_for(name), **(config or {}), "latent": latents[d_zs[0]]})
    out = Path(out)
    board = Path(leaderboard) if leaderboard is not None else out / "leaderboard"
    deadline = None if minutes is None else time.monotonic() + 60.0 * minutes

    def out_of_time(_step: int = 0) -> bool:
        return deadline is not None and time.monotonic() >= deadline

    runs: list[DownstreamRun] = []
    for d_z in d_zs:
        for name in names:
            for seed in seeds:
                run_dir = out / dataset / f"{name}-dz{d_z}" / f"seed-{int(seed)}"
                marker = run_dir / FILED_NAME
                if marker.is_file():
                    runs.append(DownstreamRun(**{**json.loads(marker.read_text()), "status": "already filed"}))
                    continue
                if out_of_time():
                    runs.append(DownstreamRun(name, int(d_z), int(seed), "not started"))
                    continue
                record = train(name, run_dir, preset=preset, kimg=kimg, seed=int(seed), device=device, resume=True,
                               eval_every_kimg=eval_every_kimg, config={**(config or {}), "latent": latents[d_z]},
                               dataset=dataset, data_dir=data_dir, download=download, progress=progress,
                               should_stop=out_of_time)
                if not record.finished:
                    echo(f"{name} d_z={d_z} seed {seed}: stopped before its {record.kimg:g} kimg (time limit); "
                         "run the same command again to continue")
                    runs.append(DownstreamRun(name, int(d_z), int(seed), "stopped", record.kimg, preset))
                    continue
                model, info = load_trained(name, record.checkpoint, device=device)
                result = probe(model, dataset, data_dir=data_dir, restarts=restarts, seed=int(seed), model_info=info,
                               device=device)
                path = add_downstream_entry(board, downstream_entry(result, d_z=int(d_z), notes=(
                    f"interpbench reproduce --study downstream: {record.kimg:g} kimg, preset {preset}, seed {seed}")),
                    replace=True)
                done = DownstreamRun(name, int(d_z), int(seed), "filed", record.kimg, preset,
                                     {k: float(v) for k, v in result.accuracy.items()}, str(path))
                write_text_atomic(marker, json.dumps({k: v for k, v in done.__dict__.items() if k != "status"}, indent=1) + "\n")
                echo(f"{name} d_z={d_z} seed {seed}: linear {done.accuracy['linear']:.2f} %, k-means "
                     f"{done.accuracy['kmeans']:.2f} %; filed {path}")
                runs.append(done)
    for line in downstream_tables(runs, dataset, list(d_zs)):
        echo(line)
    return runs


def _ours(runs: list[DownstreamRun], probe: str) -> str:
    values = [r.accuracy[probe] for r in runs if r.accuracy]
    if not values:
        return "—"
    budget = f"{runs[0].kimg:g} kimg" if runs[0].kimg is not None else "?"
    text = f"{np.mean(values):.2f}" if len(values) == 1 else f"{np.mean(values):.2f} ± {np.std(values):.2f} (n={len(values)})"
    return f"{text} @ {budget}"


def downstream_tables(runs: Sequence[DownstreamRun], dataset: str, d_zs: Sequence[int]) -> list[str]:
    """Tables 2 and 3 laid out as the paper's (models down, code sizes across), the paper's value beside ours."""
    from interpbench.leaderboard.paper_downstream import NOT_FOUND, PAPER_TABLE2, PAPER_TABLE3, paper_value

    lines: list[str] = []
    for number, table, probe, title in ((2, PAPER_TABLE2, "linear", "single-layer classifier accuracy (%)"),
                                        (3, PAPER_TABLE3, "kmeans", "clustering accuracy (%)")):
        header = f"{'model':<11}" + "".join(f"{f'd_z={d} paper':>24}{f'd_z={d} ours':>30}" for d in d_zs)
        lines += ["", f"Table {number}: {title} on {dataset}; paper: {PAPER_KIMG:,} kimg per model, ours: budget beside each value",
                  header]
        for model in DOWNSTREAM_ORDER:
            mine = [r for r in runs if r.model == model]
            if not mine:
                continue
            row = f"{_LABELS[model]:<11}"
            for d in d_zs:
                paper = paper_value(table, model, dataset, d)
                row += f"{'n/f' if paper is None else f'{paper:.2f} @ {PAPER_KIMG:,} kimg':>24}"
                row += f"{_ours([r for r in mine if r.d_z == d], probe):>30}"
            lines.append(row)
    lines += ["", "n/f: the paper's value was not found. " + NOT_FOUND,
              "ours: interpbench's probes (logistic regression on standardised codes; k-means after SVD whitening, "
              "Hungarian-matched), not the paper's in-graph classifier; reduced budgets are not paper reproductions."]
    return lines

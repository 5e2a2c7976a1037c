"""Reproduce the paper's Table 1: train every model's seeds, score, probe, file, compare.

``interpbench reproduce`` drives :func:`reproduce`. One model at a time, ACAI and Baseline
first, its seeds train one after another (or with ``batched`` as one batched computation,
:func:`reference_models.train` with ``seeds``), each run in ``OUT/<model>/seed-N``. When a model's runs have met the budget they are scored
(5 protocol seeds each), the first run is probed on lines, one leaderboard entry with the spread
over training seeds is filed, and ``OUT/<model>/filed.json`` marks the model done. A time limit
stops the training cleanly, everything checkpointed; running the same command again continues
where it stopped and skips what is filed.
"""

from __future__ import annotations

import dataclasses
import json
import time
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import numpy as np

from interpbench.atomic import write_text_atomic
from interpbench.errors import OptionError
from interpbench.suites import get_suite

from .loading import load_trained
from .registry import canonical_name
from .training.engine import TrainRun, pick_device, run_directory, train
from .training.presets import IMAGES_PER_KIMG
from .training.trail import paper_figure

__all__ = ["PAPER_ORDER", "ModelOutcome", "reproduce", "table1_lines", "summary_lines"]

# Table 1's models, ACAI and Baseline first: the comparison that matters most lands first.
PAPER_ORDER = ("acai", "baseline", "dropout", "denoising", "vae", "aae", "vqvae")
FILED_NAME = "filed.json"


@dataclass
class ModelOutcome:
    """What :func:`reproduce` did with one model: ``filed``, ``already filed``, ``stopped`` or ``not started``."""

    model: str
    status: str
    runs: list[TrainRun] = field(default_factory=list)
    entry: str | None = None
    figures: list[dict[str, Any]] = field(default_factory=list)  # each run's paper-style figure


def reproduce(
    out: str | Path,
    *,
    models: Sequence[str] = PAPER_ORDER,
    seeds: Sequence[int] = (0, 1, 2),
    preset: str = "paper",
    kimg: float | None = None,
    minutes: float | None = None,
    leaderboard: str | Path | None = None,
    device: str | None = None,
    eval_every_kimg: float | None = None,
    eval_pairs: int | None = None,
    score_seeds: Sequence[int] = (0, 1, 2, 3, 4),
    probe_restarts: int = 10,
    config: dict[str, Any] | None = None,
    progress: bool | None = None,
    batched: bool = False,
    echo: Callable[[str], None] = print,
    pack: str | Path | None = None,
    tf32: bool | None = None,
    cuda_graph: bool | None = None,
    score_pairs: int | None = None,
    suite: str | None = None,
) -> list[ModelOutcome]:
    """Train, score and file the Table 1 set into ``out``; returns one :class:`ModelOutcome` per model.

    ``minutes`` bounds the wall time: training stops cleanly when it is spent (run again to
    continue). Entries are filed in ``leaderboard`` (default ``out/leaderboard``). ``batched``
    trains a model's seeds as one batched computation; off by default, since batching measured
    slower than one seed after another both on a 2-core CPU and on an H200 (see the README).

    ``score_pairs`` (default: the protocol's 256) is for rehearsals only. ``pack`` (a new or empty folder) is for a machine that will be gone afterwards: training stops
    early enough before ``minutes`` to score every run it trained, each run keeps one slim
    checkpoint, and the runs, scores, probes and provenance are packed into ``pack``
    (:mod:`reference_models.pack`) instead of being filed; ``interpbench reproduce --unpack``
    files them on a CPU. Nothing on this path imports jsonschema or Ray.

    ``suite`` (default lines) is the benchmark suite every run trains on, is scored on and is
    probed on (bins of its factors); only on lines is there a paper Table 1 to compare with.
    """
    suite = get_suite(suite).name  # an unknown suite is one sentence, before any training
    if pack is not None:
        return _reproduce_packed(out, Path(pack), models=models, seeds=seeds, preset=preset, kimg=kimg, minutes=minutes,
                                 device=device, eval_every_kimg=eval_every_kimg, eval_pairs=eval_pairs,
                                 score_seeds=score_seeds, probe_restarts=probe_restarts, config=config, progress=progress,
                                 batched=batched, echo=echo, tf32=tf32, cuda_graph=cuda_graph,
                                 score_pairs=score_pairs, suite=suite)
    from interpbench.leaderboard import add_entry, entry_from_results  # needs jsonschema: only when filing here

    names = [canonical_name(m) for m in models]
    if len(set(names)) != len(names):
        raise OptionError(f"a model is named twice in {list(models)}")
    if minutes is not None and minutes <= 0:
        raise OptionError(f"minutes must be positive, got {minutes}")
    out = Path(out)
    board = Path(leaderboard) if leaderboard is not None else out / "leaderboard"
    deadline = None if minutes is None else time.monotonic() + 60.0 * minutes

    def out_of_time(_step: int = 0) -> bool:
        return deadline is not None and time.monotonic() >= deadline

    outcomes: list[ModelOutcome] = []
    for name in names:
        marker = out / name / FILED_NAME
        if marker.is_file():
            filed = json.loads(marker.read_text())
            outcomes.append(ModelOutcome(name, "already filed", entry=filed["entry"], figures=filed["figures"]))
            continue
        if out_of_time():
            outcomes.append(ModelOutcome(name, "not started"))
            continue
        settings = dict(preset=preset, kimg=kimg, device=device, resume=True, eval_every_kimg=eval_every_kimg,
                        eval_pairs=eval_pairs, config=config, progress=progress, should_stop=out_of_time, tf32=tf32,
                        cuda_graph=cuda_graph, suite=suite)
        if batched:
            runs = train(name, out / name, seeds=list(seeds), **settings)
        else:  # the same run directories, one seed after another
            runs = [train(name, run_directory(out / name, s), seed=s, **settings) for s in seeds]
        if not all(r.finished for r in runs):
            done = min(r.steps for r in runs) * runs[0].config["batch_size"] / IMAGES_PER_KIMG
            echo(f"{name}: stopped at {done:g} of {runs[0].kimg:g} kimg (time limit); run the same command again to continue")
            outcomes.append(ModelOutcome(name, "stopped", runs=runs))
            continue
        echo(f"{name}: trained {len(runs)} seeds to {runs[0].kimg:g} kimg; scoring {len(score_seeds)} protocol seeds each")
        records, probes = [], None
        for i, run in enumerate(runs):
            model, info = load_trained(name, run.checkpoint, device=device)
            result = _score(model, info, score_seeds, score_pairs, suite)
            records.append(result.to_dict())
            if i == 0:
                probes = _suite_probes(model, info, probe_restarts, suite)
        entry = entry_from_results(
            records, probes=probes, labels=[r.checkpoint for r in runs],
            notes=f"interpbench reproduce ({suite} suite): {len(runs)} training seeds trained {'batched' if batched else 'one after another'}; "
                  f"probes on training seed {runs[0].seed}",
        )
        path = add_entry(board, entry)
        figures = [paper_figure(r.trail) for r in runs]
        write_text_atomic(marker, json.dumps({"entry": str(path), "figures": figures}, indent=1) + "\n")
        echo(f"{name}: filed {path}")
        outcomes.append(ModelOutcome(name, "filed", runs=runs, entry=str(path), figures=figures))
    for line in summary_lines(outcomes, suite):
        echo(line)
    return outcomes


def _reproduce_packed(out: str | Path, pack: Path, *, models: Sequence[str], seeds: Sequence[int], preset: str,
                      kimg: float | None, minutes: float | None, device: str | None, eval_every_kimg: float | None,
                      eval_pairs: int | None, score_seeds: Sequence[int], probe_restarts: int, config: dict[str, Any] | None,
                      progress: bool | None, batched: bool, echo: Callable[[str], None],
                      tf32: bool | None, cuda_graph: bool | None, score_pairs: int | None,
                      suite: str = "lines") -> list[ModelOutcome]:
    """:func:`reproduce` with ``pack``: deadline-bound training, every run scored here, packed for filing elsewhere."""
    from interpbench.provenance import environment

    from .bundle_export import export_bundle
    from .pack import PackedRun, write_pack
    from .registry import build, make_config
    from .training.presets import get_preset

    names = [canonical_name(m) for m in models]
    if len(set(names)) != len(names):
        raise OptionError(f"a model is named twice in {list(models)}")
    if minutes is not None and minutes <= 0:
        raise OptionError(f"minutes must be positive, got {minutes}")
    if pack.exists() and (not pack.is_dir() or any(pack.iterdir())):
        raise OptionError(f"--pack {str(pack)!r} is not an empty folder; pack into a new or empty one")
    get_preset(preset)
    out = Path(out)
    started = time.monotonic()
    deadline = None if minutes is None else started + 60.0 * minutes
    packed: list[PackedRun] = []
    outcomes: list[ModelOutcome] = []
    for rank, name in enumerate(names):
        fields = {**get_preset(preset).config_for(name), **(config or {})}
        # What scoring and probing this model's runs will cost, timed on an untrained copy here:
        # training stops that long (plus a margin) before the deadline.
        per_seed, probe_s = _scoring_cost(build(name, **dataclasses.asdict(make_config(name, **fields))), device, probe_restarts,
                                          score_pairs, suite)
        reserve = 1.25 * (len(seeds) * len(score_seeds) * per_seed + probe_s) + 5.0
        stop_at = None if deadline is None else deadline - reserve
        if stop_at is not None and time.monotonic() >= stop_at:
            echo(f"{name}: not started (its scoring needs ~{reserve:.0f} s; the deadline is nearer)")
            outcomes.append(ModelOutcome(name, "not started"))
            continue

        def out_of_time(_step: int = 0, stop_at: float | None = stop_at) -> bool:
            return stop_at is not None and time.monotonic() >= stop_at

        settings = dict(preset=preset, kimg=kimg, device=device, eval_every_kimg=eval_every_kimg, eval_pairs=eval_pairs,
                        config=config, progress=progress, should_stop=out_of_time, tf32=tf32, slim_final_checkpoint=True,
                        cuda_graph=cuda_graph, suite=suite)
        if batched:
            runs = train(name, out / name, seeds=list(seeds), **settings)
        else:
            runs = [train(name, run_directory(out / name, s), seed=s, **settings) for s in seeds]
        runs = [r for r in runs if r.steps > 0]  # stopped before a single step: nothing to score
        for i, run in enumerate(runs):
            slim, _ = export_bundle(run.checkpoint, Path(run.checkpoint).with_name("slim.pt"))
            model, info = load_trained(name, slim, device=device)
            result = _score(model, info, score_seeds, score_pairs, suite).to_dict()
            probes = _suite_probes(model, info, probe_restarts, suite) if i == 0 else None
            packed.append(PackedRun(name, run.seed, slim, run.to_dict(), result, probes,
                                    extra={"seed_rank": i, "model_rank": rank}))
        state = "trained" if all(r.finished for r in runs) else "stopped"
        echo(f"{name}: {state} {len(runs)} seeds, {runs[0].steps if runs else 0} steps; scored and ready to pack")
        outcomes.append(ModelOutcome(name, "packed" if runs else "not started", runs=runs,
                                     figures=[paper_figure(r.trail) for r in runs]))
    provenance = {**environment(str(pick_device(device))), "command": {
        "models": names, "seeds": list(seeds), "preset": preset, "kimg": kimg, "minutes": minutes,
        "score_seeds": list(score_seeds), "probe_restarts": probe_restarts, "config": config or {}, "tf32": tf32,
        **({} if suite == "lines" else {"suite": suite})},
        "wall_seconds": time.monotonic() - started}
    path = write_pack(pack, packed, provenance, echo=echo)
    echo(f"packed {len(packed)} runs into {path.parent} ({time.monotonic() - started:.0f} s in all)")
    for line in summary_lines(outcomes, suite):
        echo(line)
    return outcomes


def _scoring_cost(model: Any, device: str | None, restarts: int, pairs: int | None,
                  suite: str = "lines") -> tuple[float, float]:
    """Seconds to score one protocol seed and to probe, timed on ``model`` (untrained: same work)."""
    import warnings

    import interpbench
    from interpbench.errors import InterpbenchWarning

    dev = pick_device(device)
    model = model.to(dev).eval()
    t0 = time.perf_counter()
    interpbench.score(model, seeds=[0], keep_images=False, checks=False, **({"pairs": pairs} if pairs else {}),
                      search_device=_search_device(dev, suite), suite=suite)
    t1 = time.perf_counter()
    with warnings.catch_warnings():  # an untrained copy fails the probe's sanity checks by design
        warnings.simplefilter("ignore", InterpbenchWarning)
        _suite_probes(model, None, restarts, suite)
    return t1 - t0, time.perf_counter() - t1


def _search_device(device: Any, suite: str) -> str | None:
    # The lines bank searches where the model is (the same lines as on a CPU); the other suites' exact searches run on the CPU.
    return str(device) if device.type != "cpu" and suite == "lines" else None


def _score(model: Any, info: dict[str, Any], seeds: Sequence[int], pairs: int | None = None, suite: str = "lines") -> Any:
    import interpbench

    where = next(model.parameters()).device
    return interpbench.score(model, seeds=list(seeds), model_info=info, keep_images=False, **({"pairs": pairs} if pairs else {}),
                             search_device=_search_device(where, suite), suite=suite)


def _suite_probes(model: Any, info: dict[str, Any] | None, restarts: int, suite: str = "lines") -> dict[str, float]:
    """Probe accuracies on the suite's own labelled data set (bins of its factors), keyed ``suite/probe``."""
    from interpbench.probes import probe

    result = probe(model, suite, restarts=restarts, model_info=info)
    return {f"{suite}/{name}": float(acc) for name, acc in result.accuracy.items()}


def summary_lines(outcomes: Sequence[ModelOutcome], suite: str = "lines") -> list[str]:
    """Table 1 beside the paper's on lines; on another suite (no published numbers) our figures alone."""
    if suite == "lines":
        return table1_lines(outcomes)
    lines = ["", f"{suite} suite (Mean Distance ×10⁻³, Smoothness; median of the last 20 evaluations, mean ± std over runs)",
             f"{'model':<10}{'MD':>16}{'Sm':>16}  runs"]
    for o in outcomes:
        lines.append(f"{o.model:<10}{_mean_std([f['mean_distance'] for f in o.figures], 1e3):>16}"
                     f"{_mean_std([f['smoothness'] for f in o.figures], 1.0):>16}  {len(o.figures) or '—'}")
    return lines


def table1_lines(outcomes: Sequence[ModelOutcome]) -> list[str]:
    """The paper's Table 1 beside ours: the paper-style figure (median of the last 20), mean ± std over runs."""
    from interpbench.leaderboard.paper import PAPER_TABLE1, paper_key

    ours = {o.model: o.figures for o in outcomes if o.figures}
    lines = ["", "Table 1 (Mean Distance ×10⁻³, Smoothness; ours: median of the last 20 evaluations, mean ± std over runs)",
             f"{'model':<10}{'paper MD':>14}{'ours MD':>16}{'paper Sm':>14}{'ours Sm':>16}  runs"]
    for row in PAPER_TABLE1:
        figures = ours.get(paper_key(row.model), [])
        md = _mean_std([f["mean_distance"] for f in figures], 1e3)
        sm = _mean_std([f["smoothness"] for f in figures], 1.0)
        lines.append(f"{row.model:<10}{row.mean_distance_e3:>8.2f} ± {row.mean_distance_e3_std:<4.2f}{md:>16}"
                     f"{row.smoothness:>8.2f} ± {row.smoothness_std:<4.2f}{sm:>16}  {len(figures) or '—'}")
    return lines


def _mean_std(values: list[float | None], scale: float) -> str:
    if not values:
        return "—"
    defined = [v * scale for v in values if v is not None]
    if not defined:
        return "undefined"
    mean, std = float(np.mean(defined)), float(np.std(defined))
    text = f"{mean:.2f} ± {std:.2f}"
    return text if len(defined) == len(values) else f"{text} ({len(values) - len(defined)} undef.)"

"""One training engine for every reference model, one run or several seeds at once.

The engine knows nothing model-specific: a model supplies ``noise`` and ``losses`` (see
:class:`reference_models.base.ReferenceModel`), the engine streams fresh lines, steps one Adam
per parameter group, scores the model on the benchmark at a fixed cadence (the evaluation
trail), and checkpoints atomically so that a killed run resumes to the same weights, bit for
bit on CPU, as an uninterrupted one. With ``seeds=[…]`` the runs of several seeds are stepped
together as one batched computation (:class:`~reference_models.training.seed_batch.SeedBatchTrainer`),
each in its own directory ``OUT/seed-N`` with its own checkpoint, trail and summary.
"""

from __future__ import annotations

import dataclasses
import json
import sys
import time
from collections.abc import Callable, Iterator, Sequence
from contextlib import ExitStack, contextmanager
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, overload

import torch
from tqdm.auto import tqdm

from interpbench.atomic import write_text_atomic
from interpbench.devices import check_device, tf32
from interpbench.errors import CheckpointError, OptionError
from interpbench.provenance import hardware_description
from interpbench.suites import get_suite

from ..registry import build, canonical_name, make_config
from .checkpoint import read_checkpoint, save_checkpoint
from .presets import IMAGES_PER_KIMG, PAPER_KIMG, get_preset
from .graph_step import GraphedStep
from .interrupt import StopOnInterrupt, TrainingInterrupted
from .lock import RunLock
from .resume import ResumeSettings, resume_settings
from .seed_batch import SeedBatchTrainer
from .settings import TrainSettings, resolve_recorded
from .data_setup import LINES, channels_for, check_suite, dataset_name, describe, resolve_dataset, stream_factory, suite_record
from .data_trail import DatasetEvaluator, dataset_evaluation_line, dataset_figure
from .trail import code_diagnostics, collapse_summary, evaluation_entry, evaluation_line, paper_figure
from .trainer import Trainer

__all__ = ["Trainer", "TrainRun", "TrainSettings", "TrainingInterrupted", "train", "pick_device", "run_directory", "CHECKPOINT_NAME", "SUMMARY_NAME"]

CHECKPOINT_NAME = "checkpoint.pt"
SUMMARY_NAME = "summary.json"


def pick_device(device: str | None = None) -> torch.device:
    """``device`` if given (checked: one sentence for a device this machine lacks), else CUDA when available, else CPU."""
    if device:
        return torch.device(check_device(device))
    return torch.device("cuda" if torch.cuda.is_available() else "cpu")


def run_directory(out: str | Path, seed: int) -> Path:
    """Where run ``seed`` of a ``--seeds`` training into ``out`` lives."""
    return Path(out) / f"seed-{int(seed)}"


@dataclass
class TrainRun:
    """What :func:`train` returns (and writes to ``summary.json``)."""

    model: str
    preset: str
    kimg: float
    seed: int
    steps: int
    checkpoint: str
    trail: list[dict[str, Any]] = field(default_factory=list)
    wall_seconds: float = 0.0
    samples_per_second: float = 0.0
    config: dict[str, Any] = field(default_factory=dict)
    device: str = "cpu"
    hardware: str = ""
    batched_seeds: int = 1  # runs trained together in one batched computation (``--seeds``)
    finished: bool = True  # False when stopped early (``stop_after_s``) with the budget not yet met
    settings: dict[str, Any] = field(default_factory=dict)  # the recorded TrainSettings fields (tf32, …)
    dataset: dict[str, Any] = field(default_factory=lambda: {"name": LINES})  # what it trained on, with file checksums
    suite: dict[str, Any] = field(default_factory=lambda: suite_record(LINES))  # the suite it trained and was scored on

    @property
    def final(self) -> dict[str, Any] | None:
        return self.trail[-1] if self.trail else None

    @property
    def paper_figure(self) -> dict[str, Any]:
        """The median of the last 20 evaluations: line metrics, or on a data set its probes and reconstruction."""
        return paper_figure(self.trail) if self.dataset.get("name", LINES) == LINES else dataset_figure(self.trail)

    @property
    def is_paper_budget(self) -> bool:
        return self.preset == "paper" and self.kimg >= PAPER_KIMG

    @property
    def collapse(self) -> dict[str, Any]:
        return collapse_summary(self.trail)

    def to_dict(self) -> dict[str, Any]:
        return {**dataclasses.asdict(self), "final": self.final, "median_last_20": self.paper_figure,
                "collapse": self.collapse, "paper_budget": self.is_paper_budget}



class _Run:
    """One run's directory: its checkpoint (if resuming), trail and training time so far."""

    def __init__(self, key: str, out: Path, seed: int, resume: bool) -> None:
        self.out, self.seed = out, int(seed)
        self.ckpt_path = out / CHECKPOINT_NAME
        self.record: dict[str, Any] | None = None
        self.trail: list[dict[str, Any]] = []
        self.prior_seconds = 0.0  # training time spent in earlier (killed or finished) invocations
        if self.ckpt_path.exists():
            if not resume:
                raise OptionError(f"{str(out)!r} already holds a checkpoint; pass --resume to continue it or choose another --out")
            self.record = read_checkpoint(self.ckpt_path, expected_model=key)
            if self.record.get("slim"):
                raise CheckpointError(f"{str(self.ckpt_path)!r} is a slim checkpoint (weights and trail, no optimiser "
                                      "state): it scores, but cannot be resumed")
            self.trail = list(self.record.get("trail", []))
            self.prior_seconds = float(self.record.get("train_seconds", 0.0))

    @property
    def step(self) -> int:
        return 0 if self.record is None else int(self.record["step"])


@overload
def train(name: str, out: str | Path, *, seeds: None = None, **kwargs: Any) -> TrainRun: ...
@overload
def train(name: str, out: str | Path, *, seeds: Sequence[int], **kwargs: Any) -> list[TrainRun]: ...


def train(
    name: str,
    out: str | Path,
    *,
    preset: str | None = None,
    kimg: float | None = None,
    seed: int = 0,
    seeds: Sequence[int] | None = None,
    device: str | None = None,
    resume: bool = False,
    eval_every_kimg: float | None = None,
    eval_pairs: int | None = None,
    eval_seed: int = 0,
    checkpoint_every_kimg: float | None = None,
    config: dict[str, Any] | None = None,
    progress: bool | None = None,
    on_step: Callable[[int], None] | None = None,
    bf16: bool = False,
    channels_last: bool | None = None,
    should_stop: Callable[[int], bool] | None = None,
    cuda_graph: bool | None = None,
    tf32: bool | None = None,
    slim_final_checkpoint: bool = False,
    dataset: str | None = None,
    data_dir: str | Path | None = None,
    download: bool = False,
    suite: str | None = None,
) -> TrainRun | list[TrainRun]:
    """Train reference model ``name`` into directory ``out`` and return its run record.

    The budget is ``kimg`` × 1,024 images (default: the preset's; ``preset`` defaults to quick).
    Every ``eval_every_kimg`` the model is scored with ``eval_pairs`` interpolations on protocol
    seed ``eval_seed + i`` for the i-th evaluation (a fresh endpoint draw each time, as the paper
    did) and a checkpoint is written. ``resume`` continues from ``out/checkpoint.pt`` if there is
    one, with that run's own preset, config, seed, budget and evaluation settings: any of them
    left out is taken from the checkpoint, any given must match it (only ``kimg`` may differ, to
    extend the budget). ``on_step(step)``
    is called after every step (tests use it to simulate a kill). ``bf16`` trains under bf16
    autocast (faster on CPUs with AVX512-BF16 and on GPUs; recorded in the checkpoint).
    ``channels_last`` (default: on for one run, or what a resumed run used) keeps activations
    NHWC: same fp32 arithmetic, ~1.15-1.35× faster steps on CPU (measured).

    ``seeds=[0, 1, 2]`` trains those runs together as one batched computation, run ``s`` in
    ``out/seed-s`` (each resumable on its own, also with ``seed=s, out=out/seed-s``), and returns
    one :class:`TrainRun` per seed. Runs resumed at different steps are batched by step.
    ``should_stop(step)`` is asked before every step; when it says True the training stops
    cleanly, every run checkpointed (the returned runs then have ``finished=False``; train
    again with ``resume=True`` to continue). ``interpbench reproduce --minutes`` uses it.
    ``cuda_graph`` (default: on for CUDA devices) captures the whole step once as a CUDA graph
    and replays it (:class:`~reference_models.training.graph_step.GraphedStep`). ``tf32``
    (default off, :data:`~.settings.DEFAULT_TF32`: the paper's fp32) lets CUDA convolutions and
    matrix products use TF32; it is recorded, kept on resume, and does nothing on a CPU.
    ``slim_final_checkpoint`` writes one checkpoint when the training stops and none before,
    without optimiser and RNG state: it scores but cannot resume (for a machine that will be gone).
    ``dataset`` (default: the preset's, else a resumed run's, else the line stream) trains on a
    labelled data set's training part read from ``data_dir`` (``download`` fetches it first);
    colour data sets train with ``channels=3``, and the trail records reconstruction error and
    probe accuracies (:mod:`~.data_trail`) instead of line metrics.
    ``suite`` (default: a resumed run's, else ``lines``) streams that benchmark suite's images
    (:mod:`interpbench.suites`) and scores the trail on it; it is recorded with its spec version,
    and a resume on another suite is refused.

    Every argument is resolved once into a :class:`~.settings.TrainSettings` that the rest of
    the engine reads. Only one training runs in a run directory at a time (:class:`~.lock.RunLock`):
    a second one is refused with the first one's PID. Ctrl-C stops at the next step boundary,
    checkpoints that step (atomically) and raises :class:`~.interrupt.TrainingInterrupted`.
    """
    key = canonical_name(name)
    if preset is not None:
        get_preset(preset)
    make_config(key, **(config or {}))  # bad --set values are refused before a run directory is touched
    if suite is not None:
        suite = get_suite(suite).name  # an unknown suite is one sentence, before anything is read
    # A named data set (or the preset's) is read and checked before any run directory is touched.
    named = dataset_name(dataset, preset, get_preset(preset) if preset is not None else None)
    data = resolve_dataset(named, data_dir, download=download, progress=progress) if named is not None else None
    if named is not None:
        config = {**(config or {}), "channels": channels_for(named, config)}
    if seeds is not None:
        seeds = [int(s) for s in seeds]
        if not seeds or len(set(seeds)) != len(seeds) or min(seeds) < 0:
            raise OptionError(f"seeds must be distinct non-negative integers, got {seeds}")
    dev = pick_device(device)
    if cuda_graph and dev.type != "cuda":
        raise OptionError(f"CUDA graphs need a CUDA device, not {str(dev)!r}")
    graphed = dev.type == "cuda" if cuda_graph is None else bool(cuda_graph)
    out = Path(out)
    dirs = [(out, seed)] if seeds is None else [(run_directory(out, s), s) for s in seeds]
    with ExitStack() as locks:
        for run_dir, _ in dirs:
            lock = locks.enter_context(RunLock(run_dir))
            if lock.stale_owner is not None:
                print(f"note: PID {lock.stale_owner.get('pid')} ended without releasing its lock on {str(run_dir)!r} "
                      "(killed?); this training takes it over", file=sys.stderr)
        runs = [_Run(key, run_dir, s, resume) for run_dir, s in dirs]
        # Recorded settings first: a resume on another data set is named as such, not as the config it implies.
        extra = resolve_recorded([(r.record, r.ckpt_path) for r in runs if r.record is not None],
                                 {"tf32": tf32, "dataset": named, "suite": suite})
        check_suite(extra["suite"], extra["dataset"])
        _check_suite_version(runs, extra["suite"])
        resumed = {_settings(r, seed=r.seed, preset=preset, kimg=kimg, eval_every_kimg=eval_every_kimg, eval_pairs=eval_pairs,
                             eval_seed=eval_seed, config=config, bf16=bf16) for r in runs if r.record is not None}
        if len(resumed) > 1:
            raise CheckpointError(f"the runs under {str(out)!r} were trained with different settings and cannot be trained together")
        found = resumed.pop() if resumed else None
        if found:
            preset, kimg, eval_every_kimg, eval_pairs = found.preset, found.kimg, found.eval_every_kimg, found.eval_pairs
            fields = dict(found.config)
        else:
            preset = preset or "quick"
            fields = {**get_preset(preset).config_for(key), **(config or {})}
        if named is None and extra["dataset"] != LINES:  # a resume that left --dataset out: the run's own, re-read
            recorded = runs[0].record.get("dataset_info") or {}  # type: ignore[union-attr]
            data = resolve_dataset(extra["dataset"], data_dir if data_dir is not None else recorded.get("data_dir"),
                                   download=download, progress=progress)
        _check_same_files(runs, data)
        if not found:
            fields["channels"] = channels_for(extra["dataset"], config)
        p = get_preset(preset)
        every = float(p.eval_every_kimg if eval_every_kimg is None else eval_every_kimg)
        settings = TrainSettings(
            model=key, preset=preset, kimg=float(p.kimg if kimg is None else kimg), eval_every_kimg=every,
            eval_pairs=int(p.eval_pairs if eval_pairs is None else eval_pairs), eval_seed=int(eval_seed),
            # Every evaluation checkpoints too; between them, at most the preset's cadence of work is lost to a kill.
            # (A resumed run's evaluation cadence comes from its checkpoint, so this must not depend on who gave it.)
            checkpoint_every_kimg=float(checkpoint_every_kimg or min(every, p.checkpoint_every_kimg)),
            config=dataclasses.asdict(make_config(key, **fields)), device=dev, hardware=hardware_description(str(dev)),
            bf16=bool(bf16), channels_last=channels_last, cuda_graph=graphed, batched=seeds is not None,
            progress=progress, on_step=on_step, should_stop=should_stop,
            slim_final_checkpoint=bool(slim_final_checkpoint), data=data,
            data_dir=None if data is None else data.data_dir, **extra)
        return _train_runs(runs, settings)


def _check_suite_version(runs: list[_Run], suite: str) -> None:
    """A resumed run's suite must still be the one it trained on: a changed spec version is refused."""
    now = suite_record(suite)["spec_version"]
    for run in runs:
        if run.record is None:
            continue
        # Checkpoints from before suites existed trained on lines, spec v1.
        before = (run.record.get("suite_info") or suite_record(LINES))["spec_version"]
        if before != now:
            raise CheckpointError(f"checkpoint {str(run.ckpt_path)!r} was trained on the {suite} suite's spec {before}, and "
                                  f"this interpbench has spec {now}; train a new run instead")


def _check_same_files(runs: list[_Run], data: Any) -> None:
    """A resumed run must see the files it was trained on: a changed file is refused, naming it."""
    if data is None:
        return
    now = {f["name"]: f["sha256"] for f in data.files}
    for run in runs:
        before = ((run.record or {}).get("dataset_info") or {}).get("files") or []
        changed = [f["name"] for f in before if now.get(f["name"]) not in (None, f["sha256"])]
        if changed:
            raise CheckpointError(f"checkpoint {str(run.ckpt_path)!r} was trained on other {data.name} files: "
                                  f"{', '.join(changed)} changed since; resume it with the files it was trained on")


def _settings(run: _Run, **given: Any) -> ResumeSettings:
    """A resumed run's settings, hashable so several runs' can be compared."""
    found = resume_settings(run.record, run.ckpt_path, **given)  # type: ignore[arg-type]
    return found._replace(config=tuple(sorted(found.config.items())))  # type: ignore[arg-type]


def _train_runs(runs: list[_Run], settings: TrainSettings) -> TrainRun | list[TrainRun]:
    """:func:`train` once every run directory's lock is held and the settings are settled."""
    results: dict[int, TrainRun] = {}
    # Runs resumed at different steps cannot share a step: each group of equal steps trains together.
    for step in sorted({r.step for r in runs}):
        group = [r for r in runs if r.step == step]
        with _tf32(settings):
            for run in _train_group(group, settings):
                results[run.seed] = run
    ordered = [results[r.seed] for r in runs]
    return ordered if settings.batched else ordered[0]


@contextmanager
def _tf32(settings: TrainSettings) -> Iterator[None]:
    """CUDA's TF32 switches as ``settings.tf32`` says, for the training only (restored after)."""
    if settings.device.type != "cuda":
        yield
        return
    with tf32(bool(settings.tf32)):
        yield


def _train_group(runs: list[_Run], settings: TrainSettings) -> list[TrainRun]:
    """Train ``runs`` (all at the same step) to the budget, or until ``should_stop``; write their summaries."""
    import interpbench

    key, dev, batched = settings.model, settings.device, settings.batched
    models = [build(key, seed=r.seed, **settings.config) for r in runs]
    model_config = dataclasses.asdict(models[0].config)
    make_stream = stream_factory(settings.data, dev, settings.suite)
    trained_on = describe(settings.dataset, settings.data, settings.suite)
    suite_info = suite_record(settings.suite)
    # On a labelled data set the trail scores reconstruction and probes; line metrics mean nothing there.
    on_data = None if settings.data is None else DatasetEvaluator(settings.dataset, settings.data_dir,
                                                                   settings.data.channels, seed=settings.eval_seed)
    if batched:
        # vmap folds the seed axis into the convolutions' batch: channels_last buys nothing there.
        channels_last = False
        stepper: Any = SeedBatchTrainer(models, [r.seed for r in runs], dev, bf16=settings.bf16, capturable=settings.cuda_graph,
                                        make_stream=make_stream)
    else:
        channels_last = settings.channels_last
        if channels_last is None:  # a resumed run keeps its memory format, so it stays bit-exact
            channels_last = bool(runs[0].record.get("channels_last", False)) if runs[0].record else True
        stepper = Trainer(models[0], seed=runs[0].seed, device=dev, bf16=settings.bf16, channels_last=bool(channels_last),
                          capturable=settings.cuda_graph, make_stream=make_stream)
    resumed = [r for r in runs if r.record is not None]
    if resumed:
        stepper.load_run_states([r.record for r in runs], [str(r.ckpt_path) for r in runs])
    if settings.cuda_graph:
        stepper = GraphedStep(stepper)
    batch = models[0].config.batch_size
    k = len(runs)
    should_stop, on_step = settings.should_stop, settings.on_step

    def evaluate(i: int) -> None:
        run, model = runs[i], stepper.scoring_model(i)
        if on_data is not None:
            run.trail.append(on_data(model, stepper.step_count * batch / IMAGES_PER_KIMG, stepper.step_count))
            return
        seed_i = settings.eval_seed + len(run.trail)
        # On an accelerator the nearest-line search runs there too (the same lines as on the CPU); the
        # other suites' exact searches run on the CPU. No sanity checks: an early, untrained model fails them by design.
        on_device = dev.type != "cpu" and settings.suite == LINES
        result = interpbench.score(model, seeds=[seed_i], pairs=settings.eval_pairs, keep_images=False, batch_size=256,
                                   search_device=str(dev) if on_device else None, checks=False, suite=settings.suite)
        run.trail.append(evaluation_entry(stepper.step_count * batch / IMAGES_PER_KIMG, stepper.step_count, seed_i, result,
                                          code_diagnostics(model, seed_i, settings.eval_pairs, settings.suite)))

    def checkpoint(i: int) -> None:
        run = runs[i]
        state = stepper.run_state(i)
        if settings.slim_final_checkpoint:  # weights and trail only: scores, cannot resume
            state = {k: v for k, v in state.items() if k not in ("optimizers", "rng")}
        save_checkpoint(run.ckpt_path, {
            **state, "slim": settings.slim_final_checkpoint,
            "model": key, "config": model_config, "preset": settings.preset, "seed": run.seed,
            "kimg_target": settings.kimg, "kimg_done": stepper.step_count * batch / IMAGES_PER_KIMG, "trail": run.trail,
            "eval": {"every_kimg": settings.eval_every_kimg, "pairs": settings.eval_pairs, "seed": settings.eval_seed},
            "bf16": settings.bf16, "channels_last": bool(channels_last), "batched_seeds": k, "cuda_graph": settings.cuda_graph,
            "train_seconds": run.prior_seconds + time.perf_counter() - started, "hardware": settings.hardware,
            **settings.recorded_values(), "dataset_info": trained_on, "suite_info": suite_info,
        })

    for run in runs:
        run.out.mkdir(parents=True, exist_ok=True)
    start_step = stepper.step_count
    total = settings.total_steps
    started = time.perf_counter()
    label = key if not batched else f"{key} seeds {','.join(str(r.seed) for r in runs)}"
    bar = tqdm(total=total * batch * k, initial=min(start_step, total) * batch * k, desc=f"train {label}",
               unit="img", unit_scale=True, disable=None if settings.progress is None else not settings.progress, smoothing=0.1)
    with bar, StopOnInterrupt() as stop:
        while stepper.step_count < total:
            if should_stop is not None and should_stop(stepper.step_count):
                if stepper.step_count > start_step:
                    for i in range(k):
                        checkpoint(i)
                break
            losses = stepper.step()
            s = stepper.step_count
            bar.update(batch * k)
            if not bar.disable and (s % 25 == 0 or s == total):  # float() waits for the device: only for a shown bar
                bar.set_postfix({name: f"{float(losses[name].float().mean()):.4g}" for name in models[0].log_keys})
            due_eval = s % settings.eval_steps == 0 or s == total
            if settings.slim_final_checkpoint:
                saved = s == total  # nothing to resume on later: one checkpoint when the run stops
            else:
                saved = due_eval or s % settings.checkpoint_steps == 0
            for i in range(k):
                if due_eval:
                    evaluate(i)
                    line = (evaluation_line if on_data is None else dataset_evaluation_line)(runs[i].trail[-1])
                    # Progress, like the bar: stderr, so stdout holds only results (`train --json`).
                    bar.write(f"[{key} seed {runs[i].seed}] {line}", file=sys.stderr)
                if saved:
                    checkpoint(i)
            if on_step is not None:
                on_step(s)
            if stop.requested and s < total:
                for i in range(k if not saved else 0):
                    checkpoint(i)
                where = str(runs[0].ckpt_path) if k == 1 else ", ".join(str(r.ckpt_path) for r in runs)
                raise TrainingInterrupted(where, s, s * batch / IMAGES_PER_KIMG)
        if resumed and start_step >= total:
            for i, run in enumerate(runs):  # resumed a finished run: make sure a final score exists
                if not run.trail or run.trail[-1]["step"] != start_step:
                    evaluate(i)
                    checkpoint(i)
    elapsed = time.perf_counter() - started
    out: list[TrainRun] = []
    for run in runs:
        # Wall time over every invocation of the run (evaluations included), as the checkpoint recorded it.
        wall = run.prior_seconds + elapsed
        record = TrainRun(model=key, preset=settings.preset, kimg=settings.kimg, seed=run.seed, steps=stepper.step_count,
                          checkpoint=str(run.ckpt_path), trail=run.trail, wall_seconds=wall,
                          samples_per_second=stepper.step_count * batch / wall if wall > 0 else 0.0, config=model_config,
                          device=str(dev), hardware=settings.hardware, batched_seeds=k, finished=stepper.step_count >= total,
                          settings=settings.recorded_values(), dataset=trained_on, suite=suite_info)
        write_text_atomic(run.out / SUMMARY_NAME, json.dumps(record.to_dict(), indent=1) + "\n")
        out.append(record)
    return out

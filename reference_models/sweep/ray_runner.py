"""Run a grid's trainings as Ray tasks: local Ray by default, a cluster by address.

Each run is one Ray task with its resource request (``num_cpus``, ``num_gpus``: 0.25 packs four
runs on a GPU) that calls the engine with ``resume=True``; a task whose worker dies is retried
and resumes from its last checkpoint. Runs already trained to the grid's budget are not submitted.
"""

from __future__ import annotations

import contextlib
import dataclasses
import math
import signal
import threading
import time
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from interpbench.errors import InterpbenchError, MissingDependencyError, OptionError

from ..registry import make_config
from ..training.presets import get_preset
from .grid import Grid, GridRun
from .reaper import Reaper
from .task import finished_summary, train_run

__all__ = ["RayOptions", "ENGINE", "import_ray", "run_sweep", "run_specs"]

ENGINE = "ray"


@dataclass(frozen=True)
class RayOptions:
    """Where and how the tasks run."""

    address: str | None = None  # None: start a local Ray instance sized to this machine
    cpus_per_run: float = 1.0
    gpus_per_run: float = 0.0
    max_concurrent: int | None = None  # default: as many as the cluster's resources fit
    max_retries: int = 3  # retries of a task whose worker died; each resumes from its checkpoint
    num_cpus: int | None = None  # local instance only: CPUs to give it (default: all)


def import_ray() -> Any:
    """The ``ray`` module, or one sentence saying how to install it."""
    try:
        import ray
    except ImportError:
        raise MissingDependencyError('interpbench sweep runs on Ray, which is not installed; install it with pip install -e ".[sweep]"') from None
    return ray


def run_specs(grid: Grid, out: Path) -> list[dict[str, Any]]:
    """One plain-data task spec per run of ``grid``, its directory under ``out``."""
    return [_spec(grid, run, out) for run in grid.runs()]


def _spec(grid: Grid, run: GridRun, out: Path) -> dict[str, Any]:
    # The complete config (preset's defaults, then the grid's), so that the engine refuses a run
    # directory trained with any other value, also of a field the grid leaves at its default.
    full = dataclasses.asdict(make_config(run.model, **{**get_preset(grid.preset).config_for(run.model), **run.config}))
    return {"name": run.directory, "configuration": run.configuration, "model": run.model, "seed": run.seed,
            "config": full, "overrides": run.config, "swept": run.swept, "out": str(out / run.directory), "preset": grid.preset,
            "kimg": grid.kimg, "eval_every": grid.eval_every, "eval_pairs": grid.eval_pairs, "device": grid.device,
            "suite": grid.suite}


def _connect(ray: Any, options: RayOptions) -> bool:
    """Connect to the cluster or start a local instance; True if this call started Ray."""
    if ray.is_initialized():
        return False
    with _sigterm_kept():
        if options.address:
            try:
                ray.init(address=options.address, log_to_driver=False)
            except ConnectionError as exc:
                # Ray's own message is a traceback ending in "Could not find any running Ray instance";
                # the user needs to know which address failed and the two ways forward.
                raise InterpbenchError(
                    f"no Ray cluster at --address {options.address!r} ({exc}); start one with `ray start --head` "
                    "or leave out --address to run on a local Ray instance"
                ) from None
        else:
            # "local" always starts a new instance, never joins one that ray start left running here
            ray.init(address="local", num_cpus=options.num_cpus, include_dashboard=False, log_to_driver=False)
    return True


@contextlib.contextmanager
def _sigterm_kept() -> Iterator[None]:
    """Put back, after ``ray.init``, the SIGTERM handler it replaces with its own.

    Ray's handler exits at once (status 1, or an abort and a stack dump from its C++ one), so
    ``kill`` skipped the ``finally`` that shuts Ray down. The CLI's handler turns SIGTERM into an
    interrupt, as Ctrl-C: the sweep stops, Ray is shut down, the exit status is 130.
    """
    if threading.current_thread() is not threading.main_thread():
        yield
        return
    before = signal.getsignal(signal.SIGTERM)
    try:
        yield
    finally:
        if before is not None:
            signal.signal(signal.SIGTERM, before)


def _concurrency(resources: dict[str, float], options: RayOptions, count: int) -> int:
    fits = [resources.get("CPU", 1.0) / options.cpus_per_run] if options.cpus_per_run > 0 else []
    if options.gpus_per_run > 0:
        fits.append(resources.get("GPU", 0.0) / options.gpus_per_run)
    limit = max(1, math.floor(min(fits))) if fits else count
    return max(1, min(count, options.max_concurrent or limit))


def run_sweep(grid: Grid, out: str | Path, options: RayOptions = RayOptions(),
              on_result: Callable[[dict[str, Any], dict[str, Any], dict[str, int]], None] | None = None,
              task: Callable[[dict[str, Any], int | None], dict[str, Any]] = train_run) -> dict[str, Any]:
    """Train every run of ``grid`` under ``out``; returns the sweep record (engine, resources, runs).

    ``task(spec, threads)`` is what each Ray task runs (default :func:`~.task.train_run`).

    ``on_result(spec, result, counts)`` is called as each run finishes (and for each run found
    finished), with ``counts`` of runs ``done``, ``running`` and ``pending``.
    """
    if options.cpus_per_run < 0 or options.gpus_per_run < 0 or (options.cpus_per_run == 0 and options.gpus_per_run == 0):
        raise OptionError("a run must ask for some resources: --cpus-per-run and --gpus-per-run cannot both be 0")
    ray = import_ray()
    out = Path(out)
    specs = run_specs(grid, out)
    results: dict[str, dict[str, Any]] = {}
    counts = {"done": 0, "running": 0, "pending": len(specs)}
    todo = []
    for spec in specs:
        summary = finished_summary(spec)
        if summary is None:
            todo.append(spec)
            continue
        results[spec["name"]] = {"status": "already finished", "summary": summary, "task_seconds": 0.0}
        counts["done"] += 1
        counts["pending"] -= 1
        if on_result:
            on_result(spec, results[spec["name"]], dict(counts))
    started = _connect(ray, options)
    # A local instance this call started dies with the driver, even a driver killed with SIGKILL.
    reaper = Reaper() if started and not options.address else contextlib.nullcontext()
    reaper.__enter__()
    start = time.monotonic()
    try:
        resources = {k: float(v) for k, v in ray.cluster_resources().items() if k in ("CPU", "GPU", "memory")}
        threads = max(1, int(options.cpus_per_run)) if options.cpus_per_run else None
        remote = ray.remote(num_cpus=options.cpus_per_run, num_gpus=options.gpus_per_run,
                            max_retries=options.max_retries, retry_exceptions=False)(task)
        limit = _concurrency(resources, options, max(1, len(todo)))
        waiting, in_flight = list(todo), {}
        while waiting or in_flight:
            while waiting and len(in_flight) < limit:
                spec = waiting.pop(0)
                in_flight[remote.remote(spec, threads)] = spec
                counts["pending"] -= 1
                counts["running"] += 1
            ready, _ = ray.wait(list(in_flight), num_returns=1)
            spec = in_flight.pop(ready[0])
            try:
                result = ray.get(ready[0])
            except Exception as exc:  # the task failed past its retries
                result = {"status": "failed", "error": f"{type(exc).__name__}: {str(exc).splitlines()[0] if str(exc) else ''}"}
            results[spec["name"]] = result
            counts["running"] -= 1
            counts["done"] += 1
            if on_result:
                on_result(spec, result, dict(counts))
        version = ray.__version__
    finally:
        if started:
            ray.shutdown()
        reaper.__exit__(None, None, None)
    return {"engine": {"name": ENGINE, "version": version, "address": options.address or "local",
                       "cluster_resources": resources, "cpus_per_run": options.cpus_per_run,
                       "gpus_per_run": options.gpus_per_run, "max_concurrent": limit},
            "grid": grid.settings(), "wall_seconds": time.monotonic() - start,
            "runs": [{**spec, **results[spec["name"]]} for spec in specs]}

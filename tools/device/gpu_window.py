"""What to run in a borrowed 15-minute GPU window: two commands of at most 9 minutes each.

    PYTHONPATH=$PWD python3 tools/device/gpu_window.py check --out $OUT     # call 1
    PYTHONPATH=$PWD python3 tools/device/gpu_window.py train --out $OUT     # call 2

``check`` (call 1) is a smoke test and a measurement: CUDA-graph replay against eager steps over
20 steps for k = 1 and k = 3 seeds of Baseline, ACAI and VQ-VAE, judged against an eager-vs-eager
noise floor; VQ-VAE's search index after graph replays; then ms per step, eager vs graph × 1 vs 3
seeds for Baseline and ACAI, with the data path (``draw``) and the replay timed apart, NCHW vs
channels_last, TF32 on vs off, and what one evaluation costs. Everything lands in
``OUT/check.json``, rewritten after every part, so a kill still returns what was done.

``train`` (call 2) may land on a fresh machine, so it smoke-tests capture again and times one
run's step of each model through the engine itself (fp32, as training runs), then picks the largest budget K (a multiple of 64 kimg, at most the paper's 16,384) at which ACAI
and Baseline × seeds 0-2 both train, score and pack within ``--budget-s``, and runs
``interpbench reproduce --pack`` (:func:`reference_models.reproduce.reproduce`) into ``OUT/pack``,
the seeds one after another: graphs only where the smoke test passes. ``OUT/train.json`` holds the plan and measurements.
Back on the CPU: ``interpbench reproduce --unpack OUT/pack --leaderboard leaderboard``.

Only torch, numpy, scipy, scikit-learn, click, tqdm and filelock are imported (the GPU image has no
jsonschema and no Ray). ``--dry-run`` runs both commands on the CPU with tiny models and step
counts (the test suite does, tests/test_device_script.py): it checks the plumbing, not the numbers.
"""

from __future__ import annotations

import argparse
import json
import math
import os
import platform
import sys
import time
import traceback
from collections.abc import Callable
from pathlib import Path
from typing import Any

import numpy as np
import torch

from interpbench.devices import tf32
from interpbench.spec import PAPER_KIMG

__all__ = ["main", "Window"]

MODELS_SMOKED = ("baseline", "acai", "vqvae")
MODELS_TRAINED = ("acai", "baseline")
SEEDS = (0, 1, 2)
EVALUATIONS = 32  # per run: the paper-style median of the last 20 needs at least 20
# PyTorch's own TF32 switches as it starts, before main() turns both off for every timing.
TORCH_TF32_DEFAULTS = (torch.backends.cudnn.allow_tf32, torch.backends.cuda.matmul.allow_tf32)


class Window:
    """One command's deadline, results file and error log."""

    def __init__(self, out: Path, name: str, budget_s: float, dry_run: bool) -> None:
        self.t0 = time.monotonic()
        self.deadline = self.t0 + budget_s
        self.out, self.dry_run = out, dry_run
        self.path = out / f"{name}.json"
        self.results: dict[str, Any] = {"command": name, "dry_run": dry_run, "budget_s": budget_s, "errors": []}
        self.device = torch.device("cpu" if dry_run else "cuda")
        # Tiny models on a CPU dry run: the same code paths, seconds instead of minutes.
        self.config: dict[str, Any] = {"depth": 4, "batch_size": 8} if dry_run else {}
        self.vq_config: dict[str, Any] = {**self.config, "codebook_size": 64} if dry_run else {}

    def left(self) -> float:
        return self.deadline - time.monotonic()

    def log(self, message: str) -> None:
        print(f"[{time.monotonic() - self.t0:7.1f}s] {message}", flush=True)

    def save(self) -> None:
        tmp = self.path.with_suffix(".json.tmp")
        tmp.write_text(json.dumps(self.results, indent=1, default=str))
        tmp.replace(self.path)

    def guarded(self, section: str, fn: Callable[[], Any]) -> Any:
        """Run ``fn``; an exception is recorded with its traceback (the rest of the command goes on)."""
        try:
            return fn()
        except Exception as exc:  # noqa: BLE001 - one failing part must not cost the window
            self.results["errors"].append({"section": section, "error": f"{type(exc).__name__}: {exc}",
                                           "traceback": traceback.format_exc()[-4000:]})
            self.log(f"ERROR in {section}: {type(exc).__name__}: {exc}")
            return None
        finally:
            self.save()

    def steps(self, n: int) -> int:
        return max(2, n // 10) if self.dry_run else n

    def model_config(self, name: str) -> dict[str, Any]:
        return self.vq_config if name == "vqvae" else self.config


# ------------------------------------------------------------------------------------------ helpers
def sync(device: torch.device) -> None:
    if device.type == "cuda":
        torch.cuda.synchronize()


def stepper(w: Window, name: str, k: int, graph: bool, capturable: bool | None = None, channels_last: bool = True) -> Any:
    """A trainer as the engine builds it: one run (k = 1) or k batched seeds, wrapped in a graph or not."""
    from reference_models import build
    from reference_models.training.graph_step import GraphedStep
    from reference_models.training.seed_batch import SeedBatchTrainer
    from reference_models.training.trainer import Trainer

    cap = graph if capturable is None else capturable
    cap = cap and w.device.type == "cuda"
    models = [build(name, seed=s, **w.model_config(name)) for s in range(k)]
    if k == 1:
        inner = Trainer(models[0], seed=0, device=w.device, channels_last=channels_last, capturable=cap)
    else:
        inner = SeedBatchTrainer(models, list(range(k)), w.device, capturable=cap)
    return GraphedStep(inner) if graph else inner


def state_of(st: Any) -> dict[str, torch.Tensor]:
    inner = getattr(st, "trainer", st)
    if hasattr(inner, "model"):
        return {**dict(inner.model.named_parameters()), **dict(inner.model.named_buffers())}
    return {**inner.params, **inner.buffers}


def relative_difference(a: dict[str, torch.Tensor], b: dict[str, torch.Tensor]) -> float:
    """Largest |a - b| / max|a| over the floating-point tensors."""
    worst = 0.0
    for key, x in a.items():
        if x.is_floating_point():
            scale = float(x.detach().abs().max()) or 1.0
            worst = max(worst, float((x.detach() - b[key].detach()).abs().max()) / scale)
    return worst


def run_steps(st: Any, n: int) -> list[float]:
    losses = []
    for _ in range(n):
        out = st.step()
        losses.append(float(next(iter(out.values())).float().mean()))
    return losses


def ms_per_call(fn: Callable[[], Any], n: int, device: torch.device) -> float:
    sync(device)
    t = time.perf_counter()
    for _ in range(n):
        fn()
    sync(device)
    return (time.perf_counter() - t) / n * 1e3


# ------------------------------------------------------------------------------------------ call 1
def smoke(w: Window, name: str, k: int, n: int) -> dict[str, Any]:
    """Graph replay vs eager (both capturable Adam) over ``n`` steps, against the eager-vs-eager floor."""
    eager = stepper(w, name, k, graph=False, capturable=True)
    eager_losses = run_steps(eager, n)
    graph = stepper(w, name, k, graph=True)
    graph_losses = run_steps(graph, n)
    again = stepper(w, name, k, graph=False, capturable=True)
    run_steps(again, n)
    floor = relative_difference(state_of(again), state_of(eager))
    entry: dict[str, Any] = {
        "steps": n, "graph_vs_eager_weights": relative_difference(state_of(graph), state_of(eager)),
        "eager_vs_eager_weights": floor, "finite": all(map(math.isfinite, graph_losses)),
        "loss_first_last": [graph_losses[0], graph_losses[-1]],
        "graph_vs_eager_loss_max_rel": max(abs(a - b) / max(abs(b), 1e-12) for a, b in zip(graph_losses, eager_losses)),
    }
    if k == 1:  # the engine's eager path (non-capturable Adam) against the capturable one
        plain = stepper(w, name, 1, graph=False, capturable=False)
        run_steps(plain, n)
        entry["noncapturable_vs_capturable_weights"] = relative_difference(state_of(plain), state_of(eager))
    # fp32 rounding differs between graph and eager only where atomics reorder sums: 20× the floor, at least 1e-5.
    entry["pass"] = bool(entry["finite"] and entry["graph_vs_eager_weights"] <= max(1e-5, 20 * floor))
    return entry


def vq_index_after_replays(w: Window) -> dict[str, Any]:
    """After graph-replayed steps the eval-mode (pruned, cached) code search must equal the exhaustive one."""
    import interpbench
    from reference_models.models.vqvae import nearest_exhaustive

    st = stepper(w, "vqvae", 1, graph=True)
    model = st.trainer.model
    images = torch.from_numpy(interpbench.render(np.linspace(0, 2 * np.pi, 256, endpoint=False)).astype(np.float32))[:, None]
    images = images.to(w.device)
    run_steps(st, w.steps(10))

    def pruned_vs_exact() -> float:
        with torch.no_grad():
            model.eval()
            vectors = model.project_vectors(model.encode(images))
            pruned = model.nearest_codes(vectors)  # cached index, keyed on the EMA's update counter
            exact = nearest_exhaustive(vectors.float(), model.codebook)
            model.train()
        return float((pruned != exact).float().mean())

    first = pruned_vs_exact()
    version, generation = model.codebook._version, int(model.codebook_generation)
    run_steps(st, w.steps(200))
    later = pruned_vs_exact()
    return {"mismatch_first": first, "mismatch_after_replays": later, "codebook_version": [version, model.codebook._version],
            "update_counter": [generation, int(model.codebook_generation)], "pass": first == 0.0 and later == 0.0}


def bench(w: Window, name: str, k: int, graph: bool, channels_last: bool = True, seconds: float = 2.0) -> dict[str, Any]:
    st = stepper(w, name, k, graph=graph, channels_last=channels_last)
    for _ in range(8 if not w.dry_run else 2):  # warm-up: cuDNN's choices, the side-stream steps, the capture
        st.step()
    per = ms_per_call(st.step, w.steps(10), w.device)
    n = w.steps(max(10, int(seconds * 1e3 / max(per, 1e-3))))
    per = ms_per_call(st.step, n, w.device)
    inner = getattr(st, "trainer", st)
    batch = int(inner.template.config.batch_size if k > 1 else inner.model.config.batch_size)
    entry = {"ms_per_step": round(per, 4), "img_per_s_per_run": round(batch / per * 1e3), "steps_timed": n,
             "ms_draw_only": round(ms_per_call(inner.draw, w.steps(50), w.device), 4)}
    if graph and getattr(st, "_graph", None) is not None:
        entry["ms_replay_only"] = round(ms_per_call(st._graph.replay, w.steps(100), w.device), 4)
    if w.device.type == "cuda":
        entry["max_mem_gib"] = round(torch.cuda.max_memory_allocated() / 2**30, 2)
    return entry


def engine_ms_per_step(w: Window, name: str, k: int, graph: bool, steps: int = 600) -> dict[str, Any]:
    """ms per step of the engine's own loop (``reference_models.train``, as ``reproduce`` runs it), steady state.

    The bare ``bench`` loop leaves out what the engine does around a step (and the first window
    timed it under PyTorch's TF32 default): the engine's steps there ran 1.5-1.6× the bench's. Timed between step 100 and the last, with no
    evaluation in between (one runs at the end), so capture and warm-up are left out.
    """
    import tempfile

    from reference_models import train

    steps = w.steps(steps)
    first = min(100, steps // 2) if not w.dry_run else 1
    steps = max(steps, first + 2)
    batch = int((w.config or {}).get("batch_size", 64))
    stamps: dict[int, float] = {}

    last = steps - 1  # the step before the final one, which the closing evaluation follows

    def on_step(s: int) -> None:
        if s in (first, last):
            sync(w.device)
            stamps[s] = time.perf_counter()

    kimg = steps * batch / 1024
    seeds = {"seeds": list(range(k))} if k > 1 else {"seed": 0}
    with tempfile.TemporaryDirectory() as tmp:
        train(name, Path(tmp) / name, preset="paper", kimg=kimg, eval_every_kimg=kimg, device=str(w.device), config=w.config or None,
              progress=False, on_step=on_step, cuda_graph=graph, slim_final_checkpoint=True, **seeds)
    return {"ms_per_step": round((stamps[last] - stamps[first]) / (last - first) * 1e3, 4), "steps_timed": last - first,
            "k": k, "cuda_graph": graph}


def evaluation_cost(w: Window, name: str) -> dict[str, Any]:
    """Seconds for one trail evaluation (256 pairs, one protocol seed; 16 in a dry run) and the weights' size."""
    import io

    import interpbench
    from reference_models import build

    model = build(name, **w.model_config(name)).to(w.device).eval()
    search = None if w.device.type == "cpu" else str(w.device)
    pairs = 16 if w.dry_run else 256
    interpbench.score(model, seeds=[0], pairs=pairs, keep_images=False, checks=False, search_device=search)
    t = time.perf_counter()
    interpbench.score(model, seeds=[1], pairs=pairs, keep_images=False, checks=False, search_device=search)
    seconds = time.perf_counter() - t
    buffer = io.BytesIO()
    torch.save(model.state_dict(), buffer)
    return {"score_one_seed_s": round(seconds, 3), "weights_mb": round(len(buffer.getvalue()) / 1e6, 2)}


def environment(w: Window) -> dict[str, Any]:
    env: dict[str, Any] = {"python": sys.version.split()[0], "platform": platform.platform(), "torch": torch.__version__,
                           "numpy": np.__version__, "device": str(w.device)}
    if w.device.type == "cuda":
        env.update(gpu=torch.cuda.get_device_name(0), cuda=torch.version.cuda, cudnn=torch.backends.cudnn.version(),
                   cudnn_tf32_default=TORCH_TF32_DEFAULTS[0], matmul_tf32_default=TORCH_TF32_DEFAULTS[1])
    for module in ("jsonschema", "ray", "sklearn", "scipy", "pandas", "click", "tqdm", "filelock"):
        env[f"has_{module}"] = _importable(module)
    return env


def _importable(module: str) -> bool:
    import importlib.util

    try:
        return importlib.util.find_spec(module) is not None
    except (ImportError, ValueError):
        return False


def command_check(w: Window) -> None:
    w.results["env"] = environment(w)
    w.save()
    smoke_results: dict[str, Any] = w.results.setdefault("smoke", {})
    for name in MODELS_SMOKED:
        for k in (1, 3):
            if w.left() < 0.55 * (w.deadline - w.t0):  # keep the larger part of the window for the timings
                smoke_results[f"{name}-k{k}"] = {"skipped": "time"}
                continue
            smoke_results[f"{name}-k{k}"] = w.guarded(f"smoke {name} k={k}", lambda: smoke(w, name, k, w.steps(20)))
            w.log(f"smoke {name} k={k}: {json.dumps(smoke_results[f'{name}-k{k}'])}")
    smoke_results["vqvae_index_after_replays"] = w.guarded("vq index", lambda: vq_index_after_replays(w))
    w.log(f"vq index: {json.dumps(smoke_results['vqvae_index_after_replays'])}")
    timings: dict[str, Any] = w.results.setdefault("bench", {})
    plan: list[tuple[str, Callable[[], Any]]] = []
    for name in MODELS_TRAINED[::-1]:  # Baseline first: the cheaper step, the data path's share shows most
        for graph in (False, True):
            for k in (1, 3):
                plan.append((f"{name}-k{k}-{'graph' if graph else 'eager'}",
                             lambda name=name, k=k, graph=graph: bench(w, name, k, graph)))
        plan.append((f"{name}-k1-graph-nchw", lambda name=name: bench(w, name, 1, True, channels_last=False)))
    for k in (1, 3):  # the other numerics: TF32 convolutions and products (--tf32); the rest above is fp32
        plan.append((f"acai-k{k}-graph-tf32", lambda k=k: _with_tf32(True, lambda: bench(w, "acai", k, True))))
    for name in MODELS_TRAINED:
        plan.append((f"{name}-evaluation", lambda name=name: evaluation_cost(w, name)))
    for key, fn in plan:
        if w.left() < 15:
            timings[key] = {"skipped": "time"}
            continue
        timings[key] = w.guarded(f"bench {key}", fn)
        w.log(f"bench {key}: {json.dumps(timings[key])}")


def _with_tf32(on: bool, fn: Callable[[], Any]) -> Any:
    with tf32(on):
        return fn()


# ------------------------------------------------------------------------------------------ call 2
def plan_budget(available_s: float, ms_acai: float, ms_baseline: float, eval_s: float, score_reserve_s: float,
                batch: int = 64, cap_kimg: float = PAPER_KIMG, evaluations: int = EVALUATIONS) -> float:
    """The largest budget K (kimg; a multiple of 64, or of 1/64 below that) at which both models' k = 3 runs fit.

    Per model: K × 1,024 / batch steps at its measured ms per (3-seed) step, plus ``evaluations``
    trail evaluations of 3 runs at ``eval_s`` each; then ``score_reserve_s`` to score and pack.
    """
    steps_per_kimg = 1024 / batch
    seconds_per_kimg = steps_per_kimg * (ms_acai + ms_baseline) / 1e3
    training_s = available_s - score_reserve_s - 2 * evaluations * len(SEEDS) * eval_s
    kimg = min(cap_kimg, training_s / seconds_per_kimg) if training_s > 0 else 0.0
    grain = 64.0 if kimg >= 64 else 1 / 64
    return math.floor(kimg / grain) * grain


def command_train(w: Window, score_seeds: list[int]) -> None:
    from reference_models.reproduce import reproduce

    w.results["env"] = environment(w)
    smoke_results: dict[str, Any] = w.results.setdefault("calibration", {})
    for name in MODELS_TRAINED:  # a fresh machine: does capture work here, and how fast is a step?
        smoke_results[f"{name}-smoke-k1"] = w.guarded(f"smoke {name}", lambda name=name: smoke(w, name, 1, w.steps(10)))
    graph_ok = all((smoke_results.get(f"{m}-smoke-k1") or {}).get("pass") for m in MODELS_TRAINED)
    graphed = graph_ok and w.device.type == "cuda"
    # One run at a time, each its own graph: on the first window's H200 three seeds batched into one
    # graph took 2.0x as long as three single-seed steps (check.json there), as on a 2-core CPU.
    times = {name: w.guarded(f"time {name}", lambda name=name: engine_ms_per_step(w, name, 1, graphed)) for name in MODELS_TRAINED}
    cost = w.guarded("evaluation cost", lambda: evaluation_cost(w, "acai")) or {"score_one_seed_s": 1.0}
    if not all(times.values()):
        w.log("step timing failed; nothing trained")
        return
    eval_s = cost["score_one_seed_s"] * (0.5 if w.dry_run else 1.0) + 0.05
    # Scoring after training: 3 runs × the protocol seeds × 2 models, plus probes and packing, with a margin.
    reserve = 1.5 * (2 * len(SEEDS) * len(score_seeds) * cost["score_one_seed_s"]) + (5.0 if w.dry_run else 30.0)
    available = w.left() - 20.0  # 20 s: capture, the first evaluation, process noise
    batch = int((w.config or {}).get("batch_size", 64))
    evaluations = 2 if w.dry_run else EVALUATIONS
    # Timed through the engine itself; a 10 % margin for a step that drifts (clocks, the host) so the
    # second model is not squeezed out.
    three_runs_ms = {name: len(SEEDS) * times[name]["ms_per_step"] for name in MODELS_TRAINED}
    kimg = plan_budget(available, 1.1 * three_runs_ms["acai"], 1.1 * three_runs_ms["baseline"], eval_s, reserve,
                       batch=batch, cap_kimg=0.25 if w.dry_run else PAPER_KIMG, evaluations=evaluations)
    if w.dry_run:  # a rehearsal trains at least two steps, however slow this CPU is today
        kimg = max(kimg, 2 * batch / 1024)
    w.results["plan"] = {"kimg": kimg, "cuda_graph": graphed, "batched_seeds": False, "available_s": available,
                         "score_reserve_s": reserve, "eval_s": eval_s, "engine_ms_per_step": {n: t["ms_per_step"] for n, t in times.items()}}
    w.log(f"plan: {json.dumps(w.results['plan'])}")
    w.save()
    if kimg <= 0:
        w.log("no budget fits; nothing trained")
        return
    outcomes = w.guarded("reproduce", lambda: reproduce(
        w.out / "runs-work" if w.dry_run else Path(os.environ.get("TMPDIR", "/tmp")) / f"gpu-window-{os.getpid()}",
        models=list(MODELS_TRAINED), seeds=list(SEEDS), preset="paper", kimg=kimg, minutes=(w.left() - 5.0) / 60.0,
        device=str(w.device), eval_every_kimg=kimg / evaluations, eval_pairs=256 if not w.dry_run else 16,
        score_seeds=score_seeds, probe_restarts=10 if not w.dry_run else 1, config=w.config or None, progress=False,
        score_pairs=16 if w.dry_run else None,
        batched=False, pack=w.out / "pack", cuda_graph=graphed, echo=w.log))
    if outcomes:
        w.results["trained"] = [{"model": o.model, "status": o.status,
                                 "runs": [{"seed": r.seed, "steps": r.steps, "finished": r.finished,
                                           "samples_per_s": r.samples_per_second, "median_last_20": r.paper_figure}
                                          for r in o.runs]} for o in outcomes]


# ------------------------------------------------------------------------------------------ entry point
def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="tools/device/gpu_window.py", description=__doc__,
                                     formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("command", choices=("check", "train"))
    parser.add_argument("--out", default=os.environ.get("OUT"), help="output folder [default: $OUT]")
    parser.add_argument("--budget-s", type=float, default=500.0, help="the command stops itself after this [default: 500, under 9 min]")
    parser.add_argument("--dry-run", action="store_true", help="CPU, tiny models and step counts: checks the plumbing only")
    parser.add_argument("--score-seeds", default="0-4", help="protocol seeds each trained run is scored on [default: 0-4]")
    args = parser.parse_args(argv)
    if not args.out:
        parser.error("give --out (or set $OUT)")
    if not args.dry_run and not torch.cuda.is_available():
        parser.error("no CUDA device here; use --dry-run for a CPU rehearsal")
    lo, _, hi = args.score_seeds.partition("-")
    score_seeds = list(range(int(lo), int(hi or lo) + 1))
    out = Path(args.out)
    out.mkdir(parents=True, exist_ok=True)
    # Every timing runs with the numerics training uses: the engine's default is the paper's fp32
    # (no TF32), while PyTorch's own default lets cuDNN use TF32. The first window timed steps with
    # PyTorch's default, so its plan was made for other numerics than the training then ran.
    torch.backends.cudnn.allow_tf32 = torch.backends.cuda.matmul.allow_tf32 = False
    w = Window(out, args.command, args.budget_s, args.dry_run)
    w.results["tf32_in_timings"] = "off unless a key says -tf32 (training's default)"
    if args.command == "check":
        command_check(w)
    else:
        command_train(w, score_seeds)
    w.results["seconds"] = round(time.monotonic() - w.t0, 1)
    w.save()
    w.log(f"done; errors: {json.dumps([e['section'] + ': ' + e['error'] for e in w.results['errors']])}")
    return 1 if w.results["errors"] else 0


if __name__ == "__main__":
    raise SystemExit(main())

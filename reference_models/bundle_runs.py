"""Export finished training runs as bundled checkpoints (a maintainer's step before a release).

    python -m reference_models.bundle_runs runs/cpu/acai runs/cpu/baseline ...
    python -m reference_models.bundle_runs reference_models/checkpoints/*.pt   # re-encode the bundles

then paste the printed ``bundled=`` lines into the registry entries.
"""

from __future__ import annotations

from pathlib import Path

from .bundle_export import export_bundle
from .bundled import BUNDLE_DIR
from .training.checkpoint import file_sha256, read_checkpoint
from .weight_codec import FULL_BITS, HALF_FULL_BITS


# Mantissa bits tried, fewest first: each bundle keeps the fewest that still score as the full weights.
BIT_CHOICES = (10, 12, 14, 16, 18, 20, FULL_BITS)
# The same for float16 tensors (VQ-VAE's never-used codes), tried once the float32 bits are chosen.
HALF_BIT_CHOICES = (3, 5, 7, HALF_FULL_BITS)


def main(argv: list[str] | None = None) -> int:
    """``python -m reference_models.bundle_runs SOURCE...``: export finished runs into the package.

    A SOURCE is a run directory written by `interpbench train` or a checkpoint file (a bundle
    too: re-exporting one re-encodes it). Each bundle keeps the fewest mantissa bits of
    BIT_CHOICES whose bundle scores as the source within the regression tolerance (1e-5 Mean
    Distance, 1e-3 Smoothness, one protocol seed of 256 pairs), or those of --bits; then, for
    a model with float16 tensors, the fewest of HALF_BIT_CHOICES that still pass.
    Prints the ``bundled=`` argument to put in each model's registry entry.
    """
    import argparse
    import shutil
    import tempfile

    parser = argparse.ArgumentParser(prog="python -m reference_models.bundle_runs", description=main.__doc__)
    parser.add_argument("sources", nargs="+", help="run directories or checkpoint files")
    parser.add_argument("--bits", type=int, choices=BIT_CHOICES, help="float32 mantissa bits to keep [default: the fewest that pass; give a bundle's own to keep its float32 weights as they are]")
    args = parser.parse_args(argv)
    for source in args.sources:
        path = Path(source) / "checkpoint.pt" if Path(source).is_dir() else Path(source)
        record = read_checkpoint(path)
        if record["kimg_done"] < record.get("kimg_target", 0):
            raise SystemExit(f"error: {source} stopped at {record['kimg_done']:g} of {record['kimg_target']:g} kimg; resume it first")
        name = f"{record['model']}-{record['preset']}-s{record['seed']}.pt"
        full = _score(record["model"], path)
        print(f"{record['model']}: full MD {full[0]:.9e} Sm {full[1]!r}")
        with tempfile.TemporaryDirectory() as tmp:
            chosen = _fewest_passing_bits(record["model"], path, full, Path(tmp), [args.bits] if args.bits else list(BIT_CHOICES))
            shipped = read_checkpoint(chosen) if chosen is not None else None
            if shipped is not None and any(e.get("dtype") == "float16" for e in shipped["encoded_state"].values()):
                chosen = _fewest_passing_bits(record["model"], path, full, Path(tmp), list(HALF_BIT_CHOICES),
                                              float_bits=int(shipped["weight_bits"]))
            if chosen is None:
                raise SystemExit(f"error: no bundle of {source} scores as its checkpoint; not exported")
            dest = BUNDLE_DIR / name
            shutil.copyfile(chosen, dest)
        digest = file_sha256(dest)
        print(f'{record["model"]}: bundled=BundledCheckpoint("{name}", "{digest}", "{record["preset"]}", {record["kimg_done"]:g}),')
    return 0


def _fewest_passing_bits(model: str, source: Path, full: tuple[float, float | None], tmp: Path,
                         choices: list[int], float_bits: int | None = None) -> Path | None:
    """The bundle with the fewest of ``choices`` mantissa bits that scores as ``full``, by bisection (more
    bits never score further from the full weights, up to rounding noise; the one returned was scored).

    With ``float_bits`` the choices are float16 bits, float32 tensors keeping ``float_bits``.
    """
    lo, hi, best = 0, len(choices) - 1, None
    while lo <= hi:
        mid = (lo + hi) // 2
        bits = {"bits": float_bits, "half_bits": choices[mid]} if float_bits is not None else {"bits": choices[mid]}
        trial, _ = export_bundle(source, tmp / f"{float_bits}-{choices[mid]}.pt", **bits)
        bundled = _score(model, trial)
        ok = _within_regression_tolerance(full, bundled)
        kind = "float16 mantissa bits" if float_bits is not None else "mantissa bits"
        print(f"{model}: {choices[mid]} {kind}, {trial.stat().st_size / 1e6:.2f} MB: bundle MD {bundled[0]:.9e} "
              f"Sm {bundled[1]!r} {'within' if ok else 'outside'} the tolerance", flush=True)
        if ok:
            best, hi = trial, mid - 1
        else:
            lo = mid + 1
    return best


def _score(model: str, checkpoint: Path) -> tuple[float, float | None]:
    """Mean Distance and Smoothness of one protocol seed (256 pairs) of ``checkpoint``."""
    import math

    import interpbench

    from .loading import load_trained

    result = interpbench.score(load_trained(model, checkpoint)[0], seeds=[0], keep_images=False)
    return result.mean_distance, None if math.isnan(result.smoothness) else result.smoothness


def _within_regression_tolerance(full: tuple[float, float | None], bundled: tuple[float, float | None]) -> bool:
    """The regression baselines' tolerances (leaderboard/publish_reference_models.sh): 1e-5 MD, 1e-3 Smoothness."""
    import math

    if not math.isclose(full[0], bundled[0], rel_tol=1e-5, abs_tol=1e-12):
        return False
    if full[1] is None or bundled[1] is None:
        return full[1] is bundled[1]
    return math.isclose(full[1], bundled[1], rel_tol=1e-3, abs_tol=1e-12)


if __name__ == "__main__":
    raise SystemExit(main())

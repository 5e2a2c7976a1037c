"""Export finished training runs as bundled checkpoints (a maintainer's step before a release).

    python -m reference_models.bundle_runs runs/cpu/acai runs/cpu/baseline ...

then paste the printed ``bundled=`` lines into the registry entries.
"""

from __future__ import annotations

from pathlib import Path

from .bundle_export import export_bundle
from .bundled import BUNDLE_DIR
from .training.checkpoint import read_checkpoint


def main(argv: list[str] | None = None) -> int:
    """``python -m reference_models.bundle_runs RUN_DIR...``: export finished runs into the package.

    Prints the ``bundled=`` argument to put in each model's registry entry.
    """
    import argparse

    parser = argparse.ArgumentParser(prog="python -m reference_models.bundle_runs", description=main.__doc__)
    parser.add_argument("runs", nargs="+", help="run directories written by `interpbench train`")
    args = parser.parse_args(argv)
    for run in args.runs:
        record = read_checkpoint(Path(run) / "checkpoint.pt")
        if record["kimg_done"] < record.get("kimg_target", 0):
            raise SystemExit(f"error: {run} stopped at {record['kimg_done']:g} of {record['kimg_target']:g} kimg; resume it first")
        name = f"{record['model']}-{record['preset']}-s{record['seed']}.pt"
        dest, digest = export_bundle(Path(run) / "checkpoint.pt", BUNDLE_DIR / name)
        full, bundled = (_score(record["model"], path) for path in (Path(run) / "checkpoint.pt", dest))
        print(f"{record['model']}: full checkpoint MD {full[0]:.9e} Sm {full[1]!r}; bundle MD {bundled[0]:.9e} Sm {bundled[1]!r}")
        if not _within_regression_tolerance(full, bundled):
            raise SystemExit(f"error: the bundle of {run} scores differently from its checkpoint; not exported")
        print(f'{record["model"]}: bundled=BundledCheckpoint("{name}", "{digest}", "{record["preset"]}", {record["kimg_done"]:g}),')
    return 0


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

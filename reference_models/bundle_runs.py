"""Export finished training runs as bundled checkpoints (a maintainer's step before a release).

    python -m reference_models.bundle_runs runs/cpu/acai runs/cpu/baseline ...

then paste the printed ``bundled=`` lines into the registry entries.
"""

from __future__ import annotations

from pathlib import Path

from .bundled import BUNDLE_DIR, export_bundle
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
        _, digest = export_bundle(Path(run) / "checkpoint.pt", BUNDLE_DIR / name)
        print(f'{record["model"]}: bundled=BundledCheckpoint("{name}", "{digest}", "{record["preset"]}", {record["kimg_done"]:g}),')
    return 0


if __name__ == "__main__":
    raise SystemExit(main())

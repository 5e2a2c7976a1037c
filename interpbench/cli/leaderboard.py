"""``interpbench leaderboard``: file validated results (``add``), render the pages (``build``), ``validate``."""

from __future__ import annotations

import os
import sys
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Any

import click

from ..limits import MAX_KIMG, MAX_RATE, MAX_SECONDS
from .options import FiniteFloat, json_option, preset_option

_DIR_OPTION = click.option(
    "--leaderboard", "--dir", "root", type=click.Path(file_okay=False),
    help="Leaderboard folder (holds results/, figures/, README.md, index.html) [default: the repository's "
         "leaderboard/, found from the working directory upwards].",
)


@contextmanager
def _stages(total: int, what: str) -> Iterator[Callable[[str], None]]:
    """A progress bar of named stages on a terminal (stderr; nothing when piped): `add` and `build`
    took 5-17 s without a word."""
    from tqdm.auto import tqdm

    with tqdm(total=total, desc=what, unit="step", disable=None, leave=False) as bar:
        def advance(stage: str) -> None:
            bar.set_postfix_str(stage)
            bar.update(1)

        yield advance


def _root(given: str | None) -> str:
    """``--leaderboard`` if given, else the leaderboard found at or above the working directory."""
    if given is not None:
        return given
    from ..leaderboard.location import find_leaderboard

    found = find_leaderboard()
    if found is None:
        raise click.UsageError(
            f"no leaderboard (a leaderboard/ folder with results/) in {os.getcwd()!r} or above it; "
            "run from the repository or pass --leaderboard DIR"
        )
    return str(found)


@click.group()
def leaderboard() -> None:
    """The leaderboard as data: one validated JSON entry per model under leaderboard/results/."""


@leaderboard.command()
@click.argument("results", nargs=-1, required=True, type=click.Path(dir_okay=False))
@_DIR_OPTION
@click.option("--probes", "probe_files", multiple=True, type=click.Path(dir_okay=False), help="Probe accuracies (a probe record or {\"dataset/probe\": percent}); repeatable.")
@click.option("--figure", type=click.Path(dir_okay=False), help="Interpolation grid PNG (from `interpbench run --figure`) to show with the entry.")
@preset_option("Training preset, if the result's model record does not name it (custom: a budget of your own).", extra=("custom",))
@click.option("--kimg", type=FiniteFloat(0, MAX_KIMG, min_open=True), help="Training budget in kimg, if the result does not say.")
@click.option("--training-hardware", help="Hardware the model was trained on.")
@click.option("--wall-clock", "wall_clock_s", type=FiniteFloat(0, MAX_SECONDS), help="Training wall-clock time in seconds.")
@click.option("--samples-per-s", type=FiniteFloat(0, MAX_RATE), help="Training throughput in samples/s.")
@click.option("--kind", type=click.Choice(["builtin", "reference", "external"]), help="Override the detected kind of model.")
@click.option("--id", "entry_id", help="Entry id [default: model-preset-<kimg>kimg-spec].")
@click.option("--notes", help="Free text shown nowhere in the tables but kept in the entry.")
@click.option("--dry-run", is_flag=True, help="Validate and print the entry id, but write nothing.")
def add(results, root, probe_files, figure, preset, kimg, training_hardware, wall_clock_s, samples_per_s, kind, entry_id, notes, dry_run):  # type: ignore[no-untyped-def]
    """Validate RESULTS and file them as one entry (several files = one model, several training seeds).

    A file that already is a leaderboard entry (format interpbench-leaderboard-entry) is
    validated and filed as it is. A malformed or duplicate entry is rejected; nothing is written.
    """
    from ..leaderboard.entries import add_entry, check_png, read_json

    root = _root(root)
    if figure:
        check_png(figure)  # --dry-run too: a missing figure is a mistake whether or not anything is written
    with _stages(3, "leaderboard add") as stage:
        stage(f"reading {len(results)} result file(s)")
        records = [read_json(p, what="result") for p in results]
        stage("building the entry (bootstrap intervals)")
        entry = _entry(records, results, probe_files, figure, preset, kimg, training_hardware, wall_clock_s, samples_per_s, kind,
                       entry_id, notes)
        if dry_run:
            click.echo(f"valid: {entry['id']} (not written: --dry-run)")
            return
        stage("checking it against the filed entries")
        target = add_entry(root, entry, figure_source=figure)
    click.echo(f"added {entry['id']} -> {target}")


def _entry(records, results, probe_files, figure, preset, kimg, training_hardware, wall_clock_s, samples_per_s, kind,  # type: ignore[no-untyped-def]
           entry_id, notes) -> dict[str, Any]:
    """The entry `add` files: a ready-made entry as it is, else one built from result records (and probes, figure)."""
    from ..leaderboard.entries import (
        ENTRY_FORMAT, FIGURES_DIR, check_entry, check_probe_model, entry_from_results, probe_accuracies, read_json,
    )

    if any(isinstance(r, dict) and r.get("format") == ENTRY_FORMAT for r in records):
        if len(records) != 1 or probe_files or figure or preset or kimg or entry_id:
            raise click.UsageError("a ready-made leaderboard entry is filed on its own, without other options")
        entry = records[0]
        check_entry(entry, label=results[0])
    else:
        training = {"preset": preset, "kimg": kimg, "hardware": training_hardware, "wall_clock_s": wall_clock_s, "samples_per_s": samples_per_s}
        entry = entry_from_results(records, training=training, kind=kind, notes=notes, labels=list(results), entry_id_override=entry_id)
        probes: dict[str, float] = {}
        for p in probe_files:
            record = read_json(p, what="probe record")
            check_probe_model(record, entry, label=p)  # accuracies of another model must not be attached
            probes.update(probe_accuracies(record, label=p))
        if probes:
            entry["probes"] = probes
        if figure:
            entry["figures"] = {"grid": f"{FIGURES_DIR}/{entry['id']}.grid.png"}
        if probes or figure:
            check_entry(entry)
    return entry


@leaderboard.command()
@_DIR_OPTION
@click.option("--check", "check_only", is_flag=True, help="Write nothing; exit 1 if README.md or index.html are out of date.")
def build(root, check_only):  # type: ignore[no-untyped-def]
    """Regenerate README.md, index.html and figures/scatter.png from the entries."""
    from ..leaderboard.render import build as build_pages, render_pages

    root = _root(root)
    if check_only:
        _, pages = render_pages(root)
        stale = [name for name, text in pages.items() if not (Path(root) / name).is_file() or (Path(root) / name).read_text(encoding="utf-8") != text]
        if stale:
            click.echo(f"out of date: {', '.join(stale)} (run `interpbench leaderboard build`)", err=True)
            sys.exit(1)
        click.echo("leaderboard pages are up to date")
        return
    with _stages(3, "leaderboard build") as stage:
        pages = build_pages(root, on_stage=stage)
    click.echo(f"wrote {', '.join(str(Path(root) / n) for n in pages)} and {Path(root) / 'figures' / 'scatter.png'}")


@leaderboard.command()
@_DIR_OPTION
@json_option("Print every entry as a JSON record (every column of interpbench.leaderboard.to_frame()) instead of a table.")
@click.option("--all-columns", is_flag=True, help="Every column of interpbench.leaderboard.to_frame(), not just the headline ones.")
def show(root, as_json, all_columns):  # type: ignore[no-untyped-def]
    """Print the leaderboard: rank, model, budget and scores of every entry, per suite and protocol, best first."""
    from ..leaderboard.frame import to_frame

    frame = to_frame(_root(root))
    if as_json:
        click.echo(frame.to_json(orient="records", indent=1, double_precision=15, force_ascii=False))  # NaN: null, strict JSON
        return
    if not all_columns:
        frame = frame[_SHOW_COLUMNS].copy()
        frame["mean_distance"] = frame["mean_distance"] * 1e3  # the paper prints Mean Distance ×10⁻³
        frame = frame.rename(columns={"mean_distance": "mean_distance_e3"})
    for (suite, protocol), group in frame.groupby(["suite", "protocol"], sort=False):
        click.echo(f"{suite} benchmark, {protocol}")
        click.echo(group.drop(columns=["suite", "protocol"]).to_string(index=False, na_rep="—", float_format=lambda v: f"{v:.4g}"))
        click.echo("")


_SHOW_COLUMNS = ["suite", "protocol", "rank", "model", "preset", "kimg", "mean_distance", "smoothness", "geodesic_error", "n_undefined"]


@leaderboard.command()
@_DIR_OPTION
def validate(root):  # type: ignore[no-untyped-def]
    """Validate every entry under results/ and downstream/ against its schema; exit 1 naming the first bad field."""
    from ..leaderboard.downstream import load_downstream
    from ..leaderboard.entries import load_entries

    entries = load_entries(_root(root))
    downstream = load_downstream(_root(root))
    click.echo(f"{len(entries)} entries valid" + (f", {len(downstream)} downstream entries valid" if downstream else ""))

"""Render the leaderboard: the same tables as Markdown (README.md) and as a static HTML page.

The tables are built once as plain data (:class:`Table`) and then written in both formats, so
the two files cannot disagree. Output has no timestamps: rebuilding unchanged entries gives
byte-identical files, which lets CI check that the committed pages are up to date.
"""

from __future__ import annotations

import html
import os
from dataclasses import dataclass, field
from pathlib import Path

from ..atomic import atomic_paths
from ..metrics import COLLAPSE_SPREAD
from ..spec import SPEC_VERSION
from .entries import FIGURES_DIR, Entry, load_entries
from .guard import leaderboard_folder, leaderboard_lock
from .paper import PAPER_CITATION, PAPER_TABLE1, PaperRow, paper_key
from .stats import overlaps

__all__ = ["Table", "build_tables", "render_markdown", "render_html", "render_pages", "build"]

SCATTER = f"{FIGURES_DIR}/scatter.png"
_SCALE_END = {"oracle": "perfect decoder: best possible", "pixels": "pixel crossfade: what a plain AE tends towards"}


@dataclass
class Table:
    """A titled table: column headers, rows of cell strings, and notes printed under it."""

    key: str
    title: str
    columns: list[str]
    rows: list[list[str]]
    row_ids: list[str] = field(default_factory=list)
    notes: list[str] = field(default_factory=list)


# ------------------------------------------------------------------------------- cells
def _decimals_e3(value: float) -> int:
    """Digits after the point for Mean Distance ×10⁻³: enough to tell the oracle (~1e-4) from 0."""
    v = abs(value * 1e3)
    return 4 if v < 1 else 2 if v < 100 else 1


def _md_e3(value: float, decimals: int | None = None) -> str:
    return f"{value * 1e3:.{_decimals_e3(value) if decimals is None else decimals}f}"


def _md_pm(mean: float, std: float) -> str:
    """mean ± std ×10⁻³, both with the mean's number of decimals."""
    d = _decimals_e3(mean)
    return f"{_md_e3(mean, d)} ± {_md_e3(std, d)}"


def _sm(value: float) -> str:
    return f"{value:.3f}"


def _sm_pm(summary: dict) -> str:
    """Smoothness mean ± std, or why there is none."""
    if summary["mean"] is None:
        return "undefined (all paths)"
    return f"{_sm(summary['mean'])} ± {_sm(summary['std'])}"


def _or_inf(value: float | None) -> float:
    """Undefined ranks last."""
    return float("inf") if value is None else value


def _spread(entry: Entry) -> str:
    s = entry.summary("mean_distance")
    if s["over"] == "training_seeds":
        return f"{s['n']} training seeds"
    runs = "no training (analytic)" if entry.data["training"] is None and entry.kind == "builtin" else "n=1 training seed"
    return f"{s['n']} protocol seeds; {runs}"


def _budget(entry: Entry) -> str:
    t = entry.data["training"]
    if t is None:
        return "analytic, no training" if entry.kind == "builtin" else "not given"
    cell = f"{t['preset']} · {t['kimg']:g} kimg"
    if t.get("wall_clock_s"):
        cell += f" · {_duration(t['wall_clock_s'])}"
    if t.get("samples_per_s"):
        cell += f" · {t['samples_per_s']:,.0f} img/s"
    return cell


def _duration(seconds: float) -> str:
    return f"{seconds / 3600:.1f} h" if seconds >= 5400 else f"{seconds / 60:.1f} min" if seconds >= 90 else f"{seconds:.0f} s"


def _hardware(entry: Entry) -> str:
    t = entry.data["training"]
    scored = entry.data["provenance"]["hardware"]
    trained = t.get("hardware") if t else None
    return f"trained: {trained}; scored: {scored}" if trained else f"scored: {scored}"


def _label(entry: Entry) -> str:
    t = entry.data["training"]
    return entry.name if t is None else f"{entry.name} ({t['preset']}, {t['kimg']:g} kimg)"


def _unresolved(entry: Entry, others: list[Entry], metric: str) -> list[str]:
    mine = entry.summary(metric)["ci95"]
    if mine is None:
        return []
    return [_label(o) for o in others if o.id != entry.id and o.summary(metric)["ci95"] is not None
            and overlaps(mine, o.summary(metric)["ci95"])]


# ------------------------------------------------------------------------------ tables
def _protocol_text(protocol: dict) -> str:
    return f"{protocol['path']}, {protocol['pairs']}×{protocol['steps']}, seeds {','.join(map(str, protocol['seeds']))}"


def by_protocol(ranked: list[Entry]) -> list[list[Entry]]:
    """``ranked`` split into groups of one protocol each, the largest group first, ranks kept.

    Scores of different protocols (another path, other pairs or seeds) are not comparable, so
    each group is ranked on its own.
    """
    groups: dict[str, list[Entry]] = {}
    for e in ranked:
        groups.setdefault(_protocol_text(e.data["protocol"]), []).append(e)
    return sorted(groups.values(), key=lambda g: (-len(g), _protocol_text(g[0].data["protocol"])))


def _lines_table(group: list[Entry], key: str, title: str) -> Table:
    """One ranked table of entries that share a protocol."""
    table = Table(
        key=key,
        title=title,
        columns=[
            "#", "model", "Mean Distance ×10⁻³", "Smoothness", "geodesic error", "spread over (n)",
            "Mean Distance 95% CI ×10⁻³", "Smoothness 95% CI", "not resolved from",
            "undefined Smoothness", "preset · budget · training time · speed", "hardware", "protocol",
        ],
        rows=[],
    )
    for i, e in enumerate(group, 1):
        md, sm = e.summary("mean_distance"), e.summary("smoothness")
        md_tie = _unresolved(e, group, "mean_distance")
        sm_tie = _unresolved(e, group, "smoothness")
        tie = "; ".join(
            part for part in (
                f"Mean Distance: {', '.join(md_tie)}" if md_tie else "",
                f"Smoothness: {', '.join(sm_tie)}" if sm_tie else "",
            ) if part
        ) or "—"
        proto = e.data["protocol"]
        name = _label(e) + (f" — scale end: {_SCALE_END[e.name]}" if e.kind == "builtin" and e.name in _SCALE_END else "")
        name += " — collapsed" if e.collapsed else ""
        table.rows.append([
            str(i), name,
            _md_pm(md['mean'], md['std']), _sm_pm(sm), _geodesic_pm(e), _spread(e),
            f"[{_md_e3(md['ci95'][0], _decimals_e3(md['mean']))}, {_md_e3(md['ci95'][1], _decimals_e3(md['mean']))}]",
            "—" if sm["ci95"] is None else f"[{_sm(sm['ci95'][0])}, {_sm(sm['ci95'][1])}]", tie,
            f"{e.data['summary']['n_undefined']} of {proto['pairs'] * len(proto['seeds']) * len(e.data['runs'])}",
            _budget(e), _hardware(e), _protocol_text(proto),
        ])
        table.row_ids.append(e.id)
    return table


def build_tables(entries: list[Entry]) -> list[Table]:
    """The lines table (one per protocol), the probe table and the comparison with the paper's Table 1."""
    ranked = sorted(entries, key=lambda e: (e.summary("mean_distance")["mean"], _or_inf(e.summary("smoothness")["mean"]), e.id))
    groups = by_protocol(ranked) or [[]]
    several = len(groups) > 1
    line_tables = [
        _lines_table(group, "lines" if i == 0 else f"lines-{i + 1}",
                     f"Lines benchmark, protocol {_protocol_text(group[0].data['protocol'])}" if several else "Lines benchmark")
        for i, group in enumerate(groups)
    ]
    lines = line_tables[0]
    lines.notes = [
        "Lower is better for both metrics. Mean Distance is stored unscaled in the entries and printed ×10⁻³.",
        "mean ± std: over training seeds (population std, as the paper) when an entry has several training runs; "
        "otherwise over protocol seeds (endpoint draws) of its single run. “spread over (n)” says which.",
        "95% CI: percentile bootstrap (2,000 resamples, fixed RNG seed) over training runs, protocol seeds and "
        "interpolation pairs. Where two entries' intervals overlap, their difference is not resolved: "
        "“not resolved from” names those entries.",
        "Training time: wall clock of `interpbench train` summed over every invocation of the run (resumes), "
        "its evaluation trail included; speed is training samples over that time.",
        *(["Entries are ranked only against entries scored with the same protocol (path, pairs × steps, seeds): "
           "each protocol has its own table, because Smoothness and the geodesic error change with the steps N and "
           "Mean Distance with the path kind."] if several else []),
        *_collapse_notes(ranked),
    ]
    for table in line_tables[1:]:
        table.notes = ["Ranked among themselves only: these entries were scored with another protocol than the first table's."]
    main_protocol = groups[0][0].data["protocol"] if groups[0] else None

    def marked(row: list[str], e: Entry) -> list[str]:
        """A paper-table row of an entry outside the main protocol says so by its name."""
        if several and e.data["protocol"] != main_protocol:
            row[paper.columns.index("interpbench entry")] += f" (protocol {_protocol_text(e.data['protocol'])})"
        return row

    probe_keys = sorted({k for e in entries for k in e.data.get("probes", {})})
    probes = Table(key="probes", title="Probe accuracies (%)", columns=["model", *probe_keys], rows=[])
    for e in ranked:
        if e.data.get("probes"):
            probes.rows.append([_label(e), *(f"{e.data['probes'][k]:.2f}" if k in e.data["probes"] else "—" for k in probe_keys)])
            probes.row_ids.append(e.id)
    probes.notes = [
        "Test accuracy of a linear classifier and of k-means clustering on frozen codes (SPEC §6); higher is better."
        if probes.rows else "No entry has probe accuracies yet."
    ]

    paper = Table(
        key="paper",
        title="Paper Table 1 side by side",
        columns=["model", "paper Mean Distance ×10⁻³", "paper Smoothness", "paper geodesic error", "interpbench entry",
                 "Mean Distance ×10⁻³", "Smoothness", "geodesic error", "spread over (n)",
                 "median of last 20: Mean Distance ×10⁻³", "median of last 20: Smoothness", "within the paper's error bars?"],
        rows=[],
    )
    by_key: dict[str, list[Entry]] = {}
    for e in ranked:
        by_key.setdefault(paper_key(e.name), []).append(e)
    ends = [e for e in ranked if e.kind == "builtin" and e.name in _SCALE_END]
    for e in [x for x in ends if x.name == "oracle"]:
        paper.rows.append(_paper_row("oracle (scale end)", None, e))
        paper.row_ids.append(e.id)
    for row in PAPER_TABLE1:
        mine = [e for e in by_key.get(paper_key(row.model), []) if e.kind != "builtin"]
        if not mine:
            paper.rows.append([row.model, *_published(row), "not trained yet", "—", "—", "—", "—", "—", "—", "—"])
            paper.row_ids.append(f"paper-{paper_key(row.model)}")
        for e in mine:
            paper.rows.append(marked(_paper_row(row.model, row, e), e))
            paper.row_ids.append(e.id)
    for e in [x for x in ends if x.name == "pixels"]:
        paper.rows.append(_paper_row("pixels (scale end)", None, e))
        paper.row_ids.append(e.id)
    # The paper's ordering is a ranking too: only among entries of the main protocol.
    trained = [e for e in ranked if e.kind == "reference" and e.data["protocol"] == main_protocol]
    paper.notes = [
        f"Paper: {PAPER_CITATION}; mean ± population std over ≥ 3 training runs, each run's score the median of "
        "its last 20 evaluations during training (SPEC §7). interpbench's “Mean Distance” and “Smoothness” columns "
        "score the final checkpoint; the “median of last 20” columns are the paper's figure, from the run's own "
        "evaluation trail (mean over training runs).",
        "“within the paper's error bars?”: whether our paper-style figure (the final score where a run kept no "
        "trail) lies inside the paper's mean ± std, metric by metric. Entries trained with a reduced preset are "
        "not paper reproductions: their budget is in the model column.",
        *_ordering_notes(trained),
    ]
    return [*line_tables, probes, paper]


def _published(row: PaperRow) -> tuple[str, str, str]:
    """The paper's two numbers, and "—" for the geodesic error, which the paper did not define."""
    return f"{row.mean_distance_e3:.2f} ± {row.mean_distance_e3_std:.2f}", f"{row.smoothness:.2f} ± {row.smoothness_std:.2f}", "—"


def _geodesic_pm(e: Entry) -> str:
    """Geodesic error mean ± std, or "—" for an entry filed before the metric existed."""
    if "geodesic_error" not in e.data["summary"]:
        return "—"
    g = e.summary("geodesic_error")
    return f"{g['mean']:.4f} ± {g['std']:.4f}"


def paper_figure_of(entry: Entry, metric: str) -> float | None:
    """The paper-style figure of ``entry``: mean over its runs of each run's median of last evaluations.

    ``None`` if any run kept no trail (or, for Smoothness, had no defined value in it).
    """
    values = [r.get("paper_figure", {}).get(metric) for r in entry.data["runs"]]
    return None if not values or any(v is None for v in values) else float(sum(values) / len(values))


def _comparable(entry: Entry, metric: str) -> float | None:
    """What is compared with the paper: the paper-style figure if the entry has one, else the final score."""
    figure = paper_figure_of(entry, metric)
    return entry.summary(metric)["mean"] if figure is None else figure


def _verdict(value: float | None, mean: float, std: float, scale: float = 1.0) -> str:
    if value is None:
        return "no, undefined"
    v = value * scale
    if abs(v - mean) <= std:
        return "yes"
    return "no, higher" if v > mean else "no, lower"


def _paper_row(model: str, row: PaperRow | None, e: Entry) -> list[str]:
    md, sm = e.summary("mean_distance"), e.summary("smoothness")
    fig_md, fig_sm = paper_figure_of(e, "mean_distance"), paper_figure_of(e, "smoothness")
    if row is None:
        published, verdict = ("—", "—", "—"), "—"
    else:
        published = _published(row)
        verdict = (f"Mean Distance: {_verdict(_comparable(e, 'mean_distance'), row.mean_distance_e3, row.mean_distance_e3_std, 1e3)}; "
                   f"Smoothness: {_verdict(_comparable(e, 'smoothness'), row.smoothness, row.smoothness_std)}")
    return [model, *published, _label(e), _md_pm(md['mean'], md['std']), _sm_pm(sm), _geodesic_pm(e), _spread(e),
            "—" if fig_md is None else _md_e3(fig_md),
            _sm(fig_sm) if fig_sm is not None else "undefined" if fig_md is not None else "—", verdict]


def _collapse_notes(entries: list[Entry]) -> list[str]:
    """One note per collapsed entry: why its Smoothness is undefined."""
    return [
        f"{_label(e)} is collapsed: its decoded images are all one image whatever the code (output spread "
        f"{max(e.output_spreads):.3f} of the data's, below {COLLAPSE_SPREAD}), so Smoothness is undefined on every path."
        for e in entries if e.collapsed
    ]


def _ordering_notes(trained: list[Entry]) -> list[str]:
    """Does the paper's ordering (ACAI lowest on both metrics) hold among the trained reference entries?"""
    if not trained:
        return ["No reference model is trained yet, so the paper's ordering cannot be checked."]
    notes = []
    for basis, value in (("final scores", lambda e, m: e.summary(m)["mean"]), ("paper-style figures", _comparable)):
        best = {m: min(trained, key=lambda e: _or_inf(value(e, m))) for m in ("mean_distance", "smoothness")}
        holds = all(paper_key(b.name) == "acai" for b in best.values())
        notes.append(
            f"Ordering by {basis}: lowest Mean Distance {_label(best['mean_distance'])}, lowest Smoothness "
            f"{_label(best['smoothness'])}; the paper's ordering (ACAI best on both) "
            + ("holds." if holds else "does not hold.")
        )
    return notes


# ---------------------------------------------------------------------------- markdown
def _md_cell(text: str) -> str:
    return text.replace("|", "\\|").replace("\n", " ")


def render_markdown(tables: list[Table], entries: list[Entry], figures: dict[str, str]) -> str:
    """README.md: the tables, then the scatter plot and each entry's interpolation grid."""
    out = [
        "# interpbench leaderboard",
        "",
        f"Lines benchmark (spec {SPEC_VERSION}) of {len(entries)} entries. Generated by `interpbench leaderboard build` "
        "from `results/*.json`; do not edit by hand. Also as a web page: `index.html`.",
        "",
    ]
    for t in tables:
        out += [f"## {t.title}", ""]
        if t.rows:
            out.append("| " + " | ".join(map(_md_cell, t.columns)) + " |")
            out.append("|" + "|".join("---" for _ in t.columns) + "|")
            out += ["| " + " | ".join(map(_md_cell, r)) + " |" for r in t.rows]
            out.append("")
        out += [f"{n}" + ("  " if i < len(t.notes) - 1 else "") for i, n in enumerate(t.notes)]
        out.append("")
    out += ["## Plots", "", f"![Mean Distance vs Smoothness]({SCATTER})", ""]
    for e in entries:
        if e.id in figures:
            out += [f"### {_label(e)}", "", f"![interpolation grid of {_label(e)}]({figures[e.id]})", ""]
    return "\n".join(out).rstrip() + "\n"


# -------------------------------------------------------------------------------- html
_CSS = """
body { font-family: system-ui, -apple-system, "Segoe UI", sans-serif; margin: 2rem auto; max-width: 1400px; padding: 0 1rem; color: #222; }
h1 { font-size: 1.6rem; } h2 { font-size: 1.25rem; margin-top: 2.2rem; } h3 { font-size: 1rem; }
table { border-collapse: collapse; font-size: 0.85rem; margin: 0.5rem 0; }
th, td { border: 1px solid #ccc; padding: 0.3rem 0.5rem; text-align: left; vertical-align: top; }
th { background: #f1f3f5; }
tbody tr:nth-child(even) { background: #fafafa; }
td.num { text-align: right; font-variant-numeric: tabular-nums; white-space: nowrap; }
p.note { font-size: 0.8rem; color: #555; margin: 0.2rem 0; max-width: 70rem; }
div.wide { overflow-x: auto; max-width: 100%; }
figure { margin: 1rem 0; } figure img { max-width: 100%; border: 1px solid #ddd; }
figcaption { font-size: 0.8rem; color: #555; }
"""

_NUMERIC = ("Mean Distance", "Smoothness", "CI", "paper", "#", "undefined")


def _is_numeric(column: str) -> bool:
    """Right-aligned, unbroken number cells; verdicts and names stay text."""
    return column != "model" and not column.startswith("within") and any(k in column for k in _NUMERIC)


def render_html(tables: list[Table], entries: list[Entry], figures: dict[str, str]) -> str:
    """index.html: self-contained static page (no scripts), the same tables and the plots."""
    e = html.escape
    out = [
        "<!DOCTYPE html>",
        '<html lang="en">',
        "<head>",
        '<meta charset="utf-8">',
        '<meta name="viewport" content="width=device-width, initial-scale=1">',
        '<link rel="icon" href="data:,">',  # no favicon request: keeps the console clean on file:// and servers alike
        "<title>interpbench leaderboard</title>",
        f"<style>{_CSS}</style>",
        "</head>",
        "<body>",
        "<h1>interpbench leaderboard</h1>",
        f'<p class="note">Lines benchmark (spec {SPEC_VERSION}) of {len(entries)} entries. Generated by '
        "<code>interpbench leaderboard build</code> from <code>results/*.json</code>.</p>",
    ]
    for t in tables:
        out.append(f'<h2 id="{t.key}">{e(t.title)}</h2>')
        if not t.rows:
            out += [f'<p class="note">{e(n)}</p>' for n in t.notes]
            continue
        out.append(f'<div class="wide"><table id="table-{t.key}">')
        out.append("<thead><tr>" + "".join(f'<th scope="col">{e(c)}</th>' for c in t.columns) + "</tr></thead>")
        out.append("<tbody>")
        for row_id, row in zip(t.row_ids, t.rows):
            cells = "".join(
                f'<td class="num">{e(v)}</td>' if _is_numeric(col) else f"<td>{e(v)}</td>"
                for col, v in zip(t.columns, row)
            )
            out.append(f'<tr class="entry" data-id="{e(row_id)}">{cells}</tr>')
        out.append("</tbody></table></div>")
        out += [f'<p class="note">{e(n)}</p>' for n in t.notes]
    out.append('<h2 id="plots">Plots</h2>')
    out.append(f'<figure><img src="{e(SCATTER)}" alt="Mean Distance vs Smoothness scatter" width="720" height="480">'
               "<figcaption>Mean Distance ×10⁻³ vs Smoothness: entries with 95% bootstrap intervals, paper Table 1 with ± std.</figcaption></figure>")
    for entry in entries:
        if entry.id in figures:
            out.append(f'<figure><img src="{e(figures[entry.id])}" alt="interpolation grid of {e(_label(entry))}">'
                       f"<figcaption>{e(_label(entry))}: rows are interpolations, columns are steps; under each decoded row, "
                       "the nearest true line of each step.</figcaption></figure>")
    out += ["</body>", "</html>"]
    return "\n".join(out) + "\n"


# ------------------------------------------------------------------------------- build
def _scatter(entries: list[Entry], target: Path) -> None:
    from ..figures import save_figure, scatter_figure

    points = []
    for row in PAPER_TABLE1:
        points.append(dict(
            label=f"{row.model} (paper)", md=row.mean_distance_e3, sm=row.smoothness, filled=False,
            md_err=(row.mean_distance_e3 - row.mean_distance_e3_std, row.mean_distance_e3 + row.mean_distance_e3_std),
            sm_err=(row.smoothness - row.smoothness_std, row.smoothness + row.smoothness_std),
        ))
    for entry in entries:
        md, sm = entry.summary("mean_distance"), entry.summary("smoothness")
        if sm["mean"] is None:
            continue  # no Smoothness to place it at; the tables say why
        points.append(dict(
            label=_label(entry), md=md["mean"] * 1e3, sm=sm["mean"], filled=True,
            md_err=(md["ci95"][0] * 1e3, md["ci95"][1] * 1e3), sm_err=tuple(sm["ci95"]),
        ))
    save_figure(scatter_figure(points), target)


def render_pages(root: str | os.PathLike[str]) -> tuple[list[Entry], dict[str, str]]:
    """The validated entries under ``root/results/`` and {file name: text} of README.md and index.html."""
    root = Path(root)
    entries = load_entries(root)
    # Only figures that exist are linked: a missing image would be a broken page (and a console error).
    figures = {
        e.id: e.data["figures"]["grid"]
        for e in entries
        if e.data.get("figures", {}).get("grid") and (root / e.data["figures"]["grid"]).is_file()
    }
    tables = build_tables(entries)
    return entries, {"README.md": render_markdown(tables, entries, figures), "index.html": render_html(tables, entries, figures)}


def build(root: str | os.PathLike[str], scatter: bool = True) -> dict[str, str]:
    """Regenerate ``root/README.md``, ``root/index.html`` and the scatter plot from ``root/results/``.

    Returns {file name: text} of the two pages. Every entry is validated first; an invalid one
    stops the build before anything is written.
    """
    root = leaderboard_folder(root)
    with leaderboard_lock(root):
        entries, pages = render_pages(root)
        # All pages or none: every file is written to a temporary beside it first (a full disk
        # or a failing figure leaves the previous pages as they were), then each is renamed.
        targets = [root / name for name in pages] + ([root / SCATTER] if scatter else [])
        with atomic_paths(targets) as tmps:
            for tmp, text in zip(tmps, pages.values()):
                tmp.write_text(text, encoding="utf-8")
            if scatter:
                _scatter(entries, tmps[-1])
    return pages

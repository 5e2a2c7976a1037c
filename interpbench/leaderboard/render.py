"""Render the leaderboard: the same tables as Markdown (README.md) and as a static HTML page.

The tables are built once as plain data (:class:`Table`) and then written in both formats, so
the two files cannot disagree. Output has no timestamps: rebuilding unchanged entries gives
byte-identical files, which lets CI check that the committed pages are up to date.
"""

from __future__ import annotations

import html
import os
import re
from dataclasses import dataclass, field
from functools import lru_cache
from pathlib import Path
from collections.abc import Callable
from typing import Any

from ..atomic import atomic_paths
from ..metrics import COLLAPSE_SPREAD
from .downstream import downstream_tables, load_downstream
from .entries import FIGURES_DIR, Entry, load_entries
from .guard import leaderboard_folder, leaderboard_lock
from ..spec import PAPER_KIMG, SPEC_VERSION
from .paper import PAPER_CITATION, PAPER_TABLE1, PaperRow, paper_key
from .stats import overlaps
from .table import Table

__all__ = ["Table", "build_tables", "render_markdown", "render_html", "render_pages", "build", "md_text", "safe_path"]

SCATTER = f"{FIGURES_DIR}/scatter.png"
_SCALE_END = {"oracle": "perfect decoder: best possible", "pixels": "pixel crossfade: what a plain AE tends towards"}




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
    cell = f"{_preset(t)} · {t['kimg']:g} kimg"
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
    """The model, its budget and (off lines) its suite: a clock and a blob run of one model in one table stay apart."""
    t = entry.data["training"]
    suite = _suite_of(entry)
    details = ([] if t is None else [_preset(t), f"{t['kimg']:g} kimg"]) + ([] if suite == "lines" else [suite])
    return f"{entry.name} ({', '.join(details)})" if details else entry.name


def _unresolved(entry: Entry, others: list[Entry], metric: str) -> list[str]:
    mine = entry.summary(metric)["ci95"]
    if mine is None:
        return []
    return [_label(o) for o in others if o.id != entry.id and o.summary(metric)["ci95"] is not None
            and overlaps(mine, o.summary(metric)["ci95"])]


# ------------------------------------------------------------------------------ tables
def _suite_of(entry: Entry) -> str:
    return str(entry.data["protocol"].get("suite", "lines"))


def _other_suites(entries: list[Entry]) -> str:
    """ " and interpbench's clock suite (spec x1)" when entries of other suites than lines are filed; else nothing."""
    others = sorted({_suite_of(e) for e in entries} - {"lines"})
    if not others:
        return ""
    named = ", ".join(f"{s} (spec {_suite_spec(s)})" for s in others)
    return f" and interpbench's own suite{'s' if len(others) > 1 else ''} {named}"


def _protocol_text(protocol: dict) -> str:
    return f"{protocol['path']}, {protocol['pairs']}×{protocol['steps']}, seeds {','.join(map(str, protocol['seeds']))}"


def _protocol_long(protocol: dict) -> str:
    suite = str(protocol.get("suite", "lines"))
    # Lines' wording (and spec v1) as before; another suite's bank holds its own images, under its own spec version.
    bank, spec = ("true lines", SPEC_VERSION) if suite == "lines" else (f"true {suite} images", _suite_spec(suite))
    return (f"{protocol['pairs']} interpolation pairs × {protocol['steps']} steps ({protocol['path']}), protocol seeds "
            f"{', '.join(map(str, protocol['seeds']))}, nearest of {protocol.get('bank_size', 10000):,} {bank}, spec {spec}")


def _suite_spec(suite: str) -> str:
    from ..suites import SUITES

    return SUITES[suite].spec_version if suite in SUITES else "unknown"


def by_protocol(ranked: list[Entry]) -> list[list[Entry]]:
    """``ranked`` split into groups of one suite and protocol each, ranks kept: lines first (the paper's
    suite), then the other suites by name; within a suite the largest group first.

    Scores of different suites or protocols (another path, other pairs or seeds) are not
    comparable, so each group is ranked on its own.
    """
    groups: dict[tuple[str, str], list[Entry]] = {}
    for e in ranked:
        groups.setdefault((_suite_of(e), _protocol_text(e.data["protocol"])), []).append(e)
    return sorted(groups.values(), key=lambda g: (_suite_of(g[0]) != "lines", _suite_of(g[0]), -len(g),
                                                  _protocol_text(g[0].data["protocol"])))


def _paper_row_of(entry: Entry) -> PaperRow | None:
    """The paper's Table 1 row of a trained reference entry (None for built-ins, other models and other suites:
    the paper measured lines only)."""
    if entry.kind == "builtin" or _suite_of(entry) != "lines":
        return None
    return next((r for r in PAPER_TABLE1 if paper_key(r.model) == paper_key(entry.name)), None)


def _has_geodesic(group: list[Entry]) -> bool:
    return any("geodesic_error" in e.data["summary"] for e in group)


def _lines_table(group: list[Entry], key: str, title: str) -> Table:
    """One ranked headline table of entries that share a protocol; the rest of each row in its details.

    Headline: rank, model, budget, Mean Distance and Smoothness each with the paper's value beside
    it, and the geodesic error where an entry has one. Details (one list per row): spread, 95%
    intervals, unresolved neighbours, undefined count, hardware, training time, probes.
    """
    geodesic = _has_geodesic(group)
    table = Table(
        key=key,
        title=title,
        columns=["#", "model", "budget", "Mean Distance ×10⁻³", "paper", "Smoothness", "paper",
                 *(["geodesic error"] if geodesic else [])],
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
        paper = _paper_row_of(e)
        paper_md, paper_sm = _published(paper)[:2] if paper else ("—", "—")
        table.rows.append([
            str(i), name, _budget_short(e),
            _md_pm(md['mean'], md['std']), paper_md, _sm_pm(sm), paper_sm,
            *([_geodesic_pm(e)] if geodesic else []),
        ])
        table.row_ids.append(e.id)
        t = e.data["training"] or {}
        details = [
            ("spread over (n)", _spread(e)),
            ("Mean Distance 95% CI ×10⁻³", f"[{_md_e3(md['ci95'][0], _decimals_e3(md['mean']))}, {_md_e3(md['ci95'][1], _decimals_e3(md['mean']))}]"),
            ("Smoothness 95% CI", "—" if sm["ci95"] is None else f"[{_sm(sm['ci95'][0])}, {_sm(sm['ci95'][1])}]"),
            ("not resolved from", tie),
            ("undefined Smoothness", f"{e.data['summary']['n_undefined']} of {proto['pairs'] * len(proto['seeds']) * len(e.data['runs'])}"),
            ("training", _budget(e)),
            ("training time", _duration(t["wall_clock_s"]) if t.get("wall_clock_s") else "—"),
            ("hardware", _hardware(e)),
            ("probes", ", ".join(f"{k} {v:.2f}%" for k, v in sorted(e.data.get("probes", {}).items())) or "—"),
        ]
        table.details.append(details)
    return table


def _budget_short(entry: Entry) -> str:
    t = entry.data["training"]
    if t is None:
        return "analytic" if entry.kind == "builtin" else "not given"
    return f"{t['kimg']:g} kimg ({_preset(t)})"


def _preset(training: dict[str, Any]) -> str:
    """The preset's name; the paper's settings at a smaller budget say so, never passing for a reproduction."""
    if training["preset"] == "paper" and training["kimg"] != PAPER_KIMG:
        return f"paper settings, {100 * training['kimg'] / PAPER_KIMG:.2g}% of its budget"
    return str(training["preset"])


def ranked_groups(entries: list[Entry]) -> list[list[Entry]]:
    """``entries`` in the page's order: one group per suite and protocol, each ranked by Mean
    Distance (then Smoothness, then id). The page and :func:`interpbench.leaderboard.to_frame` share it."""
    ranked = sorted(entries, key=lambda e: (e.summary("mean_distance")["mean"], _or_inf(e.summary("smoothness")["mean"]), e.id))
    return by_protocol(ranked)


def build_tables(entries: list[Entry]) -> list[Table]:
    """One ranked table per suite and protocol, the probe table and the comparison with the paper's Table 1
    (lines entries only: the paper measured no other suite)."""
    groups = ranked_groups(entries) or [[]]
    ranked = [e for group in groups for e in group]
    several = len(groups) > 1
    line_tables = [
        _lines_table(group, "lines" if i == 0 else f"lines-{i + 1}",
                     f"{_suite_of(group[0]).capitalize()} benchmark, protocol {_protocol_text(group[0].data['protocol'])}"
                     if several else f"{_suite_of(group[0]).capitalize() if group else 'Lines'} benchmark")
        for i, group in enumerate(groups)
    ]
    lines = line_tables[0]
    lines.notes = [
        "Lower is better for both metrics. Mean Distance is stored unscaled in the entries and printed ×10⁻³.",
        "mean ± std: over training seeds (population std, as the paper) when an entry has several training runs; "
        "otherwise over protocol seeds (endpoint draws) of its single run; each row's “spread over (n)” says which.",
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
    for table, group in zip(line_tables[1:], groups[1:]):
        other = "on another suite" if _suite_of(group[0]) != _suite_of(groups[0][0]) else "with another protocol"
        table.notes = [f"Ranked among themselves only: these entries were scored {other} than the first table's."]
    for table, group in zip(line_tables, groups):
        if group and _suite_of(group[0]) == "lines":
            table.preamble = [f"Protocol: {_protocol_long(group[0].data['protocol'])}.",
                              "Paper: the published mean ± std of the paper's Table 1 for the same model (ACAI paper, "
                              "each run the median of its last 20 evaluations); open a row for its intervals, "
                              "hardware, training time, probes and interpolation grid."]
        elif group:
            table.preamble = [f"Protocol: {_protocol_long(group[0].data['protocol'])}.",
                              "Paper: —, the paper measured lines only; open a row for its intervals, hardware, "
                              "training time, probes and interpolation grid."]
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
    on_lines = [e for e in ranked if _suite_of(e) == "lines"]
    for e in on_lines:
        by_key.setdefault(paper_key(e.name), []).append(e)
    ends = [e for e in on_lines if e.kind == "builtin" and e.name in _SCALE_END]
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


# ---------------------------------------------------------------------------- escaping
# Entry fields are user text (model names, hardware strings): they must land as text in both
# pages. Markdown: line breaks become spaces (a newline would end a table row), HTML's special
# characters become entities (GitHub renders inline HTML), and Markdown's own punctuation is
# backslash-escaped, so no field can open a tag, a link, emphasis or a new table cell.
_LINE_BREAKS = re.compile(r"[\r\n\t\f\v\u0085\u2028\u2029]+")
_MD_PUNCTUATION = re.compile(r"([\\`*_\[\]|~])")
# A figure path may only be a relative path of plain characters (never a scheme such as javascript:).
_SAFE_PATH = re.compile(r"^(?![/\\])(?!.*\.\.)[A-Za-z0-9._/-]+$")


def md_text(value: object) -> str:
    """``value`` as inert Markdown text: one line, HTML-escaped, Markdown punctuation escaped."""
    text = _LINE_BREAKS.sub(" ", str(value))
    return _MD_PUNCTUATION.sub(r"\\\1", html.escape(text, quote=False))


def safe_path(path: str | None) -> str | None:
    """``path`` if it is a plain relative path (a figure under the leaderboard), else None."""
    return path if path and _SAFE_PATH.match(path) else None


# ---------------------------------------------------------------------------- markdown
def _md_row(cells: list[str]) -> str:
    return "| " + " | ".join(md_text(c) for c in cells) + " |"


def render_markdown(tables: list[Table], entries: list[Entry], figures: dict[str, str]) -> str:
    """README.md: each headline table with its protocol stated once and each row's details below it."""
    out = [
        "# interpbench leaderboard",
        "",
        f"How well does an autoencoder interpolate? The ACAI paper's 32×32 lines benchmark (spec {SPEC_VERSION})"
        f"{_other_suites(entries)}, {len(entries)} entries; lower is better on every metric. Generated by `interpbench leaderboard build` "
        "from `results/*.json`; do not edit by hand. Also as a web page: `index.html`.",
        "",
    ]
    for t in tables:
        out += [f"## {md_text(t.title)}", ""]
        for line in t.preamble:
            out += [md_text(line), ""]
        if t.rows:
            out.append(_md_row(t.columns))
            out.append("|" + "|".join("---" for _ in t.columns) + "|")
            out += [_md_row(r) for r in t.rows]
            out.append("")
        out += [md_text(n) + ("  " if i < len(t.notes) - 1 else "") for i, n in enumerate(t.notes)]
        out.append("")
        if t.details:
            out += [f"### Details: {md_text(t.title)}", ""]
            for row_id, row, details in zip(t.row_ids, t.rows, t.details):
                out += [f"#### {md_text(row[0])}. {md_text(row[1])}", ""]
                out += [f"- **{md_text(label)}**: {md_text(value)}" for label, value in details]
                grid = safe_path(figures.get(row_id))
                if grid:
                    out += ["", f"![interpolation grid of {md_text(row[1])}](<{grid}>)"]
                out.append("")
    out += ["## Mean Distance vs Smoothness", "", f"![Mean Distance vs Smoothness](<{SCATTER}>)", ""]
    return "\n".join(out).rstrip() + "\n"


# -------------------------------------------------------------------------------- html
_CSS = """
body { font-family: system-ui, -apple-system, "Segoe UI", sans-serif; margin: 2rem auto; max-width: 1100px; padding: 0 1rem; color: #222; line-height: 1.4; }
h1 { font-size: 1.6rem; } h2 { font-size: 1.25rem; margin-top: 2.2rem; }
p.lead { font-size: 1rem; max-width: 48rem; }
table { border-collapse: collapse; font-size: 0.9rem; margin: 0.5rem 0; }
th, td { border-bottom: 1px solid #ddd; padding: 0.35rem 0.6rem; text-align: left; vertical-align: top; overflow-wrap: anywhere; }
th { background: #f1f3f5; }
td.num { text-align: right; font-variant-numeric: tabular-nums; }
table.headline td.num { white-space: nowrap; }
tr.details td { border-bottom: 2px solid #ccc; padding-top: 0; }
details summary { cursor: pointer; color: #0b57d0; font-size: 0.85rem; }
dl { display: grid; grid-template-columns: max-content 1fr; gap: 0.15rem 1rem; font-size: 0.85rem; margin: 0.5rem 0; }
dt { color: #555; } dd { margin: 0; }
p.note { font-size: 0.8rem; color: #555; margin: 0.3rem 0; max-width: 60rem; }
div.wide { overflow-x: auto; max-width: 100%; }
figure { margin: 1rem 0; } figure img { max-width: 100%; height: auto; border: 1px solid #ddd; }
figcaption { font-size: 0.8rem; color: #555; }
@media (max-width: 700px) {
  body { margin: 1rem auto; }
  table.headline thead { display: none; }
  table.headline, table.headline tbody, table.headline tr, table.headline td { display: block; width: 100%; box-sizing: border-box; }
  table.headline tr.entry { border-top: 2px solid #ccc; padding-top: 0.3rem; }
  table.headline tr.entry td { border: 0; padding: 0.1rem 0.3rem; text-align: right; white-space: normal; }
  table.headline tr.entry td::before { content: attr(data-label); float: left; color: #555; padding-right: 0.5rem; }
  table.headline tr.details td { border-bottom: 0; }
  dl { grid-template-columns: 1fr; } dt { font-weight: 600; }
}
"""

_NUMERIC = ("Mean Distance", "Smoothness", "CI", "paper", "#", "undefined", "geodesic")


def _is_numeric(column: str) -> bool:
    """Right-aligned, unbroken number cells; verdicts and names stay text."""
    return column != "model" and not column.startswith("within") and any(k in column for k in _NUMERIC)


@lru_cache(maxsize=1)
def _templates() -> Any:
    import jinja2

    return jinja2.Environment(
        loader=jinja2.FileSystemLoader(str(Path(__file__).with_name("templates"))),
        autoescape=True,  # every {{ value }} is HTML-escaped, entry text included
        trim_blocks=True, lstrip_blocks=True, keep_trailing_newline=True,
        undefined=jinja2.StrictUndefined,
    )


def render_html(tables: list[Table], entries: list[Entry], figures: dict[str, str]) -> str:
    """index.html: self-contained static page (no scripts): headline tables, each row's details, the plots."""
    page = _templates().get_template("index.html.j2").render(
        css=_CSS, spec=SPEC_VERSION, other_suites=_other_suites(entries), n_entries=len(entries), tables=tables, numeric=_is_numeric,
        figures={k: v for k, v in figures.items() if safe_path(v)}, scatter=SCATTER,
    )
    return page


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
        if _suite_of(entry) != "lines":
            continue  # the scatter sits beside the paper's Table 1: lines entries only
        md, sm = entry.summary("mean_distance"), entry.summary("smoothness")
        if sm["mean"] is None:
            continue  # no Smoothness to place it at; the tables say why
        points.append(dict(
            label=_label(entry), md=md["mean"] * 1e3, sm=sm["mean"], filled=True,
            md_err=(md["ci95"][0] * 1e3, md["ci95"][1] * 1e3), sm_err=tuple(sm["ci95"]),
        ))
    save_figure(scatter_figure(points), target)


def render_pages(root: str | os.PathLike[str], on_stage: Callable[[str], None] | None = None) -> tuple[list[Entry], dict[str, str]]:
    """The validated entries under ``root/results/`` and {file name: text} of README.md and index.html.

    ``on_stage(what)`` is called as each stage starts (a progress bar's hook).
    """
    stage = on_stage or (lambda what: None)
    root = Path(root)
    stage("validating entries")
    entries = load_entries(root)
    stage("rendering pages")
    # Only figures that exist are linked: a missing image would be a broken page (and a console error).
    figures = {
        e.id: e.data["figures"]["grid"]
        for e in entries
        if e.data.get("figures", {}).get("grid") and (root / e.data["figures"]["grid"]).is_file()
    }
    tables = build_tables(entries) + downstream_tables(load_downstream(root))
    return entries, {"README.md": render_markdown(tables, entries, figures), "index.html": render_html(tables, entries, figures)}


def build(root: str | os.PathLike[str], scatter: bool = True, on_stage: Callable[[str], None] | None = None) -> dict[str, str]:
    """Regenerate ``root/README.md``, ``root/index.html`` and the scatter plot from ``root/results/``.

    Returns {file name: text} of the two pages. Every entry is validated first; an invalid one
    stops the build before anything is written.
    """
    root = leaderboard_folder(root)
    with leaderboard_lock(root):
        entries, pages = render_pages(root, on_stage)
        # All pages or none: every file is written to a temporary beside it first (a full disk
        # or a failing figure leaves the previous pages as they were), then each is renamed.
        targets = [root / name for name in pages] + ([root / SCATTER] if scatter else [])
        with atomic_paths(targets) as tmps:
            for tmp, text in zip(tmps, pages.values()):
                tmp.write_text(text, encoding="utf-8")
            if scatter:
                if on_stage is not None:
                    on_stage("drawing the scatter plot")
                _scatter(entries, tmps[-1])
    return pages

"""The mode-coverage study's results as tables and a page: pure functions over the run records.

    aggregate(records) -> rows            # mean +- std of each metric per (target, method)
    table_markdown(rows), results_markdown(rows, meta), results_html(records, rows, meta)

The study itself is gan_core.science.study (the runs, the command) and gan_core.science.study_setups (its data).
"""

from __future__ import annotations

import html
import math
from collections.abc import Iterable, Sequence
from typing import Any

import numpy as np

from gan_core.science.study_setups import FINE_LR_FACTOR, FINE_SHARE, METHODS, METRICS, SETUPS, TARGETS

REAL_COLOR, FAKE_COLOR = "#1b9e77", "#7b3294"  # green real, purple generated (the lab's colours)


# ---- aggregation ------------------------------------------------------------------------------

def mean_std(values: Iterable[float]) -> tuple[float, float, int]:
    """(mean, sample std with ddof 1, count) over the finite values; std 0 for one value, NaN for none."""
    v = np.asarray([x for x in values if x is not None and math.isfinite(x)], dtype=np.float64)
    if len(v) == 0:
        return math.nan, math.nan, 0
    return float(v.mean()), float(v.std(ddof=1)) if len(v) > 1 else 0.0, len(v)


def aggregate(records: Sequence[dict[str, Any]]) -> list[dict[str, Any]]:
    """One row per (target, method), in TARGETS x METHODS order: mean and std of each metric over seeds."""
    rows = []
    for target in TARGETS:
        for method in METHODS:
            group = [r for r in records if r["target"] == target and r["method"] == method]
            if not group:
                continue
            row: dict[str, Any] = {
                "target": target, "method": method, "runs": len(group),
                "diverged": sum(r["status"] != "ok" for r in group),
                "steps": max(r["steps_requested"] for r in group),
                "modes_total": int(group[0]["metrics"].get("modes_total", 0)),
            }
            for key in (*METRICS, "seconds", "cpu_seconds"):
                vals = [r["metrics"].get(key) if key in METRICS else r.get(key) for r in group]
                row[key] = dict(zip(("mean", "std", "n"), mean_std(vals), strict=True))
            rows.append(row)
    return rows


def _pm(stat: dict[str, float], digits: int, scale: float = 1.0) -> str:
    if not math.isfinite(stat["mean"]):
        return "n/a"
    return f"{stat['mean'] * scale:.{digits}f} ± {stat['std'] * scale:.{digits}f}"


def _strict(row: dict[str, Any]) -> str:
    # Records written before the strict rule had its own metric have no such column: "n/a".
    stat = row.get("modes_captured_strict", {"mean": math.nan})
    return f"{_pm(stat, 1)} / {row['modes_total']}" if math.isfinite(stat["mean"]) else "n/a"


TABLE_HEADER = ("| target | method | steps | modes captured (published rule) | modes captured (strict rule) "
                "| high-quality % | mode KL (nats) | sample distance | s / run |\n|---|---|---:|---:|---:|---:|---:|---:|---:|")


def table_markdown(rows: Sequence[dict[str, Any]]) -> str:
    """The table as markdown: mean ± std over seeds (modes out of the target's total)."""
    lines = [TABLE_HEADER]
    for r in rows:
        div = f" ({r['diverged']} diverged)" if r["diverged"] else ""
        lines.append(
            f"| {r['target']} | {SETUPS[r['method']].title}{div} | {r['steps']} "
            f"| {_pm(r['modes_captured'], 1)} / {r['modes_total']} | {_strict(r)} | {_pm(r['high_quality_fraction'], 1, 100)} "
            f"| {_pm(r['mode_kl'], 2)} | {_pm(r['sample_distance'], 3)} | {r['seconds']['mean']:.0f} |")
    return "\n".join(lines)


def results_markdown(rows: Sequence[dict[str, Any]], meta: dict[str, Any]) -> str:
    return "\n".join([
        "# Mode-coverage study: results", "",
        f"Command: `{meta['command']}`  ",
        f"Seeds: {meta['seeds']} per (target, method); metrics on {meta['eval_samples']} fresh samples "
        f"per run; mean ± sample std (ddof 1) over seeds. Each run trains its first "
        f"{1 - FINE_SHARE:.0%} of the steps at the setup's learning rates, the rest at {FINE_LR_FACTOR:g}x.  ",
        f"Wall time: {meta['wall_seconds']:.0f} s with {meta['jobs']} worker process(es); CPU time of the "
        f"runs: {meta['cpu_seconds']:.0f} s in all.", "",
        table_markdown(rows), "",
    ])


# ---- the HTML page ----------------------------------------------------------------------------

def samples_figure(records: Sequence[dict[str, Any]]) -> Any:
    """One small scatter per run: rows (target, method), columns seeds; real green, generated purple."""
    import plotly.graph_objects as go
    from plotly.subplots import make_subplots

    keys = [(t, m) for t in TARGETS for m in METHODS if any(r["target"] == t and r["method"] == m for r in records)]
    seeds = sorted({r["seed"] for r in records})
    by = {(r["target"], r["method"], r["seed"]): r for r in records}
    titles = []
    for t, m in keys:
        for s in seeds:
            r = by.get((t, m, s))
            mm = r["metrics"] if r else {}
            titles.append(f"{t} {m} s{s}: {mm.get('modes_captured', 0):.0f}/{mm.get('modes_total', 0):.0f}, "
                          f"HQ {100 * mm.get('high_quality_fraction', 0):.0f}%" if r else "")
    fig = make_subplots(rows=len(keys), cols=len(seeds), subplot_titles=titles,
                        horizontal_spacing=0.02, vertical_spacing=0.05)
    for i, (t, m) in enumerate(keys):
        for j, s in enumerate(seeds):
            r = by.get((t, m, s))
            if r is None:
                continue
            for pts, name, color in ((r["real"], "real", REAL_COLOR), (r["fake"], "generated", FAKE_COLOR)):
                a = np.asarray(pts, dtype=np.float64).reshape(-1, 2)
                fig.add_trace(go.Scatter(x=a[:, 0].tolist(), y=a[:, 1].tolist(), mode="markers", name=name,
                                         legendgroup=name, showlegend=(i == 0 and j == 0),
                                         marker={"size": 3, "color": color, "opacity": 0.6}),
                              row=i + 1, col=j + 1)
            lim = 3.0 if t == "ring" else 5.5  # ring radius 2, grid corners at +-4 (plus a margin)
            n = i * len(seeds) + j + 1
            fig.update_xaxes(range=[-lim, lim], showticklabels=False, row=i + 1, col=j + 1)
            # Equal units (a ring must look round): each y axis is anchored to its own x axis.
            fig.update_yaxes(range=[-lim, lim], showticklabels=False, scaleanchor=f"x{n if n > 1 else ''}",
                             scaleratio=1, row=i + 1, col=j + 1)
    fig.update_annotations(font_size=10)
    fig.update_layout(template="plotly_white", height=230 * len(keys) + 80, width=230 * len(seeds) + 80,
                      title={"text": "Final samples (real green, generated purple)"},
                      legend={"orientation": "h", "y": 1.0, "yanchor": "bottom", "x": 1, "xanchor": "right"},
                      margin={"l": 20, "r": 20, "t": 80, "b": 20})
    return fig


def results_html(records: Sequence[dict[str, Any]], rows: Sequence[dict[str, Any]], meta: dict[str, Any]) -> str:
    """The whole page as one string, plotly.js inlined (works offline)."""
    fig = samples_figure(records)
    plot = fig.to_html(full_html=False, include_plotlyjs=True, include_mathjax=False,
                       config={"displaylogo": False})
    head = ["target", "method", "steps", "modes captured (published rule)", "modes captured (strict rule)",
            "high-quality %", "mode KL (nats)",
            "sample distance", "s / run"]
    cells = "".join(
        "<tr>" + "".join(f"<td>{html.escape(str(c))}</td>" for c in (
            r["target"], SETUPS[r["method"]].title + (f" ({r['diverged']} diverged)" if r["diverged"] else ""),
            r["steps"], f"{_pm(r['modes_captured'], 1)} / {r['modes_total']}", _strict(r),
            _pm(r["high_quality_fraction"], 1, 100), _pm(r["mode_kl"], 2), _pm(r["sample_distance"], 3),
            f"{r['seconds']['mean']:.0f}")) + "</tr>"
        for r in rows)
    table = ('<table id="results"><tr>' + "".join(f"<th>{h}</th>" for h in head) + f"</tr>{cells}</table>")
    style = ("body{font-family:system-ui,sans-serif;max-width:1300px;margin:2em auto;color:#222}"
             "table{border-collapse:collapse}th,td{padding:2px 10px;text-align:right;border-bottom:1px solid #ddd}")
    title = "ToyGAN Lab: mode-coverage study"
    return "\n".join([
        "<!DOCTYPE html>", '<html lang="en"><head><meta charset="utf-8">',
        f"<title>{title}</title><style>{style}</style></head><body>", f"<h1>{title}</h1>",
        f"<p>Command: <code>{html.escape(meta['command'])}</code>. Mean ± std over {meta['seeds']} seed(s); "
        f"metrics on {meta['eval_samples']} fresh samples per run; wall time {meta['wall_seconds']:.0f} s "
        f"with {meta['jobs']} worker(s), CPU time {meta['cpu_seconds']:.0f} s.</p>",
        table, plot, "</body></html>",
    ])

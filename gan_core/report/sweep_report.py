"""A sweep's stability map as one self-contained HTML page (`toygan sweep --report out.html`).

Colour = the cell's outcome (the majority over seeds), shade = a metric chosen in the menu above the
map (pale = low, deep = high, as the page's Map panel shades it; the legend under the map says which
and its range); hovering a cell shows its settings, every seed's outcome and the first seed's reason,
and the medians of its metrics. Rows are the first
--grid axis, columns the second (one row when there is one axis); cells a cancelled sweep never
finished are blank. plotly.js is inlined, so the page opens offline (a classroom, a slide).
"""

from __future__ import annotations

import html
import json
import math
from pathlib import Path
from typing import Any

import plotly.graph_objects as go

from gan_core.science.sweep.outcomes import LETTERS, OUTCOMES
from gan_core.science.sweep.runner import SweepResult

# One colour per outcome, readable side by side and on a projector (ColorBrewer-like).
COLORS = {"diverged": "#d73027", "collapsed": "#7b3294", "stalled": "#9e9e9e", "oscillating": "#fdae61",
          "converged": "#1a9850"}
HOVER_METRICS = (("distance_to_equilibrium", "distance to equilibrium"), ("sample_distance", "sample distance"),
                 ("distance_ratio", "distance / start (tail median)"), ("modes_reached", "modes reached"),
                 ("modes_captured", "modes captured"), ("high_quality_fraction", "high-quality fraction"),
                 ("grad_norm_g", "|grad G|"), ("motion", "motion (tail)"), ("seconds", "seconds per run"))


PALE = 0.72  # how far towards white a cell with the lowest value is drawn (frontend/sweep.js's PALE)
NOT_A_SHADE = {"iterations", "modes_total", "ref"}  # the same for every run of a map, or bookkeeping
METRIC_NAMES = {"distance_to_equilibrium": "distance to the equilibrium", "sample_distance": "distance to the target",
                "distance_ratio": "distance / distance at the start", "modes_reached": "modes reached",
                "modes_captured": "modes captured", "high_quality_fraction": "share of good samples",
                "grad_norm_g": "G's gradient size", "motion": "motion at the end", "seconds": "seconds per run"}


def _finite(x: Any) -> bool:
    return isinstance(x, int | float) and math.isfinite(x)


def shade_levels(values: list[Any]) -> tuple[list[float | None], dict[str, Any] | None]:
    """Each value's shade, 0 (the lowest: palest) to 1 (the highest: the outcome's own colour), None where
    it has none; and the scale ({"lo", "hi", "log"}, None when no value is finite). Logarithmic where
    every value is positive and they span 100x or more, else linear; all equal: every level 1 (the
    page's shadeScale, frontend/sweep.js)."""
    vals = [float(v) for v in values if _finite(v)]
    if not vals:
        return [None] * len(values), None
    lo, hi = min(vals), max(vals)
    log = lo > 0 and hi / lo >= 100
    f = math.log if log else float
    out: list[float | None] = []
    for v in values:
        if not _finite(v):
            out.append(None)
        else:
            out.append(1.0 if hi == lo else min(1.0, max(0.0, (f(v) - f(lo)) / (f(hi) - f(lo)))))
    return out, {"lo": lo, "hi": hi, "log": log}


def shade_metrics(cells: Any) -> list[str]:
    """The metrics worth a shade: a number in at least two cells that differ (named ones first)."""
    seen: dict[str, set[float]] = {}
    for c in cells:
        for k, v in c.metrics.items():
            if _finite(v) and k not in NOT_A_SHADE:
                seen.setdefault(k, set()).add(float(v))
    keys = [k for k, vals in seen.items() if len(vals) > 1]
    return [k for k in METRIC_NAMES if k in keys] + sorted(k for k in keys if k not in METRIC_NAMES)


def _pale(hex_color: str) -> str:
    rgb = [int(hex_color[i:i + 2], 16) for i in (1, 3, 5)]
    return "#" + "".join(f"{round(c + (255 - c) * PALE):02x}" for c in rgb)


def shade_legend(metric: str | None, scale: dict[str, Any] | None) -> str:
    if not metric or scale is None:
        return "No shade: each cell in its outcome's own colour."
    log = ", log scale" if scale["log"] else ""
    return (f"Shade: {METRIC_NAMES.get(metric, metric)}. Pale = low ({scale['lo']:.3g}), deep = high "
            f"({scale['hi']:.3g}){log}; no value: the outcome's own colour (the hover says n/a).")


def _label(v: Any) -> str:
    return json.dumps(v) if not isinstance(v, str) else v


def _fmt(x: Any) -> str:
    return f"{x:.4g}" if isinstance(x, float) and math.isfinite(x) else ("n/a" if isinstance(x, float) else str(x))


def hover_text(cell: Any) -> str:
    """One cell's hover box (HTML that plotly renders)."""
    lines = [f"<b>{html.escape(k)} = {html.escape(_label(v))}</b>" for k, v in cell.params.items()]
    lines.append(f"outcome: <b>{cell.outcome}</b> (seeds: {', '.join(cell.outcomes)})")
    lines.append(f"seed 0: {html.escape(cell.reasons[0])}" if cell.reasons else "")
    m = cell.metrics
    for key, name in HOVER_METRICS:
        if key in m:
            val = _fmt(m[key]) + (f" / {m['modes_total']:.0f}" if key.startswith("modes_") else "")
            lines.append(f"{name}: {val}")
    return "<br>".join(x for x in lines if x)


def shaded_z(result: SweepResult, metric: str | None, ncol: int, nrow: int) -> tuple[list[list[Any]], str]:
    """The heatmap's z for `metric` (None: no shade) and the legend's words. A cell of outcome i has
    z = i when unshaded or at the highest value, down to i - 0.499 at the lowest: map_figure's colour
    scale runs from the outcome's pale colour at i - 0.5 to its own colour at i."""
    z: list[list[Any]] = [[None] * ncol for _ in range(nrow)]
    levels, scale = shade_levels([c.metrics.get(metric) if metric else None for c in result.cells])
    for cell, level in zip(result.cells, levels, strict=True):
        r, c = divmod(cell.index, ncol)
        i = OUTCOMES.index(cell.outcome)
        z[r][c] = i if level is None else round(i - 0.499 * (1 - level), 6)
    return z, shade_legend(metric, scale)


def shades(result: SweepResult) -> dict[str, dict[str, Any]]:
    """The page's "Shade by" menu: for "" (no shade) and each metric worth one, the heatmap's z and the
    legend's words (the page's script swaps them in when the menu changes)."""
    axes = result.plan.axes
    ncol = len(axes[-1].values)
    nrow = len(axes[0].values) if len(axes) > 1 else 1
    out = {}
    for metric in ["", *shade_metrics(result.cells)]:
        z, words = shaded_z(result, metric or None, ncol, nrow)
        out[metric] = {"label": METRIC_NAMES.get(metric, metric) if metric else "nothing (the outcome's colour only)",
                       "z": z, "words": words}
    return out


def map_figure(result: SweepResult) -> go.Figure:
    """The outcome heatmap with a legend of the five outcomes (unshaded: sweep_html's menu shades it)."""
    axes = result.plan.axes
    rows = axes[0] if len(axes) > 1 else None
    cols = axes[1] if len(axes) > 1 else axes[0]
    nrow = len(rows.values) if rows else 1
    ncol = len(cols.values)
    z: list[list[Any]] = [[None] * ncol for _ in range(nrow)]
    hover: list[list[str]] = [["not run"] * ncol for _ in range(nrow)]
    label: list[list[str]] = [[""] * ncol for _ in range(nrow)]
    for cell in result.cells:
        r, c = divmod(cell.index, ncol)
        z[r][c] = OUTCOMES.index(cell.outcome)
        hover[r][c] = hover_text(cell)
        # The letter (readable without colour: print, colour-blind readers) and how many seeds agree.
        agree = sum(o == cell.outcome for o in cell.outcomes)
        label[r][c] = LETTERS[cell.outcome] + (f" {agree}/{len(cell.outcomes)}" if len(cell.outcomes) > 1 else "")
    n = len(OUTCOMES)
    scale = []
    for i, o in enumerate(OUTCOMES):  # outcome i fills [i/n, (i+1)/n]: pale at its start, its colour from the middle
        scale += [[i / n, _pale(COLORS[o])], [(i + 0.5) / n, COLORS[o]], [(i + 1) / n, COLORS[o]]]
    xs = [_label(v) for v in cols.values]
    ys = [_label(v) for v in rows.values] if rows else [""]
    fig = go.Figure(go.Heatmap(z=z, x=xs, y=ys, customdata=hover, hovertemplate="%{customdata}<extra></extra>",
                               text=label, texttemplate="%{text}",  # plotly picks dark or white per cell
                               colorscale=scale, zmin=-0.5, zmax=n - 0.5, showscale=False, xgap=2, ygap=2))
    for o in OUTCOMES:  # legend entries (the heatmap itself has no legend)
        fig.add_trace(go.Scatter(x=[None], y=[None], mode="markers", name=f"{LETTERS[o]} {o}", showlegend=True,
                                 marker={"color": COLORS[o], "size": 14, "symbol": "square"}))
    fig.update_xaxes(type="category", title={"text": cols.path})
    fig.update_yaxes(type="category", title={"text": rows.path if rows else ""}, autorange="reversed")
    # The legend sits above the map, clear of the (possibly tilted) column labels on a phone; the
    # page's heading above it says what the map is.
    fig.update_layout(template="plotly_white", height=max(320, 170 + 56 * nrow), margin={"t": 40},
                      legend={"orientation": "h", "x": 0, "y": 1.02, "yanchor": "bottom"})
    return fig


def sweep_html(result: SweepResult, source: str | None = None) -> str:
    """The whole page as one string; `source`: how the command line named the base ("--preset P",
    "--config F --set K=V"), for the page's "made with" line."""
    p = result.plan
    fig = map_figure(result).to_html(full_html=False, include_plotlyjs=True, include_mathjax=False, div_id="map",
                                     config={"displaylogo": False, "responsive": True})
    menu = shades(result)
    options = "".join(f'<option value="{html.escape(k)}">{html.escape(v["label"])}</option>' for k, v in menu.items())
    data = json.dumps({k: {"z": v["z"], "words": v["words"]} for k, v in menu.items()}).replace("</", "<\\/")
    # A few lines of script: the menu swaps the heatmap's z (the shade) and the legend's words.
    script = ("<script>(() => {const S = " + data + "; const m = document.getElementById('shade');"
              "m.addEventListener('change', () => {const s = S[m.value];"
              "Plotly.restyle('map', {z: [s.z]}, [0]);"
              "document.getElementById('shade-legend').textContent = s.words;});})();</script>")
    counts = ", ".join(f"{sum(c.outcome == o for c in result.cells)} {o}" for o in OUTCOMES)
    grid = " ".join(f"--grid {a.path}={','.join(_label(v) for v in a.values)}" for a in p.axes)
    source = source or (f"--preset {p.preset}" if p.base is None else "--config experiment.json")
    command = f"toygan sweep {source} {grid} --seeds {p.seeds} --steps {p.steps}"
    title = f"ToyGAN Lab stability map: {p.preset or 'a config of its own'}" + (" (edited)" if p.base is not None and p.preset else "")
    style = ("body{font-family:system-ui,sans-serif;max-width:1100px;margin:2em auto;padding:0 1em;color:#222}"
             "h2{font-size:1.1em;margin-bottom:0}"
             "code{background:#f6f6f6;padding:2px 4px;overflow-wrap:anywhere}")
    status = " (cancelled before the end: blank cells did not run)" if result.cancelled else ""
    seeds = f"the majority over {p.seeds} seeds" if p.seeds > 1 else "one seed"
    return "\n".join([
        "<!DOCTYPE html>", '<html lang="en"><head><meta charset="utf-8">',
        f"<title>{html.escape(title)}</title><style>{style}</style></head><body>",
        f"<h1>{html.escape(title)}</h1>",
        f"<p><code>{html.escape(command)}</code> on {html.escape(result.backend)}: {len(result.cells)} of "
        f"{len(p.grid.cells)} cells in {result.seconds:.1f} s{status}. {counts}.</p>",
        f"<h2>Outcome of each cell ({seeds})</h2>",
        f'<p><label>Shade by <select id="shade">{options}</select></label> '
        f'<span id="shade-legend">{html.escape(menu[""]["words"])}</span></p>',
        fig,
        script,
        "<p>Each run is measured at evenly spaced checkpoints and classified by the first rule that holds: "
        "diverged (non-finite, exploding or spiralling out), collapsed (reaches at most half of the modes), "
        "stalled (no progress and a vanishing gradient or no movement), oscillating (keeps moving, stays away), "
        "converged (near the target, or settled after progress). docs/sweeps.md gives the thresholds.</p>",
        "</body></html>",
    ])


def write_sweep_report(path: str | Path, result: SweepResult, source: str | None = None) -> Path:
    p = Path(path)
    p.write_text(sweep_html(result, source), encoding="utf-8")
    return p

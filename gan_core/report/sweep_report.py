"""A sweep's stability map as one self-contained HTML page (`toygan sweep --report out.html`).

Colour = the cell's outcome (the majority over seeds); hovering a cell shows its settings, every
seed's outcome and the first seed's reason, and the medians of its metrics. Rows are the first
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


def map_figure(result: SweepResult) -> go.Figure:
    """The outcome heatmap with a legend of the five outcomes."""
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
    for i, o in enumerate(OUTCOMES):  # a step colour scale: index i fills [i/n, (i+1)/n]
        scale += [[i / n, COLORS[o]], [(i + 1) / n, COLORS[o]]]
    xs = [_label(v) for v in cols.values]
    ys = [_label(v) for v in rows.values] if rows else [""]
    fig = go.Figure(go.Heatmap(z=z, x=xs, y=ys, customdata=hover, hovertemplate="%{customdata}<extra></extra>",
                               text=label, texttemplate="%{text}", textfont={"color": "white"},
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


def sweep_html(result: SweepResult) -> str:
    """The whole page as one string."""
    p = result.plan
    fig = map_figure(result).to_html(full_html=False, include_plotlyjs=True, include_mathjax=False,
                                     config={"displaylogo": False, "responsive": True})
    counts = ", ".join(f"{sum(c.outcome == o for c in result.cells)} {o}" for o in OUTCOMES)
    grid = " ".join(f"--grid {a.path}={','.join(_label(v) for v in a.values)}" for a in p.axes)
    command = f"toygan sweep --preset {p.preset} {grid} --seeds {p.seeds} --steps {p.steps}"
    title = f"ToyGAN Lab stability map: {p.preset}"
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
        fig,
        "<p>Each run is measured at evenly spaced checkpoints and classified by the first rule that holds: "
        "diverged (non-finite, exploding or spiralling out), collapsed (reaches at most half of the modes), "
        "stalled (no progress and a vanishing gradient or no movement), oscillating (keeps moving, stays away), "
        "converged (near the target, or settled after progress). docs/sweeps.md gives the thresholds.</p>",
        "</body></html>",
    ])


def write_sweep_report(path: str | Path, result: SweepResult) -> Path:
    p = Path(path)
    p.write_text(sweep_html(result), encoding="utf-8")
    return p

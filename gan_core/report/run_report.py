"""A self-contained HTML report of one run: the run's evolution (the lab's main view at several
iterations, a slider over them), loss curves, metric curves, the settings in effect, the config.

plotly.js is inlined (`include_plotlyjs=True`), so the file opens offline (a classroom, a slide).
Data go in as plain JSON lists (rounded to 5 significant digits), never base64, so the numbers can
be read from the file; curves with more than MAX_CURVE_POINTS points are thinned to every k-th.
Colours are the page's (gan_core.report.palette).
"""

from __future__ import annotations

import html
import json
import math
from collections.abc import Sequence
from pathlib import Path
from typing import Any

import plotly.graph_objects as go
from plotly.subplots import make_subplots

from gan_core.engine.config import ExperimentConfig
from gan_core.engine.snapshot import Snapshot, SnapshotOptions
from gan_core.report.config_table import in_effect
from gan_core.report.evolution import evolution_figure, plain_list, record_snapshot

MAX_CURVE_POINTS = 2000  # per curve: enough to see oscillation, small enough for a slide deck
METRIC_CURVES = ("modes_captured", "modes_captured_strict", "high_quality_fraction", "mode_kl", "sample_distance",
                 "d_real_mean", "d_fake_mean", "distance_to_equilibrium", "grad_norm_g", "grad_norm_d")
LOSS_CURVES = ("d_loss", "g_loss")


def _final(source: Any) -> Snapshot:
    """The snapshot whose metrics and status the report states: `source` itself, or a trainer's now."""
    if isinstance(source, Snapshot):
        return source
    return source.snapshot(SnapshotOptions(samples=1024, grid=8, manifold=0, gradients=False, surface=False,
                                           density=False, metrics=True))


def _thin(rows: list[dict[str, Any]]) -> list[dict[str, Any]]:
    """Every k-th row so at most ~MAX_CURVE_POINTS remain, always keeping the last one."""
    out = rows[:: max(1, math.ceil(len(rows) / MAX_CURVE_POINTS))]
    return out if out[-1] is rows[-1] else [*out, rows[-1]]


def curves_figure(history: list[dict[str, Any]], keys: tuple[str, ...], title: str,
                  stacked: bool = False) -> go.Figure:
    """One line per key over iterations, from the history entries that hold that key; `stacked`
    gives each key its own panel (metrics have different units: modes, fractions, distances)."""
    series = []
    for key in keys:
        rows = [h for h in history if key in h and "iteration" in h]
        if rows:
            rows = _thin(rows)
            series.append((key, [int(h["iteration"]) for h in rows], plain_list([h[key] for h in rows])))
    panels = len(series) if stacked and series else 1
    fig = make_subplots(rows=panels, cols=1, shared_xaxes=True, vertical_spacing=0.04,
                        subplot_titles=[k for k, _, _ in series] if panels > 1 else None)
    for i, (key, xs, ys) in enumerate(series):
        fig.add_trace(go.Scatter(x=xs, y=ys, name=key, mode="lines+markers" if len(xs) < 60 else "lines"),
                      row=i + 1 if panels > 1 else 1, col=1)
    fig.update_xaxes(title={"text": "iteration"}, row=panels, col=1)
    fig.update_layout(title={"text": title}, template="plotly_white", showlegend=panels == 1,
                      height=380 if panels == 1 else 60 + 170 * panels)
    return fig


def dirac_trajectory_figure(history: list[dict[str, Any]]) -> go.Figure | None:
    """The Dirac game's (theta, psi) path over iterations (Mescheder et al. 2018, Fig. 1/3): it
    spirals out under simultaneous updates, circles under alternating ones and converges with R1.
    One line per coordinate pair (theta, psi) and, in 2D, (theta2, psi2). None without such rows."""
    pairs = [("theta", "psi"), ("theta2", "psi2")]
    fig = go.Figure()
    for th, ps in pairs:
        rows = [h for h in history if th in h and ps in h]
        if not rows:
            continue
        xs, ys = [float(h[th]) for h in rows], [float(h[ps]) for h in rows]
        fig.add_trace(go.Scatter(x=xs, y=ys, mode="lines", name=f"({th}, {ps})"))
        fig.add_trace(go.Scatter(x=xs[:1], y=ys[:1], mode="markers", name=f"start ({th}, {ps})",
                                 marker={"symbol": "circle-open", "size": 10}))
    if not fig.data:
        return None
    fig.update_layout(title={"text": "Dirac game: (theta, psi) trajectory"}, template="plotly_white",
                      xaxis={"title": {"text": "theta"}}, yaxis={"title": {"text": "psi"}, "scaleanchor": "x"},
                      height=520)
    return fig


def _table(values: dict[str, Any]) -> str:
    rows = "".join(f"<tr><th>{html.escape(str(k))}</th><td>{html.escape(_fmt(v))}</td></tr>"
                   for k, v in values.items())
    return f"<table>{rows}</table>"


def _fmt(v: Any) -> str:
    return f"{v:.4g}" if isinstance(v, float) else str(v)


def _settings(config: ExperimentConfig) -> str:
    """The settings in effect, one small table per section."""
    return "".join(f'<div class="section"><h3>{html.escape(section.replace("_", " "))}</h3>{_table(fields)}</div>'
                   for section, fields in in_effect(config).items())


def report_html(snapshot: Snapshot, history: list[dict[str, Any]], config: ExperimentConfig,
                evolution: Sequence[Snapshot] = ()) -> str:
    """The whole page as one string (plotly.js inlined once, in the first figure). `snapshot`: the end of
    the run (its metrics and status); `evolution`: views during the run (default: `snapshot` alone)."""
    figs = [evolution_figure(list(evolution) or [snapshot]), curves_figure(history, LOSS_CURVES, "Losses"),
            curves_figure(history, METRIC_CURVES, "Metrics (at each evaluation)", stacked=True)]
    trajectory = dirac_trajectory_figure(history)
    if trajectory is not None:
        figs.append(trajectory)
    parts = [f.to_html(full_html=False, include_plotlyjs=(i == 0), include_mathjax=False, auto_play=False,
                       config={"displaylogo": False}) for i, f in enumerate(figs)]
    cfg_json = json.dumps(config.model_dump(mode="json"), indent=2)
    status = snapshot.status + (f": {snapshot.status_message}" if snapshot.status_message else "")
    source = getattr(config.target, "source", "")
    target = config.target.name + (f" ({source})" if source else "")
    title = f"ToyGAN Lab report: {target}, {config.objective.name}, iteration {snapshot.iteration}"
    style = ("body{font-family:system-ui,sans-serif;max-width:1100px;margin:2em auto;color:#222}"
             "table{border-collapse:collapse}th,td{padding:2px 10px;text-align:left;border-bottom:1px solid #ddd}"
             "th{font-weight:normal;color:#555}.settings{display:flex;flex-wrap:wrap;gap:1em 2em}"
             ".section h3{margin:0.4em 0 0.2em;font-size:1em}"
             "pre{background:#f6f6f6;padding:1em;overflow:auto;max-height:30em}")
    return "\n".join([
        "<!DOCTYPE html>", '<html lang="en"><head><meta charset="utf-8">',
        f"<title>{html.escape(title)}</title><style>{style}</style></head><body>",
        f"<h1>{html.escape(title)}</h1>", f"<p>Status: {html.escape(status)}</p>",
        "<h2>Final metrics</h2>", _table(snapshot.metrics),
        *parts,
        '<h2>Settings in effect</h2><div class="settings" id="settings">', _settings(config), "</div>",
        "<details><summary>The exact config (JSON, for <code>toygan run --config</code>)</summary>",
        f'<pre id="config">{html.escape(cfg_json)}</pre></details>',
        "</body></html>",
    ])


def write_report(path: str | Path, trainer_or_snapshot: Any, history: list[dict[str, Any]],
                 config: ExperimentConfig, evolution: Sequence[Snapshot] = ()) -> Path:
    """Write the report to `path`. A Trainer is asked for the final snapshot (and, without `evolution`,
    for a view of now); a Snapshot is used as is."""
    source = trainer_or_snapshot
    views = list(evolution)
    if not views and not isinstance(source, Snapshot):
        views = [record_snapshot(source)]
    p = Path(path)
    p.write_text(report_html(_final(source), history, config, views), encoding="utf-8")
    return p

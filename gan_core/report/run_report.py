"""A self-contained HTML report of one run: final samples over D, loss curves, metric curves.

plotly.js is inlined (`include_plotlyjs=True`), so the file opens offline (a classroom, a slide).
Data go in as plain JSON lists (rounded to 5 significant digits), never base64, so the numbers can
be read from the file; curves with more than MAX_CURVE_POINTS points are thinned to every k-th.
"""

from __future__ import annotations

import html
import json
import math
from pathlib import Path
from typing import Any

import numpy as np
import plotly.graph_objects as go
from plotly.subplots import make_subplots

from gan_core.engine.config import ExperimentConfig
from gan_core.engine.metrics import kde_1d
from gan_core.engine.snapshot import Snapshot, SnapshotOptions

MAX_CURVE_POINTS = 2000  # per curve: enough to see oscillation, small enough for a slide deck
REPORT_SAMPLES = 1024  # real and generated points in the final scatter
REAL_COLOR, FAKE_COLOR = "#1b9e77", "#7b3294"  # green real, purple generated (the lab's colours)
METRIC_CURVES = ("modes_captured", "modes_captured_strict", "high_quality_fraction", "mode_kl", "sample_distance",
                 "d_real_mean", "d_fake_mean", "distance_to_equilibrium", "grad_norm_g", "grad_norm_d")
LOSS_CURVES = ("d_loss", "g_loss")


def _list(a: Any) -> list:
    """Flat plain list, 5 significant digits, NaN/inf as None (strict JSON, readable numbers)."""
    return [float(f"{v:.5g}") if math.isfinite(v) else None
            for v in np.asarray(a, dtype=np.float64).ravel().tolist()]


def _grid_list(a: np.ndarray) -> list[list]:
    arr = np.asarray(a)
    return [_list(row) for row in arr]


def _snapshot(source: Any) -> Snapshot:
    if isinstance(source, Snapshot):
        return source
    return source.snapshot(SnapshotOptions(samples=REPORT_SAMPLES, grid=64, manifold=0, gradients=False,
                                           density=True, metrics=True))


def samples_figure(s: Snapshot) -> go.Figure:
    """2D: D heatmap with real and generated samples on top. 1D: both densities and the D curve."""
    fig = go.Figure()
    xmin, xmax, ymin, ymax = s.bounds
    d_title = "D(x)" if s.d_kind == "probability" else "critic score"
    if s.dim == 2:
        fig.add_trace(go.Heatmap(x=_list(s.grid_x), y=_list(s.grid_y), z=_grid_list(s.d_surface), name=d_title,
                                 colorscale="RdBu", opacity=0.75,
                                 colorbar={"title": {"text": d_title}, "x": 1.02, "len": 0.75, "y": 0.4},
                                 **({"zmin": 0.0, "zmax": 1.0} if s.d_kind == "probability" else {})))
        for pts, name, color in ((s.real, "real", REAL_COLOR), (s.fake, "generated", FAKE_COLOR)):
            fig.add_trace(go.Scatter(x=_list(pts[:, 0]), y=_list(pts[:, 1]), mode="markers", name=name,
                                     marker={"size": 4, "color": color, "opacity": 0.7}))
        # Equal units on both axes (a ring must look round): the plot area shrinks, the window stays.
        fig.update_layout(xaxis={"range": [xmin, xmax], "constrain": "domain"},
                          yaxis={"range": [ymin, ymax], "scaleanchor": "x", "scaleratio": 1, "constrain": "domain"},
                          legend={"orientation": "h", "y": 1.02, "x": 0, "yanchor": "bottom"})
    else:
        xs = s.density_x if s.density_x is not None else s.grid_x
        dens_real = s.density_real if s.density_real is not None else kde_1d(s.real[:, 0], xs)
        dens_fake = s.density_fake if s.density_fake is not None else kde_1d(s.fake[:, 0], xs)
        fig.add_trace(go.Scatter(x=_list(xs), y=_list(dens_real), name="real density", line={"color": REAL_COLOR}))
        fig.add_trace(go.Scatter(x=_list(xs), y=_list(dens_fake), name="generated density",
                                 line={"color": FAKE_COLOR}))
        fig.add_trace(go.Scatter(x=_list(s.grid_x), y=_list(s.d_surface), name=d_title, yaxis="y2",
                                 line={"color": "#444", "dash": "dash"}))
        fig.update_layout(xaxis={"range": [xmin, xmax], "title": {"text": "x"}},
                          yaxis={"title": {"text": "density"}},
                          yaxis2={"title": {"text": d_title}, "overlaying": "y", "side": "right",
                                  "tickmode": "auto", "showgrid": False,
                                  **({"range": [0, 1]} if s.d_kind == "probability" else {})})
    fig.update_layout(title={"text": f"Iteration {s.iteration}: samples and the discriminator"},
                      template="plotly_white", height=620 if s.dim == 2 else 480)
    return fig


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
            series.append((key, [int(h["iteration"]) for h in rows], _list([h[key] for h in rows])))
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


def report_html(snapshot: Snapshot, history: list[dict[str, Any]], config: ExperimentConfig) -> str:
    """The whole page as one string (plotly.js inlined once, in the first figure)."""
    figs = [samples_figure(snapshot), curves_figure(history, LOSS_CURVES, "Losses"),
            curves_figure(history, METRIC_CURVES, "Metrics (at each evaluation)", stacked=True)]
    trajectory = dirac_trajectory_figure(history)
    if trajectory is not None:
        figs.append(trajectory)
    parts = [f.to_html(full_html=False, include_plotlyjs=(i == 0), include_mathjax=False,
                       config={"displaylogo": False}) for i, f in enumerate(figs)]
    cfg_json = json.dumps(config.model_dump(mode="json"), indent=2)
    status = snapshot.status + (f": {snapshot.status_message}" if snapshot.status_message else "")
    title = f"ToyGAN Lab report: {config.target.name}, {config.objective.name}, iteration {snapshot.iteration}"
    style = ("body{font-family:system-ui,sans-serif;max-width:1100px;margin:2em auto;color:#222}"
             "table{border-collapse:collapse}th,td{padding:2px 10px;text-align:left;border-bottom:1px solid #ddd}"
             "pre{background:#f6f6f6;padding:1em;overflow:auto;max-height:30em}")
    return "\n".join([
        "<!DOCTYPE html>", '<html lang="en"><head><meta charset="utf-8">',
        f"<title>{html.escape(title)}</title><style>{style}</style></head><body>",
        f"<h1>{html.escape(title)}</h1>", f"<p>Status: {html.escape(status)}</p>",
        "<h2>Final metrics</h2>", _table(snapshot.metrics),
        *parts,
        "<h2>Configuration</h2>", f'<pre id="config">{html.escape(cfg_json)}</pre>',
        "</body></html>",
    ])


def write_report(path: str | Path, trainer_or_snapshot: Any, history: list[dict[str, Any]],
                 config: ExperimentConfig) -> Path:
    """Write the report to `path` (a Trainer is asked for a fresh snapshot; a Snapshot is used as is)."""
    p = Path(path)
    p.write_text(report_html(_snapshot(trainer_or_snapshot), history, config), encoding="utf-8")
    return p

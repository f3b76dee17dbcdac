"""The run's evolution for the HTML report: the lab's main view at several iterations, one plotly
figure with a slider (and a play button) over them.

`record_snapshot(trainer)` takes one view the way the page frames it: a first, lean snapshot finds
where the generated samples are, gan_core.engine.framing.fit_window frames them with the target,
and the view's snapshot computes D over that window. `report_iterations(steps)` says at which
iterations `toygan run --report` takes them. Colours are the page's (gan_core.report.palette).
"""

from __future__ import annotations

import math
from collections.abc import Sequence
from typing import Any

import numpy as np
import plotly.graph_objects as go

from gan_core.engine.framing import fit_window
from gan_core.engine.metrics import kde_1d
from gan_core.engine.snapshot import Snapshot, SnapshotOptions
from gan_core.report import palette

REPORT_VIEWS = 12  # views of the run after iteration 0: enough to follow it, few enough for a small file
REPORT_SAMPLES = 512  # real and generated points per view (the page's default)
REPORT_GRID = 64  # D's surface side in 2D, points of its curve in 1D (the page's default)


def report_iterations(steps: int, views: int = REPORT_VIEWS) -> list[int]:
    """The iterations a report shows: 0, the end, and `views - 1` evenly between (fewer for short runs)."""
    return sorted({round(steps * i / views) for i in range(views + 1)})


def record_snapshot(t: Any) -> Snapshot:
    """One view of trainer `t` as the page frames it (no metrics, no gradients: the view alone)."""
    lean = t.snapshot(SnapshotOptions(samples=REPORT_SAMPLES, grid=8, manifold=0, gradients=False, surface=False,
                                      density=False, metrics=False))
    window = fit_window(lean.bounds, lean.fake, lean.dim)
    return t.snapshot(SnapshotOptions(samples=REPORT_SAMPLES, grid=REPORT_GRID, manifold=0, gradients=False,
                                      density=True, metrics=False, window=window))


def plain_list(a: Any) -> list:
    """Flat plain list, 5 significant digits, NaN/inf as None (strict JSON, readable numbers)."""
    return [float(f"{v:.5g}") if math.isfinite(v) else None
            for v in np.asarray(a, dtype=np.float64).ravel().tolist()]


def _window(s: Snapshot) -> tuple[float, float, float, float]:
    return s.window if s.window is not None else s.bounds


def _d_range(s: Snapshot) -> tuple[float, float, float]:
    """(lo, hi, mid) of D's colours and axis: [0, 1] around 1/2, or symmetric around 0 for a critic."""
    if s.d_kind != "score" or s.d_surface is None:
        return 0.0, 1.0, 0.5
    finite = np.abs(s.d_surface[np.isfinite(s.d_surface)])
    m = float(finite.max()) if finite.size else 1.0
    return -max(m, 1e-6), max(m, 1e-6), 0.0


def _traces_2d(s: Snapshot) -> list[go.BaseTraceType]:
    lo, hi, mid = _d_range(s)
    label = "D(x)" if s.d_kind == "probability" else "critic"
    z = [plain_list(row) for row in s.d_surface] if s.d_surface is not None else [[None]]
    surface = go.Contour(
        x=plain_list(s.grid_x), y=plain_list(s.grid_y), z=z, zmin=lo, zmax=hi, colorscale=palette.d_colorscale(),
        opacity=170 / 255, name=label, hoverinfo="skip",
        contours={"coloring": "heatmap", "start": mid, "end": mid, "size": 1, "showlabels": False},
        line={"color": palette.D_HALF, "width": 1.5},
        colorbar={"title": {"text": label}, "len": 0.6, "y": 0.65, "tickvals": [lo, mid, hi],
                  "ticktext": [f"{lo:.3g} fake", f"{mid:.3g}", f"{hi:.3g} real"]})
    fake = go.Scatter(x=plain_list(s.fake[:, 0]), y=plain_list(s.fake[:, 1]), mode="markers", name="generated",
                      marker={"size": 6, "color": palette.FAKE, "line": {"color": palette.FAKE_STROKE, "width": 1}})
    real = go.Scatter(x=plain_list(s.real[:, 0]), y=plain_list(s.real[:, 1]), mode="markers", name="real",
                      marker={"size": 5, "color": palette.REAL})
    return [surface, fake, real]


def _traces_1d(s: Snapshot, rug_y: float) -> list[go.BaseTraceType]:
    label = "D(x)" if s.d_kind == "probability" else "critic D(x)"
    xs = s.density_x if s.density_x is not None else s.grid_x
    dens_real = s.density_real if s.density_real is not None else kde_1d(s.real[:, 0], xs)
    dens_fake = s.density_fake if s.density_fake is not None else kde_1d(s.fake[:, 0], xs)
    real = go.Scatter(x=plain_list(xs), y=plain_list(dens_real), name="real density", fill="tozeroy",
                      fillcolor=palette.REAL_DENSITY, line={"color": palette.REAL_DENSITY_LINE, "width": 1.5})
    fake = go.Scatter(x=plain_list(xs), y=plain_list(dens_fake), name="generated density",
                      line={"color": palette.FAKE_DENSITY, "width": 2.5})
    d = go.Scatter(x=plain_list(s.grid_x), y=plain_list(s.d_surface), name=label, yaxis="y2",
                   line={"color": palette.D_CURVE, "width": 2})
    rug = go.Scatter(x=plain_list(s.fake[:, 0]), y=[rug_y] * len(s.fake), mode="markers", name="generated samples",
                     marker={"symbol": "line-ns-open", "size": 9, "color": palette.FAKE_DENSITY, "opacity": 0.5})
    return [real, fake, d, rug]


def _axes(s: Snapshot, below: float = 0.0) -> dict[str, Any]:
    """Axis ranges of view `s`: its window; in 1D D's axis too, starting `below` (the share of the plot's
    height under the density's 0, where the rug sits) lower, so D = lo lines up with density 0."""
    w = _window(s)
    if s.dim == 2:
        return {"xaxis.range": [w[0], w[1]], "yaxis.range": [w[2], w[3]]}
    lo, hi, _ = _d_range(s)
    return {"xaxis.range": [w[0], w[1]], "yaxis2.range": [lo - below / (1 - below) * (hi - lo), hi]}


def evolution_figure(snaps: Sequence[Snapshot]) -> go.Figure:
    """The main view at each snapshot (iteration order), the last one shown first; a slider and a play
    button step through them, each framed as the page frames it (the axes follow the samples)."""
    snaps = sorted(snaps, key=lambda s: s.iteration)
    last = snaps[-1]
    top = 1e-6
    for s in snaps:
        if s.dim == 1:
            xs = s.density_x if s.density_x is not None else s.grid_x
            for dens, pts in ((s.density_real, s.real), (s.density_fake, s.fake)):
                d = dens if dens is not None else kde_1d(pts[:, 0], xs)
                if np.isfinite(d).any():
                    top = max(top, float(np.nanmax(d)))
    rug_y = -0.04 * top
    below = -2 * rug_y / (1.1 * top - 2 * rug_y)  # the density axis runs from 2 rug_y to 1.1 top

    def traces(s: Snapshot) -> list[go.BaseTraceType]:
        return _traces_2d(s) if s.dim == 2 else _traces_1d(s, rug_y)

    fig = go.Figure(data=traces(last))
    fig.frames = [go.Frame(data=traces(s), name=str(s.iteration), layout=_layout_patch(s, below)) for s in snaps]
    steps = [{"label": str(s.iteration), "method": "animate",
              "args": [[str(s.iteration)], {"mode": "immediate", "frame": {"duration": 0, "redraw": True},
                                            "transition": {"duration": 0}}]} for s in snaps]
    fig.update_layout(
        sliders=[{"active": len(snaps) - 1, "steps": steps, "currentvalue": {"prefix": "iteration "},
                  "x": 0.06, "len": 0.94, "pad": {"t": 40}}],
        updatemenus=[{"type": "buttons", "showactive": False, "x": 0, "y": 0, "xanchor": "left", "yanchor": "top",
                      "pad": {"t": 60},
                      "buttons": [{"label": "▶", "method": "animate",
                                   "args": [None, {"frame": {"duration": 700, "redraw": True}, "fromcurrent": True,
                                                   "transition": {"duration": 0}}]}]}],
        title={"text": _title(last)},
        template="plotly_white", height=680 if last.dim == 2 else 520,
        legend={"orientation": "h", "y": 1.02, "x": 0, "yanchor": "bottom"},
    )
    if last.dim == 2:
        # Equal units on both axes (a ring must look round).
        fig.update_layout(xaxis={"constrain": "domain"}, yaxis={"scaleanchor": "x", "scaleratio": 1,
                                                                "constrain": "domain"})
    else:
        label = "D(x)" if last.d_kind == "probability" else "critic D(x)"
        fig.update_layout(xaxis={"title": {"text": "x"}}, yaxis={"title": {"text": "density"}, "range": [2 * rug_y, 1.1 * top]},
                          yaxis2={"title": {"text": label}, "overlaying": "y", "side": "right", "showgrid": False,
                                  # Its own ticks (the template would sync them to the density's grid).
                                  "tickmode": "linear" if last.d_kind == "probability" else "auto",
                                  "tick0": 0, "dtick": 0.25})
    fig.update_layout(_nested(_axes(last, below)))
    return fig


def _title(s: Snapshot) -> str:
    return f"Iteration {s.iteration}: samples and the discriminator (the slider below steps through the run)"


def _layout_patch(s: Snapshot, below: float) -> dict[str, Any]:
    return {**_nested(_axes(s, below)), "title": {"text": _title(s)}}


def _nested(dotted: dict[str, Any]) -> dict[str, Any]:
    """{"xaxis.range": r} -> {"xaxis": {"range": r}} (a frame's layout is a plain nested dict)."""
    out: dict[str, Any] = {}
    for key, value in dotted.items():
        axis, attr = key.split(".")
        out.setdefault(axis, {})[attr] = value
    return out

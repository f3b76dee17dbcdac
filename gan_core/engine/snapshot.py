"""What one frame of the lab shows: plain numpy arrays and numbers, no torch, no I/O.

`Trainer.snapshot(opts)` fills one of these; the server packs it into a binary frame, the CLI
into JSON and an HTML report, tests read it directly. Arrays are float32 unless noted;
`None` means "not computed for this target / these options".

`VIEW_LIMITS` is the one owner of the view options' bounds: `SnapshotOptions.check` enforces
them, the server's protocol builds its message fields from them, and the page reads them from
`GET /api/schema` (`x-view`), so no layer restates a bound.
"""

from __future__ import annotations

from dataclasses import dataclass, fields
from typing import Any

import numpy as np

from gan_core.engine.config import ConfigError
from gan_core.engine.framing import Window, window_problem, window_schema


@dataclass(frozen=True)
class Limit:
    lo: int
    hi: int
    description: str


# Bounds of the view options, by name. `grid` differs by dimension: a 2D surface costs grid^2 D
# evaluations (128^2 = 16k points, ~5 ms), a 1D curve only grid.
VIEW_LIMITS: dict[str, Limit] = {
    "samples": Limit(1, 4096, "real and generated points each"),
    "grid": Limit(8, 512, "points of D's curve in 1D (8..512), surface side in 2D (8..128)"),
    "manifold": Limit(0, 64, "noise-grid side for the generator's transformation (0: off)"),
}
GRID_2D_MAX = 128


@dataclass(frozen=True)
class SnapshotOptions:
    """What the watcher wants in a frame (the browser's `set_view`)."""

    samples: int = 512  # real and generated points each
    grid: int = 64  # D surface resolution per axis in 2D, points of the curve in 1D
    manifold: int = 20  # noise-grid side for the generator's transformation (0: off)
    gradients: bool = True  # generator gradient at each generated sample
    optimal_d: bool = False  # D* (gan_core.engine.optimal_d) where the target has a density and the loss an optimum
    surface: bool = True  # D over the grid (and D* with optimal_d); False: d_surface/d_optimal None
    density: bool = True  # 1D: KDE curves of real and generated samples
    metrics: bool = True  # coverage / distance metrics (costs a little; the curves want them)
    # A watcher that refreshes the surface or the metrics less often than the samples: True takes
    # the last fresh ones computed for the same grid (Snapshot.surface_iteration / metrics_iteration
    # say from which iteration) instead of computing them; fresh when there are none yet.
    reuse_surface: bool = False
    reuse_metrics: bool = False
    # The region (xmin, xmax, ymin, ymax, data units) the watcher draws: D's surface, D* and the 1D
    # density curves are computed over it (1D: y is ignored). None: the target's box (Target.bounds).
    window: Window | None = None

    def check(self, dim: int) -> None:
        """Bad view options get a ConfigError naming the option (the server passes them through)."""
        for name, lim in VIEW_LIMITS.items():
            hi = GRID_2D_MAX if name == "grid" and dim == 2 else lim.hi
            v = getattr(self, name)
            if not lim.lo <= v <= hi:
                where = f" for a {dim}D target" if name == "grid" else ""
                raise ConfigError(f"{name}: must be between {lim.lo} and {hi}{where}", name)
        if self.window is not None:
            problem = window_problem(self.window)
            if problem:
                raise ConfigError(f"window: {problem}", "window")


def view_schema() -> dict[str, Any]:
    """The view options' bounds and defaults, for the page (`x-view` in GET /api/schema)."""
    defaults = {f.name: f.default for f in fields(SnapshotOptions)}
    out: dict[str, Any] = {name: {"minimum": lim.lo, "maximum": lim.hi, "default": defaults[name],
                                  "description": lim.description} for name, lim in VIEW_LIMITS.items()}
    out["grid"]["maximum_2d"] = GRID_2D_MAX
    out["window"] = window_schema()
    return out


@dataclass
class Snapshot:
    iteration: int  # completed iterations (one = k_D D-updates + k_G G-updates)
    status: str  # "ok" | "diverged"
    status_message: str  # one line for a person; "" when ok
    dim: int  # 1 or 2
    bounds: tuple[float, float, float, float]  # (xmin, xmax, ymin, ymax) of the plot; 1D: y is (0, 1)
    real: np.ndarray  # (n, dim) real samples
    fake: np.ndarray  # (n, dim) generated samples
    fake_grad: np.ndarray | None  # (n, dim) direction the G update moves each generated sample (-dLoss_G/dx)
    grid_x: np.ndarray  # (gx,) x coordinates of the D surface / curve
    grid_y: np.ndarray | None  # (gy,) y coordinates in 2D, None in 1D
    d_surface: np.ndarray | None  # 2D: (gy, gx) row-major, y major; 1D: (gx,); None: opts.surface False
    d_kind: str  # "probability" (in [0, 1], 0.5 = undecided) | "score" (unbounded critic)
    # D* (gan_core.engine.optimal_d), same shape as d_surface; NaN where it is not drawn (a KDE with too
    # few samples there); None when not asked for, for critic losses and for targets without a density
    d_optimal: np.ndarray | None
    manifold: np.ndarray | None  # (m, m, dim) for noise dim >= 2, (m, 1, dim) for noise dim 1
    density_x: np.ndarray | None  # 1D: (k,) x points of the KDE curves
    density_real: np.ndarray | None  # 1D: (k,) KDE of real samples at density_x
    density_fake: np.ndarray | None  # 1D: (k,) KDE of generated samples at density_x
    losses: dict[str, float]  # latest "d_loss", "g_loss"
    metrics: dict[str, float]  # see gan_core.engine.metrics.summary(): modes_captured, modes_total, ...
    dirac: tuple[float, ...] | None  # Dirac game: (theta..., psi...) now; None for other games
    rebuilt: bool = False  # True when the last apply() rebuilt the networks
    surface_iteration: int = -1  # the iteration d_surface / d_optimal were computed at (-1: none)
    metrics_iteration: int = -1  # the iteration `metrics` were computed at (-1: none)
    # Which curve d_optimal is, for the legend: "p/(p+q)", "(1-eps) p/(p+q)" (label smoothing eps), or
    # None when d_optimal is None (optimal_d.kind)
    d_optimal_kind: str | None = None
    # The region (xmin, xmax, ymin, ymax) grid_x / grid_y span: the window asked for when the surface
    # was computed (a reused surface keeps its own); None: `bounds` (a snapshot built by hand)
    window: tuple[float, float, float, float] | None = None

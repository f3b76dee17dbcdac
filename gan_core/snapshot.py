"""What one frame of the lab shows: plain numpy arrays and numbers, no torch, no I/O.

`Trainer.snapshot(opts)` fills one of these; the server packs it into a binary frame, the CLI
into JSON and an HTML report, tests read it directly. Arrays are float32 unless noted;
`None` means "not computed for this target / these options".
"""

from __future__ import annotations

from dataclasses import dataclass, field

import numpy as np


@dataclass(frozen=True)
class SnapshotOptions:
    """What the watcher wants in a frame (the browser's `set_view`)."""

    samples: int = 512  # real and generated points each (1..4096)
    grid: int = 64  # D surface resolution per axis in 2D, points of the curve in 1D (8..128 2D, ..512 1D)
    manifold: int = 20  # noise-grid side for the generator's transformation (0: off)
    gradients: bool = True  # generator gradient at each generated sample
    optimal_d: bool = False  # D* = p_data / (p_data + p_g) where the target density is known
    # D over the grid (and D* with optimal_d): about half a frame's cost at 64x64. False leaves
    # d_surface and d_optimal None (a watcher that refreshes the surface less often than the samples).
    surface: bool = True
    density: bool = True  # 1D: KDE curves of real and generated samples
    metrics: bool = True  # coverage / distance metrics (costs a little; the curves want them)


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
    d_optimal: np.ndarray | None  # same shape as d_surface, or None
    manifold: np.ndarray | None  # (m, m, dim) for noise dim >= 2, (m, 1, dim) for noise dim 1
    density_x: np.ndarray | None  # 1D: (k,) x points of the KDE curves
    density_real: np.ndarray | None  # 1D: (k,) KDE of real samples at density_x
    density_fake: np.ndarray | None  # 1D: (k,) KDE of generated samples at density_x
    losses: dict[str, float]  # latest "d_loss", "g_loss"
    metrics: dict[str, float]  # see gan_core.metrics.summary(): modes_captured, modes_total, ...
    dirac: tuple[float, ...] | None  # Dirac game: (theta..., psi...) now; None for other games
    rebuilt: bool = False  # True when the last apply() rebuilt the networks
    extra: dict[str, float] = field(default_factory=dict)

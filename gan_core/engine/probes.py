"""What a frame shows, computed from a Trainer without changing its run.

Real samples and noise come from a snapshot generator seeded from config.seed, drawn once per
(seed, target, options) and kept: the same state gives the same frame, generated points move
smoothly from frame to frame instead of flickering, and the trainer's own generator is never
touched. Networks are read in eval mode
(dropout off, batch-norm running statistics, no spectral-norm power iteration) and restored.
A minibatch-discriminating D is read batch by batch, and over the grid against a reference batch
of the frame's generated samples (gan_core.engine.batch_layers says why); G's arrows are the
gradient of G's whole loss (gan_core.engine.generator_loss), feature matching included.
"""

from __future__ import annotations

import math
from dataclasses import dataclass
from typing import Any, Protocol

import numpy as np
import torch
from torch import nn

from gan_core.engine import batch_layers, metrics, optimal_d
from gan_core.engine.config import ExperimentConfig
from gan_core.engine.generator_loss import generator_loss
from gan_core.engine.models import has_train_mode_layers, sample_noise
from gan_core.engine.plan import Plan
from gan_core.engine.regularizers import instance_noise_std
from gan_core.engine.snapshot import Snapshot, SnapshotOptions
from gan_core.engine.targets import Target

# Offset of the snapshot generator's seed from config.seed: any fixed value apart from 0 keeps
# the frame's noise different from the training batches' noise.
SNAPSHOT_SEED_OFFSET = 1_000_003


class Observed(Protocol):
    """What a snapshot reads from a run (gan_core.engine.trainer.Trainer has all of it, publicly)."""

    config: ExperimentConfig
    target: Target
    G: nn.Module
    D: nn.Module
    plan: Plan
    device: torch.device
    iteration: int
    status: str
    status_message: str
    rebuilt: bool
    probe_cache: ProbeCache

    @property
    def losses(self) -> dict[str, float]: ...

    def check_parameters(self) -> bool: ...


@dataclass
class ProbeCache:
    """Per-run state of the probes, owned by the trainer and replaced with its networks.

    inputs: the frame's fixed real samples, noise and noise grid, keyed by what they depend on; grid:
    the points D's surface is computed on, keyed on the window and resolution (the page's framing
    moves the window without redrawing the samples);
    reference / divergences: metrics.reference / metrics.kde_grid of those real samples;
    density: the target's log density on the grid for one blur (optimal_d's p), as (blur, values);
    surface / metrics: the last fresh ones (with the key and iteration they were computed for), for
    SnapshotOptions.reuse_*.
    """

    key: tuple | None = None
    target: Any = None
    inputs: tuple | None = None
    grid_key: tuple | None = None
    grid: tuple | None = None  # (xs, ys, pts, pts and real samples, window) over the window asked for
    reference: metrics.Reference | None = None
    divergences: metrics.KdeGrid | None = None
    density: tuple[tuple[float, ...], Any] | None = None
    train_mode_layers: bool | None = None
    # (d_surface, d_optimal, d_optimal_kind, iteration, grid_x, grid_y, window): a reused surface keeps
    # the grid and window it was computed on, so a frame never pairs D's values with another region's
    surface: tuple[Any, Any, str | None, int, Any, Any, Any] | None = None
    surface_key: tuple | None = None
    metrics: tuple[dict[str, float], int] | None = None  # (metrics, iteration)

    def forget_results(self) -> None:
        """Drop the last surface and metrics (the run went back to a checkpoint: they are of another
        iteration, and a frame reusing them would show the future); the fixed inputs stay."""
        self.surface = self.surface_key = self.metrics = None


def _grid(bounds, dim: int, g: int):
    xmin, xmax, ymin, ymax = bounds
    xs = torch.linspace(xmin, xmax, g)
    if dim == 1:
        return xs, None, xs[:, None]
    ys = torch.linspace(ymin, ymax, g)
    yy, xx = torch.meshgrid(ys, xs, indexing="ij")  # row i is y = ys[i]: the frame's y-major layout
    return xs, ys, torch.stack([xx.reshape(-1), yy.reshape(-1)], dim=1)


def noise_grid(m: int, noise_dim: int, distribution: str) -> tuple[torch.Tensor, tuple[int, int]]:
    """Noise points whose images draw the generator's transformation, and the (rows, cols) layout.

    Noise dim 1: a line of m points; dim >= 2: an m x m grid over the first two coordinates
    (row i: z2 = u[i], column j: z1 = u[j]), the others 0. The span is +-2 std for Gaussian noise
    (95% of the mass) and the whole [-1, 1] for uniform noise.
    """
    span = 1.0 if distribution == "uniform" else 2.0
    u = torch.linspace(-span, span, m)
    if noise_dim == 1:
        return u[:, None], (m, 1)
    z = torch.zeros(m * m, noise_dim)
    z2, z1 = torch.meshgrid(u, u, indexing="ij")
    z[:, 0] = z1.reshape(-1)
    z[:, 1] = z2.reshape(-1)
    return z, (m, m)


def _np(x: torch.Tensor) -> np.ndarray:
    return x.detach().to("cpu", torch.float32).numpy()


def _dirac(t: Observed) -> tuple[float, ...] | None:
    if t.config.generator.kind != "point" or t.config.discriminator.kind != "linear":
        return None
    return (*t.G.theta.detach().cpu().tolist(), *t.D.psi.detach().cpu().tolist())


def _summary(t: Observed, fake: np.ndarray, real: np.ndarray, d_real: float, d_fake: float) -> dict[str, float]:
    # The frame's real set is fixed until _inputs redraws it (which resets both), so the real side of
    # sample_distance (sorted projections) and of kl_grid / js_grid (the KDE on the grid) is computed
    # once per input set, not once per frame.
    cache = t.probe_cache
    if cache.reference is None:
        cache.reference = metrics.reference(real)
    if cache.divergences is None:
        cache.divergences = metrics.kde_grid(real, t.target.bounds, t.target.dim)
    return metrics.summary(fake, real, t.target, d_real, d_fake, dirac=_dirac(t), ref=cache.reference,
                           divergences=cache.divergences)


def _inputs(t: Observed, opts: SnapshotOptions):
    """Real samples, noise and noise grid of a frame: fixed for a given seed, target and options,
    so they are drawn once and kept on the trainer until one of those changes."""
    cfg, target, dev = t.config, t.target, t.device
    key = (cfg.seed, opts.samples, cfg.noise.dim, cfg.noise.distribution, opts.manifold, str(dev))
    cache = t.probe_cache
    if cache.target is not target or cache.key != key:
        gen = torch.Generator().manual_seed(cfg.seed + SNAPSHOT_SEED_OFFSET)
        real = target.sample(opts.samples, gen).to(dev, torch.float32)
        z = sample_noise(opts.samples, cfg.noise.dim, cfg.noise.distribution, gen).to(dev)
        zgrid = None
        if opts.manifold:
            zg, shape = noise_grid(opts.manifold, cfg.noise.dim, cfg.noise.distribution)
            zgrid = (zg.to(dev), shape)
        cache.target, cache.key, cache.reference, cache.divergences = target, key, None, None
        cache.inputs = (real, z, zgrid)
        cache.grid_key = cache.grid = cache.density = None  # the grid's stack holds the old samples
        cache.surface = cache.surface_key = cache.metrics = None  # computed on other inputs
    return cache.inputs


def _grid_inputs(t: Observed, opts: SnapshotOptions, real: torch.Tensor):
    """The grid D's surface and D* are computed on: opts.window (the region the watcher draws), or the
    target's box; kept until the window, the resolution or the samples change."""
    target, cache = t.target, t.probe_cache
    window = tuple(float(v) for v in (opts.window if opts.window is not None else target.bounds))
    if target.dim == 1:
        window = (*window[:2], 0.0, 1.0)  # 1D: the y of a window is the page's density axis, not data
    key = (window, opts.grid, target.dim)
    if cache.grid is None or cache.grid_key != key:
        xs, ys, pts = _grid(window, target.dim, opts.grid)
        pts = pts.to(t.device)
        cache.grid_key, cache.grid = key, (xs, ys, pts, torch.cat([pts, real]), window)
        cache.density = None  # the target's density on the old grid
    return cache.grid


def _optimal_d(t: Observed, pts: torch.Tensor, fake: np.ndarray, real: np.ndarray, xs: np.ndarray,
               ys: np.ndarray | None) -> tuple[np.ndarray | None, str | None]:
    """D* on the grid and which curve it is (gan_core.engine.optimal_d), or (None, None)."""
    cfg, cache = t.config, t.probe_cache
    grid = pts.detach().to("cpu", torch.float64).numpy()

    def log_p(blur: np.ndarray) -> np.ndarray | None:
        # Memoised per blur: the grid and target are fixed per grid (_grid_inputs resets this), and
        # a drawn target's density sums up to 5000 components at every grid point.
        key = tuple(float(b) for b in blur)
        if cache.density is None or cache.density[0] != key:
            cache.density = (key, optimal_d.target_log_density(t.target, grid, blur))
        return cache.density[1]

    p = t.plan
    noise = instance_noise_std(p.noise_std, p.noise_anneal, t.iteration) if p.noise_std else 0.0
    gen = optimal_d.generator_density(t.G, cfg.noise.distribution)
    out = optimal_d.optimal_d(t.target, xs, ys, fake, real, cfg.objective.name, p.smoothing, gen, noise, log_p)
    return (None, None) if out is None else (out.values.astype(np.float32), out.kind)


def take_snapshot(t: Observed, opts: SnapshotOptions) -> Snapshot:
    """One frame of run `t` (see SnapshotOptions); reads the networks in eval mode, changes nothing."""
    target, cache = t.target, t.probe_cache
    dim = target.dim
    opts.check(dim)
    d_value = t.plan.d_value
    n = opts.samples
    real, z, zgrid = _inputs(t, opts)
    xs, ys, pts, grid_and_real, window = _grid_inputs(t, opts, real)
    skey = (opts.grid, opts.optimal_d)
    reuse_surface = opts.surface and opts.reuse_surface and cache.surface is not None and cache.surface_key == skey
    fresh_surface = opts.surface and not reuse_surface
    reuse_metrics = opts.metrics and opts.reuse_metrics and cache.metrics is not None
    fresh_metrics = opts.metrics and not reuse_metrics
    if cache.train_mode_layers is None:
        cache.train_mode_layers = has_train_mode_layers(t.G, t.D)
    modes = (t.G.training, t.D.training)
    if cache.train_mode_layers:
        t.G.eval()
        t.D.eval()
    # A D with minibatch discrimination reads a set of samples batch by batch, as training does.
    D = batch_layers.in_batches(t.D, t.plan.batch)
    try:
        surface, d_real = None, math.nan
        with torch.no_grad():
            fake = t.G(z)
            n_grid = len(pts) if fresh_surface else 0
            if D is not t.D and fresh_surface:
                # Rows interact: the grid is read against generated samples, the real set on its own.
                raw = torch.cat([batch_layers.surface(t.D, pts, fake, t.plan.batch), D(real)])
            else:
                # One pass of D over the grid and the real samples (rows do not interact in eval mode);
                # without the surface, over the real samples only, and only for the metrics' D mean.
                raw = D(grid_and_real if fresh_surface else real) if fresh_surface or fresh_metrics else None
            if raw is not None:
                vals = d_value(raw)
                d_real = float(vals[n_grid:].mean())
                if fresh_surface:
                    surface = vals[:n_grid].reshape(len(ys), len(xs)) if dim == 2 else vals[:n_grid]
            manifold = None
            if zgrid is not None:
                manifold = _np(t.G(zgrid[0]).reshape(*zgrid[1], dim))
        fake_grad = None
        if opts.gradients:
            with torch.enable_grad():
                x = fake.detach().requires_grad_(True)
                loss, out = generator_loss(D, x, real if t.plan.feature_matching else None, t.plan,
                                           t.config.objective)
                # Times n: each sample's own loss term, so arrow length does not depend on the count.
                (g,) = torch.autograd.grad(loss * n, x)
            fake_grad = _np(-g)
            out = out.detach()
        else:
            with torch.no_grad():
                out = D(fake)
        d_fake = float(d_value(out).mean())
        # Non-finite parameters make the raw outputs non-finite (a sigmoid would hide an inf):
        # checking them (a few ops) is how a frame notices divergence without walking every
        # parameter (~0.4 ms a frame).
        if not all(bool(torch.isfinite(a).all()) for a in (fake, out) + (() if raw is None else (raw,))):
            t.check_parameters()
    finally:
        if cache.train_mode_layers:
            t.G.train(modes[0])
            t.D.train(modes[1])
    # Copies of the cached inputs: a caller that edits a frame's arrays must not edit the next frame.
    real_np, fake_np = _np(real).copy(), _np(fake)
    xs_np = _np(xs).copy()
    ys_np = None if ys is None else _np(ys).copy()
    if fresh_surface:
        d_opt, d_opt_kind = _optimal_d(t, pts, fake_np, real_np, xs_np, ys_np) if opts.optimal_d else (None, None)
        cache.surface = (_np(surface), d_opt, d_opt_kind, t.iteration, xs_np, ys_np, window)
        cache.surface_key = skey
    grid_x, grid_y, grid_window = xs_np, ys_np, window
    d_surface = d_optimal = d_optimal_kind = None
    surface_it = -1
    if opts.surface:
        d_surface, d_optimal, d_optimal_kind, surface_it, grid_x, grid_y, grid_window = cache.surface
        grid_x, grid_y = grid_x.copy(), None if grid_y is None else grid_y.copy()
    density_x = density_real = density_fake = None
    if opts.density and dim == 1:
        density_x = xs_np
        density_real = metrics.kde_1d(real_np, xs_np).astype(np.float32)
        density_fake = metrics.kde_1d(fake_np, xs_np).astype(np.float32)
    if fresh_metrics:
        cache.metrics = (_summary(t, fake_np, real_np, d_real, d_fake), t.iteration)
    summary, metrics_it = cache.metrics if opts.metrics else ({}, -1)
    return Snapshot(
        iteration=t.iteration, status=t.status, status_message=t.status_message, dim=dim,
        bounds=tuple(float(b) for b in target.bounds), real=real_np, fake=fake_np, fake_grad=fake_grad,
        grid_x=grid_x, grid_y=grid_y, d_surface=d_surface, d_kind=t.plan.d_kind, d_optimal=d_optimal,
        d_optimal_kind=d_optimal_kind,
        manifold=manifold, density_x=density_x, density_real=density_real, density_fake=density_fake,
        losses=t.losses, metrics=dict(summary), dirac=_dirac(t), rebuilt=t.rebuilt,
        surface_iteration=surface_it, metrics_iteration=metrics_it, window=grid_window,
    )


def _norm(grads) -> float:
    return float(torch.sqrt(sum((g * g).sum() for g in grads if g is not None)))


def evaluate(t: Observed, n: int, divergences: bool = False) -> dict[str, float]:
    """metrics.summary() on n samples generated now, with the gradient norms of both players' losses;
    with `divergences`, also kl_grid / js_grid (the real side's KDE grid is built for this call).

    Draws come from a generator of its own and the networks are read in eval mode, so the run is
    not disturbed. grad_norm_d / grad_norm_g: L2 norm over all parameters of dL_D/dphi and dL_G/dtheta
    on this batch (D's loss unregularised; G's the loss it trains on: feature matching and the
    pull-away term included, historical averaging not).
    """
    cfg, target, dev, p = t.config, t.target, t.device, t.plan
    n = max(int(n), 1)
    gen = torch.Generator().manual_seed(cfg.seed + SNAPSHOT_SEED_OFFSET + 1)
    real = target.sample(n, gen).to(dev, torch.float32)
    z = sample_noise(n, cfg.noise.dim, cfg.noise.distribution, gen).to(dev)
    modes = (t.G.training, t.D.training)
    t.G.eval()
    t.D.eval()
    D = batch_layers.in_batches(t.D, p.batch)
    try:
        fake = t.G(z)
        real_out, fake_out = D(real), D(fake)
        loss_d = p.d_loss(real_out, D(fake.detach()), cfg.objective, p.smoothing)
        grad_d = torch.autograd.grad(loss_d, t.d_params, allow_unused=True)
        loss_g, _ = generator_loss(D, fake, real if p.feature_matching else None, p, cfg.objective)
        grad_g = torch.autograd.grad(loss_g, t.g_params, allow_unused=True)
        with torch.no_grad():
            d_real = float(p.d_value(real_out).mean())
            d_fake = float(p.d_value(fake_out).mean())
    finally:
        t.G.train(modes[0])
        t.D.train(modes[1])
    real_np = _np(real)
    grid = metrics.kde_grid(real_np, target.bounds, target.dim) if divergences else None
    return metrics.summary(_np(fake), real_np, target, d_real, d_fake, grad_norm_g=_norm(grad_g),
                           grad_norm_d=_norm(grad_d), dirac=_dirac(t), divergences=grid)

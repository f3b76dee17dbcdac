"""What a frame shows, computed from a Trainer without changing its run.

Real samples and noise come from a snapshot generator seeded from config.seed, drawn once per
(seed, target, options) and kept: the same state gives the same frame, generated points move
smoothly from frame to frame instead of flickering, and the trainer's own generator is never
touched. Networks are read in eval mode
(dropout off, batch-norm running statistics, no spectral-norm power iteration) and restored.
"""

from __future__ import annotations

import math
from typing import TYPE_CHECKING

import numpy as np
import torch

from gan_core import metrics
from gan_core.config import ConfigError
from gan_core.models import sample_noise
from gan_core.snapshot import Snapshot, SnapshotOptions

if TYPE_CHECKING:
    from gan_core.trainer import Trainer

# Offset of the snapshot generator's seed from config.seed: any fixed value apart from 0 keeps
# the frame's noise different from the training batches' noise.
SNAPSHOT_SEED_OFFSET = 1_000_003


def check_options(opts: SnapshotOptions, dim: int) -> None:
    """Bad view options get a ConfigError naming the option (the server passes them through)."""
    if not 1 <= opts.samples <= 4096:
        raise ConfigError("samples: must be between 1 and 4096", "samples")
    hi = 128 if dim == 2 else 512
    if not 8 <= opts.grid <= hi:
        raise ConfigError(f"grid: must be between 8 and {hi} for a {dim}D target", "grid")
    if not 0 <= opts.manifold <= 64:
        raise ConfigError("manifold: must be between 0 and 64", "manifold")


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


def _dirac(t: Trainer) -> tuple[float, ...] | None:
    if t.config.generator.kind != "point" or t.config.discriminator.kind != "linear":
        return None
    return (*t.G.theta.detach().cpu().tolist(), *t.D.psi.detach().cpu().tolist())


def _summary(t: Trainer, fake: np.ndarray, real: np.ndarray, d_real: float, d_fake: float) -> dict[str, float]:
    # The frame's real set is fixed until _inputs redraws it (which clears the cache), so its sorted
    # projections for sample_distance are computed once per cache, not once per frame.
    cache = t.probe_cache
    if "reference" not in cache:
        cache["reference"] = metrics.reference(real)
    return metrics.summary(fake, real, t.target, d_real, d_fake, dirac=_dirac(t), ref=cache["reference"])


def _pg_bandwidth(fake: np.ndarray, target) -> tuple[float, float] | None:
    """KDE bandwidth (data units, per axis) for p_g in D* = p_data / (p_data + p_g).

    Scott's rule assumes one Gaussian: on a ring of std-0.02 modes it gives ~0.35, which smears p_g
    over whole modes so D* never reaches 1/2 on a covered mode. The target is a mixture of K modes of
    std `scale`, so we cap it at Scott's rule for one mode, scale * (n / K)^(-1/6): p_g then resolves
    what p_data resolves. None (plain Scott) when the target has no mode scale."""
    scale, k = float(getattr(target, "scale", 0.0) or 0.0), len(getattr(target, "centers", ()))
    if scale <= 0 or k == 0 or len(fake) < 2:
        return None
    scott = fake.std(0, ddof=1) * len(fake) ** (-1 / 6)
    cap = scale * max(len(fake) / k, 1.0) ** (-1 / 6)
    return tuple(float(min(h, cap)) if h > 0 else float(h) for h in scott)


def _inputs(t: Trainer, opts: SnapshotOptions):
    """Real samples, noise, grid and noise grid of a frame: fixed for a given seed, target and options,
    so they are drawn once and kept on the trainer until one of those changes."""
    cfg, target, dev = t.config, t.target, t.device
    key = (cfg.seed, opts.samples, cfg.noise.dim, cfg.noise.distribution, opts.grid, opts.manifold, str(dev))
    cache = t.probe_cache
    if cache.get("target") is not target or cache.get("key") != key:
        gen = torch.Generator().manual_seed(cfg.seed + SNAPSHOT_SEED_OFFSET)
        real = target.sample(opts.samples, gen).to(dev, torch.float32)
        z = sample_noise(opts.samples, cfg.noise.dim, cfg.noise.distribution, gen).to(dev)
        xs, ys, pts = _grid(target.bounds, target.dim, opts.grid)
        zgrid = None
        if opts.manifold:
            zg, shape = noise_grid(opts.manifold, cfg.noise.dim, cfg.noise.distribution)
            zgrid = (zg.to(dev), shape)
        cache.clear()
        pts = pts.to(dev)
        cache.update(target=target, key=key, inputs=(real, z, xs, ys, pts, torch.cat([pts, real]), zgrid))
    return cache["inputs"]


def take_snapshot(t: Trainer, opts: SnapshotOptions) -> Snapshot:
    target, cfg = t.target, t.config
    dim = target.dim
    check_options(opts, dim)
    obj_cfg = cfg.objective
    d_value, g_loss = t._p.d_value, t._p.g_loss
    n = opts.samples
    real, z, xs, ys, pts, grid_and_real, zgrid = _inputs(t, opts)
    modes = (t.G.training, t.D.training)
    if t.has_train_mode_layers:
        t.G.eval()
        t.D.eval()
    try:
        surface, d_real = None, math.nan
        with torch.no_grad():
            fake = t.G(z)
            # One pass of D over the grid and the real samples (rows do not interact in eval mode);
            # without the surface, over the real samples only, and only for the metrics' D mean.
            n_grid = len(pts) if opts.surface else 0
            raw = t.D(grid_and_real if opts.surface else real) if opts.surface or opts.metrics else None
            if raw is not None:
                vals = d_value(raw)
                d_real = float(vals[n_grid:].mean())
                if opts.surface:
                    surface = vals[:n_grid].reshape(len(ys), len(xs)) if dim == 2 else vals[:n_grid]
            manifold = None
            if zgrid is not None:
                manifold = _np(t.G(zgrid[0]).reshape(*zgrid[1], dim))
        fake_grad = None
        if opts.gradients:
            with torch.enable_grad():
                x = fake.detach().requires_grad_(True)
                out = t.D(x)
                # Times n: each sample's own loss term, so arrow length does not depend on the count.
                (g,) = torch.autograd.grad(g_loss(out, obj_cfg) * n, x)
            fake_grad = _np(-g)
            out = out.detach()
        else:
            with torch.no_grad():
                out = t.D(fake)
        d_fake = float(d_value(out).mean())
        # Non-finite parameters make the raw outputs non-finite (a sigmoid would hide an inf):
        # checking them (a few ops) is how a frame notices divergence without walking every
        # parameter (~0.4 ms a frame).
        if not all(bool(torch.isfinite(a).all()) for a in (fake, out) + (() if raw is None else (raw,))):
            t.check_parameters()
    finally:
        if t.has_train_mode_layers:
            t.G.train(modes[0])
            t.D.train(modes[1])
    # Copies of the cached inputs: a caller that edits a frame's arrays must not edit the next frame.
    real_np, fake_np = _np(real).copy(), _np(fake)
    xs_np = _np(xs).copy()
    d_optimal = None
    if opts.optimal_d and opts.surface:
        log_p = target.log_density(pts.cpu())
        if log_p is not None:
            p_data = np.exp(_np(log_p).astype(np.float64))
            if dim == 2:
                p_data = p_data.reshape(len(ys), len(xs))
                p_g = metrics.kde_2d(fake_np, xs_np, _np(ys), _pg_bandwidth(fake_np, target))
            else:
                p_g = metrics.kde_1d(fake_np, xs_np)
            d_optimal = (p_data / np.maximum(p_data + p_g, 1e-300)).astype(np.float32)
    density_x = density_real = density_fake = None
    if opts.density and dim == 1:
        density_x = xs_np
        density_real = metrics.kde_1d(real_np, xs_np).astype(np.float32)
        density_fake = metrics.kde_1d(fake_np, xs_np).astype(np.float32)
    summary = _summary(t, fake_np, real_np, d_real, d_fake) if opts.metrics else {}
    return Snapshot(
        iteration=t.iteration, status=t.status, status_message=t.status_message, dim=dim,
        bounds=tuple(float(b) for b in target.bounds), real=real_np, fake=fake_np, fake_grad=fake_grad,
        grid_x=xs_np, grid_y=None if ys is None else _np(ys).copy(),
        d_surface=None if surface is None else _np(surface),
        d_kind=t._p.d_kind, d_optimal=d_optimal, manifold=manifold, density_x=density_x,
        density_real=density_real, density_fake=density_fake, losses=t.losses, metrics=summary,
        dirac=_dirac(t), rebuilt=t.rebuilt,
    )


def _norm(grads) -> float:
    return float(torch.sqrt(sum((g * g).sum() for g in grads if g is not None)))


def evaluate(t: Trainer, n: int) -> dict[str, float]:
    """metrics.summary() on n samples generated now, with the gradient norms of both players' losses.

    Draws come from a generator of its own and the networks are read in eval mode, so the run is
    not disturbed. grad_norm_d / grad_norm_g: L2 norm over all parameters of dL_D/dphi and dL_G/dtheta
    on this batch (unregularised losses).
    """
    cfg, target, dev, p = t.config, t.target, t.device, t._p
    n = max(int(n), 1)
    gen = torch.Generator().manual_seed(cfg.seed + SNAPSHOT_SEED_OFFSET + 1)
    real = target.sample(n, gen).to(dev, torch.float32)
    z = sample_noise(n, cfg.noise.dim, cfg.noise.distribution, gen).to(dev)
    modes = (t.G.training, t.D.training)
    t.G.eval()
    t.D.eval()
    try:
        fake = t.G(z)
        real_out, fake_out = t.D(real), t.D(fake)
        loss_d = p.d_loss(real_out, t.D(fake.detach()), cfg.objective, p.smoothing)
        grad_d = torch.autograd.grad(loss_d, t.d_params, allow_unused=True)
        grad_g = torch.autograd.grad(p.g_loss(fake_out, cfg.objective), t.g_params, allow_unused=True)
        with torch.no_grad():
            d_real = float(p.d_value(real_out).mean())
            d_fake = float(p.d_value(fake_out).mean())
    finally:
        t.G.train(modes[0])
        t.D.train(modes[1])
    return metrics.summary(_np(fake), _np(real), target, d_real, d_fake, grad_norm_g=_norm(grad_g),
                           grad_norm_d=_norm(grad_d), dirac=_dirac(t))

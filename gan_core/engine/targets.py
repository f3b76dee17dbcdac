"""Targets: the distributions a generator must learn, by registry name (`build_target`).

Every target samples with the `torch.Generator` it is handed (never the global RNG), so the same
generator state gives the same samples. Each one also describes itself for the coverage metrics:

- `centers` (K, dim): the points a "mode" is counted around. Gaussians and mixtures: the component
  means. Curves (moons, spiral, line): K fixed points along the curve at equal probability mass.
  Drawn: the drawn points thinned to at most 32 (the middle of every run of ceil(n/32)). Data (a
  person's CSV, rows in any order): the k-means centres of the rows, at most 12 in 1D, 32 in 2D.
- `scales` (K,) and `scale` (their max): the std whose 3-std ball around a centre counts as "on"
  that mode. Gaussians: their std. Curves, drawn and data: `std + h/3`, where h (data units) is the
  farthest any curve point (drawn point) lies from its nearest centre, so 3*scale = 3*std + h and
  every sample within 3 std of the curve is within 3*scale of some centre.
- `weights` (K,): the share of samples each centre should get (curves: uniform; drawn and data:
  the share of points nearest each centre).
- `bounds` (xmin, xmax, ymin, ymax): a square plot window (2D) around the data with a 25% margin on
  each side, so a generator that starts off-target is still on screen; 1D: y is (0, 1).

`log_density` is exact where a density exists (Gaussians, mixtures, ring, grid, uniform, and the
drawn and data targets, which *are* equal-weight Gaussian mixtures on their points); None for moons,
spiral, line (a density on a curve plus jitter has no closed form) and the Dirac point.
"""

from __future__ import annotations

import math
from collections.abc import Callable, Mapping
from types import MappingProxyType
from typing import Any

import numpy as np
import torch

from gan_core.engine.config_targets import (
    DataConfig,
    DiracConfig,
    DrawnConfig,
    Gaussian1DConfig,
    Gaussian2DConfig,
    GridConfig,
    Mixture1DConfig,
    RingConfig,
    TargetConfig,
)

MAX_DRAWN_CENTERS = 32  # coverage centres for a drawn target: enough to see holes, few enough to read
MAX_DATA_CENTERS = {1: 12, 2: 32}  # coverage centres of a person's data, by dimension
DIRAC_SCALE = 0.05  # coverage std around the Dirac point (data units): the 3-std ball has radius 0.15
_MARGIN = 0.25  # plot margin on each side, as a fraction of the data's extent
_MIN_HALF = 0.5  # smallest half-width of the plot window (data units), for near-point targets


def _bounds(lo: np.ndarray, hi: np.ndarray) -> tuple[float, float, float, float]:
    """Plot window around the box [lo, hi]: square in 2D (circles look round), y = (0, 1) in 1D."""
    mid = (lo + hi) / 2
    half = max(float(np.max(hi - lo)) / 2 * (1 + 2 * _MARGIN), _MIN_HALF)
    if lo.shape[0] == 1:
        return (float(mid[0] - half), float(mid[0] + half), 0.0, 1.0)
    return (float(mid[0] - half), float(mid[0] + half), float(mid[1] - half), float(mid[1] + half))


def _normalise(weights: list[float] | None, k: int) -> np.ndarray:
    w = np.ones(k) if weights is None else np.asarray(weights, dtype=np.float64)
    return w / w.sum()


def _pick(weights: np.ndarray, n: int, generator: torch.Generator) -> torch.Tensor:
    """n component indices drawn with probabilities `weights`, from `generator` only."""
    if len(weights) == 1:
        return torch.zeros(n, dtype=torch.long)
    u = torch.rand(n, generator=generator, dtype=torch.float64)
    cum = torch.as_tensor(np.cumsum(weights), dtype=torch.float64)
    return torch.searchsorted(cum, u, right=True).clamp_(max=len(weights) - 1)


def _farthest_gap(points: np.ndarray, centers: np.ndarray) -> float:
    """h: the largest distance from any of `points` to its nearest centre (data units)."""
    d = np.sqrt(((points[:, None, :] - centers[None, :, :]) ** 2).sum(-1)).min(1)
    return float(d.max())


class Target:
    """A distribution on R^dim with what the metrics and plots need to know about it."""

    def __init__(self, name: str, dim: int, centers: np.ndarray, scales: np.ndarray, weights: np.ndarray,
                 bounds: tuple[float, float, float, float]):
        self.name = name
        self.dim = dim
        self.centers = np.asarray(centers, dtype=np.float64).reshape(-1, dim)
        self.scales = np.broadcast_to(np.asarray(scales, dtype=np.float64), (len(self.centers),)).copy()
        self.scale = float(self.scales.max())
        self.weights = np.asarray(weights, dtype=np.float64)
        self.bounds = bounds

    def sample(self, n: int, generator: torch.Generator) -> torch.Tensor:
        raise NotImplementedError

    def log_density(self, x: torch.Tensor) -> torch.Tensor | None:
        """log p(x) for x (n, dim), or None when the target has no density."""
        return None

    def mean_std(self) -> tuple[np.ndarray, np.ndarray] | None:
        """Exact per-axis mean and std, or None where there is no closed form."""
        return None

    def __repr__(self) -> str:
        return f"{type(self).__name__}(name={self.name!r}, dim={self.dim}, modes={len(self.centers)})"


class GaussianMixture(Target):
    """Isotropic Gaussian components (means (M, dim), stds (M,), weights (M,)), or one full-covariance one."""

    def __init__(self, name: str, means: np.ndarray, stds: np.ndarray, weights: np.ndarray,
                 cov: np.ndarray | None = None, centers: np.ndarray | None = None,
                 scales: np.ndarray | None = None, center_weights: np.ndarray | None = None):
        means = np.asarray(means, dtype=np.float64)
        dim = means.shape[1]
        self.means, self.stds, self.mix = means, np.asarray(stds, dtype=np.float64), np.asarray(weights)
        self.cov = None if cov is None else np.asarray(cov, dtype=np.float64)
        half = 4 * (np.sqrt(np.diag(self.cov))[None, :] if self.cov is not None else self.stds[:, None])
        lo, hi = (means - half).min(0), (means + half).max(0)
        if scales is None:
            scales = np.sqrt(np.linalg.eigvalsh(self.cov).max()) if self.cov is not None else self.stds
        super().__init__(name, dim, means if centers is None else centers, scales,
                         self.mix if center_weights is None else center_weights, _bounds(lo, hi))
        self._chol = None if self.cov is None else torch.as_tensor(np.linalg.cholesky(self.cov))

    def sample(self, n: int, generator: torch.Generator) -> torch.Tensor:
        comp = _pick(self.mix, n, generator)
        eps = torch.randn(n, self.dim, generator=generator, dtype=torch.float64)
        mu = torch.as_tensor(self.means)[comp]
        if self._chol is not None:
            return (mu + eps @ self._chol.T).float()
        return (mu + eps * torch.as_tensor(self.stds)[comp, None]).float()

    def log_density(self, x: torch.Tensor) -> torch.Tensor:
        x64 = x.detach().to("cpu", torch.float64).reshape(-1, self.dim)
        mu = torch.as_tensor(self.means)
        if self._chol is not None:
            z = torch.linalg.solve_triangular(self._chol, (x64 - mu).T, upper=False).T
            logdet = 2 * torch.log(torch.diagonal(self._chol)).sum()
            out = -0.5 * (z**2).sum(1) - 0.5 * logdet - 0.5 * self.dim * math.log(2 * math.pi)
            return out.to(x.dtype if x.is_floating_point() else torch.float32)
        s = torch.as_tensor(self.stds)
        logw = torch.log(torch.as_tensor(self.mix, dtype=torch.float64))
        norm = logw - self.dim * (torch.log(s) + 0.5 * math.log(2 * math.pi))
        chunks = []
        # Chunks of 1024 points bound the (chunk, M) distance matrix for drawn targets (M <= 5000).
        for xc in x64.split(1024):
            d2 = torch.cdist(xc, mu) ** 2
            chunks.append(torch.logsumexp(norm - 0.5 * d2 / s**2, dim=1))
        out = torch.cat(chunks) if chunks else x64.new_zeros(0)
        return out.to(x.dtype if x.is_floating_point() else torch.float32)

    def mean_std(self) -> tuple[np.ndarray, np.ndarray]:
        w = self.mix[:, None]
        mean = (w * self.means).sum(0)
        var_in = np.diag(self.cov)[None, :] if self.cov is not None else self.stds[:, None] ** 2
        var = (w * (var_in + self.means**2)).sum(0) - mean**2
        return mean, np.sqrt(var)


class Uniform1D(Target):
    """U(low, high). One coverage centre at the midpoint; scale (high-low)/6 so 3*scale spans it."""

    def __init__(self, low: float, high: float):
        self.low, self.high = float(low), float(high)
        super().__init__("uniform-1d", 1, np.array([[(low + high) / 2]]), np.array([(high - low) / 6]),
                         np.ones(1), _bounds(np.array([low]), np.array([high])))

    def sample(self, n: int, generator: torch.Generator) -> torch.Tensor:
        u = torch.rand(n, 1, generator=generator, dtype=torch.float64)
        return (self.low + (self.high - self.low) * u).float()

    def log_density(self, x: torch.Tensor) -> torch.Tensor:
        x = x.detach().reshape(-1)
        inside = (x >= self.low) & (x <= self.high)
        val = torch.full_like(x, -math.log(self.high - self.low), dtype=torch.float32)
        return torch.where(inside, val, torch.full_like(val, -math.inf))

    def mean_std(self) -> tuple[np.ndarray, np.ndarray]:
        return np.array([(self.low + self.high) / 2]), np.array([(self.high - self.low) / math.sqrt(12)])


class Curve(Target):
    """Points curve(u), u ~ U(0, 1) (u is a probability-mass coordinate), plus N(0, std^2 I) jitter."""

    def __init__(self, name: str, curve: Callable[[np.ndarray], np.ndarray], std: float, k: int):
        self.curve, self.std = curve, float(std)
        centers = curve((np.arange(k) + 0.5) / k)
        dense = curve(np.linspace(0, 1, 2001))
        h = _farthest_gap(dense, centers)
        lo, hi = dense.min(0) - 4 * std, dense.max(0) + 4 * std
        super().__init__(name, 2, centers, np.array([std + h / 3]), np.ones(k) / k, _bounds(lo, hi))

    def sample(self, n: int, generator: torch.Generator) -> torch.Tensor:
        u = torch.rand(n, generator=generator, dtype=torch.float64).numpy()
        eps = torch.randn(n, 2, generator=generator, dtype=torch.float64)
        return (torch.as_tensor(self.curve(u)) + self.std * eps).float()


def _moons(u: np.ndarray) -> np.ndarray:
    """Two interleaved half circles (radius 1), shifted so their mean is the origin.
    u < 1/2: upper moon (cos t, sin t); else lower moon (1 - cos t, 1/2 - sin t), t in [0, pi]."""
    upper = u < 0.5
    t = np.pi * np.where(upper, 2 * u, 2 * u - 1)
    x = np.where(upper, np.cos(t), 1 - np.cos(t))
    y = np.where(upper, np.sin(t), 0.5 - np.sin(t))
    return np.stack([x - 0.5, y - 0.25], axis=-1)


SPIRAL_RADIUS = 2.0  # outer radius of the spiral (data units)
SPIRAL_TURNS = 1.5  # turns from the centre out


def _spiral(u: np.ndarray) -> np.ndarray:
    """Archimedean spiral r = R s, angle = 2 pi turns s with s = sqrt(u): arc length grows like s^2,
    so u ~ U(0, 1) spreads points nearly evenly along the arm."""
    s = np.sqrt(u)
    a = 2 * np.pi * SPIRAL_TURNS * s
    return np.stack([SPIRAL_RADIUS * s * np.cos(a), SPIRAL_RADIUS * s * np.sin(a)], axis=-1)


LINE_START, LINE_END = np.array([-2.0, -1.0]), np.array([2.0, 1.0])


def _line(u: np.ndarray) -> np.ndarray:
    return LINE_START + u[..., None] * (LINE_END - LINE_START)


class Drawn(GaussianMixture):
    """Points a person drew, each picked with equal probability, plus N(0, std^2 I) jitter."""

    def __init__(self, points: np.ndarray, std: float):
        n = len(points)
        step = math.ceil(n / MAX_DRAWN_CENTERS)
        centers = points[step // 2 :: step]  # the middle point of each run of `step`
        nearest = np.sqrt(((points[:, None] - centers[None]) ** 2).sum(-1)).argmin(1)
        share = np.bincount(nearest, minlength=len(centers)) / n
        h = _farthest_gap(points, centers)
        super().__init__("drawn", points, np.full(n, std), np.ones(n) / n, centers=centers,
                         scales=np.array([std + h / 3]), center_weights=share)


def kmeans_centres(points: np.ndarray, k: int, iterations: int = 25) -> np.ndarray:
    """k centres of `points` (n, dim) by Lloyd's k-means from a k-means++ start, with a fixed seed:
    the same data give the same centres. A centre that loses all its points stays where it was."""
    rng = np.random.default_rng(0)
    centres = [points[rng.integers(len(points))]]
    d2 = ((points - centres[0]) ** 2).sum(1)
    for _ in range(1, k):
        # k-means++: the next start is a point drawn with probability ~ its squared distance to the
        # starts so far (spread out, yet where the data are); none left far away: any point.
        total = d2.sum()
        nxt = points[rng.choice(len(points), p=d2 / total)] if total > 0 else points[rng.integers(len(points))]
        centres.append(nxt)
        d2 = np.minimum(d2, ((points - nxt) ** 2).sum(1))
    c = np.array(centres, dtype=np.float64)
    for _ in range(iterations):
        nearest = ((points[:, None] - c[None]) ** 2).sum(-1).argmin(1)
        counts = np.bincount(nearest, minlength=k)
        sums = np.zeros_like(c)
        np.add.at(sums, nearest, points)
        moved = np.where(counts[:, None] > 0, sums / np.maximum(counts, 1)[:, None], c)
        if np.allclose(moved, c):
            break
        c = moved
    return c


class Data(GaussianMixture):
    """A person's own data (rows of 1 or 2 values), each row picked with equal probability, plus
    N(0, std^2 I) jitter: the same equal-weight Gaussian mixture as a drawn target.

    Rows come in any order (a file), so the coverage centres are not thinned along a stroke as a
    drawing's are: they are the k-means centres of the rows (MAX_DATA_CENTERS[dim] at most; 1D data
    need fewer to show a missed bump), weighted by the share of rows nearest each, with the drawn
    target's scale std + h/3 (every row within 3 scales of a centre)."""

    def __init__(self, points: np.ndarray, std: float, source: str = ""):
        n, dim = points.shape
        # Duplicate rows (a rounded column) would be counted twice as starts: centre on distinct rows.
        distinct = np.unique(points, axis=0)
        centers = kmeans_centres(distinct, min(len(distinct), MAX_DATA_CENTERS[dim]))
        nearest = ((points[:, None] - centers[None]) ** 2).sum(-1).argmin(1)
        share = np.bincount(nearest, minlength=len(centers)) / n
        h = _farthest_gap(points, centers)
        self.source = source
        super().__init__("data", points, np.full(n, std), np.ones(n) / n, centers=centers,
                         scales=np.array([std + h / 3]), center_weights=share)


class Dirac(Target):
    """A single point (the Dirac-GAN game's target): every sample is exactly that point."""

    def __init__(self, point: np.ndarray):
        self.point = np.asarray(point, dtype=np.float64)
        d = len(self.point)
        super().__init__("dirac", d, self.point[None], np.array([DIRAC_SCALE]), np.ones(1),
                         _bounds(self.point - 2.0, self.point + 2.0))

    def sample(self, n: int, generator: torch.Generator) -> torch.Tensor:
        return torch.as_tensor(self.point, dtype=torch.float32).expand(n, self.dim).clone()

    def mean_std(self) -> tuple[np.ndarray, np.ndarray]:
        return self.point.copy(), np.zeros(self.dim)


def _gaussian_1d(t: Gaussian1DConfig) -> Target:
    mean = t.mean[0] if t.mean else 0.0
    return GaussianMixture("gaussian-1d", np.array([[mean]]), np.array([t.std]), np.ones(1))


def _mixture_1d(t: Mixture1DConfig) -> Target:
    return GaussianMixture("mixture-1d", np.array(t.means)[:, None], np.array(t.stds),
                           _normalise(t.weights, len(t.means)))


def _gaussian_2d(t: Gaussian2DConfig) -> Target:
    mean = np.array(t.mean if t.mean else [0.0, 0.0])[None]
    cov = np.array(t.cov) if t.cov is not None else None
    return GaussianMixture("gaussian-2d", mean, np.array([t.std]), np.ones(1), cov=cov)


def _ring(t: RingConfig) -> Target:
    a = 2 * np.pi * np.arange(t.modes) / t.modes
    means = t.radius * np.stack([np.cos(a), np.sin(a)], axis=1)
    return GaussianMixture("ring", means, np.full(t.modes, t.std), _normalise(t.weights, t.modes))


def _grid(t: GridConfig) -> Target:
    """modes x modes Gaussians centred on the origin; component i*modes + j sits at (x_j, y_i)."""
    c = (np.arange(t.modes) - (t.modes - 1) / 2) * t.spacing
    yy, xx = np.meshgrid(c, c, indexing="ij")
    means = np.stack([xx.ravel(), yy.ravel()], axis=1)
    k = t.modes**2
    return GaussianMixture("grid", means, np.full(k, t.std), _normalise(t.weights, k))


def _dirac(t: DiracConfig) -> Target:
    return Dirac(np.array(t.mean if t.mean else [0.0] * t.dim))


def _drawn(t: DrawnConfig) -> Target:
    return Drawn(np.asarray(t.points, dtype=np.float64), t.std)


def _data(t: DataConfig) -> Target:
    return Data(np.asarray(t.points, dtype=np.float64).reshape(-1, t.dim), t.std, t.source)


# name -> builder(that target's config) -> Target. Read-only: the registry is not runtime state.
BUILDERS: Mapping[str, Callable[[Any], Target]] = MappingProxyType({
    "gaussian-1d": _gaussian_1d,
    "mixture-1d": _mixture_1d,
    "uniform-1d": lambda t: Uniform1D(t.low, t.high),
    "gaussian-2d": _gaussian_2d,
    "ring": _ring,
    "grid": _grid,
    "moons": lambda t: Curve("moons", _moons, t.std, 16),
    "spiral": lambda t: Curve("spiral", _spiral, t.std, 12),
    "line": lambda t: Curve("line", _line, t.std, 8),
    "drawn": _drawn,
    "data": _data,
    "dirac": _dirac,
})


def build_target(tcfg: TargetConfig) -> Target:
    """The Target that `tcfg` describes (validated by its config model; unknown names cannot get here)."""
    return BUILDERS[tcfg.name](tcfg)

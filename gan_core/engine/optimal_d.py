"""The optimal discriminator D* on a grid: pure functions of the target, the generator's density
(exact where it is known) or its samples, and the objective. No I/O.

For a fixed generator density q, the D that minimises the logistic loss (Goodfellow et al. 2014,
Prop. 1) or the least-squares loss with targets 0 and 1 (Mao et al. 2017) is D*(x) = p / (p + q).
With one-sided label smoothing (real label 1 - eps) both become (1 - eps) p / (p + q) (Salimans et
al. 2016, sec. 3.4). The margin and critic losses (non-saturating-margin, wasserstein, wgan-gp,
hinge, ebgan) have no such pointwise optimum: none is drawn (`kind` None). With instance noise of std s (the current, annealed one) D
is trained on both distributions blurred by N(0, s^2 I), so its optimum uses p and q blurred alike.

q, exact where the generator's density has a closed form:
- affine G(z) = A z + b on Gaussian noise: N(b, A A^T), when A A^T (+ s^2 I) is non-singular;
- affine on uniform noise U(-1, 1)^k with k = data dim and A non-singular (no instance noise): uniform
  on the image of the cube (1D: the interval b +- |a|);
- the point generator: a point mass, so with instance noise N(theta, s^2 I) (without it there is no
  density and nothing is drawn).
There D* is exact everywhere, computed from log densities (no underflow), and NaN only where both
densities are exactly 0.

Elsewhere q is a Gaussian KDE of the generated samples with bandwidth h per axis (data units), and p
is blurred by the same kernel in closed form, so the blur cancels: where G equals the data the
expected ratio is 1/2 everywhere, in the tails too (a KDE against an unblurred p is biased there). A
KDE is noise where it has few samples, so D* is drawn only where p_h + q_h >= the floor
  floor = R / (n * prod(h) * KDE_MAX_REL_SE^2)   [per data unit in 1D, per data unit^2 in 2D]
(R = (4 pi)^(-d/2), the Gaussian kernel's roughness; n generated samples): the density at which the
KDE's relative standard error is KDE_MAX_REL_SE (0.2). Where p_h + q_h is above it, the KDE's noise
moves D* by a standard error of at most 0.2 * sqrt(2) / 4 = 0.07 (worst where p = q); below it the
cells are NaN (not drawn), never invented.
"""

from __future__ import annotations

import math
from collections.abc import Callable
from dataclasses import dataclass

import numpy as np
import torch

from gan_core.engine import metrics
from gan_core.engine.models import AffineGenerator, PointGenerator
from gan_core.engine.targets import Dirac, GaussianMixture, Target, Uniform1D

KDE_MAX_REL_SE = 0.2  # D* from a KDE is drawn where the KDE's relative standard error is below this
SINGULAR = 1e-10  # A A^T counts as singular when its smallest eigenvalue is below this x its largest
_CHUNK = 256  # grid points per block when a mixture has many components (drawn targets: up to 5000)

# The curve each objective's D* is, by objective name (None: no pointwise optimum, nothing drawn).
PLAIN, SMOOTHED = "p/(p+q)", "(1-eps) p/(p+q)"
_PROBABILITY_LOSSES = ("minimax", "non-saturating", "least-squares")


def kind(objective: str, smoothing: float) -> str | None:
    """Which optimum D* is for this objective: "p/(p+q)", "(1-eps) p/(p+q)" or None."""
    if objective not in _PROBABILITY_LOSSES:
        return None
    return SMOOTHED if smoothing > 0 else PLAIN


@dataclass(frozen=True)
class GeneratorDensity:
    """A generator's output distribution in closed form: "gaussian" (mean, cov), "uniform" (the
    image b + A [-1, 1]^d: mean = b, matrix = A) or "point" (mean, zero cov)."""

    kind: str
    mean: np.ndarray  # (d,)
    matrix: np.ndarray  # gaussian / point: covariance (d, d); uniform: A (d, d)


def generator_density(G: torch.nn.Module, noise_dist: str) -> GeneratorDensity | None:
    """The closed form of G's output distribution, or None (an MLP, or an affine map on uniform noise
    whose noise dimension differs from the data's)."""
    if isinstance(G, PointGenerator):
        theta = G.theta.detach().to("cpu", torch.float64).numpy().ravel()
        return GeneratorDensity("point", theta, np.zeros((len(theta), len(theta))))
    if not isinstance(G, AffineGenerator):
        return None
    a = G.linear.weight.detach().to("cpu", torch.float64).numpy()  # (dim, noise_dim)
    b = G.linear.bias.detach().to("cpu", torch.float64).numpy()
    if noise_dist == "gaussian":
        return GeneratorDensity("gaussian", b, a @ a.T)
    if a.shape[0] == a.shape[1]:
        return GeneratorDensity("uniform", b, a)
    return None


def _gauss_log(x: np.ndarray, mean: np.ndarray, cov: np.ndarray) -> np.ndarray | None:
    """log N(x; mean, cov) for x (m, d); None when cov is singular."""
    eig = np.linalg.eigvalsh(cov)
    if eig.max() <= 0 or eig.min() <= SINGULAR * eig.max():
        return None
    chol = np.linalg.cholesky(cov)
    z = np.linalg.solve(chol, (x - mean).T)  # (d, m)
    logdet = 2 * np.log(np.diag(chol)).sum()
    return -0.5 * (z**2).sum(0) - 0.5 * logdet - 0.5 * len(mean) * math.log(2 * math.pi)


def generator_log_density(g: GeneratorDensity, x: np.ndarray, noise_std: float = 0.0) -> np.ndarray | None:
    """log q(x) of G's output blurred by N(0, noise_std^2 I) (instance noise), exactly; None where
    there is no closed form (a singular Gaussian or a point without noise, a blurred uniform)."""
    d = len(g.mean)
    if g.kind in ("gaussian", "point"):
        return _gauss_log(x, g.mean, g.matrix + noise_std**2 * np.eye(d))
    sv = np.linalg.svd(g.matrix, compute_uv=False)
    if noise_std > 0 or sv.max() <= 0 or sv.min() ** 2 <= SINGULAR * sv.max() ** 2:
        return None  # (a blurred uniform has no closed form here: the KDE path draws it)
    u = np.linalg.solve(g.matrix, (x - g.mean).T)  # noise coordinates, inside the cube iff all |u| <= 1
    inside = (np.abs(u) <= 1 + 1e-12).all(0)
    val = -math.log(2.0**d * abs(np.linalg.det(g.matrix)))
    return np.where(inside, val, -np.inf)


def _log_ndtr(t: np.ndarray) -> np.ndarray:
    return torch.special.log_ndtr(torch.as_tensor(t, dtype=torch.float64)).numpy()


def _log_interval_mass(lo: np.ndarray, hi: np.ndarray) -> np.ndarray:
    """log(Phi(hi) - Phi(lo)) for lo < hi, accurate in both tails (mirrored where lo > 0)."""
    flip = lo > 0
    a, c = np.where(flip, -hi, lo), np.where(flip, -lo, hi)  # Phi(c) - Phi(a), now with a <= 0
    la, lc = _log_ndtr(a), _log_ndtr(c)
    with np.errstate(divide="ignore", invalid="ignore"):
        return lc + np.log1p(-np.exp(la - lc))


def target_log_density(target: Target, x: np.ndarray, blur: np.ndarray | None = None) -> np.ndarray | None:
    """log p(x) for x (m, d), with p blurred by N(0, diag(blur^2)) (blur: std per axis, data units).

    Unblurred: the target's own log_density (None where it has none). Blurred, in closed form for the
    targets that have one: Gaussian mixtures (drawn included), the 1D uniform, the Dirac point."""
    x = np.asarray(x, dtype=np.float64)
    b2 = np.zeros(x.shape[1]) if blur is None else np.asarray(blur, dtype=np.float64) ** 2
    if not b2.any():
        lp = target.log_density(torch.as_tensor(x))
        return None if lp is None else lp.detach().to("cpu", torch.float64).numpy()
    if isinstance(target, Dirac):
        return _gauss_log(x, target.point, np.diag(b2))
    if isinstance(target, Uniform1D):
        s = math.sqrt(b2[0])
        return _log_interval_mass((target.low - x[:, 0]) / s, (target.high - x[:, 0]) / s) - math.log(
            target.high - target.low)
    if not isinstance(target, GaussianMixture):
        return None
    if target.cov is not None:
        return _gauss_log(x, target.means[0], target.cov + np.diag(b2))
    var = target.stds[:, None] ** 2 + b2[None, :]  # (M, d): each component's variance per axis
    norm = np.log(target.mix) - 0.5 * np.log(2 * math.pi * var).sum(1)  # (M,)
    out = []
    for xc in np.array_split(x, max(1, len(x) // _CHUNK)):
        e = norm[None, :] - 0.5 * (((xc[:, None, :] - target.means[None]) ** 2) / var[None]).sum(-1)
        top = e.max(1, keepdims=True)
        out.append(top[:, 0] + np.log(np.exp(e - top).sum(1)))
    return np.concatenate(out)


def kde_bandwidth(real: np.ndarray, target: Target, cell: np.ndarray) -> np.ndarray:
    """Per-axis KDE bandwidth (data units) for D*: Silverman's rule 0.9 min(sd, IQR / 1.34) n^(-1/(d+4))
    on the real samples, capped by the same rule for one mode of std `target.scale` holding n / K
    samples (a ring of std-0.02 modes would otherwise get ~0.4 and smear whole modes), and never below
    one grid cell `cell` (finer detail falls between the grid points and only adds noise)."""
    n, d = real.shape
    sd = real.std(0, ddof=1) if n > 1 else np.zeros(d)
    iqr = (np.percentile(real, 75, axis=0) - np.percentile(real, 25, axis=0)) / 1.34 if n > 1 else np.zeros(d)
    spread = np.where((sd > 0) & (iqr > 0), np.minimum(sd, iqr), np.maximum(sd, iqr))
    rate = max(n, 1) ** (-1 / (d + 4))
    h = 0.9 * spread * rate
    k = len(target.centers)
    if target.scale > 0 and k:
        h = np.minimum(h, 0.9 * target.scale * max(n / k, 1.0) ** (-1 / (d + 4)))
    return np.maximum(h, cell)


def kde_floor(n: int, bandwidth: np.ndarray) -> float:
    """Density below which a KDE of n samples with this bandwidth has a relative standard error above
    KDE_MAX_REL_SE: R / (n prod(h) KDE_MAX_REL_SE^2), per data unit^d."""
    d = len(bandwidth)
    return (4 * math.pi) ** (-d / 2) / (n * float(np.prod(bandwidth)) * KDE_MAX_REL_SE**2)


def grid_points(xs: np.ndarray, ys: np.ndarray | None) -> np.ndarray:
    """(m, d) points of a grid: xs in 1D; 2D y-major (row i is y = ys[i]), like Snapshot.d_surface."""
    xs = np.asarray(xs, dtype=np.float64)
    if ys is None:
        return xs[:, None]
    yy, xx = np.meshgrid(np.asarray(ys, dtype=np.float64), xs, indexing="ij")
    return np.stack([xx.ravel(), yy.ravel()], axis=1)


def _cells(xs: np.ndarray, ys: np.ndarray | None) -> np.ndarray:
    axes = [xs] if ys is None else [xs, ys]
    return np.array([float(a[1] - a[0]) if len(a) > 1 else 0.0 for a in axes])


def ratio(log_p: np.ndarray, log_q: np.ndarray, scale: float = 1.0) -> np.ndarray:
    """scale * p / (p + q) from log densities, without underflow; NaN where both are 0."""
    with np.errstate(invalid="ignore"):
        d = log_p - log_q  # NaN where both are -inf
    out = scale / (1 + np.exp(-np.clip(np.nan_to_num(d, nan=0.0), -700, 700)))
    out[np.isneginf(log_p) & np.isneginf(log_q)] = np.nan
    return out


@dataclass(frozen=True)
class OptimalD:
    values: np.ndarray  # D* on the grid, (gx,) in 1D or (gy, gx) in 2D; NaN where not drawn
    kind: str  # "p/(p+q)" or "(1-eps) p/(p+q)"
    exact: bool  # q in closed form (True) or a KDE of the samples (False)
    floor: float | None  # the KDE path's density floor (per data unit^d), None when exact
    bandwidth: np.ndarray | None  # the KDE path's kernel std per axis (data units), None when exact


LogP = Callable[[np.ndarray], "np.ndarray | None"]


def optimal_d(target: Target, xs: np.ndarray, ys: np.ndarray | None, fake: np.ndarray, real: np.ndarray,
              objective: str, smoothing: float, gen: GeneratorDensity | None = None, noise_std: float = 0.0,
              log_p: LogP | None = None) -> OptimalD | None:
    """D* on the grid xs (1D) or xs x ys (2D) for this objective and smoothing, or None where there is
    none to draw (a critic loss, or a target without a density). `gen`: G's closed form
    (generator_density); without one the KDE of `fake` (n, d) is used, its bandwidth from `real`
    (kde_bandwidth, at least one grid cell). `noise_std`: the instance noise D is trained with now.
    `log_p(blur)`: target_log_density(target, grid points, blur), memoised by a caller whose grid and
    target are fixed (the probes), since a drawn target's mixture has up to 5000 components."""
    k = kind(objective, smoothing)
    if k is None:
        return None
    pts = grid_points(xs, ys)
    d = pts.shape[1]
    if noise_std <= 0 and target.log_density(torch.zeros(1, d)) is None:
        return None  # no density to compare with (curves, the Dirac point): nothing to draw
    shape = (len(xs),) if ys is None else (len(ys), len(xs))
    if log_p is None:
        def log_p(blur: np.ndarray) -> np.ndarray | None:
            return target_log_density(target, pts, blur)
    scale = 1.0 - smoothing
    log_q = None if gen is None else generator_log_density(gen, pts, noise_std)
    if log_q is not None:
        lp = log_p(np.full(d, float(noise_std)))
        return None if lp is None else OptimalD(ratio(lp, log_q, scale).reshape(shape), k, True, None, None)
    fake = np.asarray(fake, dtype=np.float64).reshape(-1, d)
    fake = fake[np.isfinite(fake).all(1)]
    if len(fake) == 0:
        return None
    h = kde_bandwidth(np.asarray(real, dtype=np.float64).reshape(-1, d), target, _cells(xs, ys))
    h = np.sqrt(h**2 + noise_std**2)  # the KDE's kernel and the instance noise blur alike
    if not (h > 0).all():
        return None
    lp = log_p(h)
    if lp is None:
        return None
    p = np.exp(lp).reshape(shape)
    # Linear-domain separable KDE (cheap: 2 * grid * n exponentials in 2D); where it underflows to 0
    # the sum below is under the floor anyway, unless p alone is above it and D* is rightly 1 - eps.
    q = metrics.kde_1d(fake[:, 0], xs, h[0]) if ys is None else metrics.kde_2d(fake, xs, ys, tuple(h))
    floor = kde_floor(len(fake), h)
    with np.errstate(invalid="ignore", divide="ignore"):
        values = scale * p / (p + q)
    values[~(p + q >= floor)] = np.nan
    return OptimalD(values, k, False, floor, h)

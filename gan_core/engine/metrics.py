"""Metrics: pure numpy functions of sample arrays (n, dim) and a target's centres. No torch, no I/O.

Coverage (the ring/grid benchmarks of Unrolled GAN, VEEGAN, PacGAN): a sample is *high quality*
when it lies within 3 std of the mode centre nearest to it (in that mode's stds); the others are
*off-mode*. Two capture rules:

- `modes_captured`, the published rule: a mode is captured when at least one high-quality sample is
  nearest to it. This is how VEEGAN (Srivastava et al. 2017, sec. 5, Table 1) counts the modes of
  the GAN, ALI, Unrolled GAN and VEEGAN, and PacGAN (Lin et al. 2018, Table 3) follows VEEGAN's
  metric. It is generous: an even sheet of noise over the 5x5 grid "captures" most of its modes with
  a stray sample or two each (see the tests), which is why the page shows the high-quality and
  off-mode fractions and mode_kl beside it.
- `modes_captured_strict`, this lab's stricter rule: a mode needs max(1, min(1%, a quarter of its
  expected share) x n) samples within 3 std (25 of 2,500 on the ring).

Compare a number only with numbers counted by the same rule.
Distances: exact 1D Wasserstein-1 and a deterministic sliced W1 in 2D, plus the energy distance.
Every function here is tested against values computed by hand on tiny inputs.
"""

from __future__ import annotations

import math
from dataclasses import dataclass
from typing import Any

import numpy as np

RADIUS_STD = 3.0  # a sample is "on" a mode within this many stds of its centre
MIN_SHARE_CAP = 0.01  # strict rule: a mode needs at most 1% of the samples to count as captured ...
MIN_SHARE_OF_EXPECTED = 0.25  # ... and at most a quarter of the share the target gives it
KL_EPS = 1e-3  # mode_kl mixes both histograms with this much of the uniform one (no log 0)
SLICED_PROJECTIONS = 64  # directions for the 2D sliced W1 (angles k*pi/64: fixed, so deterministic)


def _as2d(x: Any) -> np.ndarray:
    a = np.asarray(x, dtype=np.float64)
    return a.reshape(len(a), -1) if a.ndim != 2 else a


def mode_assignment(samples: np.ndarray, centers: np.ndarray, scale: float | np.ndarray,
                    radius_std: float = RADIUS_STD) -> np.ndarray:
    """Index of the mode each sample is on, or -1 when it is on none.

    The mode is the centre with the smallest distance in its own stds, |x - c_k| / scale_k
    (`scale` is one std or one per centre); the sample is on it when that is <= radius_std.
    """
    x, c = _as2d(samples), _as2d(centers)
    s = np.broadcast_to(np.asarray(scale, dtype=np.float64), (len(c),))
    if len(x) == 0:
        return np.zeros(0, dtype=np.int64)
    z = np.sqrt(((x[:, None, :] - c[None, :, :]) ** 2).sum(-1)) / s[None, :]
    z = np.where(np.isfinite(z), z, np.inf)  # NaN samples (a diverged generator) are on no mode
    k = z.argmin(1)
    return np.where(z[np.arange(len(x)), k] <= radius_std, k, -1)


def default_min_share(weights: np.ndarray) -> np.ndarray:
    """Strict rule's per-mode share of samples needed to capture it: min(1%, a quarter of its
    expected share). 1% (25 of 2,500) is this lab's choice, not a published threshold: enough
    samples that a mode is visibly there, not a stray sample touching it; the quarter keeps the rule
    fair when there are many modes (64 equal modes expect 1.6% each, so 0.39% suffices)."""
    w = np.asarray(weights, dtype=np.float64)
    return np.minimum(MIN_SHARE_CAP, MIN_SHARE_OF_EXPECTED * w / w.sum())


def mode_counts(samples: np.ndarray, centers: np.ndarray, scale: float | np.ndarray,
                radius_std: float = RADIUS_STD, assignment: np.ndarray | None = None) -> np.ndarray:
    """(K,) number of samples on each mode. `assignment`: mode_assignment(...) already computed."""
    k = len(_as2d(centers))
    a = mode_assignment(samples, centers, scale, radius_std) if assignment is None else assignment
    return np.bincount(a[a >= 0], minlength=k)


def modes_captured(samples: np.ndarray, centers: np.ndarray, scale: float | np.ndarray,
                   radius_std: float = RADIUS_STD, assignment: np.ndarray | None = None) -> int:
    """The published rule (VEEGAN, Unrolled GAN as reported by VEEGAN, PacGAN): how many modes are
    nearest to at least one sample within radius_std of their own stds."""
    return int((mode_counts(samples, centers, scale, radius_std, assignment) >= 1).sum())


def modes_captured_strict(samples: np.ndarray, centers: np.ndarray, scale: float | np.ndarray,
                          min_share: float | np.ndarray | None = None, weights: np.ndarray | None = None,
                          radius_std: float = RADIUS_STD, assignment: np.ndarray | None = None) -> int:
    """This lab's strict rule: how many modes hold at least max(1 sample, min_share * n) samples
    within radius_std stds. min_share None: `default_min_share(weights)` (uniform weights when None)."""
    counts = mode_counts(samples, centers, scale, radius_std, assignment)
    n = len(_as2d(samples))
    if min_share is None:
        min_share = default_min_share(np.ones(len(counts)) if weights is None else weights)
    need = np.maximum(1, np.ceil(np.asarray(min_share, dtype=np.float64) * n - 1e-9))
    return int((counts >= need).sum())


def high_quality_fraction(samples: np.ndarray, centers: np.ndarray, scale: float | np.ndarray,
                          radius_std: float = RADIUS_STD, assignment: np.ndarray | None = None) -> float:
    """Share of samples within radius_std stds of some mode centre (0 for no samples).
    1 - this is the off-mode fraction: the share of samples on no mode."""
    a = mode_assignment(samples, centers, scale, radius_std) if assignment is None else assignment
    return float((a >= 0).mean()) if len(a) else 0.0


def kl(p: np.ndarray, q: np.ndarray) -> float:
    """KL(p || q) = sum p log(p / q) in nats, over entries with p > 0 (q must be > 0 there)."""
    p, q = np.asarray(p, dtype=np.float64), np.asarray(q, dtype=np.float64)
    m = p > 0
    return float((p[m] * np.log(p[m] / q[m])).sum())


def mode_kl(samples: np.ndarray, centers: np.ndarray, scale: float | np.ndarray, weights: np.ndarray,
            eps: float = KL_EPS, radius_std: float = RADIUS_STD, assignment: np.ndarray | None = None,
            off_share: float = 0.0) -> float:
    """KL(q || p) in nats over K + 1 bins: the K modes and an "off-mode" bin for samples on none.

    q: the share of ALL samples in each bin; p: the target's weights scaled to 1 - off_share, and
    off_share in the off bin (the share of the target's own samples that lie on no mode: about 1.1%
    for a 2D Gaussian mode at 3 std, 0.27% in 1D; summary() measures it on the real samples). Both
    are mixed as (1 - eps) h + eps / (K + 1), so no log 0 appears. 0 when the shares match; about
    log K when one of K equal modes holds everything (collapse); up to log((K + 1) / eps) (9.1 for
    K = 8) when everything is off the modes, so samples spread as noise score worse than a collapse
    (the off bin is what stops noise from scoring well: its few on-mode samples alone look even).
    NaN with no samples.
    """
    counts = mode_counts(samples, centers, scale, radius_std, assignment).astype(np.float64)
    n = len(_as2d(samples)) if assignment is None else len(assignment)
    if n == 0:
        return math.nan
    k = len(counts)
    w = np.asarray(weights, dtype=np.float64)
    p = np.append((1 - off_share) * w / w.sum(), off_share)
    q = np.append(counts, n - counts.sum()) / n
    mix = eps / (k + 1)
    return kl((1 - eps) * q + mix, (1 - eps) * p + mix)


def _w1_sorted(a: np.ndarray, b: np.ndarray) -> np.ndarray:
    """W1 per column between sorted columns a (na, P) and b (nb, P): the integral over t in [0, 1]
    of |F_a^-1(t) - F_b^-1(t)|. Both quantile functions are steps at multiples of 1/na and 1/nb,
    so the integral is exact on the merged steps (kept as integers over na*nb: no rounding)."""
    na, nb = len(a), len(b)
    if na == nb:
        return np.abs(a - b).mean(0)
    cuts = np.union1d(np.arange(0, na * nb + 1, nb), np.arange(0, na * nb + 1, na))
    lo, width = cuts[:-1], np.diff(cuts) / (na * nb)
    return (width[:, None] * np.abs(a[lo // nb] - b[lo // na])).sum(0)


def wasserstein_1d(a: np.ndarray, b: np.ndarray) -> float:
    """Exact W1 between two 1D empirical distributions of any sizes (via their quantile functions)."""
    a = np.sort(np.asarray(a, dtype=np.float64).ravel())
    b = np.sort(np.asarray(b, dtype=np.float64).ravel())
    if len(a) == 0 or len(b) == 0:
        raise ValueError("wasserstein_1d: both sample sets must be non-empty")
    return float(_w1_sorted(a[:, None], b[:, None])[0])


def projections(n_proj: int = SLICED_PROJECTIONS, dim: int = 2,
                rng: np.random.Generator | None = None) -> np.ndarray:
    """(n_proj, dim) unit directions. 2D without rng: angles k*pi/n_proj (fixed). Else random from rng."""
    if dim == 1:
        return np.ones((1, 1))
    if rng is None and dim == 2:
        t = np.pi * np.arange(n_proj) / n_proj
        return np.stack([np.cos(t), np.sin(t)], axis=1)
    rng = rng if rng is not None else np.random.default_rng(0)
    v = rng.standard_normal((n_proj, dim))
    return v / np.linalg.norm(v, axis=1, keepdims=True)


def sliced_wasserstein(a: np.ndarray, b: np.ndarray, n_proj: int = SLICED_PROJECTIONS,
                       rng: np.random.Generator | None = None) -> float:
    """Mean over directions u of W1(a.u, b.u). Deterministic in 2D unless an rng is passed."""
    a, b = _as2d(a), _as2d(b)
    if len(a) == 0 or len(b) == 0:
        raise ValueError("sliced_wasserstein: both sample sets must be non-empty")
    dirs = projections(n_proj, a.shape[1], rng)
    return float(_w1_sorted(np.sort(a @ dirs.T, axis=0), np.sort(b @ dirs.T, axis=0)).mean())


def _mean_dist(x: np.ndarray, y: np.ndarray) -> float:
    total = 0.0
    for xc in np.array_split(x, max(1, len(x) // 512)):  # (512, m) blocks keep memory flat
        total += np.sqrt(((xc[:, None, :] - y[None, :, :]) ** 2).sum(-1)).sum()
    return total / (len(x) * len(y))


def energy_distance(a: np.ndarray, b: np.ndarray) -> float:
    """Squared energy distance 2 E|X - Y| - E|X - X'| - E|Y - Y'| (V-statistic: all pairs, self
    pairs included), >= 0 and 0 only when the two sample sets are equal as distributions."""
    a, b = _as2d(a), _as2d(b)
    return float(2 * _mean_dist(a, b) - _mean_dist(a, a) - _mean_dist(b, b))


@dataclass(frozen=True)
class Reference:
    """Real samples with their sorted projections on the fixed directions, (n, P) float64: the half of
    sample_distance that depends only on the real set, so a caller whose real set is fixed (the
    snapshot's) computes it once instead of once per frame (about half the sliced W1's cost)."""
    real: np.ndarray
    sorted_proj: np.ndarray


def reference(real: np.ndarray) -> Reference:
    real = _as2d(real).astype(np.float64)
    dirs = projections(SLICED_PROJECTIONS, real.shape[1])
    return Reference(real=real, sorted_proj=np.sort(real @ dirs.T, axis=0))


def sample_distance(fake: np.ndarray, real: np.ndarray, ref: Reference | None = None) -> float:
    """1D: exact W1. 2D: sliced W1 over SLICED_PROJECTIONS fixed directions. In data units.
    `ref` (= reference(real)) gives the same number without re-sorting the real projections."""
    fake = _as2d(fake)
    if ref is None:
        ref = reference(real)
    dirs = projections(SLICED_PROJECTIONS, fake.shape[1])
    fake_proj = np.sort(fake.astype(np.float64) @ dirs.T, axis=0)
    return float(_w1_sorted(fake_proj, ref.sorted_proj).mean())


def silverman_bandwidth(samples: np.ndarray) -> float:
    """0.9 min(std, IQR / 1.34) n^(-1/5); falls back to whichever spread is > 0, then to 0."""
    x = np.asarray(samples, dtype=np.float64).ravel()
    sd = x.std(ddof=1) if len(x) > 1 else 0.0
    iqr = np.subtract(*np.percentile(x, [75, 25])) / 1.34 if len(x) > 1 else 0.0
    spread = min(sd, iqr) if min(sd, iqr) > 0 else max(sd, iqr)
    return float(0.9 * spread * len(x) ** (-0.2)) if len(x) else 0.0


def _fallback_bandwidth(grid: np.ndarray) -> float:
    # All samples on one point (a Dirac target, a collapsed generator): a bump 1/100 of the window wide.
    span = float(np.ptp(grid)) if len(grid) > 1 else 1.0
    return span / 100 if span > 0 else 1.0


def kde_1d(samples: np.ndarray, xs: np.ndarray, bandwidth: float | None = None) -> np.ndarray:
    """Gaussian KDE of 1D samples evaluated at xs (Silverman's bandwidth by default); non-finite
    samples (a diverging generator) are left out."""
    x = np.asarray(samples, dtype=np.float64).ravel()
    x = x[np.isfinite(x)]
    xs = np.asarray(xs, dtype=np.float64).ravel()
    if len(x) == 0:
        return np.zeros_like(xs)
    h = bandwidth if bandwidth else silverman_bandwidth(x)
    h = h if h > 0 else _fallback_bandwidth(xs)
    z = (xs[:, None] - x[None, :]) / h
    return np.exp(-0.5 * z**2).sum(1) / (len(x) * h * math.sqrt(2 * math.pi))


def kde_2d(samples: np.ndarray, xs: np.ndarray, ys: np.ndarray,
           bandwidth: tuple[float, float] | None = None) -> np.ndarray:
    """Gaussian KDE (diagonal bandwidth, Scott's rule std_d n^(-1/6) per axis) on the grid xs x ys;
    returns (len(ys), len(xs)), y major, like Snapshot.d_surface."""
    p = _as2d(samples)
    p = p[np.isfinite(p).all(1)]  # a diverging generator's NaN/inf rows
    xs, ys = np.asarray(xs, dtype=np.float64), np.asarray(ys, dtype=np.float64)
    if len(p) == 0:
        return np.zeros((len(ys), len(xs)))
    if bandwidth is None:
        sd = p.std(0, ddof=1) if len(p) > 1 else np.zeros(2)
        bandwidth = tuple(sd * len(p) ** (-1 / 6))
    hx = bandwidth[0] if bandwidth[0] > 0 else _fallback_bandwidth(xs)
    hy = bandwidth[1] if bandwidth[1] > 0 else _fallback_bandwidth(ys)
    kx = np.exp(-0.5 * ((xs[:, None] - p[None, :, 0]) / hx) ** 2)  # (gx, n)
    ky = np.exp(-0.5 * ((ys[:, None] - p[None, :, 1]) / hy) ** 2)  # (gy, n)
    return ky @ kx.T / (len(p) * 2 * math.pi * hx * hy)


def grid_divergences(p: np.ndarray, q: np.ndarray, eps: float = 1e-10) -> dict[str, float]:
    """KL(p || q) and JS(p, q) in nats between two densities given on the SAME regular grid.

    Each array becomes probability masses per cell (divided by its own sum: the cell area cancels
    and mass outside the window is ignored for both alike). KL adds `eps` mass per cell to q so a
    cell p fills and q leaves empty costs a finite amount; JS needs no smoothing and is <= ln 2.
    (GAN Lab's grid estimate mixes differently binned histograms; this one compares like with like.)
    """
    p = np.clip(np.asarray(p, dtype=np.float64).ravel(), 0, None)
    q = np.clip(np.asarray(q, dtype=np.float64).ravel(), 0, None)
    if p.shape != q.shape or p.sum() <= 0 or q.sum() <= 0:
        return {"kl_grid": math.nan, "js_grid": math.nan}
    p, q = p / p.sum(), q / q.sum()
    qs = (q + eps) / (1 + eps * len(q))
    m = (p + q) / 2
    return {"kl_grid": kl(p, qs), "js_grid": 0.5 * kl(p, m) + 0.5 * kl(q, m)}


KDE_CELLS = 2.0  # kde_divergences' bandwidth, in grid cells: fine enough to keep ring modes apart
DIVERGENCE_GRID = 64  # kde_divergences' grid: points in 1D, per axis in 2D (the CLI and the frames alike)


@dataclass(frozen=True)
class KdeGrid:
    """The real samples' side of kde_divergences: the grid, the bandwidth (data units per axis) and
    the real samples' KDE on it. A caller whose real set is fixed (the snapshot's) computes it once,
    so each fresh set of metrics pays only the generated side (about half the cost)."""
    dim: int
    xs: np.ndarray
    ys: np.ndarray | None
    bandwidth: tuple[float, float]
    density: np.ndarray


def kde_grid(real: np.ndarray, bounds: tuple[float, float, float, float], dim: int,
             grid: int = DIVERGENCE_GRID) -> KdeGrid:
    """KdeGrid of `real` over `bounds`: KDE_CELLS grid cells of bandwidth per axis."""
    real = _as2d(real)
    xmin, xmax, ymin, ymax = bounds
    xs = np.linspace(xmin, xmax, grid)
    hx = KDE_CELLS * (xmax - xmin) / (grid - 1)
    if dim == 1:
        return KdeGrid(1, xs, None, (hx, 0.0), kde_1d(real[:, 0], xs, hx))
    ys = np.linspace(ymin, ymax, grid)
    h = (hx, KDE_CELLS * (ymax - ymin) / (grid - 1))
    return KdeGrid(2, xs, ys, h, kde_2d(real, xs, ys, h))


def kde_divergences(fake: np.ndarray, real: np.ndarray | None, bounds: tuple[float, float, float, float],
                    dim: int, grid: int = DIVERGENCE_GRID, ref: KdeGrid | None = None) -> dict[str, float]:
    """KL(real || generated) and JS on a grid (dim 1) or grid x grid (dim 2) over `bounds`.

    Both sides are Gaussian KDEs with the SAME bandwidth, KDE_CELLS grid cells per axis, so the
    smoothing blurs both alike and cancels (a density-vs-KDE comparison would count the blur as
    divergence). The 2D KDE is separable: 2 * grid * n exponentials and a grid x n x grid product
    per side (about 0.3 ms per side for 512 samples on 64 x 64, measured on the dev box).
    `ref` = kde_grid(real, bounds, dim, grid): the same numbers without recomputing the real side.
    """
    fake = _as2d(fake)
    fake = fake[np.isfinite(fake).all(1)]
    if ref is None:
        ref = kde_grid(real, bounds, dim, grid)
    if ref.dim == 1:
        q = kde_1d(fake[:, 0], ref.xs, ref.bandwidth[0])
    else:
        q = kde_2d(fake, ref.xs, ref.ys, ref.bandwidth)
    return grid_divergences(ref.density, q)


def dirac_distance(theta: Any, psi: Any) -> float:
    """Distance of the Dirac game (theta, psi) from its equilibrium (0, 0): sqrt(|theta|^2 + |psi|^2)."""
    t, s = np.asarray(theta, dtype=np.float64).ravel(), np.asarray(psi, dtype=np.float64).ravel()
    return float(math.sqrt((t**2).sum() + (s**2).sum()))


def summary(fake: np.ndarray, real: np.ndarray, target: Any, d_real_mean: float | None = None,
            d_fake_mean: float | None = None, grad_norm_g: float | None = None,
            grad_norm_d: float | None = None, dirac: tuple[float, ...] | None = None,
            ref: Reference | None = None, divergences: KdeGrid | None = None) -> dict[str, float]:
    """Every metric the curves and the CLI show, as plain floats.

    Always: modes_captured (published rule), modes_captured_strict, modes_total,
    high_quality_fraction, off_mode_fraction, mode_kl (with the off-mode bin; the target's own
    off-mode share is measured on `real`), sample_distance, fake_mean_x, fake_std (RMS over axes of
    the per-axis std), fake_finite_fraction; in 2D fake_mean_y. The D means and gradient norms
    appear when given. `dirac` = (theta..., psi...) adds distance_to_equilibrium =
    dirac_distance(theta - target point, psi). `divergences` = kde_grid(real, ...) adds kl_grid and
    js_grid (kde_divergences; left out otherwise: Trainer.evaluate does not pay for them).
    `ref` = reference(real), precomputed by a caller whose real set is fixed: same numbers, faster.
    Rows of `fake` with NaN/inf (a diverging generator) are left out of every statistic;
    with none left, sample_distance / fake_mean_* / fake_std / mode_kl are NaN.
    """
    fake_all, real = _as2d(fake), _as2d(real)
    finite = np.isfinite(fake_all).all(1)
    fake = fake_all[finite]
    c, s, w = target.centers, getattr(target, "scales", target.scale), target.weights
    a = mode_assignment(fake, c, s)  # the (n, K) distance pass, once for all the mode metrics
    hq = high_quality_fraction(fake, c, s, assignment=a)
    real_off = 1.0 - high_quality_fraction(real, c, s) if len(real) else 0.0
    out: dict[str, float] = {
        "modes_captured": float(modes_captured(fake, c, s, assignment=a)),
        "modes_captured_strict": float(modes_captured_strict(fake, c, s, weights=w, assignment=a)),
        "modes_total": float(len(c)),
        "high_quality_fraction": hq,
        "off_mode_fraction": 1.0 - hq if len(fake) else math.nan,
        "mode_kl": mode_kl(fake, c, s, w, assignment=a, off_share=real_off),
        "fake_finite_fraction": float(finite.mean()) if len(finite) else 0.0,
    }
    if len(fake) and len(real):
        out["sample_distance"] = sample_distance(fake, real, ref)
        out["fake_mean_x"] = float(fake[:, 0].mean())
        if fake.shape[1] > 1:
            out["fake_mean_y"] = float(fake[:, 1].mean())
        out["fake_std"] = float(math.sqrt(fake.var(0).mean()))
    else:
        out.update(sample_distance=math.nan, fake_mean_x=math.nan, fake_std=math.nan)
        if fake_all.shape[1] > 1:
            out["fake_mean_y"] = math.nan
    for key, val in (("d_real_mean", d_real_mean), ("d_fake_mean", d_fake_mean),
                     ("grad_norm_g", grad_norm_g), ("grad_norm_d", grad_norm_d)):
        if val is not None:
            out[key] = float(val)
    if divergences is not None:
        out.update(kde_divergences(fake, real, target.bounds, divergences.dim, ref=divergences))
    if dirac is not None:
        v = np.asarray(dirac, dtype=np.float64).ravel()
        half = len(v) // 2
        point = np.asarray(c[0], dtype=np.float64).ravel()[:half]
        out["distance_to_equilibrium"] = dirac_distance(v[:half] - point, v[half:])
    return out

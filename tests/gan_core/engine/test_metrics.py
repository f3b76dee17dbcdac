"""Metrics against values computed by hand on tiny inputs, plus behaviour on real targets."""

import math
from types import SimpleNamespace

import numpy as np
import pytest
import torch
from hypothesis import given, settings
from hypothesis import strategies as st

from gan_core.engine import metrics as M
from gan_core.engine.config import parse_config
from gan_core.engine.targets import build_target

C2 = np.array([[0.0, 0.0], [2.0, 0.0]])


def target_cfg(name, **fields):
    return parse_config({"target": {"name": name, **fields}}).target


def test_mode_assignment_by_hand():
    # distances in stds (scale 0.1): 1.0 -> mode 0; sqrt(0.02)/0.1 = 1.41 -> mode 1; 10 -> none; 3.1 -> none
    x = np.array([[0.1, 0.0], [1.9, 0.1], [1.0, 0.0], [0.0, 0.31]])
    assert M.mode_assignment(x, C2, 0.1).tolist() == [0, 1, -1, -1]
    # a wider radius takes the 3.1-std sample in
    assert M.mode_assignment(x, C2, 0.1, radius_std=3.2).tolist() == [0, 1, -1, 0]


def test_mode_assignment_uses_each_centres_own_std():
    # x = 0.4 is nearer centre 0 in data units (0.4 < 0.6) but 4 of its stds away vs 0.6 of centre 1's.
    assert M.mode_assignment([[0.4]], [[0.0], [1.0]], np.array([0.1, 1.0])).tolist() == [1]


def test_mode_assignment_nan_samples_are_on_no_mode():
    assert M.mode_assignment([[np.nan, 0.0], [0.0, 0.0]], C2, 0.1).tolist() == [-1, 0]


def _counts_sample(counts, centers, off=0):
    pts = [centers[k] for k, n in enumerate(counts) for _ in range(n)]
    pts += [[100.0, 100.0]] * off
    return np.array(pts, dtype=float)


def test_modes_captured_by_the_published_rule_and_the_strict_one_by_hand():
    c = np.array([[0.0, 0.0], [5.0, 0.0], [0.0, 5.0], [5.0, 5.0]])
    x = _counts_sample([150, 2, 1, 0], c, off=47)  # n = 200
    # published (VEEGAN / PacGAN): one high-quality sample nearest a mode captures it -> modes 0, 1, 2
    assert M.modes_captured(x, c, 0.1) == 3
    # strict: min(1%, 0.25 * 1/4) = 1% of 200 = 2 samples -> modes 0 and 1
    assert M.modes_captured_strict(x, c, 0.1) == 2
    assert M.modes_captured_strict(x, c, 0.1, min_share=0.05) == 1  # 10 samples needed
    assert M.modes_captured_strict(x, c, 0.1, min_share=0.0) == 3  # but always at least 1 sample
    assert M.high_quality_fraction(x, c, 0.1) == pytest.approx(153 / 200)
    assert M.mode_counts(x, c, 0.1).tolist() == [150, 2, 1, 0]


def test_the_published_rule_counts_a_sample_for_the_mode_nearest_in_its_own_stds():
    # 0.25 is 2.5 stds from centre 0 (std 0.1) and 0.75 stds from centre 1 (std 1): it captures mode 1 only
    assert M.modes_captured([[0.25]], [[0.0], [1.0]], np.array([0.1, 1.0])) == 1
    assert M.mode_counts([[0.25]], [[0.0], [1.0]], np.array([0.1, 1.0])).tolist() == [0, 1]
    # 3.1 stds from the only centre: on no mode, captures nothing
    assert M.modes_captured([[0.31]], [[0.0]], 0.1) == 0


def test_default_min_share_by_hand():
    assert M.default_min_share(np.ones(4)).tolist() == [0.01] * 4
    # 64 equal modes: a quarter of 1/64 = 0.00390625 < 1%
    assert M.default_min_share(np.ones(64))[0] == pytest.approx(0.00390625)
    # unequal weights: 1% for the big mode, a quarter of 2% for the small one
    assert M.default_min_share(np.array([98.0, 2.0])).tolist() == pytest.approx([0.01, 0.005])


def _kl_off(q, p):
    """KL over the K + 1 bins, both mixed with KL_EPS of the uniform one, as mode_kl does."""
    e, k1 = M.KL_EPS, len(q)
    q, p = (1 - e) * np.asarray(q) + e / k1, (1 - e) * np.asarray(p) + e / k1
    return float((q * np.log(q / p)).sum())


def test_mode_kl_by_hand():
    # counts (3, 1) and nothing off-mode, vs equal weights: 0.75 ln 1.5 + 0.25 ln 0.5 = 0.130812
    x = _counts_sample([3, 1], C2)
    assert M.mode_kl(x, C2, 0.1, np.array([1.0, 1.0]), eps=0.0) == pytest.approx(0.1308120, abs=1e-6)
    # matching shares: 0
    assert M.mode_kl(_counts_sample([2, 6], C2), C2, 0.1, np.array([1.0, 3.0])) == pytest.approx(0.0, abs=1e-12)
    # collapse onto one of 8 equal modes: ln 8 (eps = 0); the default eps changes it by < 1%
    c8 = np.array([[10.0 * k, 0.0] for k in range(8)])
    x = _counts_sample([50, 0, 0, 0, 0, 0, 0, 0], c8)
    assert M.mode_kl(x, c8, 0.1, np.ones(8), eps=0.0) == pytest.approx(math.log(8))
    assert M.mode_kl(x, c8, 0.1, np.ones(8)) == pytest.approx(math.log(8), rel=0.01)
    # the off-mode bin: 3 samples on mode 0, 1 on none, vs equal weights and the target's own 10% off
    x = _counts_sample([3, 0], C2, off=1)
    want = _kl_off([0.75, 0.0, 0.25], [0.45, 0.45, 0.1])
    assert M.mode_kl(x, C2, 0.1, np.ones(2), off_share=0.1) == pytest.approx(want, rel=1e-12)
    # nothing on target: everything in the off bin, about log((K + 1) / eps) = 9.1; no samples: NaN
    far = np.array([[3.0, 3.0]] * 10)
    assert M.mode_kl(far, c8, 0.1, np.ones(8)) == pytest.approx(_kl_off([0] * 8 + [1], [1 / 8] * 8 + [0]))
    assert M.mode_kl(far, c8, 0.1, np.ones(8)) == pytest.approx(math.log(9 / M.KL_EPS), abs=0.02)
    assert math.isnan(M.mode_kl(np.zeros((0, 2)), c8, 0.1, np.ones(8)))


def _hand_made_sets(t, seed):
    """The sample sets the issue names, 2048 points each: the target itself ("even"), all on one mode,
    uniform noise over the plot window, and exactly at the centres (equal numbers on each)."""
    g, rng = torch.Generator().manual_seed(seed), np.random.default_rng(seed)
    d, k = t.dim, len(t.centers)
    lo, hi = np.array(t.bounds[0::2][:d]), np.array(t.bounds[1::2][:d])
    return t.sample(2048, g).numpy(), {
        "even": t.sample(2048, g).numpy(),
        "one mode": t.centers[0] + t.scale * rng.standard_normal((2048, d)),
        "noise": rng.uniform(lo, hi, (2048, d)),
        "centres": np.repeat(t.centers, 2048 // k, axis=0),
    }


@pytest.mark.parametrize("seed", range(3))
def test_mode_kl_scores_noise_worse_than_a_collapse(seed):
    """3 seeds, pass rate 3/3, on the ring, the 5x5 grid and the 1D mixture. Before the off-mode bin,
    uniform noise on the ring scored 0.38 (its few on-mode samples look evenly spread) and a sharp
    collapse 2.07. Measured with the bin: noise 4.5-4.9 (ring), 4.5-4.9 (grid), 2.2-2.8 (1D)."""
    for tc in (target_cfg("ring"), target_cfg("grid", modes=5, std=0.05), target_cfg("mixture-1d")):
        t = build_target(tc)
        k = len(t.centers)
        real, sets = _hand_made_sets(t, seed)
        s = {name: M.summary(x, real, t) for name, x in sets.items()}
        assert s["even"]["mode_kl"] < 0.02 and s["centres"]["mode_kl"] < 0.02
        assert s["one mode"]["mode_kl"] == pytest.approx(math.log(k), rel=0.05)
        assert s["noise"]["mode_kl"] > s["one mode"]["mode_kl"] + 1.0
        assert s["centres"]["off_mode_fraction"] == 0.0 and s["noise"]["off_mode_fraction"] > 0.45
        # the published rule counts modes that noise merely touches; the strict one does not (2D)
        assert s["centres"]["modes_captured"] == s["centres"]["modes_captured_strict"] == k
        if t.dim == 2:
            assert s["noise"]["modes_captured_strict"] == 0 < s["noise"]["modes_captured"]


def test_kl_by_hand():
    assert M.kl([0.5, 0.5], [0.25, 0.75]) == pytest.approx(0.5 * math.log(2) + 0.5 * math.log(2 / 3))
    assert M.kl([1.0, 0.0], [0.5, 0.5]) == pytest.approx(math.log(2))


def test_wasserstein_1d_by_hand():
    assert M.wasserstein_1d([0.0, 1.0], [0.5]) == pytest.approx(0.5)  # E|X - 0.5|
    assert M.wasserstein_1d([0.0, 1.0, 2.0], [3.0, 4.0, 5.0]) == pytest.approx(3.0)  # a shift by 3
    assert M.wasserstein_1d([0.0, 0.0, 0.0, 3.0], [1.0]) == pytest.approx(1.25)  # (1 + 1 + 1 + 2) / 4
    # unequal sizes by quantiles: F_a steps 1/2 at 0 and 2; F_b steps 1/3 at 0, 1, 2
    # |F_a - F_b| = 1/6 on [0, 1), 1/6 on [1, 2) -> 1/3
    assert M.wasserstein_1d([0.0, 2.0], [0.0, 1.0, 2.0]) == pytest.approx(1 / 3)
    assert M.wasserstein_1d([2.0, 0.0], [1.0, 0.0, 2.0]) == M.wasserstein_1d([0.0, 1.0, 2.0], [0.0, 2.0])
    with pytest.raises(ValueError):
        M.wasserstein_1d([], [1.0])


def _w1_by_cdf(a, b):
    """The other textbook form of W1, the integral of |F_a - F_b| dx, as an independent check."""
    a, b = np.sort(a), np.sort(b)
    xs = np.sort(np.concatenate([a, b]))
    fa = np.searchsorted(a, xs[:-1], side="right") / len(a)
    fb = np.searchsorted(b, xs[:-1], side="right") / len(b)
    return float((np.abs(fa - fb) * np.diff(xs)).sum())


@given(st.lists(st.floats(-50, 50), min_size=1, max_size=40), st.lists(st.floats(-50, 50), min_size=1, max_size=40))
@settings(max_examples=200, deadline=None)
def test_wasserstein_1d_quantile_form_equals_cdf_form(a, b):
    assert M.wasserstein_1d(a, b) == pytest.approx(_w1_by_cdf(np.array(a), np.array(b)), abs=1e-9)
    assert M.wasserstein_1d(a, b) == pytest.approx(M.wasserstein_1d(b, a), abs=1e-9)


def test_sliced_wasserstein_vectorised_equals_per_direction_w1():
    rng = np.random.default_rng(3)
    a, b = rng.standard_normal((37, 2)), rng.standard_normal((91, 2)) * 2
    dirs = M.projections(16)
    per_dir = np.mean([M.wasserstein_1d(a @ u, b @ u) for u in dirs])
    assert M.sliced_wasserstein(a, b, n_proj=16) == pytest.approx(per_dir, abs=1e-12)


def test_wasserstein_1d_matches_the_gaussian_shift():
    rng = np.random.default_rng(0)
    a = rng.standard_normal(20_000)
    assert M.wasserstein_1d(a, a + 0.7) == pytest.approx(0.7)


def test_sliced_wasserstein_by_hand():
    # one point vs one point 1 apart along x, 4 fixed angles 0, 45, 90, 135 degrees:
    # |cos| = 1, 0.7071, 0, 0.7071 -> mean 0.6035534
    assert M.sliced_wasserstein([[0.0, 0.0]], [[1.0, 0.0]], n_proj=4) == pytest.approx(0.6035534, abs=1e-7)
    # deterministic without rng
    rng = np.random.default_rng(1)
    a, b = rng.standard_normal((200, 2)), rng.standard_normal((300, 2)) + 1
    assert M.sliced_wasserstein(a, b) == M.sliced_wasserstein(a, b)
    assert M.sliced_wasserstein(a, a) == 0.0
    # random directions from an rng: a shift by d projects to d |cos|, mean over the circle 2d/pi
    s = M.sliced_wasserstein(a, a + [1.0, 0.0], n_proj=4000, rng=np.random.default_rng(2))
    assert s == pytest.approx(2 / math.pi, rel=0.03)


def test_energy_distance_by_hand():
    assert M.energy_distance([[0.0]], [[1.0]]) == pytest.approx(2.0)
    # a = {0, 2}, b = {1}: 2 * 1 - (0 + 2 + 2 + 0) / 4 - 0 = 1
    assert M.energy_distance([[0.0], [2.0]], [[1.0]]) == pytest.approx(1.0)
    assert M.energy_distance([[0.0, 1.0], [3.0, 4.0]], [[3.0, 4.0], [0.0, 1.0]]) == pytest.approx(0.0)


def test_sample_distance_is_exact_in_1d_and_sliced_in_2d():
    assert M.sample_distance(np.array([[0.0], [1.0]]), np.array([[0.5]])) == pytest.approx(0.5)
    assert M.sample_distance(np.array([[0.0, 0.0]]), np.array([[1.0, 0.0]])) == pytest.approx(
        M.sliced_wasserstein([[0.0, 0.0]], [[1.0, 0.0]], n_proj=64))


def test_kde_1d_by_hand():
    # one sample at 0, bandwidth 1: the standard normal density
    v = M.kde_1d([0.0], [0.0, 1.0], bandwidth=1.0)
    assert v == pytest.approx([1 / math.sqrt(2 * math.pi), math.exp(-0.5) / math.sqrt(2 * math.pi)])
    # Silverman on 0..4: std 1.5811, IQR/1.34 = 2/1.34 = 1.4925 -> 0.9 * 1.4925 * 5^-0.2 = 0.97358
    assert M.silverman_bandwidth([0.0, 1.0, 2.0, 3.0, 4.0]) == pytest.approx(0.97358, abs=1e-5)
    xs = np.linspace(-10, 14, 4001)
    assert np.trapezoid(M.kde_1d([0.0, 1.0, 2.0, 3.0, 4.0], xs), xs) == pytest.approx(1.0, abs=1e-6)


def test_kde_of_a_single_point_stays_finite():
    xs = np.linspace(-1, 1, 201)
    v = M.kde_1d([0.0, 0.0, 0.0], xs)
    assert np.isfinite(v).all() and v.argmax() == 100
    assert np.isfinite(M.kde_2d([[0.0, 0.0]] * 3, xs, xs)).all()


def test_kde_2d_by_hand():
    # one sample at the origin, bandwidths (1, 2): N(0,1) x N(0,4) density = exp(-x^2/2) / (4 pi) at y = 0
    v = M.kde_2d([[0.0, 0.0]], [0.0, 1.0], [0.0], bandwidth=(1.0, 2.0))
    assert v.shape == (1, 2)
    assert v[0] == pytest.approx([1 / (4 * math.pi), math.exp(-0.5) / (4 * math.pi)])
    # y major: shape (len(ys), len(xs)), and the mass sits where the sample is
    xs, ys = np.linspace(-3, 3, 61), np.linspace(-1, 5, 61)
    d = M.kde_2d(np.array([[1.0, 2.0]] * 2 + [[1.1, 2.1]]), xs, ys)
    iy, ix = np.unravel_index(d.argmax(), d.shape)
    assert abs(xs[ix] - 1.03) < 0.1 and abs(ys[iy] - 2.03) < 0.1


def test_dirac_distance_by_hand():
    assert M.dirac_distance(3.0, 4.0) == pytest.approx(5.0)
    assert M.dirac_distance([1.0, 2.0], [2.0, 4.0]) == pytest.approx(5.0)


def test_summary_keys_and_values_by_hand():
    t = SimpleNamespace(centers=C2, scale=0.1, scales=np.array([0.1, 0.1]), weights=np.array([0.5, 0.5]))
    fake = np.array([[0.0, 0.0], [2.0, 0.0], [1.0, 0.0], [np.nan, 0.0]])
    real = np.array([[0.0, 0.0], [2.0, 0.0]])
    s = M.summary(fake, real, t, d_real_mean=0.6, d_fake_mean=0.4, grad_norm_g=1.5, grad_norm_d=2.5)
    assert s["modes_captured"] == 2 and s["modes_captured_strict"] == 2 and s["modes_total"] == 2
    assert s["high_quality_fraction"] == pytest.approx(2 / 3)  # the NaN row is left out
    assert s["off_mode_fraction"] == pytest.approx(1 / 3)
    assert s["fake_finite_fraction"] == pytest.approx(3 / 4)
    # one sample of three off-mode; the real ones are all on a mode (off share 0)
    assert s["mode_kl"] == pytest.approx(_kl_off([1 / 3, 1 / 3, 1 / 3], [0.5, 0.5, 0.0]), rel=1e-12)
    assert s["fake_mean_x"] == pytest.approx(1.0) and s["fake_mean_y"] == pytest.approx(0.0)
    assert s["fake_std"] == pytest.approx(math.sqrt((2 / 3 + 0) / 2))  # per-axis variances 2/3 and 0
    assert (s["d_real_mean"], s["d_fake_mean"], s["grad_norm_g"], s["grad_norm_d"]) == (0.6, 0.4, 1.5, 2.5)
    assert s["sample_distance"] == pytest.approx(M.sliced_wasserstein(fake[:3], real))
    assert all(isinstance(v, float) for v in s.values())
    assert "distance_to_equilibrium" not in s and "kl_grid" not in s  # divergences only when asked


def test_summary_dirac_distance_is_measured_from_the_target_point():
    t = build_target(target_cfg("dirac", dim=1, mean=[1.0]))
    s = M.summary(np.array([[4.0]]), np.array([[1.0]]), t, dirac=(4.0, 4.0))
    assert s["distance_to_equilibrium"] == pytest.approx(5.0)  # theta - 1 = 3, psi = 4
    assert "fake_mean_y" not in s and s["sample_distance"] == pytest.approx(3.0)


def test_summary_with_no_finite_samples_reports_nan_not_an_error():
    t = build_target(target_cfg("ring"))
    s = M.summary(np.full((10, 2), np.nan), np.zeros((10, 2)), t)
    assert s["modes_captured"] == 0 and s["high_quality_fraction"] == 0.0
    assert math.isnan(s["sample_distance"]) and s["fake_finite_fraction"] == 0.0


@pytest.mark.parametrize("seed", range(5))
def test_target_samples_score_as_perfect_and_a_collapse_as_one_mode(seed):
    """Over 5 seeds (pass rate 5/5): 2048 real samples of the ring / 5x5 grid capture every mode with
    ~98.9% high quality (a 2D Gaussian's mass within 3 std) and mode KL < 0.02; all samples on one
    mode capture 1 with KL ~ ln K."""
    for tc in (target_cfg("ring"), target_cfg("grid", modes=5, std=0.05)):
        t = build_target(tc)
        g = torch.Generator().manual_seed(seed)
        real, fake = t.sample(2048, g).numpy(), t.sample(2048, g).numpy()
        s = M.summary(fake, real, t)
        assert s["modes_captured"] == s["modes_total"] == len(t.centers)
        assert 0.98 < s["high_quality_fraction"] <= 1.0
        assert s["mode_kl"] < 0.02
        # two samples of the same target differ only by mode-share noise (measured 0.02-0.13 over 8 seeds);
        # a collapse is > 1 data unit away
        assert s["sample_distance"] < 0.2
        collapsed = t.centers[0] + t.scale * np.random.default_rng(seed).standard_normal((2048, 2))
        c = M.summary(collapsed, real, t)
        assert c["modes_captured"] == 1
        assert c["mode_kl"] == pytest.approx(math.log(len(t.centers)), rel=0.05)
        assert c["sample_distance"] > 1.0


def _normal(x, mu, sd):
    return np.exp(-0.5 * ((x - mu) / sd) ** 2) / (sd * math.sqrt(2 * math.pi))


def test_grid_kl_matches_the_gaussian_closed_form():
    # KL(N(0, 1) || N(1, 2^2)) = ln 2 + (1 + 1) / 8 - 1/2 = 0.4431472
    xs = np.linspace(-20, 20, 8001)
    d = M.grid_divergences(_normal(xs, 0, 1), _normal(xs, 1, 2))
    assert d["kl_grid"] == pytest.approx(math.log(2) + 2 / 8 - 0.5, abs=1e-4)
    # 2D: KL(N(0, I) || N((1, 1), I)) = |mu|^2 / 2 = 1
    g = np.linspace(-10, 10, 801)
    gx, gy = np.meshgrid(g, g)
    p = _normal(gx, 0, 1) * _normal(gy, 0, 1)
    q = _normal(gx, 1, 1) * _normal(gy, 1, 1)
    assert M.grid_divergences(p, q)["kl_grid"] == pytest.approx(1.0, abs=1e-3)


def test_grid_js_by_hand():
    # disjoint supports: JS = ln 2 exactly; the same density: 0; half-overlapping uniforms on 4 cells:
    # p = (1/2, 1/2, 0, 0), q = (0, 1/2, 1/2, 0): m = (1/4, 1/2, 1/4, 0) -> JS = 1/2 ln 2
    assert M.grid_divergences([1, 1, 0, 0], [0, 0, 1, 1])["js_grid"] == pytest.approx(math.log(2))
    assert M.grid_divergences([1, 2, 3], [2, 4, 6])["js_grid"] == pytest.approx(0.0, abs=1e-12)
    assert M.grid_divergences([1, 1, 0, 0], [0, 1, 1, 0])["js_grid"] == pytest.approx(0.5 * math.log(2))
    assert math.isnan(M.grid_divergences([0, 0], [1, 1])["kl_grid"])


def _js_collapse(k):
    """JS between K equal disjoint modes and all mass on one of them: with m = (1/K + 1)/2 on that
    mode and 1/(2K) on the others, JS = 1/2 [1/K ln((1/K)/m) + (K-1)/K ln 2] + 1/2 ln(1/m)."""
    m = (1 / k + 1) / 2
    return 0.5 * (1 / k * math.log(1 / k / m) + (k - 1) / k * math.log(2)) + 0.5 * math.log(1 / m)


@pytest.mark.parametrize("seed", range(3))
def test_density_divergences_match_and_collapse(seed):
    """3 seeds, pass rate 3/3: a second sample of the target scores JS < 0.03 nats; samples of one mode
    score the closed form for a collapse (0.2158 for 2 modes, 0.4970 for 8) within 0.03 (KDE overlap)."""
    assert _js_collapse(2) == pytest.approx(0.2158, abs=1e-4) and _js_collapse(8) == pytest.approx(0.4970, abs=1e-4)
    for tc, k in ((target_cfg("mixture-1d"), 2), (target_cfg("ring", std=0.1), 8)):
        t = build_target(tc)
        gen = torch.Generator().manual_seed(seed)
        real, good = t.sample(4096, gen).numpy(), t.sample(4096, gen).numpy()
        bad = good[M.mode_assignment(good, t.centers, t.scales) == 0]
        g, b = (M.kde_divergences(x, real, t.bounds, t.dim) for x in (good, bad))
        assert g["js_grid"] < 0.03
        assert b["js_grid"] == pytest.approx(_js_collapse(k), abs=0.03)
        assert b["kl_grid"] > g["kl_grid"] + 0.5
    # no finite generated sample: NaN, not an exception
    assert math.isnan(M.kde_divergences(np.full((3, 2), np.nan), real, t.bounds, 2)["js_grid"])


@pytest.mark.parametrize("dim", [1, 2])
def test_cached_reference_gives_the_uncached_numbers(dim):
    # The snapshot caches reference(real); it must not change sample_distance or any summary value.
    rng = np.random.default_rng(dim)
    for seed in range(3):
        real = rng.normal(size=(512, dim))
        fake = rng.normal(loc=0.3 * seed, size=(300 + 100 * seed, dim))
        ref = M.reference(real)
        assert M.sample_distance(fake, real, ref) == M.sample_distance(fake, real)
        old = M.sliced_wasserstein(fake, real) if dim == 2 else M.wasserstein_1d(fake, real)
        assert M.sample_distance(fake, real) == pytest.approx(old, rel=1e-12)
    target = build_target(target_cfg("ring" if dim == 2 else "mixture-1d"))
    real, fake = rng.normal(size=(256, dim)), rng.normal(size=(256, dim))
    assert M.summary(fake, real, target, ref=M.reference(real)) == M.summary(fake, real, target)


def test_sample_distance_does_not_see_the_grids_modes_but_the_mode_metrics_do():
    """Why grid-wgan-gp's claims are modes captured and high-quality fraction, not sample distance:
    on the 5x5 grid an even sheet over the square is closer to the target in sample distance than
    22 of the 25 modes, sharply generated."""
    t = build_target(target_cfg("grid", modes=5, spacing=2.0, std=0.05))
    real = t.sample(2500, torch.Generator().manual_seed(0)).numpy()
    rng = np.random.default_rng(0)
    sheet = rng.uniform(-5, 5, (2500, 2))
    c = np.asarray(t.centers)
    most = c[rng.integers(0, 22, 2500)] + rng.normal(0, 0.05, (2500, 2))
    s_sheet, s_most = M.summary(sheet, real, t), M.summary(most, real, t)
    assert s_sheet["sample_distance"] < 0.3 < 0.4 < s_most["sample_distance"]
    assert s_sheet["modes_captured_strict"] == 0 and s_sheet["high_quality_fraction"] < 0.03
    assert s_most["modes_captured"] == s_most["modes_captured_strict"] == 22 and s_most["high_quality_fraction"] > 0.95
    # The published rule is generous: the sheet's stray samples "capture" most modes (measured 20 of
    # 25 on this seed), so a reading of it needs the off-mode fraction and mode_kl beside it.
    assert s_sheet["modes_captured"] > 15
    assert s_sheet["off_mode_fraction"] > 0.97 and s_sheet["mode_kl"] > 3 > s_most["mode_kl"]


@pytest.mark.parametrize("dim", [1, 2])
def test_kl_js_from_a_cached_real_side_are_the_uncached_numbers(dim):
    # The snapshot caches the real samples' KDE on the grid (kde_grid); it must not change kl/js.
    target = build_target(target_cfg("ring" if dim == 2 else "mixture-1d"))
    g = torch.Generator().manual_seed(dim)
    real, fake = target.sample(512, g).numpy(), 1.2 * target.sample(300, g).numpy()
    ref = M.kde_grid(real, target.bounds, dim)
    want = M.kde_divergences(fake, real, target.bounds, dim)
    assert want["js_grid"] > 0.01
    assert M.kde_divergences(fake, None, target.bounds, dim, ref=ref) == want
    s = M.summary(fake, real, target, divergences=ref)
    assert (s["kl_grid"], s["js_grid"]) == (want["kl_grid"], want["js_grid"])


def test_kdes_leave_out_non_finite_samples():
    # A diverging generator's inf/NaN rows used to poison the bandwidth (a warning and a NaN curve).
    xs = np.linspace(-2, 2, 9)
    bad = np.array([0.0, 1.0, np.inf, np.nan])
    np.testing.assert_array_equal(M.kde_1d(bad, xs), M.kde_1d(bad[:2], xs))
    pts = np.array([[0.0, 0.0], [1.0, 0.5], [np.inf, 0.0], [np.nan, 1.0]])
    np.testing.assert_array_equal(M.kde_2d(pts, xs, xs), M.kde_2d(pts[:2], xs, xs))

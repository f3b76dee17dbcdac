"""Targets: moments, geometry, exact densities, determinism under a seeded generator, validation."""

import math

import numpy as np
import pytest
import torch

from gan_core.engine.config import ConfigError, apply_patch, experiment_schema, parse_config
from gan_core.engine.targets import BUILDERS, build_target

ALL = ["gaussian-1d", "mixture-1d", "uniform-1d", "gaussian-2d", "ring", "grid", "moons", "spiral", "line",
       "drawn", "data", "dirac"]
DRAWN_PTS = [[0.0, 0.0], [1.0, 1.0], [2.0, 0.0], [-1.5, 0.5]]


def cfg(name, **kw):
    if name in ("drawn", "data"):
        kw.setdefault("points", DRAWN_PTS)
        kw.setdefault("std", 0.1)
    return parse_config({"target": {"name": name, **kw}}).target


def gen(seed=0):
    return torch.Generator().manual_seed(seed)


def test_registry_covers_every_config_name():
    names = set(experiment_schema()["properties"]["target"]["discriminator"]["mapping"])
    assert names == set(BUILDERS) == set(ALL)


@pytest.mark.parametrize("name", ALL)
def test_shapes_types_and_attributes(name):
    t = build_target(cfg(name))
    x = t.sample(300, gen())
    assert x.shape == (300, t.dim) and x.dtype == torch.float32
    assert torch.isfinite(x).all()
    k = len(t.centers)
    assert t.centers.shape == (k, t.dim) and t.weights.shape == (k,) and t.scales.shape == (k,)
    assert math.isclose(t.weights.sum(), 1.0) and (t.weights >= 0).all()
    assert t.scale > 0
    xmin, xmax, ymin, ymax = t.bounds
    assert xmin < xmax and ymin < ymax
    if t.dim == 1:
        assert (ymin, ymax) == (0.0, 1.0)
    # The window holds (nearly) all the data.
    inside = (x[:, 0] >= xmin) & (x[:, 0] <= xmax)
    if t.dim == 2:
        inside &= (x[:, 1] >= ymin) & (x[:, 1] <= ymax)
    assert inside.float().mean() > 0.99


@pytest.mark.parametrize("name", ALL)
def test_same_generator_state_same_samples_and_no_global_rng(name):
    t = build_target(cfg(name))
    torch.manual_seed(1)
    a = t.sample(500, gen(7))
    torch.manual_seed(2)  # the global RNG must not matter
    b = t.sample(500, gen(7))
    assert torch.equal(a, b)
    if name != "dirac":
        assert not torch.equal(a, t.sample(500, gen(8)))
    # Sampling draws from the passed generator only: the global state is untouched.
    torch.manual_seed(3)
    before = torch.get_rng_state()
    t.sample(100, gen(9))
    assert torch.equal(before, torch.get_rng_state())


MOMENT_CASES = [
    ("gaussian-1d", dict(mean=[1.5], std=0.7), [1.5], [0.7]),
    ("mixture-1d", dict(means=[-2.0, 2.0], stds=[0.5, 0.5]), [0.0], [math.sqrt(0.25 + 4)]),
    # weights 1:3 -> mean 0.25*(-1) + 0.75*3 = 2; E[x^2] = 0.25*(0.04+1) + 0.75*(0.09+9) = 7.0775
    ("mixture-1d", dict(means=[-1.0, 3.0], stds=[0.2, 0.3], weights=[1, 3]), [2.0], [math.sqrt(7.0775 - 4)]),
    ("uniform-1d", dict(low=-1.0, high=3.0), [1.0], [4 / math.sqrt(12)]),
    ("gaussian-2d", dict(mean=[1.0, -2.0], std=0.5), [1.0, -2.0], [0.5, 0.5]),
    ("gaussian-2d", dict(cov=[[1.0, 0.6], [0.6, 4.0]]), [0.0, 0.0], [1.0, 2.0]),
    # ring: E[x^2] = r^2/2 + std^2 per axis
    ("ring", dict(modes=8, radius=2.0, std=0.02), [0.0, 0.0], [math.sqrt(2 + 0.0004)] * 2),
    # 5x5 grid spacing 2: per-axis variance of {-4,-2,0,2,4} is 8, plus std^2
    ("grid", dict(modes=5, spacing=2.0, std=0.05), [0.0, 0.0], [math.sqrt(8 + 0.0025)] * 2),
    # moons: each half circle t ~ U(0, pi): the shift makes the mean 0 (see _moons)
    ("moons", dict(std=0.05), [0.0, 0.0], None),
    ("dirac", dict(dim=2, mean=[0.5, -1.0]), [0.5, -1.0], [0.0, 0.0]),
]


@pytest.mark.parametrize("name,kw,mean,std", MOMENT_CASES)
def test_sample_moments_match(name, kw, mean, std):
    t = build_target(cfg(name, **kw))
    x = t.sample(100_000, gen(3)).double().numpy()
    # Standard error of the mean with 100k samples is std/316; 0.02 data units is > 5 SE for std <= 2.1.
    assert np.allclose(x.mean(0), mean, atol=0.02)
    if std is not None:
        assert np.allclose(x.std(0), std, rtol=0.02, atol=1e-6)
        ms = t.mean_std()
        assert ms is not None
        assert np.allclose(ms[0], mean) and np.allclose(ms[1], std)


def test_full_covariance_is_respected():
    t = build_target(cfg("gaussian-2d", cov=[[1.0, 0.6], [0.6, 4.0]]))
    x = t.sample(100_000, gen(4)).double().numpy()
    assert np.allclose(np.cov(x.T), [[1.0, 0.6], [0.6, 4.0]], atol=0.06)
    assert math.isclose(t.scale, math.sqrt(np.linalg.eigvalsh([[1.0, 0.6], [0.6, 4.0]]).max()))


def test_ring_centres_on_the_circle_evenly_spaced():
    t = build_target(cfg("ring", modes=8, radius=2.0, std=0.02))
    assert t.centers.shape == (8, 2)
    assert np.allclose(np.linalg.norm(t.centers, axis=1), 2.0)
    ang = np.sort(np.mod(np.arctan2(t.centers[:, 1], t.centers[:, 0]), 2 * np.pi))
    assert np.allclose(np.diff(ang), 2 * np.pi / 8)
    assert t.scale == 0.02 and np.allclose(t.weights, 1 / 8)
    # every sample is near one centre (0.02 std: 5 std = 0.1)
    x = t.sample(2000, gen()).numpy()
    d = np.linalg.norm(x[:, None] - t.centers[None], axis=2).min(1)
    assert d.max() < 0.1


def test_grid_has_25_centres_centred_on_origin_with_given_spacing():
    t = build_target(cfg("grid", modes=5, spacing=2.0, std=0.05))
    assert t.centers.shape == (25, 2)
    assert np.allclose(t.centers.mean(0), 0)
    assert sorted(set(np.round(t.centers[:, 0], 9))) == [-4, -2, 0, 2, 4]
    assert sorted(set(np.round(t.centers[:, 1], 9))) == [-4, -2, 0, 2, 4]
    # component i*5 + j at (x_j, y_i)
    assert np.allclose(t.centers[7], [0.0, -2.0])


def test_component_weights_set_sample_shares():
    t = build_target(cfg("ring", modes=4, radius=2.0, std=0.02, weights=[1, 1, 2, 4]))
    x = t.sample(40_000, gen(5)).numpy()
    idx = np.linalg.norm(x[:, None] - t.centers[None], axis=2).argmin(1)
    share = np.bincount(idx, minlength=4) / len(x)
    assert np.allclose(share, [1 / 8, 1 / 8, 2 / 8, 4 / 8], atol=0.01)


def _integrate(t, n=801):
    xmin, xmax, ymin, ymax = t.bounds
    # widen the window: the integral must be ~1 over the whole support
    pad = (xmax - xmin) / 2
    xs = np.linspace(xmin - pad, xmax + pad, n)
    if t.dim == 1:
        lp = t.log_density(torch.as_tensor(xs[:, None], dtype=torch.float64))
        return np.trapezoid(np.exp(lp.numpy()), xs)
    ys = np.linspace(ymin - pad, ymax + pad, n)
    gx, gy = np.meshgrid(xs, ys)
    pts = torch.as_tensor(np.stack([gx.ravel(), gy.ravel()], 1), dtype=torch.float64)
    p = np.exp(t.log_density(pts).numpy()).reshape(n, n)
    return np.trapezoid(np.trapezoid(p, xs, axis=1), ys)


@pytest.mark.parametrize("name,kw", [
    ("gaussian-1d", dict(mean=[1.0], std=0.5)),
    ("mixture-1d", dict(means=[-2.0, 1.0, 3.0], stds=[0.3, 0.5, 0.2], weights=[1, 2, 3])),
    ("uniform-1d", dict(low=-1.0, high=2.0)),
    ("gaussian-2d", dict(cov=[[1.0, 0.5], [0.5, 0.8]], mean=[0.5, 0.0])),
    ("ring", dict(modes=8, radius=2.0, std=0.1)),
    ("grid", dict(modes=3, spacing=2.0, std=0.15)),
    ("drawn", dict(std=0.2)),
    ("data", dict(std=0.2)),
    ("data", dict(dim=1, points=[[-1.0], [0.5], [0.5], [2.0]], std=0.3)),
])
def test_density_integrates_to_one(name, kw):
    t = build_target(cfg(name, **kw))
    assert abs(_integrate(t, 4001 if name == "uniform-1d" else 801) - 1.0) < 0.01


def test_density_values_by_hand():
    # N(1, 0.5^2) at x = 1: 1 / (0.5 sqrt(2 pi)); at x = 2: that times exp(-2)
    t = build_target(cfg("gaussian-1d", mean=[1.0], std=0.5))
    lp = t.log_density(torch.tensor([[1.0], [2.0]], dtype=torch.float64)).numpy()
    peak = 1 / (0.5 * math.sqrt(2 * math.pi))
    assert np.allclose(np.exp(lp), [peak, peak * math.exp(-2)])
    u = build_target(cfg("uniform-1d", low=0.0, high=4.0))
    lu = u.log_density(torch.tensor([[-0.1], [1.0], [4.1]])).numpy()
    assert lu[0] == -np.inf and math.isclose(lu[1], math.log(0.25), rel_tol=1e-6) and lu[2] == -np.inf


@pytest.mark.parametrize("name", ["moons", "spiral", "line", "dirac"])
def test_no_density_where_none_exists(name):
    t = build_target(cfg(name))
    assert t.log_density(torch.zeros(3, t.dim)) is None


@pytest.mark.parametrize("name", ["moons", "spiral", "line", "drawn", "data"])
def test_curve_samples_lie_within_three_scales_of_a_centre(name):
    """The coverage scale of curve targets is chosen so on-curve samples count as high quality."""
    t = build_target(cfg(name, std=0.02))
    x = t.sample(5000, gen(1)).numpy()
    d = np.linalg.norm(x[:, None] - t.centers[None], axis=2).min(1)
    # A 2D Gaussian puts 1 - exp(-9/2) = 98.9% of its mass within 3 std; allow 0.4% sampling slack.
    assert (d <= 3 * t.scale).mean() > 0.985


def test_line_runs_between_its_end_points():
    t = build_target(cfg("line", std=0.001))
    x = t.sample(5000, gen()).numpy()
    assert np.allclose(x[:, 1], x[:, 0] / 2, atol=0.01)
    assert x[:, 0].min() > -2.01 and x[:, 0].max() < 2.01 and x[:, 0].min() < -1.95


def test_drawn_samples_stay_near_the_drawn_points_and_cover_them_evenly():
    t = build_target(cfg("drawn", std=0.01))
    x = t.sample(8000, gen(2)).numpy()
    pts = np.array(DRAWN_PTS)
    near = np.linalg.norm(x[:, None] - pts[None], axis=2)
    assert near.min(1).max() < 0.06
    share = np.bincount(near.argmin(1), minlength=len(pts)) / len(x)
    assert np.allclose(share, 0.25, atol=0.02)


def test_drawn_many_points_are_thinned_to_centres_with_mass_weights():
    pts = [[x, 0.0] for x in np.linspace(-3, 3, 1000)]
    t = build_target(cfg("drawn", points=pts, std=0.05))
    assert len(t.centers) <= 32
    assert math.isclose(t.weights.sum(), 1.0)
    assert np.allclose(t.weights, 1 / len(t.centers), atol=0.01)


@pytest.mark.parametrize("points,why", [
    (None, "at least one point"),
    ([], "at least one point"),
    ([[0.0, 1.0, 2.0]], "[x, y]"),
    ([[0.0, 1e9]], "within [-100, 100]"),
    ([[0.0, float("nan")]], "finite"),
])
def test_drawn_target_rejects_bad_points(points, why):
    with pytest.raises(ConfigError) as e:
        parse_config({"target": {"name": "drawn", "points": points}})
    assert e.value.field == "target.points" and why in e.value.message


def test_drawn_target_rejects_too_many_points():
    with pytest.raises(ConfigError) as e:
        parse_config({"target": {"name": "drawn", "points": [[0.0, 0.0]] * 5001}})
    assert e.value.field == "target.points"


def test_dirac_point_defaults_to_origin_in_its_dimension():
    t1 = build_target(cfg("dirac", dim=1))
    t2 = build_target(cfg("dirac", dim=2))
    assert t1.dim == 1 and np.allclose(t1.centers, [[0.0]])
    assert t2.dim == 2 and np.allclose(t2.centers, [[0.0, 0.0]])
    assert torch.equal(t2.sample(3, gen()), torch.zeros(3, 2))


@pytest.mark.parametrize("name", [n for n in ALL if n not in ("drawn", "data")])
def test_picking_a_target_starts_from_that_targets_own_defaults(name):
    picked = apply_patch(parse_config({}), {"target": {"name": name}}).target
    t = build_target(picked)
    assert t.name == name
    if name == "grid":
        assert len(t.centers) == 25 and t.scale == 0.05  # the benchmark 5x5 grid, not the ring's 8 modes
    if name in ("gaussian-1d", "gaussian-2d"):
        assert picked.std == 0.5  # a visible bell, not the ring's 0.02


# ---- a person's own data (the page's CSV) --------------------------------------------------------

def test_data_density_is_the_equal_weight_mixture_on_its_rows():
    rows = [[-1.0], [0.5], [0.5], [2.0]]  # a repeated row counts twice
    t = build_target(cfg("data", dim=1, points=rows, std=0.3))
    x = torch.tensor([[0.5], [3.0]], dtype=torch.float64)
    bell = lambda d: math.exp(-0.5 * (d / 0.3) ** 2) / (0.3 * math.sqrt(2 * math.pi))  # noqa: E731
    want = [sum(bell(float(x[i, 0]) - r[0]) for r in rows) / 4 for i in range(2)]
    assert np.allclose(np.exp(t.log_density(x).numpy()), want)
    assert t.dim == 1 and t.bounds[2:] == (0.0, 1.0) and t.bounds[0] < -1.0 < 2.0 < t.bounds[1]


def test_1d_data_centres_sit_on_its_bumps_with_mass_weights():
    rng = np.random.default_rng(0)
    rows = np.concatenate([rng.normal(-3, 0.2, 300), rng.normal(4, 0.2, 100)])[:, None]
    t = build_target(cfg("data", dim=1, points=rows.tolist(), std=0.1))
    assert 2 <= len(t.centers) <= 12 and t.centers.shape[1] == 1
    left = t.centers[:, 0] < 0
    assert np.all(np.abs(t.centers[left, 0] + 3) < 1) and np.all(np.abs(t.centers[~left, 0] - 4) < 1)
    assert t.weights[left].sum() == pytest.approx(0.75) and t.weights.sum() == pytest.approx(1.0)
    # The same data give the same centres (a link reproduces the same metrics).
    again = build_target(cfg("data", dim=1, points=rows.tolist(), std=0.1))
    np.testing.assert_array_equal(t.centers, again.centers)


def test_data_metrics_credit_a_generator_that_matches_it_and_not_one_that_misses_a_bump():
    from gan_core.engine import metrics

    rng = np.random.default_rng(1)
    rows = np.concatenate([rng.normal(-3, 0.2, 200), rng.normal(3, 0.2, 200)])[:, None]
    t = build_target(cfg("data", dim=1, points=rows.tolist(), std=0.1))
    real = t.sample(2000, gen(3)).numpy()
    good = metrics.summary(t.sample(2000, gen(4)).numpy(), real, t)
    half = metrics.summary(real[real[:, 0] < 0], real, t)
    assert good["modes_captured"] == good["modes_total"] and good["high_quality_fraction"] > 0.95
    assert half["modes_captured"] <= half["modes_total"] / 2 + 1 and half["mode_kl"] > good["mode_kl"] + 0.3
    # 2D: points in two clumps; a clump-only generator covers the centres of one clump only.
    pts = np.concatenate([rng.normal((-2, 0), 0.1, (150, 2)), rng.normal((2, 1), 0.1, (150, 2))])
    t2 = build_target(cfg("data", dim=2, points=pts.tolist(), std=0.05))
    real2 = t2.sample(2000, gen(5)).numpy()
    assert metrics.summary(t2.sample(2000, gen(6)).numpy(), real2, t2)["high_quality_fraction"] > 0.95
    one = metrics.summary(real2[real2[:, 0] < 0], real2, t2)
    assert one["modes_captured"] < len(t2.centers) and one["modes_captured"] >= 1


@pytest.mark.parametrize("target,field,why", [
    ({"dim": 1, "points": [[1.0], [2.0, 3.0]]}, "target.points.1", "row 2 has 2 values"),
    ({"dim": 2, "points": [[1.0, 2.0], [3.0]]}, "target.points.1", "two values [x, y]"),
    ({"dim": 2, "points": [[0.0, 0.0], [1.0, 1e9]]}, "target.points.1", "within [-100, 100]"),
    ({"dim": 1, "points": [[float("nan")]]}, "target.points.0", "finite"),
    ({"dim": 1, "points": []}, "target.points", "at least one row"),
    ({"dim": 1, "points": [[0.0]] * 5001}, "target.points", "5000"),
    ({"dim": 3, "points": [[0.0, 0.0, 0.0]]}, "target.dim", ""),
])
def test_data_target_rejects_bad_rows_naming_the_row(target, field, why):
    with pytest.raises(ConfigError) as e:
        parse_config({"target": {"name": "data", **target}})
    assert e.value.field == field and why in e.value.message, e.value.message


def test_data_dimension_follows_its_dim_field():
    from gan_core.engine.config import needs_rebuild, target_dim

    one = parse_config({"target": {"name": "data", "dim": 1, "points": [[0.0], [1.0]]}})
    two = apply_patch(one, {"target": {"dim": 2, "points": [[0.0, 1.0]]}})
    assert target_dim(one.target) == 1 and target_dim(two.target) == 2 and needs_rebuild(one, two)
    assert experiment_schema()["x-target-dims"]["data"] == "dim"

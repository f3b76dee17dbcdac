"""Snapshots and evaluation (gan_core.engine.probes): what a frame holds, computed right, from a Trainer."""

import math

import numpy as np
import pytest
import torch
from small_config import small_cfg

from gan_core.engine import metrics as M
from gan_core.engine.config import ConfigError
from gan_core.engine.snapshot import SnapshotOptions
from gan_core.engine.trainer import Trainer

_cfg = small_cfg


def test_snapshot_2d_shapes_and_values():
    t = Trainer(_cfg())
    t.step(3)
    s = t.snapshot(SnapshotOptions(samples=100, grid=16, manifold=5, optimal_d=True))
    assert s.iteration == 3 and s.dim == 2 and s.status == "ok"
    assert s.real.shape == (100, 2) and s.fake.shape == (100, 2) and s.fake_grad.shape == (100, 2)
    assert s.grid_x.shape == (16,) and s.grid_y.shape == (16,) and s.d_surface.shape == (16, 16)
    assert s.d_kind == "probability" and ((s.d_surface >= 0) & (s.d_surface <= 1)).all()
    assert s.manifold.shape == (5, 5, 2)
    assert s.d_optimal is not None and s.d_optimal.shape == (16, 16) and s.d_optimal_kind == "p/(p+q)"
    drawn = s.d_optimal[np.isfinite(s.d_optimal)]  # NaN: too few samples for the KDE there (test_optimal_d)
    assert ((drawn >= 0) & (drawn <= 1)).all()
    assert s.density_x is None and s.dirac is None
    assert set(s.losses) == {"d_loss", "g_loss"}
    # same state -> same frame (the snapshot generator is re-seeded each call)
    s2 = t.snapshot(SnapshotOptions(samples=100, grid=16, manifold=5))
    assert np.array_equal(s.fake, s2.fake) and np.array_equal(s.d_surface, s2.d_surface)


def test_snapshot_surface_is_d_on_the_grid_row_y():
    t = Trainer(_cfg())
    s = t.snapshot(SnapshotOptions(grid=8, metrics=False))
    i, j = 2, 5
    x = torch.tensor([[s.grid_x[j], s.grid_y[i]]])
    t.D.eval()
    with torch.no_grad():
        want = torch.sigmoid(t.D(x)).item()
    assert s.d_surface[i, j] == pytest.approx(want, rel=1e-5)


def test_a_snapshot_without_the_surface_is_the_same_frame_less_d_on_the_grid():
    t = Trainer(_cfg())
    t.step(3)
    for metrics in (True, False):
        full = t.snapshot(SnapshotOptions(samples=64, grid=16, optimal_d=True, metrics=metrics))
        lean = t.snapshot(SnapshotOptions(samples=64, grid=16, optimal_d=True, metrics=metrics, surface=False))
        assert full.d_surface is not None and full.d_optimal is not None
        assert lean.d_surface is None and lean.d_optimal is None
        for name in ("real", "fake", "fake_grad", "grid_x", "grid_y", "manifold"):
            np.testing.assert_array_equal(getattr(lean, name), getattr(full, name))
        assert lean.metrics == full.metrics  # D's mean on the real samples comes from its own pass
        assert metrics == (set(full.metrics) >= {"d_real_mean", "d_fake_mean"})


def test_a_snapshot_without_the_surface_still_notices_divergence():
    t = Trainer(_cfg())
    with torch.no_grad():
        next(t.D.parameters()).fill_(math.nan)
    s = t.snapshot(SnapshotOptions(surface=False, metrics=False))
    assert s.status == "diverged"


def test_snapshot_1d_has_curves():
    t = Trainer(_cfg(target={"name": "mixture-1d"}, noise={"dim": 1}))
    t.step(2)
    s = t.snapshot(SnapshotOptions(grid=100, samples=50, manifold=7))
    assert s.dim == 1 and s.d_surface.shape == (100,) and s.grid_y is None
    assert s.manifold.shape == (7, 1, 1)
    assert s.density_real.shape == (100,) and s.density_fake.shape == (100,)
    # a density integrates to about 1 over a plot window that holds the data
    dx = s.density_x[1] - s.density_x[0]
    assert float(s.density_real.sum() * dx) == pytest.approx(1.0, abs=0.1)


def test_fake_grad_points_where_the_generator_update_moves_samples():
    # A fixed linear D scoring x[0] as "real": non-saturating G moves samples towards +x.
    t = Trainer(_cfg(target={"name": "dirac", "dim": 2, "mean": [0.0, 0.0]}, generator={"kind": "point"},
                     discriminator={"kind": "linear", "init": [1.0, 0.0], "bias": False}))
    s = t.snapshot(SnapshotOptions(samples=4, grid=8))
    assert (s.fake_grad[:, 0] > 0).all() and np.allclose(s.fake_grad[:, 1], 0)
    assert s.dirac is not None and len(s.dirac) == 4


def test_bad_snapshot_options_name_the_option():
    t = Trainer(_cfg())
    with pytest.raises(ConfigError) as e:
        t.snapshot(SnapshotOptions(grid=1000))
    assert e.value.field == "grid"


def test_evaluate_merges_metrics_into_the_latest_history_entry():
    t = Trainer(_cfg())
    t.step(4)
    m = t.evaluate(300)
    assert {"modes_captured", "modes_total", "high_quality_fraction", "d_real_mean", "d_fake_mean",
            "grad_norm_g", "grad_norm_d"} <= set(m)
    assert m["modes_total"] == 8 and m["grad_norm_g"] > 0 and m["grad_norm_d"] > 0
    assert t.history[-1]["iteration"] == 4 and t.history[-1]["modes_captured"] == m["modes_captured"]
    assert "modes_captured" not in t.history[-2]


def test_grad_norm_of_the_dirac_game_by_hand():
    # theta = 1, psi = 2, no bias, minimax: |dL_G/dtheta| = sigmoid(2) * 2, |dL_D/dpsi| = sigmoid(2) * 1
    t = Trainer({"target": {"name": "dirac", "dim": 1}, "generator": {"kind": "point", "init": [1.0]},
                 "discriminator": {"kind": "linear", "init": [2.0], "bias": False},
                 "objective": {"name": "minimax"}})
    m = t.evaluate(16)
    s = torch.sigmoid(torch.tensor(2.0)).item()
    assert m["grad_norm_g"] == pytest.approx(2 * s, rel=1e-5)
    assert m["grad_norm_d"] == pytest.approx(s, rel=1e-5)
    assert m["distance_to_equilibrium"] == pytest.approx(math.sqrt(5), rel=1e-6)


def test_manifold_layout_rows_are_the_second_noise_coordinate():
    t = Trainer(_cfg(generator={"kind": "affine"}, noise={"dim": 3, "distribution": "uniform"}))
    s = t.snapshot(SnapshotOptions(manifold=5, grid=8))
    u = np.linspace(-1, 1, 5)
    with torch.no_grad():
        want = t.G(torch.tensor([[u[3], u[1], 0.0]], dtype=torch.float32)).numpy()[0]
    assert np.allclose(s.manifold[1, 3], want, atol=1e-6)


@pytest.mark.parametrize("target", [{"name": "ring"}, {"name": "mixture-1d"}])
def test_snapshot_metrics_carry_kl_and_js_for_the_page(target):
    # The page draws a KL / JS curve beside the mode metrics, so a frame's metrics have them (1D and 2D),
    # with the real side cached per input set: the numbers equal kde_divergences on the frame's samples.
    t = Trainer(_cfg(target=target, noise={"dim": 1 if target["name"] == "mixture-1d" else 2}))
    t.step(2)
    for _ in range(2):  # the second frame uses the cached real-side KDE
        s = t.snapshot(SnapshotOptions(samples=200, grid=16))
        want = M.kde_divergences(s.fake, s.real, s.bounds, s.dim)
        assert (s.metrics["kl_grid"], s.metrics["js_grid"]) == (want["kl_grid"], want["js_grid"])
        assert 0 < s.metrics["js_grid"] <= math.log(2)
    assert {"modes_captured_strict", "off_mode_fraction"} <= set(s.metrics)
    # ... while Trainer.evaluate (the study: hundreds of calls) pays for them only when asked
    # (the claims runner asks: a preset may claim the JS the page shows).
    assert "kl_grid" not in t.evaluate(256)
    m = t.evaluate(256, divergences=True)
    assert 0 < m["js_grid"] <= math.log(2) and m["kl_grid"] > 0


def test_the_surface_and_d_star_cover_the_window_asked_for_not_the_targets_box():
    t = Trainer(_cfg())  # a ring: its box is about +-2.6
    t.step(2)
    box = t.snapshot(SnapshotOptions(samples=64, grid=16, optimal_d=True))
    assert box.window == pytest.approx(t.target.bounds)
    w = (-1.0, 5.0, -3.0, 3.0)  # off the target's box: to x = 5 on the right, to -1 on the left
    s = t.snapshot(SnapshotOptions(samples=64, grid=31, optimal_d=True, window=w))  # 0 is on the grid
    assert s.window == w and s.bounds == box.bounds
    assert (s.grid_x[0], s.grid_x[-1], s.grid_y[0], s.grid_y[-1]) == w
    x = torch.tensor([[s.grid_x[3], s.grid_y[11]]])
    t.D.eval()
    with torch.no_grad():
        assert s.d_surface[11, 3] == pytest.approx(torch.sigmoid(t.D(x)).item(), rel=1e-5)
    # D* on that grid: the same values as on the target's box at the points both grids share (D* is
    # drawn where the samples are, around the untrained generator's clump at the origin), none past x = 3.
    assert s.d_optimal.shape == (31, 31)
    both = t.snapshot(SnapshotOptions(samples=64, grid=31, optimal_d=True, window=(-1.0, 5.0, -1.0, 5.0)))
    np.testing.assert_allclose(s.d_optimal[10:, :], both.d_optimal[:21, :], rtol=1e-4, atol=1e-6)
    assert np.isfinite(s.d_optimal[15, 5]) and not np.isfinite(s.d_optimal[:, s.grid_x > 3.0]).any()
    # Moving the window redraws no samples: the same points, the same generated ones.
    np.testing.assert_array_equal(s.real, box.real)
    np.testing.assert_array_equal(s.fake, box.fake)


def test_a_reused_surface_keeps_the_grid_and_window_it_was_computed_on():
    t = Trainer(_cfg())
    first = t.snapshot(SnapshotOptions(samples=32, grid=8, window=(-1.0, 1.0, -1.0, 1.0)))
    t.step(1)
    again = t.snapshot(SnapshotOptions(samples=32, grid=8, window=(0.0, 4.0, 0.0, 4.0), reuse_surface=True))
    assert again.surface_iteration == first.surface_iteration == 0
    assert again.window == first.window == (-1.0, 1.0, -1.0, 1.0)
    np.testing.assert_array_equal(again.grid_x, first.grid_x)
    fresh = t.snapshot(SnapshotOptions(samples=32, grid=8, window=(0.0, 4.0, 0.0, 4.0)))
    assert fresh.window == (0.0, 4.0, 0.0, 4.0) and fresh.grid_x[-1] == 4.0 and fresh.surface_iteration == 1


def test_1d_curves_follow_the_window_and_its_y_is_not_data():
    t = Trainer(_cfg(target={"name": "gaussian-1d", "mean": [8.0]}, noise={"dim": 1}))
    s = t.snapshot(SnapshotOptions(samples=64, grid=50, window=(-2.0, 12.0, -5.0, 5.0)))
    assert s.window == (-2.0, 12.0, 0.0, 1.0)
    assert s.grid_x[0] == -2.0 and s.density_x[-1] == 12.0 and s.d_surface.shape == (50,)
    # The real density peaks at the target's mean, inside the window.
    assert abs(s.density_x[int(np.argmax(s.density_real))] - 8.0) < 0.5


def test_a_bad_window_names_the_field():
    t = Trainer(_cfg())
    with pytest.raises(ConfigError) as e:
        t.snapshot(SnapshotOptions(window=(0.0, float("inf"), 0.0, 1.0)))
    assert e.value.field == "window"


def test_grad_norm_g_is_that_of_the_loss_g_trains_on_with_feature_matching():
    # The linear D's features are x itself: with feature matching alone G's loss is (E x - theta)^2 =
    # (0 - 1)^2, whose gradient 2 (theta - 0) = 2 has nothing of D's psi in it.
    t = Trainer({"target": {"name": "dirac", "dim": 1, "mean": [0.0]}, "generator": {"kind": "point", "init": [1.0]},
                 "discriminator": {"kind": "linear", "init": [2.0], "bias": False},
                 "objective": {"name": "minimax"}, "regularizers": {"feature_matching": 1.0}})
    assert t.evaluate(16)["grad_norm_g"] == pytest.approx(2.0, rel=1e-5)

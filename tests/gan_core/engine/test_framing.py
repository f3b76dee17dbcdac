"""gan_core.engine.framing: the window a view draws frames the target's box and the generated samples."""

import numpy as np
import pytest

from gan_core.engine.framing import (
    FIT_PAD,
    MAX_ZOOM_OUT,
    WINDOW_MAX_ABS,
    clamp_window,
    fit_window,
    window_problem,
)


def inside(w, pts):
    pts = np.asarray(pts, dtype=float).reshape(len(pts), -1)
    ok = (pts[:, 0] >= w[0]) & (pts[:, 0] <= w[1])
    if pts.shape[1] == 2:
        ok &= (pts[:, 1] >= w[2]) & (pts[:, 1] <= w[3])
    return ok


def test_1d_window_holds_a_generator_far_from_the_target():
    # saturating-stall: the target's box is 5..11, the generator sits near 0.
    rng = np.random.default_rng(0)
    fake = rng.normal(0.2, 0.3, (512, 1))
    w = fit_window((5.0, 11.0, 0.0, 1.0), fake, 1)
    assert w[0] < fake.min() and w[1] >= 11.0 and w[2:] == (0.0, 1.0)
    assert inside(w, fake).mean() == 1.0
    # the padding: the content (about -0.7 .. 11) plus FIT_PAD of its span on each side
    span = 11.0 - np.quantile(fake, 0.01)
    assert w[1] == pytest.approx(11.0 + FIT_PAD * span)


def test_without_samples_or_on_target_it_is_the_padded_target_box():
    b = (-3.0, 3.0, -3.0, 3.0)
    w = fit_window(b, None, 2)
    assert w == pytest.approx((-3.48, 3.48, -3.48, 3.48))
    on = np.random.default_rng(1).uniform(-2, 2, (300, 2))
    assert fit_window(b, on, 2) == pytest.approx(w)


def test_2d_window_is_square_and_leaves_out_only_far_outliers():
    rng = np.random.default_rng(2)
    clump = rng.normal((4.0, -1.0), 0.1, (500, 2))  # a collapsed clump drifted past +-3
    outliers = np.array([[300.0, 0.0], [0.0, -250.0], [np.nan, 1.0], [np.inf, 0.0]])
    fake = np.vstack([clump, outliers])
    w = fit_window((-3.0, 3.0, -3.0, 3.0), fake, 2)
    assert w[1] - w[0] == pytest.approx(w[3] - w[2])
    assert inside(w, clump).all() and not inside(w, outliers[:2]).any()
    assert inside(w, [[-3, -3], [3, 3]]).all()  # the target's box stays in view


def test_samples_too_far_to_frame_with_the_target_are_not_chased():
    box = fit_window((-1.0, 1.0, 0.0, 1.0), None, 1)
    near = np.full((100, 1), 30.0)  # 15x the target's span away: framed together
    w = fit_window((-1.0, 1.0, 0.0, 1.0), near, 1)
    assert w[0] < -1.0 and w[1] > 30.0
    far = np.full((100, 1), (MAX_ZOOM_OUT + 1) * 2.0)  # thrown past MAX_ZOOM_OUT x the span: the target's box
    assert fit_window((-1.0, 1.0, 0.0, 1.0), far, 1) == box
    spread = np.random.default_rng(3).normal(0, 1e4, (512, 2))  # a diverging generator, everywhere
    assert fit_window((-3.0, 3.0, -3.0, 3.0), spread, 2) == fit_window((-3.0, 3.0, -3.0, 3.0), None, 2)


def test_windows_are_clamped_and_checked():
    assert clamp_window((-1e9, 1e9, 2.0, 2.0))[0] == -WINDOW_MAX_ABS
    w = clamp_window((-1e9, 1e9, 2.0, 2.0))
    assert w[3] - w[2] == pytest.approx(1e-3)
    assert window_problem(w) is None
    assert window_problem((0, 1, 0, 1)) is None
    assert "finite" in window_problem((0, float("nan"), 0, 1))
    assert "within" in window_problem((0, 2e4, 0, 1))
    assert "at least" in window_problem((1, 1, 0, 1))
    assert "[xmin" in window_problem((0, 1))

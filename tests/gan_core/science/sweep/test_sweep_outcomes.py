"""The five outcome rules on hand-made checkpoint series: each rule fires on the shape it names, the
order decides between them, and the majority over seeds breaks ties towards the less stable outcome."""

import math

import pytest

from gan_core.science.sweep.outcomes import OUTCOMES, classify, majority, measure

K = 20  # checkpoints after the start, as a sweep takes them


def series(d, pos=None, grad=None, reached=1, total=1, finite=True):
    """A run's checkpoints from per-checkpoint lists (a scalar stands for a constant)."""
    n = len(d)
    pos = pos if pos is not None else [[0.0, 0.5]] * n
    grad = grad if grad is not None else [1.0] * n
    reached = reached if isinstance(reached, list) else [reached] * n
    return [{"iteration": 10 * i, "distance": d[i], "position": pos[i], "grad_g": grad[i],
             "modes_reached": reached[i], "modes_total": total, "finite": finite} for i in range(n)]


def circle(radius=1.0):
    """A point circling the target: constant distance, position swinging from side to side."""
    return [[radius * math.cos(1.3 * i), 0.0] for i in range(K + 1)]


def outcome(s, **kw):
    return classify(s, **kw)[0]


def test_damped_spiral_is_converged():
    d = [math.exp(-0.15 * i) * (1 + 0.1 * math.cos(i)) for i in range(K + 1)]
    pos = [[math.exp(-0.15 * i) * math.cos(1.3 * i), 0.0] for i in range(K + 1)]
    assert outcome(series(d, pos)) == "converged"


def test_slow_damped_spiral_still_converges_when_the_tail_is_within_half_its_start():
    d = [math.exp(-0.05 * i) for i in range(K + 1)]  # ends at 0.37 of its start
    pos = [[d[i] * math.cos(1.3 * i), 0.0] for i in range(K + 1)]
    out, reason, m = classify(series(d, pos))
    assert out == "converged" and m.tail_ratio <= 0.5 and "near" in reason


def test_circling_at_constant_distance_is_oscillating():
    out, reason, m = classify(series([1.0 + 0.01 * (-1) ** i for i in range(K + 1)], circle()))
    assert out == "oscillating" and m.motion >= 0.5 and "keeps moving" in reason


def test_spiralling_out_slowly_is_diverged():
    d = [1.0 * 1.012 ** i for i in range(K + 1)]  # +27% over the run, rising every time
    out, reason, _ = classify(series(d, circle()))
    assert out == "diverged" and "spiralling out" in reason


def test_noise_around_a_constant_distance_is_not_spiralling_out():
    d = [1.0 + 0.05 * math.sin(2.7 * i) for i in range(K + 1)]
    assert outcome(series(d, circle())) == "oscillating"


def test_exploding_and_non_finite_runs_are_diverged():
    d = [1.0 + i for i in range(K + 1)]
    d[5] = 50.0  # 50 x its start once, even if it came back
    assert classify(series(d))[1].startswith("exploding")
    bad = series([1.0] * (K + 1))
    bad[7]["finite"] = False
    out, reason, m = classify(bad)
    assert out == "diverged" and "iteration 70" in reason and m is None
    out, reason, _ = classify(series([1.0] * 3), status="diverged", status_message="loss became non-finite at 3")
    assert out == "diverged" and reason == "loss became non-finite at 3"


def test_vanishing_gradient_without_progress_is_stalled():
    grad = [1e-1] + [1e-5] * K
    out, reason, m = classify(series([1.0] * (K + 1), circle(), grad))  # even if the summary still wiggles
    assert out == "stalled" and "vanished" in reason and m.grad_ratio <= 0.01


def test_no_progress_and_no_motion_is_stalled_even_with_a_gradient():
    out, reason, _ = classify(series([1.0] * (K + 1)))
    assert out == "stalled" and "barely moves" in reason


def test_progress_then_settling_away_from_the_target_is_converged_not_stalled():
    d = [1.0] + [0.6] * K  # got 40% closer, then stopped: a (bad) equilibrium
    out, reason, _ = classify(series(d))
    assert out == "converged" and "settled" in reason


def test_too_few_modes_is_collapsed_before_anything_else_but_divergence():
    s = series([1.0] * (K + 1), circle(), reached=2, total=8)
    assert outcome(s) == "collapsed"  # moving and away, but reaching 2 of 8 modes: collapse first
    assert outcome(series([1.0] * (K + 1), circle(), reached=4, total=8)) == "collapsed"  # half is too few
    assert outcome(series([1.0] * (K + 1), circle(), reached=5, total=8)) == "oscillating"
    assert outcome(series([1.0] + [0.1] * K, reached=1, total=2)) == "collapsed"  # one of two humps
    d = [1.0 * 1.5 ** i for i in range(K + 1)]
    assert outcome(series(d, reached=1, total=8)) == "diverged"


def test_modes_are_judged_on_the_tail_median():
    reached = [8] * 15 + [2] * 6  # had them all, lost them at the end
    assert outcome(series([1.0] + [0.1] * K, reached=reached, total=8)) == "collapsed"


def test_a_run_that_starts_on_the_target_is_judged_against_the_target_size():
    # d0 ~ 0 (the generator starts right on the data): ratios to d0 would be noise; ref is the spread.
    d = [0.01, 0.02, 0.015] + [0.012] * (K - 2)
    out, _, m = classify(series(d), spread=1.0)
    assert out == "converged" and m.ref == pytest.approx(0.25)


def test_measures_are_plain_numbers():
    m = measure(series([1.0] * (K + 1), circle()), spread=0.0)
    assert set(m.as_dict()) >= {"distance_ratio", "tail_ratio", "motion", "grad_ratio", "modes_reached"}
    assert all(isinstance(v, float) for v in m.as_dict().values())


def test_majority_and_ties():
    assert majority(["converged", "oscillating", "converged"]) == "converged"
    assert majority(["converged", "oscillating"]) == "oscillating"  # a tie: the less stable one
    assert majority(["converged", "diverged", "stalled", "stalled", "diverged"]) == "diverged"
    assert majority(["collapsed"]) == "collapsed"
    assert OUTCOMES.index("diverged") < OUTCOMES.index("converged")
    with pytest.raises(ValueError):
        majority([])

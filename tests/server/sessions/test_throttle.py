"""server.sessions.throttle: the speed cap and the stop iteration, on a clock the test moves."""

import pytest

from server.sessions.throttle import BURST_S, Throttle


class Clock:
    def __init__(self):
        self.t = 100.0

    def __call__(self):
        return self.t


def test_no_cap_and_no_until_allow_everything():
    th = Throttle(None, Clock())
    th.start(None)
    assert th.allow(500, 0) == 500 and th.wait_s() == 0.0 and not th.reached(10**6)


def test_until_is_exact_from_any_iteration():
    th = Throttle(None, Clock())
    th.start(500)
    assert th.allow(1000, 0) == 500
    assert th.allow(1000, 497) == 3 and not th.reached(499)
    assert th.allow(1000, 500) == 0 and th.reached(500)
    th.stop()
    assert th.allow(1000, 500) == 1000 and th.until is None


def test_the_cap_counts_iterations_at_its_rate_and_bursts_little():
    clock = Clock()
    th = Throttle(60.0, clock)
    th.start(None)
    assert th.allow(100, 0) == 1  # the first iteration runs at once
    th.spend(1)
    assert th.allow(100, 1) == 0 and th.wait_s() == pytest.approx(1 / 60)
    clock.t += 0.5  # half a second: 30 iterations, but at most BURST_S (0.1 s = 6) at once
    assert th.allow(100, 1) == int(60 * BURST_S)
    th.spend(6)
    total = 7
    for _ in range(600):  # ten seconds in 1/60 s ticks, one iteration each: the rate holds
        clock.t += 1 / 60
        n = th.allow(100, total)
        th.spend(n)
        total += n
    assert 7 + 590 <= total <= 7 + 601


def test_a_slow_cap_waits_and_changing_it_takes_effect_at_once():
    clock = Clock()
    th = Throttle(2.0, clock)
    th.start(None)
    th.spend(th.allow(10, 0))
    assert th.wait_s() == pytest.approx(0.5)
    th.set_speed(None)
    assert th.wait_s() == 0.0 and th.allow(10, 1) == 10
    th.set_speed(1000.0)
    clock.t += 1.0
    assert th.allow(10**6, 1) == int(1000 * BURST_S)  # no hoarded second of iterations

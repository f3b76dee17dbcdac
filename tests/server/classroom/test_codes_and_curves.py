"""server.classroom: join codes (unguessable, typed leniently) and a broadcast's curves for a viewer
who joins late (the points a page that watched every frame would have)."""

import math

from server.classroom.codes import ALPHABET, LENGTH, new_code, normalize
from server.classroom.curves import LIMIT, ORBIT_LIMIT, CurveLog


def test_a_code_carries_at_least_40_bits_and_codes_do_not_repeat():
    assert LENGTH * math.log2(len(ALPHABET)) >= 40
    codes = {new_code() for _ in range(2000)}
    assert len(codes) == 2000
    for c in list(codes)[:50]:
        assert len(c) == LENGTH + 1 and c[5] == "-" and normalize(c) == c


def test_a_code_is_read_in_any_case_with_or_without_the_dash_and_confusable_letters():
    assert normalize("k3jx9-qpz2a") == "K3JX9-QPZ2A"
    assert normalize(" K3JX9 QPZ2A ") == "K3JX9-QPZ2A"
    assert normalize("k3jx9qpz2a") == "K3JX9-QPZ2A"
    assert normalize("O1ILO-00000") == "01110-00000"  # O read as 0, I and L as 1
    for bad in ("", "K3JX9", "K3JX9-QPZ2A-X", "K3JX9-QPZ2U", "K3JX9-QPZ2!"):
        assert normalize(bad) is None, bad


def header(it, points=(), metrics=None, mit=None, orbit=None):
    return {"iteration": it, "history": [{"iteration": i, "d_loss": float(i)} for i in points],
            "losses": {"d_loss": 0.0}, "metrics": metrics or {}, "metrics_iteration": mit, "orbit": orbit}


def test_curves_continue_from_the_hosts_account_and_restart_when_time_goes_back():
    log = CurveLog({"losses": [{"iteration": i} for i in range(1, 6)], "metrics": [{"iteration": 4, "m": 1.0}],
                    "orbit": None})
    log.push(header(8, points=(4, 5, 6, 7, 8), metrics={"m": 2.0}, mit=8))
    assert [p["iteration"] for p in log.losses] == list(range(1, 9))  # 4 and 5 were there already
    log.push(header(9, metrics={"m": 2.0}, mit=8))  # the same metrics again: recorded once
    assert [m["iteration"] for m in log.metrics] == [4, 8]
    assert log.losses[-1]["iteration"] == 9  # no history points: the frame's own losses
    log.push(header(2, points=(1, 2)))  # a reset
    assert [p["iteration"] for p in log.losses] == [1, 2] and log.metrics == []
    msg = log.message("B")
    assert msg["type"] == "history" and msg["slot"] == "B"
    assert msg["branches"][0]["losses"]["iteration"] == [1, 2]  # the page's format: columns


def test_a_new_run_starts_the_curves_again_and_a_seek_back_drops_what_came_after():
    log = CurveLog(None, run=3)
    log.push({**header(6, points=range(1, 7), metrics={"m": 1.0}, mit=6), "run": 3, "branch": 0})
    log.push({**header(4, points=()), "run": 3, "branch": 0})  # the teacher looked back at 4
    assert [p["iteration"] for p in log.losses] == [1, 2, 3, 4] and log.metrics == []
    log.push({**header(2, points=(1, 2)), "run": 4, "branch": 0})  # a reset: run 4
    assert [p["iteration"] for p in log.losses] == [1, 2]
    again = CurveLog.from_history(log.message("A"))
    assert again.run == 4 and [p["iteration"] for p in again.losses] == [1, 2]


def test_curves_stay_bounded_and_keep_the_newest_point():
    log = CurveLog()
    for it in range(1, 3 * LIMIT, 10):
        log.push(header(it + 9, points=range(it, it + 10)))
    its = log.message("A")["branches"][0]["losses"]["iteration"]
    assert len(its) <= LIMIT and its[-1] == 3 * LIMIT


def test_the_dirac_orbit_is_kept_whole_and_newest():
    log = CurveLog()
    log.push(header(3, orbit={"from": 1, "theta": [1.0, 2.0, 3.0], "psi": [0.0, 0.0, 0.0]}))
    log.push(header(5, orbit={"from": 4, "theta": [4.0, 5.0], "psi": [0.0, 0.0]}))
    assert log.orbit == {"from": 1, "theta": [1.0, 2.0, 3.0, 4.0, 5.0], "psi": [0.0] * 5}
    log.push(header(20, orbit={"from": 10, "theta": [9.0], "psi": [9.0]}))  # a gap: starts anew
    assert log.orbit == {"from": 10, "theta": [9.0], "psi": [9.0]}
    n = ORBIT_LIMIT + 5
    log.push(header(10 + n, orbit={"from": 11, "theta": [float(i) for i in range(n)], "psi": [0.0] * n}))
    assert len(log.orbit["theta"]) == ORBIT_LIMIT and log.orbit["theta"][-1] == n - 1
    assert log.orbit["from"] + ORBIT_LIMIT == 10 + n + 1

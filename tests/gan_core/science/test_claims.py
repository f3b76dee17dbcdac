"""Claims are judged right: claim_value and holds on hand-made runs, and the claims runner."""

import math

import pytest

from gan_core.cli import main
from gan_core.science.claims import (
    ClaimResult,
    check_preset,
    claim_value,
    describe,
    holds,
    per_run,
    runs_needed,
)
from gan_core.science.presets import get_preset


def check_claim(claim, result, baseline=None):
    """Whether one seed's run holds `claim` (as check_preset judges each seed)."""
    return holds(claim, claim_value(claim, result, baseline))


def run(final=None, evals=None, whole=None):
    return {"final": final or {}, "evals": evals or [], "run": whole or {}}


def test_final_claim_compares_the_final_metric():
    c = {"metric": "modes_captured", "op": ">=", "value": 6}
    assert check_claim(c, run(final={"modes_captured": 6.0}))
    assert not check_claim(c, run(final={"modes_captured": 5.0}))
    between = {"metric": "std_ratio", "op": "between", "value": [0.8, 1.2]}
    assert check_claim(between, run(final={"std_ratio": 1.2}))
    assert not check_claim(between, run(final={"std_ratio": 1.21}))


def test_missing_or_nan_metric_holds_no_claim():
    c = {"metric": "sample_distance", "op": "<=", "value": 1.0}
    assert not check_claim(c, run(final={}))
    assert not check_claim(c, run(final={"sample_distance": math.nan}))
    assert not check_claim({**c, "op": ">="}, run(final={"sample_distance": math.nan}))


def test_evals_claim_counts_the_evaluations_after_the_first():
    c = {"metric": "modes_captured", "op": "<=", "value": 2, "at": "evals", "frac": 0.75}
    # The first evaluation (before training) is not judged: 3 of the 4 after it hold.
    r = run(evals=[{"modes_captured": 8.0}, {"modes_captured": 1.0}, {"modes_captured": 2.0},
                   {"modes_captured": 3.0}, {"modes_captured": 0.0}])
    assert claim_value(c, r) == 0.75
    assert check_claim(c, r)
    assert not check_claim({**c, "frac": 0.8}, r)
    assert not check_claim(c, run(evals=[{"modes_captured": 0.0}]))  # nothing after the first


def test_baseline_claim_compares_the_difference_on_the_same_seed():
    c = {"metric": "modes_captured", "op": ">=", "value": 1, "baseline": "ring-collapse"}
    assert claim_value(c, run(final={"modes_captured": 3.0}), run(final={"modes_captured": 1.0})) == 2.0
    assert check_claim(c, run(final={"modes_captured": 2.0}), run(final={"modes_captured": 1.0}))
    assert not check_claim(c, run(final={"modes_captured": 1.0}), run(final={"modes_captured": 1.0}))
    with pytest.raises(ValueError, match="ring-collapse"):  # no baseline run: fail loudly
        check_claim(c, run(final={"modes_captured": 2.0}))


def test_runs_needed_adds_baselines_once_and_puts_costly_runs_first():
    runs = runs_needed(["ring-unrolled", "ring-collapse"])
    assert len(runs) == len(set(runs))
    seeds = max(c["seeds"] for c in get_preset("ring-unrolled").claims)
    assert {("ring-collapse", s) for s in range(seeds)} <= set(runs)
    assert runs[0][0] == "ring-unrolled"  # 5 unrolled D steps per iteration: the costliest
    assert set(runs_needed(["dirac-r1"], seeds=3)) == {("dirac-r1", s) for s in range(3)}


def test_pass_rate_is_kept_when_more_seeds_are_measured():
    claim = {"metric": "x", "op": ">=", "value": 0, "seeds": 5, "min_pass": 4}
    assert ClaimResult("p", claim, (0,) * 5, (True,) * 4 + (False,)).ok
    assert not ClaimResult("p", claim, (0,) * 5, (True,) * 3 + (False,) * 2).ok
    # Over 10 seeds, 4 of 5 means 8 of 10: 7 is below the stated rate.
    assert ClaimResult("p", claim, (0,) * 10, (True,) * 8 + (False,) * 2).ok
    assert not ClaimResult("p", claim, (0,) * 10, (True,) * 7 + (False,) * 3).ok


def test_check_preset_reports_values_and_verdict():
    good = {("dirac-r1", 0): run(whole={"dirac_final_ratio": 0.01, "crossings_before_settling": 3.0})}
    bad = {("dirac-r1", 0): run(whole={"dirac_final_ratio": 0.2, "crossings_before_settling": 0.0})}
    settle, spiral = check_preset("dirac-r1", good)
    assert settle.ok and settle.values == (0.01,) and spiral.ok and spiral.values == (3.0,)
    for r in check_preset("dirac-r1", bad):
        assert not r.ok and "FAILS" in describe(r) and r.claim["metric"] in describe(r)
    assert "0.2" in describe(check_preset("dirac-r1", bad)[0])


def dirac_evals(theta, psi):
    return [{"distance_to_equilibrium": math.hypot(t, p), "fake_mean_x": t, "sample_distance": abs(t)}
            for t, p in zip(theta, psi, strict=True)]


def test_a_spiral_crosses_before_it_settles_and_a_critically_damped_path_does_not():
    target = type("T", (), {"centers": [[0.0]]})()
    k = range(60)
    spiral = dirac_evals([0.9 ** i * math.cos(0.5 * i) for i in k], [0.9 ** i * math.sin(0.5 * i) for i in k])
    creep = dirac_evals([0.9 ** i for i in k], [0.5 * 0.9 ** i for i in k])
    r = per_run(spiral, target)
    # theta = 0.9^i cos(i/2) changes sign near i = 3, 9, 16, 22, 28 while the distance 0.9^i is
    # above SETTLED (0.9^28 = 0.052); the later ones (i = 35, ...) are wiggles after it settled.
    assert r["crossings_before_settling"] == 5 and r["crossings"] > 5
    assert per_run(creep, target)["crossings_before_settling"] == 0  # gamma = 1 before issue 13


def test_arrival_is_the_first_evaluation_within_a_tenth_of_the_start():
    target = type("T", (), {"centers": [[8.0]]})()
    evals = [{"sample_distance": d, "iteration": float(i * 50)} for i, d in enumerate([8.0, 6.0, 0.9, 0.7, 1.0])]
    assert per_run(evals, target)["arrival_iteration"] == 150.0  # 0.7 <= 0.8; 0.9 is not
    stalled = [{"sample_distance": d, "iteration": float(i)} for i, d in enumerate([8.0, 7.9, 7.8])]
    assert per_run(stalled, target)["arrival_iteration"] == math.inf
    assert not holds({"metric": "arrival_iteration", "op": "<=", "value": 450}, math.inf)


def test_claims_judge_a_long_preset_on_its_claims_steps():
    p = get_preset("grid-wgan-gp")
    assert p.claims_steps and p.claim_budget == p.claims_steps < p.steps
    assert get_preset("gaussian-1d").claim_budget == get_preset("gaussian-1d").steps


def test_cli_trains_and_checks_a_cheap_preset(capsys):
    assert main(["claims", "dirac-r1", "--jobs", "1"]) == 0
    assert main(["claims", "nope"]) == 2  # an unknown name is bad input, before any training
    out = capsys.readouterr().out
    assert "dirac-r1: dirac_final_ratio <= 0.05: held on 1 of 1 seeds" in out and "ok" in out

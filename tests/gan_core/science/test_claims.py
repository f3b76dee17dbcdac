"""Claims are judged right: claim_value and holds on hand-made runs, and the claims runner."""

import math

import pytest

from gan_core.cli import main
from gan_core.science.claims import ClaimResult, check_preset, claim_value, describe, holds, runs_needed
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
    good = {("dirac-r1", 0): run(whole={"dirac_final_ratio": 0.01})}
    bad = {("dirac-r1", 0): run(whole={"dirac_final_ratio": 0.2})}
    [r] = check_preset("dirac-r1", good)
    assert r.ok and r.values == (0.01,)
    [r] = check_preset("dirac-r1", bad)
    assert not r.ok
    assert "FAILS" in describe(r) and "0.2" in describe(r) and "dirac_final_ratio" in describe(r)


def test_cli_trains_and_checks_a_cheap_preset(capsys):
    assert main(["claims", "dirac-r1", "--jobs", "1"]) == 0
    assert main(["claims", "nope"]) == 2  # an unknown name is bad input, before any training
    out = capsys.readouterr().out
    assert "dirac-r1: dirac_final_ratio <= 0.05: held on 1 of 1 seeds" in out and "ok" in out

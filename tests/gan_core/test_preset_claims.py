"""Statistical proof that presets show what they claim: each preset runs headless over the seeds
its claims name, and every claim must hold on at least its stated `min_pass` of them
(e.g. 4 of 5 seeds). Claims are data in gan_core/preset_data/presets.json.

Every preset is checked: none ships on an unmeasured claim. A (preset, seed) run that several
presets use as their baseline (saturating-stall, lagging-critic, ring-collapse) is trained once per
test session. Measured pass rates (over 8-10 seeds) are in the commit messages that set each claim.
"""

import pytest

from gan_core.presets import check_claim, get_preset, list_presets, run_preset

ALL = [p.name for p in list_presets()]


@pytest.fixture(scope="session")
def preset_run():
    """run_preset(name, seed), memoised for the session: baselines are shared between presets."""
    cache = {}

    def get(name, seed):
        if (name, seed) not in cache:
            cache[name, seed] = run_preset(name, seed=seed)
        return cache[name, seed]

    return get


@pytest.mark.slow
@pytest.mark.parametrize("name", ALL)
def test_preset_claims_hold_over_seeds(name, preset_run):
    preset = get_preset(name)
    assert preset.claims, f"{name} states no claim"
    seeds = range(max(c.get("seeds", 1) for c in preset.claims))
    runs = {s: preset_run(name, s) for s in seeds}
    baselines = {c["baseline"] for c in preset.claims if c.get("baseline")}
    base_runs = {(b, s): preset_run(b, s) for b in baselines for s in seeds}
    for claim in preset.claims:
        n = claim.get("seeds", 1)
        passed = sum(check_claim(claim, runs[s], base_runs.get((claim.get("baseline"), s))) for s in range(n))
        assert passed >= claim["min_pass"], (
            f"{name}: claim {claim} held on {passed} of {n} seeds (needs {claim['min_pass']})")

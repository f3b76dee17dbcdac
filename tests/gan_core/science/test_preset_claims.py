"""Statistical proof that presets show what they claim: each preset runs headless over the seeds
its claims name, and every claim must hold on at least its stated `min_pass` of them
(e.g. 4 of 5 seeds). Claims are data in gan_core/preset_data/presets.json.

Every preset is checked: none ships on an unmeasured claim. The (preset, seed) runs that all the
claims need, baselines (saturating-stall, lagging-critic, ring-collapse) included, are trained once
per test session on one process per usable core (gan_core.science.claims, which also prints the measured
pass rates: `python -m gan_core.science.claims --seeds 10`).
"""

import pytest

from gan_core.cores import usable_cores
from gan_core.science.claims import check_preset, describe, runs_needed, train_runs
from gan_core.science.presets import list_presets

ALL = [p.name for p in list_presets()]


@pytest.fixture(scope="session")
def claim_runs():
    return train_runs(runs_needed(ALL), jobs=usable_cores())


@pytest.mark.slow
# The first test trains every run (about 6 minutes on CI's two cores); the rest only check.
@pytest.mark.timeout(2400)
@pytest.mark.parametrize("name", ALL)
def test_preset_claims_hold_over_seeds(name, claim_runs):
    results = check_preset(name, claim_runs)
    assert results, f"{name} states no claim"
    failed = [describe(r) for r in results if not r.ok]
    assert not failed, "\n".join(failed)

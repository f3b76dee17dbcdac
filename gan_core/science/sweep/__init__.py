"""Stability maps: sweep one or two settings over seeds and classify every run (issue 18).

    from gan_core.science.sweep import LocalPool, Sweep, plan_sweep, run_sweep, sweep_json

    plan = plan_sweep("dirac-r1", ["regularizers.r1=log:0.01:1:5"], seeds=3, steps=400)
    with LocalPool(jobs=2) as pool:
        for cell in Sweep(plan, pool).cells():      # as they finish; Sweep.cancel() stops it
            print(cell.params, cell.outcome, cell.outcomes)

Modules, by concern: grid (axes, values, validation), run (one cell and seed: train, measure,
classify), outcomes (the five rules and the majority), pool (the local backend), ray_backend
(the Ray backend), runner (plan, Sweep, results, the --json object). docs/sweeps.md has the rules.
"""

from gan_core.science.sweep.grid import Axis, Cell, Grid, build_grid, parse_axis
from gan_core.science.sweep.outcomes import OUTCOMES, classify, majority
from gan_core.science.sweep.pool import LocalPool
from gan_core.science.sweep.run import RunTask, run_task
from gan_core.science.sweep.runner import (
    CellResult,
    Sweep,
    SweepError,
    SweepPlan,
    SweepResult,
    plan_sweep,
    run_sweep,
    sweep_json,
)

__all__ = ["OUTCOMES", "Axis", "Cell", "CellResult", "Grid", "LocalPool", "RunTask", "Sweep", "SweepError",
           "SweepPlan", "SweepResult", "build_grid", "classify", "majority", "parse_axis", "plan_sweep",
           "run_sweep", "run_task", "sweep_json"]

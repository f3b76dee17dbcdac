"""Sweep throughput: a 7x7 grid x 3 seeds of gaussian-1d (800 iterations each, 147 runs) through the
sweep runner, against the same 147 runs one after another with Trainer in one process.

Goals (issue 18, on the 2-core machine): the sweep completes at >= 1.8x the throughput of the
one-process loop, and its first cell arrives within 3 s. Measured in one run of this script:

  baseline      Trainer(cfg).step(steps) for every (cell, seed), one torch thread, no measuring
  vectorised    `toygan sweep`'s default: a cold LocalPool (spawn + warm-up counted), runs that share
                an architecture stacked into batched models, every run measured and classified
  per-run       the same with --no-vectorize: each run its own Trainer on the pool

The ratio is baseline seconds / sweep seconds, the pool's start-up included (what the CLI pays);
"first cell" is given from the start (CLI, cold) and from the moment the pool was warm (a server,
whose pool is already up). The sweeps also measure 21 checkpoints per run, which the baseline
does not: their ratios are conservative. The workers run at this process's niceness (not the +10
of the CLI), so both sides get the same priority. The machine's load average is printed at each phase,
since other processes on a shared machine slow every phase unevenly.

Usage: python bench/bench_sweep.py [--jobs N] [--seeds 3] [--steps 800] [--baseline-every K]
(--baseline-every K times every K-th run only and scales up: a quick look, not the headline.)
"""

from __future__ import annotations

import argparse
import os
import time

import torch

from gan_core.cores import usable_cores
from gan_core.engine.trainer import Trainer
from gan_core.science.sweep import LocalPool, Sweep, plan_sweep
from gan_core.science.sweep.runner import SweepPlan

GRID = ["optimizer_d.lr=log:1e-3:1e-1:7", "optimizer_g.lr=log:1e-3:1e-1:7"]


def load() -> str:
    return "load average " + " ".join(f"{x:.1f}" for x in os.getloadavg())


def baseline(plan: SweepPlan, every: int) -> float:
    """Seconds for every run, one after another in this process (every k-th, scaled up)."""
    torch.set_num_threads(1)
    runs = plan.runs_of("baseline")[::every]
    began = time.perf_counter()
    for task in runs:
        Trainer(task.config).step(task.steps)
    return (time.perf_counter() - began) * plan.runs / len(runs)


def sweep(plan: SweepPlan, jobs: int, nice: int) -> dict[str, float]:
    """Seconds of a cold sweep (pool start included), and when its first cell came."""
    began = time.perf_counter()
    with LocalPool(jobs, nice=nice) as pool:
        warm = time.perf_counter()
        first = None
        n = 0
        for _ in Sweep(plan, pool).cells():
            first = first or time.perf_counter()
            n += 1
        end = time.perf_counter()
    assert n == len(plan.grid.cells), f"{n} of {len(plan.grid.cells)} cells"
    return {"seconds": end - began, "pool": warm - began, "first_cold": first - began, "first_warm": first - warm}


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    ap.add_argument("--jobs", type=int, default=usable_cores())
    ap.add_argument("--seeds", type=int, default=3)
    ap.add_argument("--steps", type=int, default=800)
    ap.add_argument("--baseline-every", type=int, default=1)
    ap.add_argument("--worker-nice", type=int, default=os.nice(0),
                    help="the workers' niceness (default: this process's, so both sides get the same priority; "
                    "the CLI and a server run them at +10)")
    a = ap.parse_args()
    plan = plan_sweep("gaussian-1d", GRID, seeds=a.seeds, steps=a.steps)
    per_run = plan_sweep("gaussian-1d", GRID, seeds=a.seeds, steps=a.steps, vectorize=False)
    print(f"gaussian-1d, 7x7 grid ({', '.join(GRID)}) x {a.seeds} seeds = {plan.runs} runs of {a.steps} iterations; "
          f"{a.jobs} workers; niceness {os.nice(0)} here, {a.worker_nice} in the workers", flush=True)
    print(f"[{load()}] baseline: Trainer one run after another ...", flush=True)
    base = baseline(plan, a.baseline_every)
    print(f"  {base:.1f} s ({plan.runs / base:.2f} runs/s)", flush=True)
    results = {}
    for name, p in (("vectorised", plan), ("per-run", per_run)):
        print(f"[{load()}] sweep, {name} ...", flush=True)
        r = results[name] = sweep(p, a.jobs, a.worker_nice)
        print(f"  {r['seconds']:.1f} s ({plan.runs / r['seconds']:.2f} runs/s; pool start {r['pool']:.1f} s); "
              f"first cell after {r['first_cold']:.2f} s cold, {r['first_warm']:.2f} s on the warm pool", flush=True)
    print(f"[{load()}] done")
    for name, r in results.items():
        print(f"throughput ratio, {name} sweep / one-process Trainer loop: {base / r['seconds']:.2f}x "
              f"(goal >= 1.8x); first cell {r['first_warm']:.2f} s warm, {r['first_cold']:.2f} s cold (goal <= 3 s)")


if __name__ == "__main__":
    main()

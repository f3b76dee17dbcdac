"""Sweep throughput: a 7x7 grid x 3 seeds of gaussian-1d (800 iterations each, 147 runs) through the
sweep runner, against the same 147 runs one after another with Trainer in one process.

Goals (issue 18, on the 2-core machine): the sweep completes at >= 1.8x the throughput of the
one-process loop, and its first cell arrives within 3 s. Measured in one run of this script:

  baseline      Trainer(cfg).step(steps) for every (cell, seed), one torch thread, no measuring;
                timed in two halves, one before and one after the sweeps, so a change in the
                machine's load during the script weighs on both sides
  vectorised    `toygan sweep`'s default: a cold LocalPool (spawn + warm-up counted), runs that share
                an architecture stacked into batched models, every run measured and classified
  per-run       (--per-run) the same with --no-vectorize: each run its own Trainer on the pool

The wall-clock ratio is baseline seconds / sweep seconds, the pool's start-up included (what the
CLI pays). On a shared machine wall time depends on what else runs, so each phase also reports
its CPU seconds (this process, plus the pool's workers once they have exited), and the "CPU
ratio" = baseline CPU / (sweep CPU / workers): the throughput ratio to expect on an otherwise idle
machine with that many cores. "First cell" is given from the start (CLI, cold) and from the
moment the pool was warm (a server, whose pool is already up). The sweeps also measure 21
checkpoints per run, which the baseline does not: their ratios are conservative. The workers run
at this process's niceness (not the +10 of the CLI), so both sides get the same priority.

Usage: python bench/bench_sweep.py [--jobs N] [--seeds 3] [--steps 800] [--per-run]
"""

from __future__ import annotations

import argparse
import os
import resource
import time

import torch

from gan_core.cores import usable_cores
from gan_core.engine.trainer import Trainer
from gan_core.science.sweep import LocalPool, Sweep, plan_sweep
from gan_core.science.sweep.runner import SweepPlan

GRID = ["optimizer_d.lr=log:1e-3:1e-1:7", "optimizer_g.lr=log:1e-3:1e-1:7"]


def load() -> str:
    return "load average " + " ".join(f"{x:.1f}" for x in os.getloadavg())


def cpu() -> float:
    """CPU seconds of this process and of its exited, waited-for children (the pool's workers)."""
    me, kids = resource.getrusage(resource.RUSAGE_SELF), resource.getrusage(resource.RUSAGE_CHILDREN)
    return me.ru_utime + me.ru_stime + kids.ru_utime + kids.ru_stime


def baseline(runs: list) -> tuple[float, float]:
    """(wall, CPU) seconds for `runs`, one after another in this process."""
    torch.set_num_threads(1)
    wall, c = time.perf_counter(), cpu()
    for task in runs:
        Trainer(task.config).step(task.steps)
    return time.perf_counter() - wall, cpu() - c


def sweep(plan: SweepPlan, jobs: int, nice: int) -> dict[str, float]:
    """Wall and CPU seconds of a cold sweep (pool start included), and when its first cell came."""
    began, c = time.perf_counter(), cpu()
    with LocalPool(jobs, nice=nice) as pool:
        warm = time.perf_counter()
        first = None
        n = 0
        for _ in Sweep(plan, pool).cells():
            first = first or time.perf_counter()
            n += 1
        end = time.perf_counter()
    assert n == len(plan.grid.cells), f"{n} of {len(plan.grid.cells)} cells"
    return {"seconds": end - began, "cpu": cpu() - c, "pool": warm - began, "first_cold": first - began,
            "first_warm": first - warm}


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    ap.add_argument("--jobs", type=int, default=usable_cores())
    ap.add_argument("--seeds", type=int, default=3)
    ap.add_argument("--steps", type=int, default=800)
    ap.add_argument("--per-run", action="store_true", help="also time the sweep with --no-vectorize")
    ap.add_argument("--worker-nice", type=int, default=os.nice(0),
                    help="the workers' niceness (default: this process's, so both sides get the same priority; "
                    "the CLI and a server run them at +10)")
    a = ap.parse_args()
    plan = plan_sweep("gaussian-1d", GRID, seeds=a.seeds, steps=a.steps)
    sweeps = [("vectorised", plan)]
    if a.per_run:
        sweeps.append(("per-run", plan_sweep("gaussian-1d", GRID, seeds=a.seeds, steps=a.steps, vectorize=False)))
    print(f"gaussian-1d, 7x7 grid ({', '.join(GRID)}) x {a.seeds} seeds = {plan.runs} runs of {a.steps} iterations; "
          f"{a.jobs} workers; niceness {os.nice(0)} here, {a.worker_nice} in the workers", flush=True)
    runs = plan.runs_of("baseline")
    halves = (runs[0::2], runs[1::2])
    print(f"[{load()}] baseline, first half: Trainer one run after another ...", flush=True)
    b1 = baseline(halves[0])
    results = {}
    for name, p in sweeps:
        print(f"[{load()}] sweep, {name} ...", flush=True)
        r = results[name] = sweep(p, a.jobs, a.worker_nice)
        print(f"  {r['seconds']:.1f} s wall, {r['cpu']:.1f} s CPU ({plan.runs / r['seconds']:.2f} runs/s; pool start "
              f"{r['pool']:.1f} s); first cell after {r['first_cold']:.2f} s cold, {r['first_warm']:.2f} s on the "
              "warm pool", flush=True)
    print(f"[{load()}] baseline, second half ...", flush=True)
    b2 = baseline(halves[1])
    base, base_cpu = b1[0] + b2[0], b1[1] + b2[1]
    print(f"  baseline: {base:.1f} s wall ({b1[0]:.1f} + {b2[0]:.1f}), {base_cpu:.1f} s CPU "
          f"({plan.runs / base:.2f} runs/s)", flush=True)
    print(f"[{load()}] done")
    for name, r in results.items():
        print(f"{name} sweep / one-process Trainer loop: throughput {base / r['seconds']:.2f}x wall-clock, "
              f"{base_cpu / (r['cpu'] / a.jobs):.2f}x by CPU (goal >= 1.8x); first cell {r['first_warm']:.2f} s warm, "
              f"{r['first_cold']:.2f} s cold (goal <= 3 s)")


if __name__ == "__main__":
    main()

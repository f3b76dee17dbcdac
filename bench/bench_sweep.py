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

--live (issue 18: "a sweep never drops a student's frame rate below the server's shared fps"): a real
`toygan serve` on loopback (its own session hosts and its warm sweep pool, nice 19), one live session
playing the default experiment; its frames/s and it/s are measured alone and beside a running page
sweep (a 7x7 gaussian-1d map over the websocket, as the Map panel asks), in alternating rounds so a
change in the machine's load weighs on both; printed: the medians, the ratio beside / alone, and the
frames/s beside against the server's shared_fps (goal >= 1.0x). The sweep's pool is warmed first (a
tiny sweep), so the rounds measure a sweep at work, not the workers starting. It also prints the page's
first cell ("the first cell appears in the page within 3 s"): on the fresh server, from Run to the
first square of a page that opened its Map panel --think seconds before (the workers start on the
open), and on the warm pool beside the playing session in each round.

Usage: python bench/bench_sweep.py [--jobs N] [--seeds 3] [--steps 800] [--per-run]
       python bench/bench_sweep.py --live [--rounds 3] [--seconds 8] [--think 5]
"""

from __future__ import annotations

import argparse
import asyncio
import json
import os
import resource
import statistics
import time

import torch

from gan_core.cores import usable_cores
from gan_core.engine.trainer import Trainer
from gan_core.science.sweep import LocalPool, Sweep, plan_sweep
from gan_core.science.sweep.runner import SweepPlan
from server.settings import Settings
from server.sweeps.service import SWEEP_NICE

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


async def sweeping(port: int, started: asyncio.Event, stop: asyncio.Event, grid: list[str], steps: int,
                   first: list[float] | None = None, think: float = 0.0) -> int:
    """A page's sweep over the websocket, running until `stop` (then cancelled); returns the cells it got.
    `think` > 0: the page opens its Map panel (sweep_prepare) that many seconds before it asks for the map.
    `first` gets the seconds from the ask to the first cell."""
    import websockets
    from loopback import receive_until  # bench/ is this script's folder

    cells = 0
    async with websockets.connect(f"ws://127.0.0.1:{port}/ws", max_size=2**24) as ws:
        await ws.send(json.dumps({"type": "hello"}))
        if think > 0:
            await ws.send(json.dumps({"type": "sweep_prepare"}))
            await asyncio.sleep(think)
        asked = time.perf_counter()
        await ws.send(json.dumps({"type": "sweep", "preset": "gaussian-1d", "grid": grid, "seeds": 2, "steps": steps}))
        async for m in receive_until(ws, stop):
            if isinstance(m, bytes):
                continue
            msg = json.loads(m)
            if msg["type"] == "error":
                raise SystemExit(f"the sweep was refused: {msg}")
            if msg["type"] == "sweep_started":
                started.set()
            elif msg["type"] == "sweep_cell":
                cells += 1
                if cells == 1 and first is not None:
                    first.append(time.perf_counter() - asked)
            elif msg["type"] == "sweep_done":
                break
        await ws.send(json.dumps({"type": "sweep_cancel"}))
    return cells


async def live_round(port: int, seconds: float, beside: bool, first: list[float]) -> tuple[float, float, int]:
    """(frames/s, it/s, cells the sweep finished meanwhile) of one live session, alone or beside a sweep
    (the seconds to its first cell appended to `first`)."""
    from bench_server import Client  # bench/ is this script's folder: its loopback client

    started, stop = asyncio.Event(), asyncio.Event()
    task = None
    if beside:
        task = asyncio.create_task(sweeping(port, started, stop, GRID, 800, first))
        await asyncio.wait_for(started.wait(), 60)
    c = Client(port)
    await c.run(seconds, warmup=2.0)
    stop.set()
    cells = await task if task else 0
    return c.fps, c.frame_its, cells


def live(rounds: int, seconds: float, think: float) -> None:
    from bench_server import free_port, healthz, start_server

    port = free_port()
    proc = start_server(port, max_sessions=4, workers=None, grace=5.0)
    try:
        shared = Settings().shared_fps
        print(f"server on :{port}, {healthz(port)['workers']['configured']} session hosts, sweep pool "
              f"{Settings().sweep_jobs} workers at nice {SWEEP_NICE}; shared_fps {shared:g}", flush=True)
        # The page's first map on a fresh server: the Map panel opened `think` s before Run (the pool
        # starts on the open and warms while the person picks the settings).
        first_open: list[float] = []
        asyncio.run(first_map(port, think, first_open))
        print(f"[{load()}] a fresh server, the Map panel opened {think:g} s before Run: the page's first cell "
              f"after {first_open[0]:.2f} s (goal <= 3 s)", flush=True)
        print(f"[{load()}] warming the sweep pool (a tiny sweep) ...", flush=True)
        asyncio.run(warm(port))
        alone, beside, first = [], [], []
        for r in range(rounds):
            for kind, out in (("alone", alone), ("beside a sweep", beside)):
                fps, its, cells = asyncio.run(live_round(port, seconds, out is beside, first))
                out.append((fps, its))
                extra = f", the sweep finished {cells} cells meanwhile" if out is beside else ""
                print(f"[{load()}] round {r + 1}, {kind}: {fps:.1f} frames/s, {its:.0f} it/s{extra}", flush=True)
        fa, fb = statistics.median(x[0] for x in alone), statistics.median(x[0] for x in beside)
        ia, ib = statistics.median(x[1] for x in alone), statistics.median(x[1] for x in beside)
        print(f"[{load()}] done")
        print(f"live session, median of {rounds} rounds: alone {fa:.1f} frames/s {ia:.0f} it/s; beside a page sweep "
              f"{fb:.1f} frames/s {ib:.0f} it/s; beside / alone: frames {fb / fa:.2f}x, iterations {ib / ia:.2f}x; "
              f"frames/s beside / shared_fps ({shared:g}): {fb / shared:.2f}x (goal >= 1.0x)")
        print(f"first cell of the page's map on the warm pool, beside the playing session: median "
              f"{statistics.median(first):.2f} s (max {max(first):.2f} s; goal <= 3 s); on a fresh server with the "
              f"Map panel opened {think:g} s before Run: {first_open[0]:.2f} s")
    finally:
        proc.terminate()
        proc.wait(20)


async def first_map(port: int, think: float, first: list[float]) -> None:
    """Open the Map panel, ask for the 7x7 map `think` seconds later, stop at its first cell."""
    started, stop = asyncio.Event(), asyncio.Event()

    async def stop_at_first() -> None:
        while not first:
            await asyncio.sleep(0.05)
        stop.set()

    watcher = asyncio.create_task(stop_at_first())
    await asyncio.wait_for(sweeping(port, started, stop, GRID, 800, first, think=think), 300)
    await watcher


async def warm(port: int) -> None:
    started, stop = asyncio.Event(), asyncio.Event()
    cells = await asyncio.wait_for(sweeping(port, started, stop, ["optimizer_d.lr=0.001,0.01"], 20), 300)
    assert cells == 2, f"the warm-up sweep finished {cells} of 2 cells"


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    ap.add_argument("--jobs", type=int, default=usable_cores())
    ap.add_argument("--seeds", type=int, default=3)
    ap.add_argument("--steps", type=int, default=800)
    ap.add_argument("--per-run", action="store_true", help="also time the sweep with --no-vectorize")
    ap.add_argument("--worker-nice", type=int, default=os.nice(0),
                    help="the workers' niceness (default: this process's, so both sides get the same priority; "
                    "the CLI and a server run them at +10)")
    ap.add_argument("--live", action="store_true", help="measure a live session's frames/s alone and beside a "
                    "page sweep on a real server (see above) instead of the throughput")
    ap.add_argument("--rounds", type=int, default=3, help="--live: alternating alone / beside rounds")
    ap.add_argument("--seconds", type=float, default=8.0, help="--live: the counted seconds of each round")
    ap.add_argument("--think", type=float, default=5.0, help="--live: seconds between opening the Map panel and "
                    "asking for the first map on the fresh server (a person picking the settings)")
    a = ap.parse_args()
    if a.live:
        live(a.rounds, a.seconds, a.think)
        return
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

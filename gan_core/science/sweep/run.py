"""One (cell, seed) of a sweep: train a Trainer from the cell's config and seed, measure it at fixed
intervals, classify it (gan_core.science.sweep.outcomes). Plain data in, plain data out, so the
same function runs in a local worker process and in a Ray task.

    record = run_task(RunTask(sweep="s1", cell=0, seed=0, config=cfg.model_dump(mode="json"), steps=800))
    record -> {"cell", "seed", "outcome", "reason", "status", "iterations", "seconds", "cancelled",
               "metrics": {name: float}}

The checkpoints are CHECKPOINTS + 1 evaluations (before the first step, then every steps /
CHECKPOINTS iterations) on EVAL_SAMPLES samples each, drawn from generators of their own, so
measuring never changes the run: a record depends only on (config, seed, steps, checkpoints).
"""

from __future__ import annotations

import math
import os
import time
from dataclasses import dataclass
from typing import Any

import numpy as np
import torch

from gan_core.engine.config import ConfigError
from gan_core.engine.metrics import default_min_share, mode_assignment
from gan_core.engine.models import sample_noise
from gan_core.engine.trainer import Trainer
from gan_core.science.sweep.outcomes import classify

# Evaluations after the start: enough to tell a spiral from a circle; 1-6% of a run's time on the
# presets (1-3 ms each: 1% of a ring-collapse run, 5% of gaussian-1d's, 6% of a Dirac game's).
CHECKPOINTS = 20
EVAL_SAMPLES = 512  # samples per evaluation: the W1 between two such samples of one Gaussian is a few % of its std
CANCEL_EVERY = 50  # iterations between looks at the cancel flag (tens of ms of a typical run)
WORKER_NICE = 10  # the niceness sweep workers run at (the lab's sessions run at 0): they yield the CPU
SPREAD_SAMPLES = 4096
# Seeds of the measuring generators, offset from config.seed (any values apart from the snapshot's).
REACH_SEED_OFFSET, SPREAD_SEED_OFFSET = 2_000_003, 2_000_029


@dataclass(frozen=True)
class RunTask:
    """Everything one run needs (plain data: it pickles to a worker or a Ray task)."""

    sweep: str
    cell: int
    seed: int
    config: dict[str, Any]  # the cell's full config, seed included
    steps: int
    checkpoints: int = CHECKPOINTS
    eval_samples: int = EVAL_SAMPLES
    cancel_path: str | None = None  # the run stops early (record "cancelled") once this file exists


def prepare_worker(nice: int = WORKER_NICE) -> None:
    """One torch thread (tiny nets: one per process beats threads fighting over cores) and a lower
    CPU priority, raised to `nice` at most once (idempotent: safe to call before every task)."""
    torch.set_num_threads(1)
    current = os.nice(0)
    if current < nice:
        os.nice(nice - current)


def schedule(steps: int, checkpoints: int) -> list[int]:
    """Iterations at which the run is measured: 0, then evenly up to `steps` (no repeats)."""
    k = max(1, min(checkpoints, steps))
    return sorted({round(steps * i / k) for i in range(k + 1)})


def target_spread(t: Trainer) -> float:
    """RMS distance of the target's samples from their mean (0 for a Dirac point), in data units."""
    gen = torch.Generator().manual_seed(t.config.seed + SPREAD_SEED_OFFSET)
    x = t.target.sample(SPREAD_SAMPLES, gen).double().numpy()
    return float(np.sqrt(((x - x.mean(0)) ** 2).sum(1).mean()))


def modes_reached(t: Trainer, n: int) -> int:
    """Modes that at least metrics.default_min_share of n generated samples are nearest to."""
    cfg = t.config
    gen = torch.Generator().manual_seed(cfg.seed + REACH_SEED_OFFSET)
    z = sample_noise(n, cfg.noise.dim, cfg.noise.distribution, gen).to(t.device)
    was = t.G.training
    t.G.eval()
    try:
        with torch.no_grad():
            x = t.G(z).double().cpu().numpy()
    finally:
        t.G.train(was)
    x = x[np.isfinite(x).all(1)]
    centers = t.target.centers
    a = mode_assignment(x, centers, t.target.scales, radius_std=math.inf)
    share = np.bincount(a, minlength=len(centers)) / n
    return int((share >= default_min_share(t.target.weights)).sum())


def checkpoint(t: Trainer, n: int) -> dict[str, Any]:
    """What the rules read at one checkpoint, plus every metric of Trainer.evaluate."""
    m = t.evaluate(n)
    dirac = "distance_to_equilibrium" in m
    pos = [m.get("fake_mean_x", math.nan)] + ([m.get("fake_mean_y", math.nan)] if t.target.dim == 2 else [])
    return {
        "iteration": t.iteration,
        "distance": float(m["distance_to_equilibrium"] if dirac else m.get("sample_distance", math.nan)),
        "position": [float(v) for v in (*pos, m.get("fake_std", math.nan))],
        "grad_g": float(m.get("grad_norm_g", math.nan)),
        "modes_reached": modes_reached(t, n),
        "modes_total": int(m["modes_total"]),
        "finite": m.get("fake_finite_fraction", 0.0) >= 1.0,
        "metrics": m,
    }


def is_cancelled(task: RunTask) -> bool:
    """Whether the task's cancel flag (a file) exists."""
    return task.cancel_path is not None and os.path.exists(task.cancel_path)


def cancelled_record(task: RunTask, seconds: float, iterations: int) -> dict[str, Any]:
    return {"cell": task.cell, "seed": task.seed, "seconds": seconds, "cancelled": True, "outcome": None,
            "reason": "cancelled", "status": "cancelled", "iterations": iterations, "metrics": {}}


def finished_record(task: RunTask, t: Trainer, series: list[dict[str, Any]], seconds: float) -> dict[str, Any]:
    """Classify a finished run and build its record (metrics: the last checkpoint's, the rules' measures)."""
    outcome, reason, measures = classify(series, t.status, t.status_message, target_spread(t))
    last = series[-1]
    metrics = {**{k: float(v) for k, v in last["metrics"].items()}, "modes_reached": float(last["modes_reached"]),
               "iterations": float(t.iteration)}
    if measures is not None:
        metrics.update(measures.as_dict())
    return {"cell": task.cell, "seed": task.seed, "seconds": seconds, "cancelled": False, "outcome": outcome,
            "reason": reason, "status": t.status, "iterations": t.iteration, "metrics": metrics}


def train_and_measure(task: RunTask) -> tuple[Trainer, list[dict[str, Any]], bool]:
    """Train the run, measuring at each checkpoint; (trainer, checkpoints, cancelled)."""
    t = Trainer(task.config)
    series = [checkpoint(t, task.eval_samples)]
    for it in schedule(task.steps, task.checkpoints)[1:]:
        while t.iteration < it and t.status == "ok":
            if is_cancelled(task):
                return t, series, True
            t.step(min(CANCEL_EVERY, it - t.iteration))
        series.append(checkpoint(t, task.eval_samples))
        if t.status != "ok":
            break
    return t, series, False


def run_task(task: RunTask) -> dict[str, Any]:
    """Train, measure and classify one (cell, seed); see the module docstring for the record.

    A run whose numbers blow up is a `diverged` record, never an exception: the trainer stops on
    non-finite losses by itself, and an error that torch raises on non-finite values (RuntimeError,
    ValueError, ArithmeticError) is caught and recorded with its message. A ConfigError (a config
    the sweep should have refused up front) and anything else still raise.
    """
    began = time.perf_counter()
    if is_cancelled(task):
        return cancelled_record(task, 0.0, 0)
    try:
        t, series, cancelled = train_and_measure(task)
    except ConfigError:
        raise
    except (RuntimeError, ValueError, ArithmeticError) as exc:
        msg = str(exc).splitlines()[0] if str(exc) else ""
        return {"cell": task.cell, "seed": task.seed, "seconds": round(time.perf_counter() - began, 4),
                "cancelled": False, "outcome": "diverged", "reason": f"training raised {type(exc).__name__}: {msg}",
                "status": "error", "iterations": None, "metrics": {}}
    seconds = round(time.perf_counter() - began, 4)
    if cancelled:
        return cancelled_record(task, seconds, t.iteration)
    return finished_record(task, t, series, seconds)

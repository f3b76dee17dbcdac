"""A sweep, planned and run: every (cell, seed) on a backend, cells yielded as they finish.

    plan = plan_sweep("dirac-r1", ["regularizers.r1=0,0.1,1", "optimizer_d.lr=0.05,0.1"], seeds=3)
    sweep = Sweep(plan, LocalPool(jobs=2))       # or RayBackend(...)
    for cell in sweep.cells():                   # CellResult, in the order they finish
        ...
    sweep.cancel()                               # from any thread: pending runs dropped, running
                                                 # ones stop within CANCEL_EVERY iterations
    result = run_sweep(plan, backend)            # all cells, sorted; sweep_json(result) for --json

`plan_sweep` checks everything before anything runs (ConfigError naming the field: "preset",
"seeds", "steps", "grid" or an axis path). Seeds are 0..seeds-1 for every cell. A backend (LocalPool,
RayBackend) has `name`, `slots` (runs it computes at once), `submit(task) -> handle`,
`wait(handles, timeout) -> [(handle, records | exception)]`, `cancel(sweep_id, handles)` and
optionally `cancel_path(sweep_id)` (the file a cooperative cancel creates) and `forget(sweep_id)`.
The sweep keeps at most 2 x slots units submitted (or the backend's `window`), so sweeps that share
a backend interleave.
"""

from __future__ import annotations

import math
import threading
import time
import uuid
from collections import defaultdict, deque
from collections.abc import Iterator, Sequence
from dataclasses import dataclass, field
from typing import Any

import numpy as np
import torch

from gan_core.engine.config import ConfigError, ExperimentConfig
from gan_core.science.presets import get_preset
from gan_core.science.sweep.grid import DEFAULT_MAX_CELLS, Axis, Grid, build_grid, parse_axis
from gan_core.science.sweep.outcomes import majority
from gan_core.science.sweep.run import CHECKPOINTS, EVAL_SAMPLES, RunTask
from gan_core.science.sweep.vectorized import GroupTask, group_tasks

MAX_SEEDS = 32
MAX_STEPS = 1_000_000
DEFAULT_SEEDS = 3
DEFAULT_STEPS = 2000  # iterations per run of a sweep over a config with no preset to take its count from
POLL_S = 0.2  # how often a waiting sweep looks at its cancel event (seconds)


class SweepError(RuntimeError):
    """A run failed for a reason other than its numbers (a bug, a lost worker): the sweep stops."""


@dataclass(frozen=True)
class SweepPlan:
    """A checked sweep: the preset (the base's origin: None for a config of a person's own), its grid,
    seeds 0..seeds-1 and the iterations of every run. `base` is the config every cell starts from when
    it is not the preset's own (a preset edited in the lab, or a person's own experiment)."""

    preset: str | None
    steps: int
    seeds: int
    grid: Grid
    checkpoints: int = CHECKPOINTS
    eval_samples: int = EVAL_SAMPLES
    vectorize: bool = True  # stack runs that share an architecture (gan_core.science.sweep.vectorized)
    base: ExperimentConfig | None = None

    @property
    def axes(self) -> tuple[Axis, ...]:
        return self.grid.axes

    @property
    def runs(self) -> int:
        return len(self.grid.cells) * self.seeds

    def runs_of(self, sweep: str, cancel_path: str | None = None) -> list[RunTask]:
        """Every run, cell by cell (all seeds of a cell together, so whole cells finish early)."""
        out = []
        for cell in self.grid.cells:
            cfg = cell.config.model_dump(mode="json")
            for seed in range(self.seeds):
                out.append(RunTask(sweep, cell.index, seed, {**cfg, "seed": seed}, self.steps,
                                   self.checkpoints, self.eval_samples, cancel_path))
        return out

    def tasks(self, sweep: str, cancel_path: str | None = None) -> list[RunTask | GroupTask]:
        """The units of work: runs_of(), packed into vectorised groups where supported and asked for."""
        runs = self.runs_of(sweep, cancel_path)
        return group_tasks(runs) if self.vectorize else list(runs)


def plan_sweep(preset: str | None, grid: Sequence[str | Axis], seeds: int = DEFAULT_SEEDS, steps: int | None = None,
               max_cells: int = DEFAULT_MAX_CELLS, vectorize: bool = True,
               base: ExperimentConfig | None = None) -> SweepPlan:
    """Check a sweep and build its plan; ConfigError (field, reason) on any bad input. Every cell starts
    from `base` when given (the preset, if any, then only names its origin and its step count), else
    from the preset's config."""
    p = None
    if preset is not None or base is None:
        try:
            p = get_preset(preset or "")
        except KeyError as exc:
            raise ConfigError(str(exc.args[0]), "preset") from None
    if not 1 <= seeds <= MAX_SEEDS:
        raise ConfigError(f"must be between 1 and {MAX_SEEDS}, got {seeds}", "seeds")
    if steps is None:
        steps = p.steps if p is not None else DEFAULT_STEPS
    if not 1 <= steps <= MAX_STEPS:
        raise ConfigError(f"must be between 1 and {MAX_STEPS}, got {steps}", "steps")
    axes = [a if isinstance(a, Axis) else parse_axis(a) for a in grid]
    g = build_grid(base if base is not None else p.experiment(), axes, max_cells)
    if any(c.config.device == "cuda" for c in g.cells) and not torch.cuda.is_available():
        raise ConfigError("'cuda' was asked for but no CUDA device is available here", "device")
    return SweepPlan(preset, steps, seeds, g, vectorize=vectorize, base=base)


@dataclass(frozen=True)
class CellResult:
    """One finished cell: its axis values, the majority outcome, every seed's outcome and reason,
    and the median over seeds of every metric (NaN where no seed has a finite value)."""

    index: int
    params: dict[str, Any]
    outcome: str
    outcomes: tuple[str, ...]
    reasons: tuple[str, ...]
    metrics: dict[str, float]
    runs: tuple[dict[str, Any], ...] = field(repr=False, default=())

    def as_json(self) -> dict[str, Any]:
        return {"params": dict(self.params), "outcome": self.outcome, "outcomes": list(self.outcomes),
                "metrics": dict(self.metrics), "reasons": list(self.reasons), "index": self.index}


def median_metrics(records: Sequence[dict[str, Any]]) -> dict[str, float]:
    """Per metric, the median over records of its finite values (NaN when there are none)."""
    keys = sorted({k for r in records for k in r["metrics"]} | {"seconds"})
    out = {}
    for k in keys:
        vals = [r["seconds"] if k == "seconds" else r["metrics"].get(k) for r in records]
        finite = [float(v) for v in vals if v is not None and math.isfinite(v)]
        out[k] = float(np.median(finite)) if finite else math.nan
    return out


def cell_result(plan: SweepPlan, index: int, records: Sequence[dict[str, Any]]) -> CellResult:
    recs = sorted(records, key=lambda r: r["seed"])
    outcomes = tuple(r["outcome"] for r in recs)
    return CellResult(index, dict(plan.grid.cells[index].params), majority(outcomes), outcomes,
                      tuple(r["reason"] for r in recs), median_metrics(recs), tuple(recs))


class Sweep:
    """One run of a plan on a backend (see the module docstring). Not reusable: one `cells()` pass."""

    def __init__(self, plan: SweepPlan, backend: Any, sweep_id: str | None = None, first_alone: bool = False):
        """`first_alone`: submit nothing else until the first unit (the first cell, alone: see
        vectorized.group_tasks) has finished, so it has the sweep's whole share of the CPU. A page
        wants its first square soon (beside a playing session, at nice 19, a 7x7 map's first square came
        after 4.2 s with the second unit sharing the one core left, bench/bench_sweep.py --live); the
        cost is the other workers' idle second or so, which a CLI sweep, wanting throughput, does not pay."""
        self.plan = plan
        self.backend = backend
        self.first_alone = first_alone
        self.id = sweep_id or uuid.uuid4().hex[:12]
        self.runs_done = 0
        self.stop = threading.Event()

    @property
    def cancelled(self) -> bool:
        return self.stop.is_set()

    def cancel(self) -> None:
        """Stop the sweep (thread-safe): `cells()` yields nothing more and cancels its runs."""
        self.stop.set()

    def cells(self) -> Iterator[CellResult]:
        """Cells as they finish. Leaving the loop early (break, an exception, Ctrl-C) or cancel()
        cancels every run still submitted."""
        be, plan = self.backend, self.plan
        cancel_path = be.cancel_path(self.id) if hasattr(be, "cancel_path") else None
        todo = deque(plan.tasks(self.id, cancel_path))
        pending: dict[Any, RunTask | GroupTask] = {}
        done: dict[int, list[dict[str, Any]]] = defaultdict(list)
        # Keep each worker fed without flooding a shared backend; a backend may cap it (Ray: --jobs).
        window = getattr(be, "window", 2 * max(1, be.slots))
        waiting_first = self.first_alone
        try:
            while (todo or pending) and not self.stop.is_set():
                while todo and len(pending) < (1 if waiting_first else window):
                    task = todo.popleft()
                    pending[be.submit(task)] = task
                for handle, result in be.wait(list(pending), POLL_S):
                    task = pending.pop(handle)
                    waiting_first = False
                    if isinstance(result, BaseException):
                        first = task.runs[0] if isinstance(task, GroupTask) else task
                        raise SweepError(f"cell {first.cell} ({plan.grid.cells[first.cell].params}), seed "
                                         f"{first.seed}: {type(result).__name__}: {result}") from result
                    for rec in result:
                        if rec["cancelled"]:  # stopped by a cancel: no outcome to count
                            continue
                        self.runs_done += 1
                        done[rec["cell"]].append(rec)
                        if len(done[rec["cell"]]) == plan.seeds:
                            yield cell_result(plan, rec["cell"], done.pop(rec["cell"]))
        finally:
            if pending:
                be.cancel(self.id, list(pending))
            elif hasattr(be, "forget"):
                be.forget(self.id)


@dataclass(frozen=True)
class SweepResult:
    plan: SweepPlan
    backend: str
    seconds: float
    cells: tuple[CellResult, ...]  # sorted by cell index
    cancelled: bool = False


def run_sweep(plan: SweepPlan, backend: Any, on_cell: Any = None, sweep: Sweep | None = None) -> SweepResult:
    """Run the whole plan; `on_cell(cell, done, total)` as each finishes. A KeyboardInterrupt cancels the
    runs and propagates."""
    sweep = sweep or Sweep(plan, backend)
    began = time.perf_counter()
    cells = []
    for cell in sweep.cells():
        cells.append(cell)
        if on_cell:
            on_cell(cell, len(cells), len(plan.grid.cells))
    return SweepResult(plan, backend.name, time.perf_counter() - began, tuple(sorted(cells, key=lambda c: c.index)),
                       sweep.cancelled)


def sweep_json(result: SweepResult) -> dict[str, Any]:
    """The `toygan sweep --json` object (the CLI contract, docs/sweeps.md, plus "cancelled" and "vectorized")."""
    p = result.plan
    return {"preset": p.preset, "steps": p.steps, "seeds": p.seeds, "backend": result.backend,
            "seconds": round(result.seconds, 3),
            "axes": [{"path": a.path, "values": list(a.values)} for a in p.axes],
            "cells": [c.as_json() for c in result.cells], "cancelled": result.cancelled, "vectorized": p.vectorize}

"""The server's sweeps (the page's Map panel, issue 18): one warm pool of sweep workers for the whole
server, a thread per running sweep that posts each cell as it finishes, and a cap per client.

    service = SweepService(settings)             # nothing starts yet
    started = service.start(client, request, post)   # on the event loop: checks, then returns at once
    service.cancel(client, sweep_id or None)     # from any thread
    service.drop(client)                         # the client left: its sweeps stop
    service.close()                              # server shutdown: every sweep stops, workers exit

The runs never touch the event loop or the sessions' hosts: they run in gan_core's LocalPool, whose
spawned workers run at nice +10 (gan_core.science.sweep.run.WORKER_NICE), so a live session keeps
the CPU first; the pool starts with the first sweep (a second or a few: torch is imported once per
worker) and stays warm. A thread per sweep only waits on the pool and hands results to `post`
(thread-safe: the socket's Bridge.post). Everything a client may ask is checked before anything
runs: a ConfigError names the field ("preset", "grid", "seeds", "steps" or an axis path) and why.
Messages posted (docs/protocol.md): sweep_cell per finished cell, then one sweep_done.
"""

from __future__ import annotations

import logging
import threading
import time
import uuid
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any

from gan_core.engine.config import ConfigError
from gan_core.plain_json import json_safe
from gan_core.science.sweep.runner import Sweep, SweepError, SweepPlan, plan_sweep
from server.settings import Settings
from server.wire import protocol as p

log = logging.getLogger(__name__)

Post = Callable[[dict[str, Any]], None]
CLOSE_JOIN_S = 10.0  # how long shutdown waits for each sweep thread (cancelled runs stop within 50 iterations)


def make_pool(jobs: int) -> Any:
    from gan_core.science.sweep.pool import LocalPool  # spawns worker processes: only when a sweep asks

    return LocalPool(jobs)


@dataclass
class Running:
    """One sweep in flight: whose, how many cells it has left, and how to stop it."""

    id: str
    client: Any
    plan: SweepPlan
    post: Post
    left: int  # cells not finished yet: what counts against the client's cap
    stop: threading.Event = field(default_factory=threading.Event)
    sweep: Sweep | None = None
    thread: threading.Thread | None = None


class SweepService:
    def __init__(self, settings: Settings, pool_factory: Callable[[int], Any] = make_pool):
        self.jobs = settings.sweep_jobs
        self.max_cells = settings.sweep_max_cells
        self.max_steps = settings.sweep_max_steps
        self.pool_factory = pool_factory
        self.lock = threading.Lock()  # guards running, pool and closed (sweep threads and the loop share them)
        self.running: dict[str, Running] = {}
        self.pool: Any = None
        self.closed = False

    # ---- the event loop (quick: checks only) -------------------------------------------------------

    def check(self, client: Any, req: p.SweepRequest) -> SweepPlan:
        """The plan of `req`, or a ConfigError naming the field and the reason."""
        if self.jobs == 0:
            raise ConfigError("sweeps are turned off on this server (it was started with --sweep-jobs 0)", "type")
        if req.steps is not None and req.steps > self.max_steps:
            raise ConfigError(f"at most {self.max_steps} iterations per run on this server (--sweep-max-steps), "
                              f"got {req.steps}", "steps")
        plan = plan_sweep(req.preset, req.grid, seeds=req.seeds, steps=req.steps, max_cells=self.max_cells)
        if plan.steps > self.max_steps:
            raise ConfigError(f"the preset runs {plan.steps} iterations; at most {self.max_steps} on this server "
                              "(--sweep-max-steps): give fewer steps", "steps")
        cells = len(plan.grid.cells)
        queued = self.queued(client)
        if queued + cells > self.max_cells:
            raise ConfigError(f"too many cells queued: this map has {cells} and your sweeps still running have "
                              f"{queued} left; at most {self.max_cells} per client on this server (--sweep-max-cells). "
                              "Cancel a sweep, wait for it, or make the grid smaller", "grid")
        return plan

    def start(self, client: Any, req: p.SweepRequest, post: Post) -> str:
        """Check `req`, post `sweep_started` and start the sweep; returns its id."""
        plan = self.check(client, req)
        with self.lock:
            if self.closed:
                raise ConfigError("the server is stopping", "type")
            run = Running(uuid.uuid4().hex[:12], client, plan, post, len(plan.grid.cells))
            self.running[run.id] = run
        post({"type": "sweep_started", "id": run.id, "preset": plan.preset, "steps": plan.steps,
              "seeds": plan.seeds, "axes": [{"path": a.path, "values": list(a.values)} for a in plan.axes],
              "cells": len(plan.grid.cells), "runs": plan.runs})  # before the thread: it comes before any cell
        run.thread = threading.Thread(target=self.work, args=(run,), name=f"sweep-{run.id}", daemon=True)
        run.thread.start()
        log.info("sweep %s: %s, %d cells x %d seeds, %d iterations", run.id, plan.preset, len(plan.grid.cells),
                 plan.seeds, plan.steps)
        return run.id

    def queued(self, client: Any) -> int:
        with self.lock:
            return sum(r.left for r in self.running.values() if r.client is client)

    # ---- any thread -----------------------------------------------------------------------------

    def cancel(self, client: Any, sweep_id: str | None = None) -> int:
        """Stop `client`'s sweep `sweep_id` (all of its sweeps when None); returns how many were stopped."""
        with self.lock:
            runs = [r for r in self.running.values() if r.client is client and sweep_id in (None, r.id)]
        for r in runs:
            r.stop.set()
            if r.sweep is not None:
                r.sweep.cancel()
        return len(runs)

    def drop(self, client: Any) -> None:
        """The client left: stop its sweeps (nobody will see them)."""
        self.cancel(client)

    def close(self) -> None:
        """Server shutdown: stop every sweep, wait for their threads, let the workers exit."""
        with self.lock:
            self.closed = True
            runs = list(self.running.values())
        for r in runs:
            r.stop.set()
            if r.sweep is not None:
                r.sweep.cancel()
        for r in runs:
            if r.thread is not None:
                r.thread.join(CLOSE_JOIN_S)
        with self.lock:
            pool, self.pool = self.pool, None
        if pool is not None:
            pool.close()

    # ---- a sweep's own thread ---------------------------------------------------------------------

    def backend(self) -> Any:
        """The warm pool, started by the first sweep that needs it."""
        with self.lock:
            if self.closed:
                raise SweepError("the server is stopping")
            if self.pool is None:
                self.pool = self.pool_factory(self.jobs)
            return self.pool

    def work(self, run: Running) -> None:
        began = time.perf_counter()
        total = len(run.plan.grid.cells)
        done, error = 0, None
        try:
            backend = self.backend()
            sweep = Sweep(run.plan, backend, sweep_id=run.id)
            run.sweep = sweep
            if run.stop.is_set():  # cancelled while the pool started
                sweep.cancel()
            for cell in sweep.cells():
                done += 1
                with self.lock:
                    run.left -= 1
                run.post({"type": "sweep_cell", "id": run.id, "done": done, "total": total,
                          "cell": json_safe(cell.as_json(), short=True)})
        except Exception as exc:  # a failed run (a bug, a lost worker): this sweep ends, the server goes on
            log.exception("sweep %s failed", run.id)
            error = str(exc)
        finally:
            with self.lock:
                self.running.pop(run.id, None)
        run.post({"type": "sweep_done", "id": run.id, "done": done, "total": total,
                  "cancelled": run.stop.is_set() and done < total, "error": error,
                  "seconds": round(time.perf_counter() - began, 3)})
        log.info("sweep %s: %d of %d cells in %.1f s%s", run.id, done, total, time.perf_counter() - began,
                 " (cancelled)" if run.stop.is_set() and done < total else "")

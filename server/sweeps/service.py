"""The server's sweeps (the page's Map panel, issue 18): one warm pool of sweep workers for the whole
server, a thread per running sweep that posts each cell as it finishes, and a cap per client.

    service = SweepService(settings)             # nothing starts yet
    service.prepare()                            # the Map panel opened: the workers start warming up
    started = service.start(owner, request, post)    # checks, then returns at once
    service.cancel(owner, sweep_id or None)      # from any thread
    service.detach(owner, post)                  # the owner's socket dropped: its sweeps go on unseen
    service.attach(owner, post)                  # it came back (a reload): its sweeps are sent again
    service.drop(owner)                          # the owner is gone for good: its sweeps stop
    service.close()                              # server shutdown: every sweep stops, workers exit

The owner is the page's session (server.web.ws passes its SessionProxy), not its socket, so a sweep
survives a reload: while detached its cells are kept, not posted; `attach` sends each sweep of the
owner again (sweep_started with "resumed": true, every cell finished so far, and sweep_done if it is
over; the owner's last finished sweep too, so a finished map survives a reload), then the cells go on
arriving. An owner not back within `resume_grace_s` (the session's own grace) is dropped.

The runs never touch the event loop or the sessions' hosts: they run in gan_core's LocalPool, whose
spawned workers run at nice 19 (SWEEP_NICE), so a live session keeps the CPU first; the pool starts
when a page opens its Map panel (`prepare`) or with the first sweep, and stays warm: its workers import
torch once each (3 s on an idle 2-core machine, 20 s loaded), so a map asked for after the panel has
been open that long gets its first cell in about a second and a half rather than after the import. A thread per sweep only waits on the pool and hands results to `post`
(thread-safe: the socket's Bridge.post). Everything a client may ask is checked before anything
runs: a ConfigError names the field ("preset", "grid", "seeds", "steps", an axis path, or config.<path>
for a bad base config) and why.
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

from gan_core.engine.config import ConfigError, parse_config
from gan_core.plain_json import json_safe
from gan_core.science.sweep.runner import Sweep, SweepError, SweepPlan, plan_sweep
from server.settings import Settings
from server.wire import protocol as p

log = logging.getLogger(__name__)

Post = Callable[[dict[str, Any]], None]
CLOSE_JOIN_S = 10.0  # how long shutdown waits for each sweep thread (cancelled runs stop within 50 iterations)
# The sweep workers' niceness: the lowest priority there is, so they run on the CPU the sessions leave.
# At the CLI's 10, a page sweep took 0.3-0.5x of a playing session's iterations on a loaded 2-core
# machine (bench/bench_sweep.py --live): weight 110 against a session's 1024 still shares its core.
SWEEP_NICE = 19


def make_pool(jobs: int) -> Any:
    from gan_core.science.sweep.pool import LocalPool  # spawns worker processes: only when a sweep asks

    # warm=False: the workers are spawned now and import torch on their own (3-20 s) while this returns
    # in milliseconds; it is called under the service's lock, which the event loop also takes.
    return LocalPool(jobs, nice=SWEEP_NICE, warm=False)


@dataclass
class Running:
    """One sweep (in flight, or its owner's last finished one): whose, what was posted, how to stop it."""

    id: str
    owner: Any
    plan: SweepPlan
    left: int  # cells not finished yet: what counts against the owner's cap
    started: dict[str, Any]  # the sweep_started message
    began: float = field(default_factory=time.monotonic)
    posted: list[dict[str, Any]] = field(default_factory=list)  # sweep_cell messages so far, sent again on attach
    done: dict[str, Any] | None = None  # the sweep_done message, once it is over
    stop: threading.Event = field(default_factory=threading.Event)
    sweep: Sweep | None = None
    thread: threading.Thread | None = None


class SweepService:
    def __init__(self, settings: Settings, pool_factory: Callable[[int], Any] = make_pool,
                 check_base: Callable[[Any], None] = lambda cfg: None):
        """`check_base(config)` raises a ConfigError for a base config a configure would refuse beyond
        its validation (the server wires the session budget in: server.app)."""
        self.jobs = settings.sweep_jobs
        self.max_cells = settings.sweep_max_cells
        self.max_steps = settings.sweep_max_steps
        self.grace_s = settings.resume_grace_s
        self.check_base = check_base
        self.pool_factory = pool_factory
        # Guards everything below (sweep threads, timers and the loop share it). Posting happens under
        # it too, so a replay on attach and a cell being posted never miss or repeat a cell.
        self.lock = threading.Lock()
        self.running: dict[str, Running] = {}
        self.finished: dict[Any, Running] = {}  # owner -> its last finished sweep (shown after a reload)
        self.sinks: dict[Any, Post] = {}  # owner -> where its messages go now (none while detached)
        self.timers: dict[Any, threading.Timer] = {}  # owner -> the grace timer of a detached owner
        self.pool: Any = None
        self.closed = False

    # ---- the event loop (quick: checks only) -------------------------------------------------------

    def check(self, owner: Any, req: p.SweepRequest) -> SweepPlan:
        """The plan of `req`, or a ConfigError naming the field and the reason."""
        if self.jobs == 0:
            raise ConfigError("sweeps are turned off on this server (it was started with --sweep-jobs 0)", "type")
        if req.preset is None and req.config is None:
            raise ConfigError("give the preset the map starts from, or a config (the lab's experiment)", "preset")
        if req.steps is not None and req.steps > self.max_steps:
            raise ConfigError(f"at most {self.max_steps} iterations per run on this server (--sweep-max-steps), "
                              f"got {req.steps}", "steps")
        base = None
        if req.config is not None:
            try:  # as a configure is checked: valid, and within what one session may cost on this server
                base = parse_config(req.config)
                self.check_base(base)
            except ConfigError as exc:  # named as a configure's error, under the message's own field
                raise ConfigError(f"config: {exc.message}", f"config.{exc.field}" if exc.field else "config") from None
        plan = plan_sweep(req.preset, req.grid, seeds=req.seeds, steps=req.steps, max_cells=self.max_cells, base=base)
        if plan.steps > self.max_steps:
            raise ConfigError(f"the preset runs {plan.steps} iterations; at most {self.max_steps} on this server "
                              "(--sweep-max-steps): give fewer steps", "steps")
        cells = len(plan.grid.cells)
        queued = self.queued(owner)
        if queued + cells > self.max_cells:
            raise ConfigError(f"too many cells queued: this map has {cells} and your sweeps still running have "
                              f"{queued} left; at most {self.max_cells} per client on this server (--sweep-max-cells). "
                              "Cancel a sweep, wait for it, or make the grid smaller", "grid")
        return plan

    def start(self, owner: Any, req: p.SweepRequest, post: Post) -> str:
        """Check `req`, post `sweep_started` (to `post`, from now on the owner's sink) and start the
        sweep; returns its id."""
        plan = self.check(owner, req)
        sid = uuid.uuid4().hex[:12]
        started = {"type": "sweep_started", "id": sid, "preset": plan.preset, "steps": plan.steps,
                   "seeds": plan.seeds, "axes": [{"path": a.path, "values": list(a.values)} for a in plan.axes],
                   "cells": len(plan.grid.cells), "runs": plan.runs,
                   "config": None if plan.base is None else plan.base.model_dump(mode="json")}
        run = Running(sid, owner, plan, len(plan.grid.cells), started)
        with self.lock:
            if self.closed:
                raise ConfigError("the server is stopping", "type")
            self.running[run.id] = run
            self.sinks[owner] = post
            post(started)  # before the thread: it comes before any cell
        run.thread = threading.Thread(target=self.work, args=(run,), name=f"sweep-{run.id}", daemon=True)
        run.thread.start()
        log.info("sweep %s: %s, %d cells x %d seeds, %d iterations", run.id, plan.preset or "own config",
                 len(plan.grid.cells), plan.seeds, plan.steps)
        return run.id

    def prepare(self) -> None:
        """Start the worker pool now if it has not started (a page opened its Map panel): returns at once,
        the workers warm up on their own. Nothing happens on a server with sweeps off or stopping."""
        if self.jobs == 0:
            return
        try:
            self.backend()
        except SweepError:  # the server is stopping
            pass

    def queued(self, owner: Any) -> int:
        with self.lock:
            return sum(r.left for r in self.running.values() if r.owner is owner)

    # ---- any thread -----------------------------------------------------------------------------

    def cancel(self, owner: Any, sweep_id: str | None = None) -> int:
        """Stop `owner`'s sweep `sweep_id` (all of its sweeps when None); returns how many were stopped."""
        with self.lock:
            runs = [r for r in self.running.values() if r.owner is owner and sweep_id in (None, r.id)]
        for r in runs:
            r.stop.set()
            if r.sweep is not None:
                r.sweep.cancel()
        return len(runs)

    def detach(self, owner: Any, post: Post) -> None:
        """`post` (the owner's socket) is gone: its sweeps go on, their messages kept for `attach`; the
        owner is dropped if it is not back within the grace period. A socket that was replaced already
        (the page in a second tab took the session over) changes nothing."""
        with self.lock:
            if self.sinks.get(owner) != post or self.closed:  # == : a bound method is made anew each time
                return
            del self.sinks[owner]
            if not any(r.owner is owner for r in self.running.values()) and owner not in self.finished:
                return
            timer = threading.Timer(self.grace_s, self.expire, args=(owner,))
            timer.daemon = True
            old, self.timers[owner] = self.timers.get(owner), timer
        if old is not None:
            old.cancel()
        timer.start()

    def attach(self, owner: Any, post: Post) -> int:
        """The owner is back on `post`: send its last finished sweep and each running one again (oldest
        first: the page shows the newest), then their cells go on arriving. Returns how many were sent."""
        with self.lock:
            self.sinks[owner] = post
            timer = self.timers.pop(owner, None)
            runs = [r for r in self.running.values() if r.owner is owner]
            last = self.finished.get(owner)
            if last is not None:
                runs.append(last)
            runs.sort(key=lambda r: r.began)
            for r in runs:
                post({**r.started, "resumed": True, "elapsed": round(time.monotonic() - r.began, 3)})
                for msg in r.posted:
                    post(msg)
                if r.done is not None:
                    post(r.done)
        if timer is not None:
            timer.cancel()
        return len(runs)

    def expire(self, owner: Any) -> None:
        """A detached owner's grace is over: it will not come back."""
        with self.lock:
            if owner in self.sinks:  # back meanwhile
                return
            self.timers.pop(owner, None)
        self.drop(owner)

    def drop(self, owner: Any) -> None:
        """The owner is gone for good: stop its sweeps (nobody will see them) and forget its last map."""
        with self.lock:
            self.finished.pop(owner, None)
            self.sinks.pop(owner, None)
            timer = self.timers.pop(owner, None)
        if timer is not None:
            timer.cancel()
        self.cancel(owner)

    def close(self) -> None:
        """Server shutdown: stop every sweep, wait for their threads, let the workers exit."""
        with self.lock:
            self.closed = True
            runs = list(self.running.values())
            timers = list(self.timers.values())
            self.timers.clear()
            self.finished.clear()
        for t in timers:
            t.cancel()
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

    def deliver(self, run: Running, msg: dict[str, Any]) -> None:
        """Keep `msg` for a later attach and post it to the owner's socket, if it has one now (under the
        lock: see __init__)."""
        with self.lock:
            if msg["type"] == "sweep_cell":
                run.left -= 1
                run.posted.append(msg)
            else:
                run.done = msg
                self.running.pop(run.id, None)
                if not self.closed and (run.owner in self.sinks or run.owner in self.timers):
                    self.finished[run.owner] = run  # the owner's map after a reload
            sink = self.sinks.get(run.owner)
            if sink is not None:
                sink(msg)

    def work(self, run: Running) -> None:
        began = time.perf_counter()
        total = len(run.plan.grid.cells)
        done, error = 0, None
        try:
            backend = self.backend()
            sweep = Sweep(run.plan, backend, sweep_id=run.id, first_alone=True)  # the page's first square soon
            run.sweep = sweep
            if run.stop.is_set():  # cancelled while the pool started
                sweep.cancel()
            for cell in sweep.cells():
                done += 1
                self.deliver(run, {"type": "sweep_cell", "id": run.id, "done": done, "total": total,
                                   "cell": json_safe(cell.as_json(), short=True)})
        except Exception as exc:  # a failed run (a bug, a lost worker): this sweep ends, the server goes on
            log.exception("sweep %s failed", run.id)
            error = str(exc)
        cancelled = run.stop.is_set() and done < total
        self.deliver(run, {"type": "sweep_done", "id": run.id, "done": done, "total": total,
                           "cancelled": cancelled, "error": error, "seconds": round(time.perf_counter() - began, 3)})
        log.info("sweep %s: %d of %d cells in %.1f s%s", run.id, done, total, time.perf_counter() - began,
                 " (cancelled)" if cancelled else "")

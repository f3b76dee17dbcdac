"""The server's sweep service: cells posted as they finish, the cap per client, refusals naming the
field, cancel / drop / close stopping sweeps, a failed run ending only its own sweep, sweeps that
outlive their owner's socket (a reload) and a base config of the lab's own. Backends here are
in-process stand-ins (the real pool is exercised through the websocket in tests/server/web)."""

from __future__ import annotations

import queue
import threading
from concurrent.futures import Future

import pytest

from gan_core.engine.config import ConfigError
from gan_core.engine.snapshot import SnapshotOptions
from gan_core.science.sweep import OUTCOMES
from gan_core.science.sweep.work import execute
from server.sessions import budget
from server.settings import Settings
from server.sweeps.service import SweepService
from server.wire.protocol import SweepRequest

WAIT_S = 60  # generous: the machine is shared


class InlineBackend:
    """Computes each task when submitted (real training, in this process)."""

    name, slots = "inline", 1

    def __init__(self, jobs: int = 1):
        self.closed = False

    def submit(self, task):
        f = Future()
        f.set_result(execute(task))
        return f

    def wait(self, handles, timeout):
        return [(h, h.result()) for h in handles if h.done()]

    def cancel(self, sweep, handles):
        pass

    def close(self):
        self.closed = True


class StuckBackend(InlineBackend):
    """Never finishes a task: a sweep on it runs until cancelled."""

    def __init__(self, jobs: int = 1):
        super().__init__(jobs)
        self.cancelled = threading.Event()

    def submit(self, task):
        return Future()

    def wait(self, handles, timeout):
        self.cancelled.wait(timeout)
        return []

    def cancel(self, sweep, handles):
        self.cancelled.set()


class BrokenBackend(InlineBackend):
    """Every task fails for a reason other than its numbers (a lost worker)."""

    def submit(self, task):
        f = Future()
        f.set_exception(RuntimeError("worker lost"))
        return f

    def wait(self, handles, timeout):
        return [(h, h.exception()) for h in handles]


def service(backend=InlineBackend, **settings):
    base = dict(sweep_jobs=1, sweep_max_cells=6, sweep_max_steps=500)
    return SweepService(Settings(**{**base, **settings}), pool_factory=backend)


def request(grid=("regularizers.r1=0,1",), steps=40, seeds=1, preset="dirac-r1", config=None):
    return SweepRequest(type="sweep", preset=preset, grid=list(grid), seeds=seeds, steps=steps, config=config)


class Inbox:
    """A client's side: what the service posted, in order (posts come from the sweep's thread)."""

    def __init__(self):
        self.q: queue.Queue = queue.Queue()

    def post(self, msg):
        self.q.put(msg)

    def until(self, kind):
        seen = []
        while True:
            msg = self.q.get(timeout=WAIT_S)
            seen.append(msg)
            if msg["type"] == kind:
                return seen


def test_a_sweep_posts_its_start_every_cell_as_it_finishes_then_done():
    svc, inbox, client = service(), Inbox(), object()
    sid = svc.start(client, request(grid=("regularizers.r1=0,1", "optimizer_d.lr=0.1,0.5")), inbox.post)
    msgs = inbox.until("sweep_done")
    started, cells, done = msgs[0], msgs[1:-1], msgs[-1]
    assert started == {"type": "sweep_started", "id": sid, "preset": "dirac-r1", "steps": 40, "seeds": 1,
                       "axes": [{"path": "regularizers.r1", "values": [0, 1]},
                                {"path": "optimizer_d.lr", "values": [0.1, 0.5]}], "cells": 4, "runs": 4,
                       "config": None}
    assert [m["done"] for m in cells] == [1, 2, 3, 4] and {m["total"] for m in cells} == {4}
    assert sorted(m["cell"]["index"] for m in cells) == [0, 1, 2, 3]
    for m in cells:
        c = m["cell"]
        assert c["outcome"] in OUTCOMES and len(c["outcomes"]) == 1 and set(c["params"]) == {
            "regularizers.r1", "optimizer_d.lr"}
        assert c["metrics"]["iterations"] == 40
    assert done["id"] == sid and done["done"] == 4 and not done["cancelled"] and done["error"] is None
    assert svc.queued(client) == 0
    svc.close()


def test_the_cap_counts_each_clients_cells_still_to_run():
    svc = service(StuckBackend, sweep_max_cells=6)
    a, b, inbox = object(), object(), Inbox()
    svc.start(a, request(grid=("regularizers.r1=0,0.1,0.3,1",)), inbox.post)  # 4 of a's 6
    with pytest.raises(ConfigError) as exc:
        svc.start(a, request(grid=("regularizers.r1=0,0.5,2",)), inbox.post)
    assert exc.value.field == "grid"
    assert "3" in exc.value.message and "4 left" in exc.value.message and "at most 6" in exc.value.message
    svc.start(b, request(grid=("regularizers.r1=0,0.1,0.3,1",)), inbox.post)  # another client: its own cap
    assert svc.cancel(a) == 1
    assert inbox.until("sweep_done")[-1]["cancelled"] is True
    svc.start(a, request(grid=("regularizers.r1=0,0.5,2",)), inbox.post)  # room again
    svc.close()


@pytest.mark.parametrize("req, field, words", [
    (request(preset="no-such-preset"), "preset", "no-such-preset"),
    (request(steps=501), "steps", "at most 500"),
    (request(steps=None, preset="ring-collapse"), "steps", "2000 iterations"),  # the preset's own count
    (request(grid=("regularizers.r11=0,1",)), "regularizers.r11", "unknown"),
    (request(grid=("regularizers.r1=0,-1",)), "regularizers.r1", "-1"),
    (request(grid=("regularizers.r1=lin:0:1:7",)), "grid", "6"),  # 7 cells over a cap of 6
])
def test_bad_requests_are_refused_before_anything_runs_naming_the_field(req, field, words):
    made = []
    svc = service(lambda jobs: made.append(jobs) or InlineBackend())
    with pytest.raises(ConfigError) as exc:
        svc.start(object(), req, Inbox().post)
    assert exc.value.field == field and words in exc.value.message
    assert made == [] and svc.running == {}


def test_a_server_without_sweep_workers_says_so():
    with pytest.raises(ConfigError) as exc:
        service(sweep_jobs=0).start(object(), request(), Inbox().post)
    assert exc.value.field == "type" and "--sweep-jobs 0" in exc.value.message


def test_opening_the_map_starts_the_one_shared_pool_which_the_sweeps_then_use():
    made = []
    svc = service(lambda jobs: made.append(InlineBackend(jobs)) or made[-1])
    svc.prepare()
    svc.prepare()  # a second page opening its Map panel: the same pool
    assert len(made) == 1
    inbox = Inbox()
    svc.start(object(), request(), inbox.post)
    assert inbox.until("sweep_done")[-1]["done"] == 2 and len(made) == 1
    svc.close()
    svc.prepare()  # a stopping server starts nothing
    off = []
    service(lambda jobs: off.append(jobs), sweep_jobs=0).prepare()  # sweeps turned off: nothing either
    assert len(made) == 1 and made[0].closed and off == []


def test_a_client_that_leaves_stops_its_sweeps_and_close_stops_the_workers():
    backends = []
    svc = service(lambda jobs: backends.append(StuckBackend()) or backends[-1])
    a, b, ia, ib = object(), object(), Inbox(), Inbox()
    svc.start(a, request(), ia.post)
    svc.start(b, request(), ib.post)
    svc.drop(a)  # gone for good (its grace is over): its sweep stops and is kept for nobody
    for _ in range(WAIT_S * 10):
        if all(r.owner is not a for r in svc.running.values()):
            break
        threading.Event().wait(0.1)
    assert all(r.owner is not a for r in svc.running.values()) and a not in svc.finished
    assert svc.queued(b) == 2  # the other client's sweep goes on
    svc.close()
    assert ib.until("sweep_done")[-1]["cancelled"] is True
    assert len(backends) == 1 and backends[0].closed  # one shared pool, closed at shutdown
    with pytest.raises(ConfigError):
        svc.start(b, request(), ib.post)


def test_a_failed_run_ends_its_sweep_with_the_reason_and_the_service_goes_on():
    svc, inbox = service(BrokenBackend), Inbox()
    svc.start(object(), request(), inbox.post)
    done = inbox.until("sweep_done")[-1]
    assert "worker lost" in done["error"] and done["done"] == 0
    assert svc.running == {}
    svc.start(object(), request(), inbox.post)  # still takes sweeps
    svc.close()


class GatedBackend(InlineBackend):
    """Computes a task only when the test lets one through (gate.release()), so a test can act between cells."""

    def __init__(self, jobs: int = 1):
        super().__init__(jobs)
        self.gate = threading.Semaphore(0)
        self.stopped = threading.Event()

    def submit(self, task):
        f = Future()
        f.task = task
        return f

    def wait(self, handles, timeout):
        for h in handles:
            if not h.done() and self.gate.acquire(timeout=timeout):
                h.set_result(execute(h.task))
                return [(h, h.result())]
        return []

    def cancel(self, sweep, handles):
        self.stopped.set()


def test_a_sweep_outlives_its_socket_and_a_reload_gets_its_cells_so_far_then_the_rest():
    backends = []
    svc = service(lambda jobs: backends.append(GatedBackend()) or backends[-1])
    owner, first, second = object(), Inbox(), Inbox()
    sid = svc.start(owner, request(grid=("regularizers.r1=0,0.5,1",)), first.post)
    gate = None
    while gate is None:
        gate = backends[0].gate if backends else None
    gate.release()
    assert first.until("sweep_cell")[-1]["done"] == 1
    svc.detach(owner, first.post)  # the page reloads: its socket is gone ...
    gate.release()  # ... and a cell finishes meanwhile: kept, posted to nobody
    while svc.queued(owner) != 1:
        threading.Event().wait(0.01)
    svc.attach(owner, second.post)  # the reloaded page: the sweep again, both cells so far, then the third
    gate.release()
    msgs = second.until("sweep_done")
    assert msgs[0]["type"] == "sweep_started" and msgs[0]["id"] == sid and msgs[0]["resumed"] is True
    assert [m["done"] for m in msgs if m["type"] == "sweep_cell"] == [1, 2, 3]
    assert msgs[-1]["cancelled"] is False and first.q.qsize() == 0  # the old socket got nothing more
    # A finished map survives a reload too; a socket already replaced (a second tab) detaches nothing.
    svc.detach(owner, first.post)
    again = Inbox()
    svc.attach(owner, again.post)
    replay = again.until("sweep_done")
    assert [m["type"] for m in replay] == ["sweep_started"] + ["sweep_cell"] * 3 + ["sweep_done"]
    assert not backends[0].stopped.is_set()
    svc.close()


def test_an_owner_not_back_within_the_grace_period_has_its_sweeps_stopped():
    svc, inbox, owner = service(StuckBackend, resume_grace_s=0.2), Inbox(), object()
    svc.start(owner, request(), inbox.post)
    svc.detach(owner, inbox.post)
    deadline = threading.Event()
    for _ in range(WAIT_S * 10):
        if svc.queued(owner) == 0 and not svc.running:
            break
        deadline.wait(0.1)
    assert svc.running == {} and svc.finished == {}  # stopped, and nothing kept for an owner that is gone
    assert inbox.q.qsize() == 1  # only sweep_started: nothing was posted to the socket that left
    svc.close()


def test_a_sweep_of_the_labs_own_config_starts_every_cell_from_it():
    svc, inbox = service(sweep_max_steps=5000), Inbox()
    own = {"target": {"name": "dirac"}, "optimizer_g": {"name": "sgd", "lr": 0.07}}
    plan = svc.check(object(), request(preset=None, config=own, steps=None))
    assert plan.preset is None and plan.steps == 2000 and {c.config.optimizer_g.lr for c in plan.grid.cells} == {0.07}
    edited = svc.check(object(), request(config={**own, "regularizers": {"r1": 0.3}}))  # a preset, edited
    assert edited.preset == "dirac-r1" and edited.steps == 40 and [c.config.regularizers.r1 for c in edited.grid.cells] == [0, 1]
    assert {c.config.optimizer_g.lr for c in edited.grid.cells} == {0.07}
    sid = svc.start(object(), request(preset=None, config=own, steps=30), inbox.post)
    msgs = inbox.until("sweep_done")
    assert msgs[0]["id"] == sid and msgs[0]["preset"] is None and msgs[0]["config"]["optimizer_g"]["lr"] == 0.07
    assert [m["cell"]["metrics"]["iterations"] for m in msgs[1:-1]] == [30, 30]
    svc.close()


@pytest.mark.parametrize("req, field, words", [
    (request(config={"optimizer_d": {"lr": -1}}), "config.optimizer_d.lr", "greater than"),
    (request(config={"optimizer_dd": {}}), "config.optimizer_dd", "optimizer_dd"),
    (request(preset=None), "preset", "a config"),
])
def test_a_bad_base_config_is_refused_naming_its_path(req, field, words):
    with pytest.raises(ConfigError) as exc:
        service().start(object(), req, Inbox().post)
    assert exc.value.field == field and words in exc.value.message


def test_a_base_config_over_a_sessions_budget_is_refused_as_a_configure_would_be():
    big = {"discriminator": {"width": 512, "depth": 6}, "training": {"batch_size": 2048, "k_d": 50}}
    settings = Settings(sweep_jobs=1, sweep_max_cells=6, sweep_max_steps=500)
    svc = SweepService(settings, pool_factory=InlineBackend,
                       check_base=lambda cfg: budget.check(cfg, SnapshotOptions(), settings))
    with pytest.raises(ConfigError) as exc:
        svc.start(object(), request(config=big), Inbox().post)
    assert exc.value.field.startswith("config.") and "budget" in exc.value.message and svc.running == {}

"""server.sessions.pool: sessions on worker processes (settings.workers > 0, the default on 2+ cores)
speak the same protocol as on the host thread of workers=0; a host that stops, process or thread,
ends its sessions clearly and is replaced."""

import os
import signal
import threading
import time

import pytest
from starlette.websockets import WebSocketDisconnect

from server.sessions.host import Trimmer
from tests.server.conftest import SMALL, hello, make_client, recv

WARM_UP_S = 60  # a spawned worker imports torch and trains one step before it says "ready"


def wait_ready(client, n: int) -> None:
    deadline = time.monotonic() + WARM_UP_S
    while time.monotonic() < deadline:
        w = client.get("/healthz").json()["workers"]
        if w["ready"] == n:
            return
        time.sleep(0.1)
    pytest.fail(f"workers not ready after {WARM_UP_S} s: {w}")


@pytest.fixture(scope="module")
def wclient():
    with make_client(workers=1, max_sessions=4) as c:
        wait_ready(c, 1)
        yield c


def test_health_reports_the_workers(wclient):
    w = wclient.get("/healthz").json()["workers"]
    assert w == {"configured": 1, "alive": 1, "ready": 1, "in_process": False}


def test_hello_play_configure_and_errors_on_a_worker(wclient):
    with wclient.websocket_connect("/ws") as ws:
        ready = hello(ws, config=SMALL)
        assert ready["config"]["target"]["name"] == "gaussian-1d" and ready["token"]
        header, arrays = recv(ws, "frame")
        assert header["iteration"] == 0 and arrays["grid_x"].ndim == 1
        ws.send_json({"type": "play"})
        its = [recv(ws, "frame")[0]["iteration"] for _ in range(5)]
        assert its == sorted(its) and its[-1] > its[0]
        ws.send_json({"type": "configure", "patch": {"optimizer_d": {"lr": 0.002}}})
        cfg = recv(ws, "config")
        assert cfg["config"]["optimizer_d"]["lr"] == 0.002 and cfg["rebuilt"] is False
        rev = cfg["config_rev"]
        header, _ = recv(ws, "frame")
        while header["config_rev"] < rev:  # frames taken before the change may still be on their way
            header, _ = recv(ws, "frame")
        ws.send_json({"type": "configure", "patch": {"optimizer_d": {"lr": -1}}})
        err = recv(ws, "error")
        assert err["field"] == "optimizer_d.lr"
        ws.send_json({"type": "ping"})
        recv(ws, "pong")  # the session lives on


def test_resume_after_a_drop_keeps_the_experiment(wclient):
    with wclient.websocket_connect("/ws") as ws:
        ready = hello(ws, config=SMALL)
        ws.send_json({"type": "step", "n": 7})
        st = recv(ws, "status")
        while st["iteration"] < 7:
            st = recv(ws, "status")
    with wclient.websocket_connect("/ws") as ws:
        again = hello(ws, resume=ready["token"])
        assert again["resumed"] is True and again["session"] == ready["session"]
        assert recv(ws, "frame")[0]["iteration"] == 7


def test_export_then_import_round_trips_through_a_worker(wclient):
    with wclient.websocket_connect("/ws") as ws:
        hello(ws, config=SMALL)
        ws.send_json({"type": "step", "n": 5})
        while recv(ws, "status")["iteration"] < 5:
            pass
        ws.send_json({"type": "export", "weights": True})
        data = recv(ws, "export")["data"]
        assert data["iteration"] == 5 and data["weights"]
    with wclient.websocket_connect("/ws") as ws:
        hello(ws, config=SMALL)
        ws.send_json({"type": "import", "data": data})
        cfg = recv(ws, "config")
        assert cfg["rebuilt"] is True
        header, _ = recv(ws, "frame")
        while header["config_rev"] < cfg["config_rev"]:
            header, _ = recv(ws, "frame")
        assert header["iteration"] == 5


def test_sending_to_a_worker_that_does_not_read_returns_at_once(wclient):
    """A pipe write to a busy worker never blocks the caller (the front's event loop, issue 14): a
    worker that reads nothing (stopped with SIGSTOP here) still leaves Pool.send returning at once,
    and the worker, going on, still serves its sessions. Its address space is capped (host.limit_memory)."""
    pool = wclient.app.state.manager.pool
    pid = pool.runners[0].pid
    with open(f"/proc/{pid}/limits") as f:
        assert next(line for line in f if line.startswith("Max address space")).split()[3] != "unlimited"
    os.kill(pid, signal.SIGSTOP)  # as busy as a worker can be: it reads nothing
    try:
        done = threading.Event()

        def hand_over():
            for _ in range(8):  # 8 MB: far more than a pipe's buffer (64 KiB)
                pool.send(0, ("raw", "no-such-session", "x" * 2**20))
            done.set()

        threading.Thread(target=hand_over, daemon=True).start()
        assert done.wait(5), "Pool.send blocked on a worker that was not reading"
    finally:
        os.kill(pid, signal.SIGCONT)
    with wclient.websocket_connect("/ws") as ws:
        hello(ws, config=SMALL)
        ws.send_json({"type": "ping"})
        recv(ws, "pong")


def test_a_dead_worker_ends_its_sessions_clearly_and_is_replaced(wclient):
    """(Last of the tests on the module's worker: it kills it.)"""
    pool = wclient.app.state.manager.pool
    with wclient.websocket_connect("/ws") as ws:
        hello(ws, config=SMALL)
        recv(ws, "frame")
        pool.runners[0].kill()
        err = recv(ws, "error")
        assert "worker stopped" in err["message"]
        with pytest.raises(WebSocketDisconnect) as closed:
            recv(ws, "never")
        assert closed.value.code == 1011
    wait_ready(wclient, 1)  # a new process took its place
    with wclient.websocket_connect("/ws") as ws:
        hello(ws, config=SMALL)
        assert recv(ws, "frame")[0]["iteration"] == 0


def test_a_crashed_host_thread_ends_its_sessions_and_is_replaced(monkeypatch):
    """workers=0 goes the same way as a dead worker process: a bug in the host loop itself (not in
    one session, which only ends that session) ends its sessions with an error and close 1011, and
    a new host thread serves the next page."""
    boom = threading.Event()
    real_poll = Trimmer.poll

    def poll(self):  # called by the host loop every round, outside any one session's turn
        if boom.is_set():
            boom.clear()
            raise RuntimeError("a bug in the host loop")
        real_poll(self)

    monkeypatch.setattr(Trimmer, "poll", poll)
    with make_client(workers=0) as c:
        wait_ready(c, 1)
        with c.websocket_connect("/ws") as ws:
            hello(ws, config=SMALL)
            recv(ws, "frame")
            boom.set()
            ws.send_json({"type": "ping"})  # wakes the idle loop
            err = recv(ws, "error")
            assert "worker stopped" in err["message"]
            with pytest.raises(WebSocketDisconnect) as closed:
                recv(ws, "never")
            assert closed.value.code == 1011
        wait_ready(c, 1)
        with c.websocket_connect("/ws") as ws:
            hello(ws, config=SMALL)
            assert recv(ws, "frame")[0]["iteration"] == 0

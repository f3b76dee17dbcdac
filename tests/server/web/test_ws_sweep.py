"""Sweeps over the websocket, on the real warm pool of sweep workers: cells arrive as they finish, the
session beside it keeps working, bad requests and a full queue get an error naming the field, cancel
stops a sweep, and the server shuts its workers down."""

from __future__ import annotations

import pytest

from tests.server.conftest import SMALL, hello, make_client, recv

DIRAC = {"type": "sweep", "preset": "dirac-r1", "grid": ["regularizers.r1=0,1", "optimizer_d.lr=0.1,0.5"],
         "seeds": 1, "steps": 60}


@pytest.fixture(scope="module")
def client():
    """One server for the module: its pool of sweep workers starts once (torch imported per worker)."""
    with make_client(sweep_jobs=1, sweep_max_cells=6) as c:
        yield c


def frame_at(ws, iteration: int) -> dict:
    for _ in range(50):
        header, _arrays = recv(ws, "frame")
        if header["iteration"] == iteration:
            return header
    raise AssertionError(f"no frame at iteration {iteration}")


def test_a_sweep_over_the_socket_fills_its_map_while_the_session_steps_on(client):
    with client.websocket_connect("/ws") as ws:
        hello(ws, config=SMALL)
        ws.send_json({"type": "sweep_prepare"})  # the page opened its Map panel: no answer, the workers start
        ws.send_json(DIRAC)
        started = recv(ws, "sweep_started")
        assert started["cells"] == 4 and [a["path"] for a in started["axes"]] == ["regularizers.r1", "optimizer_d.lr"]
        # The session is answered while the sweep runs (the sweep is off the loop and off the session's host).
        ws.send_json({"type": "step", "n": 3})
        assert frame_at(ws, 3)["iteration"] == 3
        # Over the cap (4 queued + 4 > 6): refused at once, naming the field; the running sweep goes on.
        ws.send_json(DIRAC)
        err = recv(ws, "error")
        assert err["field"] == "grid" and "at most 6 per client" in err["message"]
        cells = [recv(ws, "sweep_cell") for _ in range(4)]
        assert sorted(c["cell"]["index"] for c in cells) == [0, 1, 2, 3]
        assert all(c["id"] == started["id"] for c in cells)
        by_r1 = {c["cell"]["params"]["regularizers.r1"]: c["cell"]["outcome"] for c in cells
                 if c["cell"]["params"]["optimizer_d.lr"] == 0.5}
        assert by_r1[0] != "converged"  # without R1 the Dirac game does not settle ...
        done = recv(ws, "sweep_done")
        assert done["done"] == 4 and done["cancelled"] is False and done["error"] is None


def test_a_bad_sweep_names_its_field_and_cancel_stops_a_sweep(client):
    with client.websocket_connect("/ws") as ws:
        hello(ws, config=SMALL)
        ws.send_json({**DIRAC, "grid": ["optimizer_d.lrr=0.1,1"]})
        err = recv(ws, "error")
        assert err["field"] == "optimizer_d.lrr" and "unknown" in err["message"]
        ws.send_json({**DIRAC, "seeds": 40})
        assert recv(ws, "error")["field"] == "seeds"
        ws.send_json({**DIRAC, "grid": ["regularizers.r1=lin:0:1:7"], "steps": 12000, "seeds": 2})
        assert recv(ws, "error")["field"] == "grid"  # 7 cells: over this server's cap of 6
        ws.send_json({**DIRAC, "grid": ["regularizers.r1=lin:0:1:6"], "steps": 12000, "seeds": 2})
        sid = recv(ws, "sweep_started")["id"]
        ws.send_json({"type": "sweep_cancel", "id": sid})
        done = recv(ws, "sweep_done")
        assert done["id"] == sid and done["cancelled"] is True and done["done"] < 6
        ws.send_json({"type": "ping"})  # the connection goes on
        assert recv(ws, "pong")["type"] == "pong"


def test_a_sweep_of_the_labs_config_outlives_a_reload_and_its_cells_come_back(client):
    """The base config travels in the message (errors name config.<path>); the socket drops mid-sweep and
    the page resumes with its token: the sweep is sent again with its cells so far, then the rest."""
    with client.websocket_connect("/ws") as ws:
        ready = hello(ws, config=SMALL)
        ws.send_json({**DIRAC, "config": {"optimizer_d": {"lr": 0}}})
        err = recv(ws, "error")
        assert err["field"] == "config.optimizer_d.lr" and "greater than" in err["message"]
        own = {"target": {"name": "dirac"}, "regularizers": {"r1": 0.3}, "optimizer_g": {"name": "sgd", "lr": 0.2}}
        ws.send_json({**DIRAC, "preset": None, "config": own, "grid": ["optimizer_d.lr=0.1,0.2,0.3,0.4"]})
        started = recv(ws, "sweep_started")
        assert started["preset"] is None and started["config"]["optimizer_g"]["lr"] == 0.2
        recv(ws, "sweep_cell")
    with client.websocket_connect("/ws") as ws:
        ws.send_json({"type": "hello", "resume": ready["token"]})
        again = recv(ws, "sweep_started")
        assert again["id"] == started["id"] and again["resumed"] is True and again["config"] == started["config"]
        cells = [recv(ws, "sweep_cell") for _ in range(4)]
        assert [c["done"] for c in cells] == [1, 2, 3, 4]
        assert {c["cell"]["params"]["optimizer_d.lr"] for c in cells} == {0.1, 0.2, 0.3, 0.4}
        done = recv(ws, "sweep_done")
        assert done["id"] == started["id"] and done["cancelled"] is False and done["done"] == 4

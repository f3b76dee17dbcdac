"""The websocket through Starlette's TestClient: every message type, every error path, limits."""

from __future__ import annotations

import base64
import io
import json
import pickle
from pathlib import Path
from urllib.parse import parse_qs

import pytest
import torch
from starlette.websockets import WebSocketDisconnect

from gan_core.engine import saved
from gan_core.engine.config import SCHEMA_VERSION
from tests.server.conftest import SMALL, hello, make_client, recv

V1 = Path(__file__).resolve().parents[2] / "fixtures" / "schema_v1"  # written by the schema-1 lab


def test_hello_ready_then_a_frame(client):
    with client.websocket_connect("/ws") as ws:
        ready = hello(ws, config=SMALL)
        assert ready["protocol"] == 1 and ready["token"] and ready["resumed"] is False
        assert ready["config"]["target"]["name"] == "gaussian-1d"
        header, arrays = recv(ws, "frame")
        assert header["iteration"] == 0 and header["dim"] == 1 and arrays["grid_x"].ndim == 1


def test_play_trains_and_pause_stops(client):
    with client.websocket_connect("/ws") as ws:
        hello(ws, config=SMALL)
        ws.send_json({"type": "play"})
        assert recv(ws, "status")["state"] == "paused"  # the one sent on attach
        assert recv(ws, "status")["state"] == "running"
        its = [recv(ws, "frame")[0]["iteration"] for _ in range(5)]
        assert its == sorted(its) and its[-1] > its[0]
        ws.send_json({"type": "pause"})
        st = recv(ws, "status")
        while st["state"] != "paused":
            st = recv(ws, "status")
        last = st["iteration"]  # where it stopped
        ws.send_json({"type": "set_view", "samples": 64})  # a change gets a frame: no training since
        it = recv(ws, "frame")[0]["iteration"]
        while it != last:  # a frame taken before the pause may still be on its way; none is newer
            assert it < last
            it = recv(ws, "frame")[0]["iteration"]
        ws.send_json({"type": "step", "n": 3})
        st = recv(ws, "status")
        assert st["state"] == "paused" and st["iteration"] == last + 3


def test_step_parts_and_reset(client):
    with client.websocket_connect("/ws") as ws:
        hello(ws, config=SMALL)
        ws.send_json({"type": "step", "n": 1, "part": "d"})
        assert recv(ws, "status")["iteration"] == 0  # attach status
        assert recv(ws, "status")["iteration"] == 0  # one D update completes no iteration
        ws.send_json({"type": "step", "n": 1, "part": "g"})
        assert recv(ws, "status")["iteration"] == 1
        ws.send_json({"type": "reset", "seed": 5})
        cfg = recv(ws, "config")
        assert cfg["config"]["seed"] == 5 and cfg["rebuilt"] is True
        assert recv(ws, "status")["iteration"] == 0


def test_configure_shows_in_the_next_frame(client):
    with client.websocket_connect("/ws") as ws:
        hello(ws)  # reference 2D ring
        assert recv(ws, "frame")[0]["d_kind"] == "probability"
        ws.send_json({"type": "configure", "patch": {"objective": {"name": "wasserstein"}}})
        cfg = recv(ws, "config")
        assert cfg["rebuilt"] is False and cfg["config"]["objective"]["name"] == "wasserstein"
        header, _ = recv(ws, "frame")
        assert header["d_kind"] == "score" and header["config_rev"] == cfg["config_rev"]
        ws.send_json({"type": "configure", "patch": {"generator": {"width": 16}}})
        cfg = recv(ws, "config")
        assert cfg["rebuilt"] is True
        assert recv(ws, "status")["rebuilt"] is True


def test_set_view_changes_what_frames_carry(client):
    with client.websocket_connect("/ws") as ws:
        hello(ws)
        recv(ws, "frame")
        ws.send_json({"type": "set_view", "samples": 100, "grid": 16, "manifold": 0, "gradients": False, "fps": 5})
        header, arrays = recv(ws, "frame")
        assert arrays["real"].shape == (100, 2) and arrays["d_surface"].shape == (16, 16)
        assert "manifold" not in arrays and "fake_grad" not in arrays
        ws.send_json({"type": "set_view", "grid": 300})  # fine in 1D, too fine in 2D
        err = recv(ws, "error")
        assert err["field"] == "grid" and "128" in err["message"]


def test_draw_switches_to_a_drawn_target(client):
    with client.websocket_connect("/ws") as ws:
        hello(ws)
        ws.send_json({"type": "draw", "points": [[0, 0], [1, 1], [1, 0]]})
        cfg = recv(ws, "config")
        assert cfg["config"]["target"]["name"] == "drawn" and len(cfg["config"]["target"]["points"]) == 3
        ws.send_json({"type": "draw", "points": [[0, 1000]]})
        err = recv(ws, "error")
        assert err["field"] == "points" and "within" in err["message"]


def test_export_then_import_restores_the_weights(client):
    with client.websocket_connect("/ws") as ws:
        hello(ws, config=SMALL)
        ws.send_json({"type": "step", "n": 5})
        while recv(ws, "status")["iteration"] < 5:
            pass
        ws.send_json({"type": "export", "weights": True})
        data = recv(ws, "export")["data"]
        assert data["iteration"] == 5 and len(data["history"]) == 5 and data["config"]["target"]["name"] == "gaussian-1d"
        state = torch.load(io.BytesIO(base64.b64decode(data["weights"])), weights_only=True)
        w = state["generator"]
        ws.send_json({"type": "reset", "seed": 9})
        recv(ws, "config")
        ws.send_json({"type": "import", "data": data})
        cfg = recv(ws, "config")
        assert cfg["config"] == data["config"]
        ws.send_json({"type": "export", "weights": True})
        again = torch.load(io.BytesIO(base64.b64decode(recv(ws, "export")["data"]["weights"])), weights_only=True)
        assert again["iteration"] == 5
        for k in w:
            assert torch.equal(w[k], again["generator"][k])


class _Evil:
    def __reduce__(self):
        return (print, ("pwned",))


@pytest.mark.parametrize("data, field", [
    ({}, "data.config"),
    ({"config": {"optimizer_d": {"lr": -1}}}, "data.config.optimizer_d.lr"),
    ({"config": {}, "weights": 5}, "data.weights"),
    ({"config": {}, "weights": "@@not base64@@"}, "data.weights"),
    ({"config": {}, "weights": base64.b64encode(pickle.dumps(_Evil())).decode()}, "data.weights"),
    ({"config": {}, "weights": base64.b64encode(b"junk").decode()}, "data.weights"),
])
def test_bad_imports_are_refused_by_field(client, data, field):
    with client.websocket_connect("/ws") as ws:
        hello(ws, config=SMALL)
        ws.send_json({"type": "import", "data": data})
        err = recv(ws, "error")
        assert err["field"] == field, err
        ws.send_json({"type": "ping"})
        recv(ws, "pong")  # the session lives on


def test_weights_that_do_not_fit_the_config(client):
    with client.websocket_connect("/ws") as ws:
        hello(ws, config=SMALL)
        ws.send_json({"type": "export"})
        data = recv(ws, "export")["data"]
        data["config"]["generator"]["width"] = 9
        ws.send_json({"type": "import", "data": data})
        err = recv(ws, "error")
        assert err["field"] == "data.weights" and "fit" in err["message"]


@pytest.mark.parametrize("msg, field, words", [
    ("{oops", None, "not valid JSON"),
    ('{"type": "warp"}', "type", "unknown message type"),
    ('{"type": "step", "n": "many"}', "n", "integer"),
    ('{"type": "step", "n": 5000}', "n", "1000"),
    ('{"type": "configure", "patch": {"optimizer_d": {"lr": 100}}}', "optimizer_d.lr", "less than or equal"),
    ('{"type": "configure", "patch": {"training": {"k_dd": 2}}}', "training.k_dd", "xtra"),
    ('{"type": "configure", "patch": {"objective": {"name": "magic"}}}', "objective.name", "minimax"),
    ('{"type": "preset", "name": "no-such-preset"}', "name", "unknown preset"),
    ('{"type": "hello"}', "type", "already started"),
])
def test_bad_input_gets_an_error_and_the_session_lives_on(client, msg, field, words):
    with client.websocket_connect("/ws") as ws:
        hello(ws, config=SMALL)
        ws.send_text(msg)
        err = recv(ws, "error")
        assert err["field"] == field and words in err["message"], err
        ws.send_json({"type": "step", "n": 1})
        assert recv(ws, "frame")[0]["iteration"] >= 0
        ws.send_json({"type": "ping"})
        recv(ws, "pong")


def test_before_hello_and_bad_hello(client):
    with client.websocket_connect("/ws") as ws:
        ws.send_json({"type": "play"})
        assert recv(ws, "error")["field"] == "type"
        ws.send_json({"type": "hello", "config": {"seed": -1}})
        assert recv(ws, "error")["field"] == "seed"
        ws.send_json({"type": "hello", "preset": "nope"})
        assert recv(ws, "error")["field"] == "preset"
        ws.send_bytes(b"\x00\x01")
        assert "binary" in recv(ws, "error")["message"]
        assert hello(ws, config=SMALL)["resumed"] is False


def test_oversized_message_and_flood():
    with make_client(max_message_bytes=2048, rate_per_s=5, rate_burst=10) as c, c.websocket_connect("/ws") as ws:
        hello(ws, config=SMALL)
        ws.send_text(json.dumps({"type": "configure", "patch": {"x": "a" * 5000}}))
        assert "too large" in recv(ws, "error")["message"]
        for _ in range(40):
            ws.send_json({"type": "ping"})
        err = recv(ws, "error")
        assert "rate limit" in err["message"] and err["field"] is None
        c.get("/healthz")  # the server is fine


def test_session_cap_closes_with_server_full():
    with make_client(max_sessions=1) as c, c.websocket_connect("/ws") as first:
        hello(first, config=SMALL)
        with c.websocket_connect("/ws") as second:
            second.send_json({"type": "hello"})
            assert "server full" in recv(second, "error")["message"]
            with pytest.raises(WebSocketDisconnect) as exc:
                recv(second, "never")
        assert exc.value.code == 1013 and exc.value.reason == "server full"
        assert c.get("/healthz").json()["sessions"] == 1


def test_resume_after_disconnect_keeps_the_run(client):
    with client.websocket_connect("/ws") as ws:
        ready = hello(ws, config=SMALL)
        ws.send_json({"type": "step", "n": 7})
        while recv(ws, "status")["iteration"] < 7:
            pass
    with client.websocket_connect("/ws") as ws:
        again = hello(ws, resume=ready["token"])
        assert again["resumed"] is True and again["session"] == ready["session"]
        # The page that reloaded gets the curves so far, then frames from where the run is.
        assert recv(ws, "history")["branches"][0]["losses"]["iteration"] == list(range(1, 8))
        assert recv(ws, "frame")[0]["iteration"] == 7
    with client.websocket_connect("/ws") as ws:
        ws.send_json({"type": "hello", "resume": "forged-token"})
        assert recv(ws, "error")["field"] == "resume"
        assert recv(ws, "ready")["resumed"] is False


def test_idle_session_pauses_then_ends():
    with make_client(idle_pause_s=0.3, idle_timeout_s=1.5) as c, c.websocket_connect("/ws") as ws:
        hello(ws, config=SMALL)
        ws.send_json({"type": "play"})
        notice = recv(ws, "notice")
        assert "paused" in notice["message"]
        with pytest.raises(WebSocketDisconnect) as exc:
            recv(ws, "never", limit=10_000)
        assert exc.value.code == 1008 and exc.value.reason == "idle timeout"


def test_bad_origin_is_refused(client):
    with client.websocket_connect("/ws", headers={"origin": "http://evil.example"}) as ws:
        assert "origin" in recv(ws, "error")["message"]
        with pytest.raises(WebSocketDisconnect) as exc:
            ws.receive_json()
        assert exc.value.code == 1008
    with client.websocket_connect("/ws", headers={"origin": "http://127.0.0.1:8000"}) as ws:
        assert hello(ws, config=SMALL)["token"]


def test_divergence_reports_diverged(client):
    cfg = {**SMALL, "optimizer_d": {"name": "sgd", "lr": 10}, "optimizer_g": {"name": "sgd", "lr": 10},
           "objective": {"name": "wasserstein", "clip": 10}, "regularizers": {"weight_clip": 0}}
    with client.websocket_connect("/ws") as ws:
        hello(ws, config=cfg)
        ws.send_json({"type": "play"})
        for _ in range(200):
            st = recv(ws, "status")
            if st["state"] == "diverged":
                break
        assert st["state"] == "diverged" and "non-finite" in st["message"]
        ws.send_json({"type": "play"})
        assert "diverged" in recv(ws, "error")["message"]


def test_presets_by_hello_and_by_message(client):
    presets = client.get("/api/presets").json()
    assert presets and {"name", "title", "description", "view", "config"} <= presets[0].keys()
    first, last = presets[0], presets[-1]
    with client.websocket_connect("/ws") as ws:
        ready = hello(ws, preset=first["name"])
        assert ready["preset"] == first["name"] and ready["config"]["target"]["name"] == first["config"]["target"]["name"]
        ws.send_json({"type": "preset", "name": last["name"]})
        cfg = recv(ws, "config")
        assert cfg["preset"] == last["name"] and cfg["rebuilt"] is True
        assert cfg["config"]["target"]["name"] == last["config"]["target"]["name"]


def test_hello_with_a_preset_and_a_config_runs_the_config_modified_from_the_preset(client):
    # A link to an edited preset (the page's hash keeps the preset as the origin) says so.
    base = next(q for q in client.get("/api/presets").json() if q["name"] == "gaussian-1d")["config"]
    edited = {**base, "optimizer_g": {"lr": 0.003}}
    with client.websocket_connect("/ws") as ws:
        ready = hello(ws, preset="gaussian-1d", config=edited)
        assert ready["preset"] == "gaussian-1d" and ready["modified"] is True
        assert ready["config"]["optimizer_g"]["lr"] == 0.003
    with client.websocket_connect("/ws") as ws:
        ready = hello(ws, preset="gaussian-1d", config=base)
        assert ready["preset"] == "gaussian-1d" and ready["modified"] is False
    with client.websocket_connect("/ws") as ws:
        ws.send_json({"type": "hello", "preset": "nope", "config": base})
        assert recv(ws, "error")["field"] == "preset"  # an unknown origin is named, not kept


def _v1_link_config(name):
    """The config the page sends for a v1 link: its `c=` diff, marked as schema version 1."""
    q = parse_qs(json.loads((V1 / "links.json").read_text())[name]["hash"].lstrip("#"))
    c = q["c"][0]
    return {**json.loads(base64.urlsafe_b64decode(c + "=" * (-len(c) % 4))), "schema_version": 1}


def test_v1_links_saved_experiments_and_config_files_still_open(client):
    with client.websocket_connect("/ws") as ws:
        ready = hello(ws, config=_v1_link_config("ring_sgd_d"))
        assert ready["config"]["optimizer_d"] == {"name": "sgd", "lr": 0.05, "weight_decay": 0.0}
        data = json.loads((V1 / "export_ring_sgd.json").read_text())
        ws.send_json({"type": "import", "data": data})
        cfg = recv(ws, "config")["config"]
        assert cfg["target"]["modes"] == 6 and cfg["optimizer_g"]["alpha"] == 0.95
        ws.send_json({"type": "export", "weights": True})
        again = recv(ws, "export")["data"]
        assert again["schema_version"] == SCHEMA_VERSION and again["iteration"] == 7 and again["config"] == cfg
        assert again["version"] == saved.VERSION  # the file format's own version (3: curves, averages)
        w0 = torch.load(io.BytesIO(base64.b64decode(data["weights"])), weights_only=True)["generator"]
        w1 = torch.load(io.BytesIO(base64.b64decode(again["weights"])), weights_only=True)["generator"]
        assert all(torch.equal(w0[k], w1[k]) for k in w0)
        # The page imports a bare config file as a patch marked with the version it assumes.
        page_file = json.loads((V1 / "links.json").read_text())["grid"]["config"]
        ws.send_json({"type": "configure", "patch": {**page_file, "schema_version": 1}})
        assert recv(ws, "config")["config"]["target"] == {"name": "grid", "modes": 5, "spacing": 2.0, "std": 0.05,
                                                          "weights": None}


def test_a_v1_link_sent_as_current_is_refused_naming_the_field(client):
    config = _v1_link_config("default_ring")
    del config["schema_version"]
    with client.websocket_connect("/ws") as ws:
        ws.send_json({"type": "hello", "config": config})
        err = recv(ws, "error")
        assert err["field"] in ("target.means", "target.stds") and "not a field of target 'ring'" in err["message"]

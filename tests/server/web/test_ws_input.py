"""Strict, finite input and connection rules on /ws (issue 14): each bad message gets an `error`
naming the field and the connection stays; a socket that never says hello is closed with 1008
'no hello'; a resumed session's token is replaced, so a replayed old one takes nothing."""

from __future__ import annotations

import json
import time

import pytest
from starlette.websockets import WebSocketDisconnect

from tests.server.conftest import SMALL, hello, make_client, recv

# A defect here used to drop the connection without a close frame, which leaves TestClient waiting.
pytestmark = pytest.mark.timeout(120)


def _alive(ws) -> None:
    ws.send_json({"type": "ping"})
    recv(ws, "pong")


def test_json_nested_a_thousand_deep_gets_an_error_and_the_connection_stays(client):
    with client.websocket_connect("/ws") as ws:
        hello(ws, config=SMALL)
        for depth in (900, 1000, 5000):
            ws.send_text('{"type": "configure", "patch": ' + "[" * depth + "]" * depth + "}")
            err = recv(ws, "error")
            assert err["type"] == "error", err
            _alive(ws)


@pytest.mark.parametrize("config, field", [
    ({"target": {"name": "gaussian-2d", "cov": [[1e200, 0], [0, 1]]}}, "target.cov"),
    ({"target": {"name": "gaussian-2d", "mean": [1e300, 0]}}, "target.mean"),
    ({"target": {"name": "ring", "weights": [1e308] * 8}}, "target.weights"),
    ({"optimizer_d": {"lr": "0.1"}}, "optimizer_d.lr"),
    ({"generator": {"width": "64"}}, "generator.width"),
    ({"seed": "7"}, "seed"),
    ({"discriminator": {"spectral_norm": "true"}}, "discriminator.spectral_norm"),
])
def test_hello_and_configure_refuse_overflowing_and_quoted_numbers_by_field(client, config, field):
    with client.websocket_connect("/ws") as ws:
        ws.send_json({"type": "hello", "config": config})
        err = recv(ws, "error")
        assert err["field"].startswith(field), err
        hello(ws, config=SMALL)  # the same socket still starts a session
        ws.send_json({"type": "configure", "patch": config})
        err = recv(ws, "error")
        assert err["field"].startswith(field), err
        _alive(ws)


def test_non_finite_numbers_in_json_text_are_refused_by_field(client):
    with client.websocket_connect("/ws") as ws:
        hello(ws, config={"target": {"name": "gaussian-2d"}})
        ws.send_text('{"type": "configure", "patch": {"target": {"mean": [NaN, 0]}}}')
        assert recv(ws, "error")["field"].startswith("target.mean")
        ws.send_text('{"type": "draw", "points": [[0, Infinity]]}')
        assert recv(ws, "error")["field"].startswith("points")
        ws.send_text('{"type": "set_view", "fps": NaN}')
        assert recv(ws, "error")["field"] == "fps"
        _alive(ws)


def test_a_silent_socket_is_closed_with_1008_no_hello():
    with make_client(hello_timeout_s=0.5) as c, c.websocket_connect("/ws") as ws:
        with pytest.raises(WebSocketDisconnect) as exc:
            recv(ws, "never")
        assert (exc.value.code, exc.value.reason) == (1008, "no hello")


def test_a_socket_that_talks_but_never_says_hello_is_closed_at_the_deadline():
    with make_client(hello_timeout_s=1.0) as c, c.websocket_connect("/ws") as ws:
        began = time.monotonic()
        with pytest.raises(WebSocketDisconnect) as exc:
            for _ in range(100):
                ws.send_json({"type": "ping"})  # each gets "send hello first", none is a hello
                assert recv(ws, "error")["field"] == "type"
                time.sleep(0.1)
        assert (exc.value.code, exc.value.reason) == (1008, "no hello")
        assert time.monotonic() - began < 5


def test_resume_rotates_the_token_and_a_replayed_old_token_takes_nothing(client):
    with client.websocket_connect("/ws") as ws:
        first = hello(ws, config=SMALL)
    with client.websocket_connect("/ws") as ws:
        again = hello(ws, resume=first["token"])
        assert again["resumed"] is True and again["session"] == first["session"]
        assert again["token"] != first["token"]
        with client.websocket_connect("/ws") as thief:
            thief.send_json({"type": "hello", "resume": first["token"]})
            assert recv(thief, "error")["field"] == "resume"
            stranger = recv(thief, "ready")
            assert stranger["resumed"] is False and stranger["session"] != first["session"]
        _alive(ws)  # the rightful page was not taken over
    with client.websocket_connect("/ws") as ws:
        third = hello(ws, resume=again["token"])  # the newest token still works, once
        assert third["session"] == first["session"] and third["token"] not in (first["token"], again["token"])


def test_a_draw_far_over_its_size_is_refused_before_parsing_and_small_messages_stay_small():
    with make_client() as c, c.websocket_connect("/ws") as ws:
        hello(ws, config=SMALL)
        big = json.dumps({"type": "draw", "points": [[0.1, 0.2]] * 100_000})  # 1.2 MB
        ws.send_text(big)
        err = recv(ws, "error")
        assert "too large" in err["message"] and "draw" in err["message"], err
        # A ping padded past the small messages' limit is refused the same way.
        ws.send_text('{"type": "ping"' + " " * 40_000 + "}")
        err = recv(ws, "error")
        assert "too large" in err["message"] and "ping" in err["message"], err
        # A big message must say its type first, so its limit is known before parsing.
        ws.send_text(json.dumps({"points": [[0.1, 0.2]] * 3000, "type": "draw"}))
        err = recv(ws, "error")
        assert "type" in err["message"] and err["field"] == "type", err
        # A full 5,000-point drawing still goes through.
        ws.send_text(json.dumps({"type": "draw", "points": [[0.123456789, -0.987654321]] * 5000}))
        assert recv(ws, "config")["config"]["target"]["name"] == "drawn"
        _alive(ws)

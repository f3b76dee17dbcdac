"""server.web.guard: Origin against an allow-list built from the configured host and port (and
--allowed-origin), and Host checked when bound to loopback (DNS rebinding, issue 14)."""

from __future__ import annotations

import pytest
from starlette.websockets import WebSocketDisconnect

from server.settings import Settings
from server.web.guard import Guard
from tests.server.conftest import SMALL, hello, make_client, recv


def guard(**kw) -> Guard:
    return Guard(Settings(workers=0, **kw))


@pytest.mark.parametrize("origin, host, ok", [
    ("http://127.0.0.1:8000", "127.0.0.1:8000", True),
    ("http://localhost:8000", "localhost:8000", True),
    ("http://[::1]:8000", "[::1]:8000", True),
    (None, "127.0.0.1:8000", True),  # a script, not a browser
    ("http://evil.example", "evil.example", False),  # DNS rebinding: same-host is not enough
    ("https://127.0.0.1:8000", "127.0.0.1:8000", False),  # another scheme is another site
    ("http://127.0.0.1:9000", "127.0.0.1:8000", False),  # another port is another site
    ("http://127.0.0.1:8000/x", "127.0.0.1:8000", False),
    ("null", "127.0.0.1:8000", False),
])
def test_origins_on_a_loopback_server(origin, host, ok):
    assert guard().origin_ok(origin, host) is ok


@pytest.mark.parametrize("host, ok", [
    ("127.0.0.1:8000", True), ("localhost:8000", True), ("[::1]:8000", True), ("LOCALHOST:8000", True),
    ("evil.example", False), ("evil.example:8000", False), ("127.0.0.1:9000", False), ("", False), (None, False),
    ("127.0.0.1:8000@evil", False),
])
def test_hosts_on_a_loopback_server(host, ok):
    assert guard().host_ok(host) is ok


def test_allowed_origins_add_to_the_list_and_star_allows_all():
    g = guard(allowed_origins=["https://lab.school.example"])
    assert g.origin_ok("https://lab.school.example", "lab.school.example")
    assert g.host_ok("lab.school.example")  # a reverse proxy in front of a loopback lab
    assert g.origin_ok("http://127.0.0.1:8000", "127.0.0.1:8000") and not g.origin_ok("http://evil.example", "x")
    star = guard(allowed_origins=["*"])
    assert star.origin_ok("http://evil.example", "evil.example") and star.host_ok("evil.example")


def test_a_server_on_every_interface_takes_any_host_and_its_own_origin():
    g = guard(host="0.0.0.0")
    assert g.host_ok("192.168.1.20:8000")
    assert g.origin_ok("http://192.168.1.20:8000", "192.168.1.20:8000")
    assert not g.origin_ok("http://evil.example", "192.168.1.20:8000")
    assert not g.origin_ok("https://192.168.1.20:8000", "192.168.1.20:8000")


def test_port_zero_takes_any_port_of_its_own_names():
    g = guard(port=0)
    assert g.host_ok("127.0.0.1:41234") and g.origin_ok("http://localhost:41234", "localhost:41234")
    assert not g.host_ok("evil.example:41234")


def test_the_app_refuses_a_foreign_host_on_http_and_websocket(client):
    assert client.get("/healthz").status_code == 200
    r = client.get("/healthz", headers={"host": "evil.example"})
    assert r.status_code == 400 and "Host" in r.text
    with pytest.raises(WebSocketDisconnect) as exc, \
            client.websocket_connect("ws://evil.example/ws", headers={"origin": "http://evil.example"}):
        pass
    assert exc.value.code == 1008


def test_a_foreign_origin_is_refused_with_a_reason_and_the_own_one_is_served():
    with make_client() as c:
        for origin in ("https://127.0.0.1:8000", "http://evil.example"):
            with c.websocket_connect("/ws", headers={"origin": origin}) as ws:
                assert "origin" in recv(ws, "error")["message"]
                with pytest.raises(WebSocketDisconnect) as exc:
                    recv(ws, "never")
                assert (exc.value.code, exc.value.reason) == (1008, "bad origin")
        with c.websocket_connect("/ws", headers={"origin": "http://127.0.0.1:8000"}) as ws:
            assert hello(ws, config=SMALL)["token"]

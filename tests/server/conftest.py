"""Shared helpers: an app with small limits, and readers that skip frames until a message type."""

from __future__ import annotations

import json

import pytest
from fastapi.testclient import TestClient
from starlette.websockets import WebSocketDisconnect

from server.app import create_app
from server.settings import Settings
from server.wire.frames import decode_frame

SMALL = {"target": {"name": "gaussian-1d"}, "generator": {"width": 8, "depth": 1},
         "discriminator": {"width": 8, "depth": 1}, "training": {"batch_size": 32}}


class LabClient(TestClient):
    """TestClient whose websockets, like its HTTP requests, name the lab's own address as their Host
    (Starlette's always say 'testserver', which a loopback lab refuses: server.web.guard)."""

    def websocket_connect(self, url: str, *args, **kwargs):
        if url.startswith("/"):
            url = f"ws://{self.base_url.host}:{self.base_url.port}{url}"
        return super().websocket_connect(url, *args, **kwargs)


def make_client(**overrides) -> TestClient:
    base = dict(max_sessions=3, workers=0, resume_grace_s=30, rate_per_s=1000, rate_burst=1000)
    st = Settings(**{**base, **overrides})
    # The lab's own address: a loopback server answers its own names only (server.web.guard).
    return LabClient(create_app(st), base_url=f"http://127.0.0.1:{st.port}")


@pytest.fixture
def client():
    with make_client() as c:
        yield c


def recv(ws, kind: str, limit: int = 400):
    """Next JSON message of `kind` (frames and other messages skipped), or the next frame for 'frame'."""
    for _ in range(limit):
        m = ws.receive()
        if m.get("bytes") is not None:
            if kind == "frame":
                return decode_frame(m["bytes"])
            continue
        if m.get("type") == "websocket.close":
            raise WebSocketDisconnect(m.get("code", 1000), m.get("reason", ""))
        msg = json.loads(m["text"])
        if msg["type"] == kind:
            return msg
    raise AssertionError(f"no {kind} in {limit} messages")


def hello(ws, **fields):
    ws.send_json({"type": "hello", **fields})
    return recv(ws, "ready")

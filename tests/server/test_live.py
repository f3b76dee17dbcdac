"""A real `toygan serve` on a free loopback port, driven by the `websockets` client."""

from __future__ import annotations

import asyncio
import json
import os
import socket
import subprocess
import sys
import threading
import time
import urllib.request

import numpy as np
import pytest
import websockets

from server.wire.frames import decode_frame


def _run(coro):
    """asyncio.run on a fresh thread: the browser tests' session-wide Playwright keeps an event loop
    on the main thread, where asyncio.run refuses to start."""
    box = {}

    def target():
        try:
            box["value"] = asyncio.run(coro)
        except BaseException as exc:  # re-raised on the test's thread
            box["error"] = exc

    t = threading.Thread(target=target)
    t.start()
    t.join(120)
    assert not t.is_alive(), "the websocket exchange did not finish in 120 s"
    if "error" in box:
        raise box["error"]
    return box["value"]


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


@pytest.fixture(scope="module")
def server():
    port = _free_port()
    env = {**os.environ, "TOYGAN_MAX_SESSIONS": "2"}
    proc = subprocess.Popen([sys.executable, "-c", "import sys; from server.cli import main; sys.exit(main())",
                             "serve", "--port", str(port), "--log-level", "warning"], env=env)
    url = f"http://127.0.0.1:{port}"
    try:
        for _ in range(200):
            try:
                urllib.request.urlopen(url + "/healthz", timeout=1)
                break
            except OSError:
                time.sleep(0.1)
        yield port
    finally:
        proc.terminate()
        proc.wait(10)


async def _frames(port: int, n: int):
    async with websockets.connect(f"ws://127.0.0.1:{port}/ws") as ws:
        await ws.send(json.dumps({"type": "hello"}))
        ready = json.loads(await ws.recv())
        await ws.send(json.dumps({"type": "play"}))
        frames = []
        while len(frames) < n:
            m = await asyncio.wait_for(ws.recv(), 10)
            if isinstance(m, bytes):
                frames.append(decode_frame(m))
        return ready, frames


def test_real_server_streams_decodable_frames(server):
    ready, frames = _run(_frames(server, 15))
    assert ready["type"] == "ready"
    its = [h["iteration"] for h, _ in frames]
    assert its == sorted(its) and its[-1] > its[0]
    for header, arrays in frames:
        assert arrays["real"].shape == (512, 2) and arrays["fake"].shape == (512, 2)
        assert arrays["d_surface"].shape == (64, 64) and arrays["manifold"].shape == (20, 20, 2)
        assert all(np.isfinite(a).all() for a in arrays.values())
        assert header["bounds"][0] < header["bounds"][1]


async def _cap(port: int):
    async with websockets.connect(f"ws://127.0.0.1:{port}/ws") as a, \
            websockets.connect(f"ws://127.0.0.1:{port}/ws") as b:
        for ws in (a, b):
            await ws.send(json.dumps({"type": "hello"}))
            assert json.loads(await ws.recv())["type"] == "ready"
        async with websockets.connect(f"ws://127.0.0.1:{port}/ws") as c:
            await c.send(json.dumps({"type": "hello"}))
            assert "server full" in json.loads(await c.recv())["message"]
            with pytest.raises(websockets.ConnectionClosed) as exc:
                await asyncio.wait_for(c.recv(), 10)
            return exc.value.rcvd.code, exc.value.rcvd.reason


def test_real_server_cap_says_server_full(server):
    assert _run(_cap(server)) == (1013, "server full")

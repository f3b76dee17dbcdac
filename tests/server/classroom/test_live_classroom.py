"""Broadcast, watch and fork over a real `toygan serve` (two worker processes: a fork crosses from
the teacher's worker to wherever the new session lands), driven by the `websockets` client."""

from __future__ import annotations

import asyncio
import base64
import contextvars
import io
import json
import os
import socket
import subprocess
import sys
import time
import urllib.request

import pytest
import torch
import websockets

from server.wire.frames import decode_frame
from tests.server.test_live import _free_port, _run

GRACE_S = 4  # the server's resume grace: short, so a test can wait it out
MAX_VIEWERS = 3
STALL_FRAMES = 80  # the teacher's frames a stalled viewer misses (the buffers held ~20 of these big ones)
# Small and fast, with what makes a fork hard to get exactly right: Adam's moments, dropout and
# instance noise drawing from the trainer's RNG, the historical-averaging means.
CONFIG = {"target": {"name": "ring"}, "generator": {"width": 16, "depth": 2, "dropout": 0.1},
          "discriminator": {"width": 16, "depth": 1}, "training": {"batch_size": 64},
          "regularizers": {"historical_averaging": 0.01, "instance_noise": 0.1, "instance_noise_anneal": 500}}


SERVER_START_S = 180  # two workers importing torch on a 2-core machine other jobs also load


@pytest.fixture(scope="module")
def port():
    p = _free_port()
    env = {**os.environ, "TOYGAN_MAX_SESSIONS": "4", "TOYGAN_MAX_VIEWERS": str(MAX_VIEWERS),
           "TOYGAN_RESUME_GRACE_S": str(GRACE_S), "TOYGAN_WORKERS": "2", "TOYGAN_RATE_PER_S": "1000",
           "TOYGAN_RATE_BURST": "1000"}
    proc = subprocess.Popen([sys.executable, "-m", "server.cli", "serve", "--port", str(p), "--log-level", "warning"],
                            env=env)
    try:
        deadline, w = time.monotonic() + SERVER_START_S, None
        while time.monotonic() < deadline:
            try:
                with urllib.request.urlopen(f"http://127.0.0.1:{p}/healthz", timeout=1) as r:
                    w = json.loads(r.read())["workers"]
                if w["ready"] == w["configured"]:
                    break
            except OSError:
                pass
            time.sleep(0.1)
        else:
            pytest.fail(f"the server's workers were not ready after {SERVER_START_S} s: {w}")
        yield p
    finally:
        proc.terminate()
        proc.wait(10)


# The sockets a test opened, closed when it ends however it ends, so a failing test leaves no
# teacher or viewer behind to fill the next test's seats or viewer places.
OPENED: contextvars.ContextVar[list] = contextvars.ContextVar("opened")


def _closing(test) -> None:
    async def go():
        opened = []
        OPENED.set(opened)
        try:
            await test()
        finally:
            await asyncio.gather(*(ws.close() for ws in opened), return_exceptions=True)

    _run(go())


class Peer:
    """One websocket: JSON messages by type (frames and other messages in between kept aside)."""

    def __init__(self, ws):
        self.ws = ws
        self.seen: list[dict] = []
        OPENED.get().append(ws)

    @classmethod
    async def open(cls, port: int) -> Peer:
        return cls(await websockets.connect(f"ws://127.0.0.1:{port}/ws", max_size=2**24))

    async def send(self, **msg) -> None:
        await self.ws.send(json.dumps(msg))

    async def next(self, kind: str, timeout: float = 20.0, where=lambda m: True):
        """The next message of `kind` ("frame": a decoded frame) that satisfies `where`."""
        deadline = time.monotonic() + timeout
        while True:
            m = await asyncio.wait_for(self.ws.recv(), max(0.01, deadline - time.monotonic()))
            if isinstance(m, bytes):
                if kind == "frame" and where(f := decode_frame(m)):
                    return f
                continue
            msg = json.loads(m)
            self.seen.append(msg)
            if msg["type"] == kind and where(msg):
                return msg

    async def hello(self, **fields) -> dict:
        await self.send(type="hello", **fields)
        return await self.next("ready")

    async def reaches(self, iteration: int) -> dict:
        """The status that says a step request got to `iteration`."""
        # A step request trains between frames at the shared pace: slow on a loaded 2-core machine.
        return await self.next("status", timeout=120.0, where=lambda m: m["iteration"] >= iteration)

    async def close(self) -> None:
        await self.ws.close()


async def teacher_broadcasting(port: int, steps: int = 0, **hello) -> tuple[Peer, dict, dict]:
    t = await Peer.open(port)
    ready = await t.hello(**(hello or {"config": CONFIG}))
    if steps:
        await t.send(type="step", n=steps)
        await t.next("frame", where=lambda f: f[0]["iteration"] == steps)  # shown: the curves have it
    await t.send(type="broadcast")
    return t, ready, await t.next("broadcast")


async def watcher(port: int, code: str) -> tuple[Peer, dict]:
    v = await Peer.open(port)
    return v, await v.hello(watch=code)


def test_a_viewer_gets_the_teachers_curves_from_the_start_then_every_change(port):
    async def go():
        t, _, b = await teacher_broadcasting(port, steps=60)
        assert len(b["code"].replace("-", "")) == 10 and b["url"].endswith(f"/?watch={b['code']}")
        assert b["viewers"] == 0
        v, ready = await watcher(port, b["code"])
        assert ready["role"] == "viewer" and ready["token"] is None and ready["watch"] == b["code"]
        assert ready["config"]["target"]["name"] == "ring"
        hist = await v.next("history")  # the page's own format (docs/protocol.md): the teacher's branch, as columns
        (curves,) = hist["branches"]
        assert curves["losses"]["iteration"] == list(range(1, 61)), "complete from iteration 1"
        assert len(curves["losses"]["d_loss"]) == 60 and None not in curves["losses"]["d_loss"]
        its = curves["metrics"]["iteration"]
        assert its and its[-1] <= 60, "and the metrics computed so far"
        header, arrays = await v.next("frame")
        assert header["iteration"] == 60 and arrays["fake"].shape[1] == 2
        assert header["run"] == hist["run"], "the page's curves take the frames of the run they are of"
        # The teacher's count of viewers follows.
        assert (await t.next("broadcast", where=lambda m: m["viewers"] == 1))["code"] == b["code"]
        await t.send(type="play")
        assert (await v.next("status", where=lambda m: m["state"] == "running"))["iteration"] >= 60
        seen = [(await v.next("frame"))[0]["iteration"] for _ in range(8)]
        assert seen == sorted(seen) and seen[-1] > 60
        await t.send(type="configure", patch={"optimizer_d": {"lr": 0.002}})
        cfg = await v.next("config")
        assert cfg["config"]["optimizer_d"]["lr"] == 0.002
        await t.send(type="pause")
        for p in (v, t):
            await p.close()

    _closing(go)


def test_a_viewers_control_messages_are_refused_and_change_nothing(port):
    refused = [{"type": "play"}, {"type": "pause"}, {"type": "step", "n": 5}, {"type": "reset"},
               {"type": "configure", "patch": {"optimizer_d": {"lr": 0.5}}}, {"type": "preset", "name": "gaussian-1d"},
               {"type": "draw", "points": [[0, 0], [1, 1]]}, {"type": "import", "data": {"config": {}}},
               {"type": "set_view", "samples": 16}, {"type": "export"}, {"type": "compare"},
               {"type": "broadcast"}, {"type": "hello", "preset": "gaussian-1d"}]

    async def go():
        t, _, b = await teacher_broadcasting(port, steps=10)
        v, _ = await watcher(port, b["code"])
        await v.next("frame")
        for msg in refused:
            await v.send(**msg)
            err = await v.next("error")
            assert err["field"] == "type", (msg, err)
            assert "read-only" in err["message"] or "watch" in err["message"], err
        await v.send(type="ping")
        await v.next("pong")  # the connection lives on
        # Nothing changed: the teacher's experiment is where it was, with its own config.
        await t.send(type="export", weights=False)
        data = (await t.next("export"))["data"]
        assert data["iteration"] == 10 and data["config"]["optimizer_d"]["lr"] == 1e-3
        assert data["config"]["target"]["name"] == "ring" and data["config"]["seed"] == 0
        assert not any(m["type"] == "status" and m["state"] == "running" for m in t.seen)
        for p in (v, t):
            await p.close()

    _closing(go)


def _state(export: dict) -> dict:
    return torch.load(io.BytesIO(base64.b64decode(export["weights"])), weights_only=True)


def _same(a, b) -> bool:
    """Equal bit for bit: tensors exactly (NaN where NaN), containers item by item."""
    if isinstance(a, torch.Tensor):
        return isinstance(b, torch.Tensor) and a.dtype == b.dtype and torch.equal(a, b)
    if isinstance(a, dict):
        return isinstance(b, dict) and a.keys() == b.keys() and all(_same(a[k], b[k]) for k in a)
    if isinstance(a, list | tuple):
        return len(a) == len(b) and all(_same(x, y) for x, y in zip(a, b, strict=True))
    return a == b


def test_a_fork_is_its_own_session_and_its_next_100_iterations_match_the_teachers(port):
    async def go():
        t, _, b = await teacher_broadcasting(port, steps=37)
        v, _ = await watcher(port, b["code"])
        await v.next("frame")
        await v.send(type="fork")
        own = await v.next("ready")
        assert own["role"] == "owner" and own["token"] and own["session"]
        assert own["config"]["regularizers"]["historical_averaging"] == 0.01
        await t.next("broadcast", where=lambda m: m["viewers"] == 0)  # it watches no more
        # Both go on 100 iterations from the same state, each on its own.
        for p in (t, v):
            await p.send(type="step", n=100)
        assert (await t.reaches(137))["iteration"] == 137 and (await v.reaches(137))["iteration"] == 137
        exports = []
        for p in (t, v):
            await p.send(type="export", weights=True)
            exports.append((await p.next("export"))["data"])
        mine, theirs = exports
        assert mine["iteration"] == theirs["iteration"] == 137
        assert _same(_state(mine), _state(theirs)), "weights, optimizer state or RNG differ after 100 iterations"
        last = [e for e in mine["history"] if e["iteration"] > 37]
        assert len(last) == 100 and last == [e for e in theirs["history"] if e["iteration"] > 37]
        # Independent: the teacher's changes do not reach the copy.
        await t.send(type="configure", patch={"optimizer_d": {"lr": 0.004}})
        await t.next("config")
        await t.send(type="step", n=3)
        await v.send(type="export", weights=False)
        copy = (await v.next("export"))["data"]
        assert copy["config"]["optimizer_d"]["lr"] == 1e-3 and copy["iteration"] == 137
        for p in (v, t):
            await p.close()

    _closing(go)


def test_an_unknown_code_is_answered_and_the_connection_stays_for_another_hello(port):
    async def go():
        t, _, b = await teacher_broadcasting(port)
        v = await Peer.open(port)
        await v.send(type="hello", watch="ZZZZZ-ZZZZZ")
        err = await v.next("error")
        assert err["field"] == "watch" and "no broadcast has that code" in err["message"]
        await v.send(type="hello", watch=b["code"].lower().replace("-", " "))  # typed loosely
        assert (await v.next("ready"))["role"] == "viewer"
        for p in (v, t):
            await p.close()

    _closing(go)


def test_a_teacher_who_drops_pauses_the_stream_and_one_who_resumes_in_time_restarts_it(port):
    async def go():
        t, ready, b = await teacher_broadcasting(port, steps=5)
        v, _ = await watcher(port, b["code"])
        await v.next("frame")
        await t.close()
        waiting = await v.next("broadcast", where=lambda m: m["state"] == "waiting")
        assert "disconnected" in waiting["message"] and f"{GRACE_S} s" in waiting["message"]
        t2 = await Peer.open(port)
        again = await t2.hello(resume=ready["token"])
        assert again["resumed"] is True
        mine = await t2.next("broadcast")  # the reloaded page learns it is broadcasting
        assert mine["code"] == b["code"] and mine["viewers"] == 1
        assert "back" in (await v.next("broadcast", where=lambda m: m["state"] == "live"))["message"]
        await t2.send(type="step", n=7)
        assert (await v.next("frame", where=lambda f: f[0]["iteration"] == 12))[0]["iteration"] == 12
        for p in (v, t2):
            await p.close()

    _closing(go)


def test_a_teacher_who_does_not_come_back_ends_the_broadcast_with_a_clear_message(port):
    async def go():
        t, _, b = await teacher_broadcasting(port)
        v, _ = await watcher(port, b["code"])
        await v.next("frame")
        await t.close()
        await v.next("broadcast", where=lambda m: m["state"] == "waiting")
        ended = await v.next("broadcast", timeout=GRACE_S + 15, where=lambda m: m["state"] == "ended")
        assert "session ended" in ended["message"]
        with pytest.raises(websockets.ConnectionClosed) as exc:
            await asyncio.wait_for(v.ws.recv(), 10)
        assert (exc.value.rcvd.code, exc.value.rcvd.reason) == (1000, "broadcast ended")
        late = await Peer.open(port)
        await late.send(type="hello", watch=b["code"])
        assert (await late.next("error"))["field"] == "watch"  # the code is gone with it
        await late.close()

    _closing(go)


def test_stopping_a_broadcast_ends_its_viewers(port):
    async def go():
        t, _, b = await teacher_broadcasting(port)
        v, _ = await watcher(port, b["code"])
        await v.next("frame")
        await t.send(type="broadcast", stop=True)
        await t.next("broadcast", where=lambda m: m["state"] == "ended")  # after any viewer count
        assert "stopped" in (await v.next("broadcast", where=lambda m: m["state"] == "ended"))["message"]
        with pytest.raises(websockets.ConnectionClosed):
            await asyncio.wait_for(v.ws.recv(), 10)
        await t.close()

    _closing(go)


def test_viewers_past_max_viewers_are_closed_with_1013_and_hold_no_seat(port):
    async def go():
        t, _, b = await teacher_broadcasting(port)
        viewers = [(await watcher(port, b["code"]))[0] for _ in range(MAX_VIEWERS)]
        extra = await Peer.open(port)
        await extra.send(type="hello", watch=b["code"])
        assert "too many viewers" in (await extra.next("error"))["message"]
        with pytest.raises(websockets.ConnectionClosed) as exc:
            await asyncio.wait_for(extra.ws.recv(), 10)
        assert (exc.value.rcvd.code, exc.value.rcvd.reason) == (1013, "too many viewers")
        with urllib.request.urlopen(f"http://127.0.0.1:{port}/healthz") as r:
            health = json.loads(r.read())
        assert health["viewers"] == MAX_VIEWERS and health["sessions"] == 1, "viewers hold no seat"
        for p in (*viewers, t):
            await p.close()

    _closing(go)


def test_a_broadcast_comparison_reaches_viewers_as_two_slots_in_lock_step(port):
    async def go():
        t, _, b = await teacher_broadcasting(port, config={**CONFIG, "generator": {"width": 8}})
        await t.send(type="compare", name="unrolled-vs-vanilla")
        cfg = await t.next("config", where=lambda m: m["compare"] is not None)
        assert cfg["preset"] == "ring-collapse" and cfg["compare"]["b"]["training"]["unroll"] == 5
        v, ready = await watcher(port, b["code"])
        assert ready["compare"]["name"] == "unrolled-vs-vanilla"
        slots = {(await v.next("history"))["slot"], (await v.next("history"))["slot"]}
        assert slots == {"A", "B"}
        await t.send(type="step", n=4)
        got = {"A": 0, "B": 0}
        while got != {"A": 4, "B": 4}:
            header, _ = await v.next("frame")
            got[header["slot"]] = header["iteration"]
            assert header["iteration"] <= 4, "neither runs ahead of the step asked for"
        for p in (v, t):
            await p.close()

    _closing(go)


def test_a_viewer_that_stops_reading_slows_neither_the_teacher_nor_the_other_viewers(port):
    async def go():
        # Big frames (~0.2 MB: 4096 points each, a 128x128 surface), so the socket buffers between
        # the server and a stalled page hold few of them, and the stall can be short.
        t, _, b = await teacher_broadcasting(port, config=CONFIG, view={"samples": 4096, "grid": 128})
        # A stalled page: its socket takes a frame or two, then reads nothing for a while. A small
        # receive buffer (4 KiB, set before connecting so the window stays small) keeps the kernel
        # from soaking up what the server sends; the server's own send buffer still holds some.
        # No keepalive pings: a client that reads nothing would never see the pong.
        sock = socket.socket()
        sock.setsockopt(socket.SOL_SOCKET, socket.SO_RCVBUF, 4096)
        sock.connect(("127.0.0.1", port))
        stalled = Peer(await websockets.connect(f"ws://127.0.0.1:{port}/ws", sock=sock, max_size=2**24,
                                                  max_queue=1, ping_interval=None))
        await stalled.hello(watch=b["code"])
        v, _ = await watcher(port, b["code"])
        await v.next("frame")
        await t.send(type="play")
        await t.next("status", where=lambda m: m["state"] == "running")
        # The stall lasts a number of the teacher's frames, not seconds, so a loaded machine that
        # makes fewer frames a second stalls it longer and the buffers' share stays the same.
        teacher, watched = [], []
        while len(teacher) < STALL_FRAMES:  # the teacher's page and a live viewer read on
            for peer, seen in ((t, teacher), (v, watched)):
                h, _ = await peer.next("frame")
                seen.append(h["iteration"])
        assert teacher[-1] > teacher[0] and watched[-1] > watched[0]
        assert len(watched) == len(teacher) and watched[-1] >= teacher[-10], "the live viewer keeps up"
        # The stalled page gets the newest frame when it reads again after what the socket buffers
        # held, not a backlog of every frame it missed.
        latest, _ = await v.next("frame")
        queued = []
        while not queued or queued[-1] < latest["iteration"]:
            queued.append((await stalled.next("frame"))[0]["iteration"])
        assert len(queued) < STALL_FRAMES / 2, f"{len(queued)} of {STALL_FRAMES} frames were queued for the stalled viewer"
        await t.send(type="pause")
        for p in (stalled, v, t):
            await p.close()

    _closing(go)

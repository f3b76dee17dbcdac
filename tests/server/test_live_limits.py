"""Issue 14 against one real `toygan serve` on loopback (one per module: a server start costs a
worker's torch import): no student can stall the class.

- A neighbour keeps its frames and its pongs beside the most expensive session the server accepts
  (one worker, so both share one session host);
- the front never blocks: oversized drawings flooding in leave the event loop's lag small;
- a client that does not read its replies cannot grow the front, and is dropped;
- an HTTP client trickling its request head is disconnected; a silent websocket gets 1008 'no hello'.
Settings come in through TOYGAN_* environment variables, as a deployment sets them.
"""

from __future__ import annotations

import asyncio
import contextlib
import json
import os
import socket
import subprocess
import sys
import time
import urllib.request
from collections.abc import Callable

import pytest
import websockets

from server.settings import Settings
from server.wire.frames import read_header
from tests.server.most_expensive import most_expensive
from tests.server.test_live import _free_port, _run

pytestmark = pytest.mark.timeout(300)

# The module's one server. Short deadlines, so the tests of them end in seconds; no resume grace, so
# a dropped client's session gives its seat (and its host) back at once.
LAB = dict(workers=1, max_sessions=8, resume_grace_s=0, send_stall_s=3, reply_buffer_bytes=2**20,
           header_timeout_s=2, hello_timeout_s=3)


@pytest.fixture(scope="module")
def lab():
    port = _free_port()
    env = {**os.environ, **{f"TOYGAN_{k.upper()}": str(v) for k, v in LAB.items()}}
    proc = subprocess.Popen([sys.executable, "-c", "import sys; from server.cli import main; sys.exit(main())",
                             "serve", "--port", str(port), "--log-level", "warning"], env=env)
    try:
        deadline = time.monotonic() + 120
        while True:
            try:
                if _health(port, 1)["workers"]["ready"] == LAB["workers"]:
                    break
            except OSError:
                pass
            assert time.monotonic() < deadline, "the server did not start"
            time.sleep(0.2)
        yield port, proc.pid
    finally:
        proc.terminate()
        proc.wait(20)


def _rss_mb(pid: int) -> float:
    with open(f"/proc/{pid}/status") as f:
        return next(int(line.split()[1]) / 1024 for line in f if line.startswith("VmRSS:"))


def _health(port: int, window: float) -> dict:
    return json.load(urllib.request.urlopen(f"http://127.0.0.1:{port}/healthz?window={window}", timeout=10))


async def _session(port: int, hello: dict):
    ws = await websockets.connect(f"ws://127.0.0.1:{port}/ws", max_size=2**26)
    await ws.send(json.dumps({"type": "hello", **hello}))
    while True:
        m = await asyncio.wait_for(ws.recv(), 60)
        if isinstance(m, str):
            msg = json.loads(m)
            assert msg["type"] != "error", msg
            if msg["type"] == "ready":
                return ws


def _host_clock(server_pid: int) -> Callable[[], float]:
    """CPU seconds used so far by the server's child processes (its session host, and the idle
    multiprocessing resource tracker): the core the sessions share. Found once, read per frame."""
    stats = []
    for entry in os.listdir("/proc"):
        if entry.isdigit():
            with contextlib.suppress(OSError):
                with open(f"/proc/{entry}/stat") as f:
                    if int(f.read().rsplit(")", 1)[1].split()[1]) == server_pid:  # its parent
                        stats.append(f"/proc/{entry}/stat")
    assert stats, "the server has no worker process"
    tick = os.sysconf("SC_CLK_TCK")

    def clock() -> float:
        total = 0
        for path in stats:
            with open(path) as f:
                fields = f.read().rsplit(")", 1)[1].split()
            total += int(fields[11]) + int(fields[12])  # utime + stime, in clock ticks
        return total / tick

    return clock


class Watch:
    """What one socket got: every frame's arrival in host CPU seconds, the last frame, the pongs."""

    def __init__(self, ws, clock: Callable[[], float]):
        self.ws, self.clock = ws, clock
        self.frame_cpu: list[float] = []
        self.last: bytes | None = None
        self.pongs = 0
        self.notices: list[str] = []
        self.first = asyncio.Event()
        self.task = asyncio.create_task(self._read())

    async def _read(self) -> None:
        with contextlib.suppress(websockets.ConnectionClosed):
            async for m in self.ws:
                if isinstance(m, bytes):
                    self.frame_cpu.append(self.clock())
                    self.last = m
                    self.first.set()
                else:
                    msg = json.loads(m)
                    self.pongs += msg["type"] == "pong"
                    if msg["type"] in ("notice", "error"):
                        self.notices.append(msg["message"])

    async def close(self) -> None:
        self.task.cancel()
        await self.ws.close()


async def _neighbour(port: int, clock: Callable[[], float], attacker: tuple[dict, dict] | None,
                     cpu_window_s: float, wall_limit_s: float) -> dict:
    """A default neighbour (30 frames/s) playing, alone or beside `attacker` (config, view) playing
    at 60 frames/s; measured over `cpu_window_s` of the host's CPU (at most `wall_limit_s`) after
    its first frame, pinged every 0.25 s, every pong awaited with the attacker still running."""
    watches = []
    if attacker is not None:
        cfg, view = attacker
        a = Watch(await _session(port, {"config": cfg, "view": {**view, "fps": 60}}), clock)
        watches.append(a)
        await a.ws.send(json.dumps({"type": "play"}))
        await asyncio.wait_for(a.first.wait(), 60)
    n = Watch(await _session(port, {}), clock)
    watches.append(n)
    await n.ws.send(json.dumps({"type": "play"}))
    await asyncio.wait_for(n.first.wait(), 60)
    cpu0, t0, pings = clock(), time.monotonic(), 0
    while clock() - cpu0 < cpu_window_s and time.monotonic() - t0 < wall_limit_s:
        await n.ws.send(json.dumps({"type": "ping"}))
        pings += 1
        await asyncio.sleep(0.25)
    cpu, wall = clock() - cpu0, time.monotonic() - t0
    frames = [c for c in n.frame_cpu if c >= cpu0]
    with contextlib.suppress(asyncio.TimeoutError):  # the attacker still runs meanwhile
        await asyncio.wait_for(_until(lambda: n.pongs >= pings), 30)
    edges = [cpu0, *frames, cpu0 + cpu]
    out = {"frames per cpu": len(frames) / max(cpu, 1e-3), "fps": len(frames) / wall, "cpu share": cpu / wall,
           "cpu": cpu, "largest gap cpu": max(b - a for a, b in zip(edges, edges[1:], strict=False)),
           "pings": pings, "pongs": n.pongs, "notices": n.notices}
    if attacker is not None:
        out["attacker frames per cpu"] = len([c for c in watches[0].frame_cpu if c >= cpu0]) / max(cpu, 1e-3)
        out["attacker iteration"] = read_header(watches[0].last)["iteration"]
        out["attacker notices"] = watches[0].notices
    for w in watches:
        await w.close()
    return out


async def _until(done: Callable[[], bool]) -> None:
    while not done():
        await asyncio.sleep(0.05)


def test_a_neighbour_keeps_its_frames_and_pongs_beside_the_most_expensive_accepted_session(lab):
    """The issue's goal is >= 20 frames/s beside the most expensive session the server accepts; it
    found 0 frames/s and no pong for >= 46 s. A frame rate is a speed of this machine, and several
    agents share its 2 cores (load up to 30), so this test asserts only what cannot flake and what
    the old code failed by far; bench/bench_fairness.py prints the rate against the goal.

    Everything is counted in CPU seconds of the one session host (what it would give with a core
    of its own, whatever else loads the machine): beside the attacker the neighbour's frames never
    stop for a whole host CPU-second (the old code: 46 s and more), every ping is answered, and it
    gets at least a tenth of the frames per host CPU-second it gets alone, measured in the same run.
    Why a tenth: alone, at its 30 frames/s cap, the neighbour needs only ~25-35% of the host (it got
    75-145 frames per host CPU-second alone); beside a session that keeps the host always busy it
    can get at most its cap, 30 per host CPU-second, so the ideal ratio is ~0.2-0.4 (0.33 measured
    at load 20); the old code's was 0. The absolute rate is printed here and judged against the
    issue's 20 frames/s in bench/bench_fairness.py, never asserted in a test."""
    port, pid = lab
    cfg, view, est = most_expensive(Settings(workers=1))
    # Windows in host CPU-seconds (~40 frames alone, ~35 beside: enough for a ratio judged against a
    # tenth), capped by the wall clock where other jobs leave the host a sliver of a core.
    clock = _host_clock(pid)
    alone = _run(_neighbour(port, clock, None, cpu_window_s=0.5, wall_limit_s=8))
    beside = _run(_neighbour(port, clock, (cfg, view), cpu_window_s=1.5, wall_limit_s=15))
    ratio = beside["frames per cpu"] / max(alone["frames per cpu"], 1e-9)
    sys.stdout.write(
        f"\nattacker: {json.dumps(cfg)} view {json.dumps(view)}; estimated {est:.1f} ms a turn\n"
        f"neighbour alone: {alone['frames per cpu']:.1f} frames per host CPU-second ({alone['fps']:.1f}/s by the "
        f"wall clock, host busy {alone['cpu share']:.0%})\n"
        f"beside it: {beside['frames per cpu']:.1f} frames per host CPU-second ({beside['fps']:.1f}/s by the wall "
        f"clock, host busy {beside['cpu share']:.0%}), ratio beside/alone {ratio:.2f}; largest gap "
        f"{beside['largest gap cpu'] * 1000:.0f} ms of host CPU; {beside['pongs']}/{beside['pings']} pongs; "
        f"attacker {beside['attacker frames per cpu']:.1f} frames per host CPU-second, at iteration "
        f"{beside['attacker iteration']}; load average {os.getloadavg()[0]:.1f} on {os.cpu_count()} cores\n")
    assert beside["attacker iteration"] > 0 and not beside["attacker notices"], beside  # it really trained
    assert beside["pongs"] >= beside["pings"] > 0, beside
    assert beside["largest gap cpu"] < 1.0, beside
    assert ratio >= 0.1, (alone, beside)


async def _draw_flood(port: int, seconds: float) -> int:
    big = json.dumps({"type": "draw", "points": [[0.1, 0.2]] * 100_000})  # 1.2 MB
    ws = Watch(await _session(port, {}), time.monotonic)
    sent = 0
    end = time.monotonic() + seconds
    while time.monotonic() < end:
        await ws.ws.send(big)
        sent += 1
        await asyncio.sleep(1 / 3)
    await ws.close()
    return sent


def test_oversized_drawings_three_a_second_do_not_block_the_event_loop(lab):
    port, _ = lab
    sent = _run(_draw_flood(port, 4))
    lag = _health(port, 4)["loop_lag_ms"]
    sys.stdout.write(f"\n{sent} drawings of 1.2 MB in 4 s: event-loop lag p50 {lag['p50']} ms, p99 {lag['p99']} ms, "
                     f"max {lag['max']} ms\n")
    # The median, not the tail: parsing 1.2 MB three times a second kept the loop blocked most of the
    # time (frames fell from 30 to ~2 a second); a lone spike of a few hundred ms is this shared
    # machine descheduling the process, whatever the server does.
    assert lag["p50"] < 50, lag


async def _export_without_reading(port: int, seconds: float) -> tuple[int, bool]:
    cfg = {"generator": {"width": 256, "depth": 2}, "discriminator": {"width": 256, "depth": 2},
           "training": {"batch_size": 64}}
    # max_queue=1: the client library stops reading the socket once one message waits unread.
    ws = await websockets.connect(f"ws://127.0.0.1:{port}/ws", max_size=2**26, max_queue=1)
    await ws.send(json.dumps({"type": "hello", "config": cfg}))
    assert json.loads(await asyncio.wait_for(ws.recv(), 30))["type"] == "ready"  # then it never reads again
    await ws.send(json.dumps({"type": "play"}))
    sent, dropped = 0, False
    end = time.monotonic() + seconds
    try:
        while time.monotonic() < end:
            await ws.send(json.dumps({"type": "export", "weights": True}))  # ~2.3 MB each, never read
            sent += 1
            await asyncio.sleep(0.25)
    except websockets.ConnectionClosed:
        dropped = True
    with contextlib.suppress(Exception):
        await asyncio.wait_for(ws.close(), 5)
    return sent, dropped


def test_a_client_that_does_not_read_cannot_grow_the_front_and_is_dropped(lab):
    port, pid = lab
    before = _rss_mb(pid)
    # Until dropped: the socket fills within a second or two, then stays unwritable for send_stall_s.
    sent, dropped = _run(_export_without_reading(port, 20))
    after = _rss_mb(pid)
    assert _health(port, 5)["status"] == "ok"
    sys.stdout.write(f"\n{sent} exports of ~2.3 MB asked without reading: front RSS {before:.0f} -> "
                     f"{after:.0f} MB; dropped by the server: {dropped}\n")
    assert after - before < 60, (before, after)
    assert dropped


def test_an_http_client_trickling_its_request_head_is_disconnected(lab):
    port, _ = lab
    s = socket.create_connection(("127.0.0.1", port), timeout=10)
    s.sendall(b"GET /healthz HTTP/1.1\r\nHost: 127.0.0.1\r\n")
    began, closed = time.monotonic(), False
    try:
        while time.monotonic() - began < 10:
            s.sendall(b"X")  # one byte of a header every 0.5 s, never the blank line
            time.sleep(0.5)
    except OSError:
        closed = True
    finally:
        s.close()
    took = time.monotonic() - began
    ok = urllib.request.urlopen(f"http://127.0.0.1:{port}/healthz", timeout=5).status
    sys.stdout.write(f"\ntrickling client disconnected after {took:.1f} s (header timeout {LAB['header_timeout_s']} s)\n")
    assert closed and took < 8 and ok == 200


async def _silent(port: int) -> tuple[int, str, float]:
    began = time.monotonic()
    async with websockets.connect(f"ws://127.0.0.1:{port}/ws") as ws:
        with pytest.raises(websockets.ConnectionClosed) as exc:
            while True:
                await asyncio.wait_for(ws.recv(), 15)
        return exc.value.rcvd.code if exc.value.rcvd else 1006, exc.value.rcvd.reason if exc.value.rcvd else "", \
            time.monotonic() - began


def test_a_silent_websocket_on_a_real_server_gets_1008_no_hello(lab):
    code, reason, took = _run(_silent(lab[0]))
    # Before: no 1008 ever; the socket died with 1006 after 30 s.
    assert (code, reason) == (1008, "no hello") and took < 12

"""Issue 14 against a real `toygan serve` on loopback: no student can stall the class.

- A neighbour keeps >= 20 frames/s beside the most expensive session the server accepts (one
  worker, so both share one core's session host; counted per second of that host's CPU, so the
  goal is measured whatever else loads the machine);
- the front never blocks: oversized drawings flooding in leave the event loop's lag small;
- a client that does not read its replies cannot grow the front, and is dropped;
- an HTTP client trickling its request head is disconnected; a silent websocket gets 1008 'no hello'.
Settings come in through TOYGAN_* environment variables, as a deployment sets them.
"""

from __future__ import annotations

import asyncio
import contextlib
import json
import math
import os
import socket
import subprocess
import sys
import time
import urllib.request

import pytest
import websockets

from server.settings import Settings
from tests.server.most_expensive import most_expensive
from tests.server.test_live import _free_port, _run

pytestmark = pytest.mark.timeout(300)


@contextlib.contextmanager
def serve(**env: str):
    port = _free_port()
    full = {**os.environ, **{f"TOYGAN_{k.upper()}": str(v) for k, v in env.items()}}
    proc = subprocess.Popen([sys.executable, "-c", "import sys; from server.cli import main; sys.exit(main())",
                             "serve", "--port", str(port), "--log-level", "warning"], env=full)
    try:
        deadline = time.monotonic() + 120
        while True:
            try:
                health = json.load(urllib.request.urlopen(f"http://127.0.0.1:{port}/healthz", timeout=2))
                if health["workers"]["ready"] == health["workers"]["configured"]:
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
        m = await asyncio.wait_for(ws.recv(), 30)
        if isinstance(m, str):
            msg = json.loads(m)
            assert msg["type"] != "error", msg
            if msg["type"] == "ready":
                return ws


async def _count_frames(ws, until: float, counts: dict, key: str) -> None:
    """Read everything; count binary frames that arrive after `until - window` starts (see caller)."""
    with contextlib.suppress(websockets.ConnectionClosed, asyncio.CancelledError):
        while True:
            m = await ws.recv()
            if isinstance(m, bytes) and time.monotonic() >= counts["start"]:
                counts[key] += 1


def _host_cpu_s(server_pid: int) -> float:
    """CPU seconds used so far by the server's child processes (its session host and, idle, the
    multiprocessing resource tracker): the core the sessions share."""
    total = 0.0
    for entry in os.listdir("/proc"):
        if not entry.isdigit():
            continue
        try:
            with open(f"/proc/{entry}/stat") as f:
                fields = f.read().rsplit(")", 1)[1].split()
        except OSError:
            continue  # gone meanwhile
        if int(fields[1]) == server_pid:  # ppid; utime and stime follow in clock ticks
            total += (int(fields[11]) + int(fields[12])) / os.sysconf("SC_CLK_TCK")
    return total


async def _neighbour_fps(port: int, server_pid: int, attacker: tuple[dict, dict] | None, warm_s: float,
                         window_s: float) -> dict:
    out = {"start": math.inf, "neighbour": 0, "attacker": 0}
    tasks, sockets = [], []
    if attacker is not None:
        cfg, view = attacker
        a = await _session(port, {"config": cfg, "view": {**view, "fps": 60}})
        await a.send(json.dumps({"type": "play"}))
        sockets.append(a)
        tasks.append(asyncio.create_task(_count_frames(a, 0, out, "attacker")))
    n = await _session(port, {})
    await n.send(json.dumps({"type": "play"}))
    sockets.append(n)
    tasks.append(asyncio.create_task(_count_frames(n, 0, out, "neighbour")))
    await asyncio.sleep(warm_s)
    cpu0, out["start"] = _host_cpu_s(server_pid), time.monotonic()
    await asyncio.sleep(window_s)
    seconds, cpu = time.monotonic() - out["start"], _host_cpu_s(server_pid) - cpu0
    frames = {k: out[k] for k in ("neighbour", "attacker")}  # read before the readers stop
    for t in tasks:
        t.cancel()
    for s in sockets:
        await s.close()
    return {**{k: v / seconds for k, v in frames.items()},
            **{f"{k} per cpu": v / max(cpu, 1e-3) for k, v in frames.items()}, "host cpu share": cpu / seconds}


def test_a_neighbour_keeps_20_frames_a_second_beside_the_most_expensive_accepted_session():
    """Counted per second of the session host's CPU: what a host with a core of its own gives, so
    the goal holds whatever else loads this shared machine (wall-clock rates are printed beside).
    Beside the attacker the host is never idle, so there its CPU seconds are its seconds."""
    st = Settings(workers=1)
    cfg, view, est = most_expensive(st)
    with serve(workers=1, max_sessions=4) as (port, pid):
        alone = _run(_neighbour_fps(port, pid, None, warm_s=2, window_s=4))
        beside = _run(_neighbour_fps(port, pid, (cfg, view), warm_s=3, window_s=8))
    sys.stdout.write(
        f"\nattacker: {json.dumps(cfg)} view {json.dumps(view)}; estimated {est:.1f} ms a turn "
        f"(budget {st.session_budget_ms:g} ms)\n"
        f"neighbour alone: {alone['neighbour']:.1f} frames/s (host busy {alone['host cpu share']:.0%} of the time)\n"
        f"beside it: {beside['neighbour']:.1f} frames/s, {beside['neighbour per cpu']:.1f} per host CPU-second "
        f"(host busy {beside['host cpu share']:.0%}); attacker {beside['attacker per cpu']:.1f} per host CPU-second; "
        f"ratio beside/alone (wall) {beside['neighbour'] / max(alone['neighbour'], 1e-9):.2f}; "
        f"load average {os.getloadavg()[0]:.1f} on {os.cpu_count()} cores\n")
    assert beside["attacker"] > 0  # it really ran
    assert beside["neighbour per cpu"] >= 20, beside


async def _draw_flood(port: int, seconds: float) -> int:
    big = json.dumps({"type": "draw", "points": [[0.1, 0.2]] * 100_000})  # 1.2 MB
    ws = await _session(port, {})
    sent = 0
    end = time.monotonic() + seconds
    reader = asyncio.create_task(_count_frames(ws, 0, {"start": 0, "x": 0}, "x"))
    while time.monotonic() < end:
        await ws.send(big)
        sent += 1
        await asyncio.sleep(1 / 3)
    reader.cancel()
    await ws.close()
    return sent


def test_oversized_drawings_three_a_second_do_not_block_the_event_loop():
    with serve(workers=1) as (port, _):
        sent = _run(_draw_flood(port, 6))
        lag = _health(port, 6)["loop_lag_ms"]
    sys.stdout.write(f"\n{sent} drawings of 1.2 MB in 6 s: event-loop lag p50 {lag['p50']} ms, p99 {lag['p99']} ms, "
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


def test_a_client_that_does_not_read_cannot_grow_the_front_and_is_dropped():
    with serve(workers=1, send_stall_s=4, reply_buffer_bytes=2**20) as (port, pid):
        before = _rss_mb(pid)
        sent, dropped = _run(_export_without_reading(port, 20))
        after = _rss_mb(pid)
        assert _health(port, 5)["status"] == "ok"
    sys.stdout.write(f"\n{sent} exports of ~2.3 MB asked in 20 s without reading: front RSS {before:.0f} -> "
                     f"{after:.0f} MB; dropped by the server: {dropped}\n")
    assert after - before < 60, (before, after)
    assert dropped


def test_an_http_client_trickling_its_request_head_is_disconnected():
    with serve(workers=0, header_timeout_s=2) as (port, _):
        s = socket.create_connection(("127.0.0.1", port), timeout=10)
        s.sendall(b"GET /healthz HTTP/1.1\r\nHost: 127.0.0.1\r\n")
        began, closed = time.monotonic(), False
        try:
            while time.monotonic() - began < 12:
                s.sendall(b"X")  # one byte of a header every 0.5 s, never the blank line
                time.sleep(0.5)
        except OSError:
            closed = True
        finally:
            s.close()
        took = time.monotonic() - began
        ok = urllib.request.urlopen(f"http://127.0.0.1:{port}/healthz", timeout=5).status
    sys.stdout.write(f"\ntrickling client disconnected after {took:.1f} s (header timeout 2 s)\n")
    assert closed and took < 6 and ok == 200


async def _silent(port: int) -> tuple[int, str, float]:
    began = time.monotonic()
    async with websockets.connect(f"ws://127.0.0.1:{port}/ws") as ws:
        with pytest.raises(websockets.ConnectionClosed) as exc:
            while True:
                await asyncio.wait_for(ws.recv(), 10)
        return exc.value.rcvd.code if exc.value.rcvd else 1006, exc.value.rcvd.reason if exc.value.rcvd else "", \
            time.monotonic() - began


def test_a_silent_websocket_on_a_real_server_gets_1008_no_hello():
    with serve(workers=0, hello_timeout_s=1.5) as (port, _):
        code, reason, took = _run(_silent(port))
    assert (code, reason) == (1008, "no hello") and took < 5

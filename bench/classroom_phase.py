"""bench_server.py's classroom phase (issue 17's goals): one teacher broadcasting, N viewers watching.

In one run on loopback: the teacher's training alone, then with each number of viewers, then alone
again (the machine's speed drifts, so the ratio is taken against the mean of the two alone
windows); every viewer's frames/s, the teacher's it/s, the front process's RSS per viewer, and the
CPU each process used. Goals: 100 viewers each >= 20 frames/s with the teacher's training >= 0.7 of
its speed alone; 300 viewers each >= 10 frames/s.

A viewer here only counts its frames (no decoding): the load it puts on this machine is the socket,
which a real class puts on its students' machines instead.
"""

from __future__ import annotations

import asyncio
import json
import time
from typing import Any

import websockets
from loopback import receive_until

from server.wire.frames import read_header


class Window:
    """The measuring window every client counts in (set by the phase)."""

    def __init__(self):
        self.start = self.end = float("inf")

    def open(self, seconds: float) -> None:
        self.start = time.perf_counter()
        self.end = self.start + seconds

    def counts(self, t: float) -> bool:
        return self.start <= t <= self.end


class Viewer:
    def __init__(self, port: int, code: str, window: Window):
        self.port, self.code, self.window = port, code, window
        self.frames = 0
        self.first = self.last = 0.0
        self.ready = asyncio.Event()
        self.errors: list[str] = []

    @property
    def fps(self) -> float:
        dt = self.last - self.first
        return (self.frames - 1) / dt if self.frames > 1 and dt > 0 else 0.0

    def reset(self) -> None:
        self.frames, self.first, self.last = 0, 0.0, 0.0

    async def run(self, stop: asyncio.Event) -> None:
        try:
            async with websockets.connect(f"ws://127.0.0.1:{self.port}/ws", max_size=2**24) as ws:
                await ws.send(json.dumps({"type": "hello", "watch": self.code}))
                async for m in receive_until(ws, stop):
                    if isinstance(m, bytes):
                        self.ready.set()
                        now = time.perf_counter()
                        if self.window.counts(now):
                            self.frames += 1
                            self.first = self.first or now
                            self.last = now
                    elif '"error"' in m[:20]:
                        self.errors.append(m[:200])
        except (OSError, websockets.ConnectionClosed) as exc:
            self.errors.append(repr(exc))
            self.ready.set()


class Teacher:
    """Plays the reference experiment and broadcasts it; counts iterations seen in its frames."""

    def __init__(self, port: int, window: Window):
        self.port, self.window = port, window
        self.code = ""
        self.marks: list[tuple[float, int]] = []
        self.started = asyncio.Event()

    def its(self) -> float:
        inside = [(t, it) for t, it in self.marks if self.window.counts(t)]
        if len(inside) < 2:
            return 0.0
        (t0, i0), (t1, i1) = inside[0], inside[-1]
        return (i1 - i0) / (t1 - t0)

    async def run(self, stop: asyncio.Event) -> None:
        async with websockets.connect(f"ws://127.0.0.1:{self.port}/ws", max_size=2**24) as ws:
            await ws.send(json.dumps({"type": "hello"}))
            await ws.send(json.dumps({"type": "play"}))
            await ws.send(json.dumps({"type": "broadcast"}))
            async for m in receive_until(ws, stop):
                if isinstance(m, bytes):
                    now = time.perf_counter()
                    if self.window.counts(now):
                        self.marks.append((now, read_header(m)["iteration"]))
                    continue
                msg = json.loads(m)
                if msg["type"] == "broadcast" and msg.get("code"):
                    self.code = msg["code"]
                    self.started.set()


async def _window(window: Window, seconds: float, cpu: Any) -> dict[str, float]:
    c0, t0 = cpu(), time.perf_counter()
    window.open(seconds)
    await asyncio.sleep(seconds + 0.2)
    c1, dt = cpu(), time.perf_counter() - t0
    return {k: (c1[k] - c0[k]) / dt for k in c0}


async def classroom_phase(port: int, counts: list[int], seconds: float, cpu: Any, rss_front: Any,
                          healthz: Any) -> None:
    window = Window()
    stop = asyncio.Event()
    # The viewers' own stop: Python 3.11's wait_for can swallow a cancel that lands as recv()
    # completes, and with 300 viewers at 30 frames/s one of them does; a set event ends them all.
    viewers_done = asyncio.Event()
    teacher = Teacher(port, window)
    tasks = [asyncio.create_task(teacher.run(stop))]
    await asyncio.wait_for(teacher.started.wait(), 30)
    await asyncio.sleep(2.0)  # the teacher's run warms up
    alone = [await _window_its(teacher, window, seconds, cpu)]
    rss0 = rss_front()
    print(f"classroom: teacher alone {alone[0][0]:.0f} it/s; front RSS {rss0 / 1024:.0f} MB "
          f"(CPU cores: front {alone[0][1]['front']:.2f}, workers {alone[0][1]['workers']:.2f})")
    viewers: list[Viewer] = []
    results = []
    for n in counts:
        fresh = [Viewer(port, teacher.code, window) for _ in range(n - len(viewers))]
        for i, v in enumerate(fresh):
            tasks.append(asyncio.create_task(v.run(viewers_done)))
            if i % 20 == 19:
                await asyncio.sleep(0.05)  # a class arrives over a moment, not in one packet
        viewers += fresh
        t_join = time.perf_counter()
        await asyncio.wait_for(asyncio.gather(*(v.ready.wait() for v in fresh)), 60)
        joined_s = time.perf_counter() - t_join
        await asyncio.sleep(2.0)
        for v in viewers:
            v.reset()
        its, use = await _window_its(teacher, window, seconds, cpu)
        fps = sorted(v.fps for v in viewers)
        errors = sum(len(v.errors) for v in viewers)
        rss = rss_front()
        h = healthz(port, window=seconds)
        results.append((n, its, fps, rss, use, errors, joined_s, h))
    stop_viewers = [t for t in tasks[1:]]
    viewers_done.set()
    for t in stop_viewers:
        t.cancel()
    await asyncio.gather(*stop_viewers, return_exceptions=True)
    await asyncio.sleep(3.0)
    alone.append(await _window_its(teacher, window, seconds, cpu))
    base = (alone[0][0] + alone[1][0]) / 2
    print(f"classroom: teacher alone again {alone[1][0]:.0f} it/s; baseline (mean of both) {base:.0f} it/s")
    for n, its, fps, rss, use, errors, joined_s, h in results:
        goal_fps = 20 if n <= 100 else 10
        print(f"classroom {n} viewers (all joined in {joined_s:.1f} s): frames/s per viewer min {fps[0]:.1f} "
              f"median {fps[len(fps) // 2]:.1f} max {fps[-1]:.1f} (goal each >= {goal_fps}); teacher "
              f"{its:.0f} it/s = {its / base:.2f} of alone" + (" (goal >= 0.7)" if n <= 100 else "")
              + f"; errors {errors}; server says {h['viewers']} viewers, loop lag p99 {h['loop_lag_ms']['p99']:.1f} ms")
        print(f"  front RSS {rss / 1024:.0f} MB: {(rss - rss0) / n:.0f} kB per viewer; CPU cores: front "
              f"{use['front']:.2f}, workers {use['workers']:.2f}, these {n} viewer clients {use['bench']:.2f}")
    stop.set()
    await asyncio.gather(tasks[0], return_exceptions=True)


async def _window_its(teacher: Teacher, window: Window, seconds: float, cpu: Any) -> tuple[float, dict]:
    teacher.marks.clear()
    use = await _window(window, seconds, cpu)
    return teacher.its(), use

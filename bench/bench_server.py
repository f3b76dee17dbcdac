"""Benchmark a real `toygan serve` on loopback (issue 5's goals), printing measured numbers and ratios.

    python bench/bench_server.py [--seconds 5] [--rounds 3] [--clients 30] [--many-seconds 30] [--soak SECONDS]
                                 [--timeline-soak SECONDS] [--only-timeline] [--viewers 100,300] [--only-classroom]

1-2. alternating rounds: headless Trainer.step() it/s at the reference config (this process), then
   one client: frames/s, server it/s, ratio to headless (goal >= 0.8; median of the rounds); p95 configure -> first
   frame that reflects it (goal <= 100 ms; a frame reflects it when its config_rev has caught up)
3. N clients at once: each one's frames/s (goal >= 10), slowest/fastest it/s (goal >= 2/3),
   event-loop lag p99 from the server's own probe (goal <= 50 ms), errors
4. --soak: clients connect and leave for SECONDS; server RSS growth % and thread count before/after,
   and once more when every session (detached ones waiting out their grace too) has ended
5. --timeline-soak: one client trains for SECONDS while going back on the timeline, branching and
   switching branches every few seconds; the largest `used_bytes` any `timeline` message reported
   against the session's budget (goal: never above it: checkpoints are thinned, not grown), the
   checkpoints and branches kept, and the server's RSS from the first quarter to the end
6. classroom (issue 17): one teacher broadcasting to --viewers 100,300 viewers: each viewer's frames/s
   (goals: >= 20 with 100, >= 10 with 300), the teacher's it/s against alone (goal >= 0.7 with 100),
   front RSS per viewer (bench/classroom_phase.py); --only-classroom runs just this phase
Loops are bounded by time; everything stays on 127.0.0.1.
"""

from __future__ import annotations

import argparse
import asyncio
import json
import os
import random
import socket
import subprocess
import sys
import time
import urllib.request
from typing import Any

import torch
from classroom_phase import classroom_phase

from gan_core.engine.trainer import Trainer
from server.wire.frames import decode_frame

torch.set_num_threads(1)


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def _children(pid: int) -> list[int]:
    kids = []
    for task in os.listdir(f"/proc/{pid}/task"):
        with open(f"/proc/{pid}/task/{task}/children") as f:
            kids += [int(x) for x in f.read().split()]
    return kids


def proc_status(pid: int) -> dict[str, Any]:
    """VmRSS (kB) and Threads of the server and its worker processes, added up; "rss_each": the
    front's VmRSS then each worker's (kB), to tell which process holds a growth."""
    out: dict[str, Any] = {"VmRSS": 0, "Threads": 0, "Processes": 0, "rss_each": []}
    for p in [pid, *_children(pid)]:
        out["Processes"] += 1
        for line in open(f"/proc/{p}/status"):
            k, _, v = line.partition(":")
            if k in ("VmRSS", "Threads"):
                out[k] += int(v.split()[0])
            if k == "VmRSS":
                out["rss_each"].append(int(v.split()[0]))
    return out


def rss_split(st: dict[str, Any]) -> str:
    front, *workers = (kb / 1024 for kb in st["rss_each"])
    return f"front {front:.0f} MB, workers " + ", ".join(f"{w:.0f}" for w in workers) + " MB"


def cpu_seconds(pid: int) -> float:
    """User + system CPU seconds of one process so far (all its threads)."""
    with open(f"/proc/{pid}/stat") as f:
        fields = f.read().rpartition(")")[2].split()
    return (int(fields[11]) + int(fields[12])) / os.sysconf("SC_CLK_TCK")


def cpu_split(pid: int) -> dict[str, float]:
    """CPU seconds so far of the server's front process, its workers together, and this benchmark."""
    kids = _children(pid)
    return {"front": cpu_seconds(pid), "workers": sum(cpu_seconds(k) for k in kids),
            "bench": sum(os.times()[:2])}


def healthz(port: int, window: float = 60) -> dict:
    with urllib.request.urlopen(f"http://127.0.0.1:{port}/healthz?window={window}", timeout=5) as r:
        return json.loads(r.read())


def headless_its(seconds: float) -> float:
    t = Trainer()
    t.step(20)
    n, start = 0, time.perf_counter()
    while time.perf_counter() - start < seconds:
        t.step(50)
        n += 50
    return n / (time.perf_counter() - start)


class Client:
    def __init__(self, port: int):
        self.port = port
        self.frames = 0
        self.errors: list[dict] = []
        self.its = 0.0
        self.first_it = self.last_it = None
        self.t_first = self.t_last = 0.0
        self.rev = 0
        self.rev_seen: dict[int, float] = {}

    async def run(self, seconds: float, configure_every: float = 0.0, latencies: list[float] | None = None,
                  warmup: float = 0.0):
        """Stream for `warmup` + `seconds`; frames and iterations are counted over the last `seconds` only."""
        import websockets

        async with websockets.connect(f"ws://127.0.0.1:{self.port}/ws", max_size=2**24) as ws:
            await ws.send(json.dumps({"type": "hello"}))
            await ws.send(json.dumps({"type": "play"}))
            counted_from = time.perf_counter() + warmup
            end = counted_from + seconds
            next_cfg = time.perf_counter() + 0.5
            pending: tuple[int, float] | None = None
            lr = 1e-3
            while time.perf_counter() < end:
                now = time.perf_counter()
                if configure_every and pending is None and now >= next_cfg:
                    lr = 2e-3 if lr == 1e-3 else 1e-3
                    await ws.send(json.dumps({"type": "configure", "patch": {"optimizer_d": {"lr": lr}}}))
                    pending = (self.rev + 1, time.perf_counter())
                try:
                    m = await asyncio.wait_for(ws.recv(), 1.0)
                except TimeoutError:
                    continue
                now = time.perf_counter()
                if isinstance(m, bytes):
                    header, _ = decode_frame(m)
                    self.rev = header["config_rev"]
                    if now < counted_from:
                        continue
                    self.frames += 1
                    if self.first_it is None:
                        self.first_it, self.t_first = header["iteration"], now
                    self.last_it, self.t_last = header["iteration"], now
                    if pending and self.rev >= pending[0]:
                        latencies.append(now - pending[1])
                        pending = None
                        next_cfg = now + configure_every
                    continue
                msg = json.loads(m)
                if msg["type"] == "error":
                    self.errors.append(msg)
                elif msg["type"] == "status" and msg["state"] == "running":
                    self.its = msg["its"]
        self.seconds = seconds

    @property
    def fps(self) -> float:
        """Frames/s while streaming: first to last frame (connecting and the first frame excluded)."""
        dt = self.t_last - self.t_first
        return (self.frames - 1) / dt if dt > 0 and self.frames > 1 else 0.0

    @property
    def frame_its(self) -> float:
        """Iterations per second seen in frames (independent of the server's own count)."""
        dt = self.t_last - self.t_first
        return (self.last_it - self.first_it) / dt if dt > 0 else 0.0


def start_server(port: int, max_sessions: int, workers: int | None, grace: float,
                 max_viewers: int = 500) -> subprocess.Popen:
    extra = ([] if workers is None else ["--workers", str(workers)]) + ["--resume-grace", str(grace),
                                                                        "--max-viewers", str(max_viewers)]
    proc = subprocess.Popen([sys.executable, "-c", "import sys; from server.cli import main; sys.exit(main())",
                             "serve", "--port", str(port), "--max-sessions", str(max_sessions),
                             "--log-level", "warning", *extra])
    for _ in range(600):  # until it answers and its session hosts (processes, or the thread) have warmed up
        try:
            w = healthz(port)["workers"]
            if w["ready"] == w["configured"]:
                return proc
        except OSError:
            pass
        time.sleep(0.1)
    proc.kill()
    raise SystemExit("server did not start")


async def many(port: int, n: int, seconds: float, warmup: float) -> list[Client]:
    # Counted over one common window once every session streams: sessions that connect a little
    # later are not compared on a stretch where the others already shared the CPU.
    clients = [Client(port) for _ in range(n)]
    await asyncio.gather(*(c.run(seconds, warmup=warmup) for c in clients))
    return clients


async def timeline_soak(port: int, seconds: float) -> dict[str, Any]:
    """Train, go back, branch and switch for `seconds`; what the timeline messages said."""
    import websockets

    out: dict[str, Any] = {"messages": 0, "max_used": 0, "budget": 0, "seeks": 0, "branches_made": 0,
                           "switches": 0, "iteration": 0}
    rng = random.Random(0)
    async with websockets.connect(f"ws://127.0.0.1:{port}/ws", max_size=2**24) as ws:
        await ws.send(json.dumps({"type": "hello"}))
        await ws.send(json.dumps({"type": "play"}))
        end = time.perf_counter() + seconds
        next_move = time.perf_counter() + 3.0
        info: dict[str, Any] = {}
        while time.perf_counter() < end:
            try:
                m = await asyncio.wait_for(ws.recv(), 1.0)
            except TimeoutError:
                m = None
            if isinstance(m, str):
                msg = json.loads(m)
                if msg["type"] == "timeline":
                    info = msg
                    out["messages"] += 1
                    out["max_used"] = max(out["max_used"], msg["used_bytes"])
                    out["budget"] = msg["budget_bytes"]
                    out["checkpoints"], out["branches"] = len(msg["checkpoints"]), len(msg["branches"])
                elif msg["type"] == "error":
                    raise SystemExit(f"timeline soak: {msg}")
            elif isinstance(m, bytes):
                out["iteration"] = decode_frame(m)[0]["iteration"]
            if info and time.perf_counter() >= next_move and info.get("extent", 0) > 20:
                next_move = time.perf_counter() + 3.0
                move = rng.random()
                if move < 0.5:  # back in time, then on with the original
                    await ws.send(json.dumps({"type": "seek", "iteration": rng.randrange(info["extent"]),
                                              "exact": rng.random() < 0.5}))
                    out["seeks"] += 1
                elif move < 0.8:  # back in time and a change there: a branch
                    await ws.send(json.dumps({"type": "seek", "iteration": rng.randrange(info["extent"])}))
                    lr = rng.choice([5e-4, 2e-3, 4e-3])
                    await ws.send(json.dumps({"type": "configure", "patch": {"optimizer_g": {"lr": lr}}}))
                    out["branches_made"] += 1
                else:
                    await ws.send(json.dumps({"type": "switch_branch",
                                              "branch": rng.choice([b["id"] for b in info["branches"]])}))
                    out["switches"] += 1
                await ws.send(json.dumps({"type": "play"}))
    return out


async def soak(port: int, seconds: float, concurrent: int) -> int:
    end = time.perf_counter() + seconds
    sessions = 0

    async def one():
        nonlocal sessions
        while time.perf_counter() < end:
            await Client(port).run(random.uniform(1.0, 3.0))
            sessions += 1

    await asyncio.gather(*(one() for _ in range(concurrent)))
    return sessions


def run_classroom(proc: subprocess.Popen, port: int, counts: list[int], seconds: float) -> None:
    print(f"machine load (1/5/15 min): {' '.join(f'{x:.2f}' for x in os.getloadavg())}")
    asyncio.run(classroom_phase(port, counts, seconds, lambda: cpu_split(proc.pid),
                                lambda: proc_status(proc.pid)["rss_each"][0], healthz))


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--seconds", type=float, default=5.0, help="length of each measuring phase")
    ap.add_argument("--clients", type=int, default=30)
    ap.add_argument("--many-seconds", type=float, default=30.0,
                    help="counted window of the N-client phase (after 3 s of warm-up): at ~1 it/s a "
                    "session, 30 s resolve the slowest/fastest ratio to a few percent")
    ap.add_argument("--rounds", type=int, default=3, help="alternating headless / one-client rounds")
    ap.add_argument("--soak", type=float, default=0.0, help="soak seconds (0: skip)")
    ap.add_argument("--grace", type=float, default=120.0, help="the server's --resume-grace, seconds")
    ap.add_argument("--workers", type=int, help="server worker processes (default: the server's, one per core; "
                    "0: one host thread in the server process)")
    ap.add_argument("--timeline-soak", type=float, default=0.0, help="timeline soak seconds (0: skip)")
    ap.add_argument("--only-timeline", action="store_true", help="run the timeline soak alone")
    ap.add_argument("--viewers", default="100,300", help="classroom phase: viewer counts, comma-separated "
                    "(empty: skip the phase)")
    ap.add_argument("--classroom-seconds", type=float, default=10.0, help="each classroom measuring window")
    ap.add_argument("--only-classroom", action="store_true", help="run the classroom phase only")
    a = ap.parse_args()
    counts = [int(x) for x in a.viewers.split(",") if x.strip()]
    port = free_port()
    proc = start_server(port, max(a.clients, 4), a.workers, a.grace, max(counts, default=0) + 10)
    hosts = healthz(port)["workers"]
    print("server: sessions on one thread of the server process" if hosts.get("in_process")
          else f"server: {hosts['configured']} worker processes")
    try:
        if a.only_timeline:
            report_timeline_soak(port, proc.pid, a.timeline_soak or 60.0)
            return
        if a.only_classroom:
            return run_classroom(proc, port, counts, a.classroom_seconds)
        # The machine is shared and its speed drifts by +-15% within minutes, so headless and served
        # training are measured in alternating rounds and compared round by round (the session is
        # detached, hence paused, while the headless loop runs).
        ratios = []
        for r in range(a.rounds):
            head = headless_its(a.seconds)
            clean = Client(port)  # no configure traffic: pure throughput
            asyncio.run(clean.run(a.seconds))
            ratios.append(clean.frame_its / head)
            print(f"round {r + 1}: headless Trainer.step {head:.0f} it/s (reference config, 1 torch thread); "
                  f"one client {clean.fps:.1f} frames/s, server {clean.frame_its:.0f} it/s, ratio {ratios[-1]:.2f}")
        print(f"one client: training / headless, median of {a.rounds} rounds {sorted(ratios)[len(ratios) // 2]:.2f} "
              f"(min {min(ratios):.2f}, max {max(ratios):.2f}; goal >= 0.8)")

        lat: list[float] = []
        one = Client(port)
        asyncio.run(one.run(a.seconds, configure_every=0.1, latencies=lat))
        lat.sort()
        p95 = lat[min(len(lat) - 1, int(0.95 * len(lat)))] * 1000 if lat else float("nan")
        p50 = lat[len(lat) // 2] * 1000 if lat else float("nan")
        print(f"one client, a configure every 0.1 s: {one.fps:.1f} frames/s, server {one.frame_its:.0f} it/s")
        print(f"configure -> reflecting frame: p50 {p50:.1f} ms, p95 {p95:.1f} ms over {len(lat)} changes (goal <= 100 ms)")

        time.sleep(1.0)
        cpu0, t0 = cpu_split(proc.pid), time.perf_counter()
        cs = asyncio.run(many(port, a.clients, a.many_seconds, warmup=3.0))
        cpu1, dt = cpu_split(proc.pid), time.perf_counter() - t0
        lag = healthz(port, window=a.many_seconds)["loop_lag_ms"]
        fps = [c.fps for c in cs]
        its = [c.frame_its for c in cs]
        errors = sum(len(c.errors) for c in cs)
        print(f"{a.clients} clients: frames/s min {min(fps):.1f} median {sorted(fps)[len(fps) // 2]:.1f} "
              f"(goal each >= 10); it/s min {min(its):.2f} max {max(its):.2f}, slowest/fastest "
              f"{min(its) / max(max(its), 1e-9):.2f} (goal >= 0.67); total {sum(its):.0f} it/s")
        print(f"event-loop lag: p50 {lag['p50']:.1f} ms, p99 {lag['p99']:.1f} ms, max {lag['max']:.1f} ms "
              f"(goal p99 <= 50 ms); errors {errors}")
        use = {k: (cpu1[k] - cpu0[k]) / dt for k in cpu0}
        print(f"CPU in use meanwhile (cores, of {len(os.sched_getaffinity(0))}): server front {use['front']:.2f}, "
              f"workers {use['workers']:.2f}, this benchmark's {a.clients} clients {use['bench']:.2f}")

        if a.soak:
            time.sleep(2.0)
            before = proc_status(proc.pid)
            # The session population (live + detached ones waiting out their grace period) and the
            # allocators settle during the first grace period; growth after that is what a leak shows.
            settle = min(120.0, a.soak / 3)
            marks: dict[str, dict[str, int]] = {}

            async def mark_settled():
                await asyncio.sleep(settle)
                marks["settled"] = proc_status(proc.pid)

            async def run_soak():
                return (await asyncio.gather(soak(port, a.soak, max(2, a.clients // 3)), mark_settled()))[0]

            n = asyncio.run(run_soak())
            time.sleep(3.0)
            after = proc_status(proc.pid)
            settled = marks["settled"]
            # Every session closed leaves a detached one for its resume grace; once those have ended
            # too the population is what it was before the soak (none), so RSS then shows a leak.
            deadline = time.perf_counter() + a.grace + 30
            while time.perf_counter() < deadline:
                h = healthz(port)
                if h["sessions"] == 0 and h["detached"] == 0:
                    break
                time.sleep(2.0)
            time.sleep(6.0)  # a worker gives freed heap back at most every 5 s (server.sessions.host.TRIM_EVERY_S)
            empty = proc_status(proc.pid)

            def pct(x, y):
                return 100 * (y["VmRSS"] - x["VmRSS"]) / x["VmRSS"]

            print(f"soak {a.soak:.0f} s: {n} sessions came and went; RSS (server + workers) "
                  f"{before['VmRSS'] / 1024:.0f} -> {settled['VmRSS'] / 1024:.0f} MB after {settle:.0f} s "
                  f"({pct(before, settled):+.1f}%, settling) -> {after['VmRSS'] / 1024:.0f} MB at the end: "
                  f"{pct(settled, after):+.1f}% after settling (goal <= 10%), {pct(before, after):+.1f}% in all; "
                  f"threads {before['Threads']} -> {settled['Threads']} -> {after['Threads']}")
            print(f"after the soak, every session (detached ones too) ended: RSS {empty['VmRSS'] / 1024:.0f} MB, "
                  f"{pct(before, empty):+.1f}% against before the soak (the same population: none; goal <= 10%); "
                  f"threads {empty['Threads']}, processes {empty['Processes']}")
            print(f"RSS by process: before {rss_split(before)}; settled {rss_split(settled)}; "
                  f"at the end {rss_split(after)}; all ended {rss_split(empty)}")
        if a.timeline_soak:
            report_timeline_soak(port, proc.pid, a.timeline_soak)
        if counts:
            time.sleep(2.0)
            run_classroom(proc, port, counts, a.classroom_seconds)
    finally:
        proc.terminate()
        proc.wait(10)


def report_timeline_soak(port: int, pid: int, seconds: float) -> None:
    marks: dict[str, dict[str, Any]] = {}

    async def mark(name: str, after: float) -> None:
        await asyncio.sleep(after)
        marks[name] = proc_status(pid)

    async def run() -> dict[str, Any]:
        return (await asyncio.gather(timeline_soak(port, seconds), mark("quarter", seconds / 4)))[0]

    r = asyncio.run(run())
    end = proc_status(pid)
    growth = 100 * (end["VmRSS"] - marks["quarter"]["VmRSS"]) / marks["quarter"]["VmRSS"]
    print(f"timeline soak {seconds:.0f} s: {r['seeks']} seeks, {r['branches_made']} "
          f"branches made, {r['switches']} switches (at iteration {r['iteration']} at the end); "
          f"{r['messages']} timeline messages, largest used "
          f"{r['max_used'] / 2**20:.2f} MB of a {r['budget'] / 2**20:.2f} MB budget "
          f"({'never above it' if r['max_used'] <= r['budget'] else 'ABOVE IT'}); kept at the end "
          f"{r.get('checkpoints', 0)} checkpoints, {r.get('branches', 0)} branches; server RSS "
          f"{marks['quarter']['VmRSS'] / 1024:.0f} MB after {seconds / 4:.0f} s -> {end['VmRSS'] / 1024:.0f} MB "
          f"({growth:+.1f}%)")


if __name__ == "__main__":
    main()

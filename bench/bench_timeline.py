"""Benchmark the timeline (issue 16's goals), printing measured numbers: restoring a checkpoint
(goal <= 50 ms) and frames while scrubbing (goal >= 10 frames/s) on the reference config (ring,
2x64 MLPs, batch 256; frames at a 64x64 grid, 512 samples, gradients).

    python bench/bench_timeline.py [--iterations 3000] [--seconds 5] [--no-server]

1. in process: train, then restore random checkpoints (Timeline.seek: the weights, optimizer state,
   RNG, config copied back) - ms per restore; and an exact restore (Trainer.restore: the nearest
   checkpoint, then the replay to the iteration) - ms, with the replay length
2. in process: a scrub frame = restore the nearest checkpoint + snapshot + encode the frame - frames/s
3. over a real `toygan serve` on loopback: one client trains to --iterations, then drags: a
   `seek {exact: false}` as soon as the previous seek's frame arrived - frames/s and ms per seek;
   then one exact seek (release) - ms until its frame
Everything stays on 127.0.0.1.
"""

from __future__ import annotations

import argparse
import asyncio
import json
import random
import statistics
import sys
import time
from dataclasses import replace
from pathlib import Path

import torch

# This checkout's gan_core and server (not an installed copy), and bench_server's helpers beside it.
sys.path[:0] = [str(Path(__file__).resolve().parents[1]), str(Path(__file__).resolve().parent)]

from bench_server import free_port, start_server  # noqa: E402

from gan_core.engine.snapshot import SnapshotOptions  # noqa: E402
from gan_core.engine.trainer import Trainer  # noqa: E402
from server.wire.frames import decode_frame, encode_frame  # noqa: E402

torch.set_num_threads(1)
FRAME = SnapshotOptions(grid=64, samples=512, gradients=True)


def pct(xs: list[float], q: float) -> float:
    xs = sorted(xs)
    return xs[min(len(xs) - 1, int(q * len(xs)))]


def in_process(iterations: int, seconds: float) -> None:
    t = Trainer()
    start = time.perf_counter()
    t.step(iterations)
    took = time.perf_counter() - start
    tl = t.timeline
    cks = t.checkpoints()
    print(f"trained {iterations} iterations in {took:.1f} s ({iterations / took:.0f} it/s, timeline on); "
          f"{len(cks)} checkpoints of {tl.ck_bytes / 1024:.0f} KB, {tl.bytes_used() / 2**20:.2f} of "
          f"{tl.budget_bytes / 2**20:.0f} MB; largest gap {max(b - a for a, b in zip(cks, cks[1:], strict=False))} "
          "iterations")
    rng = random.Random(0)
    ms = []
    for _ in range(300):
        k = rng.choice(cks)
        s = time.perf_counter()
        tl.seek(t, k)
        ms.append((time.perf_counter() - s) * 1000)
    print(f"restore a checkpoint (Timeline.seek): median {statistics.median(ms):.2f} ms, p95 {pct(ms, 0.95):.2f} ms, "
          f"max {max(ms):.2f} ms over {len(ms)} (goal <= 50 ms)")
    exact, dist = [], []
    for _ in range(20):
        k = rng.randrange(0, iterations)
        at = tl.nearest(k).iteration
        s = time.perf_counter()
        t.restore(k)
        exact.append((time.perf_counter() - s) * 1000)
        dist.append(k - at)
    print(f"exact restore (Trainer.restore: checkpoint + replay): median {statistics.median(exact):.0f} ms, "
          f"max {max(exact):.0f} ms; replays of median {statistics.median(dist):.0f}, max {max(dist)} iterations")
    # A scrub frame as the session makes it: fresh samples, D surface and gradients, and metrics
    # only on their own clock (metrics_interval_s), so most frames have none.
    preview = replace(FRAME, metrics=False)
    n, s = 0, time.perf_counter()
    while time.perf_counter() - s < seconds:
        tl.seek(t, rng.randrange(0, iterations))
        encode_frame(t.snapshot(preview))
        n += 1
    fps = n / (time.perf_counter() - s)
    full = []
    for _ in range(5):
        tl.seek(t, rng.randrange(0, iterations))
        s = time.perf_counter()
        encode_frame(t.snapshot(FRAME))
        full.append((time.perf_counter() - s) * 1000)
    print(f"scrub frame in process (restore + snapshot + encode, 64x64 grid, no metrics): {fps:.1f} frames/s, "
          f"{1000 / fps:.1f} ms each (goal >= 10 frames/s); a frame with fresh metrics (one per "
          f"metrics_interval_s) {statistics.median(full):.0f} ms")


async def over_the_socket(port: int, iterations: int, seconds: float) -> None:
    import websockets

    async with websockets.connect(f"ws://127.0.0.1:{port}/ws", max_size=2**24) as ws:
        await ws.send(json.dumps({"type": "hello", "view": {"grid": 64, "samples": 512, "gradients": True}}))
        at = 0
        while at < iterations:  # train in step requests (at most 1000 iterations each), one at a time
            goal = min(iterations, at + 1000)
            await ws.send(json.dumps({"type": "step", "n": goal - at}))
            while at < goal:
                m = await ws.recv()
                if isinstance(m, str) and json.loads(m)["type"] == "status":
                    at = json.loads(m)["iteration"]

        async def frame_at(target: int | None) -> dict:
            while True:
                m = await ws.recv()
                if isinstance(m, bytes):
                    h, _ = decode_frame(m)
                    if target is None or h["iteration"] == target:
                        return h
                elif json.loads(m)["type"] == "error":
                    raise SystemExit(m)

        async def seek_reply() -> dict:
            while True:
                m = await ws.recv()
                if isinstance(m, str) and json.loads(m)["type"] == "timeline":
                    return json.loads(m)

        rng = random.Random(1)
        lat, n, start = [], 0, time.perf_counter()
        while time.perf_counter() - start < seconds:
            k = rng.randrange(0, iterations)
            s = time.perf_counter()
            await ws.send(json.dumps({"type": "seek", "iteration": k, "exact": False}))
            tl = await seek_reply()
            h = await frame_at(tl["seek"]["at"])
            lat.append((time.perf_counter() - s) * 1000)
            n += 1
            assert h["surface_iteration"] == h["iteration"]  # a fresh surface of the iteration shown
        fps = n / (time.perf_counter() - start)
        print(f"scrubbing over the websocket (a seek as soon as the last one's frame came): {fps:.1f} frames/s; "
              f"seek -> frame median {statistics.median(lat):.1f} ms, p95 {pct(lat, 0.95):.1f} ms "
              f"(goal >= 10 frames/s)")
        k = iterations // 2 + 7
        s = time.perf_counter()
        await ws.send(json.dumps({"type": "seek", "iteration": k, "exact": True}))
        first = await seek_reply()
        await frame_at(k)
        print(f"let go (exact seek to {k}): replay from {first['seek']['at']} ({k - first['seek']['at']} "
              f"iterations), frame after {(time.perf_counter() - s) * 1000:.0f} ms")


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--iterations", type=int, default=3000)
    ap.add_argument("--seconds", type=float, default=5.0)
    ap.add_argument("--no-server", action="store_true", help="only the in-process measurements")
    a = ap.parse_args()
    in_process(a.iterations, a.seconds)
    if a.no_server:
        return
    port = free_port()
    proc = start_server(port, 4, None, 120.0)
    try:
        asyncio.run(over_the_socket(port, a.iterations, a.seconds))
    finally:
        proc.terminate()
        proc.wait(10)


if __name__ == "__main__":
    main()

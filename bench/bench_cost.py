"""Fit the cost model's reference core (gan_core.engine.cost.REFERENCE) and show how well it predicts.

Trains and snapshots a spread of configs and views (tiny to large networks, batches 1..2048, k,
unroll, penalties, big views), measures each iteration's and frame's CPU time of this thread
(time.thread_time: other processes on a shared machine barely move it), and fits
`seconds = flops / F + bytes / B + ops * O` by non-negative least squares on relative error.
Prints F, B, O and, per case, the measured and predicted ms and their ratio.
Usage: python bench/bench_cost.py [--repeat N]
"""

from __future__ import annotations

import argparse
import itertools
import statistics
import time

import numpy as np
import torch

from gan_core.engine import cost
from gan_core.engine.config import parse_config
from gan_core.engine.snapshot import SnapshotOptions
from gan_core.engine.trainer import Trainer


def _mlp(width: int, depth: int) -> dict:
    return {"width": width, "depth": depth}


ITERATION_CASES = [
    {},
    {"training": {"batch_size": 16}},
    {"training": {"batch_size": 1024}},
    {"training": {"batch_size": 2048}, "generator": _mlp(128, 3), "discriminator": _mlp(128, 3)},
    {"generator": _mlp(256, 3), "discriminator": _mlp(256, 3), "training": {"batch_size": 64}},
    {"generator": _mlp(512, 2), "discriminator": _mlp(512, 2), "training": {"batch_size": 8}},
    {"generator": _mlp(512, 3), "discriminator": _mlp(512, 3), "training": {"batch_size": 256}},
    {"generator": _mlp(512, 6), "discriminator": _mlp(512, 6), "training": {"batch_size": 1}},
    {"generator": _mlp(16, 1), "discriminator": _mlp(16, 1), "training": {"batch_size": 32, "k_d": 10}},
    {"training": {"k_d": 5}, "objective": {"name": "wgan-gp"}},
    {"training": {"unroll": 5}},
    {"training": {"unroll": 3, "batch_size": 1024}, "generator": _mlp(128, 2)},
    {"regularizers": {"r1": 1.0, "dragan": 1.0}},
    {"training": {"update": "simultaneous", "k_d": 3}},
    {"regularizers": {"consensus": 1.0}},
    {"discriminator": {"spectral_norm": True, "width": 256}, "training": {"batch_size": 512}},
    {"discriminator": {"batch_norm": True, "dropout": 0.2}, "generator": {"batch_norm": True}},
    {"optimizer_d": {"name": "sgd"}, "optimizer_g": {"name": "sgd"}, "training": {"batch_size": 4096}},
    {"target": {"name": "dirac"}, "generator": {"kind": "point"}, "discriminator": {"kind": "linear"},
     "training": {"batch_size": 1}},
]

FRAME_CASES = [
    ({}, SnapshotOptions()),
    ({}, SnapshotOptions(samples=4096, grid=128, manifold=64, optimal_d=True)),
    ({}, SnapshotOptions(samples=2048, grid=128, manifold=0, gradients=False)),
    ({"generator": _mlp(256, 3), "discriminator": _mlp(256, 3)}, SnapshotOptions(samples=1024, grid=96)),
    ({"generator": _mlp(512, 4), "discriminator": _mlp(512, 4)}, SnapshotOptions(samples=512, grid=64)),
    ({"target": {"name": "grid", "modes": 32}}, SnapshotOptions(samples=4096, grid=128, optimal_d=True)),
    ({"target": {"name": "mixture-1d"}}, SnapshotOptions(samples=4096, grid=512, optimal_d=True)),
    ({"target": {"name": "drawn", "points": [[i / 100, (i % 7) / 10] for i in range(5000)]}},
     SnapshotOptions(samples=1024, grid=64, optimal_d=True)),
    ({}, SnapshotOptions(samples=64, grid=16, manifold=0)),
]


def _cpu(fn, repeat: int) -> float:
    """Median CPU seconds of this thread for fn()."""
    times = []
    for _ in range(repeat):
        t0 = time.thread_time()
        fn()
        times.append(time.thread_time() - t0)
    return statistics.median(times)


def measure(repeat: int) -> list[tuple[str, cost.Cost, float]]:
    out = []
    for patch in ITERATION_CASES:
        t = Trainer(parse_config(patch))
        t.step(2)  # warm
        w = cost.workload(t.config)
        n = max(1, min(50, int(0.05 / max(cost.iteration_cost(w).seconds(), 1e-6))))
        out.append((f"iter {patch}", cost.iteration_cost(w) * n, _cpu(lambda t=t, n=n: t.step(n), repeat)))
    for patch, view in FRAME_CASES:
        t = Trainer(parse_config(patch))
        t.step(1)
        t.snapshot(view)
        w = cost.workload(t.config)
        out.append((f"frame {patch} {view.samples}/{view.grid}/{view.manifold}/{int(view.optimal_d)}",
                    cost.frame_cost(w, view), _cpu(lambda t=t, v=view: t.snapshot(v), repeat)))
    return out


def fit(rows: list[tuple[str, cost.Cost, float]]) -> cost.Machine:
    """Non-negative least squares on relative error over (1/F, 1/B, O), by trying every subset."""
    a = np.array([[c.flops, c.bytes, c.ops] for _, c, _ in rows]) / np.array([[m] for *_, m in rows])
    y = np.ones(len(rows))
    best = None
    for k in range(1, 4):
        for cols in itertools.combinations(range(3), k):
            x, *_ = np.linalg.lstsq(a[:, cols], y, rcond=None)
            if (x < 0).any():
                continue
            full = np.zeros(3)
            full[list(cols)] = x
            err = float(((a @ full - y) ** 2).sum())
            if best is None or err < best[0]:
                best = (err, full)
    assert best is not None
    inv_f, inv_b, op = best[1]
    return cost.Machine(1 / inv_f if inv_f else float("inf"), 1 / inv_b if inv_b else float("inf"), op)


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--repeat", type=int, default=5)
    args = ap.parse_args()
    torch.set_num_threads(1)
    rows = measure(args.repeat)
    m = fit(rows)
    print(f"fitted: {m.flops_per_s / 1e9:.2f} GFLOP/s, {m.bytes_per_s / 1e9:.2f} GB/s, {m.op_s * 1e6:.2f} us/op")
    print(f"in use: {cost.REFERENCE.flops_per_s / 1e9:.2f} GFLOP/s, {cost.REFERENCE.bytes_per_s / 1e9:.2f} GB/s, "
          f"{cost.REFERENCE.op_s * 1e6:.2f} us/op")
    print(f"{'measured ms':>12} {'fitted ms':>10} {'in use ms':>10} {'ratio':>6}  case")
    for name, c, secs in rows:
        print(f"{secs * 1e3:12.2f} {c.ms(m):10.2f} {c.ms():10.2f} {c.ms() / (secs * 1e3):6.2f}  {name[:90]}")


if __name__ == "__main__":
    main()

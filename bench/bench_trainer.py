"""Trainer speed against a bare hand-written torch loop of the same model, and one snapshot's cost.

Reference (issue "Training engine"): ring of 8, G and D 2x64 LeakyReLU MLPs, noise dim 2, batch
256, non-saturating loss, Adam, one torch thread. Goals: Trainer.step() at >= 0.9 of the bare
loop's iterations per second; snapshot() at 64x64 grid + 512 samples in <= 3 ms.

The two loops run in interleaved rounds (trainer, bare, trainer, bare, ...), so load from other
processes on a shared machine hits both alike; the headline ratio is the median over rounds of
trainer it/s / bare it/s within a round, with each loop's best round alongside.
Usage: python bench/bench_trainer.py [--rounds R] [--iters N]
"""

from __future__ import annotations

import argparse
import math
import statistics
import time

import torch
import torch.nn.functional as F
from torch import nn

from gan_core.engine.config import ExperimentConfig
from gan_core.engine.snapshot import SnapshotOptions
from gan_core.engine.trainer import Trainer


def _mlp(i: int, o: int) -> nn.Sequential:
    return nn.Sequential(nn.Linear(i, 64), nn.LeakyReLU(0.2), nn.Linear(64, 64), nn.LeakyReLU(0.2),
                         nn.Linear(64, o))


class BareLoop:
    """What a person would write by hand: no config, no history, no checks."""

    def __init__(self, seed: int = 0, batch: int = 256):
        self.g = torch.Generator().manual_seed(seed)
        self.batch = batch
        angles = torch.arange(8) * (2 * math.pi / 8)
        self.centers = 2.0 * torch.stack([angles.cos(), angles.sin()], 1)
        self.G, self.D = _mlp(2, 2), _mlp(2, 1)
        self.opt_g = torch.optim.Adam(self.G.parameters(), lr=1e-3, betas=(0.5, 0.999))
        self.opt_d = torch.optim.Adam(self.D.parameters(), lr=1e-3, betas=(0.5, 0.999))

    def real(self) -> torch.Tensor:
        idx = torch.randint(0, 8, (self.batch,), generator=self.g)
        return self.centers[idx] + 0.02 * torch.randn(self.batch, 2, generator=self.g)

    def step(self, n: int) -> None:
        for _ in range(n):
            real = self.real()
            z = torch.randn(self.batch, 2, generator=self.g)
            with torch.no_grad():
                fake = self.G(z)
            loss_d = F.softplus(-self.D(real)).mean() + F.softplus(self.D(fake)).mean()
            self.opt_d.zero_grad(set_to_none=True)
            loss_d.backward()
            self.opt_d.step()
            z = torch.randn(self.batch, 2, generator=self.g)
            loss_g = F.softplus(-self.D(self.G(z))).mean()
            self.opt_g.zero_grad(set_to_none=True)
            loss_g.backward()
            self.opt_g.step()


def _rate(step, n: int) -> float:
    t0 = time.perf_counter()
    step(n)
    return n / (time.perf_counter() - t0)


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--rounds", type=int, default=15)
    ap.add_argument("--iters", type=int, default=200, help="iterations per round")
    args = ap.parse_args()
    torch.set_num_threads(1)

    cfg = ExperimentConfig()  # the defaults are the reference config
    assert (cfg.target.name, cfg.generator.depth, cfg.generator.width, cfg.noise.dim,
            cfg.training.batch_size, cfg.objective.name, cfg.optimizer_d.name) == (
        "ring", 2, 64, 2, 256, "non-saturating", "adam")
    trainer, bare = Trainer(cfg), BareLoop()
    trainer.step(50)  # warm-up: allocator, autograd caches
    bare.step(50)
    t_rates, b_rates = [], []
    for _ in range(args.rounds):
        t_rates.append(_rate(trainer.step, args.iters))
        b_rates.append(_rate(bare.step, args.iters))
    t_best, b_best = max(t_rates), max(b_rates)
    ratios = [a / b for a, b in zip(t_rates, b_rates, strict=True)]
    print(f"Trainer.step():   {t_best:8.1f} it/s (best of {args.rounds} rounds of {args.iters})")
    print(f"bare torch loop:  {b_best:8.1f} it/s")
    print(f"ratio:            {statistics.median(ratios):8.3f}   (median of per-round ratios; goal >= 0.9)")
    print(f"                  best/best {t_best / b_best:.3f}, per-round min {min(ratios):.3f}, max {max(ratios):.3f}")

    opts = SnapshotOptions(samples=512, grid=64)
    for _ in range(5):
        trainer.snapshot(opts)
    times = []
    for _ in range(50):
        t0 = time.perf_counter()
        trainer.snapshot(opts)
        times.append(time.perf_counter() - t0)
    print(f"snapshot() 64x64 grid, 512 samples, manifold {opts.manifold}, gradients, metrics: "
          f"median {1e3 * statistics.median(times):.2f} ms, best {1e3 * min(times):.2f} ms   (goal <= 3 ms)")
    lean = SnapshotOptions(samples=512, grid=64, metrics=False)
    times = []
    for _ in range(50):
        t0 = time.perf_counter()
        trainer.snapshot(lean)
        times.append(time.perf_counter() - t0)
    print(f"snapshot() without metrics: median {1e3 * statistics.median(times):.2f} ms, "
          f"best {1e3 * min(times):.2f} ms")


if __name__ == "__main__":
    main()

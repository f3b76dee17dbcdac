"""Measure presets' claims over seeds: how many seeds hold each claim, with every seed's value.

    python -m gan_core.claims [NAME ...] [--seeds N] [--jobs J]

With no NAME every preset is checked; --seeds N runs seeds 0..N-1 for every claim instead of the
claim's own count (to measure a pass rate before stating one). The slow claim test uses the same
functions, so what this prints is what CI checks. Each (preset, seed) run is trained once, baselines
included, on J worker processes (one torch thread each: these nets are tiny, see cli.py).
"""

from __future__ import annotations

import argparse
import multiprocessing
from dataclasses import dataclass
from typing import Any

from gan_core.presets import claim_value, get_preset, holds, list_presets, run_preset
from gan_core.reproduce import usable_cores

Run = tuple[str, int]  # (preset name, seed)


@dataclass(frozen=True)
class ClaimResult:
    preset: str
    claim: dict[str, Any]
    values: tuple[float, ...]   # per seed 0..n-1: the number the claim is judged on (claim_value)
    held: tuple[bool, ...]      # per seed: whether it holds

    @property
    def passed(self) -> int:
        return sum(self.held)

    @property
    def ok(self) -> bool:
        """At least the stated rate (min_pass of the claim's seeds), over however many seeds ran."""
        return self.passed * seeds_of(self.claim) >= self.claim["min_pass"] * len(self.held)


def seeds_of(claim: dict[str, Any], seeds: int | None = None) -> int:
    return int(seeds if seeds is not None else claim.get("seeds", 1))


def runs_needed(names: list[str], seeds: int | None = None) -> list[Run]:
    """Every (preset, seed) the claims of `names` need, baselines included, each once, costliest first
    (see _cost), so the pool ends on short runs, not on one long one."""
    need: set[Run] = set()
    for name in names:
        for c in get_preset(name).claims:
            for s in range(seeds_of(c, seeds)):
                need.add((name, s))
                if c.get("baseline"):
                    need.add((c["baseline"], s))
    return sorted(need, key=lambda r: (-_cost(r[0]), r))


def _cost(name: str) -> float:
    """A preset run's rough cost: steps x (1 + unrolled D steps) x D steps x batch size."""
    p = get_preset(name)
    t = p.config.get("training", {})
    return p.steps * (1 + t.get("unroll", 0)) * t.get("k_d", 1) * t.get("batch_size", 256)


def _one(run: Run) -> tuple[Run, dict[str, Any]]:
    import torch

    torch.set_num_threads(1)
    return run, run_preset(run[0], seed=run[1])


def train_runs(runs: list[Run], jobs: int = 1) -> dict[Run, dict[str, Any]]:
    """run_preset for each run, on `jobs` spawned processes (spawn: no forked torch thread pools)."""
    if jobs <= 1 or len(runs) <= 1:
        return dict(_one(r) for r in runs)
    with multiprocessing.get_context("spawn").Pool(min(jobs, len(runs))) as pool:
        return dict(pool.imap_unordered(_one, runs, chunksize=1))


def check_preset(name: str, runs: dict[Run, dict[str, Any]], seeds: int | None = None) -> list[ClaimResult]:
    """Every claim of preset `name` judged on `runs` (from train_runs over runs_needed)."""
    out = []
    for c in get_preset(name).claims:
        n = seeds_of(c, seeds)
        base = [runs[(c["baseline"], s)] if c.get("baseline") else None for s in range(n)]
        vals = tuple(claim_value(c, runs[(name, s)], base[s]) for s in range(n))
        out.append(ClaimResult(name, c, vals, tuple(holds(c, v) for v in vals)))
    return out


def describe(r: ClaimResult) -> str:
    c = r.claim
    what = f"{c['metric']} {c['op']} {c['value']}"
    if c.get("baseline"):
        what = f"{c['metric']} - {c['baseline']}'s {c['op']} {c['value']}"
    if c.get("at") == "evals":
        what += f" at >= {c.get('frac', 1.0):.0%} of evaluations"
    vals = ", ".join(f"{v:.3g}" for v in r.values)
    verdict = "ok" if r.ok else "FAILS"
    return (f"{r.preset}: {what}: held on {r.passed} of {len(r.held)} seeds "
            f"(needs {c['min_pass']} of {seeds_of(c)}) {verdict}; values [{vals}]")


def main(argv: list[str] | None = None) -> int:
    ap = argparse.ArgumentParser(prog="python -m gan_core.claims", description=__doc__.splitlines()[0])
    ap.add_argument("names", nargs="*", help="presets (default: all)")
    ap.add_argument("--seeds", type=int, help="seeds 0..N-1 for every claim (default: each claim's own)")
    ap.add_argument("--jobs", type=int, default=usable_cores(), help="worker processes")
    a = ap.parse_args(argv)
    names = a.names or [p.name for p in list_presets()]
    for n in names:
        get_preset(n)  # unknown names fail here, before any training
    runs = train_runs(runs_needed(names, a.seeds), a.jobs)
    results = [r for n in names for r in check_preset(n, runs, a.seeds)]
    for r in results:
        print(describe(r))
    return 0 if all(r.ok for r in results) else 1


if __name__ == "__main__":
    raise SystemExit(main())

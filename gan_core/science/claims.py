"""Presets' claims, judged and measured: run a preset headless over seeds, judge each claim on
each seed's run, and report how many seeds hold it, with every seed's value.

    toygan claims [NAME ...] [--seeds N] [--jobs J]     (also python -m gan_core claims ...)

With no NAME every preset is checked; --seeds N runs seeds 0..N-1 for every claim instead of the
claim's own count (to measure a pass rate before stating one). The slow claim test uses the same
functions, so what this prints is what CI checks. Each (preset, seed) run is trained once, baselines
included, on J worker processes (one torch thread each: these nets are tiny). The claim format is
described in gan_core.science.presets.
"""

from __future__ import annotations

import argparse
import math
import multiprocessing
from dataclasses import dataclass
from typing import Any

import numpy as np

from gan_core.cores import usable_cores
from gan_core.engine.config import ConfigError
from gan_core.engine.trainer import Trainer
from gan_core.science.presets import get_preset, list_presets

Run = tuple[str, int]  # (preset name, seed)
# A Dirac game has settled once its distance to the equilibrium is below this share of the start.
SETTLED = 0.05
# A one-mode run has arrived once its sample distance (W1) is below this share of the first one.
ARRIVED = 0.1


def per_eval(m: dict[str, float], target: Any) -> dict[str, float]:
    """Metrics derived from one evaluate() dict: errors against a one-mode target, D's gap."""
    out = dict(m)
    if "d_real_mean" in m and "d_fake_mean" in m:
        out["d_gap"] = m["d_real_mean"] - m["d_fake_mean"]  # 0 when D cannot tell them apart
    ms = target.mean_std() if hasattr(target, "mean_std") else None
    if ms is not None and len(target.centers) == 1 and "fake_mean_x" in m:
        mean, std = ms
        out["mean_error"] = abs(m["fake_mean_x"] - float(mean[0]))
        if float(std[0]) > 0:
            out["std_ratio"] = m["fake_std"] / float(std[0])
    return out


def per_run(evals: list[dict[str, float]], target: Any) -> dict[str, float]:
    """Whole-run metrics over the evaluations (the first one is taken before any step)."""
    first, last = evals[0], evals[-1]
    out: dict[str, float] = {}
    if first.get("sample_distance", 0) > 0:
        out["sample_distance_ratio"] = last["sample_distance"] / first["sample_distance"]
        # The first evaluation's iteration at which W1 has fallen to ARRIVED of the start (inf: never).
        arrived = [e.get("iteration", math.nan) for e in evals
                   if e["sample_distance"] <= ARRIVED * first["sample_distance"]]
        out["arrival_iteration"] = float(arrived[0]) if arrived else math.inf
    c = np.asarray(target.centers, dtype=np.float64)
    if len(c) > 1 and "fake_mean_x" in last:
        # The mode nearest to the generated mean, at each evaluation after the first: a collapsed
        # generator that hops round the ring visits several; a spread-out one sits near the centre.
        keys = ["fake_mean_x", "fake_mean_y"][: c.shape[1]]
        means = np.array([[e[k] for k in keys] for e in evals[1:]])
        near = np.linalg.norm(means[:, None, :] - c[None], axis=-1).argmin(1)
        out["mean_modes_visited"] = float(len(set(near.tolist())))
    if "distance_to_equilibrium" in first and first["distance_to_equilibrium"] > 0:
        d = np.array([e["distance_to_equilibrium"] for e in evals])
        d0 = d[0]
        out["dirac_increasing_fraction"] = float((np.diff(d) > 0).mean()) if len(d) > 1 else 0.0
        out["dirac_max_ratio"] = float(d.max() / d0)
        out["dirac_min_ratio"] = float(d[len(d) // 2:].min() / d0)  # over the second half of the run
        out["dirac_final_ratio"] = float(d[-1] / d0)
        x = np.array([e["fake_mean_x"] for e in evals]) - float(c[0][0])
        crossed = np.sign(x[1:]) * np.sign(x[:-1]) < 0  # passes of theta (its x) through the target
        out["crossings"] = float(crossed.sum())
        # ... while still farther than SETTLED x the start from the equilibrium: an inward spiral
        # crosses while it is still visibly turning; a critically damped path never crosses.
        out["crossings_before_settling"] = float((crossed & (d[:-1] > SETTLED * d0)).sum())
    return out


def run_preset(name: str, seed: int, steps: int | None = None, n_eval: int = 2048) -> dict[str, Any]:
    """Train preset `name` headless on `seed`; returns {"final", "evals", "run"} metric dicts.

    Evaluations are taken before the first step and every `eval_every` iterations (the preset's,
    else steps // 10); "final" is the last one (after `steps`: by default the preset's claims_steps,
    else its steps), with the derived metrics. Each
    carries its `iteration` and, except on a Dirac target (a point has no density), the
    kl_grid / js_grid the page's curves show.
    """
    p = get_preset(name)
    steps = p.claim_budget if steps is None else int(steps)
    every = max(1, p.eval_every or steps // 10)
    t = Trainer(p.experiment(seed))
    grid = t.config.target.name != "dirac"

    def evaluation() -> dict[str, float]:
        return {**per_eval(t.evaluate(n_eval, divergences=grid), t.target), "iteration": float(t.iteration)}

    evals = [evaluation()]
    while t.iteration < steps and t.status == "ok":
        t.step(min(every, steps - t.iteration))
        evals.append(evaluation())
    return {"final": evals[-1], "evals": evals, "run": per_run(evals, t.target), "status": t.status}


def _holds(x: float, op: str, value: Any) -> bool:
    if x != x:  # NaN (a diverged run) satisfies no claim
        return False
    if op == "between":
        return value[0] <= x <= value[1]
    return {"<=": x <= value, ">=": x >= value, "<": x < value, ">": x > value}[op]


def claim_value(claim: dict[str, Any], result: dict[str, Any], baseline: dict[str, Any] | None = None) -> float:
    """The number `claim` is judged on for one seed's run: the metric (minus the baseline's, for a
    baseline claim), or for at="evals" the fraction of evaluations after the first that hold it."""
    metric, op, at = claim["metric"], claim["op"], claim.get("at", "final")

    def value_of(res: dict[str, Any]) -> float:
        src = res["run"] if at == "run" else res["final"]
        return float(src.get(metric, float("nan")))

    if at == "evals":
        ok = [_holds(float(e.get(metric, float("nan"))), op, claim["value"]) for e in result["evals"][1:]]
        return sum(ok) / len(ok) if ok else float("nan")
    if claim.get("baseline"):
        if baseline is None:
            raise ValueError(f"claim on {metric} compares against {claim['baseline']}: pass its run")
        return value_of(result) - value_of(baseline)
    return value_of(result)


def holds(claim: dict[str, Any], value: float) -> bool:
    """Whether `value` (claim_value of one seed's run) satisfies `claim`."""
    if claim.get("at", "final") == "evals":
        return value == value and value >= claim.get("frac", 1.0)
    return _holds(value, claim["op"], claim["value"])


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
    return p.claim_budget * (1 + t.get("unroll", 0)) * t.get("k_d", 1) * t.get("batch_size", 256)


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


def add_arguments(p: argparse.ArgumentParser) -> None:
    """The options of `toygan claims`."""
    p.add_argument("names", nargs="*", help="presets (default: all)")
    p.add_argument("--seeds", type=int, help="seeds 0..N-1 for every claim (default: each claim's own)")
    p.add_argument("--jobs", type=int, default=usable_cores(), help="worker processes")


def command(a: argparse.Namespace) -> int:
    """Run `toygan claims`: print one line per claim; exit 1 when any claim misses its stated rate."""
    names = a.names or [p.name for p in list_presets()]
    for n in names:
        try:
            get_preset(n)  # unknown names fail here, before any training
        except KeyError as exc:
            raise ConfigError(str(exc.args[0]), "names") from None
    runs = train_runs(runs_needed(names, a.seeds), a.jobs)
    results = [r for n in names for r in check_preset(n, runs, a.seeds)]
    for r in results:
        print(describe(r))
    return 0 if all(r.ok for r in results) else 1

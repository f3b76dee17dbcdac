"""Named scenarios: a config patch plus what it must show. Presets are data, not code.

    list_presets() -> list[Preset]            # every preset, in teaching order
    get_preset(name) -> Preset                # KeyError naming the known presets
    preset_config(name, seed=None) -> ExperimentConfig

The data lives in gan_core/preset_data/presets.json: each entry has name, title, description
(one paragraph: what to watch and why), view ("1d" | "2d" | "dirac"), config (a patch over
ExperimentConfig's defaults), steps (the headless budget) and claims. A claim is a dict read by
check_claim below; gan_core.claims runs presets over seeds and reports each claim's pass rate:

    {"metric": "modes_captured", "op": "<=", "value": 2, "at": "final", "seeds": 5, "min_pass": 4}

metric  a key of Trainer.evaluate() or a derived one (_per_eval, _per_run below)
op      "<=", ">=", "<", ">", "between" (value [lo, hi])
at      "final" (after `steps`), "evals" (at every evaluation; `frac` of them must hold),
        or "run" (a whole-run metric such as the number of modes the generated mean visited)
seeds   seeds 0..seeds-1 are run; `min_pass` of them must hold the claim
baseline  optional preset name: the claim compares against the baseline's value on the same seed,
        `metric(preset) op metric(baseline) + value`
"""

from __future__ import annotations

import json
from dataclasses import dataclass
from functools import cache
from pathlib import Path
from typing import Any, Literal

import numpy as np

from gan_core.config import ExperimentConfig, apply_patch, parse_config

DATA = Path(__file__).parent / "preset_data" / "presets.json"
VIEWS = ("1d", "2d", "dirac")
OPS = ("<=", ">=", "<", ">", "between")
ATS = ("final", "evals", "run")


@dataclass(frozen=True)
class Preset:
    """One named scenario (see the module docstring for the claim format)."""

    name: str
    title: str
    description: str
    view: Literal["1d", "2d", "dirac"]
    config: dict[str, Any]
    steps: int
    claims: tuple[dict[str, Any], ...] = ()
    eval_every: int = 0  # iterations between evaluations for "evals"/"run" claims (0: steps // 10)

    def experiment(self, seed: int | None = None) -> ExperimentConfig:
        """The full, validated config (defaults + this patch), with `seed` if given."""
        cfg = parse_config(self.config)
        return cfg if seed is None else apply_patch(cfg, {"seed": int(seed)})


def _check(p: Preset) -> None:
    if p.view not in VIEWS:
        raise ValueError(f"preset {p.name}: view must be one of {VIEWS}, got {p.view!r}")
    if p.steps < 1:
        raise ValueError(f"preset {p.name}: steps must be >= 1")
    for c in p.claims:
        if c.get("op") not in OPS or c.get("at", "final") not in ATS or "metric" not in c:
            raise ValueError(f"preset {p.name}: malformed claim {dict(c)}")


@cache
def _raw() -> str:
    return DATA.read_text()


def _load() -> tuple[Preset, ...]:
    # Parsed afresh on each call (microseconds): every caller gets its own dicts, so one caller
    # editing a preset's config cannot change what the next one loads.
    out = []
    for entry in json.loads(_raw()):
        p = Preset(name=entry["name"], title=entry["title"], description=entry["description"],
                   view=entry["view"], config=entry["config"], steps=int(entry["steps"]),
                   claims=tuple(entry.get("claims", ())),
                   eval_every=int(entry.get("eval_every", 0)))
        _check(p)
        out.append(p)
    return tuple(out)


def list_presets() -> list[Preset]:
    """Every preset, in teaching order (phenomena first, then their cures)."""
    return list(_load())


def get_preset(name: str) -> Preset:
    """The preset called `name`; KeyError that names the known presets otherwise."""
    for p in _load():
        if p.name == name:
            return p
    raise KeyError(f"unknown preset {name!r} (known: {', '.join(p.name for p in _load())})")


def preset_config(name: str, seed: int | None = None) -> ExperimentConfig:
    """The validated ExperimentConfig of preset `name` (seed replaced when given)."""
    return get_preset(name).experiment(seed)


# ---- running a preset and checking its claims ----------------------------------------------


def _per_eval(m: dict[str, float], target: Any) -> dict[str, float]:
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


def _per_run(evals: list[dict[str, float]], target: Any) -> dict[str, float]:
    """Whole-run metrics over the evaluations (the first one is taken before any step)."""
    first, last = evals[0], evals[-1]
    out: dict[str, float] = {}
    if first.get("sample_distance", 0) > 0:
        out["sample_distance_ratio"] = last["sample_distance"] / first["sample_distance"]
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
        out["crossings"] = float((np.sign(x[1:]) * np.sign(x[:-1]) < 0).sum())  # passes through the target
    return out


def run_preset(name: str, seed: int, steps: int | None = None, n_eval: int = 2048) -> dict[str, Any]:
    """Train preset `name` headless on `seed`; returns {"final", "evals", "run"} metric dicts.

    Evaluations are taken before the first step and every `eval_every` iterations (the preset's,
    else steps // 10); "final" is the last one (after `steps`), with the derived metrics.
    """
    from gan_core.trainer import Trainer  # the trainer imports torch models; presets alone do not

    p = get_preset(name)
    steps = p.steps if steps is None else int(steps)
    every = max(1, p.eval_every or steps // 10)
    t = Trainer(p.experiment(seed))
    evals = [_per_eval(t.evaluate(n_eval), t.target)]
    while t.iteration < steps and t.status == "ok":
        t.step(min(every, steps - t.iteration))
        evals.append(_per_eval(t.evaluate(n_eval), t.target))
    return {"final": evals[-1], "evals": evals, "run": _per_run(evals, t.target), "status": t.status}


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


def check_claim(claim: dict[str, Any], result: dict[str, Any], baseline: dict[str, Any] | None = None) -> bool:
    """Whether one seed's run (from run_preset) holds `claim`; `baseline` is the baseline preset's run."""
    return holds(claim, claim_value(claim, result, baseline))

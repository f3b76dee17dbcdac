"""A checkpoint of a run: everything the next iteration reads, copied so the run cannot move it.

    ck = capture(run, events)                    # networks, optimizers, RNG, config, iteration, ...
    load(run, ck, history_to)                    # put them back in place (same networks)
    state = to_dict(ck, names...); ck = from_dict(run, state)   # the dict torch.save writes (exports)

What bit-exact replay needs besides the weights: the optimizers' moments and hyperparameters
(their param_groups hold the learning rate after an lr drop), the trainer's torch.Generator state,
the config in force, the historical-averaging means while that penalty is on, and the last losses
(a frame shows them). `events` is how many recorded changes of its branch came before it
(gan_core.engine.timeline replays the ones after).

`load` copies into the run's own tensors (a timeline never spans a rebuild, so the shapes are
the ones the checkpoint was taken from): restoring the reference run (2x64 MLPs, Adam) takes well
under a millisecond, against ~10 ms to build networks anew.
"""

from __future__ import annotations

import bisect
import math
from dataclasses import dataclass, field
from typing import Any, Protocol

import torch
from torch import nn

from gan_core.engine import regularizers as reg
from gan_core.engine.config import ExperimentConfig, OptimizerConfig
from gan_core.engine.optimizers import make_optimizer
from gan_core.engine.plan import Plan, make_plan
from gan_core.engine.probes import ProbeCache
from gan_core.engine.targets import Target, build_target

LOSS_KEYS = ("d_loss", "g_loss", "d_real", "d_fake")


class Run(Protocol):
    """What a checkpoint reads and writes (gan_core.engine.trainer.Trainer, publicly)."""

    config: ExperimentConfig
    iteration: int
    G: nn.Module
    D: nn.Module
    g_params: list[torch.Tensor]
    d_params: list[torch.Tensor]
    opt_g: torch.optim.Optimizer
    opt_d: torch.optim.Optimizer
    gen: torch.Generator
    hist_g: reg.HistoricalAverage
    hist_d: reg.HistoricalAverage
    last: dict[str, float]
    target: Target
    plan: Plan
    status: str
    status_message: str
    rebuilt: bool
    probe_cache: ProbeCache
    history: list[dict[str, float]]


@dataclass(frozen=True)
class OptimizerState:
    groups: tuple[dict[str, Any], ...]  # each param_group's hyperparameters ("params" left out)
    state: tuple[dict[str, Any], ...]  # per parameter, in order; {} before its first step


@dataclass(frozen=True, eq=False)
class Checkpoint:
    iteration: int
    events: int
    config: ExperimentConfig
    g: tuple[torch.Tensor, ...]  # G.state_dict() values: parameters and buffers, in order
    d: tuple[torch.Tensor, ...]
    opt_g: OptimizerState
    opt_d: OptimizerState
    rng: torch.Tensor
    hist: tuple[tuple[tuple[torch.Tensor, ...], int], ...] | None  # ((means, count) for G, for D) or None
    last: dict[str, float] = field(default_factory=dict)
    nbytes: int = 0  # tensor bytes held (what a timeline's memory budget counts)


def _clone(v: Any) -> Any:
    return v.detach().clone() if isinstance(v, torch.Tensor) else v


def _nbytes(tensors) -> int:
    return sum(t.numel() * t.element_size() for t in tensors)


def _opt_state(opt: torch.optim.Optimizer, params: list[torch.Tensor]) -> OptimizerState:
    groups = tuple({k: v for k, v in g.items() if k != "params"} for g in opt.param_groups)
    state = tuple({k: _clone(v) for k, v in opt.state.get(p, {}).items()} for p in params)
    return OptimizerState(groups, state)


def capture(run: Run, events: int = 0) -> Checkpoint:
    """A copy of everything the next iteration of `run` reads; the historical averages only while
    that penalty is on (switching it on restarts them)."""
    g = tuple(v.detach().clone() for v in run.G.state_dict().values())
    d = tuple(v.detach().clone() for v in run.D.state_dict().values())
    og, od = _opt_state(run.opt_g, run.g_params), _opt_state(run.opt_d, run.d_params)
    h = None
    if run.config.regularizers.historical_averaging:
        h = tuple((tuple(m.clone() for m in a.mean), a.count) for a in (run.hist_g, run.hist_d))
    rng = run.gen.get_state()
    tensors = [*g, *d, rng, *(v for o in (og, od) for s in o.state for v in s.values() if isinstance(v, torch.Tensor))]
    if h is not None:
        tensors += [m for means, _ in h for m in means]
    return Checkpoint(run.iteration, events, run.config, g, d, og, od, rng, h, dict(run.last), _nbytes(tensors))


@torch.no_grad()
def _load_module(module: nn.Module, values: tuple[torch.Tensor, ...]) -> None:
    for t, v in zip(module.state_dict(keep_vars=True).values(), values, strict=True):
        t.copy_(v)


def _load_optimizer(opt: torch.optim.Optimizer, params: list[torch.Tensor], cfg: OptimizerConfig,
                    saved: OptimizerState) -> torch.optim.Optimizer:
    """`opt` with the saved moments and hyperparameters (a new one when the optimizer's kind changed)."""
    if len(opt.param_groups) != len(saved.groups) or any(
            set(g) - {"params"} != set(s) for g, s in zip(opt.param_groups, saved.groups, strict=False)):
        opt = make_optimizer(params, cfg)
    opt.state.clear()
    for p, s in zip(params, saved.state, strict=True):
        if s:
            opt.state[p] = {k: _clone(v) for k, v in s.items()}
    for g, s in zip(opt.param_groups, saved.groups, strict=True):
        g.update(s)
    return opt


def load(run: Run, ck: Checkpoint, history_to: int | None = None) -> None:
    """Put `ck` back into `run` in place: networks, optimizers, RNG, config, iteration, averages, last
    losses; its probes forget their surface and metrics (another iteration's), and `run.history`
    keeps its entries up to `history_to` (default: the checkpoint's iteration)."""
    _load_module(run.G, ck.g)
    _load_module(run.D, ck.d)
    run.opt_g = _load_optimizer(run.opt_g, run.g_params, ck.config.optimizer_g, ck.opt_g)
    run.opt_d = _load_optimizer(run.opt_d, run.d_params, ck.config.optimizer_d, ck.opt_d)
    run.gen.set_state(ck.rng)
    if ck.hist is not None:
        for name, params, (means, count) in zip(("hist_g", "hist_d"), (run.g_params, run.d_params), ck.hist,
                                                strict=True):
            a = reg.HistoricalAverage(params)
            a.mean, a.count = [m.clone() for m in means], count
            setattr(run, name, a)
    if ck.config.target != run.config.target:
        run.target = build_target(ck.config.target)
    run.config, run.iteration, run.last = ck.config, ck.iteration, dict(ck.last)
    run.plan = make_plan(ck.config)
    run.status, run.status_message, run.rebuilt = "ok", "", False
    run.probe_cache.forget_results()
    keep = ck.iteration if history_to is None else history_to
    del run.history[bisect.bisect_right(run.history, keep, key=lambda e: e["iteration"]):]


# ---- the plain dict of an export (torch.save / torch.load(weights_only=True)) ----------------------

def _torch_opt_dict(o: OptimizerState) -> dict[str, Any]:
    """torch's own optimizer state_dict layout (parameters numbered in order), so a v1 reader can load it."""
    idx = 0
    groups = []
    for g in o.groups:
        groups.append({**g, "params": list(range(idx, idx + len(o.state)))})
        idx += len(o.state)
    return {"state": {i: dict(s) for i, s in enumerate(o.state) if s}, "param_groups": groups}


def to_dict(ck: Checkpoint, g_names: list[str], d_names: list[str]) -> dict[str, Any]:
    """`ck` as the plain containers of Trainer.state_dict() (format: gan_core.engine.saved)."""
    out: dict[str, Any] = {
        "config": ck.config.model_dump(), "iteration": ck.iteration,
        "generator": dict(zip(g_names, ck.g, strict=True)), "discriminator": dict(zip(d_names, ck.d, strict=True)),
        "optimizer_g": _torch_opt_dict(ck.opt_g), "optimizer_d": _torch_opt_dict(ck.opt_d), "rng": ck.rng,
        "last": {k: float(v) for k, v in ck.last.items()},
    }
    if ck.hist is not None:
        out["hist"] = [{"mean": list(means), "count": count} for means, count in ck.hist]
    return out


def from_dict(run: Run, state: dict[str, Any], events: int = 0) -> Checkpoint:
    """Load Trainer.state_dict()'s layout into `run` (a fresh one, built for the state's config) and
    return its checkpoint. Older files lack "hist" and "last": the averages restart from the loaded
    weights, the last losses are unknown. Raises KeyError, RuntimeError, ValueError, TypeError or
    IndexError when the state does not fit `run`."""
    run.G.load_state_dict(state["generator"])
    run.D.load_state_dict(state["discriminator"])
    run.opt_g.load_state_dict(state["optimizer_g"])  # torch checks the groups' sizes against the networks
    run.opt_d.load_state_dict(state["optimizer_d"])
    run.gen.set_state(state["rng"])
    run.iteration = int(state["iteration"])
    if run.config.regularizers.historical_averaging and state.get("hist") is not None:
        for name, params, h in zip(("hist_g", "hist_d"), (run.g_params, run.d_params), state["hist"], strict=True):
            a = reg.HistoricalAverage(params)
            means = [torch.as_tensor(m, dtype=torch.float32) for m in h["mean"]]
            if [m.shape for m in means] != [m.shape for m in a.mean]:
                raise ValueError("hist: the averages' shapes do not fit the networks")
            a.mean, a.count = means, int(h["count"])
            setattr(run, name, a)
    elif run.config.regularizers.historical_averaging:  # an older file: restart them at its weights
        run.hist_g, run.hist_d = reg.HistoricalAverage(run.g_params), reg.HistoricalAverage(run.d_params)
    run.last = {k: float(state.get("last", {}).get(k, math.nan)) for k in LOSS_KEYS}
    return capture(run, events)

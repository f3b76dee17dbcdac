"""Vectorised runs: several runs that share an architecture trained as one batched model.

Runs whose configs differ only in the seed, the learning rates and the target's parameters (of
the same dimension) are stacked: each network's weights become (R, ...) tensors, every layer one
batched matmul (torch.baddbmm) over the R runs, the losses one torch.func.vmap, and Adam / SGD one
update with a per-run learning rate. Each run keeps its own Trainer for everything else: its
initial weights, its torch.Generator (so every batch, noise draw and evaluation is exactly the
per-run Trainer's, in the same order) and its checkpoints (gan_core.science.sweep.run.checkpoint,
on weights copied back from the stack). Only the arithmetic differs: batched kernels sum in another
order, so a run matches the per-run Trainer to float32 rounding at first and drifts like any two
float runs of a GAN would; tests/gan_core/science/sweep/test_sweep_vectorized.py bounds the difference.

Supported (`group_key` is None otherwise, and the run goes through run_task): MLP or affine
generator and MLP discriminator without dropout, batch norm, virtual batch norm, spectral norm or
minibatch discrimination; any objective without a regularizer, penalty, weight clipping or feature
matching (label smoothing is fine); alternating updates
with any k; no unrolling, no lr drop; Adam or plain SGD; CPU.
"""

from __future__ import annotations

import math
import time
from dataclasses import dataclass
from typing import Any

import torch
from torch import nn

from gan_core.engine.config import ExperimentConfig, parse_config, target_dim
from gan_core.engine.models import MLP, sample_noise
from gan_core.engine.plan import make_plan
from gan_core.engine.trainer import Trainer
from gan_core.science.sweep.run import (
    CANCEL_EVERY,
    RunTask,
    cancelled_record,
    checkpoint,
    finished_record,
    is_cancelled,
    schedule,
)

ADAM_EPS = 1e-8  # torch.optim.Adam's default, which make_optimizer keeps
GROUP_RUNS = 24  # most runs per vectorised task: ~6x a lone run's speed already (measured: 4.7x at 6 runs, 6-9x at 12-48);
# smaller groups share the cores better. Fixed, so a sweep's results do not depend on --jobs.


@dataclass(frozen=True)
class GroupTask:
    """Runs trained together as one batched model (all with the same group_key)."""

    runs: tuple[RunTask, ...]


def group_key(cfg: ExperimentConfig) -> tuple | None:
    """What runs must share to be stacked, or None when this config is not supported."""
    g, d, t, r = cfg.generator, cfg.discriminator, cfg.training, cfg.regularizers
    p = make_plan(cfg)
    # Fields of one kind only (an affine generator has no dropout): absent means off.
    # The batched forward is a plain MLP: no layer that mixes a batch's rows (minibatch discrimination,
    # virtual batch norm) and no loss that reads D's features (feature matching).
    extras = [getattr(net, f, False) for net in (g, d)
              for f in ("dropout", "batch_norm", "spectral_norm", "virtual_batch_norm", "minibatch_kernels")]
    supported = (
        cfg.device == "cpu" and g.kind in ("mlp", "affine") and d.kind == "mlp" and not any(extras)
        and p.plain and not p.feature_matching and not p.clip and not r.consensus and not t.unroll and t.update == "alternating"
        and not t.lr_drop_at and {cfg.optimizer_g.name, cfg.optimizer_d.name} <= {"adam", "sgd"}
    )
    if not supported:
        return None
    dump = cfg.model_dump(mode="json")
    for name in ("optimizer_g", "optimizer_d"):
        dump[name].pop("lr")
    dump.pop("seed")
    dump.pop("target")
    return (repr(sorted(dump.items())), target_dim(cfg.target))


# ---- the batched model --------------------------------------------------------------------------

def stack(modules: list[nn.Module]) -> list[torch.Tensor]:
    """Each parameter of identical modules stacked over runs: leaf tensors (R, ...) with grad."""
    per = [list(m.parameters()) for m in modules]
    return [torch.stack([p[i].detach() for p in per]).requires_grad_(True) for i in range(len(per[0]))]


def unstack(stacked: list[torch.Tensor], modules: list[nn.Module]) -> None:
    """Copy run r's slice of the stack into modules[r] (for its checkpoint)."""
    with torch.no_grad():
        for r, m in enumerate(modules):
            for p, s in zip(m.parameters(), stacked, strict=True):
                p.copy_(s[r])


def forward(template: nn.Module, params: list[torch.Tensor], x: torch.Tensor) -> torch.Tensor:
    """template's forward pass for every run at once: x (R, n, in) -> (R, n, out) (or (R, n) squeezed)."""
    layers = template.net if isinstance(template, MLP) else [template.linear]
    if isinstance(template, MLP) and template.input_scale != 1.0:
        x = x * template.input_scale
    it = iter(params)
    for layer in layers:
        if isinstance(layer, nn.Linear):
            w, b = next(it), next(it)
            x = torch.baddbmm(b.unsqueeze(1), x, w.transpose(1, 2))
        else:
            x = layer(x)  # an activation: elementwise, any shape
    return x.squeeze(-1) if getattr(template, "squeeze", False) else x


class Optim:
    """Adam (torch.optim.Adam's update, weight decay included) or SGD over stacked parameters with a
    per-run learning rate."""

    def __init__(self, params: list[torch.Tensor], cfgs: list[Any]):
        c = cfgs[0]
        self.adam = c.name == "adam"
        self.beta1, self.beta2 = (c.beta1, c.beta2) if self.adam else (0.0, 0.0)
        self.wd = c.weight_decay
        self.params = params
        self.lr = torch.tensor([x.lr for x in cfgs], dtype=torch.float32)
        self.m = [torch.zeros_like(p) for p in params]
        self.v = [torch.zeros_like(p) for p in params]
        self.t = 0

    @torch.no_grad()
    def step(self, grads: tuple[torch.Tensor, ...]) -> None:
        self.t += 1
        b1, b2 = self.beta1, self.beta2
        for p, g, m, v in zip(self.params, grads, self.m, self.v, strict=True):
            lr = self.lr.view(-1, *([1] * (p.dim() - 1)))
            if self.wd:
                g = g.add(p, alpha=self.wd)
            if not self.adam:
                p.sub_(lr * g)
                continue
            m.lerp_(g, 1 - b1)
            v.mul_(b2).addcmul_(g, g, value=1 - b2)
            step_size = lr / (1 - b1 ** self.t)
            denom = (v.sqrt() / (1 - b2 ** self.t) ** 0.5).add_(ADAM_EPS)
            p.sub_(step_size * (m / denom))


# ---- training a group -----------------------------------------------------------------------

class Group:
    """R runs with one group_key: their Trainers (init, RNG, targets, checkpoints) and the stacked model."""

    def __init__(self, tasks: tuple[RunTask, ...]):
        self.tasks = tasks
        self.trainers = [Trainer(t.config) for t in tasks]
        first = self.trainers[0]
        self.cfg = first.config
        self.plan = first.plan
        self.g_params = stack([t.G for t in self.trainers])
        self.d_params = stack([t.D for t in self.trainers])
        self.opt_g = Optim(self.g_params, [t.config.optimizer_g for t in self.trainers])
        self.opt_d = Optim(self.d_params, [t.config.optimizer_d for t in self.trainers])
        self.alive = torch.ones(len(tasks), dtype=torch.bool)
        p, obj = self.plan, self.cfg.objective
        self.d_loss = torch.func.vmap(lambda ro, fo: p.d_loss(ro, fo, obj, p.smoothing))
        self.g_loss = torch.func.vmap(lambda fo: p.g_loss(fo, obj))

    def draw(self, real: bool) -> tuple[torch.Tensor | None, torch.Tensor]:
        """Each run's real batch (if asked) then noise, from its own generator, in the Trainer's order."""
        n, p = self.plan.batch, self.plan
        reals, zs = [], []
        for t in self.trainers:
            if real:
                reals.append(t.target.sample(n, t.gen).to(torch.float32))
            zs.append(sample_noise(n, p.noise_dim, p.noise_dist, t.gen))
        return (torch.stack(reals) if real else None), torch.stack(zs)

    def iteration(self) -> None:
        G, D = self.trainers[0].G, self.trainers[0].D
        for _ in range(self.plan.k_d):
            real, z = self.draw(True)
            with torch.no_grad():
                fake = forward(G, self.g_params, z)
            losses = self.d_loss(forward(D, self.d_params, real), forward(D, self.d_params, fake))
            self.opt_d.step(torch.autograd.grad(losses.sum(), self.d_params))
            self.alive &= torch.isfinite(losses)
        for _ in range(self.plan.k_g):
            _, z = self.draw(False)
            losses = self.g_loss(forward(D, self.d_params, forward(G, self.g_params, z)))
            self.opt_g.step(torch.autograd.grad(losses.sum(), self.g_params))
            self.alive &= torch.isfinite(losses)

    def sync(self, iteration: int) -> None:
        """Copy the stack back into each run's Trainer (weights, iteration, diverged status)."""
        unstack(self.g_params, [t.G for t in self.trainers])
        unstack(self.d_params, [t.D for t in self.trainers])
        for t, ok in zip(self.trainers, self.alive.tolist(), strict=True):
            if t.status == "ok":
                t.iteration = iteration
                if not ok:
                    t.status = "diverged"
                    t.status_message = f"loss became non-finite by iteration {iteration}"


def run_group(group_task: GroupTask) -> list[dict[str, Any]]:
    """Train every run of the group together; one record per run, as run_task would give."""
    began = time.perf_counter()
    tasks = group_task.runs
    grp = Group(tasks)
    first = tasks[0]
    series: list[list[dict[str, Any]]] = [[checkpoint(t, first.eval_samples)] for t in grp.trainers]
    it = 0
    for target_it in schedule(first.steps, first.checkpoints)[1:]:
        while it < target_it and bool(grp.alive.any()):
            if is_cancelled(first):
                seconds = round((time.perf_counter() - began) / len(tasks), 4)
                return [cancelled_record(task, seconds, it) for task in tasks]
            for _ in range(min(CANCEL_EVERY, target_it - it)):
                grp.iteration()
                it += 1
        grp.sync(it)
        for s, t in zip(series, grp.trainers, strict=True):
            if s[-1]["iteration"] != t.iteration:  # a run that died earlier is measured once more, not again
                s.append(checkpoint(t, first.eval_samples))
        if not bool(grp.alive.any()):
            break
    # The group's time shared evenly: what each run cost, as a run_task record says.
    seconds = round((time.perf_counter() - began) / len(tasks), 4)
    return [finished_record(task, t, s, seconds) for task, t, s in zip(tasks, grp.trainers, series, strict=True)]


def group_tasks(tasks: list[RunTask], max_runs: int = GROUP_RUNS) -> list[RunTask | GroupTask]:
    """Pack runs that share a group_key into GroupTasks of whole cells, in order: the first cell alone
    (it arrives early), then groups of about equal size, at most `max_runs` runs each. Unsupported runs,
    and groups of one run, stay RunTasks. The packing depends only on the tasks (not on --jobs)."""
    cells: dict[tuple, dict[int, list[RunTask]]] = {}
    single: list[RunTask] = []
    for task in tasks:
        key = group_key(parse_config(task.config))
        if key is None:
            single.append(task)
        else:
            cells.setdefault(key, {}).setdefault(task.cell, []).append(task)
    out: list[RunTask | GroupTask] = []
    for by_cell in cells.values():
        runs = list(by_cell.values())
        chunks = [runs[:1]]
        rest = runs[1:]
        total = sum(map(len, rest))
        size = math.ceil(total / max(1, math.ceil(total / max_runs))) if total else 0
        cur: list[list[RunTask]] = []
        for cell in rest:
            if cur and sum(map(len, cur)) + len(cell) > size:
                chunks.append(cur)
                cur = []
            cur.append(cell)
        if cur:
            chunks.append(cur)
        for chunk in chunks:
            flat = tuple(t for cell in chunk for t in cell)
            out.append(GroupTask(flat) if len(flat) > 1 else flat[0])
    return out + single

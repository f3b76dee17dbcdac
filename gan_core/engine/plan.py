"""The step plan: everything the trainer's hot loop reads, resolved once per config (not per step).

`make_plan(cfg)` turns an ExperimentConfig into a frozen `Plan`: the batch size and k steps, the
objective's loss functions, the regularizers' weights and which of them are on. The trainer
rebuilds it on every live change (`Trainer.plan`); snapshots read the objective from it.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from gan_core.engine.config import ExperimentConfig
from gan_core.engine.objectives import OBJECTIVES


@dataclass(frozen=True)
class Plan:
    """Everything the hot loop reads, resolved once per config (not per step)."""

    batch: int
    k_d: int
    k_g: int
    simultaneous: bool
    unroll: int
    noise_dim: int
    noise_dist: str
    d_loss: Any
    g_loss: Any
    d_value: Any
    d_kind: str
    smoothing: float
    gp: float  # gradient penalty weight (regularizers.gradient_penalty + wgan-gp's gp_weight)
    r1: float
    dragan: float
    noise_std: float
    noise_anneal: int
    clip: float  # 0: off
    consensus: float
    hist: float
    feature_matching: float  # share of G's loss that is feature matching (0: off)
    pull_away: float  # weight of EBGAN's pull-away term in G's loss (0: off)
    plain: bool  # no regularizer at all on D: the lean path


def make_plan(cfg: ExperimentConfig) -> Plan:
    r, o = cfg.regularizers, cfg.objective
    obj = OBJECTIVES[o.name]
    gp = r.gradient_penalty + (o.gp_weight if o.name == "wgan-gp" else 0.0)
    clip = r.weight_clip or (o.clip if o.name == "wasserstein" else 0.0)
    return Plan(
        batch=cfg.training.batch_size, k_d=cfg.training.k_d, k_g=cfg.training.k_g,
        simultaneous=cfg.training.update == "simultaneous", unroll=cfg.training.unroll,
        noise_dim=cfg.noise.dim, noise_dist=cfg.noise.distribution,
        d_loss=obj.d_loss, g_loss=obj.g_loss, d_value=obj.d_value, d_kind=obj.d_kind, smoothing=r.label_smoothing,
        gp=gp, r1=r.r1, dragan=r.dragan, noise_std=r.instance_noise, noise_anneal=r.instance_noise_anneal,
        clip=clip, consensus=r.consensus, hist=r.historical_averaging,
        feature_matching=r.feature_matching, pull_away=getattr(o, "pull_away", 0.0),
        plain=not (gp or r.r1 or r.dragan or r.instance_noise or r.historical_averaging),
    )

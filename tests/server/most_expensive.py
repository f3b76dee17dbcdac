"""The most expensive session a server with given Settings accepts: from the largest config and view
the schema allows (issue 14's attacker), the costliest knob the budget names is halved (or switched
off) until the budget accepts, then the batch grows back as far as it still does."""

from __future__ import annotations

import copy
from typing import Any

from gan_core.engine import cost
from gan_core.engine.config import ConfigError, deep_merge, parse_config
from gan_core.engine.snapshot import SnapshotOptions
from server.sessions import budget
from server.settings import Settings

ATTACKER: dict[str, Any] = {
    "generator": {"width": 512, "depth": 6}, "discriminator": {"width": 512, "depth": 6, "spectral_norm": True},
    "noise": {"dim": 256}, "training": {"batch_size": 4096, "k_d": 50, "k_g": 50, "unroll": 20},
    "objective": {"name": "wgan-gp"}, "regularizers": {"r1": 1.0, "dragan": 1.0, "consensus": 1.0}}
HEAVY_VIEW: dict[str, Any] = {"samples": 4096, "grid": 128, "manifold": 64, "optimal_d": True, "gradients": True}
VIEW_FLOOR = {"samples": 64, "grid": 16, "manifold": 0}
OFF = {"regularizers": {"r1": 0.0, "dragan": 0.0, "gradient_penalty": 0.0}, "objective": {"name": "non-saturating"}}


def _accepted(cfg: dict, view: dict, st: Settings) -> ConfigError | None:
    try:
        budget.check(parse_config(cfg), SnapshotOptions(**view), st)
        return None
    except ConfigError as exc:
        return exc


def _shrink(cfg: dict, view: dict, field: str) -> None:
    if field in view:
        v = view[field]
        view[field] = False if isinstance(v, bool) else max(VIEW_FLOOR.get(field, 1), v // 2)
        return
    if field == "regularizers":  # the gradient penalties (and wgan-gp's)
        cfg.update(deep_merge(cfg, OFF))
        return
    section, _, key = field.partition(".")
    v = cfg[section][key]
    floor = 0 if key == "unroll" else 1
    cfg[section][key] = False if isinstance(v, bool) else (0.0 if isinstance(v, float) else max(floor, v // 2))


def _shrink_until_accepted(cfg: dict, view: dict, st: Settings) -> None:
    """Halve (or switch off) what the budget names as costing most, until it accepts."""
    for _ in range(200):
        err = _accepted(cfg, view, st)
        if err is None:
            return
        assert err.field, err.message
        _shrink(cfg, view, err.field)
    raise AssertionError("no accepted config found")


def _grow_back(cfg: dict, view: dict, st: Settings, section: str, key: str, top: int) -> None:
    """cfg[section][key] as large as the budget still accepts, at most `top` (a bisection)."""
    lo, hi = cfg[section][key], top
    while lo < hi:
        mid = (lo + hi + 1) // 2
        lo, hi = (mid, hi) if _accepted(deep_merge(cfg, {section: {key: mid}}), view, st) is None else (lo, mid - 1)
    cfg[section][key] = lo


def most_expensive(st: Settings) -> tuple[dict, dict, float]:
    """(config, view, estimated ms of a turn) of about the costliest session `st` accepts."""
    cfg, view = copy.deepcopy(ATTACKER), dict(HEAVY_VIEW)
    _shrink_until_accepted(cfg, view, st)
    _grow_back(cfg, view, st, "training", "batch_size", 4096)
    return cfg, view, budget.turn_ms(cost.workload(parse_config(cfg)), SnapshotOptions(**view))


def largest_model(st: Settings) -> dict:
    """About the config with the largest weights `st` accepts (the largest export it makes): both
    networks from 512 x 6 halved where the budget names them, then each width grown back as far as
    the budget still accepts (a batch of 1, so mostly the weights cost; the default view, which a
    hello is checked with)."""
    cfg = {"generator": {"width": 512, "depth": 6}, "discriminator": {"width": 512, "depth": 6},
           "noise": {"dim": 256}, "training": {"batch_size": 1}}
    view: dict = {}
    _shrink_until_accepted(cfg, view, st)
    for net in ("generator", "discriminator"):
        _grow_back(cfg, view, st, net, "width", 512)
    return cfg

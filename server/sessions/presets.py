"""The presets as the lab serves them (gan_core.science.presets): the list `GET /api/presets`
returns, a preset's config by name with an error that names the message's field, and whether a
run's config still is its preset's."""

from __future__ import annotations

from typing import Any

from gan_core.engine.config import ConfigError, ExperimentConfig
from gan_core.science.presets import list_presets


def listing() -> list[dict[str, Any]]:
    """GET /api/presets: what the page's menu and story show; `steps` is the budget the page pauses
    at, `speed` the iterations/s cap a session starts with when it loads the preset (null: none)."""
    return [{"name": q.name, "title": q.title, "description": q.description, "view": q.view,
             "steps": q.steps, "speed": q.speed, "config": q.config} for q in list_presets()]


def speed(name: str | None) -> float | None:
    """The iterations/s cap preset `name` plays at (None: no cap, or no such preset)."""
    for q in list_presets():
        if q.name == name:
            return q.speed
    return None


def config(name: str, field: str = "name") -> ExperimentConfig:
    """The full config of preset `name`; ConfigError naming `field` (hello's `preset`, preset's `name`)."""
    known = {q.name: q for q in list_presets()}
    if name not in known:
        raise ConfigError(f"{field}: unknown preset {name[:80]!r} (known: {', '.join(known) or 'none'})", field)
    return known[name].experiment()


def names() -> set[str]:
    return {q.name for q in list_presets()}


def modified(name: str | None, cfg: ExperimentConfig) -> bool:
    """Whether `cfg` differs from preset `name`'s config in anything but the seed (a preset's story
    holds for every seed, not for other settings). False without a preset or for an unknown name."""
    known = {q.name: q for q in list_presets()}
    if name not in known:
        return False
    return known[name].experiment().model_dump(exclude={"seed"}) != cfg.model_dump(exclude={"seed"})

"""Named scenarios: a config patch plus what it must show. Presets are data, not code.

    list_presets() -> list[Preset]            # every preset, in teaching order
    parse_preset(entry) -> Preset             # one entry of presets.json, checked
    get_preset(name) -> Preset                # KeyError naming the known presets
    preset_config(name, seed=None) -> ExperimentConfig
    raw_entries() -> list[dict]               # presets.json as written (templates, literals)

The data lives in gan_core/preset_data/presets.json: each entry has name, title, description
(one paragraph: what to watch and why), view ("1d" | "2d" | "dirac"), config (a patch over
ExperimentConfig's defaults), steps (the headless budget, and the lab's: the page pauses there and
offers to go on), claims, optionally speed (the lab's default cap on iterations per second while it
plays, 1 to 10000; absent: as fast as the machine goes), claims_steps (the
claims runner's budget when shorter than steps) and literals. The
title and description are templates (gan_core.science.preset_text): every number they state is a
placeholder filled from the preset's context when presets load, `{target.means.1}`,
`{training.k_d}`, `{steps}`, `{claims.ID.value}` (ID: a claim's optional "id"), or another preset's
(`{ring-collapse:steps}`), or it is declared in `literals` with its source (a paper's year, a
formula's constant); a test fails on any other number. The context is the full validated config
(defaults included) plus steps, claims_steps, eval_every (both resolved) and claims by id.

A claim is a dict that gan_core.science.claims judges; it runs presets over seeds and reports each
claim's pass rate:

    {"metric": "modes_captured", "op": "<=", "value": 2, "at": "final", "seeds": 5, "min_pass": 4}

metric  a key of Trainer.evaluate() or a derived one (gan_core.science.claims: per_eval, per_run)
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

from gan_core.engine.config import ExperimentConfig, apply_patch, parse_config
from gan_core.science import preset_text

DATA = Path(__file__).parent / "preset_data" / "presets.json"
VIEWS = ("1d", "2d", "dirac")
# A preset's speed (iterations/s). Dirac games run at ~1000 it/s and finish their budget in under
# a second: 30-60 it/s shows every turn of the orbit. The lab's session cap takes the same range.
SPEED_RANGE = (1.0, 10000.0)
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
    eval_every: int = 0  # iterations between evaluations for "evals"/"run" claims (0: claims_steps // 10)
    # Iterations the claims runner trains (0: steps). A long preset's claims judge its opening so
    # that CI can afford them over seeds; its text states the full run's figures with their source.
    claims_steps: int = 0

    @property
    def claim_budget(self) -> int:
        """Iterations each claims run trains: claims_steps, else steps."""
        return self.claims_steps or self.steps
    speed: float | None = None  # the lab's default iterations/s cap while playing (None: no cap)

    def experiment(self, seed: int | None = None) -> ExperimentConfig:
        """The full, validated config (defaults + this patch), with `seed` if given."""
        cfg = parse_config(self.config)
        return cfg if seed is None else apply_patch(cfg, {"seed": int(seed)})


def _check(p: Preset) -> None:
    if p.view not in VIEWS:
        raise ValueError(f"preset {p.name}: view must be one of {VIEWS}, got {p.view!r}")
    if p.steps < 1:
        raise ValueError(f"preset {p.name}: steps must be >= 1")
    if not 0 <= p.claims_steps <= p.steps:
        raise ValueError(f"preset {p.name}: claims_steps must be from 0 (steps) to steps, got {p.claims_steps}")
    ids = [c["id"] for c in p.claims if "id" in c]
    if len(ids) != len(set(ids)) or not all(isinstance(i, str) and i.isidentifier() for i in ids):
        raise ValueError(f"preset {p.name}: claim ids must be unique identifiers, got {ids}")
    if p.speed is not None and (isinstance(p.speed, bool) or not isinstance(p.speed, int | float)
                                or not SPEED_RANGE[0] <= p.speed <= SPEED_RANGE[1]):
        raise ValueError(f"preset {p.name}: speed must be a number of iterations per second from "
                         f"{SPEED_RANGE[0]:g} to {SPEED_RANGE[1]:g}, got {p.speed!r}")
    for c in p.claims:
        if c.get("op") not in OPS or c.get("at", "final") not in ATS or "metric" not in c:
            raise ValueError(f"preset {p.name}: malformed claim {dict(c)}")


@cache
def _raw() -> str:
    return DATA.read_text()


def raw_entries() -> list[dict[str, Any]]:
    """presets.json as written: titles and descriptions as templates, with their literals."""
    return json.loads(_raw())


def context(entry: dict[str, Any]) -> dict[str, Any]:
    """What a preset's placeholders read: its full config (defaults included), steps, claims_steps
    and eval_every (0 resolved as the claims runner does) and its claims by id."""
    steps = int(entry["steps"])
    claims_steps = int(entry.get("claims_steps", 0)) or steps
    return {**parse_config(entry["config"]).model_dump(mode="json"), "steps": steps, "claims_steps": claims_steps,
            "eval_every": int(entry.get("eval_every", 0)) or max(1, claims_steps // 10),
            "claims": {c["id"]: c for c in entry.get("claims", ()) if "id" in c}}


@cache
def _texts() -> dict[str, tuple[str, str]]:
    """Each preset's rendered (title, description), once per process (strings: nobody can edit them).
    ValueError naming the preset and the placeholder when one does not resolve."""
    entries = raw_entries()
    contexts = {e["name"]: context(e) for e in entries}

    def lookup(name: str) -> dict[str, Any]:
        if name not in contexts:
            raise KeyError(f"{name} (no such preset)")
        return contexts[name]

    out = {}
    for e in entries:
        try:
            out[e["name"]] = (preset_text.render(e["title"], contexts[e["name"]], lookup),
                              preset_text.render(e["description"], contexts[e["name"]], lookup))
        except ValueError as exc:
            raise ValueError(f"preset {e['name']}: {exc}") from None
    return out


def parse_preset(entry: dict[str, Any]) -> Preset:
    """One entry of presets.json (its title and description rendered) as a Preset; ValueError naming
    the preset and the field if malformed."""
    p = Preset(name=entry["name"], title=entry["title"], description=entry["description"],
               view=entry["view"], config=entry["config"], steps=int(entry["steps"]),
               claims=tuple(entry.get("claims", ())), eval_every=int(entry.get("eval_every", 0)),
               claims_steps=int(entry.get("claims_steps", 0)), speed=entry.get("speed"))
    _check(p)
    return p


def _load() -> tuple[Preset, ...]:
    # Parsed afresh on each call (microseconds): every caller gets its own dicts, so one caller
    # editing a preset's config cannot change what the next one loads.
    texts = _texts()
    return tuple(parse_preset({**entry, "title": texts[entry["name"]][0], "description": texts[entry["name"]][1]})
                 for entry in raw_entries())


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

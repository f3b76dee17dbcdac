"""Built-in A/B comparisons: two presets side by side, with a "what to compare" story. Data, not code.

    list_comparisons() -> list[Comparison]        # in teaching order
    get_comparison(name) -> Comparison            # KeyError naming the known ones
    Comparison.experiments(seed=None) -> (A's ExperimentConfig, B's)
    start_differences(a, b) -> ["target", "seed"]  # what two configs do not share of their start

The data lives in gan_core/science/preset_data/comparisons.json: each entry has name, title, a and
b (preset names), story (one paragraph: what to watch in A against B, and why), and `why_not`
where A and B do not share the target and seed on purpose (a comparison is fair when only the
setting under study differs, so every other entry shares both; a test holds every entry to it).
"""

from __future__ import annotations

import json
from dataclasses import dataclass
from functools import cache
from pathlib import Path

from gan_core.engine.config import ExperimentConfig, apply_patch
from gan_core.science.presets import get_preset

DATA = Path(__file__).parent / "preset_data" / "comparisons.json"
SHARED = ("target", "seed")  # what A and B share in a fair comparison: the same data, the same start


@dataclass(frozen=True)
class Comparison:
    name: str
    title: str
    a: str  # preset name
    b: str
    story: str
    why_not: str | None = None  # why A and B do not share SHARED, where they do not

    def experiments(self, seed: int | None = None) -> tuple[ExperimentConfig, ExperimentConfig]:
        """A's and B's full configs (the presets'), both with `seed` if given."""
        out = []
        for name in (self.a, self.b):
            cfg = get_preset(name).experiment()
            out.append(cfg if seed is None else apply_patch(cfg, {"seed": int(seed)}))
        return out[0], out[1]


def start_differences(a: ExperimentConfig, b: ExperimentConfig) -> list[str]:
    """The SHARED keys on which configs a and b differ (empty: a fair comparison)."""
    return [k for k in SHARED if getattr(a, k) != getattr(b, k)]


def _check(c: Comparison) -> None:
    for side in (c.a, c.b):
        get_preset(side)  # KeyError naming the known presets
    if c.a == c.b:
        raise ValueError(f"comparison {c.name}: a and b are both {c.a!r}")
    if not c.story.strip() or not c.title.strip():
        raise ValueError(f"comparison {c.name}: needs a title and a story")
    differ = start_differences(*c.experiments())
    if differ and not (c.why_not or "").strip():
        raise ValueError(f"comparison {c.name}: {c.a} and {c.b} differ in {', '.join(differ)}; "
                         "say why in `why_not` or give them the same")


@cache
def _load() -> tuple[Comparison, ...]:
    # Loaded and checked once (building every preset's config takes ~30 ms); the entries are frozen.
    out, seen = [], set()
    for entry in json.loads(DATA.read_text()):
        c = Comparison(name=entry["name"], title=entry["title"], a=entry["a"], b=entry["b"],
                       story=entry["story"], why_not=entry.get("why_not"))
        if c.name in seen:
            raise ValueError(f"comparison {c.name}: the name is used twice")
        seen.add(c.name)
        _check(c)
        out.append(c)
    return tuple(out)


def list_comparisons() -> list[Comparison]:
    """Every comparison, checked (unknown presets, a missing story or an unexplained unfair start
    raise ValueError / KeyError naming the entry)."""
    return list(_load())


def get_comparison(name: str) -> Comparison:
    """The comparison called `name`; KeyError naming the known ones otherwise."""
    known = list_comparisons()
    for c in known:
        if c.name == name:
            return c
    raise KeyError(f"unknown comparison {name!r} (known: {', '.join(c.name for c in known)})")

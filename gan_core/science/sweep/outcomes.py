"""How a run is classified: five outcomes, each decided by one documented rule (docs/sweeps.md).

A run is measured at CHECKPOINTS + 1 evenly spaced checkpoints (gan_core.science.sweep.run). At
each one it knows the *distance* to the target (the Dirac game: distance_to_equilibrium of
(theta, psi); every other target: sample_distance, the W1 / sliced W1 between generated and real
samples, in data units), the generator's *position* (mean per axis and std of its samples), the
norm of the generator's gradient, and how many of the target's modes its samples *reach* (a mode
is reached when at least metrics.default_min_share of the samples are nearer to it than to any
other mode, however far away: a blurry ring reaches every mode, a clump one or two).

d0 is the distance at the start; ref = max(d0, REF_FLOOR x the target's spread) (a generator that
starts on the target is judged against the target's size, not against ~0); the *tail* is the last
quarter of the checkpoints. The rules are checked in this order and the first that holds wins:

1. diverged     the trainer stopped on a non-finite loss or parameter, or a checkpoint's samples or
                distance are non-finite; or it explodes: the distance reaches EXPLODE x ref; or it
                spirals out: the distance rises at >= RISE_SHARE of the checkpoint intervals and
                ends >= GROW x d0 (unbounded growth, slow or fast).
2. collapsed    the target has >= 2 modes and the samples reach at most half of them (median over
                the tail).
3. stalled      no progress: the median distance over the tail is >= STALL_PROGRESS x d0 (and above
                NEAR x ref), and the generator is stuck: the median of its gradient norm over the
                second half is <= STALL_GRAD x its peak (vanishing gradient), or it barely moves
                (motion < MOVING).
4. oscillating  bounded but not convergent: over the tail the distance exceeds NEAR x ref and the
                generator keeps moving (motion >= MOVING).
5. converged    everything else: near the target (the tail's largest distance <= NEAR x ref), or
                settled where it is after making progress.

motion = the path length of the generator's position over the tail, in units of ref.
A cell's outcome is the majority over its seeds; a tie goes to the outcome listed first above
(the less stable one), so a map never shows a cell as converged on a coin flip.
"""

from __future__ import annotations

import math
from collections import Counter
from collections.abc import Sequence
from dataclasses import asdict, dataclass
from typing import Any

import numpy as np

OUTCOMES = ("diverged", "collapsed", "stalled", "oscillating", "converged")  # rule order = tie order
# One letter each, for maps drawn as text (the CLI) or labelled cells (the report).
LETTERS = {"converged": "C", "collapsed": "X", "stalled": "S", "oscillating": "O", "diverged": "D"}

REF_FLOOR = 0.25  # ref is at least a quarter of the target's spread (RMS distance of its samples from their mean)
EXPLODE = 10.0  # distance >= 10 x ref at any checkpoint: exploding
RISE_SHARE = 0.8  # spiralling out: the distance rises at >= 80% of the intervals ...
GROW = 1.1  # ... and ends >= 1.1 x where it started (pure noise rises at 80% of 20 intervals < 1% of the time)
STALL_PROGRESS = 0.7  # no progress: the tail's median distance is still >= 70% of the start's
STALL_GRAD = 0.01  # vanishing: the generator's gradient norm fell to <= 1% of its peak (median, second half)
MOVING = 0.5  # moving: the position travels >= half of ref over the tail
NEAR = 0.5  # near: the whole tail stays within half of ref


@dataclass(frozen=True)
class Measures:
    """The numbers the rules read (all plain floats, in the units the module docstring gives)."""

    ref: float
    distance_ratio: float  # median distance over the tail / d0
    tail_ratio: float  # largest distance over the tail / ref
    peak_ratio: float  # largest distance over the run / ref
    rise_share: float  # share of checkpoint intervals where the distance rose
    growth: float  # final distance / d0
    motion: float  # path length of the generator's position over the tail / ref
    grad_ratio: float  # median gradient norm over the second half / peak gradient norm
    modes_reached: float  # median over the tail
    modes_total: int

    def as_dict(self) -> dict[str, float]:
        return {k: float(v) for k, v in asdict(self).items()}


def _ratio(a: float, b: float) -> float:
    return a / b if b > 0 else (0.0 if a == 0 else math.inf)


def measure(series: Sequence[dict[str, Any]], spread: float) -> Measures:
    """The rules' numbers from a run's checkpoints (each: distance, position, grad_g, modes_reached, modes_total)."""
    d = np.array([c["distance"] for c in series], dtype=np.float64)
    q = max(1, round((len(series) - 1) / 4))
    tail = slice(len(series) - q - 1, None)
    d0 = float(d[0])
    ref = max(d0, REF_FLOOR * spread, 1e-12)
    pos = np.array([c["position"] for c in series], dtype=np.float64)
    motion = float(np.linalg.norm(np.diff(pos[tail], axis=0), axis=1).sum()) if len(series) > 1 else 0.0
    g = np.array([c["grad_g"] for c in series], dtype=np.float64)
    half = g[len(g) // 2:]
    peak = float(np.nanmax(g)) if np.isfinite(g).any() else 0.0
    rises = np.diff(d) > 0
    return Measures(
        ref=ref, distance_ratio=_ratio(float(np.median(d[tail])), d0), tail_ratio=float(d[tail].max()) / ref,
        peak_ratio=float(d.max()) / ref, rise_share=float(rises.mean()) if len(rises) else 0.0,
        growth=_ratio(float(d[-1]), d0), motion=motion / ref,
        grad_ratio=_ratio(float(np.nanmedian(half)), peak) if np.isfinite(half).any() else 0.0,
        modes_reached=float(np.median([c["modes_reached"] for c in series[tail]])),
        modes_total=int(series[-1]["modes_total"]),
    )


def _non_finite(series: Sequence[dict[str, Any]]) -> int | None:
    """The iteration of the first checkpoint with non-finite samples or distance, or None."""
    for c in series:
        if not (c["finite"] and math.isfinite(c["distance"]) and all(map(math.isfinite, c["position"]))):
            return int(c["iteration"])
    return None


def classify(series: Sequence[dict[str, Any]], status: str = "ok", status_message: str = "",
             spread: float = 0.0) -> tuple[str, str, Measures | None]:
    """(outcome, one-line reason, measures) of one run; measures is None for a non-finite run."""
    if status != "ok":
        return "diverged", status_message or f"the trainer stopped ({status})", None
    bad = _non_finite(series)
    if bad is not None:
        return "diverged", f"generated samples or the distance became non-finite by iteration {bad}", None
    m = measure(series, spread)
    if m.peak_ratio >= EXPLODE:
        return "diverged", f"exploding: the distance to the target reached {m.peak_ratio:.3g} x its start", m
    if m.rise_share >= RISE_SHARE and m.growth >= GROW:
        return "diverged", (f"spiralling out: the distance rose at {m.rise_share:.0%} of the checkpoints, "
                            f"ending at {m.growth:.3g} x its start"), m
    if m.modes_total >= 2 and m.modes_reached <= m.modes_total / 2:
        return "collapsed", f"too few modes: the samples reach {m.modes_reached:g} of {m.modes_total}", m
    if m.distance_ratio >= STALL_PROGRESS and m.tail_ratio > NEAR:
        if m.grad_ratio <= STALL_GRAD:
            return "stalled", (f"no progress (distance {m.distance_ratio:.2f} x its start) and the generator's "
                               f"gradient vanished ({m.grad_ratio:.1e} of its peak)"), m
        if m.motion < MOVING:
            return "stalled", (f"no progress (distance {m.distance_ratio:.2f} x its start) and the generator "
                               f"barely moves (motion {m.motion:.2f})"), m
    if m.tail_ratio > NEAR and m.motion >= MOVING:
        return "oscillating", (f"keeps moving (motion {m.motion:.2f}) but stays away from the target (distance up "
                               f"to {m.tail_ratio:.2f} x its start over the last quarter)"), m
    if m.tail_ratio <= NEAR:
        return "converged", f"near the target (distance at most {m.tail_ratio:.2f} x its start over the last quarter)", m
    return "converged", (f"settled (motion {m.motion:.2f}) after progress (distance {m.distance_ratio:.2f} x its "
                         "start)"), m


def majority(outcomes: Sequence[str]) -> str:
    """The most common outcome; a tie goes to the one first in OUTCOMES (the less stable one)."""
    if not outcomes:
        raise ValueError("majority of no outcomes")
    counts = Counter(outcomes)
    best = max(counts.values())
    return next(o for o in OUTCOMES if counts.get(o) == best)

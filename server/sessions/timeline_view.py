"""What a page is told about a session's timeline and curves (docs/protocol.md): the `timeline`
message (extent, checkpoints, branches, the last seek) and the `history` message (every branch's
thinned loss and metric points, as columns), built from the trainer's timeline
(gan_core.engine.timeline). A page that reloads, imports or switches runs draws its curves from
`history`; frames then add what is new.
"""

from __future__ import annotations

from typing import Any

from gan_core.engine.checkpoint import LOSS_KEYS
from gan_core.engine.trainer import Trainer
from gan_core.plain_json import json_safe
from server.wire.frames import ORBIT_KEYS


def timeline_message(t: Trainer, run: int, replay_to: int | None = None,
                     seek: dict[str, Any] | None = None) -> dict[str, Any]:
    """`seek`: what the last seek asked and got ({"asked", "asked_exact", "at", "target", "exact", "message"}), or None."""
    return {"type": "timeline", "run": run, "iteration": t.iteration, **t.timeline.describe(),
            "replay_to": replay_to, "seek": seek}


def columns(points: list[dict[str, Any]], keys: list[str]) -> dict[str, list[Any]]:
    """[{"iteration": 1, "d_loss": 0.7}, ...] -> {"iteration": [1, ...], "d_loss": [0.7, ...]}; a value a
    point lacks is null. Floats carry 6 significant digits (as in frame headers)."""
    out: dict[str, list[Any]] = {"iteration": [int(p["iteration"]) for p in points]}
    for k in keys:
        out[k] = [p.get(k) for p in points]
    return json_safe(out, short=True)


def history_message(t: Trainer, run: int) -> dict[str, Any]:
    """Every branch's curves: the first branch from the start of the run, the others from their fork
    (the point just before it included, so each line joins its parent's)."""
    tl = t.timeline
    branches = []
    for b in tl.branches.values():
        losses, metrics = tl.branch_history(b)
        loss_keys = [*LOSS_KEYS, *(k for k in ORBIT_KEYS if losses and k in losses[-1])]
        metric_keys = sorted({k for p in metrics for k in p} - {"iteration"})
        branches.append({"id": b.id, "label": b.label, "parent": b.parent, "fork": b.fork, "extent": b.extent,
                         "losses": columns(losses, loss_keys), "metrics": columns(metrics, metric_keys)})
    return {"type": "history", "run": run, "branch": tl.current.id, "branches": branches}

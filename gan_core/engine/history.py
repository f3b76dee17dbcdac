"""Reading the trainer's per-iteration history (`Trainer.history`: dicts, oldest first, `iteration`
rising by one, older halves dropped past a limit): what is new since an iteration, and thinning
for a chart, a frame or a saved file. Plain functions; readers never change the list.
"""

from __future__ import annotations

from typing import Any

# Entries walked back at most when looking for what is new (a reset or a rebuild restarts the
# reader's cursor anyway, so only a reader that fell this far behind loses the oldest).
SCAN_LIMIT = 50_000


def since(history: list[dict[str, Any]], iteration: int, scan: int = SCAN_LIMIT) -> list[dict[str, Any]]:
    """The entries after `iteration`, oldest first (the newest `scan` of them at most)."""
    i = len(history)
    stop = max(0, i - scan)
    while i > stop and history[i - 1]["iteration"] > iteration:
        i -= 1
    return history[i:]


def thin(points: list[dict[str, Any]], limit: int) -> list[dict[str, Any]]:
    """At most `limit` points, evenly spaced, always keeping the last (the newest value)."""
    if len(points) <= limit:
        return points
    step = len(points) / limit
    picked = [points[int(i * step)] for i in range(limit - 1)]
    return [*picked, points[-1]]


def thin_keep_tail(points: list[dict[str, Any]], limit: int, tail: int) -> list[dict[str, Any]]:
    """At most `limit` points: the newest `tail` whole (consecutive iterations: the Dirac game's
    orbit is drawn from them), the older ones thinned evenly."""
    tail = min(tail, limit)
    if len(points) <= limit:
        return list(points)
    head = points[: len(points) - tail]
    return [*thin(head, limit - tail), *points[len(points) - tail:]] if limit > tail else list(points[-tail:])

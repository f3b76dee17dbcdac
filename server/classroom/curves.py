"""A broadcast's curves so far, for a viewer who joins late: what a page that watched every frame
would have drawn (frontend/history.js keeps the same points by the same rules), kept from the
frames' JSON headers on the front, so a viewer joining costs its owner's host nothing.

It starts from the host's own account (Session.watch_state: the losses, metrics and Dirac orbit up
to the last frame made, or a `history` message the session sends for a new run) and then takes
each frame's new points. A frame of another run (a reset, a rebuild, an import) starts the curves
again, as on the page (frontend/history.js); one whose iteration is lower than the last point's (a
seek back on the teacher's timeline) drops the points after it. The viewer's `history` message has
the page's own format (server.sessions.timeline_view): the branch the teacher is on, as columns.
"""

from __future__ import annotations

from typing import Any

from gan_core.engine.checkpoint import LOSS_KEYS
from gan_core.engine.history import thin
from server.sessions.timeline_view import columns
from server.wire.frames import ORBIT_KEYS

LIMIT = 2000  # points per series a viewer gets (server.sessions.runs.CURVE_POINTS)
ORBIT_LIMIT = 4096  # consecutive Dirac-game iterations kept (server.wire.frames.ORBIT_PER_FRAME)


class CurveLog:
    def __init__(self, start: dict[str, Any] | None = None, run: int | None = None, branch: int = 0):
        self.clear()
        self.run, self.branch = run, branch
        if start:
            self.losses = list(start.get("losses") or [])
            self.metrics = list(start.get("metrics") or [])
            o = start.get("orbit")
            if o:
                self.orbit = {k: list(v) if isinstance(v, list) else v for k, v in o.items()}
            self.last_loss = self.losses[-1]["iteration"] if self.losses else -1
            self.last_metric = self.metrics[-1]["iteration"] if self.metrics else -1

    def clear(self) -> None:
        self.losses: list[dict[str, Any]] = []
        self.metrics: list[dict[str, Any]] = []
        self.orbit: dict[str, Any] | None = None
        self.last_loss = -1
        self.last_metric = -1

    @classmethod
    def from_history(cls, msg: dict[str, Any]) -> CurveLog:
        """From a session's `history` message (columns per branch): the branch it is on."""
        current = msg.get("branch") or 0
        mine = next((b for b in msg.get("branches") or [] if b.get("id") == current), None) or {}
        points = {}
        for key in ("losses", "metrics"):
            cols = mine.get(key) or {"iteration": []}
            names = [k for k in cols if k != "iteration"]
            points[key] = [{"iteration": it, **{k: cols[k][i] for k in names if cols[k][i] is not None}}
                           for i, it in enumerate(cols["iteration"])]
        return cls({**points, "orbit": None}, msg.get("run"), current)

    def push(self, h: dict[str, Any]) -> None:
        """One frame's header."""
        it = h.get("iteration", 0)
        run = h.get("run")
        if isinstance(run, int) and run != self.run:
            if self.run is not None:
                self.clear()  # a new run (reset, rebuild, import): its curves start again
            self.run = run
        if isinstance(h.get("branch"), int):
            self.branch = h["branch"]
        if it < self.last_loss:  # back in time on the timeline: what came after is not this run's past
            self.losses = [p for p in self.losses if p["iteration"] <= it]
            self.metrics = [m for m in self.metrics if m["iteration"] <= it]
            self.last_loss = self.losses[-1]["iteration"] if self.losses else -1
            self.last_metric = self.metrics[-1]["iteration"] if self.metrics else -1
        points = h.get("history") or []
        for p in points:
            if p.get("iteration", -1) > self.last_loss:
                self.last_loss = p["iteration"]
                self.losses.append(p)
        if not points and h.get("losses") and it > self.last_loss:
            self.last_loss = it
            self.losses.append({"iteration": it, **h["losses"]})
        m = h.get("metrics") or {}
        mit = h.get("metrics_iteration")
        mit = it if not isinstance(mit, int) else mit
        if m and mit > self.last_metric:
            self.last_metric = mit
            self.metrics.append({"iteration": mit, **m})
        self._push_orbit(h.get("orbit"))
        if len(self.losses) > 2 * LIMIT:
            self.losses = thin(self.losses, LIMIT)
        if len(self.metrics) > 2 * LIMIT:
            self.metrics = thin(self.metrics, LIMIT)

    def _push_orbit(self, o: dict[str, Any] | None) -> None:
        if not o or not isinstance(o.get("from"), int):
            return
        mine = self.orbit
        keys = [k for k in o if k != "from"]
        if mine is None or mine["from"] + len(mine.get("theta", [])) != o["from"] or set(mine) != set(o):
            mine = self.orbit = {"from": o["from"], **{k: [] for k in keys}}  # not consecutive: start anew
        for k in keys:
            mine[k].extend(o[k])
        drop = len(mine["theta"]) - ORBIT_LIMIT
        if drop > 0:
            mine["from"] += drop
            for k in keys:
                del mine[k][:drop]

    def message(self, slot: str) -> dict[str, Any]:
        """The `history` message a joining viewer gets for this slot (the page's format: one branch,
        the one the teacher is on, from the start of the run)."""
        losses, metrics = thin(self.losses, LIMIT), thin(self.metrics, LIMIT)
        loss_keys = [*LOSS_KEYS, *(k for k in ORBIT_KEYS if losses and k in losses[-1])]
        metric_keys = sorted({k for m in metrics for k in m} - {"iteration"})
        branch = {"id": self.branch, "label": "", "parent": None, "fork": 0,
                  "extent": self.last_loss if self.last_loss >= 0 else 0,
                  "losses": columns(losses, loss_keys), "metrics": columns(metrics, metric_keys)}
        return {"type": "history", "run": self.run, "branch": self.branch, "branches": [branch], "slot": slot}

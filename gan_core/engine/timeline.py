"""The timeline of one run: checkpoints under a memory budget, the changes made live, and branches.

    tl = trainer.timeline
    tl.checkpoints() -> [iterations]          # of the branch the trainer is on
    tl.seek(run, k) -> iteration              # the nearest checkpoint at or before k, restored
    tl.fork(run, label) -> Branch             # a new branch from where the run is
    tl.switch(run, branch_id) -> iteration    # back to another branch, where it was left
    tl.lineage() -> (losses, metrics)         # the thinned history of the branch, from its root

The trainer owns one (gan_core.engine.trainer) and calls its hooks: `record` before a live change
or a slow-motion update, `take_due` before each iteration (the changes recorded at that iteration
of this branch, replayed), `after_iteration` after each one. A run that goes back to a checkpoint
and trains on retraces the branch bit for bit, its recorded changes re-applied at the iterations
where they were made; a change made at a past iteration starts a new branch there instead (the
old one is kept, and can be switched back to). A rebuild of the networks starts a new run, and a
new timeline with it.

Checkpoints come every MIN_GAP iterations at first, then further apart (sqrt of the iteration):
dense early, where a GAN changes fastest. Past the memory budget the cheapest one goes, where
cost = (the gap its removal leaves) / sqrt(iteration + THIN_OFFSET): what stays is spaced ~sqrt(k),
so the gap at the end of a run of N iterations with C checkpoints is ~2N/C (a replay of ~555
iterations at 10,000 with 36 checkpoints: the reference run's 4 MB). Never dropped: each branch's
first checkpoint and the one at its end (where it was left), and the newest.
"""

from __future__ import annotations

import math
from dataclasses import dataclass, field
from typing import Any, Protocol

from gan_core.engine import checkpoint
from gan_core.engine.checkpoint import Checkpoint
from gan_core.engine.config import ConfigError
from gan_core.engine.series import Point, Series

DEFAULT_BUDGET_BYTES = 4 * 2**20  # ~36 checkpoints of the reference run (2x64 MLPs, Adam: ~112 KB each)
MIN_GAP = 10  # iterations between checkpoints at the start of a run
THIN_OFFSET = 100  # iterations: below this the spacing is about even
MAX_BRANCHES = 8  # past this the oldest branch the run is not on goes
LOSS_POINTS = 1024  # per branch (thinned evenly; the charts are a few hundred pixels wide)
METRIC_POINTS = 512
LABEL_CHARS = 60


class Run(checkpoint.Run, Protocol):
    """A run with a timeline (gan_core.engine.trainer.Trainer)."""

    def step(self, n: int = 1) -> None: ...


@dataclass(frozen=True)
class Event:
    iteration: int
    kind: str  # "apply": payload is the config in force after it; "part": payload is "d" or "g"
    payload: Any
    label: str


@dataclass(eq=False)
class Branch:
    id: int
    label: str
    parent: int | None
    fork: int  # the iteration where it left its parent (the run's start for the first branch)
    events: list[Event]
    checkpoints: list[Checkpoint]  # by (iteration, events)
    extent: int  # the furthest iteration it reached
    losses: Series = field(default_factory=lambda: Series(LOSS_POINTS))
    metrics: Series = field(default_factory=lambda: Series(METRIC_POINTS))
    prefix_losses: list[Point] = field(default_factory=list)  # its lineage up to the fork
    prefix_metrics: list[Point] = field(default_factory=list)

    def head(self) -> Checkpoint | None:
        """Its checkpoint where it was left (None when the run is there and has not left it)."""
        last = self.checkpoints[-1] if self.checkpoints else None
        return last if last is not None and last.iteration == self.extent else None


def spacing(iteration: int) -> int:
    """Iterations from one new checkpoint to the next at `iteration` (10 up to 100, then sqrt)."""
    return max(MIN_GAP, math.isqrt(max(iteration, 0)))


def describe_patch(patch: dict[str, Any], prefix: str = "") -> str:
    """`{"optimizer_d": {"lr": 0.002}}` -> "optimizer_d.lr=0.002" (a branch's label)."""
    parts = []
    for k, v in patch.items():
        if isinstance(v, dict):
            parts.append(describe_patch(v, f"{prefix}{k}."))
        elif isinstance(v, list):
            parts.append(f"{prefix}{k}=[{len(v)}]")
        else:
            parts.append(f"{prefix}{k}={v}")
    text = ", ".join(p for p in parts if p)
    return text if len(text) <= LABEL_CHARS else text[: LABEL_CHARS - 1] + "…"


class Timeline:
    def __init__(self, budget_bytes: int = DEFAULT_BUDGET_BYTES):
        self.budget_bytes = int(budget_bytes)
        self.branches: dict[int, Branch] = {}
        self.current: Branch = Branch(0, "original", None, 0, [], [], 0)
        self.cursor = 0  # events of the current branch the run has applied
        self.start = 0  # the earliest iteration there is a checkpoint for
        self.ck_bytes = 0  # one checkpoint's size (a timeline never spans a rebuild)
        self.enabled = True
        self.note = ""  # why the timeline is off, or what staying in the budget dropped
        self.version = 0  # bumped by every change a viewer of the timeline would redraw
        self._next_id = 1

    # ---- the trainer's hooks -------------------------------------------------------------------

    def begin(self, run: Run, losses: list[Point] = (), metrics: list[Point] = ()) -> None:
        """The first branch, from where `run` is now, with the history that led there (an import's)."""
        root = Branch(0, "original", None, run.iteration, [], [], run.iteration,
                      prefix_losses=list(losses), prefix_metrics=list(metrics))
        self.branches = {0: root}
        self.current, self.cursor, self.start = root, 0, run.iteration
        self.ck_bytes, self.enabled, self.note = 0, True, ""
        if self.budget_bytes > 0:
            self._add(root, checkpoint.capture(run, 0))
        else:
            self._disable("the timeline is off (a budget of 0 bytes)")
        self.version += 1

    def set_budget(self, run: Run, budget_bytes: int) -> None:
        """A new memory budget (the server's setting): thins at once, or switches the timeline on or off."""
        self.budget_bytes = int(budget_bytes)
        if self.budget_bytes <= 0:
            self._disable("the timeline is off (a budget of 0 bytes)")
        elif not self.enabled:
            self.begin(run, *self.lineage())
        elif self._fits():
            self._thin()
        else:
            self._disable(self._too_big())
        self.version += 1

    def take_due(self, iteration: int) -> Event | None:
        """The next change recorded at `iteration` of this branch, if the run has not applied it yet."""
        b = self.current
        if self.cursor < len(b.events) and b.events[self.cursor].iteration == iteration:
            self.cursor += 1
            return b.events[self.cursor - 1]
        return None

    def record(self, run: Run, kind: str, payload: Any, label: str) -> None:
        """A live change (or slow-motion update) about to happen at run.iteration. At the end of the
        branch it joins the branch; the very change the branch made here is only followed; any
        other change at a past iteration starts a new branch."""
        b, it = self.current, run.iteration
        if self.cursor == len(b.events) and it >= b.extent:
            b.events.append(Event(it, kind, payload, label))
            self.cursor += 1
            return
        nxt = b.events[self.cursor] if self.cursor < len(b.events) else None
        if nxt is not None and (nxt.iteration, nxt.kind, nxt.payload) == (it, kind, payload):
            self.cursor += 1
            return
        self.fork(run, f"{label} at {it}")
        self.current.events.append(Event(it, kind, payload, label))
        self.cursor += 1

    def after_iteration(self, run: Run, entry: Point) -> None:
        """Iteration run.iteration completed (status ok): new ground extends the branch."""
        b, it = self.current, run.iteration
        if it <= b.extent:
            return  # a replay of ground the branch has covered: its points and checkpoints are there
        b.extent = it
        b.losses.add(entry)
        last = b.checkpoints[-1].iteration if b.checkpoints else self.start
        if self.enabled and it - last >= spacing(it):
            self._add(b, checkpoint.capture(run, self.cursor))

    def record_metrics(self, iteration: int, metrics: dict[str, float]) -> None:
        """Metrics a snapshot computed at `iteration` (the curves of a resumed page come from here)."""
        b = self.current
        if metrics and iteration > b.metrics.last_iteration and iteration >= b.fork:
            b.metrics.add({"iteration": iteration, **metrics})

    # ---- going back ------------------------------------------------------------------------------

    def checkpoints(self) -> list[int]:
        return sorted({ck.iteration for ck in self.current.checkpoints})

    @property
    def extent(self) -> int:
        return self.current.extent

    def nearest(self, iteration: int) -> Checkpoint:
        """The latest checkpoint of the current branch at or before `iteration` (the first if none is)."""
        self._check()
        cks = self.current.checkpoints
        best = cks[0]
        for ck in cks:
            if ck.iteration <= iteration:
                best = ck
        return best

    def seek(self, run: Run, iteration: int) -> int:
        """Restore the nearest checkpoint at or before `iteration` into `run`; returns its iteration."""
        self._check()
        self._save_head(run)
        ck = self.nearest(iteration)
        checkpoint.load(run, ck, ck.iteration)
        self.cursor = ck.events
        self.version += 1
        return ck.iteration

    def restore(self, run: Run, iteration: int) -> int:
        """Trainer.restore: the nearest checkpoint, then `run.step` to `iteration` exactly."""
        if isinstance(iteration, bool) or not isinstance(iteration, int) or not self.start <= iteration <= self.extent:
            raise ConfigError(f"iteration: must be an integer from {self.start} to {self.extent} "
                              "(where this branch of the run has been)", "iteration")
        run.step(iteration - self.seek(run, iteration))
        return run.iteration

    def fork(self, run: Run, label: str) -> Branch:
        """A new branch from where `run` is (the current one is kept as it was); the run is on it."""
        self._check()
        self._save_head(run)
        parent, it, c = self.current, run.iteration, self.cursor
        while len(self.branches) >= MAX_BRANCHES and self._drop_branch():
            pass
        here = next((ck for ck in parent.checkpoints if (ck.iteration, ck.events) == (it, c)), None)
        if here is None:
            here = checkpoint.capture(run, c)
            if not any(ck.iteration == it for ck in parent.checkpoints):
                self._insert(parent, here)
        losses, metrics = self.lineage(parent)
        child = Branch(self._next_id, label, parent.id, it, parent.events[:c],
                       [ck for ck in parent.checkpoints if (ck.iteration, ck.events) < (it, c)] + [here], it,
                       prefix_losses=[p for p in losses if p["iteration"] <= it],
                       prefix_metrics=[p for p in metrics if p["iteration"] <= it])
        self._next_id += 1
        self.branches[child.id] = child
        self.current = child
        self._thin()
        self.version += 1
        return child

    def switch(self, run: Run, branch_id: int) -> int:
        """Go to branch `branch_id` where it was left (its end); returns the iteration there.
        ConfigError naming `branch` for a branch there is not."""
        self._check()
        target = self.branches.get(branch_id)
        if target is None:
            raise ConfigError(f"branch: there is no branch {branch_id} (there are {sorted(self.branches)})", "branch")
        if target is self.current and self.at_head(run):
            return run.iteration
        self._save_head(run)
        ck = target.head() or target.checkpoints[-1]
        checkpoint.load(run, ck, -1)
        self.current, self.cursor = target, ck.events
        self.version += 1
        return ck.iteration

    def lineage(self, branch: Branch | None = None) -> tuple[list[Point], list[Point]]:
        """The branch's loss and metric points from the start of the run (thinned)."""
        b = branch or self.current
        return [*b.prefix_losses, *b.losses.all()], [*b.prefix_metrics, *b.metrics.all()]

    def at_head(self, run: Run) -> bool:
        return run.iteration >= self.current.extent and self.cursor == len(self.current.events)

    # ---- what a viewer draws ---------------------------------------------------------------------

    def describe(self) -> dict[str, Any]:
        return {
            "start": self.start, "extent": self.current.extent, "branch": self.current.id,
            "checkpoints": self.checkpoints(), "enabled": self.enabled, "note": self.note,
            "budget_bytes": self.budget_bytes, "used_bytes": self.bytes_used(), "checkpoint_bytes": self.ck_bytes,
            "branches": [{"id": b.id, "label": b.label, "parent": b.parent, "fork": b.fork, "extent": b.extent}
                         for b in self.branches.values()],
        }

    def branch_history(self, b: Branch) -> tuple[list[Point], list[Point]]:
        """What a chart draws for branch `b`: the whole lineage of the first branch; from its fork
        (the point just before it included, so the line joins its parent's) for the others."""
        if b.parent is None:
            return self.lineage(b)
        return [*b.prefix_losses[-1:], *b.losses.all()], [*b.prefix_metrics[-1:], *b.metrics.all()]

    def bytes_used(self) -> int:
        return sum({id(ck): ck.nbytes for b in self.branches.values() for ck in b.checkpoints}.values())

    # ---- keeping within the budget ---------------------------------------------------------------

    def _check(self) -> None:
        if not self.enabled:
            raise ConfigError(f"iteration: {self.note or 'the timeline is off'}", "iteration")

    def _fits(self) -> bool:
        # A branch needs its first checkpoint and the one where it was left: two must fit.
        return 2 * self.ck_bytes <= self.budget_bytes

    def _too_big(self) -> str:
        return (f"the timeline is off: one checkpoint of these networks takes {self.ck_bytes / 2**20:.2f} MB, "
                f"and two must fit in its budget of {self.budget_bytes / 2**20:.2f} MB "
                "(the server's timeline_budget_mb)")

    def _disable(self, why: str) -> None:
        self.enabled, self.note = False, why
        for b in self.branches.values():
            b.checkpoints.clear()

    def _save_head(self, run: Run) -> None:
        """Keep where the run is on its branch's end before it leaves it (it could not be replayed)."""
        b = self.current
        if self.at_head(run) and run.status == "ok":
            last = b.checkpoints[-1] if b.checkpoints else None
            if last is None or (last.iteration, last.events) != (run.iteration, self.cursor):
                self._add(b, checkpoint.capture(run, self.cursor))

    def _insert(self, b: Branch, ck: Checkpoint) -> None:
        key = (ck.iteration, ck.events)
        b.checkpoints = [x for x in b.checkpoints if x.iteration != ck.iteration]
        i = len(b.checkpoints)
        while i > 0 and (b.checkpoints[i - 1].iteration, b.checkpoints[i - 1].events) > key:
            i -= 1
        b.checkpoints.insert(i, ck)

    def _add(self, b: Branch, ck: Checkpoint) -> None:
        self.ck_bytes = max(self.ck_bytes, ck.nbytes)
        if not self._fits():
            self._disable(self._too_big())
            self.version += 1
            return
        self._insert(b, ck)
        self._thin()
        self.version += 1

    def _protected(self) -> set[int]:
        keep = set()
        for b in self.branches.values():
            if b.checkpoints:
                keep.add(id(b.checkpoints[0]))
                keep.add(id(b.checkpoints[-1]))
        return keep

    def _cheapest(self) -> Checkpoint | None:
        keep = self._protected()
        best, cost = None, math.inf
        for b in self.branches.values():
            cks = b.checkpoints
            for i in range(1, len(cks) - 1):
                if id(cks[i]) in keep:
                    continue
                c = (cks[i + 1].iteration - cks[i - 1].iteration) / math.sqrt(cks[i + 1].iteration + THIN_OFFSET)
                if c < cost:
                    best, cost = cks[i], c
        return best

    def _thin(self) -> None:
        """Drop checkpoints (cheapest first, then whole branches the run is not on) until within budget."""
        while self.bytes_used() > self.budget_bytes:
            victim = self._cheapest()
            if victim is None:
                if not self._drop_branch():
                    return
                continue
            for b in self.branches.values():
                b.checkpoints = [ck for ck in b.checkpoints if ck is not victim]

    def _drop_branch(self) -> bool:
        """Forget the oldest branch the run is not on (the first branch last); False if there is none."""
        others = [b for b in self.branches.values() if b is not self.current]
        if not others:
            return False
        gone = min(others, key=lambda b: (b.parent is None, b.id))
        del self.branches[gone.id]
        self.note = f"branch {gone.id} ({gone.label}) was dropped to stay within the timeline's memory budget"
        self.version += 1
        return True

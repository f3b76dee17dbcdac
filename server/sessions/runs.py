"""A session's experiments: A alone, or A and B of a comparison trained in lock-step by iteration.

A comparison is two Trainers with the same target and seed (SHARED): one Play/Step/Reset drives
both, and B never runs ahead of A nor A of B, whichever is slower per iteration. A change to the
target or the seed goes to both; a change that builds new networks in one restarts both from
iteration 0, so they stay comparable iteration for iteration. Each Run keeps what its frames have
shown (the history cursor, the metrics computed for frames), so a viewer or a fork can be given
curves that are complete from the start.

Everything here runs on the session's host thread, like the Session that owns it.
"""

from __future__ import annotations

from typing import Any

from gan_core.engine import fork, history
from gan_core.engine.config import ConfigError, apply_patch
from gan_core.engine.snapshot import SnapshotOptions
from gan_core.engine.trainer import Trainer
from gan_core.science.comparisons import SHARED, start_differences
from server.wire.frames import encode_frame, orbit

SLOTS = ("A", "B")
# Loss / metric points a joining viewer's page starts with (~100 bytes each as JSON): a curve is a
# few hundred pixels wide, and a class of 300 joining at once must not cost gigabytes of JSON.
CURVE_POINTS = 2000


class Run:
    """One trainer as a session's frames show it."""

    def __init__(self, trainer: Trainer, metric_log: list[dict[str, Any]] | None = None, cursor: int = 0):
        self.trainer = trainer
        self.hist_cursor = cursor  # the last history iteration a frame carried
        self.metric_log: list[dict[str, Any]] = metric_log or []  # {"iteration", **metrics} per fresh computation

    def restart(self) -> None:
        """A new run (reset, rebuild): its history and metrics start again."""
        self.hist_cursor = 0
        self.metric_log = []

    def frame(self, opts: SnapshotOptions, extra: dict[str, Any]) -> tuple[bytes, Any]:
        """One encoded frame (and its snapshot) with every history entry since the previous one."""
        t = self.trainer
        snap = t.snapshot(opts)
        new = history.since(t.history, self.hist_cursor)
        if new:
            self.hist_cursor = new[-1]["iteration"]
        if snap.metrics and snap.metrics_iteration == t.iteration:
            log = self.metric_log
            if not log or log[-1]["iteration"] < snap.metrics_iteration:
                log.append({"iteration": snap.metrics_iteration, **snap.metrics})
                if len(log) > 2 * CURVE_POINTS:  # bounded: the oldest half thinned
                    self.metric_log = log[: len(log) // 2 : 2] + log[len(log) // 2:]
        return encode_frame(snap, new, extra), snap

    def curves(self) -> dict[str, Any]:
        """What a page that watched every frame so far has drawn: loss points, metric points, and the
        Dirac game's orbit (consecutive iterations), up to the last frame made."""
        shown = [e for e in self.trainer.history if e["iteration"] <= self.hist_cursor]
        return {"losses": history.thin(shown, CURVE_POINTS), "metrics": history.thin(self.metric_log, CURVE_POINTS),
                "orbit": orbit(shown)}

    def capture(self) -> dict[str, Any]:
        """This run for a fork (plain data; see gan_core.engine.fork)."""
        return {**fork.capture(self.trainer), "metric_log": [dict(m) for m in self.metric_log]}

    @classmethod
    def restore(cls, captured: dict[str, Any]) -> Run:
        """The captured run; its frames carry only what is new (the forking page has the curves so far)."""
        trainer = fork.restore(captured)
        return cls(trainer, list(captured["metric_log"]), cursor=trainer.iteration)


class Runs:
    def __init__(self, trainer: Trainer):
        self.a = Run(trainer)
        self.b: Run | None = None
        self.name: str | None = None  # the built-in comparison this is, if any

    @property
    def trainer(self) -> Trainer:
        return self.a.trainer

    @property
    def comparing(self) -> bool:
        return self.b is not None

    def each(self) -> list[tuple[str, Run]]:
        return [("A", self.a)] if self.b is None else [("A", self.a), ("B", self.b)]

    def run(self, slot: str) -> Run:
        if slot == "B":
            if self.b is None:
                raise ConfigError("slot: there is no B (start a comparison first)", "slot")
            return self.b
        return self.a

    # ---- state ------------------------------------------------------------------------------------

    @property
    def iteration(self) -> int:
        return self.a.trainer.iteration

    @property
    def ok(self) -> bool:
        return all(r.trainer.status == "ok" for _, r in self.each())

    def status_message(self) -> str:
        msgs = [(slot, r.trainer.status_message) for slot, r in self.each() if r.trainer.status_message]
        if self.b is None:
            return msgs[0][1] if msgs else ""
        return "; ".join(f"{slot}: {m}" for slot, m in msgs)

    def describe(self) -> dict[str, Any] | None:
        """What `ready` and `config` say of the comparison: B's config and its name; None without one."""
        if self.b is None:
            return None
        return {"b": self.b.trainer.config.model_dump(mode="json"), "name": self.name}

    # ---- training -----------------------------------------------------------------------------------

    def step(self, n: int) -> None:
        """n iterations of A, then B up to A's iteration (B never ahead; a divergence stops both)."""
        self.a.trainer.step(n)
        if self.b is not None:
            b = self.b.trainer
            b.step(max(0, self.a.trainer.iteration - b.iteration))

    def step_part(self, part: str) -> None:
        for _, r in self.each():
            r.trainer.step_part(part)

    def reset(self, seed: int | None) -> None:
        for _, r in self.each():
            r.trainer.reset(seed)
            r.restart()

    def apply(self, patch: dict[str, Any], slot: str = "A") -> bool:
        """A live change to one experiment (the shared target and seed: to both); True when networks
        were rebuilt, which in a comparison restarts both. ConfigError changes nothing."""
        run = self.run(slot)
        if self.b is None:
            rebuilt = run.trainer.apply(patch)
        else:
            other = self.b if slot == "A" else self.a
            shared = {k: v for k, v in patch.items() if k in SHARED}
            if shared and "schema_version" in patch:  # an older patch's target is upgraded alike
                shared["schema_version"] = patch["schema_version"]
            apply_patch(run.trainer.config, patch)  # both validated before either changes
            if shared:
                apply_patch(other.trainer.config, shared)
            mine = run.trainer.apply(patch)
            theirs = other.trainer.apply(shared) if shared else False
            rebuilt = mine or theirs
            if rebuilt:  # lock-step: both start again together, from their seeds
                for r, fresh in ((run, mine), (other, theirs)):
                    if not fresh:
                        r.trainer.reset()
        if rebuilt:
            for _, r in self.each():
                r.restart()
        return rebuilt

    def compare(self, b: Trainer, name: str | None, a: Trainer | None = None) -> None:
        """Start a comparison: B next to A (A replaced when given, else A restarted from its seed)."""
        a_cfg = (a or self.a.trainer).config
        differ = start_differences(a_cfg, b.config)
        if differ:
            raise ConfigError(f"{differ[0]}: A and B must share the {' and the '.join(differ)} "
                              "(a comparison changes one setting, not the data or the start)", f"b.{differ[0]}")
        if a is None:
            a = self.a.trainer
            a.reset()
        self.a, self.b, self.name = Run(a), Run(b), name

    def stop_compare(self) -> None:
        self.b, self.name = None, None

    def capture(self) -> dict[str, Any]:
        return {"A": self.a.capture(), "B": None if self.b is None else self.b.capture(), "name": self.name}

    @classmethod
    def restore(cls, captured: dict[str, Any]) -> Runs:
        runs = cls.__new__(cls)
        runs.a = Run.restore(captured["A"])
        runs.b = None if captured["B"] is None else Run.restore(captured["B"])
        runs.name = captured["name"]
        return runs

"""A session's timeline operations (a mixin of server.sessions.session.Session, on its host's thread):
seek, branch and switch_branch, the replay of an exact seek in turns, and the `timeline` and
`history` messages (server.sessions.timeline_view). The timeline itself is the trainer's
(gan_core.engine.timeline): checkpoints, the changes made live, branches.

An exact seek restores the nearest earlier checkpoint at once (its frame shows while the replay
runs) and then replays to the iteration in turns of the session's training budget, so a long
replay never holds up the other sessions of its host; play, a step, a change or another seek
ends it where it got to.
"""

from __future__ import annotations

import time
from typing import TYPE_CHECKING, Any

from gan_core.engine.config import apply_patch
from gan_core.engine.timeline import describe_patch
from server.sessions.timeline_view import history_message, timeline_message

if TYPE_CHECKING:
    from gan_core.engine.trainer import Trainer


class Rewind:
    """The timeline half of a Session; the names it uses are the Session's own."""

    _trainer: Trainer
    _run: int
    _replay_to: int | None
    _seek: dict[str, Any] | None
    _timeline_sent: tuple[int, float]

    def seek(self, iteration: int, exact: bool) -> None:
        """Show the run as it was at `iteration` of this branch: its nearest earlier checkpoint at once,
        and with `exact` a replay from there to the iteration itself, in turns. Pauses the run."""
        t = self._trainer
        tl = t.timeline
        target = min(max(iteration, tl.start), tl.extent)
        at = tl.seek(t, target)  # ConfigError naming `iteration` when the timeline is off
        self._running, self._pending = False, 0
        self._replay_to = target if exact and at < target else None
        if iteration > tl.extent:
            note = f"iteration {iteration} is past the end of this branch: showing its end, {at}"
        elif iteration < tl.start:
            note = f"the timeline starts at iteration {tl.start} (where this experiment was imported): showing it"
        elif at == target:
            note = ""
        elif exact:
            note = f"replaying from the checkpoint at {at} to {target}"
        else:
            note = f"no checkpoint at {target}: showing the nearest earlier one, {at}"
        self._seek = {"asked": iteration, "asked_exact": exact, "at": at, "target": target,
                      "exact": at == target, "message": note}
        self._moved()

    def branch(self, patch: dict[str, Any] | None, label: str | None) -> None:
        """A new branch from where the run is (the one it was on is kept), with `patch` applied on it."""
        t = self._trainer
        if patch:
            # A bad patch, or one over the server's budget, names its field before any branch is made.
            self.check_cost(apply_patch(t.config, patch))
        name = label or (f"{describe_patch(patch)} at {t.iteration}" if patch else f"branch at {t.iteration}")
        t.timeline.fork(t, name)
        self._seek, self._replay_to = None, None
        if patch:
            self._changed(t.apply(patch))
        else:
            self._moved()

    def switch_branch(self, branch: int) -> None:
        """Back to another branch of the timeline, where it was left; pauses the run."""
        t = self._trainer
        t.timeline.switch(t, branch)  # ConfigError naming `branch` for one there is not
        self._running, self._pending, self._replay_to, self._seek = False, 0, None, None
        self._config_rev += 1
        self.post_config(False, cause="switch_branch")
        self._moved()

    def _moved(self) -> None:
        """The run is somewhere else on its timeline: tell the page, and show it."""
        self._hist_cursor = self._trainer.iteration
        self.post_timeline()
        self.post_status()
        self._dirty = True

    def _replay_quantum(self) -> None:
        """One turn of an exact seek's replay (the trainer re-makes the recorded changes on the way)."""
        t, target = self._trainer, self._replay_to
        n = min(target - t.iteration, max(1, int(self.pacer.budget_s / self._iter_s)))
        before, start = t.iteration, time.perf_counter()
        t.step(n)
        done = t.iteration - before
        if done > 0:
            self._iter_s = 0.8 * self._iter_s + 0.2 * ((time.perf_counter() - start) / done)
        if t.iteration >= target or done <= 0 or t.status != "ok":
            self._replay_to = None
            self._seek = {**(self._seek or {}), "at": t.iteration, "exact": t.iteration == target,
                          "message": "" if t.iteration == target else f"the replay stopped at {t.iteration}"}
            self._moved()

    def post_history(self) -> None:
        self.post(history_message(self._trainer, self._run))

    def post_timeline(self) -> None:
        self.post(timeline_message(self._trainer, self._run, self._replay_to, self._seek))
        self._timeline_sent = (self._trainer.timeline.version, time.monotonic())

    def post_timeline_if_changed(self, every_s: float = 0.0) -> None:
        """A timeline message if it changed (new checkpoints, a branch), at most every `every_s`."""
        version, at = self._timeline_sent
        if self._trainer.timeline.version != version and time.monotonic() - at >= every_s:
            self.post_timeline()


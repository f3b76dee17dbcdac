"""A session's comparison and what others take from it (a mixin of server.sessions.session.Session,
on its host's thread): A/B compare mode (server.sessions.runs), the starting state of a broadcast
(server.classroom) and the state a fork goes on from (server.sessions.host adopts it).
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

from gan_core.plain_json import json_safe
from server.sessions.timeline_view import history_message, timeline_message

if TYPE_CHECKING:
    from gan_core.engine.snapshot import SnapshotOptions
    from gan_core.engine.trainer import Trainer
    from server.sessions.runs import Runs
    from server.settings import Settings


class Sharing:
    """The comparison and classroom half of a Session; the names it uses are the Session's own."""

    settings: Settings
    _runs: Runs
    _run: int
    _preset: str | None
    _replay_to: int | None
    _seek: dict[str, Any] | None
    _view: SnapshotOptions
    _fps: float
    _dirty: bool

    def compare(self, b: Trainer, name: str | None, a: Trainer | None = None, preset: str | None = None) -> None:
        """Start a comparison, both from iteration 0 (see server.sessions.runs.Runs.compare)."""
        self._runs.compare(b, name, a)
        for _, run in self._runs.each():
            run.trainer.timeline.set_budget(run.trainer, self.settings.timeline_budget_bytes)
        if a is not None:
            self._preset = preset
            self._forget_window()  # another experiment: the page frames its target afresh
        self._replay_to = None
        self._changed(rebuilt=True, cause="compare")

    def stop_compare(self) -> None:
        """Back to A alone, where it is."""
        self._runs.stop_compare()
        self._changed(rebuilt=False, cause="compare")

    def post_history(self) -> None:
        """Every run's curves: A's timeline (Rewind), and B's while comparing (B has no seek: one branch)."""
        super().post_history()
        if self._runs.b is not None:
            self.post({**history_message(self._runs.b.trainer, self._run), "slot": "B"})

    def watch_state(self) -> dict[str, Any]:
        """What a broadcast starts from (server.classroom): the config, the status, the timeline and
        every run's curves up to the last frame made; the next frame follows at once."""
        self._dirty = True
        t = self.trainer
        return json_safe({**self.config_message(False), "type": "watch_state", "status": self.status_message(),
                          "run": self._run, "branch": t.timeline.current.id,
                          "timeline": timeline_message(t, self._run, self._replay_to, self._seek),
                          "curves": {slot: r.curves() for slot, r in self._runs.each()}})

    def fork_state(self) -> dict[str, Any]:
        """Everything a copy needs to go on exactly from here (server.sessions.host adopts it)."""
        return {"runs": self._runs.capture(), "preset": self._preset, "view": self._view, "fps": self._fps}

    def adopt(self, runs: Runs) -> None:
        """Take a fork's runs (before attaching: nobody has seen this session yet)."""
        for _, run in runs.each():
            run.trainer.timeline.set_budget(run.trainer, self.settings.timeline_budget_bytes)
        self._runs = runs

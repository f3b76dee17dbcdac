"""One lab session: its Trainer, what its page asked to see, and the operations that change them.
It lives on a session host (server.sessions.host) and everything here runs on that host's one
thread: client messages wait in the session's inbox and are handled in its own turn, never during
a frame or a training step, so no lock is needed. The message handlers (server.sessions.handlers)
change it through the operations below; its turns (frames, training, the pacing and the budget of
each) are server.sessions.turns.

No session can take its neighbours' frames (issue 14): whatever changes what it computes (a
config, a preset, an import, a view) passes the server's budget first (`check_cost`,
server.sessions.budget), with an error naming the costliest knobs.
"""

from __future__ import annotations

import json
import logging
import math
import time
from collections import deque
from collections.abc import Callable
from dataclasses import replace
from typing import TYPE_CHECKING, Any

from gan_core.engine.config import SCHEMA_VERSION, apply_patch
from gan_core.engine.snapshot import SnapshotOptions
from gan_core.plain_json import json_safe
from server.sessions import budget, handlers, presets
from server.sessions.meter import Meter
from server.sessions.rewind import Rewind
from server.sessions.runs import Runs
from server.sessions.sharing import Sharing
from server.sessions.throttle import Throttle
from server.sessions.turns import Turns
from server.wire.protocol import PROTOCOL_VERSION

if TYPE_CHECKING:
    from gan_core.engine.trainer import Trainer
    from server.sessions.pacer import Pacer
    from server.settings import Settings
    from server.wire.protocol import SetView

log = logging.getLogger(__name__)

MAX_PENDING_STEPS = 1000  # step requests add up to this many iterations at most (a held key)


class Session(Sharing, Turns, Rewind):
    """One lab session (see the module docstring); its turns are Turns', its timeline operations
    Rewind's, its comparison and what a broadcast or a fork takes from it Sharing's."""

    def __init__(self, trainer: Trainer, settings: Settings, pacer: Pacer, preset: str | None = None,
                 sid: str = "", token: str = ""):
        self.id = sid  # given by the front (server.sessions.proxy), which also holds the resume token
        self.token = token
        self.settings = settings
        self.pacer = pacer  # shared by every session of every host: they train alike
        self._runs = Runs(trainer)  # A, and B while comparing
        trainer.timeline.set_budget(trainer, settings.timeline_budget_bytes)
        self._preset = preset  # the preset the run started from (its origin, kept when edited)
        self._modified = presets.modified(preset, trainer.config)  # its config is no longer the preset's
        self._view = SnapshotOptions()
        self._fps = settings.default_fps
        self._running = False
        self._pending = 0  # iterations a step request still asks for
        self._config_rev = 0  # bumped by every applied change; frames and `config` replies carry it
        self._dirty = True  # something changed that the client has not seen in a frame yet
        self._was_running = False  # running when its page went away: goes on when it comes back
        self._sink: Any = None  # where replies and frames go (a host's ChannelSink); None: detached
        self._metrics_t = -math.inf  # when the last fresh metrics / D surface were computed
        self._surface_t = -math.inf
        self._next_frame_t = -math.inf  # monotonic deadline of the next regular frame
        self._iter_s = 0.003  # running mean seconds per iteration: sizes the next quantum
        self._frame_s = 0.003  # running mean CPU seconds per frame
        self._framed_last = False  # the last busy turn made a frame (a heavy session alternates)
        self._credit_s = 0.0  # budget not yet spent: a turn trains once it covers an iteration
        self._turn_t: float | None = None  # monotonic start of this session's previous busy turn
        self._trained = 0
        self._its = 0.0
        self._its_mark = (time.monotonic(), 0)
        self._status_t = 0.0
        self._inbox: deque[Any] = deque()  # client messages (models, or an import's raw text) for its turns
        self._parts: tuple[str, int] | None = None  # slow-motion updates still to run: ("d" | "g", count)
        self.meter = Meter(settings.turn_ms / 1000, settings.watchdog_ms / 1000)
        # Memory the other sessions of this host hold (its host sets it; alone: none).
        self.others_bytes: Callable[[], int] = lambda: 0
        self._memory: int | None = None  # this session's estimate (budget.memory_bytes), None: to compute
        self._seed_iteration_time()
        self._run = 0  # bumped by every new run (reset, rebuild, preset, import): frames and curves carry it
        self._replay_to: int | None = None  # an exact seek replaying towards this iteration, in turns
        self._seek: dict[str, Any] | None = None  # what the last seek asked and got (the timeline message)
        self._timeline_sent = (-1, 0.0)  # (timeline version, monotonic time) of the last timeline message
        self._throttle = Throttle(presets.speed(preset))  # the it/s cap and the iteration to stop at

    # ---- what it is (read-only: change it through the operations below) ------------------------

    @property
    def trainer(self) -> Trainer:
        """A's trainer (the only one unless comparing)."""
        return self._runs.trainer

    @property
    def _trainer(self) -> Trainer:
        # The timeline's operations (Rewind) and the curves work on A.
        return self._runs.trainer

    @property
    def _hist_cursor(self) -> int:
        """The last history iteration A's frames carried (Rewind moves it after a seek)."""
        return self._runs.a.hist_cursor

    @_hist_cursor.setter
    def _hist_cursor(self, iteration: int) -> None:
        self._runs.a.hist_cursor = iteration

    @property
    def runs(self) -> Runs:
        return self._runs

    @property
    def preset(self) -> str | None:
        return self._preset

    @property
    def modified(self) -> bool:
        """Whether the config differs from the preset's (seed aside): the page then says "modified
        from <preset>" and marks the preset's story as describing the original."""
        return self._modified

    @property
    def view(self) -> SnapshotOptions:
        return self._view

    @property
    def fps(self) -> float:
        return self._fps

    @property
    def running(self) -> bool:
        return self._running

    @property
    def pending_steps(self) -> int:
        return self._pending

    @property
    def speed(self) -> float | None:
        return self._throttle.its

    @property
    def config_rev(self) -> int:
        return self._config_rev

    @property
    def attached(self) -> bool:
        return self._sink is not None

    def state(self) -> str:
        if not self._runs.ok:
            return "diverged"
        return "running" if self._running else "paused"

    # ---- the host's calls -----------------------------------------------------------------------

    @property
    def memory_bytes(self) -> int:
        """What this session holds, estimated from its config and view (its host adds them up)."""
        if self._memory is None:
            self._memory = budget.memory_bytes(self._trainer.config, self._view, self.settings)
        return self._memory

    def attach(self, sink: Any, resumed: bool = False, view: SetView | None = None, token: str | None = None) -> None:
        """Stream to `sink`: say `ready` (with `token`, the resume token from now on, when given) and
        send the curves and the timeline so far, apply hello's `view` (an error in it names the
        field, after `ready`), go on running if it was when its page went away, and show a frame."""
        self._sink = sink
        if token is not None:
            self.token = token
        self.post_ready(resumed)
        self.post_history()
        self.post_timeline()
        if view is not None:
            self.handle(view)
        if self._was_running and self._runs.ok:
            self._running = True
        self._was_running = False
        self.post_status()
        self._dirty = True

    def detach(self) -> None:
        """Nobody watches: stop spending CPU, but remember to go on when the page comes back."""
        self._sink = None
        self._was_running = self._was_running or self._running
        self._running = False
        self._pending = 0
        self._parts = None

    def idle_pause(self) -> None:
        if self._running:
            self._running = False
            self.post_status()
            self.post({"type": "notice", "message": "paused: no input for a while; press play to go on"})
            self._dirty = True

    def handle(self, msg: Any) -> None:
        """One client message (a server.wire.protocol model)."""
        try:
            handlers.handle(self, msg)
        except Exception as exc:  # bad input must cost the client an error message, never the session
            log.exception("session %s: %s failed", self.id, getattr(msg, "type", msg))
            self.post_error(f"{getattr(msg, 'type', 'message')}: internal error ({exc})", None)

    # ---- operations (server.sessions.handlers) --------------------------------------------------

    def play(self, until: int | None = None) -> None:
        """Train continuously; with `until`, pause exactly when the iteration reaches it."""
        self._running = True
        self._pending = 0
        self._parts = None
        self._replay_to = None
        self._throttle.start(until)
        self.post_status()

    def pause(self) -> None:
        self._running = False
        self._pending = 0
        self._parts = None
        self._throttle.stop()
        self.post_status()
        self._dirty = True  # one final frame at the exact iteration where it stopped

    def request_steps(self, n: int) -> None:
        """Train n more iterations (in quanta, between frames; pause cancels), then report."""
        self._running = False
        self._parts = None
        self._replay_to = None
        self._pending = min(self._pending + n, MAX_PENDING_STEPS)

    def step_parts(self, part: str, n: int) -> None:
        """n discriminator ("d") or generator ("g") updates: slow motion. As many as fit in this
        turn run now (one at least); the rest in the next turns, like a step request."""
        self._running = False
        self._pending = 0
        self._replay_to = None
        waiting = self._parts[1] if self._parts is not None and self._parts[0] == part else 0
        self._parts = (part, min(waiting + n, MAX_PENDING_STEPS))
        self._part_quantum()

    def reset(self, seed: int | None) -> None:
        self._replay_to = None
        self._runs.reset(seed)
        self._changed(rebuilt=True, cause="reset")

    def check_cost(self, cfg: Any, view: SnapshotOptions | None = None, field_prefix: str = "") -> None:
        """ConfigError (naming the costliest knob) when `cfg` with `view` (default: the current one)
        is over this server's budget or would not fit the host's memory."""
        budget.check(cfg, view or self._view, self.settings, self.others_bytes(), field_prefix)

    def apply(self, patch: dict[str, Any], clear_preset: bool = False, slot: str = "A") -> None:
        """A live change (validated as a whole and within budget; ConfigError names the field and
        changes nothing). At a past iteration of the run it starts a new branch of the timeline there
        (gan_core's trainer)."""
        self.check_cost(apply_patch(self._runs.run(slot).trainer.config, patch))
        self._replay_to = None
        target, kind = self._trainer.target, self._trainer.config.target.name
        rebuilt = self._runs.apply(patch, slot)
        if clear_preset or self._trainer.config.target.name != kind:
            self._preset = None  # a preset's story is about its own target: another kind is not it
        if self._trainer.target is not target:
            self._forget_window()
        self._changed(rebuilt)

    def replace_trainer(self, trainer: Trainer, preset: str | None, stop: bool = False, cause: str = "preset") -> None:
        """Another run (a preset, an import): built whole (and its cost checked) by the caller, so a
        failure changed nothing. It is one experiment, so a comparison ends."""
        trainer.timeline.set_budget(trainer, self.settings.timeline_budget_bytes)
        if self._runs.comparing:
            self.post({"type": "notice", "message": "The comparison ended: one experiment was loaded."})
        self._runs = Runs(trainer)
        self._preset = preset
        self._replay_to = None
        self._throttle.stop()  # the old run's stop iteration means nothing to this one
        if preset is not None:  # a preset plays at its own speed (presets.json), or uncapped
            self._throttle.set_speed(presets.speed(preset))
        if stop:
            self._running = False
        self._forget_window()
        self._changed(rebuilt=True, cause=cause)

    def _forget_window(self) -> None:
        # The page's window framed the old target: the new one's first frame covers its own box, and
        # the page sends the window it frames next (SnapshotOptions.window).
        self._view = replace(self._view, window=None)

    def set_speed(self, its: float | None) -> None:
        """Cap training at `its` iterations per second while playing (None: as fast as it goes)."""
        self._throttle.set_speed(its)
        self.post_status()

    def set_view(self, view: SnapshotOptions, fps: float | None = None) -> None:
        """What frames carry (already checked against the target) and, if given, their rate cap."""
        self._view = view
        self._memory = None
        self._seed_iteration_time()
        if fps is not None:
            self._fps = fps
        self._dirty = True

    # ---- replies ----------------------------------------------------------------------------------

    def post(self, msg: dict[str, Any]) -> None:
        if self._sink is not None:
            self._sink.post(json_safe(msg))

    def post_big(self, msg: dict[str, Any]) -> None:
        """A reply of megabytes (an export): serialized here, on the host, so the front only forwards it."""
        sink = self._sink
        if sink is None:
            return
        if hasattr(sink, "post_text"):
            sink.post_text(json.dumps(json_safe(msg), separators=(",", ":"), allow_nan=False))
        else:
            sink.post(json_safe(msg))

    def post_error(self, message: str, field: str | None) -> None:
        self.post({"type": "error", "message": message, "field": field})

    def post_ready(self, resumed: bool) -> None:
        self.post({"type": "ready", "session": self.id, "token": self.token, "role": "owner",
                   "config": self.trainer.config.model_dump(mode="json"), "protocol": PROTOCOL_VERSION,
                   "schema_version": SCHEMA_VERSION, "preset": self._preset, "modified": self._modified,
                   "resumed": resumed,
                   "config_rev": self._config_rev, "iteration": self.trainer.iteration,
                   "compare": self._runs.describe()})

    def status_message(self, rebuilt: bool = False, cause: str | None = None,
                       until_reached: bool = False) -> dict[str, Any]:
        return {"type": "status", "state": self.state(), "iteration": self._runs.iteration, "its": self._its,
                "message": self._runs.status_message(), "rebuilt": rebuilt, "config_rev": self._config_rev,
                "cause": cause, "replay_to": self._replay_to, "speed": self._throttle.its,
                "until": self._throttle.until, "until_reached": until_reached}

    def post_status(self, rebuilt: bool = False, cause: str | None = None, until_reached: bool = False) -> None:
        self.post(self.status_message(rebuilt, cause, until_reached))
        self._status_t = time.monotonic()

    def config_message(self, rebuilt: bool, cause: str = "configure") -> dict[str, Any]:
        return {"type": "config", "config": self.trainer.config.model_dump(mode="json"), "rebuilt": rebuilt,
                "config_rev": self._config_rev, "preset": self._preset, "modified": self._modified, "cause": cause,
                "iteration": self.trainer.iteration, "compare": self._runs.describe()}

    def post_config(self, rebuilt: bool, cause: str = "configure") -> None:
        self.post(self.config_message(rebuilt, cause))


    def _changed(self, rebuilt: bool, cause: str = "configure") -> None:
        """After an applied change: tell the client, and show it in the very next frame. A rebuild is
        a new run: the page gets its curves (none, or an import's) and its timeline afresh."""
        self._config_rev += 1
        self._memory = None
        self._seed_iteration_time()
        self._seek = None
        self._modified = presets.modified(self._preset, self._trainer.config)
        if rebuilt:
            self._run += 1
            self._hist_cursor = self._trainer.iteration  # a new run: its history starts again
        self.post_config(rebuilt, cause)
        self.post_status(rebuilt, cause)
        if rebuilt:
            self.post_history()
            self.post_timeline()
        else:
            self.post_timeline_if_changed()
        self._dirty = True

"""One lab session: its Trainer, what its page asked to see, and the turns that train it and make
its frames. It lives on a session host (server.sessions.host) and everything here runs on that
host's one thread: client messages are handled between turns, never during one, and no lock is
needed. The message handlers (server.sessions.handlers) change it through the operations below.

A turn: when running or stepping, report the turn cycle to the shared Pacer, make a frame if one
is due, then train for this turn's budget; when only something changed, make a frame. Training
rate and frame rate are decoupled: frames come on a steady clock at the client's fps cap, only
once the previous one was taken, and a change (configure, step, reset, ...) gets a frame at once.

Under load the frames come first: each session reports its turn cycle (the time between the
starts of two of its turns, which is everyone's turns added up) to the Pacer every session
shares, which shrinks the training budget per turn while cycles are longer than one frame
interval at `shared_fps` and grows it back to `quantum_ms` when there is room. Budgets below one
iteration accumulate as credit, so a session trains one iteration every few turns instead of
none. With 30 sessions on 2 cores every seat keeps ~shared_fps frames/s and the CPU left over
trains, evenly.
"""

from __future__ import annotations

import logging
import math
import time
from dataclasses import replace
from typing import TYPE_CHECKING, Any

from gan_core.engine.config import SCHEMA_VERSION
from gan_core.engine.snapshot import GRID_2D_MAX, SnapshotOptions
from gan_core.plain_json import json_safe
from server.sessions import handlers, presets
from server.sessions.rewind import Rewind
from server.sessions.runs import Runs
from server.sessions.sharing import Sharing
from server.sessions.throttle import Throttle
from server.wire.protocol import PROTOCOL_VERSION

if TYPE_CHECKING:
    from gan_core.engine.trainer import Trainer
    from server.sessions.pacer import Pacer
    from server.settings import Settings
    from server.wire.protocol import SetView

log = logging.getLogger(__name__)

MAX_PENDING_STEPS = 1000  # step requests add up to this many iterations at most (a held key)


class Session(Sharing, Rewind):
    """One lab session (see the module docstring); its timeline operations are Rewind's, its
    comparison and what a broadcast or a fork takes from it Sharing's."""

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
        self._credit_s = 0.0  # budget not yet spent: a turn trains once it covers an iteration
        self._turn_t: float | None = None  # monotonic start of this session's previous busy turn
        self._trained = 0
        self._its = 0.0
        self._its_mark = (time.monotonic(), 0)
        self._status_t = 0.0
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

    def attach(self, sink: Any, resumed: bool = False, view: SetView | None = None) -> None:
        """Stream to `sink`: say `ready` and send the curves and the timeline so far, apply hello's
        `view` (an error in it names the field, after `ready`), go on running if it was when its page
        went away, and show a frame."""
        self._sink = sink
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

    @property
    def wants_turn(self) -> bool:
        """Whether there is computing to do: training, a step request, a replay, or a frame of a change."""
        return self._running or self._pending > 0 or self._replay_to is not None or (self._dirty and self.attached)

    def poll(self) -> bool:
        """One turn if one is wanted; False if the session crashed (its page was told)."""
        try:
            if self.wants_turn:
                self.take_turn()
            else:
                self._turn_t = None  # an idle gap is not a scheduling cycle
            return True
        except Exception:
            # A bug must end this session only, loudly, never the host or the other sessions.
            log.exception("session %s crashed", self.id)
            self.post_error("internal error: the session stopped; reload", None)
            return False

    def wait_s(self) -> float:
        """Seconds until this session needs a turn (0: now; inf: not until a message comes)."""
        if self._pending > 0 or self._replay_to is not None or (self._dirty and self.attached):
            return 0.0
        if not self._running:
            return math.inf
        wait = self._throttle.wait_s()
        sink = self._sink
        if wait > 0 and sink is not None and not sink.frame_pending():  # (a taken frame wakes the host)
            wait = min(wait, max(0.0, self._next_frame_t - time.monotonic()))
        return wait

    def take_turn(self) -> None:
        """One turn of computing (the host's loop gives the turns)."""
        if self._replay_to is not None:
            self._pace()
            self._replay_quantum()
        elif self._running or self._pending > 0:
            held = self._running and self._throttle.wait_s() > 0  # its own speed cap holds it back
            if held:
                self._turn_t = None  # a wait on its own cap is not a scheduling cycle for the pacer
            else:
                self._pace()
            # Frame first: a change handled just now shows without waiting for training.
            if self._frame_due():
                self.frame()
            if not held:
                self._quantum()
            self._after_quantum()
        elif self._dirty and self.attached:
            self.frame()

    # ---- operations (server.sessions.handlers) --------------------------------------------------

    def play(self, until: int | None = None) -> None:
        """Train continuously; with `until`, pause exactly when the iteration reaches it."""
        self._running = True
        self._pending = 0
        self._replay_to = None
        self._throttle.start(until)
        self.post_status()

    def pause(self) -> None:
        self._running = False
        self._pending = 0
        self._throttle.stop()
        self.post_status()
        self._dirty = True  # one final frame at the exact iteration where it stopped

    def request_steps(self, n: int) -> None:
        """Train n more iterations (in quanta, between frames; pause cancels), then report."""
        self._running = False
        self._replay_to = None
        self._pending = min(self._pending + n, MAX_PENDING_STEPS)

    def step_parts(self, part: str, n: int) -> None:
        """n discriminator ("d") or generator ("g") updates at once: slow motion."""
        self._running = False
        self._pending = 0
        self._replay_to = None
        for _ in range(n):
            self._runs.step_part(part)
        self.post_timeline_if_changed()
        self.post_status()
        self._dirty = True

    def reset(self, seed: int | None) -> None:
        self._replay_to = None
        self._runs.reset(seed)
        self._changed(rebuilt=True, cause="reset")

    def apply(self, patch: dict[str, Any], clear_preset: bool = False, slot: str = "A") -> None:
        """A live change (validated as a whole; ConfigError names the field and changes nothing). At a
        past iteration of the run it starts a new branch of the timeline there (gan_core's trainer)."""
        self._replay_to = None
        target, kind = self._trainer.target, self._trainer.config.target.name
        rebuilt = self._runs.apply(patch, slot)
        if clear_preset or self._trainer.config.target.name != kind:
            self._preset = None  # a preset's story is about its own target: another kind is not it
        if self._trainer.target is not target:
            self._forget_window()
        self._changed(rebuilt)

    def replace_trainer(self, trainer: Trainer, preset: str | None, stop: bool = False, cause: str = "preset") -> None:
        """Another run (a preset, an import): built whole by the caller, so a failure changed nothing.
        It is one experiment, so a comparison ends."""
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
        if fps is not None:
            self._fps = fps
        self._dirty = True

    # ---- replies ----------------------------------------------------------------------------------

    def post(self, msg: dict[str, Any]) -> None:
        if self._sink is not None:
            self._sink.post(json_safe(msg))

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

    # ---- training and frames ------------------------------------------------------------------------

    def _pace(self) -> None:
        """Report this session's turn cycle to the shared pacer (see server.sessions.pacer)."""
        now = time.monotonic()
        if self._turn_t is not None:
            self.pacer.report(now - self._turn_t)
        self._turn_t = now

    def _quantum(self) -> None:
        """Train within this turn's budget, in one Trainer.step call (or not at all this turn)."""
        runs = self._runs
        if self._running:
            self._credit_s += self.pacer.budget_s
            wanted = int(self._credit_s / self._iter_s)
            n = self._throttle.allow(wanted, runs.iteration)
            if n < wanted:  # the cap or `until`, not the CPU, held it back: no credit to hoard
                self._credit_s = min(self._credit_s, self._iter_s)
            if n < 1:
                return
        else:  # an explicit step request finishes promptly, whatever the load
            n = min(self._pending, max(1, int(self.pacer.budget_s / self._iter_s)))
        before = runs.iteration
        start = time.perf_counter()
        runs.step(n)  # a comparison's two in lock-step: an iteration costs both
        took = time.perf_counter() - start
        done = runs.iteration - before
        if done > 0:
            self._iter_s = 0.8 * self._iter_s + 0.2 * (took / done)
        if self._running:
            # Spent by what the steps really took, so an underestimated iteration is paid back next turn.
            self._credit_s = max(-self.pacer.top * 4, self._credit_s - took)
        self._trained += max(done, 0)
        self._throttle.spend(max(done, 0))
        if not self._running:
            self._pending = max(0, self._pending - n)

    def _after_quantum(self) -> None:
        now = time.monotonic()
        t0, n0 = self._its_mark
        if now - t0 >= 0.5:
            self._its = (self._trained - n0) / (now - t0)
            self._its_mark = (now, self._trained)
        if not self._runs.ok:
            self._running, self._pending = False, 0
            self.post_status()
            self._dirty = True
        elif self._running and self._throttle.reached(self._trainer.iteration):
            self._running = False  # exactly at `until`: a frame of that iteration, and say why
            self._throttle.stop()
            self.post_status(until_reached=True)
            self._dirty = True
        elif not self._running and self._pending == 0:  # a step request finished
            self.post_status()
            self._dirty = True
        elif now - self._status_t >= self.settings.status_interval_s:
            self.post_status()
        self.post_timeline_if_changed(self.settings.status_interval_s)

    def _frame_due(self) -> bool:
        sink = self._sink
        if sink is None:
            return False
        if self._dirty:
            return True
        return time.monotonic() >= self._next_frame_t and not sink.frame_pending()

    def frame(self) -> None:
        """Make a frame now and hand it to the sink (a turn does this when one is due)."""
        sink = self._sink
        if sink is None:
            return
        t = self._trainer
        now = time.monotonic()
        st = self.settings
        every = st.loaded_metrics_interval_s if self.pacer.loaded else st.metrics_interval_s
        # Looking at the past (a seek back, a drag along the timeline), a change of iteration is not a
        # change of the experiment: metrics (tens of ms, most of a scrub frame) stay on their clock,
        # and a frame in between has none rather than the last ones, which are another iteration's.
        past = not t.timeline.at_head(t)
        fresh_metrics = (self._dirty and not past) or now - self._metrics_t >= every
        metrics = self._view.metrics and (fresh_metrics or t.probe_cache.metrics is not None)
        grid = self._view.grid
        if t.target.dim == 2:  # (A and B share the target)
            # A 1D grid of 512 must not fail a 2D target the person switched to since.
            grid = min(grid, GRID_2D_MAX, st.loaded_grid if self.pacer.loaded else GRID_2D_MAX)
        fresh_surface = self._dirty or now - self._surface_t >= 1.0 / st.surface_fps
        opts = replace(self._view, grid=grid, metrics=metrics, reuse_surface=not fresh_surface,
                       reuse_metrics=not fresh_metrics)
        tl = t.timeline
        extra = {"state": self.state(), "its": self._its, "config_rev": self._config_rev, "run": self._run,
                 "branch": tl.current.id, "extent": tl.extent, "start": tl.start}
        comparing = self._runs.comparing
        for slot, run in self._runs.each():
            # A comparison's frames say their slot; the socket keeps one mailbox per slot.
            data, snap = run.frame(opts, {**extra, "slot": slot} if comparing else extra)
            if slot == "A":
                sink.offer_frame(data)
                if snap.metrics_iteration == snap.iteration:
                    self._metrics_t = now
                if snap.surface_iteration == snap.iteration:
                    self._surface_t = now
            else:
                sink.offer_frame(data, slot=slot)
        if now >= self._next_frame_t:
            # A steady clock: a frame a little late keeps the phase (the next comes sooner), so the
            # rate is the cap on average; one late by a whole period or more starts a new phase.
            # An extra frame for a change (dirty, before the deadline) leaves the clock alone.
            period = 1.0 / self._fps
            late = now - self._next_frame_t
            self._next_frame_t = (self._next_frame_t if late < period else now) + period
        self._dirty = False

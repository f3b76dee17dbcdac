"""One lab session: its own Trainer on its own thread, fed by a control queue, read by frames.

The thread loops: drain control messages (between steps, never during one); while it holds a
turn from the FairScheduler, take a snapshot when a frame is due (pack it, drop it in the
bridge's single-slot mailbox), then train for its training budget. Training rate and frame rate
are decoupled: frames come on a steady clock at the client's fps cap, only once the previous
one was taken, and a change (configure, step, reset, ...) gets a frame right away.

Under load the frames come first: each session reports its turn cycle (the time between the
starts of two of its turns, which is everyone's turns added up) to the process's shared Pacer,
which shrinks the training budget per turn while cycles are longer than one frame interval at
`shared_fps` and grows it back to `quantum_ms` when there is room. Budgets below one iteration
accumulate as credit, so a session trains one iteration every few turns instead of none. With
30 sessions on 2 cores every seat keeps ~shared_fps frames/s and the CPU left over trains, evenly.
"""

from __future__ import annotations

import logging
import math
import queue
import secrets
import threading
import time
from dataclasses import replace
from typing import TYPE_CHECKING, Any

from gan_core.engine import history
from gan_core.engine.config import SCHEMA_VERSION
from gan_core.engine.snapshot import GRID_2D_MAX, SnapshotOptions
from gan_core.plain_json import json_safe
from server.sessions import handlers
from server.sessions.pacer import Pacer
from server.wire.frames import encode_frame
from server.wire.protocol import PROTOCOL_VERSION

if TYPE_CHECKING:
    from gan_core.engine.trainer import Trainer
    from server.sessions.scheduler import FairScheduler
    from server.settings import Settings
    from server.web.bridge import Bridge
    from server.wire.protocol import SetView

log = logging.getLogger(__name__)

HISTORY_PER_FRAME = 32  # loss points per frame at most (curves stay smooth; header stays ~3 KB)
_STOP = ("stop",)


class Session:
    def __init__(self, trainer: Trainer, settings: Settings, scheduler: FairScheduler | None,
                 presets: Any, preset: str | None = None, sid: str | None = None, token: str | None = None,
                 pacer: Pacer | None = None):
        # A worker process is handed the id and token its front (server.sessions.pool) already gave out.
        self.id = sid or secrets.token_hex(6)
        self.token = token or secrets.token_urlsafe(24)  # the secret that resumes this session
        self.trainer = trainer
        self.settings = settings
        self.scheduler = scheduler  # None on a worker process, whose loop gives the turns
        # Shared by all sessions of this process (fair training); a lone session gets its own.
        self.pacer = pacer or Pacer(settings.quantum_ms / 1000, settings.shared_fps)
        self.presets = presets
        self.preset = preset
        self.view = SnapshotOptions()
        self.fps = settings.default_fps
        self.running = False
        self.pending_steps = 0
        self.config_rev = 0  # bumped by every applied change; frames and `config` replies carry it
        self.dirty = True  # something changed that the client has not seen in a frame yet
        self.last_input = time.monotonic()
        self.detached_at: float | None = None
        self.ended = False
        self._was_running = False
        self._ctl: queue.SimpleQueue[Any] = queue.SimpleQueue()
        self._sink_lock = threading.Lock()
        self._sink: Bridge | None = None
        self._hist_cursor = 0
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
        # Made by start() only: a Thread holds its target, so one made here but never started (a
        # worker process's sessions run in its loop) would tie this session into a reference cycle,
        # freed only by a full garbage collection (measured: 25 of 400 ended sessions still held,
        # +30 MB RSS in a worker).
        self._thread: threading.Thread | None = None

    # ---- called from the event loop ---------------------------------------------------------

    def start(self) -> None:
        self._thread = threading.Thread(target=self._run, name=f"session-{self.id}", daemon=True)
        self._thread.start()

    def submit(self, msg: Any) -> None:
        self.last_input = time.monotonic()
        self._ctl.put(msg)

    def attach(self, sink: Bridge, resumed: bool = False, view: SetView | None = None) -> None:
        """Stream to `sink`; the session's thread first says `ready`, then applies hello's `view`."""
        with self._sink_lock:
            self._sink = sink
        self.detached_at = None
        self.last_input = time.monotonic()
        self._ctl.put(("attached", resumed, view))

    def take_over(self, reason: str) -> None:
        """Close the socket still attached (if any); a new one attaches next."""
        with self._sink_lock:
            old, self._sink = self._sink, None
        if old is not None:
            old.request_close(1000, reason)
            self._ctl.put(("detached",))

    def detach(self, sink: Bridge) -> None:
        with self._sink_lock:
            if self._sink is not sink:
                return
            self._sink = None
        self.detached_at = time.monotonic()
        self._ctl.put(("detached",))

    def idle_pause(self) -> None:
        self._ctl.put(("idle_pause",))

    def end(self, code: int | None = None, reason: str = "") -> None:
        """Stop the thread; `code`: also close the socket with this code and reason."""
        self.ended = True
        with self._sink_lock:
            sink, self._sink = self._sink, None
        if sink is not None and code is not None:
            sink.request_close(code, reason)
        self._ctl.put(_STOP)

    def join(self, timeout: float = 5.0) -> None:
        if self._thread is not None:
            self._thread.join(timeout)

    @property
    def attached(self) -> bool:
        return self._sink is not None

    @property
    def its(self) -> float:
        return self._its

    # ---- called from the session thread ---------------------------------------------------------

    def post(self, msg: dict[str, Any]) -> None:
        sink = self._sink
        if sink is not None:
            sink.post(json_safe(msg))

    def state(self) -> str:
        if self.trainer.status != "ok":
            return "diverged"
        return "running" if self.running else "paused"

    def post_ready(self, resumed: bool) -> None:
        self.post({"type": "ready", "session": self.id, "token": self.token,
                   "config": self.trainer.config.model_dump(mode="json"), "protocol": PROTOCOL_VERSION,
                   "schema_version": SCHEMA_VERSION, "preset": self.preset, "resumed": resumed,
                   "config_rev": self.config_rev})

    def post_status(self, rebuilt: bool = False) -> None:
        t = self.trainer
        self.post({"type": "status", "state": self.state(), "iteration": t.iteration, "its": self._its,
                   "message": t.status_message, "rebuilt": rebuilt, "config_rev": self.config_rev})
        self._status_t = time.monotonic()

    def post_config(self, rebuilt: bool) -> None:
        self.post({"type": "config", "config": self.trainer.config.model_dump(mode="json"), "rebuilt": rebuilt,
                   "config_rev": self.config_rev, "preset": self.preset})

    def changed(self, rebuilt: bool, new_run: bool = False) -> None:
        """After an applied change: tell the client, and show it in the very next frame."""
        self.config_rev += 1
        if rebuilt or new_run:
            self._hist_cursor = 0
        self.post_config(rebuilt or new_run)
        self.post_status(rebuilt or new_run)
        self.dirty = True

    @property
    def wants_turn(self) -> bool:
        """Whether there is computing to do: training, a step request, or a frame of a change."""
        return self.running or self.pending_steps > 0 or (self.dirty and self.attached)

    def take_turn(self) -> None:
        """One turn of computing; the caller holds the CPU (a scheduler turn, or a worker's loop)."""
        if self.running or self.pending_steps > 0:
            self._pace()
            # Frame first: a change drained just now shows without waiting for training.
            if self._frame_due():
                self._frame()
            self._quantum()
            self._after_quantum()
        elif self.dirty and self.attached:
            self._frame()

    def poll(self) -> bool:
        """Drain without blocking, then one turn if wanted (a worker process's loop runs many
        sessions on one thread this way); False once the session has stopped."""
        try:
            if not self._drain(block=False):
                log.info("session %s ended", self.id)
                return False
            if self.wants_turn:
                self.take_turn()
            else:
                self._turn_t = None  # an idle gap is not a scheduling cycle
            return True
        except Exception:
            self._crashed()
            return False

    def _crashed(self) -> None:
        # A bug must end this session only, loudly, never the server or the other sessions.
        log.exception("session %s crashed", self.id)
        self.ended = True
        self.post({"type": "error", "message": "internal error: the session stopped; reload", "field": None})

    def _run(self) -> None:
        """The session's own thread (in-process mode): turns come from the FairScheduler."""
        log.info("session %s started", self.id)
        try:
            while self._drain(block=not self.wants_turn):
                if self.wants_turn:
                    with self.scheduler.turn():
                        self.take_turn()
                else:
                    self._turn_t = None
        except Exception:
            self._crashed()
        log.info("session %s ended", self.id)

    def _drain(self, block: bool) -> bool:
        """Handle every queued control message; False once told to stop."""
        try:
            msg = self._ctl.get(timeout=1.0) if block else self._ctl.get_nowait()
        except queue.Empty:
            return not self.ended
        while True:
            if msg is _STOP:
                return False
            self._handle(msg)
            try:
                msg = self._ctl.get_nowait()
            except queue.Empty:
                return True

    def _handle(self, msg: Any) -> None:
        if isinstance(msg, tuple):
            return self._internal(*msg)
        try:
            handlers.handle(self, msg)
        except Exception as exc:  # bad input must cost the client an error message, never the session
            log.exception("session %s: %s failed", self.id, getattr(msg, "type", msg))
            self.post({"type": "error", "message": f"{getattr(msg, 'type', 'message')}: internal error ({exc})",
                       "field": None})

    def _internal(self, what: str, resumed: bool = False, view: Any = None) -> None:
        if what == "attached":
            self.post_ready(resumed)
            if view is not None:
                self._handle(view)  # hello's view: an error in it names the field, after `ready`
            if self._was_running and self.trainer.status == "ok":
                self.running = True
            self._was_running = False
            self.post_status()
            self.dirty = True
        elif what == "detached":
            # Nobody watches: stop spending CPU, but remember to go on when the page comes back.
            self._was_running = self._was_running or self.running
            self.running = False
            self.pending_steps = 0
        elif what == "idle_pause" and self.running:
            self.running = False
            self.post_status()
            self.post({"type": "notice", "message": "paused: no input for a while; press play to go on"})
            self.dirty = True

    def _pace(self) -> None:
        """Report this session's turn cycle to the shared pacer (see server.sessions.pacer)."""
        now = time.monotonic()
        if self._turn_t is not None:
            self.pacer.report(now - self._turn_t)
        self._turn_t = now

    def _quantum(self) -> None:
        """Train within this turn's budget, in one Trainer.step call (or not at all this turn)."""
        t = self.trainer
        if self.running:
            self._credit_s += self.pacer.budget_s
            n = int(self._credit_s / self._iter_s)
            if n < 1:
                return
        else:  # an explicit step request finishes promptly, whatever the load
            n = min(self.pending_steps, max(1, int(self.pacer.budget_s / self._iter_s)))
        before = t.iteration
        start = time.perf_counter()
        t.step(n)
        took = time.perf_counter() - start
        done = t.iteration - before
        if done > 0:
            self._iter_s = 0.8 * self._iter_s + 0.2 * (took / done)
        if self.running:
            # Spent by what the steps really took, so an underestimated iteration is paid back next turn.
            self._credit_s = max(-self.pacer.top * 4, self._credit_s - took)
        self._trained += max(done, 0)
        if not self.running:
            self.pending_steps = max(0, self.pending_steps - n)

    def _after_quantum(self) -> None:
        now = time.monotonic()
        t0, n0 = self._its_mark
        if now - t0 >= 0.5:
            self._its = (self._trained - n0) / (now - t0)
            self._its_mark = (now, self._trained)
        if self.trainer.status != "ok":
            self.running, self.pending_steps = False, 0
            self.post_status()
            self.dirty = True
        elif not self.running and self.pending_steps == 0:  # a step request finished
            self.post_status()
            self.dirty = True
        elif now - self._status_t >= self.settings.status_interval_s:
            self.post_status()

    def _frame_due(self) -> bool:
        sink = self._sink
        if sink is None:
            return False
        if self.dirty:
            return True
        return time.monotonic() >= self._next_frame_t and not sink.frame_pending()

    def _history(self) -> list[dict[str, float]]:
        new = history.since(self.trainer.history, self._hist_cursor)
        if new:
            self._hist_cursor = new[-1]["iteration"]
        return history.thin(new, HISTORY_PER_FRAME)

    def _frame(self) -> None:
        sink = self._sink
        if sink is None:
            return
        t = self.trainer
        now = time.monotonic()
        every = self.settings.loaded_metrics_interval_s if self.pacer.loaded else self.settings.metrics_interval_s
        fresh_metrics = self.dirty or now - self._metrics_t >= every
        grid = self.view.grid
        if t.target.dim == 2:
            # A 1D grid of 512 must not fail a 2D target the person switched to since.
            grid = min(grid, GRID_2D_MAX, self.settings.loaded_grid if self.pacer.loaded else GRID_2D_MAX)
        fresh_surface = self.dirty or now - self._surface_t >= 1.0 / self.settings.surface_fps
        opts = replace(self.view, grid=grid, reuse_surface=not fresh_surface, reuse_metrics=not fresh_metrics)
        snap = t.snapshot(opts)
        if snap.metrics_iteration == t.iteration:
            self._metrics_t = now
        if snap.surface_iteration == t.iteration:
            self._surface_t = now
        extra = {"state": self.state(), "its": self._its, "config_rev": self.config_rev}
        sink.offer_frame(encode_frame(snap, self._history(), extra))
        if now >= self._next_frame_t:
            # A steady clock: a frame a little late keeps the phase (the next comes sooner), so the
            # rate is the cap on average; one late by a whole period or more starts a new phase.
            # An extra frame for a change (dirty, before the deadline) leaves the clock alone.
            period = 1.0 / self.fps
            late = now - self._next_frame_t
            self._next_frame_t = (self._next_frame_t if late < period else now) + period
        self.dirty = False

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

No session can take its neighbours' frames (issue 14): its config and view pass the budget
(server.sessions.budget) before they apply; client messages wait in the session's inbox and are
handled in its own turn, as many as the turn has time for; slow-motion parts run in quanta like
steps; and its Meter (server.sessions.meter) makes a turn that cost more than `turn_ms` sit out
rounds until paid back, and pauses the session when one iteration or frame overruns the watchdog.
"""

from __future__ import annotations

import logging
import math
import time
from collections import deque
from collections.abc import Callable
from dataclasses import replace
from typing import TYPE_CHECKING, Any

from gan_core.engine import cost, history
from gan_core.engine.config import SCHEMA_VERSION, apply_patch
from gan_core.engine.snapshot import GRID_2D_MAX, SnapshotOptions
from gan_core.plain_json import json_safe
from server.sessions import budget, handlers
from server.sessions.meter import Meter
from server.wire.frames import encode_frame
from server.wire.protocol import PROTOCOL_VERSION, ProtocolError, parse_message

if TYPE_CHECKING:
    from gan_core.engine.trainer import Trainer
    from server.sessions.pacer import Pacer
    from server.settings import Settings
    from server.wire.protocol import SetView

log = logging.getLogger(__name__)

MAX_PENDING_STEPS = 1000  # step requests add up to this many iterations at most (a held key)
MAX_INBOX = 256  # client messages waiting for the session's turn; more are refused (the rate limit is 60/s)


class Session:
    def __init__(self, trainer: Trainer, settings: Settings, pacer: Pacer, preset: str | None = None,
                 sid: str = "", token: str = ""):
        self.id = sid  # given by the front (server.sessions.proxy), which also holds the resume token
        self.token = token
        self.settings = settings
        self.pacer = pacer  # shared by every session of every host: they train alike
        self._trainer = trainer
        self._preset = preset
        self._view = SnapshotOptions()
        self._fps = settings.default_fps
        self._running = False
        self._pending = 0  # iterations a step request still asks for
        self._config_rev = 0  # bumped by every applied change; frames and `config` replies carry it
        self._dirty = True  # something changed that the client has not seen in a frame yet
        self._was_running = False  # running when its page went away: goes on when it comes back
        self._sink: Any = None  # where replies and frames go (a host's ChannelSink); None: detached
        self._hist_cursor = 0  # the last history iteration a frame carried
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
        self._inbox: deque[Any] = deque()  # client messages (models, or an import's raw text) for its turns
        self._parts: tuple[str, int] | None = None  # slow-motion updates still to run: ("d" | "g", count)
        self.meter = Meter(settings.turn_ms / 1000, settings.watchdog_ms / 1000)
        # Memory the other sessions of this host hold (its host sets it; alone: none).
        self.others_bytes: Callable[[], int] = lambda: 0
        self._memory: int | None = None  # this session's estimate (budget.memory_bytes), None: to compute
        self._seed_iteration_time()

    # ---- what it is (read-only: change it through the operations below) ------------------------

    @property
    def trainer(self) -> Trainer:
        return self._trainer

    @property
    def preset(self) -> str | None:
        return self._preset

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
    def config_rev(self) -> int:
        return self._config_rev

    @property
    def attached(self) -> bool:
        return self._sink is not None

    def state(self) -> str:
        if self._trainer.status != "ok":
            return "diverged"
        return "running" if self._running else "paused"

    # ---- the host's calls -----------------------------------------------------------------------

    @property
    def memory_bytes(self) -> int:
        """What this session holds, estimated from its config and view (its host adds them up)."""
        if self._memory is None:
            self._memory = budget.memory_bytes(self._trainer.config, self._view)
        return self._memory

    def attach(self, sink: Any, resumed: bool = False, view: SetView | None = None, token: str | None = None) -> None:
        """Stream to `sink`: say `ready` (with `token`, the resume token from now on, when given),
        apply hello's `view` (an error in it names the field, after `ready`), go on running if it
        was when its page went away, and show a frame."""
        self._sink = sink
        if token is not None:
            self.token = token
        self.post_ready(resumed)
        if view is not None:
            self.handle(view)
        if self._was_running and self._trainer.status == "ok":
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

    def enqueue(self, msg: Any) -> None:
        """A client message (a model, or an import's raw JSON text) for this session's next turn."""
        if len(self._inbox) >= MAX_INBOX:
            self.post_error(f"busy: {MAX_INBOX} messages are waiting for this session; this one was dropped", None)
            return
        self._inbox.append(msg)

    def _drain(self, since: float) -> None:
        """Handle waiting messages while the turn has time (at least one)."""
        while self._inbox:
            item = self._inbox.popleft()
            if isinstance(item, str):  # an import parsed here, on the host, not on the front's event loop
                try:
                    item = parse_message(item)
                except ProtocolError as exc:
                    self.post_error(exc.message, exc.field)
                    continue
            self.handle(item)
            if self.meter.spent(since) >= self.meter.turn_s:
                break

    @property
    def wants_turn(self) -> bool:
        """Whether there is computing to do: messages, training, a step request, or a frame of a change."""
        return (bool(self._inbox) or self._running or self._pending > 0 or self._parts is not None
                or (self._dirty and self.attached))

    def poll(self) -> bool:
        """One turn if one is wanted (unless it sits out to pay back an expensive one); False if the
        session crashed (its page was told)."""
        try:
            if not self.wants_turn:
                self._turn_t = None  # an idle gap is not a scheduling cycle
                return True
            if self.meter.sit_out():
                return True
            since = self.meter.start()
            self._drain(since)
            if self._running or self._pending > 0 or self._parts is not None or (self._dirty and self.attached):
                self.take_turn()
            self.meter.finish(since)
            return True
        except Exception:
            # A bug must end this session only, loudly, never the host or the other sessions.
            log.exception("session %s crashed", self.id)
            self.post_error("internal error: the session stopped; reload", None)
            return False

    def take_turn(self) -> None:
        """One turn of computing (the host's loop gives the turns)."""
        if self._parts is not None:
            self._part_quantum()
        if self._running or self._pending > 0:
            self._pace()
            # Frame first: a change handled just now shows without waiting for training.
            if self._frame_due():
                self.frame()
            self._quantum()
            self._after_quantum()
        elif self._dirty and self.attached:
            self.frame()

    # ---- operations (server.sessions.handlers) --------------------------------------------------

    def play(self) -> None:
        self._running = True
        self._pending = 0
        self._parts = None
        self.post_status()

    def pause(self) -> None:
        self._running = False
        self._pending = 0
        self._parts = None
        self.post_status()
        self._dirty = True  # one final frame at the exact iteration where it stopped

    def request_steps(self, n: int) -> None:
        """Train n more iterations (in quanta, between frames; pause cancels), then report."""
        self._running = False
        self._parts = None
        self._pending = min(self._pending + n, MAX_PENDING_STEPS)

    def step_parts(self, part: str, n: int) -> None:
        """n discriminator ("d") or generator ("g") updates: slow motion. As many as fit in this
        turn run now (one at least); the rest in the next turns, like a step request."""
        self._running = False
        self._pending = 0
        waiting = self._parts[1] if self._parts is not None and self._parts[0] == part else 0
        self._parts = (part, min(waiting + n, MAX_PENDING_STEPS))
        self._part_quantum()

    def _part_quantum(self) -> None:
        assert self._parts is not None
        part, n = self._parts
        per = self._iter_s / 2  # an update is about half an iteration
        k = min(n, max(1, int(self.pacer.budget_s / per)))
        start = time.perf_counter()
        for _ in range(k):
            self._trainer.step_part(part)
        self._iter_s = 0.8 * self._iter_s + 0.2 * 2 * (time.perf_counter() - start) / k
        self._parts = (part, n - k) if n > k and self._trainer.status == "ok" else None
        if self._parts is None:
            self.post_status()
        self._dirty = True

    def reset(self, seed: int | None) -> None:
        self._trainer.reset(seed)
        self._changed(rebuilt=True)

    def check_cost(self, cfg: Any, view: SnapshotOptions | None = None, field_prefix: str = "") -> None:
        """ConfigError (naming the costliest knob) when `cfg` with `view` (default: the current one)
        is over this server's budget or would not fit the host's memory."""
        budget.check(cfg, view or self._view, self.settings, self.others_bytes(), field_prefix)

    def apply(self, patch: dict[str, Any], clear_preset: bool = False) -> None:
        """A live change (validated as a whole and within budget; ConfigError names the field and
        changes nothing)."""
        self.check_cost(apply_patch(self._trainer.config, patch))
        rebuilt = self._trainer.apply(patch)
        if clear_preset:
            self._preset = None
        self._changed(rebuilt)

    def replace_trainer(self, trainer: Trainer, preset: str | None, stop: bool = False) -> None:
        """Another run (a preset, an import): built whole (and its cost checked) by the caller, so a
        failure changed nothing."""
        self._trainer = trainer
        self._preset = preset
        if stop:
            self._running = False
        self._changed(rebuilt=True)

    def set_view(self, view: SnapshotOptions, fps: float | None = None) -> None:
        """What frames carry (already checked against the target) and, if given, their rate cap."""
        self._view = view
        self._memory = None
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
        self.post({"type": "ready", "session": self.id, "token": self.token,
                   "config": self._trainer.config.model_dump(mode="json"), "protocol": PROTOCOL_VERSION,
                   "schema_version": SCHEMA_VERSION, "preset": self._preset, "resumed": resumed,
                   "config_rev": self._config_rev})

    def post_status(self, rebuilt: bool = False) -> None:
        t = self._trainer
        self.post({"type": "status", "state": self.state(), "iteration": t.iteration, "its": self._its,
                   "message": t.status_message, "rebuilt": rebuilt, "config_rev": self._config_rev})
        self._status_t = time.monotonic()

    def post_config(self, rebuilt: bool) -> None:
        self.post({"type": "config", "config": self._trainer.config.model_dump(mode="json"), "rebuilt": rebuilt,
                   "config_rev": self._config_rev, "preset": self._preset})

    def _changed(self, rebuilt: bool) -> None:
        """After an applied change: tell the client, and show it in the very next frame."""
        self._config_rev += 1
        self._memory = None
        self._seed_iteration_time()
        if rebuilt:
            self._hist_cursor = 0  # a new run: its history starts again
        self.post_config(rebuilt)
        self.post_status(rebuilt)
        self._dirty = True

    # ---- training and frames ------------------------------------------------------------------------

    def _pace(self) -> None:
        """Report this session's turn cycle to the shared pacer (see server.sessions.pacer)."""
        now = time.monotonic()
        if self._turn_t is not None:
            self.pacer.report(now - self._turn_t)
        self._turn_t = now

    def _seed_iteration_time(self) -> None:
        # The estimate until the first quanta measure it: an expensive config's first turn must not
        # run several iterations on the default guess of 3 ms.
        self._iter_s = max(0.003, cost.iteration_cost(cost.workload(self._trainer.config)).seconds())

    def _overrun(self, what: str, seconds: float) -> None:
        """The watchdog: stop training, and say why (the budget's estimate was wrong for this machine)."""
        log.warning("session %s: %s took %.0f ms of CPU (watchdog %g ms): paused", self.id, what, seconds * 1000,
                    self.settings.watchdog_ms)
        if self._running or self._pending or self._parts:
            self._running, self._pending, self._parts = False, 0, None
            self.post_status()
            self.post({"type": "notice", "message": f"paused: {what} took {seconds * 1000:.0f} ms of CPU, more than "
                       f"this server's {self.settings.watchdog_ms:g} ms (--watchdog-ms); make the networks, the "
                       "batch or the view smaller, then press play"})
            self._dirty = True

    def _quantum(self) -> None:
        """Train within this turn's budget, in one Trainer.step call (or not at all this turn)."""
        t = self._trainer
        if self._running:
            self._credit_s += self.pacer.budget_s
            n = int(self._credit_s / self._iter_s)
            if n < 1:
                return
        else:  # an explicit step request finishes promptly, whatever the load
            n = min(self._pending, max(1, int(self.pacer.budget_s / self._iter_s)))
        before = t.iteration
        start, cpu = time.perf_counter(), self.meter.start()
        t.step(n)
        took, cpu = time.perf_counter() - start, self.meter.spent(cpu)
        done = t.iteration - before
        if done > 0:
            self._iter_s = 0.8 * self._iter_s + 0.2 * (took / done)
            if self.meter.overran(cpu / done):
                self._trained += done
                self._overrun("one training iteration", cpu / done)
                return
        if self._running:
            # Spent by what the steps really took, so an underestimated iteration is paid back next turn.
            self._credit_s = max(-self.pacer.top * 4, self._credit_s - took)
        self._trained += max(done, 0)
        if not self._running:
            self._pending = max(0, self._pending - n)

    def _after_quantum(self) -> None:
        now = time.monotonic()
        t0, n0 = self._its_mark
        if now - t0 >= 0.5:
            self._its = (self._trained - n0) / (now - t0)
            self._its_mark = (now, self._trained)
        if self._trainer.status != "ok":
            self._running, self._pending = False, 0
            self.post_status()
            self._dirty = True
        elif not self._running and self._pending == 0:  # a step request finished
            self.post_status()
            self._dirty = True
        elif now - self._status_t >= self.settings.status_interval_s:
            self.post_status()

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
        fresh_metrics = self._dirty or now - self._metrics_t >= every
        grid = self._view.grid
        if t.target.dim == 2:
            # A 1D grid of 512 must not fail a 2D target the person switched to since.
            grid = min(grid, GRID_2D_MAX, st.loaded_grid if self.pacer.loaded else GRID_2D_MAX)
        fresh_surface = self._dirty or now - self._surface_t >= 1.0 / st.surface_fps
        opts = replace(self._view, grid=grid, reuse_surface=not fresh_surface, reuse_metrics=not fresh_metrics)
        cpu = self.meter.start()
        snap = t.snapshot(opts)
        cpu = self.meter.spent(cpu)
        if self.meter.overran(cpu):
            self._overrun("one frame", cpu)
        if snap.metrics_iteration == t.iteration:
            self._metrics_t = now
        if snap.surface_iteration == t.iteration:
            self._surface_t = now
        new = history.since(t.history, self._hist_cursor)
        if new:
            self._hist_cursor = new[-1]["iteration"]
        extra = {"state": self.state(), "its": self._its, "config_rev": self._config_rev}
        sink.offer_frame(encode_frame(snap, new, extra))
        if now >= self._next_frame_t:
            # A steady clock: a frame a little late keeps the phase (the next comes sooner), so the
            # rate is the cap on average; one late by a whole period or more starts a new phase.
            # An extra frame for a change (dirty, before the deadline) leaves the clock alone.
            period = 1.0 / self._fps
            late = now - self._next_frame_t
            self._next_frame_t = (self._next_frame_t if late < period else now) + period
        self._dirty = False

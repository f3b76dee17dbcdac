"""A session's turns: what the host's loop gives each session in its round (server.sessions.host),
as a base class of Session (server.sessions.session), which holds the state they read.

A turn: first the client messages waiting in the session's inbox, as many as the turn has time
for (at least one); then, when running or stepping, report the turn cycle to the shared Pacer,
make a frame if one is due, and train for this turn's budget; when only something changed, make a
frame. Training rate and frame rate are decoupled: frames come on a steady clock at the client's
fps cap, only once the previous one was taken, and a change (configure, step, reset, ...) gets a
frame at once.

Under load the frames come first: each session reports its turn cycle (the time between the
starts of two of its turns, which is everyone's turns added up) to the Pacer every session
shares, which shrinks the training budget per turn while cycles are longer than one frame
interval at `shared_fps` and grows it back to `quantum_ms` when there is room. Budgets below one
iteration accumulate as credit, so a session trains one iteration every few turns instead of
none. With 30 sessions on 2 cores every seat keeps ~shared_fps frames/s and the CPU left over
trains, evenly.

No session can take its neighbours' frames (issue 14): slow-motion parts run in quanta like steps;
the first quanta of a new config size themselves by its estimated iteration time
(gan_core.engine.cost); the session's Meter (server.sessions.meter) makes a turn that used more
than `turn_ms` of CPU sit out rounds until paid back, and pauses the session when one iteration
or one frame overruns `watchdog_ms`.
"""

from __future__ import annotations

import logging
import math
import time
from dataclasses import replace
from typing import Any

from gan_core.engine import cost
from gan_core.engine.snapshot import GRID_2D_MAX
from server.wire.protocol import ProtocolError, parse_message

log = logging.getLogger(__name__)

MAX_INBOX = 256  # client messages waiting for the session's turn; more are refused (the rate limit is 60/s)


class Turns:
    """The turn machinery of Session; every attribute it reads is set in Session.__init__."""

    _inbox: Any
    _parts: tuple[str, int] | None

    @property
    def waiting(self) -> int:
        """Client messages waiting for this session's turn."""
        return len(self._inbox)

    @property
    def pending_parts(self) -> tuple[str, int] | None:
        """Slow-motion updates still to run: ("d" | "g", how many), or None."""
        return self._parts

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
        """Whether there is computing to do: messages, training, a step request, a replay, or a frame
        of a change."""
        return (bool(self._inbox) or self._running or self._pending > 0 or self._parts is not None
                or self._replay_to is not None or (self._dirty and self.attached))

    def poll(self) -> bool:
        """One turn if one is wanted (unless it sits out to pay back an expensive one); False if the
        session crashed (its page was told)."""
        try:
            self.meter.last_turn_s = 0.0
            if not self.wants_turn:
                self._turn_t = None  # an idle gap is not a scheduling cycle
                return True
            if self.meter.sit_out():
                return True
            since = self.meter.start()
            self._drain(since)
            if (self._running or self._pending > 0 or self._parts is not None or self._replay_to is not None
                    or (self._dirty and self.attached)):
                self.take_turn()
            self.meter.finish(since)
            return True
        except Exception:
            # A bug must end this session only, loudly, never the host or the other sessions.
            log.exception("session %s crashed", self.id)
            self.post_error("internal error: the session stopped; reload", None)
            return False

    def wait_s(self) -> float:
        """Seconds until this session needs a turn (0: now; inf: not until a message comes)."""
        if (self._inbox or self._pending > 0 or self._parts is not None or self._replay_to is not None
                or (self._dirty and self.attached)):
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
        if self._parts is not None:
            self._part_quantum()
        if self._replay_to is not None:
            self._pace()
            self._replay_quantum()
        elif self._running or self._pending > 0:
            held = self._running and self._throttle.wait_s() > 0  # its own speed cap holds it back
            if held:
                self._turn_t = None  # a wait on its own cap is not a scheduling cycle for the pacer
            else:
                self._pace()
            # A session whose frame and iteration together are more than a turn does one of them a
            # turn, in alternation (a change is always shown at once): its neighbours then wait at
            # most for the larger of the two, not for their sum.
            heavy = self._frame_s + self._iter_s > self.meter.turn_s
            framed = False
            # Frame first: a change handled just now shows without waiting for training.
            if self._frame_due() and (self._dirty or not (heavy and self._framed_last)):
                self.frame()
                framed = True
            if not held and not (heavy and framed):
                self._quantum()
            self._framed_last = framed
            self._after_quantum()
        elif self._dirty and self.attached:
            self.frame()

    def _part_quantum(self) -> None:
        assert self._parts is not None
        part, n = self._parts
        per = self._iter_s / 2  # an update is about half an iteration
        k = min(n, max(1, int(self.pacer.budget_s / per)))
        start = time.perf_counter()
        for _ in range(k):
            self._runs.step_part(part)
        self._iter_s = 0.8 * self._iter_s + 0.2 * 2 * (time.perf_counter() - start) / k
        self._parts = (part, n - k) if n > k and self._runs.ok else None
        if self._parts is None:
            self.post_timeline_if_changed()
            self.post_status()
        self._dirty = True

    # ---- training and frames ------------------------------------------------------------------------

    def _pace(self) -> None:
        """Report this session's turn cycle to the shared pacer (see server.sessions.pacer)."""
        now = time.monotonic()
        if self._turn_t is not None:
            self.pacer.report(now - self._turn_t)
        self._turn_t = now

    def _seed_iteration_time(self) -> None:
        # The estimates until the first quanta and frames measure them: an expensive config's first
        # turn must not run several iterations on the default guess of 3 ms.
        w = cost.workload(self._trainer.config)
        self._iter_s = max(0.003, cost.iteration_cost(w).seconds())
        self._frame_s = cost.frame_cost(w, self._view).seconds()

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
        start, cpu = time.perf_counter(), self.meter.start()
        runs.step(n)  # a comparison's two in lock-step: an iteration costs both
        took, cpu = time.perf_counter() - start, self.meter.spent(cpu)
        done = runs.iteration - before
        if done > 0:
            self._throttle.spend(done)
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
        cpu = self.meter.start()
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
        cpu = self.meter.spent(cpu)
        self._frame_s = 0.8 * self._frame_s + 0.2 * cpu
        if self.meter.overran(cpu):
            self._overrun("one frame", cpu)
        if now >= self._next_frame_t:
            # A steady clock: a frame a little late keeps the phase (the next comes sooner), so the
            # rate is the cap on average; one late by a whole period or more starts a new phase.
            # An extra frame for a change (dirty, before the deadline) leaves the clock alone.
            period = 1.0 / self._fps
            late = now - self._next_frame_t
            self._next_frame_t = (self._next_frame_t if late < period else now) + period
        self._dirty = False

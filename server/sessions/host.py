"""A compute worker process: hosts many sessions for one front process, all on one thread.

CPython runs Python code one thread at a time (the GIL), and a frame or a training step of a
toy GAN is mostly Python overhead around tiny torch kernels, so threads in one process share a
single core however many the machine has. The front (server.sessions.pool) starts one of these per
core and places sessions on them. Here the sessions take turns in one loop (`Session.poll`:
drain its messages, then a frame and/or a training quantum), round-robin: handing the CPU from
thread to thread instead cost ~2.5 ms of CPU per turn (measured: 176 vs 308 snapshots/s for 15
sessions). Only pickled control tuples come down the pipe; JSON dicts and frame bytes go up.

Pipe protocol (front -> worker), all tuples:
    ("create", sid, token, config_json, preset)   ("msg", sid, protocol_message)
    ("attach", sid, resumed, set_view | None)     ("detach", sid)   ("idle_pause", sid)
    ("end", sid)   ("taken", sid)  [the front sent the last frame]   ("stop",)
Worker -> front:
    ("ready", None)  [warmed up]   ("post", sid, dict)   ("frame", sid, bytes)
    ("close", sid, code, reason)   ("gone", sid)
"""

from __future__ import annotations

import ctypes
import logging
import math
import threading
import time
from multiprocessing.connection import Connection
from typing import Any

log = logging.getLogger(__name__)

TRIM_EVERY_S = 5.0  # malloc_trim walks the heap (~1 ms): a few times a minute is plenty


def _malloc_trim() -> Any:
    """glibc's malloc_trim, or None where there is no glibc (musl, macOS): then RSS is the OS's affair."""
    try:
        fn = ctypes.CDLL(None).malloc_trim
    except (OSError, AttributeError):
        return None
    fn.argtypes = [ctypes.c_size_t]
    return fn


class Trimmer:
    """Gives freed heap back to the OS after sessions end, at most once every TRIM_EVERY_S.

    glibc keeps what a dropped session's trainer freed, so without this a worker's RSS creeps up
    with sessions coming and going (measured +36% over the first two minutes of a soak). A request
    inside the quiet period is kept, not lost: when the last sessions of a class end together,
    their heap is still returned once the period is over (measured before: +12% RSS after a soak
    with every session gone).
    """

    def __init__(self, trim: Any, clock: Any = time.monotonic):
        self._trim = trim  # trim(0) -> int, or None: nothing to do
        self._clock = clock
        self._last = -math.inf
        self.pending = False
        self.count = 0  # trims done (tests, logs)

    def request(self) -> None:
        self.pending = True
        self.poll()

    def poll(self) -> None:
        """Trim now if one is pending and the quiet period is over (cheap: call it every loop)."""
        if not self.pending or self._trim is None:
            return
        now = self._clock()
        if now - self._last < TRIM_EVERY_S:
            return
        self._last, self.pending = now, False
        self._trim(0)
        self.count += 1


class PipeSink:
    """The Bridge interface a Session streams to, forwarded over the worker's pipe."""

    def __init__(self, send: Any, sid: str):
        self._send = send
        self.sid = sid
        # Set when a frame goes up, cleared by the front's "taken": one frame in flight at most,
        # so a slow client gets fewer frames instead of a queue (the single-slot mailbox, remotely).
        self.in_flight = False

    def post(self, msg: dict[str, Any]) -> None:
        self._send(("post", self.sid, msg))

    def offer_frame(self, data: bytes) -> None:
        self.in_flight = True
        self._send(("frame", self.sid, data))

    def frame_pending(self) -> bool:
        return self.in_flight

    def request_close(self, code: int, reason: str) -> None:
        self._send(("close", self.sid, code, reason))


class Worker:
    """The worker's state: its sessions by id, one scheduler, one lock on the pipe's sending end."""

    def __init__(self, conn: Connection, settings_json: dict[str, Any], pace: Any = None):
        import torch

        from server.sessions.pacer import Pacer
        from server.settings import Settings
        from server.web.api import PresetSource

        self.conn = conn
        self.settings = Settings(**settings_json)
        torch.set_num_threads(self.settings.threads)
        self.presets = PresetSource()
        # One budget for every session of every worker (shared memory): they all train alike.
        self.pacer = Pacer(self.settings.quantum_ms / 1000, self.settings.shared_fps, pace)
        self.sessions: dict[str, Any] = {}
        self.sinks: dict[str, PipeSink] = {}
        self._lock = threading.Lock()
        self.trimmer = Trimmer(_malloc_trim())
        self._warm_up()

    @staticmethod
    def _warm_up() -> None:
        """Build, train and watch one default trainer before serving: the first optimizer step and
        snapshot import seconds of lazily loaded torch modules, which would otherwise stall this
        process's message loop (every session on it) when the first page arrives."""
        from gan_core.engine.trainer import Trainer

        t = Trainer()
        t.step(2)
        t.snapshot()

    def send(self, msg: tuple) -> None:
        with self._lock:  # session threads send concurrently; a Connection is not thread-safe
            try:
                self.conn.send(msg)
            except (OSError, ValueError):  # the front is gone: the process is about to be stopped
                pass

    def _create(self, sid: str, token: str, config: dict[str, Any], preset: str | None) -> None:
        from gan_core.engine.config import ConfigError, parse_config
        from gan_core.engine.trainer import Trainer
        from server.sessions.session import Session

        try:
            trainer = Trainer(parse_config(config))
        except ConfigError as exc:  # validated by the front already; a device check can still fail here
            self.send(("post", sid, {"type": "error", "message": exc.message, "field": exc.field}))
            self.send(("close", sid, 1008, "could not start"))
            self.send(("gone", sid))
            return
        # No scheduler and no thread: this process's loop gives the turns (see the module docstring).
        s = Session(trainer, self.settings, None, self.presets, preset, sid=sid, token=token, pacer=self.pacer)
        self.sessions[sid] = s
        self.sinks[sid] = PipeSink(self.send, sid)

    def handle(self, msg: tuple) -> bool:
        """One message from the front; False on "stop"."""
        kind = msg[0]
        if kind == "stop":
            return False
        if kind == "create":
            self._create(*msg[1:])
            return True
        sid = msg[1]
        s, sink = self.sessions.get(sid), self.sinks.get(sid)
        if s is None or sink is None:
            return True  # it ended a moment ago; the front learns from "gone"
        if kind == "msg":
            s.submit(msg[2])
        elif kind == "attach":
            sink.in_flight = False
            s.attach(sink, msg[2], msg[3])
        elif kind == "detach":
            s.detach(sink)
        elif kind == "idle_pause":
            s.idle_pause()
        elif kind == "taken":
            sink.in_flight = False
        elif kind == "end":
            s.end()
            self._drop(sid)
        return True

    def _drop(self, sid: str) -> None:
        self.sessions.pop(sid, None)
        self.sinks.pop(sid, None)
        self.trimmer.request()

    def _read(self, wait_s: float) -> bool:
        """Handle every message waiting on the pipe (waiting up to wait_s for the first); False to stop."""
        timeout: float | None = wait_s
        while self.conn.poll(timeout):
            timeout = 0
            msg = self.conn.recv()
            try:
                if not self.handle(msg):
                    return False
            except Exception:  # one bad message must not take the other sessions down
                log.exception("worker: handling %r failed", msg[:2] if isinstance(msg, tuple) else msg)
        return True

    def run(self) -> None:
        self.send(("ready", None))
        try:
            while True:
                busy = any(s.wants_turn for s in self.sessions.values())
                # Idle: sleep on the pipe (nothing else can make work); busy: only look at it.
                if not self._read(0 if busy else 1.0):
                    break
                self.trimmer.poll()
                for sid, s in list(self.sessions.items()):
                    if not s.poll():  # it crashed (its page was told); "end" drops sessions itself
                        self._drop(sid)
                        self.send(("gone", sid))  # the front stops offering it for resume
        except (EOFError, OSError):  # the front died or closed: nobody to serve
            pass
        finally:
            for s in self.sessions.values():
                s.end()


def main(conn: Connection, settings_json: dict[str, Any], pace: Any = None) -> None:
    """Entry point of a spawned worker process (`pace`: the pool's shared Pacer state)."""
    logging.basicConfig(level=str(settings_json.get("log_level", "info")).upper(),
                        format="%(asctime)s %(levelname)s %(name)s[worker]: %(message)s")
    Worker(conn, settings_json, pace).run()

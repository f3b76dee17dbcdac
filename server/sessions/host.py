"""A session host: runs many sessions for one front process, all on one thread, fed by a channel.

It is the same loop whether it runs as a worker process (`settings.workers` > 0: `main`, spawned
by server.sessions.pool, one per core) or as one thread of the server process (`workers=0`:
`run_host` on a thread, over server.sessions.channel.thread_pipe). CPython runs Python code one
thread at a time (the GIL), and a frame or a training step of a toy GAN is mostly Python
overhead around tiny torch kernels, so threads in one process share a single core however many
the machine has: one process per core spreads the class over the machine.

The sessions take turns in one loop, round-robin: read every message waiting on the channel
(each handled at once, between turns, never during one), then give each session one turn
(`Session.poll`: a frame and/or a training quantum). Handing the CPU from thread to thread
instead cost ~2.5 ms of CPU per turn (measured: 176 vs 308 snapshots/s for 15 sessions).

A client message waits in its session's inbox until that session's turn (Session.poll), which
handles as many as its turn has time for: one session's flood of expensive messages costs its own
turns, not the loop's. The host also keeps its sessions' memory within `worker_memory_mb`: each
session's estimate counts against it (server.sessions.budget), and a worker process caps its
address space (`limit_memory`) so an allocation the estimates missed fails in that session only.

Channel protocol, all tuples (pickled over a Pipe, passed as they are over a thread_pipe):
  front -> host   ("create", sid, token, config_json, preset)   ("msg", sid, protocol_message)
                  ("raw", sid, json_text)  [an import, parsed here]
                  ("attach", sid, resumed, set_view | None, token)   ("detach", sid)   ("idle_pause", sid)
                  ("end", sid)   ("taken", sid)  [the front sent the last frame]   ("stop",)
                  ("ask", sid, request_id, "watch" | "fork")  [a broadcast starts; a viewer forks]
                  ("adopt", sid, token, fork_state)  [a new session from a fork's state]
  host -> front   ("ready", None)  [warmed up]   ("post", sid, dict)   ("text", sid, json_text)
                  ("frame", sid, bytes, slot)
                  ("close", sid, code, reason)   ("gone", sid)  [it crashed or could not start]
                  ("reply", sid, request_id, dict)  [the answer to "ask"]
"""

from __future__ import annotations

import ctypes
import logging
import math
import resource
import time
from typing import Any

from gan_core.engine.config import ConfigError, parse_config
from gan_core.engine.snapshot import SnapshotOptions
from gan_core.engine.trainer import Trainer
from server.sessions import budget
from server.sessions.pacer import Pacer
from server.sessions.runs import Runs
from server.sessions.session import Session
from server.settings import Settings

log = logging.getLogger(__name__)

TRIM_EVERY_S = 5.0  # malloc_trim walks the heap (~1 ms): a few times a minute is plenty
IDLE_WAIT_S = 1.0  # with nothing to compute the loop sleeps on the channel (a message wakes it at once)
CLOSE_COULD_NOT_START = 1008
ADDRESS_SLACK = 512 * 2**20  # on top of worker_memory_mb: thread stacks, allocator arenas, fragmentation


def limit_memory(mb: int) -> int | None:
    """Cap this process's address space at what it maps now plus `mb` MiB (and some slack), so a
    runaway allocation fails with MemoryError (in the session that asked) instead of growing the
    worker until the machine swaps. Returns the limit in bytes; None where /proc is missing."""
    try:
        with open("/proc/self/status") as f:
            vm = next(int(line.split()[1]) * 1024 for line in f if line.startswith("VmSize:"))
    except (OSError, StopIteration, ValueError):
        return None
    limit = vm + mb * 2**20 + ADDRESS_SLACK
    _, hard = resource.getrlimit(resource.RLIMIT_AS)
    if hard != resource.RLIM_INFINITY:
        limit = min(limit, hard)
    resource.setrlimit(resource.RLIMIT_AS, (limit, hard))
    return limit


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


class ChannelSink:
    """Where a session's replies and frames go: up the host's channel, tagged with the session's id."""

    def __init__(self, send: Any, sid: str):
        self._send = send
        self.sid = sid
        # Set when a frame goes up, cleared by the front's "taken": one frame in flight at most, so a
        # slow client gets fewer frames instead of a queue (the Bridge's single-slot mailbox, remotely).
        self.in_flight = False

    def post(self, msg: dict[str, Any]) -> None:
        self._send(("post", self.sid, msg))

    def post_text(self, text: str) -> None:
        """A reply already serialized here (an export: megabytes the front then only forwards)."""
        self._send(("text", self.sid, text))

    def offer_frame(self, data: bytes, slot: str = "A") -> None:
        self.in_flight = True
        self._send(("frame", self.sid, data, slot))

    def frame_pending(self) -> bool:
        return self.in_flight


class Host:
    """The host's sessions by id, their sinks, and one Pacer; everything runs on the thread of `run`."""

    def __init__(self, conn: Any, settings: Settings, pace: Any = None):
        self.conn = conn
        self.settings = settings
        # One budget for every session of every host (`pace`: shared memory across worker processes).
        self.pacer = Pacer(settings.quantum_ms / 1000, settings.shared_fps, pace)
        self.sessions: dict[str, Session] = {}
        self.sinks: dict[str, ChannelSink] = {}
        self.trimmer = Trimmer(_malloc_trim())

    @staticmethod
    def warm_up() -> None:
        """Build, train and watch one default trainer before serving: the first optimizer step and
        snapshot import seconds of lazily loaded torch modules, which would otherwise stall this
        host's loop (every session on it) when the first page arrives."""
        t = Trainer()
        t.step(2)
        t.snapshot()

    def send(self, msg: tuple) -> None:
        try:
            self.conn.send(msg)
        except (OSError, ValueError):  # the front is gone: this host is about to be stopped
            pass

    def memory_used(self, but: str | None = None) -> int:
        """Estimated bytes the sessions of this host hold (all but session `but`)."""
        return sum(s.memory_bytes for sid, s in self.sessions.items() if sid != but)

    def _create(self, sid: str, token: str, config: dict[str, Any], preset: str | None) -> None:
        try:
            cfg = parse_config(config)
            # Validated and within budget on the front; whether it fits this host's memory is known here.
            budget.check(cfg, SnapshotOptions(), self.settings, self.memory_used())
            trainer = Trainer(cfg)
        except (ConfigError, MemoryError) as exc:  # MemoryError: over this worker's address-space cap
            return self._could_not_start(sid, exc)
        s = Session(trainer, self.settings, self.pacer, preset, sid=sid, token=token)
        s.others_bytes = lambda: self.memory_used(but=sid)
        self.sessions[sid] = s
        self.sinks[sid] = ChannelSink(self.send, sid)

    def _adopt(self, sid: str, token: str, state: dict[str, Any]) -> None:
        """A session that goes on from another's state (Session.fork_state), bit for bit."""
        try:
            runs = Runs.restore(state["runs"])
            budget.check(runs.trainer.config, SnapshotOptions(), self.settings, self.memory_used())
        except (ConfigError, MemoryError) as exc:
            return self._could_not_start(sid, exc)
        s = Session(runs.trainer, self.settings, self.pacer, state["preset"], sid=sid, token=token)
        s.others_bytes = lambda: self.memory_used(but=sid)
        s.adopt(runs)
        s.set_view(state["view"], state["fps"])
        self.sessions[sid] = s
        self.sinks[sid] = ChannelSink(self.send, sid)

    def _could_not_start(self, sid: str, exc: ConfigError | MemoryError) -> None:
        message = exc.message if isinstance(exc, ConfigError) else "memory: this worker cannot hold it"
        self.send(("post", sid, {"type": "error", "message": message, "field": getattr(exc, "field", None)}))
        self.send(("close", sid, CLOSE_COULD_NOT_START, "could not start"))
        self.send(("gone", sid))

    def handle(self, msg: tuple) -> bool:
        """One message from the front; False on "stop"."""
        kind = msg[0]
        if kind == "stop":
            return False
        if kind == "create":
            self._create(*msg[1:])
            return True
        if kind == "adopt":
            self._adopt(*msg[1:])
            return True
        sid = msg[1]
        s, sink = self.sessions.get(sid), self.sinks.get(sid)
        if s is None or sink is None:
            return True  # it ended a moment ago; the front learns from "gone"
        if kind in ("msg", "raw"):
            s.enqueue(msg[2])  # handled in the session's own turn
        elif kind == "attach":
            sink.in_flight = False
            s.attach(sink, msg[2], msg[3], msg[4] if len(msg) > 4 else None)
        elif kind == "detach":
            s.detach()
        elif kind == "idle_pause":
            s.idle_pause()
        elif kind == "taken":
            sink.in_flight = False
        elif kind == "ask":
            _, _, rid, what = msg
            try:
                answer = s.watch_state() if what == "watch" else s.fork_state()
            except Exception as exc:  # the asker is told, and this session goes on
                log.exception("session %s: %s failed", sid, what)
                answer = {"error": f"{what}: internal error ({exc})"}
            self.send(("reply", sid, rid, answer))
        elif kind == "end":
            self._drop(sid)
        return True

    def _drop(self, sid: str) -> None:
        self.sessions.pop(sid, None)
        self.sinks.pop(sid, None)
        self.trimmer.request()

    def settle(self) -> None:
        """After a round: each session in debt is paid what the others' turns used in it
        (server.sessions.meter), so an expensive one sits out while its neighbours get their frames."""
        used = {sid: s.meter.last_turn_s for sid, s in self.sessions.items()}
        total = sum(used.values())
        for sid, s in self.sessions.items():
            if s.meter.debt_s > 0:
                s.meter.pay(total - used[sid])

    def _read(self, wait_s: float) -> bool:
        """Handle every message waiting on the channel (waiting up to wait_s for the first); False to stop."""
        timeout: float = wait_s
        while self.conn.poll(timeout):
            timeout = 0
            msg = self.conn.recv()
            try:
                if not self.handle(msg):
                    return False
            except Exception:  # one bad message must not take the other sessions down
                log.exception("host: handling %r failed", msg[:2] if isinstance(msg, tuple) else msg)
        return True

    def run(self) -> None:
        """Warm up, say "ready", then serve until "stop" or until the front is gone."""
        try:
            self.warm_up()
            self.send(("ready", None))
            while True:
                # Sleep on the channel until the soonest session needs a turn (a message wakes it at
                # once): 0 while any trains flat out, up to IDLE_WAIT_S when all are paused, and in
                # between when the busiest only waits for its own speed cap or next frame.
                wait = min((s.wait_s() for s in self.sessions.values()), default=IDLE_WAIT_S)
                if not self._read(min(wait, IDLE_WAIT_S)):
                    break
                self.trimmer.poll()
                for sid, s in list(self.sessions.items()):
                    if not s.poll():  # it crashed (its page was told); "end" drops sessions itself
                        self._drop(sid)
                        self.send(("gone", sid))  # the front stops offering it for resume
                self.settle()
        except (EOFError, OSError):  # the front closed the channel: nobody to serve
            pass
        except Exception:  # a bug in the loop itself: the pool ends this host's sessions and starts another
            log.exception("session host crashed")
        finally:
            self.sessions.clear()
            self.sinks.clear()
            self.conn.close()  # the front's reader sees EOF: stopped, or (when not asked to) crashed


def run_host(conn: Any, settings: Settings, pace: Any = None) -> None:
    """A host on the calling thread (the host thread of `workers=0`; a worker process's main thread)."""
    Host(conn, settings, pace).run()


def main(conn: Any, settings_json: dict[str, Any], pace: Any = None) -> None:
    """Entry point of a spawned worker process (`pace`: the pool's shared Pacer state)."""
    import torch

    settings = Settings(**settings_json)
    logging.basicConfig(level=settings.log_level.upper(),
                        format="%(asctime)s %(levelname)s %(name)s[worker]: %(message)s")
    torch.set_num_threads(settings.threads)  # the server process sets its own at start-up
    Host.warm_up()  # torch's lazy imports first: the cap below is on top of what a warm worker maps
    limit = limit_memory(settings.worker_memory_mb)
    log.debug("worker address space capped at %s bytes", limit)
    run_host(conn, settings, pace)

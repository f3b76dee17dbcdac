"""The session hosts of one server process, and the front's proxy for each session on them.

With `settings.workers` = N > 0 the sessions run on N worker processes (one per core by default),
so the Python of 30 sessions spreads over every core instead of queueing for one GIL; with 0 they
run on one host thread of this process. Either way a host is the same loop (server.sessions.host)
behind the same channel (a Pipe, or server.sessions.channel.thread_pipe), placed on by fewest
sessions, and a host that stops is replaced while its sessions end with a clear error. A reader
thread per host hands what comes back to the session's proxy (server.sessions.proxy), whose sink
(the socket's Bridge) is thread-safe; what goes to a host passes its Outbox
(server.sessions.outbox), so the event loop never waits on a busy host's pipe.
"""

from __future__ import annotations

import logging
import multiprocessing
import threading
import time
from typing import Any

from gan_core.engine.config import ExperimentConfig
from server.sessions.budget import import_limit
from server.sessions.channel import thread_pipe
from server.sessions.host import main as worker_main
from server.sessions.host import run_host
from server.sessions.outbox import Outbox
from server.sessions.pacer import shared_state
from server.sessions.proxy import SessionProxy
from server.settings import Settings

log = logging.getLogger(__name__)

RESPAWN_DELAY_S = 2.0  # before a stopped host's replacement starts
OUTBOX_MIN_BYTES = 64 * 2**20  # a host's queue holds at least this much (a few imports' text)


class Pool:
    def __init__(self, settings: Settings):
        self.settings = settings
        self.in_process = settings.workers == 0
        if self.in_process:
            self._ctx, self._pace = None, None  # the host thread makes its own Pacer
        else:
            # spawn, not fork: the front already runs an event loop and threads, which fork does not copy.
            self._ctx = multiprocessing.get_context("spawn")
            # One training budget for all workers. Kept here: the children open its semaphore by name,
            # which goes away with the last reference in this process.
            self._pace = shared_state(self._ctx, settings.quantum_ms / 1000)
        self._closing = False
        n = max(1, settings.workers)
        self._conns: list[Any] = [None] * n
        self._outboxes: list[Outbox | None] = [None] * n
        self.runners: list[Any] = [None] * n  # each host's Process, or its Thread
        self._locks = [threading.Lock() for _ in range(n)]
        self._outbox_bytes = max(OUTBOX_MIN_BYTES, 2 * import_limit(settings))
        self._sessions: list[dict[str, SessionProxy]] = [{} for _ in range(n)]
        self._ready: set[int] = set()  # hosts that said "ready" (warmed up, serving)
        for w in range(n):
            self._spawn(w)

    def _spawn(self, w: int) -> None:
        if self._ctx is None:
            front, back = thread_pipe()
            runner: Any = threading.Thread(target=run_host, args=(back, self.settings), name="session-host",
                                           daemon=True)
            runner.start()
        else:
            front, back = self._ctx.Pipe(duplex=True)
            runner = self._ctx.Process(target=worker_main, args=(back, self.settings.model_dump(mode="json"),
                                                                  self._pace), name=f"toygan-worker-{w}", daemon=True)
            runner.start()
            back.close()  # the child holds its own copy; ours would keep EOF from ever arriving
        old = self._outboxes[w]
        with self._locks[w]:
            self._conns[w], self.runners[w] = front, runner
            self._outboxes[w] = Outbox(front, f"host-writer-{w}", self._outbox_bytes)
        if old is not None:
            old.close()
        threading.Thread(target=self._read, args=(w, front), name=f"host-reader-{w}", daemon=True).start()

    @property
    def size(self) -> int:
        return len(self.runners)

    @property
    def alive(self) -> int:
        return sum(r.is_alive() for r in self.runners)

    @property
    def ready(self) -> int:
        return sum(1 for w in list(self._ready) if self.runners[w].is_alive())

    def send(self, w: int, msg: tuple, size: int = 0) -> bool:
        """Hand `msg` to host w's writer (never blocks); `size` > 0: a client message, refused
        (False) while that host's queue is full."""
        with self._locks[w]:
            box = self._outboxes[w]
        return box is not None and box.put(msg, size)

    def place(self) -> int:
        """The ready host with the fewest sessions (ties: the lowest index); any live one at start-up."""
        live = ([w for w in sorted(self._ready) if self.runners[w].is_alive()]
                or [i for i, r in enumerate(self.runners) if r.is_alive()] or list(range(self.size)))
        return min(live, key=lambda i: len(self._sessions[i]))

    def open(self, cfg: ExperimentConfig, preset: str | None) -> SessionProxy:
        """A new session for a validated config; the host builds its Trainer."""
        w = self.place()
        s = SessionProxy(self, w, preset)
        self._sessions[w][s.id] = s
        self.send(w, ("create", s.id, s.token, cfg.model_dump(mode="json"), preset))
        return s

    def adopt(self, state: dict[str, Any]) -> SessionProxy:
        """A new session that goes on from another's state (a fork); the host restores it."""
        w = self.place()
        s = SessionProxy(self, w, state.get("preset"))
        self._sessions[w][s.id] = s
        self.send(w, ("adopt", s.id, s.token, state))
        return s

    def forget(self, s: SessionProxy) -> None:
        self._sessions[s.host].pop(s.id, None)

    def _read(self, w: int, conn: Any) -> None:
        sessions = self._sessions[w]
        while True:
            try:
                msg = conn.recv()
            except (EOFError, OSError):
                break
            if msg[0] == "ready":
                self._ready.add(w)
                continue
            s = sessions.get(msg[1])
            if s is not None:
                s.deliver(msg)
        self._ready.discard(w)
        if self._closing:
            return
        runner = self.runners[w]
        runner.join(1.0)
        log.error("session host %d stopped (%s); ending its %d session(s) and starting a new one", w,
                  f"exit code {runner.exitcode}" if self._ctx is not None else "thread crashed", len(sessions))
        for s in list(sessions.values()):
            s.lost()
        # A new host in its place, so the server keeps its capacity. One that dies at once (a broken
        # install) is retried every few seconds, not in a tight loop.
        time.sleep(RESPAWN_DELAY_S)
        if not self._closing:
            self._spawn(w)

    def close(self, timeout: float = 5.0) -> None:
        """Stop every host (each finishes its current turn), waiting up to `timeout` s in all."""
        self._closing = True
        for w in range(self.size):
            self.send(w, ("stop",))
            box = self._outboxes[w]
            if box is not None:
                box.close(timeout / 2)
        deadline = time.monotonic() + timeout
        for r in self.runners:
            r.join(max(0.1, deadline - time.monotonic()))
            if r.is_alive() and self._ctx is not None:
                r.terminate()
                r.join(1.0)
        for c in self._conns:
            c.close()

"""The front's side of the compute workers: a pool of worker processes and a proxy per session.

With `settings.workers` > 0 the sessions do not run in the server process: each lives on one of
the worker processes (server.sessions.host), placed on the one with the fewest sessions, so the
Python of 30 sessions spreads over every core instead of queueing for one GIL. The front keeps
what the event loop needs (the socket's Bridge, the seat and resume bookkeeping); a reader
thread per worker hands what comes back to the right Bridge, which is thread-safe already.
`RemoteSession` has the interface `SessionManager` and the websocket use on a `Session`.
"""

from __future__ import annotations

import logging
import multiprocessing
import secrets
import threading
import time
from typing import Any

from gan_core.engine.config import ExperimentConfig
from server.sessions.pacer import shared_state
from server.settings import Settings

log = logging.getLogger(__name__)

CLOSE_INTERNAL = 1011  # a worker process died: its sessions end, the page says so
RESPAWN_DELAY_S = 2.0  # before a dead worker's replacement starts


class WorkerPool:
    def __init__(self, settings: Settings):
        # spawn, not fork: the front already runs an event loop and threads, which fork does not copy.
        self._ctx = multiprocessing.get_context("spawn")
        self._settings_json = settings.model_dump(mode="json")
        # One training budget for all workers. Kept here: the children open its semaphore by name,
        # which goes away with the last reference in this process.
        self._pace = shared_state(self._ctx, settings.quantum_ms / 1000)
        self._closing = False
        n = settings.workers
        self._conns: list[Any] = [None] * n
        self._procs: list[Any] = [None] * n
        self._locks = [threading.Lock() for _ in range(n)]
        self._sessions: list[dict[str, RemoteSession]] = [{} for _ in range(n)]
        self._ready: set[int] = set()  # workers that said "ready" (warmed up, serving)
        for w in range(n):
            self._spawn(w)

    def _spawn(self, w: int) -> None:
        front, back = self._ctx.Pipe(duplex=True)
        proc = self._ctx.Process(target=_worker_main, args=(back, self._settings_json, self._pace),
                                 name=f"toygan-worker-{w}", daemon=True)
        proc.start()
        back.close()  # the child holds its own copy; ours would keep EOF from ever arriving
        with self._locks[w]:
            self._conns[w], self._procs[w] = front, proc
        threading.Thread(target=self._read, args=(w, front), name=f"worker-reader-{w}", daemon=True).start()

    @property
    def alive(self) -> int:
        return sum(p.is_alive() for p in self._procs)

    @property
    def ready(self) -> int:
        return sum(1 for w in list(self._ready) if self._procs[w].is_alive())

    def send(self, w: int, msg: tuple) -> bool:
        with self._locks[w]:
            try:
                self._conns[w].send(msg)
                return True
            except (OSError, ValueError):  # that worker is gone; its reader ends its sessions
                return False

    def place(self) -> int:
        """The ready worker with the fewest sessions (ties: the lowest index); any live one at start-up."""
        live = ([w for w in sorted(self._ready) if self._procs[w].is_alive()]
                or [i for i, p in enumerate(self._procs) if p.is_alive()] or list(range(len(self._procs))))
        return min(live, key=lambda i: len(self._sessions[i]))

    def open(self, cfg: ExperimentConfig, preset: str | None) -> RemoteSession:
        w = self.place()
        s = RemoteSession(self, w, preset)
        self._sessions[w][s.id] = s
        self.send(w, ("create", s.id, s.token, cfg.model_dump(mode="json"), preset))
        return s

    def forget(self, s: RemoteSession) -> None:
        self._sessions[s.worker].pop(s.id, None)

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
        proc = self._procs[w]
        proc.join(1.0)
        log.error("worker %d stopped (exit code %s); ending its %d session(s) and starting a new one",
                  w, proc.exitcode, len(sessions))
        for s in list(sessions.values()):
            s.lost()
        # A new process in its place, so the server keeps its capacity. A worker that dies at once
        # (a broken install) is retried every few seconds, not in a tight loop.
        time.sleep(RESPAWN_DELAY_S)
        if not self._closing:
            self._spawn(w)

    def close(self, timeout: float = 5.0) -> None:
        self._closing = True
        for w in range(len(self._procs)):
            self.send(w, ("stop",))
        deadline = time.monotonic() + timeout
        for p in self._procs:
            p.join(max(0.1, deadline - time.monotonic()))
            if p.is_alive():
                p.terminate()
                p.join(1.0)
        for c in self._conns:
            c.close()


def _worker_main(conn: Any, settings_json: dict[str, Any], pace: Any) -> None:
    from server.sessions.host import main

    main(conn, settings_json, pace)


class RemoteSession:
    """A session that runs on a worker process; the same methods as server.sessions.session.Session."""

    def __init__(self, pool: WorkerPool, worker: int, preset: str | None):
        self.pool, self.worker = pool, worker
        self.id = secrets.token_hex(6)
        self.token = secrets.token_urlsafe(24)
        self.preset = preset
        self.running = False  # mirrored from the status messages passing through
        self.last_input = time.monotonic()
        self.detached_at: float | None = None
        self.ended = False
        self._sink_lock = threading.Lock()
        self._sink: Any = None

    def _send(self, *msg: Any) -> None:
        self.pool.send(self.worker, msg)

    def start(self) -> None:  # the worker starts the thread on "create"
        pass

    def submit(self, msg: Any) -> None:
        self.last_input = time.monotonic()
        self._send("msg", self.id, msg)

    def attach(self, sink: Any, resumed: bool = False, view: Any = None) -> None:
        with self._sink_lock:
            self._sink = sink
        # The worker holds back frames until this one was sent (its single-slot mailbox).
        sink.on_frame_sent = lambda: self._send("taken", self.id)
        self.detached_at = None
        self.last_input = time.monotonic()
        self._send("attach", self.id, resumed, view)

    def take_over(self, reason: str) -> None:
        with self._sink_lock:
            old, self._sink = self._sink, None
        if old is not None:
            old.request_close(1000, reason)
            self._send("detach", self.id)

    def detach(self, sink: Any) -> None:
        with self._sink_lock:
            if self._sink is not sink:
                return
            self._sink = None
        self.detached_at = time.monotonic()
        self._send("detach", self.id)

    def idle_pause(self) -> None:
        self._send("idle_pause", self.id)

    def end(self, code: int | None = None, reason: str = "") -> None:
        self.ended = True
        with self._sink_lock:
            sink, self._sink = self._sink, None
        if sink is not None and code is not None:
            sink.request_close(code, reason)
        self._send("end", self.id)
        self.pool.forget(self)

    def join(self, timeout: float = 5.0) -> None:  # the worker joins its threads on "stop"
        pass

    @property
    def attached(self) -> bool:
        return self._sink is not None

    # ---- called from the pool's reader thread ---------------------------------------------------

    def deliver(self, msg: tuple) -> None:
        kind = msg[0]
        if kind == "gone":
            self.ended = True
            self.pool.forget(self)
            return
        sink = self._sink
        if kind == "post":
            if msg[2].get("type") == "status":
                self.running = msg[2].get("state") == "running"
            if sink is not None:
                sink.post(msg[2])
        elif kind == "frame":
            if sink is not None:
                sink.offer_frame(msg[2])
            else:  # nobody will send it: let the worker go on when a socket comes back
                self._send("taken", self.id)
        elif kind == "close" and sink is not None:
            sink.request_close(msg[2], msg[3])

    def lost(self) -> None:
        """The worker process died: tell the page and close its socket."""
        self.ended = True
        with self._sink_lock:
            sink, self._sink = self._sink, None
        if sink is not None:
            sink.post({"type": "error", "message": "internal error: the session's worker stopped; reload",
                       "field": None})
            sink.request_close(CLOSE_INTERNAL, "worker stopped")
        self.pool.forget(self)

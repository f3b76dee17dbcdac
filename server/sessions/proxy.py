"""The front's handle on a session that lives on a host (server.sessions.host): what the event loop
and the SessionManager need (the socket's sink, seat and resume bookkeeping), with every change
to the session itself sent down the host's channel. The same class for a worker process and for
the host thread of `workers=0`.
"""

from __future__ import annotations

import concurrent.futures
import itertools
import secrets
import threading
import time
from typing import Any, Protocol

CLOSE_INTERNAL = 1011  # the session's host stopped: the page says so
MESSAGE_SIZE = 512  # what a parsed client message counts against its host's queue (they are small)


class Sink(Protocol):
    """Where a session's replies and frames go on the front: a socket's server.web.bridge.Bridge."""

    on_frame_sent: Any

    def post(self, msg: dict[str, Any] | str) -> None: ...
    def offer_frame(self, data: bytes, slot: str = "A") -> None: ...
    def request_close(self, code: int, reason: str) -> None: ...


def new_token() -> str:
    return secrets.token_urlsafe(24)


class Audience(Protocol):
    """Who else watches the session (server.classroom's Broadcast): every reply and frame its owner
    gets (from the pool's reader thread), and the owner's coming and going (from the event loop,
    or the reader thread when a host stops)."""

    def post(self, msg: dict[str, Any]) -> None: ...
    def offer_frame(self, data: bytes, slot: str) -> None: ...
    def owner_detached(self) -> None: ...
    def owner_gone(self, reason: str) -> None: ...


class SessionGone(RuntimeError):
    """An `ask` whose session ended (or whose host stopped) before it answered."""


class SessionProxy:
    def __init__(self, pool: Any, host: int, preset: str | None):
        self.pool = pool  # server.sessions.pool.Pool: send(host, msg), forget(proxy)
        self.host = host  # index of this session's host in the pool
        self.id = secrets.token_hex(6)
        self.token = new_token()  # the secret that resumes this session; replaced at every resume
        self.preset = preset
        self.running = False  # mirrored from the status messages passing through
        self.last_input = time.monotonic()
        self.detached_at: float | None = None
        self.ended = False
        self._sink_lock = threading.Lock()  # the event loop and the pool's reader thread both look
        self._sink: Sink | None = None
        self.audience: Audience | None = None  # a broadcast of this session, while there is one
        self._asks: dict[int, concurrent.futures.Future] = {}  # request id -> its answer
        self._ask_ids = itertools.count(1)

    def _send(self, *msg: Any) -> None:
        self.pool.send(self.host, msg)

    def _submit(self, size: int, *msg: Any) -> None:
        self.last_input = time.monotonic()
        if not self.pool.send(self.host, msg, size):
            sink = self._sink
            if sink is not None:
                sink.post({"type": "error", "message": "busy: this session's worker has too much waiting; "
                           "message dropped", "field": None})

    @property
    def attached(self) -> bool:
        return self._sink is not None

    # ---- the event loop ------------------------------------------------------------------------------

    def ask(self, what: str) -> concurrent.futures.Future:
        """The host's answer to "watch" (a broadcast's starting state) or "fork" (a copy's state);
        fails with SessionGone if the session ends first."""
        fut: concurrent.futures.Future = concurrent.futures.Future()
        rid = next(self._ask_ids)
        with self._sink_lock:
            self._asks[rid] = fut
        if self.ended or not self.pool.send(self.host, ("ask", self.id, rid, what)):
            self._fail_asks()
        return fut

    def post_to_owner(self, msg: dict[str, Any]) -> None:
        """A message from the front (a broadcast's code and viewer count) to the attached owner."""
        sink = self._sink
        if sink is not None:
            sink.post(msg)

    def _fail_asks(self) -> None:
        with self._sink_lock:
            asks, self._asks = self._asks, {}
        for fut in asks.values():
            if not fut.done():
                fut.set_exception(SessionGone("the session ended"))

    def _gone(self, reason: str) -> None:
        self._fail_asks()
        audience, self.audience = self.audience, None
        if audience is not None:
            audience.owner_gone(reason)

    def submit(self, msg: Any) -> None:
        """A client message (a server.wire.protocol model) for the session's handlers."""
        self._submit(MESSAGE_SIZE, "msg", self.id, msg)

    def submit_raw(self, text: str) -> None:
        """A big client message (an import) as its JSON text: parsed on the session's host."""
        self._submit(MESSAGE_SIZE + len(text), "raw", self.id, text)

    def rotate_token(self) -> str:
        """A new resume token (the old one no longer resumes); the next `ready` carries it."""
        self.token = new_token()
        return self.token

    def attach(self, sink: Sink, resumed: bool = False, view: Any = None) -> None:
        """Stream to `sink`; the session says `ready`, then applies hello's `view`."""
        with self._sink_lock:
            self._sink = sink
        # The host holds back frames until this one was sent (its single-slot mailbox).
        sink.on_frame_sent = lambda: self._send("taken", self.id)
        self.detached_at = None
        self.last_input = time.monotonic()
        self._send("attach", self.id, resumed, view, self.token)

    def take_over(self, reason: str) -> None:
        """Close the socket still attached (if any); a new one attaches next."""
        with self._sink_lock:
            old, self._sink = self._sink, None
        if old is not None:
            old.request_close(1000, reason)
            self._send("detach", self.id)

    def detach(self, sink: Sink) -> None:
        with self._sink_lock:
            if self._sink is not sink:
                return
            self._sink = None
        self.detached_at = time.monotonic()
        self._send("detach", self.id)
        if self.audience is not None:
            self.audience.owner_detached()

    def idle_pause(self) -> None:
        self._send("idle_pause", self.id)

    def end(self, code: int | None = None, reason: str = "") -> None:
        """End the session; `code`: also close its socket with this code and reason."""
        self.ended = True
        with self._sink_lock:
            sink, self._sink = self._sink, None
        if sink is not None and code is not None:
            sink.request_close(code, reason)
        self._send("end", self.id)
        self.pool.forget(self)
        self._gone(reason)

    # ---- the pool's reader thread -------------------------------------------------------------------

    def deliver(self, msg: tuple) -> None:
        """One message its host sent about it."""
        kind = msg[0]
        if kind == "gone":
            self.ended = True
            self.pool.forget(self)
            self._gone("the session stopped")
            return
        sink, audience = self._sink, self.audience
        if kind == "post":
            if msg[2].get("type") == "status":
                self.running = msg[2].get("state") == "running"
            if sink is not None:
                sink.post(msg[2])
            if audience is not None:
                audience.post(msg[2])
        elif kind == "text":  # a big reply serialized on the host (an export): the owner's only
            if sink is not None:
                sink.post(msg[2])
        elif kind == "frame":
            slot = msg[3] if len(msg) > 3 else "A"
            if sink is not None:
                if slot == "A":
                    sink.offer_frame(msg[2])
                else:
                    sink.offer_frame(msg[2], slot=slot)
            else:  # nobody will send it: let the host go on when a socket comes back
                self._send("taken", self.id)
            if audience is not None:  # encoded once, on the host; fanned out on the front
                audience.offer_frame(msg[2], slot)
        elif kind == "reply":
            with self._sink_lock:
                fut = self._asks.pop(msg[2], None)
            if fut is not None and not fut.done():
                fut.set_result(msg[3])
        elif kind == "close" and sink is not None:
            sink.request_close(msg[2], msg[3])

    def lost(self) -> None:
        """The host stopped: tell the page and close its socket."""
        self.ended = True
        with self._sink_lock:
            sink, self._sink = self._sink, None
        if sink is not None:
            sink.post({"type": "error", "message": "internal error: the session's worker stopped; reload",
                       "field": None})
            sink.request_close(CLOSE_INTERNAL, "worker stopped")
        self.pool.forget(self)
        self._gone("the server's worker stopped")

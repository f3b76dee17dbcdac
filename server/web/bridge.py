"""The thread-safe hand-off between a session (through the pool's reader thread) and its websocket.

JSON messages queue in order (replies and 1 Hz status: a few a second at most); frames go through
a single-slot mailbox the producer overwrites, so a slow client skips frames instead of
queueing them, and training never waits for the network. A comparison's two experiments have a
mailbox each (slot "A" and "B"). One sender task drains all, messages first, so a `config` reply
always arrives before the frame that reflects it.

Replies are bounded for a client that does not read (issue 14: an export every 0.5 s to such a
client grew the front from 249 MB to 1.4 GB in 45 s): each is serialized when posted, and while
more than `max_bytes` of text waits, later replies are dropped (one reply of any size always gets
through an empty queue, so the largest export still goes); the client gets one error saying how
many, once it reads again. A client that stays unwritable is dropped by the websocket protocol
(server.web.protocols, `send_stall_s`).

The `*_local` calls are for the event loop's own thread only (a broadcast fans one frame out to
hundreds of viewers' bridges there): they skip the cross-thread wake-up, a system call each.
"""

from __future__ import annotations

import asyncio
import json
import logging
import threading
from collections import deque
from collections.abc import Callable
from typing import Any

from starlette.websockets import WebSocket

log = logging.getLogger(__name__)

DEFAULT_MAX_BYTES = 4 * 2**20


def to_text(msg: dict[str, Any] | str) -> str:
    return msg if isinstance(msg, str) else json.dumps(msg, separators=(",", ":"), allow_nan=False, default=str)


class Bridge:
    def __init__(self, loop: asyncio.AbstractEventLoop, max_bytes: int = DEFAULT_MAX_BYTES):
        self.loop = loop
        self.max_bytes = max_bytes
        self._lock = threading.Lock()
        self._messages: deque[str] = deque()  # JSON text, serialized when posted
        self._queued = 0  # characters of text waiting in _messages
        self.dropped = 0  # replies dropped since the client was last told
        self._frames: dict[str, bytes] = {}  # slot -> the newest unsent frame
        self._close: tuple[int, str] | None = None
        self._wake = asyncio.Event()
        self.on_frame_sent: Callable[[], None] | None = None  # its session's host waits for this (server.sessions.proxy)

    def _poke(self) -> None:
        try:
            self.loop.call_soon_threadsafe(self._wake.set)
        except RuntimeError:  # the loop is gone (shutdown): nobody is listening any more
            pass

    # ---- any thread ---------------------------------------------------------------------------

    def post(self, msg: dict[str, Any] | str) -> None:
        """Queue a JSON reply (a dict, or its text already serialized); dropped, and counted, while
        more than max_bytes wait."""
        if self._queue(msg):
            self._poke()

    def _queue(self, msg: dict[str, Any] | str) -> bool:
        text = to_text(msg)
        with self._lock:
            if self._messages and self._queued + len(text) > self.max_bytes:
                self.dropped += 1
                return False
            self._messages.append(text)
            self._queued += len(text)
        return True

    def offer_frame(self, data: bytes, slot: str = "A") -> None:
        with self._lock:
            self._frames[slot] = data
        self._poke()

    def request_close(self, code: int, reason: str) -> None:
        with self._lock:
            self._close = (code, reason)
        self._poke()

    # ---- event loop -----------------------------------------------------------------------------

    def post_local(self, msg: dict[str, Any] | str) -> None:
        if self._queue(msg):
            self._wake.set()

    def offer_frame_local(self, data: bytes, slot: str = "A") -> None:
        with self._lock:
            self._frames[slot] = data
        self._wake.set()

    def request_close_local(self, code: int, reason: str) -> None:
        with self._lock:
            self._close = (code, reason)
        self._wake.set()

    def _take(self) -> tuple[list[str], list[bytes], tuple[int, str] | None]:
        with self._lock:
            msgs = list(self._messages)
            self._messages.clear()
            self._queued = 0
            if self.dropped:
                log.info("%d replies dropped for a client that was not reading", self.dropped)
                msgs.append(to_text({"type": "error", "field": None, "message": (
                    f"{self.dropped} replies were dropped: this connection did not read fast enough "
                    f"(more than {self.max_bytes} bytes of replies waited)")}))
                self.dropped = 0
            frames = [self._frames[k] for k in sorted(self._frames)]  # A before B
            self._frames.clear()
            return msgs, frames, self._close

    async def pump(self, ws: WebSocket) -> None:
        """Send everything posted until a close is requested or the socket fails."""
        while True:
            await self._wake.wait()
            self._wake.clear()
            msgs, frames, close = self._take()
            for m in msgs:
                await ws.send_text(m)
            if close is not None:
                log.info("closing websocket: %s %s", *close)
                await ws.close(code=close[0], reason=close[1])
                return
            for frame in frames:
                await ws.send_bytes(frame)
            if frames and self.on_frame_sent is not None:
                self.on_frame_sent()

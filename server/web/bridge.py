"""The thread-safe hand-off between a session (through the pool's reader thread) and its websocket.

JSON messages queue in order (replies and 1 Hz status: a few a second at most); frames go through
a single-slot mailbox the producer overwrites, so a slow client skips frames instead of
queueing them, and training never waits for the network. One sender task drains both, messages
first, so a `config` reply always arrives before the frame that reflects it.
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


class Bridge:
    def __init__(self, loop: asyncio.AbstractEventLoop):
        self.loop = loop
        self._lock = threading.Lock()
        self._messages: deque[dict[str, Any]] = deque()
        self._frame: bytes | None = None
        self._close: tuple[int, str] | None = None
        self._wake = asyncio.Event()
        self.on_frame_sent: Callable[[], None] | None = None  # its session's host waits for this (server.sessions.proxy)

    def _poke(self) -> None:
        try:
            self.loop.call_soon_threadsafe(self._wake.set)
        except RuntimeError:  # the loop is gone (shutdown): nobody is listening any more
            pass

    # ---- any thread ---------------------------------------------------------------------------

    def post(self, msg: dict[str, Any]) -> None:
        with self._lock:
            self._messages.append(msg)
        self._poke()

    def offer_frame(self, data: bytes) -> None:
        with self._lock:
            self._frame = data
        self._poke()

    def request_close(self, code: int, reason: str) -> None:
        with self._lock:
            self._close = (code, reason)
        self._poke()

    # ---- event loop -----------------------------------------------------------------------------

    def _take(self) -> tuple[list[dict[str, Any]], bytes | None, tuple[int, str] | None]:
        with self._lock:
            msgs = list(self._messages)
            self._messages.clear()
            frame, self._frame = self._frame, None
            return msgs, frame, self._close

    async def pump(self, ws: WebSocket) -> None:
        """Send everything posted until a close is requested or the socket fails."""
        while True:
            await self._wake.wait()
            self._wake.clear()
            msgs, frame, close = self._take()
            for m in msgs:
                await ws.send_text(json.dumps(m, separators=(",", ":"), allow_nan=False, default=str))
            if close is not None:
                log.info("closing websocket: %s %s", *close)
                await ws.close(code=close[0], reason=close[1])
                return
            if frame is not None:
                await ws.send_bytes(frame)
                if self.on_frame_sent is not None:
                    self.on_frame_sent()

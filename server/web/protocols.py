"""uvicorn's HTTP and websocket protocols with the two deadlines they lack, so slow clients are shed.

- A request's headers must arrive within `header_timeout_s` of the connection opening (or of the
  previous response, on a keep-alive connection): uvicorn restarts its keep-alive timer at every
  byte, so a client trickling a partial header one byte every few seconds held a connection for
  ever. `keep_alive_s` is uvicorn's idle keep-alive as before.
- A websocket whose transport stays paused (its write buffer full: the client does not read) for
  `send_stall_s` is aborted. Closing it politely cannot work (a close frame waits behind the
  unread data, and uvicorn's send waits for the buffer to drain); abort drops the buffer, and the
  endpoint sees the disconnect. What waits in the app before the transport is bounded by the
  socket's Bridge (server.web.bridge).
"""

from __future__ import annotations

import asyncio
import logging
from typing import Any

from uvicorn.protocols.http.auto import AutoHTTPProtocol
from uvicorn.protocols.websockets.auto import AutoWebSocketsProtocol

log = logging.getLogger(__name__)


def _later(loop: asyncio.AbstractEventLoop, delay: float, fn: Any) -> asyncio.TimerHandle:
    return loop.call_later(delay, fn)


def _cancel(proto: Any, attr: str) -> None:
    """Cancel the timer a protocol keeps in `attr` (if armed) and forget it."""
    timer = getattr(proto, attr, None)
    if timer is not None:
        timer.cancel()
    setattr(proto, attr, None)


def http_protocol(header_timeout_s: float) -> type[asyncio.Protocol]:
    """uvicorn's HTTP protocol whose connections must deliver each request head in time."""

    class HeadDeadline(AutoHTTPProtocol):  # type: ignore[misc, valid-type]
        def connection_made(self, transport: Any) -> None:
            super().connection_made(transport)
            self._arm()

        def _arm(self) -> None:
            self._disarm()
            self._head_timer = _later(self.loop, header_timeout_s, self._head_late)

        def _disarm(self) -> None:
            _cancel(self, "_head_timer")

        def _head_late(self) -> None:
            self._head_timer = None
            if not self.transport.is_closing():
                log.info("closing an HTTP connection whose request head took over %g s", header_timeout_s)
                self.transport.close()

        def data_received(self, data: bytes) -> None:
            cycle = self.cycle
            super().data_received(data)
            # A request head was parsed (a new cycle), or the connection became a websocket.
            if self.cycle is not cycle or self.transport.get_protocol() is not self:
                self._disarm()

        def on_response_complete(self) -> None:
            super().on_response_complete()
            if not self.transport.is_closing():
                self._arm()  # the next request's head, on this keep-alive connection

        def connection_lost(self, exc: Exception | None) -> None:
            self._disarm()
            super().connection_lost(exc)

    return HeadDeadline


def ws_protocol(send_stall_s: float) -> type[asyncio.Protocol]:
    """uvicorn's websocket protocol that drops a client which stops reading for `send_stall_s`."""
    assert AutoWebSocketsProtocol is not None, "uvicorn has no websocket library (install websockets)"
    base: Any = AutoWebSocketsProtocol

    class SendDeadline(base):  # type: ignore[misc, valid-type]
        def pause_writing(self) -> None:
            super().pause_writing()
            if getattr(self, "_stall_timer", None) is None:
                self._stall_timer = _later(self.loop, send_stall_s, self._stalled)

        def resume_writing(self) -> None:
            self._cancel_stall()
            super().resume_writing()

        def _cancel_stall(self) -> None:
            _cancel(self, "_stall_timer")

        def _stalled(self) -> None:
            self._stall_timer = None
            log.warning("dropping a websocket whose client has not read for %g s", send_stall_s)
            self.transport.abort()

        def connection_lost(self, exc: Exception | None) -> None:
            self._cancel_stall()
            super().connection_lost(exc)

    return SendDeadline

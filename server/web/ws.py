"""The `/ws` endpoint: origin check, hello (new session or resume), then limits and parsing.

Everything a client sends passes a token-bucket rate limit, a size check by type (before any
parsing), a byte budget for big messages and the pydantic protocol before it reaches its
session's host; each failure gets an `error` reply naming the field and the connection goes on.
What is parsed here is bounded (SMALL_MESSAGE_BYTES, or max_message_bytes for a hello, configure
or draw: a few ms); an import, up to max_import_bytes, goes to the session's host unparsed, so
the event loop never parses megabytes. A socket must say hello within `hello_timeout_s` of
connecting, whatever else it sends, or it is closed with 1008 'no hello'.
"""

from __future__ import annotations

import asyncio
import logging
import time

from starlette.websockets import WebSocket, WebSocketDisconnect

from gan_core.engine.config import ConfigError, parse_config
from gan_core.engine.snapshot import SnapshotOptions
from server.sessions import budget, presets
from server.sessions.manager import CLOSE_POLICY, CLOSE_SERVER_FULL, SessionManager
from server.sessions.proxy import SessionProxy
from server.settings import Settings
from server.sweeps.service import SweepService
from server.web.bridge import Bridge
from server.web.guard import Guard
from server.wire import protocol as p

log = logging.getLogger(__name__)

CLOSE_TIMEOUT_S = 5.0  # how long a requested close may wait for the sender (the pump) to send it


class TokenBucket:
    """`rate` tokens/s sustained, `burst` at once; a flood is dropped, not queued.
    `overdraw`: a cost may take the bucket below zero (then later ones wait for the refill)."""

    def __init__(self, rate: float, burst: float):
        self.rate, self.burst = rate, float(burst)
        self.tokens, self.t = float(burst), time.monotonic()

    def allow(self, cost: float = 1.0, overdraw: bool = False) -> bool:
        now = time.monotonic()
        self.tokens = min(self.burst, self.tokens + (now - self.t) * self.rate)
        self.t = now
        if self.tokens >= cost or (overdraw and self.tokens >= 0):
            self.tokens -= cost
            return True
        return False


def _new_session(manager: SessionManager, hello: p.Hello, settings: Settings) -> SessionProxy:
    if hello.preset is not None and hello.config is not None:
        raise ConfigError("hello: give a preset or a config, not both", "preset")
    if hello.preset is not None:
        cfg = presets.config(hello.preset, field="preset")
    else:
        cfg = parse_config(hello.config)
    # What this session would cost, with the view its page starts with (hello.view is checked on the
    # host against the config, as every set_view is).
    budget.check(cfg, SnapshotOptions(), settings)
    return manager.open(cfg, hello.preset)


class Connection:
    def __init__(self, ws: WebSocket, settings: Settings, manager: SessionManager, sweeps: SweepService):
        self.ws, self.settings, self.manager, self.sweeps = ws, settings, manager, sweeps
        self.bridge = Bridge(asyncio.get_running_loop(), settings.reply_buffer_bytes)
        self.session: SessionProxy | None = None
        self.bucket = TokenBucket(settings.rate_per_s, settings.rate_burst)
        # Bytes of messages over SMALL_MESSAGE_BYTES: what the event loop parses (an import, parsed
        # on the host, may overdraw it: the next big message then waits for the refill).
        self.bytes = TokenBucket(settings.rate_bytes_per_s, max(settings.rate_bytes_per_s, settings.max_message_bytes))
        self.limits = p.size_limits(settings.max_message_bytes, budget.import_limit(settings))
        self._limit_error_t = -1e9
        self._view: p.SetView | None = None  # hello's view, applied once the session exists

    def error(self, message: str, field: str | None = None) -> None:
        self.bridge.post(p.error(message, field))

    def _hello(self, hello: p.Hello) -> None:
        m = self.manager
        if hello.resume is not None:
            s = m.find(hello.resume)
            if s is not None:
                # Still attached: an old socket not yet noticed dead, or the page in a second tab.
                # The newest wins; the old one is told why (1000: its page must not reconnect).
                s.take_over("resumed elsewhere")
                m.rotate(s)  # a token resumes once: `ready` carries its successor
                return self._start(s, resumed=True)
            self.error("resume: that session has ended (server restart or grace period over); "
                       "a new one starts", "resume")
        if not m.has_seat():
            self.error(f"server full: all {self.settings.max_sessions} seats are taken; try again soon", None)
            self.bridge.request_close(CLOSE_SERVER_FULL, "server full")
            return
        try:
            s = _new_session(m, hello, self.settings)
        except ConfigError as exc:
            self.error(exc.message, exc.field)
            return
        self._start(s, resumed=False)

    def _start(self, s: SessionProxy, resumed: bool) -> None:
        # No await between opening a session and attaching it: the seat count stays exact.
        self.session = s
        s.attach(self.bridge, resumed, self._view)  # the session says `ready` (its host knows its config)
        log.info("session %s %s", s.id, "resumed" if resumed else "started")

    def _limited(self, what: str) -> None:
        now = time.monotonic()
        if now - self._limit_error_t >= 1.0:  # one error a second: a flood must not echo a flood
            self._limit_error_t = now
            self.error(f"rate limit: {what}; messages are being dropped", None)

    async def on_text(self, text: str) -> None:
        if not self.bucket.allow():
            return self._limited(f"more than {self.settings.rate_per_s:g} messages/s")
        try:
            kind = p.check_size(text, self.limits)  # before any parsing
        except p.ProtocolError as exc:
            self.error(exc.message, exc.field)
            return
        if kind is not None and not self.bytes.allow(p.utf8_size(text), overdraw=kind == "import"):
            return self._limited(f"more than {self.settings.rate_bytes_per_s} bytes/s of large messages")
        if kind == "import" and len(text) > p.SMALL_MESSAGE_BYTES:
            if self.session is None:
                self.error("type: send hello first", "type")
            else:
                self.session.submit_raw(text)  # parsed and validated on the session's host
            return
        try:
            msg = p.parse_message(text)
            if kind is None:  # small enough to parse whole; now its own type's limit
                p.check_parsed_size(msg.type, p.utf8_size(text), self.limits)
        except p.ProtocolError as exc:
            self.error(exc.message, exc.field)
            return
        if kind is not None and msg.type != kind:  # {"type": "draw", ..., "type": "configure"}
            self.error(f"type: the message names type {kind!r} first and {msg.type!r} last", "type")
            return
        if self.session is None:
            if not isinstance(msg, p.Hello):
                self.error("type: send hello first", "type")
                return
            if msg.view is not None:
                self._view = p.SetView(type="set_view", **msg.view.model_dump())
            self._hello(msg)
            return
        if isinstance(msg, p.SweepRequest | p.SweepCancel):
            await self.on_sweep(msg)
            return
        self.session.submit(msg)

    async def on_sweep(self, msg: p.SweepRequest | p.SweepCancel) -> None:
        """Sweeps belong to this connection (its cap, its cancel); they run in the sweep service. Checking a
        grid validates every cell's config (~1 ms a cell), so it runs off the event loop too; this
        connection's next message waits for it, which keeps its cap exact."""
        if isinstance(msg, p.SweepCancel):
            self.sweeps.cancel(self, msg.id)  # one that just finished: nothing left to stop, no error
            return
        try:
            await asyncio.to_thread(self.sweeps.start, self, msg, self.bridge.post)
        except ConfigError as exc:
            self.error(exc.message, exc.field)

    async def serve(self) -> None:
        ws = self.ws
        pump = asyncio.create_task(self.bridge.pump(ws))
        # A send to a peer that already left fails; that is the normal end, not worth a warning.
        pump.add_done_callback(lambda t: t.cancelled() or t.exception())
        loop = asyncio.get_running_loop()
        # One deadline from the connection's start: messages that are not a hello do not extend it.
        hello_by = loop.time() + self.settings.hello_timeout_s
        try:
            while not pump.done():
                try:
                    async with asyncio.timeout_at(hello_by if self.session is None else None):
                        event = await ws.receive()
                except TimeoutError:
                    self.bridge.request_close(CLOSE_POLICY, "no hello")
                    # The pump sends the close (after any error before it); cancelling it first
                    # would drop the close frame, and the client would see 1006.
                    await asyncio.wait([pump], timeout=CLOSE_TIMEOUT_S)
                    break
                if event["type"] == "websocket.disconnect":
                    break
                if event.get("text") is not None:
                    await self.on_text(event["text"])
                elif event.get("bytes") is not None:
                    self.error("binary messages are not accepted: send JSON text", None)
        except (WebSocketDisconnect, RuntimeError) as exc:  # the peer went away mid-receive
            log.debug("websocket receive ended: %s", exc)
        finally:
            self.sweeps.drop(self)
            if self.session is not None:
                self.manager.detach(self.session, self.bridge)
            # No await here: a cancelled handler must finish at once (the server is stopping).
            pump.cancel()


async def websocket_endpoint(ws: WebSocket) -> None:
    settings: Settings = ws.app.state.settings
    manager: SessionManager = ws.app.state.manager
    guard: Guard = ws.app.state.guard
    await ws.accept()
    if not guard.origin_ok(ws.headers.get("origin"), ws.headers.get("host")):
        log.warning("refused websocket from origin %s", ws.headers.get("origin"))
        await ws.send_json(p.error("origin not allowed (see --allowed-origin)", None))
        await ws.close(code=CLOSE_POLICY, reason="bad origin")
        return
    await Connection(ws, settings, manager, ws.app.state.sweeps).serve()


"""The `/ws` endpoint: origin check, hello (new session or resume), then limits and parsing.

Everything a client sends passes a size check, a token-bucket rate limit and the pydantic
protocol before it reaches its session's control queue; each failure gets an `error` reply
naming the field and the connection goes on.
"""

from __future__ import annotations

import asyncio
import logging
import time
from urllib.parse import urlsplit

from starlette.websockets import WebSocket, WebSocketDisconnect

from gan_core.engine.config import ConfigError, parse_config
from server.sessions import presets
from server.sessions.manager import CLOSE_POLICY, CLOSE_SERVER_FULL, SessionManager
from server.sessions.proxy import SessionProxy
from server.settings import Settings
from server.sweeps.service import SweepService
from server.web.bridge import Bridge
from server.wire import protocol as p

log = logging.getLogger(__name__)

HELLO_TIMEOUT_S = 30.0  # a socket that never says hello is closed (it holds a connection, not a seat)


class TokenBucket:
    """`rate` messages/s sustained, `burst` at once; a flood is dropped, not queued."""

    def __init__(self, rate: float, burst: int):
        self.rate, self.burst = rate, float(burst)
        self.tokens, self.t = float(burst), time.monotonic()

    def allow(self) -> bool:
        now = time.monotonic()
        self.tokens = min(self.burst, self.tokens + (now - self.t) * self.rate)
        self.t = now
        if self.tokens >= 1:
            self.tokens -= 1
            return True
        return False


def origin_ok(ws: WebSocket, settings: Settings) -> bool:
    origin = ws.headers.get("origin")
    if origin is None:
        return True  # not a browser (scripts, tests): no cross-site page can be behind it
    allowed = settings.allowed_origins
    if "*" in allowed or origin in allowed:
        return True
    if allowed:
        return False
    return urlsplit(origin).netloc.lower() == ws.headers.get("host", "").lower()  # same host only


def _new_session(manager: SessionManager, hello: p.Hello) -> SessionProxy:
    """hello's preset alone runs that preset; a config runs that config, labelled with hello's preset
    (if any) as its origin, so a link to an edited preset says "modified from" it."""
    if hello.preset is not None:
        base = presets.config(hello.preset, field="preset")  # an unknown origin is refused, named
        cfg = base if hello.config is None else parse_config(hello.config)
    else:
        cfg = parse_config(hello.config)
    return manager.open(cfg, hello.preset)


class Connection:
    def __init__(self, ws: WebSocket, settings: Settings, manager: SessionManager, sweeps: SweepService):
        self.ws, self.settings, self.manager, self.sweeps = ws, settings, manager, sweeps
        self.bridge = Bridge(asyncio.get_running_loop())
        self.session: SessionProxy | None = None
        self.bucket = TokenBucket(settings.rate_per_s, settings.rate_burst)
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
                return self._start(s, resumed=True)
            self.error("resume: that session has ended (server restart or grace period over); "
                       "a new one starts", "resume")
        if not m.has_seat():
            self.error(f"server full: all {self.settings.max_sessions} seats are taken; try again soon", None)
            self.bridge.request_close(CLOSE_SERVER_FULL, "server full")
            return
        try:
            s = _new_session(m, hello)
        except ConfigError as exc:
            self.error(exc.message, exc.field)
            return
        self._start(s, resumed=False)

    def _start(self, s: SessionProxy, resumed: bool) -> None:
        # No await between opening a session and attaching it: the seat count stays exact.
        self.session = s
        s.attach(self.bridge, resumed, self._view)  # the session says `ready` (its host knows its config)
        log.info("session %s %s", s.id, "resumed" if resumed else "started")

    def _too_big(self, text: str) -> bool:
        limit = self.settings.max_message_bytes
        return len(text) > limit or (len(text) * 4 > limit and len(text.encode()) > limit)

    async def on_text(self, text: str) -> None:
        if not self.bucket.allow():
            now = time.monotonic()
            if now - self._limit_error_t >= 1.0:  # one error a second: a flood must not echo a flood
                self._limit_error_t = now
                self.error(f"rate limit: more than {self.settings.rate_per_s:g} messages/s; "
                           "messages are being dropped", None)
            return
        if self._too_big(text):
            self.error(f"message too large: over {self.settings.max_message_bytes} bytes", None)
            return
        try:
            msg = p.parse_message(text)
        except p.ProtocolError as exc:
            self.error(exc.message, exc.field)
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
        try:
            while not pump.done():
                timeout = HELLO_TIMEOUT_S if self.session is None else None
                try:
                    async with asyncio.timeout(timeout):
                        event = await ws.receive()
                except TimeoutError:
                    self.bridge.request_close(CLOSE_POLICY, "no hello")
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
    await ws.accept()
    if not origin_ok(ws, settings):
        log.warning("refused websocket from origin %s", ws.headers.get("origin"))
        await ws.send_json(p.error("origin not allowed (see --allowed-origin)", None))
        await ws.close(code=CLOSE_POLICY, reason="bad origin")
        return
    await Connection(ws, settings, manager, ws.app.state.sweeps).serve()


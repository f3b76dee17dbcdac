"""The `/ws` endpoint: origin check, hello (new session, resume, or watching a broadcast), then
limits and parsing.

Everything a client sends passes a token-bucket rate limit, a size check by type (before any
parsing), a byte budget for big messages and the pydantic protocol before it reaches its
session's host; each failure gets an `error` reply naming the field and the connection goes on.
What is parsed here is bounded (SMALL_MESSAGE_BYTES, or max_message_bytes for a hello, configure
or draw: a few ms); an import, up to max_import_bytes, goes to the session's host unparsed, so
the event loop never parses megabytes. A socket must say hello within `hello_timeout_s` of
connecting, whatever else it sends, or it is closed with 1008 'no hello'. A socket is an owner
(it has a session) or a viewer (it watches a broadcast, server.classroom): a viewer may only ping
and fork; everything else would change the teacher's experiment and is refused, naming `type`.
"""

from __future__ import annotations

import asyncio
import logging
import time
from typing import Any

from starlette.websockets import WebSocket, WebSocketDisconnect

from gan_core.engine.config import ConfigError, parse_config
from gan_core.engine.snapshot import SnapshotOptions
from server.classroom.hub import Classroom, Viewer
from server.sessions import budget, presets
from server.sessions.manager import CLOSE_POLICY, CLOSE_SERVER_FULL, SessionManager
from server.sessions.proxy import SessionGone, SessionProxy
from server.settings import Settings
from server.sweeps.service import SweepService
from server.web.bridge import Bridge
from server.web.guard import Guard
from server.wire import protocol as p

log = logging.getLogger(__name__)

CLOSE_TIMEOUT_S = 5.0  # how long a requested close may wait for the sender (the pump) to send it
FORK_TIMEOUT_S = 30.0  # the teacher's host answers within a turn; this only bounds a stuck one


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
    """hello's preset alone runs that preset; a config runs that config, labelled with hello's preset
    (if any) as its origin, so a link to an edited preset says "modified from" it."""
    if hello.preset is not None:
        base = presets.config(hello.preset, field="preset")  # an unknown origin is refused, named
        cfg = base if hello.config is None else parse_config(hello.config)
    else:
        cfg = parse_config(hello.config)
    # What this session would cost, with the view its page starts with (hello.view is checked on the
    # host against the config, as every set_view is).
    budget.check(cfg, SnapshotOptions(), settings)
    return manager.open(cfg, hello.preset)


def base_url(ws: WebSocket) -> str:
    """The page's address as this socket's client reached it (the host it opened the lab on)."""
    scheme = "https" if ws.url.scheme == "wss" else "http"
    path = ws.url.path.rsplit("/", 1)[0] + "/"
    return f"{scheme}://{ws.headers.get('host', 'localhost')}{path}"


class Connection:
    def __init__(self, ws: WebSocket, settings: Settings, manager: SessionManager, sweeps: SweepService,
                 classroom: Classroom):
        self.ws, self.settings, self.manager, self.sweeps = ws, settings, manager, sweeps
        self.classroom = classroom
        self.bridge = Bridge(asyncio.get_running_loop(), settings.reply_buffer_bytes)
        self.session: SessionProxy | None = None
        self.viewer: Viewer | None = None  # set while this socket watches a broadcast
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

    def _watch(self, hello: p.Hello) -> None:
        if hello.preset is not None or hello.config is not None or hello.resume is not None:
            self.error("watch: a hello that watches takes no preset, config or resume", "watch")
            return
        b = self.classroom.find(hello.watch or "")
        if b is None or b.state == "ended":
            self.error("watch: no broadcast has that code (check it, or ask for a new one); "
                       "send hello again", "watch")
            return
        if self.classroom.full():
            self.error(f"too many viewers: all {self.settings.max_viewers} places are taken; try again soon", None)
            self.bridge.request_close(CLOSE_SERVER_FULL, "too many viewers")
            return
        self.viewer = b.join(self.bridge)

    async def _as_viewer(self, msg: Any) -> None:
        if isinstance(msg, p.Ping):
            self.bridge.post({"type": "pong"})
        elif isinstance(msg, p.Fork):
            await self._fork()
        else:
            self.error(f"type: {msg.type!r} would change the teacher's experiment, and viewers watch it "
                       "read-only; make your own copy (fork) to try your own ideas", "type")

    async def _fork(self) -> None:
        """The viewer's own session, from the teacher's state now (answered by `ready`, role owner)."""
        v = self.viewer
        assert v is not None
        try:
            state = await asyncio.wait_for(asyncio.wrap_future(v.broadcast.proxy.ask("fork")), FORK_TIMEOUT_S)
        except (SessionGone, TimeoutError) as exc:
            self.error(f"fork: the teacher's session could not be copied ({exc or 'no answer'})", "type")
            return
        if "error" in state:
            self.error(f"fork: {state['error']}", "type")
            return
        if self.viewer is None:  # closed meanwhile
            return
        if not self.manager.has_seat():
            self.error(f"fork: server full: all {self.settings.max_sessions} seats are taken; keep watching "
                       "and try again soon", None)
            return
        # No await from here to attaching: the seat count stays exact.
        v.broadcast.leave(v)
        self.viewer = None
        self._start(self.manager.adopt(state), resumed=False)

    def _broadcast(self, msg: p.Broadcast) -> None:
        s = self.session
        assert s is not None
        if msg.stop:
            b = s.audience
            if b is not None:
                b.end("The teacher stopped the broadcast.")
            self.bridge.post({"type": "broadcast", "state": "ended", "code": None, "url": None, "viewers": 0})
            return
        self.bridge.post(self.classroom.start(s, base_url(self.ws)).owner_message())

    def _start(self, s: SessionProxy, resumed: bool) -> None:
        # No await between opening a session and attaching it: the seat count stays exact.
        self.session = s
        s.attach(self.bridge, resumed, self._view)  # the session says `ready` (its host knows its config)
        if resumed:  # a reload: the session's sweeps come back (their cells so far, then on as they finish)
            self.sweeps.attach(s, self.bridge.post)
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
            if self.viewer is not None:
                self.error("type: 'import' would change the teacher's experiment, and viewers watch it "
                           "read-only; make your own copy (fork) to try your own ideas", "type")
            elif self.session is None:
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
        if self.viewer is not None:
            await self._as_viewer(msg)
            return
        if self.session is None:
            if not isinstance(msg, p.Hello):
                self.error("type: send hello first", "type")
                return
            if msg.watch is not None:
                self._watch(msg)
                return
            if msg.view is not None:
                self._view = p.SetView(type="set_view", **msg.view.model_dump())
            self._hello(msg)
            return
        if isinstance(msg, p.SweepRequest | p.SweepPrepare | p.SweepCancel):
            await self.on_sweep(msg)
        elif isinstance(msg, p.Broadcast):
            self._broadcast(msg)
        elif isinstance(msg, p.Fork):
            self.error("fork: this page owns its session already (fork is how a viewer gets its own)", "type")
        else:
            self.session.submit(msg)

    async def on_sweep(self, msg: p.SweepRequest | p.SweepPrepare | p.SweepCancel) -> None:
        """Sweeps belong to this connection's session (its cap, its cancel; they outlive a reload); they run
        in the sweep service. Checking a grid validates every cell's config (~1 ms a cell), so it runs off
        the event loop too; this connection's next message waits for it, which keeps its cap exact."""
        if isinstance(msg, p.SweepCancel):
            self.sweeps.cancel(self.session, msg.id)  # one that just finished: nothing left to stop, no error
            return
        if isinstance(msg, p.SweepPrepare):
            await asyncio.to_thread(self.sweeps.prepare)  # spawning the workers: milliseconds, off the loop
            return
        try:
            await asyncio.to_thread(self.sweeps.start, self.session, msg, self.bridge.post)
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
                    async with asyncio.timeout_at(hello_by if self.session is None and self.viewer is None else None):
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
            if self.session is not None:  # its sweeps go on for a reload within the session's grace
                self.sweeps.detach(self.session, self.bridge.post)
            if self.viewer is not None:
                self.viewer.broadcast.leave(self.viewer)
            if self.session is not None:
                self.manager.detach(self.session, self.bridge)
            # No await here: a cancelled handler must finish at once (the server is stopping).
            pump.cancel()


async def websocket_endpoint(ws: WebSocket) -> None:
    settings: Settings = ws.app.state.settings
    manager: SessionManager = ws.app.state.manager
    guard: Guard = ws.app.state.guard
    classroom: Classroom = ws.app.state.classroom
    await ws.accept()
    if not guard.origin_ok(ws.headers.get("origin"), ws.headers.get("host")):
        log.warning("refused websocket from origin %s", ws.headers.get("origin"))
        await ws.send_json(p.error("origin not allowed (see --allowed-origin)", None))
        await ws.close(code=CLOSE_POLICY, reason="bad origin")
        return
    await Connection(ws, settings, manager, ws.app.state.sweeps, classroom).serve()


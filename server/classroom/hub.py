"""Broadcasts on the front's event loop: one owner's session watched by many viewers.

A frame is encoded once, on the owner's host, and reaches the front once; here it goes into every
viewer's single-slot mailbox (its socket's Bridge, one slot per experiment of a comparison), which
the viewer's own sender task drains at whatever rate its network takes. A slow viewer skips frames
and holds up nobody: not the owner (whose host paces on the owner's socket alone), not the other
viewers. Viewers are no sessions: they hold no seat and cost no host any CPU.

Everything the session says reaches a Broadcast through the pool's reader thread, which hands it to
the loop in order (call_soon_threadsafe), so the starting state the host sends (Session.watch_state)
and the frames after it arrive in the order they were made. The Broadcast keeps what a viewer who
joins late needs: the config, the status, the curves so far (server.classroom.curves) and the last
frame of each experiment.

Owner away (its socket dropped): the viewers are told their stream waits and get nothing more; if
the owner resumes within the grace period, the stream goes on. Owner gone (session ended, broadcast
stopped): the viewers are told why and their sockets close (1000 "broadcast ended").
"""

from __future__ import annotations

import asyncio
import json
import logging
from typing import Any

from gan_core.engine.config import SCHEMA_VERSION
from server.classroom.codes import new_code, normalize
from server.classroom.curves import CurveLog
from server.wire.frames import FrameError, read_header
from server.wire.protocol import PROTOCOL_VERSION

log = logging.getLogger(__name__)

CLOSE_ENDED = 1000  # normal: the page does not reconnect
OWNER_UPDATE_S = 0.5  # viewer counts reach the owner at most this often (a class joins in a burst)


def _text(msg: dict[str, Any]) -> str:
    return json.dumps(msg, separators=(",", ":"), allow_nan=False)


class Viewer:
    """One watching socket. `bridge`: its server.web.bridge.Bridge (used from the loop only)."""

    def __init__(self, bridge: Any, broadcast: Broadcast):
        self.bridge = bridge
        self.broadcast = broadcast
        self.started = False  # has its ready, status and curves: frames may follow


class Broadcast:
    def __init__(self, room: Classroom, proxy: Any, code: str, url: str, loop: asyncio.AbstractEventLoop):
        self.room, self.proxy, self.code, self.url, self.loop = room, proxy, code, url, loop
        self.viewers: set[Viewer] = set()
        self.state = "starting"  # -> live <-> waiting -> ended
        self.config: dict[str, Any] = {}  # the fields of `ready` a viewer gets: config, preset, compare, config_rev
        self.status: dict[str, Any] | None = None
        self.curves: dict[str, CurveLog] = {}
        self.frames: dict[str, bytes] = {}  # slot -> the newest frame
        self._history_text: dict[str, str] = {}  # slot -> its `history` message as JSON, until the next frame
        self.timeline: dict[str, Any] | None = None  # the teacher's last `timeline` message
        self._owner_update: asyncio.TimerHandle | None = None
        self.frames_in = 0  # frames received from the host (tests, the bench)

    # ---- from the pool's reader thread (server.sessions.proxy.Audience), handed to the loop in order ----

    def _later(self, fn: Any, *args: Any) -> None:
        try:
            self.loop.call_soon_threadsafe(fn, *args)
        except RuntimeError:  # the loop is closed: the server is stopping
            pass

    def post(self, msg: dict[str, Any]) -> None:
        self._later(self._on_post, msg)

    def offer_frame(self, data: bytes, slot: str) -> None:
        self._later(self._on_frame, data, slot)

    def owner_detached(self) -> None:
        self._later(self._on_owner_away)

    def owner_gone(self, reason: str) -> None:
        self._later(self.end, f"The teacher's session ended ({reason}).")

    def started(self, answer: Any) -> None:
        """The host's starting state (a concurrent Future's done-callback, on the reader thread)."""
        self._later(self._on_start, answer)

    # ---- the event loop -------------------------------------------------------------------------------

    def owner_message(self) -> dict[str, Any]:
        """What the owner's page shows: the code, the link, the number of viewers."""
        return {"type": "broadcast", "code": self.code, "url": self.url, "viewers": len(self.viewers),
                "state": "ended" if self.state == "ended" else "live"}

    def _tell_owner_soon(self) -> None:
        if self._owner_update is None and self.state != "ended":
            self._owner_update = self.loop.call_later(OWNER_UPDATE_S, self._tell_owner)

    def _tell_owner(self) -> None:
        self._owner_update = None
        self.proxy.post_to_owner(self.owner_message())

    def _on_start(self, fut: Any) -> None:
        if self.state != "starting":
            return
        try:
            answer = fut.result()
        except Exception as exc:  # the session ended before it answered
            self.end(f"The teacher's session ended ({exc}).")
            return
        if "error" in answer:
            self.proxy.post_to_owner({"type": "error", "message": f"broadcast: {answer['error']}", "field": "type"})
            self.end("The broadcast could not start.")
            return
        self._take_config(answer)
        self.status = answer["status"]
        self.curves = {slot: CurveLog(c, answer.get("run"), answer.get("branch") or 0)
                       for slot, c in answer["curves"].items()}
        self.timeline = answer.get("timeline")
        self.state = "waiting" if not self.proxy.attached else "live"
        for v in list(self.viewers):
            self._welcome(v)

    def _take_config(self, msg: dict[str, Any]) -> None:
        self.config = {k: msg.get(k) for k in ("config", "preset", "compare", "config_rev")}

    def _fan_out(self, msg: dict[str, Any]) -> None:
        text = _text(msg)
        for v in self.viewers:
            if v.started:
                v.bridge.post_local(text)

    def _on_post(self, msg: dict[str, Any]) -> None:
        if self.state in ("starting", "ended"):
            return  # the starting state covers what came before it
        kind = msg.get("type")
        if kind == "ready":  # the owner is back (a reload, a dropped socket): so is the stream
            self._take_config(msg)
            self.proxy.post_to_owner(self.owner_message())
            if self.state == "waiting":
                self.state = "live"
                self._fan_out({"type": "broadcast", "state": "live", "message": "The teacher is back."})
        elif kind == "config":
            self._take_config(msg)
            slots = ("A", "B") if msg.get("compare") else ("A",)
            if msg.get("rebuilt"):  # a new run: curves and frames start again (the next frame follows at once)
                self.curves, self.frames = {slot: CurveLog() for slot in slots}, {}
            self.curves = {slot: self.curves.get(slot) or CurveLog() for slot in slots}
            self.frames = {slot: f for slot, f in self.frames.items() if slot in slots}
            self._history_text.clear()
            self._fan_out(msg)
        elif kind == "status":
            self.status = msg
            self._fan_out(msg)
        elif kind == "history":  # a new run's curves (an import's, or none), or a switch of branch
            slot = msg.get("slot") or "A"
            self.curves[slot] = CurveLog.from_history(msg)
            self._history_text.pop(slot, None)
            self._fan_out(msg)
        elif kind == "timeline":  # the teacher's timeline, shown read-only
            self.timeline = msg
            self._fan_out(msg)

    def _on_frame(self, data: bytes, slot: str) -> None:
        if self.state in ("starting", "ended"):
            return
        self.frames_in += 1
        try:
            header = read_header(data)
        except (FrameError, ValueError):  # never from our own host; a bug must not stop the stream
            log.exception("broadcast %s: unreadable frame header", self.code)
        else:
            self.curves.setdefault(slot, CurveLog()).push(header)
        self.frames[slot] = data
        self._history_text.pop(slot, None)
        for v in self.viewers:
            if v.started:
                v.bridge.offer_frame_local(data, slot)

    def _on_owner_away(self) -> None:
        if self.state == "live":
            self.state = "waiting"
            grace = self.room.grace_s
            self._fan_out({"type": "broadcast", "state": "waiting",
                           "message": f"The teacher's lab disconnected; this page goes on when it reconnects "
                                      f"(it has {grace:g} s)."})

    def join(self, bridge: Any) -> Viewer:
        v = Viewer(bridge, self)
        self.viewers.add(v)
        if self.state != "starting":
            self._welcome(v)
        self._tell_owner_soon()
        return v

    def _welcome(self, v: Viewer) -> None:
        """`ready` (role viewer), the status, the curves so far, then the newest frames."""
        b = v.bridge
        b.post_local({"type": "ready", "role": "viewer", "watch": self.code, "session": None, "token": None,
                      "protocol": PROTOCOL_VERSION, "schema_version": SCHEMA_VERSION, "resumed": False,
                      **self.config})
        if self.status is not None:
            b.post_local(self.status)
        for slot, log_ in sorted(self.curves.items()):
            if slot not in self._history_text:  # one encoding for everyone joining between two frames
                self._history_text[slot] = _text(log_.message(slot))
            b.post_local(self._history_text[slot])
        if self.timeline is not None:
            b.post_local(self.timeline)
        if self.state == "waiting":
            b.post_local({"type": "broadcast", "state": "waiting",
                          "message": "The teacher's lab is disconnected; this page goes on when it reconnects."})
        for slot, data in sorted(self.frames.items()):
            b.offer_frame_local(data, slot)
        v.started = True

    def leave(self, v: Viewer) -> None:
        if v in self.viewers:
            self.viewers.discard(v)
            self._tell_owner_soon()

    def end(self, message: str) -> None:
        """Tell every viewer why, close their sockets and forget the code."""
        if self.state == "ended":
            return
        self.state = "ended"
        if self._owner_update is not None:
            self._owner_update.cancel()
        self._fan_out({"type": "broadcast", "state": "ended", "message": message})
        for v in self.viewers:
            v.bridge.request_close_local(CLOSE_ENDED, "broadcast ended")
        self.viewers.clear()
        if self.proxy.audience is self:
            self.proxy.audience = None
        self.room.forget(self)
        log.info("broadcast %s ended: %s", self.code, message)


class Classroom:
    """Every broadcast of this server, by join code; the cap on viewers across all of them."""

    def __init__(self, max_viewers: int, grace_s: float):
        self.max_viewers = max_viewers
        self.grace_s = grace_s
        self._by_code: dict[str, Broadcast] = {}

    @property
    def viewers(self) -> int:
        return sum(len(b.viewers) for b in self._by_code.values())

    @property
    def broadcasts(self) -> int:
        return len(self._by_code)

    def full(self) -> bool:
        return self.viewers >= self.max_viewers

    def start(self, proxy: Any, base_url: str) -> Broadcast:
        """The session's broadcast (the one it has, or a new one asking its host where it stands)."""
        current = proxy.audience
        if isinstance(current, Broadcast) and current.state != "ended":
            return current
        code = new_code()
        while code in self._by_code:  # 50 bits: a clash is all but impossible, but cheap to rule out
            code = new_code()
        b = Broadcast(self, proxy, code, f"{base_url}?watch={code}", asyncio.get_running_loop())
        self._by_code[code] = b
        proxy.audience = b  # before asking: what the host sends after its answer reaches the broadcast
        proxy.ask("watch").add_done_callback(b.started)
        log.info("broadcast %s started for session %s", code, proxy.id)
        return b

    def find(self, text: str) -> Broadcast | None:
        code = normalize(text)
        return self._by_code.get(code) if code else None

    def forget(self, b: Broadcast) -> None:
        if self._by_code.get(b.code) is b:
            del self._by_code[b.code]

    def close_all(self) -> None:
        for b in list(self._by_code.values()):
            b.end("The server is shutting down.")

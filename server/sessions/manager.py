"""All sessions of one server process: the seat cap, resume by token, idle pause and end.

Called only from the event loop (no lock needed for the dict). The sessions themselves run on
the pool's hosts (server.sessions.pool); here each is its proxy. Detached sessions (socket gone,
waiting for a reload) do not hold a seat, only memory: at most `max_sessions` of them are kept,
the oldest dropped first, each for `resume_grace_s`.
"""

from __future__ import annotations

import asyncio
import logging
import time
from typing import Any

from gan_core.engine.config import ExperimentConfig
from server.sessions.pool import Pool
from server.sessions.proxy import SessionProxy
from server.settings import Settings

log = logging.getLogger(__name__)

CLOSE_SERVER_FULL = 1013  # "try again later"
CLOSE_POLICY = 1008  # idle timeout, bad origin
CLOSE_NORMAL = 1000


class SessionManager:
    def __init__(self, settings: Settings):
        self.settings = settings
        self.pool: Pool | None = None  # started by start() (the app's start-up), stopped by close_all()
        self._sessions: dict[str, SessionProxy] = {}  # resume token -> session

    def start(self) -> None:
        if self.pool is None:
            self.pool = Pool(self.settings)

    @property
    def attached(self) -> int:
        return sum(1 for s in self._sessions.values() if s.attached)

    @property
    def detached(self) -> int:
        return sum(1 for s in self._sessions.values() if not s.attached)

    def has_seat(self) -> bool:
        """Whether a new session may start (open() and attaching it happen in one event-loop step)."""
        return self.attached < self.settings.max_sessions

    def open(self, cfg: ExperimentConfig, preset: str | None) -> SessionProxy:
        """A new session for a validated config, on the pool's least busy host."""
        if self.pool is None:
            raise RuntimeError("SessionManager.start() first (the app does it at start-up)")
        s = self.pool.open(cfg, preset)
        self._sessions[s.token] = s
        return s

    def adopt(self, state: dict[str, Any]) -> SessionProxy:
        """A new session from a fork's state (Session.fork_state), on the pool's least busy host."""
        if self.pool is None:
            raise RuntimeError("SessionManager.start() first (the app does it at start-up)")
        s = self.pool.adopt(state)
        self._sessions[s.token] = s
        return s

    @property
    def workers(self) -> dict[str, Any]:
        """The session hosts: worker processes, or the one host thread of `workers=0` (in_process)."""
        p = self.pool
        return {"configured": max(1, self.settings.workers), "alive": p.alive if p else 0,
                "ready": p.ready if p else 0, "in_process": self.settings.workers == 0}

    def find(self, token: str) -> SessionProxy | None:
        s = self._sessions.get(token)
        return s if s is not None and not s.ended else None

    def rotate(self, s: SessionProxy) -> None:
        """Give `s` a new resume token: a replayed old one (a copied link, a sniffed message) takes nothing."""
        self._drop(s)
        self._sessions[s.rotate_token()] = s

    def detach(self, s: SessionProxy, sink: Any) -> None:
        s.detach(sink)
        if s.ended:
            self._drop(s)
            return
        waiting = sorted((x for x in self._sessions.values() if not x.attached), key=lambda x: x.detached_at or 0)
        for old in waiting[: max(0, len(waiting) - self.settings.max_sessions)]:
            self.end(old, None, "too many detached sessions")

    def end(self, s: SessionProxy, code: int | None, reason: str) -> None:
        log.info("ending session %s: %s", s.id, reason)
        s.end(code, reason)
        self._drop(s)

    def _drop(self, s: SessionProxy) -> None:
        if self._sessions.get(s.token) is s:
            del self._sessions[s.token]

    def sweep(self, now: float | None = None) -> None:
        """Pause idle sessions, end long-idle ones and detached ones past their grace period."""
        now = time.monotonic() if now is None else now
        st = self.settings
        for s in list(self._sessions.values()):
            if s.detached_at is not None:
                if now - s.detached_at >= st.resume_grace_s:
                    self.end(s, None, "not resumed within the grace period")
                continue
            idle = now - s.last_input
            if idle >= st.idle_timeout_s:
                self.end(s, CLOSE_POLICY, "idle timeout")
            elif idle >= st.idle_pause_s and s.running:
                s.idle_pause()

    async def reaper(self, period_s: float = 1.0) -> None:
        while True:
            await asyncio.sleep(period_s)
            self.sweep()

    async def close_all(self) -> None:
        for s in list(self._sessions.values()):
            self.end(s, CLOSE_NORMAL, "server shutting down")
        if self.pool is not None:
            await asyncio.to_thread(self.pool.close)
            self.pool = None

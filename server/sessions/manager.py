"""All sessions of one server process: the seat cap, resume by token, idle pause and end.

Called only from the event loop (no lock needed for the dict); session threads never touch it.
Detached sessions (socket gone, waiting for a reload) do not hold a seat, only memory: at most
`max_sessions` of them are kept, the oldest dropped first, each for `resume_grace_s`.
"""

from __future__ import annotations

import asyncio
import logging
import time
from typing import Any

from gan_core.engine.config import ExperimentConfig
from gan_core.engine.trainer import Trainer
from server.sessions.pacer import Pacer
from server.sessions.pool import WorkerPool
from server.sessions.scheduler import FairScheduler
from server.sessions.session import Session
from server.settings import Settings

log = logging.getLogger(__name__)

CLOSE_SERVER_FULL = 1013  # "try again later"
CLOSE_POLICY = 1008  # idle timeout, bad origin
CLOSE_NORMAL = 1000


class SessionManager:
    def __init__(self, settings: Settings, presets: Any):
        self.settings = settings
        self.presets = presets
        self.scheduler = FairScheduler(settings.compute_slots)
        self.pacer = Pacer(settings.quantum_ms / 1000, settings.shared_fps)  # in-process sessions share it
        self.pool: WorkerPool | None = None  # started by start(): sessions then live on worker processes
        self._sessions: dict[str, Any] = {}  # resume token -> Session or workers.RemoteSession
        self._reserved = 0  # seats promised to hellos whose trainer is still being built

    @property
    def attached(self) -> int:
        return sum(1 for s in self._sessions.values() if s.attached)

    @property
    def detached(self) -> int:
        return sum(1 for s in self._sessions.values() if not s.attached)

    def reserve(self) -> bool:
        """Take a seat for a new session, or False when the server is full."""
        if self.attached + self._reserved >= self.settings.max_sessions:
            return False
        self._reserved += 1
        return True

    def unreserve(self) -> None:
        self._reserved -= 1

    def start(self) -> None:
        if self.settings.workers and self.pool is None:
            self.pool = WorkerPool(self.settings)

    async def open(self, cfg: ExperimentConfig, preset: str | None) -> Any:
        """A new session for a validated config: on a worker process, or here on a thread."""
        if self.pool is not None:
            s = self.pool.open(cfg, preset)
        else:
            # Building targets and networks takes tens of ms: off the event loop.
            s = Session(await asyncio.to_thread(Trainer, cfg), self.settings, self.scheduler, self.presets, preset,
                        pacer=self.pacer)
        self._sessions[s.token] = s
        s.start()
        return s

    @property
    def workers(self) -> dict[str, int]:
        """Worker processes started, alive and warmed up (all 0 in in-process mode)."""
        p = self.pool
        return {"configured": self.settings.workers, "alive": p.alive if p else 0, "ready": p.ready if p else 0}

    def find(self, token: str) -> Session | None:
        s = self._sessions.get(token)
        return s if s is not None and not s.ended else None

    def detach(self, s: Session, sink: Any) -> None:
        s.detach(sink)
        if s.ended:
            self._drop(s)
            return
        waiting = sorted((x for x in self._sessions.values() if not x.attached), key=lambda x: x.detached_at or 0)
        for old in waiting[: max(0, len(waiting) - self.settings.max_sessions)]:
            self.end(old, None, "too many detached sessions")

    def end(self, s: Session, code: int | None, reason: str) -> None:
        log.info("ending session %s: %s", s.id, reason)
        s.end(code, reason)
        self._drop(s)

    def _drop(self, s: Session) -> None:
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
        sessions = list(self._sessions.values())
        for s in sessions:
            self.end(s, CLOSE_NORMAL, "server shutting down")
        await asyncio.to_thread(lambda: [s.join(2.0) for s in sessions])
        if self.pool is not None:
            await asyncio.to_thread(self.pool.close)
            self.pool = None

    def default_config(self) -> ExperimentConfig:
        return ExperimentConfig()

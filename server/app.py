"""Wiring only: settings -> app with REST routes, the websocket, static files and start-up work."""

from __future__ import annotations

import asyncio
import contextlib
import logging
from collections.abc import AsyncIterator

import torch
from fastapi import FastAPI

from gan_core.engine.snapshot import SnapshotOptions
from server.classroom.hub import Classroom
from server.sessions import budget
from server.sessions.manager import SessionManager
from server.settings import Settings
from server.sweeps.service import SweepService
from server.web.api import build_router
from server.web.guard import Guard, HostCheck
from server.web.lag import LagProbe
from server.web.static import mount
from server.web.ws import websocket_endpoint

log = logging.getLogger(__name__)


def create_app(settings: Settings | None = None) -> FastAPI:
    settings = settings or Settings()

    @contextlib.asynccontextmanager
    async def lifespan(app: FastAPI) -> AsyncIterator[None]:
        # Once per process: tiny models run fastest on one thread; sessions give the parallelism.
        torch.set_num_threads(settings.threads)
        app.state.manager.start()
        tasks = [asyncio.create_task(app.state.lag.run()), asyncio.create_task(app.state.manager.reaper())]
        log.info("toygan serving: max %d sessions on %s, %d torch thread(s)", settings.max_sessions,
                 f"{settings.workers} worker processes" if settings.workers else "one thread of this process",
                 settings.threads)
        try:
            yield
        finally:
            for t in tasks:
                t.cancel()
            app.state.classroom.close_all()
            await app.state.manager.close_all()
            await asyncio.to_thread(app.state.sweeps.close)  # joins threads, lets the sweep workers exit

    app = FastAPI(title="ToyGAN Lab", lifespan=lifespan, docs_url=None, redoc_url=None)
    app.state.settings = settings
    app.state.manager = SessionManager(settings)
    app.state.classroom = Classroom(settings.max_viewers, settings.resume_grace_s)
    app.state.lag = LagProbe()
    app.state.guard = Guard(settings)
    app.add_middleware(HostCheck, guard=app.state.guard)  # DNS rebinding: a loopback lab answers its own names
    # A sweep's base config (the lab's experiment) passes the session budget, as a configure of it would.
    app.state.sweeps = SweepService(settings, check_base=lambda cfg: budget.check(cfg, SnapshotOptions(), settings))
    app.include_router(build_router())
    app.add_api_websocket_route("/ws", websocket_endpoint)
    mount(app)
    return app

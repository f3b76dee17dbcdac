"""REST routes: /healthz, /api/version, /api/schema, /api/presets, /api/comparisons."""

from __future__ import annotations

import logging
import threading
from importlib.metadata import PackageNotFoundError, version
from typing import Any

from fastapi import APIRouter, Request

from gan_core.engine.config import SCHEMA_VERSION, experiment_schema
from gan_core.engine.snapshot import view_schema
from gan_core.science.comparisons import list_comparisons
from server.sessions import presets
from server.wire.protocol import FPS_RANGE, PROTOCOL_VERSION

log = logging.getLogger(__name__)


def package_version() -> str:
    try:
        return version("toygan")
    except PackageNotFoundError:  # running from a source tree that was never installed
        return "0.0.0"


def build_router() -> APIRouter:
    r = APIRouter()

    @r.get("/healthz")
    def healthz(request: Request, window: float = 60.0) -> dict[str, Any]:
        st = request.app.state
        return {"status": "ok", "sessions": st.manager.attached, "detached": st.manager.detached,
                "max_sessions": st.settings.max_sessions, "threads": threading.active_count(),
                "workers": st.manager.workers, "loop_lag_ms": st.lag.summary(window),
                "broadcasts": st.classroom.broadcasts, "viewers": st.classroom.viewers}

    @r.get("/api/version")
    def api_version() -> dict[str, Any]:
        return {"version": package_version(), "protocol": PROTOCOL_VERSION, "schema": SCHEMA_VERSION}

    @r.get("/api/schema")
    def schema(request: Request) -> dict[str, Any]:
        # The experiment's schema, plus the view options' bounds and defaults (x-view) so the page
        # restates none of them.
        view = view_schema()
        view["fps"] = {"minimum": FPS_RANGE[0], "maximum": FPS_RANGE[1],
                       "default": request.app.state.settings.default_fps, "description": "frame cap, frames/s"}
        return {**experiment_schema(), "x-view": view}

    @r.get("/api/presets")
    def api_presets() -> list[dict[str, Any]]:
        return presets.listing()

    @r.get("/api/comparisons")
    def api_comparisons() -> list[dict[str, Any]]:
        return [{"name": c.name, "title": c.title, "a": c.a, "b": c.b, "story": c.story, "why_not": c.why_not}
                for c in list_comparisons()]

    return r

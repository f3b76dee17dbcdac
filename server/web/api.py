"""REST routes (/healthz, /api/version, /api/schema, /api/presets) and the preset lookup sessions use."""

from __future__ import annotations

import importlib
import logging
import threading
from typing import Any

from fastapi import APIRouter, Request

from gan_core.engine.config import (
    SCHEMA_VERSION,
    ConfigError,
    ExperimentConfig,
    experiment_schema,
    parse_config,
)
from gan_core.engine.snapshot import view_schema
from server.wire.protocol import FPS_RANGE, PROTOCOL_VERSION

log = logging.getLogger(__name__)


def _package_version() -> str:
    try:
        from importlib.metadata import version

        return version("toygan")
    except Exception:  # running from a source tree that was never installed
        return "0.0.0"


def _plain(obj: Any) -> Any:
    return obj.model_dump(mode="json") if hasattr(obj, "model_dump") else obj


class PresetSource:
    """gan_core.science.presets, read through its public interface; an absent module means no presets yet."""

    def _module(self) -> Any:
        try:
            return importlib.import_module("gan_core.science.presets")
        except ImportError:
            return None

    def list(self) -> list[dict[str, Any]]:
        mod = self._module()
        if mod is None:
            return []
        return [{"name": q.name, "title": getattr(q, "title", q.name), "description": getattr(q, "description", ""),
                 "view": _plain(getattr(q, "view", None)), "config": _plain(q.config)} for q in mod.list_presets()]

    def config(self, name: str, field: str = "name") -> ExperimentConfig:
        mod = self._module()
        known = [q.name for q in mod.list_presets()] if mod is not None else []
        if name not in known:
            raise ConfigError(f"{field}: unknown preset {name[:80]!r} (known: {', '.join(known) or 'none'})", field)
        q = next(q for q in mod.list_presets() if q.name == name)
        return q.config if isinstance(q.config, ExperimentConfig) else parse_config(_plain(q.config))


def build_router() -> APIRouter:
    r = APIRouter()

    @r.get("/healthz")
    def healthz(request: Request, window: float = 60.0) -> dict[str, Any]:
        st = request.app.state
        return {"status": "ok", "sessions": st.manager.attached, "detached": st.manager.detached,
                "max_sessions": st.settings.max_sessions, "threads": threading.active_count(),
                "workers": st.manager.workers,
                "loop_lag_ms": st.lag.summary(window)}

    @r.get("/api/version")
    def version() -> dict[str, Any]:
        return {"version": _package_version(), "protocol": PROTOCOL_VERSION, "schema": SCHEMA_VERSION}

    @r.get("/api/schema")
    def schema(request: Request) -> dict[str, Any]:
        # The experiment's schema, plus the view options' bounds and defaults (x-view) so the page
        # restates none of them.
        view = view_schema()
        view["fps"] = {"minimum": FPS_RANGE[0], "maximum": FPS_RANGE[1],
                       "default": request.app.state.settings.default_fps, "description": "frame cap, frames/s"}
        return {**experiment_schema(), "x-view": view}

    @r.get("/api/presets")
    def presets(request: Request) -> list[dict[str, Any]]:
        return request.app.state.presets.list()

    return r

"""Where the frontend and plotly.js are: a wheel ships the frontend as server/_frontend (pyproject
force-include); a source or editable checkout has it at <repo>/frontend. plotly.min.js comes from
the installed plotly package, so the lab works with no internet (a classroom)."""

from __future__ import annotations

import importlib.resources
from pathlib import Path

from fastapi import FastAPI
from fastapi.responses import FileResponse
from fastapi.staticfiles import StaticFiles


def frontend_dir() -> Path:
    package = Path(__file__).resolve().parents[1]  # server/
    for candidate in (package / "_frontend", package.parent / "frontend"):
        if (candidate / "index.html").is_file():
            return candidate
    raise FileNotFoundError(f"the lab's frontend is missing (looked in {package / '_frontend'} and "
                            f"{package.parent / 'frontend'}); reinstall toygan")


def plotly_js() -> Path:
    path = Path(str(importlib.resources.files("plotly") / "package_data" / "plotly.min.js"))
    if not path.is_file():
        raise FileNotFoundError(f"plotly.min.js not found at {path}; reinstall plotly")
    return path


def mount(app: FastAPI) -> None:
    front = frontend_dir()
    plotly = plotly_js()

    @app.get("/", include_in_schema=False)
    def index() -> FileResponse:
        return FileResponse(front / "index.html", headers={"Cache-Control": "no-cache"})

    @app.get("/vendor/plotly.min.js", include_in_schema=False)
    def vendor_plotly() -> FileResponse:
        return FileResponse(plotly, media_type="text/javascript", headers={"Cache-Control": "max-age=86400"})

    app.mount("/static", StaticFiles(directory=front), name="static")

"""server.web.api: the REST routes, through Starlette's TestClient (one host thread: workers=0)."""

import time

from gan_core.engine.config import SCHEMA_VERSION
from gan_core.science.presets import list_presets
from tests.server.conftest import make_client


def test_rest_routes(client):
    h = client.get("/healthz").json()
    assert h["status"] == "ok" and h["sessions"] == 0 and h["max_sessions"] == 3 and "p99" in h["loop_lag_ms"]
    assert client.get("/api/version").json()["protocol"] == 1
    schema = client.get("/api/schema").json()
    assert "optimizer_d" in schema["properties"] and schema["x-schema-version"] == SCHEMA_VERSION
    assert isinstance(client.get("/api/presets").json(), list)
    assert "<html" in client.get("/").text.lower()
    assert client.get("/static/main.js").status_code == 200
    js = client.get("/vendor/plotly.min.js")
    assert js.status_code == 200 and len(js.content) > 1_000_000


def test_presets_are_gan_cores_in_teaching_order():
    with make_client() as c:
        got = c.get("/api/presets").json()
    want = list_presets()
    assert [p["name"] for p in got] == [q.name for q in want]
    first = got[0]
    assert set(first) == {"name", "title", "description", "view", "steps", "speed", "config"}
    assert first["title"] == want[0].title and first["view"] == want[0].view and first["config"] == want[0].config
    # steps: the full run the description tells of (the page states the wait left for it)
    by_name = {p["name"]: p for p in got}
    for q in want:
        assert (by_name[q.name]["steps"], by_name[q.name]["speed"]) == (q.steps, q.speed)
    assert by_name["dirac-alternating"]["speed"] == 60 and by_name["ring-collapse"]["speed"] is None


def test_schema_carries_the_view_bounds_and_the_servers_frame_cap():
    with make_client(default_fps=20) as c:
        view = c.get("/api/schema").json()["x-view"]
    assert view["fps"] == {"minimum": 1, "maximum": 60, "default": 20, "description": "frame cap, frames/s"}
    assert view["grid"]["maximum"] >= 128 and "default" in view["samples"]


def test_health_reports_the_in_process_host_once_it_is_ready():
    with make_client() as c:
        deadline = time.monotonic() + 60
        while c.get("/healthz").json()["workers"]["ready"] < 1 and time.monotonic() < deadline:
            time.sleep(0.05)
        assert c.get("/healthz").json()["workers"] == {"configured": 1, "alive": 1, "ready": 1, "in_process": True}

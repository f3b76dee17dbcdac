"""The workshop image builds, serves the lab and streams frames, as a non-root user, and carries
only what the lab runs. Fixtures (conftest.py) build it with podman and start it."""

from __future__ import annotations

import asyncio
import json
import threading
import time
import urllib.request

import numpy as np
import pytest
import websockets

from server.wire.frames import decode_frame

# The fixtures' first test pays for the base and the build: minutes on a cold 2-core machine.
pytestmark = [pytest.mark.slow, pytest.mark.timeout(2400)]
UID = 10001
FRAME_WINDOW_S = 5.0  # how long frames are counted once the first has arrived

# Run inside the image: what must not be there (the repository's tests, benchmarks and docs, pip's
# cache, a wheel build tree, torch's C++ tests, headers and protoc, compilers), as JSON.
LEFTOVERS = r"""
import glob, importlib.util, json, shutil
torch = importlib.util.find_spec("torch").submodule_search_locations[0]
paths = ["/app/tests", "/app/bench", "/app/docs", "/app/build", "/root/.cache/pip", torch + "/test",
         torch + "/include"]
found = [p for p in paths if glob.glob(p)] + glob.glob(torch + "/bin/protoc*") + glob.glob(torch + "/bin/test_*")
found += [c for c in ("gcc", "cc", "g++", "make") if shutil.which(c)]
print(json.dumps(found))
"""

# Run inside the container: the real and effective uid of every process but this one.
UIDS = r"""
import json, os, pathlib
uids = {}
for status in pathlib.Path("/proc").glob("[0-9]*/status"):
    pid = int(status.parent.name)
    if pid != os.getpid():
        line = next(ln for ln in status.read_text().splitlines() if ln.startswith("Uid:"))
        uids[pid] = [int(v) for v in line.split()[1:3]]
print(json.dumps({"uids": uids, "cmd1": pathlib.Path("/proc/1/cmdline").read_bytes().decode().split("\0")}))
"""


def test_image_is_configured_for_workshops(podman, image):
    info = json.loads(podman("image", "inspect", image).stdout)[0]
    config = info["Config"]
    assert config["User"] == f"{UID}:{UID}"
    assert config["Cmd"] == ["toygan", "serve", "--host", "0.0.0.0", "--port", "8000"]
    assert "8000/tcp" in config["ExposedPorts"]
    assert "/healthz" in " ".join(info["Healthcheck"]["Test"])


def test_image_holds_only_what_the_lab_runs(podman, image):
    out = podman("run", "--rm", "--user", "0", "--network", "none", image, "python", "-c", LEFTOVERS)
    assert json.loads(out.stdout) == [], "the runtime image carries build-only files"


def test_healthz_answers_200_and_the_healthcheck_passes(podman, lab):
    with urllib.request.urlopen(lab.url + "/healthz", timeout=10) as r:
        assert r.status == 200
        assert json.loads(r.read())["status"] == "ok"
    if lab.network == "bridge":
        assert podman("healthcheck", "run", lab.name, check=False).returncode == 0
    else:  # the CMD's port 8000 is not this container's: run the HEALTHCHECK's command on its port
        test = json.loads(podman("inspect", "--format", "{{json .Config.Healthcheck.Test}}", lab.name).stdout)
        cmd = [arg.replace(":8000/", f":{lab.port}/") for arg in test[1:]]
        assert cmd != test[1:], test
        assert podman("exec", lab.name, *cmd, check=False).returncode == 0


def test_every_process_in_the_container_runs_as_uid_10001(podman, lab):
    seen = json.loads(podman("exec", lab.name, "python", "-c", UIDS).stdout)
    cmd1 = seen["cmd1"]  # PID 1 is the lab itself (the console script runs under the venv's python)
    assert any(arg.endswith("toygan") for arg in cmd1) and "serve" in cmd1, cmd1
    assert seen["uids"] and all(u == [UID, UID] for u in seen["uids"].values()), seen["uids"]


def _in_thread(coro, timeout: float = 120):
    """asyncio.run on its own thread: a session-wide Playwright may hold this thread's event loop."""
    box: dict = {}

    def target():
        try:
            box["value"] = asyncio.run(coro)
        except BaseException as exc:  # re-raised on the test's thread
            box["error"] = exc

    thread = threading.Thread(target=target)
    thread.start()
    thread.join(timeout)
    assert not thread.is_alive(), f"the websocket exchange did not finish in {timeout} s"
    if "error" in box:
        raise box["error"]
    return box["value"]


async def _stream(port: int) -> tuple[dict, list, float]:
    async with websockets.connect(f"ws://127.0.0.1:{port}/ws") as ws:
        await ws.send(json.dumps({"type": "hello"}))
        ready = None
        while ready is None:
            msg = await asyncio.wait_for(ws.recv(), 30)
            if isinstance(msg, str) and json.loads(msg).get("type") in ("ready", "error"):
                ready = json.loads(msg)
        await ws.send(json.dumps({"type": "play"}))
        frames, first, last = [], None, None
        while first is None or last - first < FRAME_WINDOW_S:
            msg = await asyncio.wait_for(ws.recv(), 30)
            if isinstance(msg, bytes):
                last = time.monotonic()
                first = first or last
                frames.append(decode_frame(msg))
        return ready, frames, last - first


def test_websocket_streams_decodable_frames(lab, facts):
    ready, frames, seconds = _in_thread(_stream(lab.port))
    rate = (len(frames) - 1) / seconds
    print(f"container frames/s: {rate:.1f} ({len(frames)} frames in {seconds:.1f} s)")
    facts["frames"] = f"{rate:.1f} frames/s over {seconds:.1f} s (one client, default config)"
    assert ready["type"] == "ready", ready
    assert len(frames) >= 2
    iterations = [header["iteration"] for header, _ in frames]
    assert iterations == sorted(iterations) and iterations[-1] > iterations[0]
    for _, arrays in frames:
        assert any(a.size for a in arrays.values()) and all(np.isfinite(a).all() for a in arrays.values())

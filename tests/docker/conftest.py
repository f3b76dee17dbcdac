"""The workshop image, built from the repository's Dockerfile with podman and run as workshops run
it (`-p 127.0.0.1:PORT:8000`, the image's own CMD). Skipped only where podman cannot start a
container at all; TOYGAN_REQUIRE_PODMAN=1 (set by .ci/run, which installs podman) turns that skip
into a failure, so CI can never pass without building and running the image.

What it measured (base, build, start, image size, frames/s) is printed at the end of the run."""

from __future__ import annotations

import contextlib
import json
import os
import secrets
import socket
import subprocess
import time
import urllib.request
from dataclasses import dataclass
from pathlib import Path

import pytest
from podman_cli import Podman, PodmanError, why_podman_cannot_run
from standin import BASE, build_mounts, ensure_base

ROOT = Path(__file__).resolve().parents[2]
FACTS = pytest.StashKey[dict]()
BUILD_S = 1800  # a cold build on a busy 2-core machine: torch wheel unpacked and byte-compiled
START_S = 180  # torch import and the compute workers, in a container on a busy machine


@dataclass
class Lab:
    name: str
    port: int
    network: str  # "bridge": -p 127.0.0.1:port:8000 and the image's CMD; "host": fallback

    @property
    def url(self) -> str:
        return f"http://127.0.0.1:{self.port}"


def pytest_terminal_summary(terminalreporter, config):
    facts = config.stash.get(FACTS, None)
    if facts:
        terminalreporter.section("workshop image (tests/docker)")
        for key, value in facts.items():
            terminalreporter.write_line(f"{key}: {value}")


@pytest.fixture(scope="module")
def facts(request) -> dict:
    return request.config.stash.setdefault(FACTS, {})


@pytest.fixture(scope="module")
def podman(tmp_path_factory) -> Podman:
    pm = Podman(tmp_path_factory.mktemp("podman"))
    reason = why_podman_cannot_run(pm)
    if reason:
        if os.environ.get("TOYGAN_REQUIRE_PODMAN") == "1":
            pytest.fail(f"{reason}\n(TOYGAN_REQUIRE_PODMAN=1: this machine is meant to build and run the image)")
        pytest.skip(reason)
    return pm


def _mb(n: int) -> str:
    return f"{n / 1e6:.0f} MB"


@pytest.fixture(scope="module")
def image(podman, facts, tmp_path_factory):
    """The Dockerfile built under a throw-away tag, removed at the end (the base stays cached)."""
    t0 = time.monotonic()
    base = ensure_base(podman)
    facts["base"] = f"{base.how}, {base.seconds:.0f} s"
    tag = f"localhost/toygan-test:{os.getpid()}-{secrets.token_hex(3)}"
    args = ["build", "--format", "docker", "--isolation", "chroot", "--network", "host", "--pull=never",
            "--layers=false", "--force-rm", *build_mounts(base.mounts), "--tag", tag]
    if os.environ.get("TORCH_INDEX_URL"):  # as a workshop would pass it; the host's wheels otherwise
        args += ["--build-arg", f"TORCH_INDEX_URL={os.environ['TORCH_INDEX_URL']}"]
    log = tmp_path_factory.mktemp("build") / "build.log"
    t1 = time.monotonic()
    with open(log, "w") as out:
        built = subprocess.run(podman.argv(*args, str(ROOT)), env=podman.env, stdout=out,
                               stderr=subprocess.STDOUT, timeout=BUILD_S)
    if built.returncode != 0:
        podman("rmi", "--force", tag, check=False)
        pytest.fail(f"podman build failed ({built.returncode}); the end of {log}:\n"
                    + log.read_text(errors="replace")[-4000:])
    facts["build"] = f"{time.monotonic() - t1:.0f} s (log: {log})"
    size = int(podman("image", "inspect", "--format", "{{.Size}}", tag).stdout)
    base_size = int(podman("image", "inspect", "--format", "{{.Size}}", BASE).stdout)
    facts["image size"] = f"{_mb(size)} ({_mb(base_size)} base + {_mb(size - base_size)} the Dockerfile adds)"
    facts["base + build"] = f"{time.monotonic() - t0:.0f} s"
    try:
        yield tag
    finally:
        podman("rmi", "--force", tag, check=False)


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def _health(url: str) -> dict | None:
    with contextlib.suppress(OSError, ValueError):
        with urllib.request.urlopen(url + "/healthz", timeout=3) as r:
            if r.status == 200:
                return json.loads(r.read())
    return None


def _start(podman: Podman, image: str, name: str, port: int) -> str:
    """Bridge networking as `docker run -p` does; host networking (the CMD's program, on
    127.0.0.1:port) only where the container network cannot be set up."""
    bridge = podman("run", "--detach", "--name", name, "--publish", f"127.0.0.1:{port}:8000", image,
                    check=False, timeout=180)
    if bridge.returncode == 0:
        return "bridge"
    podman("rm", "--force", name, check=False)
    host = podman("run", "--detach", "--name", name, "--network", "host", image,
                  "toygan", "serve", "--host", "127.0.0.1", "--port", str(port), check=False, timeout=180)
    if host.returncode != 0:
        pytest.fail(f"podman run failed with -p ({bridge.stderr[-1500:]}) and with --network host "
                    f"({host.stderr[-1500:]})")
    return "host"


@pytest.fixture(scope="module")
def lab(podman, image, facts):
    """The image running, answering /healthz with its compute workers ready."""
    port, name = _free_port(), f"toygan-test-{os.getpid()}-{secrets.token_hex(3)}"
    t0 = time.monotonic()
    network = _start(podman, image, name, port)
    lab = Lab(name, port, network)
    try:
        deadline, health = time.monotonic() + START_S, None
        while True:
            health = _health(lab.url)
            workers = (health or {}).get("workers") or {}
            if health and workers.get("ready", 0) >= workers.get("configured", 0):
                break
            running = podman("inspect", "--format", "{{.State.Running}}", name, check=False).stdout.strip()
            if running != "true" or time.monotonic() > deadline:
                logs = podman("logs", name, check=False)
                pytest.fail(f"the container ({network} network) did not serve a ready /healthz on "
                            f"{lab.url} within {START_S} s (running: {running}; last /healthz: {health}):\n"
                            + (logs.stdout + logs.stderr)[-3000:])
            time.sleep(1)
        facts["start"] = f"{time.monotonic() - t0:.1f} s to a ready /healthz ({network} network, port {port})"
        yield lab
    finally:
        with contextlib.suppress(PodmanError, subprocess.TimeoutExpired):
            podman("rm", "--force", name, timeout=60)

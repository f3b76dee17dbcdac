"""Browser tests drive the real lab: a `toygan serve` started here on 127.0.0.1 (a free port),
and Debian's Chromium through Playwright. Nothing is skipped: a missing Chromium or a server
that does not come up fails with a message saying what to do.

TOYGAN_LAB_URL=http://host:port/ points the tests at an already running lab instead.
"""

from __future__ import annotations

import contextlib
import json
import os
import socket
import subprocess
import sys
import time
import urllib.request
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[2]
CHROMIUM_ARGS = ["--no-sandbox", "--disable-gpu", "--disable-background-networking",
                 "--disable-component-update", "--disable-sync", "--no-first-run"]
SERVER_START_S = 120  # uvicorn + the workers' torch import: 10 s idle, ~40 s on a busy 2-core machine


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def _healthy(url: str) -> bool:
    """/healthz answers and every worker process is warm: a page opened before then waits for a
    worker's torch import (30 s and more on a loaded machine) inside its own 30 s wait."""
    try:
        with urllib.request.urlopen(url + "healthz", timeout=2) as r:
            workers = json.load(r)["workers"]
            return workers["ready"] == workers["configured"]
    except OSError:
        return False


@contextlib.contextmanager
def running_lab(log_dir: Path, **env: str):
    """A `toygan serve` on a free port (extra settings via TOYGAN_* env vars); yields its URL."""
    port = _free_port()
    log = log_dir / f"serve-{port}.log"
    with open(log, "wb") as out:
        proc = subprocess.Popen([sys.executable, "-m", "server.cli", "serve", "--host", "127.0.0.1",
                                 "--port", str(port)], cwd=ROOT, stdout=out, stderr=subprocess.STDOUT,
                                env={**os.environ, "PYTHONUNBUFFERED": "1", **env})
    url = f"http://127.0.0.1:{port}/"
    try:
        deadline = time.monotonic() + SERVER_START_S
        while not _healthy(url):
            if proc.poll() is not None:
                pytest.fail(f"`toygan serve` exited with code {proc.returncode} before answering /healthz:\n"
                            + log.read_text(errors="replace")[-3000:])
            if time.monotonic() > deadline:
                pytest.fail(f"`toygan serve` did not answer {url}healthz within {SERVER_START_S} s:\n"
                            + log.read_text(errors="replace")[-3000:])
            time.sleep(0.2)
        yield url
    finally:
        proc.terminate()
        try:
            proc.wait(timeout=10)
        except subprocess.TimeoutExpired:
            proc.kill()
            proc.wait()


@pytest.fixture(scope="session")
def lab_url(tmp_path_factory):
    given = os.environ.get("TOYGAN_LAB_URL")
    if given:
        yield given.rstrip("/") + "/"
        return
    with running_lab(tmp_path_factory.mktemp("server")) as url:
        yield url


# Per module, not per session: sync Playwright marks its event loop running on the main thread
# for as long as it is open, which breaks asyncio.run in any later test of the suite.
@pytest.fixture(scope="module")
def lab_browser():
    from playwright.sync_api import sync_playwright

    path = os.environ.get("TOYGAN_CHROMIUM", "/usr/bin/chromium")
    if not Path(path).exists():
        pytest.fail(f"Chromium not found at {path}: install it (`make chromium`, i.e. apt-get install -y "
                    "chromium) or set TOYGAN_CHROMIUM to a Chromium binary. Browser tests never skip.")
    with sync_playwright() as p:
        b = p.chromium.launch(executable_path=path, args=CHROMIUM_ARGS)
        yield b
        b.close()


@pytest.fixture
def lab_page(lab_browser):
    context = lab_browser.new_context(viewport={"width": 1280, "height": 720}, accept_downloads=True)
    pg = context.new_page()
    errors: list[str] = []
    pg.on("pageerror", lambda e: errors.append(str(e)))
    pg.errors = errors  # tests assert the page threw nothing
    yield pg
    context.close()


@pytest.fixture
def open_lab():
    return _open_lab


def _open_lab(page, url: str, timeout_ms: int = 30000):
    """Load the lab and wait until the session is ready (the server's config has arrived)."""
    page.goto("about:blank")  # a hash-only change would not load the page anew
    page.goto(url)
    page.wait_for_function("window.__toygan && window.__toygan.config", timeout=timeout_ms)
    return page


@pytest.fixture(scope="module")
def one_seat_lab_url(tmp_path_factory):
    """A second lab with a single seat (TOYGAN_MAX_SESSIONS=1), for the server-full state."""
    with running_lab(tmp_path_factory.mktemp("one-seat"), TOYGAN_MAX_SESSIONS="1") as url:
        yield url

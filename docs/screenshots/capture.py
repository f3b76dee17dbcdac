"""The README's screenshots, taken from the real page: a `toygan serve` started here (or --url), Debian's
Chromium through Playwright (the test tools: `make test` installs them), each scene loaded fresh at
each size, trained to a set iteration, paused, and shot as a visitor sees it (the viewport, 1 CSS
pixel = 1 image pixel).

    .venv/bin/python docs/screenshots/capture.py                    # every scene at every size
    .venv/bin/python docs/screenshots/capture.py --only ring-collapse --url http://127.0.0.1:8000/

Writes docs/screenshots/<scene>-<width>x<height>.png. Look at them before committing.
"""

from __future__ import annotations

import argparse
import contextlib
import os
import socket
import subprocess
import sys
import tempfile
import time
import urllib.request
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]
OUT = Path(__file__).resolve().parent
SIZES = [(1280, 800), (1920, 1080), (390, 844)]  # laptop, projector, phone (CSS pixels)
# (file name, URL hash, iterations trained before the shot: where the preset's story shows).
SCENES = [
    ("first-screen", "", 0),  # the default experiment as a first-time visitor finds it
    ("saturating-stall", "#p=saturating-stall", 300),  # the stalled generator near 0, the target at 8
    ("ring-collapse", "#p=ring-collapse", 1000),  # the clump hopping between modes
    ("bimodal-averaging", "#p=bimodal-averaging", 1000),  # one bell between the two humps
    ("dirac-alternating", "#p=dirac-alternating", 300),  # the circling (theta, psi)
]
CHROMIUM_ARGS = ["--no-sandbox", "--disable-gpu", "--disable-background-networking",
                 "--disable-component-update", "--disable-sync", "--no-first-run"]
SERVER_START_S = 60  # uvicorn + torch import on a busy machine


def _healthy(url: str) -> bool:
    try:
        with urllib.request.urlopen(url + "healthz", timeout=2) as r:
            return r.status == 200
    except OSError:
        return False


@contextlib.contextmanager
def serving():
    """A `toygan serve` on a free loopback port; yields its URL."""
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        port = s.getsockname()[1]
    log = tempfile.TemporaryFile()
    proc = subprocess.Popen([sys.executable, "-m", "server.cli", "serve", "--host", "127.0.0.1", "--port", str(port)],
                            cwd=ROOT, stdout=log, stderr=subprocess.STDOUT)
    url = f"http://127.0.0.1:{port}/"
    try:
        deadline = time.monotonic() + SERVER_START_S
        while not _healthy(url):
            if proc.poll() is not None or time.monotonic() > deadline:
                log.seek(0)
                sys.exit(f"`toygan serve` did not come up at {url}:\n{log.read().decode(errors='replace')[-3000:]}")
            time.sleep(0.3)
        yield url
    finally:
        proc.terminate()
        proc.wait(timeout=15)


def shoot(browser, url: str, name: str, hash_: str, iterations: int, size: tuple[int, int]) -> Path:
    context = browser.new_context(viewport={"width": size[0], "height": size[1]})
    page = context.new_page()
    errors: list[str] = []
    page.on("pageerror", lambda e: errors.append(str(e)))
    try:
        page.goto(url + hash_)
        page.wait_for_function("window.__toygan && window.__toygan.config && window.__toygan.frame", timeout=60000)
        if iterations:
            # A returning visitor: the first-steps guide (where the page has one) is for the first screen.
            page.evaluate("window.__toygan.setGuide && window.__toygan.setGuide(false)")
            page.evaluate("window.__toygan.play()")
            page.wait_for_function(f"window.__toygan.iteration >= {iterations}", timeout=180000)
            page.evaluate("window.__toygan.pause()")
            page.wait_for_function("document.querySelector('[data-testid=status]').textContent.includes('Paused')")
        page.wait_for_timeout(1500)  # the last frame drawn, the framing eased, the charts laid out
        path = OUT / f"{name}-{size[0]}x{size[1]}.png"
        page.screenshot(path=str(path))
        if errors:
            sys.exit(f"{name} at {size}: the page threw {errors}")
        return path
    finally:
        context.close()


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    ap.add_argument("--url", help="a running lab (default: start one here)")
    ap.add_argument("--only", choices=[s[0] for s in SCENES], help="one scene")
    ap.add_argument("--chromium", default=os.environ.get("TOYGAN_CHROMIUM", "/usr/bin/chromium"))
    args = ap.parse_args()
    from playwright.sync_api import sync_playwright

    with contextlib.ExitStack() as stack:
        url = args.url.rstrip("/") + "/" if args.url else stack.enter_context(serving())
        p = stack.enter_context(sync_playwright())
        browser = p.chromium.launch(executable_path=args.chromium, args=CHROMIUM_ARGS)
        for name, hash_, iterations in SCENES:
            if args.only and name != args.only:
                continue
            for size in SIZES:
                path = shoot(browser, url, name, hash_, iterations, size)
                sys.stdout.write(f"{path.relative_to(ROOT)}\n")
        browser.close()


if __name__ == "__main__":
    main()

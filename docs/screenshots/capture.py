"""The README's screenshots, taken from the real page: a `toygan serve` started here (or --url), Debian's
Chromium through Playwright (the test tools: `make test` installs them), each scene loaded fresh at
each size, trained to a set iteration, paused, and shot as a visitor sees it (the viewport, 1 CSS
pixel = 1 image pixel).

    .venv/bin/python docs/screenshots/capture.py                    # every scene at every size
    .venv/bin/python docs/screenshots/capture.py --only ring-collapse --url http://127.0.0.1:8000/
    .venv/bin/python docs/screenshots/capture.py --only compare     # compare A/B (laptop, phone)
    .venv/bin/python docs/screenshots/capture.py --only classroom   # the share panel and a student's view
    .venv/bin/python docs/screenshots/capture.py --only maps        # the Map panel's two examples
    .venv/bin/python docs/screenshots/capture.py --only truth       # three presets with D* drawn

Writes docs/screenshots/<scene>-<width>x<height>.png for the presets' scenes; docs/compare.png,
docs/compare-phone.png, docs/classroom-share.png and docs/classroom-viewer.png for the README's
classroom section; docs/map-dirac.png and docs/map-ring.png for docs/sweeps.md; docs/truth-<preset>-1280x800.png
for docs/results.md. Look at them before committing.
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
DOCS = OUT.parent
# Compare A/B: the built-in comparison the README shows, trained this far, at these sizes (file names).
COMPARE = ("ring-collapse", "unrolled-vs-vanilla", 300, [("compare.png", (1280, 800)), ("compare-phone.png", (390, 844))])
CLASS_ITERATIONS = 150  # the teacher's run when both pages are shot
# The Map panel's examples (frontend/sweep.js EXAMPLES), each drawn whole at 1280x800: (example, file,
# the square clicked (its settings: its run then plays in the lab, ringed on the map), the outcome of
# the square the pointer rests on (its hover box shown; None: the pointer off the map, the ring in view),
# iterations the clicked run plays before the shot).
MAPS = [
    ("dirac", "map-dirac.png", {"regularizers.r1": 0, "optimizer_d.lr": 0.0316}, "diverged", 300),
    ("ring", "map-ring.png", {"optimizer_d.lr": 0.01, "optimizer_g.lr": 0.000316}, None, 1500),
]
# docs/results.md's presets with D* ticked (p/(p+q) over the real and generated densities, or why none
# is drawn), trained this far at 1280x800: (preset, iterations).
TRUTH = [("bimodal-averaging", 1500), ("gaussian-1d", 800), ("dirac-r1", 500)]  # each its budget
MAP_WAIT_MS = 900_000  # the ring example: 50 runs of 1000 iterations on the workers at nice 19
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


def new_page(browser, size: tuple[int, int]):
    """A fresh page (its own context: no guide dismissed, no session to resume) that records what it throws."""
    context = browser.new_context(viewport={"width": size[0], "height": size[1]})
    page = context.new_page()
    page.errors = []
    page.on("pageerror", lambda e: page.errors.append(str(e)))
    return page


def train(page, iterations: int) -> None:
    """Play to `iterations` and pause there, as a returning visitor (the first-steps guide is for the first screen)."""
    page.evaluate("window.__toygan.setGuide && window.__toygan.setGuide(false)")
    page.evaluate("window.__toygan.play()")
    page.wait_for_function(f"window.__toygan.iteration >= {iterations}", timeout=180000)
    page.evaluate("window.__toygan.pause()")
    page.wait_for_function("document.querySelector('[data-testid=status]').textContent.includes('Paused')")


def snap(page, path: Path, what: str) -> Path:
    page.wait_for_timeout(1500)  # the last frame drawn, the framing eased, the charts laid out
    page.screenshot(path=str(path))
    if page.errors:
        sys.exit(f"{what}: the page threw {page.errors}")
    return path


def ready(page, url: str) -> None:
    page.goto(url)
    page.wait_for_function("window.__toygan && window.__toygan.config && window.__toygan.frame", timeout=60000)


def shoot(browser, url: str, name: str, hash_: str, iterations: int, size: tuple[int, int]) -> Path:
    page = new_page(browser, size)
    try:
        ready(page, url + hash_)
        if iterations:
            train(page, iterations)
        return snap(page, OUT / f"{name}-{size[0]}x{size[1]}.png", f"{name} at {size}")
    finally:
        page.context.close()


def shoot_compare(browser, url: str) -> list[Path]:
    """Compare A/B: the README's comparison side by side on a laptop, stacked on a phone."""
    preset, comparison, iterations, shots = COMPARE
    out = []
    for file, size in shots:
        page = new_page(browser, size)
        try:
            ready(page, url + f"#p={preset}")
            page.click("[data-testid=mode-compare]")
            page.select_option("[data-testid=comparison]", comparison)
            page.wait_for_function(f"window.__toygan.compare.info && window.__toygan.compare.info.name === '{comparison}'",
                                   timeout=30000)
            train(page, iterations)
            out.append(snap(page, DOCS / file, f"compare at {size}"))
        finally:
            page.context.close()
    return out


def shoot_classroom(browser, url: str) -> list[Path]:
    """The teacher's share panel with one student watching, and that student's read-only page."""
    teacher = new_page(browser, (1280, 800))
    student = None
    try:
        ready(teacher, url + "#p=ring-collapse")
        teacher.evaluate("window.__toygan.setGuide && window.__toygan.setGuide(false)")
        teacher.click("[data-testid=share-class]")
        teacher.wait_for_function("/^[0-9A-Z]{5}-[0-9A-Z]{5}$/.test("
                                  "document.querySelector('[data-testid=class-code]').textContent)", timeout=30000)
        code = teacher.inner_text("[data-testid=class-code]")
        student = new_page(browser, (1280, 800))
        student.goto(url + f"?watch={code}")
        student.wait_for_function("window.__toygan && window.__toygan.classroom.role === 'viewer'", timeout=60000)
        teacher.wait_for_function("document.querySelector('[data-testid=share-class]').textContent.includes('1 watching')",
                                  timeout=30000)
        train(teacher, CLASS_ITERATIONS)
        at = teacher.evaluate("window.__toygan.iteration")
        student.wait_for_function(f"window.__toygan.iteration === {at}", timeout=30000)
        return [snap(teacher, DOCS / "classroom-share.png", "the teacher's page"),
                snap(student, DOCS / "classroom-viewer.png", "the student's page")]
    finally:
        if student:
            student.context.close()
        teacher.context.close()


def nearest_cell(cells: list[dict], want: dict) -> int:
    """The index of the square whose settings are nearest `want` (relative distance: axis values are
    rounded in the page's list, 0.0316 for 10^-1.5)."""
    def off(c):
        return sum(abs(c["params"][k] - v) / max(abs(v), 1e-12) for k, v in want.items())
    return min(range(len(cells)), key=lambda i: off(cells[i]))


def shoot_truth(browser, url: str) -> list[Path]:
    """docs/results.md's three presets with D* ticked, the preset's text under the view."""
    out = []
    for preset, iterations in TRUTH:
        page = new_page(browser, (1280, 800))
        try:
            ready(page, url + f"#p={preset}")
            page.evaluate("window.__toygan.setGuide && window.__toygan.setGuide(false)")
            page.check("[data-testid=layer-dstar]")
            train(page, iterations)
            out.append(snap(page, DOCS / f"truth-{preset}-1280x800.png", f"{preset} with D*"))
        finally:
            page.context.close()
    return out


def square_at(page, index: int) -> tuple[float, float]:
    """The page coordinates of the centre of the map's square `index`."""
    box = page.locator("[data-testid=map-canvas]").bounding_box()
    c = page.evaluate(f"window.__toygan.mapView.cellCenter({index})")
    return box["x"] + c["x"], box["y"] + c["y"]


def shoot_maps(browser, url: str) -> list[Path]:
    """Each Map example drawn whole: one square clicked (its run plays in the lab, ringed), the pointer
    on another (its hover box)."""
    out = []
    for example, file, clicked, hovered, iterations in MAPS:
        page = new_page(browser, (1280, 800))
        try:
            ready(page, url)
            page.evaluate("window.__toygan.setGuide && window.__toygan.setGuide(false)")
            page.click("[data-testid=map-toggle]")
            page.click(f"[data-testid=map-example-{example}]")
            page.click("[data-testid=map-run]")
            page.wait_for_function("window.__toygan.sweep.state === 'done'", timeout=MAP_WAIT_MS)
            cells = page.evaluate("window.__toygan.sweep.cells")
            page.mouse.click(*square_at(page, nearest_cell(cells, clicked)))
            page.wait_for_function("window.__toygan.running", timeout=60000)
            page.wait_for_function(f"window.__toygan.iteration >= {iterations}", timeout=180000)
            page.evaluate("window.__toygan.pause()")
            page.wait_for_function("document.querySelector('[data-testid=status]').textContent.includes('Paused')")
            if hovered is None:
                page.mouse.move(5, 795)
            else:
                target = next((i for i, c in enumerate(cells) if c["outcome"] == hovered), None)
                if target is None:
                    sys.exit(f"the {example} map has no {hovered} square to point at: {[c['outcome'] for c in cells]}")
                page.mouse.move(*square_at(page, target))
                page.wait_for_selector("[data-testid=map-tooltip]:not([hidden])")
            out.append(snap(page, DOCS / file, f"the {example} map"))
        finally:
            page.context.close()
    return out


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    ap.add_argument("--url", help="a running lab (default: start one here)")
    ap.add_argument("--only", choices=[s[0] for s in SCENES] + ["compare", "classroom", "maps", "truth"], help="one scene")
    ap.add_argument("--chromium", default=os.environ.get("TOYGAN_CHROMIUM", "/usr/bin/chromium"))
    args = ap.parse_args()
    from playwright.sync_api import sync_playwright

    with contextlib.ExitStack() as stack:
        url = args.url.rstrip("/") + "/" if args.url else stack.enter_context(serving())
        p = stack.enter_context(sync_playwright())
        browser = p.chromium.launch(executable_path=args.chromium, args=CHROMIUM_ARGS)
        paths: list[Path] = []
        for name, hash_, iterations in SCENES:
            if args.only and name != args.only:
                continue
            for size in SIZES:
                paths.append(shoot(browser, url, name, hash_, iterations, size))
        if args.only in (None, "compare"):
            paths += shoot_compare(browser, url)
        if args.only in (None, "classroom"):
            paths += shoot_classroom(browser, url)
        if args.only in (None, "maps"):
            paths += shoot_maps(browser, url)
        if args.only in (None, "truth"):
            paths += shoot_truth(browser, url)
        for path in paths:
            sys.stdout.write(f"{path.relative_to(ROOT)}\n")
        browser.close()


if __name__ == "__main__":
    main()

"""The action stays in view: the main views frame the target and the generated samples (not the
target's box alone), the server computes D over the framed region, samples still outside get an
arrow and a count, and locked axes stay where a teacher put them (and travel in the link)."""

from __future__ import annotations

import base64
import json
from urllib.parse import parse_qs

import numpy as np
import pytest

pytestmark = pytest.mark.browser

# Records, for every frame the page draws, the share of generated samples inside the window drawn.
RECORD = """(() => {
  const app = window.__toygan;
  window.__drawn = [];
  const render = app.render.bind(app);
  app.render = (frame) => {
    render(frame);
    const v = app.views[app.mainKind()];
    if (!frame || !v.frameWindow || !frame.arrays.fake) return;
    const w = v.frameWindow, d = frame.arrays.fake.data, dim = frame.header.dim;
    let n = 0, k = 0;
    for (let i = 0; i < d.length; i += dim) {
      n++;
      if (d[i] >= w[0] && d[i] <= w[1] && (dim === 1 || (d[i + 1] >= w[2] && d[i + 1] <= w[3]))) k++;
    }
    window.__drawn.push({it: frame.header.iteration, inside: k / n, window: w.slice(), off: {...v.offView}});
  };
})()"""


def b64url(obj) -> str:
    return base64.urlsafe_b64encode(json.dumps(obj).encode()).decode().rstrip("=")


def view_of(hash_text: str) -> dict:
    """The view a page's hash carries (`v=`), {} without one."""
    v = parse_qs(hash_text.lstrip("#")).get("v", [""])[0]
    return json.loads(base64.urlsafe_b64decode(v + "=" * (-len(v) % 4))) if v else {}


def play_until(page, iterations: int, timeout_ms: int = 60000):
    page.click("[data-testid=play]")
    page.wait_for_function(f"window.__toygan.iteration >= {iterations}", timeout=timeout_ms)
    page.click("[data-testid=pause]")
    page.wait_for_function("document.querySelector('[data-testid=status]').textContent.includes('Paused')")


def test_saturating_stall_keeps_the_stalled_generator_in_view(lab_page, open_lab, lab_url):
    # The target's box is 5..11 and the generator sits near 0: a view fixed on the target's box
    # showed none of the generated samples for the whole run.
    page = lab_page
    # The module's first page also waits for the session's worker to import torch: room on a busy machine.
    open_lab(page, lab_url + "#p=saturating-stall", timeout_ms=60000)
    page.wait_for_function("window.__toygan.frame && window.__toygan.views['1d'].frameWindow", timeout=60000)
    page.evaluate(RECORD)
    page.evaluate("window.__toygan.requestRender()")
    play_until(page, 150)
    drawn = page.evaluate("window.__drawn")
    assert len(drawn) >= 10, drawn
    worst = min(d["inside"] for d in drawn)
    assert worst >= 0.9, f"a frame drew only {worst:.0%} of the generated samples"
    header = page.evaluate("window.__toygan.frame.header")
    w = drawn[-1]["window"]
    assert w[0] < 1 and w[1] >= header["bounds"][1], (w, header["bounds"])  # the generator and the target
    # The server computed D and the densities over that region, not over the target's box.
    goal = page.evaluate("window.__toygan.views['1d'].framer.goal")
    assert header["window"][:2] == pytest.approx(goal[:2], rel=1e-4)
    grid_x = page.evaluate("Array.from(window.__toygan.frame.arrays.grid_x.data.slice(0, 1))")
    assert grid_x[0] == pytest.approx(goal[0], rel=1e-4) and grid_x[0] < header["bounds"][0]
    assert page.evaluate("window.__toygan.views['1d'].offView.fake") <= 0.1 * 512
    assert page.errors == []


def test_ring_collapse_frames_the_drifting_clump(lab_page, open_lab, lab_url):
    page = lab_page
    open_lab(page, lab_url + "#p=ring-collapse")
    page.wait_for_function("window.__toygan.frame && window.__toygan.views['2d'].frameWindow")
    page.evaluate(RECORD)
    play_until(page, 400, timeout_ms=60000)
    drawn = page.evaluate("window.__drawn")
    assert len(drawn) >= 10
    assert min(d["inside"] for d in drawn) >= 0.9
    page.wait_for_function("!window.__toygan.views['2d'].framer.easing")
    page.wait_for_timeout(500)  # the frame for the last window asked for
    header = page.evaluate("window.__toygan.frame.header")
    goal = page.evaluate("window.__toygan.views['2d'].framer.goal")
    assert header["window"] == pytest.approx(goal, rel=1e-4, abs=1e-4)


def test_locked_axes_stay_put_and_point_at_what_left(lab_page, open_lab, lab_browser, lab_url):
    page = lab_page
    open_lab(page, lab_url)
    page.wait_for_function("window.__toygan.views['2d'].frameWindow")
    assert not page.is_checked("[data-testid=lock-axes]")
    page.check("[data-testid=lock-axes]")
    lock = page.evaluate("window.__toygan.view.lock")
    assert len(lock) == 4 and lock[1] - lock[0] > 1
    assert view_of(page.evaluate("location.hash"))["lock"] == lock  # a link keeps the teacher's frame
    page.evaluate(RECORD)
    # A generator learning rate that throws every generated sample out of the picture.
    page.evaluate("window.__toygan.configure({optimizer_g: {lr: 10}})")
    page.wait_for_function("window.__toygan.config.optimizer_g.lr === 10")
    page.click("[data-testid=play]")
    page.wait_for_function("window.__toygan.views['2d'].offView.fake > 256", timeout=60000)
    page.click("[data-testid=pause]")
    drawn = page.evaluate("window.__drawn")
    assert drawn and all(d["window"] == pytest.approx(lock) for d in drawn), "the locked frame moved"
    assert any(d["off"]["fake"] > 0 for d in drawn)
    assert page.evaluate("window.__toygan.frame.header.window") == pytest.approx(lock, rel=1e-4)

    # The same link in another tab: the same fixed frame, and the toggle says so.
    other = lab_browser.new_page(viewport={"width": 1280, "height": 800})
    try:
        open_lab(other, lab_url + page.evaluate("location.hash"))
        other.wait_for_function("window.__toygan.views['2d'].frameWindow")
        assert other.is_checked("[data-testid=lock-axes]")
        assert other.evaluate("window.__toygan.views['2d'].frameWindow") == pytest.approx(lock)
    finally:
        other.close()

    # Unlocked, the view fits again, and the link no longer carries a lock.
    page.uncheck("[data-testid=lock-axes]")
    assert page.evaluate("window.__toygan.view.lock") is None
    assert "lock" not in view_of(page.evaluate("location.hash"))
    assert page.errors == []


def test_a_lock_far_from_the_target_points_at_the_real_samples_and_unlocking_fits(lab_page, open_lab, lab_url):
    page = lab_page
    # A link whose frame holds none of the ring (radius 2): every real sample is outside it.
    open_lab(page, lab_url + "#v=" + b64url({"lock": [-1, 1, -1, 1]}))
    page.wait_for_function("window.__toygan.views['2d'].frameWindow && window.__toygan.views['2d'].offView.real > 0")
    assert page.is_checked("[data-testid=lock-axes]")
    assert page.evaluate("window.__toygan.views['2d'].frameWindow") == [-1, 1, -1, 1]
    assert page.evaluate("window.__toygan.views['2d'].offView.real") == 512
    page.uncheck("[data-testid=lock-axes]")
    page.wait_for_function("window.__toygan.views['2d'].offView.real === 0 && !window.__toygan.views['2d'].framer.easing")
    w = page.evaluate("window.__toygan.views['2d'].frameWindow")
    assert w[0] < -2 and w[1] > 2


def test_a_bad_lock_in_a_link_is_explained_and_the_axes_fit(lab_page, open_lab, lab_url):
    page = lab_page
    open_lab(page, lab_url + "#v=" + b64url({"lock": [3, 1, 0, 1]}))
    text = page.locator("[data-testid=error-banner]").inner_text()
    assert "lock" in text and "reversed" in text, text
    assert page.evaluate("window.__toygan.view.lock") is None


FRAMER = """async () => {
  const { Framer } = await import('./static/views/framing.js');
  const rule = window.__toygan.schema['x-view'].window;
  const f = new Framer(rule);
  const header = (it) => ({bounds: [-1, 1, 0, 1], iteration: it});
  const at = (x) => Float32Array.from({length: 100}, (_, i) => x + (i - 50) / 500);
  const out = {};
  out.first = f.update(header(0), at(0), 1, null, 0).slice();
  f.step(0);
  out.grown = f.update(header(1), at(6), 1, null, 100).slice();      // left the window: grows at once
  out.eased = f.step(150).slice();                                    // ... and eases there
  f.update(header(2), at(0), 1, null, 200);                            // back inside, well inside
  out.kept = f.update(header(3), at(0), 1, null, 1500).slice();        // not shrunk yet (< 2 s)
  out.shrunk = f.update(header(4), at(0), 1, null, 2300).slice();      // shrunk after 2 s inside
  out.restart = f.update({bounds: [4, 6, 0, 1], iteration: 5}, at(5), 1, null, 2400).slice();
  out.restartShown = f.step(2400).slice();                             // a new target: no easing
  return out;
}"""


def test_the_framer_grows_at_once_shrinks_late_and_eases(lab_page, open_lab, lab_url):
    page = lab_page
    open_lab(page, lab_url)
    r = page.evaluate(FRAMER)
    assert r["first"][0] < -1 and r["first"][1] > 1
    assert r["grown"][1] > 6.1 and r["grown"][0] < -1
    assert r["first"][1] < r["eased"][1] < r["grown"][1]  # on its way: jumped to hold the content, easing on
    assert r["kept"] == r["grown"]
    assert r["shrunk"][1] < r["grown"][1] and r["shrunk"][1] > 1
    assert r["restart"][0] < 4 < 6 < r["restart"][1] and r["restartShown"] == r["restart"]


@pytest.mark.parametrize("dim", [1, 2])
def test_the_pages_fitting_rule_is_gan_cores(lab_page, open_lab, lab_url, dim):
    # The page frames with gan_core.engine.framing's rule (the report does too): same data, same window.
    from gan_core.engine.framing import fit_window

    page = lab_page
    open_lab(page, lab_url)
    rng = np.random.default_rng(dim)
    cases = [((5.0, 11.0, 0.0, 1.0) if dim == 1 else (-3.0, 3.0, -3.0, 3.0), rng.normal(0.3, 0.4, (512, dim))),
             ((-1.0, 1.0, -1.0, 1.0), np.vstack([rng.normal(4.0, 0.2, (500, dim)), np.full((12, dim), 900.0)])),
             ((-1.0, 1.0, -1.0, 1.0), np.full((64, dim), 5e3))]  # past the zoom-out limit: the target's box
    for bounds, fake in cases:
        got = page.evaluate("""async ([bounds, fake, dim]) => {
          const { fitWindow } = await import('./static/views/framing.js');
          return fitWindow(bounds, Float32Array.from(fake), dim, window.__toygan.schema['x-view'].window);
        }""", [list(bounds), fake.astype(np.float32).ravel().tolist(), dim])
        want = fit_window(bounds, fake.astype(np.float32), dim)
        assert got == pytest.approx(want, rel=1e-5, abs=1e-5), (bounds, got, want)

"""The classroom and compare mode in the page, against a real server: a teacher shares, a viewer's
page follows the teacher's run read-only and forks its own copy; two experiments side by side with
one legend, B's differences in words, a shareable link, stacked on a phone."""

from __future__ import annotations

import json
import re

import pytest

pytestmark = pytest.mark.browser

ITERATION = "Number(document.querySelector('[data-testid=iteration]').textContent)"


def sharing(page, open_lab, url):
    """The teacher's page, sharing: returns the join code its panel shows."""
    open_lab(page, url + "#p=ring-collapse", timeout_ms=120000)  # the first page may wait for the workers to start
    page.click("[data-testid=share-class]")
    page.wait_for_function("/^[0-9A-Z]{5}-[0-9A-Z]{5}$/.test("
                           "document.querySelector('[data-testid=class-code]').textContent)", timeout=15000)
    return page.inner_text("[data-testid=class-code]")


def watching(browser, url, code, width=1280, height=800):
    ctx = browser.new_context(viewport={"width": width, "height": height})
    v = ctx.new_page()
    v.errors = []
    v.on("pageerror", lambda e: v.errors.append(str(e)))
    v.goto(url + f"?watch={code}")
    v.wait_for_function("window.__toygan && window.__toygan.config && window.__toygan.classroom.role === 'viewer'",
                        timeout=30000)
    return ctx, v


def test_the_share_panel_shows_the_code_the_link_a_qr_code_and_the_viewers(lab_page, lab_browser, open_lab, lab_url):
    page = lab_page
    code = sharing(page, open_lab, lab_url)
    link = page.input_value("[data-testid=class-url]")
    assert link == f"{lab_url}?watch={code}", "the link uses the host the page was opened on"
    # 127.0.0.1 is each student's own machine: the panel says what to do instead.
    hint = page.inner_text("[data-testid=class-hint]")
    assert "0.0.0.0" in hint and "network address" in hint
    # The QR code was drawn here: dark and light modules on the canvas, the link encoded in it.
    qr = page.evaluate("""async (link) => {
        const c = document.querySelector('[data-testid=class-qr]');
        const px = c.getContext('2d').getImageData(0, 0, c.width, c.height).data;
        let dark = 0;
        for (let i = 0; i < px.length; i += 4) if (px[i] < 128) dark++;
        const { qrMatrix } = await import('./static/qr.js');
        const n = qrMatrix(link).length;
        return { dark, total: px.length / 4, width: c.width, n };
    }""", link)
    assert 0.2 < qr["dark"] / qr["total"] < 0.6 and qr["width"] % (qr["n"] + 8) == 0
    assert "0 students watching" in page.inner_text("[data-testid=class-viewers]")
    ctx, viewer = watching(lab_browser, lab_url, code)
    page.wait_for_function("document.querySelector('[data-testid=class-viewers]').textContent.startsWith('1 student')",
                           timeout=10000)
    assert "1 watching" in page.inner_text("[data-testid=share-class]")
    # The wider button keeps the laptop's header one row: every item crosses one horizontal line.
    spans = page.evaluate("[...document.querySelector('.topbar').children].filter((e) => e.getClientRects().length)"
                          ".map((e) => { const r = e.getBoundingClientRect(); return [r.top, r.bottom]; })")
    assert max(top for top, _ in spans) < min(bottom for _, bottom in spans), spans
    ctx.close()
    page.click("[data-testid=class-stop]")
    page.wait_for_function("!window.__toygan.classroom.share")
    assert page.inner_text("[data-testid=share-class]") == "Share with class"
    assert page.errors == []


def test_a_viewer_page_follows_the_teacher_read_only_and_forks_its_own_copy(lab_page, lab_browser, open_lab, lab_url):
    page = lab_page
    code = sharing(page, open_lab, lab_url)
    page.click("[data-testid=play]")
    page.wait_for_function(f"{ITERATION} > 5", timeout=20000)
    ctx, v = watching(lab_browser, lab_url, code)
    banner = v.inner_text("[data-testid=viewer-banner]")
    assert "Watching" in banner and "read-only" in banner and code in banner
    # A first visit, but no "press Play" guide: a student watching cannot play.
    assert v.is_hidden("[data-testid=guide]") and v.is_visible("[data-testid=story]")
    # The teacher's iteration advances on the viewer's page, with the curves from the start.
    start = v.evaluate(ITERATION)
    v.wait_for_function(f"{ITERATION} > {start + 20}", timeout=30000)
    first = "window.__toygan.history.losses.iteration[0]"
    assert v.evaluate(first) == page.evaluate(first) <= 1, "the viewer's curves start where the teacher's do"
    assert v.evaluate("window.__toygan.preset") == "ring-collapse"
    # Read-only: the controls that would change the experiment are off, and keys send nothing.
    assert v.evaluate("document.getElementById('form').inert") is True
    v.locator("body").press("r")  # reset, for an owner
    v.wait_for_function("document.querySelector('[data-testid=notice]').textContent.includes('make your own copy')")
    assert v.evaluate(ITERATION) > start, "the teacher's run was not reset"
    page.click("[data-testid=pause]")
    page.wait_for_function("document.querySelector('[data-testid=status]').textContent.includes('Paused')")
    v.wait_for_function("document.querySelector('[data-testid=status]').textContent.includes('Paused')", timeout=10000)
    at = int(page.inner_text("[data-testid=iteration]"))
    v.wait_for_function(f"{ITERATION} === {at}", timeout=10000)
    # Make my own copy: an own session from exactly where the class is.
    v.click("[data-testid=fork]")
    v.wait_for_function("window.__toygan.classroom.role === 'owner'", timeout=30000)
    assert v.is_hidden("[data-testid=viewer-banner]")
    assert "watch=" not in v.url and "#" in v.url, "the address is the copy's experiment now"
    assert v.evaluate(ITERATION) == at and v.evaluate("document.getElementById('form').inert") is False
    v.click("[data-testid=step]")
    v.wait_for_function(f"{ITERATION} === {at + 1}", timeout=10000)
    page.wait_for_timeout(500)
    assert int(page.inner_text("[data-testid=iteration]")) == at, "the copy trains on its own"
    assert v.errors == [] and page.errors == []
    ctx.close()


def test_an_unknown_code_says_so_and_offers_an_own_lab(lab_browser, lab_url):
    ctx = lab_browser.new_context(viewport={"width": 1280, "height": 800})
    v = ctx.new_page()
    v.goto(lab_url + "?watch=ZZZZZ-ZZZZZ")
    v.wait_for_function("window.__toygan && window.__toygan.classroom.stream === 'unknown'", timeout=30000)
    assert "No class is sharing the code" in v.inner_text("[data-testid=viewer-banner]")
    assert v.is_visible("[data-testid=own-lab]")
    ctx.close()


def test_compare_mode_shows_two_views_one_legend_and_the_difference_in_words(lab_page, open_lab, lab_url, lab_browser):
    page = lab_page
    open_lab(page, lab_url)
    page.click("[data-testid=mode-compare]")
    page.wait_for_function("window.__toygan.compare.active", timeout=15000)
    page.select_option("[data-testid=comparison]", "unrolled-vs-vanilla")
    page.wait_for_function("window.__toygan.compare.info && window.__toygan.compare.info.name === 'unrolled-vs-vanilla'",
                           timeout=15000)
    assert page.is_visible("[data-testid=view-2d]") and page.is_visible("[data-testid=view-2d-b]")
    # A laptop's panes (1280x800, the guide dismissed) are tall and narrow: the legend goes under each
    # plot, which then spans the pane (beside it the plot had 55% of the pane's width).
    page.set_viewport_size({"width": 1280, "height": 800})
    page.evaluate("window.__toygan.setGuide(false)")
    page.wait_for_timeout(300)
    used = page.evaluate("""async () => {
        const { plotLayout } = await import('./static/views/legend2d.js');
        return ['view-2d', 'view-2d-b'].map((id) => {
          const c = document.querySelector(`[data-testid=${id}]`);
          return [c.clientWidth, c.clientHeight, plotLayout(c.clientWidth, c.clientHeight)];
        });
    }""")
    for w, h, lay in used:
        assert lay["under"] and lay["side"] >= 0.8 * w and lay["side"] <= h, used
    assert page.inner_text("[data-testid=pane-label-a]") == "A · ring-collapse"
    assert page.inner_text("[data-testid=pane-label-b]") == "B · ring-unrolled"
    assert page.inner_text("[data-testid=compare-diff]").strip() == "B: look-ahead (unrolled D steps) 5 instead of 0"
    assert "5 updates later" in page.inner_text("[data-testid=compare-story]")
    page.click("[data-testid=step]")
    page.click("[data-testid=step]")
    page.wait_for_function(f"{ITERATION} === 2", timeout=20000)
    page.wait_for_function("window.__toygan.compare.frame && window.__toygan.compare.frame.header.iteration === 2",
                           timeout=20000)
    # One window for both panes, fitted to both runs' samples: the same axes, and the server is asked for
    # D over a window that holds B's samples too, so B's surface fills B's pane as A's fills A's. B's
    # samples are moved 5 right and 5 up, out of A's window (until the next B frame replaces them).
    page.evaluate("""(() => { const c = window.__toygan.compare, f = c.frame;
        const data = Float32Array.from(f.arrays.fake.data, (v) => v + 5);
        c.frame = { ...f, arrays: { ...f.arrays, fake: { ...f.arrays.fake, data } } };
        window.__toygan.requestRender(); })()""")
    page.wait_for_function("""(() => { const a = window.__toygan, A = a.views['2d'], B = a.compare.views['2d'];
        const near = (u, v) => u && v && u.length === v.length && u.every((x, i) => Math.abs(x - v[i]) < 1e-6);
        return A.frameWindow[1] > 5 && A.frameWindow[3] > 5 && near(A.frameWindow, B.frameWindow)
          && a.sentWindow[1] > 5 && a.sentWindow[3] > 5; })()""", timeout=20000)
    # One chart, one legend, both runs in it.
    page.wait_for_function("document.querySelectorAll('[data-testid=view-losses] .legend .traces').length === 4",
                           timeout=10000)
    assert page.locator("[data-testid=view-losses] .legend").count() == 1
    names = page.eval_on_selector_all("[data-testid=view-losses] .legend .traces text", "ts => ts.map(t => t.textContent)")
    assert set(names) == {"A D loss", "A G loss", "B D loss", "B G loss"}
    # Edit B: the form shows B's settings and changes B only.
    page.click("[data-testid=edit-b]")
    assert page.input_value("[data-testid=\"field-training.unroll\"]") == "5"
    page.fill("[data-testid=lr-d]", "0.002")
    page.locator("[data-testid=lr-d]").press("Enter")
    page.wait_for_function("window.__toygan.compare.info.b.optimizer_d.lr === 0.002", timeout=10000)
    assert page.evaluate("window.__toygan.config.optimizer_d.lr") == 0.001
    assert "discriminator optimizer learning rate 0.002 instead of 0.001" in page.inner_text("[data-testid=compare-diff]")
    # The link holds both experiments: another page opens the same comparison.
    page.wait_for_function("location.hash.includes('b=')")
    link = page.url
    other = lab_browser.new_context(viewport={"width": 1280, "height": 800}).new_page()
    open_lab(other, link)
    other.wait_for_function("window.__toygan.compare.active", timeout=15000)
    b = other.evaluate("window.__toygan.compare.info")
    assert b["b"]["training"]["unroll"] == 5 and b["b"]["optimizer_d"]["lr"] == 0.002 and b["name"] == "unrolled-vs-vanilla"
    other.context.close()
    page.click("[data-testid=mode-lab]")
    page.wait_for_function("!window.__toygan.compare.active", timeout=10000)
    assert page.is_hidden("[data-testid=view-samples-b]") and "b=" not in page.url
    assert page.errors == []


@pytest.mark.parametrize("width, height, side_by_side", [(1920, 1080, True), (390, 844, False)])
def test_the_panes_sit_side_by_side_on_a_projector_and_stack_on_a_phone(lab_browser, open_lab, lab_url, width, height,
                                                                        side_by_side):
    ctx = lab_browser.new_context(viewport={"width": width, "height": height})
    page = ctx.new_page()
    open_lab(page, lab_url + "#p=dirac-simultaneous")
    page.click("[data-testid=mode-compare]")
    page.select_option("[data-testid=comparison]", "simultaneous-vs-alternating")
    page.wait_for_function("window.__toygan.compare.info && window.__toygan.compare.info.name", timeout=15000)
    a = page.locator("[data-testid=view-samples]").bounding_box()
    b = page.locator("[data-testid=view-samples-b]").bounding_box()
    assert a["width"] > 150 and b["width"] > 150 and a["height"] > 150 and b["height"] > 150
    if side_by_side:
        assert abs(a["y"] - b["y"]) < 2 and b["x"] >= a["x"] + a["width"]
    else:
        assert b["y"] >= a["y"] + a["height"] and abs(a["x"] - b["x"]) < 2
    assert "update order alternating instead of simultaneous" in page.inner_text("[data-testid=compare-diff]")
    ctx.close()


def test_the_differences_in_words_for_every_built_in_comparison(lab_page, open_lab, lab_url):
    page = open_lab(lab_page, lab_url)
    said = page.evaluate("""async () => {
        const { differences } = await import('./static/compare-words.js');
        const schema = await (await fetch('api/schema')).json();
        const presets = await (await fetch('api/presets')).json();
        const comparisons = await (await fetch('api/comparisons')).json();
        // A preset's full config comes from the server: ask it through the sessions' own rule.
        const full = (name) => new Promise((resolve) => {
            const ws = new WebSocket(location.origin.replace('http', 'ws') + '/ws');
            ws.onopen = () => ws.send(JSON.stringify({ type: 'hello', preset: name }));
            ws.onmessage = (e) => { if (typeof e.data === 'string' && JSON.parse(e.data).type === 'ready') {
                resolve(JSON.parse(e.data).config); ws.close(); } };
        });
        const out = {};
        for (const c of comparisons) out[c.name] = differences(schema, await full(c.a), await full(c.b));
        return { out, presets: presets.length };
    }""")["out"]
    assert said["unrolled-vs-vanilla"] == ["look-ahead (unrolled D steps) 5 instead of 0"]
    assert said["simultaneous-vs-alternating"] == ["update order alternating instead of simultaneous"]
    assert said["non-saturating-vs-saturating"] == ["objective non-saturating instead of minimax"]
    assert said["two-timescale-vs-lagging"] == ["discriminator optimizer learning rate 0.005 instead of 0.001"]
    assert said["mlp-vs-line"] == ["generator network mlp (units per layer 32) instead of affine",
                                    "noise (z) noise dimensions 2 instead of 1"]
    assert "objective wgan-gp (gradient penalty weight λ 0.1) instead of non-saturating" in said["wgan-gp-vs-vanilla"]
    assert all(said.values()), json.dumps(said)
    assert all(re.fullmatch(r".+ instead of .+", s) for v in said.values() for s in v)

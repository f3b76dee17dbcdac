"""What a student sees first: the guide (shown once, dismissed for good, reopenable), the help
overlay, each preset's story in full at 1280x800, the step budget that pauses exactly there, and
a phone-sized page without sideways scrolling. Real Chromium against a real server."""

from __future__ import annotations

import time

import pytest

pytestmark = pytest.mark.browser

GUIDE_KEY = "toygan.guide.dismissed"


def new_page(browser, width=1280, height=800, dismissed=True):
    context = browser.new_context(viewport={"width": width, "height": height})
    if dismissed:
        # (about:blank has no storage: open_lab passes through it)
        context.add_init_script(f"try {{ localStorage.setItem('{GUIDE_KEY}', '1'); }} catch {{}}")
    page = context.new_page()
    page.errors = []
    page.on("pageerror", lambda e: page.errors.append(str(e)))
    return page


def iteration(page) -> int:
    return int(page.inner_text("[data-testid=iteration]"))


def test_the_guide_shows_on_a_first_visit_and_stays_dismissed(lab_browser, open_lab, lab_url):
    page = new_page(lab_browser, dismissed=False)
    try:
        open_lab(page, lab_url)
        guide = page.locator("[data-testid=guide]")
        assert guide.is_visible()
        text = guide.inner_text()
        # Press Play; what the dots and colours mean, in sentences; where the presets are.
        assert "Play" in text and "black dots are real data" in text and "blue dots" in text
        assert "orange" in text and "purple" in text and "Preset menu" in text
        page.click("[data-testid=guide-dismiss]")
        assert guide.is_hidden()
        page.reload()
        page.wait_for_function("window.__toygan && window.__toygan.config")
        assert guide.is_hidden(), "the guide came back after it was dismissed"
        # It can be reopened from the help overlay, and Escape closes it again.
        page.click("[data-testid=help-open]")
        page.click("[data-testid=help-guide]")
        assert guide.is_visible() and page.locator("[data-testid=help]").is_hidden()
        page.locator("body").press("Escape")
        assert guide.is_hidden()
        assert page.errors == []
    finally:
        page.context.close()


def test_the_guides_legend_follows_the_view(lab_browser, open_lab, lab_url):
    page = new_page(lab_browser, dismissed=False)
    try:
        open_lab(page, lab_url + "#p=bimodal-averaging")
        page.wait_for_function("document.querySelector('[data-testid=guide]').innerText.includes('grey hill')")
        assert "D: near 1" in page.inner_text("[data-testid=guide]")
    finally:
        page.context.close()


def test_question_mark_opens_the_shortcuts_and_escape_closes_them(lab_page, open_lab, lab_url):
    page = lab_page
    open_lab(page, lab_url)
    help_ = page.locator("[data-testid=help]")
    assert help_.is_hidden()
    page.locator("body").press("?")
    assert help_.is_visible()
    keys = page.inner_text("[data-testid=help]")
    for words in ("Space", "Play or pause", "→", "One iteration", "R", "Reset", "Esc"):
        assert words in keys, words
    page.keyboard.press("Escape")
    assert help_.is_hidden()
    page.click("[data-testid=help-open]")  # the header's "?" button too
    assert help_.is_visible()
    page.click("[data-testid=help-close]")
    assert help_.is_hidden()
    # "?" typed into a field is a character, not a shortcut.
    page.focus("[data-testid=lr-d]")
    page.keyboard.press("?")
    assert help_.is_hidden()
    assert page.errors == []


def test_every_story_is_whole_at_1280x800_and_a_preset_load_covers_nothing(lab_browser, open_lab, lab_url):
    page = new_page(lab_browser, 1280, 800)
    try:
        open_lab(page, lab_url)
        presets = page.evaluate("window.__toygan.presets")
        for p in presets:
            page.select_option("[data-testid=preset]", p["name"])
            page.wait_for_function(f"window.__toygan.config && window.__toygan.preset === '{p['name']}'"
                                   f" && document.querySelector('[data-testid=preset-description]').textContent"
                                   f".length === {len(p['description'])}")
            page.wait_for_timeout(150)  # a notice, if one were shown, would be up by now
            got = page.evaluate("""(() => {
              const d = document.querySelector('[data-testid=preset-description]');
              const story = document.querySelector('[data-testid=story]').getBoundingClientRect();
              return {bottom: story.bottom, top: story.top, scroll: d.scrollHeight, client: d.clientHeight,
                      overflowY: getComputedStyle(d).overflowY, budget: document.querySelector('[data-testid=budget]').textContent,
                      notice: !document.querySelector('[data-testid=notice]').hidden};
            })()""")
            assert got["bottom"] <= 800 and got["top"] >= 0, (p["name"], got)
            assert got["scroll"] <= got["client"] + 1 and got["overflowY"] != "scroll", (p["name"], got)
            assert f"{p['steps']:,} iterations" in got["budget"], (p["name"], got["budget"])
            assert not got["notice"], f"{p['name']}: a notice covers the page on a preset load"
        assert page.errors == []
    finally:
        page.context.close()


def test_a_preset_pauses_exactly_at_its_budget_and_offers_to_go_on(lab_browser, open_lab, lab_url):
    page = new_page(lab_browser)
    try:
        open_lab(page, lab_url + "#p=dirac-alternating")  # budget 500, speed 60 it/s
        assert "500 iterations" in page.inner_text("[data-testid=budget]")
        page.wait_for_function("window.__toygan.speed === 60")
        assert page.input_value("[data-testid=speed]") == "60"
        # The preset's speed holds it back (an upper bound only: a loaded machine is slower, never faster).
        start = time.monotonic()
        page.click("[data-testid=play]")
        page.wait_for_timeout(1500)
        page.click("[data-testid=pause]")
        page.wait_for_function("document.querySelector('[data-testid=status]').dataset.state === 'paused'")
        elapsed = time.monotonic() - start
        done = page.evaluate("window.__toygan.iteration")
        assert 0 < done <= 60 * elapsed + 10, (done, elapsed)
        # At full speed it still stops at exactly 500, and says so.
        page.select_option("[data-testid=speed]", "")
        page.wait_for_function("window.__toygan.speed === null")
        page.click("[data-testid=play]")
        notice = page.locator("[data-testid=budget-notice]")
        notice.wait_for(state="visible", timeout=30000)
        page.wait_for_function("document.querySelector('[data-testid=status]').dataset.state === 'paused'")
        page.wait_for_function("Number(document.querySelector('[data-testid=iteration]').textContent) === 500")
        page.wait_for_timeout(400)
        assert iteration(page) == 500 and page.evaluate("window.__toygan.iteration") == 500
        assert "500" in notice.inner_text() and "budget" in notice.inner_text()
        page.click("[data-testid=budget-continue]")
        page.wait_for_function("Number(document.querySelector('[data-testid=iteration]').textContent) > 520")
        assert notice.is_hidden()
        page.click("[data-testid=pause]")
        assert page.errors == []
    finally:
        page.context.close()


@pytest.mark.parametrize("preset", ["", "ring-collapse", "saturating-stall", "dirac-alternating"])
def test_a_phone_never_scrolls_sideways_and_the_settings_are_a_drawer(lab_browser, open_lab, lab_url, preset):
    page = new_page(lab_browser, 390, 844, dismissed=bool(preset))  # the first screen with its guide
    try:
        open_lab(page, lab_url + (f"#p={preset}" if preset else ""))
        page.wait_for_function("window.__toygan.renderCount > 0 || window.__toygan.frame")
        width = page.evaluate("[document.documentElement.scrollWidth, document.body.scrollWidth]")
        assert max(width) <= 390, f"the page is {width} px wide on a 390 px phone"
        # The main view fits the screen; the settings are out of the way until asked for.
        view = page.locator("[data-testid=view-samples]").bounding_box()
        assert view["x"] >= 0 and view["x"] + view["width"] <= 390 and view["height"] >= 200
        drawer = page.locator("[data-testid=controls-drawer]")
        assert drawer.bounding_box()["x"] + drawer.bounding_box()["width"] <= 0, "the settings cover the page"
        page.click("[data-testid=drawer-toggle]")
        page.wait_for_timeout(350)  # the slide-in
        box = drawer.bounding_box()
        assert box["x"] >= 0 and box["x"] + box["width"] <= 390
        assert box["height"] >= 800, "the drawer is the screen's height, not a small scroll box"
        assert page.locator("[data-testid=lr-d]").is_visible()
        page.keyboard.press("Escape")
        page.wait_for_timeout(350)
        assert drawer.bounding_box()["x"] + drawer.bounding_box()["width"] <= 0
        assert max(page.evaluate("[document.documentElement.scrollWidth, document.body.scrollWidth]")) <= 390
        assert page.errors == []
    finally:
        page.context.close()


# Rows of a bar: its visible children grouped by where they sit (a child in the same row overlaps
# the first one of that row vertically). [height of the bar, its vertical padding, rows, tallest child].
BAR_ROWS = """(sel) => {
  const bar = document.querySelector(sel);
  const kids = [...bar.children].filter((c) => c.getClientRects().length)
    .map((c) => c.getBoundingClientRect()).sort((a, b) => a.top - b.top);
  const rows = [];
  for (const k of kids) {
    const row = rows.find((r) => k.top < r.bottom - 1);
    if (row) row.bottom = Math.max(row.bottom, k.bottom); else rows.push({ top: k.top, bottom: k.bottom });
  }
  const cs = getComputedStyle(bar);
  return [bar.getBoundingClientRect().height, parseFloat(cs.paddingTop) + parseFloat(cs.paddingBottom)
    + parseFloat(cs.borderTopWidth) + parseFloat(cs.borderBottomWidth), rows.length,
    Math.max(...kids.map((k) => k.height))];
}"""


@pytest.mark.parametrize("width", [1280, 1024])
def test_the_its_readout_does_not_move_the_header(lab_page, open_lab, lab_url, width):
    page = lab_page
    page.set_viewport_size({"width": width, "height": 800})
    open_lab(page, lab_url + ("#p=saturating-stall" if width == 1280 else ""))
    assert page.evaluate("document.documentElement.scrollWidth") <= width
    # Measured, shown and measured again in one task: no frame can repaint the counter in between.
    got = page.evaluate("""(() => {
      const measure = () => [document.querySelector('.topbar').offsetHeight,
        document.querySelector('[data-testid=preset]').getBoundingClientRect().left,
        document.querySelector('.topbar h1').getClientRects().length];
      const app = window.__toygan;
      const before = measure();
      app.running = true; app.its = 12345; app.paint('counter');
      const shown = document.querySelector('[data-testid=its]').textContent;
      const after = measure();
      app.running = false; app.its = null; app.paint('counter');
      return {before, after, shown};
    })()""")
    assert got["shown"] == "12345 it/s"
    assert got["after"] == got["before"] and got["after"][2] == 1, got  # same height, same place, title on one line
    if width == 1280:
        # A laptop and a projector: the header is one row (its height is one row's, while the rate and
        # the wait for a preset's full run show too); the view bar takes two rows at most on the laptop
        # (what shows and how fast; the layers) and one on the projector.
        # Set again at each poll: the preset's name and the server's status (paused) may still arrive
        # after the page opened, and either repaints the counter.
        page.wait_for_function("(() => { const app = window.__toygan; app.running = true; app.its = 12345;"
                               " app.paint('counter'); return document.querySelector('[data-testid=preset-wait]')"
                               ".textContent.endsWith('min left'); })()", timeout=30000)
        for size, view_rows in [((1280, 800), 2), ((1920, 1080), 1)]:
            page.set_viewport_size({"width": size[0], "height": size[1]})
            page.wait_for_timeout(100)
            height, padding, rows, tallest = page.evaluate(BAR_ROWS, ".topbar")
            assert rows == 1 and height <= tallest + padding + 1, (size, height, padding, rows, tallest)
            assert page.evaluate(BAR_ROWS, ".view-bar")[2] <= view_rows, size
            assert page.evaluate("document.documentElement.scrollWidth") <= size[0]
        page.evaluate("(() => { const app = window.__toygan; app.running = false; app.its = null; app.paint('counter'); })()")


def test_a_link_the_page_wrote_plays_the_preset_at_its_speed(lab_browser, open_lab, lab_url):
    page = new_page(lab_browser)
    try:
        open_lab(page, lab_url + "#p=dirac-r1")
        page.wait_for_function("location.hash.includes('c=') && window.__toygan.speed === 60")
        link = page.url  # the preset's config travels in c=, so the server never hears its name
        open_lab(page, link)
        page.wait_for_function("window.__toygan.speed === 60", timeout=10000)
        assert page.input_value("[data-testid=speed]") == "60"
        assert "500 iterations" in page.inner_text("[data-testid=budget]")
    finally:
        page.context.close()

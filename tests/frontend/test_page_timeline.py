"""Nothing is lost, and time can be rewound (issue 16), in the real page against a real server: a
reload resumes the session with its curves; an import restores curves and preset; dragging the
timeline back shows the past; a change there branches, drawn beside the original."""

from __future__ import annotations

import json

import pytest

pytestmark = pytest.mark.browser

APP = "window.__toygan"


def iteration(page) -> int:
    return int(page.inner_text("[data-testid=iteration]"))


def wait_iteration(page, js_op: str, timeout_ms: int = 60000) -> None:
    page.wait_for_function(f"Number(document.querySelector('[data-testid=iteration]').textContent) {js_op}",
                           timeout=timeout_ms)


def train_to(page, n: int) -> None:
    """Play until iteration n at least, then pause and wait for the paused frame."""
    page.click("[data-testid=play]")
    wait_iteration(page, f">= {n}")
    page.click("[data-testid=pause]")
    page.wait_for_function("document.querySelector('[data-testid=status]').dataset.state === 'paused'")
    page.wait_for_function(f"{APP}.rewind.info && {APP}.rewind.info.extent === {APP}.iteration")


def losses(page) -> list[int]:
    return page.evaluate(f"{APP}.history.losses.iteration")


def drag_slider_to(page, fraction: float) -> None:
    """Press the timeline's thumb (at the right end: the newest iteration), drag it, let go."""
    box = page.locator("[data-testid=timeline-slider]").bounding_box()
    y = box["y"] + box["height"] / 2
    page.mouse.move(box["x"] + box["width"] - 7, y)
    page.mouse.down()
    for i in range(1, 11):  # a hand moves in steps: each sends a preview seek (throttled)
        page.mouse.move(box["x"] + box["width"] - 7 - i * (1 - fraction) * (box["width"] - 14) / 10, y)
        page.wait_for_timeout(40)
    page.mouse.up()


def trace_names(page, testid: str) -> list[str]:
    return page.evaluate(f"document.querySelector('[data-testid={testid}]').data.map(t => t.name)")


def test_a_reload_mid_training_resumes_the_session_with_its_curves(lab_page, open_lab, lab_browser, lab_url):
    page = lab_page
    open_lab(page, lab_url)
    page.click("[data-testid=play]")
    wait_iteration(page, "> 300")
    page.wait_for_function(f"{APP}.history.metrics.iteration.length >= 2", timeout=20000)
    before = iteration(page)
    token = page.evaluate("sessionStorage.getItem('toygan.resume')")
    assert token and token not in page.url  # kept by the tab, never in a link
    page.reload()
    page.wait_for_function(f"{APP} && {APP}.config && {APP}.history.losses.iteration.length > 0", timeout=30000)
    page.wait_for_function("document.querySelector('[data-testid=notice]').textContent.includes('Resumed')")
    # The same session, still running, at or past where it was; curves complete from the start.
    page.wait_for_function("document.querySelector('[data-testid=status]').dataset.state === 'running'")
    assert iteration(page) >= before
    its = losses(page)
    assert its[0] == 1 and its[-1] >= before, (its[:3], its[-3:])
    assert page.evaluate(f"{APP}.history.metrics.iteration.length") >= 2
    page.wait_for_function("document.querySelector('[data-testid=view-losses]').data"
                           " && document.querySelector('[data-testid=view-losses]').data[0].x.length > 50")
    # A second tab with the same link starts its own session: a link never hands one over.
    other = lab_browser.new_context(viewport={"width": 1280, "height": 720}).new_page()
    try:
        open_lab(other, page.url)
        other.wait_for_function(f"{APP}.socket.token")
        assert other.evaluate(f"{APP}.socket.token") != page.evaluate(f"{APP}.socket.token")
        assert iteration(other) == 0
    finally:
        other.context.close()
    assert page.errors == []


def test_an_import_restores_the_curves_and_the_preset_label(lab_page, open_lab, lab_url, tmp_path):
    page = lab_page
    open_lab(page, lab_url)
    page.select_option("[data-testid=preset]", "ring-collapse")
    page.wait_for_function(f"{APP}.config && {APP}.preset === 'ring-collapse' && {APP}.rewind.info"
                           f" && {APP}.rewind.info.extent === 0")
    train_to(page, 200)
    page.wait_for_function(f"{APP}.history.metrics.iteration.length >= 2", timeout=20000)
    with page.expect_download() as dl:
        page.click("[data-testid=export-experiment]")
    saved = tmp_path / "experiment.json"
    dl.value.save_as(saved)
    data = json.loads(saved.read_text())
    assert data["version"] == 3 and data["preset"] == "ring-collapse" and len(data["metrics"]) >= 2

    open_lab(page, lab_url)  # opened anew: a fresh session, default experiment
    assert iteration(page) == 0 and page.input_value("[data-testid=preset]") == ""
    page.set_input_files("[data-testid=import]", str(saved))
    page.wait_for_function(f"{APP}.preset === 'ring-collapse' && {APP}.iteration === {data['iteration']}")
    assert page.input_value("[data-testid=preset]") == "ring-collapse"
    assert iteration(page) == data["iteration"]
    notice = page.inner_text("[data-testid=notice]")
    assert "Imported" in notice and str(data["iteration"]) in notice and "restarted" not in notice
    # The curves are exactly the saved ones.
    page.wait_for_function(f"{APP}.history.losses.iteration.length === {len(data['history'])}")
    assert losses(page) == [p["iteration"] for p in data["history"]]
    assert page.evaluate(f"{APP}.history.metrics.iteration") == [m["iteration"] for m in data["metrics"]]
    assert page.errors == []


def test_dragging_the_timeline_back_shows_the_past_and_play_goes_on_from_there(lab_page, open_lab, lab_url):
    page = lab_page
    open_lab(page, lab_url)
    train_to(page, 400)
    end = iteration(page)
    page.wait_for_function(f"{APP}.renderCount > 0")
    now = page.eval_on_selector("[data-testid=view-2d]", "c => c.toDataURL()")
    drag_slider_to(page, 0.25)
    # Let go: the exact iteration, replayed from its checkpoint; the view and the curves follow.
    page.wait_for_function(f"{APP}.rewind.replayTo === null && {APP}.rewind.scrub === null"
                           f" && {APP}.iteration < {end // 2}", timeout=30000)
    at = iteration(page)
    assert 0 < at < end // 2
    page.wait_for_function(f"{APP}.frame.header.iteration === {at}")
    page.wait_for_timeout(300)  # a frame drawn
    assert page.eval_on_selector("[data-testid=view-2d]", "c => c.toDataURL()") != now
    assert f"iteration {at} of {end}" in page.inner_text("[data-testid=timeline-text]")
    page.wait_for_function("(document.querySelector('[data-testid=view-losses]').layout.shapes || []).length === 1")
    assert page.evaluate("document.querySelector('[data-testid=view-losses]').layout.shapes[0].x0") == at
    assert page.locator("[data-testid=timeline-latest]").is_visible()
    # The timeline's longer text takes room from the curves: paused, they are drawn again at their
    # cells' new size (not cut off at the bottom).
    page.wait_for_function("['view-losses', 'view-metrics'].every(id => { const d = document.getElementById(id);"
                           " return Math.abs(d.layout.height - d.clientHeight) <= 1; })", timeout=5000)
    # Play from there: the original run goes on (a rewind, not a branch).
    page.click("[data-testid=play]")
    wait_iteration(page, f"> {end + 20}")
    page.click("[data-testid=pause]")
    assert page.evaluate(f"{APP}.rewind.info.branches.length") == 1
    assert page.locator("[data-testid=timeline-branches]").is_hidden()
    assert page.errors == []


def test_a_change_after_going_back_branches_and_both_lines_are_drawn_labelled(lab_page, open_lab, lab_url):
    page = lab_page
    open_lab(page, lab_url)
    train_to(page, 300)
    end = iteration(page)
    drag_slider_to(page, 0.4)
    page.wait_for_function(f"{APP}.rewind.replayTo === null && {APP}.rewind.scrub === null"
                           f" && {APP}.iteration < {end}", timeout=30000)
    fork = iteration(page)
    page.fill("[data-testid=lr-g]", "0.004")
    page.press("[data-testid=lr-g]", "Enter")
    page.wait_for_function("document.querySelector('[data-testid=notice]').textContent.includes('new branch')")
    page.locator("[data-testid=branch-1]").wait_for(state="visible")
    assert f"at {fork}" in page.inner_text("[data-testid=branch-1]")
    page.click("[data-testid=play]")
    wait_iteration(page, f"> {fork + 60}")
    page.click("[data-testid=pause]")
    # Both runs in the curves, each labelled: the original dashed, the branch solid.
    page.wait_for_function("document.querySelector('[data-testid=view-losses]').data"
                           ".some(t => t.name === 'original')", timeout=10000)
    names = trace_names(page, "view-losses")
    assert "original" in names and "D loss · branch 1" in names and "G loss · branch 1" in names, names
    original = page.evaluate("document.querySelector('[data-testid=view-losses]').data"
                             ".find(t => t.name === 'original')")
    assert original["line"]["dash"] == "dash" and original["x"][-1] == end
    # And back to the original, where it was left.
    page.click("[data-testid=branch-0]")
    wait_iteration(page, f"=== {end}")
    page.wait_for_function(f"{APP}.config.optimizer_g.lr === 0.001")
    assert page.get_attribute("[data-testid=branch-0]", "aria-pressed") == "true"
    assert page.errors == []

"""The settings in plain words: labels from the schema's titles (never "K D"), grouped in panels,
refusals beside their field in plain words (never a raw banner), a warning (not a refusal) for a
learning rate of 10, a log slider where a short drag is a small change, a seed shown whole, the
model strip as a way into the settings, and a classroom view without an empty column."""

from __future__ import annotations

import math

import pytest

pytestmark = pytest.mark.browser

CONFIG = "window.__toygan.config"


def wait_config(page, js_condition: str, timeout_ms: int = 15000):
    page.wait_for_function(f"(() => {{ const c = {CONFIG}; return {js_condition}; }})()", timeout=timeout_ms)


def label_of(page, path: str) -> str:
    return page.inner_text(f".field[data-key='{path}'] > label").replace("↻", "").strip()


def test_labels_are_words_for_people_grouped_in_panels(lab_page, open_lab, lab_url):
    page = lab_page
    open_lab(page, lab_url)
    assert label_of(page, "training.k_d") == "D steps per iteration"
    assert label_of(page, "training.k_g") == "G steps per iteration"
    assert label_of(page, "optimizer_d.lr") == "Learning rate"
    assert label_of(page, "training.lr_drop_at") == "Lower learning rates at iteration"
    assert label_of(page, "seed") == "Random seed"
    labels = page.eval_on_selector_all(".field > label", "ls => ls.map(l => l.textContent.replace('↻', '').trim())")
    keys = page.eval_on_selector_all(".field", "fs => fs.map(f => f.dataset.key.split('.').pop())")
    field_names = {k.replace("_", " ").title() for k in keys if "_" in k}
    assert not field_names & set(labels), field_names & set(labels)
    assert not {"K D", "K G", "Lr", "Lr Drop At", "Beta1"} & set(labels)
    panels = page.eval_on_selector_all("[data-panel]", "ps => ps.map(p => [p.dataset.panel, p.querySelector('h2').textContent])")
    assert panels == [["data", "Data"], ["networks", "Networks"], ["loss", "Loss"], ["optimisers", "Optimisers"],
                      ["training", "Training"]]
    assert page.locator("[data-panel=training] details[data-key=training]").count() == 1
    # The help text is the schema's description.
    page.focus("[data-testid=k-d]")
    assert "Discriminator updates" in page.inner_text(".field[data-key='training.k_d'] .help")


def test_a_learning_rate_of_10_is_allowed_with_a_warning_beside_it(lab_page, open_lab, lab_url):
    page = lab_page
    open_lab(page, lab_url)
    msg = page.locator("[data-testid='msg-optimizer_d.lr']")
    assert msg.is_hidden()
    page.fill("[data-testid=lr-d]", "10")
    page.press("[data-testid=lr-d]", "Enter")
    wait_config(page, "c.optimizer_d.lr === 10")  # applied, not refused
    msg.wait_for(state="visible")
    assert msg.get_attribute("data-kind") == "warning" and "0.1" in msg.inner_text()
    assert page.locator("[data-testid=error-banner]").is_hidden()
    # Beside the field: right under it, in the same settings section.
    field = page.locator(".field[data-key='optimizer_d.lr']").bounding_box()
    box = msg.bounding_box()
    assert field["y"] < box["y"] < field["y"] + field["height"]
    page.fill("[data-testid=lr-d]", "0.002")
    page.press("[data-testid=lr-d]", "Enter")
    wait_config(page, "c.optimizer_d.lr === 0.002")
    msg.wait_for(state="hidden")
    assert page.errors == []


@pytest.mark.parametrize("testid, path, typed, words", [
    ("lr-d", "optimizer_d.lr", "0", "Learning rate must be more than 0: 0 was not applied, it stays 0.001"),
    ("lr-g", "optimizer_g.lr", "-0.5", "Learning rate must be more than 0: -0.5 was not applied"),
    ("lr-d", "optimizer_d.lr", "50", "Learning rate must be at most 10: 50 was not applied"),
    ("k-d", "training.k_d", "0", "D steps per iteration must be at least 1: 0 was not applied, it stays 1"),
])
def test_a_refusal_is_shown_beside_its_field_in_plain_words(lab_page, open_lab, lab_url, testid, path, typed, words):
    page = lab_page
    open_lab(page, lab_url)
    before = page.evaluate("document.querySelector('[data-testid=view-samples]').getBoundingClientRect().top")
    page.fill(f"[data-testid={testid}]", typed)
    page.press(f"[data-testid={testid}]", "Enter")
    msg = page.locator(f"[data-testid='msg-{path}']")
    msg.wait_for(state="visible", timeout=10000)
    assert msg.get_attribute("data-kind") == "error"
    text = msg.inner_text()
    assert text.startswith(words), text
    assert "Input should" not in text and path not in text  # no raw validator text, no dotted path
    assert page.locator("[data-testid=error-banner]").is_hidden()
    # The page did not move, the control shows what runs, and the session lives on.
    assert page.evaluate("document.querySelector('[data-testid=view-samples]').getBoundingClientRect().top") == before
    page.wait_for_function(f"document.querySelector('[data-testid={testid}]').value !== {typed!r}")
    start = int(page.inner_text("[data-testid=iteration]"))
    page.click("[data-testid=step]")
    page.wait_for_function(f"Number(document.querySelector('[data-testid=iteration]').textContent) > {start}")
    # The next good change clears it.
    page.fill("[data-testid=lr-d]", "0.003")
    page.press("[data-testid=lr-d]", "Enter")
    wait_config(page, "c.optimizer_d.lr === 0.003")
    msg.wait_for(state="hidden")
    assert page.errors == []


def test_a_short_drag_of_the_learning_rate_slider_is_a_small_change(lab_page, open_lab, lab_url):
    page = lab_page
    open_lab(page, lab_url)
    slider = page.locator("[data-testid=lr-d-slider]")
    slider.scroll_into_view_if_needed()
    box = slider.bounding_box()
    assert box["width"] >= 150, f"a {box['width']:.0f} px slider over five decades jumps"
    lo, hi = (float(slider.get_attribute(a)) for a in ("min", "max"))
    value = math.log10(0.001)
    x = box["x"] + 8 + (value - lo) / (hi - lo) * (box["width"] - 16)  # the thumb (16 px wide)
    y = box["y"] + box["height"] / 2
    page.mouse.move(x, y)
    page.mouse.down()
    page.mouse.move(x + 10, y, steps=3)
    page.mouse.up()
    wait_config(page, "c.optimizer_d.lr !== 0.001")
    lr = page.evaluate(f"{CONFIG}.optimizer_d.lr")
    assert 0.001 < lr < 0.003, f"a 10 px drag took the learning rate from 0.001 to {lr}"


def test_the_seed_is_shown_whole(lab_page, open_lab, lab_url):
    page = lab_page
    open_lab(page, lab_url)
    page.fill("[data-testid=seed]", "567891")
    page.press("[data-testid=seed]", "Enter")
    wait_config(page, "c.seed === 567891")
    assert page.input_value("[data-testid=seed]") == "567891"
    page.click("[data-testid=new-seed]")
    wait_config(page, "c.seed !== 567891")
    shown = page.input_value("[data-testid=seed]")
    assert shown == str(page.evaluate(f"{CONFIG}.seed")) and "e" not in shown


def test_the_model_strip_opens_each_parts_settings_and_shows_its_key_setting(lab_page, open_lab, lab_url):
    page = lab_page
    open_lab(page, lab_url)
    assert "MLP 2×64" in page.inner_text("[data-testid=model-discriminator]")
    assert "ring of 8" in page.inner_text("[data-testid=model-samples]")
    assert "non-saturating" in page.inner_text("[data-testid=model-loss]")
    for box, section in [("model-discriminator", "discriminator"), ("model-generator", "generator"),
                         ("model-noise", "noise"), ("model-loss", "objective"), ("model-samples", "target")]:
        page.evaluate("document.querySelectorAll('details.section').forEach(d => { d.open = false; })")
        page.click(f"[data-testid={box}]")
        assert page.evaluate(f"document.querySelector('details[data-key={section}]').open"), section
        assert page.evaluate(f"document.querySelector('details[data-key={section}]').contains(document.activeElement)"), section
        assert page.locator(f"details[data-key={section}] .field:not([hidden])").first.is_visible()
    # A change shows in the box.
    page.click("[data-testid=model-discriminator]")
    page.fill("[data-testid='field-discriminator.width']", "32")
    page.press("[data-testid='field-discriminator.width']", "Enter")
    page.wait_for_function("document.querySelector('[data-testid=model-discriminator]').textContent.includes('2×32')")


def test_a_student_view_with_every_control_hidden_has_no_empty_column(lab_page, open_lab, lab_url):
    page = lab_page
    open_lab(page, lab_url)
    page.click("[data-testid=classroom-link]")
    labels = page.eval_on_selector_all("#share-options label", "ls => ls.map(l => l.textContent.trim())")
    assert "Stabilizers" in labels and "Preset menu" in labels and "D's optimizer" in labels
    assert "regularizers" not in labels and "optimizer d" not in labels
    for box in page.locator("#share-options input").all():
        box.check()
    link = page.input_value("[data-testid=share-url]")
    open_lab(page, link)
    assert page.locator("[data-testid=controls-drawer]").is_hidden()
    main = page.locator(".main-view").bounding_box()
    assert main["x"] < 20, f"the main view starts at x={main['x']}: an empty column is left of it"
    assert page.locator("[data-testid=play]").is_visible()
    assert page.errors == []

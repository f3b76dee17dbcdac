"""What travels with an experiment, in the real page against a real server: a shared link
reproduces it (and links from older schemas still open), a classroom link hides chosen controls,
a dropped connection resumes the same session, an export imports back; the form shows only the
fields of the chosen kinds. Each test waits on what the page shows, never on sleeps alone."""

from __future__ import annotations

import base64
import json
from pathlib import Path

import pytest

from gan_core.engine.config import SCHEMA_VERSION

pytestmark = pytest.mark.browser

CONFIG = "window.__toygan.config"
V1 = Path(__file__).resolve().parents[1] / "fixtures" / "schema_v1"  # written by the schema-1 lab


def wait_config(page, js_condition: str, timeout_ms: int = 15000):
    page.wait_for_function(f"(() => {{ const c = {CONFIG}; return {js_condition}; }})()", timeout=timeout_ms)


def iteration(page) -> int:
    return int(page.inner_text("[data-testid=iteration]"))


def test_shared_url_reproduces_the_experiment(lab_page, open_lab, lab_browser, lab_url):
    page = lab_page
    open_lab(page, lab_url)
    page.select_option("[data-testid=objective]", "hinge")
    wait_config(page, "c.objective.name === 'hinge'")
    page.fill("[data-testid=lr-g]", "0.005")
    page.press("[data-testid=lr-g]", "Enter")
    page.fill("[data-testid=seed]", "7")
    page.press("[data-testid=seed]", "Enter")
    wait_config(page, "c.optimizer_g.lr === 0.005 && c.seed === 7")
    page.uncheck("[data-testid=layer-arrows]")
    config = page.evaluate(CONFIG)
    url = page.url
    assert "#" in url
    other = lab_browser.new_context(viewport={"width": 1280, "height": 720}).new_page()
    try:
        open_lab(other, url)
        assert other.evaluate(CONFIG) == config
        assert other.input_value("[data-testid=objective]") == "hinge"
        assert other.input_value("[data-testid=seed]") == "7"
        assert not other.is_checked("[data-testid=layer-arrows]")
    finally:
        other.context.close()


def test_classroom_link_hides_chosen_controls(lab_page, open_lab, lab_url):
    page = lab_page
    open_lab(page, lab_url)
    page.click("[data-testid=classroom-link]")
    page.check("[data-testid=hide-regularizers]")
    page.check("[data-testid=hide-presets]")
    page.check("[data-testid=hide-draw]")
    page.uncheck("[data-testid=hide-draw]")  # changed her mind: the link forgets it
    # The link being made follows the experiment while the panel is open.
    page.fill("[data-testid=lr-g]", "0.005")
    page.press("[data-testid=lr-g]", "Enter")
    wait_config(page, "c.optimizer_g.lr === 0.005")
    link = page.input_value("[data-testid=share-url]")
    assert "hide=regularizers%2Cpresets" in link and "&c=" in link, link
    open_lab(page, link)
    assert page.evaluate(f"{CONFIG}.optimizer_g.lr") == 0.005
    assert page.locator("details[data-key=regularizers]").is_hidden()
    assert page.locator("[data-testid=preset]").is_hidden()
    assert page.locator("[data-testid=objective]").is_visible()


def test_reconnect_resumes_the_same_session(lab_page, open_lab, lab_url):
    page = lab_page
    open_lab(page, lab_url)
    page.fill("[data-testid=lr-g]", "0.004")
    page.press("[data-testid=lr-g]", "Enter")
    wait_config(page, "c.optimizer_g.lr === 0.004")
    page.click("[data-testid=step]")
    page.wait_for_function("Number(document.querySelector('[data-testid=iteration]').textContent) >= 1")
    before = iteration(page)
    page.evaluate("window.__toygan.socket.ws.close()")  # the network drops
    page.wait_for_function("document.querySelector('[data-testid=status]').dataset.state === 'reconnecting'"
                           " || document.querySelector('[data-testid=notice]').textContent.includes('Reconnected')")
    page.wait_for_function("document.querySelector('[data-testid=notice]').textContent.includes('Reconnected')",
                           timeout=15000)
    assert page.evaluate(f"{CONFIG}.optimizer_g.lr") == 0.004
    page.click("[data-testid=step]")
    page.wait_for_function(f"Number(document.querySelector('[data-testid=iteration]').textContent) === {before + 1}")


def test_export_and_reimport(lab_page, open_lab, lab_url, tmp_path):
    page = lab_page
    open_lab(page, lab_url)
    page.fill("[data-testid=lr-d]", "0.003")
    page.press("[data-testid=lr-d]", "Enter")
    wait_config(page, "c.optimizer_d.lr === 0.003")
    page.click("[data-testid=step]")
    page.wait_for_function("window.__toygan.history.losses.iteration.length > 0")
    with page.expect_download() as dl:
        page.click("[data-testid=export-config]")
    exported_config = json.loads(open(dl.value.path()).read())
    assert exported_config == page.evaluate(CONFIG)
    with page.expect_download() as dl:
        page.click("[data-testid=export-csv]")
    assert open(dl.value.path()).readline().startswith("iteration,d_loss,g_loss")
    with page.expect_download() as dl:
        page.click("[data-testid=export-experiment]")
    saved = tmp_path / "experiment.json"
    dl.value.save_as(saved)
    assert json.loads(saved.read_text())["config"]["optimizer_d"]["lr"] == 0.003
    with page.expect_download() as dl:
        page.click("[data-testid=export-png]")
    assert open(dl.value.path(), "rb").read(8) == b"\x89PNG\r\n\x1a\n"
    page.click("[data-testid=play]")
    page.click("[data-testid=export-record]")
    page.wait_for_timeout(1200)
    with page.expect_download() as dl:
        page.click("[data-testid=export-record]")
    assert open(dl.value.path(), "rb").read(4) == b"\x1a\x45\xdf\xa3"  # WebM (EBML) header
    page.click("[data-testid=pause]")

    page.fill("[data-testid=lr-d]", "0.05")
    page.press("[data-testid=lr-d]", "Enter")
    wait_config(page, "c.optimizer_d.lr === 0.05")
    page.set_input_files("[data-testid=import]", str(saved))
    wait_config(page, "c.optimizer_d.lr === 0.003")
    assert float(page.input_value("[data-testid=lr-d]")) == 0.003
    # A bare config JSON imports too.
    bare = tmp_path / "config.json"
    bare.write_text(json.dumps({**exported_config, "objective": {**exported_config["objective"], "name": "least-squares"}}))
    page.set_input_files("[data-testid=import]", str(bare))
    wait_config(page, "c.objective.name === 'least-squares'")


def visible(page, testid: str) -> bool:
    return page.locator(f"[data-testid='{testid}']").is_visible()


def choose(page, testid: str, value: str):
    """Pick `value` in a select, opening its section first (only the main sections start open)."""
    page.evaluate("t => { document.querySelector(`[data-testid='${t}']`).closest('details').open = true; }", testid)
    page.select_option(f"[data-testid='{testid}']", value)


def test_the_form_shows_only_the_fields_of_the_chosen_kind(lab_page, open_lab, lab_url):
    page = lab_page
    open_lab(page, lab_url)
    # A ring: its own fields, in its own order, none of the mixture's or the uniform's.
    assert visible(page, "field-target.modes") and visible(page, "field-target.radius")
    assert not visible(page, "field-target.means") and not visible(page, "field-target.low")
    assert page.eval_on_selector("details[data-key=target]", "d => [...d.querySelectorAll('.field')]"
                                 ".filter(f => !f.hidden).map(f => f.dataset.key)") == [
        "target.name", "target.modes", "target.radius", "target.std"]
    # Adam: betas, no momentum. Momentum SGD: momentum, no betas; its learning rate carries over.
    assert visible(page, "field-optimizer_d.beta1") and not visible(page, "field-optimizer_d.momentum")
    page.fill("[data-testid=lr-d]", "0.02")
    page.press("[data-testid=lr-d]", "Enter")
    wait_config(page, "c.optimizer_d.lr === 0.02")
    choose(page, "field-optimizer_d.name", "momentum")
    wait_config(page, "c.optimizer_d.name === 'momentum'")
    assert visible(page, "field-optimizer_d.momentum") and not visible(page, "field-optimizer_d.beta1")
    assert float(page.input_value("[data-testid=lr-d]")) == 0.02
    # Another target kind: its fields, with what they mean for it.
    choose(page, "target", "mixture-1d")
    wait_config(page, "c.target.name === 'mixture-1d'")
    assert visible(page, "field-target.means") and not visible(page, "field-target.modes")
    choose(page, "target", "grid")
    wait_config(page, "c.target.name === 'grid' && c.target.modes === 5")
    assert visible(page, "field-target.spacing") and not visible(page, "field-target.radius")
    assert page.inner_text(".field[data-key='target.modes'] .help").startswith("Gaussians per side")
    # An affine generator has no depth or width; the objective's own parameter shows with it.
    choose(page, "field-generator.kind", "affine")
    wait_config(page, "c.generator.kind === 'affine'")
    assert not visible(page, "field-generator.depth")
    assert not visible(page, "field-objective.gp_weight")
    choose(page, "objective", "wgan-gp")
    wait_config(page, "c.objective.name === 'wgan-gp'")
    assert visible(page, "field-objective.gp_weight")
    # Rebuild marks come from the server's one rule: the target kind only when the dimension changes.
    mark = page.locator("details[data-key=target] .field[data-key='target.name'] .rebuild-mark")
    assert "dimension" in mark.get_attribute("title")
    assert page.locator(".field[data-key='optimizer_d.lr'] .rebuild-mark").count() == 0
    assert page.errors == []


def test_a_link_from_before_the_kinds_still_opens(lab_page, open_lab, lab_url):
    # Written by the schema-1 page: D's optimizer switched to SGD after its momentum was edited under
    # Adam, an affine generator still carrying depth 3, hinge still carrying wgan-gp's weight.
    page = lab_page
    links = json.loads((V1 / "links.json").read_text())
    open_lab(page, lab_url + links["ring_affine_hinge"]["hash"])
    cfg = page.evaluate(CONFIG)
    assert cfg["optimizer_d"] == {"name": "sgd", "lr": 0.05, "weight_decay": 0.0}
    assert cfg["generator"] == {"kind": "affine"} and cfg["objective"] == {"name": "hinge"}
    assert cfg["target"]["std"] == 0.1
    assert page.locator("[data-testid=error-banner]").is_hidden()
    page.wait_for_function(f"location.hash.includes('cv={SCHEMA_VERSION}')")  # rewritten as a current link
    assert page.errors == []


def test_a_version_2_energy_link_opens_as_the_margin_loss_and_the_form_reaches_ebgan(lab_page, open_lab, lab_url):
    # Version 2 called the non-saturating loss with a margin "energy"; it was never EBGAN.
    page = lab_page
    diff = base64.urlsafe_b64encode(json.dumps({"objective": {"name": "energy", "margin": 2}}).encode())
    open_lab(page, lab_url + "#c=" + diff.decode().rstrip("=") + "&cv=2")
    wait_config(page, "c.objective.name === 'non-saturating-margin' && c.objective.margin === 2")
    assert page.locator("[data-testid=error-banner]").is_hidden()
    # EBGAN needs the auto-encoder discriminator: the form switches D first, then the loss.
    choose(page, "field-discriminator.kind", "autoencoder")
    wait_config(page, "c.discriminator.kind === 'autoencoder'")
    assert visible(page, "field-discriminator.code") and not visible(page, "field-discriminator.minibatch_kernels")
    choose(page, "objective", "ebgan")
    wait_config(page, "c.objective.name === 'ebgan'")
    assert visible(page, "field-objective.pull_away") and visible(page, "field-objective.margin")
    # The other stabilizers are ordinary fields of their sections (back to a loss an MLP can serve first).
    choose(page, "objective", "non-saturating")
    wait_config(page, "c.objective.name === 'non-saturating'")
    choose(page, "field-discriminator.kind", "mlp")
    wait_config(page, "c.discriminator.kind === 'mlp'")
    for testid in ("field-discriminator.minibatch_kernels", "field-generator.virtual_batch_norm",
                   "field-regularizers.feature_matching"):
        assert page.locator(f"[data-testid='{testid}']").count() == 1, testid
    assert page.errors == []


def test_a_link_to_another_kind_keeps_values_that_equal_the_default_kinds(lab_page, open_lab, lab_browser,
                                                                          lab_url):
    page = lab_page
    open_lab(page, lab_url)
    choose(page, "target", "grid")
    wait_config(page, "c.target.name === 'grid'")
    page.fill("[data-testid='field-target.modes']", "8")  # the ring's default, not the grid's
    page.press("[data-testid='field-target.modes']", "Enter")
    wait_config(page, "c.target.modes === 8")
    other = lab_browser.new_context(viewport={"width": 1280, "height": 720}).new_page()
    try:
        open_lab(other, page.url)
        assert other.evaluate(CONFIG)["target"] == page.evaluate(CONFIG)["target"]
    finally:
        other.context.close()

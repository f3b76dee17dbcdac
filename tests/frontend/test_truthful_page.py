"""What the page says matches what it shows (issue 13): the metrics chart plots both mode rules and
the JS divergence (a Dirac game only its distance to the equilibrium), the 1D D* legend names the
optimum the frame says it drew, an edited preset says "modified from" its preset, and a long
preset states the wait left at the measured speed."""

from __future__ import annotations

import json

import pytest

pytestmark = pytest.mark.browser

IMPORT = "(async () => {{ const m = await import('./static/{module}'); {body} }})()"


def call(page, module: str, body: str):
    return page.evaluate(IMPORT.format(module=module, body=body))


@pytest.fixture(scope="module")
def page(lab_browser, lab_url):
    context = lab_browser.new_context(viewport={"width": 1280, "height": 800})
    pg = context.new_page()
    errors: list[str] = []
    pg.on("pageerror", lambda e: errors.append(str(e)))
    pg.errors = errors
    pg.goto(lab_url)
    pg.wait_for_function("window.__toygan && window.__toygan.config", timeout=60000)
    yield pg
    context.close()


SERIES = {"iteration": [0, 100], "modes_captured": [2, 2], "modes_captured_strict": [2, 1],
          "modes_total": [2, 2], "high_quality_fraction": [0.9, 0.3], "off_mode_fraction": [0.1, 0.7],
          "js_grid": [0.6, 0.4], "sample_distance": [3.0, 1.0], "distance_to_equilibrium": [1.4, 0.2]}


def test_metric_chart_shows_both_mode_rules_and_js_but_a_dirac_game_only_its_distance(page):
    got = call(page, "views/metric-traces.js", f"""
        const M = {json.dumps(SERIES)};
        const names = (ts) => ts.map((t) => [t.name, t.yaxis || 'y']);
        return {{ plain: names(m.metricTraces(M)), dirac: names(m.metricTraces(M, {{dirac: true}})),
                 strict: m.metricTraces(M)[1].y, labels: m.METRIC_LABELS }};""")
    L = got["labels"]
    assert dict(got["plain"]) == {L["modes"]: "y", L["modesStrict"]: "y", L["highQuality"]: "y",
                                  L["offMode"]: "y", L["js"]: "y", L["sampleDistance"]: "y2",
                                  L["equilibrium"]: "y2"}
    assert got["strict"] == [1.0, 0.5]  # a share of the target's modes, by the strict rule
    assert got["dirac"] == [[L["equilibrium"], "y"]]


@pytest.mark.parametrize("kind, data, want", [
    ("p/(p+q)", [0.5, 0.5], "D* = p/(p+q)"),
    ("p/(p+q)", [0.5, None], "D* = p/(p+q) (gaps: too few samples to know it)"),
    ("(1-eps) p/(p+q)", [0.35, 0.35], "D* = (1−ε) p/(p+q)"),
    (None, None, "no D* for this loss or target"),
])
def test_the_d_star_legend_names_the_optimum_the_frame_drew(page, kind, data, want):
    arr = "undefined" if data is None else f"{{data: Float32Array.from({json.dumps(data)}, (v) => v ?? NaN)}}"
    got = call(page, "views/density1d.js",
               f"return m.dStarLegend({{d_optimal_kind: {json.dumps(kind)}}}, {arr})[0];")
    assert got == want


def wait_preset(page, name: str):
    page.select_option("[data-testid=preset]", name)
    page.wait_for_function(f"window.__toygan.preset === {json.dumps(name)} && window.__toygan.config"
                           f" && !window.__toygan.modified")


def test_an_edited_preset_says_modified_from_it_and_undoing_the_edit_clears_it(page):
    wait_preset(page, "gaussian-1d")
    title = page.evaluate("window.__toygan.presetEntry().title")
    note = page.locator("[data-testid=preset-modified]")
    assert not note.is_visible()
    lr = page.evaluate("window.__toygan.config.optimizer_g.lr")
    page.evaluate("window.__toygan.configure({optimizer_g: {lr: 0.0123}})")
    page.wait_for_function("window.__toygan.modified === true")
    assert note.is_visible() and f"Modified from “{title}”" in note.inner_text()
    assert "original" in page.get_attribute("[data-testid=preset-description]", "class")
    page.evaluate(f"window.__toygan.configure({{optimizer_g: {{lr: {lr}}}}})")
    page.wait_for_function("window.__toygan.modified === false")
    assert not note.is_visible()
    assert "original" not in page.get_attribute("[data-testid=preset-description]", "class")
    assert page.errors == []


def chart_names(page) -> list[str]:
    return page.evaluate("(document.querySelector('[data-testid=view-metrics]').data || []).map((t) => t.name)")


def test_the_live_chart_plots_js_on_a_density_target_and_only_distance_on_a_dirac_game(page):
    labels = call(page, "views/metric-traces.js", "return m.METRIC_LABELS;")
    wait_preset(page, "bimodal-averaging")
    page.evaluate("window.__toygan.socket.send({type: 'step', n: 200})")
    page.wait_for_function(f"(document.querySelector('[data-testid=view-metrics]').data || [])"
                           f".some((t) => t.name === {json.dumps(labels['js'])})", timeout=60000)
    assert {labels["modes"], labels["modesStrict"], labels["js"]} <= set(chart_names(page))
    wait_preset(page, "dirac-r1")
    page.evaluate("window.__toygan.socket.send({type: 'step', n: 50})")
    page.wait_for_function(f"(() => {{ const d = document.querySelector('[data-testid=view-metrics]').data || [];"
                           f" return d.length === 1 && d[0].name === {json.dumps(labels['equilibrium'])}; }})()",
                           timeout=60000)
    assert page.errors == []


def test_a_long_preset_states_the_wait_left_at_the_measured_speed(page):
    got = call(page, "chrome.js", """
        const entry = {name: 'grid-wgan-gp', steps: 11000};
        const app = (it, its, running) => ({presetEntry: () => entry, iteration: it, its, running});
        return [m.presetWait(app(1000, 14, true)), m.presetWait(app(1000, 14, false)),
                m.presetWait(app(10990, 14, true)), m.presetWait({...app(0, 14, true), presetEntry: () => null})];""")
    # (11000 - 1000) / 14 it/s = 714 s: about 12 min.
    assert got[0] == "11,000 its: ≈ 12 min left"
    assert got[1] == "" and got[3] == ""  # paused; no preset
    assert got[2] == "11,000 its: < 1 min left"

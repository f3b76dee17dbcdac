"""What the page says matches what it shows (issue 13): the metrics chart plots both mode rules and
the JS divergence (a Dirac game only its distance to the equilibrium), the 1D and 2D D* legends name
the optimum the frame says it drew (or why none is drawn), the model strip names each stabilizer in
the box it acts on, an edited preset says "modified from" its preset, and a long preset states the
wait left at the measured speed."""

from __future__ import annotations

import json

import pytest
from playwright.sync_api import TimeoutError as PlaywrightTimeout

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


def test_a_redraw_held_back_by_the_throttle_draws_the_last_target_asked_for(page):
    # A preset switch within the charts' 500 ms throttle (a Dirac game after a bimodal target): the
    # held-back draw must show the Dirac game's one distance, not the bimodal target's traces, which a
    # paused session would then keep showing (no frame comes to redraw them).
    got = call(page, "views/curves.js", f"""
        const {{ History }} = await import('./static/history.js');
        const {{ METRIC_LABELS }} = await import('./static/views/metric-traces.js');
        const history = (metrics) => {{ const h = new History();
          h.load({{run: 1, branch: 0, branches: [{{id: 0, metrics}}]}}); return h; }};
        const div = () => {{ const d = document.createElement('div');
          d.style.cssText = 'width: 400px; height: 200px'; document.body.append(d); return d; }};
        const loss = div(), metric = div();
        const chart = new m.CurvesView(loss, metric);
        const bimodal = history({json.dumps(SERIES)});
        const dirac = history({{iteration: [0, 100], distance_to_equilibrium: [1.4, 0.2]}});
        const view = {{logx: false, logy: false}};
        chart.update(bimodal, view, null, false);   // drawn now
        bimodal.version++;
        chart.update(bimodal, view, null, false);   // held back by the throttle
        chart.update(dirac, view, null, true);      // the preset switched within the wait
        await new Promise((r) => setTimeout(r, 800));
        const names = metric.data.map((t) => t.name);
        loss.remove(); metric.remove();
        return [names, METRIC_LABELS.equilibrium];""")
    assert got[0] == [got[1]]


@pytest.mark.parametrize("d_kind, kind, data, want", [
    ("probability", "p/(p+q)", [0.5, 0.5], "D* = p/(p+q)"),
    ("probability", "p/(p+q)", [0.5, None], "D* = p/(p+q) (gaps: too few samples to know it)"),
    ("probability", "(1-eps) p/(p+q)", [0.35, 0.35], "D* = (1−ε) p/(p+q)"),
    ("score", None, None, "no D*: a critic's loss has no p/(p+q) optimum"),
    ("probability", None, None, "no D*: this target has no density"),
])
def test_the_d_star_legend_names_the_optimum_the_frame_drew(page, d_kind, kind, data, want):
    arr = "undefined" if data is None else f"{{data: Float32Array.from({json.dumps(data)}, (v) => v ?? NaN)}}"
    header = json.dumps({"d_kind": d_kind, "d_optimal_kind": kind})
    got = call(page, "views/dstar.js", f"return [m.dStarLegend({header}, {arr})[0], m.dStarLines2d({header}, {arr})];")
    assert got[0] == want
    # The 2D view says the same: the formula over its inset, for which losses, or why none is drawn.
    two = got[1]
    assert two["drawn"] == (kind is not None)
    if kind is None:
        assert two["title"] == "no D* drawn"
        assert two["lines"] == ["a critic's, margin or EBGAN loss has no optimum of the form p/(p+q)" if d_kind == "score"
                                else "this target has no density to compare with"]
        assert two["short"] == ["none for this loss" if d_kind == "score" else "no density here"]  # a phone's
    else:
        assert two["title"] == "optimal D* = " + want.removeprefix("D* = ").removesuffix(" (gaps: too few samples to know it)")
        assert ("loss" in two["lines"][0]) or ("label smoothing" in two["lines"][0])
        assert ("blank: too few samples to know it" in two["lines"]) == (None in data)


EVERYTHING_ON = {
    "noise": {"dim": 2}, "training": {"unroll": 5},
    "generator": {"kind": "mlp", "virtual_batch_norm": True, "vbn_reference": 64},
    "discriminator": {"kind": "autoencoder", "depth": 1, "width": 64, "code": 1},
    "objective": {"name": "ebgan", "margin": 1.0, "pull_away": 0.1},
    "regularizers": {"instance_noise": 0.1, "instance_noise_anneal": 500, "label_smoothing": 0.2, "r1": 0.3,
                     "gradient_penalty": 2, "feature_matching": 0.5},
}


def test_the_model_strip_names_each_stabilizer_in_the_box_it_acts_on(page):
    got = call(page, "views/model.js", f"""
        const on = {json.dumps(EVERYTHING_ON)};
        return [m.stabilizers(on),
                m.stabilizers({{...on, discriminator: {{kind: 'mlp', spectral_norm: true, minibatch_kernels: 8}},
                               objective: {{name: 'wgan-gp', gp_weight: 10}}}}),
                m.stabilizers({{training: {{unroll: 0}}, regularizers: {{}}, objective: {{name: 'minimax'}},
                               generator: {{kind: 'affine'}}, discriminator: {{kind: 'mlp'}}}})];""")
    ebgan, critic, plain = got
    assert ebgan["generator"] == ["virtual batch norm (reference 64)"]
    assert ebgan["samples"] == ["instance noise std 0.1, fading over 500 its"]
    assert ebgan["discriminator"] == ["EBGAN energy"]
    assert ebgan["loss"] == ["gradient penalty 2", "R1 γ 0.3", "label smoothing ε 0.2", "feature matching 0.5",
                             "margin m 1", "pull-away 0.1", "unrolled 5 D steps"]
    assert critic["discriminator"] == ["spectral norm", "minibatch discrimination (8 kernels)"]
    assert critic["loss"][0] == "gradient penalty λ 10"
    assert all(v == [] for v in plain.values()), plain


def wait_preset(page, name: str):
    """Choose preset `name` and wait for its config: the page names the preset at once, but the config
    it holds is the old one until the server's answer (a read in between took the old learning rate)."""
    assert page.evaluate("window.__toygan.preset") != name, "choose another preset first: no config would come"
    page.evaluate("window.__configBefore = window.__toygan.config")
    page.select_option("[data-testid=preset]", name)
    page.wait_for_function(f"window.__toygan.preset === {json.dumps(name)} && window.__toygan.config"
                           f" && window.__toygan.config !== window.__configBefore && !window.__toygan.modified")


def wait_text(page, testid: str, text: str):
    # The strip follows the new preset's config, which may arrive after the preset's name.
    page.wait_for_function(f"document.querySelector('[data-testid={testid}]').textContent === {json.dumps(text)}",
                           timeout=30000)


def d_star_note(page, js_condition: str):
    page.evaluate("window.__toygan.socket.send({type: 'step', n: 10})")
    page.wait_for_function(f"(() => {{ const n = window.__toygan.views['2d'].dStarNote; return n && {js_condition}; }})()",
                           timeout=60000)
    return page.evaluate("window.__toygan.views['2d'].dStarNote")


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


def test_the_live_chart_plots_js_on_a_density_target_and_only_distance_on_a_dirac_game(page):
    labels = call(page, "views/metric-traces.js", "return m.METRIC_LABELS;")
    wait_preset(page, "bimodal-averaging")
    page.evaluate("window.__toygan.socket.send({type: 'step', n: 200})")
    # One wait for all three: a read after the wait raced a redraw of the chart (an empty chart was
    # read once in four runs on a loaded machine).
    want = json.dumps([labels["modes"], labels["modesStrict"], labels["js"]])
    page.wait_for_function(f"(() => {{ const names = (document.querySelector('[data-testid=view-metrics]').data || [])"
                           f".map((t) => t.name); return {want}.every((n) => names.includes(n)); }})()", timeout=60000)
    wait_preset(page, "dirac-r1")
    wait_text(page, "model-loss-extras", "+ R1 γ 0.3")  # the strip names the stabilizer in the loss box
    # Step on, as a student would, until a metrics point is plotted (the metrics are measured on a
    # clock, so a loaded machine may take more steps before the first): then the chart must hold
    # the distance to the equilibrium alone.
    try:
        page.wait_for_function(f"(() => {{ const d = document.querySelector('[data-testid=view-metrics]').data || [];"
                               f" if (d.length && d.every((t) => t.x && t.x.length)) return d.length === 1"
                               f" && d[0].name === {json.dumps(labels['equilibrium'])};"
                               f" if (!window.__toygan.running) window.__toygan.socket.send({{type: 'step', n: 10}});"
                               f" return false; }})()", polling=1000, timeout=60000)
    except PlaywrightTimeout:
        # What the chart and the app held (a CI run once timed out here: the throttled redraw drew
        # the previous target's traces, fixed since; this says what any other cause would be).
        pytest.fail("the metrics chart never showed the distance alone: " + page.evaluate(
            """(() => { const a = window.__toygan, M = a.history.lineage().metrics;
              const d = document.querySelector('[data-testid=view-metrics]').data || [];
              return JSON.stringify({traces: d.map((t) => [t.name, t.x && t.x.length]), running: a.running,
                iteration: a.iteration, dirac: a.isDirac(), metrics: Object.keys(M), points: M.iteration.length,
                branches: a.history.branches.size}); })()"""))
    # Its one line is named in a legend (plotly shows none for one trace unless asked): the axis says
    # only "distance".
    page.wait_for_function("document.querySelectorAll('[data-testid=view-metrics] .legend .traces').length === 1")
    shown = page.eval_on_selector_all("[data-testid=view-metrics] .legend .traces text", "ts => ts.map(t => t.textContent)")
    assert shown == [labels["equilibrium"]]
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


def test_the_strip_shows_a_presets_stabilizers_and_the_2d_view_says_what_its_d_star_is(page):
    wait_preset(page, "ring-minibatch-discrimination")
    wait_text(page, "model-discriminator-extras", "+ minibatch discrimination (8 kernels)")
    assert page.locator("[data-testid=model-loss-extras]").is_hidden()  # nothing acts on the loss here
    page.check("[data-testid=layer-dstar]")
    note = d_star_note(page, "n.drawn")
    assert note["title"] == "optimal D* = p/(p+q)" and "logistic" in note["lines"][0]
    page.uncheck("[data-testid=layer-dstar]")
    assert page.errors == []

"""The Map panel in Chromium against the real lab: a refused sweep says why in the panel, a small
Dirac map fills in cell by cell in the outcomes' colours, a chosen metric shades its squares (with a
legend saying which), hovering a square tells its settings and outcome in words, clicking it opens
that run (preset, settings, seed) in the lab and the ring marks it; a map of the lab's edited
experiment starts from it, survives a reload while running (its cells go on arriving) and after it
finished; on a phone-wide panel the square's box sits under the map, on screen; Stop cancels a
sweep. The grids are the smallest that show it: 2 x 2 Dirac runs of 150 steps, one seed, and 2 runs
of the edited experiment."""

from __future__ import annotations

import re

WAIT_MS = 120_000  # sweep workers run at nice 19: on a loaded machine they wait for the CPU


def rgb(hex_color: str) -> list[int]:
    return [int(hex_color[i:i + 2], 16) for i in (1, 3, 5)]


def fill_form(page, preset, axes, seeds=1, steps=150):
    page.select_option("[data-testid=map-preset]", preset)  # "@lab": the lab's experiment as it is now
    for i in (0, 1):
        path, values = axes[i] if i < len(axes) else ("", "")
        page.fill(f"[data-testid=map-path-{i}]", path)
        page.fill(f"[data-testid=map-values-{i}]", values)
    page.fill("[data-testid=map-seeds]", str(seeds))
    page.dispatch_event("[data-testid=map-seeds]", "change")
    page.fill("[data-testid=map-steps]", str(steps))
    page.dispatch_event("[data-testid=map-steps]", "change")


def square_colour(page, index):
    """The canvas colour inside square `index`, away from its letter (CSS px -> device px)."""
    return page.evaluate("""(i) => {
        const v = window.__toygan.mapView, c = v.cellCenter(i), d = window.devicePixelRatio || 1;
        const at = [(c.x - v.layout.cell * 0.35) * d, (c.y - v.layout.cell * 0.35) * d];
        return Array.from(v.canvas.getContext('2d').getImageData(at[0], at[1], 1, 1).data.slice(0, 3));
    }""", index)


def shade_checks(page, app, outcomes, palette):
    """The shading rule (sweep.js, pure) and the menu: a metric changes the squares' shade, none restores it."""
    rule = page.evaluate("""() => import('./static/sweep.js').then(m => {
        const cells = [1, 10, 100, null].map(v => ({ metrics: { d: v, flat: 2 } }));
        const sc = m.shadeScale({ cells }, 'd'), flat = m.shadeScale({ cells }, 'flat');
        return { lv: [1, 10, 100, NaN].map(sc.level), log: sc.log, flat: flat.level(2), none: m.shadeScale({ cells }, ''),
                 deep: m.shadeColor('#009e73', 1), pale: m.shadeColor('#009e73', 0), keep: m.shadeColor('#009e73', null),
                 names: m.metricNames({ cells: [cells[0], cells[1]] }) };
    })""")
    assert rule["log"] and rule["lv"][0] == 0 and abs(rule["lv"][1] - 0.5) < 1e-9 and rule["lv"][2] == 1
    assert rule["lv"][3] is None and rule["flat"] == 1 and rule["none"] is None
    assert rule["deep"] == rule["keep"] == "#009e73" and rule["pale"] == "#b8e4d8"  # 72% of the way to white
    assert rule["names"] == ["d"]  # a metric equal in every cell shades nothing: not offered
    options = page.eval_on_selector_all("[data-testid=map-shade] option", "os => os.map(o => o.value)")
    assert options[0] == "" and "distance_to_equilibrium" in options and "iterations" not in options
    assert page.is_hidden("[data-testid=map-shade-legend]")
    page.select_option("[data-testid=map-shade]", "distance_to_equilibrium")
    legend = page.inner_text("[data-testid=map-shade-legend]")
    assert "distance to the equilibrium" in legend and "Pale = low" in legend
    levels = page.evaluate(f"""() => {{ const s = {app}.sweep; return import('./static/sweep.js').then(m => {{
        const sc = m.shadeScale(s, s.shade); return s.cells.map(c => sc.level(c.metrics[s.shade])); }}); }}""")
    expect = page.evaluate("([cols, lv]) => import('./static/sweep.js').then(m => cols.map((c, i) => m.shadeColor(c, lv[i])))",
                           [[palette[o] for o in outcomes], levels])
    for i in range(len(outcomes)):
        assert square_colour(page, i) == rgb(expect[i]), f"square {i} shaded"
    assert min(levels) == 0 and square_colour(page, levels.index(0)) != rgb(palette[outcomes[levels.index(0)]])
    page.select_option("[data-testid=map-shade]", "")
    assert square_colour(page, levels.index(0)) == rgb(palette[outcomes[levels.index(0)]])
    assert page.is_hidden("[data-testid=map-shade-legend]")


def reload_lab(page, app):
    page.reload()
    page.wait_for_function(f"{app} && {app}.config && {app}.sweep.id", timeout=WAIT_MS)


def test_the_map_fills_in_hovers_opens_a_run_and_stops(lab_page, lab_url, open_lab):
    page = open_lab(lab_page, lab_url, timeout_ms=WAIT_MS)
    app = "window.__toygan"
    page.click("[data-testid=map-toggle]")
    assert page.is_visible("[data-testid=map-panel]")
    legend = page.inner_text("[data-testid=map-legend]")
    for words in ("settles", "circles", "collapses", "gets stuck", "blows up", "still training"):
        assert words in legend

    # Refused before anything runs: the panel names the field and the reason.
    fill_form(page, "dirac-r1", [("regularizers.r11", "0,1")])
    page.click("[data-testid=map-run]")
    page.wait_for_selector("[data-testid=map-message]:not([hidden])", timeout=WAIT_MS)
    message = page.inner_text("[data-testid=map-message]")
    assert "regularizers.r11" in message and "unknown" in message

    # Count the map's paints per finished cell: it is drawn as each cell arrives, not at the end.
    page.evaluate(f"""() => {{ const a = {app}; window.__mapDone = []; const paint = a.paint.bind(a);
        a.paint = (...parts) => {{ if (parts.includes('map')) window.__mapDone.push(a.sweep.done); paint(...parts); }}; }}""")
    fill_form(page, "dirac-r1", [("regularizers.r1", "0,1"), ("optimizer_d.lr", "0.1,0.5")])
    page.click("[data-testid=map-run]")
    page.wait_for_function(f"{app}.sweep.state === 'done'", timeout=WAIT_MS)
    assert {d for d in page.evaluate("window.__mapDone") if d > 0} == {1, 2, 3, 4}  # a paint at every count
    assert re.search(r"Done: 4 squares", page.inner_text("[data-testid=map-progress]"))
    sweep = page.evaluate(f"{app}.sweep")
    outcomes = [c["outcome"] for c in sweep["cells"]]
    # Without R1 (row 0) the Dirac game circles or spirals; R1 = 1 at D's step 0.5 settles.
    assert "converged" not in outcomes[:2] and outcomes[3] == "converged"
    palette = page.evaluate("import('./static/sweep.js').then(m => Object.fromEntries(m.OUTCOMES.map(o => [o.name, o.color])))")
    for i, o in enumerate(outcomes):
        assert square_colour(page, i) == rgb(palette[o]), f"square {i} ({o})"
    shade_checks(page, app, outcomes, palette)

    # Hover: the square's settings and its outcome, in words.
    box = page.locator("[data-testid=map-canvas]").bounding_box()
    centre = page.evaluate(f"{app}.mapView.cellCenter(3)")
    page.mouse.move(box["x"] + centre["x"], box["y"] + centre["y"])
    page.wait_for_selector("[data-testid=map-tooltip]:not([hidden])")
    tip = page.inner_text("[data-testid=map-tooltip]")
    assert "R1 penalty γ = 1" in tip and "D's learning rate = 0.5" in tip and "settles" in tip and "(converged)" in tip

    # Click: that run opens in the lab (preset, both settings, the seed), plays, and the ring marks it.
    page.mouse.click(box["x"] + centre["x"], box["y"] + centre["y"])
    page.wait_for_function(f"{app}.config && {app}.config.regularizers.r1 === 1 && {app}.config.optimizer_d.lr === 0.5"
                           f" && {app}.running", timeout=WAIT_MS)
    assert page.evaluate(f"{app}.preset") == "dirac-r1" and page.evaluate(f"{app}.config.seed") == 0
    assert page.evaluate(f"{app}.config.target.name") == "dirac"
    here = page.inner_text("[data-testid=map-here]")
    assert "the run in the lab now" in here and "R1 penalty γ = 1" in here

    # A map of the lab's experiment as edited (the clicked run: R1 1, D's step 0.5, not the preset's 0.3
    # and 0.1): every cell starts from it. Its second square trains 8 D steps per G step, so it is still
    # running well after the first is done: the page reloads between the two, the map comes back with
    # the finished square and the other one arrives; reloaded again once done, the map is still there.
    page.click("[data-testid=pause]")  # the sweep's workers (nice 19) run on the CPU the lab leaves
    page.wait_for_function(f"!{app}.running", timeout=WAIT_MS)
    page.click("[data-testid=map-this]")
    fill_form(page, "@lab", [("training.k_d", "1,8")], seeds=1, steps=800)
    page.click("[data-testid=map-run]")
    page.wait_for_function(f"{app}.sweep.state === 'running' && {app}.sweep.done === 1", timeout=WAIT_MS)
    sid = page.evaluate(f"{app}.sweep.id")
    base = page.evaluate(f"{app}.sweep.base")
    assert base["regularizers"]["r1"] == 1 and base["optimizer_d"]["lr"] == 0.5
    reload_lab(page, app)
    first = page.evaluate(f"[{app}.sweep.id, {app}.sweep.state, {app}.sweep.cells, {app}.sweep.open, {app}.sweep.base]")
    assert first[0] == sid and first[1] == "running" and first[3] and first[4] == base
    assert first[2][0]["params"] == {"training.k_d": 1} and first[2][1] is None  # the finished square is back
    assert page.is_visible("[data-testid=map-panel]")
    assert page.input_value("[data-testid=map-values-0]") == "1,8"  # the form that asked for it
    page.wait_for_function(f"{app}.sweep.state === 'done'", timeout=WAIT_MS)  # the live one goes on
    assert page.evaluate(f"{app}.sweep.cells.map(c => c.params['training.k_d'])") == [1, 8]
    reload_lab(page, app)
    page.wait_for_function(f"{app}.sweep.state === 'done'", timeout=WAIT_MS)
    assert page.evaluate(f"{app}.sweep.id") == sid and page.evaluate(f"{app}.sweep.cells.every(c => c)")
    assert "Done: 2 squares" in page.inner_text("[data-testid=map-progress]")
    # Opening a square of that map runs the edited experiment with the square's setting.
    box = page.locator("[data-testid=map-canvas]").bounding_box()
    centre = page.evaluate(f"{app}.mapView.cellCenter(1)")
    page.mouse.click(box["x"] + centre["x"], box["y"] + centre["y"])
    page.wait_for_function(f"{app}.config.training.k_d === 8 && {app}.config.regularizers.r1 === 1"
                           f" && {app}.config.optimizer_d.lr === 0.5", timeout=WAIT_MS)

    # A phone-wide panel: the square's box goes under the map (not over its squares), inside the screen.
    page.set_viewport_size({"width": 390, "height": 844})
    page.locator("[data-testid=map-canvas]").scroll_into_view_if_needed()
    box = page.locator("[data-testid=map-canvas]").bounding_box()
    centre = page.evaluate(f"{app}.mapView.cellCenter(0)")
    page.mouse.move(box["x"] + centre["x"], box["y"] + centre["y"])
    page.wait_for_selector("[data-testid=map-tooltip]:not([hidden])")
    tip = page.locator("[data-testid=map-tooltip]").bounding_box()
    grid = page.evaluate(f"(() => {{ const L = {app}.mapView.layout; return L.y0 + L.nrow * L.cell; }})()")
    assert tip["y"] >= box["y"] + grid and tip["x"] >= 0 and tip["x"] + tip["width"] <= 390
    page.set_viewport_size({"width": 1280, "height": 720})

    # Stop: a long sweep is cancelled and says so.
    fill_form(page, "dirac-r1", [("regularizers.r1", "0,0.5,1")], seeds=2, steps=12000)
    page.click("[data-testid=map-run]")
    page.wait_for_function(f"{app}.sweep.state === 'running'", timeout=WAIT_MS)
    page.click("[data-testid=map-cancel]")
    page.wait_for_function(f"{app}.sweep.state === 'stopped'", timeout=WAIT_MS)
    assert "Stopped after" in page.inner_text("[data-testid=map-progress]")
    assert page.errors == []

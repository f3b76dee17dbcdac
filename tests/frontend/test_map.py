"""The Map panel in Chromium against the real lab: a refused sweep says why in the panel, a small
Dirac map fills in cell by cell in the outcomes' colours, hovering a square tells its settings and
outcome in words, clicking it opens that run (preset, settings, seed) in the lab and the ring marks
it, and Stop cancels a sweep. The grid is the smallest that shows both outcomes: 2 x 2 Dirac runs of
150 steps, one seed."""

from __future__ import annotations

import re

WAIT_MS = 120_000  # sweep workers run at nice +10: on a loaded machine they wait for the CPU


def rgb(hex_color: str) -> list[int]:
    return [int(hex_color[i:i + 2], 16) for i in (1, 3, 5)]


def fill_form(page, preset, axes, seeds=1, steps=150):
    page.select_option("[data-testid=map-preset]", preset)
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

    # Stop: a long sweep is cancelled and says so.
    fill_form(page, "dirac-r1", [("regularizers.r1", "0,0.5,1")], seeds=2, steps=12000)
    page.click("[data-testid=map-run]")
    page.wait_for_function(f"{app}.sweep.state === 'running'", timeout=WAIT_MS)
    page.click("[data-testid=map-cancel]")
    page.wait_for_function(f"{app}.sweep.state === 'stopped'", timeout=WAIT_MS)
    assert "Stopped after" in page.inner_text("[data-testid=map-progress]")
    assert page.errors == []

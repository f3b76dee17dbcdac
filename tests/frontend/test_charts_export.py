"""The curves and the PNG export, as a student reads them: round tick values, one zero line, a
spike that cannot flatten the rest (clipped, and the chart says so), log y on request, log x over
the whole run; a PNG that says what it shows and has no blank margins."""

from __future__ import annotations

import pytest

pytestmark = pytest.mark.browser

SCALE = "import('./static/chart-scale.js')"


def is_round(v: float) -> bool:
    """1, 2 or 5 times a power of ten times an integer: what a person would write on an axis."""
    if v == 0:
        return True
    for digits in range(0, 7):
        scaled = v * 10**digits
        if abs(scaled - round(scaled)) < 1e-6:
            return len(str(abs(round(scaled))).rstrip("0")) <= 2
    return False


def test_the_scale_helpers(lab_page, open_lab, lab_url):
    page = lab_page
    open_lab(page, lab_url)
    got = page.evaluate(f"""{SCALE}.then(s => {{
      const calm = Array.from({{length: 200}}, (_, i) => 0.5 + 0.1 * Math.sin(i / 7));
      const spiked = calm.slice(); spiked[3] = 40;
      return {{
        odd: s.niceAxis(0.4472, 0.5236),
        calm: s.robustAxis(calm),
        spiked: s.robustAxis(spiked),
        log: s.logAxis([0.02, 0.5, 3, -1]),
        lin: s.iterationRange([0, 10, 950], false),
        logx: s.iterationRange([0, 10, 950], true),
      }};
    }})""")
    assert all(is_round(t) for t in got["odd"]["ticks"]) and got["odd"]["lo"] <= 0.4472 and got["odd"]["hi"] >= 0.5236
    calm, spiked = got["calm"], got["spiked"]
    assert not calm["clippedAbove"] and calm["lo"] <= 0.4 and calm["hi"] >= 0.6
    # One spike at 40 among values in 0.4..0.6: the range stays about the rest, and says it clipped.
    assert spiked["clippedAbove"] and spiked["hi"] < 1.5 and spiked["max"] == 40
    assert all(is_round(t) for t in spiked["ticks"])
    assert got["log"]["lo"] == -2 and got["log"]["hi"] == 1 and got["log"]["dropped"]
    assert got["lin"] == [0, 950]
    assert got["logx"][0] == 0 and abs(got["logx"][1] - 2.9777) < 1e-3  # iterations 1..950, all of them


def layout_of(page, testid):
    return page.evaluate(f"""(() => {{ const l = document.querySelector('[data-testid={testid}]').layout;
      return {{x: l.xaxis, y: l.yaxis, y2: l.yaxis2, notes: (l.annotations || []).map(a => a.text)}}; }})()""")


def test_the_curves_have_round_ticks_one_zero_line_log_y_and_log_x_over_the_whole_run(lab_page, open_lab, lab_url):
    page = lab_page
    open_lab(page, lab_url)
    page.evaluate("window.__toygan.socket.send({type: 'step', n: 300})")
    page.wait_for_function("window.__toygan.history.losses.iteration.at(-1) >= 300", timeout=60000)
    page.wait_for_timeout(700)  # the curves redraw at most twice a second
    loss = layout_of(page, "view-losses")
    for axis in ("y", "y2"):
        ticks = loss[axis]["tickvals"]
        assert ticks and all(is_round(t) for t in ticks), (axis, ticks)
    assert loss["y2"]["zeroline"] is False and loss["x"]["zeroline"] is False  # the loss axis's is the one
    its = page.evaluate("window.__toygan.history.losses.iteration")
    assert loss["x"]["range"][0] <= its[0] and loss["x"]["range"][1] >= its[-1]
    page.check("[data-testid=logx]")
    page.wait_for_timeout(700)
    x = layout_of(page, "view-losses")["x"]
    assert x["type"] == "log" and x["range"][0] <= 0.0 and 10 ** x["range"][1] >= its[-1] - 1
    page.check("[data-testid=logy]")
    page.wait_for_timeout(700)
    y = layout_of(page, "view-losses")["y"]
    assert y["type"] == "log"
    assert "logy" in page.evaluate("location.hash") or "v=" in page.evaluate("location.hash")
    assert page.errors == []


def test_a_spike_is_clipped_with_a_note_on_the_chart(lab_page, open_lab, lab_url):
    page = lab_page
    open_lab(page, lab_url)
    page.evaluate("window.__toygan.socket.send({type: 'step', n: 200})")
    page.wait_for_function("window.__toygan.history.losses.iteration.at(-1) >= 200", timeout=60000)
    # A loss spike the size a divergence makes at the end of a calm run, and a dip beside it (the
    # curves are smoothed: at the end each leaves no tail that would count as the run's usual range).
    # (history.losses is a copy joined from the branch's ancestors: the spike goes into the branch's own series)
    page.evaluate("""(() => { const h = window.__toygan.history; const L = h.branches.get(h.branch).losses;
      const i = L.d_loss.length - 3;
      for (let k = 0; k < 3; k++) { L.d_loss[i + k] = 500; L.g_loss[i + k] = -500; }
      window.__toygan.history.version++; window.__toygan.requestRender(); })()""")
    page.wait_for_timeout(800)
    loss = layout_of(page, "view-losses")
    assert loss["y"]["range"][1] < 100 and loss["y"]["range"][0] > -100, loss["y"]["range"]
    assert any("spike" in n and "dip" in n for n in loss["notes"]), loss["notes"]
    assert page.evaluate("window.__toygan.curves.clipped.loss") is True
    # The note is read whole: its box lies inside the chart's plot area on a laptop, a projector, a phone.
    for width, height in [(1280, 800), (1920, 1080), (390, 844)]:
        page.set_viewport_size({"width": width, "height": height})
        page.wait_for_timeout(900)  # the resized chart redrawn (at most every 500 ms)
        boxes = page.evaluate("""(() => {
          const div = document.querySelector('[data-testid=view-losses]');
          const box = (e) => { const r = e.getBoundingClientRect(); return [r.left, r.top, r.right, r.bottom]; };
          const note = [...div.querySelectorAll('.annotation')].find((a) => a.textContent.includes('cut off'));
          return { note: note && box(note), plot: box(div.querySelector('.nsewdrag')) };
        })()""")
        note, plot = boxes["note"], boxes["plot"]
        assert note, width
        assert plot[0] - 1 <= note[0] and note[2] <= plot[2] + 1 and plot[1] - 1 <= note[1] and note[3] <= plot[3] + 1, (
            width, boxes)


def test_the_png_names_the_experiment_and_iteration_and_has_no_blank_margin(lab_page, open_lab, lab_url):
    page = lab_page
    open_lab(page, lab_url + "#p=ring-collapse")
    page.click("[data-testid=step]")
    page.wait_for_function("window.__toygan.renderCount > 0 && window.__toygan.iteration >= 1")
    assert page.evaluate("window.__toygan.caption()") == "Mode collapse on the ring: hopping from mode to mode — iteration 1"
    got = page.evaluate("""import('./static/export.js').then(({composePng, contentBox}) => {
      const view = window.__toygan.mainElement();
      const out = composePng(view, window.__toygan.caption());
      const ctx = out.getContext('2d');
      const px = ctx.getImageData(0, 0, out.width, out.height).data;
      let lastRow = 0, lastCol = 0, captionInk = 0;
      for (let y = 0; y < out.height; y++) for (let x = 0; x < out.width; x++) {
        const o = (y * out.width + x) * 4;
        if (px[o] < 235 || px[o + 1] < 235 || px[o + 2] < 235) {
          lastRow = Math.max(lastRow, y); lastCol = Math.max(lastCol, x);
          if (y < 24 * devicePixelRatio) captionInk++;
        }
      }
      return {w: out.width, h: out.height, lastRow, lastCol, captionInk, view: [view.width, view.height],
              box: contentBox(view)};
    })""")
    pad = 10 * 1  # device pixel ratio 1
    assert got["captionInk"] > 50, "no caption drawn above the view"
    assert got["h"] - got["lastRow"] <= pad + 3 and got["w"] - got["lastCol"] <= pad + 3, got
    assert got["box"]["w"] <= got["view"][0] and got["box"]["h"] <= got["view"][1]
    with page.expect_download() as dl:
        page.click("[data-testid=export-png]")
    assert dl.value.suggested_filename.startswith("toygan-mode-collapse-on-the-ring")
    assert open(dl.value.path(), "rb").read(8) == b"\x89PNG\r\n\x1a\n"

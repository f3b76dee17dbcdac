"""HTML report: written, holds the run's data as readable numbers, loads nothing from the network."""

import json
import os
import re
import threading
from pathlib import Path

import numpy as np
import pytest

from gan_core.engine.config import parse_config
from gan_core.engine.snapshot import Snapshot
from gan_core.report import palette
from gan_core.report.config_table import in_effect
from gan_core.report.evolution import REPORT_SAMPLES, record_snapshot, report_iterations
from gan_core.report.run_report import MAX_CURVE_POINTS, curves_figure, report_html, write_report

FRONTEND = Path(__file__).resolve().parents[3] / "frontend"


def snap(dim=2, fake=None, d_kind="probability", iteration=42, window=None):
    g = np.linspace(-3, 3, 5)
    real = np.array([[1.2345, -0.5], [0.25, 2.75]]) if dim == 2 else np.array([[1.2345], [0.25]])
    fake = np.array([[-2.125, 0.375], [0.5, 0.5]]) if fake is None else fake
    return Snapshot(
        iteration=iteration, status="ok", status_message="", dim=dim, bounds=(-3.0, 3.0, -3.0, 3.0) if dim == 2 else
        (-3.0, 3.0, 0.0, 1.0), real=real, fake=fake if dim == 2 else fake[:, :1], fake_grad=None, grid_x=g,
        grid_y=g if dim == 2 else None, d_surface=np.full((5, 5), 0.625) if dim == 2 else np.full(5, 0.625),
        d_kind=d_kind, d_optimal=None, manifold=None, density_x=None, density_real=None, density_fake=None,
        losses={"d_loss": 1.0, "g_loss": 0.5}, metrics={"modes_captured": 3.0, "modes_total": 8.0,
                                                        "sample_distance": 0.4321},
        dirac=None, window=window)


HISTORY = [{"iteration": i, "d_loss": 1.5 - i / 100, "g_loss": 0.5 + i / 200} for i in range(1, 51)]
HISTORY[-1].update(modes_captured=3.0, high_quality_fraction=0.875)


def _plot_data(page: str) -> list[dict]:
    """The trace lists passed to Plotly.newPlot, parsed back from the page."""
    calls = re.findall(r'Plotly\.newPlot\(\s*"[^"]+",\s*(\[.*?\]),\s*\{', page, flags=re.S)
    return [json.loads(c) for c in calls]


def _frames(page: str) -> list[dict]:
    """The first figure's animation frames (the evolution slider's steps), parsed back from the page."""
    text = page[page.index("Plotly.addFrames(") :]
    start = text.index("[")
    frames, _ = json.JSONDecoder().raw_decode(text[start:])
    return frames


def _settings(page: str) -> dict[str, dict[str, str]]:
    """The 'settings in effect' tables as {section: {field: text}}."""
    block = re.search(r'<div class="settings" id="settings">(.*?)</div>\s*<details>', page, flags=re.S).group(1)
    out = {}
    for title, table in re.findall(r"<h3>(.*?)</h3><table>(.*?)</table>", block, flags=re.S):
        out[title] = dict(re.findall(r"<tr><th>(.*?)</th><td>(.*?)</td></tr>", table))
    return out


def assert_offline(page: str):
    # No external resource of any kind: every script inline, no stylesheet links, images, frames, imports.
    assert not re.search(r"<script[^>]*\bsrc\s*=", page, flags=re.I)
    assert not re.search(r"<(link|img|iframe)\b", page, flags=re.I)
    assert "@import" not in page and not re.search(r"url\(\s*['\"]?https?:", page)


def test_2d_report_steps_through_the_run_framed_like_the_page(tmp_path):
    cfg = parse_config({"target": {"name": "ring"}, "objective": {"name": "hinge"}})
    early = snap(iteration=0, fake=np.array([[5.5, 5.0], [6.0, 4.5]]), window=(-4.0, 7.0, -4.0, 7.0))
    late = snap(iteration=42, window=(-3.5, 3.5, -3.5, 3.5))
    out = write_report(tmp_path / "r.html", late, HISTORY, cfg, [late, early])
    page = out.read_text()
    assert page.startswith("<!DOCTYPE html>") and page.rstrip().endswith("</html>")
    assert_offline(page)
    assert "Plotly.newPlot" in page and len(page) > 1_000_000  # plotly.js itself is inline (megabytes)
    figs = _plot_data(page)
    assert len(figs) == 3
    samples, losses, metrics = figs
    surface = next(t for t in samples if t["type"] == "contour")
    assert surface["z"][0] == [0.625] * 5 and surface["contours"]["start"] == 0.5  # D, with its D = 1/2 line
    real = next(t for t in samples if t.get("name") == "real")
    fake = next(t for t in samples if t.get("name") == "generated")
    assert real["x"] == [1.2345, 0.25] and real["y"] == [-0.5, 2.75] and fake["x"] == [-2.125, 0.5]
    # One slider step per view, in iteration order, the last one shown first; each framed on its window.
    frames = _frames(page)
    assert [f["name"] for f in frames] == ["0", "42"]
    assert frames[0]["layout"]["xaxis"]["range"] == [-4.0, 7.0] and frames[1]["layout"]["yaxis"]["range"] == [-3.5, 3.5]
    first_fake = next(t for t in frames[0]["data"] if t.get("name") == "generated")
    assert first_fake["x"] == [5.5, 6.0]
    assert '"active":1' in page.replace(" ", "") and "iteration 42" in page
    d_loss = next(t for t in losses if t["name"] == "d_loss")
    assert d_loss["x"] == list(range(1, 51)) and d_loss["y"][0] == 1.49
    assert {t["name"] for t in metrics} == {"modes_captured", "high_quality_fraction"}
    cfg_text = re.search(r'<pre id="config">(.*?)</pre>', page, flags=re.S).group(1)
    assert json.loads(cfg_text.replace("&quot;", '"'))["objective"]["name"] == "hinge"
    assert "0.4321" in page and "iteration 42" in page  # final metrics table and title


def test_the_report_draws_in_the_pages_colours(tmp_path):
    page_colors, page_puor = _page_palette()
    assert palette.REAL == page_colors["real"] and palette.FAKE == page_colors["fake"]
    assert palette.FAKE_STROKE == page_colors["fakeStroke"] and palette.D_CURVE == page_colors["dCurve"]
    assert palette.FAKE_DENSITY == page_colors["fakeDensity"] and palette.REAL_DENSITY == page_colors["realDensity"]
    assert [list(c) for c in palette.PUOR] == page_puor
    page = write_report(tmp_path / "r.html", snap(), HISTORY, parse_config({})).read_text()
    samples = _plot_data(page)[0]
    fake = next(t for t in samples if t.get("name") == "generated")
    real = next(t for t in samples if t.get("name") == "real")
    assert fake["marker"]["color"] == palette.FAKE and fake["marker"]["line"]["color"] == palette.FAKE_STROKE
    assert real["marker"]["color"] == palette.REAL
    surface = next(t for t in samples if t["type"] == "contour")
    assert surface["colorscale"][0][1] == "rgb(45,0,75)" and surface["colorscale"][-1][1] == "rgb(127,59,8)"
    figure = json.dumps(samples)
    assert "#1b9e77" not in figure and "RdBu" not in figure  # the old report's own colours


def _page_palette() -> tuple[dict[str, str], list[list[int]]]:
    """The page's COLORS object and PuOr stops, read from the page's modules wherever they define them."""
    colors, puor = None, None
    for path in sorted(FRONTEND.rglob("*.js")):
        text = path.read_text()
        m = re.search(r"export const COLORS = Object\.freeze\(\{(.*?)\}\);", text, flags=re.S)
        if m:
            colors = dict(re.findall(r'(\w+): "([^"]+)"', m.group(1)))
        p = re.search(r"const PUOR = \[(.*?)\];", text, flags=re.S)
        if p:
            puor = [list(map(int, t)) for t in re.findall(r"\[(\d+), (\d+), (\d+)\]", p.group(1))]
    assert colors and puor, "the page's colours were not found under frontend/"
    return colors, puor


def test_1d_report_shows_densities_the_d_curve_and_where_the_samples_are(tmp_path):
    cfg = parse_config({"target": {"name": "mixture-1d"}})
    page = write_report(tmp_path / "r.html", snap(dim=1), HISTORY, cfg).read_text()
    traces = _plot_data(page)[0]
    assert {t["name"] for t in traces} == {"real density", "generated density", "D(x)", "generated samples"}
    real_density = next(t for t in traces if t["name"] == "real density")
    assert max(real_density["y"]) > 0  # computed by KDE when the snapshot had none
    rug = next(t for t in traces if t["name"] == "generated samples")
    assert rug["x"] == [-2.125, 0.5]


def test_non_finite_values_become_null_not_nan(tmp_path):
    fake = np.array([[np.nan, 0.0], [np.inf, 1.0]])
    page = write_report(tmp_path / "r.html", snap(fake=fake), HISTORY, parse_config({})).read_text()
    gen = next(t for t in _plot_data(page)[0] if t.get("name") == "generated")
    assert gen["x"] == [None, None] and gen["y"] == [0.0, 1.0]


def test_settings_list_only_what_is_in_effect(tmp_path):
    cfg = parse_config({"regularizers": {"r1": 2.0, "instance_noise_anneal": 500},
                        "training": {"lr_drop_factor": 0.5}, "optimizer_d": {"name": "momentum"},
                        "discriminator": {"spectral_norm": True}})
    shown = in_effect(cfg)
    assert shown["regularizers"] == {"r1": 2.0}  # off at 0; annealing without instance noise means nothing
    assert "lr_drop_factor" not in shown["training"] and "lr_drop_at" not in shown["training"]
    assert shown["optimizer_d"]["name"] == "momentum" and "beta1" not in shown["optimizer_d"]
    assert "momentum" not in shown["optimizer_g"]  # Adam has none (the union says so)
    assert shown["discriminator"]["spectral_norm"] is True and "batch_norm" not in shown["discriminator"]
    assert "dropout" not in shown["generator"] and "weights" not in shown["target"]
    data = parse_config({"target": {"name": "data", "dim": 1, "points": [[0.5]] * 30, "source": "a.csv"}})
    assert in_effect(data)["target"]["points"] == "30 rows"
    page = write_report(tmp_path / "r.html", snap(dim=1), HISTORY, cfg).read_text()
    tables = _settings(page)
    assert tables["regularizers"] == {"r1": "2"} and "lr_drop_factor" not in tables["training"]
    assert "instance_noise_anneal" in page  # the exact config keeps every field


def test_long_histories_are_thinned_but_keep_the_last_point():
    hist = [{"iteration": i, "d_loss": float(i)} for i in range(1, 10_002)]
    fig = curves_figure(hist, ("d_loss", "g_loss"), "Losses")
    (trace,) = fig.data
    assert len(trace.x) <= MAX_CURVE_POINTS + 1 and trace.x[-1] == 10_001 and trace.x[0] == 1


def test_report_from_a_trainer(tmp_path):
    from gan_core.engine.trainer import Trainer

    cfg = parse_config({"target": {"name": "ring"}, "generator": {"width": 16}, "discriminator": {"width": 16},
                        "training": {"batch_size": 32}})
    t = Trainer(cfg)
    t.step(5)
    t.evaluate()
    page = write_report(tmp_path / "t.html", t, t.history, t.config).read_text()
    assert_offline(page)
    samples = _plot_data(page)[0]
    fake = next(tr for tr in samples if tr.get("name") == "generated")
    assert len(fake["x"]) == REPORT_SAMPLES
    assert "iteration 5" in page and [f["name"] for f in _frames(page)] == ["5"]
    assert report_html(t.snapshot(), t.history, t.config).count("Plotly.newPlot") == 3


def test_each_view_is_framed_on_the_target_and_the_generated_samples():
    # saturating-stall's picture: the target at 5..11, the generator near 0 (a view fixed on the
    # target's box, as the old report's, showed no generated sample at all).
    from gan_core.engine.trainer import Trainer
    from gan_core.science.presets import get_preset

    t = Trainer(get_preset("saturating-stall").experiment())
    s = record_snapshot(t)
    assert s.bounds[0] > 3 and s.window is not None
    x0, x1 = s.window[:2]
    inside = ((s.fake[:, 0] >= x0) & (s.fake[:, 0] <= x1)).mean()
    assert inside > 0.97 and x1 >= s.bounds[1]
    assert s.grid_x[0] == pytest.approx(x0) and s.density_x[-1] == pytest.approx(x1)  # D and densities too


def test_a_run_report_steps_through_evenly_spaced_iterations(capsys, tmp_path):
    from gan_core.cli.main import main

    assert report_iterations(600) == [0, 50, 100, 150, 200, 250, 300, 350, 400, 450, 500, 550, 600]
    assert report_iterations(5) == [0, 1, 2, 3, 4, 5]
    out = tmp_path / "run.html"
    rc = main(["run", "--preset", "gaussian-1d", "--steps", "24", "--every", "10", "--report", str(out),
               "--set", "training.batch_size=32"])
    assert rc == 0
    printed = capsys.readouterr().out
    assert [ln.split()[1] for ln in printed.splitlines() if ln.startswith("iter ")] == ["10/24", "20/24", "24/24"]
    names = [f["name"] for f in _frames(out.read_text())]
    assert names == [str(i) for i in report_iterations(24)]


def _capture(fn, failure):
    try:
        fn()
    except Exception as exc:  # reported by the test on the main thread
        failure.append(repr(exc))


@pytest.mark.browser
def test_report_renders_in_chromium_with_the_network_cut(tmp_path):
    from playwright.sync_api import sync_playwright

    path = write_report(tmp_path / "r.html", snap(), HISTORY, parse_config({}))
    remote, errors, counts = [], [], []

    def look():
        with sync_playwright() as p:
            browser = p.chromium.launch(
                executable_path=os.environ.get("TOYGAN_CHROMIUM", "/usr/bin/chromium"),
                args=["--no-sandbox", "--disable-gpu", "--disable-background-networking",
                      "--disable-component-update", "--disable-sync", "--no-first-run"])
            try:
                page = browser.new_page()
                page.route(re.compile(r"^(https?|wss?)://"), lambda route: (remote.append(route.request.url),
                                                                            route.abort()))
                page.on("pageerror", lambda e: errors.append(str(e)))
                page.goto(path.as_uri())
                page.wait_for_function("document.querySelectorAll('.js-plotly-plot .main-svg').length >= 3",
                                       timeout=20_000)
                counts.append(page.locator(".js-plotly-plot .scatterlayer .point").count())
            finally:
                browser.close()

    # The browser tests' session-wide Playwright keeps an asyncio loop on the main thread, and the
    # sync API refuses to start inside one: this test drives its own browser from a fresh thread.
    failure = []
    worker = threading.Thread(target=lambda: _capture(look, failure))
    worker.start()
    worker.join(120)
    assert not failure, failure[0]
    assert counts, "the report page never rendered"
    points = counts[0]
    assert remote == [] and errors == []
    assert points >= 4  # 2 real + 2 generated markers drawn (plus metric markers)


def test_dirac_report_plots_the_theta_psi_trajectory():
    # A real Dirac run (simultaneous updates): the page must hold the (theta, psi) path as recorded.
    from gan_core.engine.trainer import Trainer
    t = Trainer(parse_config({"target": {"name": "dirac"}, "generator": {"kind": "point"},
                                  "discriminator": {"kind": "linear"}}))
    t.step(40)
    rows = [h for h in t.history if "theta" in h]
    assert len(rows) == 40
    page = report_html(t.snapshot(), t.history, t.config)
    traces = [tr for plot in _plot_data(page) for tr in plot if tr.get("name") == "(theta, psi)"]
    assert len(traces) == 1
    assert np.allclose(traces[0]["x"], [h["theta"] for h in rows])
    assert np.allclose(traces[0]["y"], [h["psi"] for h in rows])
    # No theta/psi in the history (any other game): no trajectory figure.
    assert "(theta, psi)" not in report_html(snap(), HISTORY, parse_config({}))

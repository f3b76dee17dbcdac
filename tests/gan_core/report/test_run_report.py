"""HTML report: written, holds the run's data as readable numbers, loads nothing from the network."""

import json
import os
import re
import threading

import numpy as np
import pytest

from gan_core.engine.config import parse_config
from gan_core.engine.snapshot import Snapshot
from gan_core.report.run_report import MAX_CURVE_POINTS, curves_figure, report_html, write_report


def snap(dim=2, fake=None, d_kind="probability"):
    g = np.linspace(-3, 3, 5)
    real = np.array([[1.2345, -0.5], [0.25, 2.75]]) if dim == 2 else np.array([[1.2345], [0.25]])
    fake = np.array([[-2.125, 0.375], [0.5, 0.5]]) if fake is None else fake
    return Snapshot(
        iteration=42, status="ok", status_message="", dim=dim, bounds=(-3.0, 3.0, -3.0, 3.0) if dim == 2 else
        (-3.0, 3.0, 0.0, 1.0), real=real, fake=fake if dim == 2 else fake[:, :1], fake_grad=None, grid_x=g,
        grid_y=g if dim == 2 else None, d_surface=np.full((5, 5), 0.625) if dim == 2 else np.full(5, 0.625),
        d_kind=d_kind, d_optimal=None, manifold=None, density_x=None, density_real=None, density_fake=None,
        losses={"d_loss": 1.0, "g_loss": 0.5}, metrics={"modes_captured": 3.0, "modes_total": 8.0,
                                                        "sample_distance": 0.4321},
        dirac=None)


HISTORY = [{"iteration": i, "d_loss": 1.5 - i / 100, "g_loss": 0.5 + i / 200} for i in range(1, 51)]
HISTORY[-1].update(modes_captured=3.0, high_quality_fraction=0.875)


def _plot_data(page: str) -> list[dict]:
    """The trace lists passed to Plotly.newPlot, parsed back from the page."""
    calls = re.findall(r'Plotly\.newPlot\(\s*"[^"]+",\s*(\[.*?\]),\s*\{', page, flags=re.S)
    return [json.loads(c) for c in calls]


def assert_offline(page: str):
    # No external resource of any kind: every script inline, no stylesheet links, images, frames, imports.
    assert not re.search(r"<script[^>]*\bsrc\s*=", page, flags=re.I)
    assert not re.search(r"<(link|img|iframe)\b", page, flags=re.I)
    assert "@import" not in page and not re.search(r"url\(\s*['\"]?https?:", page)


def test_2d_report_holds_samples_surface_curves_and_config(tmp_path):
    cfg = parse_config({"target": {"name": "ring"}, "objective": {"name": "hinge"}})
    out = write_report(tmp_path / "r.html", snap(), HISTORY, cfg)
    page = out.read_text()
    assert page.startswith("<!DOCTYPE html>") and page.rstrip().endswith("</html>")
    assert_offline(page)
    assert "Plotly.newPlot" in page and len(page) > 1_000_000  # plotly.js itself is inline (megabytes)
    figs = _plot_data(page)
    assert len(figs) == 3
    samples, losses, metrics = figs
    heat = next(t for t in samples if t["type"] == "heatmap")
    assert heat["z"][0] == [0.625] * 5
    real = next(t for t in samples if t.get("name") == "real")
    fake = next(t for t in samples if t.get("name") == "generated")
    assert real["x"] == [1.2345, 0.25] and real["y"] == [-0.5, 2.75]
    assert fake["x"] == [-2.125, 0.5]
    d_loss = next(t for t in losses if t["name"] == "d_loss")
    assert d_loss["x"] == list(range(1, 51)) and d_loss["y"][0] == 1.49
    assert {t["name"] for t in metrics} == {"modes_captured", "high_quality_fraction"}
    cfg_text = re.search(r'<pre id="config">(.*?)</pre>', page, flags=re.S).group(1)
    assert json.loads(cfg_text.replace("&quot;", '"'))["objective"]["name"] == "hinge"
    assert "0.4321" in page and "iteration 42" in page  # final metrics table and title


def test_1d_report_shows_densities_and_the_d_curve(tmp_path):
    cfg = parse_config({"target": {"name": "mixture-1d"}})
    page = write_report(tmp_path / "r.html", snap(dim=1), HISTORY, cfg).read_text()
    names = {t["name"] for t in _plot_data(page)[0]}
    assert names == {"real density", "generated density", "D(x)"}
    real_density = next(t for t in _plot_data(page)[0] if t["name"] == "real density")
    assert max(real_density["y"]) > 0  # computed by KDE when the snapshot had none


def test_non_finite_values_become_null_not_nan(tmp_path):
    fake = np.array([[np.nan, 0.0], [np.inf, 1.0]])
    page = write_report(tmp_path / "r.html", snap(fake=fake), HISTORY, parse_config({})).read_text()
    gen = next(t for t in _plot_data(page)[0] if t.get("name") == "generated")
    assert gen["x"] == [None, None] and gen["y"] == [0.0, 1.0]


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
    assert len(fake["x"]) == 1024
    assert "iteration 5" in page
    assert report_html(t.snapshot(), t.history, t.config).count("Plotly.newPlot") == 3


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

"""The mode-coverage study (gan_core.science.study): setups validate, the table is computed right from
per-seed values, the outputs are written (HTML self-contained), options parse into targets and methods.
One tiny real run (1 seed, a handful of steps, one method x one target, in process) is shared."""

import json
import math
import re
from types import SimpleNamespace

import pytest

from gan_core.engine.config import ConfigError, ExperimentConfig
from gan_core.report import study_report as reproduce_report
from gan_core.science import study as reproduce
from gan_core.science import study_setups as setups


@pytest.fixture(scope="module")
def tiny(tmp_path_factory):
    out = tmp_path_factory.mktemp("study")
    opts = reproduce.Options(seeds=1, steps=5, jobs=1, targets=("ring",), methods=("vanilla",),
                             eval_samples=200, out=str(out))
    return out, reproduce.study(opts, quiet=True)


def test_default_study_setups_validate():
    jobs = reproduce.plan(reproduce.Options())
    assert len(jobs) == 2 * 3 * 5
    assert {(j.target, j.method) for j in jobs} == {(t, m) for t in ("ring", "grid")
                                                    for m in ("vanilla", "unrolled", "wgan-gp")}
    for t in setups.TARGETS:
        for m in setups.METHODS:
            cfg = reproduce.study_config(t, m, seed=3)
            assert isinstance(cfg, ExperimentConfig) and cfg.seed == 3 and cfg.target.name == t
    assert reproduce.study_config("ring", "unrolled", 0).training.unroll > 0
    assert reproduce.study_config("grid", "wgan-gp", 0).objective.name == "wgan-gp"
    grid = reproduce.study_config("grid", "vanilla", 0).target
    assert (grid.modes, grid.spacing, grid.std) == (5, 2.0, 0.05)
    ring = reproduce.study_config("ring", "vanilla", 0).target
    assert (ring.modes, ring.radius, ring.std) == (8, 2.0, 0.02)


def test_plan_steps_scale_and_override():
    base = setups.SETUPS["vanilla"].steps
    scaled = reproduce.plan(reproduce.Options(seeds=1, steps_scale=0.1, methods=("vanilla",), targets=("ring",)))
    assert [j.steps for j in scaled] == [round(base * 0.1)]
    fixed = reproduce.plan(reproduce.Options(seeds=2, steps=7))
    assert len(fixed) == 12 and {j.steps for j in fixed} == {7}
    # The last third of each run at a tenth of the setup's learning rates.
    assert {j.fine_steps for j in fixed} == {2}
    job = fixed[0]
    assert job.fine_patch["optimizer_g"]["lr"] == pytest.approx(job.config["optimizer_g"]["lr"] / 10)
    assert job.fine_patch["optimizer_d"]["lr"] == pytest.approx(job.config["optimizer_d"]["lr"] / 10)
    # The most expensive runs start first, so a pool does not end on one long straggler.
    costs = [j.steps * setups.SETUPS[j.method].ms_per_step for j in reproduce.plan(reproduce.Options())]
    assert costs == sorted(costs, reverse=True)


def test_mean_std_by_hand():
    mean, std, n = reproduce_report.mean_std([6.0, 7.0, 8.0, 7.0])
    assert (mean, n) == (7.0, 4)
    assert std == pytest.approx(math.sqrt(2.0 / 3.0))  # squares 1+0+1+0 = 2 over n-1 = 3
    assert reproduce_report.mean_std([5.0]) == (5.0, 0.0, 1)
    assert reproduce_report.mean_std([1.0, float("nan"), 3.0]) == (2.0, pytest.approx(math.sqrt(2.0)), 2)
    m, s, n = reproduce_report.mean_std([])
    assert math.isnan(m) and math.isnan(s) and n == 0


def _record(target, method, seed, modes, hq, kl, dist, seconds=1.0, status="ok", strict=0.0):
    return {"target": target, "method": method, "seed": seed, "steps_requested": 10, "status": status,
            "seconds": seconds, "metrics": {"modes_captured": modes, "modes_captured_strict": strict,
                                            "modes_total": 8.0, "high_quality_fraction": hq, "mode_kl": kl,
                                            "sample_distance": dist}}


def test_aggregate_from_per_seed_values():
    records = [_record("ring", "unrolled", 0, 8.0, 0.9, 0.1, 0.02, seconds=10.0, strict=3.0),
               _record("ring", "unrolled", 1, 6.0, 0.5, 0.3, 0.04, seconds=20.0, status="diverged", strict=1.0),
               _record("ring", "vanilla", 0, 1.0, 0.2, 2.0, 1.0)]
    rows = reproduce_report.aggregate(records)
    assert [(r["target"], r["method"]) for r in rows] == [("ring", "vanilla"), ("ring", "unrolled")]
    u = rows[1]
    assert (u["runs"], u["diverged"], u["modes_total"], u["steps"]) == (2, 1, 8, 10)
    assert u["modes_captured"]["mean"] == 7.0
    assert u["modes_captured"]["std"] == pytest.approx(math.sqrt(2.0))  # (1 + 1) / (2 - 1)
    assert u["high_quality_fraction"]["mean"] == pytest.approx(0.7)
    assert u["high_quality_fraction"]["std"] == pytest.approx(math.sqrt(0.08))  # (0.2^2 * 2) / 1
    assert u["mode_kl"]["mean"] == pytest.approx(0.2)
    assert u["sample_distance"]["std"] == pytest.approx(math.sqrt(0.0002))
    assert u["seconds"]["mean"] == 15.0
    assert u["cpu_seconds"]["n"] == 0  # records without CPU time (older results) still aggregate
    md = reproduce_report.table_markdown(rows)
    assert "| 7.0 ± 1.4 / 8 | 2.0 ± 1.4 / 8 |" in md and "| 70.0 ± 28.3 |" in md and "(1 diverged)" in md
    # both capture rules, each labelled (same-rule comparisons only)
    assert "modes captured (published rule) | modes captured (strict rule)" in md


def test_tiny_study_writes_json_table_and_html(tiny):
    out, result = tiny
    data = json.loads((out / "results.json").read_text())
    assert set(data) == {"meta", "table", "runs"}
    assert data["meta"]["seeds"] == 1 and data["meta"]["jobs"] == 1 and data["meta"]["eval_samples"] == 200
    assert "--steps 5" in data["meta"]["command"] and "--only ring,vanilla" in data["meta"]["command"]
    (run,) = data["runs"]
    assert (run["target"], run["method"], run["seed"], run["steps"], run["fine_steps"]) == ("ring", "vanilla", 0, 5, 2)
    assert set(setups.METRICS) <= set(run["metrics"]) and run["metrics"]["modes_total"] == 8
    assert 0 < run["cpu_seconds"] and data["meta"]["cpu_seconds"] == pytest.approx(run["cpu_seconds"], abs=0.1)
    (row,) = data["table"]
    for key in setups.METRICS:
        assert row[key]["mean"] == pytest.approx(run["metrics"][key]) and row[key]["std"] == 0.0
    md = (out / "results.md").read_text()
    assert "| ring | vanilla GAN (non-saturating) | 5 |" in md
    # The HTML page's samples: a few hundred per panel.
    rec = result["runs"][0]
    assert 0 < len(rec["fake"]) <= setups.PANEL_POINTS and len(rec["real"]) <= setups.PANEL_POINTS


def test_html_is_self_contained(tiny):
    out, _ = tiny
    page = (out / "results.html").read_text(encoding="utf-8")
    assert page.startswith("<!DOCTYPE html>") and '<table id="results">' in page
    assert "Plotly.newPlot" in page and len(page) > 1_000_000  # plotly.js itself is inline (megabytes)
    # No external resource of any kind (as tests/gan_core/test_report.py checks its report).
    assert not re.search(r"<script[^>]*\bsrc\s*=", page, flags=re.I)
    assert not re.search(r"<(link|img|iframe)\b", page, flags=re.I)
    assert "@import" not in page and not re.search(r"url\(\s*['\"]?https?:", page)
    assert reproduce_report.REAL_COLOR in page and reproduce_report.FAKE_COLOR in page


def test_options_parse_only_into_targets_and_methods():
    args = SimpleNamespace(seeds=2, steps_scale=0.5, steps=None, jobs=1, only=["grid", "unrolled,wgan-gp"],
                           eval_samples=500, out="x")
    opts = reproduce.options(args)
    assert opts.targets == ("grid",) and opts.methods == ("unrolled", "wgan-gp")
    assert reproduce.options(SimpleNamespace(**{**vars(args), "only": []})).targets == ("ring", "grid")
    with pytest.raises(ConfigError) as e:
        reproduce.options(SimpleNamespace(**{**vars(args), "eval_samples": 0}))
    assert e.value.field == "--eval-samples"

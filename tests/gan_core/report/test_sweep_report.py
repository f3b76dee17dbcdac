"""The sweep's HTML map: one cell per grid point coloured by outcome, hover text with every seed's
outcome and the metrics, blank cells for runs a cancelled sweep never finished, a shade per chosen
metric; no network needed."""

import json
import math
import re

import pytest

from gan_core.report.sweep_report import (
    COLORS,
    hover_text,
    map_figure,
    shade_levels,
    shades,
    write_sweep_report,
)
from gan_core.science.sweep.outcomes import OUTCOMES
from gan_core.science.sweep.runner import CellResult, SweepResult, plan_sweep


def result(cancel_last: bool = False) -> SweepResult:
    plan = plan_sweep("dirac-r1", ["regularizers.r1=0,1", "training.update=alternating,simultaneous"], seeds=3)
    outcomes = [("oscillating",) * 3, ("diverged", "diverged", "oscillating"), ("converged",) * 3,
                ("converged", "stalled", "converged")]
    cells = tuple(
        CellResult(i, dict(plan.grid.cells[i].params), o[0], o, tuple(f"why {i}.{s}" for s in range(3)),
                   {"distance_to_equilibrium": 0.5 + i, "modes_reached": 1.0, "modes_total": 1.0,
                    "grad_norm_g": math.nan, "seconds": 0.25})
        for i, o in enumerate(outcomes) if not (cancel_last and i == 3))
    return SweepResult(plan, "local", 12.5, cells, cancelled=cancel_last)


def test_map_is_a_grid_of_outcome_codes_rows_first_axis():
    fig = map_figure(result())
    heat = fig.data[0]
    assert list(heat.y) == ["0", "1"] and list(heat.x) == ["alternating", "simultaneous"]
    assert [list(r) for r in heat.z] == [[OUTCOMES.index("oscillating"), OUTCOMES.index("diverged")],
                                         [OUTCOMES.index("converged"), OUTCOMES.index("converged")]]
    assert [list(r) for r in heat.text] == [["O 3/3", "D 2/3"], ["C 3/3", "C 2/3"]]
    # each outcome has its own colour, in a legend entry
    assert {t.name for t in fig.data[1:]} == {f"{x} {o}" for o, x in zip(OUTCOMES, "DXSOC", strict=True)}
    assert len(set(COLORS.values())) == len(OUTCOMES)


def test_hover_names_settings_seeds_reason_and_metrics():
    cell = result().cells[1]
    text = hover_text(cell)
    assert "regularizers.r1 = 0" in text and "training.update = simultaneous" in text
    assert "seeds: diverged, diverged, oscillating" in text and "why 1.0" in text
    assert "distance to equilibrium: 1.5" in text and "|grad G|: n/a" in text


def test_page_is_self_contained_and_shows_unfinished_cells_blank(tmp_path):
    page = write_sweep_report(tmp_path / "map.html", result(cancel_last=True)).read_text()
    assert "Plotly.newPlot" in page and "cancelled before the end" in page
    assert "toygan sweep --preset dirac-r1 --grid regularizers.r1=0,1" in page
    assert not re.search(r"<script[^>]+src=", page)  # plotly.js inlined, nothing fetched
    spec = json.loads(re.search(r"Plotly\.newPlot\(\s*\"[^\"]+\",\s*(\[.*?\]),\s*\{", page, re.S).group(1))
    assert spec[0]["z"][1][1] is None and spec[0]["customdata"][1][1] == "not run"


def test_shade_levels_run_pale_to_deep_linear_or_log_and_skip_missing_values():
    levels, scale = shade_levels([1.0, 3.0, math.nan, 2.0, None])
    assert levels == [0.0, 1.0, None, 0.5, None] and scale == {"lo": 1.0, "hi": 3.0, "log": False}
    levels, scale = shade_levels([1e-3, 1e-1, 10.0])  # 4 decades: a log scale puts 0.1 in the middle
    assert scale["log"] and levels == [0.0, pytest.approx(0.5), 1.0]
    assert shade_levels([2.0, 2.0])[0] == [1.0, 1.0] and shade_levels([math.nan]) == ([None], None)


def test_the_shade_menu_changes_the_cells_shade_with_the_metric_and_the_legend_says_which(tmp_path):
    res = result()
    menu = shades(res)
    # Metrics that differ between cells are offered; constant ones (modes 1 of 1) and all-NaN ones are not.
    assert list(menu) == ["", "distance_to_equilibrium"]
    assert menu[""]["z"] == [list(r) for r in map_figure(res).data[0].z]  # no shade: the outcome's own colour
    dist_z = menu["distance_to_equilibrium"]["z"]
    codes = [[OUTCOMES.index(c.outcome) for c in res.cells[k:k + 2]] for k in (0, 2)]
    # distance 0.5 (lowest: palest), 1.5, 2.5, 3.5 (highest: the outcome's colour, z = its code)
    assert dist_z[0][0] == pytest.approx(codes[0][0] - 0.499) and dist_z[1][1] == codes[1][1]
    assert codes[1][0] - 0.499 < dist_z[1][0] < codes[1][0]
    assert dist_z != menu[""]["z"]
    words = menu["distance_to_equilibrium"]["words"]
    assert "distance to the equilibrium" in words and "0.5" in words and "3.5" in words
    page = write_sweep_report(tmp_path / "map.html", res).read_text()
    assert '<select id="shade">' in page and 'value="distance_to_equilibrium"' in page
    assert "Plotly.restyle('map'" in page and '<div id="map"' in page


def test_shaded_cells_keep_their_outcomes_colour_band():
    fig = map_figure(result())
    scale = [(pos, col) for pos, col in fig.data[0].colorscale]
    n = len(OUTCOMES)
    for i, o in enumerate(OUTCOMES):  # pale at the band's start, the outcome's colour from its middle on
        assert (pytest.approx((i + 0.5) / n), COLORS[o]) in [(pytest.approx(p), c) for p, c in scale]
    assert fig.data[0].zmin == -0.5 and fig.data[0].zmax == n - 0.5

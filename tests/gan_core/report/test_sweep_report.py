"""The sweep's HTML map: one cell per grid point coloured by outcome, hover text with every seed's
outcome and the metrics, blank cells for runs a cancelled sweep never finished; no network needed."""

import json
import math
import re

from gan_core.report.sweep_report import COLORS, hover_text, map_figure, write_sweep_report
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

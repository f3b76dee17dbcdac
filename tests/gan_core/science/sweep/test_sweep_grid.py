"""The sweep's grid: axes parsed like --set, spacing helpers, and every bad input refused up front
with an error naming the axis and the value."""

import math

import pytest

from gan_core.cli.values import parse_value as cli_parse_value
from gan_core.engine.config import ConfigError, parse_config
from gan_core.science.presets import preset_config
from gan_core.science.sweep.grid import MAX_AXIS_VALUES, build_grid, parse_axis, parse_value, split_values
from gan_core.science.sweep.runner import plan_sweep


def error(fn, *args, **kw) -> ConfigError:
    with pytest.raises(ConfigError) as exc:
        fn(*args, **kw)
    return exc.value


@pytest.mark.parametrize("text", ["1", "1e-3", "-2.5", "true", "null", "[1, 2]", '{"a": 1}', '"x,y"', "hinge",
                                  "wgan-gp", "1e", " 3 ", "[1,"])
def test_values_parse_exactly_like_set(text):
    assert parse_value(text) == cli_parse_value(text)


def test_list_values_keep_their_types_and_brackets_do_not_split():
    assert parse_axis("objective.name=hinge,wgan-gp").values == ("hinge", "wgan-gp")
    assert parse_axis("training.k_d=1,2,5").values == (1, 2, 5)
    assert parse_axis("target.means=[-2,2],[-3,0,3]").values == ([-2, 2], [-3, 0, 3])
    assert split_values('"a,b",c') == ['"a,b"', "c"]


def test_log_helper_spaces_evenly_in_log_and_keeps_both_ends():
    v = parse_axis("optimizer_d.lr=log:1e-4:1e-1:7").values
    assert len(v) == 7 and v[0] == 1e-4 and v[-1] == 0.1 and v[2] == 1e-3
    steps = [math.log10(b / a) for a, b in zip(v, v[1:], strict=False)]
    assert all(abs(s - 0.5) < 1e-3 for s in steps)
    assert v[1] == 3.162e-4  # 4 significant digits, readable on a map


def test_lin_helper_gives_integers_only_when_written_as_integers():
    assert parse_axis("training.k_d=lin:1:5:5").values == (1, 2, 3, 4, 5)
    assert all(isinstance(x, int) for x in parse_axis("training.k_d=lin:1:5:5").values)
    assert parse_axis("regularizers.r1=lin:0:1:5").values == (0.0, 0.25, 0.5, 0.75, 1.0)
    assert parse_axis("regularizers.r1=lin:0.1:0.3:3").values == (0.1, 0.2, 0.3)  # no 0.30000000000000004


@pytest.mark.parametrize("item, field, words", [
    ("optimizer_d.lrr=0.1", "optimizer_d.lrr", ["unknown config path", "'lrr'", "lr"]),
    ("optimiser_d.lr=0.1", "optimiser_d.lr", ["unknown config path", "optimizer_d"]),
    ("optimizer_d.lr.x=1", "optimizer_d.lr.x", ["unknown config path"]),
    ("seed=1,2", "seed", ["--seeds"]),
    ("optimizer_d.lr", "grid", ["PATH=V1,V2"]),
    ("=1,2", "grid", ["PATH=V1,V2"]),
    ("optimizer_d.lr=0.1,,0.2", "optimizer_d.lr", ["empty value"]),
    ("optimizer_d.lr=0.1,0.1", "optimizer_d.lr", ["repeated"]),
    ("optimizer_d.lr=log:0:1:5", "optimizer_d.lr", ["LO > 0"]),
    ("optimizer_d.lr=log:1e-3:x:5", "optimizer_d.lr", ["HI", "number"]),
    ("optimizer_d.lr=lin:1:2", "optimizer_d.lr", ["lin:LO:HI:N"]),
    (f"optimizer_d.lr=log:1e-3:1:{MAX_AXIS_VALUES + 1}", "optimizer_d.lr", [str(MAX_AXIS_VALUES)]),
])
def test_bad_axes_name_the_axis_and_the_reason(item, field, words):
    exc = error(parse_axis, item)
    assert exc.field == field, exc.message
    for w in words:
        assert w in exc.message, exc.message


def test_a_value_that_fails_validation_names_its_axis_and_value():
    base = preset_config("gaussian-1d")
    exc = error(build_grid, base, [parse_axis("training.k_d=1,2"), parse_axis("optimizer_d.lr=0.01,20")])
    assert exc.field == "optimizer_d.lr"
    assert "20" in exc.message and "axis 2" in exc.message and "less than or equal to 10" in exc.message


def test_a_combination_that_fails_names_both_values():
    # Each value is valid alone; together low >= high is not.
    base = parse_config({"target": {"name": "uniform-1d", "low": -1.0, "high": 1.0}})
    exc = error(build_grid, base, [parse_axis("target.low=-1,0.5"), parse_axis("target.high=1,0")])
    assert exc.field == "grid"
    assert "target.low=0.5" in exc.message and "target.high=0" in exc.message


def test_axis_count_cap_and_overlap_are_refused_before_anything_is_built():
    base = preset_config("gaussian-1d")
    three = [parse_axis(s) for s in ("training.k_d=1,2", "training.k_g=1,2", "optimizer_d.lr=0.1,0.2")]
    assert "at most 2 axes" in error(build_grid, base, three).message
    big = [parse_axis("optimizer_d.lr=log:1e-4:1:21"), parse_axis("optimizer_g.lr=log:1e-4:1:21")]
    exc = error(build_grid, base, big, max_cells=400)
    assert exc.field == "grid" and "441 cells (21 x 21)" in exc.message and "400" in exc.message
    assert len(build_grid(base, big, max_cells=441).cells) == 441
    overlap = [parse_axis('optimizer_d={"lr": 0.1}'), parse_axis("optimizer_d.lr=0.2")]
    assert "same setting" in error(build_grid, base, overlap).message


def test_cells_are_row_major_and_carry_validated_configs():
    g = build_grid(preset_config("dirac-r1"), [parse_axis("regularizers.r1=0,1"),
                                               parse_axis("training.update=alternating,simultaneous")])
    assert g.shape == (2, 2)
    assert [c.params for c in g.cells] == [
        {"regularizers.r1": 0, "training.update": "alternating"},
        {"regularizers.r1": 0, "training.update": "simultaneous"},
        {"regularizers.r1": 1, "training.update": "alternating"},
        {"regularizers.r1": 1, "training.update": "simultaneous"}]
    assert g.cells[3].config.regularizers.r1 == 1 and g.cells[3].config.training.update == "simultaneous"
    assert g.cells[3].config.generator.kind == "point"  # the preset's other settings are kept


def test_plan_checks_preset_seeds_and_steps():
    assert error(plan_sweep, "no-such", ["training.k_d=1"]).field == "preset"
    assert error(plan_sweep, "dirac-r1", ["training.k_d=1"], seeds=0).field == "seeds"
    assert error(plan_sweep, "dirac-r1", ["training.k_d=1"], steps=0).field == "steps"
    assert error(plan_sweep, "dirac-r1", []).field == "grid"
    plan = plan_sweep("dirac-r1", ["regularizers.r1=0,1"], seeds=2)
    assert plan.steps == 500 and plan.runs == 4  # the preset's steps by default
    runs = plan.runs_of("s")
    assert [(r.cell, r.seed, r.config["seed"]) for r in runs] == [(0, 0, 0), (0, 1, 1), (1, 0, 0), (1, 1, 1)]

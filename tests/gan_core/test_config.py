"""ExperimentConfig: defaults validate, bad values are rejected naming the field, patches validate whole."""

import json

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from gan_core.engine.config import (
    ConfigError,
    ExperimentConfig,
    apply_patch,
    changed_sections,
    deep_merge,
    dotted_patch,
    experiment_schema,
    parse_config,
    target_dim,
)

# (dotted field, lower bound, upper bound) for numeric fields with hard bounds.
BOUNDED = [
    ("optimizer_d.lr", 0, 10),
    ("optimizer_g.lr", 0, 10),
    ("training.k_d", 1, 50),
    ("training.k_g", 1, 50),
    ("training.batch_size", 1, 4096),
    ("training.unroll", 0, 20),
    ("generator.depth", 0, 6),
    ("generator.width", 1, 512),
    ("discriminator.width", 1, 512),
    ("noise.dim", 1, 256),
    ("regularizers.label_smoothing", 0, 0.5),
    ("target.modes", 1, 32),
]


def test_defaults_validate_and_round_trip_through_json():
    cfg = parse_config({})
    again = parse_config(json.loads(cfg.model_dump_json()))
    assert again == cfg
    assert target_dim(cfg.target) == 2


@pytest.mark.parametrize("path,lo,hi", BOUNDED)
def test_out_of_range_values_name_the_field(path, lo, hi):
    for bad in (lo - 1, hi + 1):
        with pytest.raises(ConfigError) as err:
            apply_patch(ExperimentConfig(), dotted_patch(path, bad))
        assert err.value.field == path
        assert path in str(err.value)


@settings(max_examples=60, deadline=None)
@given(path_bounds=st.sampled_from(BOUNDED), x=st.floats(allow_nan=False, allow_infinity=False, width=32))
def test_any_value_is_accepted_iff_in_bounds(path_bounds, x):
    path, lo, hi = path_bounds
    is_int = isinstance(getattr(getattr(ExperimentConfig(), path.split(".")[0]), path.split(".")[1]), int)
    value = int(x) if is_int and abs(x) < 1e9 else x
    if is_int and value != x:
        return  # non-integral floats for integer fields are a type error, covered below
    inside = (lo < value <= hi) if path.endswith(".lr") else (lo <= value <= hi)
    try:
        cfg = apply_patch(ExperimentConfig(), dotted_patch(path, value))
    except ConfigError as err:
        assert not inside, f"{path}={value} is in bounds but was rejected: {err}"
        assert err.field == path
    else:
        assert inside, f"{path}={value} is out of bounds but was accepted"
        section, name = path.split(".")
        assert getattr(getattr(cfg, section), name) == value


@settings(max_examples=40, deadline=None)
@given(key=st.text(min_size=1, max_size=12).filter(lambda k: k not in ExperimentConfig.model_fields["training"]
                                                   .annotation.model_fields))
def test_unknown_keys_are_rejected_by_name(key):
    with pytest.raises(ConfigError) as err:
        apply_patch(ExperimentConfig(), {"training": {key: 1}})
    assert err.value.field == f"training.{key}"


def test_wrong_types_are_rejected():
    with pytest.raises(ConfigError) as err:
        apply_patch(ExperimentConfig(), {"objective": {"name": "best-loss"}})
    assert err.value.field == "objective.name"
    with pytest.raises(ConfigError) as err:
        apply_patch(ExperimentConfig(), {"training": {"k_d": "many"}})
    assert err.value.field == "training.k_d"
    with pytest.raises(ConfigError):
        apply_patch(ExperimentConfig(), ["not", "a", "dict"])  # type: ignore[arg-type]


def test_cross_field_rules_name_the_field():
    cases = [
        ({"target": {"name": "mixture-1d", "means": [0, 1, 2], "stds": [1, 1]}}, "target.stds"),
        ({"target": {"name": "uniform-1d", "low": 1, "high": 0}}, "target.high"),
        ({"target": {"name": "gaussian-2d", "mean": [1.0]}}, "target.mean"),
        ({"target": {"name": "ring", "modes": 4, "weights": [1, 1]}}, "target.weights"),
        ({"target": {"name": "drawn", "points": []}}, "target.points"),
        ({"target": {"name": "drawn", "points": [[0, 1, 2]]}}, "target.points"),
        ({"target": {"name": "gaussian-2d", "cov": [[1, 2], [2, 1]]}}, "target.cov"),
        ({"generator": {"kind": "point"}}, "generator.kind"),
    ]
    for patch, field in cases:
        with pytest.raises(ConfigError) as err:
            apply_patch(ExperimentConfig(), patch)
        assert err.value.field == field, (patch, err.value.field, str(err.value))


def test_drawn_target_point_limit():
    ok = apply_patch(ExperimentConfig(), {"target": {"name": "drawn", "points": [[0.0, 0.0]] * 5000}})
    assert len(ok.target.points) == 5000
    with pytest.raises(ConfigError) as err:
        apply_patch(ExperimentConfig(), {"target": {"name": "drawn", "points": [[0.0, 0.0]] * 5001}})
    assert err.value.field == "target.points"


def test_patch_is_deep_and_leaves_the_original_alone():
    cfg = ExperimentConfig()
    new = apply_patch(cfg, {"optimizer_d": {"lr": 0.01}})
    assert new.optimizer_d.lr == 0.01 and new.optimizer_d.name == cfg.optimizer_d.name
    assert cfg.optimizer_d.lr == 1e-3
    assert changed_sections(cfg, new) == {"optimizer_d"}
    assert deep_merge({"a": {"b": 1, "c": 2}}, {"a": {"b": 3}}) == {"a": {"b": 3, "c": 2}}


def test_dotted_patch():
    assert dotted_patch("objective.name", "hinge") == {"objective": {"name": "hinge"}}
    assert dotted_patch("seed", 3) == {"seed": 3}
    with pytest.raises(ConfigError):
        dotted_patch("", 1)


def test_schema_carries_bounds_enums_and_ui_hints():
    schema = experiment_schema()
    assert schema["x-schema-version"] >= 1
    defs = schema["$defs"]
    lr = defs["OptimizerConfig"]["properties"]["lr"]
    assert lr["exclusiveMinimum"] == 0 and lr["maximum"] == 10 and lr["ui"]["group"] == "optimizers"
    objective = defs["ObjectiveConfig"]["properties"]["name"]
    assert "wgan-gp" in objective["enum"] and "hinge" in objective["enum"]
    assert defs["GeneratorConfig"]["properties"]["width"]["ui"]["rebuild"] is True
    # Every field has a description: the form shows it as the control's help text.
    for name, d in defs.items():
        for field, prop in d.get("properties", {}).items():
            if d is not defs.get("ExperimentConfig"):
                assert "description" in prop, f"{name}.{field} has no description"


def test_each_target_starts_from_its_own_defaults():
    grid = parse_config({"target": {"name": "grid"}}).target
    assert (grid.modes, grid.spacing, grid.std) == (5, 2.0, 0.05)
    # Switching target live takes the new target's parameters; keys the patch gives still win.
    cfg = ExperimentConfig()
    assert cfg.target.name == "ring" and cfg.target.modes == 8
    switched = apply_patch(cfg, {"target": {"name": "grid"}})
    assert (switched.target.modes, switched.target.std) == (5, 0.05)
    assert apply_patch(cfg, {"target": {"name": "grid", "modes": 3}}).target.modes == 3
    # Editing a parameter of the same target keeps the others.
    assert apply_patch(switched, {"target": {"std": 0.1}}).target.modes == 5

"""ExperimentConfig: defaults validate, bad values are rejected naming the field, patches validate
whole; each kind carries only its own fields (discriminated unions), a switch of kind starts from
that kind's defaults, and the rebuild rule and the schema's rebuild marks agree."""

import json

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from gan_core.engine.config import (
    REBUILD_PATHS,
    SCHEMA_VERSION,
    UNIONS,
    ConfigError,
    ExperimentConfig,
    apply_patch,
    changed_sections,
    deep_merge,
    dotted_patch,
    experiment_schema,
    needs_rebuild,
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
    assert err.value.field == "objective.name" and "hinge" in err.value.message  # names the known losses
    with pytest.raises(ConfigError) as err:
        apply_patch(ExperimentConfig(), {"training": {"k_d": "many"}})
    assert err.value.field == "training.k_d"
    with pytest.raises(ConfigError) as err:
        apply_patch(ExperimentConfig(), {"target": "ring"})
    assert err.value.field == "target"
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
        ({"target": {"name": "dirac", "dim": 2, "mean": [0.0]}}, "target.mean"),
        ({"generator": {"kind": "point"}}, "generator.kind"),
        ({"objective": {"name": "ebgan"}}, "objective.name"),  # EBGAN's energy needs the auto-encoder
        ({"discriminator": {"kind": "autoencoder", "code": 1}, "objective": {"name": "ebgan", "pull_away": 0.1}},
         "objective.pull_away"),
        ({"generator": {"batch_norm": True, "virtual_batch_norm": True}}, "generator.virtual_batch_norm"),
        ({"discriminator": {"minibatch_kernels": 8}, "training": {"batch_size": 512}}, "training.batch_size"),
    ]
    for patch, field in cases:
        with pytest.raises(ConfigError) as err:
            apply_patch(ExperimentConfig(), patch)
        assert err.value.field == field, (patch, err.value.field, str(err.value))


def test_the_stabilizers_rules_allow_what_they_should():
    # The auto-encoder scores -E(x) under any loss, so the form can switch D first, then the loss.
    ae = apply_patch(ExperimentConfig(), {"discriminator": {"kind": "autoencoder"}})
    ebgan = apply_patch(ae, {"objective": {"name": "ebgan"}})
    assert (ebgan.discriminator.kind, ebgan.objective.name) == ("autoencoder", "ebgan")
    # Minibatch discrimination's pairwise cost: 2^22 differences, 8 kernels x 4 values -> 362 samples.
    mbd = {"discriminator": {"minibatch_kernels": 8, "minibatch_kernel_dim": 4}}
    assert apply_patch(ExperimentConfig(), {**mbd, "training": {"batch_size": 362}}).training.batch_size == 362
    with pytest.raises(ConfigError) as err:
        apply_patch(ExperimentConfig(), {**mbd, "training": {"batch_size": 363}})
    assert "at most 362 samples" in err.value.message
    assert apply_patch(ExperimentConfig(), {"training": {"batch_size": 4096}}).training.batch_size == 4096


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


# ---- one model per kind ---------------------------------------------------------------------------

# (a config of some kind, a field that kind does not have)
FOREIGN = [
    ({"target": {"name": "ring"}}, "target.means"),
    ({"target": {"name": "ring"}}, "target.low"),
    ({"target": {"name": "ring"}}, "target.dim"),
    ({"target": {"name": "ring"}}, "target.points"),
    ({"target": {"name": "ring"}}, "target.spacing"),
    ({"target": {"name": "grid"}}, "target.radius"),
    ({"target": {"name": "mixture-1d"}}, "target.std"),
    ({"optimizer_d": {"name": "adam"}}, "optimizer_d.momentum"),
    ({"optimizer_g": {"name": "sgd"}}, "optimizer_g.beta1"),
    ({"optimizer_g": {"name": "sgd"}}, "optimizer_g.beta2"),
    ({"optimizer_g": {"name": "rmsprop"}}, "optimizer_g.beta2"),
    ({"target": {"name": "dirac"}, "generator": {"kind": "point"}}, "generator.depth"),
    ({"generator": {"kind": "affine"}}, "generator.width"),
    ({"discriminator": {"kind": "linear"}}, "discriminator.spectral_norm"),
    ({"discriminator": {"kind": "mlp"}}, "discriminator.bias"),
    ({"objective": {"name": "hinge"}}, "objective.gp_weight"),
    ({"objective": {"name": "wgan-gp"}}, "objective.clip"),
]


@pytest.mark.parametrize("base,path", FOREIGN)
def test_a_field_of_another_kind_is_refused_by_name(base, path):
    section, field = path.split(".")
    kind = base[section][UNIONS[section].key]
    for attempt in (lambda: parse_config(deep_merge(base, dotted_patch(path, 1))),
                    lambda: apply_patch(parse_config(base), dotted_patch(path, 1))):
        with pytest.raises(ConfigError) as err:
            attempt()
        assert err.value.field == path
        assert f"not a field of {UNIONS[section].noun} {kind!r}" in err.value.message


def test_each_kind_dumps_only_its_own_fields_and_round_trips():
    ring = parse_config({}).model_dump()
    assert set(ring["target"]) == {"name", "modes", "radius", "std", "weights"}
    assert set(ring["optimizer_d"]) == {"name", "lr", "beta1", "beta2", "weight_decay"}
    dirac = parse_config({"target": {"name": "dirac", "dim": 2}, "generator": {"kind": "point", "init": [1, 0]},
                          "discriminator": {"kind": "linear"}, "optimizer_g": {"name": "sgd"},
                          "optimizer_d": {"name": "momentum"}, "objective": {"name": "non-saturating-margin"}})
    dump = dirac.model_dump()
    assert dump["generator"] == {"kind": "point", "init": [1.0, 0.0]}
    assert set(dump["discriminator"]) == {"kind", "bias", "init"}
    assert set(dump["optimizer_g"]) == {"name", "lr", "weight_decay"}
    assert set(dump["optimizer_d"]) == {"name", "lr", "momentum", "weight_decay"}
    assert dump["objective"] == {"name": "non-saturating-margin", "margin": 1.0}
    assert parse_config(json.loads(dirac.model_dump_json())) == dirac


def test_a_section_that_does_not_say_its_kind_is_of_the_default_kind():
    cfg = parse_config({"target": {"modes": 5}, "optimizer_d": {"lr": 0.01}, "objective": {}})
    assert (cfg.target.name, cfg.target.modes) == ("ring", 5)
    assert (cfg.optimizer_d.name, cfg.objective.name) == ("adam", "non-saturating")
    assert ExperimentConfig(target={"modes": 6}).target.modes == 6  # the notebook spelling too


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


def test_switching_kind_starts_from_that_kinds_defaults_keeping_what_every_kind_has():
    cfg = apply_patch(ExperimentConfig(), {"optimizer_d": {"lr": 0.05, "beta1": 0.1, "weight_decay": 0.01},
                                           "generator": {"width": 16},
                                           "objective": {"name": "wgan-gp", "gp_weight": 0.1}})
    sgd = apply_patch(cfg, dotted_patch("optimizer_d.name", "sgd"))  # what `--set optimizer_d.name=sgd` sends
    assert sgd.optimizer_d.model_dump() == {"name": "sgd", "lr": 0.05, "weight_decay": 0.01}
    back = apply_patch(sgd, {"optimizer_d": {"name": "adam"}})
    assert (back.optimizer_d.lr, back.optimizer_d.beta1) == (0.05, 0.5)  # beta1 from Adam's defaults
    assert apply_patch(cfg, {"optimizer_d": {"name": "momentum", "momentum": 0.3}}).optimizer_d.momentum == 0.3
    affine = apply_patch(cfg, {"generator": {"kind": "affine"}})
    assert apply_patch(affine, {"generator": {"kind": "mlp"}}).generator.width == 64
    hinge = apply_patch(cfg, {"objective": {"name": "hinge"}})
    assert apply_patch(hinge, {"objective": {"name": "wgan-gp"}}).objective.gp_weight == 10.0
    # The same kind named again is an edit, not a switch.
    assert apply_patch(cfg, {"optimizer_d": {"name": "adam"}}).optimizer_d.beta1 == 0.1


# ---- the schema ---------------------------------------------------------------------------------

def _defs_of(schema, section):
    node = schema["properties"][section]
    return {kind: schema["$defs"][ref.rsplit("/", 1)[-1]] for kind, ref in node["discriminator"]["mapping"].items()}


def test_schema_carries_bounds_enums_and_ui_hints():
    schema = experiment_schema()
    assert schema["x-schema-version"] == SCHEMA_VERSION
    defs = schema["$defs"]
    lr = defs["AdamConfig"]["properties"]["lr"]
    assert lr["exclusiveMinimum"] == 0 and lr["maximum"] == 10 and lr["ui"]["group"] == "optimizers"
    assert list(schema["properties"]["objective"]["discriminator"]["mapping"]) == [
        "minimax", "non-saturating", "non-saturating-margin", "least-squares", "wasserstein", "wgan-gp", "hinge",
        "ebgan"]
    assert schema["x-target-dims"]["dirac"] == "dim" and schema["x-target-dims"]["mixture-1d"] == 1
    # Every field has a description: the form shows it as the control's help text.
    for name, d in defs.items():
        for field, prop in d.get("properties", {}).items():
            assert "description" in prop, f"{name}.{field} has no description"


def test_schema_describes_each_union_so_the_form_shows_only_the_chosen_kinds_fields():
    schema = experiment_schema()
    defaults = ExperimentConfig().model_dump(mode="json")
    for section, u in UNIONS.items():
        node = schema["properties"][section]
        assert node["discriminator"]["propertyName"] == u.key and len(node["oneOf"]) >= 2
        assert list(node["discriminator"]["mapping"]) == list(u.kinds)
        assert node["default"] == defaults[section]  # the page diffs links against it
        for kind, d in _defs_of(schema, section).items():
            assert list(d["properties"]) == list(u.fields[kind]) and d["additionalProperties"] is False
    targets = _defs_of(schema, "target")
    assert "means" not in targets["ring"]["properties"] and "means" in targets["mixture-1d"]["properties"]
    assert targets["grid"]["properties"]["modes"]["default"] == 5 and targets["ring"]["properties"]["modes"]["default"] == 8
    optimizers = _defs_of(schema, "optimizer_d")
    assert "momentum" not in optimizers["adam"]["properties"] and "beta1" not in optimizers["sgd"]["properties"]
    assert "depth" not in _defs_of(schema, "generator")["point"]["properties"]


# ---- the one rebuild rule -------------------------------------------------------------------------

def _base(section, kind):
    """A valid config whose `section` is of `kind` (a point generator needs the Dirac target, a drawn
    target its points)."""
    cfg = {section: {UNIONS[section].key: kind}} if section in UNIONS else {}
    if (section, kind) == ("generator", "point"):
        cfg["target"] = {"name": "dirac"}
    if (section, kind) == ("target", "drawn"):
        cfg["target"]["points"] = [[0.0, 0.0]]
    if (section, kind) == ("target", "data"):
        cfg["target"]["points"] = [[0.0, 0.0]]
    if (section, kind) == ("objective", "ebgan"):
        cfg["discriminator"] = {"kind": "autoencoder", "code": 2}
    return parse_config(cfg)


def _other(prop, value):
    """Another valid value for a field of schema `prop` (None where the test has no simple one)."""
    if "enum" in prop:
        return next(v for v in prop["enum"] if v != value)
    if prop.get("type") == "boolean":
        return not value
    if prop.get("type") == "integer":
        return value + 1 if value + 1 <= prop.get("maximum", value + 1) else value - 1
    if prop.get("type") == "number":
        return value / 2 if value else min(0.1, prop.get("maximum", 1))
    return None  # lists and nullable vectors


def _fields(schema):
    """(section, kind or None, field, schema of the field) for every scalar field of the config."""
    for section, node in schema["properties"].items():
        if section in UNIONS:
            for kind, d in _defs_of(schema, section).items():
                for field, prop in d["properties"].items():
                    yield section, kind, field, prop
        elif "$ref" in node:
            for field, prop in schema["$defs"][node["$ref"].rsplit("/", 1)[-1]]["properties"].items():
                yield section, None, field, prop
        else:
            yield section, None, None, node


def test_the_schema_marks_exactly_the_changes_that_rebuild():
    schema = experiment_schema()
    checked = 0
    for section, kind, field, prop in _fields(schema):
        old = _base(section, kind)
        current = getattr(getattr(old, section), field) if field else getattr(old, section)
        value = _other(prop, current)
        if value is None:
            continue
        patch = {section: {field: value}} if field else {section: value}
        if (section, kind, field) == ("target", "data", "dim"):
            patch["target"]["points"] = [[0.0] * value]  # a data set's rows change with its dimension
        new = apply_patch(old, patch)
        mark = prop.get("ui", {}).get("rebuild")
        expect = mark is True or (isinstance(mark, str) and target_dim(old.target) != target_dim(new.target))
        assert needs_rebuild(old, new) == expect, (section, kind, field, value, mark)
        checked += 1
    assert checked > 60
    # The marks are the rule's: REBUILD_PATHS, and the target fields that set the dimension.
    assert set(REBUILD_PATHS) == {"generator", "discriminator", "noise.dim", "seed", "device"}


def test_needs_rebuild_in_plain_cases():
    cfg = ExperimentConfig()
    live = [{"optimizer_d": {"lr": 0.01}}, {"optimizer_g": {"name": "sgd"}}, {"objective": {"name": "hinge"}},
            {"training": {"k_d": 3, "batch_size": 32}}, {"regularizers": {"r1": 1.0}},
            {"noise": {"distribution": "uniform"}}, {"target": {"name": "grid"}}, {"target": {"radius": 3.0}}]
    rebuild = [{"generator": {"width": 8}}, {"discriminator": {"kind": "linear"}}, {"noise": {"dim": 3}},
               {"seed": 5}, {"target": {"name": "gaussian-1d"}}]
    assert not any(needs_rebuild(cfg, apply_patch(cfg, p)) for p in live)
    assert all(needs_rebuild(cfg, apply_patch(cfg, p)) for p in rebuild)
    dirac = parse_config({"target": {"name": "dirac"}})
    assert needs_rebuild(dirac, apply_patch(dirac, {"target": {"dim": 2}}))
    assert not needs_rebuild(dirac, apply_patch(dirac, {"target": {"mean": [0.5]}}))

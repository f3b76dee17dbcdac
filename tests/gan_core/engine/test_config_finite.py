"""Strict, finite input (issue 14): every number of a config is finite and of its own type, every
list is bounded, and each refusal is a ConfigError naming the field, never an OverflowError or a
run that diverges at its first iteration."""

from __future__ import annotations

import json
import math

import pytest

from gan_core.engine.config import ConfigError, ExperimentConfig, apply_patch, experiment_schema, parse_config

NAN, INF = math.nan, math.inf


@pytest.mark.parametrize("config, field", [
    ({"target": {"name": "gaussian-2d", "mean": [NAN, 0.0]}}, "target.mean"),
    ({"target": {"name": "gaussian-1d", "mean": [INF]}}, "target.mean"),
    ({"target": {"name": "ring", "weights": [1e308] * 8}}, "target.weights"),
    ({"target": {"name": "gaussian-2d", "cov": [[1e200, 0.0], [0.0, 1.0]]}}, "target.cov"),
    ({"target": {"name": "gaussian-2d", "cov": [[1.0, 1e200], [1e200, 1.0]]}}, "target.cov"),
    ({"target": {"name": "mixture-1d", "means": [-1e300, 1e300], "stds": [1.0, 1.0]}}, "target.means"),
    ({"target": {"name": "mixture-1d", "means": [0.0, 1.0], "stds": [1e300, 1.0]}}, "target.stds"),
    ({"target": {"name": "drawn", "points": [[0.0, NAN]]}}, "target.points"),
    ({"optimizer_d": {"lr": NAN}}, "optimizer_d.lr"),
    ({"target": {"name": "dirac"}, "generator": {"kind": "point", "init": [INF]},
      "discriminator": {"kind": "linear"}}, "generator.init"),
])
def test_non_finite_and_overflowing_numbers_are_refused_naming_the_field(config, field):
    with pytest.raises(ConfigError) as err:
        parse_config(config)
    assert err.value.field is not None and err.value.field.startswith(field), err.value.message
    assert field in err.value.message


def test_a_patch_with_a_non_finite_number_changes_nothing():
    cfg = parse_config({"target": {"name": "gaussian-2d"}})
    with pytest.raises(ConfigError) as err:
        apply_patch(cfg, {"target": {"mean": [NAN, 0.0]}})
    assert err.value.field.startswith("target.mean")


@pytest.mark.parametrize("patch, field", [
    ({"optimizer_d": {"lr": "0.1"}}, "optimizer_d.lr"),
    ({"generator": {"width": "64"}}, "generator.width"),
    ({"seed": "7"}, "seed"),
    ({"discriminator": {"spectral_norm": "true"}}, "discriminator.spectral_norm"),
    ({"training": {"k_d": 2.0}}, "training.k_d"),
    ({"training": {"k_d": True}}, "training.k_d"),
    ({"target": {"name": "gaussian-2d", "mean": ["1", 0]}}, "target.mean"),
])
def test_numbers_and_flags_are_strict_in_configs_and_patches(patch, field):
    with pytest.raises(ConfigError) as err:
        apply_patch(ExperimentConfig(), patch)
    assert err.value.field is not None and err.value.field.startswith(field), err.value.message
    with pytest.raises(ConfigError):
        parse_config(patch)


def test_an_integer_is_still_a_float_and_json_round_trips():
    cfg = apply_patch(ExperimentConfig(), {"optimizer_d": {"lr": 1}, "target": {"radius": 3}})
    assert cfg.optimizer_d.lr == 1.0 and cfg.target.radius == 3.0
    assert parse_config(json.loads(cfg.model_dump_json())) == cfg


def _arrays(schema: dict, path: str = ""):
    """(path, array schema) for every array in a JSON schema, however deep."""
    if isinstance(schema, dict):
        if schema.get("type") == "array":
            yield path, schema
        for key, sub in schema.items():
            yield from _arrays(sub, f"{path}.{key}" if path else key)
    elif isinstance(schema, list):
        for i, sub in enumerate(schema):
            yield from _arrays(sub, f"{path}[{i}]")


def test_every_list_in_the_schema_is_bounded():
    arrays = list(_arrays(experiment_schema()))
    assert arrays
    unbounded = [p for p, a in arrays if "maxItems" not in a]
    assert unbounded == [], unbounded


def test_mixture_weights_are_bounded_by_the_largest_component_count():
    # A grid of 32 x 32 has the most components any target has: 1024 weights, not more.
    assert parse_config({"target": {"name": "grid", "modes": 32, "weights": [1.0] * 1024}}).target.weights
    with pytest.raises(ConfigError) as err:
        parse_config({"target": {"name": "grid", "modes": 32, "weights": [1.0] * 1025}})
    assert err.value.field.startswith("target.weights")

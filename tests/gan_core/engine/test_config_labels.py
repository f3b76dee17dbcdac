"""The config schema owns the form's words: every field a person can see has a label written for
people (its `title`, never pydantic's title-cased field name such as "K D") and help text, every
section names a form panel that x-panels lists, and a `sensible` range sits inside the field's
hard bounds (the form warns outside it, the schema refuses only outside the bounds)."""

from __future__ import annotations

from typing import get_args

import pytest
from pydantic import BaseModel

from gan_core.engine.config import ExperimentConfig, experiment_schema


def _models(annotation) -> list[type[BaseModel]]:
    """The pydantic models a field's annotation holds (one, each variant of a union, or none)."""
    if isinstance(annotation, type) and issubclass(annotation, BaseModel):
        return [annotation]
    return [m for a in get_args(annotation) for m in _models(a)]


def visible_fields():
    """(dotted path, FieldInfo) of every field the form can show (ui.widget != hidden)."""
    out = []
    for name, info in ExperimentConfig.model_fields.items():
        models = _models(info.annotation)
        if not models:
            out.append((name, info))
        for model in models:
            for sub, sub_info in model.model_fields.items():
                out.append((f"{name}.{sub}", sub_info))
    return [(p, i) for p, i in out
            if ((i.json_schema_extra or {}).get("ui") or {}).get("widget") != "hidden"]


def auto_title(name: str) -> str:
    return name.replace("_", " ").title()


@pytest.mark.parametrize("path, info", visible_fields(), ids=lambda x: x if isinstance(x, str) else "")
def test_every_visible_field_has_a_label_and_help_for_people(path, info):
    name = path.rsplit(".", 1)[-1]
    assert info.title, f"{path}: no title (the form would show {auto_title(name)!r})"
    assert info.description and len(info.description) > len(info.title) // 2, f"{path}: no help text"
    if "_" in name:  # "k_d", "lr_drop_at": the field name is not a label
        assert info.title != auto_title(name), f"{path}: title is the field name"


def test_the_labels_the_issue_named_read_as_words():
    schema = experiment_schema()
    training = schema["$defs"]["TrainingConfig"]["properties"]
    assert training["k_d"]["title"] == "D steps per iteration"
    assert training["lr_drop_at"]["title"] != "Lr Drop At"
    assert schema["properties"]["seed"]["title"] == "Random seed"


def test_sections_name_panels_and_the_schema_lists_the_panels_in_order():
    schema = experiment_schema()
    panels = [p["key"] for p in schema["x-panels"]]
    assert panels == ["data", "networks", "loss", "optimisers", "training"]
    for key, prop in schema["properties"].items():
        if "$ref" in prop or "oneOf" in prop:
            assert prop["ui"]["panel"] in panels, key
            assert prop["title"] and prop["description"], key


def test_sensible_ranges_sit_inside_the_hard_bounds():
    schema = experiment_schema()
    found = []
    for model, node in schema["$defs"].items():
        for name, prop in node.get("properties", {}).items():
            sensible = prop.get("ui", {}).get("sensible")
            if sensible is None:
                continue
            found.append(f"{model}.{name}")
            lo, hi = sensible
            assert lo < hi, name
            assert lo > prop.get("exclusiveMinimum", float("-inf")) and lo >= prop.get("minimum", float("-inf")), name
            # Up to the hard bound, the warning would never show.
            assert hi < prop.get("maximum", float("inf")), f"{model}.{name}: sensible reaches the bound"
    assert {"AdamConfig.lr", "SGDConfig.lr"} <= set(found)
    lr = schema["$defs"]["AdamConfig"]["properties"]["lr"]
    assert lr["ui"]["sensible"] == [1e-5, 0.1] and lr["maximum"] == 10

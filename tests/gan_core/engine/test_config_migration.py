"""Reading schema version 1 (one flat model per section) through upgrade_config, from each place v1
data lives: the page's links, saved experiments, and config files. The inputs are real: written by
the v1 lab (tests/fixtures/schema_v1/README.md says how)."""

import base64
import io
import json
from pathlib import Path
from urllib.parse import parse_qs

import pytest
import torch

from gan_core.engine.config import (
    SCHEMA_VERSION,
    ConfigError,
    ExperimentConfig,
    apply_patch,
    kinds_of,
    parse_config,
    upgrade_config,
)
from gan_core.engine.saved import export_experiment, import_experiment
from gan_core.engine.trainer import Trainer

V1 = Path(__file__).resolve().parents[2] / "fixtures" / "schema_v1"
LINKS = json.loads((V1 / "links.json").read_text())


def _read(name):
    return json.loads((V1 / name).read_text())


def link_diff(hash_: str) -> dict:
    """What the v1 page's readHash made of a link: the `c=` diff, plus the seed."""
    params = {k: v[0] for k, v in parse_qs(hash_.lstrip("#")).items()}
    c = params["c"]
    diff = json.loads(base64.urlsafe_b64decode(c + "=" * (-len(c) % 4)))
    return {**diff, "seed": int(params["seed"])}


def test_schema_version_is_3():
    assert SCHEMA_VERSION == 3


# ---- links ----------------------------------------------------------------------------------------

@pytest.mark.parametrize("name", sorted(LINKS))
def test_every_v1_link_loads_marked_as_version_1(name):
    diff = link_diff(LINKS[name]["hash"])
    # Every v1 link carries target.means and target.stds: the v1 schema stated no default for them.
    assert "means" in diff["target"]
    cfg = parse_config({**diff, "schema_version": 1})  # what the page sends for a link without cv=
    assert isinstance(cfg, ExperimentConfig)
    if LINKS[name]["config"] is not None:
        # The same experiment the v1 page was showing, in the new shape.
        full, _ = upgrade_config(LINKS[name]["config"], 1)
        assert cfg == parse_config(full)


def test_a_v1_link_keeps_every_value_that_applies_and_drops_the_rest():
    cfg = parse_config({**link_diff(LINKS["ring_affine_hinge"]["hash"]), "schema_version": 1})
    assert cfg.target.model_dump() == {"name": "ring", "modes": 8, "radius": 2.0, "std": 0.1, "weights": None}
    assert cfg.generator.model_dump() == {"kind": "affine"}  # depth 3 applied to no affine generator
    assert cfg.objective.model_dump() == {"name": "hinge"}  # gp_weight 5 was wgan-gp's
    assert cfg.optimizer_d.model_dump() == {"name": "sgd", "lr": 0.05, "weight_decay": 0.0}
    dirac = parse_config({**link_diff(LINKS["dirac_lr"]["hash"]), "schema_version": 1})
    assert (dirac.target.name, dirac.target.mean, dirac.generator.init, dirac.discriminator.bias) == (
        "dirac", [0.0], [1.0], False)
    assert (dirac.optimizer_g.lr, dirac.optimizer_d.lr) == (0.2, 0.1)


def test_a_v1_link_read_as_current_is_refused_naming_the_field():
    # The version is what makes the difference: new input stays strict.
    with pytest.raises(ConfigError) as err:
        parse_config(link_diff(LINKS["default_ring"]["hash"]))
    assert err.value.field in ("target.means", "target.stds")


# ---- saved experiments ----------------------------------------------------------------------------

@pytest.mark.parametrize("name", ["export_ring_sgd.json", "export_dirac.json"])
def test_a_v1_saved_experiment_imports_with_its_weights(name):
    data = _read(name)
    assert data["version"] == 1
    t = import_experiment(data)  # what the lab's import does
    assert t.config == parse_config(data["config"], version=1)
    state = torch.load(io.BytesIO(base64.b64decode(data["weights"])), weights_only=True)
    assert t.iteration == data["iteration"] == 7
    for key, value in state["generator"].items():
        assert torch.equal(t.G.state_dict()[key], value)
    t.step(2)
    assert t.status == "ok"


def test_a_v1_saved_experiment_keeps_its_values():
    cfg = parse_config(_read("export_ring_sgd.json")["config"], version=1)
    assert (cfg.target.name, cfg.target.modes) == ("ring", 6)
    assert cfg.optimizer_d.model_dump() == {"name": "sgd", "lr": 0.02, "weight_decay": 0.0}  # momentum was unused
    assert cfg.optimizer_g.model_dump() == {"name": "rmsprop", "lr": 0.001, "alpha": 0.95, "weight_decay": 0.0}
    assert cfg.generator.width == 8
    dirac = parse_config(_read("export_dirac.json")["config"], version=1)
    assert dirac.target.model_dump() == {"name": "dirac", "dim": 2, "mean": [0.0, 0.0]}
    assert dirac.generator.model_dump() == {"kind": "point", "init": [1.0, 0.0]}


# ---- config files (`toygan run --config`, the page's config export) -------------------------------

def test_a_v1_full_dump_upgrades_naming_what_it_left_out():
    v1 = _read("run_json_bimodal.json")
    data, dropped = upgrade_config(v1, 1)
    assert data["target"] == {"name": "mixture-1d", "means": [-1.5, 1.5], "stds": [0.5, 0.5], "weights": None}
    assert data["generator"] == {"kind": "affine"}
    assert {"target.radius", "target.low", "target.points", "generator.depth", "discriminator.bias",
            "objective.gp_weight", "optimizer_d.momentum"} <= set(dropped)
    assert not any(p.startswith(("noise.", "training.", "regularizers.")) for p in dropped)
    assert v1["target"]["radius"] == 2.0  # the input is left as it was
    cfg = parse_config(data)
    assert (cfg.optimizer_g.lr, cfg.discriminator.width, cfg.training.batch_size) == (0.005, 8, 256)


def test_current_data_upgraded_as_version_1_is_unchanged():
    # So a file that does not say its version can be read as version 1 safely.
    for cfg in (ExperimentConfig(), parse_config({"target": {"name": "dirac", "dim": 2}, "generator": {"kind": "point"},
                                                  "optimizer_g": {"name": "rmsprop", "alpha": 0.9},
                                                  "optimizer_d": {"name": "momentum"}})):
        dump = cfg.model_dump(mode="json")
        assert upgrade_config(dump, 1) == (dump, [])


def test_keys_version_1_never_had_are_still_named_as_errors():
    data, dropped = upgrade_config({"target": {"name": "ring", "modez": 3}}, 1)
    assert dropped == [] and data["target"]["modez"] == 3
    with pytest.raises(ConfigError) as err:
        parse_config({"target": {"name": "ring", "modez": 3}}, version=1)
    assert err.value.field == "target.modez"


@pytest.mark.parametrize("version", [0, 4, "1", None, True])
def test_an_unknown_version_is_refused_naming_schema_version(version):
    with pytest.raises(ConfigError) as err:
        parse_config({"schema_version": version})
    assert err.value.field == "schema_version"


def test_a_v1_patch_takes_the_kinds_it_patches():
    # The page imports a config file as a live patch: a section without its kind is of the kind it
    # patches, not of the default kind.
    sgd = parse_config({"optimizer_d": {"name": "sgd"}})
    assert kinds_of(sgd)["optimizer_d"] == "sgd"
    patched = apply_patch(sgd, {"schema_version": 1, "optimizer_d": {"lr": 0.2, "beta1": 0.3}})
    assert patched.optimizer_d.model_dump() == {"name": "sgd", "lr": 0.2, "weight_decay": 0.0}
    page_export = LINKS["grid"]["config"]  # a whole v1 config, as the v1 page exported it
    assert apply_patch(ExperimentConfig(), {**page_export, "schema_version": 1}).target.model_dump() == {
        "name": "grid", "modes": 5, "spacing": 2.0, "std": 0.05, "weights": None}
    with pytest.raises(ConfigError) as err:
        apply_patch(ExperimentConfig(), page_export)  # unmarked, it is current input: strict
    assert err.value.field.startswith("target.")


# ---- version 2: "energy" was the non-saturating loss with a margin, not EBGAN ---------------------------

def test_a_version_2_energy_objective_reads_as_the_margin_loss_it_always_was():
    cfg = parse_config({"schema_version": 2, "objective": {"name": "energy", "margin": 2.5}})
    assert cfg.objective.model_dump() == {"name": "non-saturating-margin", "margin": 2.5}
    data, dropped = upgrade_config({"objective": {"name": "energy"}, "seed": 3}, 2)
    assert data == {"objective": {"name": "non-saturating-margin"}, "seed": 3} and dropped == []
    # Version 1 had it too (with every loss's fields): renamed, and the fields it never read dropped.
    v1 = parse_config({"schema_version": 1, "objective": {"name": "energy", "margin": 0.5, "gp_weight": 3}})
    assert v1.objective.model_dump() == {"name": "non-saturating-margin", "margin": 0.5}
    with pytest.raises(ConfigError) as err:  # current input is strict: "energy" is no objective now
        parse_config({"objective": {"name": "energy"}})
    assert err.value.field == "objective.name"


def test_a_version_2_link_patch_and_saved_experiment_with_energy_load():
    t = Trainer(parse_config({"schema_version": 2, "objective": {"name": "energy"},
                              "generator": {"depth": 1, "width": 8}, "discriminator": {"depth": 1, "width": 8},
                              "training": {"batch_size": 16}}))
    t.step(2)
    saved = export_experiment(t)
    saved["config"]["objective"]["name"] = "energy"  # the same experiment under the old name
    # Written by a lab of config schema 2: in format 3 (schema_version on its own), and in format 2
    # (whose version was its schema's).
    for old in ({**saved, "schema_version": 2}, {**saved, "version": 2}):
        back = import_experiment(old)
        assert back.config == t.config and back.iteration == 2
        assert all(torch.equal(a, b) for a, b in zip(back.G.parameters(), t.G.parameters(), strict=True))
    with pytest.raises(ConfigError) as err:  # a current payload is read strictly: "energy" is gone
        import_experiment(saved)
    assert err.value.field == "data.config.objective.name"
    # A live patch from an old config file (the page's import) says its version.
    patched = apply_patch(ExperimentConfig(), {"schema_version": 2, "objective": {"name": "energy", "margin": 3}})
    assert patched.objective.model_dump() == {"name": "non-saturating-margin", "margin": 3.0}

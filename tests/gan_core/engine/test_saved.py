"""gan_core.engine.saved: an export imports back into the same run; every bad payload is refused
with a ConfigError naming its field, before anything runs."""

from __future__ import annotations

import base64
import io
import json
import pickle

import pytest
import torch

from gan_core.engine.config import SCHEMA_VERSION, ConfigError
from gan_core.engine.saved import (
    FORMAT,
    HISTORY_POINTS,
    VERSION,
    decode_weights,
    encode_weights,
    export_experiment,
    import_experiment,
    saved_preset,
)
from gan_core.engine.snapshot import SnapshotOptions
from gan_core.engine.trainer import Trainer
from tests.gan_core.engine.test_timeline import assert_same, state

SMALL = {"target": {"name": "gaussian-1d"}, "generator": {"width": 8, "depth": 1},
         "discriminator": {"width": 8, "depth": 1}, "training": {"batch_size": 32}}


def test_an_export_imports_back_into_the_same_run():
    t = Trainer(SMALL)
    t.step(5)
    data = export_experiment(t, preset="some-preset")
    assert data["format"] == FORMAT and data["version"] == VERSION == 3 and data["schema_version"] == SCHEMA_VERSION
    assert data["iteration"] == 5 and data["preset"] == "some-preset" and len(data["history"]) == 5
    assert data["config"] == t.config.model_dump(mode="json") and isinstance(data["weights"], str)
    back = import_experiment(data)
    assert back.iteration == 5 and back.config == t.config
    # Weights, optimizer state and RNG all came back: the next iterations are the same, bit for bit.
    t.step(3)
    back.step(3)
    for a, b in zip(t.G.parameters(), back.G.parameters(), strict=True):
        assert torch.equal(a, b)
    assert t.history[-1] == back.history[-1]


def test_without_weights_an_import_starts_the_config_afresh():
    t = Trainer(SMALL)
    t.step(2)
    data = export_experiment(t, weights=False)
    assert "weights" not in data and data["preset"] is None
    fresh = import_experiment(data)
    assert fresh.iteration == 0 and fresh.config == t.config


def test_the_history_is_thinned_and_keeps_the_newest_point():
    t = Trainer(SMALL)
    t.step(HISTORY_POINTS + 500)
    hist = export_experiment(t, weights=False)["history"]
    assert len(hist) <= HISTORY_POINTS and hist[-1]["iteration"] == t.iteration and hist[0]["iteration"] == 1
    gaps = {b["iteration"] - a["iteration"] for a, b in zip(hist, hist[1:-1], strict=False)}
    assert len(gaps) == 1  # evenly spaced (the newest point aside)


# Every kind of state an iteration reads: historical averages, dropout and instance noise drawing
# from the RNG, Adam's moments, and an lr drop inside the 100 iterations after the import.
ROUND_TRIP = {**SMALL, "generator": {"width": 8, "depth": 1, "dropout": 0.1},
              "regularizers": {"historical_averaging": 0.1, "instance_noise": 0.05, "instance_noise_anneal": 300},
              "training": {"batch_size": 32, "lr_drop_at": 180}}


def test_export_then_import_in_a_fresh_trainer_goes_on_bit_for_bit_for_100_iterations():
    t = Trainer(ROUND_TRIP)
    t.step(60)
    t.apply({"optimizer_d": {"lr": 0.003}})  # a live change before the export
    t.step(40)
    t.snapshot(SnapshotOptions(grid=8))  # metrics at 100, for the saved curves
    text = json.dumps(export_experiment(t, preset="p"))  # through JSON, as a file on disk
    back = import_experiment(json.loads(text))
    assert_same(state(back), state(t))
    for _ in range(100):
        t.step(1)
        back.step(1)
        assert t.history[-1] == back.history[-1]
    assert_same(state(back), state(t))


def test_an_import_restores_the_curves_preset_and_timeline_start():
    t = Trainer(ROUND_TRIP)
    for _ in range(3):
        t.step(30)
        t.snapshot(SnapshotOptions(grid=8))
    data = export_experiment(t, preset="ring-collapse")
    assert [m["iteration"] for m in data["metrics"]] == [30, 60, 90] and "modes_captured" in data["metrics"][0]
    back = import_experiment(data)
    losses, metrics = back.timeline.lineage()
    assert losses == data["history"] and metrics == data["metrics"]
    assert saved_preset(data) == "ring-collapse"
    # Its timeline starts where it was saved: earlier there is no checkpoint to go back to.
    assert back.checkpoints() == [90] and back.timeline.start == 90
    back.step(20)
    assert back.restore(95) == 95
    # Saved after going back: the curves end where the run is, not where the branch got to.
    t.restore(45)
    rewound = export_experiment(t)
    assert rewound["iteration"] == 45 and rewound["history"][-1]["iteration"] == 45
    assert [m["iteration"] for m in rewound["metrics"]] == [30]


def _as_version_2(data: dict) -> dict:
    """What a version-2 export held (its `version` was its config's schema version, 2): no metric
    curve; the weights without averages or last losses. (Version-1 files, with configs of schema 1,
    are real files in tests/fixtures/schema_v1, imported in test_config_migration.)"""
    state = torch.load(io.BytesIO(base64.b64decode(data["weights"])), weights_only=True)
    state.pop("hist", None)
    state.pop("last", None)
    old = {k: v for k, v in data.items() if k not in ("metrics", "schema_version")}
    return {**old, "version": 2, "weights": encode_weights(state)}


def test_a_version_2_file_is_migrated_and_goes_on_bit_for_bit():
    t = Trainer(SMALL)
    t.step(30)
    back = import_experiment(_as_version_2(export_experiment(t)))
    assert back.iteration == 30 and back.timeline.lineage()[1] == []
    t.step(50)
    back.step(50)
    assert_same(state(back), state(t))


def test_an_older_file_with_historical_averaging_restarts_the_averages_from_its_weights():
    t = Trainer(ROUND_TRIP)
    t.step(20)
    back = import_experiment(_as_version_2(export_experiment(t)))
    assert back.hist_g.count == 1 and all(torch.equal(m, p) for m, p in zip(back.hist_g.mean, back.g_params,
                                                                             strict=True))
    back.step(5)  # and it trains on
    assert back.iteration == 25 and back.status == "ok"


@pytest.mark.parametrize("change, field, words", [
    ({"version": 4}, "data.version", "saved by a newer ToyGAN Lab (format version 4); this one reads versions 1 to 3"),
    ({"schema_version": 9}, "data.schema_version", "config schema 9"),
    ({"schema_version": "2"}, "data.schema_version", "config schema '2'"),
    ({"version": 0}, "data.version", "unknown format version"),
    ({"version": "3"}, "data.version", "unknown format version '3'"),
    ({"version": True}, "data.version", "unknown format version"),
    ({"format": "something-else"}, "data.format", "not a ToyGAN Lab experiment"),
    ({"history": {"a": 1}}, "data.history", "must be a list of points"),
    ({"history": [{"d_loss": 1.0}]}, "data.history.0", "integer iteration"),
    ({"history": [{"iteration": 5}, {"iteration": 4}]}, "data.history.1", "iterations must rise"),
    ({"metrics": [{"iteration": 5, "modes_captured": "all"}]}, "data.metrics.0", "'modes_captured' must be a number"),
    ({"metrics": [{"iteration": 5, **{f"k{i}": 1 for i in range(50)}}]}, "data.metrics.0", "at most 40 values"),
])
def test_other_versions_and_bad_curves_are_refused_by_field(change, field, words):
    data = {**export_experiment(Trainer(SMALL), weights=False), **change}
    with pytest.raises(ConfigError) as exc:
        import_experiment(data)
    assert exc.value.field == field and words in exc.value.message, exc.value.message


def test_the_preset_label_is_checked():
    assert saved_preset({"preset": None}) is None and saved_preset({}) is None
    for bad in (5, "x" * 201, ["ring"]):
        with pytest.raises(ConfigError) as exc:
            saved_preset({"preset": bad})
        assert exc.value.field == "data.preset"


class _Evil:
    def __reduce__(self):
        return (print, ("pwned",))


def _b64(obj) -> str:
    buf = io.BytesIO()
    torch.save(obj, buf)
    return base64.b64encode(buf.getvalue()).decode()


@pytest.mark.parametrize("data, field, words", [
    ({}, "data.config", "needs its config object"),
    ({"config": [1]}, "data.config", "needs its config object"),
    ({"config": {"optimizer_d": {"lr": -1}}}, "data.config.optimizer_d.lr", "data.config: "),
    ({"config": {}, "weights": 5}, "data.weights", "must be a base64 string"),
    ({"config": {}, "weights": "@@not base64@@"}, "data.weights", "not valid base64"),
    ({"config": {}, "weights": base64.b64encode(pickle.dumps(_Evil())).decode()}, "data.weights",
     "not a ToyGAN weights file"),
    ({"config": {}, "weights": base64.b64encode(b"junk").decode()}, "data.weights", "not a ToyGAN weights file"),
    ({"config": {}, "weights": _b64({"generator": {}})}, "data.weights", "missing ['discriminator', "),
    ({"config": {}, "weights": _b64([1, 2])}, "data.weights", "missing ["),
])
def test_bad_payloads_are_refused_by_field(data, field, words, capsys):
    with pytest.raises(ConfigError) as exc:
        import_experiment(data)
    assert exc.value.field == field and words in exc.value.message, exc.value.message
    assert "pwned" not in capsys.readouterr().out  # the pickle's code never ran


def test_weights_that_do_not_fit_the_config_are_refused():
    data = export_experiment(Trainer(SMALL))
    data["config"]["generator"]["width"] = 9
    with pytest.raises(ConfigError) as exc:
        import_experiment(data)
    assert exc.value.field == "data.weights" and exc.value.message.startswith("data.weights: do not fit data.config (")


def test_decoded_weights_carry_the_config_for_load_state_dict():
    t = Trainer(SMALL)
    state = decode_weights(encode_weights(t.state_dict()), t.config)
    assert state["config"] == t.config.model_dump() and state["iteration"] == 0
    other = Trainer({**SMALL, "seed": 7})
    other.load_state_dict(state)
    assert all(torch.equal(a, b) for a, b in zip(t.D.parameters(), other.D.parameters(), strict=True))

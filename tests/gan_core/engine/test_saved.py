"""gan_core.engine.saved: an export imports back into the same run; every bad payload is refused
with a ConfigError naming its field, before anything runs."""

from __future__ import annotations

import base64
import io
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
)
from gan_core.engine.trainer import Trainer

SMALL = {"target": {"name": "gaussian-1d"}, "generator": {"width": 8, "depth": 1},
         "discriminator": {"width": 8, "depth": 1}, "training": {"batch_size": 32}}


def test_an_export_imports_back_into_the_same_run():
    t = Trainer(SMALL)
    t.step(5)
    data = export_experiment(t, preset="some-preset")
    assert data["format"] == FORMAT and data["version"] == VERSION == SCHEMA_VERSION  # the config's version
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
    assert len(hist) == HISTORY_POINTS and hist[-1]["iteration"] == t.iteration and hist[0]["iteration"] == 1


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

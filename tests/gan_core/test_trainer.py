"""Trainer: trains, is reproducible bit for bit, ignores the global seed, resets, caps its history."""

import math

import pytest
import torch
from small_config import small_cfg

from gan_core.engine.config import ConfigError
from gan_core.engine.snapshot import SnapshotOptions
from gan_core.engine.trainer import Trainer

_cfg = small_cfg


def _params(t):
    return [p.detach().clone() for p in (*t.G.parameters(), *t.D.parameters())]


def test_basic_training_records_history_and_moves_parameters():
    t = Trainer(_cfg())
    before = _params(t)
    t.step(5)
    assert t.iteration == 5 and t.status == "ok"
    assert [h["iteration"] for h in t.history] == [1, 2, 3, 4, 5]
    for h in t.history:
        assert set(h) >= {"iteration", "d_loss", "g_loss", "d_real", "d_fake"}
        assert all(math.isfinite(v) for v in h.values())
        assert 0.0 <= h["d_real"] <= 1.0  # non-saturating: a probability
    assert all(not torch.equal(a, b) for a, b in zip(before, _params(t), strict=True))


def test_same_config_and_seed_is_bit_identical_and_other_seed_differs():
    a, b, c = Trainer(_cfg(seed=3)), Trainer(_cfg(seed=3)), Trainer(_cfg(seed=4))
    for t in (a, b, c):
        t.step(20)
    assert all(torch.equal(x, y) for x, y in zip(_params(a), _params(b), strict=True))
    assert a.history == b.history
    assert not torch.equal(_params(a)[0], _params(c)[0])


def test_training_ignores_the_global_seed():
    torch.manual_seed(1)
    a = Trainer(_cfg(generator={"dropout": 0.2}))
    a.step(5)
    torch.manual_seed(2)
    b = Trainer(_cfg(generator={"dropout": 0.2}))
    b.step(5)
    assert all(torch.equal(x, y) for x, y in zip(_params(a), _params(b), strict=True))


def test_observing_does_not_change_the_run():
    watched, blind = Trainer(_cfg(discriminator={"batch_norm": True, "dropout": 0.1})), \
        Trainer(_cfg(discriminator={"batch_norm": True, "dropout": 0.1}))
    for _ in range(5):
        watched.step(2)
        watched.snapshot(SnapshotOptions(optimal_d=True))
        watched.evaluate(256)
        blind.step(2)
    assert all(torch.equal(x, y) for x, y in zip(_params(watched), _params(blind), strict=True))
    assert [h["d_loss"] for h in watched.history] == [h["d_loss"] for h in blind.history]


def test_reset_restarts_and_new_seed_changes_the_run():
    t = Trainer(_cfg())
    t.step(3)
    first = _params(t)
    t.reset()
    assert t.iteration == 0 and t.history == []
    t.step(3)
    assert all(torch.equal(x, y) for x, y in zip(first, _params(t), strict=True))
    t.reset(seed=9)
    assert t.config.seed == 9
    t.step(3)
    assert not torch.equal(first[0], _params(t)[0])


def test_cuda_unavailable_is_a_config_error_on_device():
    if torch.cuda.is_available():
        pytest.skip("a CUDA device exists here; the error path cannot be reached")
    with pytest.raises(ConfigError) as e:
        Trainer(_cfg(device="cuda"))
    assert e.value.field == "device"


def test_history_is_capped_by_dropping_the_oldest_half(monkeypatch):
    import gan_core.engine.trainer as trainer_module

    monkeypatch.setattr(trainer_module, "HISTORY_LIMIT", 10)
    t = Trainer(_cfg(training={"batch_size": 8}))
    t.step(25)
    its = [h["iteration"] for h in t.history]
    assert len(its) <= 10 and its[-1] == 25 and its == list(range(its[0], 26))

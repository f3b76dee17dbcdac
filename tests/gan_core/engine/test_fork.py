"""gan_core.engine.fork: a captured trainer goes on exactly where the original was, on every random
path and every piece of optimizer and regularizer state; the capture is plain, picklable data."""

import pickle

import pytest
import torch

from gan_core.engine import fork
from gan_core.engine.config import ConfigError
from gan_core.engine.history import thin_keep_tail
from gan_core.engine.trainer import Trainer
from tests.gan_core.engine.small_config import dirac_cfg, small_cfg


def _params(t: Trainer) -> list[torch.Tensor]:
    return [*t.G.parameters(), *t.D.parameters()]


@pytest.mark.parametrize("cfg", [
    small_cfg(target={"name": "ring"}),
    # Historical averaging keeps running means outside the networks and optimizers; a fork that
    # dropped them would pull both players towards their initial weights.
    small_cfg(regularizers={"historical_averaging": 0.05, "instance_noise": 0.3, "instance_noise_anneal": 50},
              generator={"dropout": 0.2}),
    small_cfg(training={"unroll": 2, "lr_drop_at": 20}),  # the drop comes after the fork
    small_cfg(training={"update": "simultaneous"}, regularizers={"consensus": 0.5, "gradient_penalty": 1.0}),
    dirac_cfg(r1=0.5),
])
def test_a_restored_capture_continues_bit_for_bit(cfg):
    a = Trainer(cfg)
    a.step(13)
    b = fork.restore(pickle.loads(pickle.dumps(fork.capture(a))))  # it crosses a process boundary
    assert b.iteration == 13 and b.config == a.config and b.history == a.history
    a.step(25)
    b.step(25)
    assert b.history == a.history  # every loss of every iteration, exactly
    assert all(torch.equal(x, y) for x, y in zip(_params(a), _params(b), strict=True))


def test_a_capture_is_a_copy_the_original_trains_on_without():
    a = Trainer(small_cfg())
    a.step(3)
    captured = fork.capture(a)
    before = [p.clone() for p in _params(a)]
    a.step(5)  # the original moves on ...
    b = fork.restore(captured)  # ... the copy starts where the capture was made
    assert b.iteration == 3
    assert all(torch.equal(x, y) for x, y in zip(before, _params(b), strict=True))


def test_a_capture_that_does_not_fit_its_config_is_refused_by_field():
    captured = fork.capture(Trainer(small_cfg()))
    with pytest.raises(ConfigError) as e:
        fork.restore({**captured, "state": b"not torch"})
    assert e.value.field == "state"
    other = fork.capture(Trainer(small_cfg(generator={"width": 8})))
    with pytest.raises(ConfigError) as e:
        fork.restore({**captured, "state": other["state"]})
    assert e.value.field == "state"


def test_a_long_history_is_thinned_but_keeps_its_newest_iterations_whole():
    points = [{"iteration": i} for i in range(1, 10_001)]
    kept = thin_keep_tail(points, 1000, 300)
    its = [p["iteration"] for p in kept]
    assert len(kept) == 1000 and its == sorted(its) and its[0] == 1
    assert its[-300:] == list(range(9701, 10_001))
    assert thin_keep_tail(points[:50], 1000, 300) == points[:50]

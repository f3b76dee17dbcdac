"""Trainer: trains, is reproducible bit for bit, ignores the global seed, resets, caps its history;
k steps and step_part, live changes (what rebuilds and what does not), divergence, state export."""

import math

import pytest
import torch
from small_config import dirac_cfg, small_cfg

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


def _dirac(*args, **kw):
    return Trainer(dirac_cfg(*args, **kw))


# ---- k steps, step_part, unrolling --------------------------------------------------------------

def test_k_d_and_k_g_count_updates():
    t = Trainer(_cfg(training={"k_d": 3, "k_g": 2}))
    t.step(2)
    step_of = lambda opt: int(next(iter(opt.state.values()))["step"])  # noqa: E731
    assert (step_of(t.opt_d), step_of(t.opt_g), t.iteration) == (6, 4, 2)
    t = Trainer(_cfg(training={"k_d": 3, "k_g": 2, "update": "simultaneous"}))
    t.step(2)
    assert (step_of(t.opt_d), step_of(t.opt_g)) == (6, 4)


def test_step_part_moves_one_player_and_g_completes_the_iteration():
    t = Trainer(_cfg())
    g0 = [p.clone() for p in t.G.parameters()]
    d0 = [p.clone() for p in t.D.parameters()]
    t.step_part("d")
    assert t.iteration == 0 and all(torch.equal(a, b) for a, b in zip(g0, t.G.parameters(), strict=True))
    assert not torch.equal(d0[0], next(t.D.parameters()))
    d1 = [p.clone() for p in t.D.parameters()]
    t.step_part("g")
    assert t.iteration == 1 and len(t.history) == 1
    assert all(torch.equal(a, b) for a, b in zip(d1, t.D.parameters(), strict=True))
    with pytest.raises(ConfigError):
        t.step_part("x")


def test_unrolled_generator_update_leaves_d_alone():
    t = Trainer(_cfg(training={"unroll": 3}, discriminator={"batch_norm": True, "spectral_norm": True}))
    t.step(2)
    d0 = {k: v.clone() for k, v in t.D.state_dict().items()}
    t.step_part("g")
    assert all(torch.equal(d0[k], v) for k, v in t.D.state_dict().items())
    assert t.status == "ok"


# ---- live changes -------------------------------------------------------------------------------

def test_apply_hyperparameters_keeps_networks_and_optimizer_state():
    t = Trainer(_cfg())
    t.step(3)
    params = [p.clone() for p in t.G.parameters()]
    opt_d, state = t.opt_d, {k: v["exp_avg"].clone() for k, v in t.opt_d.state.items()}
    patch = {"optimizer_d": {"lr": 0.01, "beta1": 0.1}, "objective": {"name": "hinge"},
             "training": {"k_d": 2, "batch_size": 32}, "regularizers": {"r1": 1.0},
             "target": {"name": "grid", "modes": 3}}
    assert t.apply(patch) is False and not t.rebuilt
    assert t.iteration == 3 and t.opt_d is opt_d
    assert opt_d.param_groups[0]["lr"] == 0.01 and opt_d.param_groups[0]["betas"] == (0.1, 0.999)
    assert all(torch.equal(a, b) for a, b in zip(params, t.G.parameters(), strict=True))
    assert all(torch.equal(state[k], v["exp_avg"]) for k, v in opt_d.state.items())
    assert len(t.target.centers) == 9
    t.step(1)
    assert t.snapshot().d_kind == "score" and t.status == "ok"


def test_apply_architecture_or_dimension_rebuilds():
    t = Trainer(_cfg())
    t.step(2)
    assert t.apply({"generator": {"width": 8}}) is True and t.rebuilt and t.iteration == 0
    assert t.G.net[0].out_features == 8
    t.step(1)
    assert t.apply({"target": {"name": "gaussian-1d"}}) is True and t.target.dim == 1
    t.step(1)
    assert t.snapshot().dim == 1
    assert t.apply({"optimizer_g": {"name": "sgd"}}) is False
    assert t.apply({"noise": {"distribution": "uniform"}}) is False
    assert t.apply({"noise": {"dim": 3}}) is True
    t.step(1)
    assert isinstance(t.opt_g, torch.optim.SGD)


def test_apply_switching_an_optimizer_kind_keeps_the_networks_and_its_learning_rate():
    t = Trainer(_cfg(optimizer_d={"lr": 0.004}))
    t.step(2)
    params = [p.clone() for p in t.D.parameters()]
    assert t.apply({"optimizer_d": {"name": "momentum"}}) is False
    assert isinstance(t.opt_d, torch.optim.SGD) and t.opt_d.param_groups[0]["momentum"] == 0.9
    assert t.opt_d.param_groups[0]["lr"] == 0.004 and t.opt_d.state == {}  # a fresh optimizer, same rate
    assert all(torch.equal(a, b) for a, b in zip(params, t.D.parameters(), strict=True))
    with pytest.raises(ConfigError) as e:
        t.apply({"optimizer_d": {"beta1": 0.1}})  # Adam's, not momentum SGD's
    assert e.value.field == "optimizer_d.beta1" and t.config.optimizer_d.name == "momentum"
    t.step(1)
    assert t.status == "ok"


def test_apply_rejects_bad_patches_and_keeps_the_old_config():
    t = Trainer(_cfg())
    before = t.config
    for patch, field in (({"optimizer_d": {"lr": -1}}, "optimizer_d.lr"),
                         ({"training": {"k_d": 0}}, "training.k_d"),
                         ({"objective": {"nmae": "hinge"}}, "objective.nmae"),
                         ({"generator": {"kind": "point"}}, "generator.kind")):
        with pytest.raises(ConfigError) as e:
            t.apply(patch)
        assert e.value.field == field
    assert t.config is before
    t.step(1)


def test_live_change_is_reproducible():
    runs = []
    for _ in range(2):
        t = Trainer(_cfg())
        t.step(3)
        t.apply({"optimizer_g": {"lr": 0.003}, "regularizers": {"instance_noise": 0.1}})
        t.step(3)
        runs.append([p.clone() for p in t.G.parameters()])
    assert all(torch.equal(a, b) for a, b in zip(*runs, strict=True))


def test_switching_historical_averaging_on_starts_the_average_at_the_current_weights():
    t = Trainer(_cfg())
    t.step(5)
    t.apply({"regularizers": {"historical_averaging": 1.0}})
    assert all(torch.equal(m, q) for m, q in zip(t.hist_g.mean, t.g_params, strict=True))
    assert t.hist_d.penalty(t.d_params, 1.0).item() == 0.0


# ---- divergence ---------------------------------------------------------------------------------

def test_divergence_is_detected_stops_training_and_reset_recovers():
    t = _dirac("simultaneous", lr=10.0, name="hinge")
    t.step(1000)
    assert t.status == "diverged" and t.iteration < 1000
    assert "non-finite" in t.status_message and "\n" not in t.status_message
    it = t.iteration
    t.step(5)
    assert t.iteration == it
    snap = t.snapshot()
    assert snap.status == "diverged" and snap.status_message == t.status_message
    t.reset()
    assert t.status == "ok" and t.status_message == "" and t.iteration == 0
    t.step(3)
    assert t.status == "ok"


def test_nan_parameters_are_detected_by_step_and_by_snapshot():
    t = Trainer(_cfg())
    with torch.no_grad():
        next(t.G.parameters())[0, 0] = float("nan")
    t.step(1)
    assert t.status == "diverged"
    t = Trainer(_cfg())
    with torch.no_grad():
        next(t.D.parameters())[0, 0] = float("inf")
    assert t.snapshot().status == "diverged" and "parameters" in t.status_message


# ---- state export -------------------------------------------------------------------------------

def test_state_dict_round_trip_continues_identically():
    a = Trainer(_cfg())
    a.step(4)
    b = Trainer(_cfg(seed=99))
    b.load_state_dict(a.state_dict())
    assert b.iteration == 4 and b.config == a.config
    a.step(3)
    b.step(3)
    assert all(torch.equal(x, y) for x, y in zip(a.G.parameters(), b.G.parameters(), strict=True))


def test_wasserstein_clips_d_weights_to_objective_clip_and_weight_clip_overrides():
    t = Trainer(_cfg(objective={"name": "wasserstein", "clip": 0.02}))
    t.step(5)
    assert max(p.abs().max().item() for p in t.D.parameters()) <= 0.02
    t.apply({"regularizers": {"weight_clip": 0.005}, "objective": {"name": "hinge"}})
    t.step(1)
    assert max(p.abs().max().item() for p in t.D.parameters()) <= 0.005


@pytest.mark.parametrize("extra", [
    {"training": {"unroll": 2}, "generator": {"dropout": 0.2}},
    {"training": {"update": "simultaneous"}, "regularizers": {"consensus": 0.5}},
    {"regularizers": {"instance_noise": 0.2, "gradient_penalty": 1.0, "dragan": 1.0}},
])


def test_every_random_path_is_reproducible(extra):
    a, b = Trainer(_cfg(**extra)), Trainer(_cfg(**extra))
    a.step(4)
    b.step(4)
    assert a.history == b.history
    assert all(torch.equal(x, y) for x, y in zip(a.D.parameters(), b.D.parameters(), strict=True))


def test_loading_a_mismatched_state_is_a_config_error_and_keeps_the_trainer():
    a = Trainer(_cfg())
    bad = a.state_dict()
    bad["config"]["generator"]["width"] = 8  # weights are for width 16
    t = Trainer(_cfg())
    t.step(2)
    before = [p.clone() for p in t.G.parameters()]
    with pytest.raises(ConfigError) as e:
        t.load_state_dict(bad)
    assert e.value.field == "state"
    assert t.iteration == 2 and all(torch.equal(x, y) for x, y in zip(before, t.G.parameters(), strict=True))
    t.step(1)
    assert t.status == "ok"

"""Training dynamics: k steps, simultaneous vs alternating, unrolling, the Dirac game, live changes."""

import math

import pytest
import torch
from small_config import small_cfg

from gan_core.engine.config import ConfigError, OptimizerConfig
from gan_core.engine.models import LinearDiscriminator
from gan_core.engine.objectives import logistic_d_loss, minimax_g_loss
from gan_core.engine.optimizers import lookahead, make_optimizer
from gan_core.engine.trainer import Trainer

_cfg = small_cfg


def _dirac(update="alternating", lr=0.1, r1=0.0, name="minimax", theta=1.0, psi=0.0, **extra):
    sgd = {"name": "sgd", "lr": lr}
    return Trainer({"target": {"name": "dirac", "dim": 1}, "generator": {"kind": "point", "init": [theta]},
                    "discriminator": {"kind": "linear", "init": [psi], "bias": False},
                    "objective": {"name": name}, "regularizers": {"r1": r1}, "optimizer_g": sgd,
                    "optimizer_d": sgd, "training": {"update": update, "batch_size": 8}, **extra})


def _dist(t):
    return math.hypot(t.G.theta.item(), t.D.psi.item())


# ---- the Dirac game (Mescheder et al. 2018, figure 1) -----------------------------------------

def test_dirac_simultaneous_sgd_spirals_out():
    t = _dirac("simultaneous")
    d = [_dist(t)]
    for _ in range(10):
        t.step(20)
        d.append(_dist(t))
    assert all(b > a for a, b in zip(d, d[1:], strict=False))
    assert d[-1] > 1.2 * d[0]


def test_dirac_alternating_sgd_stays_bounded():
    t = _dirac("alternating")
    d = []
    for _ in range(20):
        t.step(25)
        d.append(_dist(t))
    assert max(d) < 1.3 and min(d) > 0.7  # circles the equilibrium: neither escapes nor converges


def test_dirac_r1_converges():
    for update in ("alternating", "simultaneous"):
        t = _dirac(update, r1=1.0)
        t.step(500)
        assert _dist(t) < 0.1, update
        assert t.snapshot().metrics["distance_to_equilibrium"] == pytest.approx(_dist(t), rel=1e-5)


def test_dirac_consensus_converges_where_simultaneous_diverges():
    t = _dirac("simultaneous", regularizers={"consensus": 1.0, "r1": 0.0})
    t.step(500)
    assert _dist(t) < 0.5


def test_simultaneous_step_uses_the_same_parameters_for_both_players():
    theta, psi, lr = 1.0, 0.5, 0.1
    s = torch.sigmoid(torch.tensor(psi * theta)).item()
    # minimax, real point 0: dL_D/dpsi = sigmoid(psi theta) theta, dL_G/dtheta = -sigmoid(psi theta) psi
    sim = _dirac("simultaneous", theta=theta, psi=psi, lr=lr)
    sim.step(1)
    assert sim.D.psi.item() == pytest.approx(psi - lr * s * theta, rel=1e-6)
    assert sim.G.theta.item() == pytest.approx(theta + lr * s * psi, rel=1e-6)
    alt = _dirac("alternating", theta=theta, psi=psi, lr=lr)
    alt.step(1)
    psi1 = psi - lr * s * theta
    s1 = torch.sigmoid(torch.tensor(psi1 * theta)).item()
    assert alt.G.theta.item() == pytest.approx(theta + lr * s1 * psi1, rel=1e-6)  # G sees the moved D


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


@pytest.mark.parametrize("opt", ["sgd", "momentum", "adam", "rmsprop"])
def test_unrolled_gradient_flows_through_the_look_ahead(opt):
    # Dirac game, 2 look-ahead steps: autograd's d(G loss)/d(theta) equals a finite difference of the
    # whole unrolled computation, and differs from the gradient against a frozen look-ahead D.
    cfg = OptimizerConfig(name=opt, lr=0.5)
    d = LinearDiscriminator(torch.tensor([0.3]), bias=False).double()
    dopt = make_optimizer(d.parameters(), cfg)
    # Give the optimizer history (from zero state Adam's first step is ~lr*sign(g), flat in theta);
    # lr 0 while priming keeps psi where it is.
    dopt.param_groups[0]["lr"] = 0.0
    for scale in (0.2, 0.1):
        dopt.zero_grad()
        (scale * d.psi.sum()).backward()
        dopt.step()
    dopt.param_groups[0]["lr"] = cfg.lr
    psi = d.psi.item()

    def g_loss(theta, frozen=False):
        real = torch.zeros(4, 1, dtype=torch.float64)
        params = lookahead(d, dopt, cfg, 2, lambda: (real, theta.expand(4, 1)),
                           lambda r, f: logistic_d_loss(r, f, None))
        if frozen:
            params = {k: v.detach() for k, v in params.items()}
        from torch.func import functional_call
        return minimax_g_loss(functional_call(d, params, (theta.expand(4, 1),)), None)

    theta = torch.tensor([0.8], dtype=torch.float64, requires_grad=True)
    (auto,) = torch.autograd.grad(g_loss(theta), theta)
    h = 1e-6
    fd = (g_loss(theta.detach() + h) - g_loss(theta.detach() - h)).item() / (2 * h)
    assert auto.item() == pytest.approx(fd, rel=1e-6)
    (frozen,) = torch.autograd.grad(g_loss(theta, frozen=True), theta)
    assert abs(frozen.item() - auto.item()) > 5e-3 * abs(auto.item())
    assert d.psi.item() == psi  # the real D did not move


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


def test_consensus_step_matches_the_closed_form_dirac_game():
    theta0, psi0, lr, gamma = 0.7, -0.4, 0.1, 0.5
    theta = torch.tensor(theta0, dtype=torch.float64, requires_grad=True)
    psi = torch.tensor(psi0, dtype=torch.float64, requires_grad=True)
    # minimax, real point 0: L_D = softplus(0) + softplus(psi theta), L_G = -softplus(psi theta)
    loss_d = torch.nn.functional.softplus(psi * theta) + math.log(2)
    loss_g = -torch.nn.functional.softplus(psi * theta)
    (vd,) = torch.autograd.grad(loss_d, psi, create_graph=True)
    (vg,) = torch.autograd.grad(loss_g, theta, create_graph=True)
    big_l = 0.5 * (vd ** 2 + vg ** 2)
    g_psi = torch.autograd.grad(loss_d + gamma * big_l, psi, retain_graph=True)[0].item()
    g_theta = torch.autograd.grad(loss_g + gamma * big_l, theta)[0].item()
    t = _dirac("simultaneous", theta=theta0, psi=psi0, lr=lr, regularizers={"consensus": gamma})
    t.step(1)
    assert t.D.psi.item() == pytest.approx(psi0 - lr * g_psi, rel=1e-5)
    assert t.G.theta.item() == pytest.approx(theta0 - lr * g_theta, rel=1e-5)


def test_switching_historical_averaging_on_starts_the_average_at_the_current_weights():
    t = Trainer(_cfg())
    t.step(5)
    t.apply({"regularizers": {"historical_averaging": 1.0}})
    assert all(torch.equal(m, q) for m, q in zip(t._hist_g.mean, t.g_params, strict=True))
    assert t._hist_d.penalty(t.d_params, 1.0).item() == 0.0


def _lrs(t):
    return t.opt_g.param_groups[0]["lr"], t.opt_d.param_groups[0]["lr"]


def test_lr_drop_scales_both_rates_after_lr_drop_at_iterations_and_follows_live_changes():
    t = Trainer(_cfg(optimizer_g={"lr": 2e-3}, optimizer_d={"lr": 4e-3},
                     training={"lr_drop_at": 3, "lr_drop_factor": 0.25}))
    t.step(2)
    assert _lrs(t) == (2e-3, 4e-3)
    t.step(1)  # the 3 iterations before the drop are done: from here on a quarter
    assert _lrs(t) == pytest.approx((5e-4, 1e-3))
    t.apply({"optimizer_g": {"lr": 1e-2}})  # a new rate after the drop is dropped too
    assert _lrs(t) == pytest.approx((2.5e-3, 1e-3))
    t.apply({"training": {"lr_drop_at": 100}})  # the drop moved ahead of the run: full rates again
    assert _lrs(t) == pytest.approx((1e-2, 4e-3))
    t.apply({"optimizer_d": {"name": "rmsprop"}})  # a new optimizer starts at the scaled rate too
    t.apply({"training": {"lr_drop_at": 1}})
    assert _lrs(t) == pytest.approx((2.5e-3, 1e-3))
    t.reset()  # a new run starts before the drop
    assert _lrs(t) == pytest.approx((1e-2, 4e-3))


def test_lr_drop_is_the_same_run_as_changing_the_rates_by_hand_at_that_iteration():
    base = _cfg(optimizer_g={"lr": 2e-3}, optimizer_d={"lr": 2e-3})
    auto = Trainer({**base, "training": {**base["training"], "lr_drop_at": 5, "lr_drop_factor": 0.1}})
    hand = Trainer(base)
    auto.step(12)
    hand.step(5)
    hand.apply({"optimizer_g": {"lr": 2e-4}, "optimizer_d": {"lr": 2e-4}})
    hand.step(7)
    for a, b in zip([*auto.G.parameters(), *auto.D.parameters()], [*hand.G.parameters(), *hand.D.parameters()],
                    strict=True):
        assert torch.equal(a, b)
    never = Trainer(base)
    never.step(12)
    assert not torch.equal(next(never.G.parameters()), next(auto.G.parameters()))


def test_lr_drop_survives_a_state_round_trip():
    t = Trainer(_cfg(training={"lr_drop_at": 2, "lr_drop_factor": 0.5}))
    t.step(3)
    u = Trainer(_cfg())
    u.load_state_dict(t.state_dict())
    assert _lrs(u) == _lrs(t) == pytest.approx((5e-4, 5e-4))


def test_the_unrolled_look_ahead_uses_the_dropped_rate():
    cfg = _cfg(training={"unroll": 2, "lr_drop_at": 1, "lr_drop_factor": 0.1})
    auto = Trainer(cfg)
    auto.step(3)
    hand = Trainer(_cfg(training={"unroll": 2}))
    hand.step(1)
    hand.apply({"optimizer_g": {"lr": 1e-4}, "optimizer_d": {"lr": 1e-4}})
    hand.step(2)
    for a, b in zip(auto.G.parameters(), hand.G.parameters(), strict=True):
        assert torch.equal(a, b)

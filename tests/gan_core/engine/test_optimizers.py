"""Optimizers: the factory (each kind its own hyperparameters), live changes, the learning-rate drop,
and the unrolled look-ahead, which must differentiate through D's optimizer steps."""

import pytest
import torch
from small_config import small_cfg

from gan_core.engine.config import parse_config
from gan_core.engine.models import LinearDiscriminator
from gan_core.engine.objectives import logistic_d_loss, minimax_g_loss
from gan_core.engine.optimizers import lookahead, make_optimizer, update_optimizer
from gan_core.engine.trainer import Trainer

_cfg = small_cfg


def _opt_cfg(**fields):
    return parse_config({"optimizer_d": fields}).optimizer_d


@pytest.mark.parametrize("opt", ["sgd", "momentum", "adam", "rmsprop"])
def test_unrolled_gradient_flows_through_the_look_ahead(opt):
    # Dirac game, 2 look-ahead steps: autograd's d(G loss)/d(theta) equals a finite difference of the
    # whole unrolled computation, and differs from the gradient against a frozen look-ahead D.
    cfg = _opt_cfg(name=opt, lr=0.5)
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


@pytest.mark.parametrize("fields,cls,group", [
    ({"name": "sgd", "lr": 0.1, "weight_decay": 0.01}, torch.optim.SGD, {"lr": 0.1, "momentum": 0, "weight_decay": 0.01}),
    ({"name": "momentum", "momentum": 0.7}, torch.optim.SGD, {"momentum": 0.7}),
    ({"name": "adam", "beta1": 0.1, "beta2": 0.9}, torch.optim.Adam, {"betas": (0.1, 0.9)}),
    ({"name": "rmsprop", "alpha": 0.95}, torch.optim.RMSprop, {"alpha": 0.95}),
])
def test_each_optimizer_kind_builds_with_its_own_hyperparameters(fields, cls, group):
    opt = make_optimizer([torch.nn.Parameter(torch.zeros(2))], _opt_cfg(**fields))
    assert type(opt) is cls
    assert {k: opt.param_groups[0][k] for k in group} == group


@pytest.mark.parametrize("kind,edit,key,want", [
    ("momentum", {"momentum": 0.2}, "momentum", 0.2),
    ("adam", {"beta1": 0.3}, "betas", (0.3, 0.999)),
    ("rmsprop", {"alpha": 0.8}, "alpha", 0.8),
])
def test_update_optimizer_changes_its_kinds_hyperparameters_and_keeps_its_state(kind, edit, key, want):
    p = torch.nn.Parameter(torch.ones(3))
    opt = make_optimizer([p], _opt_cfg(name=kind))
    p.grad = torch.ones(3)
    opt.step()
    state = {k: v.clone() for k, v in opt.state[p].items() if torch.is_tensor(v)}
    update_optimizer(opt, _opt_cfg(name=kind, lr=0.5, **edit), scale=0.1)
    assert opt.param_groups[0][key] == want and opt.param_groups[0]["lr"] == pytest.approx(0.05)
    assert all(torch.equal(v, opt.state[p][k]) for k, v in state.items())

"""The Dirac game (Mescheder et al. 2018, figure 1): simultaneous steps spiral out, alternating ones
circle, R1 and consensus converge; one step of each update rule against its closed form."""

import math

import pytest
import torch
from small_config import dirac_cfg

from gan_core.engine.trainer import Trainer


def _dirac(*args, **kw):
    return Trainer(dirac_cfg(*args, **kw))


def _dist(t):
    return math.hypot(t.G.theta.item(), t.D.psi.item())


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

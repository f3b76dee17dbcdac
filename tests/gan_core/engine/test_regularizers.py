"""Each stabilizer against a hand-computed case."""

import pytest
import torch
from torch import nn

from gan_core.engine import regularizers as reg
from gan_core.engine.models import LinearDiscriminator


def _gen(seed=0):
    return torch.Generator().manual_seed(seed)


def _linear(w, bias=True):
    return LinearDiscriminator(torch.tensor(w), bias=bias)


def test_r1_of_a_linear_d_is_half_gamma_times_squared_weight_norm():
    d = _linear([3.0, -4.0])
    real = torch.randn(32, 2, generator=_gen())
    pen = reg.r1_penalty(d, real, gamma=0.5)
    assert pen.item() == pytest.approx(0.25 * 25.0)
    pen.backward()  # d/dw gamma/2 ||w||^2 = gamma w: the penalty shrinks D's weights
    assert torch.allclose(d.psi.grad, torch.tensor([1.5, -2.0]))


def test_gradient_penalty_is_zero_for_a_unit_gradient_critic_and_positive_otherwise():
    real, fake = torch.randn(16, 2, generator=_gen(1)), torch.randn(16, 2, generator=_gen(2))
    unit = _linear([0.6, 0.8])
    assert reg.gradient_penalty(unit, real, fake, 10.0, _gen()).item() == pytest.approx(0.0, abs=1e-8)
    steep = _linear([0.0, 3.0])
    assert reg.gradient_penalty(steep, real, fake, 10.0, _gen()).item() == pytest.approx(10.0 * 4.0, rel=1e-6)
    assert reg.dragan_penalty(unit, real, 1.0, _gen()).item() == pytest.approx(0.0, abs=1e-8)
    assert reg.dragan_penalty(steep, real, 2.0, _gen()).item() == pytest.approx(2.0 * 4.0, rel=1e-6)


def test_gradient_penalty_samples_between_real_and_fake():
    # A critic with gradient norm |x|: GP's points all lie on the real-fake segments, here x in [1, 2].
    class Radial(nn.Module):
        def forward(self, x):
            return 0.5 * (x * x).sum(1)

    real, fake = torch.full((200, 1), 1.0), torch.full((200, 1), 2.0)
    pen = reg.gradient_penalty(Radial(), real, fake, 1.0, _gen()).item()
    assert 0.0 < pen < 1.0  # (|x| - 1)^2 <= 1 on [1, 2]; 0 only if every point sat on real


def test_penalties_are_differentiable_wrt_d_parameters():
    d = nn.Sequential(nn.Linear(2, 8), nn.Tanh(), nn.Linear(8, 1))
    x = torch.randn(8, 2, generator=_gen())
    for pen in (reg.r1_penalty(lambda v: d(v).squeeze(-1), x, 1.0),
                reg.gradient_penalty(lambda v: d(v).squeeze(-1), x, x + 1, 1.0, _gen()),
                reg.dragan_penalty(lambda v: d(v).squeeze(-1), x, 1.0, _gen())):
        grads = torch.autograd.grad(pen, list(d.parameters()), allow_unused=True)
        assert any(g is not None and g.abs().sum() > 0 for g in grads)


def test_instance_noise_anneals_linearly_to_zero():
    assert reg.instance_noise_std(0.4, 0, 10_000) == 0.4
    assert reg.instance_noise_std(0.4, 100, 0) == pytest.approx(0.4)
    assert reg.instance_noise_std(0.4, 100, 25) == pytest.approx(0.3)
    assert reg.instance_noise_std(0.4, 100, 100) == 0.0
    assert reg.instance_noise_std(0.4, 100, 500) == 0.0
    x = torch.zeros(20_000, 1)
    noisy = reg.add_instance_noise(x, 0.3, _gen())
    assert noisy.std().item() == pytest.approx(0.3, rel=0.05)
    assert reg.add_instance_noise(x, 0.0, _gen()) is x


def test_clip_weights_bounds_every_parameter():
    d = nn.Sequential(nn.Linear(2, 16), nn.ReLU(), nn.Linear(16, 1))
    with torch.no_grad():
        for p in d.parameters():
            p.mul_(100)
    reg.clip_weights(d, 0.01)
    assert all(p.abs().max().item() <= 0.01 for p in d.parameters())


def test_consensus_penalty_is_half_the_squared_gradient_field():
    # Dirac game: L_D = -psi*theta (D maximises psi*theta), L_G = psi*theta.
    theta = torch.tensor(2.0, requires_grad=True)
    psi = torch.tensor(3.0, requires_grad=True)
    pen = reg.consensus_penalty(-psi * theta, psi * theta, [psi], [theta])
    # v = (dL_D/dpsi, dL_G/dtheta) = (-theta, psi): 1/2 (theta^2 + psi^2)
    assert pen.item() == pytest.approx(0.5 * (4 + 9))
    g_psi, g_theta = torch.autograd.grad(pen, [psi, theta])
    assert (g_psi.item(), g_theta.item()) == pytest.approx((3.0, 2.0))  # pulls both towards 0


def test_historical_average_tracks_the_mean_and_penalises_distance():
    p = nn.Parameter(torch.tensor([0.0, 0.0]))
    h = reg.HistoricalAverage([p])
    with torch.no_grad():
        p.copy_(torch.tensor([2.0, 4.0]))
    h.update([p])
    assert torch.allclose(h.mean[0], torch.tensor([1.0, 2.0]))
    assert h.penalty([p], 0.5).item() == pytest.approx(0.5 * (1 + 4))

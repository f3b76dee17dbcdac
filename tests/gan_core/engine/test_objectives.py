"""Every loss: the right value on hand-computed cases, gradients pointing the right way, stable at extremes."""

import math

import pytest
import torch

from gan_core.engine.config import UNIONS, parse_config
from gan_core.engine.objectives import OBJECTIVES, feature_matching, pull_away

NAMES = list(OBJECTIVES)


def _objective(name, **fields):
    ae = {"discriminator": {"kind": "autoencoder", "code": 2}} if name == "ebgan" else {}
    return parse_config({"objective": {"name": name, **fields}, **ae}).objective


# The registry's entries, called the way the step plan calls them.
def d_loss(real, fake, cfg, smoothing=0.0):
    return OBJECTIVES[cfg.name].d_loss(real, fake, cfg, smoothing)


def g_loss(fake, cfg):
    return OBJECTIVES[cfg.name].g_loss(fake, cfg)


def d_value(out, cfg):
    return OBJECTIVES[cfg.name].d_value(out)


def d_kind(cfg):
    return OBJECTIVES[cfg.name].d_kind


def _grad(f, x):
    x = torch.tensor(x, requires_grad=True)
    (g,) = torch.autograd.grad(f(x), x)
    return g


def test_registry_covers_every_configurable_objective():
    assert list(OBJECTIVES) == list(UNIONS["objective"].kinds)


@pytest.mark.parametrize("name", NAMES)
def test_raising_d_on_real_and_lowering_it_on_fake_lowers_d_loss(name):
    cfg = _objective(name)
    # D not yet sure: real below the LS/hinge target 1, fake above the LS target 0, inside the margins
    real, fake = [0.3, -0.2], [0.1, 0.4]
    g_real = _grad(lambda r: d_loss(r, torch.tensor(fake), cfg), real)
    g_fake = _grad(lambda f: d_loss(torch.tensor(real), f, cfg), fake)
    assert (g_real < 0).all(), name  # gradient descent raises D on real
    assert (g_fake > 0).all(), name  # ... and lowers it on fake


@pytest.mark.parametrize("name", NAMES)
def test_raising_d_on_fake_lowers_g_loss(name):
    cfg = _objective(name)
    g = _grad(lambda f: g_loss(f, cfg), [0.1, -0.4])
    assert (g < 0).all(), name


def test_logistic_losses_match_cross_entropy_by_hand():
    cfg = _objective("non-saturating")
    r, f = torch.tensor([2.0]), torch.tensor([-1.0])
    want = -math.log(1 / (1 + math.exp(-2.0))) - math.log(1 - 1 / (1 + math.exp(1.0)))
    assert d_loss(r, f, cfg).item() == pytest.approx(want, rel=1e-6)
    assert g_loss(f, cfg).item() == pytest.approx(-math.log(1 / (1 + math.exp(1.0))), rel=1e-6)
    mm = _objective("minimax")
    assert g_loss(f, mm).item() == pytest.approx(math.log(1 - 1 / (1 + math.exp(1.0))), rel=1e-6)


def test_minimax_saturates_where_non_saturating_does_not():
    # D confidently rejects the fakes (logit -8): the saturating loss has almost no gradient.
    weak = _grad(lambda f: g_loss(f, _objective("minimax")), [-8.0]).abs().item()
    strong = _grad(lambda f: g_loss(f, _objective("non-saturating")), [-8.0]).abs().item()
    assert weak < 1e-3 < 0.9 < strong


@pytest.mark.parametrize("name", ["minimax", "non-saturating"])
def test_logistic_losses_stay_finite_on_huge_logits(name):
    cfg = _objective(name)
    big = torch.tensor([1e4, -1e4], requires_grad=True)
    loss = d_loss(big, -big, cfg) + g_loss(big, cfg)
    loss.backward()
    assert math.isfinite(loss.item()) and torch.isfinite(big.grad).all()


def test_label_smoothing_moves_the_real_target():
    cfg = _objective("non-saturating")
    # With real label 0.9 the loss on real is minimised at logit log(0.9 / 0.1), not at +inf.
    best = math.log(0.9 / 0.1)
    g = _grad(lambda r: d_loss(r, torch.tensor([-50.0]), cfg, smoothing=0.1), [best])
    assert g.abs().item() < 1e-5
    ls = _objective("least-squares")
    g = _grad(lambda r: d_loss(r, torch.tensor([0.0]), ls, smoothing=0.2), [0.8])
    assert g.abs().item() < 1e-6


def test_least_squares_wasserstein_hinge_margin_values():
    r, f = torch.tensor([1.0, 3.0]), torch.tensor([0.5, -2.0])
    assert d_loss(r, f, _objective("least-squares")).item() == pytest.approx(
        0.5 * (0 + 4) / 2 + 0.5 * (0.25 + 4) / 2)
    assert d_loss(r, f, _objective("wasserstein")).item() == pytest.approx(-0.75 - 2.0)
    assert d_loss(r, f, _objective("hinge")).item() == pytest.approx(0.0 + (1.5 + 0.0) / 2)
    m = 1.0
    sp = lambda o: math.log1p(math.exp(-o))  # noqa: E731
    want = (sp(1.0) + sp(3.0)) / 2 + (max(0, m - sp(0.5)) + max(0, m - sp(-2.0))) / 2
    margin = _objective("non-saturating-margin", margin=m)
    assert d_loss(r, f, margin).item() == pytest.approx(want, rel=1e-6)
    # Its generator loss is exactly the non-saturating one: only D's fake term differs.
    assert g_loss(f, margin).item() == g_loss(f, _objective("non-saturating")).item()


def test_ebgan_losses_by_hand():
    # D's score is -E: energies 0.5, 1.5 on real and 0.2, 3 on fake, margin 1.
    real, fake = torch.tensor([-0.5, -1.5]), torch.tensor([-0.2, -3.0])
    cfg = _objective("ebgan", margin=1.0)
    assert d_loss(real, fake, cfg).item() == pytest.approx((0.5 + 1.5) / 2 + (0.8 + 0.0) / 2)
    assert g_loss(fake, cfg).item() == pytest.approx((0.2 + 3.0) / 2)
    assert d_kind(cfg) == "score" and torch.equal(d_value(fake, cfg), fake)  # the page shows -E


def test_feature_matching_and_pull_away_by_hand():
    real, fake = torch.tensor([[1.0, 2.0], [3.0, 4.0]]), torch.tensor([[0.0, 0.0], [2.0, 2.0]])
    assert feature_matching(real, fake).item() == pytest.approx(1.0 + 4.0)  # means (2, 3) and (1, 1)
    # Squared cosines: (1,0)-(0,1) 0, (1,0)-(1,1) 1/2, (0,1)-(1,1) 1/2; each pair twice, over 3 x 2.
    codes = torch.tensor([[1.0, 0.0], [0.0, 1.0], [1.0, 1.0]])
    assert pull_away(codes).item() == pytest.approx(2 * (0 + 0.5 + 0.5) / 6)
    assert pull_away(torch.tensor([[1.0, 2.0], [-2.0, -4.0]])).item() == pytest.approx(1.0)
    assert pull_away(codes[:1]).item() == 0.0


def test_displayed_values():
    out = torch.tensor([-3.0, 0.0, 2.5])
    assert torch.allclose(d_value(out, _objective("minimax")), torch.sigmoid(out))
    assert d_value(out, _objective("least-squares")).tolist() == [0.0, 0.0, 1.0]
    assert torch.equal(d_value(out, _objective("hinge")), out)
    assert d_kind(_objective("least-squares")) == "probability"
    assert d_kind(_objective("wgan-gp")) == "score"

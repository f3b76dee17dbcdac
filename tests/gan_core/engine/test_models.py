"""Model builders: shapes, options, seeded initialisation that leaves the global RNG alone."""

import pytest
import torch
from torch import nn

from gan_core.engine.config_sections import (
    AffineGeneratorConfig,
    LinearDiscriminatorConfig,
    MLPDiscriminatorConfig,
    MLPGeneratorConfig,
    PointGeneratorConfig,
)
from gan_core.engine.models import (
    MLP,
    AffineGenerator,
    LinearDiscriminator,
    PointGenerator,
    SeededDropout,
    build_discriminator,
    build_generator,
    sample_noise,
)


def _gen(seed=0):
    return torch.Generator().manual_seed(seed)


@pytest.mark.parametrize("depth", [0, 1, 6])
@pytest.mark.parametrize("activation", ["relu", "leaky_relu", "tanh", "elu", "silu"])
def test_mlp_shapes(depth, activation):
    g = build_generator(MLPGeneratorConfig(depth=depth, width=7, activation=activation), 3, 2, _gen())
    d = build_discriminator(MLPDiscriminatorConfig(depth=depth, width=7, activation=activation), 2, _gen())
    x = g(torch.randn(5, 3))
    assert x.shape == (5, 2) and d(x).shape == (5,)
    assert sum(isinstance(m, nn.Linear) for m in g.modules()) == depth + 1


def test_generator_output_is_unbounded():
    g = build_generator(MLPGeneratorConfig(depth=0), 1, 1, _gen())
    with torch.no_grad():
        g.net[0].weight.fill_(10.0)
    assert g(torch.ones(1, 1)).abs().item() > 5  # no tanh squashing


def test_options_add_their_layers():
    d = build_discriminator(MLPDiscriminatorConfig(depth=2, width=8, dropout=0.5, batch_norm=True,
                                                spectral_norm=True), 2, _gen())
    mods = list(d.modules())
    assert sum(isinstance(m, nn.BatchNorm1d) for m in mods) == 2
    assert sum(isinstance(m, SeededDropout) for m in mods) == 2
    assert sum(hasattr(m, "parametrizations") for m in mods if isinstance(m, nn.Linear)) == 3


def test_spectral_norm_bounds_the_largest_singular_value():
    d = build_discriminator(MLPDiscriminatorConfig(depth=1, width=16, spectral_norm=True), 2, _gen())
    d.train()
    for _ in range(30):  # power iteration converges as the network runs
        d(torch.randn(4, 2))
    for m in d.modules():
        if isinstance(m, nn.Linear):
            assert torch.linalg.matrix_norm(m.weight, ord=2).item() == pytest.approx(1.0, abs=0.05)


def test_input_scale_multiplies_inputs_first():
    a = build_discriminator(MLPDiscriminatorConfig(input_scale=0.25), 2, _gen(5))
    b = build_discriminator(MLPDiscriminatorConfig(input_scale=1.0), 2, _gen(5))
    x = torch.randn(6, 2)
    assert torch.allclose(a(x), b(x * 0.25))


def test_affine_point_and_linear_models():
    g = build_generator(AffineGeneratorConfig(), 3, 2, _gen())
    assert isinstance(g, AffineGenerator) and g.linear.weight.shape == (2, 3)
    p = build_generator(PointGeneratorConfig(init=[1.5, -2.0]), 2, 2, _gen())
    assert isinstance(p, PointGenerator) and p(torch.zeros(4, 2)).tolist() == [[1.5, -2.0]] * 4
    d = build_discriminator(LinearDiscriminatorConfig(init=[2.0, 1.0], bias=False), 2, _gen())
    assert isinstance(d, LinearDiscriminator) and d.c is None
    assert d(torch.tensor([[1.0, 1.0], [0.0, -1.0]])).tolist() == [3.0, -1.0]
    db = build_discriminator(LinearDiscriminatorConfig(init=[2.0]), 1, _gen())
    assert len(list(db.parameters())) == 2


def test_init_comes_from_the_generator_and_leaves_the_global_rng_alone():
    torch.manual_seed(0)
    state = torch.get_rng_state()
    a = build_generator(MLPGeneratorConfig(), 2, 2, _gen(7))
    assert torch.equal(torch.get_rng_state(), state)
    torch.manual_seed(123)
    b = build_generator(MLPGeneratorConfig(), 2, 2, _gen(7))
    c = build_generator(MLPGeneratorConfig(), 2, 2, _gen(8))
    pa, pb, pc = (list(m.parameters()) for m in (a, b, c))
    assert all(torch.equal(x, y) for x, y in zip(pa, pb, strict=True))
    assert not torch.equal(pa[0], pc[0])
    p1 = build_generator(PointGeneratorConfig(), 2, 2, _gen(7))
    p2 = build_generator(PointGeneratorConfig(), 2, 2, _gen(7))
    assert torch.equal(p1.theta, p2.theta)


def test_seeded_dropout_is_reproducible_and_off_in_eval():
    x = torch.ones(1000)
    a, b = SeededDropout(0.5, _gen(1)), SeededDropout(0.5, _gen(1))
    ya, yb = a(x), b(x)
    assert torch.equal(ya, yb)
    assert set(ya.unique().tolist()) == {0.0, 2.0}  # inverted dropout keeps the mean
    a.eval()
    assert torch.equal(a(x), x)


def test_noise_distributions():
    g = sample_noise(20_000, 2, "gaussian", _gen())
    u = sample_noise(20_000, 2, "uniform", _gen())
    assert g.std().item() == pytest.approx(1.0, abs=0.03)
    assert u.min().item() >= -1 and u.max().item() <= 1 and u.std().item() == pytest.approx(3 ** -0.5, abs=0.02)


def test_mlp_depth_zero_is_linear():
    m = MLP(2, 1, 0, 8, "relu", squeeze=True)
    x = torch.randn(4, 2)
    assert torch.allclose(m(2 * x) - m(torch.zeros(1, 2)), 2 * (m(x) - m(torch.zeros(1, 2))), atol=1e-6)

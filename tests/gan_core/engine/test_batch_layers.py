"""Minibatch discrimination and virtual batch norm (Salimans et al. 2016) against hand-computed values,
and how a minibatch-discriminating D is read outside training."""

import math

import pytest
import torch

from gan_core.engine.batch_layers import (
    SURFACE_REFERENCE,
    MinibatchDiscrimination,
    VBNGenerator,
    in_batches,
    minibatch_similarity,
    surface,
    virtual_batch_norm,
)
from gan_core.engine.config_sections import MLPDiscriminatorConfig, MLPGeneratorConfig
from gan_core.engine.models import MLP, build_discriminator, build_generator

e = math.exp


def _gen(seed=0):
    return torch.Generator().manual_seed(seed)


# ---- minibatch discrimination ----------------------------------------------------------------------

def test_similarity_is_the_mean_kernel_over_the_other_rows():
    # Kernel 0: rows (0,0), (1,0), (0,2): L1 distances 1 (rows 0-1), 2 (0-2), 3 (1-2).
    # Kernel 1: every row at (5,5): distance 0, similarity 1.
    m = torch.tensor([[[0.0, 0.0], [5.0, 5.0]],
                      [[1.0, 0.0], [5.0, 5.0]],
                      [[0.0, 2.0], [5.0, 5.0]]])
    want = torch.tensor([[(e(-1) + e(-2)) / 2, 1.0],
                         [(e(-1) + e(-3)) / 2, 1.0],
                         [(e(-2) + e(-3)) / 2, 1.0]])
    assert torch.allclose(minibatch_similarity(m), want, atol=1e-6)


def test_similarity_against_a_reference_takes_every_reference_row():
    m = torch.tensor([[[0.0, 0.0]], [[1.0, 1.0]]])
    ref = torch.tensor([[[0.0, 0.0]], [[3.0, 0.0]]])
    want = torch.tensor([[(1 + e(-3)) / 2], [(e(-2) + e(-3)) / 2]])
    assert torch.allclose(minibatch_similarity(m, ref), want, atol=1e-6)


@pytest.mark.parametrize("with_reference", [False, True])
def test_the_frames_fast_path_gives_the_training_paths_numbers(with_reference):
    # A frame reads D with nothing to differentiate (cdist); training with a gradient (plain
    # differences, twice differentiable): the same similarities.
    m = torch.randn(40, 5, 3, generator=_gen(7))
    ref = torch.randn(16, 5, 3, generator=_gen(8)) if with_reference else None
    fast = minibatch_similarity(m, ref)
    slow = minibatch_similarity(m.clone().requires_grad_(True), ref)
    assert slow.requires_grad and not fast.requires_grad
    assert torch.allclose(fast, slow.detach(), atol=1e-6)


def test_a_lone_row_has_no_others_to_compare_with():
    assert minibatch_similarity(torch.ones(1, 3, 2)).tolist() == [[0.0, 0.0, 0.0]]


def test_the_layer_appends_one_similarity_per_kernel_to_the_features():
    layer = MinibatchDiscrimination(2, kernels=1, kernel_dim=2)
    with torch.no_grad():
        layer.T.copy_(torch.eye(2))  # M_i = f_i
    f = torch.tensor([[0.0, 0.0], [1.0, 0.0]])
    out = layer(f)
    assert torch.allclose(out, torch.tensor([[0.0, 0.0, e(-1)], [1.0, 0.0, e(-1)]]), atol=1e-6)


def test_a_collapsed_batch_looks_alike_where_a_spread_one_does_not():
    # What D reads: a batch of near-copies scores ~1 on every kernel, a spread batch much less.
    layer = MinibatchDiscrimination(2, kernels=4, kernel_dim=3)
    collapsed = torch.zeros(16, 2) + 0.01 * torch.randn(16, 2, generator=_gen())
    spread = 3.0 * torch.randn(16, 2, generator=_gen(1))
    with torch.no_grad():
        assert layer(collapsed)[:, 2:].min() > 0.9
        assert layer(spread)[:, 2:].mean() < 0.5


def test_a_samples_d_value_depends_on_its_batch_mates():
    d = build_discriminator(MLPDiscriminatorConfig(depth=1, width=8, minibatch_kernels=4), 2, _gen())
    x = torch.randn(6, 2, generator=_gen(2))
    other = torch.cat([x[:1], x[1:] + 5.0])
    with torch.no_grad():
        assert not torch.allclose(d(x)[0], d(other)[0])


def test_the_minibatch_layer_keeps_the_mlp_state_keys_of_earlier_versions():
    plain = build_discriminator(MLPDiscriminatorConfig(depth=2, width=8), 2, _gen())
    mbd = build_discriminator(MLPDiscriminatorConfig(depth=2, width=8, minibatch_kernels=3), 2, _gen())
    assert set(mbd.state_dict()) == set(plain.state_dict()) | {"minibatch.T"}
    assert mbd.net[-1].in_features == 8 + 3


def test_in_batches_reads_each_batch_on_its_own():
    d = build_discriminator(MLPDiscriminatorConfig(depth=1, width=8, minibatch_kernels=2), 2, _gen())
    x = torch.randn(10, 2, generator=_gen(3))
    with torch.no_grad():
        got = in_batches(d, 4)(x)
        want = torch.cat([d(x[:4]), d(x[4:7]), d(x[7:])])  # 10 rows in 3 even batches: 4, 3, 3
    assert torch.allclose(got, want)
    plain = build_discriminator(MLPDiscriminatorConfig(depth=1, width=8), 2, _gen())
    assert in_batches(plain, 4) is plain  # rows never interact: read in one pass


def test_the_surface_compares_each_point_with_the_first_generated_samples():
    d = build_discriminator(MLPDiscriminatorConfig(depth=1, width=8, minibatch_kernels=2), 2, _gen())
    points = torch.randn(7, 2, generator=_gen(4))
    fake = torch.randn(SURFACE_REFERENCE + 50, 2, generator=_gen(5))
    with torch.no_grad():
        got = surface(d, points, fake)
        ref = fake[:SURFACE_REFERENCE]
        for i in range(len(points)):  # each point alone: its value does not depend on the other points
            assert torch.allclose(got[i], d(points[i:i + 1], reference=ref)[0], atol=1e-6)
        # A training batch of 16 compares a sample with 15 others: the surface's reference is 16.
        small = surface(d, points, fake, batch=16)
        assert torch.allclose(small[0], d(points[:1], reference=fake[:16])[0], atol=1e-6)
        assert not torch.allclose(small[0], got[0], atol=1e-6)
        # By hand for point 0: the hidden features, the kernels' mean similarity with the reference's.
        h, hr = d.net[:-1](points[:1]), d.net[:-1](ref)
        layer = d.minibatch
        o = torch.exp(-(layer.project(h)[:, None] - layer.project(hr)[None]).abs().sum(-1)).mean(1)
        assert torch.allclose(got[0], d.net[-1](torch.cat([h, o], 1))[0, 0], atol=1e-5)


# ---- virtual batch normalisation -------------------------------------------------------------------

def test_virtual_batch_norm_by_hand():
    # Reference rows 0 and 2: mean 1, E[x^2] 2, variance 1. The row x = 4 takes weight 1/3:
    # mean 4/3 + 2/3 = 2, E[x^2] 16/3 + 4/3 = 20/3, variance 20/3 - 4 = 8/3; (4 - 2) / sqrt(8/3) = sqrt(3/2).
    h = torch.tensor([[0.0], [2.0], [4.0]])
    out = virtual_batch_norm(h, 2, gamma=torch.tensor([2.0]), beta=torch.tensor([1.0]), eps=0.0)
    assert torch.allclose(out, torch.tensor([[2 * -1.0 + 1], [2 * 1.0 + 1], [2 * math.sqrt(1.5) + 1]]))


def test_a_vbn_generators_sample_does_not_depend_on_its_batch():
    g = build_generator(MLPGeneratorConfig(depth=2, width=8, virtual_batch_norm=True, vbn_reference=16), 3, 2,
                        _gen())
    z = torch.randn(9, 3, generator=_gen(6))
    with torch.no_grad():
        together = g(z)
        alone = torch.cat([g(z[i:i + 1]) for i in range(len(z))])
    assert torch.allclose(together, alone, atol=1e-5)
    # Plain batch norm (training mode) is what it replaces: there a sample moves with its batch.
    bn = build_generator(MLPGeneratorConfig(depth=2, width=8, batch_norm=True), 3, 2, _gen())
    with torch.no_grad():
        assert not torch.allclose(bn(z)[:2], bn(z[:2]), atol=1e-3)


def test_the_reference_batch_is_drawn_once_from_the_callers_generator_and_saved_with_the_weights():
    cfg = MLPGeneratorConfig(depth=1, width=8, virtual_batch_norm=True, vbn_reference=5)
    a, b, c = (build_generator(cfg, 3, 2, _gen(s)) for s in (1, 1, 2))
    assert isinstance(a, VBNGenerator) and a.reference.shape == (5, 3)
    assert torch.equal(a.reference, b.reference) and not torch.equal(a.reference, c.reference)
    assert "reference" in a.state_dict()
    c.load_state_dict(a.state_dict())
    z = torch.randn(4, 3)
    assert torch.equal(a(z), c(z))
    uniform = build_generator(cfg, 3, 2, _gen(1), "uniform")
    assert uniform.reference.abs().max() <= 1.0


def test_vbn_layers_replace_batch_norm_in_each_hidden_layer():
    net = MLP(2, 2, depth=3, width=4, activation="relu", vbn_reference=7)
    assert [type(m).__name__ for m in net.net].count("VirtualBatchNorm") == 3
    assert not any(isinstance(m, torch.nn.BatchNorm1d) for m in net.modules())


@pytest.mark.parametrize("kernels", [1, 4])
def test_the_minibatch_layer_is_twice_differentiable(kernels):
    # The unrolled look-ahead differentiates D's gradient (torch.cdist's backward could not be).
    d = build_discriminator(MLPDiscriminatorConfig(depth=1, width=8, minibatch_kernels=kernels), 2, _gen())
    x = torch.randn(5, 2, generator=_gen(7))
    (g,) = torch.autograd.grad(d(x).sum(), list(d.parameters())[0], create_graph=True)
    (g2,) = torch.autograd.grad((g * g).sum(), d.minibatch.T)
    assert torch.isfinite(g2).all() and g2.abs().sum() > 0

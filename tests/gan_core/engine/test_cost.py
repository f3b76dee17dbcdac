"""gan_core.engine.cost: the counting rules against hand counts on tiny nets, and what the knobs do."""

from __future__ import annotations

from dataclasses import replace

import pytest

from gan_core.engine import cost
from gan_core.engine.config import parse_config
from gan_core.engine.snapshot import SnapshotOptions

# D: 2 -> 4 -> 1 (one hidden layer of 4); G: 3 -> 4 -> 2; both Adam, batch 3.
TINY = cost.Workload(dim=2, noise_dim=3, g_depth=1, g_width=4, d_depth=1, d_width=4, batch=3, components=8,
                     centers=8)


def test_layers_and_parameters_by_hand():
    assert cost.layers(TINY, "d") == ((2, 4), (4, 1))
    assert cost.layers(TINY, "g") == ((3, 4), (4, 2))
    assert cost.params(TINY, "d") == 2 * 4 + 4 + 4 * 1 + 1 == 17
    assert cost.params(TINY, "g") == 3 * 4 + 4 + 4 * 2 + 2 == 26
    assert cost.layers(replace(TINY, d_kind="linear"), "d") == ((2, 1),)
    assert cost.params(replace(TINY, g_kind="point"), "g") == 2  # the point theta
    assert cost.layers(replace(TINY, g_kind="affine"), "g") == ((3, 2),)


def test_a_forward_pass_by_hand():
    c = cost.forward(TINY, "d", 3)
    # 2nab + 2nb per layer: (2*3*2*4 + 2*3*4) + (2*3*4*1 + 2*3*1)
    assert c.flops == (48 + 24) + (24 + 6) == 102
    # 4 bytes x (weights ab + b, and per row: the input a, the output b written by the layer, then
    # read and written by the activation, and read by the next layer: 4b)
    assert c.bytes == 4 * ((8 + 4 + 3 * (2 + 16)) + (4 + 1 + 3 * (4 + 4))) == 380
    assert c.ops == 3 * 2
    assert cost.backward(TINY, "d", 3) == c * 2 and cost.backward(TINY, "d", 3, weights=False) == c


def test_extra_layers_cost_what_they_say():
    plain = cost.forward(TINY, "d", 3)
    sn = cost.forward(replace(TINY, spectral_norm=True), "d", 3)
    assert sn.flops - plain.flops == 4 * (2 * 4 + 4 * 1)  # two matrix-vector products per layer
    bn = cost.forward(replace(TINY, d_batch_norm=True), "d", 3)
    assert bn.flops - plain.flops == 8 * 3 * 4  # 8 per hidden unit and row
    # Minibatch discrimination (8 kernels x 4 values): each of 5 rows against a batch of 3 rows.
    mbd = cost.forward(replace(TINY, minibatch=32), "d", 5)
    five = cost.forward(TINY, "d", 5)
    assert mbd.flops - five.flops == 4 * 5 * 3 * 32 and mbd.bytes - five.bytes == 3 * 4 * 5 * 3 * 32


def test_an_optimizer_step_by_hand():
    c = cost.optimizer_step(TINY, "d")
    assert c.bytes == 4 * 7 * 17 and c.flops == 3 * 7 * 17  # Adam: 7 reads and writes per parameter
    sgd = cost.optimizer_step(replace(TINY, opt_d="sgd"), "d")
    assert sgd.bytes == 4 * 3 * 17


def test_an_iteration_is_k_d_d_updates_and_k_g_g_updates():
    w = replace(TINY, k_d=3, k_g=2)
    assert cost.iteration_cost(w) == cost.d_update(w) * 3 + cost.g_update(w) * 2
    d = cost.d_update(TINY)
    assert d.flops == (cost.forward(TINY, "g", 3).flops + 2 * cost.forward(TINY, "d", 3).flops
                       + cost.backward(TINY, "d", 6).flops + cost.optimizer_step(TINY, "d").flops
                       + 10 * 3 * (2 + 3))  # and drawing 3 real samples and 3 noise vectors


def test_penalties_unrolling_and_consensus_add_what_the_rules_say():
    one = cost.d_update(replace(TINY, penalties=1)).flops - cost.d_update(TINY).flops
    assert one == 3 * (cost.forward(TINY, "d", 3).flops + cost.backward(TINY, "d", 3, weights=False).flops)
    two = cost.d_update(replace(TINY, penalties=2)).flops - cost.d_update(TINY).flops
    assert two == 2 * one
    unrolled = cost.g_update(replace(TINY, unroll=4)).flops - cost.g_update(TINY).flops
    assert unrolled == pytest.approx(4 * cost.lookahead_step(TINY).flops)
    plain = cost.iteration_cost(TINY)
    assert cost.iteration_cost(replace(TINY, consensus=True)) == plain * 3 * 2  # k_d + k_g joint updates, x3
    assert cost.iteration_cost(replace(TINY, simultaneous=True, k_d=3)) == plain * 3


def test_a_frame_grows_with_what_it_shows():
    w = cost.workload(parse_config({}))
    base = cost.frame_cost(w, SnapshotOptions())
    for bigger in (SnapshotOptions(samples=4096), SnapshotOptions(grid=128), SnapshotOptions(manifold=64),
                   SnapshotOptions(optimal_d=True)):
        assert cost.frame_cost(w, bigger).ms() > base.ms()
    lean = SnapshotOptions(gradients=False, metrics=False, manifold=0)
    assert cost.frame_cost(w, lean).ms() < base.ms()
    # D* costs grid x components: a drawn target of 5,000 points costs far more than a ring of 8.
    drawn = cost.workload(parse_config({"target": {"name": "drawn", "points": [[0, i / 100] for i in range(5000)]}}))
    view = SnapshotOptions(optimal_d=True)
    assert cost.frame_cost(drawn, view).ms() > 10 * cost.frame_cost(w, view).ms()


def test_the_workload_of_configs():
    w = cost.workload(parse_config({"target": {"name": "grid", "modes": 5}, "training": {"k_d": 5},
                                    "objective": {"name": "wgan-gp"}, "regularizers": {"r1": 1.0}}))
    assert (w.components, w.centers, w.k_d, w.penalties, w.dim) == (25, 25, 5, 2, 2)
    drawn = cost.workload(parse_config({"target": {"name": "drawn", "points": [[0, i / 10] for i in range(500)]}}))
    assert (drawn.components, drawn.centers) == (500, 32)
    dirac = cost.workload(parse_config({"target": {"name": "dirac"}, "generator": {"kind": "point"},
                                        "discriminator": {"kind": "linear"}}))
    assert dirac.g_kind == "point" and dirac.dim == 1 and not dirac.has_density
    assert cost.workload(parse_config({})) == cost.Workload(noise_dim=2)  # the defaults agree
    mbd = cost.workload(parse_config({"discriminator": {"minibatch_kernels": 8, "minibatch_kernel_dim": 4},
                                      "training": {"batch_size": 64}}))
    assert mbd.minibatch == 32


def test_state_export_and_transfer():
    # Adam keeps two moments: a weights file holds 3 floats a parameter, the state 4 (with gradients).
    assert cost.file_bytes(TINY) == 4 * 3 * (17 + 26)
    assert cost.state_bytes(TINY) == 4 * 4 * (17 + 26)
    assert cost.export_bytes(TINY) == -(-cost.file_bytes(TINY) * 4 // 3) + cost.EXPORT_EXTRA_BYTES
    big = cost.workload(parse_config({"generator": {"width": 512, "depth": 3},
                                      "discriminator": {"width": 512, "depth": 3}}))
    s = cost.transfer_cost(big).seconds()
    assert cost.largest_file_bytes(s) == pytest.approx(cost.file_bytes(big), rel=1e-6)


def test_contributors_name_the_knobs_that_cost_most_first():
    cfg = parse_config({"training": {"batch_size": 4096, "k_d": 50}, "discriminator": {"width": 512, "depth": 6},
                        "generator": {"width": 512, "depth": 6}})
    w = cost.workload(cfg)
    found = cost.contributors(w, SnapshotOptions(), lambda w, v: cost.iteration_cost(w).ms())
    paths = [p for p, _, _ in found]
    assert set(paths) >= {"training.batch_size", "training.k_d", "discriminator.width", "generator.width"}
    factors = [f for _, _, f in found]
    assert factors == sorted(factors, reverse=True) and factors[0] > 10
    assert dict((p, v) for p, v, _ in found)["training.batch_size"] == 4096
    assert cost.contributors(cost.workload(parse_config({})), SnapshotOptions(),
                             lambda w, v: cost.iteration_cost(w).ms()) == []

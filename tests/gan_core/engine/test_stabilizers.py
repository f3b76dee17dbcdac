"""Feature matching, minibatch discrimination, virtual batch norm and EBGAN in the trainer and the frame:
what G minimises, what D's surface means, and that watching never changes the run."""

import math

import pytest
import torch
from small_config import small_cfg

from gan_core.engine import batch_layers
from gan_core.engine.config import parse_config
from gan_core.engine.config_sections import AutoencoderDiscriminatorConfig
from gan_core.engine.generator_loss import generator_loss
from gan_core.engine.models import AutoencoderDiscriminator, LinearDiscriminator, build_discriminator
from gan_core.engine.plan import make_plan
from gan_core.engine.snapshot import SnapshotOptions
from gan_core.engine.trainer import Trainer

EBGAN = {"discriminator": {"kind": "autoencoder", "width": 16, "code": 2}, "objective": {"name": "ebgan"}}
OPTIONS = {
    "feature_matching": {"regularizers": {"feature_matching": 0.5}},
    "minibatch": {"discriminator": {"minibatch_kernels": 4, "minibatch_kernel_dim": 3}},
    "virtual_batch_norm": {"generator": {"virtual_batch_norm": True, "vbn_reference": 16}},
    "ebgan_pull_away": {**EBGAN, "objective": {"name": "ebgan", "pull_away": 0.1}},
}


def _params(t):
    return [p.detach().clone() for p in (*t.G.parameters(), *t.D.parameters())]


# ---- G's loss ---------------------------------------------------------------------------------------

def _plan(fm=0.0, **objective):
    return make_plan(parse_config({"regularizers": {"feature_matching": fm}, "objective": objective or {}}))


def test_feature_matching_mixes_into_gs_loss_by_its_share():
    # Linear D(x) = 0.5 x: its features are x itself. Fake 1, 3 (mean 2); real 0, 2 (mean 1): FM = 1.
    d = LinearDiscriminator(torch.tensor([0.5]), bias=False)
    fake, real = torch.tensor([[1.0], [3.0]]), torch.tensor([[0.0], [2.0]])
    adv = torch.nn.functional.softplus(-torch.tensor([0.5, 1.5])).mean().item()  # non-saturating
    cfg = parse_config({}).objective
    for fm, want in ((0.0, adv), (0.5, 0.5 * adv + 0.5 * 1.0), (1.0, 1.0)):
        loss, out = generator_loss(d, fake, real, _plan(fm), cfg)
        assert loss.item() == pytest.approx(want, rel=1e-6), fm
        assert out.tolist() == [0.5, 1.5]


def test_with_feature_matching_alone_g_ignores_its_objectives_loss():
    # Minimax and non-saturating train D alike and differ only in G's loss: with a = 1 that loss is
    # not used, so the runs are the same; with a = 0.5 they differ.
    def run(name, fm):
        t = Trainer(small_cfg(objective={"name": name}, regularizers={"feature_matching": fm}))
        t.step(3)
        return _params(t)
    assert all(torch.equal(a, b) for a, b in zip(run("minimax", 1.0), run("non-saturating", 1.0), strict=True))
    assert not all(torch.equal(a, b) for a, b in zip(run("minimax", 0.5), run("non-saturating", 0.5), strict=True))


def test_the_pull_away_term_is_added_to_ebgans_generator_loss():
    d = build_discriminator(AutoencoderDiscriminatorConfig(depth=1, width=8, code=2), 2,
                            torch.Generator().manual_seed(0))
    fake = torch.randn(6, 2, generator=torch.Generator().manual_seed(1))
    cfg = parse_config({**EBGAN, "objective": {"name": "ebgan", "pull_away": 0.3}})
    with torch.no_grad():
        out, codes = d(fake, features=True)
        s = codes / codes.norm(dim=1, keepdim=True)
        cos2 = (s @ s.T) ** 2
        pt = (cos2.sum() - cos2.trace()) / (6 * 5)
        loss, _ = generator_loss(d, fake, None, make_plan(cfg), cfg.objective)
    assert loss.item() == pytest.approx((-out).mean().item() + 0.3 * pt.item(), rel=1e-5)


# ---- EBGAN's auto-encoder --------------------------------------------------------------------------

def test_the_autoencoders_score_is_minus_its_squared_reconstruction_error():
    d = AutoencoderDiscriminator(2, depth=0, width=4, activation="relu", code=1)
    with torch.no_grad():  # encode x's first coordinate, decode it back onto the x axis
        d.encoder.net[0].weight.copy_(torch.tensor([[1.0, 0.0]]))
        d.encoder.net[0].bias.zero_()
        d.decoder.net[0].weight.copy_(torch.tensor([[1.0], [0.0]]))
        d.decoder.net[0].bias.zero_()
        x = torch.tensor([[3.0, 0.0], [1.0, 2.0], [0.0, -0.5]])
        out, code = d(x, features=True)
    assert out.tolist() == [0.0, -4.0, -0.25]  # E = y^2: the part the code cannot carry
    assert code.tolist() == [[3.0], [1.0], [0.0]]


def test_ebgans_frame_shows_minus_the_energy():
    t = Trainer(small_cfg(**EBGAN))
    t.step(5)
    s = t.snapshot(SnapshotOptions(grid=16, optimal_d=True))
    assert s.d_kind == "score" and s.d_optimal is None
    assert (s.d_surface <= 0).all()  # -E(x) <= 0: highest (0) where the auto-encoder reconstructs
    assert math.isfinite(s.metrics["d_real_mean"]) and s.metrics["d_real_mean"] <= 0


# ---- in the trainer --------------------------------------------------------------------------------

@pytest.mark.parametrize("name", list(OPTIONS))
def test_each_option_trains_reproducibly(name):
    a, b = Trainer(small_cfg(**OPTIONS[name])), Trainer(small_cfg(**OPTIONS[name]))
    a.step(4)
    b.step(4)
    assert a.status == "ok" and a.history == b.history
    assert all(torch.equal(x, y) for x, y in zip(_params(a), _params(b), strict=True))


@pytest.mark.parametrize("extra", [{"training": {"unroll": 2}}, {"training": {"update": "simultaneous"}},
                                   {"regularizers": {"instance_noise": 0.2, "gradient_penalty": 1.0}}])
def test_the_options_compose_with_the_other_update_rules(extra):
    cfg = small_cfg(**{**OPTIONS["minibatch"], **OPTIONS["virtual_batch_norm"]}, **extra)
    cfg["regularizers"] = {**cfg.get("regularizers", {}), "feature_matching": 0.5}
    t = Trainer(cfg)
    t.step(3)
    assert t.status == "ok" and all(math.isfinite(h["g_loss"]) for h in t.history)


def test_watching_a_run_with_every_option_does_not_change_it():
    cfg = small_cfg(**OPTIONS["minibatch"], **OPTIONS["virtual_batch_norm"],
                    regularizers={"feature_matching": 0.5})
    watched, blind = Trainer(cfg), Trainer(cfg)
    for _ in range(3):
        watched.step(2)
        watched.snapshot(SnapshotOptions(samples=300, optimal_d=True))
        watched.evaluate(300)
        blind.step(2)
    assert all(torch.equal(x, y) for x, y in zip(_params(watched), _params(blind), strict=True))
    keys = ("d_loss", "g_loss", "d_real", "d_fake")  # evaluate() adds its metrics to the watched entries
    assert [[h[k] for k in keys] for h in watched.history] == [[h[k] for k in keys] for h in blind.history]


def test_the_minibatch_surface_is_d_on_each_point_against_the_frames_generated_batch():
    t = Trainer(small_cfg(**OPTIONS["minibatch"]))
    t.step(5)
    s = t.snapshot(SnapshotOptions(samples=200, grid=12))
    with torch.no_grad():
        pts = torch.tensor([[x, y] for y in s.grid_y for x in s.grid_x])
        want = batch_layers.surface(t.D, pts, torch.as_tensor(s.fake), t.plan.batch).reshape(12, 12)
        # One grid point alone, against the same generated batch (as large as a training batch: the
        # batch a generator update is judged in): the same value (points never interact).
        ref = torch.as_tensor(s.fake)[:batch_layers.surface_reference(t.plan.batch)]
        alone = t.D(pts[5:6], reference=ref)
    assert torch.allclose(torch.as_tensor(s.d_surface), torch.sigmoid(want), atol=1e-5)
    assert s.d_surface.reshape(-1)[5] == pytest.approx(torch.sigmoid(alone).item(), abs=1e-5)
    # The same frame twice: the same picture.
    assert (t.snapshot(SnapshotOptions(samples=200, grid=12)).d_surface == s.d_surface).all()


def test_the_minibatch_frame_reads_real_samples_batch_by_batch_as_training_does():
    t = Trainer(small_cfg(**OPTIONS["minibatch"]))  # batch 64
    t.step(3)
    s = t.snapshot(SnapshotOptions(samples=200, grid=8))
    with torch.no_grad():
        real = torch.as_tensor(s.real)
        parts = [t.D(c) for c in torch.tensor_split(real, 4)]  # 200 rows in 4 batches of 50 (<= 64)
        want = torch.sigmoid(torch.cat(parts)).mean().item()
    assert s.metrics["d_real_mean"] == pytest.approx(want, abs=1e-5)


def test_a_vbn_generator_follows_a_live_change_of_the_noise_distribution():
    t = Trainer(small_cfg(**OPTIONS["virtual_batch_norm"]))
    before = t.G.reference.clone()
    assert t.apply({"noise": {"distribution": "uniform"}}) is False  # live: the weights stay
    assert t.G.reference.shape == before.shape and not torch.equal(t.G.reference, before)
    assert t.G.reference.abs().max() <= 1.0


def test_a_vbn_run_round_trips_through_its_state_with_its_reference_batch():
    a = Trainer(small_cfg(**OPTIONS["virtual_batch_norm"]))
    a.step(3)
    b = Trainer(small_cfg(**OPTIONS["virtual_batch_norm"], seed=9))
    b.load_state_dict(a.state_dict())
    assert torch.equal(a.G.reference, b.G.reference)
    a.step(2)
    b.step(2)
    assert a.history[-2:] == b.history  # the state carries no history: the steps after it agree

"""gan_core.engine.timeline (through Trainer.checkpoints / restore): restore at k and train to n gives
the original's state at n bit for bit, live changes between k and n included; a change at a past
iteration branches and the original stays reachable; the memory budget is never exceeded."""

from __future__ import annotations

import pytest
import torch

from gan_core.engine.config import ConfigError
from gan_core.engine.snapshot import SnapshotOptions
from gan_core.engine.timeline import MAX_BRANCHES, MIN_GAP
from gan_core.engine.trainer import Trainer
from tests.gan_core.engine.small_config import small_cfg

# Every source of state the next iteration reads: dropout (masks from the trainer's RNG), instance
# noise annealed by iteration, an lr drop inside the window, label smoothing.
BUSY = small_cfg(generator={"dropout": 0.1}, regularizers={"instance_noise": 0.05, "instance_noise_anneal": 400},
                 training={"lr_drop_at": 170, "batch_size": 32})


def state(t: Trainer) -> dict:
    """Everything that decides the run from here, as comparable values."""
    opt = {}
    for name in ("opt_g", "opt_d"):
        o = getattr(t, name)
        opt[name] = (type(o).__name__, [{k: v for k, v in g.items() if k != "params"} for g in o.param_groups],
                     [{k: v.clone() for k, v in o.state[p].items()} for p in (t.g_params if name == "opt_g" else t.d_params)
                      if p in o.state])
    hist = [(list(a.mean), a.count) for a in (t.hist_g, t.hist_d)] if t.config.regularizers.historical_averaging else None
    return {"iteration": t.iteration, "config": t.config, "G": t.G.state_dict(), "D": t.D.state_dict(),
            "opt": opt, "rng": t.gen.get_state(), "hist": hist, "last": dict(t.last)}


def assert_same(a: dict, b: dict) -> None:
    assert a["iteration"] == b["iteration"] and a["config"] == b["config"]
    for net in ("G", "D"):
        assert a[net].keys() == b[net].keys()
        for k in a[net]:
            assert torch.equal(a[net][k], b[net][k]), (net, k)
    for name in ("opt_g", "opt_d"):
        (ta, ga, sa), (tb, gb, sb) = a["opt"][name], b["opt"][name]
        assert ta == tb and ga == gb and len(sa) == len(sb)
        for x, y in zip(sa, sb, strict=True):
            assert x.keys() == y.keys() and all(torch.equal(x[k], y[k]) for k in x)
    assert torch.equal(a["rng"], b["rng"])
    assert (a["hist"] is None) == (b["hist"] is None)
    if a["hist"] is not None:
        for (ma, ca), (mb, cb) in zip(a["hist"], b["hist"], strict=True):
            assert ca == cb and all(torch.equal(x, y) for x, y in zip(ma, mb, strict=True))
    assert a["last"] == b["last"]


def test_restore_at_k_then_train_to_n_is_the_original_at_n_bit_for_bit():
    t = Trainer(BUSY)
    t.step(300)
    at_300 = state(t)
    assert 37 not in t.checkpoints()  # k falls between checkpoints: the restore replays up to it
    assert t.restore(37) == 37 and t.iteration == 37
    t.step(263)
    assert_same(state(t), at_300)
    # The history it recorded on the way back is the original's too.
    fresh = Trainer(BUSY)
    fresh.step(300)
    assert t.history[-1] == fresh.history[-1]


def test_live_changes_between_k_and_n_are_made_again_where_they_were_made():
    t = Trainer(BUSY)
    t.step(60)
    t.apply({"optimizer_d": {"lr": 0.003}})
    t.step(40)
    t.apply({"regularizers": {"historical_averaging": 0.5}, "optimizer_d": {"name": "rmsprop"}})
    t.step(30)
    t.step_part("d")  # slow motion: one D update, then the G update that completes iteration 131
    t.step_part("g")
    t.apply({"objective": {"name": "hinge"}, "training": {"k_d": 2}})
    t.step(69)
    assert t.iteration == 200
    at_200 = state(t)
    for k in (0, 45, 60, 61, 100, 130, 131, 150):
        t.restore(k)
        assert t.iteration == k
        t.step(200 - k)
        assert_same(state(t), at_200)


def test_the_state_at_k_is_the_one_before_the_changes_made_at_k():
    t = Trainer(BUSY)
    t.step(50)
    before = state(t)
    t.apply({"optimizer_g": {"lr": 0.002}})
    t.step(10)
    t.restore(50)
    assert_same(state(t), before)
    assert t.config.optimizer_g.lr == 0.001


def test_a_change_at_a_past_iteration_branches_and_the_original_is_kept():
    t = Trainer(BUSY)
    t.step(120)
    original_end = state(t)
    t.restore(80)
    t.apply({"optimizer_g": {"lr": 0.004}})  # a change at 80 the original did not make: a branch
    tl = t.timeline
    assert [b.id for b in tl.branches.values()] == [0, 1] and tl.current.id == 1
    assert tl.current.fork == 80 and "optimizer_g.lr=0.004" in tl.current.label
    t.step(50)
    branch_end = state(t)
    assert t.iteration == 130 and t.config.optimizer_g.lr == 0.004
    # The branch's curve starts where it left the original; the lineage still goes back to 1.
    losses, _ = tl.lineage()
    assert losses[0]["iteration"] == 1 and losses[-1]["iteration"] == 130
    assert all(p["iteration"] <= 80 for p in tl.current.prefix_losses)
    # Back to the original: where it was left, bit for bit; then back to the branch's end.
    assert t.timeline.switch(t, 0) == 120
    assert_same(state(t), original_end)
    assert t.timeline.switch(t, 1) == 130
    assert_same(state(t), branch_end)
    # Scrubbing the branch before its fork shows the original's past (the same checkpoints).
    t.restore(40)
    assert t.config.optimizer_g.lr == 0.001
    with pytest.raises(ConfigError) as exc:
        t.timeline.switch(t, 7)
    assert exc.value.field == "branch"


def test_the_same_change_at_the_same_iteration_follows_the_branch_instead_of_forking():
    t = Trainer(BUSY)
    t.step(40)
    t.apply({"optimizer_d": {"lr": 0.002}})
    t.step(40)
    end = state(t)
    t.restore(40)
    t.apply({"optimizer_d": {"lr": 0.002}})
    assert len(t.timeline.branches) == 1
    t.step(40)
    assert_same(state(t), end)


def test_an_explicit_branch_at_the_end_keeps_the_original_to_go_on_with_later():
    t = Trainer(BUSY)
    t.step(60)
    t.timeline.fork(t, "try hinge")
    t.apply({"objective": {"name": "hinge"}})
    t.step(20)
    t.timeline.switch(t, 0)
    assert t.iteration == 60 and t.config.objective.name == "non-saturating"
    t.step(20)  # the original goes on as if the branch had never been
    fresh = Trainer(BUSY)
    fresh.step(80)
    assert_same(state(t), state(fresh))


def test_checkpoints_are_dense_early_and_the_budget_is_never_exceeded():
    t = Trainer(BUSY, timeline_budget=60_000)
    per = t.timeline.ck_bytes
    assert 3_000 < per < 20_000  # small nets: a few KB a checkpoint, so the budget holds a handful
    for _ in range(60):
        t.step(50)
        tl = t.timeline
        assert tl.bytes_used() <= tl.budget_bytes
    assert tl.bytes_used() > tl.budget_bytes - tl.ck_bytes  # thinned to fit, not emptied: the budget is used
    cks = t.checkpoints()
    assert cks[0] == 0 and cks[-1] > 2_900  # the start and the newest are kept
    gaps = [b - a for a, b in zip(cks, cks[1:], strict=False)]
    assert gaps[0] < gaps[-1], cks  # spacing grows with the run
    # And exactness does not depend on which checkpoints survived thinning.
    end = state(t)
    t.restore(1234)
    t.step(3000 - 1234)
    assert_same(state(t), end)


def test_branches_stay_within_the_budget_and_their_number_is_capped():
    t = Trainer(BUSY, timeline_budget=80_000)
    t.step(400)
    for i in range(MAX_BRANCHES + 3):
        t.restore(50 + 20 * i)
        t.apply({"optimizer_g": {"lr": 0.001 + 0.0001 * (i + 1)}})
        t.step(100)
        tl = t.timeline
        assert tl.bytes_used() <= tl.budget_bytes and len(tl.branches) <= MAX_BRANCHES
    assert "dropped" in t.timeline.note


def test_a_budget_too_small_for_two_checkpoints_turns_the_timeline_off_with_a_reason():
    t = Trainer(BUSY, timeline_budget=5_000)
    t.step(50)
    assert not t.timeline.enabled and t.checkpoints() == [] and t.timeline.bytes_used() == 0
    with pytest.raises(ConfigError) as exc:
        t.restore(10)
    assert exc.value.field == "iteration" and "MB" in exc.value.message
    t.timeline.set_budget(t, 1_000_000)  # room again: it starts from where the run is
    assert t.timeline.enabled and t.checkpoints() == [50]


def test_restore_outside_the_run_names_the_iteration():
    t = Trainer(BUSY)
    t.step(20)
    for bad in (-1, 21, 3.5, "7", True):
        with pytest.raises(ConfigError) as exc:
            t.restore(bad)
        assert exc.value.field == "iteration" and "0 to 20" in exc.value.message


def test_a_rebuild_or_reset_starts_a_new_timeline():
    t = Trainer(BUSY)
    t.step(100)
    t.restore(30)
    t.apply({"optimizer_g": {"lr": 0.004}})
    assert len(t.timeline.branches) == 2
    t.apply({"generator": {"width": 12}})  # new networks: a new run
    assert t.iteration == 0 and t.checkpoints() == [0] and len(t.timeline.branches) == 1
    t.step(30)
    t.reset()
    assert t.checkpoints() == [0] and t.timeline.extent == 0


def test_after_a_restore_a_snapshot_never_reuses_the_later_surface_or_metrics():
    cfg = small_cfg(target={"name": "ring"})
    t = Trainer(cfg)
    t.step(200)
    t.snapshot(SnapshotOptions(grid=16))  # fresh surface and metrics at 200, cached
    t.restore(100)
    snap = t.snapshot(SnapshotOptions(grid=16, reuse_surface=True, reuse_metrics=True))
    assert snap.surface_iteration == 100 and snap.metrics_iteration == 100
    there = Trainer(cfg)
    there.step(100)
    want = there.snapshot(SnapshotOptions(grid=16))
    assert (snap.d_surface == want.d_surface).all() and snap.metrics == want.metrics


def test_metrics_of_snapshots_are_kept_per_branch_and_only_on_new_ground():
    t = Trainer(small_cfg(target={"name": "ring"}))
    for _ in range(4):
        t.step(MIN_GAP * 3)
        t.snapshot(SnapshotOptions(grid=8))
    _, metrics = t.timeline.lineage()
    assert [m["iteration"] for m in metrics] == [30, 60, 90, 120]
    t.restore(45)
    t.snapshot(SnapshotOptions(grid=8))  # a look at the past adds no point to the curve
    assert [m["iteration"] for m in t.timeline.lineage()[1]] == [30, 60, 90, 120]
    assert "modes_captured" in metrics[0]

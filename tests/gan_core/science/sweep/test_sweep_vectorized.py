"""Vectorised runs equal the per-run Trainer's: the same first update to float32 rounding, the same
outcomes and final metrics within a stated tolerance after hundreds of iterations."""

import pytest
import torch

from gan_core.engine.config import apply_patch
from gan_core.engine.trainer import Trainer
from gan_core.science.presets import preset_config
from gan_core.science.sweep import plan_sweep, run_task
from gan_core.science.sweep.run import RunTask
from gan_core.science.sweep.vectorized import Group, GroupTask, group_key, group_tasks, run_group

# After 300 iterations of gaussian-1d (std 0.5), measured: differences ~1e-7 on most runs, up to ~1e-3.
TOLERANCE = {"sample_distance": 0.01, "fake_mean_x": 0.01, "fake_std": 0.01}


def tasks_for(cfgs):
    return tuple(RunTask("v", i, c.seed, c.model_dump(mode="json"), steps=1) for i, c in enumerate(cfgs))


@pytest.mark.parametrize("patch", [
    {},  # affine G, 1x16 D, Adam, non-saturating
    {"objective": {"name": "minimax"}, "training": {"k_d": 2, "k_g": 2}, "regularizers": {"label_smoothing": 0.2}},
    {"generator": {"kind": "mlp", "depth": 2, "width": 8, "activation": "tanh"}, "noise": {"dim": 3},
     "objective": {"name": "least-squares"}, "optimizer_g": {"name": "sgd", "lr": 0.05},
     "optimizer_d": {"weight_decay": 0.01}},
    {"target": {"name": "ring"}, "generator": {"kind": "mlp", "width": 16}, "discriminator": {"input_scale": 0.25},
     "objective": {"name": "hinge"}},
])
def test_ten_batched_updates_match_the_trainer(patch):
    base = apply_patch(preset_config("gaussian-1d"), patch)
    cfgs = [apply_patch(base, {"seed": s, "optimizer_d": {"lr": lr}}) for s, lr in ((0, 0.01), (1, 0.003), (2, 0.03))]
    assert len({group_key(c) for c in cfgs}) == 1 and group_key(cfgs[0]) is not None
    grp = Group(tasks_for(cfgs))
    for _ in range(10):
        grp.iteration()
    grp.sync(10)
    for r, cfg in enumerate(cfgs):
        t = Trainer(cfg)
        t.step(10)
        for mine, theirs in ((grp.trainers[r].G, t.G), (grp.trainers[r].D, t.D)):
            for a, b in zip(mine.parameters(), theirs.parameters(), strict=True):
                assert torch.allclose(a, b, rtol=1e-4, atol=1e-5), (r, (a - b).abs().max())


def test_whole_runs_agree_with_the_per_run_trainer():
    plan = plan_sweep("gaussian-1d", ["optimizer_d.lr=0.003,0.01,0.03"], seeds=2, steps=300)
    runs = plan.runs_of("v")
    per = [run_task(t) for t in runs]
    vec = run_group(GroupTask(tuple(runs)))
    for a, b in zip(per, vec, strict=True):
        assert (a["cell"], a["seed"], a["outcome"]) == (b["cell"], b["seed"], b["outcome"])
        assert a["iterations"] == b["iterations"] == 300
        for key, tol in TOLERANCE.items():
            assert abs(a["metrics"][key] - b["metrics"][key]) <= tol, (key, a["metrics"][key], b["metrics"][key])


@pytest.mark.parametrize("patch", [
    {"discriminator": {"minibatch_kernels": 4}},  # rows of a batch interact: the batched forward has no such layer
    {"generator": {"kind": "mlp", "virtual_batch_norm": True, "vbn_reference": 8}},
    {"regularizers": {"feature_matching": 0.5}},  # G's loss reads D's features
])
def test_the_stabilizers_the_batched_model_lacks_run_per_run(patch):
    assert group_key(preset_config("gaussian-1d")) is not None
    assert group_key(apply_patch(preset_config("gaussian-1d"), patch)) is None


def test_a_diverging_run_does_not_disturb_its_group():
    base = preset_config("gaussian-1d")
    good = apply_patch(base, {"seed": 1})
    bad = apply_patch(base, {"seed": 2, "optimizer_d": {"name": "sgd", "lr": 10}, "optimizer_g": {"name": "sgd"}})
    bad = apply_patch(bad, {"optimizer_g": {"lr": 10}})
    assert group_key(bad) != group_key(good)  # optimizer names differ: never stacked together
    twin = apply_patch(base, {"seed": 2, "optimizer_d": {"lr": 10}})  # Adam at lr 10 on D: same key, blows up
    assert group_key(twin) == group_key(good)
    steps = 100
    alone = run_group(GroupTask(tuple(RunTask("v", 0, 1, good.model_dump(mode="json"), steps) for _ in range(2))))
    mixed = run_group(GroupTask((RunTask("v", 0, 1, good.model_dump(mode="json"), steps),
                                 RunTask("v", 1, 2, twin.model_dump(mode="json"), steps))))
    assert mixed[0]["metrics"] == alone[0]["metrics"]  # a neighbour's numbers never leak into a run
    per = run_task(RunTask("v", 1, 2, twin.model_dump(mode="json"), steps))
    assert mixed[1]["outcome"] == per["outcome"]


def test_packing_keeps_cells_whole_and_leaves_unsupported_runs_alone():
    plan = plan_sweep("gaussian-1d", ["optimizer_d.lr=log:1e-3:1e-1:7", "optimizer_g.lr=log:1e-3:1e-1:7"], seeds=3)
    packed = group_tasks(plan.runs_of("p"), max_runs=24)
    sizes = [len(t.runs) for t in packed]
    assert sizes[0] == 3 and max(sizes) <= 24 and sum(sizes) == 147  # the first cell alone: it arrives early
    for t in packed:
        cells = [r.cell for r in t.runs]
        assert cells == sorted(cells) and all(cells.count(c) == 3 for c in set(cells))
    assert group_tasks(plan.runs_of("p"), 24) == packed  # a function of the plan only, not of --jobs
    wgan = plan_sweep("ring-wgan-gp", ["optimizer_d.lr=0.001,0.002"], seeds=2)  # a gradient penalty: not stacked
    assert all(isinstance(t, RunTask) for t in wgan.tasks("w"))
    assert all(isinstance(t, RunTask) for t in plan_sweep("gaussian-1d", ["training.k_d=1"], seeds=3,
                                                          vectorize=False).tasks("n"))
    widths = plan_sweep("gaussian-1d", ["discriminator.width=8,16"], seeds=1)  # one run per architecture
    assert all(isinstance(t, RunTask) for t in widths.tasks("w"))

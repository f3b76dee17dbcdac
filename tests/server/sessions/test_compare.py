"""A comparison in a session (server.sessions.runs): A and B train in lock-step, share the target and
the seed, restart together when either gets new networks, and each frame says its slot."""

import pytest
import torch

from gan_core.engine.config import ConfigError
from gan_core.engine.trainer import Trainer
from server.sessions.pacer import Pacer
from server.sessions.session import Session
from server.settings import Settings
from server.wire.frames import decode_frame
from server.wire.protocol import Branch, Compare, Configure, Draw, Preset, Reset, Seek, Step, SwitchBranch
from tests.server.conftest import SMALL

RING = {**SMALL, "target": {"name": "ring"}}


class Sink:
    def __init__(self):
        self.frames, self.posts = [], []

    def post(self, msg):
        self.posts.append(msg)

    def offer_frame(self, data, slot="A"):
        header, _ = decode_frame(data)
        assert header.get("slot", "A") == slot, "a frame goes to its own slot's mailbox"
        self.frames.append(header)

    def frame_pending(self):
        return False

    def last(self, kind):
        return [m for m in self.posts if m["type"] == kind][-1]


def comparing(patch=None, **kw):
    st = Settings(workers=0)
    s = Session(Trainer(RING), st, Pacer(st.quantum_ms / 1000, st.shared_fps), sid="s", token="t")
    sink = Sink()
    s.attach(sink)
    s.handle(Step(type="step", n=7))
    while s.pending_steps:
        s.poll()
    s.handle(Compare(type="compare", patch=patch, **kw))
    s.poll()
    return s, sink


def test_a_copy_of_itself_with_one_change_starts_both_from_iteration_0_with_the_same_seed():
    s, sink = comparing(patch={"training": {"unroll": 2}})
    a, b = s.runs.a.trainer, s.runs.b.trainer
    assert a.iteration == b.iteration == 0 and a.config.seed == b.config.seed
    assert b.config.training.unroll == 2 and a.config.training.unroll == 0
    cfg = sink.last("config")
    assert cfg["rebuilt"] and cfg["compare"]["b"]["training"]["unroll"] == 2 and cfg["compare"]["name"] is None
    assert {h.get("slot") for h in sink.frames[-2:]} == {"A", "B"}
    # Same seed, same start: the networks B begins with are A's.
    assert all(torch.equal(x, y) for x, y in zip(a.G.parameters(), b.G.parameters(), strict=True))


def test_steps_advance_both_in_lock_step_and_frames_carry_their_slot():
    s, sink = comparing(patch={"training": {"k_d": 3}})  # B's iterations cost more
    s.handle(Step(type="step", n=25))
    while s.pending_steps:
        s.poll()
        assert s.runs.a.trainer.iteration == s.runs.b.trainer.iteration
    assert s.runs.iteration == 25
    s.frame()
    last = {h["slot"]: h["iteration"] for h in sink.frames[-2:]}
    assert last == {"A": 25, "B": 25}
    assert sink.last("status")["iteration"] == 25


def test_the_target_and_the_seed_are_shared_and_a_rebuild_restarts_both():
    s, sink = comparing(patch={"optimizer_d": {"lr": 0.005}})
    s.handle(Step(type="step", n=5))
    while s.pending_steps:
        s.poll()
    s.handle(Configure(type="configure", patch={"target": {"name": "ring", "radius": 1.5}}, slot="B"))
    assert s.runs.a.trainer.config.target.radius == s.runs.b.trainer.config.target.radius == 1.5
    assert s.runs.iteration == 5  # a target of the same dimension changes live, in both
    s.handle(Configure(type="configure", patch={"generator": {"width": 12}}, slot="B"))
    assert s.runs.b.trainer.config.generator.width == 12 and s.runs.a.trainer.config.generator.width == 8
    assert s.runs.a.trainer.iteration == s.runs.b.trainer.iteration == 0, "new networks in B restart A too"
    s.handle(Reset(type="reset", seed=11))
    assert s.runs.a.trainer.config.seed == s.runs.b.trainer.config.seed == 11
    s.handle(Draw(type="draw", points=[[0.0, 0.0], [1.0, 1.0], [0.5, 0.2]]))
    assert s.runs.a.trainer.config.target.name == s.runs.b.trainer.config.target.name == "drawn"


def test_a_bad_change_to_one_side_changes_neither():
    s, sink = comparing(patch={})
    before = (s.runs.a.trainer.config, s.runs.b.trainer.config)
    s.handle(Configure(type="configure", patch={"target": {"name": "ring", "radius": -1}}, slot="B"))
    assert sink.last("error")["field"] == "target.radius"
    assert (s.runs.a.trainer.config, s.runs.b.trainer.config) == before


def test_a_built_in_comparison_loads_both_presets_and_a_preset_ends_it():
    s, sink = comparing(name="mlp-vs-line")
    assert s.preset == "bimodal-averaging" and s.runs.name == "mlp-vs-line"
    assert s.runs.b.trainer.config.generator.kind == "mlp" and s.trainer.config.generator.kind == "affine"
    assert sink.last("config")["compare"]["name"] == "mlp-vs-line"
    s.handle(Preset(type="preset", name="gaussian-1d"))
    assert not s.runs.comparing and sink.last("config")["compare"] is None
    assert "comparison ended" in sink.last("notice")["message"]


def test_stop_keeps_a_where_it_is():
    s, sink = comparing(patch={"training": {"unroll": 1}})
    s.handle(Step(type="step", n=3))
    while s.pending_steps:
        s.poll()
    s.handle(Compare(type="compare", stop=True))
    assert not s.runs.comparing and s.runs.iteration == 3 and sink.last("config")["rebuilt"] is False


@pytest.mark.parametrize("msg, field", [
    ({"patch": {"target": {"name": "grid"}}}, "b.target"),
    ({"patch": {"seed": 3}}, "b.seed"),
    ({"patch": {"training": {"unroll": -1}}}, "patch.training.unroll"),
    ({"name": "nope"}, "name"),
])
def test_an_unfair_or_bad_comparison_is_refused_by_field(msg, field):
    s, sink = comparing(patch=None)
    s.handle(Compare(type="compare", **msg))
    assert sink.last("error")["field"] == field


def test_configure_b_without_a_comparison_names_slot():
    st = Settings(workers=0)
    s = Session(Trainer(SMALL), st, Pacer(st.quantum_ms / 1000, st.shared_fps))
    sink = Sink()
    s.attach(sink)
    s.handle(Configure(type="configure", patch={"seed": 2}, slot="B"))
    assert sink.last("error")["field"] == "slot"
    with pytest.raises(ConfigError):
        s.runs.run("B")


def test_the_timeline_is_refused_while_comparing_and_each_run_gets_its_curves():
    s, sink = comparing({"training": {"unroll": 2}})
    # A's curves and B's (slot B) come with the comparison's start: a reloaded page draws both.
    histories = [m for m in sink.posts if m["type"] == "history"]
    assert [m.get("slot") for m in histories[-2:]] == [None, "B"]
    before = s.trainer.iteration
    for msg in (Seek(type="seek", iteration=0), Branch(type="branch"), SwitchBranch(type="switch_branch", branch=0)):
        s.handle(msg)
        err = sink.last("error")
        assert err["field"] == "type" and "stop comparing first" in err["message"], err
        sink.posts.clear()
    assert s.trainer.iteration == before and s.runs.comparing

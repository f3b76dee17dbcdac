"""server.sessions.rewind: seek, branch and switch_branch on a Session (no socket), the `timeline` and
`history` messages, the replay of an exact seek in turns, and what a resumed page or an import gets."""

from __future__ import annotations

import json

import numpy as np

from gan_core.engine.saved import export_experiment
from gan_core.engine.trainer import Trainer
from server.sessions.pacer import Pacer
from server.sessions.session import Session
from server.settings import Settings
from server.wire.protocol import parse_message
from tests.server.conftest import SMALL
from tests.server.sessions.test_session import Sink

RING = {**SMALL, "target": {"name": "ring"}}


def session(config=RING, preset=None, **settings):
    st = Settings(workers=0, **settings)
    s = Session(Trainer(config), st, Pacer(st.quantum_ms / 1000, st.shared_fps), preset, sid="s", token="t")
    sink = Sink()
    s.attach(sink)
    assert s.poll()
    return s, sink


def send(s: Session, msg: dict) -> None:
    s.handle(parse_message(json.dumps(msg)))


def last(sink, kind):
    return [m for m in sink.posts if m["type"] == kind][-1]


def settle(s: Session, turns: int = 10_000) -> None:
    """Give the session turns until it has nothing left to do (a replay, a frame)."""
    for _ in range(turns):
        if not s.wants_turn:
            return
        assert s.poll()
    raise AssertionError("the session never settled")


def test_the_timeline_message_says_extent_checkpoints_and_branches():
    s, sink = session()
    tl = last(sink, "timeline")
    assert tl["start"] == 0 and tl["extent"] == 0 and tl["checkpoints"] == [0] and tl["branch"] == 0
    assert tl["branches"] == [{"id": 0, "label": "original", "parent": None, "fork": 0, "extent": 0}]
    assert tl["enabled"] and tl["budget_bytes"] == 4 * 2**20 and 0 < tl["used_bytes"] <= tl["budget_bytes"]
    s.trainer.step(150)
    s.frame()
    header = sink.frames[-1][0]
    assert (header["run"], header["branch"], header["extent"], header["start"]) == (0, 0, 150, 0)


def test_seek_without_exact_shows_the_nearest_earlier_checkpoint_and_says_so():
    s, sink = session()
    send(s, {"type": "play"})
    s.trainer.step(200)
    send(s, {"type": "seek", "iteration": 125, "exact": False})
    tl = last(sink, "timeline")
    assert not s.running and s.trainer.iteration == tl["seek"]["at"] < 125
    assert tl["seek"]["message"] == f"no checkpoint at 125: showing the nearest earlier one, {tl['seek']['at']}"
    assert tl["extent"] == 200 and tl["iteration"] == tl["seek"]["at"] and tl["replay_to"] is None
    assert tl["seek"]["asked_exact"] is False  # a preview: the page waits on for its exact seek
    settle(s)
    header = sink.frames[-1][0]
    assert header["iteration"] == tl["seek"]["at"] and header["surface_iteration"] == header["iteration"]


def test_scrub_frames_keep_metrics_on_their_clock_and_never_show_another_iterations():
    s, sink = session(metrics_interval_s=1000)  # no fresh metrics by the clock in this test
    s.trainer.step(200)
    s.frame()
    for k in (150, 90, 40):  # a drag: each a frame, none paying for metrics
        send(s, {"type": "seek", "iteration": k, "exact": False})
        settle(s)
        h = sink.frames[-1][0]
        assert h["iteration"] < k + 1 and h["metrics"] == {} and h["metrics_iteration"] is None
    send(s, {"type": "seek", "iteration": 200})  # back to the newest: a change of the run again
    settle(s)
    h = sink.frames[-1][0]
    assert h["iteration"] == 200 and h["metrics_iteration"] == 200 and "modes_captured" in h["metrics"]


def test_an_exact_seek_replays_in_turns_and_lands_on_the_iteration():
    s, sink = session()
    s.trainer.step(300)
    at_300 = [p.clone() for p in s.trainer.G.parameters()]
    s.frame()
    send(s, {"type": "seek", "iteration": 137})  # exact by default
    first = last(sink, "timeline")
    assert first["replay_to"] == 137 and first["seek"]["message"].startswith("replaying from the checkpoint at")
    settle(s)
    done = last(sink, "timeline")
    assert s.trainer.iteration == 137 and done["replay_to"] is None
    assert done["seek"]["exact"] and done["seek"]["at"] == 137 and done["seek"]["message"] == ""
    assert first["seek"]["asked_exact"] and done["seek"]["asked_exact"]
    assert sink.frames[-1][0]["iteration"] == 137
    # Play from there retraces the original (rewind): at 300 it is where it was.
    send(s, {"type": "step", "n": 163})
    settle(s)
    assert s.trainer.iteration == 300
    assert all(np.array_equal(a.detach(), b.detach()) for a, b in zip(at_300, s.trainer.G.parameters(), strict=True))
    assert len(s.trainer.timeline.branches) == 1


def test_seeking_past_the_end_or_before_the_start_is_clamped_and_said():
    s, sink = session()
    s.trainer.step(40)
    send(s, {"type": "seek", "iteration": 5000, "exact": True})
    assert s.trainer.iteration == 40 and "past the end of this branch" in last(sink, "timeline")["seek"]["message"]


def test_a_change_after_seeking_back_branches_and_the_history_has_both_lines():
    s, sink = session()
    s.trainer.step(120)
    send(s, {"type": "seek", "iteration": 60})
    settle(s)
    send(s, {"type": "configure", "patch": {"optimizer_g": {"lr": 0.004}}})
    tl = last(sink, "timeline")
    assert [b["id"] for b in tl["branches"]] == [0, 1] and tl["branch"] == 1
    assert tl["branches"][1]["fork"] == 60 and tl["branches"][1]["label"] == "optimizer_g.lr=0.004 at 60"
    send(s, {"type": "step", "n": 30})
    settle(s)
    assert sink.frames[-1][0]["branch"] == 1
    s.post_history()
    hist = last(sink, "history")
    original, branch = hist["branches"]
    assert original["losses"]["iteration"][-1] == 120 and original["losses"]["iteration"][0] == 1
    # The branch's line starts where it left the original (the point at 60 joins them).
    assert branch["losses"]["iteration"][0] == 60 and branch["losses"]["iteration"][-1] == 90
    assert branch["label"] == "optimizer_g.lr=0.004 at 60" and hist["branch"] == 1
    # And the student can go back to the original, where it was left.
    send(s, {"type": "switch_branch", "branch": 0})
    assert s.trainer.iteration == 120 and s.trainer.config.optimizer_g.lr == 0.001
    assert last(sink, "config")["cause"] == "switch_branch"


def test_branch_message_at_the_end_keeps_the_original_and_names_bad_input():
    s, sink = session()
    s.trainer.step(50)
    send(s, {"type": "branch", "patch": {"objective": {"name": "hinge"}}})
    tl = last(sink, "timeline")
    assert tl["branch"] == 1 and tl["branches"][1]["label"] == "objective.name=hinge at 50"
    assert s.trainer.config.objective.name == "hinge"
    send(s, {"type": "branch", "patch": {"optimizer_d": {"lr": -1}}})
    err = last(sink, "error")
    assert err["field"] == "optimizer_d.lr" and len(s.trainer.timeline.branches) == 2
    send(s, {"type": "switch_branch", "branch": 9})
    err = last(sink, "error")
    assert err["field"] == "branch" and "no branch 9" in err["message"]


def test_with_the_timeline_off_a_seek_says_why():
    s, sink = session(timeline_budget_mb=0)
    s.trainer.step(20)
    send(s, {"type": "seek", "iteration": 10})
    err = last(sink, "error")
    assert err["field"] == "iteration" and "timeline is off" in err["message"] and s.trainer.iteration == 20


def test_a_resumed_page_gets_the_curves_the_session_has():
    s, sink = session()
    send(s, {"type": "play"})
    for _ in range(5):
        s.trainer.step(40)
        s.frame()
    s.detach()
    assert not s.running
    again = Sink()
    s.attach(again, resumed=True)
    kinds = [m["type"] for m in again.posts]
    assert kinds[:3] == ["ready", "history", "timeline"] and again.posts[0]["resumed"]
    hist = again.posts[1]["branches"][0]
    assert hist["losses"]["iteration"][0] == 1 and hist["losses"]["iteration"][-1] == 200
    assert len(hist["metrics"]["iteration"]) >= 1 and "modes_captured" in hist["metrics"]
    assert s.running and again.posts[3]["state"] == "running"  # it goes on as it was


def test_an_import_restores_curves_preset_and_iteration_and_says_it_was_an_import():
    src = Trainer(RING)
    src.step(90)
    src.snapshot()
    data = export_experiment(src, preset="ring-collapse")
    s, sink = session()
    send(s, {"type": "import", "data": data})
    cfg, status, hist = last(sink, "config"), last(sink, "status"), last(sink, "history")
    assert cfg["cause"] == "import" and cfg["preset"] == "ring-collapse" and cfg["iteration"] == 90
    assert status["iteration"] == 90 and status["cause"] == "import" and hist["run"] == 1
    losses = hist["branches"][0]["losses"]
    assert losses["iteration"] == [p["iteration"] for p in data["history"]]
    assert np.allclose(losses["d_loss"], [p["d_loss"] for p in data["history"]], rtol=1e-5)
    assert hist["branches"][0]["metrics"]["iteration"] == [90]
    # A preset label this server does not know is dropped rather than shown as an empty choice.
    send(s, {"type": "import", "data": {**data, "preset": "not-a-preset"}})
    assert last(sink, "config")["preset"] is None

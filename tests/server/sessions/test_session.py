"""server.sessions.session: what a session's frames carry and when, driven as its host drives it."""

import time

import numpy as np

from gan_core.engine.trainer import Trainer
from server.sessions.pacer import Pacer
from server.sessions.session import Session
from server.settings import Settings
from server.wire.frames import decode_frame
from tests.server.conftest import SMALL

DIRAC = {"target": {"name": "dirac"}, "generator": {"kind": "point"}, "discriminator": {"kind": "linear", "bias": False},
         "optimizer_g": {"name": "sgd", "lr": 0.1}, "optimizer_d": {"name": "sgd", "lr": 0.1}}


class Sink:
    """A host's ChannelSink as the session sees it: replies and decoded frames, kept."""

    def __init__(self):
        self.frames = []
        self.posts = []

    def post(self, msg):
        self.posts.append(msg)

    def offer_frame(self, data):
        self.frames.append(decode_frame(data))

    def frame_pending(self):
        return False


def session(config, **settings):
    st = Settings(workers=0, **settings)
    s = Session(Trainer(config), st, Pacer(st.quantum_ms / 1000, st.shared_fps), sid="s1", token="t1")
    sink = Sink()
    s.attach(sink)
    assert s.poll()  # ready and a status on attach, then the first frame
    return s, sink


def test_attach_says_ready_then_shows_a_frame():
    s, sink = session(SMALL)
    assert [m["type"] for m in sink.posts] == ["ready", "history", "timeline", "status"]
    assert sink.posts[0]["session"] == "s1" and sink.posts[0]["token"] == "t1"
    assert len(sink.frames) == 1 and sink.frames[0][0]["iteration"] == 0
    assert not s.wants_turn  # paused and shown: nothing to compute


def test_frames_between_surface_refreshes_carry_the_last_surface_and_say_so():
    s, sink = session({**SMALL, "target": {"name": "ring"}}, surface_fps=0.001)  # one fresh surface per 1000 s
    for _ in range(2):
        s.trainer.step(2)
        s.frame()
    (h0, a0), (h1, a1), (h2, a2) = sink.frames
    assert [h["iteration"] for h in (h0, h1, h2)] == [0, 2, 4]
    assert [h["surface_iteration"] for h in (h0, h1, h2)] == [0, 0, 0]
    np.testing.assert_array_equal(a2["d_surface"], a0["d_surface"])
    assert not np.array_equal(a2["fake"], a0["fake"])  # the samples are fresh in every frame
    # A change is shown in the very next frame, surface included.
    s.apply({"discriminator": {"width": 12}})
    assert s.wants_turn and s.poll()
    h3, a3 = sink.frames[-1]
    assert h3["surface_iteration"] == h3["iteration"] == 0
    assert not np.array_equal(a3["d_surface"], a0["d_surface"])


def test_at_a_high_surface_rate_every_frame_has_a_fresh_surface():
    s, sink = session({**SMALL, "target": {"name": "ring"}}, surface_fps=120)
    for _ in range(2):
        s.trainer.step(2)
        time.sleep(1 / 120 + 0.002)  # a refresh period has passed
        s.frame()
    assert [h["surface_iteration"] for h, _ in sink.frames] == [0, 2, 4]
    assert not np.array_equal(sink.frames[2][1]["d_surface"], sink.frames[0][1]["d_surface"])


def test_the_dirac_orbit_has_every_iteration_however_far_apart_the_frames_are():
    """Frames carry at most 32 loss points, but the (theta, psi) of every iteration: a frame after
    500 iterations draws the same orbit as 500 frames one iteration apart would."""
    s, sink = session(DIRAC)
    s.trainer.step(500)
    s.frame()
    s.trainer.step(3)
    s.frame()
    first, second = sink.frames[1][0], sink.frames[2][0]
    assert len(first["history"]) == 32 and first["history"][-1]["iteration"] == 500
    assert first["orbit"]["from"] == 1 and len(first["orbit"]["theta"]) == len(first["orbit"]["psi"]) == 500
    assert second["orbit"]["from"] == 501 and len(second["orbit"]["theta"]) == 3
    # The very coordinates the trainer recorded (to the header's 6 significant digits).
    hist = s.trainer.history
    np.testing.assert_allclose(first["orbit"]["theta"] + second["orbit"]["theta"], [e["theta"] for e in hist],
                               rtol=1e-5, atol=1e-7)
    np.testing.assert_allclose(first["orbit"]["psi"] + second["orbit"]["psi"], [e["psi"] for e in hist],
                               rtol=1e-5, atol=1e-7)
    assert sink.frames[0][0]["orbit"] is None  # iteration 0: nothing recorded yet
    # A reset starts the orbit again from iteration 1.
    s.reset(None)
    s.trainer.step(2)
    s.frame()
    assert sink.frames[-1][0]["orbit"]["from"] == 1 and len(sink.frames[-1][0]["orbit"]["theta"]) == 2


def test_games_other_than_dirac_have_no_orbit():
    s, sink = session(SMALL)
    s.trainer.step(3)
    s.frame()
    assert sink.frames[-1][0]["orbit"] is None and len(sink.frames[-1][0]["history"]) == 3


def test_a_step_request_trains_in_turns_and_reports_once_done():
    s, sink = session(SMALL)
    s.request_steps(40)
    assert s.pending_steps == 40 and not s.running
    turns = 0
    while s.wants_turn:
        assert s.poll()
        turns += 1
    assert s.trainer.iteration == 40 and s.pending_steps == 0
    assert sink.posts[-1]["type"] == "status" and sink.posts[-1]["iteration"] == 40
    assert sink.frames[-1][0]["iteration"] == 40  # the frame where it stopped
    s.request_steps(800)
    s.request_steps(800)
    assert s.pending_steps == 1000  # a held key adds up to 1000 at most


def test_detach_pauses_and_a_new_attach_goes_on_running():
    s, sink = session(SMALL)
    s.play()
    assert s.running
    s.detach()
    assert not s.running and not s.attached and not s.wants_turn  # nobody watches: no CPU spent
    s.post({"type": "pong"})  # replies while detached go nowhere
    again = Sink()
    s.attach(again, resumed=True)
    assert s.running and again.posts[0]["type"] == "ready" and again.posts[0]["resumed"] is True
    assert again.posts[-1] == {**again.posts[-1], "type": "status", "state": "running"}


def test_idle_pause_stops_a_running_session_with_a_notice():
    s, sink = session(SMALL)
    s.idle_pause()  # paused already: nothing to say
    assert sink.posts[-1]["type"] == "status"
    s.play()
    s.idle_pause()
    assert not s.running and sink.posts[-1]["type"] == "notice" and "paused" in sink.posts[-1]["message"]


def test_a_crash_in_a_turn_ends_that_session_only_and_says_so(monkeypatch):
    s, sink = session(SMALL)
    s.play()

    def broken(n):
        raise RuntimeError("a bug")

    monkeypatch.setattr(s.trainer, "step", broken)
    assert s.poll() is False  # the host drops it
    assert sink.posts[-1]["type"] == "error" and "reload" in sink.posts[-1]["message"]


def run_until_paused(s, limit_s=60.0):
    deadline = time.monotonic() + limit_s
    while s.running and time.monotonic() < deadline:
        assert s.poll()
    assert not s.running, "still running"


def test_play_until_pauses_exactly_there_and_says_so():
    s, sink = session(SMALL)
    s.play(until=37)
    run_until_paused(s)
    assert s.trainer.iteration == 37
    status = [m for m in sink.posts if m["type"] == "status"][-1]
    assert status["state"] == "paused" and status["until_reached"] is True and status["iteration"] == 37
    while s.wants_turn:
        assert s.poll()
    assert sink.frames[-1][0]["iteration"] == 37  # the frame of the iteration it stopped at
    s.play()  # "continue": no stop this time
    for _ in range(50):
        s.poll()
    assert s.running and s.trainer.iteration > 37


def test_a_speed_cap_holds_training_back_and_lets_the_host_sleep():
    s, sink = session(SMALL)
    s.set_view(s.view, fps=1)  # frames once a second: between them only the cap decides
    s.set_speed(2.0)
    assert sink.posts[-1]["type"] == "status" and sink.posts[-1]["speed"] == 2.0
    start = time.monotonic()
    s.play()
    while time.monotonic() - start < 0.3:
        s.poll()
    elapsed = time.monotonic() - start
    # An upper bound only (a loaded machine trains less, never more): 2 it/s plus the first one.
    assert 1 <= s.trainer.iteration <= 2 * elapsed + 2
    assert 0 < s.wait_s() <= 1 / 2  # the host may sleep instead of spinning on it
    s.set_speed(None)
    assert s.wait_s() == 0.0
    s.pause()
    s.poll()
    assert s.wait_s() == float("inf")


def test_a_preset_brings_its_speed_and_other_runs_keep_the_cap():
    s, sink = session(SMALL)
    assert s.speed is None
    from server.sessions import presets

    s.play(until=400)
    s.replace_trainer(Trainer(presets.config("dirac-alternating")), "dirac-alternating")
    status = [m for m in sink.posts if m["type"] == "status"][-1]  # (the run's history and timeline follow it)
    assert s.speed == 60 and status["speed"] == 60
    assert status["until"] is None  # the old run's stop iteration is gone with it
    s.replace_trainer(Trainer(SMALL), None)  # an import: the person's cap stays
    assert s.speed == 60
    s.replace_trainer(Trainer(presets.config("ring-collapse")), "ring-collapse")
    assert s.speed is None

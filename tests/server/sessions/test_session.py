"""Session._frame: the D surface is refreshed at most surface_fps times a second, never across a change."""

import numpy as np

from server.sessions.pacer import Pacer
from server.sessions.session import Session
from server.settings import Settings
from tests.server.conftest import SMALL


class _Sink:
    def __init__(self):
        self.frames = []

    def post(self, msg):
        pass

    def offer_frame(self, data):
        from server.wire.frames import decode_frame

        self.frames.append(decode_frame(data))

    def frame_pending(self):
        return False

    def request_close(self, code, reason):
        pass


def _session(surface_fps: float):
    from gan_core.engine.trainer import Trainer

    st = Settings(workers=0, surface_fps=surface_fps)
    s = Session(Trainer({**SMALL, "target": {"name": "ring"}}), st, None, None,
                pacer=Pacer(st.quantum_ms / 1000, st.shared_fps))
    sink = _Sink()
    s.attach(sink)
    assert s.poll()  # ready, then the first frame
    return s, sink


def test_frames_between_surface_refreshes_carry_the_last_surface_and_say_so():
    s, sink = _session(surface_fps=0.001)  # one fresh surface every 1000 s: only the first
    for _ in range(2):
        s.trainer.step(2)
        s._frame()
    (h0, a0), (h1, a1), (h2, a2) = sink.frames
    assert [h["iteration"] for h in (h0, h1, h2)] == [0, 2, 4]
    assert [h["surface_iteration"] for h in (h0, h1, h2)] == [0, 0, 0]
    np.testing.assert_array_equal(a2["d_surface"], a0["d_surface"])
    assert not np.array_equal(a2["fake"], a0["fake"])  # the samples are fresh in every frame
    # A change is shown in the very next frame, surface included.
    assert s.trainer.apply({"discriminator": {"width": 12}})
    s.changed(rebuilt=True)
    s._frame()
    h3, a3 = sink.frames[-1]
    assert h3["surface_iteration"] == h3["iteration"] == 0
    assert not np.array_equal(a3["d_surface"], a0["d_surface"])
    s.end()


def test_at_a_high_surface_rate_every_frame_has_a_fresh_surface():
    s, sink = _session(surface_fps=120)
    for _ in range(2):
        s.trainer.step(2)
        s._next_frame_t = 0
        s._surface_t -= 1.0  # as if a refresh period had passed
        s._frame()
    assert [h["surface_iteration"] for h, _ in sink.frames] == [0, 2, 4]
    assert not np.array_equal(sink.frames[2][1]["d_surface"], sink.frames[0][1]["d_surface"])
    s.end()

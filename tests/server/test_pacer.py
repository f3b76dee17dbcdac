"""The shared training budget: shrinks while seats miss their frame interval, grows back, is shared."""

import multiprocessing

from server.pacer import GROW, SHRINK, Pacer, shared_state
from server.session import Session
from server.settings import Settings
from tests.server.conftest import SMALL


def test_budget_shrinks_when_cycles_are_long_and_grows_back():
    p = Pacer(0.004, shared_fps=10)  # target cycle 100 ms
    assert p.budget_s == 0.004 and not p.loaded
    p.report(0.2)
    assert abs(p.budget_s - 0.004 * SHRINK) < 1e-12
    for _ in range(200):
        p.report(0.2)
    assert p.budget_s == p.floor == 0.004 / 64  # never zero: a loaded session still trains
    assert p.loaded
    p.report(0.05)
    assert abs(p.budget_s - p.floor * GROW) < 1e-12
    while p.budget_s < p.top * 0.9:
        p.report(0.05)
        assert p.loaded  # hysteresis: still loaded until the budget is back near the full quantum
    for _ in range(20):
        p.report(0.05)
    assert p.budget_s == p.top and not p.loaded


def test_pacers_on_one_shared_state_see_one_budget():
    state = shared_state(multiprocessing.get_context("spawn"), 0.004)
    a, b = Pacer(0.004, 10, state), Pacer(0.004, 10, state)
    for _ in range(50):
        a.report(0.5)
    assert b.budget_s == a.budget_s < 0.004 / 2 and b.loaded


class _Sink:
    def __init__(self):
        self.frames = 0

    def post(self, msg):
        pass

    def offer_frame(self, data):
        self.frames += 1

    def frame_pending(self):
        return False

    def request_close(self, code, reason):
        pass


def test_sessions_sharing_a_pacer_train_alike_and_all_get_frames():
    """Four sessions in one cooperative loop (a worker process's): the same budget, so about the same
    number of iterations each, and every one of them gets frames."""
    from gan_core.trainer import Trainer
    from server import protocol as p

    st = Settings(workers=0, shared_fps=120)  # a frame target these rounds miss: the pacer cuts training
    pacer = Pacer(st.quantum_ms / 1000, st.shared_fps)
    sessions, sinks = [], []
    for i in range(4):
        s = Session(Trainer({**SMALL, "seed": i}), st, None, None, pacer=pacer)
        sink = _Sink()
        s.attach(sink)
        s.submit(p.parse_message('{"type": "play"}'))
        sessions.append(s)
        sinks.append(sink)
    for _ in range(400):
        for s in sessions:
            assert s.poll()
    its = [s.trainer.iteration for s in sessions]
    assert min(its) > 0 and min(its) >= 0.75 * max(its), its
    assert all(k.frames > 5 for k in sinks)
    assert pacer.budget_s < pacer.top  # it did cut training for frames
    for s in sessions:
        s.end()
        assert not s.poll()  # ended: the loop drops it

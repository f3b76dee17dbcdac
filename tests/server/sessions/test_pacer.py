"""The shared training budget: shrinks while seats miss their frame interval, grows back, is shared."""

import multiprocessing

from server.sessions.pacer import GROW, SHRINK, Pacer, shared_state
from server.sessions.session import Session
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


class CpuClock:
    """The session module's clock, moved only by the work the machine would do (1 ms an iteration,
    3 ms a frame's snapshot), so what the pacer decides does not depend on this machine's speed or load."""

    def __init__(self):
        self.t = 1000.0

    def monotonic(self):
        return self.t

    perf_counter = monotonic

    def charge(self, trainer):
        step, snapshot = trainer.step, trainer.snapshot

        def timed_step(n=1):
            step(n)
            self.t += 0.001 * n

        def timed_snapshot(opts=None):
            self.t += 0.003
            return snapshot(opts)

        trainer.step, trainer.snapshot = timed_step, timed_snapshot


def test_sessions_sharing_a_pacer_train_alike_and_all_get_frames(monkeypatch):
    """Four sessions in one cooperative loop (a host's): the same budget, so the same number of
    iterations each, and every one of them gets frames."""
    from gan_core.engine.trainer import Trainer
    from server.sessions import turns as turns_module
    from server.wire import protocol as p

    clock = CpuClock()
    monkeypatch.setattr(turns_module, "time", clock)
    st = Settings(workers=0, shared_fps=120)  # a frame target these rounds miss: the pacer cuts training
    pacer = Pacer(st.quantum_ms / 1000, st.shared_fps)
    sessions, sinks = [], []
    for i in range(4):
        t = Trainer({**SMALL, "seed": i})
        clock.charge(t)
        s = Session(t, st, pacer)
        s.meter.clock = clock.monotonic  # its CPU bookkeeping on the same clock
        sink = _Sink()
        s.attach(sink)
        s.handle(p.parse_message('{"type": "play"}'))
        sessions.append(s)
        sinks.append(sink)
    for _ in range(150):
        for s in sessions:
            assert s.poll()
    its = [s.trainer.iteration for s in sessions]
    assert min(its) > 10 and min(its) >= 0.95 * max(its), its  # on this clock: 177, 176, 175, 174
    assert all(k.frames > 5 for k in sinks), [k.frames for k in sinks]  # 33 each
    assert pacer.budget_s < pacer.top / 2 and pacer.loaded  # it did cut training for frames


class _FrameSink(_Sink):
    def __init__(self):
        super().__init__()
        self.headers = []

    def offer_frame(self, data):
        from server.wire.frames import decode_frame

        header, arrays = decode_frame(data)
        header["grid"] = arrays["grid_x"].shape[0]
        self.headers.append(header)


def _frames(loaded: bool):
    """Three frames of a 2D session, two iterations apart, on a loaded or an idle pacer."""
    from gan_core.engine.trainer import Trainer

    st = Settings(workers=0, metrics_interval_s=0.0, loaded_metrics_interval_s=1000.0, loaded_grid=16)
    pacer = Pacer(st.quantum_ms / 1000, st.shared_fps)
    for _ in range(200 if loaded else 0):
        pacer.report(10.0)  # every seat misses its frame interval: the server is loaded
    assert pacer.loaded == loaded
    s = Session(Trainer({**SMALL, "target": {"name": "ring"}}), st, pacer)
    sink = _FrameSink()
    s.attach(sink)
    assert s.poll()  # attached: ready, then the first frame (dirty: fresh metrics)
    for _ in range(2):
        s.trainer.step(2)
        s.frame()
    return sink.headers


def test_loaded_frames_are_cheaper_smaller_grid_and_fewer_metric_computations():
    idle, loaded = _frames(False), _frames(True)
    assert [h["iteration"] for h in loaded] == [0, 2, 4]
    # Idle: every frame recomputes the metrics (interval 0) at the full 64-point grid.
    assert [h["metrics_iteration"] for h in idle] == [0, 2, 4]
    assert {h["grid"] for h in idle} == {64}
    # Loaded: the grid is cut to loaded_grid and the first frame's metrics are carried on.
    assert [h["metrics_iteration"] for h in loaded] == [0, 0, 0]
    assert {h["grid"] for h in loaded} == {16}
    assert loaded[-1]["metrics"] == loaded[0]["metrics"]

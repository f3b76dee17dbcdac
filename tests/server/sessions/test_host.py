"""server.sessions.host.Trimmer: freed heap goes back to the OS, rate-limited but never forgotten."""

from server.sessions.host import TRIM_EVERY_S, Trimmer


class Clock:
    def __init__(self):
        self.t = 100.0

    def __call__(self):
        return self.t


def test_a_request_inside_the_quiet_period_is_trimmed_once_it_is_over():
    calls, clock = [], Clock()
    tr = Trimmer(calls.append, clock)
    tr.request()
    assert calls == [0]  # the first drop trims at once
    clock.t += 1.0
    tr.request()  # the last sessions of a class end together: too soon to trim again ...
    tr.request()
    assert calls == [0] and tr.pending
    clock.t += TRIM_EVERY_S / 2
    tr.poll()
    assert calls == [0]
    clock.t += TRIM_EVERY_S
    tr.poll()  # ... but the worker's idle loop does it when the period is over, once for both
    tr.poll()
    assert calls == [0, 0] and not tr.pending and tr.count == 2


def test_polling_without_a_request_never_trims_and_no_glibc_is_fine():
    calls, clock = [], Clock()
    tr = Trimmer(calls.append, clock)
    for _ in range(3):
        clock.t += TRIM_EVERY_S * 2
        tr.poll()
    assert calls == []
    none = Trimmer(None, clock)
    none.request()
    none.poll()
    assert none.count == 0


def test_a_session_of_a_worker_loop_is_freed_as_soon_as_it_is_dropped():
    """No reference cycle (a never-started Thread holding its target was one): an ended session's
    trainer and tensors go at once, not at the next full garbage collection, which in a worker
    with torch loaded can be hundreds of sessions away."""
    import gc
    import weakref

    from gan_core.engine.trainer import Trainer
    from server.sessions.session import Session
    from server.settings import Settings
    from tests.server.conftest import SMALL

    s = Session(Trainer(SMALL), Settings(workers=0), None, None, sid="a", token="t")
    assert s.poll()
    s.end()
    gone, trainer = weakref.ref(s), weakref.ref(s.trainer)
    gc.disable()
    try:
        del s
        assert gone() is None and trainer() is None
    finally:
        gc.enable()

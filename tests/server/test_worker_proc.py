"""server.worker_proc.Trimmer: freed heap goes back to the OS, rate-limited but never forgotten."""

from server.worker_proc import TRIM_EVERY_S, Trimmer


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

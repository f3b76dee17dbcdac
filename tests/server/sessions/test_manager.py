"""server.sessions.manager.SessionManager: seats, resume by token, detached sessions kept at most
max_sessions and resume_grace_s, idle pause and end. Times are given, never waited for."""

import pytest

from server.sessions.manager import SessionManager
from server.sessions.proxy import SessionProxy
from server.settings import Settings
from tests.server.sessions.test_proxy import FakePool, FakeSink


class Pool(FakePool):
    def open(self, cfg, preset):
        return SessionProxy(self, 0, preset)


def manager(**settings):
    m = SessionManager(Settings(workers=0, **settings))
    m.pool = Pool()  # no hosts: what the manager decides is under test, not the sessions
    return m


def opened(m, sink=None):
    s = m.open(None, None)
    s.attach(sink or FakeSink())
    return s


def test_open_needs_a_started_manager():
    with pytest.raises(RuntimeError, match="start"):
        SessionManager(Settings(workers=0)).open(None, None)


def test_seats_count_attached_sessions_only():
    m = manager(max_sessions=2)
    a, b = opened(m), opened(m)
    assert not m.has_seat() and (m.attached, m.detached) == (2, 0)
    m.detach(a, FakeSink())  # not a's socket (a stale one): nothing happens
    assert not m.has_seat() and a.attached
    sink = FakeSink()
    c = opened(m, sink)  # the seat check is the caller's (hello), before open
    m.detach(c, sink)  # a detached session waits for its page without a seat
    assert (m.attached, m.detached) == (2, 1) and not m.has_seat()
    m.end(b, 1000, "bye")
    assert m.has_seat() and m.find(b.token) is None and m.find(c.token) is c


def test_resume_finds_live_sessions_only():
    m = manager()
    s = opened(m)
    assert m.find(s.token) is s and m.find("forged") is None
    s.deliver(("gone", s.id))  # crashed on its host
    assert m.find(s.token) is None


def test_detached_sessions_beyond_the_cap_end_oldest_first():
    m = manager(max_sessions=2)
    sinks = [FakeSink() for _ in range(3)]
    sessions = [opened(m, k) for k in sinks]
    for s, k in zip(sessions, sinks, strict=True):
        m.detach(s, k)
    assert sessions[0].ended and not sessions[1].ended and not sessions[2].ended
    assert m.detached == 2 and m.find(sessions[0].token) is None


def test_sweep_pauses_idle_running_sessions_then_ends_them():
    m = manager(idle_pause_s=10, idle_timeout_s=100, resume_grace_s=30)
    sink = FakeSink()
    s = opened(m, sink)
    t0 = s.last_input
    m.sweep(t0 + 11)  # paused: nothing to pause
    assert ("idle_pause", s.id) not in m.pool.sent
    s.deliver(("post", s.id, {"type": "status", "state": "running"}))
    m.sweep(t0 + 11)
    assert m.pool.sent[-1] == ("idle_pause", s.id)
    m.sweep(t0 + 101)
    assert s.ended and sink.closed == (1008, "idle timeout") and m.find(s.token) is None


def test_sweep_ends_detached_sessions_after_the_grace_period():
    m = manager(resume_grace_s=30)
    sink = FakeSink()
    s = opened(m, sink)
    m.detach(s, sink)
    m.sweep(s.detached_at + 29.9)
    assert m.find(s.token) is s
    m.sweep(s.detached_at + 30.1)  # (not +30: d + 30 - d can round below 30)
    assert s.ended and m.find(s.token) is None and m.pool.sent[-1] == ("end", s.id)

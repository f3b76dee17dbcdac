"""server.sessions.host: the loop that hosts sessions (a worker process's, or the host thread of
workers=0), and its Trimmer: freed heap goes back to the OS, rate-limited but never forgotten."""

import gc
import threading
import weakref

import pytest

from server.sessions.channel import thread_pipe
from server.sessions.host import TRIM_EVERY_S, Host, Trimmer, run_host
from server.settings import Settings
from server.wire.frames import decode_frame
from server.wire.protocol import Ping, Play
from tests.server.conftest import SMALL


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


def _host():
    front, back = thread_pipe()
    return front, Host(back, Settings(workers=0))


def test_an_ended_session_is_freed_as_soon_as_it_is_dropped():
    """No reference cycle: an ended session's trainer and tensors go at once, not at the next full
    garbage collection, which on a host with torch loaded can be hundreds of sessions away."""
    front, host = _host()
    host.handle(("create", "a", "t", SMALL, None))
    host.handle(("attach", "a", False, None))
    assert host.sessions["a"].poll()
    gone, trainer = weakref.ref(host.sessions["a"]), weakref.ref(host.sessions["a"].trainer)
    gc.disable()
    try:
        host.handle(("end", "a"))
        assert gone() is None and trainer() is None
    finally:
        gc.enable()
    assert host.handle(("msg", "a", Ping(type="ping")))  # a message for it, a moment late, is ignored


def test_a_session_that_cannot_start_is_refused_with_the_field_and_closed():
    front, host = _host()
    host.handle(("create", "a", "t", {**SMALL, "device": "cuda"}, None))  # no CUDA on the test machines
    kinds = [front.recv() for _ in range(3)]
    assert kinds[0][:2] == ("post", "a") and kinds[0][2]["field"] == "device"
    assert kinds[1] == ("close", "a", 1008, "could not start") and kinds[2] == ("gone", "a")
    assert host.sessions == {}


def test_a_host_thread_serves_a_session_and_stops_when_told():
    """The whole loop on a thread, as `workers=0` runs it: create, attach, play, frames one at a
    time (each after the front's "taken"), then stop: the channel closes behind it."""
    front, back = thread_pipe()
    runner = threading.Thread(target=run_host, args=(back, Settings(workers=0)), daemon=True)
    runner.start()
    assert front.recv() == ("ready", None)
    front.send(("create", "a", "t", SMALL, None))
    front.send(("attach", "a", False, None))
    front.send(("msg", "a", Play(type="play")))
    frames, posts = [], []
    while len(frames) < 3:
        assert front.poll(30), "the host went quiet"
        kind, sid, *rest = front.recv()
        assert sid == "a"
        if kind == "frame":
            frames.append(decode_frame(rest[0])[0]["iteration"])
            front.send(("taken", "a"))
        else:
            posts.append(rest[0])
    assert [m["type"] for m in posts[:4]] == ["ready", "history", "timeline", "status"] and posts[0]["token"] == "t"
    assert frames == sorted(frames) and frames[-1] > frames[0]
    front.send(("stop",))
    runner.join(10)
    assert not runner.is_alive()
    with pytest.raises(EOFError):
        while True:  # what it sent before stopping, then the end of the channel
            front.recv()

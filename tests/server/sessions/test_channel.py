"""server.sessions.channel.thread_pipe: a Pipe's behaviour in memory, for the host thread of workers=0."""

import threading

import pytest

from server.sessions.channel import thread_pipe


def test_messages_arrive_in_order_both_ways():
    a, b = thread_pipe()
    for i in range(5):
        a.send(("msg", i))
    b.send(("back",))
    assert [b.recv() for _ in range(5)] == [("msg", i) for i in range(5)]
    assert a.recv() == ("back",)


def test_poll_waits_at_most_its_timeout_and_keeps_what_it_saw():
    a, b = thread_pipe()
    assert b.poll(0) is False and b.poll(0.01) is False
    threading.Timer(0.05, a.send, args=(("late",),)).start()
    assert b.poll(5)  # woken by the message, long before the timeout
    assert b.poll(0)  # still there: poll does not consume it
    assert b.recv() == ("late",)
    assert b.poll(0) is False


def test_close_lets_the_peer_read_what_was_sent_then_ends_both_ways():
    a, b = thread_pipe()
    b.send(("last words",))
    b.close()
    assert a.poll(0)
    assert a.recv() == ("last words",)
    for _ in range(2):  # every later recv ends the same way, as a Pipe's would
        with pytest.raises(EOFError):
            a.recv()
    with pytest.raises(OSError):
        a.send(("anyone?",))
    with pytest.raises(OSError):
        b.send(("me?",))

"""server.sessions.outbox: the event loop's hand-over to a host never waits on the host's pipe, and
what waits is bounded for client messages, never for control messages."""

from __future__ import annotations

import threading
import time

from server.sessions.outbox import Outbox


class BlockedConn:
    """A pipe to a host that is busy: send blocks until released."""

    def __init__(self):
        self.release = threading.Event()
        self.sent = []

    def send(self, msg):
        self.release.wait(10)
        self.sent.append(msg)


def test_put_returns_at_once_while_the_host_does_not_read_and_order_is_kept():
    conn = BlockedConn()
    box = Outbox(conn, "test-writer", max_bytes=1000)
    t0 = time.perf_counter()
    for i in range(50):
        assert box.put(("msg", i), size=10)
    assert time.perf_counter() - t0 < 0.5  # the pipe's send is blocked: puts did not wait for it
    conn.release.set()
    box.close(timeout=5)
    assert conn.sent == [("msg", i) for i in range(50)]


def test_client_messages_are_bounded_in_bytes_and_control_messages_always_go():
    conn = BlockedConn()
    box = Outbox(conn, "test-writer", max_bytes=100)
    assert box.put(("raw", "x" * 60), size=60)
    time.sleep(0.05)  # the writer holds the first one (blocked in send)
    assert box.put(("raw", "y" * 60), size=60)
    assert not box.put(("raw", "z" * 60), size=60)  # 120 > 100 waiting: refused, the proxy says busy
    assert box.put(("end", "s1"))  # control: size 0, never refused
    conn.release.set()
    box.close(timeout=5)
    assert [m[0] for m in conn.sent] == ["raw", "raw", "end"] and box.queued_bytes == 0


def test_a_closed_pipe_ends_the_writer_quietly():
    class Closed:
        def send(self, msg):
            raise OSError("closed")

    box = Outbox(Closed(), "test-writer", max_bytes=100)
    box.put(("msg", 1), size=1)
    box.close(timeout=5)
    assert not box.put(("msg", 2), size=1)

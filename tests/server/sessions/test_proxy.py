"""server.sessions.proxy.SessionProxy: the front's handle on a hosted session, the same for a worker
process and for the host thread; what it sends down the channel and hands to the socket."""

from server.sessions.proxy import SessionProxy


class FakePool:
    def __init__(self):
        self.sent, self.forgotten = [], []

    def send(self, host, msg, size=0):
        self.sent.append(msg)
        return True

    def forget(self, s):
        self.forgotten.append(s)


class FakeSink:
    def __init__(self):
        self.posts, self.frames, self.closed = [], [], None
        self.on_frame_sent = None

    def post(self, msg):
        self.posts.append(msg)

    def offer_frame(self, data):
        self.frames.append(data)

    def request_close(self, code, reason):
        self.closed = (code, reason)


def proxy():
    pool = FakePool()
    return pool, SessionProxy(pool, 0, "p")


def test_attach_forwards_and_a_sent_frame_is_reported_taken():
    pool, s = proxy()
    sink = FakeSink()
    s.attach(sink, False, None)
    assert s.attached and pool.sent[-1] == ("attach", s.id, False, None, s.token)
    sink.on_frame_sent()  # the socket sent the frame: the host may make the next one
    assert pool.sent[-1] == ("taken", s.id)
    s.submit("a message")
    assert pool.sent[-1] == ("msg", s.id, "a message")


def test_deliveries_reach_the_socket_and_status_is_mirrored():
    pool, s = proxy()
    sink = FakeSink()
    s.attach(sink)
    s.deliver(("post", s.id, {"type": "status", "state": "running"}))
    assert s.running and sink.posts[-1]["state"] == "running"
    s.deliver(("frame", s.id, b"TGF1"))
    assert sink.frames == [b"TGF1"]
    s.deliver(("close", s.id, 1008, "could not start"))
    assert sink.closed == (1008, "could not start")


def test_a_frame_for_nobody_is_released_so_the_host_goes_on():
    pool, s = proxy()
    s.deliver(("frame", s.id, b"TGF1"))  # detached: no socket to send it
    assert pool.sent[-1] == ("taken", s.id)


def test_take_over_closes_the_old_socket_and_detach_ignores_a_stale_one():
    pool, s = proxy()
    old, new = FakeSink(), FakeSink()
    s.attach(old)
    s.take_over("resumed elsewhere")
    assert old.closed == (1000, "resumed elsewhere") and pool.sent[-1] == ("detach", s.id)
    s.attach(new, True)
    s.detach(old)  # the old socket's handler ends later: it must not detach the new one
    assert s.attached and s.detached_at is None
    s.detach(new)
    assert not s.attached and s.detached_at is not None and pool.sent[-1] == ("detach", s.id)


def test_end_gone_and_lost():
    pool, s = proxy()
    sink = FakeSink()
    s.attach(sink)
    s.end(1008, "idle timeout")
    assert s.ended and sink.closed == (1008, "idle timeout") and pool.sent[-1] == ("end", s.id)
    assert pool.forgotten == [s]
    pool, s = proxy()
    s.deliver(("gone", s.id))  # it crashed on its host (its page was told there)
    assert s.ended and pool.forgotten == [s]
    pool, s = proxy()
    sink = FakeSink()
    s.attach(sink)
    s.lost()  # its host stopped
    assert s.ended and "worker stopped" in sink.posts[-1]["message"] and sink.closed == (1011, "worker stopped")

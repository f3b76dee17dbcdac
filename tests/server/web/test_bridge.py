"""server.web.bridge.Bridge: replies in order and before the frame that follows them, frames in a
single slot (a slow socket skips frames, never queues them), a close after what was posted."""

import asyncio
import json
import threading


class FakeSocket:
    def __init__(self):
        self.sent = []

    async def send_text(self, text):
        self.sent.append(("text", json.loads(text)))

    async def send_bytes(self, data):
        self.sent.append(("bytes", data))

    async def close(self, code, reason):
        self.sent.append(("close", code, reason))


def run(scenario):
    from server.web.bridge import Bridge

    async def main():
        ws = FakeSocket()
        bridge = Bridge(asyncio.get_running_loop())
        pump = asyncio.create_task(bridge.pump(ws))
        await scenario(bridge)
        await asyncio.wait_for(pump, 5)
        return ws.sent

    # A fresh thread: a session-scoped sync Playwright elsewhere in the suite keeps an event loop
    # marked running on the main thread, and asyncio.run refuses to start inside it.
    out = {}

    def host():
        out["sent"] = asyncio.run(main())

    t = threading.Thread(target=host)
    t.start()
    t.join(30)
    assert not t.is_alive(), "the bridge's pump did not finish within 30 s"
    return out["sent"]


def test_messages_go_first_in_order_and_only_the_newest_frame_is_sent():
    taken = []

    async def scenario(bridge):
        bridge.on_frame_sent = lambda: taken.append(1)
        bridge.offer_frame(b"old")
        bridge.post({"type": "config", "n": 1})
        bridge.offer_frame(b"new")  # overwrites the unsent one
        bridge.post({"type": "status", "n": 2})
        await asyncio.sleep(0.05)
        bridge.request_close(1000, "bye")

    sent = run(scenario)
    assert sent == [("text", {"type": "config", "n": 1}), ("text", {"type": "status", "n": 2}), ("bytes", b"new"),
                    ("close", 1000, "bye")]
    assert taken == [1]  # the session's host hears once per frame actually sent


def test_posts_from_another_thread_wake_the_pump():
    async def scenario(bridge):
        t = threading.Thread(target=lambda: [bridge.post({"type": "pong", "i": i}) for i in range(3)])
        t.start()
        t.join()
        await asyncio.sleep(0.05)
        bridge.request_close(1011, "worker stopped")

    sent = run(scenario)
    assert [m[1]["i"] for m in sent if m[0] == "text"] == [0, 1, 2] and sent[-1] == ("close", 1011, "worker stopped")


def test_a_close_sends_what_was_posted_before_it_and_drops_the_frame():
    async def scenario(bridge):
        bridge.post({"type": "error", "message": "server full", "field": None})
        bridge.offer_frame(b"late")
        bridge.request_close(1013, "server full")

    sent = run(scenario)
    assert sent == [("text", {"type": "error", "message": "server full", "field": None}), ("close", 1013, "server full")]


def test_a_comparison_has_a_mailbox_per_slot_and_the_loops_own_calls_need_no_thread_hop():
    taken = []

    async def scenario(bridge):
        bridge.on_frame_sent = lambda: taken.append(1)
        bridge.offer_frame_local(b"B1", "B")  # a broadcast's fan-out, on the loop itself
        bridge.offer_frame_local(b"A1")
        bridge.offer_frame(b"A2")  # overwrites A's unsent frame, not B's
        bridge.post_local('{"type":"status","n":1}')  # JSON text goes out as it is
        await asyncio.sleep(0.05)
        bridge.request_close_local(1000, "broadcast ended")

    sent = run(scenario)
    assert sent == [("text", {"type": "status", "n": 1}), ("bytes", b"A2"), ("bytes", b"B1"),
                    ("close", 1000, "broadcast ended")]
    assert taken == [1]  # both slots' frames are one frame's worth for the host

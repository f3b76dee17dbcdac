"""The channel between the front and one session host: a duplex pair of connections.

A worker process talks over a multiprocessing Pipe (pickled tuples); the host thread of
`workers=0` talks over `thread_pipe()`, two in-memory queues behind the same four calls
(`send`, `recv`, `poll`, `close`), so the host loop and the pool are one code path for both.
As with a Pipe, `recv` raises EOFError once the other end has closed and everything it sent was
read, and `send` raises OSError once either end has closed.
"""

from __future__ import annotations

import queue
import threading
from collections import deque
from typing import Any

_EOF = ("<channel closed>",)  # put in the peer's inbox on close; never a real message (those are tuples of str, ...)


class ThreadConnection:
    """One end of an in-memory channel (see thread_pipe); safe to use from any thread."""

    def __init__(self, inbox: queue.SimpleQueue, outbox: queue.SimpleQueue, closed: threading.Event):
        self._in, self._out, self._closed = inbox, outbox, closed
        self._held: deque[Any] = deque()  # what poll() took off the queue, for the next recv()
        self._lock = threading.Lock()

    def send(self, obj: Any) -> None:
        if self._closed.is_set():
            raise OSError("channel closed")
        self._out.put(obj)

    def poll(self, timeout: float | None = 0.0) -> bool:
        """True when recv() would return (or raise EOFError) at once; waits up to `timeout` s (None: for ever)."""
        with self._lock:
            if self._held:
                return True
            try:
                item = self._in.get(timeout=timeout) if timeout is None or timeout > 0 else self._in.get_nowait()
            except queue.Empty:
                return False
            self._held.append(item)
            return True

    def recv(self) -> Any:
        with self._lock:
            item = self._held.popleft() if self._held else self._in.get()
        if item is _EOF:
            self._in.put(_EOF)  # every later recv ends the same way
            raise EOFError("channel closed")
        return item

    def close(self) -> None:
        if not self._closed.is_set():
            self._closed.set()
            self._out.put(_EOF)  # the peer reads what was sent, then EOFError
            self._in.put(_EOF)  # and so does this end, as a closed Connection's recv would fail


def thread_pipe() -> tuple[ThreadConnection, ThreadConnection]:
    """Two connected ends, like multiprocessing.Pipe(duplex=True), for a host on a thread."""
    a, b = queue.SimpleQueue(), queue.SimpleQueue()
    closed = threading.Event()
    return ThreadConnection(a, b, closed), ThreadConnection(b, a, closed)

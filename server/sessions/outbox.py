"""The front's writer to one session host: the event loop hands a message over and returns at once.

A Pipe's send blocks while the host is busy and the pipe's buffer (~64 KiB) is full, and an
import's text is megabytes; the event loop must never wait for that. So every message to a host
goes through its Outbox: a queue and one thread that does the sending. The queue is bounded in
bytes (`max_bytes`, counting each message's `size`): past it `put` refuses client messages (the
session answers "busy"), never control messages (size 0: attach, end, taken...), which are tiny
and must not be lost.
"""

from __future__ import annotations

import logging
import threading
from collections import deque
from typing import Any

log = logging.getLogger(__name__)


class Outbox:
    def __init__(self, conn: Any, name: str, max_bytes: int):
        self._conn = conn
        self.max_bytes = max_bytes
        self._queue: deque[tuple[Any, int]] = deque()
        self._bytes = 0
        self._cv = threading.Condition()
        self._closed = False
        self._thread = threading.Thread(target=self._run, name=name, daemon=True)
        self._thread.start()

    @property
    def queued_bytes(self) -> int:
        return self._bytes

    def put(self, msg: Any, size: int = 0) -> bool:
        """Queue `msg` (counting `size` bytes against the bound); False when closed or, for a sized
        message, when the queue is full."""
        with self._cv:
            if self._closed or (size and self._queue and self._bytes + size > self.max_bytes):
                return False
            self._queue.append((msg, size))
            self._bytes += size
            self._cv.notify()
        return True

    def _run(self) -> None:
        while True:
            with self._cv:
                while not self._queue and not self._closed:
                    self._cv.wait()
                if not self._queue:
                    return  # closed and drained
                msg, size = self._queue.popleft()
            try:
                self._conn.send(msg)  # may block while the host is busy: only this thread waits
            except (OSError, ValueError):  # the host is gone; its reader ends its sessions
                self.close()
            finally:
                with self._cv:
                    self._bytes -= size

    def close(self, timeout: float | None = None) -> None:
        """Stop taking messages; what is queued is still sent (join: wait up to `timeout` s for it)."""
        with self._cv:
            self._closed = True
            self._cv.notify()
        if timeout is not None and threading.current_thread() is not self._thread:
            self._thread.join(timeout)

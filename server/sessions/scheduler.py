"""Fair CPU share between sessions: a FIFO gate with `slots` places (one per core).

Each session thread asks for a turn, computes for one short quantum (a few ms of training and,
when due, one snapshot), then gives the turn back and queues again at the end of the line. First
come, first served with equal quanta is round-robin: with 30 sessions on 2 cores every one gets
about 1/15 of a core and none starves, whatever the OS or the GIL would otherwise favour. A
released place is handed straight to the longest waiter (no thundering herd of woken threads).
"""

from __future__ import annotations

import threading
from collections import deque
from contextlib import contextmanager


class FairScheduler:
    def __init__(self, slots: int):
        if slots < 1:
            raise ValueError("slots must be >= 1")
        self.slots = slots
        self._lock = threading.Lock()
        self._free = slots
        self._waiters: deque[threading.Event] = deque()

    def acquire(self, timeout: float | None = None) -> bool:
        with self._lock:
            if self._free and not self._waiters:
                self._free -= 1
                return True
            ev = threading.Event()
            self._waiters.append(ev)
        if ev.wait(timeout):
            return True
        with self._lock:
            if ev.is_set():  # handed over just as we gave up: keep it
                return True
            self._waiters.remove(ev)
            return False

    def release(self) -> None:
        with self._lock:
            if self._waiters:
                self._waiters.popleft().set()  # the place passes on; _free is unchanged
            else:
                self._free += 1

    @contextmanager
    def turn(self):
        self.acquire()
        try:
            yield
        finally:
            self.release()

    @property
    def waiting(self) -> int:
        return len(self._waiters)

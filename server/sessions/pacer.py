"""How much each session trains per turn so that every seat keeps its frame rate: one shared number.

Every session of one process (a worker, or the in-process thread pool) reads the same budget, so
they train equally: per-session budgets adjusted multiplicatively keep whatever ratio they start
with (measured: 25 to 64 iterations apart among 15 identical sessions), a shared one cannot
drift. Each busy turn reports its session's turn cycle (the time since that session's previous
turn, i.e. everyone's turns added up): longer than 1/shared_fps, the budget shrinks 3%; shorter,
it grows 1%. With N sessions that is N small votes a round (15 sessions: x0.63 or x1.16 a round),
so it settles in a few rounds and wobbles by a few percent, not by halves.

Worker processes share one Pacer through shared memory (`shared`: a multiprocessing Array of
[budget_s, loaded]), so sessions on different workers train alike too (measured without it:
2.7 vs 3.9 it/s on the two workers of a 30-session server).
"""

from __future__ import annotations

import threading
from typing import Any

SHRINK, GROW = 0.97, 1.01  # per reported cycle: 3:1 so an overload is corrected faster than it builds


def shared_state(ctx: Any, quantum_s: float) -> Any:
    """Shared memory for one Pacer across processes: [budget_s, loaded] (a lock comes with it)."""
    return ctx.Array("d", [quantum_s, 0.0])


class Pacer:
    def __init__(self, quantum_s: float, shared_fps: float, shared: Any = None):
        self.top = quantum_s  # the budget when nobody waits (settings.quantum_ms)
        self.floor = quantum_s / 64  # a loaded session still trains now and then (credit accrues)
        self.target = 1.0 / shared_fps
        # [budget_s, loaded]: a plain list in one process, shared memory across worker processes.
        self._state = shared if shared is not None else [quantum_s, 0.0]
        self._lock = shared.get_lock() if shared is not None else threading.Lock()

    @property
    def budget_s(self) -> float:
        """Training seconds per turn for every session."""
        return self._state[0]

    @property
    def loaded(self) -> bool:
        """The CPU is shared: sessions make cheaper frames (see Session._frame)."""
        return self._state[1] > 0

    def report(self, cycle_s: float) -> None:
        """One session's turn cycle, in seconds."""
        with self._lock:
            st = self._state
            if cycle_s > self.target:
                st[0] = max(self.floor, st[0] * SHRINK)
            else:
                st[0] = min(self.top, st[0] * GROW)
            # Loaded once training was cut to half; normal only at the full quantum again, so the
            # frame grid does not flip with every small change in the cycle.
            if st[0] < self.top / 2:
                st[1] = 1.0
            elif st[0] >= self.top * 0.95:
                st[1] = 0.0

"""A playing session's own limits: a cap on iterations per second, and the iteration to stop at.

Both are the page's choice (a preset's speed and step budget, or the person's). A Dirac game
trains at ~1000 it/s and would be over in under a second; capped at 60 it/s every turn of its
orbit is seen. The cap is a token bucket counted in iterations: it refills at `its` per second up
to BURST_S seconds' worth (at least one iteration), so a session held back by a long turn cycle
catches up a little, never in a jump. `until` is exact: a turn never trains past it.

Plain bookkeeping over a clock (tests pass their own); the session asks how many iterations a
turn may run (`allow`), says how many it ran (`spend`), and the host asks how long it may sleep
(`wait_s`) instead of spinning on a session that only waits for its cap.
"""

from __future__ import annotations

import time
from collections.abc import Callable

BURST_S = 0.1  # most catch-up the cap allows after a slow turn, in seconds of iterations


class Throttle:
    def __init__(self, its: float | None = None, clock: Callable[[], float] = time.monotonic):
        self._clock = clock
        self._its = its
        self._until: int | None = None
        self._tokens = 1.0  # iterations the cap allows now
        self._t = clock()

    @property
    def its(self) -> float | None:
        """The cap in iterations/s (None: none)."""
        return self._its

    @property
    def until(self) -> int | None:
        """The iteration the current play stops at (None: it goes on until paused)."""
        return self._until

    def set_speed(self, its: float | None) -> None:
        self._refill()
        self._its = its
        self._tokens = min(self._tokens, self._burst())

    def start(self, until: int | None) -> None:
        """A play begins: stop at `until`; the first iteration may run at once."""
        self._until = until
        self._t = self._clock()
        self._tokens = max(self._tokens, 1.0)

    def stop(self) -> None:
        self._until = None

    def allow(self, n: int, iteration: int) -> int:
        """How many of n wanted iterations may run now, from `iteration` (0 when held)."""
        if self._until is not None:
            n = min(n, max(0, self._until - iteration))
        if self._its is not None:
            self._refill()
            n = min(n, int(self._tokens))
        return max(0, n)

    def spend(self, done: int) -> None:
        if self._its is not None:
            self._tokens -= done

    def reached(self, iteration: int) -> bool:
        return self._until is not None and iteration >= self._until

    def wait_s(self) -> float:
        """Seconds until the cap allows the next iteration (0: now, or no cap)."""
        if self._its is None:
            return 0.0
        self._refill()
        return max(0.0, (1.0 - self._tokens) / self._its)

    def _burst(self) -> float:
        return max(1.0, (self._its or 0.0) * BURST_S)

    def _refill(self) -> None:
        now = self._clock()
        if self._its is not None:
            self._tokens = min(self._burst(), self._tokens + self._its * (now - self._t))
        self._t = now

"""A session's CPU bookkeeping on its host: what its turns really cost, and what that allows.

Turns are round-robin, so the time between two frames of any session is everyone's turns added
up: one session whose turn takes 200 ms (a big frame, an iteration, an export) would hold every
neighbour's frame back by that much, every round. So a turn that used more than `turn_s` of CPU
leaves the rest as debt, and the session sits out the following rounds, paying `turn_s` a round,
until it is paid: over time no session gets more than `turn_s` a round, however costly its single
steps (deficit round robin). A session alone on its host pays back at once (rounds cost nothing).

The watchdog: one training iteration or one frame over `watchdog_s` of CPU is an overrun (the
cost model let through something this machine cannot afford); the session pauses itself.

CPU time of the host's thread (time.thread_time): other processes on a loaded machine do not
make a session look expensive.
"""

from __future__ import annotations

import time
from collections.abc import Callable

MAX_DEBT_S = 5.0  # a single huge step costs its session at most this much of sitting out


class Meter:
    def __init__(self, turn_s: float, watchdog_s: float, clock: Callable[[], float] = time.thread_time):
        self.turn_s = turn_s
        self.watchdog_s = watchdog_s
        self.clock = clock
        self.debt_s = 0.0
        self.sat_out = 0  # rounds sat out (tests, logs)

    def sit_out(self) -> bool:
        """True when this round goes to paying back debt (the session does nothing in it)."""
        if self.debt_s <= 0:
            return False
        self.debt_s = max(0.0, self.debt_s - self.turn_s)
        self.sat_out += 1
        return True

    def start(self) -> float:
        return self.clock()

    def spent(self, since: float) -> float:
        return self.clock() - since

    def finish(self, since: float) -> None:
        """The turn that began at `since` is over: what it used beyond turn_s becomes debt."""
        self.debt_s = min(MAX_DEBT_S, self.debt_s + max(0.0, self.spent(since) - self.turn_s))

    def overran(self, seconds: float) -> bool:
        return seconds > self.watchdog_s

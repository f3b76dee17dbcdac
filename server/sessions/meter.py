"""A session's CPU bookkeeping on its host: what its turns really cost, and what that allows.

Turns are round-robin, so the time between two frames of any session is everyone's turns added
up: one session whose turn takes 50 ms (a big frame and an iteration) every round would hold each
neighbour's frames back by that much, every round. So a turn that used more than `turn_s` of CPU
leaves the rest as debt, and the session sits out rounds until it is paid back. Its host pays it
(`pay`) after every round with what the other sessions' turns used in it, at most `turn_s`: so an
expensive session gets about `turn_s` a round, like everyone (deficit round robin), and while its
neighbours are light it gets no more CPU than they use. When no other session did anything in a
round there is nobody to protect and the debt is forgiven: alone on its host, it runs flat out.

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
        self.last_turn_s = 0.0  # CPU of the last round's turn (0: sat out, or nothing to do)
        self._paid = False  # its host settled a round since its last turn

    def sit_out(self) -> bool:
        """True when this round goes to paying back debt (the session does nothing in it). A session
        whose rounds nobody settled since its last turn (no host: a test, a notebook) is alone."""
        paid, self._paid = self._paid, False
        if not paid:
            self.debt_s = 0.0
        if self.debt_s <= 0:
            return False
        self.sat_out += 1
        return True

    def pay(self, others_s: float) -> None:
        """After a round: the other sessions' turns used `others_s` of CPU in it (0: none worked)."""
        self._paid = True
        self.debt_s = 0.0 if others_s <= 0 else max(0.0, self.debt_s - min(others_s, self.turn_s))

    def start(self) -> float:
        return self.clock()

    def spent(self, since: float) -> float:
        return self.clock() - since

    def finish(self, since: float) -> None:
        """The turn that began at `since` is over: what it used beyond turn_s becomes debt."""
        self.last_turn_s = self.spent(since)
        self.debt_s = min(MAX_DEBT_S, self.debt_s + max(0.0, self.last_turn_s - self.turn_s))

    def overran(self, seconds: float) -> bool:
        return seconds > self.watchdog_s

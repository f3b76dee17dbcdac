"""Event-loop lag probe: how late a short sleep wakes up. A blocked loop delays every socket."""

from __future__ import annotations

import asyncio
import time
from collections import deque


class LagProbe:
    def __init__(self, interval_s: float = 0.05, keep: int = 6000):
        self.interval_s = interval_s  # 50 ms: 20 samples a second, negligible cost
        self.samples: deque[tuple[float, float]] = deque(maxlen=keep)  # (when, lag seconds); ~5 min

    async def run(self) -> None:
        while True:
            t0 = time.perf_counter()
            await asyncio.sleep(self.interval_s)
            now = time.perf_counter()
            self.samples.append((now, max(0.0, now - t0 - self.interval_s)))

    def summary(self, window_s: float = 60.0) -> dict[str, float]:
        """p50 / p99 / max lag in ms over the last `window_s` seconds, and the sample count."""
        cut = time.perf_counter() - window_s
        lags = sorted(lag for t, lag in list(self.samples) if t >= cut)
        if not lags:
            return {"p50": 0.0, "p99": 0.0, "max": 0.0, "n": 0}

        def q(f: float) -> float:
            return round(1000 * lags[min(len(lags) - 1, int(f * len(lags)))], 3)

        return {"p50": q(0.5), "p99": q(0.99), "max": round(1000 * lags[-1], 3), "n": len(lags)}

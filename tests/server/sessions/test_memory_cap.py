"""A pipe write to a busy worker never blocks the caller (the front's event loop, issue 14): a worker
that reads nothing (stopped with SIGSTOP here) still leaves Pool.send returning at once, and what
was handed over arrives once it reads again. A worker process's address space is capped."""

from __future__ import annotations

import multiprocessing
import os
import signal
import threading
import time

import pytest

from server.sessions.pool import Pool
from server.settings import Settings

WARM_UP_S = 60


def test_sending_to_a_worker_that_does_not_read_returns_at_once():
    pool = Pool(Settings(workers=1))
    try:
        deadline = time.monotonic() + WARM_UP_S
        while pool.ready < 1:
            assert time.monotonic() < deadline, "the worker did not warm up"
            time.sleep(0.1)
        pid = pool.runners[0].pid
        os.kill(pid, signal.SIGSTOP)  # as busy as a worker can be: it reads nothing
        try:
            done = threading.Event()

            def hand_over():
                for _ in range(8):  # 8 MB: far more than a pipe's buffer (64 KiB)
                    pool.send(0, ("raw", "no-such-session", "x" * 2**20))
                done.set()

            t = threading.Thread(target=hand_over, daemon=True)
            t.start()
            assert done.wait(5), "Pool.send blocked on a worker that was not reading"
        finally:
            os.kill(pid, signal.SIGCONT)
        assert pool.send(0, ("end", "no-such-session"))
    finally:
        pool.close()


def _allocate_beyond(mb: int, queue) -> None:
    from server.sessions.host import limit_memory

    limit = limit_memory(mb)
    try:
        import numpy as np

        np.ones(4 * mb * 2**20 // 8)  # four times the cap
        queue.put(("allocated", limit))
    except MemoryError:
        queue.put(("refused", limit))


@pytest.mark.skipif(not os.path.exists("/proc/self/status"), reason="the cap reads /proc (Linux)")
def test_a_worker_process_cannot_grow_past_its_memory_cap():
    ctx = multiprocessing.get_context("spawn")
    q = ctx.Queue()
    p = ctx.Process(target=_allocate_beyond, args=(700, q))
    p.start()
    outcome, limit = q.get(timeout=60)
    p.join(30)
    assert limit and outcome == "refused"

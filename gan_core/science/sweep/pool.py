"""The local backend: a pool of warm worker processes that run a sweep's tasks.

    pool = LocalPool(jobs=2)          # spawns the workers now: torch imported once in each
    pool = LocalPool(2, warm=False)   # spawns them too, but returns at once (they warm up meanwhile;
                                      # a task submitted now waits in the queue for them)
    h = pool.submit(task)             # a concurrent.futures.Future of the task's records
    pool.wait([h, ...], timeout=0.2)  # [(handle, records or exception)] of those that finished
    pool.cancel("sweep-id", [h, ...]) # pending tasks dropped, running ones stop at their next look
    pool.close()

Workers are spawned (not forked: a forked torch can deadlock on locks held by the parent's
threads), run one torch thread each, at a lower CPU priority (os.nice WORKER_NICE) so a sweep
yields the CPU to the lab's live sessions, and ignore SIGINT: Ctrl-C reaches the parent, which
cancels. A worker whose parent dies (SIGKILL: no cancel) exits within ORPHAN_POLL_S. A pool outlives sweeps (a server keeps one warm); several sweeps may share it.
Cancelling is cooperative: the task's cancel flag is a file (`cancel_path`) that the run looks
for every gan_core.science.sweep.run.CANCEL_EVERY iterations; no state is shared in memory.
"""

from __future__ import annotations

import os
import shutil
import signal
import tempfile
import threading
import time
from concurrent.futures import FIRST_COMPLETED, Future, ProcessPoolExecutor
from concurrent.futures import wait as wait_futures
from multiprocessing import get_context
from typing import Any

from gan_core.engine.trainer import Trainer
from gan_core.science.sweep.run import WORKER_NICE, prepare_worker
from gan_core.science.sweep.work import execute

ORPHAN_POLL_S = 1.0  # how often a worker checks that its parent is alive (seconds; a getppid() call)


def init_worker(nice: int) -> None:
    """Runs once in each worker process, before any task: priority, threads, an orphan watch, a warm-up."""
    signal.signal(signal.SIGINT, signal.SIG_IGN)
    prepare_worker(nice)
    exit_when_orphaned()
    warm_up()


def exit_when_orphaned(poll_s: float = ORPHAN_POLL_S) -> None:
    """A thread that ends this worker once its parent is gone (killed, say, with SIGKILL, which leaves
    no chance to cancel): a task keeps running after its parent's death (a 900,000-iteration run did for
    half an hour, on a shared machine), and nobody is left to read its result."""
    parent = os.getppid()

    def watch() -> None:
        while os.getppid() == parent:
            time.sleep(poll_s)
        # At once, from this thread (the main one is busy training; SIGTERM would wait for its next
        # bytecode): no cleanup to run, the parent that owned the results is gone.
        os.kill(os.getpid(), signal.SIGKILL)

    threading.Thread(target=watch, name="orphan-watch", daemon=True).start()


def warm_up() -> None:
    """One tiny run: torch imports some modules lazily on first use (the optimizers pull in
    torch._dynamo, ~1-4 s), which a warm pool pays at start-up rather than in its first cell."""
    t = Trainer({"generator": {"width": 4}, "discriminator": {"width": 4}, "training": {"batch_size": 4}})
    t.step(1)
    t.evaluate(8)


def ping() -> int:
    return os.getpid()


class LocalPool:
    """A warm pool of `jobs` spawned worker processes (see the module docstring)."""

    name = "local"

    def __init__(self, jobs: int, nice: int = WORKER_NICE, warm: bool = True):
        if jobs < 1:
            raise ValueError(f"jobs must be >= 1, got {jobs}")
        self.slots = jobs
        self.flags = tempfile.mkdtemp(prefix="toygan-sweep-")
        self.executor = ProcessPoolExecutor(max_workers=jobs, mp_context=get_context("spawn"),
                                            initializer=init_worker, initargs=(nice,))
        # One ping per worker starts them all now, not when the first task arrives; `warm` waits until
        # every worker has imported torch and run its warm-up (seconds: a server must not wait).
        pings = [self.executor.submit(ping) for _ in range(jobs)]
        if warm:
            wait_futures(pings)

    def cancel_path(self, sweep: str) -> str:
        return os.path.join(self.flags, sweep)

    def submit(self, task: Any) -> Future:
        return self.executor.submit(execute, task)

    def wait(self, handles: list[Future], timeout: float | None) -> list[tuple[Future, Any]]:
        done, _ = wait_futures(handles, timeout=timeout, return_when=FIRST_COMPLETED)
        out = []
        for f in done:
            exc = f.exception()
            out.append((f, exc if exc is not None else f.result()))
        return out

    def cancel(self, sweep: str, handles: list[Future]) -> None:
        with open(self.cancel_path(sweep), "w"):
            pass
        for f in handles:
            f.cancel()

    def forget(self, sweep: str) -> None:
        """Drop a finished sweep's cancel flag."""
        try:
            os.unlink(self.cancel_path(sweep))
        except FileNotFoundError:
            pass

    def close(self) -> None:
        self.executor.shutdown(wait=True, cancel_futures=True)
        shutil.rmtree(self.flags, ignore_errors=True)

    def __enter__(self) -> LocalPool:
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()

"""The local pool's workers do not outlive their parent: killed with SIGKILL (no chance to cancel), the
parent leaves a worker busy with a long run, and the worker exits within seconds."""

import os
import signal
import subprocess
import sys
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[4]
PARENT = """
import sys
from gan_core.science.sweep.pool import LocalPool, ping
from gan_core.science.sweep.run import RunTask
pool = LocalPool(1)
print(pool.executor.submit(ping).result(), flush=True)
# A run far longer than the test: the worker is busy training when its parent dies.
pool.submit(RunTask("orphan", 0, 0, {"target": {"name": "dirac"}}, 10_000_000, 2, 64, None))
sys.stdin.read()  # until killed
"""


def alive(pid: int) -> bool:
    """Running (a zombie, left for a parent that never reaps, counts as gone)."""
    try:
        state = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()[0]
    except (FileNotFoundError, ProcessLookupError):
        return False
    return state != "Z"


def test_a_worker_exits_when_its_parent_is_killed_mid_run():
    parent = subprocess.Popen([sys.executable, "-c", PARENT], cwd=ROOT, stdin=subprocess.PIPE,
                              stdout=subprocess.PIPE, text=True)
    worker = None
    try:
        worker = int(parent.stdout.readline())
        time.sleep(0.5)  # the long run has started
        assert alive(worker)
        parent.send_signal(signal.SIGKILL)
        parent.wait(10)
        deadline = time.monotonic() + 30  # ORPHAN_POLL_S is 1 s; generous for a loaded machine
        while alive(worker) and time.monotonic() < deadline:
            time.sleep(0.2)
        assert not alive(worker), "the worker outlived its killed parent"
    finally:
        if parent.poll() is None:
            parent.kill()
        if worker is not None and alive(worker):
            os.kill(worker, signal.SIGKILL)

"""A worker process's address space is capped (server.sessions.host.limit_memory, issue 14): a
runaway allocation fails with MemoryError in that process instead of growing it until the machine
swaps. (That the pool's workers have the cap: tests/server/sessions/test_pool.py.)"""

from __future__ import annotations

import os

import numpy as np
import pytest

from server.sessions.host import limit_memory


@pytest.mark.skipif(not os.path.exists("/proc/self/status"), reason="the cap reads /proc (Linux)")
def test_an_allocation_past_the_cap_is_refused_with_memory_error():
    # A forked child, so the cap never applies to this test process; it inherits the imports, so it
    # starts in milliseconds (a spawned one re-imports torch).
    pid = os.fork()
    if pid == 0:
        code = 3
        try:
            limit = limit_memory(700)
            np.ones(4 * 700 * 2**20 // 8)  # four times the cap
            code = 1
        except MemoryError:
            code = 0 if limit else 2
        finally:
            os._exit(code)
    _, status = os.waitpid(pid, 0)
    assert os.waitstatus_to_exitcode(status) == 0, "1: the allocation succeeded; 2: no limit set; 3: another error"

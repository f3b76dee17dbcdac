"""The fair gate shares turns round-robin; the console script routes its subcommands."""

import threading
import time

from server.cli import main
from server.sessions.scheduler import FairScheduler


def test_turns_are_shared_fairly_and_never_exceed_the_slots():
    sched = FairScheduler(1)
    counts = [0] * 4
    inside = [0]
    peak = [0]
    stop = time.monotonic() + 0.6

    def worker(i):
        while time.monotonic() < stop:
            with sched.turn():
                inside[0] += 1
                peak[0] = max(peak[0], inside[0])
                time.sleep(0.002)  # a "quantum" of work
                counts[i] += 1
                inside[0] -= 1

    threads = [threading.Thread(target=worker, args=(i,)) for i in range(4)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    assert peak[0] == 1
    assert min(counts) >= 0.8 * max(counts), counts  # FIFO hand-over: round-robin, no starvation


def test_acquire_times_out_when_no_slot_frees():
    sched = FairScheduler(1)
    assert sched.acquire()
    assert sched.acquire(timeout=0.05) is False
    sched.release()
    assert sched.acquire(timeout=0.05)


def test_cli_routes_and_rejects_bad_settings(capsys):
    assert main(["serve", "--port", "70000"]) == 2
    assert "--port" in capsys.readouterr().err
    assert main(["serve", "--surface-fps", "0"]) == 2  # the flag reaches Settings and its bound
    assert "--surface-fps" in capsys.readouterr().err
    assert main(["--help"]) == 0
    assert main(["frobnicate"]) == 2
    assert main(["run", "--config", "/no/such/file.json"]) == 2  # gan_core.cli's one-line error
    assert "cannot read" in capsys.readouterr().err

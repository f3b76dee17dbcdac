"""The Ray backend against a real Ray head that this test starts on 127.0.0.1 (and stops): the same
sweep gives identical per-seed results on the local pool and on Ray (determinism on CPU)."""

import importlib.util
import json
import os
import secrets
import shutil
import socket
import subprocess
import sys
import tempfile
import time
from pathlib import Path

import pytest

from gan_core import cli

# Not imported here: ray reads its loopback setting when first imported, which must come after the
# fixture sets it. CI installs ray with the test extra; a machine without it skips this file.
pytestmark = [pytest.mark.skipif(importlib.util.find_spec("ray") is None,
                                 reason='the Ray test needs ray (pip install ".[test]")'),
              pytest.mark.timeout(300)]

ROOT = Path(__file__).resolve().parents[4]
RAY = Path(sys.executable).with_name("ray")
# One cell of stacked runs (alternating) and one of single runs (simultaneous: never stacked).
SWEEP = ["sweep", "--preset", "gaussian-1d", "--grid", "training.update=alternating,simultaneous",
         "--seeds", "2", "--steps", "200", "--jobs", "2", "--json"]


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def wait_for_port(port: int, proc: subprocess.Popen, timeout: float = 180.0) -> None:
    end = time.monotonic() + timeout
    while time.monotonic() < end:
        assert proc.poll() is None, f"ray start exited with {proc.returncode}"
        try:
            with socket.create_connection(("127.0.0.1", port), timeout=1.0):
                return
        except OSError:
            time.sleep(0.5)
    raise AssertionError(f"the Ray head did not listen on 127.0.0.1:{port} within {timeout} s")


@pytest.fixture
def ray_head(monkeypatch):
    """`ray start --head --block` on loopback; terminating it stops every process it started.
    Yields a function that waits until the head listens and returns its address (so the test can
    do other work while it boots)."""
    port = free_port()
    temp = tempfile.mkdtemp(prefix="ray")  # short: Ray's socket paths must fit in 107 characters
    # Loopback only, and token authentication with a token of this test's own (Ray would otherwise
    # take ~/.ray/auth_token where one exists, and the head and this driver could disagree).
    ours = {"RAY_ENABLE_WINDOWS_OR_OSX_CLUSTER": "0", "RAY_AUTH_MODE": "token", "RAY_AUTH_TOKEN": secrets.token_hex(32)}
    for k, v in ours.items():
        monkeypatch.setenv(k, v)  # this driver reads them when it first imports ray
    monkeypatch.delenv("RAY_AUTH_TOKEN_PATH", raising=False)
    monkeypatch.delenv("RAY_ADDRESS", raising=False)
    env = {**os.environ, **ours, "PYTHONPATH": str(ROOT), "RAY_USAGE_STATS_ENABLED": "0"}
    proc = subprocess.Popen([str(RAY), "start", "--head", "--block", "--node-ip-address", "127.0.0.1",
                             "--port", str(port), "--num-cpus", "2", "--include-dashboard", "false",
                             "--disable-usage-stats", "--temp-dir", temp],
                            env=env, cwd=ROOT, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    def ready() -> str:
        wait_for_port(port, proc)
        return f"127.0.0.1:{port}"

    try:
        yield ready
    finally:
        proc.terminate()
        try:
            proc.wait(timeout=60)
        except subprocess.TimeoutExpired:
            proc.kill()
            proc.wait()
        shutil.rmtree(temp, ignore_errors=True)


def per_seed(result: dict) -> list:
    """Every cell's per-seed outcomes and reasons and its medians, without the timings."""
    return [(c["params"], c["outcomes"], c["reasons"], {k: v for k, v in c["metrics"].items() if k != "seconds"})
            for c in sorted(result["cells"], key=lambda c: c["index"])]


def test_local_and_ray_give_identical_per_seed_results(ray_head, capsys):
    began = time.perf_counter()  # (the head was started a moment ago by the fixture)
    assert cli.main(SWEEP) == 0  # while the head boots
    local = json.loads(capsys.readouterr().out.strip().splitlines()[-1])
    assert cli.main([*SWEEP, "--backend", "ray", "--ray-address", ray_head()]) == 0
    out = capsys.readouterr().out.strip().splitlines()
    remote = json.loads(out[-1])
    assert out[0].endswith("on ray (2 at once)")
    assert (local["backend"], remote["backend"]) == ("local", "ray")
    assert per_seed(remote) == per_seed(local)
    assert {c["outcome"] for c in local["cells"]} <= {"converged", "oscillating", "diverged", "stalled"}
    print(f"Ray test: {time.perf_counter() - began:.1f} s from starting the head to the end of both sweeps")

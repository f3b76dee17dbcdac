"""The Ray backend: each (cell, seed) is one Ray task (`pip install ".[ray]"`).

    be = RayBackend(address="10.0.0.5:6379")   # join a running cluster (or RAY_ADDRESS)
    be = RayBackend(jobs=2)                    # no address: a local Ray on 127.0.0.1, started here and
    ...                                        # stopped by close()
    be.close()

Tasks run gan_core.science.sweep.run.execute, the function a local worker runs, with one torch
thread and the same lower priority, so a sweep gives the same per-seed records on both backends.
The nodes of a joined cluster must have toygan installed (the tasks import gan_core); a local Ray
is pointed at the gan_core this process imported. Cancelling uses ray.cancel(force=True).

Loopback: Ray replaces 127.0.0.1 by the machine's routable address unless
RAY_ENABLE_WINDOWS_OR_OSX_CLUSTER=0 (Ray's single-machine mode, whatever its name says). For a
local Ray, or a cluster address on 127.0.0.1 / localhost, this backend sets it (before ray is
first imported) so every Ray process listens on the loopback interface only.
"""

from __future__ import annotations

import logging
import os
import socket
from pathlib import Path
from typing import Any

from gan_core.engine.config import ConfigError
from gan_core.science.sweep.run import WORKER_NICE, prepare_worker
from gan_core.science.sweep.work import execute

INSTALL_HINT = 'ray is not installed: pip install ".[ray]" (in the project folder) or pip install ray'


def ray_task(task: Any, nice: int) -> list[dict[str, Any]]:
    """What a Ray worker runs for one task."""
    prepare_worker(nice)
    return execute(task)


LOOPBACK_ENV = "RAY_ENABLE_WINDOWS_OR_OSX_CLUSTER"


def is_loopback(address: str | None) -> bool:
    host = (address or "").removeprefix("ray://").rsplit(":", 1)[0]
    return host in ("", "127.0.0.1", "localhost", "[::1]", "::1")


def check_reachable(address: str, timeout: float = 5.0) -> None:
    """ConfigError when nothing listens at HOST:PORT (ray.init would otherwise wait for minutes)."""
    host, _, port = address.rpartition(":")
    if address.startswith("ray://") or not port.isdigit():
        return  # a Ray client address or "auto": ray.init reports those itself
    try:
        with socket.create_connection((host.strip("[]"), int(port)), timeout=timeout):
            pass
    except OSError as exc:
        raise ConfigError(f"nothing answers at {address} ({exc.strerror or exc}); is the Ray head running?",
                          "ray-address") from None


def import_ray(loopback: bool = False) -> Any:
    """The ray module, or ConfigError (field "backend") saying how to install it."""
    if loopback:
        os.environ.setdefault(LOOPBACK_ENV, "0")  # read by ray when it is imported
    try:
        import ray
    except ImportError:
        raise ConfigError(INSTALL_HINT, "backend") from None
    return ray


class RayBackend:
    """Runs sweep tasks as Ray tasks (see the module docstring)."""

    name = "ray"

    def __init__(self, address: str | None = None, jobs: int | None = None, nice: int = WORKER_NICE):
        address = address or os.environ.get("RAY_ADDRESS") or None
        ray = import_ray(loopback=is_loopback(address))
        self.ray = ray
        quiet = {"logging_level": logging.WARNING, "log_to_driver": False, "include_dashboard": False}
        if address:
            check_reachable(address)
        try:
            if address:
                ray.init(address=address, **quiet)
            else:
                # Workers must import this gan_core (a worktree or an editable install alike).
                root = str(Path(__file__).resolve().parents[3])
                path = os.pathsep.join(p for p in (root, os.environ.get("PYTHONPATH", "")) if p)
                ray.init(num_cpus=jobs, _node_ip_address="127.0.0.1",
                         runtime_env={"env_vars": {"PYTHONPATH": path}}, **quiet)
        except (ConnectionError, RuntimeError, ValueError) as exc:
            where = address or "a local Ray"
            raise ConfigError(f"cannot start or reach {where}: {str(exc).splitlines()[0]}",
                              "ray-address" if address else "backend") from None
        self.owned = not address
        cpus = int(ray.cluster_resources().get("CPU", 1))
        self.slots = max(1, min(jobs, cpus) if jobs else cpus)
        self.window = self.slots  # Ray would start more at once than --jobs if more were submitted
        self.remote = ray.remote(num_cpus=1, max_retries=0)(ray_task)
        self.nice = nice

    def submit(self, task: Any) -> Any:
        return self.remote.remote(task, self.nice)

    def wait(self, handles: list[Any], timeout: float | None) -> list[tuple[Any, Any]]:
        ray = self.ray
        ready, _ = ray.wait(handles, num_returns=1, timeout=timeout)
        if ready:  # everything else that is also ready, without waiting
            ready, _ = ray.wait(handles, num_returns=len(handles), timeout=0)
        out = []
        for ref in ready:
            try:
                out.append((ref, ray.get(ref)))
            except Exception as exc:  # a task's error or a lost worker: the sweep reports it
                out.append((ref, exc))
        return out

    def cancel(self, sweep: str, handles: list[Any]) -> None:
        for ref in handles:
            try:
                self.ray.cancel(ref, force=True)
            except Exception:  # already finished or gone: nothing left to stop
                pass

    def close(self) -> None:
        # A local Ray stops here; from a joined cluster the driver only disconnects.
        if self.ray.is_initialized():
            self.ray.shutdown()

    def __enter__(self) -> RayBackend:
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()

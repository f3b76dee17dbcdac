"""Podman as this project's CI machines can run it: Debian's podman 4.3 as root, containers under
runc with cgroupfs (crun refuses the default ulimits and this machine's hybrid cgroups) and a
containers.conf with `default_ulimits = []` (setting RLIMIT_NOFILE is not permitted here)."""

from __future__ import annotations

import json
import os
import shutil
import subprocess
import tempfile
from pathlib import Path

GLOBAL_FLAGS = ("--runtime", "runc", "--cgroup-manager", "cgroupfs")
CONTAINERS_CONF = """\
# Written by tests/docker: the kernel here refuses podman's default RLIMIT_NOFILE for containers.
[containers]
default_ulimits = []

[engine]
runtime = "runc"
cgroup_manager = "cgroupfs"
"""


class PodmanError(RuntimeError):
    pass


def _tail(text: str | bytes | None, n: int = 3000) -> str:
    if isinstance(text, bytes):
        text = text.decode(errors="replace")
    return (text or "")[-n:]


class Podman:
    """`podman` with this project's global flags and containers.conf (CONTAINERS_CONF)."""

    def __init__(self, conf_dir: Path):
        conf = conf_dir / "containers.conf"
        conf.write_text(CONTAINERS_CONF)
        self.env = {**os.environ, "CONTAINERS_CONF": str(conf)}

    def argv(self, *args: str) -> list[str]:
        return ["podman", *GLOBAL_FLAGS, *args]

    def __call__(self, *args: str, timeout: float = 120, check: bool = True,
                 **kwargs) -> subprocess.CompletedProcess:
        out = subprocess.run(self.argv(*args), env=self.env, capture_output=True, text=True,
                             timeout=timeout, **kwargs)
        if check and out.returncode != 0:
            raise PodmanError(f"`podman {' '.join(args)}` exited with {out.returncode}:\n"
                              + _tail(out.stderr or out.stdout))
        return out

    def exists(self, image: str) -> bool:
        return self("image", "exists", image, check=False).returncode == 0

    def label(self, image: str, name: str) -> str | None:
        out = self("image", "inspect", "--format", "{{json .Labels}}", image, check=False)
        if out.returncode != 0:
            return None
        return (json.loads(out.stdout.strip() or "null") or {}).get(name)


def _tiny_rootfs(root: Path) -> None:
    """/usr/bin/true and the libraries it links: enough to ask the runtime to start something."""
    true = Path("/usr/bin/true")
    dest = root / "usr/bin/true"
    dest.parent.mkdir(parents=True)
    shutil.copy2(true, dest)
    out = subprocess.run(["ldd", str(true)], capture_output=True, text=True, timeout=30)
    for word in out.stdout.split():
        if word.startswith("/"):
            lib = root / word.lstrip("/")
            lib.parent.mkdir(parents=True, exist_ok=True)
            shutil.copy2(Path(word).resolve(), lib)


def why_podman_cannot_run(podman: Podman) -> str | None:
    """None when podman starts a container here; otherwise the reason, for a skip (or a CI failure)."""
    if shutil.which("podman") is None:
        return "podman is not installed (apt-get install podman runc debootstrap; .ci/run does)"
    version = podman("version", "--format", "{{.Client.Version}}", check=False, timeout=60)
    if version.returncode != 0:
        return "`podman version` fails here: " + _tail(version.stderr, 800)
    with tempfile.TemporaryDirectory(prefix="toygan-probe-") as tmp:
        try:
            _tiny_rootfs(Path(tmp))
        except (OSError, subprocess.SubprocessError) as exc:
            return f"cannot assemble a probe root from /usr/bin/true: {exc}"
        out = podman("run", "--rm", "--network", "none", "--rootfs", tmp, "/usr/bin/true",
                     check=False, timeout=120)
    if out.returncode != 0:
        return ("podman cannot start a container here (runc, cgroupfs, default_ulimits = []): "
                + _tail(out.stderr, 800))
    return None

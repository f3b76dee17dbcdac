"""A local stand-in for the Dockerfile's `python:3.11-slim` base, since no image registry answers here.

A Debian bookworm root from debootstrap (Python 3.11, venv, pip) shaped like the official image
(python and pip in /usr/local/bin, pip allowed to install, PATH/LANG/CMD alike) plus this host's
CA bundle and pip settings: the local wheel folders and indexes the host's pip uses are
bind-mounted into `podman build` at the same paths (`build_mounts`), so the build installs the
host's CPU torch wheel rather than downloading a CUDA build.

The stand-in is cached in podman's own storage, tagged python:3.11-slim and labelled with a key
over everything that went into it (mirror, packages, pip settings, CA bundle, month: a month-old
stand-in is rebuilt so security updates come in). A real python:3.11-slim (no label) is used as
it is and never replaced.
"""

from __future__ import annotations

import ast
import contextlib
import datetime
import fcntl
import hashlib
import json
import os
import re
import shutil
import subprocess
import sys
import tempfile
import time
from dataclasses import dataclass, field
from pathlib import Path

from podman_cli import Podman, PodmanError

BASE = "python:3.11-slim"
LABEL = "org.toygan.standin"
SUITE = "bookworm"  # Debian 12: Python 3.11, as in python:3.11-slim
INCLUDE = "python3,python3-venv,python3-pip"
RECIPE = 2  # bump when _shape() changes, so cached stand-ins are rebuilt
CA_INSIDE = "/etc/ssl/certs/ca-certificates.crt"
# pip settings worth carrying into the image build; host-only ones (cache-dir, log, ...) are not.
PIP_KEYS = {"index-url", "extra-index-url", "find-links", "no-index", "trusted-host", "constraint",
            "default-timeout", "timeout", "retries", "proxy", "prefer-binary", "only-binary",
            "disable-pip-version-check"}
IMAGE_CONFIG = ("ENV PATH=/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin",
                "ENV LANG=C.UTF-8", 'CMD ["python3"]')


@dataclass
class PipSetup:
    conf: str  # /etc/pip.conf of the stand-in
    ca: Path | None = None  # host CA bundle, copied to CA_INSIDE
    files: list[Path] = field(default_factory=list)  # host files copied to the same path (constraints)
    mounts: list[Path] = field(default_factory=list)  # host folders bind-mounted read-only into builds


@dataclass
class Base:
    how: str  # one line for the report: reused / real image / built in N s
    mounts: list[Path]
    seconds: float


def debian_mirror() -> str:
    """The Debian mirror apt already uses here (TOYGAN_DEBIAN_MIRROR overrides)."""
    if os.environ.get("TOYGAN_DEBIAN_MIRROR"):
        return os.environ["TOYGAN_DEBIAN_MIRROR"]
    entries: list[tuple[str, list[str]]] = []  # (uri, suites)
    apt = Path("/etc/apt")
    for path in [apt / "sources.list", *sorted((apt / "sources.list.d").glob("*"))]:
        if not path.is_file():
            continue
        text = path.read_text(errors="replace")
        if path.suffix == ".sources":  # deb822 stanzas
            for stanza in re.split(r"\n\s*\n", text):
                f = dict(re.findall(r"^(\w[\w-]*):[ \t]*(.*)$", stanza, re.M))
                if "deb" in f.get("Types", "").split() and f.get("Enabled", "yes") != "no":
                    entries += [(uri, f.get("Suites", "").split()) for uri in f.get("URIs", "").split()]
        elif path.suffix == ".list":
            for m in re.finditer(r"^deb\s+(?:\[[^\]]*\]\s+)?(\S+)\s+(\S+)", text, re.M):
                entries.append((m.group(1), [m.group(2)]))
    for uri, suites in entries:
        if SUITE in suites:
            return uri
    for uri, _ in entries:
        if uri.rstrip("/").endswith("/debian"):
            return uri
    raise RuntimeError(f"no Debian mirror for {SUITE} in /etc/apt sources; set TOYGAN_DEBIAN_MIRROR")


def _local_path(item: str) -> Path | None:
    path = item[len("file://"):] if item.startswith("file://") else item
    return Path(path) if path.startswith("/") and Path(path).exists() else None


def host_pip_setup(python: str = sys.executable) -> PipSetup:
    """This host's pip settings (files and PIP_* variables, as `pip config list` merges them),
    rewritten for the stand-in: local folders and indexes become bind mounts at the same path."""
    out = subprocess.run([python, "-m", "pip", "config", "list"], capture_output=True, text=True, timeout=60)
    settings: dict[tuple[str, str], str] = {}
    lines = sorted(out.stdout.splitlines(), key=lambda ln: ln.startswith(":env:"))  # PIP_* win
    for line in lines:
        m = re.match(r"^(:env:|[^.=]+)\.([^=]+)=(.*)$", line.strip())
        if m:
            section = "global" if m.group(1) == ":env:" else m.group(1)
            settings[(section, m.group(2))] = ast.literal_eval(m.group(3))
    setup = PipSetup(conf="")
    sections: dict[str, list[str]] = {"global": []}
    for (section, key), value in settings.items():
        if key == "cert":
            setup.ca = Path(value)
            continue
        if key not in PIP_KEYS:
            continue
        for item in value.split():
            local = _local_path(item)
            if local is None:
                continue
            if key == "constraint":
                setup.files.append(local)
            elif local.is_dir():  # an index's pages link to ../../files: mount the folder above simple/
                setup.mounts.append(local.parent if local.name == "simple" else local)
        sections.setdefault(section, []).append(f"{key} = {value}")
    if setup.ca is None and Path(CA_INSIDE).is_file():
        setup.ca = Path(CA_INSIDE)
    if setup.ca is not None:
        sections["global"].insert(0, f"cert = {CA_INSIDE}")
    setup.conf = "".join(f"[{s}]\n" + "".join(f"{kv}\n" for kv in kvs) for s, kvs in sections.items() if kvs)
    setup.mounts = sorted(set(setup.mounts))
    return setup


def _key(mirror: str, pip: PipSetup) -> str:
    h = hashlib.sha256()
    h.update(json.dumps([RECIPE, mirror, SUITE, INCLUDE, pip.conf, datetime.date.today().strftime("%Y-%m")]).encode())
    for f in [pip.ca, *pip.files]:
        if f is not None:
            h.update(f.read_bytes())
    return h.hexdigest()[:16]


def build_mounts(mounts: list[Path]) -> list[str]:
    return [arg for m in mounts for arg in ("--volume", f"{m}:{m}:ro")]


def _scratch_parent() -> Path:
    """tmpfs when it allows exec and devices and has room: dpkg's fsyncs make debootstrap ~3x
    slower on this machine's disk (measured 39 s on tmpfs, 124 s on ext4)."""
    shm = Path("/dev/shm")
    with contextlib.suppress(OSError):
        st = os.statvfs(shm)
        if not st.f_flag & (os.ST_NOEXEC | os.ST_NODEV) and st.f_bavail * st.f_frsize >= 2 << 30:
            return shm
    return Path(tempfile.gettempdir())


def _unmount_below(root: Path) -> None:
    """debootstrap unmounts /proc and /sys of its target itself; make sure before deleting it."""
    for mount in reversed(Path("/proc/mounts").read_text().splitlines()):
        point = mount.split()[1]
        if point.startswith(f"{root}/"):
            subprocess.run(["umount", "-l", point], timeout=60)
    if any(m.split()[1].startswith(f"{root}/") for m in Path("/proc/mounts").read_text().splitlines()):
        raise RuntimeError(f"something is still mounted under {root}; not deleting it")


def _debootstrap(root: Path, mirror: str) -> None:
    if shutil.which("debootstrap") is None:
        raise RuntimeError("debootstrap is not installed (apt-get install debootstrap; .ci/run does)")
    if os.geteuid() != 0:
        raise RuntimeError(f"making the {BASE} stand-in needs root (debootstrap); run as root, or "
                           f"provide a real {BASE} image to podman")
    out = subprocess.run(["debootstrap", "--variant=minbase", f"--include={INCLUDE}", SUITE, str(root), mirror],
                         capture_output=True, text=True, timeout=1500)
    if out.returncode != 0:
        log = root / "debootstrap" / "debootstrap.log"
        raise RuntimeError(f"debootstrap {SUITE} from {mirror} failed ({out.returncode}):\n{out.stderr[-2000:]}\n"
                           + (log.read_text(errors="replace")[-2000:] if log.exists() else ""))


def _shape(root: Path, pip: PipSetup) -> None:
    """Make the Debian root behave like python:3.11-slim for a Dockerfile, and shed apt's caches."""
    for junk in ["var/lib/apt/lists", "var/cache/apt", "usr/share/doc", "usr/share/man", "usr/share/locale", "dev"]:
        shutil.rmtree(root / junk, ignore_errors=True)
    (root / "dev").mkdir()
    for name in ["etc/resolv.conf", "etc/hostname"]:  # the host's; podman provides its own
        (root / name).unlink(missing_ok=True)
    for marker in root.glob("usr/lib/python3*/EXTERNALLY-MANAGED"):  # pip may install, as in the image
        marker.unlink()
    local_bin = root / "usr/local/bin"
    (local_bin / "python").symlink_to("/usr/bin/python3")
    (local_bin / "pip").symlink_to("/usr/bin/pip3")
    if pip.ca is not None:
        shutil.copyfile(pip.ca, root / CA_INSIDE.lstrip("/"))
    for f in pip.files:
        (root / str(f).lstrip("/")).parent.mkdir(parents=True, exist_ok=True)
        shutil.copyfile(f, root / str(f).lstrip("/"))
    (root / "etc/pip.conf").write_text(pip.conf)


def _import(podman: Podman, root: Path, key: str) -> None:
    changes = [arg for c in (*IMAGE_CONFIG, f"LABEL {LABEL}={key}") for arg in ("--change", c)]
    tar = subprocess.Popen(["tar", "--numeric-owner", "-C", str(root), "-c", "."], stdout=subprocess.PIPE)
    try:
        podman("import", *changes, "-", BASE, stdin=tar.stdout, timeout=600)
    finally:
        tar.stdout.close()
        tar.wait(60)


def ensure_base(podman: Podman) -> Base:
    """The python:3.11-slim the Dockerfile starts FROM: a real one, the cached stand-in, or a new one."""
    t0 = time.monotonic()
    if podman.exists(BASE) and podman.label(BASE, LABEL) is None:
        return Base(f"a real {BASE} image (not a stand-in)", [], time.monotonic() - t0)
    pip = host_pip_setup()
    mirror = debian_mirror()
    key = _key(mirror, pip)
    lock_path = Path(tempfile.gettempdir()) / "toygan-standin.lock"
    with open(lock_path, "w") as lock:
        fcntl.flock(lock, fcntl.LOCK_EX)  # two test runs at once build it once
        if podman.label(BASE, LABEL) == key:
            return Base(f"the cached stand-in ({LABEL}={key})", pip.mounts, time.monotonic() - t0)
        old = podman("image", "inspect", "--format", "{{.Id}}", BASE, check=False).stdout.strip()
        scratch = Path(tempfile.mkdtemp(prefix="toygan-standin-", dir=_scratch_parent()))
        try:
            _debootstrap(scratch / "root", mirror)
            t_boot = time.monotonic() - t0
            _unmount_below(scratch)  # before deleting anything in it (its dev/ above all)
            _shape(scratch / "root", pip)
            _import(podman, scratch / "root", key)
        finally:
            _unmount_below(scratch)
            shutil.rmtree(scratch, ignore_errors=True)
        if old:
            with contextlib.suppress(PodmanError):
                podman("rmi", old)  # the stale stand-in, now untagged
    took = time.monotonic() - t0
    return Base(f"a new stand-in: debootstrap {t_boot:.0f} s in {scratch.parent}, "
                f"shaped and imported {took - t_boot:.0f} s ({LABEL}={key})", pip.mounts, took)

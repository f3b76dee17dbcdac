"""Static checks the suite enforces: ruff (incl. no print in server/) and hadolint on the Dockerfile."""

import pathlib
import shutil
import subprocess
import sys

ROOT = pathlib.Path(__file__).resolve().parents[1]
BIN = pathlib.Path(sys.executable).parent


def _tool(name: str) -> str:
    path = BIN / name if (BIN / name).exists() else shutil.which(name)
    assert path, f"{name} is not installed: pip install -e '.[test]'"
    return str(path)


def test_ruff_is_clean():
    out = subprocess.run([_tool("ruff"), "check", "."], cwd=ROOT, capture_output=True, text=True, timeout=120)
    assert out.returncode == 0, out.stdout + out.stderr


def test_ruff_rejects_print_in_server(tmp_path):
    # The rule must really be on for server/: a print there is an error, not a style choice.
    probe = ROOT / "server" / "_ruff_probe_tmp.py"
    probe.write_text('print("hello")\n')
    try:
        out = subprocess.run([_tool("ruff"), "check", str(probe)], cwd=ROOT, capture_output=True, text=True)
    finally:
        probe.unlink()
    assert out.returncode != 0 and "T201" in out.stdout, out.stdout


def test_dockerfile_passes_hadolint():
    out = subprocess.run([_tool("hadolint"), "-t", "warning", "Dockerfile"], cwd=ROOT, capture_output=True,
                         text=True, timeout=60)
    assert out.returncode == 0, out.stdout + out.stderr


def test_dockerfile_installs_like_the_readme():
    docker = (ROOT / "Dockerfile").read_text()
    readme = (ROOT / "README.md").read_text()
    make = (ROOT / "Makefile").read_text()
    pin = "torch==2.13.0"
    assert pin in docker and pin in make and pin in readme
    # Torch gets its own layer before the source is copied (a source edit must not re-download it).
    assert docker.index(pin) < docker.index("COPY gan_core")
    for line in ("USER 10001", "EXPOSE 8000", "HEALTHCHECK", "/healthz",
                 'CMD ["toygan", "serve", "--host", "0.0.0.0", "--port", "8000"]'):
        assert line in docker, line
    assert docker.startswith("#") and "FROM python:3.11-slim" in docker
